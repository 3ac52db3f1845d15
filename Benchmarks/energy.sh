#!/usr/bin/env bash
# Energy per weight code: wall and CPU time of `halo characterize --energy` on the 8-bit osu018 MAC,
# 10,000 vectors × 256 codes (target: under a minute on 2 cores), plus the glitch-aware option and the
# 16-bit MAC for scale. Writes Benchmarks/results/energy.md, energy-mac8-osu018.csv and the plot
# energy-mac8-osu018.svg (energy per operation against the signed weight), and prints the report.
#
#   Benchmarks/energy.sh
#
# Environment (all optional):
#   VECTORS=10000     vectors per code
#   THREADS=2         --threads of every run
#   REPEAT=3          runs of each short measurement (best wall time kept; a run over 10 s runs once)
#   GLITCH=1          also time the glitch-aware (event-driven) sweep; 0 skips it
#   MAC16=1           also time mac16 (2,168 cells), codes 0-255; 0 skips it
#   HALO=/path/halo   use this binary instead of building one
#   SCRATCH=/tmp/halo-energy-bench-build   swift build scratch path
#   RESULTS=<repo>/Benchmarks/results      where energy.md, the CSV and the SVG go
set -euo pipefail
export LC_ALL=C
exec </dev/null

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
start_s=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
VECTORS="${VECTORS:-10000}"
THREADS="${THREADS:-2}"
REPEAT="${REPEAT:-3}"
GLITCH="${GLITCH:-1}"
MAC16="${MAC16:-1}"
SCRATCH="${SCRATCH:-/tmp/halo-energy-bench-build}"
RESULTS="${RESULTS:-$bench_dir/results}"
lib=/usr/share/qflow/tech/osu018/osu018_stdcells.lib
mac8="$repo/Netlists/osu018/mac8.v"
mac16="$repo/Netlists/osu018/mac16.v"
[[ -f "$lib" ]] || { echo "energy.sh: $lib is missing (Debian package qflow-tech-osu018)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "energy.sh: /usr/bin/time is missing (Debian package time)" >&2; exit 1; }

if [[ -z "${HALO:-}" ]]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  echo "energy.sh: building halo (swift build -c release --scratch-path $SCRATCH)" >&2
  (cd "$repo" && swift build -c release --product halo --scratch-path "$SCRATCH" >&2)
  HALO="$SCRATCH/release/halo"
  built="release build of the working tree"
else
  built="given binary \`$HALO\`"
fi
mkdir -p "$RESULTS"
work="$(mktemp -d "${TMPDIR:-/tmp}/halo-energy-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# measure NAME RUNS CMD...: best wall time of RUNS runs (one run if it takes over 10 s); sets
# wall, cpu (user+sys of that run) and rss (MiB).
measure() {
  local name="$1" runs="$2"; shift 2
  wall="" cpu="" rss=""
  local k
  for ((k = 0; k < runs; k++)); do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" ||
      { cat "$work/err" >&2; echo "energy.sh: '$name' failed" >&2; exit 1; }
    read -r w u s m < "$work/time"
    if [[ -z "$wall" ]] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then
      wall="$w"; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }'); rss=$(awk -v m="$m" 'BEGIN { printf "%.1f", m / 1024 }')
    fi
    awk -v w="$w" 'BEGIN { exit !(w > 10) }' && break
  done
  echo "energy.sh: $name: ${wall} s wall, ${cpu} s CPU" >&2
}

rows=()
row() {   # label codes vectors
  local per=$(awk -v w="$wall" -v c="$2" -v v="$3" 'BEGIN { printf "%.0f", c * v / w }')
  rows+=("| $1 | $2 | $3 | $wall | $cpu | $per | $rss |")
}

