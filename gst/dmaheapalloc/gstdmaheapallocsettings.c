/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The element's heap settings and the choices made from them alone. The
 * select-heap signal and the error messages stay with the element. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapallocsettings.h"

void
gst_dma_heap_alloc_settings_init (GstDmaHeapAllocSettings * settings)
{
  g_mutex_init (&settings->lock);
  settings->heap = g_strdup (GST_DMA_HEAP_ALLOC_AUTO);
  settings->rules_str = NULL;
  settings->rules = NULL;
  settings->rules_error = NULL;
  settings->memory_per_plane = FALSE;
}

void
gst_dma_heap_alloc_settings_clear (GstDmaHeapAllocSettings * settings)
{
  g_clear_pointer (&settings->heap, g_free);
  g_clear_pointer (&settings->rules_str, g_free);
  g_clear_pointer (&settings->rules, gst_dma_heap_rules_unref);
  g_clear_error (&settings->rules_error);
  g_mutex_clear (&settings->lock);
}

/* NULL or "" is `auto`. */
void
gst_dma_heap_alloc_settings_set_heap (GstDmaHeapAllocSettings * settings,
    const gchar * heap)
{
  g_mutex_lock (&settings->lock);
  g_free (settings->heap);
  settings->heap = g_strdup (heap && *heap ? heap : GST_DMA_HEAP_ALLOC_AUTO);
  g_mutex_unlock (&settings->lock);
}

gchar *
gst_dma_heap_alloc_settings_dup_heap (GstDmaHeapAllocSettings * settings)
{
  gchar *heap;

  g_mutex_lock (&settings->lock);
  heap = g_strdup (settings->heap);
  g_mutex_unlock (&settings->lock);

  return heap;
}

/* Rules that do not parse are kept (as a string, for the property) with
 * their error, which every later choice returns; FALSE then, with @error
 * set. */
gboolean
gst_dma_heap_alloc_settings_set_rules (GstDmaHeapAllocSettings * settings,
    const gchar * str, GError ** error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&settings->lock);
  g_free (settings->rules_str);
  settings->rules_str = g_strdup (str);
  g_clear_pointer (&settings->rules, gst_dma_heap_rules_unref);
  g_clear_error (&settings->rules_error);
  if (str) {
    settings->rules = gst_dma_heap_rules_parse (str, &settings->rules_error);
    if (!settings->rules) {
      ok = FALSE;
      g_propagate_error (error, g_error_copy (settings->rules_error));
    }
  }
  g_mutex_unlock (&settings->lock);

  return ok;
}

gchar *
gst_dma_heap_alloc_settings_dup_rules (GstDmaHeapAllocSettings * settings)
{
  gchar *rules;

  g_mutex_lock (&settings->lock);
  rules = g_strdup (settings->rules_str);
  g_mutex_unlock (&settings->lock);

  return rules;
}

void
gst_dma_heap_alloc_settings_set_memory_per_plane (GstDmaHeapAllocSettings *
    settings, gboolean per_plane)
{
  g_mutex_lock (&settings->lock);
  settings->memory_per_plane = per_plane;
  g_mutex_unlock (&settings->lock);
}

gboolean
gst_dma_heap_alloc_settings_get_memory_per_plane (GstDmaHeapAllocSettings *
    settings)
{
  gboolean per_plane;

  g_mutex_lock (&settings->lock);
  per_plane = settings->memory_per_plane;
  g_mutex_unlock (&settings->lock);

  return per_plane;
}

/* Whether the settings can work here, before any data flows: the rules
 * parse, and the heap asked for by name opens (or, with `auto`, some heap
 * exists). */
gboolean
gst_dma_heap_alloc_settings_check (GstDmaHeapAllocSettings * settings,
    GError ** error)
{
  GError *rules_error = NULL;
  gboolean ok;
  gchar *heap;

  g_mutex_lock (&settings->lock);
  if (settings->rules_error)
    rules_error = g_error_copy (settings->rules_error);
  heap = g_strdup (settings->heap);
  g_mutex_unlock (&settings->lock);

  if (rules_error) {
    g_propagate_error (error, rules_error);
    ok = FALSE;
  } else if (g_str_equal (heap, GST_DMA_HEAP_ALLOC_AUTO)) {
    GPtrArray *heaps = gst_dma_heap_list (error);

    ok = heaps != NULL;
    if (heaps)
      g_ptr_array_unref (heaps);
  } else {
    GstAllocator *allocator = gst_dma_heap_allocator_get (heap, error);

    ok = allocator != NULL;
    if (allocator)
      gst_object_unref (allocator);
  }
  g_free (heap);

  return ok;
}

