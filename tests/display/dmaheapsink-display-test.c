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
 *  - the console's CRTC switched off (DPMS) before the sink starts: the
 *    sink sets the mode and the screen shows the frames;
 *  - a frame smaller than every mode on a plane that cannot scale: copied,
 *    centred, black around it;
 *  - buffers that are not dma-bufs (identity drop-allocation=true) and
 *    dma-bufs the display cannot import (memfds): copied, counted, shown;
 *  - (GStreamer 1.28) udmabuf frames of GstVideoDmabufPool: imported,
 *    zero copies, shown;
 *  - a render rectangle on that plane: the frame cropped into it (copied);
 *  - a GstVideoCropMeta (videocrop in front): the crop rectangle on screen,
 *    centred (copied); and (--only crop-plane, vkms) on an overlay, the
 *    frame imported whole with the crop as the plane's source rectangle;
 *  - caps changing mid-stream: a new mode and pool, still zero copies;
 *    and (--only bounded, vkms) both ways on a carveout too small for two
 *    pools: the old buffers given back at the change;
 *  - heap=system (the in-kernel heap on 6.12): zero copies;
 *  - (--only late-flip, vkms) page-flip events after the sink's timeout:
 *    no fatal EBUSY, no frame given back before the flip replacing it;
 *  - (--only legacy-larger, vkms) the legacy API on an overlay, a change
 *    to a larger mode: the background follows, one vblank a frame;
 *  - (--only plane-switch, vkms) new caps moving the frames from the
 *    overlay to the primary plane: the overlay turned off;
 *  - GStreamer's kmssink fed by dmaheapalloc: zero copies, the bars shown;
 *  - v4l2src io-mode=dmabuf-import from vivid, into the sink's pool and
 *    through dmaheapalloc: zero copies, vivid's picture on screen;
 *  - raw video no plane takes: a NEGOTIATION warning naming it, the device
 *    and what its planes take, with upstream's not-negotiated;
 *  - not DRM master: a clear error naming the device;
 *  - after each pipeline: no framebuffer, fd or heap buffer left behind.
 *
 * What the screen must show comes from the source rendered without the
 * path under test: videotestsrc or vivid straight to RGB through appsink,
 * compared pixel for pixel (raw video: nothing may change a pixel).
 *
 * Output is TAP: one "ok - ..." or "not ok - ...: details" line per check,
 * every other line of stdout a "# " comment (the VM runner adds the plan).
 * Without a DRM device it exits 77 (SKIP), unless --require-device (the VM
 * suite) makes that a failure; it also makes an unreadable debugfs (the
 * framebuffer lists) a failure. Exit status 1 on any failure, 2 on a bad
 * command line (an --only name it does not know). */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create */
#endif

#include <gst/gst.h>
#include <gst/allocators/gstdmabuf.h>
#if GST_CHECK_VERSION(1, 28, 0)
#include <gst/allocators/gstudmabufallocator.h>
#endif
#include <gst/video/video.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <linux/dma-heap.h>
#include <linux/videodev2.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CARD "/dev/dri/card0"
#define VIVID "/dev/video0"
#define DEBUGFS_DRI "/sys/kernel/debug/dri"

/* ------------------------------------------------------------------------ */
/* TAP output                                                                */

static gint failures;
static gboolean require_device;
/* what the result lines name: the check (its --only name) and, where a
 * check runs several pipelines, which one */
static const gchar *current_check = "setup";
static const gchar *current_part;

/* Everything on stdout but the result lines is a TAP comment: prints
 * @text (freed) line by line, each as "# LINE". */
static void
note_text (gchar * text)
{
  gchar **lines, **line;

  lines = g_strsplit (g_strchomp (text), "\n", -1);
  for (line = lines; *line; line++)
    g_print ("# %s\n", *line);
  g_strfreev (lines);
  g_free (text);
}

#define note(...) note_text (g_strdup_printf (__VA_ARGS__))

/* One TAP result line: "ok - CHECK: [PART: ]WHAT[ # SKIP REASON]" or
 * "not ok - CHECK: [PART: ]WHAT: DETAILS". A '#' would start a directive
 * and a newline a new line: neither may reach the description. */
static void
tap_result (gboolean ok, const gchar * what, const gchar * details,
    const gchar * skip)
{
  gchar *desc = g_strdup_printf ("%s: %s%s%s%s%s", current_check,
      current_part ? current_part : "", current_part ? ": " : "", what,
      ok ? "" : ": ", ok ? "" : GST_STR_NULL (details));
  gchar *reason = g_strdup (skip);

  g_strdelimit (desc, "#\r\n", ' ');
  if (reason)
    g_strdelimit (reason, "#\r\n", ' ');
  g_print ("%s - %s%s%s\n", ok ? "ok" : "not ok", desc,
      reason ? " # SKIP " : "", reason ? reason : "");
  if (!ok)
    failures++;
  g_free (reason);
  g_free (desc);
}

/* One check: @what is what holds when @cond does; the rest, a format and
 * its arguments, say what was seen instead (evaluated only then). */
#define CHECK(cond, what, ...) G_STMT_START { \
  if (cond) { \
    tap_result (TRUE, what, NULL, NULL); \
  } else { \
    gchar *details_ = g_strdup_printf (__VA_ARGS__); \
    g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    tap_result (FALSE, what, details_, NULL); \
    g_free (details_); \
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

/* why the last count_framebuffers () could not count, for the checks */
static gchar *framebuffers_unreadable;

/* The framebuffers of every display device, from DRM's debugfs list for
 * each card's minor (dri/<minor>/framebuffer: the card's own directory on
 * 6.1, a link to its device's from 6.4 on), so that one left behind counts
 * on whichever card a pipeline chose. A card without modesetting (vgem)
 * has no list and no framebuffers. -1, the reason in
 * framebuffers_unreadable, when a card's directory cannot be read: debugfs
 * not mounted, or not root. @lists, if given, gets the files read. */
static gint
count_framebuffers (GString * lists)
{
  GDir *dir = g_dir_open ("/dev/dri", 0, NULL);
  const gchar *name;
  gint n = 0;

  g_clear_pointer (&framebuffers_unreadable, g_free);
  while (dir && n >= 0 && (name = g_dir_read_name (dir))) {
    gchar *node, *debugdir = NULL, *list = NULL, *contents = NULL, *p;
    GError *err = NULL;
    struct stat st;

    node = g_build_filename ("/dev/dri", name, NULL);
    if (!g_str_has_prefix (name, "card") || stat (node, &st) != 0
        || !S_ISCHR (st.st_mode))
      goto next;
    debugdir = g_strdup_printf (DEBUGFS_DRI "/%u", minor (st.st_rdev));
    list = g_build_filename (debugdir, "framebuffer", NULL);
    if (stat (debugdir, &st) != 0) {
      framebuffers_unreadable = g_strdup_printf ("%s (the debugfs directory "
          "of %s): %s: mount debugfs (as root: mount -t debugfs none "
          "/sys/kernel/debug)", debugdir, node, g_strerror (errno));
      n = -1;
      goto next;
    }
    if (!g_file_test (list, G_FILE_TEST_EXISTS))
      goto next;
    if (!g_file_get_contents (list, &contents, NULL, &err)) {
      framebuffers_unreadable = g_strdup_printf ("%s", err->message);
      g_clear_error (&err);
      n = -1;
      goto next;
    }
    for (p = contents; (p = strstr (p, "framebuffer[")); p++)
      n++;
    if (lists)
      g_string_append_printf (lists, "%s%s (%s)", lists->len ? ", " : "",
          list, node);
  next:
    g_free (contents);
    g_free (list);
    g_free (debugdir);
    g_free (node);
  }
  if (dir)
    g_dir_close (dir);
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
  Resources r;

  r.fds = count_fds ();
  r.framebuffers = count_framebuffers (NULL);
  r.heap_buffers = count_heap_buffers ();
  return r;
}

static void
check_nothing_left (const Resources * before)
{
  Resources after = resources_now ();

  CHECK (after.fds == before->fds, "no fd left open", "%d fds open, %d "
      "before", after.fds, before->fds);
  if (after.fds != before->fds)
    print_fds ();
  /* an unreadable list is no proof that nothing is left */
  if (before->framebuffers < 0 || after.framebuffers < 0) {
    const gchar *why = framebuffers_unreadable ? framebuffers_unreadable :
        "the framebuffer lists were not readable before the pipeline ran";

    if (require_device)
      CHECK (FALSE, "no framebuffer left", "cannot count framebuffers: %s",
          why);
    else
      tap_result (TRUE, "no framebuffer left", NULL, why);
  } else {
    CHECK (after.framebuffers == before->framebuffers, "no framebuffer left",
        "%d framebuffers, %d before", after.framebuffers, before->framebuffers);
  }
  CHECK (after.heap_buffers == before->heap_buffers, "no heap buffer left",
      "%" G_GINT64_FORMAT " heap buffers live, %" G_GINT64_FORMAT " before",
      after.heap_buffers, before->heap_buffers);
}

/* ------------------------------------------------------------------------ */
/* pictures                                                                  */

typedef struct
{
  gint width, height;
  guint8 *rgb;                  /* width * height * 3 */
} Image;

typedef struct
{
  gint x, y, width, height;
} Region;

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
 * converted by GStreamer). */
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

/* The first frame of @desc, a pipeline ending in "appsink name=out", as
 * RGB: a source's picture, rendered without the path under test. */
static gboolean
image_from_launch (const gchar * desc, Image * img)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err), *sink;
  GstSample *sample = NULL;
  gboolean ok = FALSE;

  if (!pipe) {
    g_printerr ("%s: %s\n", desc, err ? err->message : "cannot parse");
    g_clear_error (&err);
    return FALSE;
  }
  g_clear_error (&err);
  note ("  reference: %s", desc);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "out");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  /* not pull-sample: after an error upstream it would wait forever */
  g_signal_emit_by_name (sink, "try-pull-sample", 30 * GST_SECOND, &sample);
  if (sample) {
    ok = image_from_sample (sample, img);
    gst_sample_unref (sample);
  } else {
    g_printerr ("%s: no frame in 30 s\n", desc);
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return ok;
}

/* What videotestsrc draws, as RGB. */
static gboolean
image_from_pattern (const gchar * pattern, gint w, gint h, Image * img)
{
  gchar *desc = g_strdup_printf ("videotestsrc pattern=%s num-buffers=1 ! "
      "video/x-raw,format=RGB,width=%d,height=%d ! appsink name=out", pattern,
      w, h);
  gboolean ok = image_from_launch (desc, img);

  g_free (desc);
  return ok;
}

/* How many pixels of @expected, but those in @skip (if any), differ from
 * @screen at (@x, @y); @compared gets how many were compared and @first
 * says where the first difference is and what it is. Exact: raw video
 * passes through the display unchanged. */
static gint64
image_compare (const Image * screen, gint x, gint y, const Image * expected,
    const Region * skip, gint64 * compared, gchar ** first)
{
  gint64 bad = 0;
  gint i, j;

  *compared = 0;
  *first = NULL;
  for (j = 0; j < expected->height; j++) {
    for (i = 0; i < expected->width; i++) {
      const guint8 *e = expected->rgb + ((gsize) j * expected->width + i) * 3;
      const guint8 *s;

      if (skip && i >= skip->x && i < skip->x + skip->width && j >= skip->y
          && j < skip->y + skip->height)
        continue;
      (*compared)++;
      if (x + i < 0 || y + j < 0 || x + i >= screen->width
          || y + j >= screen->height) {
        if (!bad++)
          *first = g_strdup_printf ("(%d,%d) off the screen", i, j);
        continue;
      }
      s = screen->rgb + ((gsize) (y + j) * screen->width + x + i) * 3;
      if (memcmp (s, e, 3) != 0 && !bad++)
        *first = g_strdup_printf ("(%d,%d): screen %u,%u,%u, source %u,%u,%u",
            i, j, s[0], s[1], s[2], e[0], e[1], e[2]);
    }
  }
  return bad;
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
  guint64 late;                 /* GstBaseSink's "dropped": late frames */
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
  gst_structure_get_uint64 (s, "dropped", &st->late);
  g_free (st->heap);
  st->heap = g_strdup (gst_structure_get_string (s, "heap"));
  gst_structure_free (s);
  g_object_get (sink, "display-width", &st->display_width, "display-height",
      &st->display_height, NULL);
}

