#!/usr/bin/env bash
# Halo vs OpenSTA: wall time of a per-code delay sweep (set_case_analysis on the weight bus), on the
# same machine in the same run. Writes Benchmarks/results/latest.md and latest.csv and prints both.
# See Benchmarks/README.md for what each number means.
#
#   Benchmarks/sweep-vs-opensta.sh                 # full run (mac16: all 65,536 codes in Halo; ~6 min on 2 busy cores)
#   QUICK=1 Benchmarks/sweep-vs-opensta.sh         # Halo single-thread on mac16 sweeps 4096 codes and extrapolates
#
# Environment (all optional):
#   QUICK=1              Halo --threads 1 on mac16 sweeps QUICK_CODES codes only (in SAMPLE_WINDOWS windows),
#                        then extrapolates; the all-threads run still sweeps every code
#   QUICK_CODES=4096     number of those codes
#   SAMPLE=64            OpenSTA on mac16 sweeps SAMPLE codes, then extrapolates to 65,536
#   SAMPLE_WINDOWS=4     a partial sweep is split in this many equal windows spread over the code space
#                        (SAMPLE=64 on mac16: codes 0-15, 16384-16399, 32768-32783, 49152-49167)
#   STA_CODES=256        OpenSTA codes per design in the scaling table (all codes if 2^width <= STA_CODES)
#   HALO_CODES=4096      Halo codes per design wider than 12 bits in the scaling table (mac16 reuses (b))
#   REPEAT=3             runs per measurement at least, best wall time kept (a run over 10 s is not repeated)
#   MIN_SECONDS=2, MAX_RUNS=50   short commands are rerun until their runs add up to MIN_SECONDS (at most MAX_RUNS)
#   THREADS=$(nproc)     thread count of the "all threads" Halo runs
#   OPENSTA_UPSTREAM=/path/to/sta   also time an upstream OpenSTA build; on each design the faster OpenSTA
#                        (per code, wall time) is the peer Halo is compared with
#   STA=sta              the Debian (or any) OpenSTA command
#   HALO=/path/to/halo   use this binary instead of building one
#   SCRATCH=/tmp/halo-bench-build   swift build scratch path (the binary is SCRATCH/release/halo)
#   SNAPSHOT=1           build the committed HEAD (git archive into /tmp/halo-bench-src, scratch SCRATCH-head)
#                        instead of the working tree, e.g. while others are editing Sources/
#   RESULTS=<repo>/Benchmarks/results   where latest.md / latest.csv go
set -euo pipefail
export LC_ALL=C
exec </dev/null

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
start_s=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

QUICK="${QUICK:-0}"
QUICK_CODES="${QUICK_CODES:-4096}"
SAMPLE="${SAMPLE:-64}"
SAMPLE_WINDOWS="${SAMPLE_WINDOWS:-4}"
STA_CODES="${STA_CODES:-256}"
HALO_CODES="${HALO_CODES:-4096}"
REPEAT="${REPEAT:-3}"
THREADS="${THREADS:-$(nproc)}"
STA="${STA:-sta}"
OPENSTA_UPSTREAM="${OPENSTA_UPSTREAM:-}"
SCRATCH="${SCRATCH:-/tmp/halo-bench-build}"
SNAPSHOT="${SNAPSHOT:-0}"
RESULTS="${RESULTS:-$bench_dir/results}"
MIN_SECONDS="${MIN_SECONDS:-2}"
MAX_RUNS="${MAX_RUNS:-50}"
[ "$MAX_RUNS" -ge "$REPEAT" ] || MAX_RUNS=$REPEAT
LONG_RUN_S=10

ref="$repo/Tests/HaloTimingTests/Fixtures/reference"
sweep_tcl="$ref/opensta-sweep.tcl"
manifest="$repo/Netlists/MANIFEST.tsv"
lib018=/usr/share/qflow/tech/osu018/osu018_stdcells.lib

log() { printf '[bench %4ds] %s\n' "$((SECONDS - start_s))" "$*" >&2; }
die() { printf 'sweep-vs-opensta: error: %s\n' "$*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.9g\", ($1) }" </dev/null; }   # calc 'EXPR' -> number (awk arithmetic)
fmt() { awk -v x="$2" "BEGIN { if (x == \"\") print \"–\"; else printf \"$1\", x }" </dev/null; }

