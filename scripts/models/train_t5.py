#!/usr/bin/env python3
"""Trains `en-de`, a small T5 (T5ForConditionalGeneration layout and names, v1.1 style: gated-GELU
feed-forward and an untied head, which give more quality per parameter at this size) translating
English to German, with a SentencePiece unigram vocab trained on the training split; inputs carry
the "translate English to German: " prefix. Writes a Hugging Face checkpoint (config.json,
generation_config.json, model.safetensors in f16, spiece.model, tokenizer files). Seeds fixed.
Usage: train_t5.py DATA_DIR OUT_DIR [--minutes M]"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time

import sentencepiece as spm
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import torch_models as tm  # noqa: E402

PREFIX = "translate English to German: "
VOCAB, EXTRA_IDS, MAX_SRC, MAX_TGT = 3000, 100, 64, 64
TRAIN_MAX_TOKENS = 48  # longer training pairs are skipped: they cost the most and are rare


def read(path):
    return [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")]


def train_spm(pairs, out):
    with tempfile.TemporaryDirectory() as d:
        corpus = os.path.join(d, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for en, de in pairs:
                f.write(PREFIX + en + "\n" + de + "\n")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(d, "spiece"), vocab_size=VOCAB,
                                       model_type="unigram", character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2,
                                       bos_id=-1, num_threads=2, minloglevel=2)
        shutil.copy(os.path.join(d, "spiece.model"), os.path.join(out, "spiece.model"))
    return spm.SentencePieceProcessor(model_file=os.path.join(out, "spiece.model"))


def encode(sp, text, limit):
    return sp.encode(text)[: limit - 1] + [1]  # T5Tokenizer (legacy): pieces, then </s>


def batch(rows, sp):
    src = [encode(sp, PREFIX + en, MAX_SRC) for en, _ in rows]
    tgt = [encode(sp, de, MAX_TGT) for _, de in rows]
    pad = lambda seqs: torch.tensor([s + [0] * (max(map(len, seqs)) - len(s)) for s in seqs])
    ids, labels = pad(src), pad(tgt)
    dec = torch.cat([torch.zeros(len(rows), 1, dtype=torch.long), labels[:, :-1]], 1)  # shift right, start 0
    return ids, (ids != 0).long(), dec, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--minutes", type=float, default=50)
    a = ap.parse_args()
    torch.manual_seed(2)
    torch.set_num_threads(2)
    rng = random.Random(2)
    os.makedirs(a.out, exist_ok=True)
    train = read(os.path.join(a.data, "ende_train.tsv"))
    val = read(os.path.join(a.data, "ende_val.tsv"))[:300]
    sp = train_spm(train, a.out)
    train = [(en, de) for en, de in train
             if len(sp.encode(PREFIX + en)) < TRAIN_MAX_TOKENS and len(sp.encode(de)) < TRAIN_MAX_TOKENS]
    print(f"{len(train)} training pairs of at most {TRAIN_MAX_TOKENS} tokens", flush=True)
    config = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": VOCAB + EXTRA_IDS,
              "d_model": 192, "d_kv": 32, "num_heads": 6, "d_ff": 384, "num_layers": 3, "num_decoder_layers": 3,
              "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
              "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False, "layer_norm_epsilon": 1e-6,
              "decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0, "torch_dtype": "float16",
              "task_specific_params": {"translation_en_to_de": {"prefix": PREFIX, "max_length": MAX_TGT,
                                                                "num_beams": 1}}}
    model = tm.T5(config)
    with torch.no_grad():  # T5-style init: weights scaled by fan-in, norms 1
        for name, p in model.named_parameters():
            if "norm" in name:
                p.fill_(1.0)
            elif p.dim() == 2:
                p.normal_(0, (p.shape[1] if "shared" not in name and "bias" not in name else config["d_model"]) ** -0.5)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0)
    start, step, epoch = time.time(), 0, 0
    budget = a.minutes * 60
    # Length-bucketed batches (similar lengths together) waste less compute on padding.
    order = sorted(range(len(train)), key=lambda i: len(train[i][0]) + len(train[i][1]))
    chunks = [order[i: i + 48] for i in range(0, len(order), 48)]
    while time.time() - start < budget:
        rng.shuffle(chunks)
        model.train()
        for chunk in chunks:
            ids, mask, dec, labels = batch([train[i] for i in chunk], sp)
            frac = (time.time() - start) / budget
            lr = 2e-3 * min(1.0, (step + 1) / 200) * max(0.02, 1 - frac)
            for g in opt.param_groups:
                g["lr"] = lr
            logits = model.decode(model.encode(ids, mask), mask, dec)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=0)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.3f} lr {lr:.2e} ({time.time() - start:.0f} s)", flush=True)
            if time.time() - start > budget:
                break
        epoch += 1
        model.eval()
        with torch.no_grad():
            ids, mask, _, _ = batch(val[:8], sp)
            out = model.generate(ids, mask, 40)
        for (en, de), seq in zip(val[:3], out.tolist()):
            print(f"  {en} -> {sp.decode([t for t in seq if 2 < t < sp.get_piece_size()])}", flush=True)
    sd = {k: v.half() for k, v in model.state_dict().items()}
    tm.save_safetensors(os.path.join(a.out, "model.safetensors"), sd, dtype="F16")
    json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    json.dump({"decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0, "max_length": MAX_TGT},
              open(os.path.join(a.out, "generation_config.json"), "w"), indent=2)
    json.dump({"tokenizer_class": "T5Tokenizer", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
               "extra_ids": EXTRA_IDS, "legacy": True, "model_max_length": 512},
              open(os.path.join(a.out, "tokenizer_config.json"), "w"), indent=2)
    print(f"wrote {a.out}: {step} steps, {epoch} epochs in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
