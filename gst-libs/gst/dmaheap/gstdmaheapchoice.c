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
 * 3. what the devices need (#GstDmaHeapDevice: no IOMMU, physically
 *    contiguous memory; 32-bit DMA without one, memory below 4 GiB): the
 *    kernel module's hint for one of them that every device can use, else
 *    the heap gst_dma_heap_choose() gives for all their needs together,
 *    else for those of the devices that must use the buffers themselves
 *    (the consumer, a display, copies what it cannot use) — each only if a
 *    bounded heap holds #GST_DMA_HEAP_MIN_FRAMES frames (a pool that runs
 *    dry stops the stream);
 * 4. a heap someone else proposed (the pool downstream offered), if every
 *    device that must use the buffers can;
 * 5. the library's default, gst_dma_heap_choose() with the needs given and
 *    those of the devices that must use the buffers.
 *
 * A heap asked for by name or rule that a device of the request's @devices
 * cannot use is refused with an error naming the device, its need, the
 * heap and the heap to ask for instead.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapchoice.h"

#include <string.h>

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

/* What the decision knows of the devices: those that must use the heap
 * (request->devices) and the consumer, who may copy instead. */
typedef struct
{
  GPtrArray *hard;              /* GstDmaHeapDevice, must use the heap */
  GstDmaHeapDevice *consumer;   /* nullable: prefers a heap it can use */
  GstDmaHeapNeeds hard_needs;
  GstDmaHeapNeeds consumer_needs;
} Devices;

static void
devices_clear (Devices * d)
{
  if (d->hard)
    g_ptr_array_unref (d->hard);
  gst_dma_heap_device_free (d->consumer);
}

static gboolean
devices_init (Devices * d, const GstDmaHeapChoiceRequest * req, GError ** error)
{
  guint i;

  memset (d, 0, sizeof (*d));
  d->hard = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_dma_heap_device_free);
  for (i = 0; req->devices && req->devices[i]; i++) {
    GstDmaHeapDevice *dev = gst_dma_heap_device_new (req->devices[i], error);

    if (!dev)
      return FALSE;
    d->hard_needs |= gst_dma_heap_device_get_needs (dev, NULL);
    g_ptr_array_add (d->hard, dev);
  }
  /* the consumer may be gone or virtual: then it says nothing */
  if (req->device && (d->consumer = gst_dma_heap_device_new (req->device,
              NULL)))
    d->consumer_needs = gst_dma_heap_device_get_needs (d->consumer, NULL);
  return TRUE;
}

/* Every device and its needs in words, for a reason or an error. */
static gchar *
devices_to_string (const Devices * d, gboolean with_consumer)
{
  GString *s = g_string_new (NULL);
  guint i, n = d->hard->len + (with_consumer && d->consumer ? 1 : 0);

  for (i = 0; i < n; i++) {
    const GstDmaHeapDevice *dev = i < d->hard->len ?
        g_ptr_array_index (d->hard, i) : d->consumer;
    gchar *name = gst_dma_heap_device_to_string (dev), *need;

    gst_dma_heap_device_get_needs (dev, &need);
    g_string_append_printf (s, "%s%s: %s", i ? "; " : "", name, need);
    g_free (name);
    g_free (need);
  }
  return g_string_free (s, FALSE);
}

/* Whether every device that must use @heap can; @why names the first that
 * cannot. A heap that cannot be queried (gone) suits no one with needs. */
static gboolean
devices_can_use (const Devices * d, const gchar * heap, gchar ** why)
{
  GstDmaHeapInfo *info;
  gboolean ok = TRUE;
  guint i;

  if (d->hard->len == 0)
    return TRUE;
  info = gst_dma_heap_info_query (heap, NULL);
  if (!info) {
    *why = g_strdup_printf ("heap %s cannot be opened", heap);
    return FALSE;
  }
  for (i = 0; ok && i < d->hard->len; i++)
    ok = gst_dma_heap_device_can_use (g_ptr_array_index (d->hard, i), info,
        why);
  gst_dma_heap_info_free (info);
  return ok;
}

static gboolean
consumer_can_use (const Devices * d, const gchar * heap)
{
  GstDmaHeapInfo *info;
  gboolean ok;

  if (!d->consumer || !d->consumer_needs)
    return TRUE;
  info = gst_dma_heap_info_query (heap, NULL);
  ok = info && gst_dma_heap_device_can_use (d->consumer, info, NULL);
  if (info)
    gst_dma_heap_info_free (info);
  return ok;
}

