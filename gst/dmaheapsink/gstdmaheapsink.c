/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-dmaheapsink
 * @title: dmaheapsink
 *
 * dmaheapsink shows video frames on a display through DRM/KMS without
 * copying them: it proposes a pool of dma-buf heap buffers upstream (see
 * dmaheapalloc), imports each dma-buf into the display device once, and scans
 * it out directly. Buffers that cannot be imported are copied into dumb
 * buffers, with a warning the first time; the `stats` property counts both.
 *
 * The sink finds a DRM device with a connected connector by itself, picks a
 * plane that scans out the negotiated format, and sets a mode when the CRTC
 * is off, when asked to (`force-modesetting`), or when the plane can neither
 * scale nor be positioned and the frame is not the size of the current mode
 * (then a mode of the frame's size is chosen if the connector has one). It
 * needs to be DRM master: stop any display server first.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! dmaheapsink
 * ]| Shows the test pattern on the first connected display.
 * |[
 * gst-launch-1.0 v4l2src io-mode=dmabuf-import ! video/x-raw,format=BGRx ! dmaheapsink
 * ]| The camera writes into heap buffers that the display scans out: no
 * copies.
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,width=640,height=480 ! dmaheapsink device=/dev/dri/card0 connector-id=36 force-modesetting=true
 * ]| Sets a mode of the connector 36 (the preferred one, or 640x480 when the
 * plane cannot scale).
 * |[
 * gst-launch-1.0 videotestsrc ! dmaheapsink render-rectangle="<100,100,320,240>" skip-vsync=true
 * ]| Shows the frames in a rectangle of the screen, dropping those that come
 * while a flip is still pending instead of waiting for it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapsinkpriv.h"
#include "gstdmaheapsinkelements.h"
#include "gstdrmformats.h"
#include "gstkmscommit.h"
#include "gstkmsdevice.h"
#include "gstkmsdumb.h"
#include "gstkmsimport.h"
#include "gstkmsoutput.h"

#include <gst/video/videooverlay.h>

#include <gst/dmaheap/dmaheap.h>

#include <xf86drmMode.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY (gst_dma_heap_sink_debug);

#define DEFAULT_CONNECTOR_ID -1
#define DEFAULT_PLANE_ID -1
#define DEFAULT_FORCE_MODESETTING FALSE
#define DEFAULT_CAN_SCALE TRUE
#define DEFAULT_SKIP_VSYNC FALSE
#define DEFAULT_ATOMIC TRUE
#define DEFAULT_HEAP "auto"

/* Framebuffers kept: more than any pool upstream cycles through (V4L2 caps
 * its queues at 32), so a steady stream never re-imports. */
#define FB_CACHE_CAPACITY 48
/* An entry unused for this many frames belonged to a pool that is gone. */
#define FB_CACHE_MAX_AGE 256

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_DRIVER_NAME,
  PROP_BUS_ID,
  PROP_CONNECTOR_ID,
  PROP_PLANE_ID,
  PROP_FORCE_MODESETTING,
  PROP_CAN_SCALE,
  PROP_SKIP_VSYNC,
  PROP_ATOMIC,
  PROP_HEAP,
  PROP_DISPLAY_WIDTH,
  PROP_DISPLAY_HEIGHT,
  N_PROPS,
  /* GstBaseSink's, overridden */
  PROP_STATS = N_PROPS,
  /* then GstVideoOverlay's */
};

static GParamSpec *properties[N_PROPS];

static void gst_dma_heap_sink_video_overlay_init (GstVideoOverlayInterface *
    iface);

#define gst_dma_heap_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstDmaHeapSink, gst_dma_heap_sink,
    GST_TYPE_VIDEO_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_VIDEO_OVERLAY,
        gst_dma_heap_sink_video_overlay_init);
    GST_DEBUG_CATEGORY_INIT (gst_dma_heap_sink_debug, "dmaheapsink", 0,
        "dma-buf heap KMS display sink"));
GST_ELEMENT_REGISTER_DEFINE (dmaheapsink, "dmaheapsink", GST_RANK_NONE,
    GST_TYPE_DMA_HEAP_SINK);

static GstFlowReturn gst_dma_heap_sink_show_frame (GstVideoSink * vsink,
    GstBuffer * buf);

/* ------------------------------------------------------------------------ */
/* GstBaseSink / GstVideoSink                                                */
/* ------------------------------------------------------------------------ */

/* Shows @buf: without a copy when the display device can scan it out, else
 * from a copy in a dumb buffer. */
