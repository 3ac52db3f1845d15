#!/usr/bin/env bash
# Makes the judge's delay tables of the 8-bit osu018 MAC variants: upstream OpenSTA (built from commit
# d1b2b396) running the reference sweep script on all 256 codes of the weight bus (W, or wreg with
# clock clk for the registered variants), plus the no-case row. About 2.5 minutes on 2 cores.
# WINDOWS="0-15 240-255" sweeps only those code ranges (joined into one table).
#
#   STA=/tmp/opensta-build/sta Tests/HaloGeneratorsTests/Fixtures/make-opensta-tables.sh
#
# Writes Fixtures/opensta/<top>.csv ("code,delay_ns", first row "none"), one per osu018 row of
# Netlists/variants/MANIFEST.tsv with width 8. See PROVENANCE.md beside this script.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
STA="${STA:-/tmp/opensta-build/sta}"
LIB="${OSU018_LIB:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}"
tcl="$repo/Tests/HaloTimingTests/Fixtures/reference/opensta-sweep.tcl"
manifest="$repo/Netlists/variants/MANIFEST.tsv"
WINDOWS="${WINDOWS:-0-255}"
[[ -x "$STA" ]] || { echo "make-opensta-tables.sh: no OpenSTA binary at $STA (set STA=)" >&2; exit 1; }
[[ -f "$manifest" ]] || { echo "make-opensta-tables.sh: missing $manifest" >&2; exit 1; }

out="$here/opensta"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/halo-opensta.XXXXXX")"
trap 'rm -rf "$work"' EXIT
n=0
# Columns: file top buses weight_bus width ...
while IFS=$'\t' read -r file top _ bus width _; do
  [[ "$file" == osu018/* && "$width" == 8 ]] || continue
  clock=""; [[ "$bus" == wreg ]] && clock=clk
  parts=()
  for win in $WINDOWS; do
    first="${win%-*}" last="${win#*-}"
    LIBS="$LIB" NETLIST="$repo/Netlists/variants/$file" TOP="$top" BUS="$bus" WIDTH=8 CLOCK="$clock" \
      FIRST="$first" LAST="$last" OUT="$work/$top-$first.csv" \
      "$STA" -no_init -no_splash -exit "$tcl" > "$work/$top.log" 2>&1 ||
      { cat "$work/$top.log" >&2; echo "make-opensta-tables.sh: OpenSTA failed on $file" >&2; exit 1; }
    parts+=("$work/$top-$first.csv")
  done
  # One header and one 'none' row (the same in every window), then the codes in order.
  { head -2 "${parts[0]}"; for p in "${parts[@]}"; do tail -n +3 "$p"; done; } > "$out/$top.csv"
  n=$((n + 1))
done < <(tail -n +2 "$manifest")
echo "make-opensta-tables.sh: wrote $n tables to $out" >&2
