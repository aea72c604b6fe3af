/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheapbufferpool
 * @title: GstDmaHeapBufferPool
 * @short_description: a video buffer pool of dma-buf heap memory
 *
 * A pool of raw video buffers whose memory comes from a dma-buf heap:
 * #GstVideoMeta (option %GST_BUFFER_POOL_OPTION_VIDEO_META),
 * #GstVideoAlignment (%GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT), one
 * #GstMemory per buffer or, with
 * %GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE, one per plane (such
 * buffers always carry a #GstVideoMeta, which maps each plane in its own
 * memory).
 *
 * The heap is chosen, in order, by the allocator of the config (a
 * #GstDmaHeapAllocator, or another #GstDmaBufAllocator that can allocate),
 * by gst_dma_heap_buffer_pool_config_set_heap(), by the previous config, or
 * else it is the default heap (gst_dma_heap_allocator_get() with %NULL).
 * A config with another kind of allocator is answered with %FALSE and a
 * config that names the pool's heap allocator instead.
 *
 * The config V4L2 elements write in dmabuf-import mode is accepted as it
 * is: a %NULL allocator (the pool keeps its heap), a size larger than the
 * caps' frame size (the driver's sizeimage: the buffers get that size), no
 * alignment.
 *
 * Buffers are handed out last in, first out: the buffer that came back last
 * goes out first, so an importer that queues a buffer again after the
 * previous one came back meets the same dma-buf (vb2 keeps its mapping).
 *
 * A buffer that comes back while a device still reads or writes its
 * dma-buf (an unsignalled fence on it: a GPU still sampling it, an encoder
 * still reading it; KMS scan-out attaches none, the sink keeps what is on
 * screen itself) is kept out of circulation until every fence that
 * was on it then has signalled, and only then handed out again; the thread
 * that released it does not wait. A process-wide thread pool does the
 * waiting, one task per pool while it holds such buffers.
 *
 * Importers that close the fds of memory they import (GStreamer's V4L2
 * elements before 1.22.6 do) cannot hurt the pool: a buffer whose fd was
 * closed or now names another file gets a new fd on the same dma-buf when
 * it comes back or is handed out, and the pool never closes an fd number
 * that is no longer its own.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapbufferpool.h"
#include "gstdmaheapallocator.h"
#include "gstdmaheapcaps.h"
#include "gstdmaheapfdguard.h"
#include "gstdmaheapfence.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_dma_heap_buffer_pool_debug);
#define GST_CAT_DEFAULT gst_dma_heap_buffer_pool_debug

#define CONFIG_FIELD_HEAP "dmaheap-heap"

struct _GstDmaHeapBufferPool
{
  GstBufferPool parent;

  GstAllocator *allocator;
  GstAllocationParams params;
  GstVideoInfo info;
  GstVideoAlignment align;
  gboolean add_videometa;
  guint n_mems;
  gsize mem_sizes[GST_VIDEO_MAX_PLANES];

  gint allocations;             /* atomic */
  gint live;                    /* atomic */
  gint fd_renewals;             /* atomic */

  /* Buffers back from use, the last one returned first (see
   * gst_dma_heap_buffer_pool_release_buffer()). */
  GMutex idle_lock;
  GQueue idle;
  guint waiters;
  guint size;

  /* Buffers back from use with an unsignalled fence (FencedBuffer), under
   * idle_lock; a fence_wait() task runs while there are any (fence_task).
   * Whoever changes fenced while the task may be waiting writes
   * fence_wakeup (an eventfd), which the task empties under idle_lock
   * before it builds the set it waits on: see fence_wait(). */
  GQueue fenced;
  gint fence_wakeup;
  gboolean fence_task;
  gint fence_waits;             /* atomic */
};

typedef struct
{
  GstBuffer *buffer;
  gint fence;                   /* a sync_file */
} FencedBuffer;

#define gst_dma_heap_buffer_pool_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstDmaHeapBufferPool, gst_dma_heap_buffer_pool,
    GST_TYPE_BUFFER_POOL,
    GST_DEBUG_CATEGORY_INIT (gst_dma_heap_buffer_pool_debug, "dmaheappool", 0,
        "dma-buf heap buffer pool"));