static GstFlowReturn
gst_dma_heap_sink_render (GstDmaHeapSink * self, GstBuffer * buf,
    gboolean skip_vsync)
{
  GstVideoRectangle src, dst;
  GstKmsDumb *dumb = NULL;
  guint32 fb_id, fb_w, fb_h;
  gboolean refused = FALSE;
  gint ret;

retry:
  dumb = NULL;
  src = self->src;
  dst = self->dst;
  fb_w = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  fb_h = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  fb_id = refused ? 0 : gst_kms_fb_for_buffer (self, buf);

  if (!fb_id) {
    dumb = gst_kms_copy_frame (self, buf, &src, &dst);
    if (!dumb)
      goto copy_failed;
    fb_id = dumb->fb_id;
    fb_w = dumb->width;
    fb_h = dumb->height;
  }

  ret = gst_kms_show_fb (self, dumb ? NULL : buf, fb_id, fb_w, fb_h, &src, &dst,
      skip_vsync);
  /* Legacy drivers cannot be asked beforehand, and a new render rectangle
   * is not tested: learn from the refusal and show the frame another way. */
  if (ret == -EINVAL || ret == -ERANGE) {
    if (gst_kms_learn_from_refusal (self, &src, &dst))
      goto retry;
    if (!dumb) {
      /* The driver takes the layout but not this framebuffer (pitch or
       * offset limits): a dumb buffer of its own making will do. */
      GST_INFO_OBJECT (self, "imported framebuffer %u refused: copying", fb_id);
      refused = TRUE;
      goto retry;
    }
  }
  if (ret == -ECANCELED)
    return GST_FLOW_FLUSHING;
  if (ret)
    goto commit_failed;

  /* A copied frame goes back upstream now, but the preroll frame comes
   * back to be rendered: it is known then by being kept till then. */
  if (dumb && self->prerolling)
    gst_buffer_replace (&self->preroll_copy, buf);
  if (dumb)
    gst_kms_count_copy (self, refused);

  return GST_FLOW_OK;

  /* ERRORS */
copy_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not copy a %s frame that %s cannot show directly",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&self->vinfo)),
            self->devpath), ("no dumb buffer, or the frame cannot be mapped"));
    return GST_FLOW_ERROR;
  }
commit_failed:
  {
    if (!gst_kms_connector_connected (self)) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Connector %u of %s was disconnected", self->conn_id,
              self->devpath), (NULL));
    } else {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not show a frame on %s (plane %u, CRTC %u)", self->devpath,
              self->planes[self->plane].id, self->crtc_id),
          ("%s commit: %s (%d)", self->atomic ? "atomic" : "legacy",
              g_strerror (-ret), -ret));
    }
    return GST_FLOW_ERROR;
  }
}

static GstFlowReturn
gst_dma_heap_sink_show_frame (GstVideoSink * vsink, GstBuffer * buf)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (vsink);
  GstFlowReturn flow;
  gboolean skip_vsync, layout_dirty, copied_at_preroll;

  if (G_UNLIKELY (self->plane < 0))
    return GST_FLOW_NOT_NEGOTIATED;

  /* after preroll the frame copied then is kept only till it is rendered */
  copied_at_preroll = buf == self->preroll_copy;
  if (!self->prerolling)
    gst_buffer_replace (&self->preroll_copy, NULL);

  GST_OBJECT_LOCK (self);
  skip_vsync = self->skip_vsync;
  layout_dirty = self->layout_dirty;
  GST_OBJECT_UNLOCK (self);

  if (layout_dirty)
    gst_kms_update_layout (self);

  if (self->flip_pending) {
    flow = gst_kms_wait_flip (self, !skip_vsync);
    if (flow != GST_FLOW_OK)
      return flow;
    /* a late flip: the commit waits for the kernel instead */
    if (self->flip_pending && (skip_vsync || !self->flip_late)) {
      GST_LOG_OBJECT (self, "flip pending, dropping %" GST_PTR_FORMAT, buf);
      GST_OBJECT_LOCK (self);
      self->drops++;
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_OK;
    }
  }

  /* The preroll frame comes back when playing starts: it is on screen,
   * imported (the displayed buffer, or the pending one when its flip is
   * late) or copied (kept till this render). */
  if ((buf == self->displayed || buf == self->pending || copied_at_preroll)
      && !layout_dirty) {
    GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT " is already on screen", buf);
    return GST_FLOW_OK;
  }

  return gst_dma_heap_sink_render (self, buf, skip_vsync);
}

/* GstVideoSink shows the preroll frame through show_frame() too: tell it
 * from a render. */
static GstFlowReturn
gst_dma_heap_sink_preroll (GstBaseSink * bsink, GstBuffer * buf)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstFlowReturn flow;

  self->prerolling = TRUE;
  flow = GST_BASE_SINK_CLASS (parent_class)->preroll (bsink, buf);
  self->prerolling = FALSE;

  return flow;
}

/* Counters start again with each run, as dmaheapalloc's do. */
static void
reset_stats (GstDmaHeapSink * self)
{
  GST_OBJECT_LOCK (self);
  self->frames_shown = self->imports = self->cache_hits = 0;
  self->copies = self->drops = 0;
  g_clear_pointer (&self->pool_heap, g_free);
  GST_OBJECT_UNLOCK (self);
}

/* A heap asked for by name must exist: silently proposing another one
 * would copy every frame. */
static gboolean
check_heap (GstDmaHeapSink * self)
{
  GstDmaHeapInfo *info;
  GError *err = NULL;
  gchar *heap;

  GST_OBJECT_LOCK (self);
  heap = g_strdup (self->heap);
  GST_OBJECT_UNLOCK (self);
  if (!heap || g_str_equal (heap, "auto")) {
    g_free (heap);
    return TRUE;
  }
  info = gst_dma_heap_info_query (heap, &err);
  if (!info)
    goto no_heap;
  gst_dma_heap_info_free (info);
  g_free (heap);
  return TRUE;

  /* ERRORS */
no_heap:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Cannot use heap=%s: %s", heap, err->message),
        ("set heap to one of the heaps listed, or to auto (the display's "
            "own choice)"));
    g_clear_error (&err);
    g_free (heap);
    return FALSE;
  }
}

