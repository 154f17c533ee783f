#!/usr/bin/env python3
"""Trains `en-de`, a small T5 (T5ForConditionalGeneration layout and names, v1.1 style: gated-GELU
feed-forward and an untied head, which give more quality per parameter at this size) translating
English to German. Data (data.py's OUT dir): the gettext pairs (ende_train.tsv, software messages),
the trans-de-en dictionary (dict_train.tsv: example sentences and short phrases) and translated prose
(prose_train.tsv: application help, game story and other games' dialogue and texts). One
SentencePiece unigram vocab is trained on both languages of all of it; inputs carry the
"translate English to German: " prefix.

Batches hold pairs of similar length up to a token budget. Every epoch sees all sentences (software,
dictionary, help, story and games) and an equal number of phrases drawn afresh, so the short phrases teach words
without drowning the sentences. The learning rate warms up, then decays linearly to the last step.
Every --eval-every steps the held-out loss per source (validation split) is appended to
OUT/training_log.tsv and a resumable state (model, optimizer, step) is written to
OUT/training_state.pt; rerunning the same command resumes from it, and it is removed when training
ends. --init DIR continues from a finished checkpoint (its weights, vocabulary and log; steps count on
from its last logged step) with a fresh optimizer and a new warmup and decay. Writes a Hugging Face
checkpoint (config.json, generation_config.json, model.safetensors in f16, spiece.model,
tokenizer_config.json). Seeds fixed.
Usage: train_t5.py DATA_DIR OUT_DIR [--steps N] [--threads T] [--bf16] [--init CHECKPOINT_DIR]"""
import argparse
import ctypes
import json
import math
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
VOCAB, EXTRA_IDS, MAX_SRC, MAX_TGT = 8000, 100, 64, 64
TRAIN_MAX_TOKENS = 56  # longer training pairs are skipped: they cost the most and are rare
BATCH_TOKENS = 3072  # target tokens (source + target, padded) per batch
CONFIG = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": VOCAB + EXTRA_IDS,
          "d_model": 256, "d_kv": 32, "num_heads": 8, "d_ff": 768, "num_layers": 4, "num_decoder_layers": 4,
          "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
          "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False, "layer_norm_epsilon": 1e-6, "dropout_rate": 0.1,
          "decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0, "torch_dtype": "float16",
          "task_specific_params": {"translation_en_to_de": {"prefix": PREFIX, "max_length": MAX_TGT,
                                                            "num_beams": 1}}}


def read(path):
    return [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")]


def load_split(data, split):
    """(en, de, source) triples: source is software, sentence, phrase, help, story or games."""
    rows = [(en, de, "software") for en, de in read(os.path.join(data, f"ende_{split}.tsv"))]
    return rows + [(en, de, kind) for name in ("dict", "prose") for en, de, kind in
                   read(os.path.join(data, f"{name}_{split}.tsv"))]


def train_spm(rows, out):
    with tempfile.TemporaryDirectory() as d:
        corpus = os.path.join(d, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(PREFIX + "\n")
            for en, de, _ in rows:
                f.write(en + "\n" + de + "\n")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(d, "spiece"), vocab_size=VOCAB,
                                       model_type="unigram", character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2,
                                       bos_id=-1, num_threads=2, minloglevel=2, input_sentence_size=400000,
                                       shuffle_input_sentence=True, seed_sentencepiece_size=400000)
        shutil.copy(os.path.join(d, "spiece.model"), os.path.join(out, "spiece.model"))


def encode(sp, text, limit):
    return sp.encode(text)[: limit - 1] + [1]  # T5Tokenizer (legacy): pieces, then </s>


def tensors(pairs):
    """pairs of (source ids, target ids) -> input ids, mask, decoder input ids, labels."""
    pad = lambda seqs: torch.tensor([s + [0] * (max(map(len, seqs)) - len(s)) for s in seqs])
    ids, labels = pad([s for s, _ in pairs]), pad([t for _, t in pairs])
    dec = torch.cat([torch.zeros(len(pairs), 1, dtype=torch.long), labels[:, :-1]], 1)  # shift right, start 0
    return ids, (ids != 0).long(), dec, labels


def epoch_batches(encoded, epoch, seed):
    """One epoch's batches (lists of indices into encoded), the same for the same epoch and seed."""
    rng = random.Random(seed * 1000003 + epoch)
    sentences = [i for i, (_, _, kind) in enumerate(encoded) if kind != "phrase"]
    phrases = [i for i, (_, _, kind) in enumerate(encoded) if kind == "phrase"]
    chosen = sentences + rng.sample(phrases, min(len(phrases), len(sentences)))
    chosen.sort(key=lambda i: (len(encoded[i][0]) + len(encoded[i][1]), rng.random()))
    batches, current, width = [], [], 0
    for i in chosen:
        w = max(width, len(encoded[i][0]) + len(encoded[i][1]))
        if current and w * (len(current) + 1) > BATCH_TOKENS:
            batches.append(current)
            current, w = [], len(encoded[i][0]) + len(encoded[i][1])
        current.append(i)
        width = w
    batches.append(current)
    rng.shuffle(batches)
    return batches


def loss_of(model, pairs):
    ids, mask, dec, labels = tensors(pairs)
    logits = model.decode(model.encode(ids, mask), mask, dec)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=0)


