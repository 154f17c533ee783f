#!/usr/bin/python3
"""Writes the tokenizer.json Hugging Face's `tokenizers` library would serialize for each fixture
tokenizer folder (the fast tokenizer transformers' convert_slow_tokenizer builds from the slow
one's files), so that tern-convert's tokenizer.json reader can be tested against the blob it makes
from the older files. Neither transformers nor tokenizers is needed: the JSON structure is written
out as the library serializes it. SentencePiece pieces and scores come from the .model file through
Debian's python3-sentencepiece; the normalizer's precompiled_charsmap is read from the ModelProto's
wire format (python3-sentencepiece 0.1.97 exposes no accessor for it).

usage: /usr/bin/python3 scripts/make_tokenizer_json.py FIXTURES_DIR OUT_DIR
  (FIXTURES_DIR: /work/shared/fixtures/tokenizers; OUT_DIR: tests/data/tokenizer_json)
Each OUT_DIR/<name>/ gets tokenizer.json plus the fixture's tokenizer_config.json and
special_tokens_map.json, never the vocab, merges or model files.
"""
import base64
import json
import os
import shutil
import sys

METASPACE = "\u2581"


def varint(buf, pos):
    value, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def fields(buf):
    """(field number, wire type, value) of one protobuf message; length-delimited values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, value


def precompiled_charsmap(model_path):
    """NormalizerSpec (field 3 of ModelProto).precompiled_charsmap (its field 2)."""
    with open(model_path, "rb") as f:
        proto = f.read()
    for number, wire, value in fields(proto):
        if number == 3 and wire == 2:
            for n, w, v in fields(value):
                if n == 2 and w == 2:
                    return v
    return b""


def spm_pieces(model_path):
    import sentencepiece  # Debian's python3-sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=model_path)
    return sp, [(sp.id_to_piece(i), float(sp.get_score(i))) for i in range(sp.get_piece_size())]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def added_tokens(cfg):
    """The fast tokenizer's added tokens: the slow one's added_tokens_decoder, in id order."""
    out = []
    for key, tok in sorted(cfg.get("added_tokens_decoder", {}).items(), key=lambda kv: int(kv[0])):
        out.append({
            "id": int(key),
            "content": tok["content"],
            "single_word": tok.get("single_word", False),
            "lstrip": tok.get("lstrip", False),
            "rstrip": tok.get("rstrip", False),
            "normalized": tok.get("normalized", False),
            "special": tok.get("special", True),
        })
    return out


def template(single, pair, specials):
    """TemplateProcessing from "tok:type" strings ($A / $B for the texts), as tokenizers' parser."""
    def pieces(spec):
        out = []
        for item in spec.split():
            name, _, type_id = item.partition(":")
            type_id = int(type_id) if type_id else 0
            if name in ("$A", "$B"):
                out.append({"Sequence": {"id": name[1], "type_id": type_id}})
            else:
                out.append({"SpecialToken": {"id": name, "type_id": type_id}})
        return out

    return {
        "type": "TemplateProcessing",
        "single": pieces(single),
        "pair": pieces(pair),
        "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for t, i in specials},
    }


def document(added, normalizer, pre_tokenizer, post_processor, decoder, model):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": post_processor,
        "decoder": decoder,
        "model": model,
    }


def wordpiece(src, cfg):
    # BertConverter: BertNormalizer with the slow tokenizer's basic-tokenizer options.
    with open(os.path.join(src, "vocab.txt"), encoding="utf-8") as f:
        tokens = f.read().split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    cls, sep = cfg.get("cls_token", "[CLS]"), cfg.get("sep_token", "[SEP]")
    return document(
        added_tokens(cfg),
        {"type": "BertNormalizer", "clean_text": True,
         "handle_chinese_chars": cfg.get("tokenize_chinese_chars", True),
         "strip_accents": cfg.get("strip_accents"), "lowercase": cfg.get("do_lower_case", True)},
        {"type": "BertPreTokenizer"},
        template(f"{cls}:0 $A:0 {sep}:0", f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
                 [(cls, vocab[cls]), (sep, vocab[sep])]),
        {"type": "WordPiece", "prefix": "##", "cleanup": True},
        {"type": "WordPiece", "unk_token": cfg.get("unk_token", "[UNK]"), "continuing_subword_prefix": "##",
         "max_input_chars_per_word": 100, "vocab": vocab})


