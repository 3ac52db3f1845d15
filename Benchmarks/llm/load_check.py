#!/usr/bin/env python3
"""Loads a model folder written by `halo quantize --weights FOLDER -o OUT` the way its users do, with
`transformers` (and `sentence-transformers` when the folder is a sentence-transformers model), and checks
that what the loader holds is what Halo says it wrote:

1. `from_pretrained(OUT)` succeeds with no missing or unexpected keys;
2. every quantized tensor listed in OUT/halo.json equals value(code) x scale from the codes files, rounded
   to the tensor's dtype (the loader sees the quantized weights, not the originals);
3. every other parameter equals the original model's, bit for bit;
4. the model runs: sentence embeddings (cosine to the original's) or a causal LM's next-token logits
   (top-1 agreement with the original's) on a few sentences.

Prints one JSON object; exits non-zero when a check fails.

    load_check.py ORIGINAL_FOLDER QUANTIZED_FOLDER
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file

SENTENCES = [
    "The weight-stationary array holds one weight in each multiply-accumulate unit.",
    "Static timing analysis finds the longest path through the gates.",
    "A quiet street in the old town, with cafés and a bookshop.",
    "Quantization maps real numbers onto a small set of levels.",
    "The committee postponed its decision until the next meeting.",
    "She planted tomatoes, basil and two rows of beans in the garden.",
    "Lower supply voltage saves energy but slows every gate.",
    "The train to the coast leaves at seven in the morning.",
]


def fail(message):
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def expected_tensors(out):
    """name -> float32 array of value(code) x scale, from halo.json and the codes files."""
    manifest = json.load(open(os.path.join(out, "halo.json")))
    grid = manifest["grid"]
    lookup = np.zeros(1 << 16, dtype=np.float32)
    for code, value in zip(grid["codes"], grid["values"]):
        lookup[code] = np.float32(value)
    granularity = manifest["granularity"]
    tensors = {}
    for name in manifest["codes_files"]:
        data = load_file(os.path.join(out, name))
        for key in data:
            if not key.endswith(".codes"):
                continue
            base = key[: -len(".codes")]
            codes = data[key].astype(np.int64)
            scale = data[base + ".scale"].astype(np.float32)
            rows = codes.shape[0] if codes.ndim > 1 else 1
            matrix = codes.reshape(rows, -1)
            cols = matrix.shape[1]
            if granularity == "tensor":
                s = np.broadcast_to(scale.reshape(1, 1), matrix.shape)
            elif granularity == "channel":
                s = np.broadcast_to(scale.reshape(rows, 1), matrix.shape)
            else:
                g = int(granularity.split(":")[1])
                s = np.repeat(scale.reshape(rows, -1), g, axis=1)[:, :cols]
            tensors[base] = (lookup[matrix] * s).astype(np.float32).reshape(codes.shape)
    return manifest, tensors


def state(model):
    return {k: v.detach() for k, v in model.state_dict().items()}


def find(params, name):
    if name in params:
        return params[name]
    hits = [k for k in params if k.endswith("." + name) or name.endswith("." + k)]
    return params[hits[0]] if len(hits) == 1 else None


def main():
    original, out = sys.argv[1], sys.argv[2]
    manifest, expected = expected_tensors(out)
    config = json.load(open(os.path.join(out, "config.json")))
    causal = any(a.endswith("ForCausalLM") for a in config.get("architectures", []))
    from transformers import AutoModel, AutoModelForCausalLM
    cls = AutoModelForCausalLM if causal else AutoModel
    dtype = torch.bfloat16 if config.get("torch_dtype") == "bfloat16" else torch.float32
    models = []
    for folder in (original, out):
        model, info = cls.from_pretrained(folder, torch_dtype=dtype, output_loading_info=True)
        missing = [k for k in info["missing_keys"] if "rotary" not in k]
        if missing or info["unexpected_keys"]:
            fail(f"{folder}: missing {missing[:5]} unexpected {info['unexpected_keys'][:5]}")
        models.append(model.eval())
    p0, p1 = state(models[0]), state(models[1])
    quantized = set(manifest["quantized"])
    checked, mismatched = 0, []
    for name, want in expected.items():
        got = find(p1, name)
        if got is None:
            fail(f"quantized tensor {name} is not a parameter of the loaded model")
        want_t = torch.from_numpy(want).to(got.dtype)
        if not torch.equal(got, want_t):
            mismatched.append(name)
        checked += 1
    if mismatched:
        fail(f"{len(mismatched)} quantized tensors differ from value(code) x scale: {mismatched[:3]}")
    kept_equal = 0
    for name, value in p1.items():
        base = next((q for q in quantized if name == q or name.endswith("." + q) or q.endswith("." + name)), None)
        if base is not None:
            continue
        if not torch.equal(value, p0[name]):
            fail(f"kept parameter {name} differs from the original")
        kept_equal += 1
    result = {"ok": True, "loader": cls.__name__, "dtype": str(dtype).replace("torch.", ""),
              "quantized_tensors_checked": checked, "kept_parameters_identical": kept_equal}
    with torch.no_grad():
        if os.path.exists(os.path.join(out, "modules.json")):
            from sentence_transformers import SentenceTransformer
            e0 = SentenceTransformer(original, device="cpu").encode(SENTENCES, convert_to_tensor=True, normalize_embeddings=True)
            e1 = SentenceTransformer(out, device="cpu").encode(SENTENCES, convert_to_tensor=True, normalize_embeddings=True)
            cos = (e0 * e1).sum(dim=1)
            result.update({"loader": "SentenceTransformer", "sentences": len(SENTENCES),
                           "mean_cosine_to_original": round(float(cos.mean()), 5), "min_cosine": round(float(cos.min()), 5)})
        elif causal:
            ids = torch.arange(1, 33).reshape(1, 32) % config.get("vocab_size", 32000)
            l0 = models[0](ids).logits.float()
            l1 = models[1](ids).logits.float()
            if not torch.isfinite(l1).all():
                fail("the quantized model's logits are not finite")
            cos = torch.nn.functional.cosine_similarity(l0, l1, dim=-1)
            result.update({"tokens": 32, "logits_cosine_to_original": round(float(cos.mean()), 5)})
        else:
            ids = torch.arange(100, 132).reshape(1, 32)
            h0, h1 = models[0](ids).last_hidden_state, models[1](ids).last_hidden_state
            cos = torch.nn.functional.cosine_similarity(h0, h1, dim=-1)
            result.update({"tokens": 32, "mean_cosine_to_original": round(float(cos.mean()), 5)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