static gboolean
gst_dma_heap_sink_start (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  gchar *device;
  gint connector_id, plane_id;
  gboolean use_atomic;

  if (!check_heap (self))
    return FALSE;
  reset_stats (self);
  GST_OBJECT_LOCK (self);
  self->negotiation_warned = FALSE;
  gst_clear_caps (&self->refused_caps);
  device = g_strdup (self->device);
  connector_id = self->connector_id;
  plane_id = self->plane_id;
  use_atomic = self->use_atomic;
  GST_OBJECT_UNLOCK (self);

  if (!gst_kms_device_open (self, device, connector_id)
      || !gst_kms_device_setup (self, use_atomic)
      || !gst_kms_device_find_output (self, connector_id, plane_id))
    goto fail;

  self->cache = gst_kms_fb_cache_new (FB_CACHE_CAPACITY, FB_CACHE_MAX_AGE,
      gst_kms_release_fb, self);
  self->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&self->pollfd);
  self->pollfd.fd = self->fd;
  gst_poll_add_fd (self->poll, &self->pollfd);
  gst_poll_fd_ctl_read (self->poll, &self->pollfd, TRUE);

  GST_INFO_OBJECT (self, "%s: connector %u, CRTC %u (%s), %s API, PRIME "
      "import %s, caps %" GST_PTR_FORMAT, self->devpath, self->conn_id,
      self->crtc_id, self->crtc_was_on ? self->saved_crtc->mode.name : "off",
      self->atomic ? "atomic" : "legacy",
      self->prime_import ? "yes" : "no", self->allowed_caps);

  return TRUE;

  /* ERRORS */
fail:
  {
    /* stop() is not called after a failed start() */
    GST_BASE_SINK_GET_CLASS (self)->stop (bsink);
    return FALSE;
  }
}

static gboolean
gst_dma_heap_sink_stop (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  if (self->fd >= 0) {
    if (self->poll) {
      gst_poll_set_flushing (self->poll, FALSE);
      gst_kms_finish_flip (self);
    }
    gst_kms_restore_display (self);
  }

  gst_buffer_replace (&self->displayed, NULL);
  gst_buffer_replace (&self->pending, NULL);
  gst_buffer_replace (&self->preroll_copy, NULL);
  self->displayed_fb = self->pending_fb = 0;
  self->flip_pending = self->flip_late = FALSE;

  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  g_clear_pointer (&self->pool_heap, g_free);

  if (self->fd >= 0) {
    g_clear_pointer (&self->cache, gst_kms_fb_cache_free);
    gst_kms_release_dumbs (self);
    gst_kms_dumb_destroy (self, &self->background);
    if (self->mode_blob)
      drmModeDestroyPropertyBlob (self->fd, self->mode_blob);
    self->mode_blob = 0;
    close (self->fd);
    self->fd = -1;
  }

  if (self->poll) {
    gst_poll_free (self->poll);
    self->poll = NULL;
  }
  gst_kms_device_free_output (self);
  g_clear_pointer (&self->devpath, g_free);
  self->mode_set_by_us = FALSE;
  self->modeset_pending = FALSE;
  self->committed_mode_valid = FALSE;
  self->copy_warned = FALSE;

  return TRUE;
}

static gboolean
gst_dma_heap_sink_unlock (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  if (self->poll)
    gst_poll_set_flushing (self->poll, TRUE);
  return TRUE;
}

static gboolean
gst_dma_heap_sink_unlock_stop (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  if (self->poll)
    gst_poll_set_flushing (self->poll, FALSE);
  return TRUE;
}

/* "format" (or "drm-format"), "width" and "height" of @caps' first
 * structure, as GStreamer writes them: "I420 640x480",
 * "{ BGRx, RGB16 } [ 1, 1920 ]x[ 1, 1080 ]" */
static gchar *
describe_video_caps (GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *fields[] = { "format", "width", "height" };
  gchar *v[3];
  gchar *str;
  guint i;

#if GST_CHECK_VERSION(1, 24, 0)
  if (gst_video_is_dma_drm_caps (caps) && gst_structure_has_field (s,
          "drm-format"))
    fields[0] = "drm-format";
#endif
  for (i = 0; i < G_N_ELEMENTS (fields); i++) {
    const GValue *value = gst_structure_get_value (s, fields[i]);
    gchar **parts;

    v[i] = value ? gst_value_serialize (value) : g_strdup ("any");
    /* "{ (string)BGRx, (string)RGB16 }" reads as "{ BGRx, RGB16 }" */
    parts = g_strsplit (v[i], "(string)", -1);
    g_free (v[i]);
    v[i] = g_strjoinv ("", parts);
    g_strfreev (parts);
  }
  str = g_strdup_printf ("%s %sx%s", v[0], v[1], v[2]);
  for (i = 0; i < G_N_ELEMENTS (v); i++)
    g_free (v[i]);
  return str;
}

