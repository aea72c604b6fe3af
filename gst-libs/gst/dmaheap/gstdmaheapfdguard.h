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
GstMemory *gst_dma_heap_fd_guard_wrap (GstMemory * owner);

G_GNUC_INTERNAL
gboolean gst_dma_heap_fd_guard_is_intact (GstMemory * mem);

G_GNUC_INTERNAL
GstMemory *gst_dma_heap_fd_guard_renew (GstMemory * mem);

G_END_DECLS
