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

#include "gstkmsdumb.h"
#include "gstdrmformats.h"

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* ------------------------------------------------------------------------ */
/* dumb buffers, and the copies made into them                               */
/* ------------------------------------------------------------------------ */

/* Width in bytes of one line of @plane, for a frame @width pixels wide. */
static guint
plane_line_bytes (const GstVideoFormatInfo * finfo, guint plane, guint width)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (finfo, plane, comp);
  return GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0], width)
      * GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);
}

static guint
plane_lines (const GstVideoFormatInfo * finfo, guint plane, guint height)
{
  gint comp[GST_VIDEO_MAX_COMPONENTS];

  gst_video_format_info_component (finfo, plane, comp);
  return GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], height);
}

/* Fills @dumb with black, so that what a copy does not cover is black. */
static void
kms_dumb_fill_black (GstKmsDumb * dumb)
{
  const GstVideoFormatInfo *finfo = dumb->info.finfo;
  guint p, n_planes = GST_VIDEO_INFO_N_PLANES (&dumb->info);

  if (!GST_VIDEO_FORMAT_INFO_IS_YUV (finfo)) {
    memset (dumb->data, 0, dumb->size);
    return;
  }

  for (p = 0; p < n_planes; p++) {
    guint8 *line = dumb->data + GST_VIDEO_INFO_PLANE_OFFSET (&dumb->info, p);
    guint stride = GST_VIDEO_INFO_PLANE_STRIDE (&dumb->info, p);
    guint lines = plane_lines (finfo, p, dumb->height);
    guint y, x;

    for (y = 0; y < lines; y++, line += stride) {
      switch (GST_VIDEO_FORMAT_INFO_FORMAT (finfo)) {
        case GST_VIDEO_FORMAT_YUY2:
        case GST_VIDEO_FORMAT_YVYU:
          for (x = 0; x + 1 < stride; x += 2) {
            line[x] = 16;
            line[x + 1] = 128;
          }
          break;
        case GST_VIDEO_FORMAT_UYVY:
        case GST_VIDEO_FORMAT_VYUY:
          for (x = 0; x + 1 < stride; x += 2) {
            line[x] = 128;
            line[x + 1] = 16;
          }
          break;
        case GST_VIDEO_FORMAT_P010_10LE:
          for (x = 0; x + 1 < stride; x += 2)
            GST_WRITE_UINT16_LE (line + x, p == 0 ? 16 << 8 : 128 << 8);
          break;
        default:
          memset (line, p == 0 ? 16 : 128, stride);
          break;
      }
    }
  }
}

void
gst_kms_dumb_destroy (GstKmsDevice * dev, GstKmsDumb * dumb)
{
  if (dumb->data)
    munmap (dumb->data, dumb->size);
  if (dumb->fb_id)
    drmModeRmFB (dev->fd, dumb->fb_id);
  if (dumb->handle)
    drmModeDestroyDumbBuffer (dev->fd, dumb->handle);
  memset (dumb, 0, sizeof (*dumb));
}

/* Maps @dumb for the CPU: 0, or a negative errno. */
static gint
kms_dumb_map (GstKmsDevice * dev, GstKmsDumb * dumb)
{
  guint64 map_offset;
  gint ret;

  ret = drmModeMapDumbBuffer (dev->fd, dumb->handle, &map_offset);
  if (ret)
    return ret;
  dumb->data = mmap (NULL, dumb->size, PROT_READ | PROT_WRITE, MAP_SHARED,
      dev->fd, map_offset);
  if (dumb->data == MAP_FAILED) {
    dumb->data = NULL;
    return -errno;
  }

  return 0;
}

/* A mapped dumb buffer of @format, @width x @height, with its framebuffer.
 * Dumb buffers are allocated by bits per pixel and lines; planar formats get
 * as many lines of the first plane's pitch as all planes need, the other
 * planes' pitches derived from it as the DRM helpers expect. */