static void
stats_clear (Stats * st)
{
  g_clear_pointer (&st->heap, g_free);
  g_clear_error (&st->warning);
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

  note ("  %s", desc);
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
      note ("  warning: %s", warning->message);
      if (!st->warning)
        st->warning = g_steal_pointer (&warning);
      g_clear_error (&warning);
      gst_message_unref (msg);
      msg = NULL;
    } else if (msg) {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        gchar *dbg = NULL;

        gst_message_parse_error (msg, &error, &dbg);
        note ("  error: %s (%s)", error->message, GST_STR_NULL (dbg));
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
  /* A sink's warning about caps it cannot show comes after upstream's
   * not-negotiated error, with the EOS that follows it (a query must not
   * post messages): read on for it, a second at most. */
  if (error && !st->warning) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_WARNING);

    if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &st->warning, NULL);
      note ("  warning (after the error): %s", st->warning->message);
    }
    if (msg)
      gst_message_unref (msg);
  }
  if (sink && while_showing && !called && !error)
    error = g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "EOS before frame %" G_GUINT64_FORMAT, at_frame);
  if (sink && while_showing && at_frame == AT_EOS && !error)
    note ("  (screen taken at EOS)");

  if (sink) {
    GstPad *pad = gst_element_get_static_pad (sink, "sink");
    GstCaps *caps = gst_pad_get_current_caps (pad);

    if (caps) {
      gchar *str = gst_caps_to_string (caps);

      note ("  caps: %s", str);
      g_free (str);
#if GST_CHECK_VERSION(1, 24, 0)
      st->dma_drm = gst_video_is_dma_drm_caps (caps);
#endif
      gst_caps_unref (caps);
    }
    gst_object_unref (pad);
    get_stats (sink, st);
    note ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
        ", cache hits %" G_GUINT64_FORMAT ", copies %" G_GUINT64_FORMAT
        ", drops %" G_GUINT64_FORMAT ", heap %s", st->frames_shown,
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
} Shot;

static void
take_shot (GstElement * sink, gpointer data)
{
  Shot *shot = data;

  g_object_get (sink, "display-width", &shot->display_width,
      "display-height", &shot->display_height, NULL);
  CHECK (screendump (shot->name, &shot->screen), "screendump taken",
      "vm-screendump %s failed (its message is on stderr)", shot->name);
}

/* ------------------------------------------------------------------------ */
/* checks                                                                    */

/* for check_image_on_screen: @expected in the middle of the screen */
#define CENTRED G_MININT

/* The screen of @shot shows @expected at (@x, @y) (or CENTRED), pixel for
 * pixel, but for @skip (a part of @expected that changes from frame to
 * frame; NULL: none). */
static void
check_image_on_screen (const gchar * what, Shot * shot,
    const Image * expected, gint x, gint y, const Region * skip)
{
  gint64 differ = -1, compared = 0;
  gchar *first = NULL;

  if (shot->screen.rgb) {
    CHECK (shot->screen.width == shot->display_width
        && shot->screen.height == shot->display_height,
        "the screendump has the mode's size", "screen %dx%d, mode %dx%d",
        shot->screen.width, shot->screen.height, shot->display_width,
        shot->display_height);
  }
  if (shot->screen.rgb && expected->rgb) {
    if (x == CENTRED)
      x = (shot->screen.width - expected->width) / 2;
    if (y == CENTRED)
      y = (shot->screen.height - expected->height) / 2;
    differ = image_compare (&shot->screen, x, y, expected, skip, &compared,
        &first);
    note ("  %s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " pixels differ "
        "from the source", shot->name, differ, compared);
  }
  if (!shot->screen.rgb)
    CHECK (FALSE, what, "no screendump");
  else if (!expected->rgb)
    CHECK (FALSE, what, "no source frame to compare with");
  else
    CHECK (differ == 0 && compared > 0, what, "%" G_GINT64_FORMAT " of %"
        G_GINT64_FORMAT " pixels differ, the first at %s", differ, compared,
        GST_STR_NULL (first));
  g_free (first);
}

/* The screen shows videotestsrc's SMPTE bars (@w x @h, centred) pixel for
 * pixel, but for their corner of noise (bottom right from 3/4 of the
 * width and height: random in every frame). */
static void
check_pattern_on_screen (Shot * shot, gint w, gint h)
{
  Image expected = { 0, };
  Region noise = { w * 3 / 4, h * 3 / 4, w - w * 3 / 4, h - h * 3 / 4 };

  CHECK (image_from_pattern ("smpte", w, h, &expected),
      "the source frame (videotestsrc to RGB)", "could not render it");
  check_image_on_screen ("the screen shows the source's SMPTE bars, pixel "
      "for pixel", shot, &expected, CENTRED, CENTRED, &noise);
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

  note ("%s: SMPTE bars from the heap pool, %s API", shot.name,
      atomic ? "atomic" : "legacy");
  desc = g_strdup_printf ("videotestsrc pattern=smpte is-live=true "
      "num-buffers=40 ! video/x-raw,format=BGRx,width=640,height=480,"
      "framerate=10/1 ! dmaheapsink name=sink sync=false atomic=%s",
      atomic ? "true" : "false");
  err = run_pipeline (desc, &st, 5, take_shot, &shot, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  /* The live source paces, sync=false: no frame is late, none dropped. */
  CHECK (st.frames_shown >= 40, "all 40 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  CHECK (st.copies == 0, "zero copies", "%" G_GUINT64_FORMAT " copies",
      st.copies);
  CHECK (st.imports > 0 && st.imports <= 8, "each pool buffer imported once",
      "%" G_GUINT64_FORMAT " imports", st.imports);
  CHECK (st.cache_hits + st.imports >= st.frames_shown,
      "every other frame a framebuffer cache hit", "hits %" G_GUINT64_FORMAT
      ", imports %" G_GUINT64_FORMAT, st.cache_hits, st.imports);
  CHECK (st.heap != NULL, "the heap pool taken upstream", "no heap");
  CHECK (st.warning == NULL, "no warning", "%s", st.warning->message);
  /* The plane cannot scale: the sink set a 640x480 mode. */
  CHECK (shot.display_width == 640 && shot.display_height == 480,
      "a 640x480 mode set", "mode %dx%d", shot.display_width,
      shot.display_height);
  check_pattern_on_screen (&shot, 640, 480);

  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  g_free (desc);
  check_nothing_left (&before);
}

static void
test_pattern_atomic (void)
{
  test_pattern_zero_copy (TRUE);
}

static void
test_pattern_legacy (void)
{
  test_pattern_zero_copy (FALSE);
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

/* The first vkms card, its path (checked: "a vkms display"), or NULL */
static gchar *
vkms_card (void)
{
  gchar *vkms = NULL;
  gint i;

  for (i = 0; i < 8 && !vkms; i++) {
    gchar *card = g_strdup_printf ("card%d", i);
    gchar *d = card_driver (card);

    if (g_str_equal (d, "vkms"))
      vkms = g_strdup_printf ("/dev/dri/%s", card);
    g_free (d);
    g_free (card);
  }
  CHECK (vkms, "a vkms display", "no vkms among /dev/dri/card0-7");
  return vkms;
}

/* Waits a minute at most for EOS on @bus (checked: "the stream ran to
 * EOS"); FALSE when an error came instead */
static gboolean
check_ran_to_eos (GstBus * bus)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gboolean no_error = TRUE;

  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    note ("  error: %s (%s)", err->message, GST_STR_NULL (dbg));
    CHECK (FALSE, "the stream ran to EOS", "%s", err->message);
    g_clear_error (&err);
    g_free (dbg);
    no_error = FALSE;
  } else {
    CHECK (msg != NULL, "the stream ran to EOS", "no EOS in 60 s");
  }
  if (msg)
    gst_message_unref (msg);
  return no_error;
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

  note ("%s: SMPTE bars through dmaheapalloc", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=20 "
      "! video/x-raw,format=BGRx,width=640,height=480,framerate=10/1 ! "
      "dmaheapalloc name=alloc ! dmaheapsink name=sink sync=false", &st, 5,
      take_shot, &shot, &pipe);
  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  if (pipe)
    alloc_stats (pipe, &copies, &passthrough);
  CHECK (st.frames_shown >= 20, "all 20 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  CHECK (st.copies == 0 && copies == 0 && passthrough == 20,
      "zero copies in dmaheapalloc and the sink", "copies: sink %"
      G_GUINT64_FORMAT ", dmaheapalloc %" G_GUINT64_FORMAT " (passed %"
      G_GUINT64_FORMAT ")", st.copies, copies, passthrough);
#if GST_CHECK_VERSION(1, 24, 0)
  CHECK (st.dma_drm, "DMA_DRM caps", "the sink was not given DMA_DRM caps");
#endif
  check_pattern_on_screen (&shot, 640, 480);

  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
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
 * the source's bars while it plays. Frames of the console's mode: kmssink
 * neither scales on cirrus nor shows anything there with force-modesetting
 * (the screen stays black with its own dumb buffers too; 1.22 and 1.26). */
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
  gboolean have_kmssink = gst_registry_check_feature_version
      (gst_registry_get (), "kmssink", 1, 0, 0);

  CHECK (have_kmssink, "kmssink present",
      "no kmssink: install gstreamer1.0-plugins-bad");
  CHECK (current_mode (&w, &h), "a mode set on " CARD " (the console's)",
      "no CRTC of " CARD " shows a mode");
  if (!have_kmssink || !w) {
    g_free (driver);
    return;
  }
  note ("%s: SMPTE bars through dmaheapalloc into kmssink", shot.name);
  /* skip-vsync: cirrus has no vblank */
  desc = g_strdup_printf ("videotestsrc pattern=smpte is-live=true "
      "num-buffers=20 ! video/x-raw,format=BGRx,width=%d,height=%d,"
      "framerate=10/1 ! dmaheapalloc name=alloc ! kmssink name=sink "
      "driver-name=%s skip-vsync=true sync=false", w, h, driver);
  err = run_pipeline (desc, &st, 5, take_shot, &shot, &pipe);
  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  if (pipe)
    alloc_stats (pipe, &copies, &passthrough);
  CHECK (copies == 0 && passthrough == 20, "zero copies in dmaheapalloc",
      "copies %" G_GUINT64_FORMAT ", passed %" G_GUINT64_FORMAT, copies,
      passthrough);
#if GST_CHECK_VERSION(1, 24, 0)
  CHECK (st.dma_drm, "DMA_DRM caps", "kmssink was not given DMA_DRM caps");
#endif
  CHECK (shot.display_width == w && shot.display_height == h,
      "the console's mode kept", "mode %dx%d, the console's %dx%d",
      shot.display_width, shot.display_height, w, h);
  check_pattern_on_screen (&shot, w, h);

  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  g_free (desc);
  g_free (driver);
  check_nothing_left (&before);
}

/* The console's connector on CARD, its CRTC and its DPMS property: FALSE
 * when no connector is driven. */
static gboolean
console_output (gint fd, guint32 * conn_id, guint32 * crtc_id, guint32 * dpms)
{
  drmModeResPtr res = drmModeGetResources (fd);
  gint i, j;

  *conn_id = *crtc_id = *dpms = 0;
  for (i = 0; res && i < res->count_connectors && !*crtc_id; i++) {
    drmModeConnectorPtr conn = drmModeGetConnector (fd, res->connectors[i]);
    drmModeEncoderPtr enc = conn && conn->encoder_id ?
        drmModeGetEncoder (fd, conn->encoder_id) : NULL;
    drmModeObjectPropertiesPtr props = conn ? drmModeObjectGetProperties (fd,
        conn->connector_id, DRM_MODE_OBJECT_CONNECTOR) : NULL;

    if (enc && enc->crtc_id) {
      *conn_id = conn->connector_id;
      *crtc_id = enc->crtc_id;
    }
    for (j = 0; props && *crtc_id && j < (gint) props->count_props; j++) {
      drmModePropertyPtr prop = drmModeGetProperty (fd, props->props[j]);

      if (prop && g_str_equal (prop->name, "DPMS"))
        *dpms = prop->prop_id;
      if (prop)
        drmModeFreeProperty (prop);
    }
    if (props)
      drmModeFreeObjectProperties (props);
    if (enc)
      drmModeFreeEncoder (enc);
    if (conn)
      drmModeFreeConnector (conn);
  }
  if (res)
    drmModeFreeResources (res);
  return *crtc_id && *dpms;
}

