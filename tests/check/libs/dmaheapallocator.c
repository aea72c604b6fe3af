/* GStreamer dma-buf heap support: allocator and pool on real heaps
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Needs /dev/dma_heap: SKIPs on the host, runs in the VM on every heap
 * there (ours, and the kernel's own system heap on 6.12). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"
#include "dmaheapvgem.h"

#include <string.h>
#include <sys/stat.h>

static GPtrArray *heaps;

#define FOREACH_HEAP(name) \
  for (guint _i = 0; _i < heaps->len && \
      ((name) = g_ptr_array_index (heaps, _i)); _i++)

static void
check_pattern (GstMemory * mem, guint8 seed)
{
  GstMapInfo map;
  gsize i;

  fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
  for (i = 0; i < map.size; i += 509)
    fail_unless_equals_int (map.data[i], (guint8) (seed + i));
  gst_memory_unmap (mem, &map);
}

static void
write_pattern (GstMemory * mem, guint8 seed)
{
  GstMapInfo map;
  gsize i;

  fail_unless (gst_memory_map (mem, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = seed + i;
  gst_memory_unmap (mem, &map);
}

/* The name DMA_BUF_SET_NAME gave the buffer, from fdinfo. */
static gchar *
fdinfo_name (gint fd)
{
  gchar *path = g_strdup_printf ("/proc/self/fdinfo/%d", fd);
  gchar *contents = NULL, *name = NULL, **lines, **l;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (l = lines; *l; l++)
    if (g_str_has_prefix (*l, "name:"))
      name = g_strdup (g_strstrip (*l + 5));
  g_strfreev (lines);
  g_free (contents);
  g_free (path);

  return name;
}

GST_START_TEST (test_allocate)
{
  const gchar *heap;
  static const gsize sizes[] = { 4096, 1000, 1 << 20, 8 << 20 };

  FOREACH_HEAP (heap) {
    GError *error = NULL;
    GstAllocator *alloc = gst_dma_heap_allocator_get (heap, &error);
    GstAllocator *again, *found;
    gchar *regname, *expect;
    guint i;

    fail_unless (alloc != NULL, "%s: %s", heap, error ? error->message : "");
    fail_unless_equals_string (gst_dma_heap_allocator_get_heap_name (alloc),
        heap);

    /* one allocator, and one open heap, per heap and process */
    again = gst_dma_heap_allocator_get (heap, NULL);
    fail_unless (again == alloc);
    gst_object_unref (again);
    /* the deprecated name gives the same instance */
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
    again = gst_dma_heap_allocator_new (heap, NULL);
    G_GNUC_END_IGNORE_DEPRECATIONS;
    fail_unless (again == alloc);
    gst_object_unref (again);
    regname = g_strconcat ("dmaheap:", heap, NULL);
    found = gst_allocator_find (regname);
    fail_unless (found == alloc, "%s is not registered", regname);
    gst_object_unref (found);
    g_free (regname);

    expect = g_strconcat ("gst:", heap, NULL);
    for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
      GstMemory *mem = gst_allocator_alloc (alloc, sizes[i], NULL);
      GstMapInfo map;
      gchar *name;
      gsize j;

      fail_unless (mem != NULL, "%s: %" G_GSIZE_FORMAT " bytes", heap,
          sizes[i]);
      fail_unless (gst_is_dmabuf_memory (mem));
      fail_unless (gst_is_dma_heap_memory (mem));
      fail_unless_equals_int (mem->size, sizes[i]);

      /* zeroed by the heap */
      fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
      for (j = 0; j < map.size; j += 1021)
        fail_unless_equals_int (map.data[j], 0);
      gst_memory_unmap (mem, &map);

      write_pattern (mem, i);
      check_pattern (mem, i);

      name = fdinfo_name (gst_dmabuf_memory_get_fd (mem));
      fail_unless_equals_string (name, expect);
      g_free (name);

      gst_memory_unref (mem);
    }
    g_free (expect);
    gst_object_unref (alloc);
  }
}

GST_END_TEST;

