module top (a, y);
  input a;
  INV u (.A(a), .Y(y));
endmodule
