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
#include "gstkmsfbcache.h"
#include "gstkmsoutput.h"

G_BEGIN_DECLS

/* The framebuffers made from upstream's dma-bufs, from start() to stop().
 * Written only by gstkmsimport.c. */
typedef struct
{
  GstElement *element;          /* logs go to it (no ref) */
  GstKmsFbCache *cache;
  /* stats, under the element's object lock */
  guint64 imports;              /* dma-bufs turned into framebuffers */
  guint64 cache_hits;           /* frames shown from one imported before */
} GstKmsImport;

void      gst_kms_import_init     (GstKmsImport * imp, GstElement * element);

void      gst_kms_import_reset_stats (GstKmsImport * imp);

void      gst_kms_import_start    (GstKmsImport * imp, GstKmsDevice * dev);

void      gst_kms_import_stop     (GstKmsImport * imp);

gboolean  gst_kms_import_started  (GstKmsImport * imp);

void      gst_kms_import_drain    (GstKmsImport * imp, guint32 keep_fb);

guint32   gst_kms_import_fb_for_buffer (GstKmsImport * imp,
                                   GstKmsDevice * dev,
                                   const GstKmsOutput * out, GstBuffer * buf);

G_END_DECLS
