/* GStreamer dma-buf heap support: GstDmaHeapBufferPool on the host
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The pool's config and fd logic, with memfds standing in for dma-bufs
 * (as GStreamer's own fd allocator tests use a tmpfile): a
 * GstDmaBufAllocator subclass that allocates memfds. The same logic on
 * real heaps is in dmaheapallocator.c. */

#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <linux/dma-buf.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* ---- the memfd stand-in ---- */

typedef struct
{
  GstDmaBufAllocator parent;
} TestMemfdAllocator;

typedef struct
{
  GstDmaBufAllocatorClass parent_class;
} TestMemfdAllocatorClass;

static GType test_memfd_allocator_get_type (void);
G_DEFINE_TYPE (TestMemfdAllocator, test_memfd_allocator,
    GST_TYPE_DMABUF_ALLOCATOR);

static GstMemory *
test_memfd_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  gint fd = memfd_create ("dmaheap-test", MFD_CLOEXEC);

  fail_unless (fd >= 0);
  fail_unless_equals_int (ftruncate (fd, size), 0);

  return gst_fd_allocator_alloc (allocator, fd, size, GST_FD_MEMORY_FLAG_NONE);
}

static void
test_memfd_allocator_class_init (TestMemfdAllocatorClass * klass)
{
  GST_ALLOCATOR_CLASS (klass)->alloc = test_memfd_alloc;
}

static void
test_memfd_allocator_init (TestMemfdAllocator * self)
{
  GST_OBJECT_FLAG_UNSET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

static GstAllocator *
memfd_allocator_new (void)
{
  GstAllocator *alloc = g_object_new (test_memfd_allocator_get_type (), NULL);

  gst_object_ref_sink (alloc);
  return alloc;
}

/* ---- a device's fence, faked ----
 *
 * The host has no device that fences a dma-buf (the VM tests use vgem's).
 * What the pool sees of a fence is two syscalls: poll(POLLOUT) on the
 * dma-buf is not ready, and DMA_BUF_IOCTL_EXPORT_SYNC_FILE gives a sync_file
 * that becomes readable when the fence signals. Here the "busy dma-buf" is
 * the write end of a full pipe nobody reads (never POLLOUT), and this
 * program's own ioctl(), which the library's calls resolve to, answers
 * EXPORT_SYNC_FILE on such an fd with a new fd on the read end of the fake
 * fence's pipe: unsignalled while empty, signalled once a byte is in it.
 * Every other ioctl goes to the kernel.
 *
 * This program's close() can also give the number of such a sync_file to
 * another file at the very moment it is closed (as another thread's open()
 * may): a file that never becomes ready, the read end of a pipe whose
 * write end stays open. */

static gint fake_fence[2] = { -1, -1 };

static GMutex fake_lock;
/* the fds handed out as sync_files */
static GArray *fake_sync_files;
/* while open, closed sync_files' numbers go to its read end... */
static gint fake_quiet[2] = { -1, -1 };

/* ...and are kept here */
static GArray *fake_reused;

int
ioctl (int fd, unsigned long request, ...)
{
  struct stat st;
  va_list args;
  void *arg;

  va_start (args, request);
  arg = va_arg (args, void *);
  va_end (args);

  if (request == DMA_BUF_IOCTL_EXPORT_SYNC_FILE && fstat (fd, &st) == 0 &&
      S_ISFIFO (st.st_mode) && fake_fence[0] >= 0) {
    struct dma_buf_export_sync_file *req = arg;

    req->fd = fcntl (fake_fence[0], F_DUPFD_CLOEXEC, 0);
    if (req->fd < 0)
      return -1;
    g_mutex_lock (&fake_lock);
    g_array_append_val (fake_sync_files, req->fd);
    g_mutex_unlock (&fake_lock);
    return 0;
  }

  return syscall (SYS_ioctl, fd, request, arg);
}

int
close (int fd)
{
  gboolean reuse = FALSE;
  guint i;

  g_mutex_lock (&fake_lock);
  for (i = 0; fake_sync_files && i < fake_sync_files->len; i++) {
    if (g_array_index (fake_sync_files, gint, i) == fd) {
      g_array_remove_index_fast (fake_sync_files, i);
      reuse = fake_quiet[0] >= 0;
      break;
    }
  }
  if (reuse) {
    /* closes the sync_file and gives its number to the quiet file at once */
    if (dup3 (fake_quiet[0], fd, O_CLOEXEC) == fd)
      g_array_append_val (fake_reused, fd);
    else
      reuse = FALSE;
  }
  g_mutex_unlock (&fake_lock);

  return reuse ? 0 : syscall (SYS_close, fd);
}

static void
fake_fence_attach (gboolean reuse_numbers)
{
  if (!fake_sync_files) {
    fake_sync_files = g_array_new (FALSE, FALSE, sizeof (gint));
    fake_reused = g_array_new (FALSE, FALSE, sizeof (gint));
  }
  fail_unless (fake_fence[0] < 0);
  fail_unless_equals_int (pipe2 (fake_fence, O_CLOEXEC), 0);
  if (reuse_numbers)
    fail_unless_equals_int (pipe2 (fake_quiet, O_CLOEXEC), 0);
}

static void
fake_fence_signal (void)
{
  fail_unless_equals_int (write (fake_fence[1], "s", 1), 1);
}

/* Closes the fence's pipe (sync_files exported from it stay as they are)
 * and the files that took the numbers of closed sync_files. */
static void
fake_fence_release (void)
{
  gint quiet = fake_quiet[0];
  guint i;

  g_mutex_lock (&fake_lock);
  fake_quiet[0] = -1;
  g_mutex_unlock (&fake_lock);
  if (quiet >= 0) {
    close (quiet);
    close (fake_quiet[1]);
    fake_quiet[1] = -1;
  }
  for (i = 0; i < fake_reused->len; i++)
    close (g_array_index (fake_reused, gint, i));
  g_array_set_size (fake_reused, 0);

  close (fake_fence[0]);
  close (fake_fence[1]);
  fake_fence[0] = fake_fence[1] = -1;
}

typedef struct
{
  GstDmaBufAllocator parent;
} TestBusyAllocator;

typedef struct
{
  GstDmaBufAllocatorClass parent_class;
} TestBusyAllocatorClass;

static GType test_busy_allocator_get_type (void);
G_DEFINE_TYPE (TestBusyAllocator, test_busy_allocator,
    GST_TYPE_DMABUF_ALLOCATOR);

/* Memory that is never mapped: its fd is a dma-buf a device keeps busy. */
static GstMemory *
test_busy_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  gchar page[4096] = { 0, };
  gint fds[2];

  fail_unless_equals_int (pipe2 (fds, O_CLOEXEC | O_NONBLOCK), 0);
  fcntl (fds[1], F_SETPIPE_SZ, 4096);
  while (write (fds[1], page, sizeof (page)) > 0);
  fail_unless (errno == EAGAIN);
  close (fds[0]);

  return gst_fd_allocator_alloc (allocator, fds[1], size,
      GST_FD_MEMORY_FLAG_NONE);
}

