/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheapchoice
 * @title: GstDmaHeapChoice
 * @short_description: which heap for this device and frame, and why
 *
 * The one place the project decides which heap buffers come from; the
 * dmaheapalloc element, the dmaheapsink element and applications ask it.
 * In order, the first that gives a heap wins:
 *
 * 1. a heap asked for by name (an element's `heap` property);
 * 2. the first heap rule whose caps match the stream's;
 * 3. the consumer device's needs: the kernel module's hint for it, else
 *    contiguous memory when it has no IOMMU — either only if a bounded heap
 *    holds #GST_DMA_HEAP_MIN_FRAMES frames (a pool that runs dry stops the
 *    stream, while frames in a heap the device cannot use are only copied);
 * 4. a heap someone else proposed (the pool downstream offered);
 * 5. the library's default, gst_dma_heap_choose() with the needs given.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapchoice.h"

GST_DEBUG_CATEGORY_STATIC (gst_dma_heap_choice_debug);
#define GST_CAT_DEFAULT gst_dma_heap_choice_debug

static void
debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_dma_heap_choice_debug, "dmaheapchoice", 0,
        "dma-buf heap choice");
    g_once_init_leave (&done, 1);
  }
}

static GstDmaHeapChoice *
choice_new (gchar * heap, gchar * reason)
{
  GstDmaHeapChoice *choice = g_new0 (GstDmaHeapChoice, 1);

  choice->heap = heap;
  choice->reason = reason;
  GST_INFO ("heap %s: %s", heap, reason);
  return choice;
}

/* Whether a bounded heap (a carveout or CMA area) has room for a pool. */
static gboolean
heap_holds_frames (const gchar * heap, gsize frame_size, gchar ** why)
{
  GstDmaHeapInfo *info;
  gboolean ok = TRUE;

  if (!frame_size)
    return TRUE;
  info = gst_dma_heap_info_query (heap, NULL);
  if (info && info->total_bytes > 0 &&
      info->total_bytes / GST_DMA_HEAP_MIN_FRAMES < frame_size) {
    ok = FALSE;
    *why = g_strdup_printf ("%s (%" G_GUINT64_FORMAT " MiB) cannot hold %d "
        "frames of %" G_GSIZE_FORMAT " bytes", heap, info->total_bytes >> 20,
        GST_DMA_HEAP_MIN_FRAMES, frame_size);
  }
  if (info)
    gst_dma_heap_info_free (info);
  return ok;
}

/* Step 3: what the device needs; NULL when it says nothing, or when what
 * it needs cannot hold the frames (*skipped says why). */
static GstDmaHeapChoice *
choose_for_device (const GstDmaHeapChoiceRequest * req, gchar ** skipped)
{
  gchar *heap, *reason;

  heap = gst_dma_heap_hint_for_device (req->device);
  if (heap) {
    reason = g_strdup_printf ("the kernel's hint for %s", req->device);
  } else if (!(req->needs & GST_DMA_HEAP_NEED_CONTIGUOUS) &&
      !gst_dma_heap_device_has_iommu (req->device) &&
      (heap = gst_dma_heap_choose (req->needs | GST_DMA_HEAP_NEED_CONTIGUOUS,
              NULL))) {
    reason = g_strdup_printf ("%s has no IOMMU: contiguous memory",
        req->device);
  } else {
    return NULL;
  }

  if (!heap_holds_frames (heap, req->frame_size, skipped)) {
    GST_INFO ("not %s (%s): %s", heap, reason, *skipped);
    g_free (heap);
    g_free (reason);
    return NULL;
  }
  return choice_new (heap, reason);
}

/**
 * gst_dma_heap_choose_full:
 * @request: what to decide from
 * @error: return location for a #GError, set when no heap exists at all
 *
 * Chooses a heap by the project's one policy (see the section
 * description) and says why.
 *
 * Returns: (transfer full) (nullable): the choice, to be freed with
 *   gst_dma_heap_choice_free(), or %NULL with @error set.
 */
GstDmaHeapChoice *
gst_dma_heap_choose_full (const GstDmaHeapChoiceRequest * request,
    GError ** error)
{
  GstDmaHeapChoice *choice;
  gchar *skipped = NULL, *heap;

  g_return_val_if_fail (request != NULL, NULL);
  debug_init ();

  if (request->heap && g_strcmp0 (request->heap, "auto") != 0)
    return choice_new (g_strdup (request->heap),
        g_strdup ("asked for by name"));

  if (request->rules && request->caps) {
    guint index;
    const gchar *match = gst_dma_heap_rules_match (request->rules,
        request->caps, &index);

    if (match)
      return choice_new (g_strdup (match),
          g_strdup_printf ("heap-rules rule %u", index + 1));
  }

  if (request->device && (choice = choose_for_device (request, &skipped)))
    return choice;

  if (request->proposed_heap) {
    choice = choice_new (g_strdup (request->proposed_heap),
        g_strdup_printf ("%s%s%s", request->proposed_by ?
            request->proposed_by : "proposed", skipped ? "; " : "",
            skipped ? skipped : ""));
    g_free (skipped);
    return choice;
  }

  heap = gst_dma_heap_choose (request->needs, error);
  if (!heap) {
    g_free (skipped);
    return NULL;
  }
  choice = choice_new (heap, skipped ?
      g_strdup_printf ("the default heap: %s", skipped) :
      g_strdup ("the default heap"));
  g_free (skipped);
  return choice;
}

/**
 * gst_dma_heap_choice_free:
 * @choice: (nullable): a choice
 */
void
gst_dma_heap_choice_free (GstDmaHeapChoice * choice)
{
  if (!choice)
    return;
  g_free (choice->heap);
  g_free (choice->reason);
  g_free (choice);
}

/**
 * gst_dma_heap_choose_for_device:
 * @device_node_path: (nullable): the consumer's device node, e.g.
 *   "/dev/dri/card0"
 * @needs: what else the consumer needs
 * @error: return location for a #GError
 *
 * Chooses a heap for buffers a device will read or write: the kernel
 * module's hint for the device when there is one; otherwise contiguous
 * memory when the device has no IOMMU and a contiguous heap exists; otherwise
 * gst_dma_heap_choose() with @needs. gst_dma_heap_choose_full() with only a
 * device.
 *
 * Returns: (transfer full) (nullable): the heap's name, or %NULL with @error
 *   set.
 */
gchar *
gst_dma_heap_choose_for_device (const gchar * device_node_path,
    GstDmaHeapNeeds needs, GError ** error)
{
  GstDmaHeapChoiceRequest req = {.device = device_node_path,.needs = needs };
  GstDmaHeapChoice *choice = gst_dma_heap_choose_full (&req, error);
  gchar *heap;

  if (!choice)
    return NULL;
  heap = g_steal_pointer (&choice->heap);
  gst_dma_heap_choice_free (choice);
  return heap;
}