/* Upstream settled on raw video the display cannot show at all: say which,
 * and what it can show, once per stream. A warning: upstream posts the
 * not-negotiated error. Called where the stream commits to caps (a CAPS
 * event the sink refuses, or the end of a stream that never got caps after
 * asking for such), never from a caps query: queries have no side effects,
 * and autopluggers probe sinks with caps they may not use. */
static void
warn_unshowable (GstDmaHeapSink * self, GstCaps * filter, GstCaps * caps)
{
  gchar *asked, *can;

  if (gst_caps_is_empty (filter) || gst_caps_is_any (filter)
      || !gst_structure_has_name (gst_caps_get_structure (filter, 0),
          "video/x-raw") || gst_caps_is_empty (caps))
    return;
  GST_OBJECT_LOCK (self);
  if (self->negotiation_warned) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  self->negotiation_warned = TRUE;
  GST_OBJECT_UNLOCK (self);

  asked = describe_video_caps (filter);
  can = describe_video_caps (caps);
  GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
      ("The display cannot show %s: the planes of %s for CRTC %u take %s. "
          "Put videoconvert (and videoscale) before dmaheapsink, or ask the "
          "source for one of those formats and sizes.", asked, self->devpath,
          self->crtc_id, can), ("asked %" GST_PTR_FORMAT ", can show %"
          GST_PTR_FORMAT, filter, caps));
  g_free (asked);
  g_free (can);
}

/* Warns when @asked (or, when NULL, the caps a query last found nothing
 * for) cannot be shown. */
static void
warn_if_unshowable (GstDmaHeapSink * self, GstCaps * asked)
{
  GstCaps *allowed, *refused;

  GST_OBJECT_LOCK (self);
  allowed = self->allowed_caps ? gst_caps_ref (self->allowed_caps) : NULL;
  refused = self->refused_caps ? gst_caps_ref (self->refused_caps) : NULL;
  GST_OBJECT_UNLOCK (self);

  if (!asked)
    asked = refused;
  if (allowed && asked && !gst_caps_can_intersect (asked, allowed))
    warn_unshowable (self, asked, allowed);
  gst_clear_caps (&allowed);
  gst_clear_caps (&refused);
}

/* A CAPS event the sink cannot show is refused before the sink's event
 * handler sees it (its pad asks ACCEPT_CAPS first): a probe sees it come. */
static GstPadProbeReturn
caps_event_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    gst_event_parse_caps (event, &caps);
    warn_if_unshowable (GST_DMA_HEAP_SINK (user_data), caps);
  }

  return GST_PAD_PROBE_OK;
}

static GstCaps *
gst_dma_heap_sink_get_caps (GstBaseSink * bsink, GstCaps * filter)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstCaps *caps;
  gboolean device;

  GST_OBJECT_LOCK (self);
  caps = self->allowed_caps ? gst_caps_ref (self->allowed_caps) : NULL;
  GST_OBJECT_UNLOCK (self);
  device = caps != NULL;
  if (!caps)
    caps = gst_pad_get_pad_template_caps (GST_BASE_SINK_PAD (bsink));

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);

    /* only noted (for the end of a stream that never gets caps): a query
     * posts nothing */
    if (device && gst_caps_is_empty (tmp)) {
      GST_INFO_OBJECT (self, "cannot show %" GST_PTR_FORMAT, filter);
      GST_OBJECT_LOCK (self);
      gst_caps_replace (&self->refused_caps, filter);
      GST_OBJECT_UNLOCK (self);
    }
    gst_caps_unref (caps);
    caps = tmp;
  }

  return caps;
}

static gboolean
gst_dma_heap_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstVideoInfo vinfo;
  guint32 fourcc;
  gint plane;
  GError *err = NULL;

  if (!gst_dma_heap_video_info_from_caps (&vinfo, caps, &err))
    goto invalid_caps;

  fourcc = gst_drm_fourcc_from_video_format (GST_VIDEO_INFO_FORMAT (&vinfo));
  if (!fourcc)
    goto unknown_format;

  plane = gst_kms_choose_plane (self, &vinfo, fourcc);
  if (plane < 0)
    return FALSE;

  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->refused_caps);
  GST_OBJECT_UNLOCK (self);

  /* Frames of the old format must leave the screen before it changes. */
  gst_kms_finish_flip (self);
  /* And their buffers go back upstream now, not when the framebuffer cache
   * ages them out: on a bounded heap (a carveout, CMA) the new pool needs
   * their memory. */
  if (self->cache && !gst_video_info_is_equal (&vinfo, &self->vinfo))
    gst_kms_drain (self);

  self->vinfo = vinfo;
  self->fourcc = fourcc;
  gst_kms_move_to_plane (self, plane);
  self->plane = plane;
  if (self->atomic && !gst_kms_find_plane_props (self, self->planes[plane].id))
    goto no_plane_props;
  if (!gst_kms_configure_output (self))
    goto mode_failed;
  gst_kms_update_layout (self);

  GST_INFO_OBJECT (self, "%s %dx%d on plane %u", gst_video_format_to_string
      (GST_VIDEO_INFO_FORMAT (&vinfo)), GST_VIDEO_INFO_WIDTH (&vinfo),
      GST_VIDEO_INFO_HEIGHT (&vinfo), self->planes[plane].id);

  GST_OBJECT_LOCK (self);
  GST_VIDEO_SINK_WIDTH (self) = GST_VIDEO_INFO_WIDTH (&vinfo);
  GST_VIDEO_SINK_HEIGHT (self) = GST_VIDEO_INFO_HEIGHT (&vinfo);
  GST_OBJECT_UNLOCK (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_WIDTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_HEIGHT]);

  return TRUE;

  /* ERRORS */