def bpe(src, cfg):
    # RobertaConverter: ByteLevel pre-tokenizer and decoder, RobertaProcessing.
    vocab = load(os.path.join(src, "vocab.json"))
    with open(os.path.join(src, "merges.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")[1:-1]
    merges = [line.split() for line in lines if line.split()]
    prefix = cfg.get("add_prefix_space", False)
    byte_level = {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": True, "use_regex": True}
    return document(
        added_tokens(cfg), None, byte_level,
        {"type": "RobertaProcessing", "sep": [cfg["sep_token"], vocab[cfg["sep_token"]]],
         "cls": [cfg["cls_token"], vocab[cfg["cls_token"]]], "trim_offsets": True, "add_prefix_space": prefix},
        dict(byte_level),
        {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
         "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
         "vocab": vocab, "merges": merges})


def unigram(model_path, cfg, name):
    sp, pieces = spm_pieces(model_path)
    charsmap = base64.b64encode(precompiled_charsmap(model_path)).decode("ascii")
    precompiled = {"type": "Precompiled", "precompiled_charsmap": charsmap}
    collapse_to = " "
    if name == "xlmr":
        # XLMRobertaConverter: fairseq's ids, <mask> after the pieces.
        vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]] + [list(p) for p in pieces[3:]]
        vocab.append(["<mask>", 0.0])
        unk_id = 3
        post = template("<s> $A </s>", "<s> $A </s> </s> $B </s>", [("<s>", 0), ("</s>", 2)])
    elif name == "t5":
        # T5Converter: <extra_id_N> after the pieces, the highest N first.
        extra = cfg.get("extra_ids", 100)
        vocab = [list(p) for p in pieces] + [[f"<extra_id_{i}>", 0.0] for i in range(extra - 1, -1, -1)]
        unk_id = sp.unk_id()
        eos = sp.eos_id()
        post = template("$A:0 </s>:0", "$A:0 </s>:0 $B:0 </s>:0", [("</s>", eos)])
    else:  # albert: AlbertConverter
        # Scores as in spiece.model: AlbertConverter lowers pieces ending in digit + "," by 100 (the
        # fast tokenizer's stand-in for AlbertTokenizer's re-split), which would make this file's
        # blob differ from the spiece.model blob on purpose; tern reads such scores as given.
        vocab = [list(p) for p in pieces]
        unk_id = sp.unk_id()
        ids = {p: i for i, (p, _) in enumerate(pieces)}
        post = template("[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
                        [("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    if name == "albert":
        steps = [{"type": "Replace", "pattern": {"String": "``"}, "content": '"'},
                 {"type": "Replace", "pattern": {"String": "''"}, "content": '"'}]
        if not cfg.get("keep_accents", False):
            steps += [{"type": "NFKD"}, {"type": "StripAccents"}]
        if cfg.get("do_lower_case", True):
            steps.append({"type": "Lowercase"})
        steps += [precompiled, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": collapse_to}]
    else:
        # SpmConverter's default normalizer.
        steps = [precompiled, {"type": "Strip", "strip_left": False, "strip_right": True},
                 {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": METASPACE}]
    # legacy=False (T5) prepends U+2581 to the first text only.
    scheme = "always" if cfg.get("legacy", True) else "first"
    metaspace = {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": scheme, "split": True}
    return document(
        added_tokens(cfg), {"type": "Sequence", "normalizers": steps}, metaspace, post, dict(metaspace),
        {"type": "Unigram", "unk_id": unk_id, "vocab": vocab, "byte_fallback": False})


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src_root, out_root = sys.argv[1], sys.argv[2]
    for name in ("bert", "distilbert", "roberta", "xlmr", "albert", "t5"):
        src = os.path.join(src_root, name)
        cfg = load(os.path.join(src, "tokenizer_config.json"))
        if name in ("bert", "distilbert"):
            doc = wordpiece(src, cfg)
        elif name == "roberta":
            doc = bpe(src, cfg)
        else:
            model = "sentencepiece.bpe.model" if name == "xlmr" else "spiece.model"
            doc = unigram(os.path.join(src, model), cfg, name)
        out = os.path.join(out_root, name)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
            # As tokenizers' to_str(pretty=False) would: one line, characters unescaped.
            json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        for extra in ("tokenizer_config.json", "special_tokens_map.json"):
            if os.path.exists(os.path.join(src, extra)):
                shutil.copy(os.path.join(src, extra), os.path.join(out, extra))


if __name__ == "__main__":
    main()