static void
test_busy_allocator_class_init (TestBusyAllocatorClass * klass)
{
  GST_ALLOCATOR_CLASS (klass)->alloc = test_busy_alloc;
}

static void
test_busy_allocator_init (TestBusyAllocator * self)
{
  GST_OBJECT_FLAG_UNSET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

static GstAllocator *
busy_allocator_new (void)
{
  GstAllocator *alloc = g_object_new (test_busy_allocator_get_type (), NULL);

  gst_object_ref_sink (alloc);
  return alloc;
}

/* Threads of this process blocked in poll() or ppoll() now. */
static guint
count_threads_in_poll (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0;

  g_assert (dir);
  while ((tid = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/task", tid, "syscall", NULL);
    gchar *contents = NULL;

    if (g_file_get_contents (path, &contents, NULL, NULL)) {
      glong nr = strtol (contents, NULL, 10);

#ifdef SYS_poll
      if (nr == SYS_poll)
        n++;
#endif
      if (nr == SYS_ppoll)
        n++;
    }
    g_free (contents);
    g_free (path);
  }
  g_dir_close (dir);

  return n;
}

/* ---- helpers ---- */

static GstCaps *
yuy2_caps (void)
{
  return gst_caps_from_string ("video/x-raw,format=YUY2,width=320,"
      "height=240,framerate=30/1");
}

/* A pool configured as V4L2's dmabuf-import mode does it: the allocator of
 * the ALLOCATION answer, the driver's sizeimage (larger than the frame), no
 * alignment. */
static GstBufferPool *
memfd_pool_new (GstAllocator * alloc, guint extra, guint min, guint max)
{
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = yuy2_caps ();
  GstVideoInfo info;

  gst_video_info_from_caps (&info, caps);
  gst_buffer_pool_config_set_params (config, caps, info.size + extra, min, max);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  gst_caps_unref (caps);

  return pool;
}

static void
stat_fd (gint fd, struct stat *st)
{
  fail_unless_equals_int (fstat (fd, st), 0);
}

/* ---- tests ---- */

GST_START_TEST (test_v4l2_import_config)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = memfd_pool_new (alloc, 4096, 4, 4);
  GstBufferPoolAcquireParams params = { 0, };
  GstStructure *config;
  GstBuffer *bufs[4], *extra = NULL;
  guint size, min, max, i;
  GstCaps *caps;

  config = gst_buffer_pool_get_config (pool);
  fail_unless (gst_buffer_pool_config_get_params (config, &caps, &size, &min,
          &max));
  /* the larger size is kept */
  fail_unless_equals_int (size, 320 * 240 * 2 + 4096);
  fail_unless_equals_int (min, 4);
  fail_unless_equals_int (max, 4);
  gst_structure_free (config);

  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  for (i = 0; i < 4; i++) {
    GstMemory *mem;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &bufs[i],
            NULL), GST_FLOW_OK);
    fail_unless_equals_int (gst_buffer_n_memory (bufs[i]), 1);
    fail_unless_equals_int (gst_buffer_get_size (bufs[i]), size);
    mem = gst_buffer_peek_memory (bufs[i], 0);
    fail_unless (gst_is_dmabuf_memory (mem));
    /* the pool's memory comes from the configured allocator */
    fail_unless (mem->allocator == alloc);
    /* memory offset 0, as V4L2's single-plane API needs */
    fail_unless_equals_int (mem->offset, 0);
  }
  /* max is honoured */
  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &extra,
          &params), GST_FLOW_EOS);

  for (i = 0; i < 4; i++)
    gst_buffer_unref (bufs[i]);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_null_allocator_keeps_heap)
{
  GstAllocator *alloc = memfd_allocator_new (), *got = NULL;
  GstBufferPool *pool = memfd_pool_new (alloc, 0, 2, 0);
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = yuy2_caps ();
  GstAllocationParams params;

  /* V4L2 writes its config with the answer's allocator, which may be NULL */
  gst_allocation_params_init (&params);
  gst_buffer_pool_config_set_params (config, caps, 320 * 240 * 2 + 100, 3, 0);
  gst_buffer_pool_config_set_allocator (config, NULL, &params);
  fail_unless (gst_buffer_pool_set_config (pool, config));

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_allocator (config, &got, NULL);
  fail_unless (got == alloc);
  gst_structure_free (config);
  got = gst_dma_heap_buffer_pool_get_allocator (pool);
  fail_unless (got == alloc);
  gst_object_unref (got);

  gst_caps_unref (caps);
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_foreign_allocator_corrected)
{
  GstAllocator *alloc = memfd_allocator_new (), *got = NULL;
  GstBufferPool *pool = memfd_pool_new (alloc, 0, 2, 0);
  GstStructure *config = gst_buffer_pool_get_config (pool);

  /* system memory cannot be handed out as dma-bufs: refused, and the config
   * read back names the pool's allocator, so a caller that retries once
   * (V4L2 does) succeeds */
  gst_buffer_pool_config_set_allocator (config, gst_allocator_find (NULL),
      NULL);
  gst_object_unref (gst_allocator_find (NULL));
  fail_if (gst_buffer_pool_set_config (pool, config));

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_allocator (config, &got, NULL);
  fail_unless (got == alloc);
  fail_unless (gst_buffer_pool_set_config (pool, config));

  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_bad_configs)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config;
  GstCaps *caps = yuy2_caps ();

  /* no caps */
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, NULL, 4096, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_if (gst_buffer_pool_set_config (pool, config));

  /* not raw video */
  {
    GstCaps *audio = gst_caps_from_string ("audio/x-raw");

    config = gst_buffer_pool_get_config (pool);
    gst_buffer_pool_config_set_params (config, audio, 4096, 0, 0);
    gst_buffer_pool_config_set_allocator (config, alloc, NULL);
    gst_caps_unref (audio);
    fail_if (gst_buffer_pool_set_config (pool, config));
  }

  /* min above max (the setter refuses to write that; a caller may not) */
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 4, 4);
  gst_structure_set (config, "min-buffers", G_TYPE_UINT, 5, NULL);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_if (gst_buffer_pool_set_config (pool, config));

  /* the pool is still usable after all that */
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 1, 4);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));

  gst_caps_unref (caps);
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_meta_and_alignment)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,width=100,"
      "height=50");
  GstVideoAlignment align;
  GstVideoInfo info;
  GstVideoMeta *meta;
  GstBuffer *buf;
  guint size, i;

  gst_video_info_from_caps (&info, caps);
  gst_video_alignment_reset (&align);
  align.padding_right = 28;
  align.padding_bottom = 14;
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    align.stride_align[i] = 63;
  gst_video_info_align (&info, &align);

  gst_buffer_pool_config_set_params (config, caps, 0, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  gst_buffer_pool_config_set_video_alignment (config, &align);
  fail_unless (gst_buffer_pool_set_config (pool, config));

  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_get_params (config, NULL, &size, NULL, NULL);
  fail_unless_equals_int (size, info.size);
  gst_structure_free (config);

  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  meta = gst_buffer_get_video_meta (buf);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->width, 100);
  fail_unless_equals_int (meta->n_planes, 3);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (meta->stride[i], info.stride[i]);
    fail_unless_equals_int (meta->offset[i], info.offset[i]);
    fail_unless_equals_int (meta->stride[i] % 64, 0);
  }
  fail_unless_equals_int (meta->alignment.padding_right, 28);
  gst_buffer_unref (buf);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_caps_unref (caps);
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_memory_per_plane)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=NV12,width=64,"
      "height=32");
  GstVideoFrame frame;
  GstVideoInfo info;
  GstBuffer *buf;

  gst_video_info_from_caps (&info, caps);
  gst_buffer_pool_config_set_params (config, caps, info.size + 512, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);

  /* one dma-buf per plane; the extra size goes to the last */
  fail_unless_equals_int (gst_buffer_n_memory (buf), 2);
  fail_unless_equals_int (gst_buffer_peek_memory (buf, 0)->size, 64 * 32);
  fail_unless_equals_int (gst_buffer_peek_memory (buf, 1)->size, 64 * 16 + 512);
  fail_unless (gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf, 0)) !=
      gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf, 1)));

  /* the planes map where the meta says */
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), 0x11, 64 * 32);
  memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, 1), 0x22, 64 * 16);
  gst_video_frame_unmap (&frame);
  {
    GstMapInfo map;

    fail_unless (gst_memory_map (gst_buffer_peek_memory (buf, 1), &map,
            GST_MAP_READ));
    fail_unless_equals_int (map.data[0], 0x22);
    gst_memory_unmap (gst_buffer_peek_memory (buf, 1), &map);
  }

  gst_buffer_unref (buf);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_caps_unref (caps);
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* Writes a pattern into every visible row of every plane, through the
 * frame map (which finds each plane through the video meta). */