/* The value of property @name of @obj, as an atomic client reads it */
static gboolean
object_property (gint fd, guint32 obj, guint32 type, const gchar * name,
    guint64 * value)
{
  drmModeObjectPropertiesPtr props = drmModeObjectGetProperties (fd, obj,
      type);
  gboolean found = FALSE;
  guint i;

  for (i = 0; props && i < props->count_props && !found; i++) {
    drmModePropertyPtr prop = drmModeGetProperty (fd, props->props[i]);

    if (prop && g_str_equal (prop->name, name)) {
      *value = props->prop_values[i];
      found = TRUE;
    }
    if (prop)
      drmModeFreeProperty (prop);
  }
  if (props)
    drmModeFreeObjectProperties (props);
  return found;
}

typedef struct
{
  Shot shot;
  gint fd;
  guint32 crtc_id;
  guint64 active;               /* the CRTC's ACTIVE while frames are shown */
} CrtcShot;

static void
take_shot_and_crtc_state (GstElement * sink, gpointer data)
{
  CrtcShot *cs = data;

  take_shot (sink, &cs->shot);
  cs->active = G_MAXUINT64;
  object_property (cs->fd, cs->crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE",
      &cs->active);
}

/* The console's CRTC switched off before the sink starts (DPMS off, as a
 * blanked console: the CRTC keeps its mode, ACTIVE=0): the sink must set the
 * mode (atomic: ACTIVE=1 with the mode; legacy: SetCrtc) and show the frames.
 * Frames of the console's mode, so that only the CRTC being off calls for a
 * mode set. The test keeps its fd open (no longer master) meanwhile: closing
 * the last one would let the console restore its mode. */
