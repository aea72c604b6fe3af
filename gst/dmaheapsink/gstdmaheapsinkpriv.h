/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

/* What the files of dmaheapsink share: the element's state, which each job
 * (device, dumb buffers, import, commits, output) works on. */

#include "gstdmaheapsink.h"
#include "gstkmsfbcache.h"
#include "gstkmsselect.h"

#include <gst/video/video.h>
#include <xf86drmMode.h>

G_BEGIN_DECLS

/* Every file of the sink logs into the one "dmaheapsink" category. */
GST_DEBUG_CATEGORY_EXTERN (gst_dma_heap_sink_debug);
#define GST_CAT_DEFAULT gst_dma_heap_sink_debug

#define N_DUMB_BUFFERS 3

typedef struct
{
  guint32 handle;
  guint32 fb_id;
  guint32 width;
  guint32 height;
  guint64 size;
  guint8 *data;
  GstVideoInfo info;            /* strides and offsets in the mapping */
  /* A screen-sized dumb holds the frame at @window, black elsewhere; a
   * frame-sized one has window.w == 0. */
  GstVideoRectangle window;
} GstKmsDumb;

typedef struct
{
  guint32 fb_id, crtc_id, src_x, src_y, src_w, src_h;
  guint32 crtc_x, crtc_y, crtc_w, crtc_h;
} GstKmsPlaneProps;

struct _GstDmaHeapSink
{
  GstVideoSink parent;

  /* properties, under the object lock */
  gchar *device;
  gchar *driver_name;
  gchar *bus_id;
  gint connector_id;
  gint plane_id;
  gboolean force_modesetting;
  gboolean can_scale;
  gboolean skip_vsync;
  gboolean use_atomic;
  gchar *heap;
  GstVideoRectangle render_rect;        /* w == 0: the whole CRTC */
  gboolean layout_dirty;        /* render_rect changed since the layout */

  /* the device, from start() to stop() */
  gint fd;
  gchar *devpath;
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
  GstKmsPlaneDesc *planes;
  guint n_planes;
  GstCaps *allowed_caps;
  GstPoll *poll;
  GstPollFD pollfd;
  guint32 conn_prop_crtc_id;
  guint32 crtc_prop_mode_id;
  guint32 crtc_prop_active;

  /* the output, from set_caps() */
  GstVideoInfo vinfo;
  guint32 fourcc;
  gint plane;                   /* index in planes, -1 before set_caps */
  GstKmsPlaneProps plane_props;
  /* The plane new caps moved the frames from, still showing the last frame
   * (-1: none): the next commit turns it off, and its frame goes back
   * upstream (a copy: its dumb buffer is free) when that flip is done. */
  gint old_plane;
  GstKmsPlaneProps old_plane_props;
  drmModeModeInfo mode;
  gboolean modeset_pending;
  gboolean mode_set_by_us;
  drmModeModeInfo committed_mode;       /* the last mode we committed */
  gboolean committed_mode_valid;
  guint32 mode_blob;
  gboolean plane_can_scale;
  gboolean plane_fullscreen_only;
  GstVideoRectangle src;        /* part of the frame shown */
  GstVideoRectangle dst;        /* where on the CRTC */
  gboolean layout_needs_copy;   /* dst does not fit the plane's limits */
  GstKmsDumb background;        /* legacy: primary plane under an overlay */

  /* frames */
  GstKmsFbCache *cache;
  GstKmsDumb dumbs[N_DUMB_BUFFERS];
  gboolean dumbs_fullscreen;
  GstBuffer *displayed;         /* NULL when a dumb buffer is shown */
  /* A frame copied at preroll, kept (as GstBaseSink keeps it too) only
   * until it is rendered, to know it then as already on screen; no frame
   * is kept once copied otherwise. */
  GstBuffer *preroll_copy;
  gboolean prerolling;
  guint32 displayed_fb;
  GstBuffer *pending;
  guint32 pending_fb;
  gboolean flip_pending;
  /* Each page-flip event carries the number of its commit: an event that
   * comes after its flip was taken as done (see flip_late) completes no
   * other. */
  guint32 flip_seq;
  /* No event within the flip timeout: both frames stay held until the
   * event comes or the kernel takes the next commit (it takes none before
   * the flip is done). */
  gboolean flip_late;
  gboolean copy_warned;
  gboolean negotiation_warned;  /* under the object lock */
  GstCaps *refused_caps;        /* the last caps query found none showable,
                                 * under the object lock */
  GstBufferPool *pool;
  gchar *pool_heap;

  /* stats, under the object lock */
  guint64 frames_shown;
  guint64 imports;
  guint64 cache_hits;
  guint64 copies;
  guint64 drops;
};

G_END_DECLS
