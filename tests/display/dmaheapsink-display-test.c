/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dmaheapsink on a real display: QEMU's cirrus in a tools/vm/vm-run guest
 * (--display), with vivid for a V4L2 source. Every check runs in one boot:
 *
 *  - a known videotestsrc pattern from the heap pool, zero copies, and the
 *    screen (a QEMU screendump) shows exactly that frame;
 *  - the same through the legacy (non-atomic) API;
 *  - a frame smaller than every mode on a plane that cannot scale: copied,
 *    centred, black around it;
 *  - buffers that are not dma-bufs (identity drop-allocation=true) and
 *    dma-bufs the display cannot import (memfds): copied, counted, shown;
 *  - a render rectangle on that plane: the frame cropped into it (copied);
 *  - caps changing mid-stream: a new mode and pool, still zero copies;
 *  - heap=system (the in-kernel heap on 6.12): zero copies;
 *  - GStreamer's kmssink fed by dmaheapalloc: zero copies, the bars shown;
 *  - v4l2src io-mode=dmabuf-import from vivid, into the sink's pool and
 *    through dmaheapalloc: zero copies, the last frame on screen at EOS;
 *  - raw video no plane takes: a NEGOTIATION warning naming it, the device
 *    and what its planes take, before upstream's not-negotiated;
 *  - not DRM master: a clear error naming the device;
 *  - after each pipeline: no framebuffer, fd or heap buffer left behind.
 *
 * Without a DRM device it exits 77 (SKIP), unless --require-device (the VM
 * suite) makes that a failure. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create */
#endif

#include <gst/gst.h>
#include <gst/allocators/gstdmabuf.h>
#include <gst/video/video.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CARD "/dev/dri/card0"

static gint failures;

#define CHECK(cond, ...) G_STMT_START { \
  if (!(cond)) { \
    g_printerr ("FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
    g_printerr (__VA_ARGS__); \
    g_printerr ("\n"); \
    failures++; \
  } } G_STMT_END

/* ------------------------------------------------------------------------ */
/* what is left behind                                                       */

typedef struct
{
  gint fds;
  gint framebuffers;            /* -1: debugfs not readable */
  gint64 heap_buffers;          /* live buffers over all heaps of ours */
} Resources;

/* Open fds, but for the heaps themselves: the heap library opens each heap
 * once per process and keeps it, by design. */
static gint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;
  gint n = 0;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);

    if (!target || !g_str_has_prefix (target, "/dev/dma_heap/"))
      n++;
    g_free (target);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  return n;
}

static void
print_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);

    g_printerr ("    fd %s -> %s\n", name, GST_STR_NULL (target));
    g_free (target);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
}

static gint
count_framebuffers (void)
{
  gchar *contents = NULL, *p;
  gint n = 0;

  if (!g_file_get_contents ("/sys/kernel/debug/dri/0/framebuffer", &contents,
          NULL, NULL))
    return -1;
  for (p = contents; (p = strstr (p, "framebuffer[")); p++)
    n++;
  g_free (contents);
  return n;
}

static gint64
count_heap_buffers (void)
{
  GDir *dir = g_dir_open ("/sys/class/dma_heap_ext", 0, NULL);
  const gchar *name;
  gint64 n = 0;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/sys/class/dma_heap_ext", name,
        "buffers", NULL);
    gchar *contents = NULL;

    if (g_file_get_contents (path, &contents, NULL, NULL))
      n += g_ascii_strtoll (contents, NULL, 10);
    g_free (contents);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  return n;
}

static Resources
resources_now (void)
{
  Resources r = { count_fds (), count_framebuffers (), count_heap_buffers () };

  return r;
}

static void
check_nothing_left (const gchar * what, const Resources * before)
{
  Resources after = resources_now ();

  CHECK (after.fds == before->fds, "%s: %d fds open, %d before", what,
      after.fds, before->fds);
  if (after.fds != before->fds)
    print_fds ();
  CHECK (after.framebuffers == before->framebuffers,
      "%s: %d framebuffers, %d before", what, after.framebuffers,
      before->framebuffers);
  CHECK (after.heap_buffers == before->heap_buffers,
      "%s: %" G_GINT64_FORMAT " heap buffers live, %" G_GINT64_FORMAT
      " before", what, after.heap_buffers, before->heap_buffers);
}

/* ------------------------------------------------------------------------ */
/* pictures                                                                  */

typedef struct
{
  gint width, height;
  guint8 *rgb;                  /* width * height * 3 */
} Image;

static void
image_clear (Image * img)
{
  g_free (img->rgb);
  memset (img, 0, sizeof (*img));
}

static gboolean
image_load_ppm (const gchar * path, Image * img)
{
  gchar *data = NULL;
  gsize len;
  gint w, h, max, pos = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  if (sscanf (data, "P6 %d %d %d%n", &w, &h, &max, &pos) != 3 || max != 255
      || len < (gsize) pos + 1 + (gsize) w * h * 3) {
    g_free (data);
    return FALSE;
  }
  img->width = w;
  img->height = h;
  img->rgb = g_memdup2 (data + pos + 1, (gsize) w * h * 3);
  g_free (data);
  return TRUE;
}

/* The frame of @sample as RGB (the buffer mapped through its video meta,
 * converted by GStreamer): what a screen showing that frame holds. */
static gboolean
image_from_sample (GstSample * sample, Image * img)
{
  GstCaps *caps = gst_sample_get_caps (sample), *plain, *rgb;
  GstSample *in, *out;
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  GError *err = NULL;
  gboolean ok = FALSE;
  gint y;

#if GST_CHECK_VERSION(1, 24, 0)
  if (caps && gst_video_is_dma_drm_caps (caps)) {
    GstVideoInfoDmaDrm drm;

    if (!gst_video_info_dma_drm_from_caps (&drm, caps)
        || !gst_video_info_dma_drm_to_video_info (&drm, &vinfo))
      return FALSE;
  } else
#endif
  if (!caps || !gst_video_info_from_caps (&vinfo, caps))
    return FALSE;

  /* the same bytes as system-memory caps, which videoconvert takes */
  plain = gst_video_info_to_caps (&vinfo);
  in = gst_sample_new (gst_sample_get_buffer (sample), plain, NULL, NULL);
  rgb = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB",
      "width", G_TYPE_INT, vinfo.width, "height", G_TYPE_INT, vinfo.height,
      NULL);
  out = gst_video_convert_sample (in, rgb, 30 * GST_SECOND, &err);
  if (!out)
    g_printerr ("converting the frame to RGB: %s\n",
        err ? err->message : "failed");
  g_clear_error (&err);
  gst_caps_unref (plain);
  gst_caps_unref (rgb);
  gst_sample_unref (in);
  if (!out)
    return FALSE;

  gst_video_info_from_caps (&vinfo, gst_sample_get_caps (out));
  if (gst_video_frame_map (&frame, &vinfo, gst_sample_get_buffer (out),
          GST_MAP_READ)) {
    img->width = vinfo.width;
    img->height = vinfo.height;
    img->rgb = g_malloc ((gsize) img->width * img->height * 3);
    for (y = 0; y < img->height; y++)
      memcpy (img->rgb + (gsize) y * img->width * 3,
          (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)
          + y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), img->width * 3);
    gst_video_frame_unmap (&frame);
    ok = TRUE;
  }
  gst_sample_unref (out);
  return ok;
}

