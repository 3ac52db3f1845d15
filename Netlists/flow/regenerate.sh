#!/usr/bin/env bash
# Registered MACs with a clock tree, for the clock-mode parity tests: ../pdk/<pdk>/pe8.v with the clock
# port `clk` driving the 36 registers through a small, deliberately unbalanced tree of real clock cells,
# so that launch and capture latencies differ from register to register.
#
#   Netlists/flow/regenerate.sh        # any cwd; needs only awk
#
#   sky130hd: clk -> clkbuf_8 root -> leaves clkbuf_2 (4 registers), clkbuf_4 (8), clkbuf_4 (10), and
#             clkbuf_1 -> clkbuf_2 (14): one leaf a buffer deeper than the others.
#   ihp-sg13g2: clk -> inv_4 root -> leaves inv_1 (4), inv_2 (8), inv_2 (10), buf_1 -> inv_1 (14):
#             inverting stages, two inversions on every path, so every register still captures on the
#             rising edge of clk (Halo refuses registers that capture on both edges).
# Registers are given to leaves in the order they appear in the netlist. Deterministic.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# add_tree INPUT OUTPUT CLOCK_PIN "leaf sizes" "cell definitions"
# Each cell definition is "TYPE NAME IN_PIN OUT_PIN INPUT_NET OUTPUT_NET"; leaves are nets leaf0.. leafN.
add_tree() {
  awk -v pin="$3" -v sizes="$4" -v cells="$5" '
    BEGIN {
      n = split(sizes, size, " "); k = 0; used = 0
      nc = split(cells, cell, ";")
    }
    /^module / { inmod = 1 }
    index($0, "." pin "(clk)") {
      while (k < n && used >= size[k + 1]) { k++; used = 0 }
      sub("\\." pin "\\(clk\\)", "." pin "(cts_leaf" k ")")
      used++
    }
    /^endmodule/ {
      for (i = 0; i < n; i++) print "  wire cts_leaf" i ";"
      for (c = 1; c <= nc; c++) {
        split(cell[c], f, " ")
        if (f[6] !~ /^cts_leaf/) print "  wire " f[6] ";"
      }
      for (c = 1; c <= nc; c++) {
        split(cell[c], f, " ")
        printf "  %s %s (\n    .%s(%s),\n    .%s(%s)\n  );\n", f[1], f[2], f[3], f[5], f[4], f[6]
      }
    }
    { print }
  ' "$1" > "$2"
}

add_tree "$here/../pdk/sky130hd/pe8.v" "$here/pe8_cts_sky130hd.v" CLK "4 8 10 14" \
  "sky130_fd_sc_hd__clkbuf_8 cts_root A X clk cts_root_net;sky130_fd_sc_hd__clkbuf_2 cts_l0 A X cts_root_net cts_leaf0;sky130_fd_sc_hd__clkbuf_4 cts_l1 A X cts_root_net cts_leaf1;sky130_fd_sc_hd__clkbuf_4 cts_l2 A X cts_root_net cts_leaf2;sky130_fd_sc_hd__clkbuf_1 cts_m3 A X cts_root_net cts_mid3;sky130_fd_sc_hd__clkbuf_2 cts_l3 A X cts_mid3 cts_leaf3"
add_tree "$here/../pdk/ihp-sg13g2/pe8.v" "$here/pe8_cts_ihp-sg13g2.v" CLK "4 8 10 14" \
  "sg13g2_inv_4 cts_root A Y clk cts_root_net;sg13g2_inv_1 cts_l0 A Y cts_root_net cts_leaf0;sg13g2_inv_2 cts_l1 A Y cts_root_net cts_leaf1;sg13g2_inv_2 cts_l2 A Y cts_root_net cts_leaf2;sg13g2_buf_1 cts_m3 A X cts_root_net cts_mid3;sg13g2_inv_1 cts_l3 A Y cts_mid3 cts_leaf3"
echo "regenerate.sh: wrote pe8_cts_sky130hd.v, pe8_cts_ihp-sg13g2.v" >&2
