#!/usr/bin/env python3
"""Trains `langid`, a small BERT (BertForSequenceClassification layout and names) that names the
language of a sentence (en, de, fr, es, it), on data.py's training split; writes a Hugging Face
checkpoint (config.json, model.safetensors, vocab.txt, tokenizer files). Seeds fixed.
Usage: train_langid.py DATA_DIR OUT_DIR [--minutes M]"""
import argparse
import json
import os
import random
import sys
import tempfile
import time

import sentencepiece as spm
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import torch_models as tm  # noqa: E402
from wordpiece import WordPiece, basic_tokenize, vocab_from_bpe  # noqa: E402

LABELS = ["en", "de", "fr", "es", "it"]
MAX_LEN = 64


def read(path):
    return [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")]


def build_vocab(texts, size):
    with tempfile.TemporaryDirectory() as d:
        corpus = os.path.join(d, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(" ".join(basic_tokenize(t)) + "\n")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(d, "bpe"), vocab_size=size,
                                       model_type="bpe", character_coverage=1.0, num_threads=2,
                                       minloglevel=2)  # BPE training is deterministic
        sp = spm.SentencePieceProcessor(model_file=os.path.join(d, "bpe.model"))
        return vocab_from_bpe([sp.id_to_piece(i) for i in range(sp.get_piece_size())])


def batches(rows, tok, size, shuffle, rng):
    order = list(range(len(rows)))
    if shuffle:
        rng.shuffle(order)
    for i in range(0, len(order), size):
        chunk = [rows[j] for j in order[i: i + size]]
        ids = [tok.encode(t, MAX_LEN) for t, _ in chunk]
        width = max(len(x) for x in ids)
        x = torch.zeros(len(ids), width, dtype=torch.long)
        mask = torch.zeros(len(ids), width, dtype=torch.long)
        for r, seq in enumerate(ids):
            x[r, : len(seq)] = torch.tensor(seq)
            mask[r, : len(seq)] = 1
        y = torch.tensor([LABELS.index(l) for _, l in chunk])
        yield x, mask, torch.zeros_like(x), y


def accuracy(model, rows, tok):
    right = 0
    with torch.no_grad():
        for x, mask, types, y in batches(rows, tok, 256, False, None):
            right += (model(x, mask, types)[0].argmax(-1) == y).sum().item()
    return right / len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--minutes", type=float, default=15)
    a = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(2)
    rng = random.Random(1)
    train, val = read(os.path.join(a.data, "langid_train.tsv")), read(os.path.join(a.data, "langid_val.tsv"))
    vocab = build_vocab([t for t, _ in train], 4000)
    tok = WordPiece(vocab)
    config = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": len(vocab),
              "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 256,
              "hidden_act": "gelu", "max_position_embeddings": MAX_LEN, "type_vocab_size": 2,
              "layer_norm_eps": 1e-12, "pad_token_id": 0,
              "id2label": {str(i): l for i, l in enumerate(LABELS)}, "label2id": {l: i for i, l in enumerate(LABELS)}}
    model = tm.Bert(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0, 0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    start, step, best = time.time(), 0, 0.0
    total_steps = int(a.minutes * 60 / 0.05)  # a schedule length estimate; training stops on time
    done = False
    for epoch in range(100):
        model.train()
        for x, mask, types, y in batches(train, tok, 64, True, rng):
            lr = 1e-3 * min(1.0, (step + 1) / 300) * max(0.05, 1 - step / total_steps)
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(model(x, mask, types)[0], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 500 == 0:
                print(f"step {step} loss {loss.item():.4f} ({time.time() - start:.0f} s)", flush=True)
            if time.time() - start > a.minutes * 60:
                done = True
                break
        model.eval()
        acc = accuracy(model, val, tok)
        print(f"epoch {epoch}: validation accuracy {acc:.4f}", flush=True)
        if done:
            break
    os.makedirs(a.out, exist_ok=True)
    tm.save_safetensors(os.path.join(a.out, "model.safetensors"), model.state_dict())
    json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in vocab)
    json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "strip_accents": False,
               "tokenize_chinese_chars": True, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
               "cls_token": "[CLS]", "mask_token": "[MASK]", "model_max_length": MAX_LEN},
              open(os.path.join(a.out, "tokenizer_config.json"), "w"), indent=2)
    json.dump({"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
               "mask_token": "[MASK]"}, open(os.path.join(a.out, "special_tokens_map.json"), "w"), indent=2)
    print(f"wrote {a.out}: {step} steps in {time.time() - start:.0f} s, validation accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
