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

#include "gstdmaheapsink.h"
#include "gstdmaheapsinkelements.h"
#include "gstdrmformats.h"
#include "gstkmscommit.h"
#include "gstkmsdevice.h"
#include "gstkmsdumb.h"
#include "gstkmsimport.h"
#include "gstkmsnegotiation.h"
#include "gstkmsoutput.h"
#include "gstkmsproposal.h"

#include <gst/video/videooverlay.h>

#include <gst/dmaheap/dmaheap.h>

#include <errno.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_dma_heap_sink_debug);

#define DEFAULT_CONNECTOR_ID -1
#define DEFAULT_PLANE_ID -1
#define DEFAULT_FORCE_MODESETTING FALSE
#define DEFAULT_CAN_SCALE TRUE
#define DEFAULT_SKIP_VSYNC FALSE
#define DEFAULT_ATOMIC TRUE
#define DEFAULT_HEAP "auto"

/* The element holds the state of each job in the struct of the helper that
 * does it; what is left here is the properties, the stats and the preroll. */
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

  GstKmsDevice dev;             /* from start() to stop() */
  GstKmsOutput output;          /* from set_caps() */
  GstKmsCommit commit;
  GstKmsImport import;
  GstKmsCopies copies;
  GstKmsProposal proposal;
  GstKmsNegotiation negotiation;

  /* A frame copied at preroll, kept (as GstBaseSink keeps it too) only
   * until it is rendered, to know it then as already on screen; no frame
   * is kept once copied otherwise. */
  GstBuffer *preroll_copy;
  gboolean prerolling;

  guint64 drops;                /* stats, under the object lock; the other
                                 * counters are the helpers' */
};

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

/* ------------------------------------------------------------------------ */
/* GstBaseSink / GstVideoSink                                                */
/* ------------------------------------------------------------------------ */

/* The render rectangle for a new layout (w == 0: the whole CRTC). */
static void
take_render_rect (GstDmaHeapSink * self, GstVideoRectangle * area)
{
  GST_OBJECT_LOCK (self);
  *area = self->render_rect;
  self->layout_dirty = FALSE;
  GST_OBJECT_UNLOCK (self);
}

/* Shows @buf, from a copy when the display device cannot scan it out. */
static GstFlowReturn
gst_dma_heap_sink_render (GstDmaHeapSink * self, GstBuffer * buf,
    gboolean skip_vsync)
{
  gboolean copied = FALSE;
  GstFlowReturn flow;

  gst_kms_output_set_buffer (&self->output, buf);
  flow = gst_kms_commit_show_buffer (&self->commit, &self->dev, &self->output,
      &self->import, &self->copies, buf, skip_vsync, &copied);
  /* A copied frame goes back upstream now, but the preroll frame comes
   * back to be rendered: it is known then by being kept till then. */
  if (flow == GST_FLOW_OK && copied && self->prerolling)
    gst_buffer_replace (&self->preroll_copy, buf);

  return flow;
}

