#!/usr/bin/python3
# GStreamer dma-buf heap support: choosing heaps per caps, from Python
# Copyright (C) 2026 the dmaheap project
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Choose the dma-buf heap of each stream from Python, through
libgstdmaheap's introspection data (GstDmaHeap-1.0) and dmaheapalloc's
"select-heap" signal; the Python twin of examples/heap-select.

It lists the heaps (GstDmaHeap.dma_heap_list()), writes heap rules from
what they are (their flags, not their names): YUV 4:2:0 frames, which
usually go on to a codec or a display controller that may lack an IOMMU,
to a physically contiguous heap that can hold a frame; then runs one short
pipeline per format

    videotestsrc ! video/x-raw,format=F,... ! dmaheapalloc ! fakesink

and answers select-heap with the rules' match (GstDmaHeap.DmaHeapRules),
keeping the element's choice for anything else. It checks that the element
used the heap it was told (its "stats").

Usage: heap-select.py [NUM_BUFFERS]
Needs python3-gi, GStreamer's typelibs (gir1.2-gstreamer-1.0,
gir1.2-gst-plugins-base-1.0) and libgstdmaheap's (gir1.2-gstdmaheap-1.0).
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstDmaHeap", "1.0")
from gi.repository import GLib, Gst, GstDmaHeap, GstVideo  # noqa: E402

STREAMS = [
    "video/x-raw,format=NV12,width=1280,height=720",
    "video/x-raw,format=BGRx,width=640,height=480",
]


def contiguous_heap(heaps, frame_size):
    """The first contiguous, unprotected heap whose buffers hold a frame."""
    for info in heaps:
        if not info.flags & GstDmaHeap.DmaHeapFlags.CONTIGUOUS:
            continue
        if info.flags & GstDmaHeap.DmaHeapFlags.PROTECTED:
            continue
        if info.max_size and info.max_size < frame_size:
            continue
        return info.name
    return None


def largest_frame():
    sizes = []
    for s in STREAMS:
        vinfo = GstVideo.VideoInfo.new_from_caps(Gst.Caps.from_string(s))
        sizes.append(vinfo.size)
    return max(sizes)


def run_stream(caps, rules, num_buffers):
    desc = (f"videotestsrc num-buffers={num_buffers} ! {caps} ! "
            "dmaheapalloc name=alloc ! fakesink")
    print(f"\n{desc}")
    pipeline = Gst.parse_launch(desc)
    alloc = pipeline.get_by_name("alloc")
    chosen = {}

    def select_heap(element, stream_caps, default_heap):
        print(f"select-heap: {stream_caps.to_string()}\n"
              f"  element's choice: {default_heap}")
        heap = None
        if rules is not None:
            heap, index = rules.match(stream_caps)
        if heap:
            print(f"  chosen: {heap} (rule {index}: 4:2:0 frames may go to "
                  "a device without an IOMMU: contiguous)")
        else:
            print(f"  chosen: {default_heap} (no rule: the element's choice)")
        chosen["heap"] = heap
        return heap

    alloc.connect("select-heap", select_heap)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    ok = msg.type == Gst.MessageType.EOS
    if not ok:
        err, dbg = msg.parse_error()
        print(f"error from {msg.src.get_name()}: {err.message}\n{dbg or ''}",
              file=sys.stderr)
    stats = alloc.get_property("stats")
    print(f"stats: {stats.to_string()}")
    used = stats.get_string("heap")
    if ok and chosen.get("heap") and used != chosen["heap"]:
        print(f"the element used heap {used}, not {chosen['heap']} as told",
              file=sys.stderr)
        ok = False
    pipeline.set_state(Gst.State.NULL)
    return ok


def main():
    Gst.init(None)
    num_buffers = max(1, int(sys.argv[1])) if len(sys.argv) > 1 else 10
    try:
        heaps = GstDmaHeap.dma_heap_list()
    except GLib.Error as e:
        print(e.message, file=sys.stderr)
        return 1
    print(f"dma-buf heaps in {GstDmaHeap.dma_heap_get_dir()}:")
    for info in heaps:
        print(f"  {info.to_string()}")

    contig = contiguous_heap(heaps, largest_frame())
    rules = None
    if contig:
        text = ";".join(f"video/x-raw,format={f}:{contig}"
                        for f in ("NV12", "NV21", "I420"))
        rules = GstDmaHeap.DmaHeapRules.parse(text)
        print(f"rules: {text}")
    else:
        print("rules: none (no contiguous heap holds a frame)")

    ok = all(run_stream(c, rules, num_buffers) for c in STREAMS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
