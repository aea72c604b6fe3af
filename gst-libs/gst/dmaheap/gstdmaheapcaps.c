/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheapcaps
 * @title: Raw video caps of both GStreamer generations
 * @short_description: the frame layout of plain and DMA_DRM caps
 *
 * GStreamer 1.22 describes dma-buf video like any raw video
 * (`video/x-raw,format=NV12`); 1.24 and later also negotiate it as
 * `video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=NV12:0x...`, the
 * DRM fourcc and format modifier of #GstVideoInfoDmaDrm. A heap buffer is
 * linear: these helpers give the #GstVideoInfo of either kind of caps and
 * refuse a non-linear modifier with an error that says so. Built against
 * 1.22, DMA_DRM caps are not known and fail like any unparsable caps.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapcaps.h"

#include <gst/allocators/allocators.h>

/* drm_fourcc.h's values: the library does not depend on libdrm. */
#define DMA_HEAP_DRM_FORMAT_INVALID 0
#define DMA_HEAP_DRM_FORMAT_MOD_LINEAR G_GUINT64_CONSTANT (0)
#define DMA_HEAP_DRM_FORMAT_MOD_INVALID G_GUINT64_CONSTANT (0x00ffffffffffffff)

/**
 * gst_dma_heap_caps_is_dma_drm:
 * @caps: fixed caps
 *
 * Whether @caps are DMA_DRM caps.
 *
 * Returns: whether @caps are GStreamer 1.24's DMA_DRM caps
 *   (`format=DMA_DRM` with `drm-format`); always %FALSE built against 1.22
 *
 * Since: 0.1
 */
gboolean
gst_dma_heap_caps_is_dma_drm (const GstCaps * caps)
{
#if GST_CHECK_VERSION(1, 24, 0)
  return gst_video_is_dma_drm_caps (caps);
#else
  return FALSE;
#endif
}

/**
 * gst_dma_heap_video_info_from_caps:
 * @info: (out caller-allocates): the frame layout
 * @caps: fixed raw video caps, plain or DMA_DRM
 * @error: return location for a #GError: why @caps cannot be heap buffers
 *   (%GST_CORE_ERROR_NEGOTIATION)
 *
 * The layout of a frame of @caps in one linear buffer, as a heap buffer
 * holds it. DMA_DRM caps must have the linear modifier (`drm-format=NV12`
 * or `NV12:0x0000000000000000`) and a fourcc GStreamer maps to a video
 * format.
 *
 * Returns: %TRUE, or %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
gst_dma_heap_video_info_from_caps (GstVideoInfo * info, const GstCaps * caps,
    GError ** error)
{
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (GST_IS_CAPS (caps), FALSE);

#if GST_CHECK_VERSION(1, 24, 0)
  if (gst_video_is_dma_drm_caps (caps)) {
    GstVideoInfoDmaDrm drm;
    gchar *fourcc;

    if (!gst_video_info_dma_drm_from_caps (&drm, caps))
      goto unparsable;
    fourcc = gst_video_dma_drm_fourcc_to_string (drm.drm_fourcc,
        drm.drm_modifier);
    if (drm.drm_modifier != DMA_HEAP_DRM_FORMAT_MOD_LINEAR) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "drm-format %s has a tiled or compressed layout (modifier "
          "0x%016" G_GINT64_MODIFIER "x): dma-buf heap buffers are linear; "
          "offer the linear modifier (drm-format=%.4s)", fourcc,
          drm.drm_modifier, fourcc);
      g_free (fourcc);
      return FALSE;
    }
    if (!gst_video_info_dma_drm_to_video_info (&drm, info)) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "drm-format %s has no GStreamer video format: its frame layout is "
          "unknown; use a format GStreamer knows (NV12, YUY2, BGRx, ...)",
          fourcc);
      g_free (fourcc);
      return FALSE;
    }
    g_free (fourcc);
    return TRUE;
  }
#endif

  if (gst_video_info_from_caps (info, caps))
    return TRUE;

#if GST_CHECK_VERSION(1, 24, 0)
unparsable:
#endif
  {
    gchar *str = gst_caps_to_string (caps);

    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot parse %s as raw video: fixed video/x-raw caps with format, "
        "width and height are needed", str);
    g_free (str);
    return FALSE;
  }
}

#if GST_CHECK_VERSION(1, 24, 0)
/* The strings of a string or list-of-strings field, or NULL. */
static GPtrArray *
field_strings (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);
  GPtrArray *out;
  guint i;

  if (!v)
    return NULL;
  out = g_ptr_array_new ();
  if (G_VALUE_HOLDS_STRING (v)) {
    g_ptr_array_add (out, (gpointer) g_value_get_string (v));
  } else if (GST_VALUE_HOLDS_LIST (v)) {
    for (i = 0; i < gst_value_list_get_size (v); i++) {
      const GValue *item = gst_value_list_get_value (v, i);

      if (G_VALUE_HOLDS_STRING (item))
        g_ptr_array_add (out, (gpointer) g_value_get_string (item));
    }
  }

  return out;
}

/* Sets @field of @s to the strings of @values (owned), one or a list;
 * FALSE (nothing set) when there are none. */
static gboolean
set_strings (GstStructure * s, const gchar * field, GPtrArray * values)
{
  GValue list = G_VALUE_INIT;
  guint i;

  if (values->len == 0)
    return FALSE;
  if (values->len == 1) {
    gst_structure_set (s, field, G_TYPE_STRING, values->pdata[0], NULL);
    return TRUE;
  }
  g_value_init (&list, GST_TYPE_LIST);
  for (i = 0; i < values->len; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, values->pdata[i]);
    gst_value_list_append_and_take_value (&list, &v);
  }
  gst_structure_take_value (s, field, &list);
  return TRUE;
}

