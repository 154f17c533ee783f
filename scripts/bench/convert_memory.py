#!/usr/bin/env python3
"""tern-convert's peak memory against what it reads and writes: `tern-convert --report` on the
test fixtures and on a random bert-base checkpoint (made here, seeded, as model.safetensors and as
a torch zip pytorch_model.bin, with a vocab.txt), checking peak RSS <= 1.2 x checkpoint + blob.
Needs Debian's python3-torch (run with /usr/bin/python3). Not part of the tests: the large
checkpoint is ~420 MiB per format."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (BERT_BASE, make_checkpoint)
import torch_models as tm  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "tests", "data")


def make_bert_base(work):
    """bert-base-shaped random checkpoints in the layout of tests/data/bert_small/ckpt_*."""
    st, zp = os.path.join(work, "bert_base_safetensors"), os.path.join(work, "bert_base_zip")
    bench.make_checkpoint(st, bench.BERT_BASE, tm.Bert(bench.BERT_BASE))
    if not os.path.exists(os.path.join(zp, "pytorch_model.bin")):
        os.makedirs(zp, exist_ok=True)
        sd = tm.load_safetensors(os.path.join(st, "model.safetensors"))
        torch.save({k: torch.as_tensor(v) for k, v in sd.items()}, os.path.join(zp, "pytorch_model.bin"))
        shutil.copy(os.path.join(st, "config.json"), zp)
    tok = os.path.join(DATA, "tokenizer_bert")
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [f"w{i}" for i in range(bench.BERT_BASE["vocab_size"] - len(vocab))]
    for d in (st, zp):
        with open(os.path.join(d, "vocab.txt"), "w") as f:
            f.write("\n".join(vocab) + "\n")
        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            if os.path.exists(os.path.join(tok, name)):
                shutil.copy(os.path.join(tok, name), d)
    return [st, zp]


def measure(convert, src, out):
    text = subprocess.run([convert, src, "-o", out, "--report"], check=True, capture_output=True, text=True).stdout
    m = re.search(r"memory: peak RSS (\d+) bytes.*checkpoint (\d+) bytes.*blob (\d+) bytes", text)
    return tuple(int(x) for x in m.groups())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    a = ap.parse_args()
    convert = os.path.join(a.build, "converter", "tern-convert")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}")
    sources = [os.path.join(DATA, "bert_small", f"ckpt_{f}") for f in ("zip", "safetensors", "legacy")]
    sources += [os.path.join(DATA, "torch_encoder", "ckpt_zip"), os.path.join(ROOT, "models", "en-de")]
    sources += make_bert_base(a.work)
    mib = 1 << 20
    print(f"{'checkpoint':40} {'ckpt MiB':>9} {'blob MiB':>9} {'peak MiB':>9} {'peak / (1.2 ckpt + blob)':>25}")
    worst = 0.0
    for src in sources:
        peak, ckpt, blob = measure(convert, src, os.path.join(a.work, "memory.tern"))
        ratio = peak / (1.2 * ckpt + blob)
        # Tiny fixtures are dominated by the process itself (code, libraries): only large ones count.
        if ckpt > 64 * mib:
            worst = max(worst, ratio)
        print(f"{os.path.relpath(src, ROOT):40} {ckpt / mib:9.1f} {blob / mib:9.1f} {peak / mib:9.1f} {ratio:25.2f}")
    print("ok" if worst <= 1.0 else f"over budget: {worst:.2f}")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
