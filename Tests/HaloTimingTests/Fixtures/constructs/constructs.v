// Halo test netlist for constructs.lib: a weight bus W[3:0] that enables three-state drivers, selects
// NAND inputs and feeds a half adder with an output-to-output arc; a register with an asynchronous
// clear driven by a port (its clear arc is off); cells scaled by library and cell k-factors.
module constructs (clk, rn, a, b, W, y, z, s);
  input clk, rn, a, b;
  input [3:0] W;
  output y, z, s;
  wire n1, n2, n3, n4, q, co;
  TBUF u1 (.A(a), .EN(W[0]), .Z(n1));
  NAND2 u2 (.A(n1), .B(W[1]), .Y(n2));
  INV u3 (.A(n2), .Y(n3));
  DFFR r1 (.D(n3), .CK(clk), .RN(rn), .Q(q));
  NAND2 u4 (.A(q), .B(W[2]), .Y(n4));
  SLOWINV u5 (.A(n4), .Y(y));
  TBUF u6 (.A(b), .EN(W[3]), .Z(z));
  HA u7 (.A(a), .B(n2), .CO(co), .S(s));
endmodule