static void
test_crtc_off (void)
{
  gint fd = open (CARD, O_RDWR | O_CLOEXEC), w = 0, h = 0, k;
  guint32 conn_id = 0, crtc_id = 0, dpms = 0;

  note ("crtc-off: the console's CRTC switched off (DPMS) before the sink "
      "starts");
  CHECK (fd >= 0, "open " CARD, "%s", g_strerror (errno));
  if (fd < 0)
    return;
  drmSetClientCap (fd, DRM_CLIENT_CAP_ATOMIC, 1);
  CHECK (console_output (fd, &conn_id, &crtc_id, &dpms) && current_mode (&w,
          &h), "the console's connector, CRTC, mode and DPMS property",
      "connector %u, CRTC %u, DPMS property %u, mode %dx%d", conn_id, crtc_id,
      dpms, w, h);
  if (!crtc_id || !dpms || !w) {
    close (fd);
    return;
  }

  for (k = 0; k < 2; k++) {
    gboolean atomic = k == 0;
    Resources before = resources_now ();
    CrtcShot cs = { {NULL,}, };
    Shot *shot = &cs.shot;
    drmModeCrtcPtr crtc;
    guint64 active = 1;
    Stats st = { 0, };
    gchar *desc;
    GError *err;

    current_part = atomic ? "atomic" : "legacy";
    shot->name = atomic ? "crtc-off-atomic" : "crtc-off-legacy";
    cs.fd = fd;
    cs.crtc_id = crtc_id;
    drmSetMaster (fd);
    CHECK (drmModeConnectorSetProperty (fd, conn_id, dpms,
            DRM_MODE_DPMS_OFF) == 0, "DPMS off", "%s", g_strerror (errno));
    crtc = drmModeGetCrtc (fd, crtc_id);
    object_property (fd, crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE", &active);
    CHECK (crtc && crtc->mode_valid && active == 0,
        "the CRTC enabled (a mode) but not active", "mode %s, ACTIVE %"
        G_GUINT64_FORMAT, crtc && crtc->mode_valid ? "set" : "none", active);
    if (crtc)
      drmModeFreeCrtc (crtc);
    drmDropMaster (fd);

    desc = g_strdup_printf ("videotestsrc pattern=smpte is-live=true "
        "num-buffers=20 ! video/x-raw,format=BGRx,width=%d,height=%d,"
        "framerate=10/1 ! dmaheapsink name=sink sync=false atomic=%s", w, h,
        atomic ? "true" : "false");
    err = run_pipeline (desc, &st, 5, take_shot_and_crtc_state, &cs, NULL);
    CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
    CHECK (st.frames_shown >= 20, "all 20 frames shown", "%" G_GUINT64_FORMAT
        " frames shown", st.frames_shown);
    /* QEMU's screendump shows cirrus' memory even with the CRTC off */
    CHECK (cs.active == 1, "the CRTC active while frames are shown",
        "ACTIVE %" G_GUINT64_FORMAT, cs.active);
    CHECK (shot->display_width == w && shot->display_height == h,
        "the console's mode", "mode %dx%d, the console's %dx%d",
        shot->display_width, shot->display_height, w, h);
    check_pattern_on_screen (shot, w, h);
    active = 1;
    object_property (fd, crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE", &active);
    CHECK (active == 0, "the CRTC off again after the sink stopped",
        "ACTIVE %" G_GUINT64_FORMAT, active);
    image_clear (&shot->screen);
    g_clear_error (&err);
    stats_clear (&st);
    g_free (desc);
    check_nothing_left (&before);
  }
  current_part = NULL;

  drmSetMaster (fd);
  drmModeConnectorSetProperty (fd, conn_id, dpms, DRM_MODE_DPMS_ON);
  drmDropMaster (fd);
  close (fd);
}

static void
test_small_frame_centred (void)
{
  Resources before = resources_now ();
  Shot shot = { "small-centred", };
  Stats st = { 0, };
  GError *err;

  note ("%s: 320x240 has no mode and cirrus cannot scale", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! video/x-raw,format=BGRx,width=320,height=240,framerate=10/1 ! "
      "dmaheapsink name=sink sync=false", &st, 5, take_shot, &shot, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  CHECK (st.frames_shown >= 30, "all 30 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  CHECK (st.copies == st.frames_shown, "every frame copied", "copies %"
      G_GUINT64_FORMAT " != frames %" G_GUINT64_FORMAT, st.copies,
      st.frames_shown);
  check_pattern_on_screen (&shot, 320, 240);
  if (shot.screen.rgb) {
    CHECK (shot.screen.width > 320 && shot.screen.height > 240,
        "a mode larger than the frame", "%dx%d", shot.screen.width,
        shot.screen.height);
    CHECK (image_region_is_black (&shot.screen, 0, 0, shot.screen.width,
            (shot.screen.height - 240) / 2), "black above the frame",
        "the top border is not black");
  }

  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
}

static void
test_system_memory_copied (void)
{
  Resources before = resources_now ();
  Shot shot = { "system-memory", };
  Stats st = { 0, };
  GError *err;

  note ("%s: upstream ignores the pool", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! video/x-raw,format=BGRx,width=640,height=480,framerate=10/1 ! "
      "identity drop-allocation=true ! dmaheapsink name=sink sync=false", &st,
      5, take_shot, &shot, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  CHECK (st.frames_shown >= 30, "all 30 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  CHECK (st.copies == st.frames_shown && st.imports == 0,
      "every frame copied, none imported", "copies %" G_GUINT64_FORMAT
      ", imports %" G_GUINT64_FORMAT, st.copies, st.imports);
  check_pattern_on_screen (&shot, 640, 480);

  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
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
  Image red = { 0, };
  gboolean memfds_ok = TRUE;
  gsize j;
  gint i;

  note ("%s: dma-buf memories the display cannot import", shot.name);
  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_BGRx, 640, 480);
  caps = gst_video_info_to_caps (&vinfo);

  /* appsrc fed before PLAYING: 20 frames of pure red, then EOS. */
  pipe = gst_parse_launch ("appsrc name=src format=time ! "
      "dmaheapsink name=sink sync=false", NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (src, "caps", caps, "max-buffers", (guint64) 0, NULL);
  for (i = 0; i < 20; i++) {
    gint fd = memfd_create ("not-a-dmabuf", MFD_CLOEXEC);
    GstBuffer *buf;
    GstFlowReturn ret;
    guint8 *p;

    if (fd < 0 || ftruncate (fd, vinfo.size) != 0) {
      memfds_ok = FALSE;
      if (fd >= 0)
        close (fd);
      break;
    }
    buf = gst_buffer_new ();
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
  CHECK (memfds_ok, "20 memfd frames made", "memfd: %s", g_strerror (errno));
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
    CHECK (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
        "the pipeline ran to EOS", "%s", msg ? "an error" : "no EOS in 60 s");
    if (msg)
      gst_message_unref (msg);
    get_stats (sink, &st);
    note ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
        ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.imports, st.copies);
    /* The last frame is still on screen until the sink stops. */
    take_shot (sink, &shot);
    gst_element_set_state (pipe, GST_STATE_NULL);
    gst_object_unref (sink);
    gst_object_unref (bus);
    gst_object_unref (pipe);
  }

  /* 20 buffers, the first shown twice (preroll, then playing). */
  CHECK (st.frames_shown >= 20, "all 20 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  CHECK (st.copies == st.frames_shown && st.imports == 0,
      "every frame copied, none imported", "copies %" G_GUINT64_FORMAT
      ", imports %" G_GUINT64_FORMAT, st.copies, st.imports);
  /* the source's picture is known without rendering it: red */
  red.width = 640;
  red.height = 480;
  red.rgb = g_malloc ((gsize) red.width * red.height * 3);
  for (j = 0; j < (gsize) red.width * red.height * 3; j += 3) {
    red.rgb[j] = 255;
    red.rgb[j + 1] = 0;
    red.rgb[j + 2] = 0;
  }
  check_image_on_screen ("the screen shows the red frame, pixel for pixel",
      &shot, &red, CENTRED, CENTRED, NULL);

  image_clear (&red);
  image_clear (&shot.screen);
  stats_clear (&st);
  gst_object_unref (alloc);
  check_nothing_left (&before);
}

#if GST_CHECK_VERSION(1, 28, 0)
/* A started GstVideoDmabufPool of @caps with its own allocator (udmabuf),
 * or NULL. */
static GstBufferPool *
udmabuf_pool_new (GstCaps * caps, gsize size)
{
  GstBufferPool *pool = gst_video_dmabuf_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);

  gst_buffer_pool_config_set_params (config, caps, size, 0, 0);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  /* the pool answers the first config with its own (alignment) */
  if (!gst_buffer_pool_set_config (pool, config))
    gst_buffer_pool_set_config (pool, gst_buffer_pool_get_config (pool));
  if (!gst_buffer_pool_set_active (pool, TRUE))
    gst_clear_object (&pool);

  return pool;
}

/* What GStreamer 1.28's own dma-buf video pool (GstVideoDmabufPool with
 * its default, GstUdmabufAllocator: memfd pages made dma-bufs by
 * /dev/udmabuf) gives a producer: the display imports them like heap
 * buffers, zero copies, the source's SMPTE bars on screen. */
static void
test_udmabuf_imported (void)
{
  GstAllocator *udmabuf = gst_udmabuf_allocator_get ();
  GstBufferPool *pool;
  GstElement *pipe, *src, *ref, *out, *sink;
  GstVideoInfo vinfo;
  GstCaps *caps;
  GstBus *bus;
  GstMessage *msg;
  Resources before;
  Stats st = { 0, };
  Shot shot = { "udmabuf", };
  guint pushed = 0;

  note ("%s: frames of GstVideoDmabufPool (udmabuf memory)", shot.name);
  CHECK (udmabuf != NULL, "the udmabuf allocator (/dev/udmabuf)",
      "gst_udmabuf_allocator_get() found none: no /dev/udmabuf");
  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_BGRx, 640, 480);
  caps = gst_video_info_to_caps (&vinfo);
  /* Counted from after a first life of such a pool (a buffer taken and
   * given back): the allocator keeps /dev/udmabuf open, and that first
   * life leaves an eventfd, for the process's life (1.28.8; the
   * videodmabufpool check sees the same without the sink). */
  pool = udmabuf_pool_new (caps, vinfo.size);
  if (pool) {
    GstBuffer *buf = NULL;

    if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) == GST_FLOW_OK)
      gst_buffer_unref (buf);
    gst_buffer_pool_set_active (pool, FALSE);
    gst_object_unref (pool);
  }
  before = resources_now ();
  pool = udmabuf_pool_new (caps, vinfo.size);
  CHECK (pool != NULL, "the pool started", "GstVideoDmabufPool did not start");
  if (!pool) {
    gst_clear_object (&udmabuf);
    gst_caps_unref (caps);
    return;
  }

  /* 20 frames of the bars from videotestsrc, copied into the pool's
   * buffers, queued in appsrc before PLAYING, then EOS */
  ref = gst_parse_launch ("videotestsrc pattern=smpte num-buffers=20 ! "
      "video/x-raw,format=BGRx,width=640,height=480 ! appsink name=out "
      "sync=false", NULL);
  out = gst_bin_get_by_name (GST_BIN (ref), "out");
  pipe = gst_parse_launch ("appsrc name=src format=time ! "
      "dmaheapsink name=sink sync=false", NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (src, "caps", caps, "max-buffers", (guint64) 0, NULL);
  gst_element_set_state (ref, GST_STATE_PLAYING);
  for (;;) {
    GstSample *sample = NULL;
    GstBuffer *buf = NULL;
    GstVideoFrame in, frame;
    GstFlowReturn ret;

    g_signal_emit_by_name (out, "try-pull-sample", 30 * GST_SECOND, &sample);
    if (!sample)
      break;
    if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) == GST_FLOW_OK &&
        gst_video_frame_map (&in, &vinfo, gst_sample_get_buffer (sample),
            GST_MAP_READ)) {
      if (gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_WRITE)) {
        gst_video_frame_copy (&frame, &in);
        gst_video_frame_unmap (&frame);
        GST_BUFFER_PTS (buf) = pushed * GST_SECOND / 10;
        GST_BUFFER_DURATION (buf) = GST_SECOND / 10;
        g_signal_emit_by_name (src, "push-buffer", buf, &ret);
        pushed++;
      }
      gst_video_frame_unmap (&in);
    }
    gst_clear_buffer (&buf);
    gst_sample_unref (sample);
  }
  gst_element_set_state (ref, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (ref);
  CHECK (pushed == 20, "20 frames made in udmabuf memory", "%u made", pushed);
  {
    GstFlowReturn ret;

    g_signal_emit_by_name (src, "end-of-stream", &ret);
  }

  bus = gst_element_get_bus (pipe);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  CHECK (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the pipeline ran to EOS", "%s", msg ? "an error" : "no EOS in 60 s");
  if (msg)
    gst_message_unref (msg);
  get_stats (sink, &st);
  note ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.imports, st.copies);
  /* the last frame is still on screen until the sink stops */
  take_shot (sink, &shot);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (bus);
  gst_object_unref (pipe);

  CHECK (st.frames_shown >= 20, "all 20 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  CHECK (st.copies == 0 && st.imports > 0, "udmabuf frames imported, "
      "zero copies", "copies %" G_GUINT64_FORMAT ", imports %"
      G_GUINT64_FORMAT, st.copies, st.imports);
  check_pattern_on_screen (&shot, 640, 480);

  gst_buffer_pool_set_active (pool, FALSE);
  gst_object_unref (pool);
  gst_clear_object (&udmabuf);
  gst_caps_unref (caps);
  image_clear (&shot.screen);
  stats_clear (&st);
  check_nothing_left (&before);
}
#endif

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

  note ("%s: 640x480 into <0,0,320,240>", shot.name);
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! video/x-raw,format=BGRx,width=640,height=480,framerate=10/1 ! "
      "dmaheapsink name=sink sync=false render-rectangle=<0,0,320,240>", &st,
      5, take_shot, &shot, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  CHECK (st.frames_shown >= 30 && st.copies == st.frames_shown,
      "all 30 frames shown, each copied", "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  CHECK (image_from_pattern ("smpte", 640, 480, &expected),
      "the source frame (videotestsrc to RGB)", "could not render it");
  if (expected.rgb) {
    /* The centre 320x240 of the frame (rows 120-359: above the noise,
     * which starts at row 360), at the top left of the screen. */
    crop.width = 320;
    crop.height = 240;
    crop.rgb = g_malloc (320 * 240 * 3);
    for (y = 0; y < 240; y++)
      memcpy (crop.rgb + y * 320 * 3,
          expected.rgb + ((gsize) (y + 120) * 640 + 160) * 3, 320 * 3);
  }
  check_image_on_screen ("the screen shows the centre of the source's "
      "frame in the rectangle, pixel for pixel", &shot, &crop, 0, 0, NULL);
  if (shot.screen.rgb)
    CHECK (image_region_is_black (&shot.screen, 320, 0,
            shot.screen.width - 320, shot.screen.height),
        "black outside the rectangle", "it is not black");

  image_clear (&crop);
  image_clear (&expected);
  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
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

  note ("renegotiation: 640x480, then 800x600 from frame 5");
  err = run_pipeline ("videotestsrc pattern=smpte is-live=true num-buffers=30"
      " ! capsfilter name=filter caps=video/x-raw,format=BGRx,width=640,"
      "height=480,framerate=10/1 ! dmaheapsink name=sink sync=false", &st, 5,
      set_caps_800x600, NULL, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  CHECK (st.display_width == 800 && st.display_height == 600,
      "an 800x600 mode at the end", "mode %dx%d", st.display_width,
      st.display_height);
  CHECK (st.frames_shown >= 30 && st.copies == 0,
      "all 30 frames shown, zero copies", "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  /* Buffers of both pools were imported. */
  CHECK (st.imports >= 4, "buffers of both pools imported",
      "imports %" G_GUINT64_FORMAT, st.imports);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
}

static void
test_heap_system (void)
{
  Resources before = resources_now ();
  Stats st = { 0, };
  GError *err;

  note ("heap=system: the system heap (in-kernel on 6.12)");
  err = run_pipeline ("videotestsrc num-buffers=20 ! video/x-raw,format=BGRx,"
      "width=640,height=480 ! dmaheapsink name=sink sync=false heap=system",
      &st, 0, NULL, NULL, NULL);
  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  CHECK (st.frames_shown >= 20 && st.copies == 0,
      "all 20 frames shown, zero copies", "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  CHECK (g_strcmp0 (st.heap, "system") == 0, "the system heap used",
      "heap %s", GST_STR_NULL (st.heap));
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
}

/* ------------------------------------------------------------------------ */
/* vivid                                                                     */

/* The id of the control of the V4L2 node @fd named @name (as v4l2-ctl
 * --list-ctrls-menus shows it, e.g. "OSD Text Mode"), or 0 */
static guint32
v4l2_control_id (gint fd, const gchar * name)
{
  struct v4l2_queryctrl qc;

  memset (&qc, 0, sizeof (qc));
  qc.id = V4L2_CTRL_FLAG_NEXT_CTRL;
  while (ioctl (fd, VIDIOC_QUERYCTRL, &qc) == 0) {
    if (g_strcmp0 ((const gchar *) qc.name, name) == 0)
      return qc.id;
    qc.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
  }
  return 0;
}

/* The index of the item named @item of the menu control @id, or -1 */
static gint
v4l2_menu_index (gint fd, guint32 id, const gchar * item)
{
  struct v4l2_queryctrl qc;
  struct v4l2_querymenu qm;
  gint i;

  memset (&qc, 0, sizeof (qc));
  qc.id = id;
  if (ioctl (fd, VIDIOC_QUERYCTRL, &qc) != 0 || qc.type != V4L2_CTRL_TYPE_MENU)
    return -1;
  for (i = qc.minimum; i <= qc.maximum; i++) {
    memset (&qm, 0, sizeof (qm));
    qm.id = id;
    qm.index = i;
    if (ioctl (fd, VIDIOC_QUERYMENU, &qm) == 0
        && g_strcmp0 ((const gchar *) qm.name, item) == 0)
      return i;
  }
  return -1;
}

/* Sets the control @name of @device to @value (or, if @item is given, the
 * menu item of that name), reading it back; @old gets the value it had.
 * FALSE and @error when the control or item does not exist or does not
 * take the value. */
static gboolean
v4l2_set_control (const gchar * device, const gchar * name,
    const gchar * item, gint value, gint * old, gchar ** error)
{
  gint fd = open (device, O_RDWR | O_CLOEXEC);
  struct v4l2_control ctrl;
  gboolean ok = FALSE;

  if (fd < 0) {
    *error = g_strdup_printf ("%s: %s", device, g_strerror (errno));
    return FALSE;
  }
  memset (&ctrl, 0, sizeof (ctrl));
  ctrl.id = v4l2_control_id (fd, name);
  if (item)
    value = v4l2_menu_index (fd, ctrl.id, item);
  if (!ctrl.id || value < 0) {
    *error = g_strdup_printf ("%s has no control '%s'%s%s%s", device, name,
        item ? " with an item '" : "", item ? item : "", item ? "'" : "");
  } else if (ioctl (fd, VIDIOC_G_CTRL, &ctrl) != 0) {
    *error = g_strdup_printf ("%s: reading '%s': %s", device, name,
        g_strerror (errno));
  } else {
    if (old)
      *old = ctrl.value;
    ctrl.value = value;
    if (ioctl (fd, VIDIOC_S_CTRL, &ctrl) != 0
        || ioctl (fd, VIDIOC_G_CTRL, &ctrl) != 0 || ctrl.value != value)
      *error = g_strdup_printf ("%s: '%s' does not take %d: %s", device, name,
          value, g_strerror (errno));
    else
      ok = TRUE;
  }
  close (fd);
  return ok;
}

/* The reference itself, held to vivid's documentation (its test pattern
 * generator's "100% Colorbar"): eight bars of equal width, white, yellow,
 * cyan, green, magenta, red, blue, black, at full intensity. A reference
 * that does not show them would make the screen comparison prove
 * nothing. */
static void
check_vivid_bars (const Image * ref)
{
  static const guint8 bars[8][3] = { {1, 1, 1}, {1, 1, 0}, {0, 1, 1},
  {0, 1, 0}, {1, 0, 1}, {1, 0, 0}, {0, 0, 1}, {0, 0, 0}
  };
  GString *seen = g_string_new (NULL);
  gboolean ok = ref->rgb != NULL;
  gint i, c;

  for (i = 0; ref->rgb && i < 8; i++) {
    const guint8 *p = ref->rgb + ((gsize) (ref->height / 2) * ref->width +
        (2 * i + 1) * ref->width / 16) * 3;

    for (c = 0; c < 3; c++)
      if (bars[i][c] ? p[c] < 192 : p[c] > 63)
        ok = FALSE;
    g_string_append_printf (seen, " %u,%u,%u", p[0], p[1], p[2]);
  }
  CHECK (ok, "the reference shows vivid's bars (white, yellow, cyan, green, "
      "magenta, red, blue, black)", "seen (RGB):%s", seen->str);
  g_string_free (seen, TRUE);
}

static void
test_v4l2_zero_copy (void)
{
  Resources before;
  Stats st = { 0, };
  GError *err = NULL;
  gint v4l2src_leak = 0, i, osd_old = -1, pattern_old = -1;
  GstElement *pipe = NULL;
  Shot shot = { "vivid", }, shot_alloc = { "vivid-dmaheapalloc", };
  Image reference = { 0, };
  guint64 copies = 1, passthrough = 0;
  gchar *why = NULL;
  gboolean ok;

  /* vivid's picture made static, so that every frame is the reference:
   * no OSD text (its first lines carry the time and the frame counter,
   * the others control values), the 100% colour bars, and vivid's default
   * of no movement. The reference: vivid straight to RGB, in the format
   * the pipelines below capture, without any element of ours. */
  current_part = "reference";
  ok = v4l2_set_control (VIVID, "OSD Text Mode", "None", 0, &osd_old, &why)
      && v4l2_set_control (VIVID, "Test Pattern", "100% Colorbar", 0,
      &pattern_old, &why);
  CHECK (ok, "vivid's picture made static (OSD text off, 100% colour bars)",
      "%s", why);
  g_clear_pointer (&why, g_free);
  if (ok) {
    CHECK (image_from_launch ("v4l2src device=" VIVID " num-buffers=1 ! "
            "video/x-raw,format=BGRx,width=640,height=480 ! videoconvert ! "
            "video/x-raw,format=RGB ! appsink name=out", &reference),
        "vivid's frame captured straight to RGB", "no frame (see stderr)");
    check_vivid_bars (&reference);
  }

  /* GStreamer 1.22.0's v4l2src leaves its device fd and two GstPolls open
   * after every run, whatever the sink: measure it with fakesink, and
   * expect exactly that much more with dmaheapsink. The first run also
   * opens what GLib keeps for the process. */
  current_part = "v4l2src alone";
  for (i = 0; i < 2; i++) {
    GError *run_err;

    before = resources_now ();
    run_err = run_pipeline ("v4l2src device=" VIVID " num-buffers=2 ! "
        "fakesink", &st, 0, NULL, NULL, NULL);
    if (run_err && !err)
      err = g_steal_pointer (&run_err);
    g_clear_error (&run_err);
    v4l2src_leak = count_fds () - before.fds;
  }
  CHECK (err == NULL, "v4l2src ! fakesink ran to EOS twice", "%s",
      err->message);
  g_clear_error (&err);
  stats_clear (&st);
  note ("  v4l2src alone leaves %d fds open", v4l2src_leak);

  current_part = "into the sink's pool";
  note ("vivid: v4l2src io-mode=dmabuf-import into the sink's pool");
  before = resources_now ();
  before.fds += v4l2src_leak;
  err = run_pipeline ("v4l2src device=" VIVID " io-mode=dmabuf-import "
      "num-buffers=40 ! video/x-raw,format=BGRx,width=640,height=480 ! "
      "dmaheapsink name=sink", &st, AT_EOS, take_shot, &shot, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  /* sync=true on a live source under TCG: GstBaseSink drops frames that
   * arrive late, more when the host is loaded; every frame is either
   * shown or one of those, none lost in between (GstBaseSink once counted
   * 40 shown and 1 late of 40: its count may take in one it then showed) */
  CHECK (st.frames_shown > 0 && st.frames_shown <= 40
      && st.frames_shown + st.late >= 40,
      "each of the 40 frames shown or dropped late by GstBaseSink",
      "%" G_GUINT64_FORMAT " shown, %" G_GUINT64_FORMAT " late",
      st.frames_shown, st.late);
  CHECK (st.copies == 0, "zero copies", "%" G_GUINT64_FORMAT " copies",
      st.copies);
  CHECK (st.imports > 0 && st.cache_hits > 0,
      "framebuffers imported once, then cache hits", "imports %"
      G_GUINT64_FORMAT ", hits %" G_GUINT64_FORMAT, st.imports, st.cache_hits);
  CHECK (st.heap != NULL, "v4l2src took the heap pool", "no heap");
  /* Every frame is the same picture: this tells the right picture from a
   * wrong one, not the last frame from an earlier one (frames_shown counts
   * them). */
  check_image_on_screen ("the screen shows vivid's picture, pixel for pixel",
      &shot, &reference, CENTRED, CENTRED, NULL);
  image_clear (&shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);

  /* the same through dmaheapalloc: its pool, DMA_DRM caps on 1.24+ */
  current_part = "through dmaheapalloc";
  note ("vivid: v4l2src io-mode=dmabuf-import ! dmaheapalloc");
  before = resources_now ();
  before.fds += v4l2src_leak;
  memset (&st, 0, sizeof (st));
  err = run_pipeline ("v4l2src device=" VIVID " io-mode=dmabuf-import "
      "num-buffers=40 ! video/x-raw,format=BGRx,width=640,height=480 ! "
      "dmaheapalloc name=alloc ! dmaheapsink name=sink", &st, AT_EOS,
      take_shot, &shot_alloc, &pipe);
  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  if (pipe)
    alloc_stats (pipe, &copies, &passthrough);
  /* all 40 pass through dmaheapalloc; the sink (sync=true) may drop late
   * ones under TCG, as in the pipeline above, and loses none */
  CHECK (st.frames_shown > 0 && st.frames_shown <= 40
      && st.frames_shown + st.late >= 40,
      "each of the 40 frames shown or dropped late by GstBaseSink",
      "%" G_GUINT64_FORMAT " shown, %" G_GUINT64_FORMAT " late",
      st.frames_shown, st.late);
  CHECK (st.copies == 0 && copies == 0 && passthrough == 40,
      "zero copies in dmaheapalloc and the sink", "copies: sink %"
      G_GUINT64_FORMAT ", dmaheapalloc %" G_GUINT64_FORMAT " (passed %"
      G_GUINT64_FORMAT " of 40)", st.copies, copies, passthrough);
#if GST_CHECK_VERSION(1, 24, 0)
  CHECK (st.dma_drm, "DMA_DRM caps", "the sink was not given DMA_DRM caps");
#endif
  check_image_on_screen ("the screen shows vivid's picture, pixel for pixel",
      &shot_alloc, &reference, CENTRED, CENTRED, NULL);
  image_clear (&shot_alloc.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);

  /* vivid as it was, for whatever runs next in this boot */
  current_part = NULL;
  if (osd_old >= 0 && !v4l2_set_control (VIVID, "OSD Text Mode", NULL,
          osd_old, NULL, &why))
    g_printerr ("restoring vivid's OSD: %s\n", why);
  g_clear_pointer (&why, g_free);
  if (pattern_old >= 0 && !v4l2_set_control (VIVID, "Test Pattern", NULL,
          pattern_old, NULL, &why))
    g_printerr ("restoring vivid's pattern: %s\n", why);
  g_clear_pointer (&why, g_free);
  image_clear (&reference);
}

/* ------------------------------------------------------------------------ */
/* errors a user sees                                                        */

/* Raw video no plane takes: upstream's not-negotiated error, and the
 * sink's warning naming the format, the size and what the display takes
 * (posted at the EOS after the error: the sink only saw caps queries). */
static void
test_unshowable_format (void)
{
  Resources before = resources_now ();
  Stats st = { 0, };
  GError *err;
  const gchar *msg;

  current_part = "Y444";
  note ("unshowable: Y444, which no plane of the display takes");
  err = run_pipeline ("videotestsrc num-buffers=5 ! video/x-raw,format=Y444,"
      "width=640,height=480 ! dmaheapsink name=sink", &st, 0, NULL, NULL, NULL);
  CHECK (err != NULL, "an error", "none: the pipeline played");
  CHECK (st.warning && g_error_matches (st.warning, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "a NEGOTIATION warning",
      "warning: %s", st.warning ? st.warning->message : "none");
  msg = st.warning ? st.warning->message : "";
  CHECK (strstr (msg, "Y444 640x480") && strstr (msg, CARD)
      && strstr (msg, "BGRx") && strstr (msg, "videoconvert"),
      "the warning names the format and size asked, the device, what it "
      "takes and the fix", "'%s'", msg);
  CHECK (st.frames_shown == 0, "no frame shown", "%" G_GUINT64_FORMAT,
      st.frames_shown);
  g_clear_error (&st.warning);
  g_clear_error (&err);

  current_part = "4096x2160";
  note ("unshowable: 4096x2160, larger than any plane of the display");
  err = run_pipeline ("videotestsrc num-buffers=5 ! video/x-raw,format=BGRx,"
      "width=4096,height=2160 ! dmaheapsink name=sink", &st, 0, NULL, NULL,
      NULL);
  CHECK (err != NULL, "an error", "none: the pipeline played");
  msg = st.warning ? st.warning->message : "";
  CHECK (strstr (msg, "BGRx 4096x2160") && strstr (msg, "videoscale"),
      "the warning names the size asked and the fix", "'%s'", msg);
  g_clear_error (&err);
  stats_clear (&st);
  current_part = NULL;
  check_nothing_left (&before);
}

static void
test_not_master (void)
{
  Resources before;
  Stats st = { 0, };
  GError *err;
  gint fd;

  note ("not-master: another client holds " CARD);
  fd = open (CARD, O_RDWR | O_CLOEXEC);
  CHECK (fd >= 0, "open " CARD, "%s", g_strerror (errno));
  if (fd < 0)
    return;
  /* The first opener is master when there is none; make sure. */
  drmSetMaster (fd);
  CHECK (drmIsMaster (fd), "this process is DRM master",
      "could not become master");
  before = resources_now ();

  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink",
      &st, 0, NULL, NULL, NULL);
  CHECK (err != NULL && g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_BUSY), "a RESOURCE BUSY error", "%s",
      err ? err->message : "no error");
  CHECK (err && strstr (err->message, CARD) != NULL,
      "the error names the device", "%s", err ? err->message : "no error");
  CHECK (st.frames_shown == 0, "no frame shown", "%" G_GUINT64_FORMAT,
      st.frames_shown);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);

  close (fd);
}

