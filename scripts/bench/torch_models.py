"""Minimal PyTorch BERT and T5 with Hugging Face's parameter names (Debian's python3-torch has no
transformers), for benchmarking against tern on the very same checkpoints. check() proves them
against the reference fixtures before any number is trusted."""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def module(**children):
    m = nn.Module()
    for name, child in children.items():
        m.add_module(name, child)
    return m


# ---------------------------------------------------------------- checkpoints

def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    types = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype=types[info["dtype"]]).copy()).reshape(info["shape"])
    return out


def save_safetensors(path, tensors, dtype="F32"):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = (t.half() if dtype == "F16" else t.float()).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def load_dir(path):
    st = os.path.join(path, "model.safetensors")
    sd = load_safetensors(st) if os.path.exists(st) else torch.load(os.path.join(path, "pytorch_model.bin"))
    return json.load(open(os.path.join(path, "config.json"))), sd


# ---------------------------------------------------------------- BERT

class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I, eps = c["hidden_size"], c["intermediate_size"], c.get("layer_norm_eps", 1e-12)
        self.heads = c["num_attention_heads"]
        labels = len(c.get("id2label", {})) or c.get("num_labels", 2)
        layer = lambda: module(
            attention=module(self=module(query=nn.Linear(H, H), key=nn.Linear(H, H), value=nn.Linear(H, H)),
                             output=module(dense=nn.Linear(H, H), LayerNorm=nn.LayerNorm(H, eps))),
            intermediate=module(dense=nn.Linear(H, I)),
            output=module(dense=nn.Linear(I, H), LayerNorm=nn.LayerNorm(H, eps)))
        self.bert = module(
            embeddings=module(word_embeddings=nn.Embedding(c["vocab_size"], H),
                              position_embeddings=nn.Embedding(c["max_position_embeddings"], H),
                              token_type_embeddings=nn.Embedding(c.get("type_vocab_size", 2), H),
                              LayerNorm=nn.LayerNorm(H, eps)),
            encoder=module(layer=nn.ModuleList([layer() for _ in range(c["num_hidden_layers"])])),
            pooler=module(dense=nn.Linear(H, H)))
        self.classifier = nn.Linear(H, labels)

    def forward(self, ids, mask, types):
        e = self.bert.embeddings
        B, T = ids.shape
        x = e.word_embeddings(ids) + e.token_type_embeddings(types)
        x = e.LayerNorm(x + e.position_embeddings(torch.arange(T)))
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        split = lambda t: t.view(B, T, self.heads, -1).transpose(1, 2)
        for L in self.bert.encoder.layer:
            s = L.attention.self
            q, k, v = split(s.query(x)), split(s.key(x)), split(s.value(x))
            p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + ext, dim=-1)
            ctx = (p @ v).transpose(1, 2).reshape(B, T, -1)
            x = L.attention.output.LayerNorm(L.attention.output.dense(ctx) + x)
            x = L.output.LayerNorm(L.output.dense(F.gelu(L.intermediate.dense(x))) + x)
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(pooled), x


def load_bert(path):
    c, sd = load_dir(path)
    m = Bert(c)
    sd = {k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias"): v
          for k, v in sd.items() if k != "bert.embeddings.position_ids"}
    m.load_state_dict(sd, strict=True)
    return m.eval()


# ---------------------------------------------------------------- T5

class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def bucket(rel, bidirectional, n, max_distance):
    out = torch.zeros_like(rel)
    if bidirectional:
        n //= 2
        out += (rel > 0).long() * n
        rel = rel.abs()
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    exact = n // 2
    large = exact + (torch.log(rel.float() / exact) / math.log(max_distance / exact) * (n - exact)).long()
    large = torch.min(large, torch.full_like(large, n - 1))
    return out + torch.where(rel < exact, rel, large)


