/* GStreamer dma-buf heap support: GStreamer 1.28's GstVideoDmabufPool and
 * udmabuf memory meet libgstdmaheap and dmaheapalloc
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* GStreamer 1.28 has a video pool of its own for dma-bufs,
 * GstVideoDmabufPool: it takes any GstDmaBufAllocator that allocates
 * (else it puts GstUdmabufAllocator, memfd pages made dma-bufs through
 * /dev/udmabuf, in its place), aligns strides to 256 bytes and gives a
 * buffer back only once its dma-buf's fences have signalled. waylandsink
 * proposes it upstream. Here, on real heaps (the VM's check suite):
 * - the pool configured with a heap's allocator keeps it: heap memory, the
 *   pool's alignment, buffers reused, nothing left open;
 * - udmabuf memory into dmaheapalloc is copied into heap memory, pixel for
 *   pixel whatever its strides;
 * - a GstVideoDmabufPool offered by downstream is left unused: dmaheapalloc
 *   pushes heap memory (what every device can use) and never starts it. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <gst/allocators/gstudmabufallocator.h>
#include <gst/video/video.h>

static GPtrArray *heaps;

#define CAPS_NV12 "video/x-raw,format=NV12,width=320,height=240,framerate=30/1"

/* GstVideoDmabufPool's stride alignment (a mask of 255): its own rule */
#define POOL_STRIDE_ALIGN 256

/* @pool configured for @caps with @allocator (NULL: the pool's choice), as
 * a GstBufferPool user must: the pool refuses the first config and
 * returns an updated one (its alignment), which the second call takes. */
static void
configure (GstBufferPool * pool, GstCaps * caps, GstAllocator * allocator)
{
  GstStructure *config = gst_buffer_pool_get_config (pool);
  GstVideoInfo info;

  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_buffer_pool_config_set_params (config, caps, info.size, 0, 0);
  if (allocator)
    gst_buffer_pool_config_set_allocator (config, allocator, NULL);
  gst_buffer_pool_config_add_option (config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_config_add_option (config,
      GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
  if (!gst_buffer_pool_set_config (pool, config)) {
    config = gst_buffer_pool_get_config (pool);
    fail_unless (gst_buffer_pool_config_validate_params (config, caps,
            info.size, 0, 0));
    fail_unless (gst_buffer_pool_set_config (pool, config),
        "the pool refuses its own updated config");
  }
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));
}

/* Every plane of @buf (mapped as a frame of @info) filled from @seed
 * (planar and semi-planar formats: component p is in plane p). */
static void
fill_frame (GstBuffer * buf, GstVideoInfo * info, guint8 seed)
{
  GstVideoFrame frame;
  guint p, x;
  gint y;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    guint w = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);

    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p); y++)
      for (x = 0; x < w; x++)
        data[y * stride + x] = seed + 7 * p + 31 * y + x;
  }
  gst_video_frame_unmap (&frame);
}

/* @buf holds what fill_frame (@seed) wrote, in its own layout. */
static void
check_frame (GstBuffer * buf, GstVideoInfo * info, guint8 seed)
{
  GstVideoFrame frame;
  guint p, x;
  gint y;

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (&frame); p++) {
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p);
    guint w = GST_VIDEO_FRAME_COMP_WIDTH (&frame, p) *
        GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, p);

    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p); y++)
      for (x = 0; x < w; x++)
        fail_unless_equals_int (data[y * stride + x],
            (guint8) (seed + 7 * p + 31 * y + x));
  }
  gst_video_frame_unmap (&frame);
}

static gboolean
all_heap_memory (GstBuffer * buf)
{
  guint i;

  for (i = 0; i < gst_buffer_n_memory (buf); i++)
    if (!gst_is_dma_heap_memory (gst_buffer_peek_memory (buf, i)))
      return FALSE;

  return TRUE;
}

static guint64
stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *s;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v));
  gst_structure_free (s);

  return v;
}

/* One start and stop of a GstVideoDmabufPool of its own choice. */
static void
pool_cycle (GstCaps * caps)
{
  GstBufferPool *pool = gst_video_dmabuf_pool_new ();
  GstBuffer *buf;

  configure (pool, caps, NULL);
  fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
      GST_FLOW_OK);
  gst_buffer_unref (buf);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
}

/* Each heap's allocator inside GstVideoDmabufPool: the pool keeps it (it
 * is a GstDmaBufAllocator that allocates), its buffers are that heap's
 * memory with the pool's strides, a released buffer comes back (through
 * the pool's wait for the dma-buf's fences) and nothing stays open. */