static void
fill_planes (GstBuffer * buf, const GstVideoInfo * info)
{
  GstVideoFrame frame;
  guint p, row, x;

  fail_unless (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf,
          GST_MAP_WRITE));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    guint width = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);

    for (row = 0; row < (guint) GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p); row++)
      for (x = 0; x < width; x++)
        data[row * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p) + x] =
            (p * 71 + row * 13 + x) & 0xff;
  }
  gst_video_frame_unmap (&frame);
}

static GstBufferPool *
aligned_pool_new (GstAllocator * alloc, GstCaps * caps,
    GstVideoAlignment * align, gboolean memory_per_plane)
{
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);

  gst_buffer_pool_config_set_params (config, caps, 0, 0, 0);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  gst_buffer_pool_config_set_video_alignment (config, align);
  if (memory_per_plane)
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  return pool;
}

/* Memory per plane with padding above and left of the picture (the video
 * meta's offsets are absolute, offset[0] > 0): the memories must lie where
 * those offsets say, so each plane maps the same bytes as in a buffer of
 * one memory of the same layout, and a released buffer, whose memories
 * add up to the pool's size, goes back to the pool. */
GST_START_TEST (test_memory_per_plane_padded)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420,width=64,"
      "height=32");
  GstBufferPool *planes_pool, *single_pool;
  GstBuffer *planes, *single, *again;
  GstMemory *mems[GST_VIDEO_MAX_PLANES];
  GstVideoAlignment align;
  GstVideoInfo info;
  GstVideoMeta *meta;
  GstMapInfo map;
  guint8 *bytes;
  guint allocations, i;
  gsize total = 0;

  gst_video_info_from_caps (&info, caps);
  gst_video_alignment_reset (&align);
  align.padding_top = 4;
  align.padding_left = 16;
  align.padding_right = 16;
  align.padding_bottom = 4;
  for (i = 0; i < GST_VIDEO_MAX_PLANES; i++)
    align.stride_align[i] = 31;
  fail_unless (gst_video_info_align (&info, &align));
  fail_unless (info.offset[0] > 0);

  planes_pool = aligned_pool_new (alloc, caps, &align, TRUE);
  single_pool = aligned_pool_new (alloc, caps, &align, FALSE);
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (planes_pool,
          &planes, NULL), GST_FLOW_OK);
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (single_pool,
          &single, NULL), GST_FLOW_OK);

  /* one memory per plane, plane i starting in memory i where the meta says,
   * the memories adding up to the frame */
  fail_unless_equals_int (gst_buffer_n_memory (planes), 3);
  meta = gst_buffer_get_video_meta (planes);
  fail_unless (meta != NULL);
  for (i = 0; i < 3; i++) {
    guint idx, len;
    gsize skip;

    fail_unless_equals_uint64 (meta->offset[i], info.offset[i]);
    fail_unless (gst_buffer_find_memory (planes, meta->offset[i], 1, &idx,
            &len, &skip));
    fail_unless_equals_int (idx, i);
    mems[i] = gst_buffer_peek_memory (planes, i);
    total += mems[i]->size;
  }
  fail_unless_equals_uint64 (total, info.size);
  fail_unless_equals_uint64 (gst_buffer_get_size (planes),
      gst_buffer_get_size (single));

  /* the same picture written through the meta into both: the same bytes,
   * in the same places */
  fill_planes (planes, &info);
  fill_planes (single, &info);
  /* (mapping the whole buffer would merge its memories into one) */
  bytes = g_malloc (info.size);
  fail_unless_equals_uint64 (gst_buffer_extract (planes, 0, bytes, info.size),
      info.size);
  fail_unless (gst_buffer_map (single, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, info.size);
  fail_unless (memcmp (bytes, map.data, map.size) == 0,
      "the planes' memories do not hold the frame as one memory does");
  gst_buffer_unmap (single, &map);
  g_free (bytes);

  /* back to the pool, not discarded: the same memories come out again and
   * nothing was allocated */
  gst_buffer_unref (planes);
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (planes_pool,
          &again, NULL), GST_FLOW_OK);
  for (i = 0; i < 3; i++)
    fail_unless (gst_buffer_peek_memory (again, i) == mems[i],
        "memory %u is not the released buffer's: it was discarded", i);
  gst_dma_heap_buffer_pool_get_counts (planes_pool, &allocations, NULL);
  fail_unless_equals_int (allocations, 1);
  gst_buffer_unref (again);

  gst_buffer_unref (single);
  fail_unless (gst_buffer_pool_set_active (planes_pool, FALSE));
  fail_unless (gst_buffer_pool_set_active (single_pool, FALSE));
  gst_object_unref (planes_pool);
  gst_object_unref (single_pool);
  gst_caps_unref (caps);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_last_returned_goes_out_first)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = memfd_pool_new (alloc, 0, 4, 4);
  GstBuffer *bufs[4], *a, *b;
  GstMemory *mem_a, *mem_b;
  guint round, i;

  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  for (i = 0; i < 4; i++)
    gst_buffer_pool_acquire_buffer (pool, &bufs[i], NULL);
  mem_a = gst_buffer_peek_memory (bufs[2], 0);
  mem_b = gst_buffer_peek_memory (bufs[0], 0);
  gst_buffer_unref (bufs[1]);
  gst_buffer_unref (bufs[3]);
  gst_buffer_unref (bufs[2]);
  gst_buffer_unref (bufs[0]);

  /* A V4L2 element with two buffers in flight: each time one comes back it
   * re-queues that index with a buffer from the pool. Each index must keep
   * meeting the same dma-buf, though the pool holds four. */
  gst_buffer_pool_acquire_buffer (pool, &a, NULL);
  gst_buffer_pool_acquire_buffer (pool, &b, NULL);
  fail_unless (gst_buffer_peek_memory (a, 0) == mem_b);
  fail_unless (gst_buffer_peek_memory (b, 0) == mem_a);
  for (round = 0; round < 10; round++) {
    gst_buffer_unref (a);
    gst_buffer_pool_acquire_buffer (pool, &a, NULL);
    fail_unless (gst_buffer_peek_memory (a, 0) == mem_b, "round %u", round);
    gst_buffer_unref (b);
    gst_buffer_pool_acquire_buffer (pool, &b, NULL);
    fail_unless (gst_buffer_peek_memory (b, 0) == mem_a, "round %u", round);
  }
  gst_buffer_unref (a);
  gst_buffer_unref (b);

  /* idle buffers are freed when the pool stops */
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

