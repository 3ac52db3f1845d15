module top (input [1:0] a, output y);
  NAND2 u1 (.A(a[0]), .Y(y));
endmodule