def held_out_loss(model, val):
    """Mean token loss per source on the fixed validation sample."""
    model.eval()
    result = {}
    with torch.no_grad():
        for kind, pairs in val.items():
            losses = [loss_of(model, pairs[i: i + 64]).item() for i in range(0, len(pairs), 64)]
            result[kind] = sum(losses) / len(losses)
    model.train()
    return result


def init_weights(model):
    """Hugging Face's T5 initialization: queries scaled by 1/sqrt(d_model * d_kv) (T5 does not scale
    attention scores, so this keeps the initial scores near unit variance), other weights by
    1/sqrt(fan-in), embeddings N(0, 1), norms 1."""
    d, kv, heads, ff = CONFIG["d_model"], CONFIG["d_kv"], CONFIG["num_heads"], CONFIG["d_ff"]
    std = {"shared": 1.0, "q": (d * kv) ** -0.5, "o": (heads * kv) ** -0.5, "wo": ff ** -0.5}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.fill_(1.0)
            else:
                p.normal_(0, std.get(name.split(".")[-2] if name.count(".") else name, d ** -0.5))


def write_checkpoint(model, out):
    sd = {k: v.half() for k, v in model.state_dict().items()}
    tm.save_safetensors(os.path.join(out, "model.safetensors"), sd, dtype="F16")
    json.dump(CONFIG, open(os.path.join(out, "config.json"), "w"), indent=2)
    json.dump({"decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0, "max_length": MAX_TGT},
              open(os.path.join(out, "generation_config.json"), "w"), indent=2)
    json.dump({"tokenizer_class": "T5Tokenizer", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
               "extra_ids": EXTRA_IDS, "legacy": True, "model_max_length": 512},
              open(os.path.join(out, "tokenizer_config.json"), "w"), indent=2)


def keep_freed_memory():
    """Keeps glibc's malloc from handing torch's freed buffers back to the kernel every step (batch
    shapes vary, which defeats its adaptive thresholds) only to fault them in again: every buffer
    under 1 GiB comes from the heap, and the heap is trimmed only past 2 GiB free. On two Zen 4 cores
    a step took 1.6-1.7 s without this and 0.75-0.95 s with it (system time 15-30% -> 3%)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    for option, value in ((m_mmap_threshold, 1 << 30), (m_trim_threshold, 2**31 - 1), (m_top_pad, 1 << 30)):
        libc.mallopt(option, value)


def main():
    keep_freed_memory()
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--init", help="checkpoint directory written by this script to continue training from; "
                    "--steps then counts the new steps only")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast for matmuls (about 2x faster where the "
                    "CPU has avx512_bf16 or amx_bf16); weights and optimizer stay f32")
    a = ap.parse_args()
    if a.init and os.path.abspath(a.init) == os.path.abspath(a.out):
        sys.exit("--init must name another directory than OUT")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    state_path, log_path = os.path.join(a.out, "training_state.pt"), os.path.join(a.out, "training_log.tsv")
    resume = os.path.exists(state_path)
    train = load_split(a.data, "train")
    if a.init and not resume:
        for name in ("spiece.model", "training_log.tsv"):
            shutil.copy(os.path.join(a.init, name), os.path.join(a.out, name))
    elif not resume:
        train_spm(train, a.out)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(a.out, "spiece.model"))
    encoded = [(encode(sp, PREFIX + en, MAX_SRC), encode(sp, de, MAX_TGT), kind) for en, de, kind in train]
    encoded = [e for e in encoded if len(e[0]) <= TRAIN_MAX_TOKENS and len(e[1]) <= TRAIN_MAX_TOKENS]
    vrng = random.Random(a.seed)
    val_rows = load_split(a.data, "val")
    val = {kind: [(encode(sp, PREFIX + en, MAX_SRC), encode(sp, de, MAX_TGT))
                  for en, de, k in vrng.sample([r for r in val_rows if r[2] == kind], 256)]
           for kind in ("software", "sentence", "phrase")}
    for v in val.values():
        v.sort(key=lambda p: len(p[0]) + len(p[1]))
    model = tm.T5(CONFIG)
    init_weights(model)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    step, spent = 0, 0.0
    # with --init, logged step numbers continue from the checkpoint's last logged step
    # and the batch order differs from the first run's (the validation sample stays the same)
    base_step, base_seconds = map(int, read(os.path.join(a.init, "training_log.tsv"))[-1][:2]) if a.init else (0, 0)
    order_seed = a.seed + base_step
    if resume:
        state = torch.load(state_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, spent = state["step"], state["seconds"]
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    else:
        counts = {k: sum(e[2] == k for e in encoded) for k in ("software", "sentence", "phrase", "help", "story", "games")}
        print(f"training pairs of at most {TRAIN_MAX_TOKENS} tokens: {counts}; "
              f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters", flush=True)
        if a.init:
            weights = tm.load_safetensors(os.path.join(a.init, "model.safetensors"))
            model.load_state_dict({k: v.float() for k, v in weights.items()})
            print(f"continuing from {a.init} (step {base_step})", flush=True)
        else:
            with open(log_path, "w") as f:
                f.write("step\tseconds\ttrain_loss\tval_software\tval_sentence\tval_phrase\n")
    warmup = 400
    epoch, position, start, recent = 0, 0, time.time() - spent, []
    sizes = [len(epoch_batches(encoded, 0, order_seed))]
    while step >= sum(sizes):  # find the epoch and batch a resumed run continues from
        sizes.append(len(epoch_batches(encoded, len(sizes), order_seed)))
    epoch, position = len(sizes) - 1, step - sum(sizes[:-1])
    model.train()
    while step < a.steps:
        batches = epoch_batches(encoded, epoch, order_seed)
        for chunk in batches[position:]:
            lr = a.lr * min(1.0, (step + 1) / warmup) * max(0.0, 1 - step / a.steps) ** 1.0
            for g in opt.param_groups:
                g["lr"] = lr
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
                loss = loss_of(model, [encoded[i][:2] for i in chunk])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            recent = (recent + [loss.item()])[-100:]
            if step % 100 == 0:
                print(f"epoch {epoch} step {step} loss {sum(recent) / len(recent):.3f} lr {lr:.2e} "
                      f"({time.time() - start:.0f} s)", flush=True)
            if step % a.eval_every == 0 or step == a.steps:
                held = held_out_loss(model, val)
                with open(log_path, "a") as f:
                    f.write(f"{base_step + step}\t{base_seconds + time.time() - start:.0f}\t{sum(recent) / len(recent):.4f}\t"
                            + "\t".join(f"{held[k]:.4f}" for k in ("software", "sentence", "phrase")) + "\n")
                print(f"  held-out loss {held}", flush=True)
                torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                            "seconds": time.time() - start, "torch_rng": torch.get_rng_state()}, state_path)
                write_checkpoint(model, a.out)
            if step >= a.steps:
                break
        epoch, position = epoch + 1, 0
    model.eval()
    with torch.no_grad():
        for kind, pairs in val.items():
            ids, mask, _, _ = tensors(pairs[100:103])
            for s, seq in zip(pairs[100:103], model.generate(ids, mask, 40).tolist()):
                print(f"  {kind}: {sp.decode(s[0])} -> {sp.decode([t for t in seq if 2 < t < sp.get_piece_size()])}")
    write_checkpoint(model, a.out)
    os.remove(state_path)
    print(f"wrote {a.out}: {step} steps in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
