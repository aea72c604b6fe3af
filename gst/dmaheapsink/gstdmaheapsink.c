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
#include "gstkmsfbcache.h"
#include "gstkmsselect.h"

#include <gst/allocators/gstdmabuf.h>
#include <gst/video/videooverlay.h>

#include <gst/dmaheap/dmaheap.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gst_dma_heap_sink_debug);
#define GST_CAT_DEFAULT gst_dma_heap_sink_debug

#define DEFAULT_CONNECTOR_ID -1
#define DEFAULT_PLANE_ID -1
#define DEFAULT_FORCE_MODESETTING FALSE
#define DEFAULT_CAN_SCALE TRUE
#define DEFAULT_SKIP_VSYNC FALSE
#define DEFAULT_ATOMIC TRUE

/* Framebuffers kept: more than any pool upstream cycles through (V4L2 caps
 * its queues at 32), so a steady stream never re-imports. */
#define FB_CACHE_CAPACITY 48
/* An entry unused for this many frames belonged to a pool that is gone. */
#define FB_CACHE_MAX_AGE 256
#define N_DUMB_BUFFERS 3
/* How long a page flip may take before we stop waiting for its event. */
#define FLIP_TIMEOUT (GST_SECOND)

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_CONNECTOR_ID,
  PROP_PLANE_ID,
  PROP_FORCE_MODESETTING,
  PROP_CAN_SCALE,
  PROP_SKIP_VSYNC,
  PROP_ATOMIC,
  PROP_HEAP,
  PROP_DISPLAY_WIDTH,
  PROP_DISPLAY_HEIGHT,
  PROP_STATS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
  gboolean prime_import;
  gboolean addfb2_modifiers;
  guint32 conn_id;
  guint32 crtc_id;
  guint crtc_index;
  drmModeModeInfo *modes;
  guint n_modes;
  drmModeCrtc *saved_crtc;
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
  drmModeModeInfo mode;
  gboolean modeset_pending;
  gboolean mode_set_by_us;
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
  guint32 displayed_fb;
  GstBuffer *pending;
  guint32 pending_fb;
  gboolean flip_pending;
  gboolean copy_warned;
  GstBufferPool *pool;
  gchar *pool_heap;

  /* stats, under the object lock */
  guint64 frames_shown;
  guint64 imports;
  guint64 cache_hits;
  guint64 copies;
  guint64 drops;
};

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
/* device discovery                                                          */
/* ------------------------------------------------------------------------ */

static guint32
kms_find_property (gint fd, guint32 obj_id, guint32 obj_type,
    const gchar * name, guint64 * value)
{
  drmModeObjectProperties *props;
  guint32 id = 0;
  guint i;

  props = drmModeObjectGetProperties (fd, obj_id, obj_type);
  if (!props)
    return 0;

  for (i = 0; i < props->count_props && id == 0; i++) {
    drmModePropertyRes *prop = drmModeGetProperty (fd, props->props[i]);

    if (!prop)
      continue;
    if (strcmp (prop->name, name) == 0) {
      id = prop->prop_id;
      if (value)
        *value = props->prop_values[i];
    }
    drmModeFreeProperty (prop);
  }
  drmModeFreeObjectProperties (props);

  return id;
}

static drmModeConnector *
kms_find_connector (gint fd, drmModeRes * res, gint wanted_id)
{
  gint i;

  for (i = 0; i < res->count_connectors; i++) {
    drmModeConnector *conn = drmModeGetConnector (fd, res->connectors[i]);

    if (!conn)
      continue;
    if (wanted_id >= 0 ? conn->connector_id == (guint32) wanted_id :
        conn->connection == DRM_MODE_CONNECTED && conn->count_modes > 0)
      return conn;
    drmModeFreeConnector (conn);
  }

  return NULL;
}

/* The CRTC currently driving @conn, else the first free one it can use. */
static gint
kms_find_crtc_index (gint fd, drmModeRes * res, drmModeConnector * conn)
{
  guint32 possible = 0;
  gint i, j;

  if (conn->encoder_id) {
    drmModeEncoder *enc = drmModeGetEncoder (fd, conn->encoder_id);

    if (enc) {
      guint32 crtc_id = enc->crtc_id;

      drmModeFreeEncoder (enc);
      for (i = 0; crtc_id && i < res->count_crtcs; i++) {
        if (res->crtcs[i] == crtc_id)
          return i;
      }
    }
  }

  for (j = 0; j < conn->count_encoders; j++) {
    drmModeEncoder *enc = drmModeGetEncoder (fd, conn->encoders[j]);

    if (enc) {
      possible |= enc->possible_crtcs;
      drmModeFreeEncoder (enc);
    }
  }

  for (i = 0; i < res->count_crtcs; i++) {
    if (possible & (1u << i))
      return i;
  }

  return -1;
}

static void
kms_plane_desc_clear (GstKmsPlaneDesc * desc)
{
  g_free (desc->formats);
  g_free (desc->mod_formats);
  g_free (desc->mod_modifiers);
  memset (desc, 0, sizeof (*desc));
}

static void
kms_plane_read_modifiers (gint fd, guint32 plane_id, GstKmsPlaneDesc * desc)
{
  drmModeFormatModifierIterator iter = { 0, };
  drmModePropertyBlobRes *blob;
  GArray *fmts, *mods;
  guint64 blob_id = 0;

  if (!kms_find_property (fd, plane_id, DRM_MODE_OBJECT_PLANE, "IN_FORMATS",
          &blob_id) || blob_id == 0)
    return;

  blob = drmModeGetPropertyBlob (fd, blob_id);
  if (!blob)
    return;

  fmts = g_array_new (FALSE, FALSE, sizeof (guint32));
  mods = g_array_new (FALSE, FALSE, sizeof (guint64));
  while (drmModeFormatModifierBlobIterNext (blob, &iter)) {
    g_array_append_val (fmts, iter.fmt);
    g_array_append_val (mods, iter.mod);
  }
  drmModeFreePropertyBlob (blob);

  desc->n_mods = fmts->len;
  desc->mod_formats = (guint32 *) g_array_free (fmts, FALSE);
  desc->mod_modifiers = (guint64 *) g_array_free (mods, FALSE);
}

static gboolean
kms_read_planes (GstDmaHeapSink * self)
{
  drmModePlaneRes *pres;
  guint i;

  pres = drmModeGetPlaneResources (self->fd);
  if (!pres)
    return FALSE;

  self->planes = g_new0 (GstKmsPlaneDesc, pres->count_planes);
  for (i = 0; i < pres->count_planes; i++) {
    drmModePlane *plane = drmModeGetPlane (self->fd, pres->planes[i]);
    GstKmsPlaneDesc *desc = &self->planes[self->n_planes];
    guint64 type = DRM_PLANE_TYPE_OVERLAY;

    if (!plane)
      continue;

    kms_find_property (self->fd, plane->plane_id, DRM_MODE_OBJECT_PLANE,
        "type", &type);
    desc->id = plane->plane_id;
    desc->type = type;
    desc->possible_crtcs = plane->possible_crtcs;
    desc->n_formats = plane->count_formats;
    desc->formats = g_memdup2 (plane->formats,
        sizeof (guint32) * plane->count_formats);
    kms_plane_read_modifiers (self->fd, plane->plane_id, desc);
    drmModeFreePlane (plane);

    GST_DEBUG_OBJECT (self, "plane %u: type %u, crtcs 0x%x, %u formats, "
        "%u format modifiers", desc->id, desc->type, desc->possible_crtcs,
        desc->n_formats, desc->n_mods);
    self->n_planes++;
  }
  drmModeFreePlaneResources (pres);

  return self->n_planes > 0;
}

