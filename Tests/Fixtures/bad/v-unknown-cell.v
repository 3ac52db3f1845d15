module top (input a, output y);
  FOO123 u1 (.A(a), .Y(y));
endmodule