common=(characterize "$mac8" --liberty "$lib" --bus W --threads "$THREADS" --quiet)
measure "mac8 delays only" "$REPEAT" "$HALO" "${common[@]}"
rows+=("| mac8, delays only (no --energy) | 256 | — | $wall | $cpu | — | $rss |")
measure "mac8 energy, zero-delay" "$REPEAT" "$HALO" "${common[@]}" --energy --vectors "$VECTORS" -o "$work/mac8.json"
row "mac8, \`--energy\` (zero-delay, bit-parallel)" 256 "$VECTORS"
zero_wall="$wall" zero_cpu="$cpu"
"$HALO" "${common[@]}" --energy --vectors "$VECTORS" -o "$RESULTS/energy-mac8-osu018.csv"
if [[ "$GLITCH" == 1 ]]; then
  measure "mac8 energy, glitch-aware" 1 "$HALO" "${common[@]}" --energy --vectors "$VECTORS" --glitch -o "$work/glitch.csv"
  row "mac8, \`--energy --glitch\` (event-driven, per-arc delays)" 256 "$VECTORS"
fi
if [[ "$MAC16" == 1 ]]; then
  measure "mac16 energy, zero-delay" "$REPEAT" "$HALO" characterize "$mac16" --liberty "$lib" --bus W --codes 0-255 \
    --threads "$THREADS" --quiet --energy --vectors "$VECTORS" -o "$work/mac16.csv"
  row "mac16 (2,168 cells), \`--energy\`, codes 0-255" 256 "$VECTORS"
fi

