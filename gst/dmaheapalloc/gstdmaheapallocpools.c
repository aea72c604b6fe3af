/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The pools of a dmaheapalloc: made, replaced, stopped and counted here;
 * the element decides when, and turns failures into element errors. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapallocpools.h"

#include <string.h>

void
gst_dma_heap_alloc_pools_init (GstDmaHeapAllocPools * pools)
{
  memset (pools, 0, sizeof (*pools));
  g_mutex_init (&pools->lock);
}

void
gst_dma_heap_alloc_pools_clear (GstDmaHeapAllocPools * pools)
{
  guint i;

  for (i = 0; i < GST_DMA_HEAP_ALLOC_N_POOLS; i++)
    gst_dma_heap_alloc_pools_retire (pools, i);
  g_clear_pointer (&pools->heap, g_free);
  g_mutex_clear (&pools->lock);
}

/* Returns a configured pool of heap @heap for @caps (not yet one of
 * @pools: see gst_dma_heap_alloc_pools_set()), and its allocator in
 * @allocator if asked; NULL with @error set (the allocator's error, or
 * GST_RESOURCE_ERROR_SETTINGS when the pool rejects its configuration). */
GstBufferPool *
gst_dma_heap_alloc_pools_make (GstDmaHeapAllocPools * pools, GstCaps * caps,
    const GstVideoInfo * info, const gchar * heap, guint min_buffers,
    gboolean video_meta, gboolean memory_per_plane, GstAllocator ** allocator,
    GError ** error)
{
  GstBufferPool *pool;
  GstStructure *config;
  GstAllocator *alloc;
  GstAllocationParams params;

  alloc = gst_dma_heap_allocator_get (heap, error);
  if (!alloc)
    return NULL;

  pool = gst_dma_heap_buffer_pool_new ();
  config = gst_buffer_pool_get_config (pool);
  gst_allocation_params_init (&params);
  gst_buffer_pool_config_set_params (config, caps, info->size, min_buffers, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, &params);
  if (video_meta)
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (memory_per_plane)
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE);
  if (!gst_buffer_pool_set_config (pool, config))
    goto config_failed;

  g_mutex_lock (&pools->lock);
  g_free (pools->heap);
  pools->heap = g_strdup (heap);
  g_mutex_unlock (&pools->lock);

  if (allocator)
    *allocator = alloc;
  else
    gst_object_unref (alloc);

  return pool;

  /* ERRORS */
config_failed:
  {
    gchar *caps_str = gst_caps_to_string (caps);

    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Heap %s cannot hold %s", heap, caps_str);
    g_free (caps_str);
    gst_object_unref (pool);
    gst_object_unref (alloc);
    return NULL;
  }
}

/* @pool (transfer full, nullable) takes @role, the pool it replaces is
 * retired. */
void
gst_dma_heap_alloc_pools_set (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolRole role, GstBufferPool * pool)
{
  gst_dma_heap_alloc_pools_retire (pools, role);
  g_mutex_lock (&pools->lock);
  pools->pools[role] = pool;
  g_mutex_unlock (&pools->lock);
}

/* Moves the pool of @role out of use, keeping its counts. */
void
gst_dma_heap_alloc_pools_retire (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolRole role)
{
  GstBufferPool *old;
  guint allocations = 0;

  g_mutex_lock (&pools->lock);
  old = pools->pools[role];
  pools->pools[role] = NULL;
  if (old) {
    gst_dma_heap_buffer_pool_get_counts (old, &allocations, NULL);
    pools->retired_allocations += allocations;
    pools->retired_fd_renewals +=
        gst_dma_heap_buffer_pool_get_fd_renewals (old);
    pools->retired_fence_waits +=
        gst_dma_heap_buffer_pool_get_fence_waits (old);
  }
  g_mutex_unlock (&pools->lock);

  if (old) {
    /* A pool proposed upstream is stopped too: its buffers are freed as
     * they come back. Upstream asks for a new pool (ALLOCATION) after new
     * caps before it allocates again, but GstBaseSrc stops its old pool
     * only once the new one is active: on a bounded heap (a carveout, CMA)
     * both pools at once may not fit. */
    gst_buffer_pool_set_active (old, FALSE);
    gst_object_unref (old);
  }
}

/* Returns: (transfer full) (nullable): the pool of @role */
GstBufferPool *
gst_dma_heap_alloc_pools_get (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolRole role)
{
  GstBufferPool *pool;

  g_mutex_lock (&pools->lock);
  pool = pools->pools[role] ? gst_object_ref (pools->pools[role]) : NULL;
  g_mutex_unlock (&pools->lock);

  return pool;
}

void
gst_dma_heap_alloc_pools_reset_counts (GstDmaHeapAllocPools * pools)
{
  g_mutex_lock (&pools->lock);
  pools->retired_allocations = 0;
  pools->retired_fd_renewals = 0;
  pools->retired_fence_waits = 0;
  g_mutex_unlock (&pools->lock);
}

void
gst_dma_heap_alloc_pools_get_counts (GstDmaHeapAllocPools * pools,
    GstDmaHeapAllocPoolCounts * counts)
{
  guint i, allocations, live;

  g_mutex_lock (&pools->lock);
  counts->allocations = pools->retired_allocations;
  counts->live = 0;
  counts->fd_renewals = pools->retired_fd_renewals;
  counts->fence_waits = pools->retired_fence_waits;
  for (i = 0; i < GST_DMA_HEAP_ALLOC_N_POOLS; i++) {
    GstBufferPool *pool = pools->pools[i];

    if (!pool)
      continue;
    gst_dma_heap_buffer_pool_get_counts (pool, &allocations, &live);
    counts->allocations += allocations;
    counts->live += live;
    counts->fd_renewals += gst_dma_heap_buffer_pool_get_fd_renewals (pool);
    counts->fence_waits += gst_dma_heap_buffer_pool_get_fence_waits (pool);
  }
  g_mutex_unlock (&pools->lock);
}

/* Returns: (transfer full) (nullable): the pool proposed last if it is for
 * @caps, of @heap and with @memory_per_plane, with its allocator in
 * @allocator; else NULL */
GstBufferPool *
gst_dma_heap_alloc_pools_get_proposed_for (GstDmaHeapAllocPools * pools,
    GstCaps * caps, const gchar * heap, gboolean memory_per_plane,
    GstAllocator ** allocator)
{
  GstBufferPool *pool = gst_dma_heap_alloc_pools_get (pools,
      GST_DMA_HEAP_ALLOC_POOL_PROPOSED);
  GstAllocator *alloc;
  GstStructure *config;
  GstCaps *pool_caps = NULL;
  gboolean same;

  if (!pool)
    return NULL;
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, &pool_caps, NULL, NULL, NULL);
  alloc = gst_dma_heap_buffer_pool_get_allocator (pool);
  same = pool_caps && gst_caps_is_equal (pool_caps, caps) && alloc
      && g_strcmp0 (gst_dma_heap_allocator_get_heap_name (alloc), heap) == 0
      && !gst_buffer_pool_config_has_option (config,
      GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE) == !memory_per_plane;
  gst_structure_free (config);
  if (!same) {
    g_clear_object (&alloc);
    gst_object_unref (pool);
    return NULL;
  }
  *allocator = alloc;
  return pool;
}

/* Returns: (transfer full) (nullable): the heap of the last pool made */
gchar *
gst_dma_heap_alloc_pools_dup_heap (GstDmaHeapAllocPools * pools)
{
  gchar *heap;

  g_mutex_lock (&pools->lock);
  heap = g_strdup (pools->heap);
  g_mutex_unlock (&pools->lock);

  return heap;
}
