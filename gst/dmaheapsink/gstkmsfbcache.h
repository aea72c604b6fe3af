/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Identity of a dma-buf: every fd of one dma-buf, in any process, is the
 * same inode of the dma-buf file system. */
typedef struct
{
  guint64 dev;
  guint64 ino;
} GstKmsBufferId;

/* Everything a framebuffer was made from: a cached framebuffer is reused
 * only when all of it matches. */
typedef struct
{
  guint32 fourcc;
  guint32 width;
  guint32 height;
  guint64 modifier;
  guint n_planes;
  GstKmsBufferId planes[4];
  guint32 pitches[4];
  guint32 offsets[4];
} GstKmsFbLayout;

typedef struct _GstKmsFbCache GstKmsFbCache;

/* Called for each framebuffer the cache drops. */
typedef void (*GstKmsFbReleaseFunc) (guint32 fb_id, gpointer user_data);

gboolean        gst_kms_buffer_id_from_fd (gint fd, GstKmsBufferId * id);

GstKmsFbCache * gst_kms_fb_cache_new      (guint capacity, guint max_age,
                                           GstKmsFbReleaseFunc release,
                                           gpointer user_data);

void            gst_kms_fb_cache_free     (GstKmsFbCache * cache);

guint32         gst_kms_fb_cache_lookup   (GstKmsFbCache * cache,
                                           const GstKmsFbLayout * layout);

void            gst_kms_fb_cache_insert   (GstKmsFbCache * cache,
                                           const GstKmsFbLayout * layout,
                                           guint32 fb_id);

void            gst_kms_fb_cache_clear    (GstKmsFbCache * cache);

void            gst_kms_fb_cache_clear_except (GstKmsFbCache * cache,
                                               guint32 fb_id);

guint           gst_kms_fb_cache_size     (GstKmsFbCache * cache);

G_END_DECLS
