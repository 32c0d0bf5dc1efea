#!/usr/bin/env bash
# Configures and builds qlc into ./build (or $QLC_BUILD_DIR).
# Extra arguments go to CMake, e.g. -DQLC_SANITIZE=ON.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${QLC_BUILD_DIR:-$ROOT/build}"
JOBS="${QLC_JOBS:-$(nproc)}"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD" -j "$JOBS"
