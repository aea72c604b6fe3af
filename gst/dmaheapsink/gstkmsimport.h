/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include "gstdmaheapsinkpriv.h"

G_BEGIN_DECLS

void      gst_kms_release_fb     (guint32 fb_id, gpointer user_data);

guint32   gst_kms_fb_for_buffer  (GstDmaHeapSink * self, GstBuffer * buf);

G_END_DECLS