gboolean
gst_kms_dumb_create (GstKmsDevice * dev, GstVideoFormat format, guint width,
    guint height, GstKmsDumb * dumb)
{
  const GstVideoFormatInfo *finfo = gst_video_format_get_info (format);
  guint32 handles[4] = { 0, }, pitches[4] = { 0, }, offsets[4] = { 0, };
  guint32 fourcc = gst_drm_fourcc_from_video_format (format);
  guint line0, lines = 0, pitch, p, n_planes, offset = 0;
  guint64 mod[4] = { 0, };
  gint ret;

  memset (dumb, 0, sizeof (*dumb));
  width = GST_ROUND_UP_2 (width);
  height = GST_ROUND_UP_2 (height);
  n_planes = GST_VIDEO_FORMAT_INFO_N_PLANES (finfo);
  line0 = plane_line_bytes (finfo, 0, width);

  for (p = 0; p < n_planes; p++)
    lines += (plane_lines (finfo, p, height) * plane_line_bytes (finfo, p,
            width) + line0 - 1) / line0;

  ret = drmModeCreateDumbBuffer (dev->fd, width, lines,
      GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0) * 8, 0, &dumb->handle, &pitch,
      &dumb->size);
  if (ret)
    goto create_failed;

  gst_video_info_set_format (&dumb->info, format, width, height);
  for (p = 0; p < n_planes; p++) {
    guint stride = (guint64) pitch * plane_line_bytes (finfo, p, width)
        / line0;

    handles[p] = dumb->handle;
    pitches[p] = stride;
    offsets[p] = offset;
    GST_VIDEO_INFO_PLANE_STRIDE (&dumb->info, p) = stride;
    GST_VIDEO_INFO_PLANE_OFFSET (&dumb->info, p) = offset;
    offset += stride * plane_lines (finfo, p, height);
  }
  GST_VIDEO_INFO_SIZE (&dumb->info) = dumb->size;
  dumb->width = width;
  dumb->height = height;

  ret = drmModeAddFB2WithModifiers (dev->fd, width, height, fourcc, handles,
      pitches, offsets, mod, &dumb->fb_id, 0);
  if (ret)
    goto addfb_failed;

  ret = kms_dumb_map (dev, dumb);
  if (ret)
    goto map_failed;

  kms_dumb_fill_black (dumb);
  GST_DEBUG_OBJECT (dev->element, "dumb buffer %ux%u %s, pitch %u: fb %u",
      width, height, gst_video_format_to_string (format), pitch, dumb->fb_id);
  return TRUE;

  /* ERRORS */
create_failed:
  {
    GST_WARNING_OBJECT (dev->element,
        "could not create a %ux%u dumb buffer: %s", width, lines,
        g_strerror (-ret));
    return FALSE;
  }
addfb_failed:
  {
    GST_WARNING_OBJECT (dev->element,
        "could not add a %s framebuffer for a dumb " "buffer: %s",
        gst_video_format_to_string (format), g_strerror (-ret));
    gst_kms_dumb_destroy (dev, dumb);
    return FALSE;
  }
map_failed:
  {
    GST_WARNING_OBJECT (dev->element, "could not map a dumb buffer: %s",
        g_strerror (-ret));
    gst_kms_dumb_destroy (dev, dumb);
    return FALSE;
  }
}

void
gst_kms_copies_init (GstKmsCopies * copies, GstElement * element)
{
  memset (copies, 0, sizeof (*copies));
  copies->element = element;
}

/* Destroys the dumb buffers; the next copy warns again. */
void
gst_kms_copies_release (GstKmsCopies * copies, GstKmsDevice * dev)
{
  guint i;

  for (i = 0; i < GST_KMS_N_COPY_BUFFERS; i++)
    gst_kms_dumb_destroy (dev, &copies->dumbs[i]);
  copies->warned = FALSE;
}

static gboolean
rect_equal (const GstVideoRectangle * a, const GstVideoRectangle * b)
{
  return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

/* A dumb buffer that is neither on screen (@displayed_fb) nor about to be
 * (@pending_fb). Screen-sized when the layout needs a copy to place the
 * frame, else frame-sized. */
static GstKmsDumb *
kms_get_free_dumb (GstKmsCopies * copies, GstKmsDevice * dev,
    const GstKmsOutput * out, guint32 displayed_fb, guint32 pending_fb)
{
  GstVideoRectangle window = { 0, };
  guint width, height, i;

  if (out->layout_needs_copy) {
    width = out->mode.hdisplay;
    height = out->mode.vdisplay;
    window = out->dst;
  } else {
    width = out->frame_width;
    height = out->frame_height;
  }

  for (i = 0; i < GST_KMS_N_COPY_BUFFERS; i++) {
    GstKmsDumb *dumb = &copies->dumbs[i];

    if (dumb->fb_id && (dumb->fb_id == displayed_fb
            || dumb->fb_id == pending_fb))
      continue;

    /* A dumb of the right size can still hold an older picture outside
     * the window the frame now goes to (a frame-sized dumb is as large as
     * the screen when the mode has the frame's size): only a new one is
     * black there. */
    if (dumb->fb_id && (GST_VIDEO_INFO_FORMAT (&dumb->info)
            != GST_VIDEO_INFO_FORMAT (&out->vinfo)
            || dumb->width != GST_ROUND_UP_2 (width)
            || dumb->height != GST_ROUND_UP_2 (height)
            || !rect_equal (&dumb->window, &window)))
      gst_kms_dumb_destroy (dev, dumb);

    if (!dumb->fb_id && !gst_kms_dumb_create (dev,
            GST_VIDEO_INFO_FORMAT (&out->vinfo), width, height, dumb))
      return NULL;
    dumb->window = window;

    return dumb;
  }

  return NULL;
}

/* Copies the @src part of @buf into @dumb at (@x, @y), plane by plane and
 * line by line: only the window is written, whatever the frames' sizes
 * (gst_video_frame_copy() of narrowed frames copied whole source lines on
 * GStreamer 1.26). */
static gboolean
kms_copy_to_dumb (const GstVideoInfo * vinfo, GstBuffer * buf,
    const GstVideoRectangle * src, gint x, gint y, GstKmsDumb * dumb)
{
  const GstVideoFormatInfo *finfo = vinfo->finfo;
  GstVideoFrame sframe;
  guint p;

  if (!gst_video_frame_map (&sframe, vinfo, buf, GST_MAP_READ))
    return FALSE;

  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&sframe); p++) {
    gint comp[GST_VIDEO_MAX_COMPONENTS];
    gint sstride = GST_VIDEO_FRAME_PLANE_STRIDE (&sframe, p);
    gint dstride = GST_VIDEO_INFO_PLANE_STRIDE (&dumb->info, p);
    guint pstride, rows, bytes, r;
    const guint8 *sp;
    guint8 *dp;

    gst_video_format_info_component (finfo, p, comp);
    pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, comp[0]);
    rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], src->h);
    bytes = GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0], src->w)
        * pstride;
    sp = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&sframe, p)
        + GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], src->y) * sstride
        + GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0], src->x) * pstride;
    dp = dumb->data + GST_VIDEO_INFO_PLANE_OFFSET (&dumb->info, p)
        + GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (finfo, comp[0], y) * dstride
        + GST_VIDEO_FORMAT_INFO_SCALE_WIDTH (finfo, comp[0], x) * pstride;

    for (r = 0; r < rows; r++)
      memcpy (dp + (gsize) r * dstride, sp + (gsize) r * sstride, bytes);
  }

  gst_video_frame_unmap (&sframe);
  return TRUE;
}

