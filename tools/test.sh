#!/bin/bash
# Build everything and run every test: host tests, then the VM suites on
# Debian's 6.1 and 6.12 kernels. Usage: tools/test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tools/setup-deps
[ -f "$build/build.ninja" ] || meson setup "$build"
meson compile -C "$build"
for k in 6.1 6.12; do
	tools/vm/vm-run --build-dir "$build" --kernel "$k" --prepare-only
done
exec meson test -C "$build" --print-errorlogs --num-processes 2
