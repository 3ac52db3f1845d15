module top (input a, output y);
  assign y = 4'hG;
endmodule
