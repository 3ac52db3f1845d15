module top (input [1:0] a, output y);
  INV u1 (.A(a[0]), .Y(y));
  INV u2 (.A(a[1]), .Y(y));
endmodule
