module top (input [1:0] a, output y);
  wire floating;
  NAND2 u1 (.A(a[0]), .B(floating), .Y(y));
endmodule
