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

gint      gst_kms_choose_plane        (GstDmaHeapSink * self,
                                       const GstVideoInfo * vinfo,
                                       guint32 fourcc);

gboolean  gst_kms_read_plane_props    (gint fd, guint32 plane_id,
                                      GstKmsPlaneProps * pp);

gboolean  gst_kms_find_plane_props    (GstDmaHeapSink * self,
                                       guint32 plane_id);

gboolean  gst_kms_configure_output    (GstDmaHeapSink * self);

void      gst_kms_update_layout       (GstDmaHeapSink * self);

gboolean  gst_kms_learn_from_refusal  (GstDmaHeapSink * self,
                                       const GstVideoRectangle * src,
                                       const GstVideoRectangle * dst);

G_END_DECLS
