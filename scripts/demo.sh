#!/usr/bin/env bash
# The main job: installs what is missing, builds, converts the bundled model and classifies a few
# texts with it. Until trained default models exist (issue 5), the bundled model is the randomly
# initialised bert_small test fixture: its labels (LABEL_0..4) carry no meaning.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=OFF >/dev/null
cmake --build build -j2 >/dev/null
mkdir -p models
build/converter/tern-convert tests/data/bert_small/ckpt_safetensors -o models/demo.tern
build/tern info models/demo.tern
build/tern classify models/demo.tern "Das Haus ist wunderbar." "Le fichier n'existe pas." \
  "The file could not be opened: permission denied."
