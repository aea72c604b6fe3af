/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Framebuffers keyed by dma-buf identity.
 *
 * kmssink keeps the framebuffer as qdata on the GstMemory, which goes wrong
 * when one buffer reaches two sinks (its own comment: "not tee safe") and
 * when an upstream element hands out new GstMemory objects for the same
 * dma-buf (V4L2 dmabuf export does). Keyed by the inode of the dma-buf, each
 * sink imports a dma-buf once, whichever GstMemory or fd number carries it.
 *
 * A framebuffer holds a reference on its dma-buf, so while an entry lives its
 * inode cannot be reused by another buffer. Entries are dropped when the
 * cache is full (least recently used first) and when unused for max_age
 * lookups, and all of them (but the one on screen) when the stream's buffers
 * go away for good (new caps, a drain): the sink clears the cache then, so
 * that a bounded heap gets its memory back for the next pool. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmsfbcache.h"

#include <sys/stat.h>

typedef struct
{
  GstKmsFbLayout layout;
  guint32 fb_id;
  guint64 last_used;
} GstKmsFbEntry;

struct _GstKmsFbCache
{
  GQueue entries;               /* of GstKmsFbEntry, most recent first */
  guint capacity;
  guint max_age;
  guint64 clock;
  GstKmsFbReleaseFunc release;
  gpointer user_data;
};

/**
 * gst_kms_buffer_id_from_fd:
 * @fd: a dma-buf fd
 * @id: (out): its identity
 *
 * Returns: %FALSE when @fd is not an open file (errno set).
 */
gboolean
gst_kms_buffer_id_from_fd (gint fd, GstKmsBufferId * id)
{
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return FALSE;

  id->dev = st.st_dev;
  id->ino = st.st_ino;
  return TRUE;
}

GstKmsFbCache *
gst_kms_fb_cache_new (guint capacity, guint max_age,
    GstKmsFbReleaseFunc release, gpointer user_data)
{
  GstKmsFbCache *cache;

  g_return_val_if_fail (capacity > 0, NULL);

  cache = g_new0 (GstKmsFbCache, 1);
  g_queue_init (&cache->entries);
  cache->capacity = capacity;
  cache->max_age = max_age;
  cache->release = release;
  cache->user_data = user_data;
  return cache;
}

static void
fb_cache_drop (GstKmsFbCache * cache, GList * link)
{
  GstKmsFbEntry *entry = link->data;

  g_queue_delete_link (&cache->entries, link);
  cache->release (entry->fb_id, cache->user_data);
  g_free (entry);
}

static gboolean
layout_equal (const GstKmsFbLayout * a, const GstKmsFbLayout * b)
{
  guint i;

  if (a->fourcc != b->fourcc || a->width != b->width || a->height != b->height
      || a->modifier != b->modifier || a->n_planes != b->n_planes)
    return FALSE;

  for (i = 0; i < a->n_planes; i++) {
    if (a->planes[i].dev != b->planes[i].dev
        || a->planes[i].ino != b->planes[i].ino
        || a->pitches[i] != b->pitches[i] || a->offsets[i] != b->offsets[i])
      return FALSE;
  }

  return TRUE;
}

static gboolean
same_dmabuf (const GstKmsFbLayout * a, const GstKmsFbLayout * b)
{
  return a->planes[0].dev == b->planes[0].dev
      && a->planes[0].ino == b->planes[0].ino;
}

static void
fb_cache_expire (GstKmsFbCache * cache)
{
  GList *link = cache->entries.tail;

  while (link) {
    GList *prev = link->prev;
    GstKmsFbEntry *entry = link->data;

    if (cache->entries.length <= cache->capacity
        && (cache->max_age == 0
            || cache->clock - entry->last_used <= cache->max_age))
      break;

    fb_cache_drop (cache, link);
    link = prev;
  }
}

/**
 * gst_kms_fb_cache_lookup:
 * @cache: the cache
 * @layout: the buffer about to be shown
 *
 * Counts as a use: every lookup ages the other entries by one.
 *
 * Returns: the framebuffer made from exactly @layout, or 0. An entry for the
 * same dma-buf with another layout (renegotiation) is dropped.
 */
guint32
gst_kms_fb_cache_lookup (GstKmsFbCache * cache, const GstKmsFbLayout * layout)
{
  GList *link;
  guint32 fb_id = 0;

  cache->clock++;

  for (link = cache->entries.head; link; link = link->next) {
    GstKmsFbEntry *entry = link->data;

    if (!same_dmabuf (&entry->layout, layout))
      continue;

    if (layout_equal (&entry->layout, layout)) {
      entry->last_used = cache->clock;
      g_queue_unlink (&cache->entries, link);
      g_queue_push_head_link (&cache->entries, link);
      fb_id = entry->fb_id;
    } else {
      fb_cache_drop (cache, link);
    }
    break;
  }

  fb_cache_expire (cache);
  return fb_id;
}

/**
 * gst_kms_fb_cache_insert:
 * @cache: the cache
 * @layout: what @fb_id was made from
 * @fb_id: a framebuffer; the cache releases it
 *
 * Call after a lookup of @layout missed.
 */
void
gst_kms_fb_cache_insert (GstKmsFbCache * cache, const GstKmsFbLayout * layout,
    guint32 fb_id)
{
  GstKmsFbEntry *entry = g_new0 (GstKmsFbEntry, 1);

  entry->layout = *layout;
  entry->fb_id = fb_id;
  entry->last_used = cache->clock;
  g_queue_push_head (&cache->entries, entry);

  fb_cache_expire (cache);
}

void
gst_kms_fb_cache_clear (GstKmsFbCache * cache)
{
  gst_kms_fb_cache_clear_except (cache, 0);
}

/**
 * gst_kms_fb_cache_clear_except:
 * @cache: the cache
 * @fb_id: a framebuffer to keep (the one on screen: removing it would turn
 *   its plane off), or 0
 *
 * Drops every other entry, releasing the dma-bufs they hold.
 */
void
gst_kms_fb_cache_clear_except (GstKmsFbCache * cache, guint32 fb_id)
{
  GList *link = cache->entries.head;

  while (link) {
    GList *next = link->next;

    if (!fb_id || ((GstKmsFbEntry *) link->data)->fb_id != fb_id)
      fb_cache_drop (cache, link);
    link = next;
  }
}

guint
gst_kms_fb_cache_size (GstKmsFbCache * cache)
{
  return cache->entries.length;
}

void
gst_kms_fb_cache_free (GstKmsFbCache * cache)
{
  if (!cache)
    return;

  gst_kms_fb_cache_clear (cache);
  g_free (cache);
}
