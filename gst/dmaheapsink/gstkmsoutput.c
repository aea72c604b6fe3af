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
#include "gstkmscommit.h"
#include "gstkmsdumb.h"

#include <xf86drmMode.h>

#include <string.h>

/* ------------------------------------------------------------------------ */
/* output configuration                                                      */
/* ------------------------------------------------------------------------ */

void
gst_kms_output_init (GstKmsOutput * out, GstElement * element)
{
  memset (out, 0, sizeof (*out));
  out->element = element;
  out->plane = -1;
  gst_video_info_init (&out->vinfo);
}

/* At stop: no plane, no mode of ours. The format stays, to tell new caps
 * from the same ones again. */
void
gst_kms_output_clear (GstKmsOutput * out, GstKmsDevice * dev)
{
  if (out->mode_blob && dev->fd >= 0)
    drmModeDestroyPropertyBlob (dev->fd, out->mode_blob);
  out->mode_blob = 0;
  out->plane = -1;
  out->mode_set_by_us = FALSE;
  out->modeset_pending = FALSE;
  out->committed_mode_valid = FALSE;
}

/* Frames of @vinfo (@fourcc) go to plane @plane of @dev. FALSE (and no
 * plane) when an atomic driver does not give the plane's properties. */
gboolean
gst_kms_output_set_format (GstKmsOutput * out, GstKmsDevice * dev,
    const GstVideoInfo * vinfo, guint32 fourcc, gint plane)
{
  out->vinfo = *vinfo;
  out->fourcc = fourcc;
  out->plane = plane;
  out->frame_width = out->crop.w = GST_VIDEO_INFO_WIDTH (vinfo);
  out->frame_height = out->crop.h = GST_VIDEO_INFO_HEIGHT (vinfo);
  out->crop.x = out->crop.y = 0;
  if (dev->atomic && !gst_kms_device_read_plane_props (dev,
          dev->planes[plane].id, &out->plane_props)) {
    out->plane = -1;
    return FALSE;
  }
  return TRUE;
}

gboolean
gst_kms_output_is_fullscreen (const GstKmsOutput * out,
    const GstVideoRectangle * r)
{
  return r->x == 0 && r->y == 0 && r->w == out->mode.hdisplay
      && r->h == out->mode.vdisplay;
}

/* A mode set by the last commit is on screen. */
void
gst_kms_output_mode_committed (GstKmsOutput * out)
{
  if (out->modeset_pending) {
    out->committed_mode = out->mode;
    out->committed_mode_valid = TRUE;
  }
  out->modeset_pending = FALSE;
}

static void
kms_get_area (GstKmsOutput * out, GstVideoRectangle * area)
{
  *area = out->area;
  if (area->w <= 0 || area->h <= 0) {
    area->x = area->y = 0;
    area->w = out->mode.hdisplay;
    area->h = out->mode.vdisplay;
  }
}

/* Whether the driver takes the plane at @src -> @dst with a frame-sized
 * framebuffer. Atomic only: legacy drivers can only be asked for real. */
static gboolean
kms_test_layout (GstKmsOutput * out, GstKmsDevice * dev,
    GstKmsCommit * commit, guint32 test_fb, const GstVideoRectangle * src,
    const GstVideoRectangle * dst)
{
  gint ret = gst_kms_commit_atomic (commit, dev, out, test_fb, src, dst,
      DRM_MODE_ATOMIC_TEST_ONLY);

  GST_DEBUG_OBJECT (out->element, "test %dx%d -> %dx%d+%d+%d%s: %s", src->w,
      src->h, dst->w, dst->h, dst->x, dst->y,
      out->modeset_pending ? " with modeset" : "",
      ret ? g_strerror (-ret) : "ok");
  return ret == 0;
}

static gboolean
kms_set_mode (GstKmsOutput * out, GstKmsDevice * dev,
    const drmModeModeInfo * mode)
{
  out->mode = *mode;
  out->modeset_pending = TRUE;
  out->mode_set_by_us = TRUE;

  if (dev->atomic) {
    if (out->mode_blob)
      drmModeDestroyPropertyBlob (dev->fd, out->mode_blob);
    out->mode_blob = 0;
    if (drmModeCreatePropertyBlob (dev->fd, mode, sizeof (*mode),
            &out->mode_blob))
      return FALSE;
  }

  GST_INFO_OBJECT (out->element, "will set mode %s (%ux%u@%u)", mode->name,
      mode->hdisplay, mode->vdisplay, mode->vrefresh);
  return TRUE;
}

/* A mode of exactly the frame's size, when the connector has one. */
static gboolean
kms_set_mode_of_frame_size (GstKmsOutput * out, GstKmsDevice * dev,
    gboolean * found)
{
  gint vw = GST_VIDEO_INFO_WIDTH (&out->vinfo);
  gint vh = GST_VIDEO_INFO_HEIGHT (&out->vinfo);
  gint idx = gst_kms_select_mode (dev->modes, dev->n_modes, vw, vh, FALSE);

  *found = idx >= 0 && dev->modes[idx].hdisplay == vw
      && dev->modes[idx].vdisplay == vh;
  if (!*found)
    return TRUE;
  return kms_set_mode (out, dev, &dev->modes[idx]);
}

