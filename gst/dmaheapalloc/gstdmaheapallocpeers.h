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

G_BEGIN_DECLS

/**
 * GstDmaHeapAllocPeers:
 * @producer: (nullable): the device node of the V4L2 element upstream that
 *   writes into the buffers dmaheapalloc proposes (io-mode or
 *   capture-io-mode dmabuf-import): it must be able to use their heap
 * @producer_element: (nullable): that element's name, for messages
 * @consumer: (nullable): the device node of the display downstream (an
 *   element whose `device` property names a DRM node, as dmaheapsink's)
 *
 * The devices around a dmaheapalloc, found by walking the pipeline at an
 * ALLOCATION query; owned by the streaming thread.
 */
typedef struct
{
  gchar *producer;
  gchar *producer_element;
  gchar *consumer;
} GstDmaHeapAllocPeers;

void gst_dma_heap_alloc_peers_find (GstDmaHeapAllocPeers * peers,
    GstElement * element);
void gst_dma_heap_alloc_peers_clear (GstDmaHeapAllocPeers * peers);

G_END_DECLS
