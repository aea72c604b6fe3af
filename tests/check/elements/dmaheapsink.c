/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dmaheapsink on the host: what needs no DRM device. The format table, the
 * choice of plane, mode and layout from described devices, the framebuffer
 * cache (with memfds standing in for dma-bufs), the properties, and the
 * errors when there is no device. The display itself is tested in the VM
 * (tests/display/). */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memfd_create */
#endif

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

#include <drm_fourcc.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gstdrmformats.h"
#include "gstkmsfbcache.h"
#include "gstkmsselect.h"

/* ------------------------------------------------------------------------ */
/* format table                                                              */

GST_START_TEST (test_format_known_pairs)
{
  /* Byte order in memory (GStreamer) against little-endian words (DRM). */
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_BGRx), DRM_FORMAT_XRGB8888);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_BGRA), DRM_FORMAT_ARGB8888);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_RGBx), DRM_FORMAT_XBGR8888);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_RGB), DRM_FORMAT_BGR888);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_BGR), DRM_FORMAT_RGB888);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_RGB16), DRM_FORMAT_RGB565);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_YUY2), DRM_FORMAT_YUYV);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_NV12), DRM_FORMAT_NV12);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_I420), DRM_FORMAT_YUV420);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_YV12), DRM_FORMAT_YVU420);
  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_P010_10LE), DRM_FORMAT_P010);

  fail_unless_equals_int (gst_drm_fourcc_from_video_format
      (GST_VIDEO_FORMAT_v210), 0);
  fail_unless_equals_int (gst_drm_fourcc_to_video_format
      (DRM_FORMAT_C8), GST_VIDEO_FORMAT_UNKNOWN);
}

GST_END_TEST;

/* Every entry maps both ways, once, and agrees on bytes per pixel (on
 * GStreamer 1.24+ through GStreamer's own mapping where it has one). */
