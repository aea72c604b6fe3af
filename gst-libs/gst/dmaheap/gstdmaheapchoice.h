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
#include <gst/dmaheap/gstdmaheapinfo.h>
#include <gst/dmaheap/gstdmaheapdevice.h>
#include <gst/dmaheap/gstdmaheaprules.h>

G_BEGIN_DECLS

/**
 * GST_DMA_HEAP_MIN_FRAMES:
 *
 * Frames a bounded heap (a carveout or CMA area) must hold at once before a
 * device's choice falls on it: upstream's, a queue's, the pending and the
 * shown ones.
 *
 * Since: 0.1
 */
#define GST_DMA_HEAP_MIN_FRAMES 8

/**
 * GstDmaHeapChoiceRequest:
 * @heap: a heap asked for by name (a property); %NULL or "auto" for none
 * @rules: (nullable): heap rules, matched against @caps
 * @caps: (nullable): the stream's caps
 * @device: (nullable): the device node of the consumer (e.g.
 *   "/dev/dri/card0"), whose needs come next; a consumer that can copy
 *   what it cannot use (a display): its needs are a preference
 * @frame_size: bytes per frame, for the check that a bounded heap chosen
 *   for @device holds #GST_DMA_HEAP_MIN_FRAMES frames; 0: no check
 * @proposed_heap: (nullable): a heap someone else chose (downstream's pool)
 * @proposed_by: (nullable): who, for the reason ("downstream's pool")
 * @needs: what any heap chosen by default must offer
 * @devices: (nullable) (array zero-terminated=1): the device nodes that
 *   must use the buffers themselves (the V4L2 producer that writes into
 *   them, an encoder or GPU that reads them): every heap chosen, named or
 *   by rule included, must suit each of them
 *
 * What gst_dma_heap_choose_full() decides from; fields left zero are not
 * used. Initialize it whole (`GstDmaHeapChoiceRequest req = { 0 };` or a
 * designated initializer): fields added later will then read zero.
 *
 * Since: 0.1
 */
typedef struct
{
  const gchar *heap;
  const GstDmaHeapRules *rules;
  const GstCaps *caps;
  const gchar *device;
  gsize frame_size;
  const gchar *proposed_heap;
  const gchar *proposed_by;
  GstDmaHeapNeeds needs;
  const gchar *const *devices;

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
} GstDmaHeapChoiceRequest;

/**
 * GstDmaHeapChoice:
 * @heap: the heap's name
 * @reason: why, in words for a log or a user ("the kernel's hint for
 *   /dev/dri/card0")
 *
 * The answer of gst_dma_heap_choose_full().
 *
 * Since: 0.1
 */
typedef struct
{
  gchar *heap;
  gchar *reason;

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
} GstDmaHeapChoice;

GST_DMA_HEAP_API
GstDmaHeapChoice *gst_dma_heap_choose_full (const GstDmaHeapChoiceRequest *
    request, GError ** error);

GST_DMA_HEAP_API
GType gst_dma_heap_choice_get_type (void);
#define GST_TYPE_DMA_HEAP_CHOICE (gst_dma_heap_choice_get_type ())

GST_DMA_HEAP_API
GstDmaHeapChoice *gst_dma_heap_choice_copy (const GstDmaHeapChoice * choice);

GST_DMA_HEAP_API
void gst_dma_heap_choice_free (GstDmaHeapChoice * choice);

GST_DMA_HEAP_API
gchar *gst_dma_heap_choose_for_device (const gchar * device_node_path,
    GstDmaHeapNeeds needs, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstDmaHeapChoice, gst_dma_heap_choice_free)

G_END_DECLS