/* What videotestsrc draws, as RGB, through appsink. */
static gboolean
image_from_pattern (const gchar * pattern, gint w, gint h, Image * img)
{
  gchar *desc = g_strdup_printf ("videotestsrc pattern=%s num-buffers=1 ! "
      "video/x-raw,format=RGB,width=%d,height=%d ! appsink name=out", pattern,
      w, h);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  GstSample *sample = NULL;
  gboolean ok = FALSE;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (sink, "pull-sample", &sample);
  if (sample) {
    ok = image_from_sample (sample, img);
    gst_sample_unref (sample);
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return ok;
}

/* Fraction of the pixels of @expected (its first @rows rows) that differ by
 * more than a small tolerance from @screen at (@x, @y). */
static gdouble
image_mismatch (const Image * screen, gint x, gint y, const Image * expected,
    gint rows)
{
  gint64 bad = 0, total = 0;
  gint i, j, c;

  for (j = 0; j < rows; j++) {
    for (i = 0; i < expected->width; i++) {
      const guint8 *e = expected->rgb + ((gsize) j * expected->width + i) * 3;
      const guint8 *s;

      total++;
      if (x + i >= screen->width || y + j >= screen->height) {
        bad++;
        continue;
      }
      s = screen->rgb + ((gsize) (y + j) * screen->width + x + i) * 3;
      for (c = 0; c < 3; c++) {
        if (ABS ((gint) s[c] - (gint) e[c]) > 6) {
          bad++;
          break;
        }
      }
    }
  }

  return total ? (gdouble) bad / total : 1.0;
}

static gboolean
image_region_is_black (const Image * img, gint x, gint y, gint w, gint h)
{
  gint i, j;

  for (j = y; j < y + h; j++)
    for (i = x; i < x + w; i++) {
      const guint8 *p = img->rgb + ((gsize) j * img->width + i) * 3;

      if (p[0] > 8 || p[1] > 8 || p[2] > 8)
        return FALSE;
    }
  return TRUE;
}

/* Asks the VM runner for a screendump. */
static gboolean
screendump (const gchar * name, Image * img)
{
  gchar *argv[] = { (gchar *) "vm-screendump", (gchar *) name, NULL };
  gchar *out = NULL, *err = NULL;
  gint status = 0;
  gboolean ok;

  ok = g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
      &err, &status, NULL) && g_spawn_check_wait_status (status, NULL);
  if (ok) {
    g_strstrip (out);
    ok = image_load_ppm (out, img);
  }
  if (!ok)
    g_printerr ("screendump %s failed: %s\n", name, err ? err : "");
  g_free (out);
  g_free (err);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* pipelines                                                                 */

typedef struct
{
  guint64 frames_shown, imports, cache_hits, copies, drops;
  gchar *heap;
  gint display_width, display_height;
  gboolean dma_drm;             /* the sink's caps were DMA_DRM caps */
  GError *warning;              /* the first WARNING message, if any */
} Stats;

static void
get_stats (GstElement * sink, Stats * st)
{
  GstStructure *s = NULL;

  g_object_get (sink, "stats", &s, NULL);
  /* kmssink has only GstBaseSink's stats */
  if (!gst_structure_get_uint64 (s, "frames-shown", &st->frames_shown))
    gst_structure_get_uint64 (s, "rendered", &st->frames_shown);
  gst_structure_get_uint64 (s, "imports", &st->imports);
  gst_structure_get_uint64 (s, "cache-hits", &st->cache_hits);
  gst_structure_get_uint64 (s, "copies", &st->copies);
  gst_structure_get_uint64 (s, "drops", &st->drops);
  g_free (st->heap);
  st->heap = g_strdup (gst_structure_get_string (s, "heap"));
  gst_structure_free (s);
  g_object_get (sink, "display-width", &st->display_width, "display-height",
      &st->display_height, NULL);
}

typedef void (*WhileShowing) (GstElement * sink, gpointer data);

/* @at_frame for a call at EOS, the last frame still on screen */
#define AT_EOS G_MAXUINT64

/* Runs @desc (with a sink named "sink": dmaheapsink, or kmssink) to EOS.
 * Once @at_frame frames are on screen (or at EOS), calls @while_showing.
 * Returns the error, if any. */
static GError *
run_pipeline (const gchar * desc, Stats * st, guint64 at_frame,
    WhileShowing while_showing, gpointer data, GstElement ** keep_pipe)
{
  GError *error = NULL;
  GstElement *pipe = gst_parse_launch (desc, &error);
  GstElement *sink;
  GstBus *bus;
  gboolean done = FALSE, called = FALSE;
  gint64 deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;

  if (!pipe)
    return error;
  g_clear_error (&error);

  g_print ("  %s\n", desc);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  bus = gst_element_get_bus (pipe);
  if (keep_pipe)
    *keep_pipe = gst_object_ref (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  while (!done && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      GError *warning = NULL;

      gst_message_parse_warning (msg, &warning, NULL);
      g_print ("  warning: %s\n", warning->message);
      if (!st->warning)
        st->warning = g_steal_pointer (&warning);
      g_clear_error (&warning);
      gst_message_unref (msg);
      msg = NULL;
    } else if (msg) {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        gchar *dbg = NULL;

        gst_message_parse_error (msg, &error, &dbg);
        g_print ("  error: %s (%s)\n", error->message, dbg);
        g_free (dbg);
      } else if (sink && while_showing && at_frame == AT_EOS) {
        while_showing (sink, data);
        called = TRUE;
      }
      gst_message_unref (msg);
      done = TRUE;
    }
    if (sink && !called && while_showing && at_frame != AT_EOS) {
      get_stats (sink, st);
      if (st->frames_shown >= at_frame) {
        while_showing (sink, data);
        called = TRUE;
      }
    }
  }
  if (!done && !error)
    error = g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "timeout");
  if (sink && while_showing && !called && !error)
    error = g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "EOS before frame %" G_GUINT64_FORMAT, at_frame);
  if (sink && while_showing && at_frame == AT_EOS && !error)
    g_print ("  (screen taken at EOS)\n");

  if (sink) {
    GstPad *pad = gst_element_get_static_pad (sink, "sink");
    GstCaps *caps = gst_pad_get_current_caps (pad);

    if (caps) {
      gchar *str = gst_caps_to_string (caps);

      g_print ("  caps: %s\n", str);
      g_free (str);
#if GST_CHECK_VERSION(1, 24, 0)
      st->dma_drm = gst_video_is_dma_drm_caps (caps);
#endif
      gst_caps_unref (caps);
    }
    gst_object_unref (pad);
    get_stats (sink, st);
    g_print ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
        ", cache hits %" G_GUINT64_FORMAT ", copies %" G_GUINT64_FORMAT
        ", drops %" G_GUINT64_FORMAT ", heap %s\n", st->frames_shown,
        st->imports, st->cache_hits, st->copies, st->drops,
        GST_STR_NULL (st->heap));
    gst_object_unref (sink);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  return error;
}