static gpointer
acquire_thread (gpointer data)
{
  GstBufferPool *pool = data;
  GstBuffer *buf = NULL;

  if (gst_buffer_pool_acquire_buffer (pool, &buf, NULL) != GST_FLOW_OK)
    return NULL;
  return buf;
}

/* All buffers out (max reached): an acquire waits, and a release wakes
 * it; flushing wakes one too. */
GST_START_TEST (test_release_wakes_waiter)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = memfd_pool_new (alloc, 0, 2, 2);
  GstBuffer *a, *b, *got;
  GThread *thread;

  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  gst_buffer_pool_acquire_buffer (pool, &a, NULL);
  gst_buffer_pool_acquire_buffer (pool, &b, NULL);

  thread = g_thread_new ("acquire", acquire_thread, pool);
  g_usleep (100 * 1000);
  gst_buffer_unref (a);
  got = g_thread_join (thread);
  fail_unless (got != NULL);
  gst_buffer_unref (got);

  gst_buffer_pool_acquire_buffer (pool, &a, NULL);
  thread = g_thread_new ("acquire", acquire_thread, pool);
  g_usleep (100 * 1000);
  gst_buffer_pool_set_flushing (pool, TRUE);
  fail_unless (g_thread_join (thread) == NULL);
  gst_buffer_pool_set_flushing (pool, FALSE);

  gst_buffer_unref (a);
  gst_buffer_unref (b);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

