#!/usr/bin/env bash
# Halo quick start: install the EDA data Halo is checked against (Debian packages, when missing),
# build halo in release mode, and characterize the shipped 8-bit signed MAC (Netlists/osu018/mac8.v)
# for all 256 weight codes on the osu018 library. Writes out/mac8-osu018.csv and out/mac8-osu018-W0.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(qflow-tech-osu018 qflow-tech-osu035 qflow-tech-osu050 yosys berkeley-abc iverilog opensta librsvg2-bin)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} )); then
  echo "quickstart: installing ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y "${missing[@]}"
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

swift build -c release --product halo
halo="$(swift build -c release --show-bin-path)/halo"
lib=/usr/share/qflow/tech/osu018/osu018_stdcells.lib
mkdir -p out
"$halo" characterize Netlists/osu018/mac8.v --liberty "$lib" --bus W -o out/mac8-osu018.csv
"$halo" report Netlists/osu018/mac8.v --liberty "$lib" --set W=0 > out/mac8-osu018-W0.txt
echo "wrote out/mac8-osu018.csv (delay of each weight code) and out/mac8-osu018-W0.txt (worst path with W=0)"
head -6 out/mac8-osu018.csv
echo "halo is $halo; to type 'halo' as the README does: export PATH=\"$(dirname "$halo"):\$PATH\""
