/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Surviving importers that close file descriptors they do not own.
 *
 * GStreamer's V4L2 elements from 1.16 to 1.22.5 close() the dma-buf fd of
 * memory they import (fixed in 1.22.6; Debian 12 ships 1.22.0). The fd
 * number inside our GstMemory then points at nothing, or — worse — at
 * whatever file the process opened next, which GstFdMemory would close
 * again when the memory is freed.
 *
 * So a pool memory never exposes the fd that owns the dma-buf. The owner
 * (the allocator's memory) is kept private; the buffer carries a wrapper
 * memory on a dup() of it, created with GST_FD_MEMORY_FLAG_DONT_CLOSE. The
 * guard remembers which file the wrapper's fd must be (st_dev, st_ino: every
 * dma-buf has its own inode), and:
 * - gst_dma_heap_fd_guard_is_intact() tells whether the wrapper's fd still is
 *   that file;
 * - gst_dma_heap_fd_guard_renew() makes a new wrapper on a new dup() of the
 *   owner and takes the owner away from the old wrapper, which from then on
 *   closes nothing (its fd number belongs to someone else, or to no one);
 * - freeing a wrapper closes its fd only if it still is our file.
 * The fd number is never restored with dup2(): between the check and the
 * dup2() another thread may have been given that number.
 * V4L2 keys its buffers by the dma-buf, not by the fd number, so a new
 * number for the same dma-buf costs no re-mapping.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapfdguard.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gst/allocators/allocators.h>

#ifndef GST_DISABLE_GST_DEBUG
#define GST_CAT_DEFAULT ensure_debug_category ()
static GstDebugCategory *
ensure_debug_category (void)
{
  static gsize cat = 0;

  if (g_once_init_enter (&cat)) {
    gsize done = (gsize) _gst_debug_category_new ("dmaheapfdguard", 0,
        "dma-buf heap fd guard");

    g_once_init_leave (&cat, done);
  }

  return (GstDebugCategory *) cat;
}
#endif

typedef struct
{
  GstMemory *owner;             /* NULL once handed to a renewed wrapper */
  gint fd;                      /* the wrapper's fd */
  dev_t dev;
  ino_t ino;
} GuardData;

static GQuark
guard_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark)) {
    g_once_init_leave (&quark,
        g_quark_from_static_string ("GstDmaHeapFdGuard"));
  }

  return (GQuark) quark;
}

static gboolean
fd_is_file (gint fd, dev_t dev, ino_t ino)
{
  struct stat st;

  return fd >= 0 && fstat (fd, &st) == 0 && st.st_dev == dev &&
      st.st_ino == ino;
}

static void
guard_data_free (GuardData * data)
{
  if (data->owner) {
    if (fd_is_file (data->fd, data->dev, data->ino))
      close (data->fd);
    else
      GST_WARNING ("fd %d was closed by someone else: not closing it again",
          data->fd);
    gst_memory_unref (data->owner);
  }
  g_free (data);
}

/* Takes @owner; returns a wrapper on a dup() of its fd, or NULL. */
static GstMemory *
guard_wrap (GstMemory * owner, dev_t dev, ino_t ino)
{
  GstMemory *mem;
  GuardData *data;
  gint fd;

  fd = fcntl (gst_fd_memory_get_fd (owner), F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    goto dup_failed;

  mem = gst_fd_allocator_alloc (owner->allocator, fd, owner->maxsize,
      GST_FD_MEMORY_FLAG_DONT_CLOSE);
  if (!mem)
    goto wrap_failed;
  gst_memory_resize (mem, owner->offset, owner->size);
  GST_MINI_OBJECT_FLAGS (mem) |= GST_MINI_OBJECT_FLAGS (owner) &
      (GST_MEMORY_FLAG_ZERO_PREFIXED | GST_MEMORY_FLAG_ZERO_PADDED |
      GST_MEMORY_FLAG_PHYSICALLY_CONTIGUOUS);

  data = g_new0 (GuardData, 1);
  data->owner = owner;
  data->fd = fd;
  data->dev = dev;
  data->ino = ino;
  gst_mini_object_set_qdata (GST_MINI_OBJECT (mem), guard_quark (), data,
      (GDestroyNotify) guard_data_free);

  GST_LOG ("memory %p: fd %d guards fd %d", mem, fd,
      gst_fd_memory_get_fd (owner));
  return mem;

  /* ERRORS */
dup_failed:
  {
    GST_ERROR ("could not duplicate fd %d: %s",
        gst_fd_memory_get_fd (owner), g_strerror (errno));
    gst_memory_unref (owner);
    return NULL;
  }
wrap_failed:
  {
    GST_ERROR ("could not wrap fd %d", fd);
    close (fd);
    gst_memory_unref (owner);
    return NULL;
  }
}

/*
 * gst_dma_heap_fd_guard_wrap:
 * @owner: (transfer full): fd memory that owns its fd
 *
 * Returns: (transfer full) (nullable): a wrapper memory of the same
 *   allocator, size and offset, on a dup() of @owner's fd, or %NULL (and
 *   @owner is freed).
 */
GstMemory *
gst_dma_heap_fd_guard_wrap (GstMemory * owner)
{
  struct stat st;

  g_return_val_if_fail (gst_is_fd_memory (owner), NULL);

  if (fstat (gst_fd_memory_get_fd (owner), &st) < 0) {
    GST_ERROR ("fd %d of memory %p is not open: %s",
        gst_fd_memory_get_fd (owner), owner, g_strerror (errno));
    gst_memory_unref (owner);
    return NULL;
  }

  return guard_wrap (owner, st.st_dev, st.st_ino);
}

/*
 * gst_dma_heap_fd_guard_is_intact:
 * @mem: memory, a wrapper or not
 *
 * Returns: %FALSE when @mem is a wrapper whose fd was closed, or now is
 *   another file, so it must be renewed; %TRUE otherwise.
 */
gboolean
gst_dma_heap_fd_guard_is_intact (GstMemory * mem)
{
  GuardData *data;

  data = gst_mini_object_get_qdata (GST_MINI_OBJECT (mem), guard_quark ());
  if (!data || !data->owner)
    return TRUE;

  return fd_is_file (data->fd, data->dev, data->ino);
}

/*
 * gst_dma_heap_fd_guard_renew:
 * @mem: a wrapper whose fd is no longer ours
 *
 * Moves the dma-buf to a new wrapper. @mem keeps its fd number but from now
 * on closes nothing.
 *
 * Returns: (transfer full) (nullable): the new wrapper, or %NULL
 */
GstMemory *
gst_dma_heap_fd_guard_renew (GstMemory * mem)
{
  GuardData *data;
  GstMemory *owner;

  data = gst_mini_object_get_qdata (GST_MINI_OBJECT (mem), guard_quark ());
  g_return_val_if_fail (data != NULL && data->owner != NULL, NULL);

  GST_INFO ("fd %d of memory %p was closed by someone else (a V4L2 element "
      "before 1.22.6?): handing out a new fd", data->fd, mem);

  owner = data->owner;
  data->owner = NULL;

  return guard_wrap (owner, data->dev, data->ino);
}
