#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The library from Python through its introspection data (GstDmaHeap-1.0),
on the host: PyGObject, not our own code, decides what the annotations
mean. Heaps are faked by nodes in a directory (GST_DMA_HEAP_DIR): their
properties are then guessed from their names, which is all a host without
heaps can show. Ownership mistakes (a list handed over twice, a string
freed under its caller) show as garbage names or crashes. TAP output."""

import gc
import os
import shutil
import sys
import tempfile

results = []


def check(cond, what):
    results.append((bool(cond), what))
    print(f"{'ok' if cond else 'not ok'} {len(results)} - {what}", flush=True)


def main():
    heapdir = tempfile.mkdtemp(prefix="gir-heaps.")
    for name, node in (("system", "/dev/zero"), ("linux,cma", "/dev/null")):
        os.symlink(node, os.path.join(heapdir, name))
    os.environ["GST_DMA_HEAP_DIR"] = heapdir

    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstDmaHeap", "1.0")
    from gi.repository import GLib, GObject, Gst, GstDmaHeap
    Gst.init(None)

    heaps = GstDmaHeap.dma_heap_list()
    gc.collect()
    names = sorted(h.name for h in heaps)
    check(names == ["linux,cma", "system"], f"dma_heap_list() names: {names}")
    text = [h.to_string() for h in heaps]
    check(all(t.startswith(h.name + ":") for t, h in zip(text, heaps)),
          f"DmaHeapInfo.to_string(): {text}")
    cma = [h for h in heaps if h.name == "linux,cma"][0]
    check(cma.flags & GstDmaHeap.DmaHeapFlags.CONTIGUOUS,
          "linux,cma is contiguous (DmaHeapFlags, guessed from its name)")
    copy = cma.copy()
    del heaps, cma
    gc.collect()
    check(copy.name == "linux,cma", "a copied DmaHeapInfo outlives the list")
    chosen = GstDmaHeap.dma_heap_choose_from(
        GstDmaHeap.dma_heap_list(), GstDmaHeap.DmaHeapNeeds.CONTIGUOUS)
    check(chosen is not None and chosen.name == "linux,cma",
          "dma_heap_choose_from(CONTIGUOUS) takes linux,cma")
    check(GstDmaHeap.dma_heap_choose(GstDmaHeap.DmaHeapNeeds.NONE) == "system",
          "dma_heap_choose(NONE) takes system")

    rules = GstDmaHeap.DmaHeapRules.parse(
        "video/x-raw,format=NV12:linux,cma;video/x-raw:system")
    heap, index = rules.match(Gst.Caps.from_string(
        "video/x-raw,format=NV12,width=64,height=64"))
    check((rules.get_size(), heap, index) == (2, "linux,cma", 0),
          f"DmaHeapRules.parse/match: {rules.get_size()} rules, {heap} at {index}")
    try:
        GstDmaHeap.DmaHeapRules.parse("video/x-raw")
        check(False, "rules without a heap are refused")
    except GLib.Error as e:
        check(e.matches(GstDmaHeap.dma_heap_error_quark(),
                        GstDmaHeap.DmaHeapError.INVALID_RULES),
              f"rules without a heap: GstDmaHeapError.INVALID_RULES ({e.message})")

    try:
        GstDmaHeap.dma_heap_info_query("nosuchheap")
        check(False, "an unknown heap is refused")
    except GLib.Error as e:
        check(e.matches(GstDmaHeap.dma_heap_error_quark(),
                        GstDmaHeap.DmaHeapError.NOT_FOUND) and "system" in e.message,
              f"an unknown heap: NOT_FOUND naming the heaps there ({e.message})")

    for t in (GstDmaHeap.DmaHeapError, GstDmaHeap.DmaHeapFlags,
              GstDmaHeap.DmaHeapNeeds, GstDmaHeap.DmaHeapInfo,
              GstDmaHeap.DmaHeapChoice, GstDmaHeap.DmaHeapDevice,
              GstDmaHeap.DmaHeapRules):
        check(t.__gtype__ != GObject.TYPE_INVALID and
              GObject.type_name(t.__gtype__).startswith("GstDmaHeap"),
              f"{t.__name__} has a GType ({GObject.type_name(t.__gtype__)})")

    shutil.rmtree(heapdir)
    print(f"1..{len(results)}")
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
