#!/usr/bin/env python3
"""Writes the fuzz targets' small seeds into OUT: make_seeds.py DATA OUT (DATA: tests/data).

The fixtures are whole models, 0.3 to 1.5 MB: the fuzzer copies and decodes all of them on every
run. These have the same structure at a fraction of the size, so most executions reach the same
code a hundred times faster:
  OUT/{safetensors,torch_zip,torch_legacy}/tiny.*  a few small tensors (every dtype the readers
      decode, a strided view, a shared storage)
  OUT/models/{bert,t5}/  the BERT and T5 fixtures shrunk to width 8 and one layer, with their
      tokenizer files, for tests/fuzz/CMakeLists.txt to convert into small blobs
Only the standard library: torch's pickles are written with stand-ins named as torch's globals,
which is all the readers see of them."""

import collections
import io
import json
import random
import shutil
import os
import pickle
import struct
import sys
import types
import zipfile


# Stand-ins for the globals torch pickles name: pickle writes a global by module and name.
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, torch_utils
STORAGE_TYPES = {"F32": ("FloatStorage", "<f"), "F16": ("HalfStorage", "<e"), "I64": ("LongStorage", "<q"),
                 "BF16": ("BFloat16Storage", "<H"), "I8": ("CharStorage", "<b")}
for name, _ in STORAGE_TYPES.values():
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)


def _rebuild_tensor_v2(*args):
    raise AssertionError("never called: only pickled")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2


class Storage:
    def __init__(self, key, dtype, values):
        self.key, self.dtype, self.values = key, dtype, values

    def raw(self):
        return b"".join(struct.pack(STORAGE_TYPES[self.dtype][1], v) for v in self.values)


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False,
                                     collections.OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", getattr(torch, STORAGE_TYPES[obj.dtype][0]), obj.key, "cpu", len(obj.values))
        return None


def state_dict():
    a = Storage("0", "F32", [1.0, -2.0, 0.5, 3.0, 4.0, 5.0])
    return a, [a, Storage("1", "F16", [0.25, -1.0]), Storage("2", "I64", [7, -8, 9]),
               Storage("3", "BF16", [0x3f80, 0xc000]), Storage("4", "I8", [-3, 4])], collections.OrderedDict([
        ("w", Tensor(a, 0, [2, 3], [3, 1])),
        ("w.t", Tensor(a, 0, [3, 2], [1, 3])),  # a transposed view of the same storage
        ("b", Tensor(a, 4, [2], [1])),
        ("h", Tensor(Storage("1", "F16", [0.25, -1.0]), 0, [2], [1])),
        ("ids", Tensor(Storage("2", "I64", [7, -8, 9]), 0, [3], [1])),
        ("bf", Tensor(Storage("3", "BF16", [0x3f80, 0xc000]), 0, [1, 2], [2, 1])),
        ("q", Tensor(Storage("4", "I8", [-3, 4]), 1, [1], [1])),
    ])


def pickled(obj):
    out = io.BytesIO()
    Pickler(out, protocol=2).dump(obj)
    return out.getvalue()


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    _, storages, sd = state_dict()
    by_key = {s.key: s for s in storages}
    # torch >= 1.6: a zip of stored entries, archive/data.pkl and archive/data/KEY.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickled(sd))
        for key, s in sorted(by_key.items()):
            z.writestr("archive/data/" + key, s.raw())
        z.writestr("archive/version", "3\n")
    write("torch_zip/tiny.bin", buf.getvalue())
    # Legacy torch.save: magic, protocol, sys_info, the state dict, storage keys, then each storage
    # as its element count (u64 little-endian) and bytes.
    legacy = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
    legacy += pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
    legacy += pickled(sd) + pickle.dumps(sorted(by_key), protocol=2)
    for key in sorted(by_key):
        legacy += struct.pack("<Q", len(by_key[key].values)) + by_key[key].raw()
    write("torch_legacy/tiny.bin", legacy)
    # safetensors: u64 header length, JSON header, data.
    tensors = [("w", "F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3)), ("h", "F16", [2], struct.pack("<2e", 0.25, -1)),
               ("bf", "BF16", [1, 1], struct.pack("<H", 0x3f80)), ("ids", "I64", [2], struct.pack("<2q", 7, -8)),
               ("i", "I32", [1], struct.pack("<i", 5)), ("s", "I16", [1], struct.pack("<h", -5)),
               ("q", "I8", [2], struct.pack("<2b", -3, 4)), ("u", "U8", [1], b"\xff"), ("m", "BOOL", [1], b"\x01"),
               ("d", "F64", [1], struct.pack("<d", 2.5)), ("e", "F32", [0, 3], b"")]
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    write("safetensors/tiny.safetensors", safetensors_bytes(header, data))
    shrink("bert_small/ckpt_safetensors", "tokenizer_bert", "bert",
           {"hidden_size": 8, "intermediate_size": 16, "max_position_embeddings": 16, "num_attention_heads": 2,
            "num_hidden_layers": 1}, {64: 8, 128: 16}, "layer.1.")
    shrink("t5_tiny/ckpt_safetensors", "tokenizer_t5", "t5",
           {"d_model": 8, "d_ff": 16, "d_kv": 4, "num_heads": 2, "num_layers": 1, "num_decoder_layers": 1},
           {64: 8, 128: 16}, "block.1.")
    # Without a tokenizer the blob is a tenth of the size (no pieces, charsmap, index): generate
    # then starts from token ids.
    shrink("t5_tiny/ckpt_safetensors", None, "t5_ids",
           {"d_model": 8, "d_ff": 16, "d_kv": 4, "num_heads": 2, "num_layers": 1, "num_decoder_layers": 1},
           {64: 8, 128: 16}, "block.1.")


def safetensors_bytes(header, data):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def shrink(ckpt, tokenizer, name, config_edits, dims, dropped):
    """The fixture checkpoint with its widths mapped by `dims` (the T5 relative attention bias
    also to the new head count), the tensors whose names contain `dropped` (a second layer) left
    out, random weights, and the fixture's tokenizer files beside it (none: `tokenizer` None)."""
    with open(os.path.join(DATA, ckpt, "model.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        source = json.loads(f.read(n))
    rng = random.Random(11)
    header, data = {}, b""
    for tensor, info in sorted(source.items()):
        if tensor == "__metadata__" or dropped in tensor:
            continue
        shape = [dims.get(d, d) for d in info["shape"]]
        if "relative_attention_bias" in tensor:
            shape[1] = config_edits["num_heads"]
        count = 1
        for d in shape:
            count *= d
        # LayerNorm weights near 1 as trained ones are; the rest small.
        values = [1 + rng.uniform(-0.1, 0.1) if tensor.endswith("norm.weight") or "LayerNorm.weight" in tensor
                  else rng.uniform(-0.5, 0.5) for _ in range(count)]
        raw = struct.pack("<%df" % count, *values)
        header[tensor] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    out = os.path.join(OUT, "models", name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(safetensors_bytes(header, data))
    for extra in ("config.json", "generation_config.json"):
        if os.path.exists(os.path.join(DATA, ckpt, extra)):
            with open(os.path.join(DATA, ckpt, extra)) as f:
                cfg = json.load(f)
            if extra == "config.json":
                cfg.update(config_edits)
            with open(os.path.join(out, extra), "w") as f:
                json.dump(cfg, f, indent=1)
    for f in os.listdir(os.path.join(DATA, tokenizer)) if tokenizer else []:
        shutil.copy(os.path.join(DATA, tokenizer, f), out)


if __name__ == "__main__":
    DATA, OUT = sys.argv[1], sys.argv[2]
    main()