static gboolean
kms_has_plane (GstDmaHeapSink * self, gint plane_id)
{
  guint i;

  for (i = 0; i < self->n_planes; i++) {
    if (self->planes[i].id == (guint32) plane_id)
      return TRUE;
  }
  return FALSE;
}

static GstCaps *
kms_caps_for_crtc (GstDmaHeapSink * self, gint max_width, gint max_height)
{
  GArray *fourccs = g_array_new (FALSE, FALSE, sizeof (guint32));
  GstCaps *caps;
  guint i, j;

  for (i = 0; i < self->n_planes; i++) {
    const GstKmsPlaneDesc *plane = &self->planes[i];

    if (!(plane->possible_crtcs & (1u << self->crtc_index)))
      continue;
    if (self->plane_id >= 0 && plane->id != (guint32) self->plane_id)
      continue;
    for (j = 0; j < plane->n_formats; j++) {
      /* Our buffers are linear: skip formats the plane only tiles. */
      if (gst_kms_plane_supports (plane, plane->formats[j],
              DRM_FORMAT_MOD_LINEAR))
        g_array_append_val (fourccs, plane->formats[j]);
    }
  }

  caps = gst_drm_formats_caps_from_fourccs ((guint32 *) fourccs->data,
      fourccs->len, max_width, max_height);
  g_array_free (fourccs, TRUE);
  return caps;
}

/* Opens @path and checks that it drives a display. On failure, appends the
 * reason to @why. */
static gint
kms_open_device (GstDmaHeapSink * self, const gchar * path, gint connector_id,
    GString * why)
{
  drmModeRes *res;
  drmModeConnector *conn;
  gint fd;

  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    g_string_append_printf (why, "%s: %s; ", path, g_strerror (errno));
    return -1;
  }

  res = drmModeGetResources (fd);
  if (!res) {
    g_string_append_printf (why, "%s: no KMS support; ", path);
    close (fd);
    return -1;
  }

  conn = kms_find_connector (fd, res, connector_id);
  drmModeFreeResources (res);
  if (!conn) {
    if (connector_id >= 0)
      g_string_append_printf (why, "%s: no connector %d; ", path, connector_id);
    else
      g_string_append_printf (why, "%s: no connected connector; ", path);
    close (fd);
    return -1;
  }
  drmModeFreeConnector (conn);

  return fd;
}

static gint
kms_find_device (GstDmaHeapSink * self, gint connector_id, gchar ** path,
    GString * why)
{
  drmDevicePtr devices[64];
  gint n, i, fd = -1;

  n = drmGetDevices2 (0, devices, G_N_ELEMENTS (devices));
  if (n < 0)
    n = 0;

  for (i = 0; i < n && fd < 0; i++) {
    const gchar *node;

    if (!(devices[i]->available_nodes & (1 << DRM_NODE_PRIMARY)))
      continue;
    node = devices[i]->nodes[DRM_NODE_PRIMARY];
    fd = kms_open_device (self, node, connector_id, why);
    if (fd >= 0)
      *path = g_strdup (node);
  }
  if (n > 0)
    drmFreeDevices (devices, n);

  if (n == 0)
    g_string_append (why, "no DRM device in /dev/dri");

  return fd;
}

/* ------------------------------------------------------------------------ */
/* dumb buffers: copies, and legacy backgrounds                              */
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

static void
kms_dumb_destroy (GstDmaHeapSink * self, GstKmsDumb * dumb)
{
  if (dumb->data)
    munmap (dumb->data, dumb->size);
  if (dumb->fb_id)
    drmModeRmFB (self->fd, dumb->fb_id);
  if (dumb->handle)
    drmModeDestroyDumbBuffer (self->fd, dumb->handle);
  memset (dumb, 0, sizeof (*dumb));
}

/* A mapped dumb buffer of @format, @width x @height, with its framebuffer.
 * Dumb buffers are allocated by bits per pixel and lines; planar formats get
 * as many lines of the first plane's pitch as all planes need, the other
 * planes' pitches derived from it as the DRM helpers expect. */
