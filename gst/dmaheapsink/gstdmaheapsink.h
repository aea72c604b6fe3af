/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/video/gstvideosink.h>

G_BEGIN_DECLS

#define GST_TYPE_DMA_HEAP_SINK (gst_dma_heap_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstDmaHeapSink, gst_dma_heap_sink, GST, DMA_HEAP_SINK,
    GstVideoSink)

G_END_DECLS
