#!/bin/bash
# Large inputs: read times and peak memory of a generated 1,000,000-cell netlist and a 100 MB Liberty
# file, each also at 1/4 and 1/2 of the size to show that reading is linear.
#
#   Benchmarks/large-inputs.sh                 # builds halo (release) if needed; files in /tmp/halo-large
#   HALO=/path/to/halo WORK=/tmp/x Benchmarks/large-inputs.sh
#
# Netlist: 1000 inputs, L layers of 1000 two-input NAND gate primitives (timed with the embedded generic
# library), each gate fed by two neighbours of the previous layer; 1000 outputs. 'halo report' reads,
# flattens, builds the timing graph and times it once (no case analysis).
# Liberty: the cells of osu018 (or of Tests/Fixtures/bad/_ok.lib when qflow is not installed) repeated
# under new names up to the size; 'halo report' of a one-wire netlist reads the whole library.
# Time and peak memory are from /usr/bin/time (wall seconds, user+system CPU seconds, maximum resident
# set size). Reading is single-threaded, so CPU ≈ wall on an idle machine.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/halo-large}
mkdir -p "$WORK"
if [ -z "${HALO:-}" ]; then
  (cd "$ROOT" && swift build -c release >&2)
  HALO=$(cd "$ROOT" && swift build -c release --show-bin-path)/halo
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time (/usr/bin/time; Debian: apt-get install time)" >&2; exit 1; }

netlist() { # layers -> file
  local layers=$1 f="$WORK/grid-$1.v"
  [ -f "$f" ] && { echo "$f"; return; }
  awk -v L="$layers" -v W=1000 'BEGIN {
    printf "// %d-cell NAND grid: %d layers of %d gates\nmodule grid (a, y);\n  input [%d:0] a;\n  output [%d:0] y;\n", L*W, L, W, W-1, W-1
    for (l = 1; l < L; l++) printf "  wire [%d:0] n%d;\n", W-1, l
    for (l = 1; l <= L; l++) {
      for (i = 0; i < W; i++) {
        j = (i + 1) % W
        if (l == 1) { p = "a[" i "]"; q = "a[" j "]" } else { p = "n" (l-1) "[" i "]"; q = "n" (l-1) "[" j "]" }
        o = (l == L) ? "y[" i "]" : "n" l "[" i "]"
        printf "  nand g%d_%d (%s, %s, %s);\n", l, i, o, p, q
      }
    }
    print "endmodule"
  }' > "$f"
  echo "$f"
}

liberty() { # megabytes -> file
  local mb=$1 f="$WORK/big-$1MB.lib"
  [ -f "$f" ] && { echo "$f"; return; }
  local src=/usr/share/qflow/tech/osu018/osu018_stdcells.lib
  [ -f "$src" ] || src=$ROOT/Tests/Fixtures/bad/_ok.lib
  awk -v target=$((mb * 1000000)) '
    { line[NR] = $0 }
    END {
      first = 0; last = NR
      for (k = 1; k <= NR; k++) if (!first && line[k] ~ /^[ \t]*cell[ \t]*\(/) first = k
      while (last > 0 && line[last] !~ /^[ \t]*}[ \t]*$/) last--
      size = 0
      for (k = 1; k < first; k++) { print line[k]; size += length(line[k]) + 1 }
      for (copy = 0; size < target; copy++) {
        for (k = first; k < last; k++) {
          s = line[k]
          if (s ~ /^[ \t]*cell[ \t]*\(/) sub(/\)/, "_" copy ")", s)
          print s; size += length(s) + 1
        }
      }
      print "}"
    }' "$src" > "$f"
  echo "$f"
}

measure() { # label, command...
  local label=$1; shift
  "$TIME" -f "TIME %e %U %S %M" -o "$WORK/time.txt" "$@" > /dev/null 2> "$WORK/stderr.txt" \
    || echo "$label: failed: $(head -1 "$WORK/stderr.txt")" >&2
  local t u s m
  read -r _ t u s m <<< "$(grep '^TIME' "$WORK/time.txt" | tail -1)"
  printf '| %s | %s | %s | %s | %d |\n' "$label" "$(( $(stat -c %s "$FILE") / 1000000 ))" "$t" \
    "$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')" "$((m / 1024))"
}

echo "| input | size (MB) | wall (s) | CPU (s) | peak RSS (MB) |"
echo "|---|---|---|---|---|"
printf 'module wire1 (input a, output y);\n  assign y = a;\nendmodule\n' > "$WORK/wire1.v"
for layers in ${LAYERS:-250 500 1000}; do
  FILE=$(netlist "$layers")
  measure "netlist, $((layers * 1000)) cells" "$HALO" report "$FILE"
done
for mb in ${MEGABYTES:-25 50 100}; do
  FILE=$(liberty "$mb")
  measure "Liberty, $(grep -c '^[ \t]*cell[ \t]*(' "$FILE") cells" "$HALO" report "$WORK/wire1.v" --liberty "$FILE"
done