typedef struct
{
  const gchar *name;
  Image screen;
  gint display_width, display_height;
  GstSample *last;              /* the sink's last-sample at the screendump */
} Shot;

static void
take_shot (GstElement * sink, gpointer data)
{
  Shot *shot = data;

  g_object_get (sink, "display-width", &shot->display_width,
      "display-height", &shot->display_height, NULL);
  g_clear_pointer (&shot->last, gst_sample_unref);
  g_object_get (sink, "last-sample", &shot->last, NULL);
  if (!screendump (shot->name, &shot->screen))
    failures++;
}

static void
shot_clear (Shot * shot)
{
  image_clear (&shot->screen);
  g_clear_pointer (&shot->last, gst_sample_unref);
}

/* ------------------------------------------------------------------------ */
/* checks                                                                    */

/* The SMPTE bars in the top two thirds; below them is noise. */
static void
check_pattern_on_screen (const gchar * what, Shot * shot, gint w, gint h)
{
  Image expected = { 0, };
  gdouble mismatch;

  if (!shot->screen.rgb)
    return;
  CHECK (image_from_pattern ("smpte", w, h, &expected), "reference frame");
  CHECK (shot->screen.width == shot->display_width
      && shot->screen.height == shot->display_height,
      "%s: screen %dx%d, mode %dx%d", what, shot->screen.width,
      shot->screen.height, shot->display_width, shot->display_height);
  mismatch = image_mismatch (&shot->screen, (shot->screen.width - w) / 2,
      (shot->screen.height - h) / 2, &expected, h * 2 / 3);
  g_print ("  %s: %.3f%% of the pixels differ\n", what, mismatch * 100);
  CHECK (mismatch < 0.001, "%s: %.2f%% of the frame is not on screen", what,
      mismatch * 100);
  CHECK (!image_region_is_black (&shot->screen, (shot->screen.width - w) / 2,
          (shot->screen.height - h) / 2, w, h / 2), "%s: black screen", what);
  image_clear (&expected);
}

/* The screen shows exactly the frame the sink rendered last, centred: a
 * stale frame, or one still being written, differs from it. */
static void
check_last_frame_on_screen (const gchar * what, Shot * shot)
{
  Image expected = { 0, };
  gdouble mismatch;

  if (!shot->screen.rgb)
    return;
  CHECK (shot->last != NULL, "%s: the sink has no last sample", what);
  if (!shot->last)
    return;
  CHECK (image_from_sample (shot->last, &expected), "%s: the last frame as "
      "RGB", what);
  if (!expected.rgb)
    return;
  mismatch = image_mismatch (&shot->screen, (shot->screen.width -
          expected.width) / 2, (shot->screen.height - expected.height) / 2,
      &expected, expected.height);
  g_print ("  %s: %.3f%% of the pixels differ from the last frame\n", what,
      mismatch * 100);
  CHECK (mismatch < 0.001, "%s: %.2f%% of the last frame is not on screen",
      what, mismatch * 100);
  CHECK (!image_region_is_black (&shot->screen, (shot->screen.width -
              expected.width) / 2, (shot->screen.height - expected.height) / 2,
          expected.width, expected.height / 2), "%s: black screen", what);
  image_clear (&expected);
}

static void
test_pattern_zero_copy (gboolean atomic)
{
  Resources before = resources_now ();
  Shot shot = { atomic ? "pattern-atomic" : "pattern-legacy", };
  Stats st = { 0, };
  gchar *desc;
  GError *err;

  g_print ("%s: SMPTE bars from the heap pool, %s API\n", shot.name,
      atomic ? "atomic" : "legacy");
  desc = g_strdup_printf ("videotestsrc pattern=smpte is-live=true "
      "num-buffers=40 ! video/x-raw,format=BGRx,width=640,height=480,"
      "framerate=10/1 ! dmaheapsink name=sink sync=false atomic=%s",
      atomic ? "true" : "false");
  err = run_pipeline (desc, &st, 5, take_shot, &shot, NULL);

  CHECK (err == NULL, "%s", err->message);
  /* The live source paces, sync=false: no frame is late, none dropped. */
  CHECK (st.frames_shown >= 40, "%" G_GUINT64_FORMAT " frames shown",
      st.frames_shown);
  CHECK (st.copies == 0, "%" G_GUINT64_FORMAT " copies", st.copies);
  CHECK (st.imports > 0 && st.imports <= 8, "%" G_GUINT64_FORMAT " imports",
      st.imports);
  CHECK (st.cache_hits + st.imports >= st.frames_shown,
      "hits %" G_GUINT64_FORMAT, st.cache_hits);
  CHECK (st.heap != NULL, "no heap pool taken upstream");
  CHECK (st.warning == NULL, "warning: %s", st.warning->message);
  /* The plane cannot scale: the sink set a 640x480 mode. */
  CHECK (shot.display_width == 640 && shot.display_height == 480,
      "mode %dx%d", shot.display_width, shot.display_height);
  check_pattern_on_screen (shot.name, &shot, 640, 480);

  shot_clear (&shot);
  g_clear_error (&err);
  g_free (st.heap);
  g_free (desc);
  check_nothing_left (shot.name, &before);
}

