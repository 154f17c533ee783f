#!/usr/bin/env python3
"""Makes the test fixtures that ../shared/fixtures does not have, with Debian's python3-torch
(1.13) and numpy; run with /usr/bin/python3. Writes tests/data/:
  torch_encoder_prenorm/  nn.TransformerEncoder with norm_first=True, gelu, a final encoder.norm,
                          its fp32 outputs and PyTorch dynamic-int8 errors (same layout as the
                          shared torch_encoder fixture)
  bert_small/ckpt_f16_safetensors, ckpt_bf16_zip   the bert_small weights stored as f16 / bf16
  bert_small/ckpt_sharded_safetensors, ckpt_sharded_bin   the same weights in two shards + index
  t5_inner/               a T5 whose d_kv * num_heads != d_model, with more decoder than encoder
                          layers, non-default buckets/max distance, gated-gelu, untied head, and
                          task_specific_params; references from scripts/bench/torch_models.py (which
                          reproduces the Hugging Face fixtures token for token)
Deterministic: fixed seeds."""
import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data")


def save_safetensors(path, tensors):
    """Writes the safetensors format by hand (the Python package is not in Debian 12)."""
    header, blobs, offset = {}, [], 0
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
    for name, t in tensors.items():
        t = t.contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        assert info["dtype"] == "F32"
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype=np.float32).copy()).reshape(info["shape"])
    return out


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


class Classifier(nn.Module):
    def __init__(self, vocab, d, heads, ff, layers, labels):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, 0.0, "gelu", 1e-5, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.head = nn.Linear(d, labels)

    def forward(self, ids, mask):
        h = self.encoder(self.embedding(ids), src_key_padding_mask=mask == 0)
        return self.head(h[:, 0]), h


def torch_encoder_prenorm():
    out = os.path.join(ROOT, "torch_encoder_prenorm")
    shutil.rmtree(out, ignore_errors=True)
    for d in ("ckpt_zip", "inputs", "fp32"):
        os.makedirs(os.path.join(out, d))
    torch.manual_seed(41)
    config = {"vocab_size": 1000, "d_model": 64, "nhead": 4, "dim_feedforward": 128, "num_layers": 2,
              "activation": "gelu", "layer_norm_eps": 1e-5, "norm_first": True, "batch_first": True,
              "num_labels": 4, "pad_token_id": 0, "pooling": "first_token", "dropout": 0.0,
              "id2label": {"0": "a", "1": "b", "2": "c", "3": "d"},
              "architecture": "TorchEncoderClassifier"}
    model = Classifier(1000, 64, 4, 128, 2, 4).eval()
    g = torch.Generator().manual_seed(541)
    with torch.no_grad():
        for i, layer in enumerate(model.encoder.layers):  # independent layers, perturbed norms/biases
            layer.self_attn._reset_parameters()
            layer.linear1.reset_parameters()
            layer.linear2.reset_parameters()
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p += 0.1 * torch.randn(p.shape, generator=g)
            elif "norm" in name and name.endswith("weight"):
                p *= 1 + 0.2 * torch.randn(p.shape, generator=g)
    ids = torch.randint(1, 1000, (2, 20), generator=g)
    mask = torch.ones(2, 20, dtype=torch.int64)
    mask[1, 12:] = 0
    ids[1, 12:] = 0
    with torch.enable_grad():  # the slow path: padded rows are computed, not zeroed
        logits, hidden = model(ids, mask)
    logits, hidden = logits.detach().numpy(), hidden.detach().numpy()
    qmodel = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    qmodel.train()  # dropout is 0: train mode only forces the slow path, which quantized Linear needs
    qlogits, qhidden = qmodel(ids, mask)
    torch.save(model.state_dict(), os.path.join(out, "ckpt_zip", "pytorch_model.bin"))
    json.dump(config, open(os.path.join(out, "ckpt_zip", "config.json"), "w"), indent=2)
    np.save(os.path.join(out, "inputs", "input_ids.npy"), ids.numpy())
    np.save(os.path.join(out, "inputs", "attention_mask.npy"), mask.numpy())
    np.save(os.path.join(out, "fp32", "logits.npy"), logits)
    np.save(os.path.join(out, "fp32", "last_hidden_state.npy"), hidden)
    meta = {"made_by": "scripts/make_test_fixtures.py", "torch": torch.__version__,
            "int8_onednn": {"err_vs_fp32": {
                "logits": {"rel_l2": rel_l2(qlogits.detach().numpy(), logits)},
                "last_hidden_state": {"rel_l2": rel_l2(qhidden.detach().numpy(), hidden)}}}}
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=2)
    print("torch_encoder_prenorm:", meta["int8_onednn"])


