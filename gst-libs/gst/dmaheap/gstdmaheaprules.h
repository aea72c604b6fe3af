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

G_BEGIN_DECLS

/**
 * GstDmaHeapRules:
 *
 * An ordered list of caps → heap rules; the first rule whose caps contain
 * the stream's caps wins. Parsed from strings such as
 * `video/x-raw,format=NV12:contiguous;video/x-raw:system`.
 *
 * Since: 0.1
 */
typedef struct _GstDmaHeapRules GstDmaHeapRules;

#define GST_TYPE_DMA_HEAP_RULES (gst_dma_heap_rules_get_type ())

GST_DMA_HEAP_API
GType gst_dma_heap_rules_get_type (void);

GST_DMA_HEAP_API
GstDmaHeapRules *gst_dma_heap_rules_parse (const gchar * str,
    GError ** error);

GST_DMA_HEAP_API
GstDmaHeapRules *gst_dma_heap_rules_ref (GstDmaHeapRules * rules);

GST_DMA_HEAP_API
void gst_dma_heap_rules_unref (GstDmaHeapRules * rules);

GST_DMA_HEAP_API
guint gst_dma_heap_rules_get_size (const GstDmaHeapRules * rules);

GST_DMA_HEAP_API
const gchar *gst_dma_heap_rules_match (const GstDmaHeapRules * rules,
    const GstCaps * caps, guint * index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstDmaHeapRules, gst_dma_heap_rules_unref)

G_END_DECLS
