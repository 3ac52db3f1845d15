module top (input [1:0] a, output y);
  NAND2 u1 (.A(a[0]), .B(a[1]), .Y(n1));
  INV u2 (.A(n1), .Y(y));
endmodule