static void
fill (GstBuffer * buf, guint8 value)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  memset (map.data, value, map.size);
  gst_buffer_unmap (buf, &map);
}

static void
check_filled (GstBuffer * buf, guint8 value)
{
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < map.size; i += 4093)
    fail_unless_equals_int (map.data[i], value);
  gst_buffer_unmap (buf, &map);
}

/* A buffer's fd as the importer sees it, and which file it is. */
static gint
buffer_fd (GstBuffer * buf, struct stat *st)
{
  gint fd = gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf, 0));

  fail_unless (fd >= 0);
  if (st)
    stat_fd (fd, st);
  return fd;
}

/* What V4L2 elements 1.16-1.22.5 do to imported memory: close its fd. The
 * buffer then comes back to the pool, and the pool hands it out again. */
GST_START_TEST (test_importer_closes_fd)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool;
  GstBuffer *buf;
  struct stat before, after;
  guint fds;
  gint fd;

  pool = memfd_pool_new (alloc, 0, 1, 1);
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fds = dmaheap_test_count_fds ();

  gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  fill (buf, 0x5a);
  fd = buffer_fd (buf, &before);
  fail_unless_equals_int (close (fd), 0);
  gst_buffer_unref (buf);

  /* the same buffer (max 1), on an fd that is again its dma-buf */
  gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  buffer_fd (buf, &after);
  fail_unless (before.st_ino == after.st_ino && before.st_dev ==
      after.st_dev, "the buffer's fd is not its memory any more");
  check_filled (buf, 0x5a);
  gst_buffer_unref (buf);
  dmaheap_test_assert_fds (fds);
  fail_unless_equals_int (gst_dma_heap_buffer_pool_get_fd_renewals (pool), 1);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* Worse: the closed fd number is reused by a file opened meanwhile. The pool
 * must neither hand that file out as the buffer nor ever close it. */
