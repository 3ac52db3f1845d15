#!/usr/bin/env bash
# Regenerates the MAC variant corpus in this directory: generic/<top>.v from `halo generate mac`, their
# Yosys mappings to the OSU 0.18 um cells in osu018/<top>.v, and MANIFEST.tsv (columns in ../README.md,
# section "MAC variants").
#
#   Netlists/variants/regenerate.sh            # any cwd; needs swift (or HALO=...), yosys, qflow-tech-osu018
#
# Environment (optional):
#   HALO=/path/to/halo     use this binary instead of building one
#   SCRATCH=/tmp/halo-variants-build   swift build scratch path (the binary is SCRATCH/release/halo)
#   JOBS=$(nproc)          parallel Yosys runs
#   OSU018_LIB=...         the Liberty file (default /usr/share/qflow/tech/osu018/osu018_stdcells.lib)
#
# Deterministic: a second run reproduces every file byte for byte (same halo, Yosys 0.23).
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
LIB="${OSU018_LIB:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}"
JOBS="${JOBS:-$(nproc)}"
SCRATCH="${SCRATCH:-/tmp/halo-variants-build}"

command -v yosys >/dev/null || { echo "regenerate.sh: yosys not found (apt-get install yosys)" >&2; exit 1; }
[[ -f "$LIB" ]] || { echo "regenerate.sh: missing $LIB (apt-get install qflow-tech-osu018)" >&2; exit 1; }
if [[ -z "${HALO:-}" ]]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  echo "regenerate.sh: building halo (release) in $SCRATCH" >&2
  (cd "$repo" && swift build -c release --product halo --scratch-path "$SCRATCH" >&2)
  HALO="$SCRATCH/release/halo"
fi

# The variants, one `halo generate mac` option list a line.
variants() {
  local adders=(ripple kogge-stone brent-kung sklansky)
  local kinds=("array --unsigned" "baugh-wooley --signed" "wallace --unsigned" "wallace --signed"
               "dadda --unsigned" "dadda --signed" "booth4 --unsigned" "booth4 --signed")
  local natural=("array --unsigned" "baugh-wooley --signed" "wallace --signed" "dadda --signed" "booth4 --signed")
  local w k a m
  # Every integer multiplier x signedness x adder at 4 and 8 bits.
  for w in 4 8; do
    for k in "${kinds[@]}"; do
      for a in "${adders[@]}"; do echo "--multiplier ${k% *} --adder $a --width $w ${k#* }"; done
    done
  done
  # 16 bits: the array and radix-4 Booth with a ripple and a Kogge-Stone adder.
  for k in "array --unsigned" "booth4 --signed"; do
    for a in ripple kogge-stone; do echo "--multiplier ${k% *} --adder $a --width 16 ${k#* }"; done
  done
  # FP8 E4M3 x E4M3 into the 41-bit fixed-point accumulator: every significand multiplier x adder.
  for m in array wallace dadda booth4; do
    for a in "${adders[@]}"; do echo "--multiplier $m --adder $a --width 8 --signed --format e4m3"; done
  done
  # FP16 and BF16 x FP16/BF16 + FP32 -> FP32 (fused multiply-add, GPU tensor-core style): the carry-save array
  # and radix-4 Booth significand multipliers, Kogge-Stone adders in the alignment/normalization datapath.
  for f in fp16 bf16; do
    for m in array booth4; do echo "--multiplier $m --adder kogge-stone --width 16 --signed --format $f"; done
  done
  # Registered processing elements (wreg/areg/preg/Y registers), Kogge-Stone adder.
  for k in "${natural[@]}"; do echo "--multiplier ${k% *} --adder kogge-stone --width 8 ${k#* } --registered"; done
  echo "--multiplier booth4 --adder kogge-stone --width 8 --signed --format e4m3 --registered"
  # Plain multipliers (Y = A*W), ripple adder.
  for k in "${natural[@]}"; do echo "--multiplier ${k% *} --adder ripple --width 8 ${k#* } --no-accumulate"; done
  echo "--multiplier array --adder ripple --width 8 --signed --format e4m3 --no-accumulate"
}

osu018_cmd() { echo "read_verilog -icells $1; synth -top $2; dfflibmap -liberty $LIB; abc -liberty $LIB; opt_clean; write_verilog -noattr -noexpr $3"; }

