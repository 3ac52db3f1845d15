#!/usr/bin/env bash
# Maps rtl/mac8.v and rtl/pe8.v to the standard cells of five open PDKs with Yosys (the flow of
# ../regenerate.sh), writing <pdk>/<design>.v and MANIFEST.tsv beside this script.
#
#   Netlists/pdk/regenerate.sh        # any cwd; needs yosys (+ yosys-abc) and python3
#
# The Liberty files come from ../shared/pdk of the checkout's parent (or $HALO_PDK_DIR), gzip-compressed
# as that folder's README describes; they are decompressed into a scratch folder and never committed.
# Each PDK is mapped with one of its libraries (the mapping corner below); the parity tests time the
# same netlist with every corner of that PDK, whose cells are the same.
#
# ASAP7's smallest flops have only an inverted output (QN): mapped with them, the weight register's
# outputs `wreg` disappear into the inverters that follow, and the weight bus has no name to hold. Its
# Yosys copy therefore leaves the QN-only flops out, so that dfflibmap picks DFFHQx4 (a Q output).
#
# Two Yosys 0.23 quirks (../shared/pdk/README.md): its Liberty parser stops at GF180's `test_cell`
# groups, so Yosys gets a copy without them; and `abc -liberty` takes one file, so ASAP7 is mapped with
# one file holding the cells (and table templates) of all five. Both copies serve the mapping only;
# timing always reads the original files.
#
# Deterministic: a second run reproduces every file byte for byte (Yosys 0.23).
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$(cd "$here/../rtl" && pwd)"
PDK="${HALO_PDK_DIR:-$(cd "$here/../../.." && pwd)/shared/pdk}"
[[ -d "$PDK" ]] || { echo "regenerate.sh: no PDK folder at $PDK (set HALO_PDK_DIR)" >&2; exit 1; }
command -v yosys >/dev/null || { echo "regenerate.sh: yosys not found (apt-get install yosys)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "regenerate.sh: python3 not found" >&2; exit 1; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/halo-pdk-map.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# pdk | cells left out of the Yosys copy (regex, or -) | mapping library files (relative to $PDK, read
# together for timing; the first names the corner)
PDKS=(
  "ihp-sg13g2|-|ihp-sg13g2/sg13g2_stdcell_typ_1p20V_25C.lib.gz"
  "gf180mcu|-|gf180mcu/gf180mcu_fd_sc_mcu7t5v0__tt_025C_5v00.lib.gz"
  "asap7|^DFF(ASR)?[HL]QNx|asap7/asap7sc7p5t_SIMPLE_RVT_TT_nldm_211120.lib.gz asap7/asap7sc7p5t_AO_RVT_TT_nldm_211120.lib.gz asap7/asap7sc7p5t_OA_RVT_TT_nldm_211120.lib.gz asap7/asap7sc7p5t_INVBUF_RVT_TT_nldm_220122.lib.gz asap7/asap7sc7p5t_SEQ_RVT_TT_nldm_220123.lib.gz"
  "sky130hd|-|sky130hd/sky130hd_tt.lib.gz"
  "nangate45|-|nangate45/nangate45_slow.lib.gz"
)
DESIGNS=(mac8 pe8)

# One Liberty file for Yosys from several: the first file's library header and attributes, then every
# lu_table_template / power_lut_template / cell group of all of them (templates once by name), without
# test_cell groups, and without the cells whose names match $2 (- for none). Brace-matching on the text;
# comments and strings are left as they are.
prepare_for_yosys() {
  python3 - "$@" <<'PY'
import re, sys
out, exclude, files = sys.argv[1], sys.argv[2], sys.argv[3:]
excluded = (lambda name: False) if exclude == '-' else re.compile(exclude).search

def groups(text, start):
    """Top-level groups of the library body starting at `start`: (name, arg, begin, end) spans."""
    i, n, depth, res = start, len(text), 0, []
    head = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*\{')
    while i < n:
        m = head.match(text, i)
        if m:
            j, depth = m.end(), 1
            while depth and j < n:
                c = text[j]
                if c == '"':
                    j = text.index('"', j + 1)
                elif c == '/' and text.startswith('/*', j):
                    j = text.index('*/', j) + 1
                elif c == '{':
                    depth += 1
                elif c == '}':
                    depth -= 1
                j += 1
            res.append((m.group(1), m.group(2).strip().strip('"'), i, j))
            i = j
        else:
            k = text.find('\n', i)
            if text[i:].lstrip().startswith('}') or k < 0:
                break
            i = k + 1
    return res

def strip_test_cells(cell_text):
    body_start = cell_text.index('{') + 1
    keep, last = [], 0
    for name, _, b, e in groups(cell_text, body_start):
        if name == 'test_cell':
            keep.append(cell_text[last:b]); last = e
    keep.append(cell_text[last:])
    return ''.join(keep)

texts = [open(f).read() for f in files]
lib0 = texts[0]
body0 = lib0.index('{', lib0.index('library')) + 1
first_group = min((b for _, _, b, _ in groups(lib0, body0)), default=len(lib0))
parts = [lib0[:first_group]]
seen = set()
for t in texts:
    body = t.index('{', t.index('library')) + 1
    for name, arg, b, e in groups(t, body):
        if name in ('lu_table_template', 'power_lut_template'):
            if (name, arg) in seen: continue
            seen.add((name, arg)); parts.append(t[b:e])
        elif name == 'cell':
            if not excluded(arg):
                parts.append(strip_test_cells(t[b:e]))
        elif t is lib0 and name not in ('cell',):
            parts.append(t[b:e])
parts.append('\n}\n')
open(out, 'w').write(''.join(parts))
PY
}

mapping_cmd() { echo "read_verilog $1; synth -top $2; dfflibmap -liberty $3; abc -liberty $3; opt_clean; write_verilog -noattr -noexpr $4"; }

cd "$here"
{
  printf 'file\ttop\tweight_bus\tclock\tcells\tcell_types\tmapping_libraries\tleft_out_for_yosys\tmapping\n'
  for entry in "${PDKS[@]}"; do
    IFS='|' read -r pdk exclude files <<<"$entry"
    read -r -a libs <<<"$files"
    plain=()
    for l in "${libs[@]}"; do
      [[ -f "$PDK/$l" ]] || { echo "regenerate.sh: missing $PDK/$l" >&2; exit 1; }
      f="$scratch/$(basename "$l" .gz)"
      gzip -dc "$PDK/$l" > "$f"
      plain+=("$f")
    done
    ylib="$scratch/$pdk-yosys.lib"
    prepare_for_yosys "$ylib" "$exclude" "${plain[@]}"
    mkdir -p "$pdk"
    for d in "${DESIGNS[@]}"; do
      echo "yosys: $pdk/$d.v" >&2
      yosys -q -p "$(mapping_cmd "../rtl/$d.v" "$d" "$ylib" "$pdk/$d.v")" 2>&1 >/dev/null |
        { grep -v "^Warning: Found unsupported expression" || true; } >&2
      hist="$(awk '/^  [^ ].* \($/ { t = $1; sub(/^\\/, "", t); n[t]++ } END { for (t in n) print t, n[t] }' "$pdk/$d.v" | sort)"
      cells="$(awk '{ s += $2 } END { print s }' <<<"$hist")"
      types="$(awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2 }' <<<"$hist")"
      bus=W; clock=""
      [[ "$d" == pe8 ]] && { bus=wreg; clock=clk; }
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pdk/$d.v" "$d" "$bus" "$clock" "$cells" "$types" \
        "${libs[*]}" "$exclude" "$(mapping_cmd "../rtl/$d.v" "$d" "LIB" "$pdk/$d.v")"
    done
  done
} > MANIFEST.tsv
echo "regenerate.sh: wrote $(($(wc -l < MANIFEST.tsv) - 1)) netlists, MANIFEST.tsv" >&2
