#!/bin/bash
# Long fuzz run of Halo's readers: a libFuzzer + AddressSanitizer build of the fuzz targets in
# Tests/HaloCLITests/FuzzTests.swift, compiled with swiftc from the sources in a scratch directory
# (no change to Package.swift) from a snapshot of the sources in $WORK/src, then RUNS inputs per target.
#
#   Benchmarks/fuzz/run.sh                      # every target, 1,000,000 inputs each
#   RUNS=20000 TARGETS="liberty table" Benchmarks/fuzz/run.sh
#   JOBS=2 Benchmarks/fuzz/run.sh               # two targets at a time
#
# Per target: the corpus grows in $WORK/corpus/<target>, crashes/timeouts/OOMs land in
# $WORK/artifacts/ (libFuzzer's crash-*, timeout-*, oom-* files), the log in $WORK/logs/<target>.log.
# A hang is an input taking more than TIMEOUT (2) seconds; memory is capped at RSS_MB (2048) MB.
# Leak detection is off: Foundation itself leaks 4 kB reading an empty file (FileManager.contents),
# which LeakSanitizer would report on the first empty input; memory growth is bounded by -rss_limit_mb.
# The summary (inputs, inputs/s, peak RSS, crashes, hangs, OOMs, non-crash problems) is printed
# at the end and written to $WORK/summary.tsv.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/halo-fuzz}
RUNS=${RUNS:-1000000}
TARGETS=${TARGETS:-"liberty verilog table shard report npy safetensors text-weights"}
TIMEOUT=${TIMEOUT:-2}
RSS_MB=${RSS_MB:-2048}
MAX_LEN=${MAX_LEN:-102400}
JOBS=${JOBS:-1}
SWIFTC=${SWIFTC:-swiftc}
BUILD=$WORK/build
mkdir -p "$BUILD" "$WORK/corpus" "$WORK/artifacts" "$WORK/logs"

