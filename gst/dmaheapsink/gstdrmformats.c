/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* GStreamer 1.22 has no GstVideoFormat <-> DRM fourcc mapping (it came with
 * GstVideoInfoDmaDrm in 1.24), hence this table.
 *
 * GStreamer names packed formats by byte order in memory, DRM by the bit
 * layout of a little-endian word: GStreamer BGRx (bytes B, G, R, x) is
 * DRM_FORMAT_XRGB8888 ([31:0] x:R:G:B). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdrmformats.h"

#include <gst/allocators/allocators.h>

#include <drm_fourcc.h>

typedef struct
{
  GstVideoFormat format;
  guint32 fourcc;
} GstDrmFormatMapping;

/* Order matters: it is the order of preference in the caps we advertise. */
static const GstDrmFormatMapping format_map[] = {
  /* 32-bit RGB */
  {GST_VIDEO_FORMAT_BGRx, DRM_FORMAT_XRGB8888},
  {GST_VIDEO_FORMAT_BGRA, DRM_FORMAT_ARGB8888},
  {GST_VIDEO_FORMAT_RGBx, DRM_FORMAT_XBGR8888},
  {GST_VIDEO_FORMAT_RGBA, DRM_FORMAT_ABGR8888},
  {GST_VIDEO_FORMAT_xRGB, DRM_FORMAT_BGRX8888},
  {GST_VIDEO_FORMAT_ARGB, DRM_FORMAT_BGRA8888},
  {GST_VIDEO_FORMAT_xBGR, DRM_FORMAT_RGBX8888},
  {GST_VIDEO_FORMAT_ABGR, DRM_FORMAT_RGBA8888},
  {GST_VIDEO_FORMAT_BGR10A2_LE, DRM_FORMAT_ARGB2101010},
  {GST_VIDEO_FORMAT_RGB10A2_LE, DRM_FORMAT_ABGR2101010},
  /* 24 and 16-bit RGB */
  {GST_VIDEO_FORMAT_RGB, DRM_FORMAT_BGR888},
  {GST_VIDEO_FORMAT_BGR, DRM_FORMAT_RGB888},
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  {GST_VIDEO_FORMAT_RGB16, DRM_FORMAT_RGB565},
  {GST_VIDEO_FORMAT_BGR16, DRM_FORMAT_BGR565},
#endif
  /* packed YUV */
  {GST_VIDEO_FORMAT_YUY2, DRM_FORMAT_YUYV},
  {GST_VIDEO_FORMAT_YVYU, DRM_FORMAT_YVYU},
  {GST_VIDEO_FORMAT_UYVY, DRM_FORMAT_UYVY},
  {GST_VIDEO_FORMAT_VYUY, DRM_FORMAT_VYUY},
  /* semi-planar YUV */
  {GST_VIDEO_FORMAT_NV12, DRM_FORMAT_NV12},
  {GST_VIDEO_FORMAT_NV21, DRM_FORMAT_NV21},
  {GST_VIDEO_FORMAT_NV16, DRM_FORMAT_NV16},
  {GST_VIDEO_FORMAT_NV61, DRM_FORMAT_NV61},
  {GST_VIDEO_FORMAT_NV24, DRM_FORMAT_NV24},
  {GST_VIDEO_FORMAT_P010_10LE, DRM_FORMAT_P010},
  /* planar YUV */
  {GST_VIDEO_FORMAT_I420, DRM_FORMAT_YUV420},
  {GST_VIDEO_FORMAT_YV12, DRM_FORMAT_YVU420},
  {GST_VIDEO_FORMAT_Y42B, DRM_FORMAT_YUV422},
  {GST_VIDEO_FORMAT_Y444, DRM_FORMAT_YUV444},
};

/**
 * gst_drm_fourcc_from_video_format:
 * @format: a #GstVideoFormat
 *
 * Returns: the DRM fourcc with the same memory layout as @format, or 0 when
 * there is none in the table.
 */
guint32
gst_drm_fourcc_from_video_format (GstVideoFormat format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_map); i++) {
    if (format_map[i].format == format) {
#if GST_CHECK_VERSION(1, 24, 0)
      /* GStreamer's own mapping where it has one (the table only says which
       * formats the sink offers, in which order) */
      guint32 fourcc = gst_video_dma_drm_fourcc_from_format (format);

      if (fourcc != 0)
        return fourcc;
#endif
      return format_map[i].fourcc;
    }
  }

  return 0;
}

/**
 * gst_drm_fourcc_to_video_format:
 * @fourcc: a DRM fourcc (DRM_FORMAT_*)
 *
 * Returns: the #GstVideoFormat with the same memory layout as @fourcc, or
 * %GST_VIDEO_FORMAT_UNKNOWN.
 */
GstVideoFormat
gst_drm_fourcc_to_video_format (guint32 fourcc)
{
  guint i;

#if GST_CHECK_VERSION(1, 24, 0)
  GstVideoFormat format = gst_video_dma_drm_fourcc_to_format (fourcc);

  for (i = 0; i < G_N_ELEMENTS (format_map); i++) {
    if (format != GST_VIDEO_FORMAT_UNKNOWN && format_map[i].format == format)
      return format;
  }
#endif
  for (i = 0; i < G_N_ELEMENTS (format_map); i++) {
    if (format_map[i].fourcc == fourcc)
      return format_map[i].format;
  }

  return GST_VIDEO_FORMAT_UNKNOWN;
}

