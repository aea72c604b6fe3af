/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/dmaheap/dmaheap-prelude.h>
#include <gst/video/video.h>
#include <gst/dmaheap/gstdmaheapinfo.h>

G_BEGIN_DECLS

GST_DMA_HEAP_API
gboolean gst_dma_heap_video_info_from_caps (GstVideoInfo * info,
    const GstCaps * caps, GError ** error);

GST_DMA_HEAP_API
gboolean gst_dma_heap_caps_is_dma_drm (const GstCaps * caps);

GST_DMA_HEAP_API
GstCaps *gst_dma_heap_caps_to_dma_drm (const GstCaps * caps);

GST_DMA_HEAP_API
GstCaps *gst_dma_heap_caps_to_plain (const GstCaps * caps);

G_END_DECLS