/* gst_dma_heap_choose() for @needs; where no heap says it lies below
 * 4 GiB, one every device can use (a guessed heap may). */
static gchar *
choose_usable (const Devices * d, GstDmaHeapNeeds needs)
{
  gchar *heap = gst_dma_heap_choose (needs, NULL), *why = NULL;

  if (heap || !(needs & GST_DMA_HEAP_NEED_DMA32))
    return heap;
  heap = gst_dma_heap_choose (needs & ~GST_DMA_HEAP_NEED_DMA32, NULL);
  if (heap && !devices_can_use (d, heap, &why))
    g_clear_pointer (&heap, g_free);
  g_free (why);
  return heap;
}

/* A heap asked for (by name or rule) that a device cannot use: an error
 * naming the device, its need, the heap and the fix. */
static gboolean
check_asked_heap (const Devices * d, const gchar * heap, const gchar * how,
    GError ** error)
{
  gchar *why = NULL, *fix;

  if (devices_can_use (d, heap, &why))
    return TRUE;
  fix = choose_usable (d, d->hard_needs);
  g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_UNSUITABLE,
      "Heap %s (%s) cannot be used: %s. %s%s%s", heap, how, why,
      fix ? "Ask for heap " : "No heap here meets that: load dma_heap_ext "
      "with a contiguous heap (docs/kernel.md)", fix ? fix : "",
      fix ? " instead, or leave the heap to the automatic choice" : "");
  g_free (fix);
  g_free (why);
  return FALSE;
}

/* Step 3: what the devices need; NULL when they say nothing, or when what
 * they need cannot hold the frames (*skipped says why). */
static GstDmaHeapChoice *
choose_for_devices (const GstDmaHeapChoiceRequest * req, const Devices * d,
    gchar ** skipped)
{
  GPtrArray *hints = g_ptr_array_new ();
  const gchar *hint_of = NULL;
  gchar *heap = NULL, *reason = NULL, *why = NULL, *list;
  guint i;

  /* the kernel's hints, producer's first: one every device can use */
  for (i = 0; i < d->hard->len; i++)
    g_ptr_array_add (hints, g_ptr_array_index (d->hard, i));
  if (d->consumer)
    g_ptr_array_add (hints, d->consumer);
  for (i = 0; i < hints->len && !heap; i++) {
    const GstDmaHeapDevice *dev = g_ptr_array_index (hints, i);

    if (!dev->hint || !devices_can_use (d, dev->hint, &why) ||
        !consumer_can_use (d, dev->hint) ||
        !heap_holds_frames (dev->hint, req->frame_size, &why)) {
      g_clear_pointer (&why, g_free);
      continue;
    }
    heap = g_strdup (dev->hint);
    hint_of = dev->node;
  }
  g_ptr_array_unref (hints);

  list = devices_to_string (d, TRUE);
  if (heap) {
    reason = g_strdup_printf ("the kernel's hint for %s (%s)", hint_of, list);
  } else if ((d->hard_needs | d->consumer_needs) &&
      (heap = choose_usable (d, req->needs | d->hard_needs |
              d->consumer_needs))) {
    reason = g_strdup_printf ("what every device needs: %s", list);
  }
  if (heap && !heap_holds_frames (heap, req->frame_size, skipped)) {
    GST_INFO ("not %s (%s): %s", heap, reason, *skipped);
    g_clear_pointer (&heap, g_free);
    g_clear_pointer (&reason, g_free);
  }

  /* the consumer copies what it cannot use: the producer's needs alone */
  if (!heap && d->hard_needs) {
    heap = choose_usable (d, req->needs | d->hard_needs);
    if (heap && heap_holds_frames (heap, req->frame_size, &why)) {
      gchar *hard = devices_to_string (d, FALSE);

      reason = g_strdup_printf ("what the devices that write or read the "
          "buffers need: %s%s%s", hard, *skipped ? "; " : "",
          *skipped ? *skipped : "");
      g_free (hard);
    } else {
      g_clear_pointer (&heap, g_free);
      g_free (why);
    }
  }
  g_free (list);

  return heap ? choice_new (heap, reason) : NULL;
}

