#!/usr/bin/env python3
"""Appends the loading checks of Benchmarks/quantize-llm.sh to its Markdown report (stdout).

    report_loading.py WORK MINILM_SECONDS MINILM_RSS_KIB PACKAGE
"""
import json
import sys

work, seconds, kb, package = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
m = json.load(open(f"{work}/minilm-load.json"))
r = json.load(open(f"{work}/minilm-report.json"))["model"]
l = json.load(open(f"{work}/llm-load.json"))
print("## The outputs load as their originals do")
print()
print("`Benchmarks/llm/load_check.py` (PyTorch, transformers, sentence-transformers) loads each output folder with "
      "`from_pretrained`, checks every quantized tensor the loader holds against value(code) × scale from the codes "
      "files and every other parameter against the original, bit for bit, and runs the model.")
print()
print("| model | quantized with | loader | quantized tensors = value(code) × scale | other parameters identical | run |")
print("|---|---|---|---:|---:|---|")
print(f"| all-MiniLM-L6-v2 (`{package}`, the whole folder) | the defaults: {len(r['quantized'])} tensors, "
      f"{r['quantized_weights']:,} weights in {seconds:.1f} s, {kb // 1024} MiB, SQNR {r['sqnr_db']:.2f} dB "
      f"| {m['loader']} | {m['quantized_tensors_checked']} | {m['kept_parameters_identical']} "
      f"| {m['sentences']} sentences: mean cosine {m['mean_cosine_to_original']} to the original's embeddings (min {m['min_cosine']}) |")
print(f"| the 1.1 B checkpoint above | the run above | {l['loader']} ({l['dtype']}) | {l['quantized_tensors_checked']} "
      f"| {l['kept_parameters_identical']} | {l['tokens']} tokens: mean cosine "
      f"{l['logits_cosine_to_original']} of the next-token logits to the original's (its weights are random) |")
print()