# 1. Build: each layer as a static library instrumented for libFuzzer and ASan, then the fuzzer.
FLAGS=(-O -g -sanitize=fuzzer,address -parse-as-library -I "$BUILD")
if [ ! -x "$BUILD/halo-fuzz" ] || [ -n "${REBUILD:-}" ]; then
  # A snapshot of the sources, so that edits during the (long) build or run do not disturb it.
  rm -rf "$WORK/src" && mkdir -p "$WORK/src/Tests/HaloCLITests" "$WORK/src/Benchmarks/fuzz"
  cp -R "$ROOT/Sources" "$WORK/src/"
  cp "$ROOT/Tests/HaloCLITests/FuzzTests.swift" "$WORK/src/Tests/HaloCLITests/"
  cp "$ROOT/Benchmarks/fuzz/main.swift" "$WORK/src/Benchmarks/fuzz/"
  (cd "$ROOT" && git rev-parse HEAD 2>/dev/null && git status --short Sources Tests/HaloCLITests/FuzzTests.swift 2>/dev/null) \
    > "$WORK/src/REVISION" || true
  SRC=$WORK/src
  for M in HaloCore HaloLiberty HaloNetlist HaloTiming HaloCharacterization HaloPlot HaloQuantization; do
    echo "building $M" >&2
    "$SWIFTC" "${FLAGS[@]}" -module-name "$M" -emit-module -emit-module-path "$BUILD/$M.swiftmodule" \
      -emit-library -static -o "$BUILD/lib$M.a" "$SRC"/Sources/$M/*.swift
  done
  echo "building halo-fuzz" >&2
  "$SWIFTC" "${FLAGS[@]}" -D HALO_FUZZ_STANDALONE -module-name HaloFuzz -L "$BUILD" \
    -lHaloQuantization -lHaloPlot -lHaloCharacterization -lHaloTiming -lHaloNetlist -lHaloLiberty -lHaloCore \
    "$SRC/Tests/HaloCLITests/FuzzTests.swift" "$SRC/Benchmarks/fuzz/main.swift" -o "$BUILD/halo-fuzz" 2>&1 \
    | grep -v "Cannot export local symbol" >&2 || true
  [ -x "$BUILD/halo-fuzz" ] || { echo "build failed" >&2; exit 1; }
fi

# 2. Seeds: the built-in ones, the bad-input corpus, the repository's netlists and tables, the osu018 library.
seed() { # target, files...
  local t=$1; shift
  mkdir -p "$WORK/seeds/$t"
  HALO_FUZZ_TARGET=$t HALO_FUZZ_SEEDS="$WORK/seeds/$t" "$BUILD/halo-fuzz" >/dev/null 2>&1 || true
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$WORK/seeds/$t/" || true; done
}
BAD=$ROOT/Tests/Fixtures/bad
seed liberty "$BAD"/*.lib /usr/share/qflow/tech/osu018/osu018_stdcells.lib
seed verilog "$BAD"/*.v "$ROOT"/Netlists/generic/mac8.v "$ROOT"/Netlists/osu018/mac8.v "$ROOT"/Netlists/generic/pe8.v
seed table "$BAD"/*.csv "$BAD"/json-*.json "$ROOT"/Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv
seed report "$BAD"/report-*.json
seed shard
for a in "$BAD"/merge-*-a.*; do # shard pairs of the bad corpus, joined by the target's "%%" separator
  [ -f "$a" ] || continue
  b=${a/-a./-b.}; [ -f "$b" ] && { cat "$a"; printf '\n%%%%\n'; cat "$b"; } > "$WORK/seeds/shard/$(basename "${a%-a.*}")" || true
done
seed npy "$BAD"/*.npy
seed safetensors "$BAD"/*.safetensors
seed text-weights "$BAD"/_ok.csv

# 3. Run each target to RUNS inputs. libFuzzer stops at the first crash: then the artifact is kept
#    and the run resumes (same corpus) until RUNS inputs are done in total.
run_target() {
  local t=$1 done=0 crashes=0 hangs=0 ooms=0 rate=0 rss=0 seconds=0 log="$WORK/logs/$t.log"
  : > "$log"
  local start=$(date +%s)
  mkdir -p "$WORK/corpus/$t"
  while [ "$done" -lt "$RUNS" ]; do
    local left=$((RUNS - done)) part="$WORK/logs/$t.part"
    set +e
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} HALO_FUZZ_TARGET=$t "$BUILD/halo-fuzz" -runs=$left -max_len=$MAX_LEN -timeout=$TIMEOUT -rss_limit_mb=$RSS_MB \
      -malloc_limit_mb=$RSS_MB -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" \
      "$WORK/corpus/$t" "$WORK/seeds/$t" > "$part" 2>&1
    local status=$?
    set -e
    cat "$part" >> "$log"
    local n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$part" | grep -o '[0-9]*$' | tail -1 || true)
    if [ -z "$n" ]; then # died before the final stats: count the inputs from the last status line
      n=$(grep -oE '^#[0-9]+' "$part" | tail -1 | tr -d '#' || true); n=${n:-0}
    fi
    local r=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$part" | grep -o '[0-9]*$' | sort -n | tail -1 || true)
    [ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
    done=$((done + n))
    if grep -q 'ERROR: libFuzzer: timeout' "$part"; then hangs=$((hangs + 1));
    elif grep -q 'out-of-memory\|ERROR: libFuzzer: malloc limit' "$part"; then ooms=$((ooms + 1));
    elif [ $status -ne 0 ]; then crashes=$((crashes + 1)); fi
    if [ $status -ne 0 ] && [ "$n" -eq 0 ]; then echo "$t: no progress (status $status), see $log" >&2; break; fi
    if [ $((crashes + hangs + ooms)) -gt 20 ]; then echo "$t: more than 20 failures, stopping" >&2; break; fi
  done
  seconds=$(( $(date +%s) - start ))
  [ "$seconds" -gt 0 ] && rate=$((done / seconds))
  local problems=$(grep -c 'halo-fuzz: problem' "$log" || true)
  printf '%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n' "$t" "$done" "$seconds" "$rate" "$rss" "$crashes" "$hangs" "$ooms" "$problems" > "$WORK/logs/$t.summary"
}

pids=()
for t in $TARGETS; do
  run_target "$t" &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 2; done
done
wait

printf 'target\tinputs\tseconds\tinputs/s\tpeak_rss_mb\tcrashes\thangs\tooms\tdistinct_problems\n' > "$WORK/summary.tsv"
for t in $TARGETS; do cat "$WORK/logs/$t.summary" >> "$WORK/summary.tsv"; done
column -t -s $'\t' "$WORK/summary.tsv"
echo "artifacts: $(ls "$WORK/artifacts" | wc -l) file(s) in $WORK/artifacts; logs in $WORK/logs" >&2
