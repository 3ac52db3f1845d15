#!/bin/sh
# Calibration statistics for `halo quantize/select --importance`: runs a model folder over calibration
# text and writes NAME.act_sq (and with --fisher NAME.fisher) for every linear layer. See
# Scripts/calibrate.py --help. Uses the virtual environment HALO_VENV (Scripts/venv.sh).
#
#   Scripts/calibrate.sh MODEL_DIR calibration.txt -o calib.safetensors [--fisher] [--max-sentences 512]
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/venv.sh"
exec "$PYTHON" "$here/calibrate.py" "$@"