enum
{
  SIGNAL_ALLOCATION_FAILED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static const gchar **
gst_dma_heap_buffer_pool_get_options (GstBufferPool * pool)
{
  static const gchar *options[] = {
    GST_BUFFER_POOL_OPTION_VIDEO_META,
    GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT,
    GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE,
    NULL
  };

  return options;
}

/* Returns a ref to the allocator the config asks for; NULL and the config
 * corrected when it names one the pool cannot use. */
static GstAllocator *
config_get_allocator (GstDmaHeapBufferPool * self, GstStructure * config,
    GstAllocationParams * params)
{
  GstAllocator *allocator = NULL;
  const gchar *heap;
  GError *error = NULL;

  gst_buffer_pool_config_get_allocator (config, &allocator, params);
  heap = gst_dma_heap_buffer_pool_config_get_heap (config);

  if (allocator) {
    if (!GST_IS_DMABUF_ALLOCATOR (allocator) ||
        GST_OBJECT_FLAG_IS_SET (allocator, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC))
      goto wrong_allocator;
    if (heap && GST_IS_DMA_HEAP_ALLOCATOR (allocator) &&
        !g_str_equal (heap, gst_dma_heap_allocator_get_heap_name (allocator)))
      goto conflicting_heaps;
    return gst_object_ref (allocator);
  }

  if (heap)
    allocator = gst_dma_heap_allocator_get (heap, &error);
  else if (self->allocator)
    allocator = gst_object_ref (self->allocator);
  else
    allocator = gst_dma_heap_allocator_get (NULL, &error);
  if (!allocator)
    goto no_heap;

  return allocator;

  /* ERRORS */
wrong_allocator:
  {
    GstAllocator *ours = self->allocator ? gst_object_ref (self->allocator) :
        gst_dma_heap_allocator_get (heap, NULL);

    GST_WARNING_OBJECT (self, "cannot allocate with %" GST_PTR_FORMAT
        ", proposing %" GST_PTR_FORMAT, allocator, ours);
    if (ours) {
      gst_buffer_pool_config_set_allocator (config, ours, params);
      gst_object_unref (ours);
    }
    return NULL;
  }
conflicting_heaps:
  {
    GST_ERROR_OBJECT (self, "config names heap %s and the allocator of heap "
        "%s", heap, gst_dma_heap_allocator_get_heap_name (allocator));
    return NULL;
  }
no_heap:
  {
    GST_ERROR_OBJECT (self, "%s", error->message);
    g_error_free (error);
    return NULL;
  }
}

static gboolean
gst_dma_heap_buffer_pool_set_config (GstBufferPool * pool,
    GstStructure * config)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);
  GstAllocator *allocator = NULL;
  GstAllocationParams params;
  GstVideoAlignment align;
  GstVideoInfo info;
  GstCaps *caps;
  guint size, min, max, i, n_planes;
  gsize mem_sizes[GST_VIDEO_MAX_PLANES];
  guint n_mems;
  GError *err = NULL;

  if (!gst_buffer_pool_config_get_params (config, &caps, &size, &min, &max))
    goto wrong_config;
  if (!caps)
    goto no_caps;
  if (!gst_dma_heap_video_info_from_caps (&info, caps, &err))
    goto wrong_caps;
  if (max != 0 && min > max)
    goto wrong_min_max;

  gst_video_alignment_reset (&align);
  if (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT)) {
    gst_buffer_pool_config_get_video_alignment (config, &align);
    if (!gst_video_info_align (&info, &align))
      goto wrong_alignment;
    gst_buffer_pool_config_set_video_alignment (config, &align);
  }

  /* V4L2 asks for the driver's sizeimage, which may exceed the frame. */
  size = MAX (size, info.size);
  n_planes = GST_VIDEO_INFO_N_PLANES (&info);

  if (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE)) {
    /* The video meta keeps the absolute offsets of the planes in the
     * buffer, and a buffer's offsets run through its memories one after
     * the other: memory i spans [offset[i], offset[i + 1]), except that the
     * first starts at 0 (with the padding above and left of plane 0) and
     * the last ends at the size. The memories then add up to the size, as
     * GstBufferPool checks on release. */
    for (i = 0; i < n_planes; i++) {
      gsize start = i > 0 ? GST_VIDEO_INFO_PLANE_OFFSET (&info, i) : 0;
      gsize end = i + 1 < n_planes ?
          GST_VIDEO_INFO_PLANE_OFFSET (&info, i + 1) : size;

      if (end <= start)
        goto planes_out_of_order;
      mem_sizes[i] = end - start;
    }
    n_mems = n_planes;
  } else {
    mem_sizes[0] = size;
    n_mems = 1;
  }

  allocator = config_get_allocator (self, config, &params);
  if (!allocator)
    return FALSE;

  if (GST_IS_DMA_HEAP_ALLOCATOR (allocator)) {
    const GstDmaHeapInfo *heap = gst_dma_heap_allocator_get_info (allocator);

    for (i = 0; i < n_mems; i++)
      if (heap->max_size && mem_sizes[i] > heap->max_size)
        goto too_large;
  }

  GST_OBJECT_LOCK (self);
  gst_object_replace ((GstObject **) & self->allocator,
      (GstObject *) allocator);
  GST_OBJECT_UNLOCK (self);
  self->params = params;
  self->info = info;
  self->align = align;
  /* Planes in memories of their own are found through the meta: without
   * it, mapping the frame would merge them into one system memory. */
  self->add_videometa = gst_buffer_pool_config_has_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_META) || n_mems > 1;
  self->n_mems = n_mems;
  self->size = size;
  memcpy (self->mem_sizes, mem_sizes, sizeof (mem_sizes));

  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  gst_buffer_pool_config_set_allocator (config, allocator, &params);

  GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT ", %u bytes in %u memor%s, "
      "min %u max %u, allocator %" GST_PTR_FORMAT ", video meta %d", caps,
      size, n_mems, n_mems == 1 ? "y" : "ies", min, max, allocator,
      self->add_videometa);
  gst_object_unref (allocator);

  return GST_BUFFER_POOL_CLASS (parent_class)->set_config (pool, config);

  /* ERRORS */