GST_START_TEST (test_importer_closes_fd_number_reused)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool;
  GstBuffer *buf;
  struct stat before, after, other;
  guint fds;
  gint fd, null_fd;

  fds = dmaheap_test_count_fds ();
  pool = memfd_pool_new (alloc, 0, 1, 1);
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  fill (buf, 0xa5);
  fd = buffer_fd (buf, &before);
  fail_unless_equals_int (close (fd), 0);
  null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  fail_unless (null_fd >= 0);
  if (null_fd != fd) {
    fail_unless_equals_int (dup2 (null_fd, fd), fd);
    close (null_fd);
  }
  gst_buffer_unref (buf);

  gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  buffer_fd (buf, &after);
  fail_unless (before.st_ino == after.st_ino && before.st_dev ==
      after.st_dev, "the buffer's fd now names another file");
  check_filled (buf, 0xa5);
  gst_buffer_unref (buf);

  /* the file that took the number survives the pool */
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
  stat_fd (fd, &other);
  fail_unless (S_ISCHR (other.st_mode) && major (other.st_rdev) == 1 &&
      minor (other.st_rdev) == 3, "fd %d is no longer /dev/null", fd);
  close (fd);
  dmaheap_test_assert_fds (fds);
}

GST_END_TEST;

/* The fd may also be closed after the buffer came back: the pool checks
 * when it hands the buffer out. */
GST_START_TEST (test_fd_closed_while_pooled)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool;
  GstBuffer *buf;
  struct stat before, after;
  gint fd;

  pool = memfd_pool_new (alloc, 0, 1, 1);
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  fd = buffer_fd (buf, &before);
  gst_buffer_unref (buf);
  fail_unless_equals_int (close (fd), 0);

  gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
  buffer_fd (buf, &after);
  fail_unless (before.st_ino == after.st_ino);
  gst_buffer_unref (buf);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;

