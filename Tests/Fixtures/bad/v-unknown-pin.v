module top (input a, output y);
  INV u1 (.A(a), .Q(y));
endmodule