# ---------------------------------------------------------------------------------------- tools
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need_pkg() {  # need_pkg COMMAND-OR-FILE PACKAGE
  if [ -e "$1" ] || command -v "$1" >/dev/null 2>&1; then return; fi
  log "installing Debian package $2"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >&2 \
    || { as_root apt-get update >&2 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$2" >&2; } \
    || die "cannot install $2"
}
need_pkg /usr/bin/time time
[ "$STA" = sta ] && need_pkg sta opensta
need_pkg "$lib018" qflow-tech-osu018
command -v "$STA" >/dev/null || die "OpenSTA command '$STA' not found"
[ -f "$sweep_tcl" ] || die "missing $sweep_tcl"

HALO_GIVEN=${HALO:-}
# the commit (and whether Sources/ had uncommitted edits) at build time
commit_full=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown); commit=${commit_full:0:7}
dirty=""; [ -n "$(git -C "$repo" status --porcelain -- Sources Package.swift 2>/dev/null)" ] && dirty=" (+ uncommitted changes in Sources/)"
if [ -z "${HALO:-}" ]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  src="$repo"
  if [ "$SNAPSHOT" = 1 ]; then   # build the committed HEAD, untouched by edits in the working tree
    src=/tmp/halo-bench-src; SCRATCH="$SCRATCH-head"
    rm -rf "$src"; mkdir -p "$src"
    git -C "$repo" archive "$commit_full" | tar -x -C "$src"
    dirty=""
  fi
  log "building halo (release) from $src into $SCRATCH"
  # retried: a source file edited while the build runs fails it ("was modified during the build")
  for attempt in 1 2 3; do
    (cd "$src" && swift build -c release --product halo --scratch-path "$SCRATCH" >&2) && break
    [ "$attempt" = 3 ] && die "swift build failed"
    log "build failed, retrying in 10 s"; sleep 10
  done
  HALO="$SCRATCH/release/halo"
fi
[ -x "$HALO" ] || die "no halo binary at $HALO"

# OpenSTA builds to time: name -> command
sta_names=(opensta-debian)
declare -A sta_cmd=([opensta-debian]="$(command -v "$STA")")
if [ -n "$OPENSTA_UPSTREAM" ]; then
  [ -x "$OPENSTA_UPSTREAM" ] || die "OPENSTA_UPSTREAM=$OPENSTA_UPSTREAM is not an executable"
  sta_names+=(opensta-upstream); sta_cmd[opensta-upstream]="$OPENSTA_UPSTREAM"
fi

WORK="$(mktemp -d /tmp/halo-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------- timing
# timed CMD...: runs CMD (stdin /dev/null, output to $WORK/cmd.log) REPEAT times, and more (up to
# MAX_RUNS) until the runs add up to MIN_SECONDS, so that a command of a few ms is timed often enough;
# a run longer than LONG_RUN_S is not repeated. Sets T_WALL (best wall seconds), T_CPU (mean user +
# system CPU seconds, from /usr/bin/time, 10 ms resolution per run), T_RUNS and T_RSS_KB (largest
# peak resident set, kB). CPU time is much less sensitive than wall time to other load on the machine.
timed() {
  local i s e w r u sy total=0 cpu=0
  T_WALL=""; T_RSS_KB=0
  for ((i = 1; i <= MAX_RUNS; i++)); do
    [ "$i" -gt "$REPEAT" ] && [ "$(calc "$total >= $MIN_SECONDS")" = 1 ] && break
    s=$EPOCHREALTIME
    if ! /usr/bin/time -f '%M %U %S' -o "$WORK/time.out" "$@" >"$WORK/cmd.log" 2>&1; then
      cat "$WORK/cmd.log" >&2; die "command failed: $*"
    fi
    e=$EPOCHREALTIME
    w=$(calc "$e - $s"); read -r r u sy < <(tail -n 1 "$WORK/time.out")
    if [ -z "$T_WALL" ] || [ "$(calc "$w < $T_WALL")" = 1 ]; then T_WALL=$w; fi
    if [ "$r" -gt "$T_RSS_KB" ]; then T_RSS_KB=$r; fi
    total=$(calc "$total + $w"); cpu=$(calc "$cpu + $u + $sy"); T_RUNS=$i
    [ "$(calc "$w > $LONG_RUN_S")" = 1 ] && break
  done
  T_CPU=$(calc "$cpu / $T_RUNS")
  return 0
}

check_rows() {  # check_rows CSV N: header + none + N codes
  local got; got=$(wc -l <"$1")
  [ "$got" -eq $(($2 + 2)) ] || { cat "$WORK/cmd.log" >&2; die "$1 has $got lines, expected $(($2 + 2))"; }
}