GST_START_TEST (test_no_fd_leak)
{
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool;
  GstBuffer *bufs[8];
  guint fds, round, i;

  fds = dmaheap_test_count_fds ();
  for (round = 0; round < 3; round++) {
    pool = memfd_pool_new (alloc, 0, 2, 8);
    fail_unless (gst_buffer_pool_set_active (pool, TRUE));
    for (i = 0; i < 8; i++)
      gst_buffer_pool_acquire_buffer (pool, &bufs[i], NULL);
    /* a buffer that outlives its pool's deactivation */
    for (i = 1; i < 8; i++)
      gst_buffer_unref (bufs[i]);
    fail_unless (gst_buffer_pool_set_active (pool, FALSE));
    gst_buffer_unref (bufs[0]);
    gst_object_unref (pool);
  }
  dmaheap_test_assert_fds (fds);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* From before the pool's fence task has started to well after it waits. */
static void
vary_timing (guint round)
{
  switch (round / 3 % 5) {
    case 0:
      break;
    case 1:
      g_thread_yield ();
      break;
    case 2:
      g_usleep (round % 50);
      break;
    case 3:
      g_usleep (200 + (37 * round) % 800);
      break;
    default:
      g_usleep (5000);
      break;
  }
}

/* A pool stopped, or let go of, while a buffer it holds is fenced: its
 * fence task must see that and let go of the pool, whenever it happens
 * (before the task starts, while it is about to wait, while it waits) and
 * whatever takes the numbers of the sync_files stop() closed. Every round,
 * the pool is finalized; at the end no thread is left waiting in poll. */
GST_START_TEST (test_stop_while_fenced)
{
  static const gchar *ways[] = { "stopped, then unreffed",
    "stopped, the sync_file's number reused at once, then unreffed",
    "unreffed while active, then the fence signalled"
  };
  GstAllocator *alloc = busy_allocator_new ();
  GstBufferPoolAcquireParams params = { 0, };
  guint in_poll = count_threads_in_poll ();
  guint fds = dmaheap_test_count_fds ();
  guint round;
  gint64 deadline;

  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  for (round = 0; round < 300; round++) {
    GstBufferPool *pool = memfd_pool_new (alloc, 0, 0, 1);
    GstBuffer *buf, *again = NULL;
    guint way = round % 3;

    g_object_add_weak_pointer (G_OBJECT (pool), (gpointer *) & pool);
    fail_unless (gst_buffer_pool_set_active (pool, TRUE));
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    fake_fence_attach (way == 1);
    gst_buffer_unref (buf);
    fail_unless_equals_int (gst_dma_heap_buffer_pool_get_fence_waits (pool), 1);
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &again,
            &params), GST_FLOW_EOS);

    vary_timing (round);
    switch (way) {
      case 0:
        fail_unless (gst_buffer_pool_set_active (pool, FALSE));
        gst_object_unref (pool);
        break;
      case 1:
        /* the sync_file's number goes to another file as stop() closes it */
        fail_unless (gst_buffer_pool_set_active (pool, FALSE));
        fail_unless (fake_reused->len > 0);
        gst_object_unref (pool);
        break;
      default:
        /* the buffer is the device's until the fence signals: the pool
         * lives until then */
        gst_object_unref (pool);
        vary_timing (round + 3);
        fake_fence_signal ();
        break;
    }

    deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
    while (pool && g_get_monotonic_time () < deadline)
      g_usleep (1000);
    fail_unless (pool == NULL, "round %u (%s): the pool was not finalized "
        "5 s after its last unref (its fence task still holds it)", round,
        ways[way]);

    fake_fence_release ();
  }

  deadline = g_get_monotonic_time () + 2 * G_TIME_SPAN_SECOND;
  while (count_threads_in_poll () > in_poll &&
      g_get_monotonic_time () < deadline)
    g_usleep (1000);
  fail_unless_equals_int (count_threads_in_poll (), in_poll);
  dmaheap_test_assert_fds (fds);
  gst_object_unref (alloc);
}

GST_END_TEST;

/* A heap that opens but cannot allocate (the /dev/null stand-in): errors are
 * clean FALSE and nothing leaks. */
GST_START_TEST (test_heap_alloc_failure)
{
  const gchar *names[] = { "system", NULL };
  gchar *dir = dmaheap_test_make_fake_heaps (names);
  GstBufferPool *pool;
  GstStructure *config;
  GstAllocator *got;
  GstCaps *caps = yuy2_caps ();
  GstBuffer *buf = NULL;
  guint fds;

  /* the heap allocator stays registered: count from after its creation */
  got = gst_dma_heap_allocator_get ("system", NULL);
  fail_unless (got != NULL);
  gst_object_unref (got);
  fds = dmaheap_test_count_fds ();

  pool = gst_dma_heap_buffer_pool_new ();
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 2, 0);
  gst_dma_heap_buffer_pool_config_set_heap (config, "system");
  fail_unless_equals_string (gst_dma_heap_buffer_pool_config_get_heap
      (config), "system");
  fail_unless (gst_buffer_pool_set_config (pool, config));
  got = gst_dma_heap_buffer_pool_get_allocator (pool);
  fail_unless_equals_string (gst_dma_heap_allocator_get_heap_name (got),
      "system");
  gst_object_unref (got);

  /* preallocation fails */
  fail_if (gst_buffer_pool_set_active (pool, TRUE));

  /* without preallocation, acquiring fails */
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 0, 0);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_ERROR);
  fail_unless (buf == NULL);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);

  /* a heap that does not exist */
  pool = gst_dma_heap_buffer_pool_new ();
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 0, 0, 0);
  gst_dma_heap_buffer_pool_config_set_heap (config, "nosuchheap");
  fail_if (gst_buffer_pool_set_config (pool, config));
  gst_object_unref (pool);

  dmaheap_test_assert_fds (fds);
  gst_caps_unref (caps);
  dmaheap_test_remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