GST_START_TEST (test_format_table_consistent)
{
  guint i, j, n = gst_drm_formats_n_supported ();

  fail_unless (n > 20);
  for (i = 0; i < n; i++) {
    GstVideoFormat f = gst_drm_formats_get_supported (i);
    guint32 fourcc = gst_drm_fourcc_from_video_format (f);
    const GstVideoFormatInfo *finfo = gst_video_format_get_info (f);

    fail_unless (fourcc != 0, "%s", gst_video_format_to_string (f));
    fail_unless_equals_int (gst_drm_fourcc_to_video_format (fourcc), f);
    for (j = i + 1; j < n; j++)
      fail_if (gst_drm_fourcc_from_video_format
          (gst_drm_formats_get_supported (j)) == fourcc);

    /* Packed RGB: DRM's bits per pixel (from the fourcc name's depth) must
     * equal GStreamer's pixel stride. */
    if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
      guint bpp = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0) * 8;

      switch (fourcc) {
        case DRM_FORMAT_RGB565:
        case DRM_FORMAT_BGR565:
          fail_unless_equals_int (bpp, 16);
          break;
        case DRM_FORMAT_RGB888:
        case DRM_FORMAT_BGR888:
          fail_unless_equals_int (bpp, 24);
          break;
        default:
          fail_unless_equals_int (bpp, 32);
          break;
      }
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_format_caps)
{
  /* What QEMU's cirrus offers, plus a format the table does not know. */
  const guint32 cirrus[] = { DRM_FORMAT_RGB565, DRM_FORMAT_C8,
    DRM_FORMAT_XRGB8888, DRM_FORMAT_RGB888
  };
  const guint32 unknown[] = { DRM_FORMAT_C8 };
  GstCaps *caps, *expected;
  gchar *s;

  caps = gst_drm_formats_caps_from_fourccs (cirrus, G_N_ELEMENTS (cirrus),
      4096, 2048);
  /* Table order, not the device's: BGRx first. */
  expected = gst_caps_from_string ("video/x-raw, format={ BGRx, BGR, RGB16 },"
      " width=[1,4096], height=[1,2048], framerate=[0/1,2147483647/1]"
#if GST_CHECK_VERSION(1, 24, 0)
      /* the same formats as 1.24's DMA_DRM caps, linear */
      "; video/x-raw(memory:DMABuf), format=DMA_DRM,"
      " drm-format={ XR24, RG24, RG16 }, width=[1,4096], height=[1,2048],"
      " framerate=[0/1,2147483647/1]"
#endif
      );
  fail_unless (gst_caps_is_strictly_equal (caps, expected),
      "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (expected);
  gst_caps_unref (caps);

  caps = gst_drm_formats_caps_from_fourccs (unknown, 1, 0, 0);
  fail_unless (gst_caps_is_empty (caps));
  gst_caps_unref (caps);

  s = gst_drm_fourcc_to_string (DRM_FORMAT_NV12);
  fail_unless_equals_string (s, "NV12");
  g_free (s);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* plane choice                                                              */

static guint32 primary_formats[] = { DRM_FORMAT_XRGB8888, DRM_FORMAT_RGB565 };

static guint32 overlay_formats[] = { DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12,
  DRM_FORMAT_YUYV
};

static guint32 overlay_mod_formats[] = { DRM_FORMAT_XRGB8888,
  DRM_FORMAT_XRGB8888, DRM_FORMAT_NV12, DRM_FORMAT_YUYV
};

static guint64 overlay_mods[] = { DRM_FORMAT_MOD_LINEAR,
  I915_FORMAT_MOD_X_TILED, I915_FORMAT_MOD_Y_TILED, DRM_FORMAT_MOD_LINEAR
};
static guint32 cursor_formats[] = { DRM_FORMAT_ARGB8888, DRM_FORMAT_NV12 };

/* Two CRTCs; plane 31 drives both, 40 only the second. NV12 scans out only
 * Y-tiled on the overlay: linear NV12 has no plane. */
static const GstKmsPlaneDesc test_planes[] = {
  {31, DRM_PLANE_TYPE_PRIMARY, 0x3, primary_formats, 2, NULL, NULL, 0},
  {35, DRM_PLANE_TYPE_OVERLAY, 0x1, overlay_formats, 3, overlay_mod_formats,
      overlay_mods, 4},
  {38, DRM_PLANE_TYPE_CURSOR, 0x1, cursor_formats, 2, NULL, NULL, 0},
  {40, DRM_PLANE_TYPE_OVERLAY, 0x2, overlay_formats, 3, NULL, NULL, 0},
};

#define N_TEST_PLANES G_N_ELEMENTS (test_planes)

/* A connector no CRTC drives gets a free CRTC it can use, not the first it
 * can use when another display is on that one; all busy: the first. */
GST_START_TEST (test_crtc_choice)
{
  /* CRTC 0 drives another display, CRTC 1 is free */
  fail_unless_equals_int (gst_kms_select_crtc (0x3, 0x1, 2), 1);
  /* the first free one it can use */
  fail_unless_equals_int (gst_kms_select_crtc (0x6, 0x0, 3), 1);
  fail_unless_equals_int (gst_kms_select_crtc (0x6, 0x2, 3), 2);
  /* none free: the first it can use */
  fail_unless_equals_int (gst_kms_select_crtc (0x6, 0x6, 3), 1);
  /* none it can use */
  fail_unless_equals_int (gst_kms_select_crtc (0x0, 0x0, 3), -1);
  fail_unless_equals_int (gst_kms_select_crtc (0x8, 0x0, 3), -1);
}

GST_END_TEST;

GST_START_TEST (test_plane_by_format)
{
  gint idx;

  /* Owning the CRTC: the primary plane, when it has the format. */
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, TRUE);
  fail_unless_equals_int (test_planes[idx].id, 31);
  /* Sharing it: an overlay. */
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR, FALSE);
  fail_unless_equals_int (test_planes[idx].id, 35);
  /* Format decides before type (kmssink would take plane 31 for YUYV). */
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
      DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR, TRUE);
  fail_unless_equals_int (test_planes[idx].id, 35);
  /* The CRTC decides too. */
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 1,
      DRM_FORMAT_YUYV, DRM_FORMAT_MOD_LINEAR, TRUE);
  fail_unless_equals_int (test_planes[idx].id, 40);
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 1,
      DRM_FORMAT_RGB565, DRM_FORMAT_MOD_LINEAR, FALSE);
  fail_unless_equals_int (test_planes[idx].id, 31);
}

GST_END_TEST;

