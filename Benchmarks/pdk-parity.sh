#!/usr/bin/env bash
# Timing parity on the open-PDK corpus: Halo's delay of every weight code of the Yosys-mapped mac8 and
# pe8 (Netlists/pdk) against upstream OpenSTA's, per library, and the largest difference of each.
#
#   Benchmarks/pdk-parity.sh                         # Halo against the committed OpenSTA tables
#   STA=/path/to/upstream/sta Benchmarks/pdk-parity.sh            # against OpenSTA run now
#   STA=... Benchmarks/pdk-parity.sh --write-fixtures # ... and refresh Tests/HaloTimingTests/Fixtures/pdk
#   STA=... Benchmarks/pdk-parity.sh --extra          # also the corners not in ../shared/pdk (fetched)
#
# Environment:
#   HALO_PDK_DIR   the gzip-compressed libraries (default: ../shared/pdk beside the checkout)
#   STA            upstream OpenSTA (The-OpenROAD-Project/OpenSTA; the fixtures come from commit d1b2b396)
#   HALO           the halo binary (default: built with `swift build -c release`)
#   EXTRA_DIR      where --extra keeps the fetched corners (default ~/.cache/halo/pdk-extra); files already
#                  there are used as they are, missing ones are downloaded from the pinned commits below
#   SCRATCH        scratch folder (default: a new temporary folder, removed at the end)
#   ONLY           a regular expression: check only the configurations whose id matches
#
# The OpenSTA side runs ../shared/reference/opensta-sweep.tcl (Tests/HaloTimingTests/Fixtures/reference)
# with LIBS, NETLIST, TOP, BUS, WIDTH=8, CLOCK=clk for pe8, and LOAD_FF / INPUT_SLEW_NS where a
# configuration sets them. Halo runs `halo characterize` with the same settings. The output is one line
# per library: codes compared and the largest |Halo - OpenSTA| in ps, with the code and design where it
# occurs; the exit status is 1 when any exceeds 1 ps.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
PDK="${HALO_PDK_DIR:-$(cd "$repo/.." && pwd)/shared/pdk}"
fixtures="$repo/Tests/HaloTimingTests/Fixtures/pdk"
tcl="$repo/Tests/HaloTimingTests/Fixtures/reference/opensta-sweep.tcl"
EXTRA_DIR="${EXTRA_DIR:-$HOME/.cache/halo/pdk-extra}"

write=0; extra=0
for a in "$@"; do
  case "$a" in
    --write-fixtures) write=1 ;;
    --extra) extra=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "pdk-parity.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
[[ -d "$PDK" ]] || { echo "pdk-parity.sh: no PDK folder at $PDK (set HALO_PDK_DIR)" >&2; exit 1; }
if (( write || extra )) && [[ -z "${STA:-}" ]]; then
  echo "pdk-parity.sh: --write-fixtures and --extra need STA=/path/to/upstream/sta" >&2; exit 1
fi
if [[ -z "${HALO:-}" ]]; then
  (cd "$repo" && swift build -c release >/dev/null)
  HALO="$repo/.build/release/halo"
fi
if [[ -n "${SCRATCH:-}" ]]; then mkdir -p "$SCRATCH"; else SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/halo-pdk.XXXXXX")"; trap 'rm -rf "$SCRATCH"' EXIT; fi

# The committed corpus: id | netlist folder | library files (in $PDK) | LOAD_FF | INPUT_SLEW_NS.
# Keep in step with PDKParityTests.swift (the test reads the same list from Fixtures/pdk/CONFIGS.tsv).
configs_file="$fixtures/CONFIGS.tsv"

