/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The choices dmaheapsink makes from what a DRM device describes: which
 * CRTC drives a connector, which plane shows a format, which mode to set,
 * where the frame goes. No DRM calls here, so tests can describe a device
 * and check the choice. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmsselect.h"

#include <drm_fourcc.h>

/**
 * gst_kms_select_crtc:
 * @possible_crtcs: the CRTCs the connector's encoders can use (bit i = the
 *   i-th CRTC of the resources)
 * @busy_crtcs: the CRTCs enabled (a mode set), driving other connectors
 * @n_crtcs: number of CRTCs
 *
 * For a connector no CRTC drives now: the first CRTC it can use that is
 * free, so another display keeps its own; failing that, the first it can
 * use at all (taking it over, as a mode set on that connector would).
 *
 * Returns: the CRTC's index, or -1 when the connector can use none.
 */
gint
gst_kms_select_crtc (guint32 possible_crtcs, guint32 busy_crtcs, guint n_crtcs)
{
  gint first = -1;
  guint i;

  for (i = 0; i < n_crtcs && i < 32; i++) {
    if (!(possible_crtcs & (1u << i)))
      continue;
    if (!(busy_crtcs & (1u << i)))
      return i;
    if (first < 0)
      first = i;
  }

  return first;
}

/**
 * gst_kms_plane_supports:
 * @plane: a plane
 * @fourcc: DRM format
 * @modifier: the buffers' modifier, or DRM_FORMAT_MOD_INVALID when unknown
 *
 * A plane without IN_FORMATS takes linear buffers of the formats it lists;
 * with IN_FORMATS, the (format, modifier) pair must be listed.
 */
gboolean
gst_kms_plane_supports (const GstKmsPlaneDesc * plane, guint32 fourcc,
    guint64 modifier)
{
  gboolean has_format = FALSE;
  guint i;

  for (i = 0; i < plane->n_formats; i++) {
    if (plane->formats[i] == fourcc) {
      has_format = TRUE;
      break;
    }
  }
  if (!has_format)
    return FALSE;

  if (modifier == DRM_FORMAT_MOD_INVALID || plane->n_mods == 0)
    return modifier == DRM_FORMAT_MOD_INVALID
        || modifier == DRM_FORMAT_MOD_LINEAR;

  for (i = 0; i < plane->n_mods; i++) {
    if (plane->mod_formats[i] == fourcc && plane->mod_modifiers[i] == modifier)
      return TRUE;
  }

  return FALSE;
}

static gint
plane_type_rank (guint type, gboolean prefer_primary)
{
  switch (type) {
    case DRM_PLANE_TYPE_PRIMARY:
      return prefer_primary ? 0 : 1;
    case DRM_PLANE_TYPE_OVERLAY:
      return prefer_primary ? 1 : 0;
    default:
      /* Cursor planes are tiny on most hardware: last resort. */
      return 2;
  }
}

/**
 * gst_kms_select_plane:
 * @planes: the device's planes
 * @n_planes: number of @planes
 * @crtc_index: index of the CRTC in the device's resources
 * @fourcc: DRM format of the frames
 * @modifier: their modifier, or DRM_FORMAT_MOD_INVALID
 * @prefer_primary: %TRUE when the sink owns the whole CRTC (it sets the
 *     mode), so the primary plane is the natural one; otherwise an overlay
 *     leaves the primary plane to whoever set it up.
 *
 * Unlike kmssink, which takes the first plane that fits the CRTC whatever its
 * formats, only planes that scan out @fourcc with @modifier qualify.
 *
 * Returns: the index in @planes, or -1 when no plane of the CRTC can show
 * the format.
 */
gint
gst_kms_select_plane (const GstKmsPlaneDesc * planes, guint n_planes,
    guint crtc_index, guint32 fourcc, guint64 modifier, gboolean prefer_primary)
{
  gint best = -1, best_rank = G_MAXINT;
  guint i;

  for (i = 0; i < n_planes; i++) {
    gint rank;

    if (!(planes[i].possible_crtcs & (1u << crtc_index)))
      continue;
    if (!gst_kms_plane_supports (&planes[i], fourcc, modifier))
      continue;

    rank = plane_type_rank (planes[i].type, prefer_primary);
    if (rank < best_rank) {
      best = i;
      best_rank = rank;
    }
  }

  return best;
}

