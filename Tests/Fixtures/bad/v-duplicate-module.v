module top (input [1:0] a, output y);
  NAND2 u (.A(a[0]), .B(a[1]), .Y(y));
endmodule
module top (input [1:0] a, output y);
  NAND2 u (.A(a[0]), .B(a[1]), .Y(y));
endmodule
