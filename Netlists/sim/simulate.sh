#!/usr/bin/env bash
# Simulates a gate-level (or RTL) MAC netlist on a vector file with Icarus Verilog.
#
#   simulate.sh NETLIST TOP VECTORS_IN OUT [CELL_MODELS.v ...]
#
# TOP selects the testbench: mac8, mac16 (combinational, tb_mac.v) or pe8 (registered, tb_pe.v);
# another top needs HALO_SIM_FAMILY=mac|pe, HALO_SIM_AW=<A/W bits>, HALO_SIM_PW=<P/Y bits>.
# CELL_MODELS.v: Verilog models of the library cells, e.g.
#   /usr/share/qflow/tech/osu018/osu018_stdcells.v   for the osu018 netlists.
# If none is given and the netlist instantiates Yosys internal cells ($_AND_, $_DFF_P_, ...),
# Yosys's simcells.v is used from the Yosys installation (`yosys-config --datdir`, else
# <prefix of yosys>/share/yosys). Extra iverilog flags: IVERILOG_FLAGS (e.g. -gspecify for the
# cell models' specify delays; by default they are ignored: zero-delay functional simulation).
# Vector and output formats: see README.md in this directory. Exit status 0 iff the simulation ran.
set -euo pipefail

usage() { echo "usage: $0 NETLIST TOP VECTORS_IN OUT [CELL_MODELS.v ...]" >&2; exit 2; }
[[ $# -ge 4 ]] || usage
netlist="$1" top="$2" vectors="$3" out="$4"
shift 4
models=("$@")
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case "$top" in
  mac8)  family=mac aw=8  pw=20 ;;
  mac16) family=mac aw=16 pw=40 ;;
  pe8)   family=pe  aw=8  pw=20 ;;
  *)     family="${HALO_SIM_FAMILY:-}" aw="${HALO_SIM_AW:-}" pw="${HALO_SIM_PW:-}" ;;
esac
family="${HALO_SIM_FAMILY:-$family}" aw="${HALO_SIM_AW:-$aw}" pw="${HALO_SIM_PW:-$pw}"
[[ -n "$family" && -n "$aw" && -n "$pw" ]] ||
  { echo "simulate.sh: unknown top '$top': set HALO_SIM_FAMILY, HALO_SIM_AW, HALO_SIM_PW" >&2; exit 2; }
[[ -f "$netlist" ]] || { echo "simulate.sh: no netlist $netlist" >&2; exit 2; }
[[ -f "$vectors" ]] || { echo "simulate.sh: no vector file $vectors" >&2; exit 2; }

simcells() {
  local dat=""
  if command -v yosys-config >/dev/null; then dat="$(yosys-config --datdir)"
  elif command -v yosys >/dev/null; then dat="$(dirname "$(readlink -f "$(command -v yosys)")")/../share/yosys"
  fi
  [[ -f "$dat/simcells.v" ]] || { echo "simulate.sh: cannot find Yosys simcells.v" >&2; exit 2; }
  echo "$dat/simcells.v"
}
if [[ ${#models[@]} -eq 0 ]] && grep -q '\\\$_' "$netlist"; then models=("$(simcells)"); fi

# Number of vectors = hex words (outside // comments) / 3.
words="$(sed 's://.*$::' "$vectors" | wc -w)"
(( words > 0 && words % 3 == 0 )) ||
  { echo "simulate.sh: $vectors has $words words, expected 3 per vector (A W P)" >&2; exit 2; }
nvec=$((words / 3))

work="$(mktemp -d "${TMPDIR:-/tmp}/halo-sim.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086  # IVERILOG_FLAGS is a list of flags
iverilog -g2005 -Ttyp ${IVERILOG_FLAGS:-} -o "$work/sim.vvp" -s "tb_$family" \
  -DTOP="$top" -DAW="$aw" -DPW="$pw" -DNVEC="$nvec" \
  "$here/tb_$family.v" "$netlist" ${models[@]+"${models[@]}"}
vvp -n "$work/sim.vvp" "+vectors=$vectors" "+out=$out" > "$work/vvp.log" 2>&1 || {
  cat "$work/vvp.log" >&2; echo "simulate.sh: vvp failed" >&2; exit 1; }
if grep -qiE 'error|fatal|warning' "$work/vvp.log"; then cat "$work/vvp.log" >&2; fi
got="$(wc -l < "$out")"
[[ "$got" -eq "$nvec" ]] || { echo "simulate.sh: wrote $got of $nvec vectors" >&2; exit 1; }
