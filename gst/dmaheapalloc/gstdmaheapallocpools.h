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
#include <gst/dmaheap/dmaheap.h>

G_BEGIN_DECLS

typedef enum
{
  /* the pool offered upstream in the ALLOCATION answer */
  GST_DMA_HEAP_ALLOC_POOL_PROPOSED,
  /* the pool buffers that cannot pass are copied into */
  GST_DMA_HEAP_ALLOC_POOL_COPY,
  GST_DMA_HEAP_ALLOC_N_POOLS
} GstDmaHeapAllocPoolRole;

/**
 * GstDmaHeapAllocPools:
 *
 * The heap pools of a dmaheapalloc, and the counts of those it no longer
 * uses, for its stats. The streaming thread replaces the pools; the stats
 * and FLUSH_START (another thread) read them: every field is under @lock.
 */
typedef struct
{
  GMutex lock;
  GstBufferPool *pools[GST_DMA_HEAP_ALLOC_N_POOLS];
  guint retired_allocations;
  guint retired_fd_renewals;
  guint retired_fence_waits;
  /* the heap of the last pool made */
  gchar *heap;
} GstDmaHeapAllocPools;

/**
 * GstDmaHeapAllocPoolCounts:
 *
 * What the pools did: heap buffers allocated, alive now (`pool-size`), fds
 * renewed and fence waits, the retired pools' included.
 */
typedef struct
{
  guint allocations;
  guint live;
  guint fd_renewals;
  guint fence_waits;
} GstDmaHeapAllocPoolCounts;

void gst_dma_heap_alloc_pools_init (GstDmaHeapAllocPools * pools);
void gst_dma_heap_alloc_pools_clear (GstDmaHeapAllocPools * pools);

GstBufferPool *gst_dma_heap_alloc_pools_make (GstDmaHeapAllocPools * pools,
    GstCaps * caps, const GstVideoInfo * info, const gchar * heap,
    guint min_buffers, gboolean video_meta, gboolean memory_per_plane,
    GstAllocator ** allocator, GError ** error);
void gst_dma_heap_alloc_pools_set (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolRole role, GstBufferPool * pool);
void gst_dma_heap_alloc_pools_retire (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolRole role);
GstBufferPool *gst_dma_heap_alloc_pools_get (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolRole role);
GstBufferPool *gst_dma_heap_alloc_pools_get_proposed_for
    (GstDmaHeapAllocPools * pools, GstCaps * caps, const gchar * heap,
    gboolean memory_per_plane, GstAllocator ** allocator);
void gst_dma_heap_alloc_pools_reset_counts (GstDmaHeapAllocPools * pools);
void gst_dma_heap_alloc_pools_get_counts (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolCounts * counts);
gchar *gst_dma_heap_alloc_pools_dup_heap (GstDmaHeapAllocPools * pools);

G_END_DECLS
