/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

guint32         gst_drm_fourcc_from_video_format (GstVideoFormat format);

GstVideoFormat  gst_drm_fourcc_to_video_format (guint32 fourcc);

guint           gst_drm_formats_n_supported (void);

GstVideoFormat  gst_drm_formats_get_supported (guint index);

GstCaps *       gst_drm_formats_caps_from_fourccs (const guint32 * fourccs,
                                                   guint n_fourccs,
                                                   gint max_width,
                                                   gint max_height);

gchar *         gst_drm_fourcc_to_string (guint32 fourcc);

GstCaps *       gst_drm_formats_all_caps (void);

G_END_DECLS
