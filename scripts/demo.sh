#!/usr/bin/env bash
# The main job: installs what is missing, builds, converts the two bundled models (trained on real
# text from Debian packages by scripts/models/) with tern-convert, and runs them in int8:
#   langid: names the language of a sentence (en, de, fr, es, it)
#   en-de:  translates English to German (a small T5): everyday sentences and software messages
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=OFF >/dev/null
cmake --build build -j2 >/dev/null
build/converter/tern-convert models/langid -o models/langid.tern
build/converter/tern-convert models/en-de -o models/en-de.tern
echo
build/tern classify models/langid.tern "Das Haus ist wunderbar." "Le fichier n'existe pas." \
  "The file could not be opened: permission denied." "No se puede abrir el archivo." \
  "Impossibile aprire il file."
echo
build/tern generate models/en-de.tern "translate English to German: The house is wonderful." \
  "translate English to German: Where is the train station?" \
  "translate English to German: File not found" \
  "translate English to German: Save changes before closing?"