/* Whether the frame should get a mode of its own size: the plane does not
 * scale, the frame is not the mode's size, and either the plane cannot show
 * it elsewhere than full screen, or the mode is ours anyway, or the frame
 * would be cropped. */
static gboolean
kms_wants_frame_sized_mode (GstKmsOutput * out)
{
  gint vw = GST_VIDEO_INFO_WIDTH (&out->vinfo);
  gint vh = GST_VIDEO_INFO_HEIGHT (&out->vinfo);

  if (out->plane_can_scale
      || (out->mode.hdisplay == vw && out->mode.vdisplay == vh))
    return FALSE;

  return out->plane_fullscreen_only || out->mode_set_by_us
      || vw > out->mode.hdisplay || vh > out->mode.vdisplay;
}

/* With a test framebuffer (atomic): can the plane show the frame 1:1 in the
 * render area of the current mode? */
static gboolean
kms_test_unscaled (GstKmsOutput * out, GstKmsDevice * dev,
    GstKmsCommit * commit, guint32 test_fb)
{
  GstVideoRectangle area, src, dst;

  kms_get_area (out, &area);
  gst_kms_compute_layout (&out->vinfo, &area, FALSE, &src, &dst);
  return kms_test_layout (out, dev, commit, test_fb, &src, &dst);
}

static gboolean
kms_configure (GstKmsOutput * out, GstKmsDevice * dev, GstKmsCommit * commit,
    const GstVideoRectangle * area, gboolean can_scale, gboolean force)
{
  const GstKmsPlaneDesc *plane = &dev->planes[out->plane];
  gint vw = GST_VIDEO_INFO_WIDTH (&out->vinfo);
  gint vh = GST_VIDEO_INFO_HEIGHT (&out->vinfo);
  gboolean crtc_active, found;
  GstKmsDumb test = { 0, };
  gint idx;

  out->area = *area;
  crtc_active = dev->crtc_was_on;
  if (out->modeset_pending) {
    /* A mode chosen for earlier caps that changed before their first frame
     * was shown: the CRTC still has the mode from before it (ours, or the
     * one we found), so choose again from there. */
    GST_INFO_OBJECT (out->element, "mode %s was never set: choosing again",
        out->mode.name);
    out->modeset_pending = FALSE;
    out->mode_set_by_us = out->committed_mode_valid;
    if (out->committed_mode_valid)
      out->mode = out->committed_mode;
  }
  if (force || !crtc_active) {
    idx = gst_kms_select_mode (dev->modes, dev->n_modes, vw, vh, can_scale);
    if (idx < 0 || !kms_set_mode (out, dev, &dev->modes[idx]))
      return FALSE;
  } else if (!out->mode_set_by_us) {
    out->mode = dev->saved_crtc->mode;
  }

  /* Until a test commit says otherwise: primary planes must cover the CRTC
   * unscaled (as the legacy plane helpers require), overlays can do both. */
  out->plane_fullscreen_only = plane->type == DRM_PLANE_TYPE_PRIMARY;
  out->plane_can_scale = can_scale && !out->plane_fullscreen_only;

  if (!dev->atomic || !gst_kms_dumb_create (dev,
          GST_VIDEO_INFO_FORMAT (&out->vinfo), vw, vh, &test)) {
    /* Legacy: nothing to ask, the first frames tell (see show_frame). */
    if (kms_wants_frame_sized_mode (out))
      return kms_set_mode_of_frame_size (out, dev, &found);
    return TRUE;
  }

  if (can_scale) {
    GstVideoRectangle area, src, dst;

    kms_get_area (out, &area);
    gst_kms_compute_layout (&out->vinfo, &area, TRUE, &src, &dst);
    out->plane_can_scale = kms_test_layout (out, dev, commit, test.fb_id,
        &src, &dst);
  }
  out->plane_fullscreen_only = !out->plane_can_scale
      && !kms_test_unscaled (out, dev, commit, test.fb_id);

  if (kms_wants_frame_sized_mode (out)) {
    if (!kms_set_mode_of_frame_size (out, dev, &found)) {
      gst_kms_dumb_destroy (dev, &test);
      return FALSE;
    }
    if (found)
      out->plane_fullscreen_only = !kms_test_unscaled (out, dev, commit,
          test.fb_id);
  }

  gst_kms_dumb_destroy (dev, &test);
  return TRUE;
}

/* Chooses mode, scaling and layout for the negotiated format, in render
 * rectangle @area (w == 0: the whole CRTC), with the can-scale and
 * force-modesetting properties; asks the driver with test-only commits of
 * @commit where it can: see the element documentation for the rules.
 * FALSE, and no plane, when no mode could be set. */
