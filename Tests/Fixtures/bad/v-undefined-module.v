module top (input [1:0] a, output y);
  half_adder ha (.a(a[0]), .b(a[1]), .s(y));
endmodule