static gboolean
kms_dumb_create (GstDmaHeapSink * self, GstVideoFormat format, guint width,
    guint height, GstKmsDumb * dumb)
{
  const GstVideoFormatInfo *finfo = gst_video_format_get_info (format);
  guint32 handles[4] = { 0, }, pitches[4] = { 0, }, offsets[4] = { 0, };
  guint32 fourcc = gst_drm_fourcc_from_video_format (format);
  guint line0, lines = 0, pitch, p, n_planes, offset = 0;
  guint64 mod[4] = { 0, };
  guint64 map_offset;
  gint ret;

  memset (dumb, 0, sizeof (*dumb));
  width = GST_ROUND_UP_2 (width);
  height = GST_ROUND_UP_2 (height);
  n_planes = GST_VIDEO_FORMAT_INFO_N_PLANES (finfo);
  line0 = plane_line_bytes (finfo, 0, width);

  for (p = 0; p < n_planes; p++)
    lines += (plane_lines (finfo, p, height) * plane_line_bytes (finfo, p,
            width) + line0 - 1) / line0;

  ret = drmModeCreateDumbBuffer (self->fd, width, lines,
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

  ret = drmModeAddFB2WithModifiers (self->fd, width, height, fourcc, handles,
      pitches, offsets, mod, &dumb->fb_id, 0);
  if (ret)
    goto addfb_failed;

  ret = drmModeMapDumbBuffer (self->fd, dumb->handle, &map_offset);
  if (ret)
    goto map_failed;
  dumb->data = mmap (NULL, dumb->size, PROT_READ | PROT_WRITE, MAP_SHARED,
      self->fd, map_offset);
  if (dumb->data == MAP_FAILED) {
    dumb->data = NULL;
    ret = -errno;
    goto map_failed;
  }

  kms_dumb_fill_black (dumb);
  GST_DEBUG_OBJECT (self, "dumb buffer %ux%u %s, pitch %u: fb %u", width,
      height, gst_video_format_to_string (format), pitch, dumb->fb_id);
  return TRUE;

  /* ERRORS */
create_failed:
  {
    GST_WARNING_OBJECT (self, "could not create a %ux%u dumb buffer: %s",
        width, lines, g_strerror (-ret));
    return FALSE;
  }
addfb_failed:
  {
    GST_WARNING_OBJECT (self, "could not add a %s framebuffer for a dumb "
        "buffer: %s", gst_video_format_to_string (format), g_strerror (-ret));
    kms_dumb_destroy (self, dumb);
    return FALSE;
  }
map_failed:
  {
    GST_WARNING_OBJECT (self, "could not map a dumb buffer: %s",
        g_strerror (-ret));
    kms_dumb_destroy (self, dumb);
    return FALSE;
  }
}

static void
kms_release_dumbs (GstDmaHeapSink * self)
{
  guint i;

  for (i = 0; i < N_DUMB_BUFFERS; i++)
    kms_dumb_destroy (self, &self->dumbs[i]);
}

static gboolean
rect_equal (const GstVideoRectangle * a, const GstVideoRectangle * b)
{
  return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

/* A dumb buffer that is neither on screen nor about to be. */
static GstKmsDumb *
kms_get_free_dumb (GstDmaHeapSink * self)
{
  GstVideoRectangle window = { 0, };
  guint width, height, i;

  if (self->dumbs_fullscreen) {
    width = self->mode.hdisplay;
    height = self->mode.vdisplay;
    window = self->dst;
  } else {
    width = GST_VIDEO_INFO_WIDTH (&self->vinfo);
    height = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  }

  for (i = 0; i < N_DUMB_BUFFERS; i++) {
    GstKmsDumb *dumb = &self->dumbs[i];

    if (dumb->fb_id && (dumb->fb_id == self->displayed_fb
            || dumb->fb_id == self->pending_fb))
      continue;

    /* A dumb of the right size can still hold an older picture outside
     * the window the frame now goes to (a frame-sized dumb is as large as
     * the screen when the mode has the frame's size): only a new one is
     * black there. */
    if (dumb->fb_id && (GST_VIDEO_INFO_FORMAT (&dumb->info)
            != GST_VIDEO_INFO_FORMAT (&self->vinfo)
            || dumb->width != GST_ROUND_UP_2 (width)
            || dumb->height != GST_ROUND_UP_2 (height)
            || !rect_equal (&dumb->window, &window)))
      kms_dumb_destroy (self, dumb);

    if (!dumb->fb_id && !kms_dumb_create (self,
            GST_VIDEO_INFO_FORMAT (&self->vinfo), width, height, dumb))
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
kms_copy_to_dumb (GstDmaHeapSink * self, GstBuffer * buf,
    const GstVideoRectangle * src, gint x, gint y, GstKmsDumb * dumb)
{
  const GstVideoFormatInfo *finfo = self->vinfo.finfo;
  GstVideoFrame sframe;
  guint p;

  if (!gst_video_frame_map (&sframe, &self->vinfo, buf, GST_MAP_READ))
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

/* Copies @buf into a free dumb buffer and says which part of it to show
 * where: the whole frame for src/dst when the plane can place it, else the
 * whole screen with the frame already where it belongs. */
static GstKmsDumb *
kms_copy_frame (GstDmaHeapSink * self, GstBuffer * buf,
    GstVideoRectangle * src, GstVideoRectangle * dst)
{
  GstKmsDumb *dumb = kms_get_free_dumb (self);

  if (!dumb)
    return NULL;

  if (self->dumbs_fullscreen) {
    if (!kms_copy_to_dumb (self, buf, &self->src, self->dst.x, self->dst.y,
            dumb))
      return NULL;
    src->x = src->y = dst->x = dst->y = 0;
    src->w = dst->w = self->mode.hdisplay;
    src->h = dst->h = self->mode.vdisplay;
  } else {
    GstVideoRectangle whole = { 0, 0, GST_VIDEO_INFO_WIDTH (&self->vinfo),
      GST_VIDEO_INFO_HEIGHT (&self->vinfo)
    };

    if (!kms_copy_to_dumb (self, buf, &whole, 0, 0, dumb))
      return NULL;
    *src = self->src;
    *dst = self->dst;
  }

  return dumb;
}

/* ------------------------------------------------------------------------ */
/* import                                                                    */
/* ------------------------------------------------------------------------ */

static void
kms_release_fb (guint32 fb_id, gpointer user_data)
{
  GstDmaHeapSink *self = user_data;

  GST_DEBUG_OBJECT (self, "removing framebuffer %u", fb_id);
  drmModeRmFB (self->fd, fb_id);
}

/* Describes the dma-bufs of @buf. FALSE when a plane is not in a dma-buf. */
static gboolean
kms_buffer_layout (GstDmaHeapSink * self, GstBuffer * buf,
    GstKmsFbLayout * layout, gint fds[4])
{
  GstVideoMeta *meta = gst_buffer_get_video_meta (buf);
  guint p, n_planes = GST_VIDEO_INFO_N_PLANES (&self->vinfo);

  memset (layout, 0, sizeof (*layout));
  layout->fourcc = self->fourcc;
  layout->width = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  layout->height = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  layout->modifier = DRM_FORMAT_MOD_LINEAR;
  layout->n_planes = n_planes;

  for (p = 0; p < n_planes; p++) {
    gsize offset = meta ? meta->offset[p] :
        GST_VIDEO_INFO_PLANE_OFFSET (&self->vinfo, p);
    gint stride = meta ? meta->stride[p] :
        GST_VIDEO_INFO_PLANE_STRIDE (&self->vinfo, p);
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
      GST_WARNING_OBJECT (self, "dma-buf fd %d of plane %u is not open (%s):"
          " has upstream closed it?", fds[p], p, g_strerror (errno));
      return FALSE;
    }
    layout->pitches[p] = stride;
    layout->offsets[p] = mem->offset + skip;
  }

  return TRUE;
}

static guint32
kms_import (GstDmaHeapSink * self, const GstKmsFbLayout * layout,
    const gint fds[4])
{
  guint32 handles[4] = { 0, }, fb_id = 0;
  guint64 mods[4] = { 0, };
  guint p, q;
  gint ret = 0;

  for (p = 0; p < layout->n_planes && ret == 0; p++) {
    ret = drmPrimeFDToHandle (self->fd, fds[p], &handles[p]);
    mods[p] = layout->modifier;
  }

  if (ret == 0) {
    if (self->addfb2_modifiers)
      ret = drmModeAddFB2WithModifiers (self->fd, layout->width,
          layout->height, layout->fourcc, handles, layout->pitches,
          layout->offsets, mods, &fb_id, DRM_MODE_FB_MODIFIERS);
    else
      ret = drmModeAddFB2 (self->fd, layout->width, layout->height,
          layout->fourcc, handles, layout->pitches, layout->offsets, &fb_id, 0);
    if (ret)
      GST_DEBUG_OBJECT (self, "AddFB2 failed: %s", g_strerror (errno));
  } else {
    GST_DEBUG_OBJECT (self, "PRIME import of fd %d failed: %s", fds[p - 1],
        g_strerror (errno));
  }

  /* The framebuffer holds the GEM objects; our handles can go. Planes of one
   * dma-buf share a handle: close each once. */
  for (p = 0; p < layout->n_planes; p++) {
    gboolean seen = FALSE;

    for (q = 0; q < p; q++)
      seen |= handles[q] == handles[p];
    if (handles[p] && !seen)
      drmCloseBufferHandle (self->fd, handles[p]);
  }

  return ret ? 0 : fb_id;
}

/* The framebuffer showing @buf without a copy, or 0. */
static guint32
kms_fb_for_buffer (GstDmaHeapSink * self, GstBuffer * buf)
{
  GstKmsFbLayout layout;
  gint fds[4];
  guint32 fb_id;

  if (!self->prime_import || self->layout_needs_copy)
    return 0;
  if (!kms_buffer_layout (self, buf, &layout, fds))
    return 0;

  fb_id = gst_kms_fb_cache_lookup (self->cache, &layout);
  if (fb_id) {
    GST_OBJECT_LOCK (self);
    self->cache_hits++;
    GST_OBJECT_UNLOCK (self);
    GST_LOG_OBJECT (self,
        "cached framebuffer %u for dma-buf %" G_GUINT64_FORMAT, fb_id,
        layout.planes[0].ino);
    return fb_id;
  }

  fb_id = kms_import (self, &layout, fds);
  if (!fb_id)
    return 0;

  gst_kms_fb_cache_insert (self->cache, &layout, fb_id);
  GST_OBJECT_LOCK (self);
  self->imports++;
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "imported dma-buf %" G_GUINT64_FORMAT
      " as framebuffer %u", layout.planes[0].ino, fb_id);
  return fb_id;
}

/* ------------------------------------------------------------------------ */
/* page flips                                                                */
/* ------------------------------------------------------------------------ */

/* The pending frame is on screen: the one before it can go back upstream. */
static void
kms_flip_done (GstDmaHeapSink * self)
{
  gst_buffer_replace (&self->displayed, NULL);
  self->displayed = self->pending;
  self->displayed_fb = self->pending_fb;
  self->pending = NULL;
  self->pending_fb = 0;
  self->flip_pending = FALSE;

  GST_OBJECT_LOCK (self);
  self->frames_shown++;
  GST_OBJECT_UNLOCK (self);
}

static void
kms_page_flip_handler (gint fd, guint frame, guint sec, guint usec,
    gpointer data)
{
  GstDmaHeapSink *self = data;

  GST_LOG_OBJECT (self, "flip done, vblank %u", frame);
  kms_flip_done (self);
}

/* Waits for the pending flip. With @block FALSE, only handles an event that
 * already came. Returns GST_FLOW_FLUSHING when unlocked. */
static GstFlowReturn
kms_wait_flip (GstDmaHeapSink * self, gboolean block)
{
  drmEventContext evctx = {
    .version = 2,
    .page_flip_handler = kms_page_flip_handler,
  };

  while (self->flip_pending) {
    gint ret = gst_poll_wait (self->poll, block ? FLIP_TIMEOUT : 0);

    if (ret > 0) {
      if (drmHandleEvent (self->fd, &evctx) < 0)
        GST_WARNING_OBJECT (self, "drmHandleEvent: %s", g_strerror (errno));
    } else if (ret == 0) {
      if (!block)
        break;
      /* Some drivers never send the event (a bug): do not hang on them. */
      GST_WARNING_OBJECT (self, "no page flip event after %" GST_TIME_FORMAT,
          GST_TIME_ARGS (FLIP_TIMEOUT));
      kms_flip_done (self);
    } else if (errno == EBUSY) {
      return GST_FLOW_FLUSHING;
    } else if (errno != EINTR && errno != EAGAIN) {
      GST_WARNING_OBJECT (self, "poll: %s", g_strerror (errno));
      kms_flip_done (self);
    }
  }

  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------------ */
/* commits                                                                   */
/* ------------------------------------------------------------------------ */

static void
kms_atomic_add_plane (GstDmaHeapSink * self, drmModeAtomicReq * req,
    guint32 fb_id, const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  const GstKmsPlaneProps *pp = &self->plane_props;
  guint32 id = self->planes[self->plane].id;

  drmModeAtomicAddProperty (req, id, pp->fb_id, fb_id);
  drmModeAtomicAddProperty (req, id, pp->crtc_id, fb_id ? self->crtc_id : 0);
  drmModeAtomicAddProperty (req, id, pp->src_x, (guint64) src->x << 16);
  drmModeAtomicAddProperty (req, id, pp->src_y, (guint64) src->y << 16);
  drmModeAtomicAddProperty (req, id, pp->src_w, (guint64) src->w << 16);
  drmModeAtomicAddProperty (req, id, pp->src_h, (guint64) src->h << 16);
  drmModeAtomicAddProperty (req, id, pp->crtc_x, dst->x);
  drmModeAtomicAddProperty (req, id, pp->crtc_y, dst->y);
  drmModeAtomicAddProperty (req, id, pp->crtc_w, dst->w);
  drmModeAtomicAddProperty (req, id, pp->crtc_h, dst->h);
}

static gint
kms_atomic_commit (GstDmaHeapSink * self, guint32 fb_id,
    const GstVideoRectangle * src, const GstVideoRectangle * dst, guint32 flags)
{
  drmModeAtomicReq *req = drmModeAtomicAlloc ();
  gint ret;

  if (self->modeset_pending) {
    drmModeAtomicAddProperty (req, self->conn_id, self->conn_prop_crtc_id,
        self->crtc_id);
    drmModeAtomicAddProperty (req, self->crtc_id, self->crtc_prop_mode_id,
        self->mode_blob);
    drmModeAtomicAddProperty (req, self->crtc_id, self->crtc_prop_active, 1);
    flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
  }
  kms_atomic_add_plane (self, req, fb_id, src, dst);

  ret = drmModeAtomicCommit (self->fd, req, flags, self);
  if (ret)
    ret = -errno;
  drmModeAtomicFree (req);

  return ret;
}

static gboolean
rect_is_fullscreen (GstDmaHeapSink * self, const GstVideoRectangle * r)
{
  return r->x == 0 && r->y == 0 && r->w == self->mode.hdisplay
      && r->h == self->mode.vdisplay;
}

/* Legacy drivers: SetCrtc for the first frame when we set the mode,
 * PageFlip for a full-screen primary plane, SetPlane for the rest. Only
 * PageFlip is asynchronous. */
static gint
kms_legacy_commit (GstDmaHeapSink * self, guint32 fb_id, guint32 fb_width,
    guint32 fb_height, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, gboolean * async)
{
  const GstKmsPlaneDesc *plane = &self->planes[self->plane];
  gboolean primary_fullscreen = plane->type == DRM_PLANE_TYPE_PRIMARY
      && rect_is_fullscreen (self, dst) && src->w == dst->w
      && src->h == dst->h && fb_width >= (guint32) (src->x + src->w)
      && fb_height >= (guint32) (src->y + src->h);
  gint ret;

  *async = FALSE;

  if (self->modeset_pending) {
    guint32 crtc_fb = fb_id;

    if (!primary_fullscreen) {
      if (!self->background.fb_id && !kms_dumb_create (self,
              GST_VIDEO_FORMAT_BGRx, self->mode.hdisplay, self->mode.vdisplay,
              &self->background))
        return -ENOMEM;
      crtc_fb = self->background.fb_id;
    }
    ret = drmModeSetCrtc (self->fd, self->crtc_id, crtc_fb,
        primary_fullscreen ? src->x : 0, primary_fullscreen ? src->y : 0,
        &self->conn_id, 1, &self->mode);
    if (ret)
      return -errno;
    if (primary_fullscreen)
      return 0;
  }

  if (primary_fullscreen && src->x == 0 && src->y == 0) {
    ret = drmModePageFlip (self->fd, self->crtc_id, fb_id,
        DRM_MODE_PAGE_FLIP_EVENT, self);
    if (ret == 0) {
      *async = TRUE;
      return 0;
    }
    GST_DEBUG_OBJECT (self, "PageFlip: %s, trying SetPlane",
        g_strerror (errno));
  }

  ret = drmModeSetPlane (self->fd, plane->id, self->crtc_id, fb_id, 0,
      dst->x, dst->y, dst->w, dst->h, (guint32) src->x << 16,
      (guint32) src->y << 16, (guint32) src->w << 16, (guint32) src->h << 16);
  if (ret)
    return -errno;

  return 0;
}

static void
kms_legacy_wait_vblank (GstDmaHeapSink * self)
{
  drmVBlank vbl = { 0, };

  vbl.request.type = DRM_VBLANK_RELATIVE;
  if (self->crtc_index > 1)
    vbl.request.type |= (self->crtc_index << DRM_VBLANK_HIGH_CRTC_SHIFT)
        & DRM_VBLANK_HIGH_CRTC_MASK;
  else if (self->crtc_index == 1)
    vbl.request.type |= DRM_VBLANK_SECONDARY;
  vbl.request.sequence = 1;

  /* Devices without vblank interrupts (QEMU's) fail: nothing to pace to. */
  if (drmWaitVBlank (self->fd, &vbl))
    GST_LOG_OBJECT (self, "drmWaitVBlank: %s", g_strerror (errno));
}

/* Puts @fb_id on screen; @buf (may be NULL for dumb buffers) is kept until
 * it is no longer scanned out. */
static gint
kms_show_fb (GstDmaHeapSink * self, GstBuffer * buf, guint32 fb_id,
    guint32 fb_width, guint32 fb_height, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, gboolean skip_vsync)
{
  gboolean async = FALSE;
  gint ret;

  GST_LOG_OBJECT (self, "showing fb %u: %dx%d+%d+%d -> %dx%d+%d+%d", fb_id,
      src->w, src->h, src->x, src->y, dst->w, dst->h, dst->x, dst->y);

  if (self->atomic) {
    ret = kms_atomic_commit (self, fb_id, src, dst,
        DRM_MODE_PAGE_FLIP_EVENT | (self->modeset_pending ? 0 :
            DRM_MODE_ATOMIC_NONBLOCK));
    async = ret == 0;
  } else {
    ret = kms_legacy_commit (self, fb_id, fb_width, fb_height, src, dst,
        &async);
  }
  if (ret)
    return ret;

  self->modeset_pending = FALSE;
  gst_buffer_replace (&self->pending, buf);
  self->pending_fb = fb_id;
  self->flip_pending = TRUE;

  if (!async) {
    kms_flip_done (self);
    if (!skip_vsync)
      kms_legacy_wait_vblank (self);
  }

  return 0;
}

/* ------------------------------------------------------------------------ */
/* output configuration                                                      */
/* ------------------------------------------------------------------------ */

static gboolean
kms_find_plane_props (GstDmaHeapSink * self, guint32 plane_id)
{
  GstKmsPlaneProps *pp = &self->plane_props;
  guint32 obj = DRM_MODE_OBJECT_PLANE;

  pp->fb_id = kms_find_property (self->fd, plane_id, obj, "FB_ID", NULL);
  pp->crtc_id = kms_find_property (self->fd, plane_id, obj, "CRTC_ID", NULL);
  pp->src_x = kms_find_property (self->fd, plane_id, obj, "SRC_X", NULL);
  pp->src_y = kms_find_property (self->fd, plane_id, obj, "SRC_Y", NULL);
  pp->src_w = kms_find_property (self->fd, plane_id, obj, "SRC_W", NULL);
  pp->src_h = kms_find_property (self->fd, plane_id, obj, "SRC_H", NULL);
  pp->crtc_x = kms_find_property (self->fd, plane_id, obj, "CRTC_X", NULL);
  pp->crtc_y = kms_find_property (self->fd, plane_id, obj, "CRTC_Y", NULL);
  pp->crtc_w = kms_find_property (self->fd, plane_id, obj, "CRTC_W", NULL);
  pp->crtc_h = kms_find_property (self->fd, plane_id, obj, "CRTC_H", NULL);

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
  gint ret = kms_atomic_commit (self, test_fb, src, dst,
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
static gboolean
kms_configure_output (GstDmaHeapSink * self)
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

  crtc_active = self->saved_crtc && self->saved_crtc->mode_valid;
  self->modeset_pending = FALSE;
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

  if (!self->atomic || !kms_dumb_create (self,
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
      kms_dumb_destroy (self, &test);
      return FALSE;
    }
    if (found)
      self->plane_fullscreen_only = !kms_test_unscaled (self, test.fb_id);
  }

  kms_dumb_destroy (self, &test);
  return TRUE;
}

/* Where frames go, from the render rectangle and what the plane can do. */
static void
kms_update_layout (GstDmaHeapSink * self)
{
  GstVideoRectangle area;
  gboolean covers;

  kms_get_area (self, &area);
  covers = gst_kms_compute_layout (&self->vinfo, &area, self->plane_can_scale,
      &self->src, &self->dst);

  self->layout_needs_copy = self->plane_fullscreen_only
      && (!covers || !rect_is_fullscreen (self, &self->dst));
  self->dumbs_fullscreen = self->layout_needs_copy;

  GST_INFO_OBJECT (self, "frames %dx%d+%d+%d -> %dx%d+%d+%d on %ux%u%s%s",
      self->src.w, self->src.h, self->src.x, self->src.y, self->dst.w,
      self->dst.h, self->dst.x, self->dst.y, self->mode.hdisplay,
      self->mode.vdisplay, self->plane_can_scale ? ", scaled" : "",
      self->layout_needs_copy ?
      ", copied: the plane can neither scale nor be positioned" : "");
}

/* ------------------------------------------------------------------------ */
/* GstBaseSink / GstVideoSink                                                */
/* ------------------------------------------------------------------------ */

static gboolean
kms_connector_connected (GstDmaHeapSink * self)
{
  drmModeConnector *conn = drmModeGetConnectorCurrent (self->fd,
      self->conn_id);
  gboolean connected = conn && conn->connection != DRM_MODE_DISCONNECTED;

  if (conn)
    drmModeFreeConnector (conn);
  return connected;
}

static void
kms_warn_copy (GstDmaHeapSink * self, const gchar * why)
{
  if (self->copy_warned)
    return;
  self->copy_warned = TRUE;

  GST_ELEMENT_WARNING (self, STREAM, FAILED,
      ("Copying frames: %s", why),
      ("Every frame that cannot be shown directly costs a CPU copy; see the "
          "copies field of the stats property. Upstream should use the pool "
          "this sink proposes."));
}

static GstFlowReturn
gst_dma_heap_sink_show_frame (GstVideoSink * vsink, GstBuffer * buf)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (vsink);
  GstVideoRectangle src, dst;
  GstKmsDumb *dumb = NULL;
  GstFlowReturn flow;
  guint32 fb_id, fb_w, fb_h;
  gboolean skip_vsync, layout_dirty, refused = FALSE;
  gint ret;

  if (G_UNLIKELY (self->plane < 0))
    return GST_FLOW_NOT_NEGOTIATED;

  GST_OBJECT_LOCK (self);
  skip_vsync = self->skip_vsync;
  layout_dirty = self->layout_dirty;
  GST_OBJECT_UNLOCK (self);

  if (layout_dirty)
    kms_update_layout (self);

  if (self->flip_pending) {
    flow = kms_wait_flip (self, !skip_vsync);
    if (flow != GST_FLOW_OK)
      return flow;
    if (self->flip_pending) {
      GST_LOG_OBJECT (self, "flip pending, dropping %" GST_PTR_FORMAT, buf);
      GST_OBJECT_LOCK (self);
      self->drops++;
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_OK;
    }
  }

  /* The preroll frame comes back when playing starts: it is on screen. */
  if (buf == self->displayed && !layout_dirty) {
    GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT " is already on screen", buf);
    return GST_FLOW_OK;
  }

retry:
  dumb = NULL;
  src = self->src;
  dst = self->dst;
  fb_w = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  fb_h = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  fb_id = refused ? 0 : kms_fb_for_buffer (self, buf);

  if (!fb_id) {
    dumb = kms_copy_frame (self, buf, &src, &dst);
    if (!dumb)
      goto copy_failed;
    fb_id = dumb->fb_id;
    fb_w = dumb->width;
    fb_h = dumb->height;
  }

  ret = kms_show_fb (self, dumb ? NULL : buf, fb_id, fb_w, fb_h, &src, &dst,
      skip_vsync);
  /* Legacy drivers cannot be asked beforehand, and a new render rectangle
   * is not tested: learn from the refusal and show the frame another way. */
  if (ret == -EINVAL || ret == -ERANGE) {
    if (self->plane_can_scale && (src.w != dst.w || src.h != dst.h)) {
      /* What kmssink fails on: tell by trying, then stop scaling. */
      GST_INFO_OBJECT (self, "plane %u cannot scale: showing frames 1:1",
          self->planes[self->plane].id);
      self->plane_can_scale = FALSE;
      kms_update_layout (self);
      goto retry;
    }
    if (!self->plane_fullscreen_only && !rect_is_fullscreen (self, &dst)) {
      GST_INFO_OBJECT (self, "plane %u must cover the CRTC",
          self->planes[self->plane].id);
      self->plane_fullscreen_only = TRUE;
      kms_update_layout (self);
      goto retry;
    }
    if (!dumb) {
      /* The driver takes the layout but not this framebuffer (pitch or
       * offset limits): a dumb buffer of its own making will do. */
      GST_INFO_OBJECT (self, "imported framebuffer %u refused: copying", fb_id);
      refused = TRUE;
      goto retry;
    }
  }
  if (ret)
    goto commit_failed;

  if (dumb) {
    kms_warn_copy (self, self->dumbs_fullscreen ?
        "the display plane can neither scale nor be positioned, and the "
        "frame is not the size of a mode" : refused ?
        "the display device refused the imported buffer" :
        "the buffers are not dma-bufs the display device can import");
    GST_OBJECT_LOCK (self);
    self->copies++;
    GST_OBJECT_UNLOCK (self);
  }

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
    if (!kms_connector_connected (self)) {
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

static gboolean
gst_dma_heap_sink_start (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GString *why = g_string_new (NULL);
  drmModeConnector *conn = NULL;
  drmModeRes *res = NULL;
  gchar *device;
  gint connector_id, plane_id, crtc_index;
  GstCaps *caps = NULL;
  guint64 cap = 0;
  gboolean use_atomic;

  GST_OBJECT_LOCK (self);
  device = g_strdup (self->device);
  connector_id = self->connector_id;
  plane_id = self->plane_id;
  use_atomic = self->use_atomic;
  GST_OBJECT_UNLOCK (self);

  if (device) {
    self->fd = kms_open_device (self, device, connector_id, why);
    self->devpath = g_steal_pointer (&device);
  } else {
    self->fd = kms_find_device (self, connector_id, &self->devpath, why);
  }
  if (self->fd < 0)
    goto no_device;

  if (!drmIsMaster (self->fd) && drmSetMaster (self->fd) != 0)
    goto not_master;

  if (drmSetClientCap (self->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1))
    goto no_universal_planes;
  self->atomic = use_atomic
      && drmSetClientCap (self->fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0;
  if (drmGetCap (self->fd, DRM_CAP_PRIME, &cap) == 0)
    self->prime_import = (cap & DRM_PRIME_CAP_IMPORT) != 0;
  cap = 0;
  if (drmGetCap (self->fd, DRM_CAP_ADDFB2_MODIFIERS, &cap) == 0)
    self->addfb2_modifiers = cap != 0;
  cap = 0;
  if (drmGetCap (self->fd, DRM_CAP_DUMB_BUFFER, &cap) || !cap)
    GST_WARNING_OBJECT (self, "%s has no dumb buffers: nothing to copy into "
        "when a buffer cannot be imported", self->devpath);

  res = drmModeGetResources (self->fd);
  if (!res)
    goto no_resources;
  conn = kms_find_connector (self->fd, res, connector_id);
  if (!conn)
    goto no_connector;
  if (conn->connection != DRM_MODE_CONNECTED || conn->count_modes == 0)
    goto not_connected;
  crtc_index = kms_find_crtc_index (self->fd, res, conn);
  if (crtc_index < 0)
    goto no_crtc;

  self->conn_id = conn->connector_id;
  self->crtc_index = crtc_index;
  self->crtc_id = res->crtcs[crtc_index];
  self->n_modes = conn->count_modes;
  self->modes = g_memdup2 (conn->modes,
      sizeof (drmModeModeInfo) * conn->count_modes);
  self->saved_crtc = drmModeGetCrtc (self->fd, self->crtc_id);
  self->conn_prop_crtc_id = kms_find_property (self->fd, self->conn_id,
      DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", NULL);
  self->crtc_prop_mode_id = kms_find_property (self->fd, self->crtc_id,
      DRM_MODE_OBJECT_CRTC, "MODE_ID", NULL);
  self->crtc_prop_active = kms_find_property (self->fd, self->crtc_id,
      DRM_MODE_OBJECT_CRTC, "ACTIVE", NULL);

  if (!kms_read_planes (self))
    goto no_planes;
  if (plane_id >= 0 && !kms_has_plane (self, plane_id))
    goto no_such_plane;

  caps = kms_caps_for_crtc (self, res->max_width, res->max_height);
  if (gst_caps_is_empty (caps))
    goto no_formats;
  GST_OBJECT_LOCK (self);
  self->allowed_caps = g_steal_pointer (&caps);
  GST_OBJECT_UNLOCK (self);

  self->cache = gst_kms_fb_cache_new (FB_CACHE_CAPACITY, FB_CACHE_MAX_AGE,
      kms_release_fb, self);
  self->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&self->pollfd);
  self->pollfd.fd = self->fd;
  gst_poll_add_fd (self->poll, &self->pollfd);
  gst_poll_fd_ctl_read (self->poll, &self->pollfd, TRUE);

  GST_INFO_OBJECT (self, "%s: connector %u, CRTC %u (%s), %s API, PRIME "
      "import %s, caps %" GST_PTR_FORMAT, self->devpath, self->conn_id,
      self->crtc_id, self->saved_crtc && self->saved_crtc->mode_valid ?
      self->saved_crtc->mode.name : "off", self->atomic ? "atomic" : "legacy",
      self->prime_import ? "yes" : "no", self->allowed_caps);

  drmModeFreeConnector (conn);
  drmModeFreeResources (res);
  g_string_free (why, TRUE);
  return TRUE;

  /* ERRORS */
no_device:
  {
    if (self->devpath)
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Could not use DRM device %s", self->devpath), ("%s", why->str));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Could not find a DRM device driving a connected display"),
          ("%s", why->str));
    goto fail;
  }
not_master:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
        ("Not DRM master on %s: another program (a display server?) drives "
            "the display", self->devpath), ("%s", g_strerror (errno)));
    goto fail;
  }
no_universal_planes:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("%s does not expose its planes (DRM universal planes)",
            self->devpath), ("%s", g_strerror (errno)));
    goto fail;
  }
no_resources:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("%s has no KMS resources", self->devpath), ("%s", g_strerror (errno)));
    goto fail;
  }