GST_START_TEST (test_prefix_padding)
{
  const gchar *heap;

  FOREACH_HEAP (heap) {
    GstAllocator *alloc = gst_dma_heap_allocator_get (heap, NULL);
    GstAllocationParams params;
    GstMemory *mem;

    gst_allocation_params_init (&params);
    params.prefix = 128;
    params.padding = 64;
    params.flags = GST_MEMORY_FLAG_ZERO_PREFIXED | GST_MEMORY_FLAG_ZERO_PADDED;
    mem = gst_allocator_alloc (alloc, 4000, &params);
    fail_unless (mem != NULL);
    fail_unless_equals_int (mem->offset, 128);
    fail_unless_equals_int (mem->size, 4000);
    fail_unless (mem->maxsize >= 128 + 4000 + 64);
    /* the flags the memory promises hold after the resize to the prefix */
    fail_unless (GST_MEMORY_FLAG_IS_SET (mem, GST_MEMORY_FLAG_ZERO_PREFIXED),
        "%s: ZERO_PREFIXED lost", heap);
    fail_unless (GST_MEMORY_FLAG_IS_SET (mem, GST_MEMORY_FLAG_ZERO_PADDED),
        "%s: ZERO_PADDED lost", heap);
    {
      GstMapInfo map;
      guint8 *base;
      gsize i;

      /* and they are true: prefix and padding read zero */
      fail_unless (gst_memory_map (mem, &map, GST_MAP_READ));
      base = map.data - 128;
      for (i = 0; i < 128; i++)
        fail_unless_equals_int (base[i], 0);
      for (i = 0; i < 64; i++)
        fail_unless_equals_int (map.data[4000 + i], 0);
      gst_memory_unmap (mem, &map);
    }
    write_pattern (mem, 7);
    check_pattern (mem, 7);
    gst_memory_unref (mem);
    gst_object_unref (alloc);
  }
}

GST_END_TEST;

GST_START_TEST (test_copy_is_system_memory)
{
  const gchar *heap;

  FOREACH_HEAP (heap) {
    GstAllocator *alloc = gst_dma_heap_allocator_get (heap, NULL);
    GstMemory *mem = gst_allocator_alloc (alloc, 65536, NULL);
    GstMemory *copy, *part;
    GstMapInfo a, b;

    write_pattern (mem, 3);
    copy = gst_memory_copy (mem, 0, -1);
    fail_unless (copy != NULL);
    /* a copy is for the CPU: no heap memory spent on it */
    fail_if (gst_is_dmabuf_memory (copy));
    check_pattern (copy, 3);

    part = gst_memory_copy (mem, 100, 50);
    fail_unless_equals_int (part->size, 50);
    fail_unless (gst_memory_map (mem, &a, GST_MAP_READ));
    fail_unless (gst_memory_map (part, &b, GST_MAP_READ));
    fail_unless (memcmp (a.data + 100, b.data, 50) == 0);
    gst_memory_unmap (part, &b);
    gst_memory_unmap (mem, &a);

    gst_memory_unref (part);
    gst_memory_unref (copy);
    gst_memory_unref (mem);
    gst_object_unref (alloc);
  }
}

GST_END_TEST;

GST_START_TEST (test_default_and_errors)
{
  GError *error = NULL;
  GstAllocator *alloc, *found;
  gchar *chosen;

  chosen = gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, &error);
  fail_unless (chosen != NULL);
  alloc = gst_dma_heap_allocator_get (NULL, &error);
  fail_unless (alloc != NULL);
  fail_unless_equals_string (gst_dma_heap_allocator_get_heap_name (alloc),
      chosen);
  found = gst_allocator_find (GST_ALLOCATOR_DMA_HEAP);
  fail_unless (found == alloc);
  gst_object_unref (found);
  gst_object_unref (alloc);
  g_free (chosen);

  fail_unless (gst_dma_heap_allocator_get ("nosuchheap", &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_FOUND));
  /* lists the real heaps */
  fail_unless (strstr (error->message, g_ptr_array_index (heaps, 0)) != NULL,
      "%s", error->message);
  g_clear_error (&error);
}

GST_END_TEST;

/* Our module's heaps answer the query; upstream's (6.12's system) do not. */
GST_START_TEST (test_query)
{
  GPtrArray *list = gst_dma_heap_list (NULL);
  guint i;

  fail_unless (list != NULL);
  for (i = 0; i < list->len; i++) {
    const GstDmaHeapInfo *info = g_ptr_array_index (list, i);
    gchar *sysfs = g_build_filename ("/sys/class/dma_heap_ext", info->name,
        NULL);
    gboolean ours = g_file_test (sysfs, G_FILE_TEST_IS_DIR);
    gchar *desc = gst_dma_heap_info_to_string (info);

    g_print ("  %s\n", desc);
    g_free (desc);
    fail_unless_equals_int (info->queried, ours);
    fail_unless (info->alignment >= 4096);
    if (ours && g_str_equal (info->name, "contiguous"))
      fail_unless (info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS);
    if (ours && g_str_has_prefix (info->name, "system"))
      fail_if (info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS);
    if (ours && g_str_equal (info->name, "system-uncached"))
      fail_if (info->flags & GST_DMA_HEAP_FLAG_CACHED);
    g_free (sysfs);
  }
  g_ptr_array_unref (list);
}