class T5(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        D, inner, Fd = c["d_model"], c["d_kv"] * c["num_heads"], c["d_ff"]
        eps = c.get("layer_norm_epsilon", 1e-6)
        self.gated = c.get("feed_forward_proj", "relu").startswith("gated")
        self.tied = c.get("tie_word_embeddings", True)
        attn = lambda bias: module(q=nn.Linear(D, inner, bias=False), k=nn.Linear(D, inner, bias=False),
                                   v=nn.Linear(D, inner, bias=False), o=nn.Linear(inner, D, bias=False),
                                   **({"relative_attention_bias": nn.Embedding(c["relative_attention_num_buckets"], c["num_heads"])} if bias else {}))
        ffn = lambda: module(wo=nn.Linear(Fd, D, bias=False), **(
            {"wi_0": nn.Linear(D, Fd, bias=False), "wi_1": nn.Linear(D, Fd, bias=False)} if self.gated
            else {"wi": nn.Linear(D, Fd, bias=False)}))
        enc_block = lambda i: module(layer=nn.ModuleList([
            module(SelfAttention=attn(i == 0), layer_norm=RMSNorm(D, eps)),
            module(DenseReluDense=ffn(), layer_norm=RMSNorm(D, eps))]))
        dec_block = lambda i: module(layer=nn.ModuleList([
            module(SelfAttention=attn(i == 0), layer_norm=RMSNorm(D, eps)),
            module(EncDecAttention=attn(False), layer_norm=RMSNorm(D, eps)),
            module(DenseReluDense=ffn(), layer_norm=RMSNorm(D, eps))]))
        self.shared = nn.Embedding(c["vocab_size"], D)
        self.encoder = module(block=nn.ModuleList([enc_block(i) for i in range(c["num_layers"])]), final_layer_norm=RMSNorm(D, eps))
        nd = c.get("num_decoder_layers", c["num_layers"])
        self.decoder = module(block=nn.ModuleList([dec_block(i) for i in range(nd)]), final_layer_norm=RMSNorm(D, eps))
        self.lm_head = nn.Linear(D, c["vocab_size"], bias=False)
        self.drop = nn.Dropout(c.get("dropout_rate", 0.0))  # training only: eval() turns it off

    def _ffn(self, f, x):
        if self.gated:
            return self.drop(f.wo(self.drop(F.gelu(f.wi_0(x), approximate="tanh") * f.wi_1(x))))
        return self.drop(f.wo(self.drop(F.relu(f.wi(x)))))

    def _attend(self, a, q, k, v, bias):
        B = q.shape[0]
        h = self.c["num_heads"]
        split = lambda t: t.view(B, -1, h, self.c["d_kv"]).transpose(1, 2)
        p = torch.softmax(split(q) @ split(k).transpose(-1, -2) + bias, dim=-1)
        return self.drop(a.o((p @ split(v)).transpose(1, 2).reshape(B, -1, h * self.c["d_kv"])))

    def encode(self, ids, mask):
        T = ids.shape[1]
        x = self.drop(self.shared(ids))
        pos = torch.arange(T)
        b = bucket(pos[None, :] - pos[:, None], True, self.c["relative_attention_num_buckets"], self.c["relative_attention_max_distance"])
        bias = self.encoder.block[0].layer[0].SelfAttention.relative_attention_bias(b).permute(2, 0, 1)[None]
        bias = bias + (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for blk in self.encoder.block:
            a, n = blk.layer[0].SelfAttention, blk.layer[0].layer_norm(x)
            x = x + self._attend(a, a.q(n), a.k(n), a.v(n), bias)
            x = x + self._ffn(blk.layer[1].DenseReluDense, blk.layer[1].layer_norm(x))
        return self.encoder.final_layer_norm(x)

    def decode(self, enc, mask, dec_ids):
        """Teacher-forced decoder over whole sequences (training): logits [B, T, vocab]."""
        c, T = self.c, dec_ids.shape[1]
        x = self.drop(self.shared(dec_ids))
        pos = torch.arange(T)
        b = bucket(pos[None, :] - pos[:, None], False, c["relative_attention_num_buckets"], c["relative_attention_max_distance"])
        causal = torch.triu(torch.full((T, T), torch.finfo(torch.float32).min), 1)
        bias = self.decoder.block[0].layer[0].SelfAttention.relative_attention_bias(b).permute(2, 0, 1)[None] + causal
        cross_mask = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for blk in self.decoder.block:
            a, n = blk.layer[0].SelfAttention, blk.layer[0].layer_norm(x)
            x = x + self._attend(a, a.q(n), a.k(n), a.v(n), bias)
            e, n = blk.layer[1].EncDecAttention, blk.layer[1].layer_norm(x)
            x = x + self._attend(e, e.q(n), e.k(enc), e.v(enc), cross_mask)
            x = x + self._ffn(blk.layer[2].DenseReluDense, blk.layer[2].layer_norm(x))
        x = self.decoder.final_layer_norm(x)
        if self.tied:
            x = x * c["d_model"] ** -0.5
        return self.lm_head(x)

    @torch.no_grad()
    def generate(self, ids, mask, new_tokens, force_length=False):
        """Greedy with self-attention KV cache and cross K/V computed once (as HF's generate)."""
        c = self.c
        enc = self.encode(ids, mask)
        cross_mask = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        cross = [(b.layer[1].EncDecAttention.k(enc), b.layer[1].EncDecAttention.v(enc)) for b in self.decoder.block]
        cache = [None] * len(self.decoder.block)
        rel = self.decoder.block[0].layer[0].SelfAttention.relative_attention_bias
        seq = torch.full((ids.shape[0], 1), c.get("decoder_start_token_id", 0), dtype=torch.long)
        done = torch.zeros(ids.shape[0], dtype=torch.bool)
        for t in range(new_tokens):
            x = self.shared(seq[:, -1:])
            b = bucket(torch.arange(t + 1)[None, :] - t, False, c["relative_attention_num_buckets"], c["relative_attention_max_distance"])
            bias = rel(b).permute(2, 0, 1)[None]
            for i, blk in enumerate(self.decoder.block):
                a, n = blk.layer[0].SelfAttention, blk.layer[0].layer_norm(x)
                k, v = a.k(n), a.v(n)
                if cache[i] is not None:
                    k, v = torch.cat([cache[i][0], k], 1), torch.cat([cache[i][1], v], 1)
                cache[i] = (k, v)
                x = x + self._attend(a, a.q(n), k, v, bias)
                e, n = blk.layer[1].EncDecAttention, blk.layer[1].layer_norm(x)
                x = x + self._attend(e, e.q(n), cross[i][0], cross[i][1], cross_mask)
                x = x + self._ffn(blk.layer[2].DenseReluDense, blk.layer[2].layer_norm(x))
            x = self.decoder.final_layer_norm(x)
            if self.tied:
                x = x * c["d_model"] ** -0.5
            logits = self.lm_head(x[:, -1])
            if force_length:
                logits[:, c.get("eos_token_id", 1)] = -float("inf")
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, c.get("pad_token_id", 0)), nxt)
            seq = torch.cat([seq, nxt[:, None]], 1)
            done |= nxt == c.get("eos_token_id", 1)
            if done.all() and not force_length:
                break
        return seq