halo_run() {  # halo_run NETLIST LIB BUS FIRST LAST THREADS OUT
  timed "$HALO" characterize "$1" --liberty "$2" --bus "$3" --codes "$4-$5" --threads "$6" --quiet -o "$7"
  check_rows "$7" $(($5 - $4 + 1))
}
sta_run() {  # sta_run TOOL NETLIST LIB TOP BUS WIDTH CLOCK FIRST LAST OUT
  timed env LIBS="$3" NETLIST="$2" TOP="$4" BUS="$5" WIDTH="$6" CLOCK="$7" FIRST="$8" LAST="$9" OUT="${10}" \
    "${sta_cmd[$1]}" -no_init -no_splash -exit "$sweep_tcl"
  check_rows "${10}" $(($9 - $8 + 1))
}

# Results, keyed "tool|design|threads": the CSV row fields, and the (concatenated) table of each measurement.
declare -A R_CPU R_BCPU R_PCPU R_CODES R_RANGES R_WALL R_BASE R_PER R_CPS R_ALL R_ALLS R_EXTRA R_RSS R_TABLE
declare -A D_LIB D_LIBNAME D_CELLS D_WIDTH D_NETLIST D_TOP D_BUS D_CLOCK
designs=()
csv="$WORK/latest.csv"
echo "kind,design,library,cells,width,tool,threads,codes_timed,code_ranges,wall_s,base_s,per_code_ms,codes_per_s,all_codes,all_codes_s,extrapolated,peak_rss_mib,cpu_s,base_cpu_s,per_code_cpu_ms,max_abs_diff_ps,worst_code" >"$csv"

# windows WIDTH COUNT PARTS: code ranges "A-B" covering COUNT codes of a 2^WIDTH-code bus, as PARTS
# equal windows spread evenly over the code space (all codes as one range when COUNT >= 2^WIDTH).
# Low codes are the cheapest (upper weight bits 0 prune the multiplier), so a sample spans the space.
windows() {
  local all=$((1 << $1)) count=$2 parts=$3 i len
  if [ "$count" -ge "$all" ]; then echo "0-$((all - 1))"; return; fi
  [ "$parts" -gt "$count" ] && parts=$count
  len=$((count / parts))
  for ((i = 0; i < parts; i++)); do printf '%s ' "$((i * (all / parts)))-$((i * (all / parts) + len - 1))"; done; echo
}