guint
gst_drm_formats_n_supported (void)
{
  return G_N_ELEMENTS (format_map);
}

GstVideoFormat
gst_drm_formats_get_supported (guint index)
{
  g_return_val_if_fail (index < G_N_ELEMENTS (format_map),
      GST_VIDEO_FORMAT_UNKNOWN);

  return format_map[index].format;
}

/**
 * gst_drm_formats_all_caps:
 *
 * Returns: (transfer full): the caps of every format of the table (a sink's
 * template), as gst_drm_formats_caps_from_fourccs() gives them.
 */
GstCaps *
gst_drm_formats_all_caps (void)
{
  guint32 fourccs[G_N_ELEMENTS (format_map)];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_map); i++)
    fourccs[i] = format_map[i].fourcc;
  return gst_drm_formats_caps_from_fourccs (fourccs, G_N_ELEMENTS (fourccs),
      0, 0);
}

/**
 * gst_drm_formats_caps_from_fourccs:
 * @fourccs: the DRM fourccs a display plane accepts
 * @n_fourccs: number of entries in @fourccs
 * @max_width: largest width, or 0 for G_MAXINT
 * @max_height: largest height, or 0 for G_MAXINT
 *
 * Raw video caps for the formats of @fourccs that the table knows, in the
 * table's order of preference. Fourccs without a #GstVideoFormat are skipped.
 * Built against GStreamer 1.24 or later, the same formats follow as DMA_DRM
 * caps (`video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format={...}`, the
 * linear modifier), which 1.24's dma-buf producers offer.
 *
 * Returns: (transfer full): caps, empty when no fourcc is known.
 */
GstCaps *
gst_drm_formats_caps_from_fourccs (const guint32 * fourccs, guint n_fourccs,
    gint max_width, gint max_height)
{
  GValue list = G_VALUE_INIT;
#if GST_CHECK_VERSION(1, 24, 0)
  GValue drm_list = G_VALUE_INIT;
#endif
  GstStructure *s;
  GstCaps *caps;
  guint i, j;

  g_value_init (&list, GST_TYPE_LIST);
#if GST_CHECK_VERSION(1, 24, 0)
  g_value_init (&drm_list, GST_TYPE_LIST);
#endif

  for (i = 0; i < G_N_ELEMENTS (format_map); i++) {
    for (j = 0; j < n_fourccs; j++) {
      if (fourccs[j] == format_map[i].fourcc) {
        GValue v = G_VALUE_INIT;

        g_value_init (&v, G_TYPE_STRING);
        g_value_set_static_string (&v,
            gst_video_format_to_string (format_map[i].format));
        gst_value_list_append_and_take_value (&list, &v);
#if GST_CHECK_VERSION(1, 24, 0)
        g_value_init (&v, G_TYPE_STRING);
        g_value_take_string (&v, gst_video_dma_drm_fourcc_to_string
            (gst_drm_fourcc_from_video_format (format_map[i].format), 0));
        gst_value_list_append_and_take_value (&drm_list, &v);
#endif
        break;
      }
    }
  }

  if (gst_value_list_get_size (&list) == 0) {
    g_value_unset (&list);
#if GST_CHECK_VERSION(1, 24, 0)
    g_value_unset (&drm_list);
#endif
    return gst_caps_new_empty ();
  }

  s = gst_structure_new ("video/x-raw",
      "width", GST_TYPE_INT_RANGE, 1, max_width > 0 ? max_width : G_MAXINT,
      "height", GST_TYPE_INT_RANGE, 1, max_height > 0 ? max_height : G_MAXINT,
      "framerate", GST_TYPE_FRACTION_RANGE, 0, 1, G_MAXINT, 1, NULL);
  if (gst_value_list_get_size (&list) == 1)
    gst_structure_set_value (s, "format", gst_value_list_get_value (&list, 0));
  else
    gst_structure_set_value (s, "format", &list);
  g_value_unset (&list);

  caps = gst_caps_new_empty ();
#if GST_CHECK_VERSION(1, 24, 0)
  {
    GstStructure *drm = gst_structure_copy (s);

    gst_structure_set (drm, "format", G_TYPE_STRING, "DMA_DRM", NULL);
    if (gst_value_list_get_size (&drm_list) == 1)
      gst_structure_set_value (drm, "drm-format",
          gst_value_list_get_value (&drm_list, 0));
    else
      gst_structure_set_value (drm, "drm-format", &drm_list);
    g_value_unset (&drm_list);
    gst_caps_append_structure (caps, s);
    gst_caps_append_structure_full (caps, drm,
        gst_caps_features_new_single (GST_CAPS_FEATURE_MEMORY_DMABUF));
  }
#else
  gst_caps_append_structure (caps, s);
#endif
  return caps;
}

/**
 * gst_drm_fourcc_to_string:
 * @fourcc: a DRM fourcc
 *
 * Returns: (transfer full): the four characters of @fourcc, for messages.
 */
gchar *
gst_drm_fourcc_to_string (guint32 fourcc)
{
  gchar s[5];
  guint i;

  for (i = 0; i < 4; i++) {
    gchar c = (fourcc >> (8 * i)) & 0xff;
    s[i] = g_ascii_isprint (c) ? c : '?';
  }
  s[4] = '\0';

  return g_strdup (s);
}