/* Copies @buf into a free dumb buffer (not @displayed_fb nor @pending_fb)
 * and says which part of it to show where: the whole frame for src/dst
 * when the plane can place it, else the whole screen with the frame already
 * where it belongs. */
GstKmsDumb *
gst_kms_copies_copy_frame (GstKmsCopies * copies, GstKmsDevice * dev,
    const GstKmsOutput * out, guint32 displayed_fb, guint32 pending_fb,
    GstBuffer * buf, GstVideoRectangle * src, GstVideoRectangle * dst)
{
  GstKmsDumb *dumb = kms_get_free_dumb (copies, dev, out, displayed_fb,
      pending_fb);

  if (!dumb)
    return NULL;

  if (out->layout_needs_copy) {
    if (!kms_copy_to_dumb (&out->vinfo, buf, &out->src, out->dst.x,
            out->dst.y, dumb))
      return NULL;
    src->x = src->y = dst->x = dst->y = 0;
    src->w = dst->w = out->mode.hdisplay;
    src->h = dst->h = out->mode.vdisplay;
  } else {
    GstVideoRectangle whole = { 0, 0, out->frame_width, out->frame_height };

    if (!kms_copy_to_dumb (&out->vinfo, buf, &whole, 0, 0, dumb))
      return NULL;
    *src = out->src;
    *dst = out->dst;
  }

  return dumb;
}

static void
kms_warn_copy (GstKmsCopies * copies, const gchar * why, const gchar * fix)
{
  if (copies->warned)
    return;
  copies->warned = TRUE;

  GST_ELEMENT_WARNING (copies->element, STREAM, FAILED,
      ("Copying frames: %s", why),
      ("Every frame that cannot be shown directly costs a CPU copy (the "
          "copies field of the stats property counts them). To avoid it: %s",
          fix));
}

void
gst_kms_copies_reset_stats (GstKmsCopies * copies)
{
  GST_OBJECT_LOCK (copies->element);
  copies->count = 0;
  GST_OBJECT_UNLOCK (copies->element);
}

/* Counts a frame shown from a copy, and says why the first one was and
 * what, in that case, would avoid it (@refused: the device refused the
 * imported buffer). */
void
gst_kms_copies_count (GstKmsCopies * copies, const GstKmsOutput * out,
    gboolean refused)
{
  if (!copies->warned && out->layout_needs_copy) {
    gchar *why = g_strdup_printf ("the display plane can neither scale nor "
        "be positioned, and the %dx%d frame is not the size of a mode (the "
        "display runs %ux%u)", GST_VIDEO_INFO_WIDTH (&out->vinfo),
        GST_VIDEO_INFO_HEIGHT (&out->vinfo), out->mode.hdisplay,
        out->mode.vdisplay);

    kms_warn_copy (copies, why, "send frames of a mode's size (a videoscale "
        "or a capsfilter upstream, or a source that can), or set "
        "force-modesetting=true so the sink sets a mode of the frame's size "
        "where the display has one");
    g_free (why);
  } else if (refused) {
    kms_warn_copy (copies, "the display device refused the imported buffer",
        "let the sink choose the heap (heap=auto): the display needs "
        "memory it can scan out (contiguous memory where it has no IOMMU)");
  } else {
    kms_warn_copy (copies, "the buffers are not dma-bufs the display device "
        "can import", "make upstream allocate from the pool this sink "
        "proposes, or put dmaheapalloc before the sink");
  }
  GST_OBJECT_LOCK (copies->element);
  copies->count++;
  GST_OBJECT_UNLOCK (copies->element);
}
