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
#include <xf86drmMode.h>

G_BEGIN_DECLS

/* What dmaheapsink knows about a plane; plain data so the choices below can
 * be tested without a DRM device. */
typedef struct
{
  guint32 id;
  guint type;                   /* DRM_PLANE_TYPE_* */
  guint32 possible_crtcs;       /* bit i = the i-th CRTC of the resources */
  guint32 *formats;
  guint n_formats;
  /* From IN_FORMATS, when the plane has it: (fourcc, modifier) pairs. */
  guint32 *mod_formats;
  guint64 *mod_modifiers;
  guint n_mods;
} GstKmsPlaneDesc;

gint      gst_kms_select_crtc    (guint32 possible_crtcs,
                                  guint32 busy_crtcs, guint n_crtcs);

gboolean  gst_kms_plane_supports (const GstKmsPlaneDesc * plane,
                                  guint32 fourcc, guint64 modifier);

gint      gst_kms_select_plane   (const GstKmsPlaneDesc * planes,
                                  guint n_planes, guint crtc_index,
                                  guint32 fourcc, guint64 modifier,
                                  gboolean prefer_primary);

gint      gst_kms_select_mode    (const drmModeModeInfo * modes,
                                  guint n_modes, gint video_width,
                                  gint video_height, gboolean can_scale);

gboolean  gst_kms_compute_layout (const GstVideoInfo * vinfo,
                                  const GstVideoRectangle * area,
                                  gboolean can_scale,
                                  GstVideoRectangle * src,
                                  GstVideoRectangle * dst);

G_END_DECLS