static void
test_unknown_device_and_connector (void)
{
  Stats st = { 0, };
  GError *err;

  note ("bad settings: connector and plane that do not exist");
  current_part = "connector-id=9999";
  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink "
      "connector-id=9999", &st, 0, NULL, NULL, NULL);
  CHECK (err && g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "a RESOURCE NOT_FOUND error", "%s",
      err ? err->message : "none");
  /* the message a user sees names the connector and the ones there are */
  CHECK (err && strstr (err->message, "No connector 9999") &&
      strstr (err->message, " connected"),
      "the error names it and the connectors there are", "%s",
      err ? err->message : "none");
  g_clear_error (&err);

  note ("bad settings: a heap that does not exist");
  current_part = "heap=no-such-heap";
  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink "
      "heap=no-such-heap", &st, 0, NULL, NULL, NULL);
  CHECK (err && strstr (err->message, "heap=no-such-heap") &&
      strstr (err->message, "available heaps"),
      "the error names it and the heaps there are", "%s",
      err ? err->message : "none");
  g_clear_error (&err);

  current_part = "plane-id=9999";
  err = run_pipeline ("videotestsrc num-buffers=5 ! dmaheapsink name=sink "
      "plane-id=9999", &st, 0, NULL, NULL, NULL);
  CHECK (err && strstr (err->message, "no plane 9999"), "the error names it",
      "%s", err ? err->message : "none");
  g_clear_error (&err);
  stats_clear (&st);
  current_part = NULL;
}

/* ------------------------------------------------------------------------ */
/* device choice (two displays)                                              */

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
    gchar *details = g_strdup_printf ("'%s' did not finish in %d s: "
        "aborting", arm->what, arm->seconds);

    g_printerr ("FAIL: %s\n", details);
    tap_result (FALSE, "the pipeline settles in time", details, NULL);
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

/* The device a sink with @props settles on (PAUSED), or NULL and @err. */
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
  note ("  %s", desc);
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
    note ("  %s: no ASYNC_DONE in 60 s", desc);
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
  note ("devices: cirrus %s (bus %s), vkms %s", GST_STR_NULL (cirrus),
      GST_STR_NULL (bus_id), GST_STR_NULL (vkms));
  CHECK (cirrus && vkms && bus_id, "two displays, cirrus and vkms",
      "cirrus %s (bus %s), vkms %s", GST_STR_NULL (cirrus),
      GST_STR_NULL (bus_id), GST_STR_NULL (vkms));
  if (!cirrus || !vkms || !bus_id)
    goto out;

  current_part = "no device property";
  dev = device_chosen ("", &err);
  CHECK (g_strcmp0 (dev, cirrus) == 0, "the real display (cirrus), not vkms",
      "%s, cirrus is %s (%s)", GST_STR_NULL (dev), cirrus,
      err ? err->message : "no error");
  g_clear_error (&err);
  g_free (dev);

  current_part = "driver-name";
  drv = card_driver (g_strrstr (vkms, "card"));
  props = g_strdup_printf ("driver-name=%s", drv);
  dev = device_chosen (props, &err);
  CHECK (g_strcmp0 (dev, vkms) == 0, "vkms chosen by its driver name",
      "%s: %s (%s)", props, GST_STR_NULL (dev), err ? err->message : "");
  g_clear_error (&err);
  g_free (dev);
  g_free (props);
  g_free (drv);

  current_part = "bus-id";
  props = g_strdup_printf ("bus-id=%s", bus_id);
  dev = device_chosen (props, &err);
  CHECK (g_strcmp0 (dev, cirrus) == 0, "cirrus chosen by its bus id",
      "%s: %s (%s)", props, GST_STR_NULL (dev), err ? err->message : "");
  g_clear_error (&err);
  g_free (dev);
  g_free (props);

  current_part = "driver-name=no-such-driver";
  dev = device_chosen ("driver-name=no-such-driver", &err);
  CHECK (dev == NULL && err && g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "a RESOURCE NOT_FOUND error",
      "device %s, error %s", GST_STR_NULL (dev), err ? err->message : "none");
  g_clear_error (&err);
  g_free (dev);
