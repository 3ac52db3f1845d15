module top (input [1:0] a, output y);
  wire n;
  INV u (.A(a[0]), .Y(n));
  INV u (.A(n), .Y(y));
endmodule
