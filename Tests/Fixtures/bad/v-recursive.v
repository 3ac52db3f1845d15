module top (input [1:0] a, output y);
  top inner (.a(a), .y(y));
endmodule