gboolean
gst_kms_output_configure (GstKmsOutput * out, GstKmsDevice * dev,
    GstKmsCommit * commit, const GstVideoRectangle * area, gboolean can_scale,
    gboolean force)
{
  if (kms_configure (out, dev, commit, area, can_scale, force))
    return TRUE;
  out->plane = -1;
  return FALSE;
}

/* The layout of the part of the frame shown (the crop), as if it were the
 * whole frame, then moved to where the crop is in the frame. */
static void
kms_layout (GstKmsOutput * out)
{
  GstVideoInfo shown = out->vinfo;
  GstVideoRectangle area;
  gboolean covers;

  kms_get_area (out, &area);
  GST_VIDEO_INFO_WIDTH (&shown) = out->crop.w;
  GST_VIDEO_INFO_HEIGHT (&shown) = out->crop.h;
  covers = gst_kms_compute_layout (&shown, &area, out->plane_can_scale,
      &out->src, &out->dst);
  out->src.x += out->crop.x;
  out->src.y += out->crop.y;

  out->layout_needs_copy = out->plane_fullscreen_only
      && (!covers || !gst_kms_output_is_fullscreen (out, &out->dst));

  GST_INFO_OBJECT (out->element,
      "frames %dx%d+%d+%d -> %dx%d+%d+%d on %ux%u%s%s", out->src.w, out->src.h,
      out->src.x, out->src.y, out->dst.w, out->dst.h, out->dst.x, out->dst.y,
      out->mode.hdisplay, out->mode.vdisplay,
      out->plane_can_scale ? ", scaled" : "",
      out->layout_needs_copy ?
      ", copied: the plane can neither scale nor be positioned" : "");
}

/* Where frames go, from render rectangle @area (w == 0: the whole CRTC)
 * and what the plane can do. */
void
gst_kms_output_update_layout (GstKmsOutput * out,
    const GstVideoRectangle * area)
{
  out->area = *area;
  kms_layout (out);
}

/* The frame of @buf and the part of it shown: the rectangle of its
 * GstVideoCropMeta, as kmssink shows it (clamped to the frame), else the
 * caps' size; the frame's size is its GstVideoMeta's (a crop upstream,
 * videocrop, leaves the frame whole and the caps at the cropped size). A new
 * layout when they are not those of the buffer before. */
void
gst_kms_output_set_buffer (GstKmsOutput * out, GstBuffer * buf)
{
  GstVideoMeta *vmeta = gst_buffer_get_video_meta (buf);
  GstVideoCropMeta *cmeta = gst_buffer_get_video_crop_meta (buf);
  gint w = vmeta ? (gint) vmeta->width : GST_VIDEO_INFO_WIDTH (&out->vinfo);
  gint h = vmeta ? (gint) vmeta->height : GST_VIDEO_INFO_HEIGHT (&out->vinfo);
  GstVideoRectangle crop = { 0, 0, MIN (w, GST_VIDEO_INFO_WIDTH (&out->vinfo)),
    MIN (h, GST_VIDEO_INFO_HEIGHT (&out->vinfo))
  };

  if (cmeta && cmeta->x < (guint) w && cmeta->y < (guint) h
      && cmeta->width > 0 && cmeta->height > 0) {
    crop.x = cmeta->x;
    crop.y = cmeta->y;
    crop.w = MIN (cmeta->width, (guint) (w - crop.x));
    crop.h = MIN (cmeta->height, (guint) (h - crop.y));
  }
  if (w == out->frame_width && h == out->frame_height && crop.x == out->crop.x
      && crop.y == out->crop.y && crop.w == out->crop.w
      && crop.h == out->crop.h)
    return;

  GST_DEBUG_OBJECT (out->element, "frames %dx%d, showing %dx%d+%d+%d of them",
      w, h, crop.w, crop.h, crop.x, crop.y);
  out->frame_width = w;
  out->frame_height = h;
  out->crop = crop;
  kms_layout (out);
}

/* After the driver refused to show a frame at @src -> @dst: when it was
 * scaling or placing the plane off full screen that it refused, stops it.
 * TRUE when the layout changed, so the frame is worth another try. */
gboolean
gst_kms_output_learn_from_refusal (GstKmsOutput * out, GstKmsDevice * dev,
    const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  if (out->plane_can_scale && (src->w != dst->w || src->h != dst->h)) {
    /* What kmssink fails on: tell by trying, then stop scaling. */
    GST_INFO_OBJECT (out->element, "plane %u cannot scale: showing frames 1:1",
        dev->planes[out->plane].id);
    out->plane_can_scale = FALSE;
    kms_layout (out);
    return TRUE;
  }
  if (!out->plane_fullscreen_only && !gst_kms_output_is_fullscreen (out, dst)) {
    GST_INFO_OBJECT (out->element, "plane %u must cover the CRTC",
        dev->planes[out->plane].id);
    out->plane_fullscreen_only = TRUE;
    kms_layout (out);
    return TRUE;
  }

  return FALSE;
}