no_connector:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("%s has no connector %d", self->devpath, connector_id), (NULL));
    goto fail;
  }
not_connected:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Connector %u of %s is not connected to a display", conn->connector_id,
            self->devpath), (NULL));
    goto fail;
  }
no_crtc:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No CRTC of %s can drive connector %u", self->devpath,
            conn->connector_id), (NULL));
    goto fail;
  }
no_planes:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("%s has no planes", self->devpath), (NULL));
    goto fail;
  }
no_such_plane:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("%s has no plane %d", self->devpath, plane_id), (NULL));
    goto fail;
  }
no_formats:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No plane of %s for CRTC %u scans out a format this sink knows",
            self->devpath, self->crtc_id), (NULL));
    goto fail;
  }
fail:
  {
    gst_clear_caps (&caps);
    if (conn)
      drmModeFreeConnector (conn);
    if (res)
      drmModeFreeResources (res);
    g_string_free (why, TRUE);
    g_free (device);
    /* stop() is not called after a failed start() */
    GST_BASE_SINK_GET_CLASS (self)->stop (bsink);
    return FALSE;
  }
}

/* Leaves the display as we found it: the saved CRTC back when we set a
 * mode, else our plane off. Either way no framebuffer of ours is scanned out
 * any more, so removing them cannot blank someone else's plane. */
