#!/usr/bin/env python3
"""Real sentences for the default models, from the gettext catalogs Debian packages ship
(/usr/share/locale/<lang>/LC_MESSAGES/*.mo): the English msgid and its de/fr/es/it msgstr.

Installs the fixed package list below (apt-get) and the Python modules the training and evaluation
scripts import (python3-torch, python3-sentencepiece), reads only those packages' catalogs, cleans
printf placeholders, accelerator marks and markup, drops untranslated and degenerate entries,
removes duplicates, and splits train/validation/test deterministically by message (a hash of the
English msgid), so no translation of a test message is ever seen in training.

Also reads Debian's German-English dictionary (package trans-de-en, /usr/share/trans/de-en): each
entry's `|`-separated parts are aligned on both sides of ` :: `; kept are example sentences (4+
English words, sentence-final punctuation on both sides) and single-term phrase pairs, with grammar
tags ({m}, {pl}), labels ([Br.], [techn.]) and parenthesized notes removed, and pairs holding
placeholders (sth., sb., etw., jdn., ...) or synonym lists (";") dropped. They are split by the same
hash, never sharing an English text with another split.

Writes OUT/langid_{train,val,test}.tsv (text, lang), OUT/ende_{train,val,test}.tsv (en, de: the
gettext pairs), OUT/dict_{train,val,test}.tsv (en, de, kind: sentence or phrase) and
OUT/stats.json (counts per source and split).

Also reads three kinds of translated prose from Debian packages that are downloaded and unpacked into
OUT/debs (not installed: they would pull in desktops and games): GNOME/MATE application help
(Mallard .page and DocBook files under /usr/share/help/{C,de}/; instructions such as "Click the
button to save your changes."), the Battle for Wesnoth campaigns' dialogue and story text and other
games' texts (GAME_PACKAGES; both from gettext catalogs, each source unpacked into its own root). A help page's translation has the English page's structure, so its blocks
(paragraphs, titles) align in order; pages whose block counts differ are skipped. Blocks and story
messages are split into sentences where both sides have the same number of them, kept whole
otherwise. Written to OUT/prose_{train,val,test}.tsv (en, de, source: help, story or games), split by the
same hash. Usage: data.py OUT_DIR"""
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

DICTIONARY = "/usr/share/trans/de-en"  # package trans-de-en
PACKAGES = ["trans-de-en", "git", "gnupg-l10n", "coreutils", "libc-l10n", "dpkg", "libglib2.0-data", "gettext", "wget",
            "tar", "login", "bash", "binutils-common", "make", "apt", "libapt-pkg6.0", "libgnutls30",
            "libexif12", "shared-mime-info", "appstream", "gsettings-desktop-schemas", "postgresql-client-15",
            "diffutils", "findutils", "grep", "sed", "gzip", "util-linux-locales", "e2fsprogs", "procps"]
LANGS = ["de", "fr", "es", "it"]
# Packages whose /usr/share/help holds an English and a German manual (Mallard or DocBook).
HELP_PACKAGES = ["gnome-user-docs", "mate-user-guide", "gnome-calculator", "eog", "evince-common", "gedit-common",
                 "totem-common", "rhythmbox-data", "gnome-terminal-data", "cheese-common", "baobab",
                 "gnome-disk-utility", "gnome-system-monitor", "gnome-clocks", "gnome-contacts", "gnome-logs",
                 "gnome-klotski", "gnome-mines", "gnome-sudoku", "aisleriot", "quadrapassel", "four-in-a-row", "iagno",
                 "tali", "swell-foop", "gnome-chess", "gnome-mahjongg", "lightsoff", "gnome-nibbles", "gnome-robots",
                 "gnome-tetravex", "hitori", "five-or-more", "gnome-taquin", "gnome-2048", "simple-scan",
                 "file-roller", "seahorse", "brasero-common", "evolution-common", "gnome-boxes", "gnome-music",
                 "gnome-photos", "gnome-dictionary", "orca", "glade", "polari", "zenity-common", "accerciser", "gnote",
                 "gucharmap", "ghex", "pitivi", "shotwell-common", "gthumb-data", "vinagre", "atril-common",
                 "pluma-common", "engrampa-common", "mate-terminal-common", "eom-common", "gnome-connections"]
STORY_PACKAGES = ["wesnoth-1.16-data"] + [f"wesnoth-1.16-{c}" for c in (
    "did", "dm", "dw", "ei", "httt", "l", "low", "nr", "sof", "sota", "sotbe", "thot", "trow", "tsg", "ttb", "utbs")]
# Other games' catalogs: FreedroidRPG's dialogues, Widelands' scenarios and encyclopedia, Freeciv's
# nation histories and help, Warzone 2100's campaign, Tux Paint's instructions.
GAME_PACKAGES = ["freedroidrpg-data", "widelands-data", "freeciv-data", "warzone2100-data", "tuxpaint-data"]


TOOLS = ["python3-torch", "python3-sentencepiece"]  # what train_*.py and evaluate.py import


def install():
    missing = [p for p in PACKAGES + TOOLS if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                                     text=True).stdout != "install ok installed"]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)


