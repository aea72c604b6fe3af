#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""compare-frame SCREEN.ppm WIDTH HEIGHT REFERENCE.rgb...

Checks that the screen (a QEMU screendump, PPM) shows one of the reference
frames (raw RGB, WIDTH x HEIGHT; the decoder's last few frames, since the
v4l2 decoders of GStreamer 1.22 may lose the last one when draining): at the
top-left corner or centred, whichever the sink chose. Fails on a black or
wrong screen; prints the mean difference per reference."""
import re
import sys


def read_ppm(path):
    data = open(path, 'rb').read()
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+(\d+)\s', data)
    if not m or m.group(3) != b'255':
        sys.exit(f'{path}: not an 8-bit binary PPM')
    return int(m.group(1)), int(m.group(2)), data[m.end():]


def difference(spx, sw, sh, rpx, w, h, ref):
    if len(rpx) != w * h * 3:
        sys.exit(f'{ref}: {len(rpx)} bytes, expected {w * h * 3} for {w}x{h} RGB')
    if sw < w or sh < h:
        sys.exit(f'the screen ({sw}x{sh}) is smaller than the frame ({w}x{h})')
    lum = [sum(rpx[i:i + 3]) for i in range(0, len(rpx), 3 * 97)]
    if max(lum) - min(lum) < 100:
        sys.exit('the reference frame is flat: the decoder produced no picture')
    best = None
    for (x0, y0) in {(0, 0), ((sw - w) // 2, (sh - h) // 2)}:
        diff = n = 0
        for y in range(0, h, 3):
            srow = spx[((y0 + y) * sw + x0) * 3:((y0 + y) * sw + x0 + w) * 3]
            rrow = rpx[y * w * 3:(y + 1) * w * 3]
            for i in range(0, w * 3, 7):
                diff += abs(srow[i] - rrow[i])
                n += 1
        mean = diff / n
        print(f'{ref} at ({x0},{y0}) of a {sw}x{sh} screen: mean difference {mean:.2f}')
        best = mean if best is None else min(best, mean)
    return best


def main():
    shot, w, h, refs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    sw, sh, spx = read_ppm(shot)
    best = min(difference(spx, sw, sh, open(r, 'rb').read(), w, h, r) for r in refs)
    if best > 2.0:
        sys.exit(f'the screen does not show a decoded frame (mean difference {best:.2f} > 2)')
    print(f'the screen shows a decoded frame (mean difference {best:.2f})')


main()