GST_END_TEST;

/* A bounded heap (contiguous) runs out where its own figures say it will:
 * before each allocation of a chunk the heap's largest free extent says
 * whether the chunk fits, and the allocation must agree (ENOMEM when not);
 * its free bytes fall by exactly what is held, so no more chunks than its
 * free bytes hold at the start are ever had; once everything is freed the
 * heap is back to its starting figures and allocates again. Nothing here
 * depends on how the heap's memory happens to lie. */
GST_START_TEST (test_exhaustion)
{
  GstDmaHeapInfo *start = dmaheap_test_require_bounded_heap ();
  GstDmaHeapInfo *now = NULL;
  const gsize chunk = 1 << 20;
  GstAllocator *alloc = gst_dma_heap_allocator_get (start->name, NULL);
  guint64 most = start->free_bytes / chunk;
  GPtrArray *mems;
  GstMemory *mem;
  gboolean ran_out = FALSE;
  guint n;

  fail_unless (alloc != NULL);
  fail_unless (start->max_size >= chunk, "%s: its largest free extent (%"
      G_GUINT64_FORMAT " bytes) is below one chunk", start->name,
      start->max_size);
  mems = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_memory_unref);
  /* one more than the free bytes hold: that one cannot fit */
  for (n = 0; n <= most; n++) {
    gboolean fits;

    now = dmaheap_test_query (start->name);
    fail_unless_equals_uint64 (now->free_bytes,
        start->free_bytes - (guint64) n * chunk);
    fits = now->max_size >= chunk;
    errno = 0;
    mem = gst_allocator_alloc (alloc, chunk, NULL);
    if (!fits) {
      fail_unless (mem == NULL, "%s: chunk %u of %" G_GSIZE_FORMAT " bytes "
          "allocated though the heap's largest free extent was %"
          G_GUINT64_FORMAT " bytes", start->name, n + 1, chunk, now->max_size);
      fail_unless_equals_int (errno, ENOMEM);
      ran_out = TRUE;
      break;
    }
    fail_unless (mem != NULL, "%s: chunk %u of %" G_GSIZE_FORMAT " bytes "
        "failed (%s) though the heap's largest free extent was %"
        G_GUINT64_FORMAT " bytes", start->name, n + 1, chunk,
        g_strerror (errno), now->max_size);
    g_ptr_array_add (mems, mem);
    gst_dma_heap_info_free (now);
    now = NULL;
  }
  fail_unless (ran_out, "%s: %u chunks of %" G_GSIZE_FORMAT " bytes "
      "allocated, more than the %" G_GUINT64_FORMAT " free bytes it said it "
      "had", start->name, n, chunk, start->free_bytes);
  g_print ("  %s: %u x %" G_GSIZE_FORMAT " bytes, then ENOMEM with %"
      G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes free, largest %"
      G_GUINT64_FORMAT "\n", start->name, n, chunk, now->free_bytes,
      now->total_bytes, now->max_size);
  gst_dma_heap_info_free (now);

  g_ptr_array_unref (mems);
  now = dmaheap_test_query (start->name);
  fail_unless_equals_uint64 (now->free_bytes, start->free_bytes);
  fail_unless_equals_uint64 (now->max_size, start->max_size);
  gst_dma_heap_info_free (now);
  mem = gst_allocator_alloc (alloc, chunk, NULL);
  fail_unless (mem != NULL, "%s did not recover", start->name);
  gst_memory_unref (mem);
  gst_object_unref (alloc);
  gst_dma_heap_info_free (start);
}

GST_END_TEST;

static GstBufferPool *
heap_pool_new (const gchar * heap, const gchar * caps_str, guint extra,
    guint min, guint max)
{
  GstBufferPool *pool = gst_dma_heap_buffer_pool_new ();
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstCaps *caps = gst_caps_from_string (caps_str);
  GstAllocationParams params;
  GstVideoInfo info;

  gst_video_info_from_caps (&info, caps);
  gst_allocation_params_init (&params);
  /* as V4L2 dmabuf-import writes it: no allocator, a larger size */
  gst_buffer_pool_config_set_params (config, caps, info.size + extra, min, max);
  gst_buffer_pool_config_set_allocator (config, NULL, &params);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_dma_heap_buffer_pool_config_set_heap (config, heap);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  gst_caps_unref (caps);

  return pool;
}