GST_START_TEST (test_plane_by_modifier)
{
  gint idx;

  /* Linear NV12: the overlay lists NV12 only Y-tiled; the cursor plane is
   * the last resort and takes it (no IN_FORMATS: linear). */
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
      DRM_FORMAT_NV12, DRM_FORMAT_MOD_LINEAR, FALSE);
  fail_unless_equals_int (test_planes[idx].id, 38);
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
      DRM_FORMAT_NV12, I915_FORMAT_MOD_Y_TILED, FALSE);
  fail_unless_equals_int (test_planes[idx].id, 35);
  /* X-tiled XRGB: only the overlay lists it. */
  idx = gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
      DRM_FORMAT_XRGB8888, I915_FORMAT_MOD_X_TILED, TRUE);
  fail_unless_equals_int (test_planes[idx].id, 35);
  /* Nothing anywhere. */
  fail_unless_equals_int (gst_kms_select_plane (test_planes, N_TEST_PLANES, 0,
          DRM_FORMAT_P010, DRM_FORMAT_MOD_LINEAR, TRUE), -1);
  fail_unless_equals_int (gst_kms_select_plane (test_planes, N_TEST_PLANES, 1,
          DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR, TRUE), -1);

  fail_unless (gst_kms_plane_supports (&test_planes[0], DRM_FORMAT_RGB565,
          DRM_FORMAT_MOD_INVALID));
  fail_if (gst_kms_plane_supports (&test_planes[0], DRM_FORMAT_RGB565,
          I915_FORMAT_MOD_X_TILED));
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* mode choice                                                               */

static drmModeModeInfo
make_mode (guint16 w, guint16 h, guint32 refresh, gboolean preferred)
{
  drmModeModeInfo m;

  memset (&m, 0, sizeof (m));
  m.hdisplay = w;
  m.vdisplay = h;
  m.vrefresh = refresh;
  m.type = DRM_MODE_TYPE_DRIVER | (preferred ? DRM_MODE_TYPE_PREFERRED : 0);
  g_snprintf (m.name, sizeof (m.name), "%ux%u", w, h);
  return m;
}

GST_START_TEST (test_mode_choice)
{
  drmModeModeInfo modes[6];
  gint idx;

  /* As QEMU's cirrus lists them (no EDID): 1024x768 preferred. */
  modes[0] = make_mode (1280, 1024, 60, FALSE);
  modes[1] = make_mode (1024, 768, 60, TRUE);
  modes[2] = make_mode (800, 600, 60, FALSE);
  modes[3] = make_mode (640, 480, 60, FALSE);
  modes[4] = make_mode (640, 480, 75, FALSE);
  modes[5] = make_mode (720, 400, 70, FALSE);

  /* A scaling plane: the preferred mode, whatever the frame. */
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 640, 480, TRUE), 1);
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 320, 240, TRUE), 1);

  /* Not scaling: the frame's size, at the highest refresh. */
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 640, 480, FALSE), 4);
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 1280, 1024, FALSE), 0);
  /* No such mode: the smallest (by area) the frame fits in. */
  idx = gst_kms_select_mode (modes, 6, 320, 240, FALSE);
  fail_unless_equals_int (idx, 5);
  idx = gst_kms_select_mode (modes, 6, 700, 500, FALSE);
  fail_unless_equals_int (idx, 2);
  /* Larger than every mode: the preferred one (frames are cropped). */
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 3840, 2160, FALSE), 1);

  /* A preferred mode of the frame's size wins over a faster one. */
  modes[3].type |= DRM_MODE_TYPE_PREFERRED;
  modes[1].type &= ~DRM_MODE_TYPE_PREFERRED;
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 640, 480, FALSE), 3);

  /* Nothing marked preferred: the first. */
  modes[3].type &= ~DRM_MODE_TYPE_PREFERRED;
  fail_unless_equals_int (gst_kms_select_mode (modes, 6, 640, 480, TRUE), 0);
  fail_unless_equals_int (gst_kms_select_mode (modes, 0, 640, 480, TRUE), -1);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* layout                                                                    */

#define assert_rect(r, X, Y, W, H) G_STMT_START { \
  fail_unless ((r).x == (X) && (r).y == (Y) && (r).w == (W) && (r).h == (H), \
      "got %dx%d+%d+%d, expected %dx%d+%d+%d", (r).w, (r).h, (r).x, (r).y, \
      (W), (H), (X), (Y)); } G_STMT_END