wrong_config:
  {
    GST_ERROR_OBJECT (self, "invalid config %" GST_PTR_FORMAT, config);
    return FALSE;
  }
no_caps:
  {
    GST_ERROR_OBJECT (self, "config has no caps");
    return FALSE;
  }
wrong_caps:
  {
    GST_ERROR_OBJECT (self, "%s", err->message);
    g_error_free (err);
    return FALSE;
  }
wrong_min_max:
  {
    GST_ERROR_OBJECT (self, "min buffers %u exceeds max buffers %u", min, max);
    return FALSE;
  }
wrong_alignment:
  {
    GST_ERROR_OBJECT (self, "cannot align %" GST_PTR_FORMAT " as asked", caps);
    return FALSE;
  }
planes_out_of_order:
  {
    GST_ERROR_OBJECT (self, "planes of %s are not in memory order: cannot "
        "give each its own memory",
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)));
    return FALSE;
  }
too_large:
  {
    GST_ERROR_OBJECT (self, "a %" G_GSIZE_FORMAT "-byte memory exceeds the "
        "largest buffer of heap %s (%" G_GUINT64_FORMAT " bytes)",
        mem_sizes[i], gst_dma_heap_allocator_get_heap_name (allocator),
        gst_dma_heap_allocator_get_info (allocator)->max_size);
    gst_object_unref (allocator);
    return FALSE;
  }
}

/* The failure in words a user can act on: the heap, the size, what the heap
 * has left, and what to do. */
static GError *
allocation_error (GstDmaHeapBufferPool * self, gsize size, gint err)
{
  const gchar *heap = gst_dma_heap_allocator_get_heap_name (self->allocator);
  GstDmaHeapInfo *info = gst_dma_heap_info_query (heap, NULL);
  GString *msg = g_string_new (NULL);

  g_string_append_printf (msg, "Heap %s cannot give a buffer of %"
      G_GSIZE_FORMAT " bytes (%s)", heap, size, g_strerror (err));
  if (info && info->total_bytes)
    g_string_append_printf (msg, ": %" G_GUINT64_FORMAT " of %"
        G_GUINT64_FORMAT " bytes free, the largest buffer it can give now is %"
        G_GUINT64_FORMAT " bytes", info->free_bytes, info->total_bytes,
        info->max_size);
  if (err == ENOMEM)
    g_string_append_printf (msg, ". Use a heap with more room (e.g. "
        "heap=system), fewer or smaller buffers, or give %s more memory%s",
        heap, info && (info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS) ?
        " (a larger carveout: the dma_heap_ext module's contig_size_mb, or a "
        "larger CMA area: cma=)" : "");
  if (info)
    gst_dma_heap_info_free (info);
  return g_error_new_literal (GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NO_SPACE_LEFT, g_string_free (msg, FALSE));
}