static void
kms_restore_display (GstDmaHeapSink * self)
{
  if (self->plane < 0 || (!self->displayed_fb && !self->pending_fb))
    return;

  if (self->mode_set_by_us && self->saved_crtc) {
    drmModeCrtc *c = self->saved_crtc;

    if (c->buffer_id && c->mode_valid) {
      if (drmModeSetCrtc (self->fd, c->crtc_id, c->buffer_id, c->x, c->y,
              &self->conn_id, 1, &c->mode) == 0)
        return;
    } else if (drmModeSetCrtc (self->fd, c->crtc_id, 0, 0, 0, NULL, 0,
            NULL) == 0) {
      return;
    }
    GST_DEBUG_OBJECT (self, "could not restore CRTC %u: %s", c->crtc_id,
        g_strerror (errno));
  }

  if (self->atomic) {
    drmModeAtomicReq *req = drmModeAtomicAlloc ();
    GstVideoRectangle none = { 0, 0, 0, 0 };

    kms_atomic_add_plane (self, req, 0, &none, &none);
    if (drmModeAtomicCommit (self->fd, req, 0, NULL))
      GST_DEBUG_OBJECT (self, "disabling plane: %s", g_strerror (errno));
    drmModeAtomicFree (req);
  } else {
    drmModeSetPlane (self->fd, self->planes[self->plane].id, self->crtc_id,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}

static gboolean
gst_dma_heap_sink_stop (GstBaseSink * bsink)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  guint i;

  if (self->fd >= 0) {
    if (self->poll) {
      gst_poll_set_flushing (self->poll, FALSE);
      kms_wait_flip (self, TRUE);
    }
    kms_restore_display (self);
  }

  gst_buffer_replace (&self->displayed, NULL);
  gst_buffer_replace (&self->pending, NULL);
  self->displayed_fb = self->pending_fb = 0;
  self->flip_pending = FALSE;

  if (self->pool) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  g_clear_pointer (&self->pool_heap, g_free);

  if (self->fd >= 0) {
    g_clear_pointer (&self->cache, gst_kms_fb_cache_free);
    kms_release_dumbs (self);
    kms_dumb_destroy (self, &self->background);
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
  for (i = 0; i < self->n_planes; i++)
    kms_plane_desc_clear (&self->planes[i]);
  g_clear_pointer (&self->planes, g_free);
  self->n_planes = 0;
  self->plane = -1;
  g_clear_pointer (&self->modes, g_free);
  self->n_modes = 0;
  g_clear_pointer (&self->saved_crtc, drmModeFreeCrtc);
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->allowed_caps);
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&self->devpath, g_free);
  self->mode_set_by_us = FALSE;
  self->modeset_pending = FALSE;
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

static GstCaps *
gst_dma_heap_sink_get_caps (GstBaseSink * bsink, GstCaps * filter)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = self->allowed_caps ? gst_caps_ref (self->allowed_caps) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (!caps)
    caps = gst_pad_get_pad_template_caps (GST_BASE_SINK_PAD (bsink));

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps,
        GST_CAPS_INTERSECT_FIRST);

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
  gint plane, plane_id;
  gboolean prefer_primary;

  if (!gst_video_info_from_caps (&vinfo, caps))
    goto invalid_caps;

  fourcc = gst_drm_fourcc_from_video_format (GST_VIDEO_INFO_FORMAT (&vinfo));
  if (!fourcc)
    goto unknown_format;

  GST_OBJECT_LOCK (self);
  plane_id = self->plane_id;
  prefer_primary = self->force_modesetting || !self->saved_crtc
      || !self->saved_crtc->mode_valid;
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

  /* Frames of the old format must leave the screen before it changes. */
  kms_wait_flip (self, TRUE);

  self->vinfo = vinfo;
  self->fourcc = fourcc;
  self->plane = plane;
  if (self->atomic && !kms_find_plane_props (self, self->planes[plane].id))
    goto no_plane_props;
  if (!kms_configure_output (self))
    goto mode_failed;
  kms_update_layout (self);

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
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Invalid caps"),
        ("%" GST_PTR_FORMAT, caps));
    return FALSE;
  }
