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

/**
 * GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE:
 *
 * A #GstDmaHeapBufferPool option: give every plane its own dma-buf (one
 * #GstMemory per plane), as multi-planar V4L2 formats (NV12M) and some
 * display controllers want. Without it a buffer is one dma-buf. The
 * #GstVideoMeta's offsets stay absolute: the first memory also holds any
 * padding above and left of plane 0, the last one any extra size.
 *
 * Since: 0.1
 */
#define GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE \
    "GstBufferPoolOptionDmaHeapMemoryPerPlane"

/**
 * GST_TYPE_DMA_HEAP_BUFFER_POOL:
 *
 * The #GType of #GstDmaHeapBufferPool.
 *
 * Since: 0.1
 */
#define GST_TYPE_DMA_HEAP_BUFFER_POOL (gst_dma_heap_buffer_pool_get_type ())
/**
 * GstDmaHeapBufferPool:
 *
 * A video #GstBufferPool of dma-buf heap memory
 * (gst_dma_heap_buffer_pool_new()).
 *
 * Since: 0.1
 */
GST_DMA_HEAP_API
G_DECLARE_FINAL_TYPE (GstDmaHeapBufferPool, gst_dma_heap_buffer_pool, GST,
    DMA_HEAP_BUFFER_POOL, GstBufferPool);

GST_DMA_HEAP_API
GstBufferPool *gst_dma_heap_buffer_pool_new (void);

GST_DMA_HEAP_API
void gst_dma_heap_buffer_pool_config_set_heap (GstStructure * config,
    const gchar * heap_name);

GST_DMA_HEAP_API
const gchar *gst_dma_heap_buffer_pool_config_get_heap (GstStructure *
    config);

GST_DMA_HEAP_API
GstAllocator *gst_dma_heap_buffer_pool_get_allocator (GstBufferPool * pool);

GST_DMA_HEAP_API
void gst_dma_heap_buffer_pool_get_counts (GstBufferPool * pool,
    guint * allocations, guint * live);

GST_DMA_HEAP_API
guint gst_dma_heap_buffer_pool_get_fd_renewals (GstBufferPool * pool);

GST_DMA_HEAP_API
guint gst_dma_heap_buffer_pool_get_fence_waits (GstBufferPool * pool);

G_END_DECLS