/* The DRM driver of /dev/dri/cardN ("cirrus-qemu", "vkms"); "" if none */
static gchar *
card_driver (const gchar * card)
{
  gchar *node = g_strdup_printf ("/dev/dri/%s", card);
  gint fd = open (node, O_RDWR | O_CLOEXEC);
  drmVersionPtr v = fd >= 0 ? drmGetVersion (fd) : NULL;
  gchar *name = g_strdup (v ? v->name : "");

  if (v)
    drmFreeVersion (v);
  if (fd >= 0)
    close (fd);
  g_free (node);
  return name;
}

/* dmaheapalloc's copies and buffers passed through, from the element
 * named "alloc" in @pipe; releases @pipe */
static void
alloc_stats (GstElement * pipe, guint64 * copies, guint64 * passthrough)
{
  GstElement *alloc = gst_bin_get_by_name (GST_BIN (pipe), "alloc");
  GstStructure *s;

  *copies = 1;
  *passthrough = 0;
  g_object_get (alloc, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "copies", copies);
  gst_structure_get_uint64 (s, "passthrough", passthrough);
  gst_structure_free (s);
  gst_object_unref (alloc);
  gst_object_unref (pipe);
}

/* dmaheapalloc in front: its buffers pass to the sink, as DMA_DRM caps on
 * GStreamer 1.24+ (dmaheapalloc sends those when the sink takes them). */
static void
test_from_dmaheapalloc (void)
{
  Resources before = resources_now ();
  Shot shot = { "from-dmaheapalloc", };
  Stats st = { 0, };
  guint64 copies = 1, passthrough = 0;
  GstElement *pipe = NULL;
  GError *err;

  g_print ("%s: SMPTE bars through dmaheapalloc\n", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=20 "
      "! video/x-raw,format=BGRx,width=640,height=480,framerate=10/1 ! "
      "dmaheapalloc name=alloc ! dmaheapsink name=sink sync=false", &st, 5,
      take_shot, &shot, &pipe);
  CHECK (err == NULL, "%s", err->message);
  if (pipe)
    alloc_stats (pipe, &copies, &passthrough);
  CHECK (st.frames_shown >= 20, "%" G_GUINT64_FORMAT " frames shown",
      st.frames_shown);
  CHECK (st.copies == 0 && copies == 0 && passthrough == 20,
      "copies: sink %" G_GUINT64_FORMAT ", dmaheapalloc %" G_GUINT64_FORMAT
      " (passed %" G_GUINT64_FORMAT ")", st.copies, copies, passthrough);
#if GST_CHECK_VERSION(1, 24, 0)
  CHECK (st.dma_drm, "the sink was not given DMA_DRM caps");
#endif
  check_pattern_on_screen (shot.name, &shot, 640, 480);

  shot_clear (&shot);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left (shot.name, &before);
}

/* The size of the mode a CRTC of CARD shows now (the console's), or FALSE */
static gboolean
current_mode (gint * width, gint * height)
{
  gint fd = open (CARD, O_RDWR | O_CLOEXEC), i;
  drmModeResPtr res = fd >= 0 ? drmModeGetResources (fd) : NULL;
  gboolean found = FALSE;

  for (i = 0; res && i < res->count_crtcs && !found; i++) {
    drmModeCrtcPtr crtc = drmModeGetCrtc (fd, res->crtcs[i]);

    if (crtc && crtc->mode_valid) {
      *width = crtc->mode.hdisplay;
      *height = crtc->mode.vdisplay;
      found = TRUE;
    }
    if (crtc)
      drmModeFreeCrtc (crtc);
  }
  if (res)
    drmModeFreeResources (res);
  if (fd >= 0)
    close (fd);
  return found;
}

/* GStreamer's own kmssink fed by dmaheapalloc (DMA_DRM caps on 1.24+):
 * it imports the heap buffers (check-vm counts that), and the screen shows
 * the bars while it plays. Frames of the console's mode: kmssink neither
 * scales on cirrus nor shows anything there with force-modesetting (the
 * screen stays black with its own dumb buffers too; 1.22 and 1.26). */
static void
test_kmssink_from_dmaheapalloc (void)
{
  Resources before = resources_now ();
  Shot shot = { "kmssink", };
  Stats st = { 0, };
  guint64 copies = 1, passthrough = 0;
  GstElement *pipe = NULL;
  gchar *driver = card_driver (CARD + strlen ("/dev/dri/"));
  gchar *desc;
  GError *err;
  gint w = 0, h = 0;

  if (!gst_registry_check_feature_version (gst_registry_get (), "kmssink",
          1, 0, 0) || !current_mode (&w, &h)) {
    CHECK (FALSE, "no kmssink (install gstreamer1.0-plugins-bad) or no mode "
        "set on " CARD);
    g_free (driver);
    return;
  }
  g_print ("%s: SMPTE bars through dmaheapalloc into kmssink\n", shot.name);
  /* skip-vsync: cirrus has no vblank */
  desc = g_strdup_printf ("videotestsrc pattern=smpte is-live=true "
      "num-buffers=20 ! video/x-raw,format=BGRx,width=%d,height=%d,"
      "framerate=10/1 ! dmaheapalloc name=alloc ! kmssink name=sink "
      "driver-name=%s skip-vsync=true sync=false", w, h, driver);
  err = run_pipeline (desc, &st, 5, take_shot, &shot, &pipe);
  CHECK (err == NULL, "%s", err->message);
  if (pipe)
    alloc_stats (pipe, &copies, &passthrough);
  CHECK (copies == 0 && passthrough == 20, "dmaheapalloc: copies %"
      G_GUINT64_FORMAT ", passed %" G_GUINT64_FORMAT, copies, passthrough);
#if GST_CHECK_VERSION(1, 24, 0)
  CHECK (st.dma_drm, "kmssink was not given DMA_DRM caps");
#endif
  CHECK (shot.display_width == w && shot.display_height == h,
      "mode %dx%d", shot.display_width, shot.display_height);
  check_pattern_on_screen (shot.name, &shot, w, h);

  shot_clear (&shot);
  g_clear_error (&err);
  g_free (st.heap);
  g_free (desc);
  g_free (driver);
  check_nothing_left (shot.name, &before);
}