cd "$here"
rm -rf generic osu018
mkdir -p generic osu018
: > variants.list.tmp
while read -r opts; do
  # shellcheck disable=SC2086  # opts is a list of options
  "$HALO" generate mac $opts -o generic/tmp.v 2>/dev/null
  top="$(sed -n 's/^module \([A-Za-z0-9_$]*\)(.*/\1/p' generic/tmp.v)"
  [[ -n "$top" && ! -e "generic/$top.v" ]] || { echo "regenerate.sh: bad or duplicate module '$top' from: $opts" >&2; exit 1; }
  mv generic/tmp.v "generic/$top.v"
  printf '%s\t%s\n' "$top" "$opts" >> variants.list.tmp
done < <(variants)
echo "regenerate.sh: $(wc -l < variants.list.tmp) generic netlists from halo generate" >&2

# Yosys, in parallel (each run is independent and deterministic).
export LIB
export -f osu018_cmd
cut -f1 variants.list.tmp | xargs -P "$JOBS" -I{} bash -c \
  'yosys -q -p "$(osu018_cmd generic/{}.v {} osu018/{}.v)" > /dev/null || { echo "yosys failed on {}" >&2; exit 255; }'
echo "regenerate.sh: mapped to osu018 with Yosys" >&2

# MANIFEST.tsv
cells() {   # "TYPE:count,..." and the total, one instance a line "  TYPE NAME (" (both writers)
  awk '/^  [^ ]/ && $1 !~ /^(input|output|inout|wire|reg|assign|module|endmodule)$/ && /\(/ {
         t = $1; sub(/^\\/, "", t); n[t]++; s++ }
       END { for (t in n) print t, n[t] }' "$1" | sort | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2; s += $2 } END { printf "\t%d", s }'
}
buses() {   # ports in header order as name:bits
  awk '/^module / { sub(/^module [^(]*\(/, ""); sub(/\);.*/, ""); gsub(/ /, ""); n = split($0, order, ",") }
       /^  (input|output) / { name = $NF; sub(/;$/, "", name); w = 1
         if ($2 ~ /^\[/) { r = $2; gsub(/[\[\]]/, "", r); split(r, lr, ":"); w = lr[1] - lr[2] + 1 }
         width[name] = w }
       END { for (i = 1; i <= n; i++) printf "%s%s:%s", (i > 1 ? " " : ""), order[i], width[order[i]] }' "$1"
}
opt() { sed -n "s/.*--$2 \([^ ]*\).*/\1/p" <<<"$1"; }
has() { [[ " $1 " == *" --$2 "* ]] && echo yes || echo no; }
{
  printf 'file\ttop\tbuses\tweight_bus\twidth\tsigned\tformat\tmultiplier\tadder\tacc_width\taccumulate\tregistered\tcell_types\tcells\tgenerator\tmapping\n'
  for map in generic osu018; do
    while IFS=$'\t' read -r top opts; do
      f="$map/$top.v"
      b="$(buses "$f")"
      acc="$(sed -n 's/.*Y:\([0-9]*\).*/\1/p' <<<"$b")"
      format="$(opt "$opts" format)"; format="${format:-int}"
      signed="$(has "$opts" signed)"
      [[ "$format" != int ]] && signed=sign-magnitude
      wbus=W; [[ "$(has "$opts" registered)" == yes ]] && wbus=wreg
      accumulate=yes; [[ "$(has "$opts" no-accumulate)" == yes ]] && accumulate=no
      if [[ $map == generic ]]; then mapping="none: halo generate output (Yosys internal cells)"
      else mapping="$(osu018_cmd "generic/$top.v" "$top" "$f") (ABC restructures the logic)"; fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$top" "$b" "$wbus" \
        "$(opt "$opts" width)" "$signed" "$format" "$(opt "$opts" multiplier)" "$(opt "$opts" adder)" "$acc" \
        "$accumulate" "$(has "$opts" registered)" "$(cells "$f")" "halo generate mac $opts" "$mapping"
    done < variants.list.tmp
  done
} > MANIFEST.tsv
rm -f variants.list.tmp
echo "regenerate.sh: wrote $(($(wc -l < MANIFEST.tsv) - 1)) netlists, MANIFEST.tsv ($(du -sh . | cut -f1))" >&2
