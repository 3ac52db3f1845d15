#!/usr/bin/env bash
# MAC variant benchmark: for every netlist of Netlists/variants (generic gates with Halo's embedded library,
# and osu018 with its Liberty file), the cells, the area, the delay with no case analysis, the distribution
# of the per-code delays of the weight bus, how many codes are fast, and what a 16-level grid of the fastest
# codes would allow. Writes Benchmarks/results/variants.md and variants.csv, and for the FP16/BF16 MACs
# on osu018 a plot of delay against weight value (variants-<top>.svg).
#
#   Benchmarks/variants.sh                # about 25 minutes on 2 cores (including the build; the FP16/BF16
#                                         # grid selections on 65,536-code tables take most of it)
#
# Environment (all optional):
#   HALO=/path/to/halo      use this binary (its build directory must also hold the modules and objects of
#                           HaloCore/HaloLiberty/HaloNetlist/HaloTiming, for the area helper below)
#   SCRATCH=/tmp/halo-variants-bench-build   swift build scratch path (binary SCRATCH/release/halo)
#   THREADS=$(nproc)        halo characterize --threads
#   RESULTS=<repo>/Benchmarks/results
#   ONLY=REGEX              only the netlists whose file matches (for a quick look; results then partial)
#
# Definitions (also written into variants.md):
#   none      critical-path delay with no case analysis (what a conventional sign-off uses as the clock)
#   per-code  the delay with the weight bus held at each code (all 2^n codes; W, or wreg when registered);
#             a code under which no path exists (every output constant: weight 0 of a plain multiplier)
#             counts as 0 ns. FP16/BF16 rows: the finite codes only (NaN and infinite weights are never
#             levels; under a NaN weight every output is constant)
#   ≤70/80/90 %   number of codes whose delay is at most 70/80/90 % of the slowest code's
#   grid16    the 16 fastest codes, ignoring quantization error: the delay of the slowest of them; at
#             4 bits it is every code
#   gain      none / grid16: the clock-frequency factor the grid allows over the no-case sign-off
#   sel16     `halo select`'s grid for signed 8-bit and FP16/BF16 weight buses: the fastest 16-level grid
#             (int8, e4m3, fp16 or bf16) whose SQNR on 65,536 synthetic Gaussian weights (seed 1,
#             per-channel scales) is at least SQNR_DB (19 dB, about uniform INT4's); its delay, SQNR and
#             gain = none / sel16
#   sel64     the same with 64 levels (FP16/BF16 rows)
#   seconds   wall time of `halo characterize` for the whole table (THREADS threads): 65,536 codes at 16 bits
#   area      sum of the cells' Liberty `area` (TimingGraph.area): µm² for osu018, the generic library's
#             transistor count for generic
set -euo pipefail
export LC_ALL=C
exec </dev/null

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
corpus="$repo/Netlists/variants"
manifest="$corpus/MANIFEST.tsv"
LIB=/usr/share/qflow/tech/osu018/osu018_stdcells.lib
SCRATCH="${SCRATCH:-/tmp/halo-variants-bench-build}"
THREADS="${THREADS:-$(nproc)}"
RESULTS="${RESULTS:-$bench_dir/results}"
ONLY="${ONLY:-}"
SQNR_DB="${SQNR_DB:-19}"
start_s=$SECONDS
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
log() { printf '[variants %4ds] %s\n' "$((SECONDS - start_s))" "$*" >&2; }
die() { printf 'variants.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -f "$manifest" ]] || die "missing $manifest (run Netlists/variants/regenerate.sh)"
[[ -f "$LIB" ]] || die "missing $LIB (apt-get install qflow-tech-osu018)"
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
built="given as HALO=${HALO:-}, not built"
if [[ -z "${HALO:-}" ]]; then
  built="including the build"
  log "building halo (release) into $SCRATCH"
  (cd "$repo" && swift build -c release --product halo --scratch-path "$SCRATCH" >&2) || die "swift build failed"
  HALO="$SCRATCH/release/halo"
fi
build="$(cd "$(dirname "$HALO")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/halo-variants-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The area helper: TimingGraph.area and the instance count, compiled against the modules and objects of the
# same build (halo has no subcommand that prints the area).
cat > "$work/stats.swift" <<'EOF'
import HaloLiberty
import HaloNetlist
import HaloTiming
// stats LIB|- NETLIST...: prints "NETLIST<TAB>cells<TAB>area" per netlist.
let args = Array(CommandLine.arguments.dropFirst())
let libraries = args[0] == "-" ? [] : [try LibertyReader.read(path: args[0])]
for path in args.dropFirst() {
    let graph = try TimingGraph(design: try VerilogReader.read(paths: [path], top: nil), libraries: libraries)
    print("\(path)\t\(graph.instanceCount)\t\(graph.area)")
}
EOF
objects=()
for t in HaloCore HaloLiberty HaloNetlist HaloTiming; do
  compgen -G "$build/$t.build/*.o" >/dev/null || die "no objects of $t in $build (build halo with swift build, or unset HALO)"
  objects+=("$build/$t.build/"*.o)
done
swiftc -O "$work/stats.swift" -I "$build/Modules" "${objects[@]}" -o "$work/stats" 2> "$work/stats.log" ||
  { cat "$work/stats.log" >&2; die "cannot compile the area helper against $build"; }

rows=()
while IFS=$'\t' read -r file top buses wbus width signed format mult adder acc accumulate registered _; do
  [[ "$file" == file ]] && continue
  [[ -n "$ONLY" && ! "$file" =~ $ONLY ]] && continue
  rows+=("$file|$top|$wbus|$width|$signed|$format|$mult|$adder|$acc|$accumulate|$registered")
done < "$manifest"
(( ${#rows[@]} > 0 )) || die "no netlists selected"
log "${#rows[@]} netlists"

# Cells and area, one helper run per library.
generic=() osu=()
for r in "${rows[@]}"; do
  f="${r%%|*}"
  if [[ $f == osu018/* ]]; then osu+=("$corpus/$f"); else generic+=("$corpus/$f"); fi
done
: > "$work/area.tsv"
(( ${#generic[@]} )) && "$work/stats" - "${generic[@]}" >> "$work/area.tsv"
(( ${#osu[@]} )) && "$work/stats" "$LIB" "${osu[@]}" >> "$work/area.tsv"
log "cells and areas done"

# stats CSV -> "codes none min median max n70 n80 n90 grid16"
stats() {
  awk -F, 'NR > 1 && $1 == "none" { print "none", ($2 == "" ? 0 : $2) } NR > 1 && $1 != "none" { print "code", ($2 == "" ? 0 : $2) }' "$1" \
    | sort -k1,1 -k2,2g \
    | awk '$1 == "none" { none = $2; next }
           { d[n++] = $2 }
           END {
             max = d[n - 1]; med = (n % 2) ? d[(n - 1) / 2] : (d[n / 2 - 1] + d[n / 2]) / 2
             for (i = 0; i < n; i++) { if (d[i] <= 0.7 * max + 1e-12) a++; if (d[i] <= 0.8 * max + 1e-12) b++; if (d[i] <= 0.9 * max + 1e-12) c++ }
             g = d[(n < 16 ? n : 16) - 1]
             printf "%d %.6f %.6f %.6f %.6f %d %d %d %.6f\n", n, none, d[0], med, max, a, b, c, g
           }'
}

# finite FORMAT CSV: the table without the NaN and infinite codes of an fp16/bf16 weight (others unchanged).
finite() {
  awk -F, -v f="$1" 'NR <= 2 || $1 == "none" { print; next }
    { c = $1 + 0; if ((f == "fp16" && int(c / 1024) % 32 == 31) || (f == "bf16" && int(c / 128) % 256 == 255)) next; print }' "$2"
}

# select FORMAT LEVELS: "delay,sqnr,gain" of halo select's fastest grid meeting SQNR_DB on $work/t.csv, or ",,"
select_grid() {
  if "$HALO" select "$work/t.csv" --number-format "$1" --levels "$2" --min-sqnr "$SQNR_DB" --threads "$THREADS" -o "$work/sel.json" > "$work/sel.txt" 2> "$work/sel.err"; then
    # The summary's "selected grid  LEVELS  DELAY ns  SPEEDUPx  MSE  SQNR dB" line.
    awk -v none="$none" '/^selected grid/ { printf "%.4f,%.2f,%.3f", $4, $8, ($4 > 0 ? none / $4 : 0); exit }' "$work/sel.txt"
  else
    log "$file: halo select --levels $2 found no grid: $(tail -1 "$work/sel.err")"
    printf ',,'
  fi
}

csv="$work/variants.csv"
echo "library,file,top,multiplier,adder,width,signed,format,acc_width,accumulate,registered,weight_bus,cells,area,codes,none_ns,min_ns,median_ns,max_ns,codes_le70,codes_le80,codes_le90,grid16_ns,gain_vs_none,seconds,sel16_ns,sel16_sqnr_db,sel16_gain,sel64_ns,sel64_sqnr_db,sel64_gain" > "$csv"
for r in "${rows[@]}"; do
  IFS='|' read -r file top wbus width signed format mult adder acc accumulate registered <<<"$r"
  lib=generic; libopt=(); [[ $file == osu018/* ]] && { lib=osu018; libopt=(--liberty "$LIB"); }
  t0=$(date +%s.%N)
  "$HALO" characterize "$corpus/$file" "${libopt[@]}" --bus "$wbus" --threads "$THREADS" --quiet -o "$work/t.csv" ||
    die "halo characterize failed on $file"
  t1=$(date +%s.%N)
  if [[ $format == fp16 || $format == bf16 ]]; then
    finite "$format" "$work/t.csv" > "$work/finite.csv"
    read -r codes none mn med mx n70 n80 n90 grid < <(stats "$work/finite.csv")
  else
    read -r codes none mn med mx n70 n80 n90 grid < <(stats "$work/t.csv")
  fi
  IFS=$'\t' read -r _ cells area < <(grep -F "$corpus/$file"$'\t' "$work/area.tsv")
  gain=$(awk -v a="$none" -v b="$grid" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  sel=",," sel64=",,"
  # Signed 8-bit and FP weight buses only: the synthetic weights are signed and the selector has no zero
  # point, so an unsigned MAC's grid would say nothing.
  if [[ $width == 8 && $signed != no ]]; then
    fmt=int8; [[ $format == e4m3 ]] && fmt=e4m3
    sel=$(select_grid "$fmt" 16)
  elif [[ $format == fp16 || $format == bf16 ]]; then
    sel=$(select_grid "$format" 16)
    sel64=$(select_grid "$format" 64)
    if [[ $lib == osu018 ]]; then
      "$HALO" plot "$work/t.csv" --number-format "$format" --title "Critical-path delay per weight value — $top (osu018)" \
        -o "$work/variants-$top.svg" || die "halo plot failed on $file"
    fi
  fi
  echo "$lib,$file,$top,$mult,$adder,$width,$signed,$format,$acc,$accumulate,$registered,$wbus,$cells,$area,$codes,$none,$mn,$med,$mx,$n70,$n80,$n90,$grid,$gain,$secs,$sel,$sel64" >> "$csv"
  log "$file: $codes codes in ${secs}s, none $none ns, grid16 $grid ns (x$gain), sel16 ${sel//,/ }, sel64 ${sel64//,/ }"
done

# Markdown
md="$work/variants.md"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty=""; [[ -n "$(git -C "$repo" status --porcelain -- Sources Netlists/variants 2>/dev/null)" ]] && dirty=" (with uncommitted changes)"
{
  echo "# MAC variants: per-code delay benchmark"
  echo
  echo "Generated by \`Benchmarks/variants.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \`nproc\` = $(nproc);"
  echo "Halo commit \`$commit\`$dirty, $("$HALO" --version); $(yosys -V 2>/dev/null | cut -d' ' -f1-2) netlists from \`Netlists/variants\` (see its MANIFEST.tsv);"
  echo "osu018 = \`$LIB\`, generic = Halo's embedded generic library. Output load 10 fF, input slew 0, ideal clock."
  echo "Duration: $((SECONDS - start_s)) s (halo $built); load average (1/5/15 min) $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (the **s** column is wall time, so it grows with the machine's load)."
  echo
  echo "- **none**: critical-path delay with no case analysis (the conventional sign-off clock)."
  echo "- **min / median / max**: over the delays with the weight bus (\`W\`, or \`wreg\` when registered) held at each of its 2^n codes. A code with no path (every output constant, weight 0 of a plain multiplier \`mul_*\`) counts as 0."
  echo "- **≤70 % / ≤80 % / ≤90 %**: number of codes whose delay is at most that fraction of the slowest code's (max)."
  echo "- **grid16**: delay of the slowest of the 16 fastest codes, ignoring quantization error; at 4 bits it is every code. **gain** = none / grid16, the clock-frequency factor that grid allows."
  echo "- **sel16** (signed 8-bit and FP16/BF16 weight buses; unsigned ones are left out, as the synthetic weights are signed and the selector has no zero point): \`halo select TABLE --number-format int8|e4m3|fp16|bf16 --levels 16 --min-sqnr $SQNR_DB\` — the fastest 16-level grid whose SQNR on 65,536 synthetic Gaussian weights (seed 1, per-channel scales) is at least $SQNR_DB dB (uniform INT4 reaches about 19.3 dB on them); its max delay, SQNR and **sel gain** = none / sel16. '–' where no 16-level grid reaches it."
  echo "- **sel64** (FP16/BF16): the same with \`--levels 64\`."
  echo "- **FP16/BF16 rows**: the statistics are over the finite codes (63,488 for fp16, 65,280 for bf16): NaN and infinite weights are never levels (under a NaN weight every output is constant, so it would count as 0 ns); **s** is the wall time of \`halo characterize\` for the whole 65,536-code table with $THREADS threads."
  echo "- **area**: sum of the cells' Liberty \`area\` (\`TimingGraph.area\`): µm² for osu018; for generic, the embedded library's transistor count."
  echo "- osu018 netlists are Yosys/ABC mappings of the generic ones: ABC restructures the logic, so an osu018 row shows the architecture after re-synthesis."
  for lib in osu018 generic; do
    echo
    echo "## $lib"
    echo
    echo "| netlist | cells | area | none (ns) | min | median | max | ≤70 % | ≤80 % | ≤90 % | grid16 (ns) | gain | sel16 (ns) | SQNR (dB) | sel gain |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F, -v lib="$lib" 'NR > 1 && $1 == lib {
      sel = ($26 == "" ? "– | – | –" : sprintf("%.3f | %.2f | %.2f×", $26, $27, $28))
      printf "| `%s` | %d | %.0f | %.3f | %.3f | %.3f | %.3f | %d | %d | %d | %.3f | %.2f× | %s |\n", $3, $13, $14, $16, $17, $18, $19, $20, $21, $22, $23, $24, sel }' "$csv"
  done
  echo
  echo "## FP16 / BF16 MACs with FP32 accumulation (65,536-code tables)"
  echo
  echo "| library | netlist | cells | none (ns) | finite codes | ≤70 % | ≤80 % | ≤90 % | median | max | table (s) | sel16 (ns) | SQNR | gain | sel64 (ns) | SQNR | gain |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F, 'NR > 1 && ($8 == "fp16" || $8 == "bf16") {
      s16 = ($26 == "" ? "– | – | –" : sprintf("%.3f | %.2f dB | %.3f×", $26, $27, $28))
      s64 = ($29 == "" ? "– | – | –" : sprintf("%.3f | %.2f dB | %.3f×", $29, $30, $31))
      printf "| %s | `%s` | %d | %.3f | %d | %d | %d | %d | %.3f | %.3f | %.1f | %s | %s |\n", $1, $3, $13, $16, $15, $20, $21, $22, $18, $19, $25, s16, s64 }' "$csv"
  echo
  echo "## Best gain per group (osu018): sel16 where measured (8-bit weights), else grid16"
  echo
  echo "| group | netlist | gain | grid (ns) | grid | none (ns) | cells |"
  echo "|---|---|---:|---:|---|---:|---:|"
  awk -F, 'NR > 1 && $1 == "osu018" {
      grp = ($8 != "int" ? $8 : ($7 == "no" ? "u" : "s") $6) ($11 == "yes" ? " registered" : "") ($10 == "no" ? " multiplier" : "")
      g = ($26 == "" ? $24 + 0 : $28 + 0); d = ($26 == "" ? $23 : $26); kind = ($26 == "" ? "grid16" : "sel16")
      if (!(grp in best) || g > gain[grp]) { best[grp] = $3; gain[grp] = g; g16[grp] = d; kd[grp] = kind; nn[grp] = $16; c[grp] = $13 }
    }
    END { for (k in best) printf "| %s | `%s` | %.2f× | %.3f | %s | %.3f | %d |\n", k, best[k], gain[k], g16[k], kd[k], nn[k], c[k] }' "$csv" | sort
} > "$md"

mkdir -p "$RESULTS"
if [[ -n "$ONLY" ]]; then
  cp "$csv" "$RESULTS/variants-partial.csv"; cp "$md" "$RESULTS/variants-partial.md"
  log "ONLY set: wrote $RESULTS/variants-partial.md and .csv"
else
  cp "$csv" "$RESULTS/variants.csv"; cp "$md" "$RESULTS/variants.md"
  compgen -G "$work/variants-*.svg" >/dev/null && cp "$work"/variants-*.svg "$RESULTS/"
  log "wrote $RESULTS/variants.md, variants.csv and the FP plots"
fi
cat "$md"