static GstFlowReturn
gst_dma_heap_sink_show_frame (GstVideoSink * vsink, GstBuffer * buf)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (vsink);
  GstKmsCommit *commit = &self->commit;
  GstFlowReturn flow;
  gboolean skip_vsync, layout_dirty, copied_at_preroll;

  if (G_UNLIKELY (self->output.plane < 0))
    return GST_FLOW_NOT_NEGOTIATED;

  /* after preroll the frame copied then is kept only till it is rendered */
  copied_at_preroll = buf == self->preroll_copy;
  if (!self->prerolling)
    gst_buffer_replace (&self->preroll_copy, NULL);

  GST_OBJECT_LOCK (self);
  skip_vsync = self->skip_vsync;
  layout_dirty = self->layout_dirty;
  GST_OBJECT_UNLOCK (self);

  if (layout_dirty) {
    GstVideoRectangle area;

    take_render_rect (self, &area);
    gst_kms_output_update_layout (&self->output, &area);
  }

  if (commit->flip_pending) {
    flow = gst_kms_commit_wait_flip (commit, !skip_vsync);
    if (flow != GST_FLOW_OK)
      return flow;
    /* a late flip: the commit waits for the kernel instead */
    if (commit->flip_pending && (skip_vsync || !commit->flip_late)) {
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
  if ((buf == commit->displayed || buf == commit->pending || copied_at_preroll)
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

/* Upstream wants its buffers back (a pool about to be torn down, new caps):
 * keep the last frame on screen from a copy, release the imported buffer and
 * the preroll frame copied, and remove every cached framebuffer but the one
 * on screen (a framebuffer keeps its dma-buf alive: a bounded heap needs the
 * memory back, a V4L2 decoder drains before it reallocates). */
static void
gst_dma_heap_sink_drain (GstDmaHeapSink * self)
{
  if (self->output.plane < 0)
    return;
  gst_buffer_replace (&self->preroll_copy, NULL);
  gst_kms_commit_drain (&self->commit, &self->dev, &self->output,
      &self->copies);
  gst_kms_import_drain (&self->import, self->commit.displayed_fb);
}

static gboolean
gst_dma_heap_sink_start (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstKmsDevice *dev = &self->dev;
  gchar *device, *driver_name, *bus_id, *heap;
  gint connector_id, plane_id;
  gboolean use_atomic, ok;
  GstCaps *caps = NULL;

  GST_OBJECT_LOCK (self);
  heap = g_strdup (self->heap);
  device = g_strdup (self->device);
  driver_name = g_strdup (self->driver_name);
  bus_id = g_strdup (self->bus_id);
  connector_id = self->connector_id;
  plane_id = self->plane_id;
  use_atomic = self->use_atomic;
  self->drops = 0;
  GST_OBJECT_UNLOCK (self);

  ok = gst_kms_proposal_check_heap (&self->proposal, heap);
  g_free (heap);
  if (!ok) {
    g_free (device);
    g_free (driver_name);
    g_free (bus_id);
    return FALSE;
  }
  /* Counters start again with each run, as dmaheapalloc's do. */
  gst_kms_commit_reset_stats (&self->commit);
  gst_kms_import_reset_stats (&self->import);
  gst_kms_copies_reset_stats (&self->copies);
  gst_kms_proposal_clear (&self->proposal);

  ok = gst_kms_device_open (dev, device, driver_name, bus_id, connector_id)
      && gst_kms_device_setup (dev, use_atomic)
      && gst_kms_device_find_output (dev, connector_id, plane_id, &caps);
  g_free (driver_name);
  g_free (bus_id);
  if (!ok)
    goto fail;

  gst_kms_negotiation_start (&self->negotiation, caps, dev->path, dev->crtc_id);
  gst_kms_import_start (&self->import, dev);
  gst_kms_commit_start (&self->commit, dev);

  GST_INFO_OBJECT (self, "%s: connector %u, CRTC %u (%s), %s API, PRIME "
      "import %s, caps %" GST_PTR_FORMAT, dev->path, dev->conn_id,
      dev->crtc_id, dev->crtc_was_on ? dev->saved_crtc->mode.name : "off",
      dev->atomic ? "atomic" : "legacy", dev->prime_import ? "yes" : "no",
      caps);
  gst_caps_unref (caps);

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

  /* the display as found, and upstream's buffers back, before the
   * framebuffers go */
  gst_kms_commit_stop (&self->commit, &self->dev, &self->output);
  gst_buffer_replace (&self->preroll_copy, NULL);
  gst_kms_proposal_clear (&self->proposal);

  gst_kms_import_stop (&self->import);
  gst_kms_copies_release (&self->copies, &self->dev);
  gst_kms_output_clear (&self->output, &self->dev);
  gst_kms_device_close (&self->dev);
  gst_kms_negotiation_stop (&self->negotiation);

  return TRUE;
}

static gboolean
gst_dma_heap_sink_unlock (GstBaseSink * bsink)
{
  gst_kms_commit_set_flushing (&GST_DMA_HEAP_SINK (bsink)->commit, TRUE);
  return TRUE;
}

static gboolean
gst_dma_heap_sink_unlock_stop (GstBaseSink * bsink)
{
  gst_kms_commit_set_flushing (&GST_DMA_HEAP_SINK (bsink)->commit, FALSE);
  return TRUE;
}

static GstCaps *
gst_dma_heap_sink_get_caps (GstBaseSink * bsink, GstCaps * filter)
{
  return gst_kms_negotiation_get_caps (&GST_DMA_HEAP_SINK (bsink)->negotiation,
      filter);
}

static gboolean
gst_dma_heap_sink_set_caps (GstBaseSink * bsink, GstCaps * caps)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstKmsDevice *dev = &self->dev;
  GstVideoRectangle area;
  GstVideoInfo vinfo;
  guint32 fourcc;
  gint plane, plane_id;
  gboolean can_scale, force;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  plane_id = self->plane_id;
  can_scale = self->can_scale;
  force = self->force_modesetting;
  GST_OBJECT_UNLOCK (self);

  if (!gst_dma_heap_video_info_from_caps (&vinfo, caps, &err))
    goto invalid_caps;

  fourcc = gst_drm_fourcc_from_video_format (GST_VIDEO_INFO_FORMAT (&vinfo));
  if (!fourcc)
    goto unknown_format;

  /* the primary plane when the sink sets the mode */
  plane = gst_kms_device_choose_plane (dev, &vinfo, fourcc, plane_id,
      force || !dev->crtc_was_on);
  if (plane < 0)
    return FALSE;

  gst_kms_negotiation_accepted (&self->negotiation);

  /* Frames of the old format must leave the screen before it changes. */
  gst_kms_commit_finish_flip (&self->commit);
  /* And their buffers go back upstream now, not when the framebuffer cache
   * ages them out: on a bounded heap (a carveout, CMA) the new pool needs
   * their memory. */
  if (gst_kms_import_started (&self->import)
      && !gst_video_info_is_equal (&vinfo, &self->output.vinfo))
    gst_dma_heap_sink_drain (self);

  gst_kms_commit_move_to_plane (&self->commit, dev, &self->output, plane);
  if (!gst_kms_output_set_format (&self->output, dev, &vinfo, fourcc, plane))
    goto no_plane_props;

  take_render_rect (self, &area);
  if (!gst_kms_output_configure (&self->output, dev, &self->commit, &area,
          can_scale, force))
    goto mode_failed;
  gst_kms_output_update_layout (&self->output, &area);

  GST_INFO_OBJECT (self, "%s %dx%d on plane %u", gst_video_format_to_string
      (GST_VIDEO_INFO_FORMAT (&vinfo)), GST_VIDEO_INFO_WIDTH (&vinfo),
      GST_VIDEO_INFO_HEIGHT (&vinfo), dev->planes[plane].id);

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
        ("Plane %u of %s lacks atomic properties", dev->planes[plane].id,
            dev->path), (NULL));
    return FALSE;
  }
mode_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not choose a mode of connector %u on %s for %dx%d",
            dev->conn_id, dev->path, GST_VIDEO_INFO_WIDTH (&vinfo),
            GST_VIDEO_INFO_HEIGHT (&vinfo)), (NULL));
    return FALSE;
  }
}

