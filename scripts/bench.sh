#!/usr/bin/env bash
# tern next to PyTorch on the same random bert-base and t5-small checkpoints (see
# scripts/bench/run.py). Installs Debian's python3-torch and OpenBLAS (PyTorch's fp32 with the
# reference BLAS would be ~30x slower and not a fair comparison). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
need=()
for p in python3-torch python3-numpy libopenblas0-openmp; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target tern_cli tern_convert >/dev/null
/usr/bin/python3 scripts/bench/run.py "$@"
