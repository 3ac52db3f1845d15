module top (input a, output y)
  INV u1 (.A(a), .Y(y));
endmodule
