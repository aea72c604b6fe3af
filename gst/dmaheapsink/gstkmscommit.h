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

GstFlowReturn  gst_kms_wait_flip           (GstDmaHeapSink * self,
                                            gboolean block);

GstFlowReturn  gst_kms_finish_flip         (GstDmaHeapSink * self);

void           gst_kms_move_to_plane       (GstDmaHeapSink * self,
                                            gint plane);

gint           gst_kms_atomic_commit       (GstDmaHeapSink * self,
                                            guint32 fb_id,
                                            const GstVideoRectangle * src,
                                            const GstVideoRectangle * dst,
                                            guint32 flags);

gboolean       gst_kms_rect_is_fullscreen  (GstDmaHeapSink * self,
                                            const GstVideoRectangle * r);

gint           gst_kms_show_fb             (GstDmaHeapSink * self,
                                            GstBuffer * buf, guint32 fb_id,
                                            guint32 fb_width,
                                            guint32 fb_height,
                                            const GstVideoRectangle * src,
                                            const GstVideoRectangle * dst,
                                            gboolean skip_vsync);

void           gst_kms_restore_display     (GstDmaHeapSink * self);

void           gst_kms_drain               (GstDmaHeapSink * self);

G_END_DECLS