GST_START_TEST (test_layout)
{
  GstVideoRectangle screen = { 0, 0, 1024, 768 }, src, dst;
  GstVideoInfo vinfo;

  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_BGRx, 640, 480);

  /* Scaled to fill, keeping 4:3. */
  fail_unless (gst_kms_compute_layout (&vinfo, &screen, TRUE, &src, &dst));
  assert_rect (src, 0, 0, 640, 480);
  assert_rect (dst, 0, 0, 1024, 768);

  /* 1:1, centred: does not cover the screen. */
  fail_if (gst_kms_compute_layout (&vinfo, &screen, FALSE, &src, &dst));
  assert_rect (src, 0, 0, 640, 480);
  assert_rect (dst, 192, 144, 640, 480);

  /* 16:9 letterboxed in 4:3. */
  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_BGRx, 1280, 720);
  fail_if (gst_kms_compute_layout (&vinfo, &screen, TRUE, &src, &dst));
  assert_rect (dst, 0, 96, 1024, 576);

  /* Larger than the screen, not scaling: the centre, cropped. */
  fail_if (gst_kms_compute_layout (&vinfo, &screen, FALSE, &src, &dst));
  assert_rect (src, 128, 0, 1024, 720);
  assert_rect (dst, 0, 24, 1024, 720);

  /* Pixel aspect ratio: 720x576 at 16:15 is 768x576 on square pixels. */
  gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_BGRx, 720, 576);
  vinfo.par_n = 16;
  vinfo.par_d = 15;
  gst_kms_compute_layout (&vinfo, &screen, TRUE, &src, &dst);
  assert_rect (src, 0, 0, 720, 576);
  assert_rect (dst, 0, 0, 1024, 768);

  /* A render rectangle; subsampled formats cropped at even offsets. */
  {
    GstVideoRectangle area = { 101, 51, 331, 241 };

    gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_NV12, 320, 240);
    gst_kms_compute_layout (&vinfo, &area, FALSE, &src, &dst);
    assert_rect (src, 0, 0, 320, 240);
    assert_rect (dst, 106, 51, 320, 240);

    gst_video_info_set_format (&vinfo, GST_VIDEO_FORMAT_NV12, 350, 250);
    gst_kms_compute_layout (&vinfo, &area, FALSE, &src, &dst);
    assert_rect (src, 8, 4, 331, 241);
    assert_rect (dst, 101, 51, 331, 241);
  }
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* framebuffer cache                                                         */

typedef struct
{
  GArray *released;
} ReleaseLog;

static void
log_release (guint32 fb_id, gpointer user_data)
{
  ReleaseLog *log = user_data;

  g_array_append_val (log->released, fb_id);
}

static gint
make_buffer_fd (void)
{
  gint fd = memfd_create ("dmaheapsink-test", MFD_CLOEXEC);

  fail_unless (fd >= 0);
  fail_unless (ftruncate (fd, 4096) == 0);
  return fd;
}

static void
layout_for_fd (gint fd, GstKmsFbLayout * layout)
{
  memset (layout, 0, sizeof (*layout));
  layout->fourcc = DRM_FORMAT_XRGB8888;
  layout->width = 32;
  layout->height = 32;
  layout->modifier = DRM_FORMAT_MOD_LINEAR;
  layout->n_planes = 1;
  layout->pitches[0] = 128;
  fail_unless (gst_kms_buffer_id_from_fd (fd, &layout->planes[0]));
}

/* The same dma-buf through another fd (a dup, or a new GstMemory made by
 * upstream for it) hits; another dma-buf misses. */
GST_START_TEST (test_fb_cache_keyed_by_dmabuf)
{
  ReleaseLog log = { g_array_new (FALSE, FALSE, sizeof (guint32)) };
  GstKmsFbCache *cache = gst_kms_fb_cache_new (8, 0, log_release, &log);
  GstKmsFbLayout a, a_dup, b;
  gint fd_a = make_buffer_fd (), fd_b = make_buffer_fd ();
  gint fd_a2 = dup (fd_a);

  layout_for_fd (fd_a, &a);
  layout_for_fd (fd_a2, &a_dup);
  layout_for_fd (fd_b, &b);

  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &a), 0);
  gst_kms_fb_cache_insert (cache, &a, 100);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &a_dup), 100);
  /* Even when the first fd is closed and its number reused. */
  close (fd_a);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &a_dup), 100);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &b), 0);
  gst_kms_fb_cache_insert (cache, &b, 101);
  fail_unless_equals_int (gst_kms_fb_cache_size (cache), 2);
  fail_unless_equals_int (log.released->len, 0);

  /* Same dma-buf, another layout (renegotiation): the old framebuffer goes. */
  a_dup.pitches[0] = 256;
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &a_dup), 0);
  fail_unless_equals_int (log.released->len, 1);
  fail_unless_equals_int (g_array_index (log.released, guint32, 0), 100);

  gst_kms_fb_cache_free (cache);
  /* Nothing leaks: every framebuffer inserted was released. */
  fail_unless_equals_int (log.released->len, 2);
  g_array_free (log.released, TRUE);
  close (fd_a2);
  close (fd_b);
}

GST_END_TEST;

/* One buffer reaching two sinks (tee): each cache keeps its own
 * framebuffer, neither clobbers the other (kmssink's qdata would). */
