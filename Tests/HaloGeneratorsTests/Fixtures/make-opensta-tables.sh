#!/usr/bin/env bash
# Makes the judge's delay tables of the osu018 MAC variants: upstream OpenSTA (built from commit
# d1b2b396) running the reference sweep script on the weight bus (W, or wreg with clock clk for the
# registered variants), plus the no-case row: all 256 codes of the 8-bit variants, and slices of the
# 65,536 codes of the FP16/BF16 ones (FP16_WINDOWS, BF16_WINDOWS). About 3 minutes on 2 cores.
# WINDOWS="0-15 240-255" sweeps only those code ranges of the 8-bit variants (joined into one table);
# ONLY=REGEX makes only the tables of the netlists whose file matches.
#
#   STA=/tmp/opensta-build/sta Tests/HaloGeneratorsTests/Fixtures/make-opensta-tables.sh
#
# Writes Fixtures/opensta/<top>.csv ("code,delay_ns", first row "none"), one per osu018 row of
# Netlists/variants/MANIFEST.tsv with width 8 or format fp16/bf16. See PROVENANCE.md beside this script.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
STA="${STA:-/tmp/opensta-build/sta}"
LIB="${OSU018_LIB:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}"
tcl="$repo/Tests/HaloTimingTests/Fixtures/reference/opensta-sweep.tcl"
manifest="$repo/Netlists/variants/MANIFEST.tsv"
WINDOWS="${WINDOWS:-0-255}"
# FP slices (64 codes each): +0 and the smallest subnormals; around 1.0; the largest finite values, +inf
# and the first NaNs (no path); around -1.0.
FP16_WINDOWS="${FP16_WINDOWS:-0-63 15328-15391 31712-31775 48128-48191}"
BF16_WINDOWS="${BF16_WINDOWS:-0-63 16224-16287 32608-32671 49024-49087}"
ONLY="${ONLY:-}"
[[ -x "$STA" ]] || { echo "make-opensta-tables.sh: no OpenSTA binary at $STA (set STA=)" >&2; exit 1; }
[[ -f "$manifest" ]] || { echo "make-opensta-tables.sh: missing $manifest" >&2; exit 1; }

out="$here/opensta"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/halo-opensta.XXXXXX")"
trap 'rm -rf "$work"' EXIT
n=0
# Columns: file top buses weight_bus width signed format ...
while IFS=$'\t' read -r file top _ bus width _ format _; do
  [[ "$file" == osu018/* ]] || continue
  [[ -z "$ONLY" || "$file" =~ $ONLY ]] || continue
  case "$width/$format" in
    8/*) windows="$WINDOWS" ;;
    16/fp16) windows="$FP16_WINDOWS" ;;
    16/bf16) windows="$BF16_WINDOWS" ;;
    *) continue ;;
  esac
  clock=""; [[ "$bus" == wreg ]] && clock=clk
  parts=()
  for win in $windows; do
    first="${win%-*}" last="${win#*-}"
    LIBS="$LIB" NETLIST="$repo/Netlists/variants/$file" TOP="$top" BUS="$bus" WIDTH="$width" CLOCK="$clock" \
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
