/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Whether a buffer's dma-bufs are still in use by a device.
 *
 * A consumer may hand a buffer back while a device it gave the dma-buf to
 * still reads it (a GPU sampling, an encoder reading; KMS scan-out attaches
 * no fence) or writes it: the driver attached a fence to the dma-buf's
 * reservation object, and the buffer must not be written again before the
 * fence signals. poll() on a
 * dma-buf fd with POLLOUT is ready once every fence, of readers and
 * writers, has signalled; DMA_BUF_IOCTL_EXPORT_SYNC_FILE (Linux 6.0) with
 * DMA_BUF_SYNC_WRITE gives a sync_file of exactly those fences, readable
 * (POLLIN) once they have signalled, so a waiter waits for the fences that
 * were there when the buffer came back and not for later users.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapfence.h"

#include <gst/allocators/allocators.h>
#include <linux/dma-buf.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gst_dma_heap_fence_debug);
#define GST_CAT_DEFAULT gst_dma_heap_fence_debug

static void
init_debug (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_dma_heap_fence_debug, "dmaheapfence", 0,
        "dma-buf fences of pool buffers");
    g_once_init_leave (&once, 1);
  }
}

static gboolean
fd_ready (gint fd, gshort events)
{
  struct pollfd pfd = { fd, events, 0 };
  gint ret;

  do {
    ret = poll (&pfd, 1, 0);
  } while (ret < 0 && errno == EINTR);

  return ret == 1 && (pfd.revents & events);
}

/*
 * gst_dma_heap_fence_signalled:
 * @fence: a sync_file fd
 *
 * Returns: whether every fence in @fence has signalled
 */
gboolean
gst_dma_heap_fence_signalled (gint fence)
{
  return fd_ready (fence, POLLIN);
}

/*
 * gst_dma_heap_fence_pending:
 * @buffer: a buffer of dma-buf memories
 *
 * Returns: a sync_file fd (the caller closes it) of the unsignalled fences
 *   of the first of @buffer's dma-bufs that has any, or -1 when every
 *   fence of every dma-buf has signalled. Memory that is not a dma-buf
 *   (or a kernel before 6.0, which cannot export fences) has none.
 */
gint
gst_dma_heap_fence_pending (GstBuffer * buffer)
{
  guint i, n = gst_buffer_n_memory (buffer);

  init_debug ();
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);
    struct dma_buf_export_sync_file req = { DMA_BUF_SYNC_WRITE, -1 };
    gint fd;

    if (!gst_is_dmabuf_memory (mem))
      continue;
    fd = gst_dmabuf_memory_get_fd (mem);
    /* Idle: one poll, no sync_file. Not a dma-buf (a memfd): ready too. */
    if (fd_ready (fd, POLLOUT))
      continue;
    if (ioctl (fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &req) < 0) {
      GST_WARNING ("fd %d is busy but exports no fence (%s; Linux 6.0 has "
          "DMA_BUF_IOCTL_EXPORT_SYNC_FILE): the buffer is used again at once",
          fd, g_strerror (errno));
      continue;
    }
    if (!gst_dma_heap_fence_signalled (req.fd)) {
      GST_LOG ("fd %d: unsignalled fence (sync_file %d)", fd, req.fd);
      return req.fd;
    }
    close (req.fd);
  }

  return -1;
}