# Energy summary of the mac8 table (codes are unsigned; the weight is the two's complement value).
csv="$RESULTS/energy-mac8-osu018.csv"
read -r e0 emin emin_code emean emax emax_code enone t0 ncodes < <(awk -F, '
  NR == 1 || $1 == "none" { if ($1 == "none") none = $5; next }
  { n++; s += $5; if ($1 == 0) { z = $5; tz = $6 }
    else if (min == "" || $5 < min) { min = $5; mc = $1 }
    if (max == "" || $5 > max) { max = $5; xc = $1 } }
  END { printf "%.1f %.1f %d %.1f %.1f %d %.1f %.2f %d\n", z, min, mc, s / n, max, xc, none, tz, n }' "$csv")
signed() { local c=$1; (( c >= 128 )) && echo $((c - 256)) || echo "$c"; }
leak=$(awk -F'"leakage_nw": ' 'NF > 1 { split($2, a, "}"); printf "%.1f", a[1]; exit }' "$work/mac8.json")
glitch_line=""
if [[ "$GLITCH" == 1 ]]; then
  glitch_line=$(paste -d, "$csv" "$work/glitch.csv" | awk -F, 'NR > 1 && $1 != "none" { r += $11 / $5; t += $12 / $6; n++ }
    END { printf "- Glitch-aware / zero-delay, mean over the 256 codes: energy %.2f×, toggles %.2f×.", r / n, t / n }')
fi

# The plot: energy per operation against the signed weight, and the level with the weight free.
svg="$RESULTS/energy-mac8-osu018.svg"
awk -F, -v vectors="$VECTORS" -v none="$enone" '
  NR == 1 || $1 == "none" { next }
  { c = $1 + 0; w = c >= 128 ? c - 256 : c; x[n] = w; y[n] = $5 + 0; n++; if (y[n - 1] > ymax) ymax = y[n - 1] }
  END {
    if (none > ymax) ymax = none
    raw = ymax / 5; mag = 1; while (mag * 10 <= raw) mag *= 10
    step = raw <= mag ? mag : (raw <= 2 * mag ? 2 * mag : (raw <= 5 * mag ? 5 * mag : 10 * mag))
    ticks = int(ymax / step) + 1; top = ticks * step; W = 900; H = 420; L = 80; R = 20; T = 50; B = 60
    pw = W - L - R; ph = H - T - B
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n", W, H, W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"22\" font-size=\"16\" font-weight=\"bold\">Energy per MAC operation by weight: mac8, osu018</text>\n", L
    printf "<text x=\"%d\" y=\"40\" font-size=\"11\" fill=\"#555\">%d uniform random activations on A (seed 1), P = 0, weight W held; zero-delay toggles; switching ½CV² at 1.8 V + Liberty internal_power</text>\n", L, vectors
    for (k = 0; k <= ticks; k++) {
      v = step * k; py = T + ph - ph * v / top
      printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n", L, py, L + pw, py
      printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n", L - 6, py + 4, v / 1000
    }
    for (w = -128; w <= 128; w += 32) {
      px = L + pw * (w + 128) / 255
      printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e5e5\"/>\n", px, T, px, T + ph
      printf "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>\n", px, T + ph + 16, (w == 128 ? 127 : w)
    }
    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", L, T, pw, ph
    printf "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">weight value (two'"'"'s complement code)</text>\n", L + pw / 2, H - 18
    printf "<text x=\"18\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">energy per operation (pJ)</text>\n", T + ph / 2, T + ph / 2
    if (none > 0) {
      py = T + ph - ph * none / top
      printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/>\n", L, py, L + pw, py
      printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#c0392b\" text-anchor=\"end\">weight changing every operation (no weight held): %.1f pJ</text>\n", L + pw - 4, py + 14, none / 1000
    }
    for (i = 0; i < n; i++) {
      px = L + pw * (x[i] + 128) / 255; py = T + ph - ph * y[i] / top
      printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\"/>\n", px, py, x[i] == 0 ? "#27ae60" : "#2c6fbb"
    }
    printf "</svg>\n"
  }' "$csv" > "$svg"

model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
report="$RESULTS/energy.md"
{
  echo "# Energy per weight code: benchmark"
  echo
  echo "Generated by \`Benchmarks/energy.sh\`. Target: 10,000 vectors × 256 codes on the 8-bit MAC in under a minute on 2 cores."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| Date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| Machine | ${model:-unknown CPU}, \`nproc\` = $(nproc) |"
  echo "| Halo | commit \`$commit\` + working tree, $built |"
  echo "| Settings | VECTORS=$VECTORS, THREADS=$THREADS, REPEAT=$REPEAT (best wall time; a run over 10 s runs once) |"
  echo "| Load average (1, 5, 15 min) | $load_start at start, $load_end at end |"
  echo "| Duration | $((SECONDS - start_s)) s (including the build) |"
  echo
  echo "| Run | Codes | Vectors a code | Wall (s) | CPU (s) | Vector·codes / s (wall) | Peak RSS (MiB) |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Each run is a whole \`halo characterize\` command (reading the library and netlist, the delay sweep, then the"
  echo "energy sweep and the \`none\` row with the weight free). The delay-only row is the part that is not energy."
  echo
  echo "## The mac8 energy table"
  echo
  echo "Stimulus: $VECTORS uniform random activations on \`A\` (seed 1), \`P\` held at 0, \`W\` held at the code;"
  echo "zero-delay toggles; energy = ½·C·V² per net transition (V = 1.8 V, the library's \`nom_voltage\`) + Liberty"
  echo "\`internal_power\`; per operation (vector change). Table: [\`energy-mac8-osu018.csv\`](energy-mac8-osu018.csv);"
  echo "plot: [\`energy-mac8-osu018.svg\`](energy-mac8-osu018.svg)."
  echo
  echo "- Code 0: **$e0 fJ** per operation ($t0 net transitions; only the activation nets switch)."
  echo "- Cheapest other code: $emin fJ (weight $(signed "$emin_code")); mean over the 256 codes $emean fJ; most expensive $emax fJ (weight $(signed "$emax_code"))."
  echo "- Weight changing every operation (\`none\` row: a second uniform stream on \`W\`): $enone fJ."
  echo "- Leakage (Σ \`cell_leakage_power\`, not in \`energy_fj\`): ${leak:-?} nW."
  [[ -n "$glitch_line" ]] && echo "$glitch_line"
  echo
  echo "![energy per code]($(basename "$svg"))"
} > "$report"
cat "$report"