GST_START_TEST (test_pool_on_heaps)
{
  const gchar *heap;
  guint fds = dmaheap_test_count_fds ();

  FOREACH_HEAP (heap) {
    GstBufferPool *pool = heap_pool_new (heap,
        "video/x-raw,format=NV12,width=640,height=480", 8192, 4, 8);
    GstBuffer *buf;
    GstVideoFrame frame;
    GstVideoInfo info;
    GstCaps *caps = gst_caps_from_string
        ("video/x-raw,format=NV12,width=640,height=480");
    GstMemory *mem;

    gst_video_info_from_caps (&info, caps);
    gst_caps_unref (caps);
    fail_unless (gst_buffer_pool_set_active (pool, TRUE));
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    mem = gst_buffer_peek_memory (buf, 0);
    fail_unless (gst_is_dma_heap_memory (mem));
    fail_unless_equals_string (gst_dma_heap_allocator_get_heap_name
        (mem->allocator), heap);
    fail_unless_equals_int (gst_buffer_get_size (buf), info.size + 8192);

    fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, 1), 0x80, 640 * 240);
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (buf);

    fail_unless (gst_buffer_pool_set_active (pool, FALSE));
    gst_object_unref (pool);
  }
  dmaheap_test_assert_fds (fds);
}

GST_END_TEST;

/* The fd-close workaround on real dma-bufs: each has its own inode. */
GST_START_TEST (test_pool_survives_closed_fd)
{
  const gchar *heap;

  FOREACH_HEAP (heap) {
    guint fds = dmaheap_test_count_fds ();
    GstBufferPool *pool = heap_pool_new (heap,
        "video/x-raw,format=YUY2,width=64,height=64", 0, 1, 1);
    GstBuffer *buf;
    struct stat before, after, other;
    gint fd, null_fd;

    fail_unless (gst_buffer_pool_set_active (pool, TRUE));

    gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
    write_pattern (gst_buffer_peek_memory (buf, 0), 9);
    fd = gst_dmabuf_memory_get_fd (gst_buffer_peek_memory (buf, 0));
    fail_unless_equals_int (fstat (fd, &before), 0);
    close (fd);
    null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd != fd) {
      fail_unless_equals_int (dup2 (null_fd, fd), fd);
      close (null_fd);
    }
    gst_buffer_unref (buf);

    gst_buffer_pool_acquire_buffer (pool, &buf, NULL);
    fail_unless_equals_int (fstat (gst_dmabuf_memory_get_fd
            (gst_buffer_peek_memory (buf, 0)), &after), 0);
    fail_unless (before.st_ino == after.st_ino && before.st_dev ==
        after.st_dev);
    check_pattern (gst_buffer_peek_memory (buf, 0), 9);
    gst_buffer_unref (buf);
    fail_unless_equals_int (gst_dma_heap_buffer_pool_get_fd_renewals (pool), 1);

    fail_unless (gst_buffer_pool_set_active (pool, FALSE));
    gst_object_unref (pool);
    fail_unless_equals_int (fstat (fd, &other), 0);
    fail_unless (S_ISCHR (other.st_mode), "fd %d was closed by the pool", fd);
    close (fd);
    /* the pool's fds are gone, the /dev/null one too */
    dmaheap_test_assert_fds (fds);
  }
}

GST_END_TEST;

static GstFlowReturn
try_acquire (GstBufferPool * pool, GstBuffer ** buf)
{
  GstBufferPoolAcquireParams params = { 0, };

  params.flags = GST_BUFFER_POOL_ACQUIRE_FLAG_DONTWAIT;
  return gst_buffer_pool_acquire_buffer (pool, buf, &params);
}

static gpointer
acquire_thread (gpointer data)
{
  GstBuffer *buf = NULL;

  gst_buffer_pool_acquire_buffer (data, &buf, NULL);
  return buf;
}

/* A buffer that comes back while a device still writes its dma-buf (an
 * unsignalled vgem fence) stays out of circulation, without blocking the
 * thread that released it; the fence signalling brings it back, to a
 * waiting acquire too; a pool stopped meanwhile frees it. */