invalid_caps:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("%s", err->message),
        ("caps %" GST_PTR_FORMAT, caps));
    g_error_free (err);
    return FALSE;
  }
unknown_format:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Format %s has no DRM equivalent", gst_video_format_to_string
            (GST_VIDEO_INFO_FORMAT (&vinfo))), (NULL));
    return FALSE;
  }
no_plane_props:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Plane %u of %s lacks atomic properties", self->planes[plane].id,
            self->devpath), (NULL));
    self->plane = -1;
    return FALSE;
  }
mode_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not choose a mode of connector %u on %s for %dx%d",
            self->conn_id, self->devpath, GST_VIDEO_INFO_WIDTH (&vinfo),
            GST_VIDEO_INFO_HEIGHT (&vinfo)), (NULL));
    self->plane = -1;
    return FALSE;
  }
}

/* The heap for the pool: the library's one policy with the heap property
 * and the display device (the kernel's hint, contiguous memory without an
 * IOMMU, if it holds enough frames), else the default. */
static gchar *
choose_heap (GstDmaHeapSink * self, gsize frame_size)
{
  GstDmaHeapChoiceRequest req = {.device = self->devpath,
    .frame_size = frame_size
  };
  GstDmaHeapChoice *choice;
  GError *err = NULL;
  gchar *heap;

  GST_OBJECT_LOCK (self);
  heap = g_strdup (self->heap);
  GST_OBJECT_UNLOCK (self);
  req.heap = heap;
  choice = gst_dma_heap_choose_full (&req, &err);
  g_free (heap);
  if (!choice) {
    GST_WARNING_OBJECT (self, "no heap for %s: %s", self->devpath,
        err->message);
    g_clear_error (&err);
    return NULL;
  }
  GST_INFO_OBJECT (self, "heap %s for the pool: %s", choice->heap,
      choice->reason);
  heap = g_steal_pointer (&choice->heap);
  gst_dma_heap_choice_free (choice);
  return heap;
}

/* A buffer of the pool we proposed could not be had from the heap (in
 * upstream's thread): say why, before upstream's vaguer error. */
static void
pool_allocation_failed (GstBufferPool * pool, GError * error,
    GstDmaHeapSink * self)
{
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, ("%s", error->message),
      ("allocating a buffer of the pool proposed upstream, %" GST_PTR_FORMAT,
          pool));
}

/* The ALLOCATION answer: heap buffers the display can scan out. */
static gboolean
gst_dma_heap_sink_propose_allocation (GstBaseSink * bsink, GstQuery * query)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstCaps *caps;
  gboolean need_pool;
  GstVideoInfo vinfo;

  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!caps || !gst_dma_heap_video_info_from_caps (&vinfo, caps, NULL)) {
    GST_DEBUG_OBJECT (self, "no usable caps in the allocation query");
    return FALSE;
  }

  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);

  /* The sink holds two buffers (the frame on screen and the next): said
   * with a pool when upstream wants one, alone otherwise; and the heap the
   * display wants as an allocator for upstream that allocates itself. */
  if (!need_pool) {
    gchar *heap = choose_heap (self, vinfo.size);
    GstAllocator *allocator = heap ? gst_dma_heap_allocator_new (heap, NULL) :
        NULL;

    gst_query_add_allocation_pool (query, NULL, vinfo.size, 2, 0);
    if (allocator) {
      gst_query_add_allocation_param (query, allocator, NULL);
      gst_object_unref (allocator);
    }
    g_free (heap);
  } else {
    GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
    GstStructure *config = gst_buffer_pool_get_config (pool);
    gchar *heap;

    g_signal_connect_object (pool, "allocation-failed",
        G_CALLBACK (pool_allocation_failed), self, 0);
    heap = choose_heap (self, vinfo.size);
    gst_buffer_pool_config_set_params (config, caps, vinfo.size, 2, 0);
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
    if (heap)
      gst_dma_heap_buffer_pool_config_set_heap (config, heap);

    if (gst_buffer_pool_set_config (pool, config)) {
      GstAllocator *allocator = gst_dma_heap_buffer_pool_get_allocator (pool);

      GST_DEBUG_OBJECT (self, "proposing a pool of heap %s",
          heap ? heap : "(default)");
      gst_query_add_allocation_pool (query, pool, vinfo.size, 2, 0);
      /* For upstream elements that allocate without the pool. */
      if (allocator) {
        gst_query_add_allocation_param (query, allocator, NULL);
        gst_object_unref (allocator);
      }
      GST_OBJECT_LOCK (self);
      g_free (self->pool_heap);
      self->pool_heap = g_strdup (heap ? heap : "default");
      gst_object_replace ((GstObject **) & self->pool, GST_OBJECT (pool));
      GST_OBJECT_UNLOCK (self);
    } else {
      GST_WARNING_OBJECT (self, "the heap pool refused %" GST_PTR_FORMAT
          " (heap %s): upstream will allocate, frames will be copied", caps,
          heap ? heap : "(default)");
      gst_query_add_allocation_pool (query, NULL, vinfo.size, 2, 0);
    }
    gst_object_unref (pool);
    g_free (heap);
  }

  return TRUE;
}

