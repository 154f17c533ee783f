#!/usr/bin/env python3
"""tern next to PyTorch on the very same checkpoints, in one run: random bert-base and t5-small
Hugging Face checkpoints (made here, seeded), converted with tern-convert, then timed with
`tern bench` and with PyTorch fp32 (OpenBLAS) and PyTorch dynamic int8 (onednn), at 1 and 2
threads. Medians after warm-up; ratios are tern / PyTorch. Run through scripts/bench.sh."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

BERT_BASE = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 30522,
             "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
             "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
             "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "pad_token_id": 0}
T5_SMALL = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": 32128, "d_model": 512,
            "d_kv": 64, "d_ff": 2048, "num_layers": 6, "num_decoder_layers": 6, "num_heads": 8,
            "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128, "feed_forward_proj": "relu",
            "layer_norm_epsilon": 1e-6, "decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0}


def make_checkpoint(path, config, model):
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return
    os.makedirs(path, exist_ok=True)
    torch.manual_seed(1234)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif "norm" in name.lower():
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.05)
    sd = model.state_dict()
    if "lm_head.weight" in sd and config.get("tie_word_embeddings", True) and config["model_type"] == "t5":
        del sd["lm_head.weight"]
    tm.save_safetensors(os.path.join(path, "model.safetensors"), sd)
    json.dump(config, open(os.path.join(path, "config.json"), "w"), indent=2)


def median_ms(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def tern_bench(build, blob, args):
    out = subprocess.run([os.path.join(build, "tern"), "bench", blob, "--json"] + args, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", choices=["bert", "t5"], default=None)
    a = ap.parse_args()
    torch.backends.quantized.engine = "onednn"
    tm.check(os.path.join(ROOT, "tests", "data"))  # the PyTorch side is right before it is timed
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}; torch {torch.__version__}, BLAS: {torch.__config__.show().count('OpenBLAS') and 'OpenBLAS' or 'see torch config'}")
    rows = []
    for kind in ("bert", "t5"):
        if a.only and a.only != kind:
            continue
        config = BERT_BASE if kind == "bert" else T5_SMALL
        ckpt = os.path.join(a.work, kind + "-base" if kind == "bert" else "t5-small")
        make_checkpoint(ckpt, config, tm.Bert(config) if kind == "bert" else tm.T5(config))
        blob = ckpt + ".tern"
        subprocess.run([os.path.join(a.build, "converter", "tern-convert"), ckpt, "-o", blob], check=True,
                       capture_output=True)
        fp32 = tm.load_bert(ckpt) if kind == "bert" else tm.load_t5(ckpt)
        int8 = torch.quantization.quantize_dynamic(fp32, {nn.Linear}, dtype=torch.qint8)
        if kind == "bert":
            ids = torch.randint(5, 30522, (1, 128))
            mask, types = torch.ones(1, 128, dtype=torch.long), torch.zeros(1, 128, dtype=torch.long)
            run = lambda m: m(ids, mask, types)
            tern_args = ["--seq", "128"]
            label = "bert-base, batch 1, seq 128"
        else:
            ids = torch.randint(5, 32000, (1, 32))
            ids[0, -1] = 1
            mask = torch.ones(1, 32, dtype=torch.long)
            run = lambda m: m.generate(ids, mask, 32, force_length=True)
            tern_args = ["--seq", "32", "--new-tokens", "32"]
            label = "t5-small, 32-token input, 32 greedy tokens"
        for threads in [int(t) for t in a.threads.split(",")]:
            torch.set_num_threads(threads)
            with torch.no_grad():
                t_fp32 = median_ms(lambda: run(fp32), a.runs)
                t_int8 = median_ms(lambda: run(int8), a.runs)
            r = tern_bench(a.build, blob, tern_args + ["--threads", str(threads), "--runs", str(a.runs)])
            rows.append((label, threads, r["median_ms"], t_fp32, t_int8, r))
    print(f"\n{'workload':46} {'thr':>3} {'tern ms':>9} {'torch fp32':>10} {'torch int8':>10} {'vs fp32':>8} {'vs int8':>8}")
    for label, threads, ours, f32, i8, r in rows:
        print(f"{label:46} {threads:>3} {ours:9.2f} {f32:10.2f} {i8:10.2f} {ours / f32:8.3f} {ours / i8:8.3f}")
    for label, threads, ours, f32, i8, r in rows:
        extra = f", {r['ms_per_token']:.3f} ms/token" if r["ms_per_token"] else ""
        print(f"{label} ({threads}t): isa {r['isa']}{extra}, load {r['load_ms']:.2f} ms, first result "
              f"{r['first_result_ms']:.1f} ms, arena {r['arena_bytes']} B, blob {r['file_bytes']} B, "
              f"peak RSS {r['peak_rss_bytes']} B")


if __name__ == "__main__":
    main()
