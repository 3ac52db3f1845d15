module inv2 (input [1:0] i, output [1:0] o);
  INV u0 (.A(i[0]), .Y(o[0]));
  INV u1 (.A(i[1]), .Y(o[1]));
endmodule
module top (input [1:0] a, output [1:0] y);
  inv2 g (.i(a), .o(y[0]));
endmodule
