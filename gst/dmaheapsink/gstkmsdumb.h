/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include "gstkmsdevice.h"
#include "gstkmsoutput.h"

G_BEGIN_DECLS

#define GST_KMS_N_COPY_BUFFERS 3

/* A mapped dumb buffer with its framebuffer. */
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

/* The dumb buffers frames that cannot be shown directly are copied into,
 * from start() to stop(). */
typedef struct
{
  GstElement *element;          /* warnings and logs go to it (no ref) */
  GstKmsDumb dumbs[GST_KMS_N_COPY_BUFFERS];
  gboolean warned;              /* the copy warning was posted */
  guint64 count;                /* frames copied (stats, under the
                                 * element's object lock) */
} GstKmsCopies;

gboolean      gst_kms_dumb_create    (GstKmsDevice * dev,
                                      GstVideoFormat format, guint width,
                                      guint height, GstKmsDumb * dumb);

void          gst_kms_dumb_destroy   (GstKmsDevice * dev,
                                      GstKmsDumb * dumb);

void          gst_kms_copies_init    (GstKmsCopies * copies,
                                      GstElement * element);

void          gst_kms_copies_release (GstKmsCopies * copies,
                                      GstKmsDevice * dev);

GstKmsDumb *  gst_kms_copies_copy_frame (GstKmsCopies * copies,
                                      GstKmsDevice * dev,
                                      const GstKmsOutput * out,
                                      guint32 displayed_fb,
                                      guint32 pending_fb, GstBuffer * buf,
                                      GstVideoRectangle * src,
                                      GstVideoRectangle * dst);

void          gst_kms_copies_reset_stats (GstKmsCopies * copies);

void          gst_kms_copies_count   (GstKmsCopies * copies,
                                      const GstKmsOutput * out,
                                      gboolean refused);

G_END_DECLS
