#!/usr/bin/env bash
# Installs qlc's build and test dependencies from Debian 12's archive (and
# ONNX Runtime for the cross-checks from npm). Idempotent and quick when
# everything is already there: apt is only touched for missing packages.
set -euo pipefail

APT_PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config
  llvm-14-dev llvm-14-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libgtest-dev libgmock-dev zlib1g-dev
  libdnnl-dev libeigen3-dev libopenblas-dev
  # tests
  python3 libonnx-testdata dataset-fashion-mnist
)
# Node.js may come from outside Debian (the CI image ships its own, which
# conflicts with Debian's npm package): only install it when it is missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  APT_PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
    "${missing[@]}"
else
  echo "install-deps: Debian packages already installed"
fi

# ONNX Runtime (node binding) for the cross-check tests and benchmarks.
# Its post-install script tries to download binaries, which fails offline;
# the npm package already ships the native binding, so the download is skipped.
ORT_DIR="$(cd "$(dirname "$0")/.." && pwd)/tools/ort"
if [[ -f "$ORT_DIR/package.json" ]]; then
  if [[ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]]; then
    echo "install-deps: installing onnxruntime-node into tools/ort"
    (cd "$ORT_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund \
      --loglevel=error || ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit \
      --no-fund --loglevel=error)
  else
    echo "install-deps: onnxruntime-node already installed"
  fi
fi