def catalogs(package, lang):
    files = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split("\n")
    return sorted(f for f in files if f.startswith(f"/usr/share/locale/{lang}/LC_MESSAGES/") and f.endswith(".mo"))


def read_mo(path):
    """msgid -> msgstr (first plural form; context dropped)."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, _, n, orig, trans = struct.unpack(order + "5I", data[:20])  # magic, revision, count, tables
    out = {}
    for i in range(n):
        ol, oo = struct.unpack(order + "2I", data[orig + 8 * i: orig + 8 * i + 8])
        tl, to = struct.unpack(order + "2I", data[trans + 8 * i: trans + 8 * i + 8])
        msgid = data[oo: oo + ol].split(b"\0")[0]
        msgstr = data[to: to + tl].split(b"\0")[0]
        if not msgid:
            continue  # the header
        if b"\x04" in msgid:
            msgid = msgid.split(b"\x04", 1)[1]
        try:
            out[msgid.decode("utf-8")] = msgstr.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return out


PLACEHOLDER = re.compile(r"%(\d+\$)?[-+ #0']*(\d+|\*)?(\.(\d+|\*))?(hh|h|ll|l|L|q|j|z|t|I64|I32)?[diouxXeEfFgGaAcsSpn%]|"
                         r"\$\{?\w+\}?|\{\w*\}|<[^>]{1,40}>|&\w+;")


EMPTY_QUOTES = re.compile(r"[»«„“”\"'`‘’‚‹›]\s*[»«„“”\"'`‘’‚‹›]")


def clean(text):
    text = PLACEHOLDER.sub(" ", text)
    text = re.sub(r"%[A-Za-z]", " ", text)                  # tool-specific formats (binutils %B, %P)
    text = EMPTY_QUOTES.sub(" ", text)                       # quotes that held a placeholder
    text = re.sub(r"(?<!\w)[_&](?=\w)", "", text)           # accelerator marks: _File, &Open
    text = re.sub(r"\\[nt]|[\n\t\r]", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" :;,-*>=\"'`")
    return text


def usable(text):
    letters = sum(c.isalpha() for c in text)
    return 12 <= len(text) <= 200 and letters >= 0.6 * len(text) and len(text.split()) >= 2


def split_of(msgid):
    h = int(hashlib.sha256(msgid.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if h < 5 else "val" if h < 10 else "train"


# The dictionary's annotations: {m} {f} {n} {pl} {vt} ..., [Br.] [techn.] ..., (gegen etw.) ...
DICT_TAGS = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)")
PLACEHOLDERS = re.compile(r"\b(sth|sb|etw|jdn|jdm|jds|jd)\.|\bso\.|/")


def dictionary_pairs():
    """(en, de, kind) from the dictionary: example sentences and single-term phrases."""
    pairs = []
    for line in open(DICTIONARY, encoding="utf-8", errors="replace"):
        if line.startswith("#") or " :: " not in line:
            continue
        de, en = line.rstrip("\n").split(" :: ", 1)
        des, ens = de.split("|"), en.split("|")
        if len(des) != len(ens):
            continue
        for d, e in zip(des, ens):
            d = re.sub(r"\s+", " ", DICT_TAGS.sub(" ", d)).strip()
            e = re.sub(r"\s+", " ", DICT_TAGS.sub(" ", e)).strip()
            if not d or not e or ";" in d or ";" in e or PLACEHOLDERS.search(d) or PLACEHOLDERS.search(e):
                continue
            sentence = len(e.split()) >= 4 and e[-1] in ".?!" and d[-1] in ".?!"
            if sentence or (len(e.split()) <= 3 and not any(c in e + d for c in ".?!,")):
                pairs.append((e, d, "sentence" if sentence else "phrase"))
    return pairs


def unpack(packages, debs, name):
    """Downloads the packages' .debs (once) and unpacks each into debs/NAME; returns that root."""
    root = os.path.join(debs, name)
    os.makedirs(root, exist_ok=True)
    missing = [p for p in packages if not any(f.startswith(p + "_") for f in os.listdir(debs))]
    if missing:
        subprocess.run(["apt-get", "download", "-qq"] + missing, cwd=debs, check=True)
    for deb in sorted(f for f in os.listdir(debs) if f.endswith(".deb") and f.split("_")[0] in packages):
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), root], check=True)
    return root


SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„“\"(])")


def sentence_pairs(en, de):
    """Sentence pairs where both texts have as many sentences, else the texts whole."""
    es, ds = SENTENCE_END.split(en), SENTENCE_END.split(de)
    return list(zip(es, ds)) if len(es) == len(ds) else [(en, de)]


HELP_BLOCKS = {"p", "title", "desc", "para", "simpara", "term"}


def help_blocks(path):
    """The texts of a help page's blocks in document order (inline markup joined in)."""
    blocks = []
    for el in ET.parse(path).getroot().iter():
        if isinstance(el.tag, str) and el.tag.split("}")[-1] in HELP_BLOCKS:
            blocks.append(re.sub(r"\s+", " ", "".join(el.itertext())).strip())
    return blocks