static void
test_small_frame_centred (void)
{
  Resources before = resources_now ();
  Shot shot = { "small-centred", };
  Stats st = { 0, };
  GError *err;

  g_print ("%s: 320x240 has no mode and cirrus cannot scale\n", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! video/x-raw,format=BGRx,width=320,height=240,framerate=10/1 ! "
      "dmaheapsink name=sink sync=false", &st, 5, take_shot, &shot, NULL);

  CHECK (err == NULL, "%s", err->message);
  CHECK (st.frames_shown >= 30, "%" G_GUINT64_FORMAT, st.frames_shown);
  CHECK (st.copies == st.frames_shown, "copies %" G_GUINT64_FORMAT
      " != frames %" G_GUINT64_FORMAT, st.copies, st.frames_shown);
  check_pattern_on_screen (shot.name, &shot, 320, 240);
  if (shot.screen.rgb) {
    CHECK (shot.screen.width > 320 && shot.screen.height > 240, "%dx%d",
        shot.screen.width, shot.screen.height);
    CHECK (image_region_is_black (&shot.screen, 0, 0, shot.screen.width,
            (shot.screen.height - 240) / 2), "top border not black");
  }

  shot_clear (&shot);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left (shot.name, &before);
}

static void
test_system_memory_copied (void)
{
  Resources before = resources_now ();
  Shot shot = { "system-memory", };
  Stats st = { 0, };
  GError *err;

  g_print ("%s: upstream ignores the pool\n", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! video/x-raw,format=BGRx,width=640,height=480,framerate=10/1 ! "
      "identity drop-allocation=true ! dmaheapsink name=sink sync=false", &st,
      5, take_shot, &shot, NULL);

  CHECK (err == NULL, "%s", err->message);
  CHECK (st.frames_shown >= 30, "%" G_GUINT64_FORMAT, st.frames_shown);
  CHECK (st.copies == st.frames_shown && st.imports == 0,
      "copies %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT,
      st.copies, st.imports);
  check_pattern_on_screen (shot.name, &shot, 640, 480);

  shot_clear (&shot);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left (shot.name, &before);
}

/* dma-buf memories whose fds are memfds: the import fails, the frame is
 * copied. */
static void
test_unimportable_copied (void)
{
  Resources before = resources_now ();
  GstElement *pipe = NULL, *src;
  GstAllocator *alloc = gst_dmabuf_allocator_new ();
  GstVideoInfo vinfo;
  GstCaps *caps;
  Stats st = { 0, };
  Shot shot = { "memfd", };
  gint i;

  g_print ("%s: dma-buf memories the display cannot import\n", shot.name);
  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_BGRx, 640, 480);
  caps = gst_video_info_to_caps (&vinfo);

  /* appsrc fed before PLAYING: 20 frames of pure red, then EOS. */
  pipe = gst_parse_launch ("appsrc name=src format=time ! "
      "dmaheapsink name=sink sync=false", NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (src, "caps", caps, "max-buffers", (guint64) 0, NULL);
  for (i = 0; i < 20; i++) {
    gint fd = memfd_create ("not-a-dmabuf", MFD_CLOEXEC);
    GstBuffer *buf = gst_buffer_new ();
    GstFlowReturn ret;
    guint8 *p;
    gsize j;

    CHECK (fd >= 0 && ftruncate (fd, vinfo.size) == 0, "memfd");
    p = mmap (NULL, vinfo.size, PROT_WRITE, MAP_SHARED, fd, 0);
    for (j = 0; j < vinfo.size; j += 4) {
      p[j] = 0;                 /* B */
      p[j + 1] = 0;             /* G */
      p[j + 2] = 255;           /* R */
      p[j + 3] = 255;
    }
    munmap (p, vinfo.size);
    gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (alloc, fd,
            vinfo.size));
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 10;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 10;
    g_signal_emit_by_name (src, "push-buffer", buf, &ret);
    gst_buffer_unref (buf);
  }
  {
    GstFlowReturn ret;

    g_signal_emit_by_name (src, "end-of-stream", &ret);
  }
  gst_object_unref (src);
  gst_caps_unref (caps);

  {
    /* run_pipeline parses a description; drive this one by hand. */
    GstBus *bus = gst_element_get_bus (pipe);
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
    GstMessage *msg;

    gst_element_set_state (pipe, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    CHECK (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "no EOS");
    if (msg)
      gst_message_unref (msg);
    get_stats (sink, &st);
    g_print ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
        ", copies %" G_GUINT64_FORMAT "\n", st.frames_shown, st.imports,
        st.copies);
    /* The last frame is still on screen until the sink stops. */
    take_shot (sink, &shot);
    gst_element_set_state (pipe, GST_STATE_NULL);
    gst_object_unref (sink);
    gst_object_unref (bus);
    gst_object_unref (pipe);
  }

  /* 20 buffers, the first shown twice (preroll, then playing). */
  CHECK (st.frames_shown >= 20, "%" G_GUINT64_FORMAT, st.frames_shown);
  CHECK (st.copies == st.frames_shown && st.imports == 0,
      "copies %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT, st.copies,
      st.imports);
  if (shot.screen.rgb) {
    const guint8 *c = shot.screen.rgb + ((gsize) shot.screen.height / 2 *
        shot.screen.width + shot.screen.width / 2) * 3;

    CHECK (c[0] == 255 && c[1] == 0 && c[2] == 0, "centre is %u,%u,%u",
        c[0], c[1], c[2]);
  }

  shot_clear (&shot);
  g_free (st.heap);
  gst_object_unref (alloc);
  check_nothing_left (shot.name, &before);
}

