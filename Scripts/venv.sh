# Sourced by the Python helpers' wrappers (Scripts/calibrate.sh, Benchmarks/accuracy.sh): sets PYTHON to
# the interpreter of the virtual environment HALO_VENV (default ~/.cache/halo/venv-torch), creating it
# with pip (PyTorch, transformers, sentence-transformers, numpy, safetensors, gguf, accelerate) when it is
# missing or lacks one of them. Never needed by the Swift build or its tests.
HALO_VENV="${HALO_VENV:-$HOME/.cache/halo/venv-torch}"
halo_venv_packages="torch transformers sentence-transformers numpy safetensors gguf accelerate"
if [ ! -x "$HALO_VENV/bin/python" ]; then
    echo "[venv] creating $HALO_VENV" >&2
    python3 -m venv "$HALO_VENV" >&2
fi
PYTHON="$HALO_VENV/bin/python"
if ! "$PYTHON" -c "import torch, transformers, sentence_transformers, numpy, safetensors, gguf, accelerate" 2>/dev/null; then
    echo "[venv] installing into $HALO_VENV: $halo_venv_packages" >&2
    "$PYTHON" -m pip install --quiet --disable-pip-version-check $halo_venv_packages >&2
fi
export PYTHON HALO_VENV
