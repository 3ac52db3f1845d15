#!/usr/bin/env bash
# Self-check of the simulation harness: random signed vectors through simulate.sh for every netlist
# (RTL, osu018, generic) of mac8, pe8 and mac16, compared with Y = (P + A*W) mod 2^PW.
#   selfcheck.sh [N_VECTORS=2000] [SEED=1]
# Needs iverilog, python3 (stdlib only) and, for osu018, qflow-tech-osu018. Exit 0 iff all match.
set -euo pipefail

n="${1:-2000}" seed="${2:-1}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nl="$(dirname "$here")"
OSU018_V=/usr/share/qflow/tech/osu018/osu018_stdcells.v
work="$(mktemp -d "${TMPDIR:-/tmp}/halo-selfcheck.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# gen AW PW OUT: corner cases, then random vectors; W repeats in runs of 1..8 so that tb_pe
# exercises both "reload the weight" and "keep the weight".
gen() {
  python3 - "$1" "$2" "$3" "$n" "$seed" <<'PY'
import random, sys
aw, pw, out, n, seed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(seed * 1000 + aw)
amin, amax, pmin, pmax = -(1 << aw - 1), (1 << aw - 1) - 1, -(1 << pw - 1), (1 << pw - 1) - 1
vecs = [(a, w, p) for a in (amin, -1, 0, 1, amax) for w in (amin, -1, 0, 1, amax) for p in (pmin, -1, 0, pmax)]
w = 0
while len(vecs) < n:
    if rng.random() < 0.3:
        w = rng.randint(amin, amax)
    vecs.append((rng.randint(amin, amax), w, rng.randint(pmin, pmax)))
da, dp = (aw + 3) // 4, (pw + 3) // 4
with open(out, "w") as f:
    for a, w, p in vecs[:n]:
        f.write(f"{a & (1 << aw) - 1:0{da}x} {w & (1 << aw) - 1:0{da}x} {p & (1 << pw) - 1:0{dp}x}\n")
PY
}

# check AW PW VECTORS RESULT: compare with integer arithmetic, print the first mismatches.
check() {
  python3 - "$@" <<'PY'
import sys
aw, pw, vin, vout = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def s(x, b): return x - (1 << b) if x >> (b - 1) else x
vecs = [list(map(lambda t: int(t, 16), l.split())) for l in open(vin) if l.strip()]
outs = [l.strip() for l in open(vout) if l.strip()]
bad = 0
if len(outs) != len(vecs):
    print(f"    {len(outs)} outputs for {len(vecs)} vectors"); sys.exit(1)
for i, ((a, w, p), y) in enumerate(zip(vecs, outs)):
    want = (s(p, pw) + s(a, aw) * s(w, aw)) % (1 << pw)
    try: got = int(y, 16)
    except ValueError: got = None
    if got != want:
        bad += 1
        if bad <= 5: print(f"    vector {i}: A={a:x} W={w:x} P={p:x}: got {y}, want {want:0{(pw + 3) // 4}x}")
print(f"    {len(vecs) - bad}/{len(vecs)} match")
sys.exit(1 if bad else 0)
PY
}

fail=0
for d in mac8 pe8 mac16; do
  case "$d" in mac16) aw=16 pw=40 ;; *) aw=8 pw=20 ;; esac
  gen "$aw" "$pw" "$work/$d.hex"
  for v in rtl osu018 generic; do
    models=()
    [[ "$v" == osu018 ]] && models=("$OSU018_V")
    echo "$v/$d.v ($n vectors):"
    if "$here/simulate.sh" "$nl/$v/$d.v" "$d" "$work/$d.hex" "$work/$v-$d.out" ${models[@]+"${models[@]}"} &&
       check "$aw" "$pw" "$work/$d.hex" "$work/$v-$d.out"; then
      echo "  PASS"
    else
      echo "  FAIL"; fail=1
    fi
  done
done
[[ $fail -eq 0 ]] && echo "selfcheck: all netlists match P + A*W" || echo "selfcheck: FAILED"
exit $fail
