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
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_DMA_HEAP_ALLOC (gst_dma_heap_alloc_get_type ())
G_DECLARE_FINAL_TYPE (GstDmaHeapAlloc, gst_dma_heap_alloc, GST,
    DMA_HEAP_ALLOC, GstBaseTransform);

G_END_DECLS
