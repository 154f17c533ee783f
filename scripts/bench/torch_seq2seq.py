#!/usr/bin/python3
"""tern next to PyTorch on the PyTorch translation tutorial's Seq2SeqTransformer at nn.Transformer()'s
default size (d_model 512, 8 heads, 6+6 layers, FFN 2048; 8000-token vocabularies; random weights,
seeded): the checkpoint is converted with tern-convert (int8) and timed with `tern bench` (32 source
tokens, 32 greedy tokens) against PyTorch fp32 and dynamic int8 running the tutorial's greedy_decode
(the whole decoder again for every new token: nn.Transformer has no KV cache). Medians of 5 runs.
Needs python3-torch and, for a fair fp32, libopenblas0-openmp (scripts/bench.sh installs both).
Usage: scripts/bench/torch_seq2seq.py [BUILD_DIR] [WORK_DIR]"""
import importlib.util
import json
import os
import subprocess
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import median_ms  # noqa: E402
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../build"))
WORK = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "/tmp/tern_torch_seq2seq_bench")
spec = importlib.util.spec_from_file_location("tutorial", os.path.join(HERE, "../make_torch_seq2seq_prenorm.py"))
tutorial = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tutorial)
CONFIG = dict(tutorial.CFG, src_vocab_size=8000, tgt_vocab_size=8000, d_model=512, nhead=8, num_encoder_layers=6,
              num_decoder_layers=6, dim_feedforward=2048, activation="relu", norm_first=False, max_positions=128,
              pad_token_id=1, decoder_start_token_id=2, eos_token_id=3)
SOURCE, NEW = 32, 32


def greedy(model, src):
    with torch.no_grad():
        memory = model.encode(src, torch.zeros(1, SOURCE, dtype=torch.bool))
        ys = torch.full((1, 1), CONFIG["decoder_start_token_id"], dtype=torch.long)
        for _ in range(NEW):
            logits = model.generator(model.decode(ys, memory, None, None)[-1])
            ys = torch.cat([ys, logits.argmax(-1)[None]], 0)
    return ys


def main():
    torch.manual_seed(0)
    model = tutorial.Seq2SeqTransformer(CONFIG).eval()
    with torch.no_grad():
        model.generator.bias[CONFIG["eos_token_id"]] -= 100  # every run generates all NEW tokens
    ckpt = os.path.join(WORK, "ckpt")
    os.makedirs(ckpt, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(ckpt, "pytorch_model.bin"))
    json.dump(CONFIG, open(os.path.join(ckpt, "config.json"), "w"))
    blob = os.path.join(WORK, "s2s.tern")
    subprocess.run([os.path.join(BUILD, "converter/tern-convert"), ckpt, "-o", blob], check=True, capture_output=True)
    quantized = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    src = torch.randint(4, CONFIG["src_vocab_size"], (SOURCE, 1))
    print(f"| threads | tern int8 | PyTorch fp32 | PyTorch int8 |\n|---|---|---|---|")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        bench = json.loads(subprocess.run([os.path.join(BUILD, "tern"), "bench", blob, "--seq", str(SOURCE), "--new-tokens",
                                           str(NEW), "--runs", "10", "--threads", str(threads), "--json"],
                                          check=True, capture_output=True, text=True).stdout)
        fp32 = median_ms(lambda: greedy(model, src), 5, 1)
        int8 = median_ms(lambda: greedy(quantized, src), 5, 1)
        print(f"| {threads} | {bench['median_ms']:.1f} ms | {fp32:.0f} ms | {int8:.0f} ms |")


if __name__ == "__main__":
    main()