GST_START_TEST (test_fb_cache_tee_safe)
{
  ReleaseLog log1 = { g_array_new (FALSE, FALSE, sizeof (guint32)) };
  ReleaseLog log2 = { g_array_new (FALSE, FALSE, sizeof (guint32)) };
  GstKmsFbCache *c1 = gst_kms_fb_cache_new (8, 0, log_release, &log1);
  GstKmsFbCache *c2 = gst_kms_fb_cache_new (8, 0, log_release, &log2);
  GstKmsFbLayout l;
  gint fd = make_buffer_fd ();

  layout_for_fd (fd, &l);
  gst_kms_fb_cache_insert (c1, &l, 7);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (c2, &l), 0);
  gst_kms_fb_cache_insert (c2, &l, 9);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (c1, &l), 7);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (c2, &l), 9);

  gst_kms_fb_cache_free (c1);
  fail_unless_equals_int (log1.released->len, 1);
  fail_unless_equals_int (log2.released->len, 0);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (c2, &l), 9);
  gst_kms_fb_cache_free (c2);
  fail_unless_equals_int (g_array_index (log2.released, guint32, 0), 9);

  g_array_free (log1.released, TRUE);
  g_array_free (log2.released, TRUE);
  close (fd);
}

GST_END_TEST;

GST_START_TEST (test_fb_cache_eviction)
{
  ReleaseLog log = { g_array_new (FALSE, FALSE, sizeof (guint32)) };
  GstKmsFbCache *cache = gst_kms_fb_cache_new (3, 6, log_release, &log);
  GstKmsFbLayout l[5];
  gint fds[5], i;

  for (i = 0; i < 5; i++) {
    fds[i] = make_buffer_fd ();
    layout_for_fd (fds[i], &l[i]);
  }

  /* A pool of three cycling: all stay. */
  for (i = 0; i < 9; i++) {
    if (!gst_kms_fb_cache_lookup (cache, &l[i % 3]))
      gst_kms_fb_cache_insert (cache, &l[i % 3], 10 + i % 3);
  }
  fail_unless_equals_int (log.released->len, 0);
  fail_unless_equals_int (gst_kms_fb_cache_size (cache), 3);

  /* A fourth: the least recently used (10, after 11 and 12 were used). */
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &l[1]), 11);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &l[2]), 12);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &l[3]), 0);
  gst_kms_fb_cache_insert (cache, &l[3], 13);
  fail_unless_equals_int (log.released->len, 1);
  fail_unless_equals_int (g_array_index (log.released, guint32, 0), 10);

  /* Only buffer 3 shown for a while: the others age out (pool gone). */
  for (i = 0; i < 7; i++)
    fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &l[3]), 13);
  fail_unless_equals_int (gst_kms_fb_cache_size (cache), 1);
  fail_unless_equals_int (log.released->len, 3);

  gst_kms_fb_cache_clear (cache);
  fail_unless_equals_int (log.released->len, 4);
  fail_unless_equals_int (gst_kms_fb_cache_size (cache), 0);
  gst_kms_fb_cache_free (cache);
  fail_unless_equals_int (log.released->len, 4);

  for (i = 0; i < 5; i++)
    close (fds[i]);
  g_array_free (log.released, TRUE);
}

GST_END_TEST;

/* New caps or a drain: every framebuffer goes but the one on screen
 * (removing that one would turn its plane off). */
GST_START_TEST (test_fb_cache_clear_except)
{
  ReleaseLog log = { g_array_new (FALSE, FALSE, sizeof (guint32)) };
  GstKmsFbCache *cache = gst_kms_fb_cache_new (8, 0, log_release, &log);
  GstKmsFbLayout l[3];
  gint fds[3], i;

  for (i = 0; i < 3; i++) {
    fds[i] = make_buffer_fd ();
    layout_for_fd (fds[i], &l[i]);
    gst_kms_fb_cache_insert (cache, &l[i], 20 + i);
  }

  gst_kms_fb_cache_clear_except (cache, 21);
  fail_unless_equals_int (gst_kms_fb_cache_size (cache), 1);
  fail_unless_equals_int (log.released->len, 2);
  fail_unless_equals_int (g_array_index (log.released, guint32, 0), 22);
  fail_unless_equals_int (g_array_index (log.released, guint32, 1), 20);
  fail_unless_equals_int (gst_kms_fb_cache_lookup (cache, &l[1]), 21);

  /* 0: nothing on screen is ours (a copy is): all go */
  gst_kms_fb_cache_clear_except (cache, 0);
  fail_unless_equals_int (gst_kms_fb_cache_size (cache), 0);
  fail_unless_equals_int (log.released->len, 3);

  gst_kms_fb_cache_free (cache);
  for (i = 0; i < 3; i++)
    close (fds[i]);
  g_array_free (log.released, TRUE);
}

