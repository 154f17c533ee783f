#!/usr/bin/python3
"""Makes tests/data/torch_seq2seq_prenorm: PyTorch's translation-tutorial model (Seq2SeqTransformer)
with norm_first=True and GELU, exactly as the tutorial writes its modules (TokenEmbedding wrapping
nn.Embedding as `.embedding`, the position buffer [max_len, 1, d_model]), seq-first as the tutorial.
Outputs are computed with gradients enabled, so nn.Transformer takes its ordinary math path (its
inference fast path would zero padded positions). Run with Debian's python3-torch (1.13)."""
import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../tests/data/torch_seq2seq_prenorm")
CFG = dict(architecture="TorchSeq2SeqTransformer", src_vocab_size=90, tgt_vocab_size=110, d_model=32, nhead=2,
           num_encoder_layers=2, num_decoder_layers=3, dim_feedforward=64, activation="gelu", norm_first=True,
           layer_norm_eps=1e-5, max_positions=40, pad_token_id=1, decoder_start_token_id=2, eos_token_id=3,
           positional_encoding="sinusoidal", embedding_scale="sqrt_d_model")


class PositionalEncoding(nn.Module):  # the tutorial's, seq-first
    def __init__(self, emb_size, maxlen):
        super().__init__()
        den = torch.exp(-torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pe = torch.zeros((maxlen, emb_size))
        pe[:, 0::2] = torch.sin(pos * den)
        pe[:, 1::2] = torch.cos(pos * den)
        self.register_buffer("pos_embedding", pe.unsqueeze(-2))

    def forward(self, x):
        return x + self.pos_embedding[: x.size(0), :]


class TokenEmbedding(nn.Module):
    def __init__(self, vocab, emb_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens):
        return self.embedding(tokens.long()) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.Transformer(d_model=c["d_model"], nhead=c["nhead"],
                                          num_encoder_layers=c["num_encoder_layers"],
                                          num_decoder_layers=c["num_decoder_layers"],
                                          dim_feedforward=c["dim_feedforward"], dropout=0.0,
                                          activation=c["activation"], norm_first=c["norm_first"])
        self.generator = nn.Linear(c["d_model"], c["tgt_vocab_size"])
        self.src_tok_emb = TokenEmbedding(c["src_vocab_size"], c["d_model"])
        self.tgt_tok_emb = TokenEmbedding(c["tgt_vocab_size"], c["d_model"])
        self.positional_encoding = PositionalEncoding(c["d_model"], c["max_positions"])

    def encode(self, src, src_pad):  # src [S, B]
        return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_key_padding_mask=src_pad)

    def decode(self, tgt, memory, tgt_pad, src_pad):
        T = tgt.size(0)
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask=causal,
                                        tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)


def save(name, a):
    np.save(os.path.join(OUT, name), a)


def main():
    torch.manual_seed(7)
    c = CFG
    m = Seq2SeqTransformer(c)
    with torch.no_grad():  # perturbed biases and norms, as the shared fixtures do
        for n, p in m.named_parameters():
            if n.endswith("bias"):
                p.add_(0.1 * torch.randn_like(p))
            if "norm" in n and n.endswith("weight"):
                p.mul_(1 + 0.2 * torch.randn_like(p))
        for emb in (m.src_tok_emb.embedding, m.tgt_tok_emb.embedding):
            emb.weight.normal_(0, c["d_model"] ** -0.5)
        m.generator.weight.normal_(0, 0.3)
        m.generator.bias[c["pad_token_id"]] -= 10
    m.eval()
    for d in ("ckpt_zip", "inputs", "fp32"):
        os.makedirs(os.path.join(OUT, d), exist_ok=True)
    torch.save(m.state_dict(), os.path.join(OUT, "ckpt_zip/pytorch_model.bin"))
    with open(os.path.join(OUT, "ckpt_zip/config.json"), "w") as f:
        json.dump(c, f, indent=1)
    pad, start, eos = c["pad_token_id"], c["decoder_start_token_id"], c["eos_token_id"]
    g = torch.Generator().manual_seed(11)
    B, S, T = 3, 9, 7
    ids = torch.randint(4, c["src_vocab_size"], (B, S), generator=g)
    mask = torch.ones(B, S, dtype=torch.long)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = pad
    dec = torch.randint(4, c["tgt_vocab_size"], (B, T), generator=g)
    dec[:, 0] = start
    dec_mask = torch.ones(B, T, dtype=torch.long)
    dec_mask[2, 5:] = 0
    dec[dec_mask == 0] = pad
    save("inputs/input_ids.npy", ids.numpy())
    save("inputs/attention_mask.npy", mask.numpy())
    save("inputs/decoder_input_ids.npy", dec.numpy())
    save("inputs/decoder_attention_mask.npy", dec_mask.numpy())
    src_pad = mask == 0
    memory = m.encode(ids.T, src_pad)  # gradients on: the ordinary math path
    logits = m.generator(m.decode(dec.T, memory, dec_mask == 0, src_pad))
    save("fp32/encoder_last_hidden_state.npy", memory.transpose(0, 1).detach().numpy())
    save("fp32/decoder_logits.npy", logits.transpose(0, 1).detach().numpy())
    # PyTorch's dynamic int8 (nn.Linear only, as the shared fixtures): its error, the bar tern must clear.
    q = torch.quantization.quantize_dynamic(m, {nn.Linear}, dtype=torch.qint8)
    q_memory = q.encode(ids.T, src_pad)
    q_logits = q.generator(q.decode(dec.T, q_memory, dec_mask == 0, src_pad))
    rel = lambda a, b: float((a - b).norm() / b.norm())
    meta = {"config": c, "torch": torch.__version__, "made_by": "scripts/make_torch_seq2seq_prenorm.py",
            "int8_dynamic_rel_l2": {"encoder_last_hidden_state": rel(q_memory.detach(), memory.detach()),
                                    "decoder_logits": rel(q_logits.detach(), logits.detach())}}
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    # Greedy: 10 new tokens at most, rows that produced eos padded with pad, stop when all did.
    ys = torch.full((B, 1), start, dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    for _ in range(10):
        out = m.generator(m.decode(ys.T, memory, None, src_pad))[-1]
        nxt = out.argmax(-1)
        nxt[done] = pad
        ys = torch.cat([ys, nxt[:, None]], 1)
        done |= nxt == eos
        if done.all():
            break
    save("fp32/greedy_sequences.npy", ys.numpy())
    print("greedy", ys.tolist())


if __name__ == "__main__":
    main()