unknown_format:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Format %s has no DRM equivalent", gst_video_format_to_string
            (GST_VIDEO_INFO_FORMAT (&vinfo))), (NULL));
    return FALSE;
  }
no_such_plane:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("%s has no plane %d", self->devpath, plane_id), (NULL));
    return FALSE;
  }
unsupported_format:
  {
    gchar *name = gst_drm_fourcc_to_string (fourcc);

    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Format %s (DRM %s) is not supported by %s of %s for CRTC %u",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&vinfo)), name,
            plane_id >= 0 ? "the chosen plane" : "any plane", self->devpath,
            self->crtc_id), (NULL));
    g_free (name);
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

/* Frames in flight: upstream's, a queue's, the pending and shown ones. */
#define MIN_HEAP_FRAMES 8

/* Whether a bounded heap (a carveout or CMA area) has room for a pool. */
static gboolean
heap_holds_frames (const gchar * heap, gsize frame_size)
{
  GstDmaHeapInfo *info = gst_dma_heap_info_query (heap, NULL);
  gboolean ok = TRUE;

  if (info && info->total_bytes > 0)
    ok = info->total_bytes / MIN_HEAP_FRAMES >= frame_size;
  if (info)
    gst_dma_heap_info_free (info);
  return ok;
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
  if (!caps || !gst_video_info_from_caps (&vinfo, caps)) {
    GST_DEBUG_OBJECT (self, "no usable caps in the allocation query");
    return FALSE;
  }

  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);

  if (need_pool) {
    GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
    GstStructure *config = gst_buffer_pool_get_config (pool);
    gchar *heap;

    /* An explicit heap, else the one for the display device: the kernel
     * module's hint, else contiguous memory when the device has no IOMMU,
     * else the library's default choice. */
    GST_OBJECT_LOCK (self);
    heap = g_strdup (self->heap);
    GST_OBJECT_UNLOCK (self);
    if (!heap || g_strcmp0 (heap, "auto") == 0) {
      GError *err = NULL;

      g_free (heap);
      heap = gst_dma_heap_choose_for_device (self->devpath,
          GST_DMA_HEAP_NEED_NONE, &err);
      if (!heap) {
        GST_WARNING_OBJECT (self, "no heap for %s: %s", self->devpath,
            err->message);
        g_clear_error (&err);
      } else if (!heap_holds_frames (heap, vinfo.size)) {
        /* A pool that runs dry stops the stream; frames from a heap the
         * display cannot import are copied, which is slower but shows. */
        GST_WARNING_OBJECT (self, "heap %s (chosen for %s) cannot hold %d "
            "frames of %" G_GSIZE_FORMAT " bytes: using the default heap; set "
            "heap=%s to insist", heap, self->devpath, MIN_HEAP_FRAMES,
            vinfo.size, heap);
        g_free (heap);
        heap = gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, NULL);
      }
    }

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
    }
    gst_object_unref (pool);
    g_free (heap);
  }

  return TRUE;
}