static GstFlowReturn
gst_dma_heap_buffer_pool_alloc_buffer (GstBufferPool * pool,
    GstBuffer ** buffer, GstBufferPoolAcquireParams * params)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);
  GstBuffer *buf;
  guint i;

  if (!self->allocator)
    goto not_configured;

  buf = gst_buffer_new ();
  for (i = 0; i < self->n_mems; i++) {
    GstMemory *mem;

    errno = 0;
    mem = gst_allocator_alloc (self->allocator, self->mem_sizes[i],
        &self->params);
    if (!mem)
      goto heap_failed;
    if (!gst_is_fd_memory (mem)) {
      gst_memory_unref (mem);
      goto alloc_failed;
    }
    mem = gst_dma_heap_fd_guard_wrap (mem);
    if (!mem)
      goto alloc_failed;
    gst_buffer_append_memory (buf, mem);
  }

  if (self->add_videometa) {
    GstVideoMeta *meta = gst_buffer_add_video_meta_full (buf,
        GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_INFO_FORMAT (&self->info),
        GST_VIDEO_INFO_WIDTH (&self->info), GST_VIDEO_INFO_HEIGHT (&self->info),
        GST_VIDEO_INFO_N_PLANES (&self->info), self->info.offset,
        self->info.stride);

    gst_video_meta_set_alignment (meta, self->align);
  }

  g_atomic_int_inc (&self->allocations);
  g_atomic_int_inc (&self->live);
  GST_LOG_OBJECT (self, "allocated %" GST_PTR_FORMAT, buf);
  *buffer = buf;

  return GST_FLOW_OK;

  /* ERRORS */
not_configured:
  {
    GST_ERROR_OBJECT (self, "pool has no allocator: not configured");
    return GST_FLOW_NOT_NEGOTIATED;
  }
heap_failed:
  {
    gint err = errno ? errno : ENOMEM;
    GError *error = allocation_error (self, self->mem_sizes[i], err);

    GST_ERROR_OBJECT (self, "%s", error->message);
    g_signal_emit (self, signals[SIGNAL_ALLOCATION_FAILED], 0, error);
    g_error_free (error);
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
alloc_failed:
  {
    GST_ERROR_OBJECT (self, "could not allocate memory %u of %u (%"
        G_GSIZE_FORMAT " bytes) from %" GST_PTR_FORMAT, i + 1, self->n_mems,
        self->mem_sizes[i], self->allocator);
    gst_buffer_unref (buf);
    return GST_FLOW_ERROR;
  }
}

static void
gst_dma_heap_buffer_pool_free_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);

  g_atomic_int_add (&self->live, -1);
  GST_BUFFER_POOL_CLASS (parent_class)->free_buffer (pool, buffer);
}

/* Gives every memory whose fd someone closed a fresh fd on its dma-buf.
 * Returns FALSE when one could not be renewed. */
static gboolean
renew_closed_fds (GstDmaHeapBufferPool * self, GstBuffer * buffer)
{
  gboolean tagged = GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_TAG_MEMORY);
  gboolean renewed = FALSE;
  guint i, n = gst_buffer_n_memory (buffer);

  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);

    if (gst_dma_heap_fd_guard_is_intact (mem))
      continue;

    mem = gst_dma_heap_fd_guard_renew (mem);
    if (!mem)
      goto renew_failed;
    gst_buffer_replace_memory (buffer, i, mem);
    g_atomic_int_inc (&self->fd_renewals);
    renewed = TRUE;
  }

  /* The memories are still the pool's own, only with new fds: the buffer
   * must not be discarded as one whose memory someone replaced. */
  if (renewed && !tagged)
    GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);

  return TRUE;

  /* ERRORS */
renew_failed:
  {
    GST_ERROR_OBJECT (self, "could not give %" GST_PTR_FORMAT " a new fd",
        buffer);
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY);
    return FALSE;
  }
}

static void
gst_dma_heap_buffer_pool_reset_buffer (GstBufferPool * pool, GstBuffer * buffer)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);
  gboolean tagged = GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_TAG_MEMORY);

  GST_BUFFER_POOL_CLASS (parent_class)->reset_buffer (pool, buffer);

  /* A buffer whose memory someone replaced is discarded on release anyway;
   * a failed renewal tags it for the same fate. */
  if (!tagged)
    renew_closed_fds (self, buffer);
}

