module top (input a, output y);
  wire n1, n2;
  NAND2 g1 (.A(a), .B(n2), .Y(n1));
  INV g2 (.A(n1), .Y(n2));
  INV g3 (.A(n1), .Y(y));
endmodule