# Extra corners (not in ../shared/pdk): id | netlist folder or "map:<pdk>" | files | source URL prefix.
ORFS=https://raw.githubusercontent.com/The-OpenROAD-Project/OpenROAD-flow-scripts/8c009b0b663703fc3fe2f474eab918b12fffbaf6/flow/platforms
IHP=https://raw.githubusercontent.com/IHP-GmbH/IHP-Open-PDK/5cccb161f7492697cfa52eb14dc03beb00bdca9e/ihp-sg13g2/libs.ref/sg13g2_stdcell/lib
EXTRAS=(
  "ihp-sg13g2-fast-1p32V|ihp-sg13g2|sg13g2_stdcell_fast_1p32V_m40C.lib|$IHP"
  "ihp-sg13g2-fast-1p65V|ihp-sg13g2|sg13g2_stdcell_fast_1p65V_m40C.lib|$IHP"
  "gf180mcu-9t-tt-1v80|map:gf180mcu9t|gf180mcu_fd_sc_mcu9t5v0__tt_025C_1v80.lib.gz|$ORFS/gf180/lib"
  "gf180mcu-9t-tt-3v30|map:gf180mcu9t|gf180mcu_fd_sc_mcu9t5v0__tt_025C_3v30.lib.gz|$ORFS/gf180/lib"
  "gf180mcu-9t-tt-5v00|map:gf180mcu9t|gf180mcu_fd_sc_mcu9t5v0__tt_025C_5v00.lib.gz|$ORFS/gf180/lib"
  "asap7-rvt-ss|asap7|asap7sc7p5t_SIMPLE_RVT_SS_nldm_211120.lib.gz asap7sc7p5t_AO_RVT_SS_nldm_211120.lib.gz asap7sc7p5t_OA_RVT_SS_nldm_211120.lib.gz asap7sc7p5t_INVBUF_RVT_SS_nldm_220122.lib.gz asap7sc7p5t_SEQ_RVT_SS_nldm_220123.lib|$ORFS/asap7/lib/NLDM"
  "asap7-rvt-ff|asap7|asap7sc7p5t_SIMPLE_RVT_FF_nldm_250407.lib.gz asap7sc7p5t_AO_RVT_FF_nldm_211120.lib.gz asap7sc7p5t_OA_RVT_FF_nldm_211120.lib.gz asap7sc7p5t_INVBUF_RVT_FF_nldm_220122.lib.gz asap7sc7p5t_SEQ_RVT_FF_nldm_220123.lib|$ORFS/asap7/lib/NLDM"
  "sky130hs-tt|map:sky130hs|sky130_fd_sc_hs__tt_025C_1v80.lib|$ORFS/sky130hs/lib"
)

# A plain .lib in the scratch folder from a file that may be gzip-compressed.
plain_lib() {
  local src="$1" dst="$SCRATCH/libs/$(basename "${1%.gz}")"
  mkdir -p "$SCRATCH/libs"
  [[ -f "$dst" ]] || { if [[ "$src" == *.gz ]]; then gzip -dc "$src" > "$dst"; else cp "$src" "$dst"; fi; }
  echo "$dst"
}

# OpenSTA's table for one design; $1 netlist, $2 top, $3 out, $4 "LIBS", $5 load, $6 slew.
run_sta() {
  local bus=W clock=""
  [[ "$2" == pe8 ]] && { bus=wreg; clock=clk; }
  env LIBS="$4" NETLIST="$1" TOP="$2" BUS=$bus WIDTH=8 CLOCK="$clock" OUT="$3" \
      ${5:+LOAD_FF=$5} ${6:+INPUT_SLEW_NS=$6} "$STA" -exit "$tcl" >"$3.log" 2>&1 ||
    { echo "pdk-parity.sh: OpenSTA failed on $1 (log $3.log)" >&2; return 1; }
}

# Halo's table; same arguments.
run_halo() {
  local args=(characterize "$1" --top "$2" --bus W --quiet -o "$3")
  [[ "$2" == pe8 ]] && args=(characterize "$1" --top "$2" --bus wreg --clock clk --quiet -o "$3")
  for l in $4; do args+=(--liberty "$l"); done
  [[ -n "$5" ]] && args+=(--output-load "${5}fF")
  [[ -n "$6" ]] && args+=(--input-slew "${6}ns")
  "$HALO" "${args[@]}"
}

# Largest |a - b| in ps over the codes of two tables; prints "codes max_ps code".
compare() {
  awk -F, 'NR == FNR { if (FNR > 1) a[$1] = $2; next }
           FNR > 1 { if (!($1 in a)) { print "missing code " $1 > "/dev/stderr"; bad = 1; next }
                     if (($2 == "") != (a[$1] == "")) { print "path mismatch at code " $1 > "/dev/stderr"; bad = 1; next }
                     if ($2 == "") next
                     d = ($2 - a[$1]) * 1000; if (d < 0) d = -d; n++
                     if (d > m) { m = d; at = $1 } }
           END { printf "%d %.4f %s\n", n, m, (at == "" ? "-" : at); exit bad }' "$1" "$2"
}

