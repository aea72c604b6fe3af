/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstDmaHeapAllocDownstream:
 * @video_meta: downstream reads GstVideoMeta
 * @heap: (nullable): the heap of its pool or allocator, if that is a heap
 * @min_buffers: the buffers it holds
 *
 * What a dmaheapalloc learns from downstream's ALLOCATION answer. Only the
 * streaming thread reads and replaces it.
 */
typedef struct
{
  gboolean video_meta;
  gchar *heap;
  guint min_buffers;
} GstDmaHeapAllocDownstream;

void gst_dma_heap_alloc_downstream_init (GstDmaHeapAllocDownstream * answer,
    GstQuery * query);
void gst_dma_heap_alloc_downstream_clear (GstDmaHeapAllocDownstream *
    answer);
gboolean gst_dma_heap_alloc_downstream_reads_layout (const
    GstDmaHeapAllocDownstream * answer, GstBuffer * buffer,
    const GstVideoInfo * info);
gboolean gst_dma_heap_alloc_downstream_equal (const GstDmaHeapAllocDownstream
    * a, const GstDmaHeapAllocDownstream * b);

GstPadProbeReturn gst_dma_heap_alloc_downstream_ask_without_pool (GstPad *
    pad, GstPadProbeInfo * info, gpointer user_data);

G_END_DECLS