# record TOOL DESIGN THREADS RANGES WALL BASE RSS_KB TABLE CPU BASE_CPU: derive per-code figures, append a CSV row.
# WALL is the sum over the ranges of the best wall time of each command; BASE the best wall time of the
# same command on code 0 alone (load, link, `none`, code 0). per code = (WALL - k BASE) / (N - k) for
# N codes in k ranges: the marginal cost of a code, with load excluded. The same with CPU seconds.
record() {
  local tool=$1 d=$2 th=$3 ranges=$4 wall=$5 base=$6 rss=$7 table=$8 cpu=$9 bcpu=${10} k="$1|$2|$3"
  local all=$((1 << D_WIDTH[$d])) per cps alls extra n=0 parts=0 r pcpu
  for r in $ranges; do n=$((n + ${r#*-} - ${r%-*} + 1)); parts=$((parts + 1)); done
  if [ "$n" -gt "$parts" ]; then per=$(calc "($wall - $parts * $base) / ($n - $parts) * 1000"); else per=$(calc "$wall / $n * 1000"); fi
  [ "$(calc "$per <= 0")" = 1 ] && per=$(calc "$wall / $n * 1000")   # timer noise on a tiny design
  if [ "$n" -gt "$parts" ]; then pcpu=$(calc "($cpu - $parts * $bcpu) / ($n - $parts) * 1000"); else pcpu=$(calc "$cpu / $n * 1000"); fi
  [ "$(calc "$pcpu <= 0")" = 1 ] && pcpu=$(calc "$cpu / $n * 1000")
  cps=$(calc "1000 / $per")
  if [ "$n" -eq "$all" ]; then alls=$wall; extra=no; else alls=$(calc "$base + $per / 1000 * ($all - 1)"); extra=yes; fi
  R_CODES[$k]=$n; R_RANGES[$k]=$(echo $ranges); R_WALL[$k]=$wall; R_BASE[$k]=$base; R_PER[$k]=$per; R_CPS[$k]=$cps
  R_ALL[$k]=$all; R_ALLS[$k]=$alls; R_EXTRA[$k]=$extra; R_RSS[$k]=$(calc "$rss / 1024"); R_TABLE[$k]=$table
  R_CPU[$k]=$cpu; R_BCPU[$k]=$bcpu; R_PCPU[$k]=$pcpu
  printf 'timing,%s,%s,%s,%s,%s,%s,%s,%s,%.4f,%.4f,%.5f,%.1f,%s,%.3f,%s,%.1f,%.4f,%.4f,%.5f,,\n' "$d" "${D_LIBNAME[$d]}" "${D_CELLS[$d]}" \
    "${D_WIDTH[$d]}" "$tool" "$th" "$n" "${R_RANGES[$k]}" "$wall" "$base" "$per" "$cps" "$all" "$alls" "$extra" "${R_RSS[$k]}" \
    "$cpu" "$bcpu" "$pcpu" >>"$csv"
  log "  $tool $d threads $th: per code $(fmt %.4f "$per") ms (CPU $(fmt %.4f "$pcpu") ms), base $(fmt %.3f "$base") s, whole $(fmt %.3f "$wall") s"
}

# concatenate window tables: one header, one `none` row, then the codes of each
append_table() {  # append_table PART OUT
  if [ -s "$2" ]; then tail -n +3 "$1" >>"$2"; else cp "$1" "$2"; fi
}

measure_halo() {  # measure_halo DESIGN THREADS RANGES
  local d=$1 th=$2 ranges=$3 out="$WORK/halo-$1-t$2.csv" wall=0 rss=0 cpu=0 r
  log "halo $d --threads $th, codes $ranges"
  : >"$out"
  for r in $ranges; do
    halo_run "${D_NETLIST[$d]}" "${D_LIB[$d]}" "${D_BUS[$d]}" "${r%-*}" "${r#*-}" "$th" "$WORK/part.csv"
    wall=$(calc "$wall + $T_WALL"); cpu=$(calc "$cpu + $T_CPU"); [ "$T_RSS_KB" -gt "$rss" ] && rss=$T_RSS_KB
    append_table "$WORK/part.csv" "$out"
  done
  halo_run "${D_NETLIST[$d]}" "${D_LIB[$d]}" "${D_BUS[$d]}" 0 0 "$th" "$WORK/base.csv"
  record halo "$d" "$th" "$ranges" "$wall" "$T_WALL" "$rss" "$out" "$cpu" "$T_CPU"
}
measure_sta() {  # measure_sta TOOL DESIGN RANGES
  local tool=$1 d=$2 ranges=$3 out="$WORK/$1-$2.csv" wall=0 rss=0 cpu=0 r
  local args=("${D_NETLIST[$d]}" "${D_LIB[$d]}" "${D_TOP[$d]}" "${D_BUS[$d]}" "${D_WIDTH[$d]}" "${D_CLOCK[$d]}")
  log "$tool $d, codes $ranges"
  : >"$out"
  for r in $ranges; do
    sta_run "$tool" "${args[@]}" "${r%-*}" "${r#*-}" "$WORK/part.csv"
    wall=$(calc "$wall + $T_WALL"); cpu=$(calc "$cpu + $T_CPU"); [ "$T_RSS_KB" -gt "$rss" ] && rss=$T_RSS_KB
    append_table "$WORK/part.csv" "$out"
  done
  sta_run "$tool" "${args[@]}" 0 0 "$WORK/base.csv"
  record "$tool" "$d" 1 "$ranges" "$wall" "$T_WALL" "$rss" "$out" "$cpu" "$T_CPU"
}

# max |a - b| in ps over the codes (and `none`) present in both tables: prints "PS CODES WORST_CODE"
max_diff() {
  awk -F, 'FNR == 1 { next } NR == FNR { a[$1] = $2; next }
           ($1 in a) { n++; d = ($2 - a[$1]) * 1000; if (d < 0) d = -d; if (n == 1 || d > m) { m = d; w = $1 } }
           END { if (n) printf "%.3f %d %s\n", m, n, w; else print "- 0 -" }' "$1" "$2"
}

# ---------------------------------------------------------------------------------------- designs
# add_design NETLIST LIBDIR: metadata from Netlists/MANIFEST.tsv (by path, or by identical content),
# else parsed from the Verilog (first module; weight bus W port or wreg net; clock port clk).
declare -A seen
add_design() {
  local v=$1 libdir=$2 lib name sum row="" top bus width cells clock="" m rel
  lib=$(ls /usr/share/qflow/tech/*/"${libdir}_stdcells.lib" 2>/dev/null | head -n 1) || true
  [ -n "$lib" ] || { log "skipping $v: no Liberty file for $libdir"; return 0; }
  sum=$(sha256sum "$v" | cut -c1-64)
  [ -n "${seen[$sum|$lib]:-}" ] && return 0
  seen[$sum|$lib]=1
  if [ -f "$manifest" ]; then
    for m in "$repo"/Netlists/*/*.v; do
      rel=${m#"$repo/Netlists/"}
      if [ "$m" = "$v" ] || [ "$(sha256sum "$m" | cut -c1-64)" = "$sum" ]; then
        row=$(awk -F'\t' -v f="$rel" '$1 == f' "$manifest"); [ -n "$row" ] && break
      fi
    done
  fi
  if [ -n "$row" ]; then
    top=$(cut -f2 <<<"$row"); bus=$(cut -f4 <<<"$row"); width=$(cut -f5 <<<"$row"); cells=$(cut -f8 <<<"$row")
    grep -qE '(^| )clk:1( |$)' <<<"$(cut -f3 <<<"$row")" && clock=clk
  else
    top=$(awk '/^module /{ sub(/^module[ \t]+/, ""); sub(/[ \t(;].*/, ""); print; exit }' "$v")
    if m=$(grep -oE '^[[:space:]]*input[[:space:]]+(signed[[:space:]]+)?\[[0-9]+:0\][[:space:]]*W;' "$v"); then
      bus=W
    elif m=$(grep -oE '^[[:space:]]*wire[[:space:]]+\[[0-9]+:0\][[:space:]]*wreg;' "$v"); then
      bus=wreg
    else
      log "skipping $v: no weight bus (input W or wire wreg) found"; return 0
    fi
    width=$(($(sed -E 's/.*\[([0-9]+):0\].*/\1/' <<<"$m") + 1))
    cells=$(grep -cE '^  [A-Za-z_\\][^ ]* [^ ]+ \($' "$v" || true)
    grep -qE '^[[:space:]]*input[[:space:]]+clk;' "$v" && clock=clk
  fi
  name="$(basename "$v" .v)@$libdir"
  [ -n "${D_NETLIST[$name]:-}" ] && name="$name#${sum:0:6}"
  designs+=("$name")
  D_NETLIST[$name]=$v; D_LIB[$name]=$lib; D_LIBNAME[$name]=$libdir; D_TOP[$name]=$top; D_BUS[$name]=$bus
  D_WIDTH[$name]=$width; D_CELLS[$name]=$cells; D_CLOCK[$name]=$clock
}
[ -f "$repo/Netlists/osu018/mac8.v" ] && [ -f "$repo/Netlists/osu018/mac16.v" ] || die "Netlists/osu018/{mac8,mac16}.v missing"
add_design "$repo/Netlists/osu018/mac8.v" osu018
add_design "$repo/Netlists/osu018/mac16.v" osu018
for v in "$repo"/Netlists/osu018/*.v; do add_design "$v" osu018; done
for dir in "$ref"/netlists/*/; do
  [ -d "$dir" ] || continue
  for v in "$dir"*.v; do [ -f "$v" ] && add_design "$v" "$(basename "$dir")"; done
done
log "designs: ${designs[*]}"

# ---------------------------------------------------------------------------------------- runs
M8=mac8@osu018; M16=mac16@osu018
# (a) mac8, all 256 codes
all8=$(windows "${D_WIDTH[$M8]}" $((1 << D_WIDTH[$M8])) 1)
measure_halo "$M8" 1 "$all8"
[ "$THREADS" = 1 ] || measure_halo "$M8" "$THREADS" "$all8"
for t in "${sta_names[@]}"; do measure_sta "$t" "$M8" "$all8"; done

# (b) mac16, 65,536 codes
w16=${D_WIDTH[$M16]}; n16=$((1 << w16))
if [ "$QUICK" = 1 ]; then h16=$(windows "$w16" "$QUICK_CODES" "$SAMPLE_WINDOWS"); else h16=$(windows "$w16" "$n16" 1); fi
measure_halo "$M16" 1 "$h16"
[ "$THREADS" = 1 ] || measure_halo "$M16" "$THREADS" "$(windows "$w16" "$n16" 1)"
for t in "${sta_names[@]}"; do measure_sta "$t" "$M16" "$(windows "$w16" "$SAMPLE" "$SAMPLE_WINDOWS")"; done

# (d) the other designs (scaling table)
for d in "${designs[@]}"; do
  [ "$d" = "$M8" ] || [ "$d" = "$M16" ] && continue
  w=${D_WIDTH[$d]}
  if [ "$w" -le 12 ]; then hr=$(windows "$w" $((1 << w)) 1); else hr=$(windows "$w" "$HALO_CODES" "$SAMPLE_WINDOWS"); fi
  measure_halo "$d" 1 "$hr"
  [ "$THREADS" = 1 ] || measure_halo "$d" "$THREADS" "$hr"
  for t in "${sta_names[@]}"; do measure_sta "$t" "$d" "$(windows "$w" "$STA_CODES" "$SAMPLE_WINDOWS")"; done
done

# the peer on each design: the faster OpenSTA per code (wall)
declare -A PEER
for d in "${designs[@]}"; do
  PEER[$d]=${sta_names[0]}
  for t in "${sta_names[@]}"; do [ "$(calc "${R_PER[$t|$d|1]} < ${R_PER[${PEER[$d]}|$d|1]}")" = 1 ] && PEER[$d]=$t; done
done

# (c) agreement, on every design: Halo (--threads 1 table) vs each OpenSTA, vs the upstream fixture table,
# and Halo --threads 1 vs --threads N on their common codes.
declare -A A_PS A_N A_W
for d in "${designs[@]}"; do
  # Halo's table with the most codes is the one compared (the thread counts must agree anyway)
  h1=${R_TABLE[halo|$d|1]}; hn=${R_TABLE[halo|$d|$THREADS]}
  [ "$(wc -l <"$hn")" -gt "$(wc -l <"$h1")" ] && { h1=$hn; hn=${R_TABLE[halo|$d|1]}; }
  others=("${sta_names[@]}" fixture)
  [ "$THREADS" = 1 ] || others+=(threads)
  for o in "${others[@]}"; do
    case $o in
      fixture) f="$ref/tables/${D_LIBNAME[$d]}/$(basename "${D_NETLIST[$d]}" .v).csv"
               # the fixture belongs to this netlist only if the reference netlist is the same file content
               rv="$ref/netlists/${D_LIBNAME[$d]}/$(basename "${D_NETLIST[$d]}")"
               { [ -f "$f" ] && [ -f "$rv" ] && cmp -s "$rv" "${D_NETLIST[$d]}"; } || continue
               label="upstream-fixture" ;;
      threads) f=$hn; label="halo-threads-1-vs-$THREADS" ;;
      *) f=${R_TABLE[$o|$d|1]}; label=$o ;;
    esac
    read -r ps n w < <(max_diff "$f" "$h1")
    A_PS[$d|$o]=$ps; A_N[$d|$o]=$n; A_W[$d|$o]=$w
    printf 'agreement,%s,%s,%s,%s,halo vs %s,,%s,,,,,,,,,,,,,%s,%s\n' "$d" "${D_LIBNAME[$d]}" "${D_CELLS[$d]}" "${D_WIDTH[$d]}" \
      "$label" "$n" "$ps" "$w" >>"$csv"
  done
done

# ---------------------------------------------------------------------------------------- report
elapsed=$((SECONDS - start_s))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576; exit }' /proc/meminfo)
sta_ver="$("${sta_cmd[opensta-debian]}" -version 2>/dev/null | head -n 1)"
deb_ver=$(dpkg-query -W -f='${Version}' opensta 2>/dev/null || true)
[ -n "$deb_ver" ] && sta_ver="$sta_ver (Debian opensta $deb_ver)"
up_ver=""; [ -n "$OPENSTA_UPSTREAM" ] && up_ver="$("$OPENSTA_UPSTREAM" -version 2>/dev/null | head -n 1)"
swift_ver=$( (swift --version 2>/dev/null || true) | head -n 1)

ratio() { calc "$1 / $2"; }

timing_rows() {  # timing_rows DESIGN: one Markdown row per tool/threads measured on DESIGN
  local d=$1 tool th k label codes
  local keys=("halo|$d|1")
  [ "$THREADS" != 1 ] && keys+=("halo|$d|$THREADS")
  for t in "${sta_names[@]}"; do keys+=("$t|$d|1"); done
  for k in "${keys[@]}"; do
    [ -n "${R_WALL[$k]:-}" ] || continue
    IFS='|' read -r tool _ th <<<"$k"
    if [ "$tool" = halo ]; then label="Halo, --threads $th"; else label="$tool (1 thread)"; [ "$tool" = "${PEER[$d]}" ] && label="$label, **peer**"; fi
    codes=${R_CODES[$k]}; [ "${R_EXTRA[$k]}" = yes ] && codes="$codes: $(sed 's/-/–/g; s/ /, /g' <<<"${R_RANGES[$k]}")"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s%s | %s |\n' "$label" "$codes" "$(fmt %.3f "${R_WALL[$k]}")" \
      "$(fmt %.3f "${R_BASE[$k]}")" "$(fmt %.4f "${R_PER[$k]}")" "$(fmt %.0f "${R_CPS[$k]}")" "$(fmt %.4f "${R_PCPU[$k]}")" \
      "$(fmt %.3f "${R_ALLS[$k]}")" "$([ "${R_EXTRA[$k]}" = yes ] && echo " (extrapolated)")" "$(fmt %.1f "${R_RSS[$k]}")"
  done
}
timing_head='| Run | Codes timed | Whole command (s) | Base: load + `none` + code 0 (s) | Per code (ms) | Codes/s | Per code, CPU time (ms) | All codes (s) | Peak RSS (MiB) |
|---|---|---|---|---|---|---|---|---|'

speedups() {  # speedups DESIGN
  local d=$1 peer=${PEER[$1]} s="${PEER[$1]}|$1|1"
  printf -- '- Halo --threads 1 vs %s: **%s×** the codes/s (per code %s ms vs %s ms); whole sweep of all %s codes %s×; per code on CPU time %s×.\n' \
    "$peer" "$(fmt %.1f "$(ratio "${R_CPS[halo|$d|1]}" "${R_CPS[$s]}")")" "$(fmt %.4f "${R_PER[halo|$d|1]}")" "$(fmt %.4f "${R_PER[$s]}")" \
    "${R_ALL[$s]}" "$(fmt %.1f "$(ratio "${R_ALLS[$s]}" "${R_ALLS[halo|$d|1]}")")" \
    "$(fmt %.1f "$(ratio "${R_PCPU[$s]}" "${R_PCPU[halo|$d|1]}")")"
  [ "$THREADS" = 1 ] && return 0
  printf -- '- Halo --threads %s vs %s: **%s×** the codes/s; whole sweep %s×. Halo --threads %s vs --threads 1: %s×.\n' \
    "$THREADS" "$peer" "$(fmt %.1f "$(ratio "${R_CPS[halo|$d|$THREADS]}" "${R_CPS[$s]}")")" \
    "$(fmt %.1f "$(ratio "${R_ALLS[$s]}" "${R_ALLS[halo|$d|$THREADS]}")")" "$THREADS" \
    "$(fmt %.2f "$(ratio "${R_CPS[halo|$d|$THREADS]}" "${R_CPS[halo|$d|1]}")")"
}

report="$WORK/latest.md"
{
  echo "# Halo vs OpenSTA: per-code sweep benchmark"
  echo
  echo "Generated by \`Benchmarks/sweep-vs-opensta.sh\`; column meanings in \`Benchmarks/README.md\`."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| Date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| Machine | $cpu, \`nproc\` = $(nproc), $mem RAM |"
  if [ -n "${HALO_GIVEN:-}" ]; then echo "| Halo | binary \`$HALO\` (HALO=, not built here); repository at commit \`$commit\`$dirty |"
  else echo "| Halo | commit \`$commit\`$dirty, release build (\`swift build -c release\`$([ "$SNAPSHOT" = 1 ] && echo " of the committed HEAD, SNAPSHOT=1")), $swift_ver |"; fi
  echo "| OpenSTA | \`${sta_cmd[opensta-debian]}\` $sta_ver$([ -n "$up_ver" ] && echo "; upstream \`$OPENSTA_UPSTREAM\` $up_ver") |"
  echo "| Peer | on each design, the faster OpenSTA per code (wall time)$([ "${#sta_names[@]}" = 1 ] && echo ": ${sta_names[0]}, the only one run") |"
  echo "| Settings | QUICK=$QUICK, SAMPLE=$SAMPLE, THREADS=$THREADS; each figure is the best wall time of at least REPEAT=$REPEAT runs, more until they add up to MIN_SECONDS=$MIN_SECONDS s (at most MAX_RUNS=$MAX_RUNS); a run over ${LONG_RUN_S} s runs once |"
  echo "| Load average (1, 5, 15 min) | $load_start at start, $load_end at end (other processes on the machine skew the timings, the all-thread runs most) |"
  echo "| Benchmark duration | $((elapsed / 60)) min $((elapsed % 60)) s (including the build) |"
  echo
  busy=$(awk -v a="${load_start%% *}" -v b="${load_end%% *}" -v n="$(nproc)" 'BEGIN { print ((a > n / 2 || b > n / 2) ? 1 : 0) }')
  if [ "$busy" = 1 ]; then
    echo "**Warning: the machine was busy** (1-minute load average above nproc/2). Wall times are inflated, OpenSTA's long"
    echo "runs more than Halo's short repeated ones; the CPU-time columns are the more reliable comparison."
    echo
  fi
  echo "## (a) mac8 × osu018 (${D_CELLS[$M8]} cells), all 256 weight codes"
  echo
  echo "$timing_head"
  timing_rows "$M8"
  echo
  speedups "$M8"
  echo
  echo "## (b) mac16 × osu018 (${D_CELLS[$M16]} cells), 65,536 weight codes"
  echo
  echo "$timing_head"
  timing_rows "$M16"
  echo
  speedups "$M16"
  echo "- Extrapolated rows: all codes (s) = base + per code × (65,536 − 1), with the per code time measured on the windows listed; the whole-command time of a windowed run is the sum of its window commands."
  echo
  echo "## (c) Agreement: largest |Halo − other| over the codes both computed (plus \`none\`)"
  echo
  printf '| Design | Codes compared with %s (incl. `none`) |' "${sta_names[0]}"
  for t in "${sta_names[@]}"; do printf ' vs %s (ps) |' "$t"; done
  echo ' vs upstream fixture table (ps, codes) | Halo --threads 1 vs '"$THREADS"' (ps) |'
  printf '|---|---|'; for t in "${sta_names[@]}"; do printf -- '---|'; done; echo '---|---|'
  for d in "${designs[@]}"; do
    printf '| %s | %s |' "$d" "${A_N[$d|${sta_names[0]}]}"
    for t in "${sta_names[@]}"; do printf ' %s (code %s) |' "${A_PS[$d|$t]}" "${A_W[$d|$t]}"; done
    if [ -n "${A_PS[$d|fixture]:-}" ]; then printf ' %s (%s codes) |' "${A_PS[$d|fixture]}" "${A_N[$d|fixture]}"; else printf ' – |'; fi
    if [ "$THREADS" = 1 ]; then echo ' – |'; else printf ' %s |\n' "${A_PS[$d|threads]}"; fi
  done
  echo
  echo "Debian's 2019 \`sta\` keeps arcs whose side input is constant and applies the Liberty \`default_wire_load\`;"
  echo "on the osu libraries it differs from upstream OpenSTA (and so from Halo) by a few ps. The fixture tables"
  echo "(\`Tests/HaloTimingTests/Fixtures/reference/tables\`) come from upstream OpenSTA."
  echo
  echo "## (d) Scaling: per-code time vs cell count"
  echo
  printf '| Design | Cells | Bus bits | Halo codes | Halo ms/code, 1 thread | Halo ms/code, %s threads | Halo ns per cell per code (1 thread) | Peer | Peer codes | Peer ms/code | Speed-up (1 thread, wall) | Speed-up (1 thread, CPU time) |\n' "$THREADS"
  echo '|---|---|---|---|---|---|---|---|---|---|---|---|'
  for d in $(for d in "${designs[@]}"; do echo "${D_CELLS[$d]} $d"; done | sort -n -k1,1 -k2,2 | cut -d' ' -f2); do
    peer=${PEER[$d]}
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s× | %s× |\n' "$d" "${D_CELLS[$d]}" "${D_WIDTH[$d]}" "${R_CODES[halo|$d|1]}" \
      "$(fmt %.4f "${R_PER[halo|$d|1]}")" "$(fmt %.4f "${R_PER[halo|$d|$THREADS]}")" \
      "$(fmt %.0f "$(calc "${R_PER[halo|$d|1]} * 1000000 / ${D_CELLS[$d]}")")" "$peer" "${R_CODES[$peer|$d|1]}" \
      "$(fmt %.4f "${R_PER[$peer|$d|1]}")" "$(fmt %.1f "$(ratio "${R_PER[$peer|$d|1]}" "${R_PER[halo|$d|1]}")")" \
      "$(fmt %.1f "$(ratio "${R_PCPU[$peer|$d|1]}" "${R_PCPU[halo|$d|1]}")")"
  done
  echo
  echo "Designs named \`@osu035\`/\`@osu05\` are the reference netlists (same cells as osu018) timed with that library."
  echo "Raw numbers: \`Benchmarks/results/latest.csv\`."
} >"$report"

mkdir -p "$RESULTS"
cp "$report" "$RESULTS/latest.md"
cp "$csv" "$RESULTS/latest.csv"
cat "$RESULTS/latest.md"
echo
echo '```csv'
cat "$RESULTS/latest.csv"
echo '```'
log "wrote $RESULTS/latest.md and $RESULTS/latest.csv in $((elapsed / 60)) min $((elapsed % 60)) s"