GST_END_TEST;

/* Upstream that allocates itself (need-pool FALSE) is still told that the
 * sink holds two buffers (the frame on screen and the next), as GStreamer's
 * video sinks do; with need-pool TRUE the entry comes with a pool. The
 * sink takes GstVideoMeta and GstVideoCropMeta. */
GST_START_TEST (test_allocation_min_buffers)
{
  GstElement *sink = gst_element_factory_make ("dmaheapsink", NULL);
  GstBaseSinkClass *klass = GST_BASE_SINK_GET_CLASS (sink);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
      "width=64,height=48");
  GstQuery *query = gst_query_new_allocation (caps, FALSE);
  GstBufferPool *pool = NULL;
  guint size, min, max;

  fail_unless (klass->propose_allocation (GST_BASE_SINK (sink), query));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  fail_unless (pool == NULL);
  fail_unless_equals_int (size, 64 * 48 * 4);
  fail_unless_equals_int (min, 2);
  fail_unless_equals_int (max, 0);
  fail_unless (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          NULL));
  /* a crop upstream (videocrop) then leaves the frame whole */
  fail_unless (gst_query_find_allocation_meta (query,
          GST_VIDEO_CROP_META_API_TYPE, NULL));

  gst_query_unref (query);
  gst_caps_unref (caps);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_buffer_id_bad_fd)
{
  GstKmsBufferId id;
  gint fd = make_buffer_fd ();

  close (fd);
  fail_if (gst_kms_buffer_id_from_fd (fd, &id));
  fail_if (gst_kms_buffer_id_from_fd (-1, &id));
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* the element without a device                                              */

GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("dmaheapsink", NULL);
  GstStructure *stats;
  GParamSpec *pspec;
  const gchar *fields[] = { "frames-shown", "imports", "cache-hits",
    "copies", "drops"
  };
  gboolean b;
  gchar *str;
  gint i;
  guint j;

  fail_unless (sink != NULL);
  fail_unless (GST_IS_VIDEO_OVERLAY (sink));

  g_object_get (sink, "connector-id", &i, NULL);
  fail_unless_equals_int (i, -1);
  g_object_get (sink, "plane-id", &i, NULL);
  fail_unless_equals_int (i, -1);
  g_object_get (sink, "can-scale", &b, NULL);
  fail_unless (b);
  g_object_get (sink, "force-modesetting", &b, NULL);
  fail_if (b);
  g_object_get (sink, "skip-vsync", &b, NULL);
  fail_if (b);
  g_object_get (sink, "device", &str, NULL);
  fail_unless (str == NULL);
  /* "auto" as the docs say, and what the pspec says the default is */
  g_object_get (sink, "heap", &str, NULL);
  fail_unless_equals_string (str, "auto");
  g_free (str);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "heap");
  fail_unless_equals_string (G_PARAM_SPEC_STRING (pspec)->default_value,
      "auto");

  /* stats is GstBaseSink's property, overridden (the class finds the
   * original), not one of our own hiding it */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "stats");
  fail_unless (pspec != NULL);
  fail_unless (pspec->owner_type == GST_TYPE_BASE_SINK,
      "stats is a property of %s, not GstBaseSink's overridden",
      g_type_name (pspec->owner_type));

  g_object_set (sink, "device", "/dev/dri/card7", "connector-id", 42,
      "plane-id", 31, "can-scale", FALSE, "force-modesetting", TRUE,
      "skip-vsync", TRUE, "heap", "contiguous", NULL);
  g_object_get (sink, "device", &str, NULL);
  fail_unless_equals_string (str, "/dev/dri/card7");
  g_free (str);
  g_object_get (sink, "heap", &str, NULL);
  fail_unless_equals_string (str, "contiguous");
  g_free (str);
  g_object_set (sink, "heap", NULL, NULL);
  g_object_get (sink, "heap", &str, NULL);
  fail_unless_equals_string (str, "auto");
  g_free (str);
  g_object_get (sink, "connector-id", &i, NULL);
  fail_unless_equals_int (i, 42);
  g_object_get (sink, "plane-id", &i, NULL);
  fail_unless_equals_int (i, 31);
  g_object_get (sink, "can-scale", &b, NULL);
  fail_if (b);

  /* The render rectangle goes through GstVideoOverlay. */
  gst_util_set_object_arg (G_OBJECT (sink), "render-rectangle",
      "<10, 20, 320, 240>");
  gst_video_overlay_set_render_rectangle (GST_VIDEO_OVERLAY (sink), 0, 0,
      640, 480);

  g_object_get (sink, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  for (j = 0; j < G_N_ELEMENTS (fields); j++) {
    guint64 v = 1;

    fail_unless (gst_structure_get_uint64 (stats, fields[j], &v), "%s",
        fields[j]);
    fail_unless_equals_uint64 (v, 0);
  }
  /* GstBaseSink's own stats stay visible beside ours */
  fail_unless (gst_structure_has_field (stats, "rendered"));
  fail_unless (gst_structure_has_field (stats, "dropped"));
  fail_unless (gst_structure_has_field (stats, "average-rate"));
  gst_structure_free (stats);

  gst_object_unref (sink);
}