static GstFlowReturn
gst_dma_heap_buffer_pool_acquire_buffer (GstBufferPool * pool,
    GstBuffer ** buffer, GstBufferPoolAcquireParams * params)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);
  GstFlowReturn ret;

  if (GST_BUFFER_POOL_IS_FLUSHING (pool))
    return GST_FLOW_FLUSHING;

  g_mutex_lock (&self->idle_lock);
  *buffer = g_queue_pop_head (&self->idle);
  if (!*buffer)
    self->waiters++;
  g_mutex_unlock (&self->idle_lock);

  if (!*buffer) {
    /* None idle here: the base class allocates, takes one it holds, or
     * waits for one (releases go to it meanwhile). */
    ret = GST_BUFFER_POOL_CLASS (parent_class)->acquire_buffer (pool, buffer,
        params);
    g_mutex_lock (&self->idle_lock);
    self->waiters--;
    g_mutex_unlock (&self->idle_lock);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  /* An importer may also close an fd after the buffer came back. */
  if (!renew_closed_fds (self, *buffer)) {
    /* Tagged: the base class frees it instead of pooling it. */
    GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, *buffer);
    *buffer = NULL;
    return GST_FLOW_ERROR;
  }

  return GST_FLOW_OK;
}

/* Last in, first out: an importer that queues a V4L2 buffer again after its
 * dma-buf came back gets that same dma-buf, so vb2 need not re-map (first in,
 * first out would hand out the pool's oldest buffer instead). Releases while
 * flushing and releases someone is waiting for go to the base class. Called
 * with idle_lock held. */
static void
release_unfenced_locked (GstDmaHeapBufferPool * self, GstBuffer * buffer)
{
  GstBufferPool *pool = GST_BUFFER_POOL (self);

  if (GST_BUFFER_POOL_IS_FLUSHING (pool) || self->waiters > 0)
    GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, buffer);
  else
    g_queue_push_head (&self->idle, buffer);
}

static void fence_wait (gpointer data, gpointer unused);

/* A sync_file of @buffer's unsignalled fences, or -1. Without a way to
 * wake the fence task (no eventfd) the pool cannot hold fenced buffers and
 * uses them again at once, as on a kernel that exports no fences. */
static gint
fence_pending (GstDmaHeapBufferPool * self, GstBuffer * buffer)
{
  return self->fence_wakeup >= 0 ? gst_dma_heap_fence_pending (buffer) : -1;
}

/* Makes the fence task look at fenced again: wakes it if it waits, and makes
 * its next wait return at once if it is about to wait. Called with
 * idle_lock held. */
static void
wake_fence_task_locked (GstDmaHeapBufferPool * self)
{
  if (self->fence_task && eventfd_write (self->fence_wakeup, 1) < 0)
    GST_ERROR_OBJECT (self, "cannot wake the fence task: %s",
        g_strerror (errno));
}

static GThreadPool *
fence_waiters (void)
{
  static GThreadPool *waiters = NULL;

  if (g_once_init_enter (&waiters)) {
    /* Threads are shared between pools and reused (GLib keeps idle ones
     * for a while): a fenced buffer costs no thread creation. */
    GThreadPool *p = g_thread_pool_new (fence_wait, NULL, -1, FALSE,
        NULL);

    g_once_init_leave (&waiters, p);
  }

  return waiters;
}

/* Keeps @buffer (back from use, its dma-buf still fenced) until @fence
 * signals. Called with idle_lock held. */
static void
hold_fenced_locked (GstDmaHeapBufferPool * self, GstBuffer * buffer, gint fence)
{
  FencedBuffer *f = g_new0 (FencedBuffer, 1);

  f->buffer = buffer;
  f->fence = fence;
  g_queue_push_tail (&self->fenced, f);
  g_atomic_int_inc (&self->fence_waits);
  GST_DEBUG_OBJECT (self, "%" GST_PTR_FORMAT " came back with an unsignalled "
      "fence: out of circulation until it signals", buffer);

  if (self->fence_task) {
    wake_fence_task_locked (self);
    return;
  }
  self->fence_task = TRUE;
  g_thread_pool_push (fence_waiters (), gst_object_ref (self), NULL);
}

