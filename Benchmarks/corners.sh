#!/usr/bin/env bash
# Multi-corner tables of the Yosys-mapped 8-bit MAC (Netlists/pdk): mac8 on GF180MCU 7-track (typical,
# 25 °C) at 5.0, 3.3 and 1.8 V, and on IHP SG13G2 typical at 1.50 and 1.20 V, each with energy
# (1,000 uniform activation vectors a code, input-port nets apart) and the voltage/frequency table that
# `halo quantize --vf-table` reads. Writes Benchmarks/results/corners/.
#
#   Benchmarks/corners.sh
#
# Environment (all optional):
#   PDK=<repo>/../shared/pdk   the gzip-compressed open-PDK libraries (see its README)
#   HALO=/path/halo             use this binary instead of building one
set -euo pipefail
export LC_ALL=C
bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
cd "$repo"
PDK="${PDK:-../shared/pdk}"
[[ -d "$PDK/gf180mcu" && -d "$PDK/ihp-sg13g2" ]] || { echo "corners.sh: no PDK libraries at $PDK (set PDK=)" >&2; exit 1; }
if [[ -z "${HALO:-}" ]]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  swift build -c release --product halo >&2
  HALO="$repo/.build/release/halo"
fi
out=Benchmarks/results/corners
mkdir -p "$out"
gf="$PDK/gf180mcu/gf180mcu_fd_sc_mcu7t5v0__tt_025C"
"$HALO" characterize Netlists/pdk/gf180mcu/mac8.v --bus W --quiet --energy \
  --corner 5.00V="${gf}_5v00.lib.gz" --corner 3.30V="${gf}_3v30.lib.gz" --corner 1.80V="${gf}_1v80.lib.gz" \
  -o "$out/mac8-gf180mcu-7t-tt.csv" --vf-output "$out/mac8-gf180mcu-7t-tt-vf.csv"
ihp="$PDK/ihp-sg13g2/sg13g2_stdcell"
"$HALO" characterize Netlists/pdk/ihp-sg13g2/mac8.v --bus W --quiet --energy \
  --corner 1.50V="${ihp}_typ_1p50V_25C.lib.gz" --corner 1.20V="${ihp}_typ_1p20V_25C.lib.gz" \
  -o "$out/mac8-ihp-sg13g2-typ.csv" --vf-output "$out/mac8-ihp-sg13g2-typ-vf.csv"
ls -l "$out"