#if GST_CHECK_VERSION(1, 24, 0)
/* GStreamer 1.24's DMA_DRM caps: the linear modifier is a frame like plain
 * caps', a tiled one is refused saying why, and heap rules written for
 * plain caps apply. */
GST_START_TEST (test_dma_drm_caps)
{
  const gchar *linear = "video/x-raw(memory:DMABuf),format=DMA_DRM,"
      "drm-format=NV12,width=320,height=240,framerate=30/1";
  GstAllocator *alloc = memfd_allocator_new ();
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string (linear), *tiled;
  GstDmaHeapRules *rules;
  GstVideoInfo info, plain;
  GError *err = NULL;
  GstBuffer *buf;

  fail_unless (gst_dma_heap_caps_is_dma_drm (caps));
  fail_unless (gst_dma_heap_video_info_from_caps (&info, caps, &err));
  gst_video_info_set_format (&plain, GST_VIDEO_FORMAT_NV12, 320, 240);
  fail_unless_equals_int (GST_VIDEO_INFO_FORMAT (&info), GST_VIDEO_FORMAT_NV12);
  fail_unless_equals_uint64 (info.size, plain.size);

  gst_buffer_pool_config_set_params (config, caps, 0, 1, 2);
  gst_buffer_pool_config_set_allocator (config, alloc, NULL);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  fail_unless_equals_uint64 (gst_buffer_get_size (buf), plain.size);
  gst_buffer_unref (buf);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));

  /* a tiled layout (here Intel's X tiling) is not what a heap holds */
  tiled = gst_caps_from_string ("video/x-raw(memory:DMABuf),format=DMA_DRM,"
      "drm-format=NV12:0x0100000000000001,width=320,height=240");
  fail_if (gst_dma_heap_video_info_from_caps (&info, tiled, &err));
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION));
  fail_unless (strstr (err->message, "linear") != NULL, "%s", err->message);
  g_clear_error (&err);
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, tiled, 0, 1, 2);
  fail_if (gst_buffer_pool_set_config (pool, config));

  rules = gst_dma_heap_rules_parse ("video/x-raw,format=YUY2:system;"
      "video/x-raw,format=NV12:contiguous", &err);
  fail_unless (rules != NULL);
  fail_unless_equals_string (gst_dma_heap_rules_match (rules, caps, NULL),
      "contiguous");
  gst_dma_heap_rules_unref (rules);

  gst_caps_unref (tiled);
  gst_caps_unref (caps);
  gst_object_unref (pool);
  gst_object_unref (alloc);
}

GST_END_TEST;
#endif

static Suite *
dmaheappool_suite (void)
{
  Suite *s = suite_create ("dmaheappool");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_v4l2_import_config);
  tcase_add_test (tc, test_null_allocator_keeps_heap);
  tcase_add_test (tc, test_foreign_allocator_corrected);
  tcase_add_test (tc, test_bad_configs);
  tcase_add_test (tc, test_meta_and_alignment);
  tcase_add_test (tc, test_memory_per_plane);
  tcase_add_test (tc, test_memory_per_plane_padded);
  tcase_add_test (tc, test_last_returned_goes_out_first);
  tcase_add_test (tc, test_release_wakes_waiter);
  tcase_add_test (tc, test_importer_closes_fd);
  tcase_add_test (tc, test_importer_closes_fd_number_reused);
  tcase_add_test (tc, test_fd_closed_while_pooled);
  tcase_add_test (tc, test_no_fd_leak);
  tcase_add_test (tc, test_stop_while_fenced);
  tcase_add_test (tc, test_heap_alloc_failure);
#if GST_CHECK_VERSION(1, 24, 0)
  tcase_add_test (tc, test_dma_drm_caps);
#endif

  return s;
}

GST_CHECK_MAIN (dmaheappool);
