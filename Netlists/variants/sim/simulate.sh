#!/usr/bin/env bash
# Simulates a MAC variant netlist (Netlists/variants) on a vector file with Icarus Verilog.
#
#   simulate.sh NETLIST TOP VECTORS_IN OUT [CELL_MODELS.v ...]
#
# The ports are read from the netlist's module header: A, W (AW bits), P (absent for a plain
# multiplier), Y (PW bits), and clk/load_w for a registered variant (protocol in tb_variant.v).
# CELL_MODELS.v: Verilog models of the cells, e.g. /usr/share/qflow/tech/osu018/osu018_stdcells.v for
# osu018/*.v; when none is given and the netlist uses Yosys internal cells ($_AND_, $_DFF_P_, ...),
# Yosys's simcells.v is used. IVERILOG_FLAGS adds iverilog flags (e.g. -gspecify).
# Vectors: per line "A W P" in hex (two's complement, zero-padded), as Netlists/sim/README.md; the
# output has one line per vector, Y in hex. Exit status 0 iff the simulation ran and wrote every line.
set -euo pipefail

usage() { echo "usage: $0 NETLIST TOP VECTORS_IN OUT [CELL_MODELS.v ...]" >&2; exit 2; }
[[ $# -ge 4 ]] || usage
netlist="$1" top="$2" vectors="$3" out="$4"
shift 4
models=("$@")
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -f "$netlist" ]] || { echo "simulate.sh: no netlist $netlist" >&2; exit 2; }
[[ -f "$vectors" ]] || { echo "simulate.sh: no vector file $vectors" >&2; exit 2; }

# Port widths from the declarations "  input [7:0] A;" (both halo's and Yosys's writers).
width() { awk -v p="$1" '$1 ~ /^(input|output)$/ { n = $NF; sub(/;$/, "", n)
           if (n == p) { w = 1; if ($2 ~ /^\[/) { r = $2; gsub(/[\[\]]/, "", r); split(r, lr, ":"); w = lr[1] - lr[2] + 1 }; print w; exit } }' "$netlist"; }
aw="$(width A)" pw="$(width Y)"
[[ -n "$aw" && -n "$pw" ]] || { echo "simulate.sh: $netlist has no A or Y port" >&2; exit 2; }
defs=(-DTOP="$top" -DAW="$aw" -DPW="$pw" -DMW="$(( aw > pw ? aw : pw ))")
[[ -n "$(width P)" ]] && defs+=(-DHAS_P)
[[ -n "$(width clk)" ]] && defs+=(-DREGISTERED)

if [[ ${#models[@]} -eq 0 ]] && grep -q '\\\$_' "$netlist"; then
  dat=""
  if command -v yosys-config >/dev/null; then dat="$(yosys-config --datdir)"
  elif command -v yosys >/dev/null; then dat="$(dirname "$(readlink -f "$(command -v yosys)")")/../share/yosys"; fi
  [[ -f "$dat/simcells.v" ]] || { echo "simulate.sh: cannot find Yosys simcells.v" >&2; exit 2; }
  models=("$dat/simcells.v")
fi

words="$(sed 's://.*$::' "$vectors" | wc -w)"
(( words > 0 && words % 3 == 0 )) ||
  { echo "simulate.sh: $vectors has $words words, expected 3 per vector (A W P)" >&2; exit 2; }
nvec=$((words / 3))

work="$(mktemp -d "${TMPDIR:-/tmp}/halo-variant-sim.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086  # IVERILOG_FLAGS is a list of flags
iverilog -g2005 -Ttyp ${IVERILOG_FLAGS:-} -o "$work/sim.vvp" -s tb_variant "${defs[@]}" -DNVEC="$nvec" \
  "$here/tb_variant.v" "$netlist" ${models[@]+"${models[@]}"}
vvp -n "$work/sim.vvp" "+vectors=$vectors" "+out=$out" > "$work/vvp.log" 2>&1 || {
  cat "$work/vvp.log" >&2; echo "simulate.sh: vvp failed" >&2; exit 1; }
if grep -qiE 'error|fatal|warning' "$work/vvp.log"; then cat "$work/vvp.log" >&2; fi
got="$(wc -l < "$out")"
[[ "$got" -eq "$nvec" ]] || { echo "simulate.sh: wrote $got of $nvec vectors" >&2; exit 1; }
