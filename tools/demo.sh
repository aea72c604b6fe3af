#!/bin/bash
# The main job: zero-copy decode to display on real kernel drivers. Builds
# everything, boots Debian's 6.12 kernel in QEMU with the project's heap
# module, vicodec (V4L2 FWHT codec) and an emulated cirrus display, decodes a
# stream straight into dma-buf heap buffers that dmaheapsink scans out, and
# saves what the screen showed as BUILD_DIR/demo/screen.png.
# Usage: tools/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

tools/setup-deps
[ -f "$build/build.ninja" ] || meson setup "$build"
meson compile -C "$build"
rm -rf "$build/demo"
GST_PLUGIN_PATH="$PWD/$build/gst" tools/vm/vm-run --build-dir "$build" --kernel 6.12 \
	--display --source-modules vicodec --out-dir "$build/demo" -- \
	tools/demo-in-vm.sh "$build/examples/decode-display" "$build/examples/fwht-encode"
echo
echo "== the screen at the end of the stream: $build/demo/screen.png"
