#!/usr/bin/env python3
"""A synthetic LLaMA-shaped BF16 checkpoint, deterministic, written as a Hugging Face model folder.

    python3 make_checkpoint.py OUT_FOLDER [--shape tinyllama-1.1b|small] [--seed 1]

Shapes of TinyLlama-1.1B (hidden 2048, intermediate 5632, 22 layers, 32 query heads and 4 key/value
heads of 64, vocabulary 32000): 1.10 B weights, 2.2 GB of BF16 in shards of at most 1 GiB, with
`model.safetensors.index.json`, `config.json` and a tokenizer stub. `small` is the same layout at
hidden 256 (a few MB) for a quick check.

Weights: each row (output channel) is Student-t with 4 degrees of freedom (heavy-tailed, as trained
LLM weights are) times a per-row scale drawn log-normally (rows differ in range, as they do in real
layers), times 0.02; norms are ones plus noise; embeddings Gaussian. Only numpy is needed; the
safetensors files are written by hand (8-byte header length, JSON header, data).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

SHAPES = {
    "tinyllama-1.1b": dict(hidden=2048, intermediate=5632, layers=22, heads=32, kv_heads=4, vocab=32000),
    "mid": dict(hidden=2048, intermediate=5632, layers=2, heads=32, kv_heads=4, vocab=1000),
    "small": dict(hidden=256, intermediate=704, layers=2, heads=4, kv_heads=1, vocab=1000),
}
SHARD_BYTES = 1 << 30


def tensors(shape):
    h, i, kv = shape["hidden"], shape["intermediate"], shape["hidden"] // shape["heads"] * shape["kv_heads"]
    yield "model.embed_tokens.weight", (shape["vocab"], h), "embed"
    for layer in range(shape["layers"]):
        p = f"model.layers.{layer}."
        yield p + "input_layernorm.weight", (h,), "norm"
        yield p + "self_attn.q_proj.weight", (h, h), "linear"
        yield p + "self_attn.k_proj.weight", (kv, h), "linear"
        yield p + "self_attn.v_proj.weight", (kv, h), "linear"
        yield p + "self_attn.o_proj.weight", (h, h), "linear"
        yield p + "post_attention_layernorm.weight", (h,), "norm"
        yield p + "mlp.gate_proj.weight", (i, h), "linear"
        yield p + "mlp.up_proj.weight", (i, h), "linear"
        yield p + "mlp.down_proj.weight", (h, i), "linear"
    yield "model.norm.weight", (h,), "norm"
    yield "lm_head.weight", (shape["vocab"], h), "linear"


def bf16_bytes(x):
    """float32 array -> BF16 bytes (round to nearest even)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype("<u2").tobytes()


def values(rng, shape, kind):
    if kind == "norm":
        return 1.0 + 0.05 * rng.standard_normal(shape, dtype=np.float32)
    if kind == "embed":
        return 0.02 * rng.standard_normal(shape, dtype=np.float32)
    rows, cols = shape
    out = np.empty(shape, dtype=np.float32)
    step = max(1, (1 << 22) // cols)  # about 4 Mi values at a time
    for r in range(0, rows, step):
        n = min(step, rows - r)
        scale = np.exp(0.5 * rng.standard_normal((n, 1))).astype(np.float32)
        out[r:r + n] = 0.02 * scale * rng.standard_t(4, size=(n, cols)).astype(np.float32)
    return out


def write_shard(path, entries):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, data in entries:
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, data in entries:
            f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--shape", default="tinyllama-1.1b", choices=sorted(SHAPES))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    shape = SHAPES[args.shape]
    os.makedirs(args.out, exist_ok=True)
    plan = list(tensors(shape))
    # Shards: consecutive tensors up to SHARD_BYTES each.
    groups, current, size = [], [], 0
    for name, dims, kind in plan:
        nbytes = 2 * int(np.prod(dims))
        if current and size + nbytes > SHARD_BYTES:
            groups.append(current)
            current, size = [], 0
        current.append((name, dims, kind))
        size += nbytes
    groups.append(current)
    rng = np.random.default_rng(args.seed)
    weight_map, total = {}, 0
    for g, group in enumerate(groups):
        file = f"model-{g + 1:05d}-of-{len(groups):05d}.safetensors"
        entries = []
        for name, dims, kind in group:
            data = bf16_bytes(values(rng, dims, kind))
            entries.append((name, dims, data))
            weight_map[name] = file
            total += len(data)
        write_shard(os.path.join(args.out, file), entries)
        print(f"{file}: {len(group)} tensors, {sum(len(e[2]) for e in entries) / 1e9:.2f} GB", file=sys.stderr)
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": shape["hidden"],
        "intermediate_size": shape["intermediate"], "num_hidden_layers": shape["layers"],
        "num_attention_heads": shape["heads"], "num_key_value_heads": shape["kv_heads"],
        "vocab_size": shape["vocab"], "rms_norm_eps": 1e-5, "torch_dtype": "bfloat16",
        "tie_word_embeddings": False, "max_position_embeddings": 2048,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": 2048, "note": "synthetic checkpoint: no real tokenizer"}, f, indent=2)
    count = sum(int(np.prod(d)) for _, d, _ in plan)
    print(f"{args.out}: {count / 1e9:.3f} B weights in {len(groups)} shards", file=sys.stderr)


if __name__ == "__main__":
    main()