/* The ALLOCATION answer: heap buffers the display can scan out. */
static gboolean
gst_dma_heap_sink_propose_allocation (GstBaseSink * bsink, GstQuery * query)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  gchar *heap;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  heap = g_strdup (self->heap);
  GST_OBJECT_UNLOCK (self);
  ok = gst_kms_proposal_answer (&self->proposal, query, heap, self->dev.path);
  g_free (heap);
  return ok;
}

static gboolean
gst_dma_heap_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  /* EOS means rendered: the last frame must be on screen (and counted). */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->output.plane >= 0)
    gst_kms_commit_finish_flip (&self->commit);
  /* The stream ends without caps: upstream gave up negotiating, maybe on
   * what a caps query found the display cannot show. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->output.plane < 0)
    gst_kms_negotiation_check (&self->negotiation, NULL);
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
    gst_dma_heap_sink_drain (self);
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
  gchar *heap = gst_kms_proposal_dup_heap (&self->proposal);
  gint i;

  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("dmaheapsink-stats",
      "frames-shown", G_TYPE_UINT64, self->commit.frames_shown,
      "imports", G_TYPE_UINT64, self->import.imports,
      "cache-hits", G_TYPE_UINT64, self->import.cache_hits,
      "copies", G_TYPE_UINT64, self->copies.count,
      "drops", G_TYPE_UINT64, self->drops, "heap", G_TYPE_STRING, heap, NULL);
  GST_OBJECT_UNLOCK (self);
  g_free (heap);

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
      g_value_set_string (value, self->dev.path ? self->dev.path :
          self->device);
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
      g_value_set_int (value, self->output.plane >= 0 ?
          self->output.mode.hdisplay : 0);
      break;
    case PROP_DISPLAY_HEIGHT:
      g_value_set_int (value, self->output.plane >= 0 ?
          self->output.mode.vdisplay : 0);
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
  gst_kms_negotiation_stop (&self->negotiation);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_dma_heap_sink_init (GstDmaHeapSink * self)
{
  gst_kms_device_init (&self->dev, GST_ELEMENT (self));
  gst_kms_output_init (&self->output, GST_ELEMENT (self));
  gst_kms_commit_init (&self->commit, GST_ELEMENT (self));
  gst_kms_import_init (&self->import, GST_ELEMENT (self));
  gst_kms_copies_init (&self->copies, GST_ELEMENT (self));
  gst_kms_proposal_init (&self->proposal, GST_ELEMENT (self));
  gst_kms_negotiation_init (&self->negotiation, GST_ELEMENT (self),
      GST_BASE_SINK_PAD (self));
  self->connector_id = DEFAULT_CONNECTOR_ID;
  self->plane_id = DEFAULT_PLANE_ID;
  self->force_modesetting = DEFAULT_FORCE_MODESETTING;
  self->can_scale = DEFAULT_CAN_SCALE;
  self->skip_vsync = DEFAULT_SKIP_VSYNC;
  self->use_atomic = DEFAULT_ATOMIC;
  self->heap = g_strdup (DEFAULT_HEAP);
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

  caps = gst_drm_formats_all_caps ();
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
}
