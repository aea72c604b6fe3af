#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Everything tests/kernel/ checks, in one VM boot (see meson.build):
#   run-vm-tests.sh HEAP_TEST_BINARY
set -u
here=$(dirname "$(readlink -f "$0")")
status=0

"$1" || status=1
"$here/udev-rule-test.sh" || status=1
exit $status