static gboolean
gst_dma_heap_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  /* EOS means rendered: the last frame must be on screen (and counted). */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->plane >= 0)
    gst_kms_finish_flip (self);
  /* The stream ends without caps: upstream gave up negotiating, maybe on
   * what a caps query found the display cannot show. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->plane < 0)
    warn_if_unshowable (self, NULL);
  /* a flush drops the preroll frame: it will not be rendered */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    gst_buffer_replace (&self->preroll_copy, NULL);

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

static gboolean
gst_dma_heap_sink_query (GstBaseSink * bsink, GstQuery * query)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  if (GST_QUERY_TYPE (query) == GST_QUERY_DRAIN) {
    GST_DEBUG_OBJECT (self, "drain");
    gst_kms_drain (self);
  }

  return GST_BASE_SINK_CLASS (parent_class)->query (bsink, query);
}

/* ------------------------------------------------------------------------ */
/* GstVideoOverlay                                                           */
/* ------------------------------------------------------------------------ */

static void
gst_dma_heap_sink_set_render_rectangle (GstVideoOverlay * overlay, gint x,
    gint y, gint width, gint height)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (overlay);

  GST_DEBUG_OBJECT (self, "render rectangle %dx%d+%d+%d", width, height, x, y);

  GST_OBJECT_LOCK (self);
  if (width > 0 && height > 0) {
    self->render_rect.x = x;
    self->render_rect.y = y;
    self->render_rect.w = width;
    self->render_rect.h = height;
  } else {
    memset (&self->render_rect, 0, sizeof (self->render_rect));
  }

  /* Takes effect from the next frame: the streaming thread may be waiting
   * in preroll with the stream lock held. */
  self->layout_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_dma_heap_sink_expose (GstVideoOverlay * overlay)
{
  /* Scan-out needs no repaint: the plane keeps showing the last frame, and
   * a new render rectangle applies from the next one. */
  GST_DEBUG_OBJECT (overlay, "expose");
}

static void
gst_dma_heap_sink_set_window_handle (GstVideoOverlay * overlay, guintptr handle)
{
  GST_DEBUG_OBJECT (overlay, "ignoring window handle %" G_GUINTPTR_FORMAT
      ": KMS has no windows, use the render rectangle", handle);
}

