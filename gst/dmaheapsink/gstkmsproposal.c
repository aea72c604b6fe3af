/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmsproposal.h"

#include <gst/dmaheap/dmaheap.h>
#include <gst/video/video.h>

void
gst_kms_proposal_init (GstKmsProposal * prop, GstElement * element)
{
  prop->element = element;
  prop->pool = NULL;
  prop->heap = NULL;
}

/* A heap asked for by name must exist: silently proposing another one
 * would copy every frame. */
gboolean
gst_kms_proposal_check_heap (GstKmsProposal * prop, const gchar * heap)
{
  GstDmaHeapInfo *info;
  GError *err = NULL;

  if (!heap || g_str_equal (heap, "auto"))
    return TRUE;
  info = gst_dma_heap_info_query (heap, &err);
  if (!info)
    goto no_heap;
  gst_dma_heap_info_free (info);
  return TRUE;

  /* ERRORS */
no_heap:
  {
    GST_ELEMENT_ERROR (prop->element, RESOURCE, NOT_FOUND,
        ("Cannot use heap=%s: %s", heap, err->message),
        ("set heap to one of the heaps listed, or to auto (the display's "
            "own choice)"));
    g_clear_error (&err);
    return FALSE;
  }
}

/* The heap for the pool: the library's one policy with the heap property
 * @heap and the display @device (the kernel's hint, contiguous memory
 * without an IOMMU, if it holds enough frames), else the default. */
static gchar *
kms_choose_heap (GstKmsProposal * prop, const gchar * heap,
    const gchar * device, gsize frame_size)
{
  GstDmaHeapChoiceRequest req = {.device = device,
    .frame_size = frame_size,
    .heap = heap
  };
  GstDmaHeapChoice *choice;
  GError *err = NULL;
  gchar *chosen;

  choice = gst_dma_heap_choose_full (&req, &err);
  if (!choice) {
    GST_WARNING_OBJECT (prop->element, "no heap for %s: %s", device,
        err->message);
    g_clear_error (&err);
    return NULL;
  }
  GST_INFO_OBJECT (prop->element, "heap %s for the pool: %s", choice->heap,
      choice->reason);
  chosen = g_steal_pointer (&choice->heap);
  gst_dma_heap_choice_free (choice);
  return chosen;
}

/* A buffer of the pool we proposed could not be had from the heap (in
 * upstream's thread): say why, before upstream's vaguer error. */
static void
pool_allocation_failed (GstBufferPool * pool, GError * error,
    GstElement * element)
{
  GST_ELEMENT_ERROR (element, RESOURCE, NO_SPACE_LEFT, ("%s", error->message),
      ("allocating a buffer of the pool proposed upstream, %" GST_PTR_FORMAT,
          pool));
}

/* Answers ALLOCATION @query: heap buffers (of heap property @heap) that
 * display @device can scan out. */
gboolean
gst_kms_proposal_answer (GstKmsProposal * prop, GstQuery * query,
    const gchar * heap_prop, const gchar * device)
{
  GstCaps *caps;
  gboolean need_pool;
  GstVideoInfo vinfo;

  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!caps || !gst_dma_heap_video_info_from_caps (&vinfo, caps, NULL)) {
    GST_DEBUG_OBJECT (prop->element, "no usable caps in the allocation query");
    return FALSE;
  }

  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  /* shown as the crop rectangle, no copy needed (videocrop then leaves the
   * frame whole) */
  gst_query_add_allocation_meta (query, GST_VIDEO_CROP_META_API_TYPE, NULL);

  /* The sink holds two buffers (the frame on screen and the next): said
   * with a pool when upstream wants one, alone otherwise; and the heap the
   * display wants as an allocator for upstream that allocates itself. */
  if (!need_pool) {
    gchar *heap = kms_choose_heap (prop, heap_prop, device, vinfo.size);
    GstAllocator *allocator = heap ? gst_dma_heap_allocator_get (heap, NULL) :
        NULL;

    gst_query_add_allocation_pool (query, NULL, vinfo.size, 2, 0);
    if (allocator) {
      gst_query_add_allocation_param (query, allocator, NULL);
      gst_object_unref (allocator);
    }
    g_free (heap);
  } else {
    GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
    GstStructure *config = gst_buffer_pool_get_config (pool);
    gchar *heap;

    g_signal_connect_object (pool, "allocation-failed",
        G_CALLBACK (pool_allocation_failed), prop->element, 0);
    heap = kms_choose_heap (prop, heap_prop, device, vinfo.size);
    gst_buffer_pool_config_set_params (config, caps, vinfo.size, 2, 0);
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (heap)
      gst_dma_heap_buffer_pool_config_set_heap (config, heap);

    if (gst_buffer_pool_set_config (pool, config)) {
      GstAllocator *allocator = gst_dma_heap_buffer_pool_get_allocator (pool);

      GST_DEBUG_OBJECT (prop->element, "proposing a pool of heap %s",
          heap ? heap : "(default)");
      gst_query_add_allocation_pool (query, pool, vinfo.size, 2, 0);
      /* For upstream elements that allocate without the pool. */
      if (allocator) {
        gst_query_add_allocation_param (query, allocator, NULL);
        gst_object_unref (allocator);
      }
      GST_OBJECT_LOCK (prop->element);
      g_free (prop->heap);
      prop->heap = g_strdup (heap ? heap : "default");
      gst_object_replace ((GstObject **) & prop->pool, GST_OBJECT (pool));
      GST_OBJECT_UNLOCK (prop->element);
    } else {
      GST_WARNING_OBJECT (prop->element, "the heap pool refused %"
          GST_PTR_FORMAT " (heap %s): upstream will allocate, frames will be "
          "copied", caps, heap ? heap : "(default)");
      gst_query_add_allocation_pool (query, NULL, vinfo.size, 2, 0);
    }
    gst_object_unref (pool);
    g_free (heap);
  }

  return TRUE;
}

/* The heap of the pool proposed (for the stats): a copy, or NULL. */
gchar *
gst_kms_proposal_dup_heap (GstKmsProposal * prop)
{
  gchar *heap;

  GST_OBJECT_LOCK (prop->element);
  heap = g_strdup (prop->heap);
  GST_OBJECT_UNLOCK (prop->element);
  return heap;
}

/* No pool proposed: the last one is deactivated (at stop) and forgotten. */
void
gst_kms_proposal_clear (GstKmsProposal * prop)
{
  GstBufferPool *pool;

  GST_OBJECT_LOCK (prop->element);
  pool = g_steal_pointer (&prop->pool);
  g_clear_pointer (&prop->heap, g_free);
  GST_OBJECT_UNLOCK (prop->element);
  if (pool) {
    gst_buffer_pool_set_active (pool, FALSE);
    gst_object_unref (pool);
  }
}