GST_START_TEST (test_pool_keeps_heap_allocator)
{
  GstCaps *caps = gst_caps_from_string (CAPS_NV12);
  guint fds, h_i;

  /* The pool's first life (a buffer taken and given back) leaves an
   * eventfd open for the process's life (1.28.8, with udmabuf memory
   * alone; no more at later lives): counted before, not as ours. */
  pool_cycle (caps);
  fds = dmaheap_test_count_fds ();

  for (h_i = 0; h_i < heaps->len; h_i++) {
    const gchar *heap = g_ptr_array_index (heaps, h_i);
    GstAllocator *alloc = gst_dma_heap_allocator_get (heap, NULL);
    GstBufferPool *pool = gst_video_dmabuf_pool_new ();
    GstAllocator *used = NULL;
    GstStructure *config;
    GstBuffer *buf, *again;
    GstVideoMeta *meta;
    GstMemory *mem;
    guint p;

    fail_unless (alloc != NULL, "%s", heap);
    configure (pool, caps, alloc);
    config = gst_buffer_pool_get_config (pool);
    fail_unless (gst_buffer_pool_config_get_allocator (config, &used, NULL));
    fail_unless (used == alloc, "%s: the pool put %" GST_PTR_FORMAT
        " in the heap allocator's place", heap, used);
    gst_structure_free (config);

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &buf, NULL),
        GST_FLOW_OK);
    fail_unless (all_heap_memory (buf), "%s: not heap memory", heap);
    mem = gst_buffer_peek_memory (buf, 0);
    fail_unless_equals_string (gst_dma_heap_allocator_get_heap_name
        (mem->allocator), heap);
    meta = gst_buffer_get_video_meta (buf);
    fail_unless (meta != NULL);
    for (p = 0; p < meta->n_planes; p++)
      fail_unless (meta->stride[p] % POOL_STRIDE_ALIGN == 0,
          "%s: plane %u stride %d", heap, p, meta->stride[p]);
    gst_buffer_unref (buf);

    /* the same memory again: released, not freed */
    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &again,
            NULL), GST_FLOW_OK);
    fail_unless (gst_buffer_peek_memory (again, 0) == mem,
        "%s: the released buffer did not come back", heap);
    gst_buffer_unref (again);

    fail_unless (gst_buffer_pool_set_active (pool, FALSE));
    gst_object_unref (pool);
    gst_object_unref (alloc);
  }
  dmaheap_test_assert_fds (fds);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* udmabuf memory (GstVideoDmabufPool's own choice) into dmaheapalloc: not
 * heap memory, so copied into the heap pool, the pixels the same in the
 * heap pool's layout although the strides differ (256-aligned in). */
GST_START_TEST (test_udmabuf_copied_into_heap)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstCaps *caps = gst_caps_from_string (CAPS_NV12);
  GstBufferPool *pool = gst_video_dmabuf_pool_new ();
  GstAllocator *udmabuf = gst_udmabuf_allocator_get ();
  GstVideoInfo info;
  guint i;

  fail_unless (udmabuf != NULL, "no udmabuf allocator (/dev/udmabuf)");
  fail_unless (gst_video_info_from_caps (&info, caps));
  configure (pool, caps, NULL);
  gst_harness_set_src_caps (h, gst_caps_ref (caps));

  for (i = 0; i < 5; i++) {
    GstBuffer *in, *out;
    GstVideoMeta *meta;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &in, NULL),
        GST_FLOW_OK);
    fail_unless (gst_memory_is_type (gst_buffer_peek_memory (in, 0),
            GST_ALLOCATOR_UDMABUF));
    meta = gst_buffer_get_video_meta (in);
    fail_unless (meta && meta->stride[0] != (gint) info.stride[0],
        "the udmabuf frame has the default layout: the test proves nothing");
    fill_frame (in, &info, i);
    GST_BUFFER_PTS (in) = i * GST_SECOND;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);

    out = gst_harness_pull (h);
    fail_unless (all_heap_memory (out), "dmaheapalloc pushed no heap memory");
    check_frame (out, &info, i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 5);
  fail_unless_equals_uint64 (stat_u64 (h->element, "passthrough"), 0);

  gst_harness_teardown (h);
  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_object_unref (udmabuf);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* What waylandsink does on 1.28: a GstVideoDmabufPool in its ALLOCATION
 * answer, added to whatever else downstream says. */
static GstPadProbeReturn
offer_dmabuf_pool (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstBufferPool **offered = data;
  GstCaps *caps;
  GstVideoInfo vinfo;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_parse_allocation (query, &caps, NULL);
  fail_unless (gst_video_info_from_caps (&vinfo, caps));
  if (!*offered)
    *offered = gst_video_dmabuf_pool_new ();
  gst_query_add_allocation_pool (query, *offered, vinfo.size, 2, 0);
  if (!gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);

  return GST_PAD_PROBE_OK;
}

/* dmaheapalloc is there to push heap memory: a GstVideoDmabufPool offered
 * by downstream is never configured or started, the frames downstream gets
 * are heap memory. */
GST_START_TEST (test_downstream_dmabuf_pool_unused)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GstBufferPool *offered = NULL;
  GstVideoInfo info;
  GstCaps *caps = gst_caps_from_string (CAPS_NV12);
  guint i;

  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_PULL, offer_dmabuf_pool, &offered, NULL);
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_harness_set_src_caps (h, gst_caps_ref (caps));

  for (i = 0; i < 3; i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, info.size, NULL), *out;

    fill_frame (in, &info, i);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (all_heap_memory (out), "not heap memory downstream");
    check_frame (out, &info, i);
    gst_buffer_unref (out);
  }
  fail_unless (offered != NULL, "downstream was never asked for a pool: "
      "the test proves nothing");
  fail_unless (!gst_buffer_pool_is_active (offered),
      "dmaheapalloc started downstream's GstVideoDmabufPool");

  gst_harness_teardown (h);
  gst_object_unref (srcpad);
  gst_object_unref (offered);
  gst_caps_unref (caps);
}

GST_END_TEST;

static Suite *
videodmabufpool_suite (void)
{
  Suite *s = suite_create ("videodmabufpool");
  TCase *tc = tcase_create ("general");
  GstAllocator *udmabuf = gst_udmabuf_allocator_get ();

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_pool_keeps_heap_allocator);
  dmaheap_test_add_test_unless (tc, test_udmabuf_copied_into_heap,
      udmabuf ? NULL : "no /dev/udmabuf (CONFIG_UDMABUF)");
  tcase_add_test (tc, test_downstream_dmabuf_pool_unused);
  if (udmabuf)
    gst_object_unref (udmabuf);

  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  gst_check_init (&argc, &argv);
  heaps = dmaheap_test_require_heaps ();
  s = videodmabufpool_suite ();

  return gst_check_run_suite (s, "videodmabufpool", __FILE__);
}