/* The frame cropped (cirrus cannot scale) into a corner of the screen. */
static void
test_render_rectangle (void)
{
  Resources before = resources_now ();
  Shot shot = { "render-rectangle", };
  Image expected = { 0, }, crop = { 0, };
  Stats st = { 0, };
  GError *err;
  gint y;

  g_print ("%s: 640x480 into <0,0,320,240>\n", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! video/x-raw,format=BGRx,width=640,height=480,framerate=10/1 ! "
      "dmaheapsink name=sink sync=false render-rectangle=<0,0,320,240>", &st,
      5, take_shot, &shot, NULL);

  CHECK (err == NULL, "%s", err->message);
  CHECK (st.frames_shown >= 30 && st.copies == st.frames_shown,
      "shown %" G_GUINT64_FORMAT ", copies %" G_GUINT64_FORMAT,
      st.frames_shown, st.copies);
  CHECK (image_from_pattern ("smpte", 640, 480, &expected), "reference");
  if (shot.screen.rgb && expected.rgb) {
    gdouble mismatch;

    /* The centre 320x240 of the frame, at the top left of the screen. */
    crop.width = 320;
    crop.height = 240;
    crop.rgb = g_malloc (320 * 240 * 3);
    for (y = 0; y < 240; y++)
      memcpy (crop.rgb + y * 320 * 3,
          expected.rgb + ((gsize) (y + 120) * 640 + 160) * 3, 320 * 3);
    mismatch = image_mismatch (&shot.screen, 0, 0, &crop, 240 * 2 / 3);
    g_print ("  %s: %.3f%% of the pixels differ\n", shot.name, mismatch * 100);
    CHECK (mismatch < 0.001, "%.2f%% differ", mismatch * 100);
    CHECK (image_region_is_black (&shot.screen, 320, 0,
            shot.screen.width - 320, shot.screen.height), "outside the "
        "rectangle is not black");
  }

  image_clear (&crop);
  image_clear (&expected);
  shot_clear (&shot);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left (shot.name, &before);
}

/* Caps change mid-stream: a new mode, a new pool, still no copies. */
static void
set_caps_800x600 (GstElement * sink, gpointer data)
{
  GstObject *pipe = gst_element_get_parent (sink);
  GstElement *filter = gst_bin_get_by_name (GST_BIN (pipe), "filter");
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
      "width=800,height=600,framerate=10/1");

  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_object_unref (filter);
  gst_object_unref (pipe);
}

static void
test_renegotiation (void)
{
  Resources before = resources_now ();
  Stats st = { 0, };
  GError *err;

  g_print ("renegotiation: 640x480, then 800x600 from frame 5\n");
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! capsfilter name=filter caps=video/x-raw,format=BGRx,width=640,"
      "height=480,framerate=10/1 ! dmaheapsink name=sink sync=false", &st, 5,
      set_caps_800x600, NULL, NULL);

  CHECK (err == NULL, "%s", err->message);
  CHECK (st.display_width == 800 && st.display_height == 600, "mode %dx%d",
      st.display_width, st.display_height);
  CHECK (st.frames_shown >= 30 && st.copies == 0, "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  /* Buffers of both pools were imported. */
  CHECK (st.imports >= 4, "imports %" G_GUINT64_FORMAT, st.imports);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left ("renegotiation", &before);
}

static void
test_heap_system (void)
{
  Resources before = resources_now ();
  Stats st = { 0, };
  GError *err;

  g_print ("heap=system: the system heap (in-kernel on 6.12)\n");
  err = run_pipeline ("videotestsrc num-buffers=20 ! video/x-raw,format=BGRx,"
      "width=640,height=480 ! dmaheapsink name=sink sync=false heap=system",
      &st, 0, NULL, NULL, NULL);
  CHECK (err == NULL, "%s", err->message);
  CHECK (st.frames_shown >= 20 && st.copies == 0, "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  CHECK (g_strcmp0 (st.heap, "system") == 0, "heap %s", st.heap);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left ("heap=system", &before);
}

static void
test_v4l2_zero_copy (void)
{
  Resources before;
  Stats st = { 0, };
  GError *err;
  gint v4l2src_leak = 0, i;
  GstElement *pipe = NULL;
  Shot shot = { "vivid", }, shot_alloc = { "vivid-dmaheapalloc", };
  guint64 copies = 1, passthrough = 0;

  /* GStreamer 1.22.0's v4l2src leaves its device fd and two GstPolls open
   * after every run, whatever the sink: measure it with fakesink, and
   * expect exactly that much more with dmaheapsink. The first run also
   * opens what GLib keeps for the process. */
  for (i = 0; i < 2; i++) {
    before = resources_now ();
    err = run_pipeline ("v4l2src device=/dev/video0 num-buffers=2 ! "
        "fakesink", &st, 0, NULL, NULL, NULL);
    CHECK (err == NULL, "%s", err->message);
    g_clear_error (&err);
    v4l2src_leak = count_fds () - before.fds;
  }
  g_print ("  v4l2src alone leaves %d fds open\n", v4l2src_leak);

  g_print ("vivid: v4l2src io-mode=dmabuf-import into the sink's pool\n");
  before = resources_now ();
  before.fds += v4l2src_leak;
  err = run_pipeline ("v4l2src device=/dev/video0 io-mode=dmabuf-import "
      "num-buffers=40 ! video/x-raw,format=BGRx,width=640,height=480 ! "
      "dmaheapsink name=sink", &st, AT_EOS, take_shot, &shot, NULL);

  CHECK (err == NULL, "%s", err->message);
  CHECK (st.frames_shown >= 35, "%" G_GUINT64_FORMAT " frames shown",
      st.frames_shown);
  CHECK (st.copies == 0, "%" G_GUINT64_FORMAT " copies", st.copies);
  CHECK (st.imports > 0 && st.cache_hits > 0, "imports %" G_GUINT64_FORMAT
      ", hits %" G_GUINT64_FORMAT, st.imports, st.cache_hits);
  CHECK (st.heap != NULL, "v4l2src did not take the heap pool");
  /* vivid writes its frame counter and time into every frame */
  check_last_frame_on_screen (shot.name, &shot);
  shot_clear (&shot);
  g_clear_error (&err);
  g_clear_pointer (&st.heap, g_free);
  check_nothing_left ("vivid", &before);

  /* the same through dmaheapalloc: its pool, DMA_DRM caps on 1.24+ */
  g_print ("vivid: v4l2src io-mode=dmabuf-import ! dmaheapalloc\n");
  before = resources_now ();
  before.fds += v4l2src_leak;
  memset (&st, 0, sizeof (st));
  err = run_pipeline ("v4l2src device=/dev/video0 io-mode=dmabuf-import "
      "num-buffers=40 ! video/x-raw,format=BGRx,width=640,height=480 ! "
      "dmaheapalloc name=alloc ! dmaheapsink name=sink", &st, AT_EOS,
      take_shot, &shot_alloc, &pipe);
  CHECK (err == NULL, "%s", err->message);
  if (pipe)
    alloc_stats (pipe, &copies, &passthrough);
  CHECK (st.frames_shown >= 35, "%" G_GUINT64_FORMAT " frames shown",
      st.frames_shown);
  CHECK (st.copies == 0 && copies == 0 && passthrough == st.frames_shown,
      "copies: sink %" G_GUINT64_FORMAT ", dmaheapalloc %" G_GUINT64_FORMAT
      " (passed %" G_GUINT64_FORMAT ")", st.copies, copies, passthrough);
#if GST_CHECK_VERSION(1, 24, 0)
  CHECK (st.dma_drm, "the sink was not given DMA_DRM caps");
#endif
  check_last_frame_on_screen (shot_alloc.name, &shot_alloc);
  shot_clear (&shot_alloc);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left ("vivid through dmaheapalloc", &before);
}

/* Raw video no plane takes: upstream's not-negotiated is preceded by the
 * sink's warning naming the format, the size and what the display takes. */
static void
test_unshowable_format (void)
{
  Resources before = resources_now ();
  Stats st = { 0, };
  GError *err;
  const gchar *msg;

  g_print ("unshowable: Y444, which no plane of the display takes\n");
  err = run_pipeline ("videotestsrc num-buffers=5 ! video/x-raw,format=Y444,"
      "width=640,height=480 ! dmaheapsink name=sink", &st, 0, NULL, NULL, NULL);
  CHECK (err != NULL, "no error: the pipeline played");
  CHECK (st.warning && g_error_matches (st.warning, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "warning: %s",
      st.warning ? st.warning->message : "none");
  msg = st.warning ? st.warning->message : "";
  CHECK (strstr (msg, "Y444 640x480") && strstr (msg, CARD)
      && strstr (msg, "BGRx") && strstr (msg, "videoconvert"),
      "the warning names neither the format and size asked, nor the "
      "device, what it takes and the fix: '%s'", msg);
  CHECK (st.frames_shown == 0, "%" G_GUINT64_FORMAT, st.frames_shown);
  g_clear_error (&st.warning);
  g_clear_error (&err);

  g_print ("unshowable: 4096x2160, larger than any plane of the display\n");
  err = run_pipeline ("videotestsrc num-buffers=5 ! video/x-raw,format=BGRx,"
      "width=4096,height=2160 ! dmaheapsink name=sink", &st, 0, NULL, NULL,
      NULL);
  CHECK (err != NULL, "no error: the pipeline played");
  msg = st.warning ? st.warning->message : "";
  CHECK (strstr (msg, "BGRx 4096x2160") && strstr (msg, "videoscale"),
      "the warning names neither the size asked nor the fix: '%s'", msg);
  g_clear_error (&st.warning);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left ("unshowable", &before);
}

static void
test_not_master (void)
{
  Resources before;
  Stats st = { 0, };
  GError *err;
  gint fd;

  g_print ("not-master: another client holds " CARD "\n");
  fd = open (CARD, O_RDWR | O_CLOEXEC);
  CHECK (fd >= 0, "open " CARD ": %s", g_strerror (errno));
  if (fd < 0)
    return;
  /* The first opener is master when there is none; make sure. */
  drmSetMaster (fd);
  CHECK (drmIsMaster (fd), "could not become master");
  before = resources_now ();

  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink",
      &st, 0, NULL, NULL, NULL);
  CHECK (err != NULL && g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_BUSY), "%s", err ? err->message : "no error");
  CHECK (err && strstr (err->message, CARD) != NULL, "%s",
      err ? err->message : "");
  CHECK (st.frames_shown == 0, "%" G_GUINT64_FORMAT, st.frames_shown);
  g_clear_error (&err);
  g_free (st.heap);
  check_nothing_left ("not-master", &before);

  close (fd);
}

