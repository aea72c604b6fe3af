/* GStreamer dma-buf heap support: vgem fences for the check tests
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A device's fence on a buffer's dma-buf, made with vgem: what a display
 * or GPU still using a buffer leaves on it. Needs libdrm. */

#pragma once

#include "dmaheaptest.h"

#include <sys/ioctl.h>
#include <xf86drm.h>

/* vgem's fence ioctls (the kernel's include/uapi/drm/vgem_drm.h, which no
 * Debian package installs: not linux-libc-dev, not libdrm-dev). A fence
 * vgem attaches signals when told to (or after vgem's own 10 s timeout). */
struct test_vgem_fence_attach
{
  guint32 handle;
  guint32 flags;
  guint32 out_fence;
  guint32 pad;
};

struct test_vgem_fence_signal
{
  guint32 fence;
  guint32 flags;
};

#define TEST_VGEM_FENCE_WRITE 0x1
#define TEST_IOCTL_VGEM_FENCE_ATTACH \
  DRM_IOWR (DRM_COMMAND_BASE + 0x1, struct test_vgem_fence_attach)
#define TEST_IOCTL_VGEM_FENCE_SIGNAL \
  DRM_IOW (DRM_COMMAND_BASE + 0x2, struct test_vgem_fence_signal)

/* vgem's DRM node, or -1. */
static inline gint
dmaheap_test_find_vgem (void)
{
  guint i;

  for (i = 0; i < 16; i++) {
    gchar *path = g_strdup_printf ("/dev/dri/card%u", i);
    gint fd = open (path, O_RDWR | O_CLOEXEC);
    drmVersionPtr v;

    g_free (path);
    if (fd < 0)
      continue;
    v = drmGetVersion (fd);
    if (v && g_str_equal (v->name, "vgem")) {
      drmFreeVersion (v);
      return fd;
    }
    if (v)
      drmFreeVersion (v);
    close (fd);
  }

  return -1;
}

#define DMAHEAP_TEST_NO_VGEM "no vgem DRM device in /dev/dri (modprobe vgem)"

/* For dmaheap_test_add_test_unless(): NULL when vgem is there. */
static inline const gchar *
dmaheap_test_vgem_missing (void)
{
  gint fd = dmaheap_test_find_vgem ();

  if (fd < 0)
    return DMAHEAP_TEST_NO_VGEM;
  close (fd);
  return NULL;
}

/* vgem's DRM node; fails the test without it (a test that uses vgem is
 * added with dmaheap_test_add_test_unless (..., dmaheap_test_vgem_missing ()),
 * so it runs without vgem only where skipping is forbidden). */
static inline gint
dmaheap_test_open_vgem (void)
{
  gint fd = dmaheap_test_find_vgem ();

  fail_unless (fd >= 0, DMAHEAP_TEST_NO_VGEM);
  return fd;
}

/* A write fence on @buf's dma-buf, as a device writing it would leave:
 * returns its vgem id, the GEM handle in @handle. */
static inline guint32
dmaheap_test_attach_fence (gint vgem, GstBuffer * buf, guint32 * handle)
{
  struct test_vgem_fence_attach attach = { 0, TEST_VGEM_FENCE_WRITE, 0, 0 };
  gint fd = gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf, 0));

  fail_unless_equals_int (drmPrimeFDToHandle (vgem, fd, handle), 0);
  attach.handle = *handle;
  fail_unless_equals_int (drmIoctl (vgem, TEST_IOCTL_VGEM_FENCE_ATTACH,
          &attach), 0);

  return attach.out_fence;
}

static inline void
dmaheap_test_signal_fence (gint vgem, guint32 fence, guint32 handle)
{
  struct test_vgem_fence_signal sig = { fence, 0 };
  struct drm_gem_close gem_close = { handle, 0 };

  fail_unless_equals_int (drmIoctl (vgem, TEST_IOCTL_VGEM_FENCE_SIGNAL, &sig),
      0);
  fail_unless_equals_int (drmIoctl (vgem, DRM_IOCTL_GEM_CLOSE, &gem_close), 0);
}

