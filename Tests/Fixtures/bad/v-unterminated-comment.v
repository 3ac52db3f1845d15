module top (input a, output y);
  /* never closed
  INV u1 (.A(a), .Y(y));
endmodule
