#!/bin/bash
# Build everything and run every test: host tests, then the VM suites on the
# Debian kernels of this release (6.1 and 6.12 on Debian 12, 6.12 and 7.3 on
# Debian 13; tools/vm/vm-run --list-kernels). Usage: tools/test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tools/setup-deps
[ -f "$build/build.ninja" ] || meson setup "$build"
meson compile -C "$build"
for k in $(tools/vm/vm-run --list-kernels); do
	tools/vm/vm-run --build-dir "$build" --kernel "$k" --prepare-only
done
# the Debian packages, for the packages test (docs/packaging.md)
tools/build-debs --here "$build/debs"
exec meson test -C "$build" --print-errorlogs --num-processes 2