GST_START_TEST (test_pool_waits_for_fence)
{
  const gchar *heap;
  gint vgem = dmaheap_test_open_vgem ();
  guint fds;

  fds = dmaheap_test_count_fds ();
  FOREACH_HEAP (heap) {
    GstBufferPool *pool = heap_pool_new (heap,
        "video/x-raw,format=YUY2,width=64,height=64", 0, 1, 1);
    GstBuffer *buf, *again = NULL;
    GstMemory *mem;
    guint32 fence, handle;
    gint64 deadline;
    GThread *thread;

    fail_unless (gst_buffer_pool_set_active (pool, TRUE));
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf,
            NULL), GST_FLOW_OK);
    mem = gst_buffer_peek_memory (buf, 0);
    fence = dmaheap_test_attach_fence (vgem, buf, &handle);
    gst_buffer_unref (buf);
    g_usleep (200 * 1000);
    fail_unless (try_acquire (pool, &again) == GST_FLOW_EOS,
        "%s: the buffer was handed out again while a device writes it", heap);
    fail_unless_equals_int (gst_dma_heap_buffer_pool_get_fence_waits (pool), 1);

    /* well before vgem's own 10 s timeout */
    dmaheap_test_signal_fence (vgem, fence, handle);
    deadline = g_get_monotonic_time () + 3 * G_TIME_SPAN_SECOND;
    while (try_acquire (pool, &again) != GST_FLOW_OK) {
      fail_unless (g_get_monotonic_time () < deadline,
          "%s: the buffer did not come back after its fence signalled", heap);
      g_usleep (10 * 1000);
    }
    fail_unless (gst_buffer_peek_memory (again, 0) == mem);

    /* an acquire waiting for the only buffer wakes when the fence signals */
    fence = dmaheap_test_attach_fence (vgem, again, &handle);
    gst_buffer_unref (again);
    thread = g_thread_new ("acquire", acquire_thread, pool);
    g_usleep (200 * 1000);
    dmaheap_test_signal_fence (vgem, fence, handle);
    again = g_thread_join (thread);
    fail_unless (again != NULL);
    fail_unless (gst_buffer_peek_memory (again, 0) == mem);

    /* stopped with a fenced buffer: freed, its sync_file closed; the
     * pool's fence task lets go of the pool soon after */
    fence = dmaheap_test_attach_fence (vgem, again, &handle);
    gst_buffer_unref (again);
    fail_unless (gst_buffer_pool_set_active (pool, FALSE));
    g_object_add_weak_pointer (G_OBJECT (pool), (gpointer *) & pool);
    gst_object_unref (pool);
    deadline = g_get_monotonic_time () + 3 * G_TIME_SPAN_SECOND;
    while (pool && g_get_monotonic_time () < deadline)
      g_usleep (10 * 1000);
    fail_unless (pool == NULL, "%s: the pool was not freed 3 s after its "
        "last unref (its fence task holds it)", heap);
    dmaheap_test_signal_fence (vgem, fence, handle);
    dmaheap_test_assert_fds (fds);
  }
  close (vgem);
}

GST_END_TEST;

GST_START_TEST (test_no_fd_leak)
{
  const gchar *heap;
  guint fds = dmaheap_test_count_fds ();

  FOREACH_HEAP (heap) {
    GstAllocator *alloc = gst_dma_heap_allocator_get (heap, NULL);
    guint i;

    for (i = 0; i < 200; i++) {
      GstMemory *mem = gst_allocator_alloc (alloc, 4096 * (1 + i % 7), NULL);

      fail_unless (mem != NULL);
      gst_memory_unref (mem);
    }
    gst_object_unref (alloc);
  }
  dmaheap_test_assert_fds (fds);
}

GST_END_TEST;

static Suite *
dmaheapallocator_suite (void)
{
  Suite *s = suite_create ("dmaheapallocator");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_allocate);
  tcase_add_test (tc, test_prefix_padding);
  tcase_add_test (tc, test_copy_is_system_memory);
  tcase_add_test (tc, test_default_and_errors);
  tcase_add_test (tc, test_query);
  dmaheap_test_add_test_unless (tc, test_exhaustion,
      dmaheap_test_bounded_heap_missing ());
  tcase_add_test (tc, test_pool_on_heaps);
  tcase_add_test (tc, test_pool_survives_closed_fd);
  dmaheap_test_add_test_unless (tc, test_pool_waits_for_fence,
      dmaheap_test_vgem_missing ());
  tcase_add_test (tc, test_no_fd_leak);

  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  gst_check_init (&argc, &argv);
  heaps = dmaheap_test_require_heaps ();
  s = dmaheapallocator_suite ();

  return gst_check_run_suite (s, "dmaheapallocator", __FILE__);
}
