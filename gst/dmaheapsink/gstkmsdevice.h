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
#include "gstkmsselect.h"

#include <xf86drmMode.h>

G_BEGIN_DECLS

/* The atomic properties of a plane. */
typedef struct
{
  guint32 fb_id, crtc_id, src_x, src_y, src_w, src_h;
  guint32 crtc_x, crtc_y, crtc_w, crtc_h;
} GstKmsPlaneProps;

/* The display device, from start() to stop(): what the driver can do, the
 * connector and CRTC the sink drives, the CRTC as it was found (to restore
 * it), and the planes. Written only by gstkmsdevice.c; the other helpers
 * read it. */
typedef struct
{
  GstElement *element;          /* errors and logs go to it (no ref) */

  gint fd;
  gchar *path;
  gboolean atomic;
  /* an atomic driver, whichever API the sink uses: its legacy SetPlane is a
   * blocking commit that already waits for the vblank */
  gboolean driver_atomic;
  gboolean prime_import;
  gboolean addfb2_modifiers;

  guint32 conn_id;
  guint32 crtc_id;
  guint crtc_index;
  drmModeModeInfo *modes;
  guint n_modes;
  drmModeCrtc *saved_crtc;
  /* a mode set and the CRTC active at start: enabled with ACTIVE=0 or DPMS
   * off (a blanked console) it shows nothing, and counts as off */
  gboolean crtc_was_on;
  guint32 conn_prop_crtc_id;
  guint32 crtc_prop_mode_id;
  guint32 crtc_prop_active;

  GstKmsPlaneDesc *planes;
  guint n_planes;
} GstKmsDevice;

guint32   gst_kms_find_property        (gint fd, guint32 obj_id,
                                        guint32 obj_type, const gchar * name,
                                        guint64 * value);

void      gst_kms_device_init          (GstKmsDevice * dev,
                                        GstElement * element);

gboolean  gst_kms_device_open          (GstKmsDevice * dev, gchar * device,
                                        const gchar * driver_name,
                                        const gchar * bus_id,
                                        gint connector_id);

gboolean  gst_kms_device_setup         (GstKmsDevice * dev,
                                        gboolean use_atomic);

gboolean  gst_kms_device_find_output   (GstKmsDevice * dev,
                                        gint connector_id, gint plane_id,
                                        GstCaps ** caps);

void      gst_kms_device_close         (GstKmsDevice * dev);

void      gst_kms_device_commit_failed (GstKmsDevice * dev, gint plane,
                                        gint err);

gint      gst_kms_device_choose_plane  (GstKmsDevice * dev,
                                        const GstVideoInfo * vinfo,
                                        guint32 fourcc, gint plane_id,
                                        gboolean prefer_primary);

gint      gst_kms_device_primary_plane (GstKmsDevice * dev);

gboolean  gst_kms_device_read_plane_props (GstKmsDevice * dev,
                                        guint32 plane_id,
                                        GstKmsPlaneProps * pp);

G_END_DECLS
