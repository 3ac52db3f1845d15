// Testbench for the combinational MAC family (mac8, mac16): Y = P + A*W.
// Compiled by simulate.sh with -DTOP=<module> -DAW=<A/W width> -DPW=<P/Y width> -DNVEC=<vectors>.
// Reads +vectors=<file> with $readmemh: per vector the words A W P (hex); writes +out=<file>:
// one line per vector, Y in hex with PW/4 digits (x/z digits if the netlist leaves Y unknown).
`timescale 1ns/1ps
module tb_mac;
  localparam integer NV = `NVEC;
  reg [`PW-1:0] mem [0:3*NV-1];
  reg [`AW-1:0] A, W;
  reg [`PW-1:0] P;
  wire [`PW-1:0] Y;
  reg [8*4096-1:0] vec_file, out_file;
  integer fd, i;

  `TOP dut (.A(A), .W(W), .P(P), .Y(Y));

  initial begin
    if (!$value$plusargs("vectors=%s", vec_file)) $fatal(1, "tb_mac: missing +vectors=FILE");
    if (!$value$plusargs("out=%s", out_file)) $fatal(1, "tb_mac: missing +out=FILE");
    $readmemh(vec_file, mem);
    fd = $fopen(out_file, "w");
    if (fd == 0) $fatal(1, "tb_mac: cannot write %0s", out_file);
    for (i = 0; i < NV; i = i + 1) begin
      A = mem[3*i][`AW-1:0];
      W = mem[3*i+1][`AW-1:0];
      P = mem[3*i+2];
      #50;                       // settle (enough even with -gspecify cell delays)
      $fdisplay(fd, "%h", Y);
      #50;
    end
    $fclose(fd);
    $finish;
  end
endmodule