GST_END_TEST;

/* Starts @sink and returns the error message it posts. */
static gchar *
start_error (GstElement * sink, GError ** err)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  gchar *debug = NULL;

  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error posted");
  gst_message_parse_error (msg, err, &debug);
  gst_message_unref (msg);

  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  return debug;
}

GST_START_TEST (test_error_missing_device)
{
  GstElement *sink = gst_element_factory_make ("dmaheapsink", NULL);
  GError *err = NULL;
  gchar *debug;

  g_object_set (sink, "device", "/nonexistent/card9", NULL);
  debug = start_error (sink, &err);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", err->message);
  /* Names the device and says why. */
  fail_unless (strstr (debug, "/nonexistent/card9") != NULL, "%s", debug);
  fail_unless (strstr (debug, g_strerror (ENOENT)) != NULL, "%s", debug);
  g_clear_error (&err);
  g_free (debug);

  /* A file that is not a DRM device. */
  g_object_set (sink, "device", "/dev/null", NULL);
  debug = start_error (sink, &err);
  fail_unless (strstr (debug, "/dev/null: no KMS support") != NULL, "%s",
      debug);
  g_clear_error (&err);
  g_free (debug);

  gst_object_unref (sink);
}

GST_END_TEST;

/* A heap asked for by name that does not exist is an error at start, not a
 * silent fallback that copies every frame. Checked before any DRM device is
 * opened, so it holds on any machine. */
GST_START_TEST (test_error_unknown_heap)
{
  GstElement *sink = gst_element_factory_make ("dmaheapsink", NULL);
  GError *err = NULL;
  gchar *debug;

  g_object_set (sink, "heap", "no-such-heap", NULL);
  debug = start_error (sink, &err);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", err->message);
  fail_unless (strstr (err->message, "heap=no-such-heap") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "no-such-heap'") != NULL ||
      strstr (err->message, "No dma-buf heaps") != NULL, "%s", err->message);
  fail_unless (strstr (debug, "auto") != NULL, "%s", debug);
  g_clear_error (&err);
  g_free (debug);
  gst_object_unref (sink);
}

GST_END_TEST;

/* Makes this process a machine without DRM wherever it runs: where
 * /dev/dri exists, an empty tmpfs covers it in a mount namespace of the
 * process's own (in a user namespace of its own first when not root, as
 * unprivileged sandboxes do). Runs in the test's own process (check's fork
 * mode), single-threaded as unshare() wants it. Returns 0, or an errno with
 * the step that failed in @step. */
