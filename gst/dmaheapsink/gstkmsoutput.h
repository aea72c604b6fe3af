/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include "gstkmsdevice.h"

G_BEGIN_DECLS

typedef struct _GstKmsCommit GstKmsCommit;

/* Where the negotiated frames go, from set_caps(): the plane, the mode,
 * what the plane can do, and the layout (which part of the frame is shown
 * where). Written only by gstkmsoutput.c; the commits read it. */
typedef struct
{
  GstElement *element;          /* logs go to it (no ref) */

  GstVideoInfo vinfo;
  guint32 fourcc;
  gint plane;                   /* index in the device's planes, -1 before
                                 * set_caps */
  GstKmsPlaneProps plane_props;

  drmModeModeInfo mode;
  gboolean modeset_pending;
  gboolean mode_set_by_us;
  drmModeModeInfo committed_mode;       /* the last mode we committed */
  gboolean committed_mode_valid;
  guint32 mode_blob;

  /* The frame of the last buffer (its GstVideoMeta's size, else the caps')
   * and the part of it shown (its GstVideoCropMeta, else the caps' size). */
  gint frame_width;
  gint frame_height;
  GstVideoRectangle crop;

  gboolean plane_can_scale;
  gboolean plane_fullscreen_only;
  GstVideoRectangle area;       /* the render rectangle, w == 0: the CRTC */
  GstVideoRectangle src;        /* part of the frame shown */
  GstVideoRectangle dst;        /* where on the CRTC */
  gboolean layout_needs_copy;   /* dst does not fit the plane's limits */
} GstKmsOutput;

void      gst_kms_output_init          (GstKmsOutput * out,
                                        GstElement * element);

void      gst_kms_output_clear         (GstKmsOutput * out,
                                        GstKmsDevice * dev);

gboolean  gst_kms_output_set_format    (GstKmsOutput * out,
                                        GstKmsDevice * dev,
                                        const GstVideoInfo * vinfo,
                                        guint32 fourcc, gint plane);

gboolean  gst_kms_output_configure     (GstKmsOutput * out,
                                        GstKmsDevice * dev,
                                        GstKmsCommit * commit,
                                        const GstVideoRectangle * area,
                                        gboolean can_scale, gboolean force);

void      gst_kms_output_update_layout (GstKmsOutput * out,
                                        const GstVideoRectangle * area);

void      gst_kms_output_set_buffer    (GstKmsOutput * out, GstBuffer * buf);

gboolean  gst_kms_output_learn_from_refusal (GstKmsOutput * out,
                                        GstKmsDevice * dev,
                                        const GstVideoRectangle * src,
                                        const GstVideoRectangle * dst);

void      gst_kms_output_mode_committed (GstKmsOutput * out);

gboolean  gst_kms_output_is_fullscreen (const GstKmsOutput * out,
                                        const GstVideoRectangle * r);

G_END_DECLS