def load_t5(path):
    c, sd = load_dir(path)
    m = T5(c)
    sd = {k: v for k, v in sd.items() if k not in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight",
                                                    "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight")}
    if m.tied:
        sd["lm_head.weight"] = sd["shared.weight"]
    m.load_state_dict(sd, strict=True)
    return m.eval()


def check(fixtures):
    """These modules against the Hugging Face goldens: BERT logits, T5 greedy tokens."""
    f = os.path.join(fixtures, "bert_small")
    m = load_bert(os.path.join(f, "ckpt_safetensors"))
    i = {n: torch.from_numpy(np.load(os.path.join(f, "inputs", n + ".npy"))) for n in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        logits, _ = m(i["input_ids"], i["attention_mask"], i["token_type_ids"])
    ref = np.load(os.path.join(f, "fp32", "logits.npy"))
    assert np.abs(logits.numpy() - ref).max() < 1e-4, "BERT module differs from the fixture"
    for case in ("t5_tiny", "t5_v11_tiny"):
        f = os.path.join(fixtures, case)
        m = load_t5(os.path.join(f, "ckpt_safetensors"))
        ids = torch.from_numpy(np.load(os.path.join(f, "inputs", "input_ids.npy")))
        mask = torch.from_numpy(np.load(os.path.join(f, "inputs", "attention_mask.npy")))
        seq = m.generate(ids, mask, 20)
        ref = np.load(os.path.join(f, "fp32", "greedy_sequences.npy"))
        assert seq.shape == ref.shape and (seq.numpy() == ref).all(), case + " module differs from the fixture"