out:
  current_part = NULL;
  g_free (cirrus);
  g_free (vkms);
  g_free (bus_id);
}

/* Caps changing mid-stream, both ways, on a bounded heap: the
 * display-devices boot loads the module with a 12 MiB carveout
 * (contig_size_mb=12), where three 1280x720 buffers (10.5 MiB) and three
 * 800x600 ones (5.5 MiB) do not fit at once. The stream goes on only if
 * the old format's buffers are given back at the change, the ones the
 * sink's framebuffers hold among them. Which dma-bufs are alive, the
 * kernel's own list says (debugfs dma_buf/bufinfo). */
#define BOUNDED_SIZE_720P (1280 * 720 * 4)

typedef struct
{
  GstElement *filter;
  guint buffers;
  /* -1: bufinfo unreadable, -2: the stream stopped before */
  gint live_720p_at_600p, live_600p_at_720p;
} Bounded;

/* dma-bufs alive of the exporter @exp_name (our heaps export under their
 * names) and of at least @min_size bytes (below @max_size, if non-zero),
 * from the kernel's bufinfo; -1 if it cannot be read */
static gint
live_dmabufs (const gchar * exp_name, gsize min_size, gsize max_size)
{
  gchar *text = NULL, **lines, **line;
  gint n = 0;

  if (!g_file_get_contents ("/sys/kernel/debug/dma_buf/bufinfo", &text, NULL,
          NULL))
    return -1;
  lines = g_strsplit (text, "\n", -1);
  for (line = lines; *line; line++) {
    gsize size;
    guint flags, mode;
    glong count;
    gchar name[64];

    if (sscanf (*line, "%zu %x %x %ld %63s", &size, &flags, &mode, &count,
            name) == 5 && g_str_equal (name, exp_name) && size >= min_size
        && (!max_size || size < max_size))
      n++;
  }
  g_strfreev (lines);
  g_free (text);
  return n;
}

static void
bounded_set_caps (Bounded * b, gint width, gint height)
{
  GstCaps *caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "BGRx", "width", G_TYPE_INT, width,
      "height", G_TYPE_INT, height, NULL);

  g_object_set (b->filter, "caps", caps, NULL);
  gst_caps_unref (caps);
}

/* On the sink's pad, in the streaming thread: 10 frames of 1280x720, 10
 * of 800x600, then 1280x720 again; what is alive read at the 10th frame
 * of each new size. */
static GstPadProbeReturn
bounded_step (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Bounded *b = data;

  b->buffers++;
  if (b->buffers == 10) {
    bounded_set_caps (b, 800, 600);
  } else if (b->buffers == 20) {
    b->live_720p_at_600p = live_dmabufs ("contiguous", BOUNDED_SIZE_720P, 0);
    bounded_set_caps (b, 1280, 720);
  } else if (b->buffers == 30) {
    b->live_600p_at_720p = live_dmabufs ("contiguous", 1, BOUNDED_SIZE_720P);
  }
  return GST_PAD_PROBE_OK;
}

static void
bounded_start (GstElement * sink, gpointer data)
{
  Bounded *b = data;
  GstObject *pipe = gst_element_get_parent (sink);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");

  b->filter = gst_bin_get_by_name (GST_BIN (pipe), "filter");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, bounded_step, b, NULL);
  gst_object_unref (pad);
  gst_object_unref (pipe);
}

static void
test_bounded_renegotiation (void)
{
  Resources before = resources_now ();
  Bounded b = { NULL, 0, -2, -2 };
  Stats st = { 0, };
  GError *err;
  gchar *desc, *vkms = NULL;

  vkms = vkms_card ();
  if (!vkms)
    return;

  note ("bounded: 1280x720, 800x600, 1280x720 from the contiguous heap "
      "(a 12 MiB carveout) on vkms");
  desc = g_strdup_printf ("videotestsrc num-buffers=40 ! capsfilter "
      "name=filter caps=video/x-raw,format=BGRx,width=1280,height=720 ! "
      "dmaheapalloc name=alloc heap=contiguous ! dmaheapsink name=sink "
      "device=%s sync=false", vkms);
  err = run_pipeline (desc, &st, 1, bounded_start, &b, NULL);
  CHECK (err == NULL, "the stream went on through both changes, to EOS",
      "%s", err->message);
  CHECK (st.frames_shown >= 40 && st.copies == 0,
      "all 40 frames shown, zero copies", "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  CHECK (b.live_720p_at_600p == 0, "at 800x600, no 1280x720 buffer alive "
      "(the kernel's dma-buf list)", "%d alive (-1: bufinfo unreadable, "
      "-2: not reached)", b.live_720p_at_600p);
  CHECK (b.live_600p_at_720p == 0, "back at 1280x720, no 800x600 buffer "
      "alive (the kernel's dma-buf list)", "%d alive (-1: bufinfo "
      "unreadable, -2: not reached)", b.live_600p_at_720p);
  g_clear_error (&err);
  g_clear_object (&b.filter);
  stats_clear (&st);
  g_free (desc);
  g_free (vkms);
  check_nothing_left (&before);
}

/* ------------------------------------------------------------------------ */
/* late page-flip events (vkms: a vblank every 16.7 ms)                      */

#define LATE_FRAMES 60
#define LATE_DMABUFS 4

/* When each frame reached the sink and when the sink gave it back, in
 * vblanks of the CRTC, as this process counts them on its own fd. */
static struct
{
  gint fd;
  GMutex lock;
  gint64 arrived[LATE_FRAMES];
  gint64 released[LATE_FRAMES];
} late;

static GQuark late_quark;

static gint64
vblank_count (gint fd)
{
  drmVBlank vbl = { {0,}, };

  vbl.request.type = DRM_VBLANK_RELATIVE;
  vbl.request.sequence = 0;
  if (drmWaitVBlank (fd, &vbl))
    return -1;
  return vbl.reply.sequence;
}

static void
late_frame_released (gpointer data)
{
  guint i = GPOINTER_TO_UINT (data) - 1;
  gint64 now = vblank_count (late.fd);

  g_mutex_lock (&late.lock);
  late.released[i] = now;
  g_mutex_unlock (&late.lock);
}

static GstPadProbeReturn
late_frame_arrives (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint i = GPOINTER_TO_UINT (gst_mini_object_get_qdata (GST_MINI_OBJECT
          (buf), late_quark)) - 1;
  gint64 now = vblank_count (late.fd);

  if (i < LATE_FRAMES) {
    g_mutex_lock (&late.lock);
    late.arrived[i] = now;
    g_mutex_unlock (&late.lock);
  }
  return GST_PAD_PROBE_OK;
}

