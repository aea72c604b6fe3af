#!/bin/sh
# The guest half of tools/demo.sh. Usage: demo-in-vm.sh DECODE_DISPLAY_EXE
echo "== dma-buf heaps on $(uname -r)"
"$(dirname "$0")/vm/list-heaps"
echo
echo "== decode to display"
exec "$1" --no-sync --frames 60 --exec-at-eos "sh -c 'vm-screendump screen >/dev/null'"