worst_total=0
report() {  # id, design results...
  printf '%-28s %s\n' "$1" "$2"
}

check_config() {  # id, netlist folder, "files", load, slew, source dir of files
  local id="$1" dir="$2" files="$3" load="$4" slew="$5" src="$6"
  local libs="" worst=0 where="" codes=0
  for f in $files; do libs+="$(plain_lib "$src/$f") "; done
  for d in mac8 pe8; do
    local netlist="$dir/$d.v" ref
    mkdir -p "$SCRATCH/$id"
    if [[ -n "${STA:-}" ]]; then
      ref="$SCRATCH/$id/$d.sta.csv"
      run_sta "$netlist" "$d" "$ref" "$libs" "$load" "$slew"
      if (( write )) && [[ "$src" == "$PDK"* ]]; then mkdir -p "$fixtures/$id"; cp "$ref" "$fixtures/$id/$d.csv"; fi
    else
      ref="$fixtures/$id/$d.csv"
    fi
    run_halo "$netlist" "$d" "$SCRATCH/$id/$d.halo.csv" "$libs" "$load" "$slew"
    read -r n m at < <(compare "$SCRATCH/$id/$d.halo.csv" "$ref")
    codes=$((codes + n))
    if awk -v a="$m" -v b="$worst" 'BEGIN { exit !(a >= b) }'; then worst=$m; where="$d code $at"; fi
  done
  report "$id" "$(printf '%4d codes  max |Halo - OpenSTA| = %.3f ps  (%s)' "$codes" "$worst" "$where")"
  if awk -v a="$worst" 'BEGIN { exit !(a > 1) }'; then worst_total=1; fi
}

echo "library (settings)           result"
while IFS="|" read -r id dir files load slew; do
  [[ "$id" == id || -z "$id" ]] && continue
  [[ -n "${ONLY:-}" && ! "$id" =~ $ONLY ]] && continue
  check_config "$id" "$repo/Netlists/pdk/$dir" "$files" "$load" "$slew" "$PDK"
done < <(tr "\t" "|" < "$configs_file")

if (( extra )); then
  mkdir -p "$EXTRA_DIR"
  for e in "${EXTRAS[@]}"; do
    IFS='|' read -r id dir files url <<<"$e"
    [[ -n "${ONLY:-}" && ! "$id" =~ $ONLY ]] && continue
    ok=1
    for f in $files; do
      if [[ ! -s "$EXTRA_DIR/$f" ]]; then
        curl -fsSL -o "$EXTRA_DIR/$f.part" "$url/$f" && mv "$EXTRA_DIR/$f.part" "$EXTRA_DIR/$f" ||
          { rm -f "$EXTRA_DIR/$f.part"; ok=0; }
      fi
    done
    if (( !ok )); then report "$id" "skipped: could not fetch every file from $url"; continue; fi
    if [[ "$dir" == map:* ]]; then
      # A cell set with no committed netlist: map mac8 and pe8 with Yosys now (the flow of Netlists/pdk).
      mapped="$SCRATCH/mapped/${dir#map:}"
      if [[ ! -f "$mapped/pe8.v" ]]; then
        mkdir -p "$mapped"
        first="$(plain_lib "$EXTRA_DIR/${files%% *}")"
        ylib="$mapped/yosys.lib"
        # Yosys 0.23 stops at test_cell groups: give it a copy without them.
        awk 'BEGIN { skip = 0 } { if (!skip && $0 ~ /^[ \t]*test_cell[ \t]*\(/) { skip = 1; depth = 0 }
             if (skip) { depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}"); if (depth <= 0 && $0 ~ /\}/) skip = 0; next }
             print }' "$first" > "$ylib"
        for d in mac8 pe8; do
          yosys -q -p "read_verilog $repo/Netlists/rtl/$d.v; synth -top $d; dfflibmap -liberty $ylib; abc -liberty $ylib; opt_clean; write_verilog -noattr -noexpr $mapped/$d.v" >/dev/null 2>&1
        done
      fi
      dir="$mapped"
    else
      dir="$repo/Netlists/pdk/$dir"
    fi
    check_config "$id" "$dir" "$files" "" "" "$EXTRA_DIR"
  done
fi
exit "$worst_total"