/* Upstream wants its buffers back (a pool about to be torn down): keep the
 * last frame on screen from a copy, release the imported buffer. */
static void
kms_drain (GstDmaHeapSink * self)
{
  GstVideoRectangle src, dst;
  GstBuffer *last;
  GstKmsDumb *dumb;
  gint ret;

  if (self->plane < 0)
    return;
  if (kms_wait_flip (self, TRUE) != GST_FLOW_OK || !self->displayed)
    return;

  last = gst_buffer_ref (self->displayed);
  dumb = kms_copy_frame (self, last, &src, &dst);
  if (dumb) {
    ret = kms_show_fb (self, NULL, dumb->fb_id, dumb->width, dumb->height,
        &src, &dst, FALSE);
    if (ret == 0)
      kms_wait_flip (self, TRUE);
    else
      GST_WARNING_OBJECT (self, "could not show the drained frame: %s",
          g_strerror (-ret));
  }
  gst_buffer_unref (last);
}

static gboolean
gst_dma_heap_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  /* EOS means rendered: the last frame must be on screen (and counted). */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->plane >= 0)
    kms_wait_flip (self, TRUE);

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

static gboolean
gst_dma_heap_sink_query (GstBaseSink * bsink, GstQuery * query)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (bsink);

  if (GST_QUERY_TYPE (query) == GST_QUERY_DRAIN) {
    GST_DEBUG_OBJECT (self, "drain");
    kms_drain (self);
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

static GstStructure *
gst_dma_heap_sink_get_stats (GstDmaHeapSink * self)
{
  GstStructure *s;

  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("dmaheapsink-stats",
      "frames-shown", G_TYPE_UINT64, self->frames_shown,
      "imports", G_TYPE_UINT64, self->imports,
      "cache-hits", G_TYPE_UINT64, self->cache_hits,
      "copies", G_TYPE_UINT64, self->copies,
      "drops", G_TYPE_UINT64, self->drops,
      "heap", G_TYPE_STRING, self->pool_heap, NULL);
  GST_OBJECT_UNLOCK (self);

  return s;
}

static void
gst_dma_heap_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDmaHeapSink *self = GST_DMA_HEAP_SINK (object);

  if (gst_video_overlay_set_property (object, N_PROPS, prop_id, value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
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
    case PROP_HEAP:
      g_free (self->heap);
      self->heap = g_value_dup_string (value);
      break;
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
  g_free (self->heap);

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
  self->plane = -1;
  self->connector_id = DEFAULT_CONNECTOR_ID;
  self->plane_id = DEFAULT_PLANE_ID;
  self->force_modesetting = DEFAULT_FORCE_MODESETTING;
  self->can_scale = DEFAULT_CAN_SCALE;
  self->skip_vsync = DEFAULT_SKIP_VSYNC;
  self->use_atomic = DEFAULT_ATOMIC;
  gst_video_info_init (&self->vinfo);
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
      "connected display", NULL,
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
   * /dev/dma_heap/). Unset or "auto": the heap the kernel module hints for
   * the display device (a contiguous heap for a device without IOMMU),
   * else the pool's default.
   *
   * Since: 0.1
   */
  properties[PROP_HEAP] = g_param_spec_string ("heap", "Heap",
      "dma-buf heap for the buffers proposed upstream; unset or \"auto\": "
      "the one suited to the display device", NULL,
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

  /**
   * GstDmaHeapSink:stats:
   *
   * Counters since the sink started: `frames-shown` (page flips completed),
   * `imports` (dma-bufs turned into framebuffers), `cache-hits` (frames
   * shown from an already imported dma-buf), `copies` (frames copied into
   * dumb buffers because they could not be shown directly), `drops` (frames
   * dropped by skip-vsync), and `heap`, the heap of the pool proposed
   * upstream (NULL when none was taken).
   *
   * Since: 0.1
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Frames shown, imports, cache hits, copies and drops",
      GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);
  gst_video_overlay_install_properties (gobject_class, N_PROPS);

  gst_element_class_set_static_metadata (element_class,
      "dma-buf heap KMS video sink", "Sink/Video",
      "Shows dma-buf heap buffers on a display with DRM/KMS, without copies",
      "dmaheap project contributors");

  caps = gst_dma_heap_sink_template_caps ();
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);
}
