#!/usr/bin/env bash
# Regenerates the gate-level netlists in this directory from rtl/ with Yosys, then MANIFEST.tsv.
# Usage: Netlists/regenerate.sh        (any cwd; needs yosys, yosys-abc, qflow-tech-osu018)
# Output is deterministic: a second run reproduces every file byte for byte (with the same Yosys).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="${OSU018_LIB:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}"
GATES="AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX,AOI3,OAI3,AOI4,OAI4"
DESIGNS=(mac8 pe8 mac16)

command -v yosys >/dev/null || { echo "regenerate.sh: yosys not found" >&2; exit 1; }
[[ -f "$LIB" ]] || { echo "regenerate.sh: missing $LIB (apt-get install qflow-tech-osu018)" >&2; exit 1; }

# The Yosys script of each mapping; RTL/TOP/OUT are substituted per design. MANIFEST.tsv records
# these strings with the Liberty path, so keep them on one line.
osu018_cmd() { echo "read_verilog $1; synth -top $2; dfflibmap -liberty $LIB; abc -liberty $LIB; opt_clean; write_verilog -noattr -noexpr $3"; }
generic_cmd() { echo "read_verilog $1; synth -top $2; abc -g $GATES; opt_clean; write_verilog -noattr -noexpr $3"; }

# Run from $here so that the paths in the commands (and anything Yosys records) are relative.
cd "$here"
mkdir -p osu018 generic
for d in "${DESIGNS[@]}"; do
  for map in osu018 generic; do
    cmd="$("${map}_cmd" "rtl/$d.v" "$d" "$map/$d.v")"
    echo "yosys: $map/$d.v" >&2
    yosys -q -p "$cmd" > /dev/null
  done
done

# MANIFEST.tsv: one row per netlist (columns documented in README.md).
buses() {
  case "$1" in
    mac8)  echo "A:8 W:8 P:20 Y:20" ;;
    mac16) echo "A:16 W:16 P:40 Y:40" ;;
    pe8)   echo "clk:1 load_w:1 a_in:8 w_in:8 p_in:20 p_out:20 a_out:8" ;;
  esac
}
width() { case "$1" in mac16) echo 16 ;; *) echo 8 ;; esac; }
weight_bus() { case "$1" in pe8) echo wreg ;; *) echo W ;; esac; }
# Cell instances, one per line "  TYPE NAME (" in write_verilog output (TYPE may be escaped: \$_AND_);
# prints "TYPE count" pairs sorted by type.
cell_histogram() { awk '/^  [^ ].* \($/ { t = $1; sub(/^\\/, "", t); n[t]++ } END { for (t in n) print t, n[t] }' "$1" | LC_ALL=C sort; }
{
  printf 'file\ttop\tbuses\tweight_bus\twidth\tsigned\tformat\tcells\tcell_types\tmapping\n'
  for map in osu018 generic; do
    for d in "${DESIGNS[@]}"; do
      f="$map/$d.v"
      hist="$(cell_histogram "$f")"
      cells="$(awk '{ s += $2 } END { print s }' <<<"$hist")"
      types="$(awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2 }' <<<"$hist")"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$d" "$(buses "$d")" "$(weight_bus "$d")" \
        "$(width "$d")" yes int "$cells" "$types" "$("${map}_cmd" "rtl/$d.v" "$d" "$f")"
    done
  done
} > MANIFEST.tsv
echo "regenerate.sh: wrote $(($(wc -l < MANIFEST.tsv) - 1)) netlists, MANIFEST.tsv" >&2
