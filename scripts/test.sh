#!/usr/bin/env bash
# Installs what is missing, builds qlc and runs every test through ctest.
# Usage: scripts/test.sh [ctest arguments...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${QLC_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh"
cd "$BUILD"
ctest --output-on-failure -j "${QLC_JOBS:-$(nproc)}" "$@"
