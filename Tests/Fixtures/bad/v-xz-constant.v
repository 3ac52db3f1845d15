module top (input [1:0] a, output y);
  NAND2 u (.A(a[0]), .B(1'bx), .Y(y));
endmodule
