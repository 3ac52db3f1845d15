#!/usr/bin/env python3
"""Calibration statistics for Halo's --importance: NAME.act_sq (and optionally NAME.fisher).

Runs a Hugging Face model folder (a sentence-transformers folder with modules.json, a causal LM, or any
transformers encoder) over calibration text, one sentence or paragraph a line, with forward hooks on
every torch.nn.Linear, and writes a .safetensors file holding for each linear layer whose weight is a
tensor of the folder's *.safetensors:

  NAME.act_sq  F32 [in_features]: the mean over the calibration tokens (padding excluded) of x^2 of
               each input feature of the layer (AWQ-style activation statistics).
  NAME.fisher  F32, the weight's shape (with --fisher): the diagonal of the Fisher information, summed
               over the calibration batches. For a causal LM, the squared gradient of the next-token
               negative log-likelihood of each batch; for an embedding model, the diagonal of the
               Gauss-Newton matrix J^T J of the pooled embedding, estimated without bias as the squared
               gradient of r . e for a random Gaussian r per sentence (E[(r . J g)^2] = sum_k J_k^2).

NAME is the weight's name in the folder's safetensors files (e.g. encoder.layer.0.attention.self.query.weight
for all-MiniLM-L6-v2, whose sentence-transformers module is 0.auto_model.encoder...): each module name is
matched to the longest dotted suffix of MODULE.weight that names a tensor of the folder, and the match
is checked (same shape, same values). Layers without a match (a tied or generated weight) are left out.
"""
import argparse, glob, json, os, sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import save_file


def folder_tensors(folder):
    """{name: file} of every tensor of the folder's *.safetensors (top level)."""
    names = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        with safe_open(path, "np") as f:
            for k in f.keys():
                names[k] = path
    if not names:
        sys.exit(f"{folder}: error: no *.safetensors in the folder")
    return names


def load(folder, causal, device="cpu"):
    """(kind, model, encode) where encode(batch of str) -> (model inputs, attention mask)."""
    if os.path.exists(os.path.join(folder, "modules.json")) and not causal:
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(folder, device=device)
        model.eval()

        def encode(batch):
            features = model.tokenize(batch)
            return features, features["attention_mask"]
        return "embedding", model, encode
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32)
    model.eval()

    def encode(batch):
        enc = tok(batch, return_tensors="pt", padding=True, truncation=True, max_length=256)
        return dict(enc), enc["attention_mask"]
    return "causal", model, encode


def match_names(model, tensors, folder):
    """[(module name, module, tensor name)] for every nn.Linear whose weight is a tensor of the folder."""
    out = []
    handles = {}
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        parts = (name + ".weight").split(".")
        key = next((".".join(parts[i:]) for i in range(len(parts)) if ".".join(parts[i:]) in tensors), None)
        if key is None:
            print(f"[calibrate] {name}: no tensor of the folder matches its weight; left out", file=sys.stderr)
            continue
        path = tensors[key]
        if path not in handles:
            handles[path] = safe_open(path, "pt")
        stored = handles[path].get_tensor(key).float()
        w = module.weight.detach().float().cpu()
        if tuple(stored.shape) != tuple(w.shape) or not torch.allclose(stored, w, rtol=1e-3, atol=1e-6):
            sys.exit(f"{folder}: error: module '{name}' matched tensor '{key}', but their shapes or values differ")
        out.append((name, module, key))
    if not out:
        sys.exit(f"{folder}: error: no torch.nn.Linear layer's weight is a tensor of the folder")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="model folder (Hugging Face / sentence-transformers)")
    ap.add_argument("text", help="calibration text: one sentence (or paragraph) a line")
    ap.add_argument("-o", "--output", required=True, help="the .safetensors statistics file to write")
    ap.add_argument("--fisher", action="store_true", help="also write NAME.fisher (needs a backward pass)")
    ap.add_argument("--max-sentences", type=int, default=512, help="calibration lines used (default 512)")
    ap.add_argument("--batch", type=int, default=32, help="lines a batch (default 32)")
    ap.add_argument("--causal", action="store_true", help="load as a causal LM even with modules.json")
    ap.add_argument("--seed", type=int, default=0, help="seed of the Fisher estimate's random projections")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    lines = [l.strip() for l in open(args.text, encoding="utf-8") if l.strip()][: args.max_sentences]
    if not lines:
        sys.exit(f"{args.text}: error: no calibration text")
    tensors = folder_tensors(args.model)
    kind, model, encode = load(args.model, args.causal)
    layers = match_names(model, tensors, args.model)
    sums = {key: None for _, _, key in layers}
    count = {"tokens": 0}
    state = {"mask": None}

    def hook(key):
        def f(module, inputs, output):
            x = inputs[0].detach().float()
            mask = state["mask"]
            if mask is not None and x.dim() == 3 and tuple(x.shape[:2]) == tuple(mask.shape):
                x = x[mask.bool()]
            x = x.reshape(-1, x.shape[-1])
            s = (x * x).sum(dim=0).double()
            sums[key] = (s, x.shape[0]) if sums[key] is None else (sums[key][0] + s, sums[key][1] + x.shape[0])
        return f

    handles = [module.register_forward_hook(hook(key)) for _, module, key in layers]
    fisher = {key: torch.zeros_like(module.weight, dtype=torch.float64) for _, module, key in layers} if args.fisher else None
    params = {key: module.weight for _, module, key in layers}
    for start in range(0, len(lines), args.batch):
        batch = lines[start : start + args.batch]
        inputs, mask = encode(batch)
        state["mask"] = mask
        count["tokens"] += int(mask.sum())
        if fisher is None:
            with torch.no_grad():
                model(inputs) if kind == "embedding" else model(**inputs)
            continue
        model.zero_grad(set_to_none=True)
        if kind == "embedding":
            emb = model(inputs)["sentence_embedding"]
            loss = (torch.randn_like(emb) * emb).sum()
        else:
            labels = inputs["input_ids"].masked_fill(mask == 0, -100)
            loss = model(**inputs, labels=labels).loss * int((labels[:, 1:] != -100).sum())
        loss.backward()
        for key, p in params.items():
            if p.grad is not None:  # None: the layer does not reach the loss (a pooler the embedding does not use)
                fisher[key] += p.grad.detach().double() ** 2
    for h in handles:
        h.remove()
    out = {}
    for _, module, key in layers:
        if sums[key] is None:
            print(f"[calibrate] {key}: never called; left out", file=sys.stderr)
            continue
        # The mean over the rows (tokens) this layer saw.
        act = (sums[key][0] / sums[key][1]).float().numpy()
        out[key + ".act_sq"] = np.ascontiguousarray(act.astype(np.float32))
        if fisher is not None:
            if float(fisher[key].max()) > 0:
                out[key + ".fisher"] = np.ascontiguousarray(fisher[key].float().cpu().numpy())
            else:
                print(f"[calibrate] {key}: no gradient reaches it; no fisher written (act_sq is)", file=sys.stderr)
    save_file(out, args.output, metadata={"format": "halo-calibration", "model": os.path.abspath(args.model),
                                          "text": os.path.abspath(args.text), "lines": str(len(lines)),
                                          "tokens": str(count["tokens"]), "kind": kind})
    print(f"[calibrate] wrote {args.output}: {len(layers)} linear layers, {len(lines)} lines, {count['tokens']} tokens"
          + (", with fisher" if fisher is not None else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
