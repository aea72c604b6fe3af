#!/bin/bash
# The main job: build, boot Debian's 6.12 kernel in QEMU with the project's
# heap module and show what it offers. Usage: tools/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tools/setup-deps
[ -f "$build/build.ninja" ] || meson setup "$build"
meson compile -C "$build"
exec tools/vm/vm-run --build-dir "$build" --kernel 6.12 --out-dir "$build/demo" -- \
	tools/vm/list-heaps