static gint
hide_dev_dri (const gchar ** step)
{
  if (!g_file_test ("/dev/dri", G_FILE_TEST_EXISTS))
    return 0;

  *step = "unshare (CLONE_NEWNS)";
  if (unshare (CLONE_NEWNS) != 0) {
    *step = "unshare (CLONE_NEWUSER | CLONE_NEWNS)";
    if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
      return errno;
  }
  /* nothing of ours may reach the machine's own mounts */
  *step = "making / a private mount";
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return errno;
  *step = "mounting a tmpfs on /dev/dri";
  if (mount ("none", "/dev/dri", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755")
      != 0)
    return errno;

  return 0;
}

/* For the suite: NULL when test_error_no_drm can make its machine without
 * DRM here, else why not. Tried in a child, which keeps what it changes. */
static gchar *
no_drm_unmakeable (void)
{
  const gchar *step = NULL;
  gint status, err;
  pid_t pid;

  if (!g_file_test ("/dev/dri", G_FILE_TEST_EXISTS))
    return NULL;
  if (g_strcmp0 (g_getenv ("CK_FORK"), "no") == 0)
    return g_strdup ("/dev/dri exists and CK_FORK=no: hiding it would hide "
        "it from this whole process");

  pid = fork ();
  if (pid == 0)
    _exit (hide_dev_dri (&step));
  g_assert (pid > 0);
  g_assert (waitpid (pid, &status, 0) == pid);
  err = WIFEXITED (status) ? WEXITSTATUS (status) : EINTR;
  if (err == 0)
    return NULL;

  return g_strdup_printf ("/dev/dri exists and cannot be hidden in a mount "
      "namespace of this process's own: %s", g_strerror (err));
}

/* The lowest free fd: an fd leaked meanwhile moves it. */
static gint
lowest_free_fd (void)
{
  gint fd = dup (0);

  close (fd);
  return fd;
}

/* On a machine without DRM, auto-detection fails with an error a user can
 * act on, and leaks no fd. The machine without DRM is made by the test
 * (hide_dev_dri()) where it has /dev/dri. */
GST_START_TEST (test_error_no_drm)
{
  gchar *unmakeable = no_drm_unmakeable ();
  const gchar *step = NULL;
  GstElement *sink;
  GError *err = NULL;
  gchar *debug;
  gint fd_before, errnum;

  fail_unless (unmakeable == NULL, "%s", unmakeable);
  errnum = hide_dev_dri (&step);
  fail_unless (errnum == 0, "hiding /dev/dri: %s: %s", step,
      g_strerror (errnum));
  fail_if (g_file_test ("/dev/dri/card0", G_FILE_TEST_EXISTS));

  fd_before = lowest_free_fd ();
  sink = gst_element_factory_make ("dmaheapsink", NULL);
  debug = start_error (sink, &err);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", err->message);
  fail_unless (strstr (err->message, "DRM device") != NULL, "%s", err->message);
  fail_unless (strstr (debug, "no DRM device") != NULL, "%s", debug);
  g_clear_error (&err);
  g_free (debug);
  gst_object_unref (sink);

  fail_unless_equals_int (lowest_free_fd (), fd_before);
}

GST_END_TEST;

/* A driver no device has (driver-name): auto-detection fails the same way
 * on any machine, and says why each device it found was not taken. */
GST_START_TEST (test_error_no_such_driver)
{
  GstElement *sink;
  GError *err = NULL;
  gchar *debug;
  gint fd_before, i, cards = 0;

  fd_before = lowest_free_fd ();
  sink = gst_element_factory_make ("dmaheapsink", NULL);
  g_object_set (sink, "driver-name", "no-such-drm-driver", NULL);
  debug = start_error (sink, &err);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND), "%s", err->message);
  fail_unless (strstr (err->message, "DRM device") != NULL, "%s", err->message);
  /* every card this process can open is named with its driver */
  for (i = 0; i < 64; i++) {
    gchar *node = g_strdup_printf ("/dev/dri/card%d", i);
    gchar *why = g_strdup_printf ("%s: driver ", node);
    gint fd = open (node, O_RDWR | O_CLOEXEC);

    if (fd >= 0) {
      close (fd);
      fail_unless (strstr (debug, why) != NULL, "%s", debug);
      cards++;
    }
    g_free (why);
    g_free (node);
  }
  if (cards == 0)
    fail_unless (strstr (debug, "no DRM device") != NULL, "%s", debug);
  g_print ("# %d DRM card(s) here; %s\n", cards, debug);
  g_clear_error (&err);
  g_free (debug);
  gst_object_unref (sink);

  fail_unless_equals_int (lowest_free_fd (), fd_before);
}

GST_END_TEST;

static Suite *
dmaheapsink_suite (void)
{
  Suite *s = suite_create ("dmaheapsink");
  TCase *tc = tcase_create ("general");
  gchar *no_drm;

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_format_known_pairs);
  tcase_add_test (tc, test_format_table_consistent);
  tcase_add_test (tc, test_format_caps);
  tcase_add_test (tc, test_crtc_choice);
  tcase_add_test (tc, test_plane_by_format);
  tcase_add_test (tc, test_plane_by_modifier);
  tcase_add_test (tc, test_mode_choice);
  tcase_add_test (tc, test_layout);
  tcase_add_test (tc, test_fb_cache_keyed_by_dmabuf);
  tcase_add_test (tc, test_fb_cache_tee_safe);
  tcase_add_test (tc, test_fb_cache_eviction);
  tcase_add_test (tc, test_fb_cache_clear_except);
  tcase_add_test (tc, test_buffer_id_bad_fd);
  tcase_add_test (tc, test_allocation_min_buffers);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_error_missing_device);
  no_drm = no_drm_unmakeable ();
  dmaheap_test_add_test_unless (tc, test_error_no_drm, no_drm);
  g_free (no_drm);
  tcase_add_test (tc, test_error_no_such_driver);
  tcase_add_test (tc, test_error_unknown_heap);

  return s;
}

GST_CHECK_MAIN (dmaheapsink);