/* Puts @f's buffer back into circulation or, when another of its dma-bufs
 * is fenced, keeps it for that fence. Called with idle_lock held. */
static void
unhold_locked (GstDmaHeapBufferPool * self, FencedBuffer * f)
{
  gint fence;

  close (f->fence);
  fence = fence_pending (self, f->buffer);
  if (fence >= 0)
    hold_fenced_locked (self, f->buffer, fence);
  else
    release_unfenced_locked (self, f->buffer);
  g_free (f);
}

/* The task of a pool holding fenced buffers (it owns a ref of the pool):
 * waits for their fences and puts each back as its fence signals; returns,
 * letting go of the pool, once none is left (signalled, or freed by stop()).
 *
 * The set it waits on is built under idle_lock, after the wakeup eventfd
 * was emptied under the same lock: whatever changes fenced later (a new
 * fence, stop() closing the sync_files) writes the eventfd, so the wait
 * returns at once even if it has not begun yet, and the set is built
 * again. A sync_file closed meanwhile and its number taken by another file
 * is therefore never waited on for good; at worst that file wakes the task
 * for nothing. (GstPoll's restart wakes only a thread already waiting, and
 * its wait goes on with the new set without returning.) */
static void
fence_wait (gpointer data, gpointer unused)
{
  GstDmaHeapBufferPool *self = data;
  GArray *pfds = g_array_new (FALSE, FALSE, sizeof (struct pollfd));

  g_mutex_lock (&self->idle_lock);
  while (self->fenced.length > 0) {
    struct pollfd wakeup = { self->fence_wakeup, POLLIN, 0 };
    eventfd_t count;
    GList *l, *next;

    g_array_set_size (pfds, 0);
    g_array_append_val (pfds, wakeup);
    for (l = self->fenced.head; l; l = l->next) {
      struct pollfd pfd = { ((FencedBuffer *) l->data)->fence, POLLIN, 0 };

      g_array_append_val (pfds, pfd);
    }
    /* non-blocking: fails with EAGAIN when there was no wakeup */
    eventfd_read (self->fence_wakeup, &count);
    g_mutex_unlock (&self->idle_lock);

    if (poll ((struct pollfd *) pfds->data, pfds->len, -1) < 0 &&
        errno != EINTR) {
      GST_ERROR_OBJECT (self, "waiting for fences: %s", g_strerror (errno));
      /* do not spin: the fences get another chance in a while */
      g_usleep (G_USEC_PER_SEC / 100);
    }

    g_mutex_lock (&self->idle_lock);
    for (l = self->fenced.head; l; l = next) {
      FencedBuffer *f = l->data;

      next = l->next;
      if (!gst_dma_heap_fence_signalled (f->fence))
        continue;
      g_queue_delete_link (&self->fenced, l);
      GST_DEBUG_OBJECT (self, "fence of %" GST_PTR_FORMAT " signalled",
          f->buffer);
      unhold_locked (self, f);
    }
  }
  self->fence_task = FALSE;
  g_mutex_unlock (&self->idle_lock);

  g_array_unref (pfds);
  GST_DEBUG_OBJECT (self, "no fenced buffer left: fence task done");
  gst_object_unref (self);
}

/* Buffers the base class must judge (memory replaced, size changed, shared
 * memory) go to it, which frees them; a buffer whose dma-buf a device still
 * uses waits for its fences (see the description above). */
static void
gst_dma_heap_buffer_pool_release_buffer (GstBufferPool * pool,
    GstBuffer * buffer)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);
  gint fence;

  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_TAG_MEMORY) ||
      gst_buffer_get_size (buffer) != self->size ||
      !gst_buffer_is_all_memory_writable (buffer)) {
    GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, buffer);
    return;
  }

  fence = fence_pending (self, buffer);
  g_mutex_lock (&self->idle_lock);
  if (fence >= 0)
    hold_fenced_locked (self, buffer, fence);
  else
    release_unfenced_locked (self, buffer);
  g_mutex_unlock (&self->idle_lock);
}