static void
gst_dma_heap_sink_video_overlay_init (GstVideoOverlayInterface * iface)
{
  iface->expose = gst_dma_heap_sink_expose;
  iface->set_window_handle = gst_dma_heap_sink_set_window_handle;
  iface->set_render_rectangle = gst_dma_heap_sink_set_render_rectangle;
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                   */
/* ------------------------------------------------------------------------ */

/* Ours beside GstBaseSink's own (average-rate, dropped, rendered): the
 * property is GstBaseSink's, overridden. */
static GstStructure *
gst_dma_heap_sink_get_stats (GstDmaHeapSink * self)
{
  GstStructure *s, *base;
  gint i;

  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("dmaheapsink-stats",
      "frames-shown", G_TYPE_UINT64, self->frames_shown,
      "imports", G_TYPE_UINT64, self->imports,
      "cache-hits", G_TYPE_UINT64, self->cache_hits,
      "copies", G_TYPE_UINT64, self->copies,
      "drops", G_TYPE_UINT64, self->drops,
      "heap", G_TYPE_STRING, self->pool_heap, NULL);
  GST_OBJECT_UNLOCK (self);

  base = gst_base_sink_get_stats (GST_BASE_SINK (self));
  for (i = 0; i < gst_structure_n_fields (base); i++) {
    const gchar *name = gst_structure_nth_field_name (base, i);

    gst_structure_set_value (s, name, gst_structure_get_value (base, name));
  }
  gst_structure_free (base);
  return s;
}


static void
gst_dma_heap_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (object);

  if (gst_video_overlay_set_property (object, PROP_STATS, prop_id, value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_DRIVER_NAME:
      g_free (self->driver_name);
      self->driver_name = g_value_dup_string (value);
      break;
    case PROP_BUS_ID:
      g_free (self->bus_id);
      self->bus_id = g_value_dup_string (value);
      break;
    case PROP_CONNECTOR_ID:
      self->connector_id = g_value_get_int (value);
      break;
    case PROP_PLANE_ID:
      self->plane_id = g_value_get_int (value);
      break;
    case PROP_FORCE_MODESETTING:
      self->force_modesetting = g_value_get_boolean (value);
      break;
    case PROP_CAN_SCALE:
      self->can_scale = g_value_get_boolean (value);
      break;
    case PROP_SKIP_VSYNC:
      self->skip_vsync = g_value_get_boolean (value);
      break;
    case PROP_ATOMIC:
      self->use_atomic = g_value_get_boolean (value);
      break;
    case PROP_HEAP:{
      const gchar *heap = g_value_get_string (value);

      g_free (self->heap);
      self->heap = g_strdup (heap && *heap ? heap : DEFAULT_HEAP);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_dma_heap_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_dma_heap_sink_get_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      g_value_set_string (value, self->devpath ? self->devpath : self->device);
      break;
    case PROP_DRIVER_NAME:
      g_value_set_string (value, self->driver_name);
      break;
    case PROP_BUS_ID:
      g_value_set_string (value, self->bus_id);
      break;
    case PROP_CONNECTOR_ID:
      g_value_set_int (value, self->connector_id);
      break;
    case PROP_PLANE_ID:
      g_value_set_int (value, self->plane_id);
      break;
    case PROP_FORCE_MODESETTING:
      g_value_set_boolean (value, self->force_modesetting);
      break;
    case PROP_CAN_SCALE:
      g_value_set_boolean (value, self->can_scale);
      break;
    case PROP_SKIP_VSYNC:
      g_value_set_boolean (value, self->skip_vsync);
      break;
    case PROP_ATOMIC:
      g_value_set_boolean (value, self->use_atomic);
      break;
    case PROP_HEAP:
      g_value_set_string (value, self->heap);
      break;
    case PROP_DISPLAY_WIDTH:
      g_value_set_int (value, self->plane >= 0 ? self->mode.hdisplay : 0);
      break;
    case PROP_DISPLAY_HEIGHT:
      g_value_set_int (value, self->plane >= 0 ? self->mode.vdisplay : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_dma_heap_sink_finalize (GObject * object)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (object);

  g_free (self->device);
  g_free (self->driver_name);
  g_free (self->bus_id);
  g_free (self->heap);
  gst_clear_caps (&self->refused_caps);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GstCaps *
gst_dma_heap_sink_template_caps (void)
{
  guint32 fourccs[64];
  guint i, n = gst_drm_formats_n_supported ();

  g_assert (n <= G_N_ELEMENTS (fourccs));
  for (i = 0; i < n; i++)
    fourccs[i] = gst_drm_fourcc_from_video_format
        (gst_drm_formats_get_supported (i));

  return gst_drm_formats_caps_from_fourccs (fourccs, n, 0, 0);
}

static void
gst_dma_heap_sink_init (GstDmaHeapSink * self)
{
  self->fd = -1;
  self->plane = self->old_plane = -1;
  self->connector_id = DEFAULT_CONNECTOR_ID;
  self->plane_id = DEFAULT_PLANE_ID;
  self->force_modesetting = DEFAULT_FORCE_MODESETTING;
  self->can_scale = DEFAULT_CAN_SCALE;
  self->skip_vsync = DEFAULT_SKIP_VSYNC;
  self->use_atomic = DEFAULT_ATOMIC;
  self->heap = g_strdup (DEFAULT_HEAP);
  gst_video_info_init (&self->vinfo);
  gst_pad_add_probe (GST_BASE_SINK_PAD (self),
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, caps_event_probe, self, NULL);
}

static void
gst_dma_heap_sink_class_init (GstDmaHeapSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  GstVideoSinkClass *videosink_class = GST_VIDEO_SINK_CLASS (klass);
  GstCaps *caps;

  gobject_class->set_property = gst_dma_heap_sink_set_property;
  gobject_class->get_property = gst_dma_heap_sink_get_property;
  gobject_class->finalize = gst_dma_heap_sink_finalize;

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_stop);
  basesink_class->get_caps = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_get_caps);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_set_caps);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_unlock);
  basesink_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_dma_heap_sink_unlock_stop);
  basesink_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_dma_heap_sink_propose_allocation);
  basesink_class->query = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_query);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_event);
  basesink_class->preroll = GST_DEBUG_FUNCPTR (gst_dma_heap_sink_preroll);
  videosink_class->show_frame =
      GST_DEBUG_FUNCPTR (gst_dma_heap_sink_show_frame);

  /**
   * GstDmaHeapSink:device:
   *
   * The DRM device node, for example /dev/dri/card0. Unset, the first
   * device with a connected connector. Reading it while running gives the
   * device in use.
   *
   * Since: 0.1
   */
  properties[PROP_DEVICE] = g_param_spec_string ("device", "Device",
      "DRM device node (e.g. /dev/dri/card0); unset: the first with a "
      "connected display, PCI before platform before virtual devices", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:driver-name:
   *
   * Without #GstDmaHeapSink:device, use only a device of this DRM driver
   * (e.g. "cirrus-qemu", "vkms"), as kmssink's property of the same name.
   *
   * Since: 0.1
   */
  properties[PROP_DRIVER_NAME] = g_param_spec_string ("driver-name",
      "Driver name", "Without device: only a device of this DRM driver",
      NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:bus-id:
   *
   * Without #GstDmaHeapSink:device, use only the device at this bus
   * address (PCI "0000:00:02.0", or a platform device's name), as kmssink's
   * property of the same name.
   *
   * Since: 0.1
   */
  properties[PROP_BUS_ID] = g_param_spec_string ("bus-id", "Bus ID",
      "Without device: only the device at this bus address", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:connector-id:
   *
   * The connector to show frames on (see `modetest -c`); -1 for the first
   * connected one.
   *
   * Since: 0.1
   */
  properties[PROP_CONNECTOR_ID] = g_param_spec_int ("connector-id",
      "Connector ID", "DRM connector to use; -1: the first connected one",
      -1, G_MAXINT, DEFAULT_CONNECTOR_ID,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:plane-id:
   *
   * The plane to show frames on (see `modetest -p`); -1 to choose one that
   * scans out the negotiated format: the primary plane when the sink sets
   * the mode, else an overlay.
   *
   * Since: 0.1
   */
  properties[PROP_PLANE_ID] = g_param_spec_int ("plane-id", "Plane ID",
      "DRM plane to use; -1: one that scans out the format", -1, G_MAXINT,
      DEFAULT_PLANE_ID,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:force-modesetting:
   *
   * Set a mode even when the CRTC is already on: the preferred mode when the
   * plane scales, else a mode of the frame's size. The previous mode comes
   * back when the sink stops. Without it, the sink sets a mode only when the
   * CRTC is off, or when the plane can neither scale nor be positioned and
   * the connector has a mode of the frame's size.
   *
   * Since: 0.1
   */
  properties[PROP_FORCE_MODESETTING] = g_param_spec_boolean
      ("force-modesetting", "Force modesetting",
      "Set a mode even when the display is already on",
      DEFAULT_FORCE_MODESETTING,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:can-scale:
   *
   * Whether to let the plane scale frames to the render rectangle (the
   * whole screen by default). The sink checks that the plane really can
   * (with a test-only atomic commit, or by trying on legacy drivers) and
   * shows frames 1:1 when it cannot; set it to %FALSE to never scale.
   *
   * Since: 0.1
   */
  properties[PROP_CAN_SCALE] = g_param_spec_boolean ("can-scale",
      "Can scale", "Let the display plane scale frames (checked with the "
      "driver)", DEFAULT_CAN_SCALE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:skip-vsync:
   *
   * Never wait for a page flip: a frame that comes while the previous one
   * is not yet on screen is dropped (and counted in `drops`). Without it
   * the sink waits, so the pipeline runs at the display's refresh rate.
   *
   * Since: 0.1
   */
  properties[PROP_SKIP_VSYNC] = g_param_spec_boolean ("skip-vsync",
      "Skip vsync", "Drop frames instead of waiting for the page flip",
      DEFAULT_SKIP_VSYNC,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstDmaHeapSink:atomic:
   *
   * Use atomic modesetting when the driver offers it; %FALSE uses the
   * legacy SetCrtc/PageFlip/SetPlane calls even then.
   *
   * Since: 0.1
   */
  properties[PROP_ATOMIC] = g_param_spec_boolean ("atomic", "Atomic",
      "Use atomic modesetting when the driver supports it", DEFAULT_ATOMIC,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:heap:
   *
   * The dma-buf heap of the pool proposed upstream, by name (as in
   * /dev/dma_heap/). "auto" (the default; %NULL or "" set it too): the heap
   * the kernel module hints for the display device (a contiguous heap for a
   * device without IOMMU), else the pool's default.
   *
   * Since: 0.1
   */
  properties[PROP_HEAP] = g_param_spec_string ("heap", "Heap",
      "dma-buf heap for the buffers proposed upstream; \"auto\": the one "
      "suited to the display device", DEFAULT_HEAP,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapSink:display-width:
   *
   * Width of the mode in use, 0 before caps are set.
   *
   * Since: 0.1
   */
  properties[PROP_DISPLAY_WIDTH] = g_param_spec_int ("display-width",
      "Display width", "Width of the mode in use", 0, G_MAXINT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstDmaHeapSink:display-height:
   *
   * Height of the mode in use, 0 before caps are set.
   *
   * Since: 0.1
   */
  properties[PROP_DISPLAY_HEIGHT] = g_param_spec_int ("display-height",
      "Display height", "Height of the mode in use", 0, G_MAXINT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /* GstDmaHeapSink:stats, GstBaseSink's property overridden:
   *
   * Counters since the sink last started (they start again at 0 with each
   * start): `frames-shown` (page flips completed),
   * `imports` (dma-bufs turned into framebuffers), `cache-hits` (frames
   * shown from an already imported dma-buf), `copies` (frames copied into
   * dumb buffers because they could not be shown directly), `drops` (frames
   * dropped by skip-vsync), and `heap`, the heap of the pool proposed
   * upstream (NULL when none was taken); and GstBaseSink's own fields
   * (`average-rate`, `dropped`, `rendered`).
   */
  g_object_class_install_properties (gobject_class, N_PROPS, properties);
  g_object_class_override_property (gobject_class, PROP_STATS, "stats");
  gst_video_overlay_install_properties (gobject_class, PROP_STATS);

  gst_element_class_set_static_metadata (element_class,
      "dma-buf heap KMS video sink", "Sink/Video",
      "Shows dma-buf heap buffers on a display with DRM/KMS, without copies",
      "dmaheap project contributors");

  caps = gst_dma_heap_sink_template_caps ();
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
}