/* The library's one policy for @caps: heap property, heap-rules, what the
 * devices need (@producer, which writes into the buffers, must be able to
 * use the heap; @consumer, the display, copies otherwise), downstream's
 * heap, the default. @by_name: the heap property decided (the
 * application's last word: no select-heap). */
GstDmaHeapChoice *
gst_dma_heap_alloc_settings_choose (GstDmaHeapAllocSettings * settings,
    GstCaps * caps, const gchar * downstream_heap, const gchar * producer,
    const gchar * consumer, gsize frame_size, gboolean * by_name,
    GError ** error)
{
  const gchar *devices[] = { producer, NULL };
  GstDmaHeapChoiceRequest req = {.caps = caps,
    .proposed_heap = downstream_heap,.proposed_by = "downstream's pool",
    .device = consumer,.frame_size = frame_size,.devices = devices
  };
  GstDmaHeapChoice *choice;
  GstDmaHeapRules *rules = NULL;
  gchar *heap;

  g_mutex_lock (&settings->lock);
  if (settings->rules_error) {
    g_propagate_error (error, g_error_copy (settings->rules_error));
    g_mutex_unlock (&settings->lock);
    return NULL;
  }
  heap = g_strdup (settings->heap);
  if (settings->rules)
    rules = gst_dma_heap_rules_ref (settings->rules);
  g_mutex_unlock (&settings->lock);

  *by_name = !g_str_equal (heap, GST_DMA_HEAP_ALLOC_AUTO);
  req.heap = heap;
  req.rules = rules;
  choice = gst_dma_heap_choose_full (&req, error);
  g_free (heap);
  if (rules)
    gst_dma_heap_rules_unref (rules);

  return choice;
}

/* The heap whose memory may pass for @caps: the one the heap property
 * names, or that of the heap-rules rule for @caps; NULL when any heap's
 * may (downstream's heap and the default one only say where copies go). */
gchar *
gst_dma_heap_alloc_settings_passable_heap (GstDmaHeapAllocSettings *
    settings, GstCaps * caps)
{
  gchar *heap = NULL;

  g_mutex_lock (&settings->lock);
  if (!g_str_equal (settings->heap, GST_DMA_HEAP_ALLOC_AUTO))
    heap = g_strdup (settings->heap);
  else if (settings->rules)
    heap = g_strdup (gst_dma_heap_rules_match (settings->rules, caps, NULL));
  g_mutex_unlock (&settings->lock);

  return heap;
}

/* Posts @error, from a choice or the heap it names, as an element error
 * whose type follows what failed (a heap a device cannot use, or rules that
 * do not parse: the settings). */
void
gst_dma_heap_alloc_settings_post_error (GstElement * element,
    const GError * error)
{
  GQuark domain = GST_RESOURCE_ERROR;
  gint code = GST_RESOURCE_ERROR_FAILED;

  if (error->domain == GST_RESOURCE_ERROR) {
    code = error->code;
  } else if (error->domain == GST_DMA_HEAP_ERROR) {
    switch (error->code) {
      case GST_DMA_HEAP_ERROR_PERMISSION:
        code = GST_RESOURCE_ERROR_OPEN_READ_WRITE;
        break;
      case GST_DMA_HEAP_ERROR_NO_HEAPS:
      case GST_DMA_HEAP_ERROR_NOT_FOUND:
      case GST_DMA_HEAP_ERROR_NO_MATCH:
        code = GST_RESOURCE_ERROR_NOT_FOUND;
        break;
      case GST_DMA_HEAP_ERROR_UNSUITABLE:
        code = GST_RESOURCE_ERROR_SETTINGS;
        break;
      case GST_DMA_HEAP_ERROR_INVALID_RULES:
        domain = GST_LIBRARY_ERROR;
        code = GST_LIBRARY_ERROR_SETTINGS;
        break;
      default:
        break;
    }
  }
  gst_element_message_full (element, GST_MESSAGE_ERROR, domain,
      code, g_strdup (error->message), NULL, __FILE__, GST_FUNCTION, __LINE__);
}
