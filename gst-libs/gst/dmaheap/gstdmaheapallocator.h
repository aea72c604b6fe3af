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
#include <gst/allocators/allocators.h>
#include <gst/dmaheap/gstdmaheapinfo.h>

G_BEGIN_DECLS

/**
 * GST_ALLOCATOR_DMA_HEAP:
 *
 * The name under which the allocator of the default heap is registered
 * (see gst_allocator_find()); each heap's allocator is also registered as
 * "dmaheap:&lt;heap name&gt;", e.g. "dmaheap:system".
 *
 * Since: 0.1
 */
#define GST_ALLOCATOR_DMA_HEAP "dmaheap"

/**
 * GST_TYPE_DMA_HEAP_ALLOCATOR:
 *
 * The #GType of #GstDmaHeapAllocator.
 *
 * Since: 0.1
 */
#define GST_TYPE_DMA_HEAP_ALLOCATOR (gst_dma_heap_allocator_get_type ())
/**
 * GstDmaHeapAllocator:
 *
 * A #GstDmaBufAllocator that allocates from one dma-buf heap; get the
 * process-wide one of a heap with gst_dma_heap_allocator_get().
 *
 * Since: 0.1
 */
GST_DMA_HEAP_API
G_DECLARE_FINAL_TYPE (GstDmaHeapAllocator, gst_dma_heap_allocator, GST,
    DMA_HEAP_ALLOCATOR, GstDmaBufAllocator);

GST_DMA_HEAP_API
GstAllocator *gst_dma_heap_allocator_get (const gchar * heap_name,
    GError ** error);

GST_DMA_HEAP_DEPRECATED_FOR (gst_dma_heap_allocator_get)
GstAllocator *gst_dma_heap_allocator_new (const gchar * heap_name,
    GError ** error);

GST_DMA_HEAP_API
const gchar *gst_dma_heap_allocator_get_heap_name (GstAllocator * allocator);

GST_DMA_HEAP_API
const GstDmaHeapInfo *gst_dma_heap_allocator_get_info (GstAllocator *
    allocator);

GST_DMA_HEAP_API
gboolean gst_is_dma_heap_memory (GstMemory * mem);

G_END_DECLS
