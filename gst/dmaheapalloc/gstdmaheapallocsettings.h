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
#include <gst/dmaheap/dmaheap.h>

G_BEGIN_DECLS

/* The heap `auto`: heap-rules, then downstream's heap, then the default */
#define GST_DMA_HEAP_ALLOC_AUTO "auto"

/**
 * GstDmaHeapAllocSettings:
 *
 * What the application set on a dmaheapalloc (the `heap`, `heap-rules` and
 * `memory-per-plane` properties) and the decisions that follow from them
 * alone: which heap a stream's buffers come from, which heap's memory may
 * pass. Set from any thread, read from the streaming thread: every field
 * is under @lock.
 */
typedef struct
{
  GMutex lock;
  gchar *heap;
  gchar *rules_str;
  GstDmaHeapRules *rules;
  GError *rules_error;
  gboolean memory_per_plane;
} GstDmaHeapAllocSettings;

void gst_dma_heap_alloc_settings_init (GstDmaHeapAllocSettings * settings);
void gst_dma_heap_alloc_settings_clear (GstDmaHeapAllocSettings * settings);

void gst_dma_heap_alloc_settings_set_heap (GstDmaHeapAllocSettings *
    settings, const gchar * heap);
gchar *gst_dma_heap_alloc_settings_dup_heap (GstDmaHeapAllocSettings *
    settings);
gboolean gst_dma_heap_alloc_settings_set_rules (GstDmaHeapAllocSettings *
    settings, const gchar * rules, GError ** error);
gchar *gst_dma_heap_alloc_settings_dup_rules (GstDmaHeapAllocSettings *
    settings);
void gst_dma_heap_alloc_settings_set_memory_per_plane
    (GstDmaHeapAllocSettings * settings, gboolean per_plane);
gboolean gst_dma_heap_alloc_settings_get_memory_per_plane
    (GstDmaHeapAllocSettings * settings);

gboolean gst_dma_heap_alloc_settings_check (GstDmaHeapAllocSettings *
    settings, GError ** error);
GstDmaHeapChoice *gst_dma_heap_alloc_settings_choose (GstDmaHeapAllocSettings
    * settings, GstCaps * caps, const gchar * downstream_heap,
    const gchar * producer, const gchar * consumer, gsize frame_size,
    gboolean * by_name, GError ** error);
void gst_dma_heap_alloc_settings_post_error (GstElement * element,
    const GError * error);
gchar *gst_dma_heap_alloc_settings_passable_heap (GstDmaHeapAllocSettings *
    settings, GstCaps * caps);

G_END_DECLS
