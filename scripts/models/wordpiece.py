"""A WordPiece tokenizer as Hugging Face's BertTokenizer (basic tokenization + greedy longest-match
WordPiece), for training; tern's C++ tokenizer is tested identical to BertTokenizer, and the
training scripts check this one against `tern tokenize` on every test sentence. Also builds a
WordPiece vocab from a SentencePiece BPE model ("▁x" -> "x", "x" -> "##x")."""
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _is_control(c):
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def _is_space(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_punct(c):
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or unicodedata.category(c).startswith("P")


def _is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)])


def basic_tokenize(text, lower=True, strip_accents=False):
    text = "".join(" " if _is_space(c) else c for c in text if ord(c) not in (0, 0xFFFD) and not _is_control(c))
    text = "".join(f" {c} " if _is_cjk(ord(c)) else c for c in text)
    text = unicodedata.normalize("NFC", text)
    words = []
    for token in text.split():
        if lower:
            token = token.lower()
        if strip_accents:
            token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        current = ""
        for c in token:
            if _is_punct(c):
                if current:
                    words.append(current)
                words.append(c)
                current = ""
            else:
                current += c
        if current:
            words.append(current)
    return words


class WordPiece:
    def __init__(self, vocab, lower=True, strip_accents=False, max_chars=100):
        self.vocab = vocab
        self.index = {t: i for i, t in enumerate(vocab)}
        self.lower, self.strip_accents, self.max_chars = lower, strip_accents, max_chars

    def word_ids(self, word):
        if len(word) > self.max_chars:
            return [self.index["[UNK]"]]
        ids, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.index:
                    found = self.index[piece]
                    break
                end -= 1
            if found is None:
                return [self.index["[UNK]"]]
            ids.append(found)
            start = end
        return ids

    def encode(self, text, max_len):
        ids = [i for w in basic_tokenize(text, self.lower, self.strip_accents) for i in self.word_ids(w)]
        ids = ids[: max_len - 2]
        return [self.index["[CLS]"]] + ids + [self.index["[SEP]"]]


def vocab_from_bpe(pieces):
    """SentencePiece BPE pieces -> WordPiece vocab: specials, then every piece in both forms."""
    vocab, seen = list(SPECIALS), set(SPECIALS)
    for p in pieces:
        if p.startswith("<") and p.endswith(">"):
            continue
        forms = [p[1:]] if p.startswith("\u2581") else [p, "##" + p]
        for f in forms:
            if f and f not in seen:
                seen.add(f)
                vocab.append(f)
    return vocab
