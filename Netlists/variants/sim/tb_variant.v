// Testbench for the generated MAC variants (Netlists/variants): Y = P + A*W, or Y = A*W without P.
// Compiled by simulate.sh with -DTOP=<module> -DAW=<bits of A, W> -DPW=<bits of P, Y> -DMW=<max(AW, PW)>
// -DNVEC=<vectors>, plus -DHAS_P when the module has a P port and -DREGISTERED for the registered ones.
// Reads +vectors=<file> with $readmemh: per vector the words A W P (hex; P is ignored without a P port);
// writes +out=<file>: one line per vector, Y in hex (x/z digits if the netlist leaves Y unknown).
//
// Registered protocol (ports clk, load_w, A, W, P, Y; clock period 100 ns, rising edges at 50, 150, ...;
// inputs change only at falling edges), per vector:
//   1. load_w=1, W=w, A=~a: the rising edge loads wreg=w;
//   2. load_w=0, W=~w (wreg must hold), A=a, P=p: the rising edge loads areg=a, preg=p;
//   3. A=a^5, P=~p: the rising edge loads Y = p + a*w; Y is sampled at the next falling edge.
`timescale 1ns/1ps
module tb_variant;
  localparam integer NV = `NVEC;
  reg [`MW-1:0] mem [0:3*NV-1];
  reg [`AW-1:0] A, W, a, w;
  reg [`PW-1:0] P, p;
  wire [`PW-1:0] Y;
  reg [8*4096-1:0] vec_file, out_file;
  integer fd, i;
`ifdef REGISTERED
  reg clk = 1'b0, load_w = 1'b0;
  always #50 clk = ~clk;
  `ifdef HAS_P
  `TOP dut (.clk(clk), .load_w(load_w), .A(A), .W(W), .P(P), .Y(Y));
  `else
  `TOP dut (.clk(clk), .load_w(load_w), .A(A), .W(W), .Y(Y));
  `endif
`else
  `ifdef HAS_P
  `TOP dut (.A(A), .W(W), .P(P), .Y(Y));
  `else
  `TOP dut (.A(A), .W(W), .Y(Y));
  `endif
`endif

  initial begin
    if (!$value$plusargs("vectors=%s", vec_file)) $fatal(1, "tb_variant: missing +vectors=FILE");
    if (!$value$plusargs("out=%s", out_file)) $fatal(1, "tb_variant: missing +out=FILE");
    $readmemh(vec_file, mem);
    fd = $fopen(out_file, "w");
    if (fd == 0) $fatal(1, "tb_variant: cannot write %0s", out_file);
    A = 0; W = 0; P = 0;
    for (i = 0; i < NV; i = i + 1) begin
      a = mem[3*i][`AW-1:0];
      w = mem[3*i+1][`AW-1:0];
      p = mem[3*i+2][`PW-1:0];
`ifdef REGISTERED
      load_w = 1'b1; W = w; A = ~a;
      @(negedge clk);
      load_w = 1'b0; W = ~w; A = a; P = p;
      @(negedge clk);
      A = a ^ 5; P = ~p;
      @(negedge clk);
`else
      A = a; W = w; P = p;
      #50;                       // settle (enough even with -gspecify cell delays)
`endif
      $fdisplay(fd, "%h", Y);
`ifndef REGISTERED
      #50;
`endif
    end
    $fclose(fd);
    $finish;
  end
endmodule
