/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* What dmaheapalloc asks downstream, and what it makes of the answer. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapallocdownstream.h"

#include <gst/video/video.h>
#include <gst/dmaheap/dmaheap.h>

/* Reads @query, an answered ALLOCATION query (or an unanswered one: no
 * GstVideoMeta, no heap, no buffers held). */
void
gst_dma_heap_alloc_downstream_init (GstDmaHeapAllocDownstream * answer,
    GstQuery * query)
{
  guint i;

  answer->video_meta =
      gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  answer->heap = NULL;
  answer->min_buffers = 0;

  if (gst_query_get_n_allocation_pools (query) > 0) {
    GstBufferPool *pool = NULL;

    gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL,
        &answer->min_buffers, NULL);
    if (pool && GST_IS_DMA_HEAP_BUFFER_POOL (pool)) {
      GstAllocator *alloc = gst_dma_heap_buffer_pool_get_allocator (pool);

      if (alloc && GST_IS_DMA_HEAP_ALLOCATOR (alloc))
        answer->heap = g_strdup (gst_dma_heap_allocator_get_heap_name (alloc));
      gst_clear_object (&alloc);
    }
    gst_clear_object (&pool);
  }

  for (i = 0; !answer->heap && i < gst_query_get_n_allocation_params (query);
      i++) {
    GstAllocator *alloc = NULL;

    gst_query_parse_nth_allocation_param (query, i, &alloc, NULL);
    if (alloc && GST_IS_DMA_HEAP_ALLOCATOR (alloc))
      answer->heap = g_strdup (gst_dma_heap_allocator_get_heap_name (alloc));
    gst_clear_object (&alloc);
  }
}

void
gst_dma_heap_alloc_downstream_clear (GstDmaHeapAllocDownstream * answer)
{
  answer->video_meta = FALSE;
  g_clear_pointer (&answer->heap, g_free);
  answer->min_buffers = 0;
}

gboolean
gst_dma_heap_alloc_downstream_equal (const GstDmaHeapAllocDownstream * a,
    const GstDmaHeapAllocDownstream * b)
{
  return a->video_meta == b->video_meta && a->min_buffers == b->min_buffers
      && g_strcmp0 (a->heap, b->heap) == 0;
}

/* GstBaseTransform asks downstream with need_pool TRUE; we never use
 * downstream's pool (copies go into our own heap pool, the rest passes
 * through), and a sink that builds a pool for such a query holds memory
 * nobody uses. Ask with need_pool FALSE instead and answer the original
 * query with what came back. */
GstPadProbeReturn
gst_dma_heap_alloc_downstream_ask_without_pool (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstQuery *ours;
  GstCaps *caps;
  gboolean need_pool;
  guint i;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!need_pool || !gst_query_is_writable (query))
    return GST_PAD_PROBE_OK;

  ours = gst_query_new_allocation (caps, FALSE);
  if (!gst_pad_peer_query (pad, ours)) {
    gst_query_unref (ours);
    return GST_PAD_PROBE_DROP;
  }
  for (i = 0; i < gst_query_get_n_allocation_pools (ours); i++) {
    GstBufferPool *pool;
    guint size, min, max;

    gst_query_parse_nth_allocation_pool (ours, i, &pool, &size, &min, &max);
    gst_query_add_allocation_pool (query, pool, size, min, max);
    if (pool)
      gst_object_unref (pool);
  }
  for (i = 0; i < gst_query_get_n_allocation_params (ours); i++) {
    GstAllocator *allocator;
    GstAllocationParams params;

    gst_query_parse_nth_allocation_param (ours, i, &allocator, &params);
    gst_query_add_allocation_param (query, allocator, &params);
    if (allocator)
      gst_object_unref (allocator);
  }
  for (i = 0; i < gst_query_get_n_allocation_metas (ours); i++) {
    const GstStructure *params;
    GType api = gst_query_parse_nth_allocation_meta (ours, i, &params);

    gst_query_add_allocation_meta (query, api, params);
  }
  gst_query_unref (ours);

  return GST_PAD_PROBE_HANDLED;
}

/* Whether downstream, as it answered, reads @buffer's planes where they
 * are: one without GstVideoMeta reads the default layout of @info. */
gboolean
gst_dma_heap_alloc_downstream_reads_layout (const GstDmaHeapAllocDownstream *
    answer, GstBuffer * buffer, const GstVideoInfo * info)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buffer);
  guint i;

  if (!meta || answer->video_meta)
    return TRUE;
  for (i = 0; i < meta->n_planes; i++) {
    if (meta->stride[i] != GST_VIDEO_INFO_PLANE_STRIDE (info, i) ||
        meta->offset[i] != GST_VIDEO_INFO_PLANE_OFFSET (info, i))
      return FALSE;
  }
  return TRUE;
}