/**
 * gst_dma_heap_choose_full:
 * @request: what to decide from
 * @error: return location for a #GError
 *
 * Chooses a heap by the project's one policy (see the section
 * description) and says why.
 *
 * Returns: (transfer full) (nullable): the choice, to be freed with
 *   gst_dma_heap_choice_free(), or %NULL with @error set: no heap at all,
 *   a device in @request->devices that cannot be found
 *   (#GST_DMA_HEAP_ERROR_NOT_FOUND), a heap asked for by name or rule that
 *   one of them cannot use, or no heap that all of them can use and that
 *   holds the frames (#GST_DMA_HEAP_ERROR_UNSUITABLE).
 *
 * Since: 0.1
 */
GstDmaHeapChoice *
gst_dma_heap_choose_full (const GstDmaHeapChoiceRequest * request,
    GError ** error)
{
  GstDmaHeapChoice *choice = NULL;
  gchar *skipped = NULL, *heap, *why = NULL;
  Devices d;

  g_return_val_if_fail (request != NULL, NULL);
  debug_init ();

  if (!devices_init (&d, request, error))
    goto done;

  if (request->heap && g_strcmp0 (request->heap, "auto") != 0) {
    if (check_asked_heap (&d, request->heap, "asked for by name", error))
      choice = choice_new (g_strdup (request->heap),
          g_strdup ("asked for by name"));
    goto done;
  }

  if (request->rules && request->caps) {
    guint index;
    const gchar *match = gst_dma_heap_rules_match (request->rules,
        request->caps, &index);

    if (match) {
      gchar *how = g_strdup_printf ("heap-rules rule %u", index + 1);

      if (check_asked_heap (&d, match, how, error))
        choice = choice_new (g_strdup (match), g_strdup (how));
      g_free (how);
      goto done;
    }
  }

  if ((choice = choose_for_devices (request, &d, &skipped)))
    goto done;

  if (request->proposed_heap &&
      devices_can_use (&d, request->proposed_heap, &why)) {
    choice = choice_new (g_strdup (request->proposed_heap),
        g_strdup_printf ("%s%s%s", request->proposed_by ?
            request->proposed_by : "proposed", skipped ? "; " : "",
            skipped ? skipped : ""));
    goto done;
  }
  g_clear_pointer (&why, g_free);

  heap = d.hard_needs ? choose_usable (&d, request->needs | d.hard_needs) :
      gst_dma_heap_choose (request->needs, error);
  if (!heap) {
    if (d.hard_needs) {
      gchar *list = devices_to_string (&d, FALSE), *names;

      names = gst_dma_heap_list_names ();
      g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_UNSUITABLE,
          "No heap suits every device that uses the buffers (%s); the heaps "
          "here: %s. Load dma_heap_ext with a contiguous heap "
          "(docs/kernel.md) or boot with cma=", list, names);
      g_free (names);
      g_free (list);
    }
    goto done;
  }
  if (d.hard_needs && !heap_holds_frames (heap, request->frame_size, &why)) {
    gchar *list = devices_to_string (&d, FALSE);

    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_UNSUITABLE,
        "No heap both suits every device that uses the buffers and holds "
        "%d frames of %" G_GSIZE_FORMAT " bytes: %s (%s). Give the heap "
        "more memory (dma_heap_ext's contig_size_mb, or the kernel's cma=) "
        "or send smaller frames", GST_DMA_HEAP_MIN_FRAMES,
        request->frame_size, why, list);
    g_free (list);
    g_free (heap);
    goto done;
  }
  choice = choice_new (heap, skipped ?
      g_strdup_printf ("the default heap: %s", skipped) :
      g_strdup ("the default heap"));

done:
  g_free (why);
  g_free (skipped);
  devices_clear (&d);
  return choice;
}

/**
 * gst_dma_heap_choice_copy:
 * @choice: a choice
 *
 * Copies @choice.
 *
 * Returns: (transfer full): a copy of @choice
 *
 * Since: 0.1
 */
GstDmaHeapChoice *
gst_dma_heap_choice_copy (const GstDmaHeapChoice * choice)
{
  GstDmaHeapChoice *copy;

  g_return_val_if_fail (choice != NULL, NULL);

  copy = g_new0 (GstDmaHeapChoice, 1);
  copy->heap = g_strdup (choice->heap);
  copy->reason = g_strdup (choice->reason);
  return copy;
}

G_DEFINE_BOXED_TYPE (GstDmaHeapChoice, gst_dma_heap_choice,
    gst_dma_heap_choice_copy, gst_dma_heap_choice_free);

/**
 * gst_dma_heap_choice_free:
 * @choice: (nullable): a choice
 *
 * Frees @choice.
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
