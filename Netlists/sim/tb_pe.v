// Testbench for the registered processing element family (pe8): p_out <= p_in + a_in*wreg,
// a_out <= a_in, wreg <= w_in when load_w. Compiled by simulate.sh with -DTOP, -DAW, -DPW, -DNVEC.
// Reads +vectors=<file> with $readmemh: per vector the words A W P (hex) = a_in w_in p_in;
// writes +out=<file>: one line per vector, p_out in hex (PW/4 digits).
//
// Protocol (clock period 100 ns, rising edges at 50, 150, ...; inputs change only at falling edges):
//   - load cycle, only when W differs from the weight last loaded (always for the first vector):
//     load_w=1, w_in=W, a_in=0, p_in=0 for one clock; the rising edge loads wreg=W.
//   - compute cycle: load_w=0, a_in=A, p_in=P for one clock; the rising edge registers
//     p_out = P + A*W and a_out = A.
//   - sample: at the next falling edge (half a cycle after that rising edge) p_out is written to the
//     output file and a_out is checked against A (a mismatch stops the run with $fatal, exit 1).
`timescale 1ns/1ps
module tb_pe;
  localparam integer NV = `NVEC;
  reg [`PW-1:0] mem [0:3*NV-1];
  reg clk = 1'b0, load_w = 1'b0;
  reg [`AW-1:0] a_in = 0, w_in = 0, wcur;
  reg [`PW-1:0] p_in = 0;
  wire [`PW-1:0] p_out;
  wire [`AW-1:0] a_out;
  reg [8*4096-1:0] vec_file, out_file;
  integer fd, i;
  reg loaded;

  `TOP dut (.clk(clk), .load_w(load_w), .a_in(a_in), .w_in(w_in), .p_in(p_in),
            .p_out(p_out), .a_out(a_out));

  always #50 clk = ~clk;         // clk = 0 on [0,50), rises at 50, 150, ...

  initial begin
    if (!$value$plusargs("vectors=%s", vec_file)) $fatal(1, "tb_pe: missing +vectors=FILE");
    if (!$value$plusargs("out=%s", out_file)) $fatal(1, "tb_pe: missing +out=FILE");
    $readmemh(vec_file, mem);
    fd = $fopen(out_file, "w");
    if (fd == 0) $fatal(1, "tb_pe: cannot write %0s", out_file);
    loaded = 1'b0;
    for (i = 0; i < NV; i = i + 1) begin
      wcur = mem[3*i+1][`AW-1:0];
      if (!loaded || wcur !== w_in) begin
        load_w = 1'b1; w_in = wcur; a_in = 0; p_in = 0;
        @(negedge clk);            // rising edge in between loads wreg
        loaded = 1'b1;
      end
      load_w = 1'b0;
      a_in = mem[3*i][`AW-1:0];
      p_in = mem[3*i+2];
      @(negedge clk);              // rising edge in between registers p_out, a_out
      $fdisplay(fd, "%h", p_out);
      if (a_out !== a_in) $fatal(1, "tb_pe: vector %0d: a_out=%h, expected %h", i, a_out, a_in);
    end
    $fclose(fd);
    $finish;
  end
endmodule
