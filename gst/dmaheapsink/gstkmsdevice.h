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

guint32   gst_kms_find_property        (gint fd, guint32 obj_id,
                                        guint32 obj_type, const gchar * name,
                                        guint64 * value);

gboolean  gst_kms_device_open          (GstDmaHeapSink * self, gchar * device,
                                        gint connector_id);

gboolean  gst_kms_device_setup         (GstDmaHeapSink * self,
                                        gboolean use_atomic);

gboolean  gst_kms_device_find_output   (GstDmaHeapSink * self,
                                        gint connector_id, gint plane_id);

void      gst_kms_device_free_output   (GstDmaHeapSink * self);

gboolean  gst_kms_connector_connected  (GstDmaHeapSink * self);

G_END_DECLS