/* A dma-buf of @size from the system heap, or -1 */
static gint
heap_alloc (gsize size)
{
  struct dma_heap_allocation_data data = { 0, };
  gint heap = open ("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);

  data.len = size;
  data.fd_flags = O_RDWR | O_CLOEXEC;
  if (heap < 0 || ioctl (heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
    data.fd = -1;
  if (heap >= 0)
    close (heap);
  return data.fd;
}

/* The size of the preferred mode of @card's first connected connector */
static gboolean
preferred_mode (gint fd, gint * w, gint * h)
{
  drmModeResPtr res = drmModeGetResources (fd);
  gint i, m;

  for (i = 0; res && i < res->count_connectors && !*w; i++) {
    drmModeConnectorPtr conn = drmModeGetConnector (fd, res->connectors[i]);

    for (m = 0; conn && conn->connection == DRM_MODE_CONNECTED
        && m < conn->count_modes; m++) {
      if (m == 0 || conn->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
        *w = conn->modes[m].hdisplay;
        *h = conn->modes[m].vdisplay;
      }
    }
    if (conn)
      drmModeFreeConnector (conn);
  }
  if (res)
    drmModeFreeResources (res);
  return *w > 0;
}

/* Page-flip events that come after the sink's flip timeout (shortened to
 * 1 ms through GST_DMAHEAPSINK_FLIP_TIMEOUT_MS, so that on vkms every event
 * is late): the stream goes on (no fatal EBUSY from the kernel, still busy
 * with the flip), and no frame goes back upstream before the flip that
 * replaced it is done: frame i is given back only after a vblank that came
 * after frame i + 1 reached the sink (no flip can complete sooner). Frames
 * are wrapped dma-bufs of the system heap pushed by appsrc, so that the
 * test sees each given back (finalized). */
static void
test_late_flip (void)
{
  gchar *vkms = NULL, *desc;
  gint fds[LATE_DMABUFS], i, w = 0, h = 0, early = 0, first_early = -1;
  GstElement *pipe, *src, *sink;
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstFlowReturn flow;
  Resources before;
  GstBus *bus;
  GstPad *pad;
  Stats st = { 0, };
  gsize size;

  vkms = vkms_card ();
  if (!vkms)
    return;
  late.fd = open (vkms, O_RDWR | O_CLOEXEC);
  /* the first to open a card becomes its master: the sink must be */
  if (late.fd >= 0)
    drmDropMaster (late.fd);
  CHECK (late.fd >= 0 && preferred_mode (late.fd, &w, &h),
      "vkms' preferred mode", "%s", g_strerror (errno));
  if (late.fd < 0 || !w) {
    g_free (vkms);
    return;
  }
  before = resources_now ();
  note ("late-flip: every page-flip event late (1 ms timeout), %d frames "
      "%dx%d on vkms", LATE_FRAMES, w, h);

  size = w * h * 4;
  for (i = 0; i < LATE_DMABUFS; i++)
    fds[i] = heap_alloc (size);
  late_quark = g_quark_from_static_string ("late-frame");
  for (i = 0; i < LATE_FRAMES; i++)
    late.arrived[i] = late.released[i] = -1;

  g_setenv ("GST_DMAHEAPSINK_FLIP_TIMEOUT_MS", "1", TRUE);
  desc = g_strdup_printf ("appsrc name=src format=time caps=video/x-raw,"
      "format=BGRx,width=%d,height=%d,framerate=60/1 ! dmaheapsink name=sink "
      "device=%s sync=false", w, h, vkms);
  note ("  %s", desc);
  pipe = gst_parse_launch (desc, NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, late_frame_arrives, NULL,
      NULL);
  gst_object_unref (pad);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  for (i = 0; i < LATE_FRAMES && fds[LATE_DMABUFS - 1] >= 0; i++) {
    GstBuffer *buf = gst_buffer_new ();

    gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (dmabuf,
            dup (fds[i % LATE_DMABUFS]), size));
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 60);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 60;
    gst_mini_object_set_qdata (GST_MINI_OBJECT (buf), late_quark,
        GUINT_TO_POINTER (i + 1), late_frame_released);
    g_signal_emit_by_name (src, "push-buffer", buf, &flow);
    gst_buffer_unref (buf);
  }
  g_signal_emit_by_name (src, "end-of-stream", &flow);

  check_ran_to_eos (bus);
  get_stats (sink, &st);
  note ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.imports, st.copies);
  gst_element_set_state (pipe, GST_STATE_NULL);
  g_unsetenv ("GST_DMAHEAPSINK_FLIP_TIMEOUT_MS");

  CHECK (st.frames_shown == LATE_FRAMES && st.copies == 0,
      "every frame shown, none copied", "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  /* the last frame goes back at stop */
  for (i = 0; i + 1 < LATE_FRAMES; i++) {
    if (late.released[i] >= 0 && late.arrived[i + 1] >= 0
        && late.released[i] > late.arrived[i + 1])
      continue;
    if (late.released[i] >= 0 && late.arrived[i + 1] < 0)
      continue;                 /* given back, the next never came: error */
    early++;
    if (first_early < 0)
      first_early = i;
  }
  CHECK (early == 0, "no frame given back before the flip that replaced it",
      "%d frames given back early, the first frame %d (given back at vblank %"
      G_GINT64_FORMAT ", frame %d reached the sink at vblank %" G_GINT64_FORMAT
      ")", early, first_early, late.released[MAX (first_early, 0)],
      first_early + 1, late.arrived[MAX (first_early, 0) + 1]);

  for (i = 0; i < LATE_DMABUFS; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  stats_clear (&st);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  gst_object_unref (dmabuf);
  g_free (desc);
  g_free (vkms);
  check_nothing_left (&before);
  close (late.fd);
}

/* ------------------------------------------------------------------------ */
/* legacy API on vkms' overlay plane                                         */

/* The first overlay plane of the card open on @fd, 0 if none */
static guint32
overlay_plane (gint fd)
{
  drmModePlaneResPtr res;
  guint32 found = 0;
  guint i;

  drmSetClientCap (fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
  res = drmModeGetPlaneResources (fd);
  for (i = 0; res && i < res->count_planes && !found; i++) {
    guint64 type = 0;

    if (object_property (fd, res->planes[i], DRM_MODE_OBJECT_PLANE, "type",
            &type) && type == DRM_PLANE_TYPE_OVERLAY)
      found = res->planes[i];
  }
  if (res)
    drmModeFreePlaneResources (res);
  return found;
}

#define LEGACY_FRAMES 70
#define LEGACY_CHANGE 10        /* the first 800x600 frame */

/* the vblank count when each frame reached the sink */
static gint64 legacy_arrived[LEGACY_FRAMES];
static gint legacy_fd;
static gint legacy_n;

static GstPadProbeReturn
legacy_frame_arrives (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  if (legacy_n < LEGACY_FRAMES)
    legacy_arrived[legacy_n++] = vblank_count (legacy_fd);
  return GST_PAD_PROBE_OK;
}

/* The legacy API on an overlay (vkms.enable_overlay=1), the sink setting
 * modes of the frames' size (force-modesetting, can-scale=false): the
 * primary plane shows a background dumb buffer under the overlay, which must
 * follow a change to a larger mode (SetCrtc refuses a framebuffer smaller
 * than the mode). And legacy SetPlane, a blocking commit on an atomic
 * driver, already waits for the vblank: no frame takes two (kmssink's
 * halved frame rate), counted in vkms' vblanks at 60 Hz as the frames reach
 * the sink. appsrc pushes ready dma-bufs, so that the sink sets the pace. */
static void
test_legacy_larger_mode (void)
{
  gchar *vkms = NULL, *desc;
  GstAllocator *dmabuf = gst_dmabuf_allocator_new ();
  GstElement *pipe, *src, *sink;
  GstFlowReturn flow;
  Resources before;
  Stats st = { 0, };
  GstBus *bus;
  GstPad *pad;
  guint32 overlay;
  gint64 vblanks = -1;
  gint fds[LATE_DMABUFS], i, frames = 0;
  gsize size = 800 * 600 * 4;

  vkms = vkms_card ();
  if (!vkms)
    return;
  legacy_fd = open (vkms, O_RDWR | O_CLOEXEC);
  if (legacy_fd >= 0)
    drmDropMaster (legacy_fd);
  overlay = legacy_fd >= 0 ? overlay_plane (legacy_fd) : 0;
  CHECK (overlay, "an overlay plane on vkms",
      "none: is vkms loaded with enable_overlay=1?");
  if (!overlay) {
    if (legacy_fd >= 0)
      close (legacy_fd);
    g_free (vkms);
    return;
  }
  before = resources_now ();
  note ("legacy-larger: legacy API, overlay %u of vkms, 640x480 then 800x600 "
      "from frame %d", overlay, LEGACY_CHANGE);
  for (i = 0; i < LATE_DMABUFS; i++)
    fds[i] = heap_alloc (size);
  legacy_n = 0;

  desc = g_strdup_printf ("appsrc name=src format=time caps=video/x-raw,"
      "format=BGRx,width=640,height=480,framerate=60/1 ! dmaheapsink "
      "name=sink device=%s atomic=false force-modesetting=true can-scale=false "
      "plane-id=%u sync=false", vkms, overlay);
  note ("  %s", desc);
  pipe = gst_parse_launch (desc, NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, legacy_frame_arrives,
      NULL, NULL);
  gst_object_unref (pad);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  for (i = 0; i < LEGACY_FRAMES && fds[LATE_DMABUFS - 1] >= 0; i++) {
    GstBuffer *buf = gst_buffer_new ();
    gboolean large = i >= LEGACY_CHANGE;

    if (i == LEGACY_CHANGE) {
      GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
          "width=800,height=600,framerate=60/1");

      g_object_set (src, "caps", caps, NULL);
      gst_caps_unref (caps);
    }
    gst_buffer_append_memory (buf, gst_dmabuf_allocator_alloc (dmabuf,
            dup (fds[i % LATE_DMABUFS]), large ? size : 640 * 480 * 4));
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 60);
    GST_BUFFER_DURATION (buf) = GST_SECOND / 60;
    g_signal_emit_by_name (src, "push-buffer", buf, &flow);
    gst_buffer_unref (buf);
  }
  g_signal_emit_by_name (src, "end-of-stream", &flow);

  check_ran_to_eos (bus);
  get_stats (sink, &st);
  gst_element_set_state (pipe, GST_STATE_NULL);
  note ("  stats: shown %" G_GUINT64_FORMAT ", copies %" G_GUINT64_FORMAT
      ", mode %dx%d", st.frames_shown, st.copies, st.display_width,
      st.display_height);

  CHECK (st.display_width == 800 && st.display_height == 600,
      "an 800x600 mode at the end", "mode %dx%d", st.display_width,
      st.display_height);
  CHECK (st.frames_shown >= LEGACY_FRAMES && st.copies == 0,
      "every frame shown, zero copies", "shown %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT, st.frames_shown, st.copies);
  /* from the 10th frame after the change to the last */
  if (legacy_n == LEGACY_FRAMES) {
    frames = LEGACY_FRAMES - 1 - (LEGACY_CHANGE + 10);
    vblanks = legacy_arrived[LEGACY_FRAMES - 1]
        - legacy_arrived[LEGACY_CHANGE + 10];
  }
  note ("  %d frames in %" G_GINT64_FORMAT " vblanks", frames, vblanks);
  /* one vblank a frame, some slack for a slow guest; two is the bug */
  CHECK (frames > 0 && vblanks < frames * 3 / 2, "one vblank a frame, not "
      "two", "%d frames in %" G_GINT64_FORMAT " vblanks", frames, vblanks);

  for (i = 0; i < LATE_DMABUFS; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  stats_clear (&st);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  gst_object_unref (dmabuf);
  g_free (desc);
  g_free (vkms);
  check_nothing_left (&before);
  close (legacy_fd);
}

/* The first primary plane of the card open on @fd, 0 if none */
static guint32
primary_plane (gint fd)
{
  drmModePlaneResPtr res;
  guint32 found = 0;
  guint i;

  drmSetClientCap (fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
  res = drmModeGetPlaneResources (fd);
  for (i = 0; res && i < res->count_planes && !found; i++) {
    guint64 type = 0;

    if (object_property (fd, res->planes[i], DRM_MODE_OBJECT_PLANE, "type",
            &type) && type == DRM_PLANE_TYPE_PRIMARY)
      found = res->planes[i];
  }
  if (res)
    drmModeFreePlaneResources (res);
  return found;
}

typedef struct
{
  GstElement *filter;
  guint32 to_plane;
  gint n;
} PlaneSwitch;

/* at the 10th frame: the next ones 800x600 on @to_plane */
static GstPadProbeReturn
plane_switch_at_frame (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  PlaneSwitch *ps = data;

  if (++ps->n == 10) {
    GstElement *sink = gst_pad_get_parent_element (pad);
    GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
        "width=800,height=600");

    g_object_set (sink, "plane-id", ps->to_plane, NULL);
    g_object_set (ps->filter, "caps", caps, NULL);
    gst_caps_unref (caps);
    gst_object_unref (sink);
  }
  return GST_PAD_PROBE_OK;
}

/* The framebuffer plane @plane scans out (0: off) */
static guint32
plane_fb (gint fd, guint32 plane)
{
  drmModePlanePtr p = drmModeGetPlane (fd, plane);
  guint32 fb = p ? p->fb_id : G_MAXUINT32;

  if (p)
    drmModeFreePlane (p);
  return fb;
}

/* New caps that move the frames to another plane (vkms' overlay to its
 * primary): the overlay must not go on showing the last frame it had
 * (before: a copy of it, in a dumb buffer the sink then counted as free).
 * Checked at EOS, the last frame on screen. */
static void
plane_switch (gboolean atomic)
{
  gchar *vkms = NULL, *desc;
  guint32 overlay, primary, overlay_fb = G_MAXUINT32, primary_fb = 0;
  PlaneSwitch ps = { NULL, 0, 0 };
  GstElement *pipe, *sink;
  Resources before;
  Stats st = { 0, };
  GstBus *bus;
  GstPad *pad;
  gint fd;

  vkms = vkms_card ();
  if (!vkms)
    return;
  fd = open (vkms, O_RDWR | O_CLOEXEC);
  if (fd >= 0)
    drmDropMaster (fd);
  overlay = fd >= 0 ? overlay_plane (fd) : 0;
  primary = fd >= 0 ? primary_plane (fd) : 0;
  CHECK (overlay && primary, "an overlay and a primary plane on vkms",
      "overlay %u, primary %u: is vkms loaded with enable_overlay=1?",
      overlay, primary);
  if (!overlay || !primary) {
    if (fd >= 0)
      close (fd);
    g_free (vkms);
    return;
  }
  before = resources_now ();
  current_part = atomic ? "atomic" : "legacy";
  note ("plane-switch: 640x480 on overlay %u, then 800x600 on primary %u "
      "from frame 10 (%s API)", overlay, primary, current_part);
  desc = g_strdup_printf ("videotestsrc pattern=smpte num-buffers=30 ! "
      "capsfilter name=filter caps=video/x-raw,format=BGRx,width=640,"
      "height=480 ! dmaheapsink name=sink device=%s atomic=%s "
      "force-modesetting=true can-scale=false plane-id=%u sync=false", vkms,
      atomic ? "true" : "false", overlay);
  note ("  %s", desc);
  pipe = gst_parse_launch (desc, NULL);
  ps.filter = gst_bin_get_by_name (GST_BIN (pipe), "filter");
  ps.to_plane = primary;
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, plane_switch_at_frame,
      &ps, NULL);
  gst_object_unref (pad);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  if (check_ran_to_eos (bus)) {
    overlay_fb = plane_fb (fd, overlay);
    primary_fb = plane_fb (fd, primary);
  }
  get_stats (sink, &st);
  gst_element_set_state (pipe, GST_STATE_NULL);
  note ("  stats: shown %" G_GUINT64_FORMAT ", copies %" G_GUINT64_FORMAT
      ", mode %dx%d; at EOS overlay fb %u, primary fb %u", st.frames_shown,
      st.copies, st.display_width, st.display_height, overlay_fb, primary_fb);

  CHECK (st.frames_shown >= 30, "all 30 frames shown", "shown %"
      G_GUINT64_FORMAT, st.frames_shown);
  CHECK (primary_fb != 0 && primary_fb != G_MAXUINT32,
      "the primary plane shows the frames", "primary fb %u", primary_fb);
  CHECK (overlay_fb == 0, "the overlay left is off", "overlay fb %u",
      overlay_fb);

  stats_clear (&st);
  gst_object_unref (bus);
  gst_object_unref (ps.filter);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  g_free (vkms);
  check_nothing_left (&before);
  current_part = NULL;
  close (fd);
}

static void
test_plane_switch (void)
{
  plane_switch (FALSE);
  plane_switch (TRUE);
}

/* ------------------------------------------------------------------------ */
/* GstVideoCropMeta                                                          */

/* videocrop, when downstream's ALLOCATION answer lists GstVideoCropMeta (and
 * GstVideoMeta), leaves the frame whole and adds the meta: the sink gets
 * the 320x240 frame with the caps of the crop, 200x150. */
#define CROP_PIPELINE "videotestsrc pattern=smpte is-live=true num-buffers=30 " \
  "! video/x-raw,format=BGRx,width=320,height=240,framerate=10/1 ! " \
  "dmaheapalloc ! videocrop left=40 right=80 top=30 bottom=60 ! "
#define CROP_X 40
#define CROP_Y 30
#define CROP_W 200
#define CROP_H 150

typedef struct
{
  Shot shot;
  gboolean has_meta;            /* the last frame had a crop meta */
  GstVideoRectangle meta;       /* its rectangle */
  gint frame_w, frame_h;        /* its GstVideoMeta's size */
} CropShot;

/* What the sink was given: the crop meta of its last sample. */
static void
read_crop_meta (GstElement * sink, CropShot * cs)
{
  GstSample *sample = NULL;
  GstBuffer *buf;
  GstVideoCropMeta *crop;
  GstVideoMeta *vmeta;

  g_object_get (sink, "last-sample", &sample, NULL);
  if (!sample)
    return;
  buf = gst_sample_get_buffer (sample);
  crop = buf ? gst_buffer_get_video_crop_meta (buf) : NULL;
  vmeta = buf ? gst_buffer_get_video_meta (buf) : NULL;
  cs->has_meta = crop != NULL;
  if (crop) {
    cs->meta.x = crop->x;
    cs->meta.y = crop->y;
    cs->meta.w = crop->width;
    cs->meta.h = crop->height;
  }
  if (vmeta) {
    cs->frame_w = vmeta->width;
    cs->frame_h = vmeta->height;
  }
  gst_sample_unref (sample);
}

static void
take_shot_and_crop_meta (GstElement * sink, gpointer data)
{
  CropShot *cs = data;

  take_shot (sink, &cs->shot);
  read_crop_meta (sink, cs);
}

static void
check_crop_meta_given (CropShot * cs)
{
  note ("  the sink's last frame: %s %dx%d+%d+%d of a %dx%d frame",
      cs->has_meta ? "crop meta" : "no crop meta", cs->meta.w, cs->meta.h,
      cs->meta.x, cs->meta.y, cs->frame_w, cs->frame_h);
  CHECK (cs->has_meta && cs->meta.x == CROP_X && cs->meta.y == CROP_Y
      && cs->meta.w == CROP_W && cs->meta.h == CROP_H && cs->frame_w == 320
      && cs->frame_h == 240, "the sink was given the whole 320x240 frame "
      "and a GstVideoCropMeta of 200x150+40+30 (its ALLOCATION answer lists "
      "the meta)", "%s %dx%d+%d+%d, frame %dx%d", cs->has_meta ? "crop meta" :
      "no crop meta", cs->meta.w, cs->meta.h, cs->meta.x, cs->meta.y,
      cs->frame_w, cs->frame_h);
}

/* On cirrus (a plane that can neither scale nor be positioned): the crop
 * rectangle copied into the middle of the screen, pixel for pixel what
 * videocrop itself makes of the frame (to appsink, which lists no meta:
 * videocrop copies). */
static void
test_crop_meta (void)
{
  Resources before = resources_now ();
  CropShot cs = { {"crop-meta",}, };
  Image expected = { 0, };
  Stats st = { 0, };
  GError *err;

  note ("%s: 200x150+40+30 of 320x240 SMPTE bars, as a crop meta",
      cs.shot.name);
  err = run_pipeline (CROP_PIPELINE "dmaheapsink name=sink sync=false", &st,
      5, take_shot_and_crop_meta, &cs, NULL);

  CHECK (err == NULL, "the pipeline ran to EOS", "%s", err->message);
  CHECK (st.frames_shown >= 30, "all 30 frames shown", "%" G_GUINT64_FORMAT
      " frames shown", st.frames_shown);
  check_crop_meta_given (&cs);
  CHECK (image_from_launch ("videotestsrc pattern=smpte num-buffers=1 ! "
          "video/x-raw,format=BGRx,width=320,height=240 ! videocrop left=40 "
          "right=80 top=30 bottom=60 ! videoconvert ! video/x-raw,format=RGB "
          "! appsink name=out", &expected), "the source frame cropped "
      "(videocrop to RGB)", "could not render it");
  check_image_on_screen ("the screen shows the crop rectangle, centred, "
      "pixel for pixel", &cs.shot, &expected, CENTRED, CENTRED, NULL);

  image_clear (&expected);
  image_clear (&cs.shot.screen);
  g_clear_error (&err);
  stats_clear (&st);
  check_nothing_left (&before);
}

/* On vkms' overlay (it can be positioned, not scaled): the imported frame,
 * whole, scanned out from the crop rectangle, as the plane's SRC_X/Y/W/H
 * say (read back at EOS, the last frame on screen). */
static void
crop_on_plane (gboolean atomic)
{
  gchar *vkms = vkms_card (), *desc;
  guint64 src[4] = { 0, };
  const gchar *names[4] = { "SRC_X", "SRC_Y", "SRC_W", "SRC_H" };
  guint32 overlay, fb = 0;
  gint fb_w = 0, fb_h = 0, fd, i;
  GstElement *pipe, *sink;
  CropShot cs = { {NULL,}, };
  Resources before;
  Stats st = { 0, };
  GstBus *bus;

  if (!vkms)
    return;
  fd = open (vkms, O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    drmDropMaster (fd);
    /* SRC_X and the like are atomic properties */
    drmSetClientCap (fd, DRM_CLIENT_CAP_ATOMIC, 1);
  }
  overlay = fd >= 0 ? overlay_plane (fd) : 0;
  CHECK (overlay, "an overlay plane on vkms", "none: is vkms loaded with "
      "enable_overlay=1?");
  if (!overlay) {
    if (fd >= 0)
      close (fd);
    g_free (vkms);
    return;
  }
  before = resources_now ();
  current_part = atomic ? "atomic" : "legacy";
  desc = g_strdup_printf (CROP_PIPELINE "dmaheapsink name=sink device=%s "
      "atomic=%s plane-id=%u force-modesetting=true can-scale=false "
      "sync=false", vkms, atomic ? "true" : "false", overlay);
  note ("crop-plane: 200x150+40+30 of 320x240 as a crop meta, overlay %u "
      "(%s API)", overlay, current_part);
  note ("  %s", desc);
  pipe = gst_parse_launch (desc, NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  if (check_ran_to_eos (bus)) {
    drmModeFBPtr f;

    for (i = 0; i < 4; i++)
      object_property (fd, overlay, DRM_MODE_OBJECT_PLANE, names[i], &src[i]);
    fb = plane_fb (fd, overlay);
    f = fb && fb != G_MAXUINT32 ? drmModeGetFB (fd, fb) : NULL;
    if (f) {
      fb_w = f->width;
      fb_h = f->height;
      /* GETFB gives root a handle: it would keep the buffer alive */
      if (f->handle)
        drmCloseBufferHandle (fd, f->handle);
      drmModeFreeFB (f);
    }
    read_crop_meta (sink, &cs);
  }
  get_stats (sink, &st);
  gst_element_set_state (pipe, GST_STATE_NULL);
  note ("  stats: shown %" G_GUINT64_FORMAT ", imports %" G_GUINT64_FORMAT
      ", copies %" G_GUINT64_FORMAT "; at EOS overlay fb %u (%dx%d), SRC %"
      G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT "+%"
      G_GUINT64_FORMAT, st.frames_shown, st.imports, st.copies, fb, fb_w,
      fb_h, src[2] >> 16, src[3] >> 16, src[0] >> 16, src[1] >> 16);

  CHECK (st.frames_shown >= 30, "all 30 frames shown", "shown %"
      G_GUINT64_FORMAT, st.frames_shown);
  check_crop_meta_given (&cs);
  CHECK (st.copies == 0 && st.imports > 0, "the heap buffers imported, "
      "zero copies", "imports %" G_GUINT64_FORMAT ", copies %"
      G_GUINT64_FORMAT, st.imports, st.copies);
  CHECK (fb_w == 320 && fb_h == 240, "the overlay scans out the whole "
      "320x240 frame", "fb %u is %dx%d", fb, fb_w, fb_h);
  CHECK (src[0] == (CROP_X << 16) && src[1] == (CROP_Y << 16)
      && src[2] == (CROP_W << 16) && src[3] == (CROP_H << 16),
      "the overlay's source rectangle is the crop, 200x150+40+30",
      "SRC %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
      "+%" G_GUINT64_FORMAT " (16.16: %" G_GUINT64_FORMAT ", %"
      G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")",
      src[2] >> 16, src[3] >> 16, src[0] >> 16, src[1] >> 16, src[2], src[3],
      src[0], src[1]);

  stats_clear (&st);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  g_free (vkms);
  check_nothing_left (&before);
  current_part = NULL;
  close (fd);
}

static void
test_crop_plane (void)
{
  crop_on_plane (TRUE);
  crop_on_plane (FALSE);
}

/* ------------------------------------------------------------------------ */

typedef struct
{
  const gchar *name;            /* for --only, and in every result line */
  void (*run) (void);
  gboolean only_when_asked;     /* needs a VM boot of its own */
} DisplayCheck;

static const DisplayCheck display_checks[] = {
  {"pattern", test_pattern_atomic},
  {"legacy", test_pattern_legacy},
  {"dmaheapalloc", test_from_dmaheapalloc},
  {"kmssink", test_kmssink_from_dmaheapalloc},
  {"crtc-off", test_crtc_off},
  {"small", test_small_frame_centred},
  {"system", test_system_memory_copied},
  {"memfd", test_unimportable_copied},
#if GST_CHECK_VERSION(1, 28, 0)
  {"udmabuf", test_udmabuf_imported},
#endif
  {"rectangle", test_render_rectangle},
  {"crop", test_crop_meta},
  {"renegotiate", test_renegotiation},
  {"heap-system", test_heap_system},
  {"vivid", test_v4l2_zero_copy},
  {"unshowable", test_unshowable_format},
  {"master", test_not_master},
  {"settings", test_unknown_device_and_connector},
  /* a second display (vkms): meson.build's display-devices boot */
  {"devices", test_device_choice, TRUE},
  /* with a 12 MiB carveout: the same boot */
  {"bounded", test_bounded_renegotiation, TRUE},
  /* vkms, the same boot: page-flip events after the sink's timeout */
  {"late-flip", test_late_flip, TRUE},
  /* vkms with an overlay plane, the same boot */
  {"legacy-larger", test_legacy_larger_mode, TRUE},
  {"plane-switch", test_plane_switch, TRUE},
  /* vkms with an overlay plane, the same boot */
  {"crop-plane", test_crop_plane, TRUE},
};

int
main (int argc, char **argv)
{
  gchar **only = NULL, **name;
  GOptionEntry entries[] = {
    {"require-device", 0, 0, G_OPTION_ARG_NONE, &require_device,
          "Fail instead of skipping without " CARD " or without debugfs",
        NULL},
    {"only", 0, 0, G_OPTION_ARG_STRING_ARRAY, &only,
        "Run only this check (repeatable)", "NAME"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- dmaheapsink on a display");
  GError *err = NULL;
  GString *lists;
  guint i;

  /* line by line, so that nothing is lost when the watchdog aborts */
  setvbuf (stdout, NULL, _IOLBF, 0);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  /* a name this test does not know would run nothing, and pass */
  for (name = only; name && *name; name++) {
    GString *known = g_string_new (NULL);
    gboolean found = FALSE;

    for (i = 0; i < G_N_ELEMENTS (display_checks); i++) {
      found |= g_str_equal (*name, display_checks[i].name);
      g_string_append_printf (known, "%s%s", i ? ", " : "",
          display_checks[i].name);
    }
    if (!found)
      g_printerr ("--only %s: no such check; the checks are: %s\n", *name,
          known->str);
    g_string_free (known, TRUE);
    if (!found) {
      g_strfreev (only);
      return 2;
    }
  }

  if (!g_file_test (CARD, G_FILE_TEST_EXISTS)) {
    if (!require_device) {
      g_print ("1..0 # SKIP no %s\n", CARD);
      g_strfreev (only);
      return 77;
    }
    CHECK (FALSE, "a display device", "no %s", CARD);
    g_strfreev (only);
    return 1;
  }
  CHECK (gst_registry_check_feature_version (gst_registry_get (),
          "dmaheapsink", 0, 0, 0), "dmaheapsink found",
      "not in GStreamer's registry: is GST_PLUGIN_PATH set?");
  if (failures) {
    g_strfreev (only);
    return 1;
  }
  lists = g_string_new (NULL);
  if (count_framebuffers (lists) >= 0)
    note ("framebuffers counted in %s", lists->len ? lists->str : "(none)");
  else
    note ("framebuffers cannot be counted: %s", framebuffers_unreadable);
  g_string_free (lists, TRUE);

  for (i = 0; i < G_N_ELEMENTS (display_checks); i++) {
    const DisplayCheck *check = &display_checks[i];

    if (only ? !g_strv_contains ((const gchar * const *) only, check->name)
        : check->only_when_asked)
      continue;
    current_check = check->name;
    current_part = NULL;
    check->run ();
  }

  g_strfreev (only);
  note ("%s: %d failure(s)", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
