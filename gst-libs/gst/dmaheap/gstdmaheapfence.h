/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Internal to the library: not installed. */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gint gst_dma_heap_fence_pending (GstBuffer * buffer);

G_GNUC_INTERNAL
gboolean gst_dma_heap_fence_signalled (gint fence);

G_END_DECLS
