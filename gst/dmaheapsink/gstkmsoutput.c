/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmsoutput.h"
#include "gstdrmformats.h"
#include "gstkmscommit.h"
#include "gstkmsdevice.h"
#include "gstkmsdumb.h"

#include <drm_fourcc.h>
#include <xf86drmMode.h>

/* ------------------------------------------------------------------------ */
/* output configuration                                                      */
/* ------------------------------------------------------------------------ */

/* The plane for @fourcc frames: the plane-id property's, else one of the
 * CRTC that scans them out. -1, with an error posted, when there is none. */
gint
gst_kms_choose_plane (GstDmaHeapSink * self, const GstVideoInfo * vinfo,
    guint32 fourcc)
{
  gint plane, plane_id;
  gboolean prefer_primary;

  GST_OBJECT_LOCK (self);
  plane_id = self->plane_id;
  prefer_primary = self->force_modesetting || !self->crtc_was_on;
  GST_OBJECT_UNLOCK (self);

  if (plane_id >= 0) {
    for (plane = 0; plane < (gint) self->n_planes; plane++) {
      if (self->planes[plane].id == (guint32) plane_id)
        break;
    }
    if (plane == (gint) self->n_planes)
      goto no_such_plane;
    if (!(self->planes[plane].possible_crtcs & (1u << self->crtc_index))
        || !gst_kms_plane_supports (&self->planes[plane], fourcc,
            DRM_FORMAT_MOD_LINEAR))
      goto unsupported_format;
  } else {
    plane = gst_kms_select_plane (self->planes, self->n_planes,
        self->crtc_index, fourcc, DRM_FORMAT_MOD_LINEAR, prefer_primary);
    if (plane < 0)
      goto unsupported_format;
  }

  return plane;

  /* ERRORS */
no_such_plane:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("%s has no plane %d", self->devpath, plane_id), (NULL));
    return -1;
  }
unsupported_format:
  {
    gchar *name = gst_drm_fourcc_to_string (fourcc);

    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Format %s (DRM %s) is not supported by %s of %s for CRTC %u",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (vinfo)), name,
            plane_id >= 0 ? "the chosen plane" : "any plane", self->devpath,
            self->crtc_id), (NULL));
    g_free (name);
    return -1;
  }
}

gboolean
gst_kms_find_plane_props (GstDmaHeapSink * self, guint32 plane_id)
{
  return gst_kms_read_plane_props (self->fd, plane_id, &self->plane_props);
}

/* The atomic properties of plane @plane_id: FALSE when one is missing. */
gboolean
gst_kms_read_plane_props (gint fd, guint32 plane_id, GstKmsPlaneProps * pp)
{
  guint32 obj = DRM_MODE_OBJECT_PLANE;

  pp->fb_id = gst_kms_find_property (fd, plane_id, obj, "FB_ID", NULL);
  pp->crtc_id = gst_kms_find_property (fd, plane_id, obj, "CRTC_ID", NULL);
  pp->src_x = gst_kms_find_property (fd, plane_id, obj, "SRC_X", NULL);
  pp->src_y = gst_kms_find_property (fd, plane_id, obj, "SRC_Y", NULL);
  pp->src_w = gst_kms_find_property (fd, plane_id, obj, "SRC_W", NULL);
  pp->src_h = gst_kms_find_property (fd, plane_id, obj, "SRC_H", NULL);
  pp->crtc_x = gst_kms_find_property (fd, plane_id, obj, "CRTC_X", NULL);
  pp->crtc_y = gst_kms_find_property (fd, plane_id, obj, "CRTC_Y", NULL);
  pp->crtc_w = gst_kms_find_property (fd, plane_id, obj, "CRTC_W", NULL);
  pp->crtc_h = gst_kms_find_property (fd, plane_id, obj, "CRTC_H", NULL);

  return pp->fb_id && pp->crtc_id && pp->src_x && pp->src_y && pp->src_w
      && pp->src_h && pp->crtc_x && pp->crtc_y && pp->crtc_w && pp->crtc_h;
}