static gboolean
is_system_memory (const GstCapsFeatures * f)
{
  return !f || gst_caps_features_is_equal (f,
      GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY);
}

/* The DMA_DRM form of a plain video/x-raw structure, or NULL. */
static GstStructure *
structure_to_dma_drm (const GstStructure * s, const GstCapsFeatures * f)
{
  GPtrArray *formats, *drm;
  GstStructure *out = NULL;
  guint i;

  if (!gst_structure_has_name (s, "video/x-raw") || !is_system_memory (f))
    return NULL;
  formats = field_strings (s, "format");
  if (!formats)
    return NULL;

  drm = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < formats->len; i++) {
    guint32 fourcc = gst_video_dma_drm_fourcc_from_format
        (gst_video_format_from_string (formats->pdata[i]));

    if (fourcc != DMA_HEAP_DRM_FORMAT_INVALID)
      g_ptr_array_add (drm, gst_video_dma_drm_fourcc_to_string (fourcc,
              DMA_HEAP_DRM_FORMAT_MOD_LINEAR));
  }
  out = gst_structure_copy (s);
  gst_structure_set (out, "format", G_TYPE_STRING, "DMA_DRM", NULL);
  if (!set_strings (out, "drm-format", drm))
    g_clear_pointer (&out, gst_structure_free);
  g_ptr_array_unref (drm);
  g_ptr_array_unref (formats);

  return out;
}

/* The plain (system memory) form of a DMA_DRM structure's linear formats,
 * or NULL. */
static GstStructure *
structure_to_plain (const GstStructure * s, const GstCapsFeatures * f)
{
  GPtrArray *drm, *formats;
  GstStructure *out = NULL;
  guint i;

  if (!gst_structure_has_name (s, "video/x-raw") || !f ||
      !gst_caps_features_contains (f, GST_CAPS_FEATURE_MEMORY_DMABUF) ||
      g_strcmp0 (gst_structure_get_string (s, "format"), "DMA_DRM") != 0)
    return NULL;
  drm = field_strings (s, "drm-format");
  if (!drm)
    return NULL;

  formats = g_ptr_array_new ();
  for (i = 0; i < drm->len; i++) {
    guint64 modifier = DMA_HEAP_DRM_FORMAT_MOD_INVALID;
    guint32 fourcc = gst_video_dma_drm_fourcc_from_string (drm->pdata[i],
        &modifier);
    GstVideoFormat format = gst_video_dma_drm_fourcc_to_format (fourcc);

    if (modifier == DMA_HEAP_DRM_FORMAT_MOD_LINEAR &&
        format != GST_VIDEO_FORMAT_UNKNOWN)
      g_ptr_array_add (formats, (gpointer) gst_video_format_to_string (format));
  }
  out = gst_structure_copy (s);
  gst_structure_remove_field (out, "drm-format");
  if (!set_strings (out, "format", formats))
    g_clear_pointer (&out, gst_structure_free);
  g_ptr_array_unref (formats);
  g_ptr_array_unref (drm);

  return out;
}

static GstCaps *
convert (const GstCaps * caps, GstStructure * (*func) (const GstStructure *,
        const GstCapsFeatures *), const gchar * feature)
{
  GstCaps *out = gst_caps_new_empty ();
  guint i;

  if (gst_caps_is_any (caps))
    return out;
  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = func (gst_caps_get_structure (caps, i),
        gst_caps_get_features (caps, i));

    if (s)
      out = gst_caps_merge_structure_full (out, s, feature ?
          gst_caps_features_new_single (feature) : NULL);
  }

  return out;
}
#endif

/**
 * gst_dma_heap_caps_to_dma_drm:
 * @caps: caps
 *
 * The DMA_DRM form (`video/x-raw(memory:DMABuf),format=DMA_DRM`, linear
 * `drm-format`) of each plain system-memory raw video structure of @caps
 * whose formats have a DRM fourcc: how a heap buffer of those caps is
 * described to GStreamer 1.24's dma-buf consumers.
 *
 * Returns: (transfer full): those structures; empty when there are none, or
 *   built against GStreamer 1.22
 *
 * Since: 0.1
 */
GstCaps *
gst_dma_heap_caps_to_dma_drm (const GstCaps * caps)
{
  g_return_val_if_fail (GST_IS_CAPS (caps), NULL);
#if GST_CHECK_VERSION(1, 24, 0)
  return convert (caps, structure_to_dma_drm, GST_CAPS_FEATURE_MEMORY_DMABUF);
#else
  return gst_caps_new_empty ();
#endif
}

/**
 * gst_dma_heap_caps_to_plain:
 * @caps: caps
 *
 * The plain system-memory form (`video/x-raw,format=NV12`) of each DMA_DRM
 * structure of @caps, with its linear formats GStreamer knows: what a
 * producer writing into heap buffers can be asked for where a consumer
 * wants DMA_DRM.
 *
 * Returns: (transfer full): those structures; empty when there are none, or
 *   built against GStreamer 1.22
 *
 * Since: 0.1
 */
GstCaps *
gst_dma_heap_caps_to_plain (const GstCaps * caps)
{
  g_return_val_if_fail (GST_IS_CAPS (caps), NULL);
#if GST_CHECK_VERSION(1, 24, 0)
  return convert (caps, structure_to_plain, NULL);
#else
  return gst_caps_new_empty ();
#endif
}
