#!/usr/bin/python3
# GStreamer dma-buf heap support: zero-copy video between two processes
# Copyright (C) 2026 the dmaheap project
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Heap buffers passed between processes as file descriptors, never copied
(GStreamer 1.24 or later: unixfdsink and unixfdsrc).

One process makes the frames in dma-buf heap memory and serves them:

    zero-copy-ipc.py produce SOCKET [--num-buffers N] [--caps CAPS]
      videotestsrc ! CAPS ! dmaheapalloc ! unixfdsink socket-path=SOCKET

another shows them on a KMS display, importing the same dma-bufs:

    zero-copy-ipc.py display SOCKET [--exec-at-eos CMD]
      unixfdsrc socket-path=SOCKET ! dmaheapsink

Start the producer first (it creates the socket); it waits for a client
before its first frame. Each prints its element's stats at the end: the
producer's dmaheapalloc "copies" and the display's dmaheapsink "copies"
are 0 on a zero-copy path, the display's "imports" count the dma-bufs it
imported. With --exec-at-eos, CMD runs while the last frame is still on
screen (the VM test takes a screendump then). A client that goes away (or
is killed) costs the producer nothing: unixfdsink drops it and its
buffers, and the producer goes on.
"""

import argparse
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

DEFAULT_CAPS = "video/x-raw,format=BGRx,width=800,height=600,framerate=10/1"


def run(desc, stats_element, exec_at_eos=None, wait_for_client=None):
    pipeline = Gst.parse_launch(desc)
    element = pipeline.get_by_name(stats_element)
    if wait_for_client:
        # unixfdsink drops what it renders with no client: hold the source
        # until one connects (the socket is there once the sink is READY)
        pipeline.set_state(Gst.State.PAUSED)
        wait_for_client(pipeline)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    ok = msg.type == Gst.MessageType.EOS
    if ok and exec_at_eos:
        if subprocess.call(exec_at_eos, shell=True) != 0:
            print(f"--exec-at-eos '{exec_at_eos}' failed", file=sys.stderr)
            ok = False
    elif not ok:
        err, dbg = msg.parse_error()
        print(f"error from {msg.src.get_name()}: {err.message}\n{dbg or ''}",
              file=sys.stderr)
    print(f"stats: {element.get_property('stats').to_string()}", flush=True)
    pipeline.set_state(Gst.State.NULL)
    return ok


def wait_for_client(sock, timeout):
    def wait(pipeline):
        # a connected client shows in the socket's own table: /proc/net/unix
        # lists the listening socket and, once connected, a second entry
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open("/proc/net/unix") as f:
                if sum(1 for line in f if line.rstrip().endswith(sock)) >= 2:
                    return
            time.sleep(0.05)
        print(f"no client connected to {sock} in {timeout} s: frames "
              "before one does are dropped", file=sys.stderr)
    return wait


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("produce", help="make frames and serve them")
    p.add_argument("socket")
    p.add_argument("--num-buffers", type=int, default=50)
    p.add_argument("--caps", default=DEFAULT_CAPS)
    p.add_argument("--pattern", default="smpte")
    p.add_argument("--client-timeout", type=float, default=60,
                   help="seconds to wait for a client before the first frame")
    d = sub.add_parser("display", help="show the served frames")
    d.add_argument("socket")
    d.add_argument("--exec-at-eos", metavar="CMD")
    args = ap.parse_args()

    Gst.init(None)
    if not Gst.ElementFactory.find("unixfdsink"):
        print("this GStreamer has no unixfdsink/unixfdsrc (1.24 or later)",
              file=sys.stderr)
        return 2
    if args.mode == "produce":
        desc = (f"videotestsrc num-buffers={args.num_buffers} "
                f"pattern={args.pattern} ! {args.caps} ! dmaheapalloc name=a "
                f"! unixfdsink socket-path={args.socket}")
        ok = run(desc, "a", wait_for_client=wait_for_client(
            args.socket, args.client_timeout))
    else:
        desc = f"unixfdsrc socket-path={args.socket} ! dmaheapsink name=s"
        ok = run(desc, "s", exec_at_eos=args.exec_at_eos)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