static void
test_unknown_device_and_connector (void)
{
  Stats st = { 0, };
  GError *err;

  g_print ("bad settings: connector and plane that do not exist\n");
  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink "
      "connector-id=9999", &st, 0, NULL, NULL, NULL);
  CHECK (err && g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", err ? err->message : "none");
  /* the message a user sees names the connector and the ones there are */
  CHECK (err && strstr (err->message, "No connector 9999") &&
      strstr (err->message, " connected"), "%s", err ? err->message : "none");
  g_clear_error (&err);

  g_print ("bad settings: a heap that does not exist\n");
  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink "
      "heap=no-such-heap", &st, 0, NULL, NULL, NULL);
  CHECK (err && strstr (err->message, "heap=no-such-heap") &&
      strstr (err->message, "available heaps"), "%s",
      err ? err->message : "none");
  g_clear_error (&err);

  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink "
      "plane-id=9999", &st, 0, NULL, NULL, NULL);
  CHECK (err && strstr (err->message, "no plane 9999"), "%s",
      err ? err->message : "none");
  g_clear_error (&err);
  g_free (st.heap);
}

/* The device a sink with @props settles on (PAUSED), or NULL and @err. */
/* Aborts the process when a step takes longer than it may, naming it:
 * a hang becomes a failure with a message instead of a test timeout. */
static GMutex watchdog_lock;
static GCond watchdog_cond;
static gint watchdog_serial;
static gboolean watchdog_armed;

typedef struct
{
  gchar *what;
  gint serial;
  gint seconds;
} WatchdogArm;

static gpointer
watchdog_thread (gpointer data)
{
  WatchdogArm *arm = data;
  gint64 end = g_get_monotonic_time () + arm->seconds * G_TIME_SPAN_SECOND;

  g_mutex_lock (&watchdog_lock);
  while (watchdog_armed && watchdog_serial == arm->serial)
    if (!g_cond_wait_until (&watchdog_cond, &watchdog_lock, end))
      break;
  if (watchdog_armed && watchdog_serial == arm->serial) {
    g_printerr ("FAIL: '%s' did not finish in %d s: aborting\n", arm->what,
        arm->seconds);
    abort ();
  }
  g_mutex_unlock (&watchdog_lock);
  g_free (arm->what);
  g_free (arm);

  return NULL;
}

static void
watchdog_arm (const gchar * what, gint seconds)
{
  WatchdogArm *arm = g_new0 (WatchdogArm, 1);

  g_mutex_lock (&watchdog_lock);
  watchdog_armed = TRUE;
  arm->serial = ++watchdog_serial;
  g_mutex_unlock (&watchdog_lock);
  arm->what = g_strdup (what);
  arm->seconds = seconds;
  g_thread_unref (g_thread_new ("watchdog", watchdog_thread, arm));
}

