#!/usr/bin/env python3
# Writes the binary weight files of the bad-input corpus (.npy and .safetensors), byte for byte as
# committed. Run from this directory: python3 _make-weights.py. Standard library only.
import json, struct


def npy(name, header, payload=b"", version=1):
    h = header.encode("latin1")
    pad = (64 - (10 + len(h) + 1) % 64) % 64
    h = h + b" " * pad + b"\n"
    if version == 1:
        pre = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h))
    else:
        pre = b"\x93NUMPY\x02\x00" + struct.pack("<I", len(h))
    open(name, "wb").write(pre + h + payload)


def st(name, header, payload=b""):
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    hb = h.encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    open(name, "wb").write(struct.pack("<Q", len(hb)) + hb + payload)


f4 = lambda *v: struct.pack("<%df" % len(v), *v)
f8 = lambda *v: struct.pack("<%dd" % len(v), *v)
NAN, INF = float("nan"), float("inf")

# Valid helper: 2x2 float32 weights.
npy("_w.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f4(0.5, -1, 0.25, 1))

# Sizes from outside: shapes whose element or byte count overflows a 64-bit integer.
npy("npy-huge-shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }")
npy("npy-shape-overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }")
npy("npy-v2-huge-shape.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", version=2)
st("st-huge-shape.safetensors", {"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}, f4(1, 2, 3, 4))
st("st-huge-offsets.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [9000000000000000, 9000000000000008]}}, f4(1, 2))

# Header, shape and byte counts that disagree.
npy("npy-truncated.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f4(1, 2, 3))
npy("npy-extra-bytes.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4(1, 2, 3, 4))
npy("npy-repeated-key.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }", f4(1, 2))
npy("npy-unknown-key.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'order': 'C', }", f4(1, 2))
st("st-shape-bytes.safetensors", {"w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 16]}}, f4(1, 2, 3, 4))
st("st-overlap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, f4(1, 2, 3))
st("st-out-of-order.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, f4(1, 2))
st("st-gap.safetensors", {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                          "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, f4(1, 2, 3))
st("st-trailing.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f4(1, 2, 3))
st("st-same-range.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f4(1, 2))

# Values that are not numbers, and tensors with nothing in them.
npy("npy-nan.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f4(1, 2, NAN, 4))
npy("npy-inf-f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f8(1, 1e300, 2))
npy("npy-empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }")
st("st-nan.safetensors", {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, f4(1, NAN, 3, 4))
st("st-inf-f16.safetensors", {"w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}},
   struct.pack("<4H", 0x3C00, 0x3C00, 0x3C00, 0x7C00))
st("st-empty.safetensors", {"w": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}})
npy("npy-negative-importance.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4(1, -0.5))