/**
 * gst_kms_select_mode:
 * @modes: the connector's modes
 * @n_modes: number of @modes
 * @video_width: width of the frames
 * @video_height: height of the frames
 * @can_scale: whether the plane can scale the frames to any mode
 *
 * With a scaling plane, the connector's preferred mode (the first when none
 * is marked). Without one, a mode of exactly the video size, so the frame
 * fills the screen without a copy; failing that, the smallest mode the frame
 * fits in; failing that, the preferred mode.
 *
 * Returns: an index in @modes, or -1 when @n_modes is 0.
 */
gint
gst_kms_select_mode (const drmModeModeInfo * modes, guint n_modes,
    gint video_width, gint video_height, gboolean can_scale)
{
  gint preferred = -1, exact = -1, fits = -1;
  guint i;

  if (n_modes == 0)
    return -1;

  for (i = 0; i < n_modes; i++) {
    const drmModeModeInfo *m = &modes[i];

    if (preferred < 0 && (m->type & DRM_MODE_TYPE_PREFERRED))
      preferred = i;

    if (m->hdisplay == video_width && m->vdisplay == video_height) {
      /* Among modes of the same size, the preferred one, else the highest
       * refresh rate. */
      if (exact < 0 || (m->type & DRM_MODE_TYPE_PREFERRED)
          || (!(modes[exact].type & DRM_MODE_TYPE_PREFERRED)
              && m->vrefresh > modes[exact].vrefresh))
        exact = i;
    } else if (m->hdisplay >= video_width && m->vdisplay >= video_height) {
      guint64 area = (guint64) m->hdisplay * m->vdisplay;

      if (fits < 0 || area < (guint64) modes[fits].hdisplay *
          modes[fits].vdisplay)
        fits = i;
    }
  }

  if (preferred < 0)
    preferred = 0;

  if (can_scale)
    return preferred;
  if (exact >= 0)
    return exact;
  if (fits >= 0)
    return fits;
  return preferred;
}

/**
 * gst_kms_compute_layout:
 * @vinfo: the frames
 * @area: where the frames may go on the CRTC (the render rectangle)
 * @can_scale: whether the plane scales
 * @src: (out): the part of the frame to show
 * @dst: (out): where it goes on the CRTC
 *
 * Scaling planes fill @area keeping the display aspect ratio (pixel aspect
 * ratio included). Others show the frame 1:1, centred in @area, cropped to
 * its centre when it is larger; subsampled formats are cropped at even
 * offsets.
 *
 * Returns: %TRUE when @dst covers @area exactly (a plane that cannot be
 * positioned can show the frame without a copy).
 */
gboolean
gst_kms_compute_layout (const GstVideoInfo * vinfo,
    const GstVideoRectangle * area, gboolean can_scale,
    GstVideoRectangle * src, GstVideoRectangle * dst)
{
  GstVideoRectangle video = { 0, 0, 0, 0 };
  gint w = GST_VIDEO_INFO_WIDTH (vinfo), h = GST_VIDEO_INFO_HEIGHT (vinfo);

  if (can_scale) {
    gint par_n = GST_VIDEO_INFO_PAR_N (vinfo), par_d = GST_VIDEO_INFO_PAR_D
        (vinfo);

    src->x = src->y = 0;
    src->w = w;
    src->h = h;

    video.w = par_n > 0 && par_d > 0 ?
        (gint) gst_util_uint64_scale_int (w, par_n, par_d) : w;
    video.h = h;
    gst_video_center_rect (&video, area, dst, TRUE);
  } else {
    gint show_w = MIN (w, area->w), show_h = MIN (h, area->h);
    gboolean subsampled = GST_VIDEO_INFO_N_PLANES (vinfo) > 1
        || GST_VIDEO_FORMAT_INFO_IS_YUV (vinfo->finfo);

    src->x = (w - show_w) / 2;
    src->y = (h - show_h) / 2;
    dst->x = area->x + (area->w - show_w) / 2;
    dst->y = area->y + (area->h - show_h) / 2;
    /* Chroma planes start at even luma offsets; the CRTC does not care. */
    if (subsampled) {
      src->x &= ~1;
      src->y &= ~1;
    }
    src->w = dst->w = show_w;
    src->h = dst->h = show_h;
  }

  return dst->x == area->x && dst->y == area->y && dst->w == area->w
      && dst->h == area->h;
}