static gboolean
gst_dma_heap_buffer_pool_stop (GstBufferPool * pool)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (pool);
  GstBuffer *buffer;
  FencedBuffer *f;

  /* The base class frees what it holds: hand it ours, the fenced ones too
   * (a device still using a dma-buf holds its own reference to it). */
  g_mutex_lock (&self->idle_lock);
  while ((f = g_queue_pop_head (&self->fenced))) {
    close (f->fence);
    GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, f->buffer);
    g_free (f);
  }
  /* the task lets go of the pool (its closed sync_files are not waited on) */
  wake_fence_task_locked (self);
  while ((buffer = g_queue_pop_head (&self->idle))) {
    g_mutex_unlock (&self->idle_lock);
    GST_BUFFER_POOL_CLASS (parent_class)->release_buffer (pool, buffer);
    g_mutex_lock (&self->idle_lock);
  }
  g_mutex_unlock (&self->idle_lock);

  return GST_BUFFER_POOL_CLASS (parent_class)->stop (pool);
}

static void
gst_dma_heap_buffer_pool_finalize (GObject * object)
{
  GstDmaHeapBufferPool *self = GST_DMA_HEAP_BUFFER_POOL (object);

  gst_clear_object (&self->allocator);
  /* no fenced buffer: the fence task holds a ref while there is one */
  if (self->fence_wakeup >= 0)
    close (self->fence_wakeup);
  g_mutex_clear (&self->idle_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_dma_heap_buffer_pool_class_init (GstDmaHeapBufferPoolClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstBufferPoolClass *pool_class = GST_BUFFER_POOL_CLASS (klass);

  gobject_class->finalize = gst_dma_heap_buffer_pool_finalize;

  pool_class->get_options = gst_dma_heap_buffer_pool_get_options;
  pool_class->set_config = gst_dma_heap_buffer_pool_set_config;
  pool_class->alloc_buffer = gst_dma_heap_buffer_pool_alloc_buffer;
  pool_class->free_buffer = gst_dma_heap_buffer_pool_free_buffer;
  pool_class->reset_buffer = gst_dma_heap_buffer_pool_reset_buffer;
  pool_class->acquire_buffer = gst_dma_heap_buffer_pool_acquire_buffer;
  pool_class->release_buffer = gst_dma_heap_buffer_pool_release_buffer;
  pool_class->stop = gst_dma_heap_buffer_pool_stop;

  /**
   * GstDmaHeapBufferPool::allocation-failed:
   * @pool: the pool
   * @error: why, in words for a user: the heap, the size asked, what the
   *   heap has left, what to do (%GST_RESOURCE_ERROR_NO_SPACE_LEFT)
   *
   * A buffer could not be allocated from the heap. Pools post no element
   * errors: the element that made the pool turns this into one, before
   * the element that asked for the buffer reports its own, vaguer failure.
   * Emitted from the thread that allocated.
   */
  signals[SIGNAL_ALLOCATION_FAILED] =
      g_signal_new ("allocation-failed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
gst_dma_heap_buffer_pool_init (GstDmaHeapBufferPool * self)
{
  gst_video_info_init (&self->info);
  gst_video_alignment_reset (&self->align);
  g_mutex_init (&self->idle_lock);
  g_queue_init (&self->idle);
  g_queue_init (&self->fenced);
  self->fence_wakeup = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->fence_wakeup < 0)
    GST_ERROR_OBJECT (self, "no eventfd (%s): buffers are used again "
        "without waiting for their fences", g_strerror (errno));
}

/**
 * gst_dma_heap_buffer_pool_new:
 *
 * Creates a video buffer pool of dma-buf heap memory; configure it as any
 * #GstBufferPool, its heap with gst_dma_heap_buffer_pool_config_set_heap().
 *
 * Returns: (transfer full): a new pool; configure it with caps (and a heap)
 *   before activating it.
 *
 * Since: 0.1
 */
GstBufferPool *
gst_dma_heap_buffer_pool_new (void)
{
  GstBufferPool *pool = g_object_new (GST_TYPE_DMA_HEAP_BUFFER_POOL, NULL);

  gst_object_ref_sink (pool);
  return pool;
}

/**
 * gst_dma_heap_buffer_pool_config_set_heap:
 * @config: a pool config
 * @heap_name: (nullable): the heap to allocate from; %NULL unsets it
 *
 * Chooses the heap by name (an allocator in the config takes precedence
 * only when it is of the same heap; see the pool's description).
 *
 * Since: 0.1
 */
void
gst_dma_heap_buffer_pool_config_set_heap (GstStructure * config,
    const gchar * heap_name)
{
  g_return_if_fail (config != NULL);

  if (heap_name)
    gst_structure_set (config, CONFIG_FIELD_HEAP, G_TYPE_STRING, heap_name,
        NULL);
  else
    gst_structure_remove_field (config, CONFIG_FIELD_HEAP);
}

/**
 * gst_dma_heap_buffer_pool_config_get_heap:
 * @config: a pool config
 *
 * The heap a pool configuration names
 * (gst_dma_heap_buffer_pool_config_set_heap()).
 *
 * Returns: (transfer none) (nullable): the heap set with
 *   gst_dma_heap_buffer_pool_config_set_heap()
 *
 * Since: 0.1
 */
const gchar *
gst_dma_heap_buffer_pool_config_get_heap (GstStructure * config)
{
  g_return_val_if_fail (config != NULL, NULL);

  return gst_structure_get_string (config, CONFIG_FIELD_HEAP);
}

/**
 * gst_dma_heap_buffer_pool_get_allocator:
 * @pool: a #GstDmaHeapBufferPool
 *
 * The heap allocator @pool allocates with, once configured.
 *
 * Returns: (transfer full) (nullable): the allocator the pool allocates
 *   with, %NULL before it is configured
 *
 * Since: 0.1
 */
GstAllocator *
gst_dma_heap_buffer_pool_get_allocator (GstBufferPool * pool)
{
  GstDmaHeapBufferPool *self;
  GstAllocator *allocator;

  g_return_val_if_fail (GST_IS_DMA_HEAP_BUFFER_POOL (pool), NULL);
  self = GST_DMA_HEAP_BUFFER_POOL (pool);

  GST_OBJECT_LOCK (self);
  allocator = self->allocator ? gst_object_ref (self->allocator) : NULL;
  GST_OBJECT_UNLOCK (self);

  return allocator;
}

/**
 * gst_dma_heap_buffer_pool_get_counts:
 * @pool: a #GstDmaHeapBufferPool
 * @allocations: (out) (optional): buffers allocated since the pool was made
 * @live: (out) (optional): buffers that exist now (in the pool or out)
 *
 * How many buffers @pool has allocated, and how many exist now: a pool that
 * reuses its buffers allocates no more than its maximum.
 *
 * Since: 0.1
 */
void
gst_dma_heap_buffer_pool_get_counts (GstBufferPool * pool,
    guint * allocations, guint * live)
{
  GstDmaHeapBufferPool *self;

  g_return_if_fail (GST_IS_DMA_HEAP_BUFFER_POOL (pool));
  self = GST_DMA_HEAP_BUFFER_POOL (pool);

  if (allocations)
    *allocations = g_atomic_int_get (&self->allocations);
  if (live)
    *live = g_atomic_int_get (&self->live);
}

/**
 * gst_dma_heap_buffer_pool_get_fd_renewals:
 * @pool: a #GstDmaHeapBufferPool
 *
 * How often @pool found a buffer's dma-buf fd closed or replaced by someone
 * else (an importer that closes what it imports) and gave the buffer a new
 * one.
 *
 * Returns: how many times a memory of the pool was found with its fd closed
 *   by someone else (a V4L2 element before 1.22.6) and given a new one
 *
 * Since: 0.1
 */
guint
gst_dma_heap_buffer_pool_get_fd_renewals (GstBufferPool * pool)
{
  g_return_val_if_fail (GST_IS_DMA_HEAP_BUFFER_POOL (pool), 0);

  return g_atomic_int_get (&GST_DMA_HEAP_BUFFER_POOL (pool)->fd_renewals);
}

/**
 * gst_dma_heap_buffer_pool_get_fence_waits:
 * @pool: a #GstDmaHeapBufferPool
 *
 * How many buffers @pool held back until their fences signalled before
 * handing them out again.
 *
 * Returns: how many times a buffer came back with an unsignalled fence on
 *   its dma-buf (a device still reading or writing it) and was kept out of
 *   circulation until the fence signalled
 *
 * Since: 0.1
 */
guint
gst_dma_heap_buffer_pool_get_fence_waits (GstBufferPool * pool)
{
  g_return_val_if_fail (GST_IS_DMA_HEAP_BUFFER_POOL (pool), 0);

  return g_atomic_int_get (&GST_DMA_HEAP_BUFFER_POOL (pool)->fence_waits);
}
