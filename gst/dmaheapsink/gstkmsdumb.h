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

gboolean      gst_kms_dumb_create    (GstDmaHeapSink * self,
                                      GstVideoFormat format, guint width,
                                      guint height, GstKmsDumb * dumb);

void          gst_kms_dumb_destroy   (GstDmaHeapSink * self,
                                      GstKmsDumb * dumb);

gboolean      gst_kms_background_for_mode (GstDmaHeapSink * self,
                                      const drmModeModeInfo * mode,
                                      GstKmsDumb * old);

void          gst_kms_release_dumbs  (GstDmaHeapSink * self);

GstKmsDumb *  gst_kms_copy_frame     (GstDmaHeapSink * self, GstBuffer * buf,
                                      GstVideoRectangle * src,
                                      GstVideoRectangle * dst);

void          gst_kms_count_copy     (GstDmaHeapSink * self,
                                      gboolean refused);

G_END_DECLS