static void
watchdog_disarm (void)
{
  g_mutex_lock (&watchdog_lock);
  watchdog_armed = FALSE;
  g_cond_broadcast (&watchdog_cond);
  g_mutex_unlock (&watchdog_lock);
}

static gchar *
device_chosen (const gchar * props, GError ** err)
{
  gchar *desc = g_strdup_printf ("videotestsrc ! video/x-raw,format=BGRx,"
      "width=640,height=480 ! dmaheapsink name=sink %s", props);
  GstElement *pipe, *sink;
  GstBus *bus;
  GstMessage *msg;
  gchar *device = NULL;

  /* a pipeline stuck anywhere here aborts the test saying where (CI runs in
   * fresh roots hung in this test on 6.1 until the VM's timeout) */
  g_print ("  %s\n", desc);
  watchdog_arm (desc, 120);
  pipe = gst_parse_launch (desc, err);
  if (!pipe) {
    watchdog_disarm ();
    g_free (desc);
    return NULL;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PAUSED);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR);
  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, err, NULL);
  else if (msg)
    g_object_get (sink, "device", &device, NULL);
  if (msg)
    gst_message_unref (msg);
  else
    g_print ("  %s: no ASYNC_DONE in 60 s\n", desc);
  gst_element_set_state (pipe, GST_STATE_NULL);
  watchdog_disarm ();
  g_free (desc);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return device;
}

/* Two displays (cirrus and vkms): without device, the one a person looks at
 * (PCI before a virtual device); driver-name and bus-id pick either. */
static void
test_device_choice (void)
{
  gchar *cirrus = NULL, *vkms = NULL, *dev, *drv, *bus_id = NULL, *props;
  GError *err = NULL;
  gint i;

  for (i = 0; i < 8; i++) {
    gchar *card = g_strdup_printf ("card%d", i);
    gchar *d = card_driver (card);

    if (g_str_has_prefix (d, "cirrus"))
      cirrus = g_strdup_printf ("/dev/dri/%s", card);
    else if (g_str_equal (d, "vkms"))
      vkms = g_strdup_printf ("/dev/dri/%s", card);
    if (g_str_has_prefix (d, "cirrus")) {
      gchar *link = g_strdup_printf ("/sys/class/drm/%s/device", card);
      gchar *target = g_file_read_link (link, NULL);

      bus_id = target ? g_path_get_basename (target) : NULL;
      g_free (target);
      g_free (link);
    }
    g_free (d);
    g_free (card);
  }
  g_print ("devices: cirrus %s (bus %s), vkms %s\n", GST_STR_NULL (cirrus),
      GST_STR_NULL (bus_id), GST_STR_NULL (vkms));
  CHECK (cirrus && vkms && bus_id, "two displays: cirrus and vkms");
  if (!cirrus || !vkms || !bus_id)
    goto out;

  dev = device_chosen ("", &err);
  CHECK (g_strcmp0 (dev, cirrus) == 0, "no device: %s, the real display "
      "(cirrus %s), not vkms: %s", GST_STR_NULL (dev), cirrus,
      err ? err->message : "");
  g_clear_error (&err);
  g_free (dev);

  drv = card_driver (g_strrstr (vkms, "card"));
  props = g_strdup_printf ("driver-name=%s", drv);
  dev = device_chosen (props, &err);
  CHECK (g_strcmp0 (dev, vkms) == 0, "%s: %s (%s)", props, GST_STR_NULL (dev),
      err ? err->message : "");
  g_clear_error (&err);
  g_free (dev);
  g_free (props);
  g_free (drv);

  props = g_strdup_printf ("bus-id=%s", bus_id);
  dev = device_chosen (props, &err);
  CHECK (g_strcmp0 (dev, cirrus) == 0, "%s: %s (%s)", props,
      GST_STR_NULL (dev), err ? err->message : "");
  g_clear_error (&err);
  g_free (dev);
  g_free (props);

  dev = device_chosen ("driver-name=no-such-driver", &err);
  CHECK (dev == NULL && err && g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "driver-name=no-such-driver: %s",
      err ? err->message : "no error");
  g_clear_error (&err);
  g_free (dev);
out:
  g_free (cirrus);
  g_free (vkms);
  g_free (bus_id);
}

int
main (int argc, char **argv)
{
  gboolean require_device = FALSE;
  gchar **only = NULL;
  GOptionEntry entries[] = {
    {"require-device", 0, 0, G_OPTION_ARG_NONE, &require_device,
        "Fail instead of skipping without " CARD, NULL},
    {"only", 0, 0, G_OPTION_ARG_STRING_ARRAY, &only, "Run only these checks",
        "NAME"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- dmaheapsink on a display");
  GError *err = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  if (!g_file_test (CARD, G_FILE_TEST_EXISTS)) {
    g_print ("no %s: %s\n", CARD, require_device ? "FAIL" : "SKIP");
    return require_device ? 1 : 77;
  }
  if (!gst_registry_check_feature_version (gst_registry_get (),
          "dmaheapsink", 0, 0, 0)) {
    g_printerr ("dmaheapsink not found: is GST_PLUGIN_PATH set?\n");
    return 1;
  }

#define WANT(name) (!only || g_strv_contains ((const gchar * const *) only, name))
  if (WANT ("pattern"))
    test_pattern_zero_copy (TRUE);
  if (WANT ("legacy"))
    test_pattern_zero_copy (FALSE);
  if (WANT ("dmaheapalloc"))
    test_from_dmaheapalloc ();
  if (WANT ("kmssink"))
    test_kmssink_from_dmaheapalloc ();
  if (WANT ("small"))
    test_small_frame_centred ();
  if (WANT ("system"))
    test_system_memory_copied ();
  if (WANT ("memfd"))
    test_unimportable_copied ();
  if (WANT ("rectangle"))
    test_render_rectangle ();
  if (WANT ("renegotiate"))
    test_renegotiation ();
  if (WANT ("heap-system"))
    test_heap_system ();
  if (WANT ("vivid"))
    test_v4l2_zero_copy ();
  if (WANT ("unshowable"))
    test_unshowable_format ();
  if (WANT ("master"))
    test_not_master ();
  if (WANT ("settings"))
    test_unknown_device_and_connector ();
  /* needs a second display: its own boot (meson.build) */
  if (only && WANT ("devices"))
    test_device_choice ();

  g_strfreev (only);
  g_print ("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
