#!/bin/sh
# docs_models.sh "EMULATOR" TERN BLOBS DATA DOC CONVERTER_DIR: the supported-models table of
# docs/models.md (between its models:begin/end markers) against the code and the blobs the suite
# converts from each fixture:
# - every family the converter can write (kFamilies' model_type strings and each spec's
#   `spec.family = "..."` in model_spec.cc; detect_arch's and --arch's names in main.cc) has a row,
#   and every row names such a family;
# - every fixture with checkpoints (tests/data/*/ckpt_*) is in some row;
# - for each row, each fixture's blob of each checkpoint format in the row reports the row's family
#   (`tern info --json`: arch.family), a tokenizer the row names, and a task the row lists (from
#   head.kind and head.scores, or "text-to-text" for a seq2seq model); and each task the row lists
#   is shown by one of its blobs.
set -u
emu=$1 tern=$2 blobs=$3 data=$4 doc=$5 converter=$6
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
python3 - "$doc" "$converter" "$data" "$blobs" > "$work/plan" <<'PY' || exit 1
import os, re, sys
doc, converter, data, blobs = sys.argv[1:]
text = open(doc).read()
m = re.search(r"<!-- models:begin -->(.*?)<!-- models:end -->", text, re.S)
if not m: sys.exit(f"{doc}: no models:begin/end markers")
rows = [l for l in m.group(1).splitlines() if l.startswith("|")][2:]  # after the header and |---|
if not rows: sys.exit(f"{doc}: the table has no rows")
spec = open(os.path.join(converter, "model_spec.cc")).read()
main = open(os.path.join(converter, "main.cc")).read()
families = set(re.findall(r'\{"([a-z0-9-]+)", Family::', spec)) | set(re.findall(r'spec\.family = "([a-z0-9-]+)"', spec))
detect = re.search(r'for \(const char\* encoder : \{([^}]*)\}\)', main)
archs = set(re.findall(r'a\.arch != "([a-z0-9-]+)"', main)) - {"auto"}
if len(families) < 9 or not detect or len(archs) < 4:
    sys.exit(f"could not read the families from the converter: {sorted(families)}, arch names {sorted(archs)}")
families |= set(re.findall(r'"([a-z0-9-]+)"', detect.group(1))) | archs
fixtures = {d for d in os.listdir(data) if os.path.isdir(os.path.join(data, d))
            and any(e.startswith("ckpt_") for e in os.listdir(os.path.join(data, d)))}
seen_families, seen_fixtures, errors = set(), set(), []
for row in rows:
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    if len(cells) != 5: sys.exit(f"row with {len(cells)} cells, not 5: {row}")
    family = re.match(r"`([^`]+)`", cells[0])
    formats = re.findall(r"`([a-z0-9_]+)`", cells[3])
    names = re.findall(r"`([a-z0-9_]+)`", cells[4])
    if not family or not formats or not names: sys.exit(f"row without a `family`, `format`s or `fixture`s: {row}")
    family = family.group(1)
    if family not in families: errors.append(f"row '{family}': not a family the converter writes {sorted(families)}")
    seen_families.add(family)
    # The blobs tests/CMakeLists.txt converts: NAME_FORMAT_W.tern (bert_small's are bert_*), or
    # NAME_W.tern for a fixture of one format.
    union = set()
    for f in names:
        seen_fixtures.add(f)
        path = os.path.join(data, f)
        have = sorted(e[5:] for e in os.listdir(path) if e.startswith("ckpt_")) if os.path.isdir(path) else []
        if not have: errors.append(f"row '{family}': no checkpoints in tests/data/{f}"); continue
        union |= set(have)
        prefix = "bert" if f == "bert_small" else f
        for fmt in have:
            names_tried = [f"{prefix}_{fmt}_{w}.tern" for w in ("int8", "f32", "f16")]
            if len(have) == 1: names_tried += [f"{prefix}_{w}.tern" for w in ("int8", "f32", "f16")]
            found = [b for b in names_tried if os.path.exists(os.path.join(blobs, b))]
            if not found: errors.append(f"row '{family}': no blob of tests/data/{f}/ckpt_{fmt} in {blobs} ({names_tried[0]}, ...)")
            else: print(family, f, fmt, os.path.join(blobs, found[0]), "\t" + cells[1] + "\t" + cells[2])
    if union and union != set(formats):
        errors.append(f"row '{family}': formats {sorted(formats)}, its fixtures have {sorted(union)}")
for f in sorted(families - seen_families): errors.append(f"family '{f}' has no row")
for f in sorted(fixtures - seen_fixtures): errors.append(f"fixture tests/data/{f} is in no row")
if errors: sys.exit("\n".join(errors))
PY
[ -s "$work/plan" ] || { echo "no blobs to check"; exit 1; }
# tern info --json of each blob (under the emulator in a cross build), then one check of them all.
n=0
while IFS="$(printf '\t')" read -r what rest; do
  set -- $what
  n=$((n + 1))
  $emu $tern info "$4" --json > "$work/$n.json" || { echo "tern info $4 exits $?"; exit 1; }
done < "$work/plan"
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
kinds = ["single-label", "multi-label", "regression", "token classification", "embeddings", "text-to-text"]
errors, listed, shown = [], set(), set()
for n, line in enumerate(open(f"{work}/plan").read().splitlines(), 1):
    what, tasks, tokenizer = line.split("\t")
    family, fixture, fmt = what.split()[:3]
    facts = json.load(open(f"{work}/{n}.json"))
    if "seq2seq" in facts: task = "text-to-text"
    else:
        head = facts["head"]
        task = {"token classification": "token classification", "embedding": "embeddings"}.get(head["kind"])
        if head["kind"] == "sequence classification":
            task = {"softmax": "single-label", "sigmoid (multi-label)": "multi-label",
                    "raw (regression)": "regression"}[head["scores"]]
    where = f"{fixture}/ckpt_{fmt}"
    if facts["arch"]["family"] != family:
        errors.append(f"{where}: family is '{facts['arch']['family']}', its row says '{family}'")
    if task not in tasks: errors.append(f"{where}: its task is '{task}', not in its row's '{tasks}'")
    if facts["tokenizer"]["kind"] not in tokenizer.lower():
        errors.append(f"{where}: tokenizer '{facts['tokenizer']['kind']}' is not in its row's '{tokenizer}'")
    listed |= {(family, k) for k in kinds if k in tasks}
    shown.add((family, task))
errors += [f"row '{f}' lists '{k}', which none of its blobs shows" for f, k in sorted(listed - shown)]
if errors: sys.exit("\n".join(errors))
print(f"ok: {len(shown)} family/task pairs from {n} blobs")
PY