def bert_variants():
    src = os.path.join(ROOT, "bert_small", "ckpt_safetensors")
    weights = load_safetensors(os.path.join(src, "model.safetensors"))
    side_files = [f for f in os.listdir(src) if f != "model.safetensors"]

    def folder(name):
        d = os.path.join(ROOT, "bert_small", name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for f in side_files:
            shutil.copy(os.path.join(src, f), d)
        return d

    d = folder("ckpt_f16_safetensors")
    save_safetensors(os.path.join(d, "model.safetensors"), {k: v.half() for k, v in weights.items()})
    d = folder("ckpt_bf16_zip")
    torch.save({k: v.bfloat16() for k, v in weights.items()}, os.path.join(d, "pytorch_model.bin"))
    names = sorted(weights)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    for kind, ext, writer in (("safetensors", "safetensors", save_safetensors),
                              ("bin", "bin", lambda p, t: torch.save(t, p))):
        d = folder("ckpt_sharded_" + kind)
        prefix = "model" if kind == "safetensors" else "pytorch_model"
        weight_map = {}
        for i, part in enumerate(halves):
            fname = "%s-%05d-of-00002.%s" % (prefix, i + 1, ext)
            writer(os.path.join(d, fname), {k: weights[k] for k in part})
            weight_map.update({k: fname for k in part})
        index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
        index_name = "model.safetensors.index.json" if kind == "safetensors" else "pytorch_model.bin.index.json"
        json.dump(index, open(os.path.join(d, index_name), "w"), indent=2)


def t5_inner():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
    import torch_models as tm
    out = os.path.join(ROOT, "t5_inner")
    shutil.rmtree(out, ignore_errors=True)
    for d in ("ckpt_safetensors", "inputs", "fp32"):
        os.makedirs(os.path.join(out, d))
    config = {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": 1100,
              "d_model": 48, "d_kv": 8, "num_heads": 4, "d_ff": 80, "num_layers": 2, "num_decoder_layers": 3,
              "relative_attention_num_buckets": 16, "relative_attention_max_distance": 20,
              "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False, "layer_norm_epsilon": 1e-6,
              "decoder_start_token_id": 0, "eos_token_id": 1, "pad_token_id": 0,
              "task_specific_params": {"translation_en_to_de": {"prefix": "translate English to German: ",
                                                                "num_beams": 3, "max_length": 12,
                                                                "early_stopping": True}}}
    torch.manual_seed(61)
    model = tm.T5(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape) * (0.3 if "norm" not in name else 0.0) + (1.0 if "norm" in name else 0.0))
            if "norm" in name:
                p.mul_(1 + 0.2 * torch.randn(p.shape))
    tm.save_safetensors(os.path.join(out, "ckpt_safetensors", "model.safetensors"), model.state_dict())
    json.dump(config, open(os.path.join(out, "ckpt_safetensors", "config.json"), "w"), indent=2)
    g = torch.Generator().manual_seed(62)
    ids = torch.randint(3, 1000, (2, 30), generator=g)  # 30 > max_distance: the log buckets are used
    ids[0, -1] = 1
    ids[1, 17] = 1
    ids[1, 18:] = 0
    mask = (torch.arange(30)[None, :] < torch.tensor([[30], [18]])).long()
    with torch.no_grad():
        enc = model.encode(ids, mask)
        seq = model.generate(ids, mask, 15)
    np.save(os.path.join(out, "inputs", "input_ids.npy"), ids.numpy())
    np.save(os.path.join(out, "inputs", "attention_mask.npy"), mask.numpy())
    np.save(os.path.join(out, "fp32", "encoder_last_hidden_state.npy"), enc.numpy())
    np.save(os.path.join(out, "fp32", "greedy_sequences.npy"), seq.numpy())
    print("t5_inner greedy:", seq.tolist())


if __name__ == "__main__":
    torch.set_num_threads(1)
    torch_encoder_prenorm()
    bert_variants()
    t5_inner()
