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

#include "gstkmsimport.h"

#include <gst/allocators/gstdmabuf.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>
#include <string.h>

/* Framebuffers kept: more than any pool upstream cycles through (V4L2 caps
 * its queues at 32), so a steady stream never re-imports. */
#define FB_CACHE_CAPACITY 48
/* An entry unused for this many frames belonged to a pool that is gone. */
#define FB_CACHE_MAX_AGE 256

/* ------------------------------------------------------------------------ */
/* import                                                                    */
/* ------------------------------------------------------------------------ */

static void
kms_release_fb (guint32 fb_id, gpointer user_data)
{
  GstKmsDevice *dev = user_data;

  GST_DEBUG_OBJECT (dev->element, "removing framebuffer %u", fb_id);
  drmModeRmFB (dev->fd, fb_id);
}

void
gst_kms_import_init (GstKmsImport * imp, GstElement * element)
{
  memset (imp, 0, sizeof (*imp));
  imp->element = element;
}

void
gst_kms_import_reset_stats (GstKmsImport * imp)
{
  GST_OBJECT_LOCK (imp->element);
  imp->imports = imp->cache_hits = 0;
  GST_OBJECT_UNLOCK (imp->element);
}

/* Framebuffers of @dev from now on (@dev stays open until _stop()). */
void
gst_kms_import_start (GstKmsImport * imp, GstKmsDevice * dev)
{
  imp->cache = gst_kms_fb_cache_new (FB_CACHE_CAPACITY, FB_CACHE_MAX_AGE,
      kms_release_fb, dev);
}

/* Removes every framebuffer. */
void
gst_kms_import_stop (GstKmsImport * imp)
{
  g_clear_pointer (&imp->cache, gst_kms_fb_cache_free);
}

gboolean
gst_kms_import_started (GstKmsImport * imp)
{
  return imp->cache != NULL;
}

/* The stream's buffers go away for good: removes every framebuffer but
 * @keep_fb (on screen). */
void
gst_kms_import_drain (GstKmsImport * imp, guint32 keep_fb)
{
  if (imp->cache)
    gst_kms_fb_cache_clear_except (imp->cache, keep_fb);
}

/* Describes the dma-bufs of @buf. FALSE when a plane is not in a dma-buf. */
static gboolean
kms_buffer_layout (GstKmsImport * imp, const GstKmsOutput * out,
    GstBuffer * buf, GstKmsFbLayout * layout, gint fds[4])
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  guint p, n_planes = GST_VIDEO_INFO_N_PLANES (&out->vinfo);

  memset (layout, 0, sizeof (*layout));
  layout->fourcc = out->fourcc;
  layout->width = out->frame_width;
  layout->height = out->frame_height;
  layout->modifier = DRM_FORMAT_MOD_LINEAR;
  layout->n_planes = n_planes;

  for (p = 0; p < n_planes; p++) {
    gsize offset = meta ? meta->offset[p] :
        GST_VIDEO_INFO_PLANE_OFFSET (&out->vinfo, p);
    gint stride = meta ? meta->stride[p] :
        GST_VIDEO_INFO_PLANE_STRIDE (&out->vinfo, p);
    guint idx, len;
    gsize skip;
    GstMemory *mem;

    if (!gst_buffer_find_memory (buf, offset, 1, &idx, &len, &skip))
      return FALSE;
    mem = gst_buffer_peek_memory (buf, idx);
    if (!gst_is_dmabuf_memory (mem))
      return FALSE;

    fds[p] = gst_dmabuf_memory_get_fd (mem);
    if (!gst_kms_buffer_id_from_fd (fds[p], &layout->planes[p])) {
      GST_WARNING_OBJECT (imp->element,
          "dma-buf fd %d of plane %u is not open (%s):"
          " has upstream closed it?", fds[p], p, g_strerror (errno));
      return FALSE;
    }
    layout->pitches[p] = stride;
    layout->offsets[p] = mem->offset + skip;
  }

  return TRUE;
}

static guint32
kms_import (GstKmsImport * imp, GstKmsDevice * dev,
    const GstKmsFbLayout * layout, const gint fds[4])
{
  guint32 handles[4] = { 0, }, fb_id = 0;
  guint64 mods[4] = { 0, };
  guint p, q;
  gint ret = 0;

  for (p = 0; p < layout->n_planes && ret == 0; p++) {
    ret = drmPrimeFDToHandle (dev->fd, fds[p], &handles[p]);
    mods[p] = layout->modifier;
  }

  if (ret == 0) {
    if (dev->addfb2_modifiers)
      ret = drmModeAddFB2WithModifiers (dev->fd, layout->width,
          layout->height, layout->fourcc, handles, layout->pitches,
          layout->offsets, mods, &fb_id, DRM_MODE_FB_MODIFIERS);
    else
      ret = drmModeAddFB2 (dev->fd, layout->width, layout->height,
          layout->fourcc, handles, layout->pitches, layout->offsets, &fb_id, 0);
    if (ret)
      GST_DEBUG_OBJECT (imp->element, "AddFB2 failed: %s", g_strerror (errno));
  } else {
    GST_DEBUG_OBJECT (imp->element, "PRIME import of fd %d failed: %s",
        fds[p - 1], g_strerror (errno));
  }

  /* The framebuffer holds the GEM objects; our handles can go. Planes of one
   * dma-buf share a handle: close each once. */
  for (p = 0; p < layout->n_planes; p++) {
    gboolean seen = FALSE;

    for (q = 0; q < p; q++)
      seen |= handles[q] == handles[p];
    if (handles[p] && !seen)
      drmCloseBufferHandle (dev->fd, handles[p]);
  }

  return ret ? 0 : fb_id;
}

/* The framebuffer showing @buf (of @out's format) without a copy, or 0. */
guint32
gst_kms_import_fb_for_buffer (GstKmsImport * imp, GstKmsDevice * dev,
    const GstKmsOutput * out, GstBuffer * buf)
{
  GstKmsFbLayout layout;
  gint fds[4];
  guint32 fb_id;

  if (!dev->prime_import || out->layout_needs_copy)
    return 0;
  if (!kms_buffer_layout (imp, out, buf, &layout, fds))
    return 0;

  fb_id = gst_kms_fb_cache_lookup (imp->cache, &layout);
  if (fb_id) {
    GST_OBJECT_LOCK (imp->element);
    imp->cache_hits++;
    GST_OBJECT_UNLOCK (imp->element);
    GST_LOG_OBJECT (imp->element,
        "cached framebuffer %u for dma-buf %" G_GUINT64_FORMAT, fb_id,
        layout.planes[0].ino);
    return fb_id;
  }

  fb_id = kms_import (imp, dev, &layout, fds);
  if (!fb_id)
    return 0;

  gst_kms_fb_cache_insert (imp->cache, &layout, fb_id);
  GST_OBJECT_LOCK (imp->element);
  imp->imports++;
  GST_OBJECT_UNLOCK (imp->element);
  GST_DEBUG_OBJECT (imp->element, "imported dma-buf %" G_GUINT64_FORMAT
      " as framebuffer %u", layout.planes[0].ino, fb_id);
  return fb_id;
}
