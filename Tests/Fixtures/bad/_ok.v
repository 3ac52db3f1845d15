// A minimal valid netlist for the bad-input cases: y = !(a[0] & a[1]) & b, in _ok.lib cells.
module top (a, b, y);
  input [1:0] a;
  input b;
  output y;
  wire n1, n2;
  NAND2 u1 (.A(a[0]), .B(a[1]), .Y(n1));
  INV u2 (.A(n1), .Y(n2));
  NAND2 u3 (.A(n2), .B(b), .Y(y));
endmodule