static void
kms_get_area (GstDmaHeapSink * self, GstVideoRectangle * area)
{
  GST_OBJECT_LOCK (self);
  *area = self->render_rect;
  self->layout_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (area->w <= 0 || area->h <= 0) {
    area->x = area->y = 0;
    area->w = self->mode.hdisplay;
    area->h = self->mode.vdisplay;
  }
}

/* Whether the driver takes the plane at @src -> @dst with a frame-sized
 * framebuffer. Atomic only: legacy drivers can only be asked for real. */
static gboolean
kms_test_layout (GstDmaHeapSink * self, guint32 test_fb,
    const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  gint ret = gst_kms_atomic_commit (self, test_fb, src, dst,
      DRM_MODE_ATOMIC_TEST_ONLY);

  GST_DEBUG_OBJECT (self, "test %dx%d -> %dx%d+%d+%d%s: %s", src->w, src->h,
      dst->w, dst->h, dst->x, dst->y, self->modeset_pending ? " with modeset" :
      "", ret ? g_strerror (-ret) : "ok");
  return ret == 0;
}

static gboolean
kms_set_mode (GstDmaHeapSink * self, const drmModeModeInfo * mode)
{
  self->mode = *mode;
  self->modeset_pending = TRUE;
  self->mode_set_by_us = TRUE;

  if (self->atomic) {
    if (self->mode_blob)
      drmModeDestroyPropertyBlob (self->fd, self->mode_blob);
    self->mode_blob = 0;
    if (drmModeCreatePropertyBlob (self->fd, mode, sizeof (*mode),
            &self->mode_blob))
      return FALSE;
  }

  GST_INFO_OBJECT (self, "will set mode %s (%ux%u@%u)", mode->name,
      mode->hdisplay, mode->vdisplay, mode->vrefresh);
  return TRUE;
}

/* A mode of exactly the frame's size, when the connector has one. */
static gboolean
kms_set_mode_of_frame_size (GstDmaHeapSink * self, gboolean * found)
{
  gint vw = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  gint vh = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  gint idx = gst_kms_select_mode (self->modes, self->n_modes, vw, vh, FALSE);

  *found = idx >= 0 && self->modes[idx].hdisplay == vw
      && self->modes[idx].vdisplay == vh;
  if (!*found)
    return TRUE;
  return kms_set_mode (self, &self->modes[idx]);
}

/* Whether the frame should get a mode of its own size: the plane does not
 * scale, the frame is not the mode's size, and either the plane cannot show
 * it elsewhere than full screen, or the mode is ours anyway, or the frame
 * would be cropped. */
static gboolean
kms_wants_frame_sized_mode (GstDmaHeapSink * self)
{
  gint vw = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  gint vh = GST_VIDEO_INFO_HEIGHT (&self->vinfo);

  if (self->plane_can_scale
      || (self->mode.hdisplay == vw && self->mode.vdisplay == vh))
    return FALSE;

  return self->plane_fullscreen_only || self->mode_set_by_us
      || vw > self->mode.hdisplay || vh > self->mode.vdisplay;
}

/* With a test framebuffer (atomic): can the plane show the frame 1:1 in the
 * render area of the current mode? */
static gboolean
kms_test_unscaled (GstDmaHeapSink * self, guint32 test_fb)
{
  GstVideoRectangle area, src, dst;

  kms_get_area (self, &area);
  gst_kms_compute_layout (&self->vinfo, &area, FALSE, &src, &dst);
  return kms_test_layout (self, test_fb, &src, &dst);
}

/* Chooses mode, scaling and layout for the negotiated format: see the
 * element documentation for the rules. */