def help_pairs(root):
    pairs = []
    english = os.path.join(root, "usr/share/help/C")
    for dirpath, _, files in sorted(os.walk(english)):
        for name in sorted(f for f in files if f.endswith((".page", ".xml"))):
            german = os.path.join(dirpath.replace("/help/C", "/help/de", 1), name)
            try:
                en, de = help_blocks(os.path.join(dirpath, name)), help_blocks(german)
            except (OSError, ET.ParseError):
                continue  # no German page, or one that does not parse
            if len(en) == len(de):
                pairs += [p for e, d in zip(en, de) if e != d for p in sentence_pairs(e, d)]
    return pairs


def catalog_pairs(root):
    """Sentence pairs from every German gettext catalog under ROOT/usr/share."""
    pairs = []
    for dirpath, _, files in sorted(os.walk(os.path.join(root, "usr/share"))):
        if dirpath.endswith("/de/LC_MESSAGES"):
            for name in sorted(files):
                for msgid, msgstr in read_mo(os.path.join(dirpath, name)).items():
                    if msgstr and "$" not in msgid + msgstr:  # $variables: names filled in by the game
                        pairs += sentence_pairs(clean(msgid), clean(msgstr))
    return pairs


def write_sourced(out, name, splits, seen, kinds):
    """Writes OUT/NAME_{split}.tsv (en, de, kind), dropping a pair whose English text already went to
    another split (seen: text -> split, updated); returns the counts per split and kind."""
    counts = {}
    for split in ("test", "val", "train"):
        rows = sorted(r for r in splits[split] if seen.setdefault(r[0], split) == split)
        with open(os.path.join(out, f"{name}_{split}.tsv"), "w") as f:
            f.writelines(f"{e}\t{d}\t{k}\n" for e, d, k in rows)
        counts[split] = {k: sum(1 for r in rows if r[2] == k) for k in kinds}
    return counts


def main(out):
    install()
    os.makedirs(out, exist_ok=True)
    messages = {}  # msgid -> {lang: msgstr}
    for package in PACKAGES:
        for lang in LANGS:
            for path in catalogs(package, lang):
                for msgid, msgstr in read_mo(path).items():
                    messages.setdefault(msgid, {})[lang] = msgstr
    langid = {s: set() for s in ("train", "val", "test")}
    ende = {s: set() for s in ("train", "val", "test")}
    for msgid in sorted(messages):
        en = clean(msgid)
        if not usable(en):
            continue
        split = split_of(en)
        langid[split].add((en, "en"))
        for lang, msgstr in sorted(messages[msgid].items()):
            t = clean(msgstr)
            if usable(t) and t != en:
                langid[split].add((t, lang))
                if lang == "de":
                    ende[split].add((en, t))
    # A text must not appear in two splits (the same sentence can come from different msgids).
    seen = {}
    stats = {"packages": PACKAGES, "langid": {}, "ende": {}}
    for split in ("test", "val", "train"):
        rows = sorted(r for r in langid[split] if seen.setdefault(r[0], split) == split)
        with open(os.path.join(out, f"langid_{split}.tsv"), "w") as f:
            f.writelines(f"{t}\t{l}\n" for t, l in rows)
        stats["langid"][split] = {l: sum(1 for r in rows if r[1] == l) for l in ["en"] + LANGS}
        pairs = sorted(p for p in ende[split] if seen.get(p[0]) == split)
        with open(os.path.join(out, f"ende_{split}.tsv"), "w") as f:
            f.writelines(f"{e}\t{d}\n" for e, d in pairs)
        stats["ende"][split] = len(pairs)
    # The dictionary, split by the same hash; an English text seen in another split is dropped.
    dictionary = {s: set() for s in ("train", "val", "test")}
    for e, d, kind in dictionary_pairs():
        dictionary[split_of(e)].add((e, d, kind))
    stats["dictionary"] = write_sourced(out, "dict", dictionary, seen, ("sentence", "phrase"))
    debs = os.path.join(out, "debs")
    os.makedirs(debs, exist_ok=True)
    prose = {s: set() for s in ("train", "val", "test")}
    for source, rows in (("help", help_pairs(unpack(HELP_PACKAGES, debs, "help"))),
                         ("story", catalog_pairs(unpack(STORY_PACKAGES, debs, "story"))),
                         ("games", catalog_pairs(unpack(GAME_PACKAGES, debs, "games")))):
        for e, d in rows:
            e, d = clean(e), clean(d)
            if usable(e) and usable(d) and e != d:
                prose[split_of(e)].add((e, d, source))
    stats["prose_packages"] = HELP_PACKAGES + STORY_PACKAGES + GAME_PACKAGES
    stats["prose"] = write_sourced(out, "prose", prose, seen, ("help", "story", "games"))
    json.dump(stats, open(os.path.join(out, "stats.json"), "w"), indent=1)
    print(json.dumps(stats["langid"]), json.dumps(stats["ende"]), json.dumps(stats["dictionary"]),
          json.dumps(stats["prose"]))


if __name__ == "__main__":
    main(sys.argv[1])
