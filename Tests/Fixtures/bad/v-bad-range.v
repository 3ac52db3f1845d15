module top (input [x:0] a, output y);
  INV u (.A(a[0]), .Y(y));
endmodule