gboolean
gst_kms_configure_output (GstDmaHeapSink * self)
{
  const GstKmsPlaneDesc *plane = &self->planes[self->plane];
  gint vw = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  gint vh = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  gboolean can_scale, force, crtc_active, found;
  GstKmsDumb test = { 0, };
  gint idx;

  GST_OBJECT_LOCK (self);
  can_scale = self->can_scale;
  force = self->force_modesetting;
  GST_OBJECT_UNLOCK (self);

  crtc_active = self->crtc_was_on;
  if (self->modeset_pending) {
    /* A mode chosen for earlier caps that changed before their first frame
     * was shown: the CRTC still has the mode from before it (ours, or the
     * one we found), so choose again from there. */
    GST_INFO_OBJECT (self, "mode %s was never set: choosing again",
        self->mode.name);
    self->modeset_pending = FALSE;
    self->mode_set_by_us = self->committed_mode_valid;
    if (self->committed_mode_valid)
      self->mode = self->committed_mode;
  }
  if (force || !crtc_active) {
    idx = gst_kms_select_mode (self->modes, self->n_modes, vw, vh, can_scale);
    if (idx < 0 || !kms_set_mode (self, &self->modes[idx]))
      return FALSE;
  } else if (!self->mode_set_by_us) {
    self->mode = self->saved_crtc->mode;
  }

  /* Until a test commit says otherwise: primary planes must cover the CRTC
   * unscaled (as the legacy plane helpers require), overlays can do both. */
  self->plane_fullscreen_only = plane->type == DRM_PLANE_TYPE_PRIMARY;
  self->plane_can_scale = can_scale && !self->plane_fullscreen_only;

  if (!self->atomic || !gst_kms_dumb_create (self,
          GST_VIDEO_INFO_FORMAT (&self->vinfo), vw, vh, &test)) {
    /* Legacy: nothing to ask, the first frames tell (see show_frame). */
    if (kms_wants_frame_sized_mode (self))
      return kms_set_mode_of_frame_size (self, &found);
    return TRUE;
  }

  if (can_scale) {
    GstVideoRectangle area, src, dst;

    kms_get_area (self, &area);
    gst_kms_compute_layout (&self->vinfo, &area, TRUE, &src, &dst);
    self->plane_can_scale = kms_test_layout (self, test.fb_id, &src, &dst);
  }
  self->plane_fullscreen_only = !self->plane_can_scale
      && !kms_test_unscaled (self, test.fb_id);

  if (kms_wants_frame_sized_mode (self)) {
    if (!kms_set_mode_of_frame_size (self, &found)) {
      gst_kms_dumb_destroy (self, &test);
      return FALSE;
    }
    if (found)
      self->plane_fullscreen_only = !kms_test_unscaled (self, test.fb_id);
  }

  gst_kms_dumb_destroy (self, &test);
  return TRUE;
}

/* Where frames go, from the render rectangle and what the plane can do. */
void
gst_kms_update_layout (GstDmaHeapSink * self)
{
  GstVideoRectangle area;
  gboolean covers;

  kms_get_area (self, &area);
  covers = gst_kms_compute_layout (&self->vinfo, &area, self->plane_can_scale,
      &self->src, &self->dst);

  self->layout_needs_copy = self->plane_fullscreen_only
      && (!covers || !gst_kms_rect_is_fullscreen (self, &self->dst));
  self->dumbs_fullscreen = self->layout_needs_copy;

  GST_INFO_OBJECT (self, "frames %dx%d+%d+%d -> %dx%d+%d+%d on %ux%u%s%s",
      self->src.w, self->src.h, self->src.x, self->src.y, self->dst.w,
      self->dst.h, self->dst.x, self->dst.y, self->mode.hdisplay,
      self->mode.vdisplay, self->plane_can_scale ? ", scaled" : "",
      self->layout_needs_copy ?
      ", copied: the plane can neither scale nor be positioned" : "");
}

/* After the driver refused to show a frame at @src -> @dst: when it was
 * scaling or placing the plane off full screen that it refused, stops it.
 * TRUE when the layout changed, so the frame is worth another try. */
gboolean
gst_kms_learn_from_refusal (GstDmaHeapSink * self,
    const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  if (self->plane_can_scale && (src->w != dst->w || src->h != dst->h)) {
    /* What kmssink fails on: tell by trying, then stop scaling. */
    GST_INFO_OBJECT (self, "plane %u cannot scale: showing frames 1:1",
        self->planes[self->plane].id);
    self->plane_can_scale = FALSE;
    gst_kms_update_layout (self);
    return TRUE;
  }
  if (!self->plane_fullscreen_only && !gst_kms_rect_is_fullscreen (self, dst)) {
    GST_INFO_OBJECT (self, "plane %u must cover the CRTC",
        self->planes[self->plane].id);
    self->plane_fullscreen_only = TRUE;
    gst_kms_update_layout (self);
    return TRUE;
  }

  return FALSE;
}
