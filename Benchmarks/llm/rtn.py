#!/usr/bin/env python3
"""The plain baseline a HALO grid is timed against: per-channel INT4 round-to-nearest with numpy.

    python3 rtn.py MODEL_FOLDER OUT_FOLDER

Reads a Hugging Face folder of BF16/F16/F32 safetensors shards (memory-mapped), quantizes the tensors
Halo quantizes by default (2-D `*.weight` of linear layers; not embeddings, norms, biases or lm_head):
for each row, scale = absmax / 7, q = clip(round(w / scale), -8, 7), w' = q * scale, written back in
the tensor's dtype (BF16 rounded to nearest even); copies every other tensor and file. The same work
as `halo quantize` on a folder, with a fixed uniform grid: read, quantize, write. Prints the weights
quantized and the wall time.
"""
import json
import os
import shutil
import struct
import sys
import time

import numpy as np

DT = {"BF16": ("<u2", 2), "F16": ("<f2", 2), "F32": ("<f4", 4)}


def keep_reason(name, shape):
    parts = name.lower().split(".")
    if any("embed" in p or p in ("wte", "wpe") for p in parts):
        return "embedding"
    if "lm_head" in parts:
        return "lm_head"
    if any("norm" in p or p == "ln" or p.startswith("ln_") for p in parts):
        return "norm"
    if len(shape) != 2 or parts[-1] != "weight":
        return "shape"
    return None


def to_f32(raw, dtype):
    if dtype == "BF16":
        return (raw.astype(np.uint32) << 16).view(np.float32)
    return raw.astype(np.float32)


def from_f32(x, dtype):
    if dtype == "BF16":
        u = x.view(np.uint32)
        return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    return x.astype(DT[dtype][0])


def main():
    src, dst = sys.argv[1], sys.argv[2]
    start = time.time()
    os.makedirs(dst, exist_ok=False)
    count = 0
    for root, _, files in os.walk(src):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), src)
            if f.endswith(".safetensors") and root == src:
                continue
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))
    for f in sorted(os.listdir(src)):
        if not f.endswith(".safetensors"):
            continue
        path = os.path.join(src, f)
        with open(path, "rb") as fh:
            n = struct.unpack("<Q", fh.read(8))[0]
            header_bytes = fh.read(n)
        header = json.loads(header_bytes)
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
        with open(os.path.join(dst, f), "wb") as out:
            out.write(struct.pack("<Q", n))
            out.write(header_bytes)
            names = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
            for name in names:
                info = header[name]
                lo, hi = info["data_offsets"]
                raw = data[lo:hi]
                if info["dtype"] not in DT or keep_reason(name, info["shape"]):
                    out.write(raw.tobytes())
                    continue
                rows = info["shape"][0]
                w = raw.view(DT[info["dtype"]][0]).reshape(rows, -1)
                step = max(1, (1 << 22) // w.shape[1])
                for r in range(0, rows, step):
                    x = to_f32(w[r:r + step], info["dtype"])
                    scale = np.abs(x).max(axis=1, keepdims=True) / 7
                    scale[scale == 0] = 1
                    q = np.clip(np.rint(x / scale), -8, 7)
                    out.write(from_f32((q * scale).astype(np.float32), info["dtype"]).tobytes())
                count += w.size
    elapsed = time.time() - start
    print(json.dumps({"weights": count, "seconds": round(elapsed, 3), "weights_per_second": count / elapsed}))


if __name__ == "__main__":
    main()
