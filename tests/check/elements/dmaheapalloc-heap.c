/* GStreamer dma-buf heap support: the dmaheapalloc element on real heaps
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Needs /dev/dma_heap: SKIPs on the host, runs in the VM. Passthrough and
 * copies, renegotiation, flushing, a frame too large for a heap, fd leaks,
 * and videotestsrc writing into the element's pool with zero copies. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"
#include "dmaheapvgem.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static GPtrArray *heaps;

#define CAPS_320 "video/x-raw,format=NV12,width=320,height=240,framerate=30/1"
#define CAPS_640 "video/x-raw,format=NV12,width=640,height=480,framerate=30/1"

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

static guint
stat_uint (GstElement * e, const gchar * field)
{
  GstStructure *s;
  guint v = G_MAXUINT;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint (s, field, &v));
  gst_structure_free (s);

  return v;
}

static GstBuffer *
sysmem_frame (gsize size, guint8 seed, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = seed + i;
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = pts;

  return buf;
}

static void
check_frame (GstBuffer * buf, gsize size, guint8 seed)
{
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (map.size >= size);
  for (i = 0; i < size; i += 97)
    fail_unless_equals_int (map.data[i], (guint8) (seed + i));
  gst_buffer_unmap (buf, &map);
}

static gboolean
all_heap_memory (GstBuffer * buf, const gchar * heap)
{
  guint i;

  for (i = 0; i < gst_buffer_n_memory (buf); i++) {
    GstMemory *mem = gst_buffer_peek_memory (buf, i);

    if (!gst_is_dma_heap_memory (mem))
      return FALSE;
    if (heap && !g_str_equal (gst_dma_heap_allocator_get_heap_name
            (mem->allocator), heap))
      return FALSE;
  }

  return TRUE;
}

/* System memory in, heap memory out, the same pixels and timestamps. */
GST_START_TEST (test_copies_system_memory)
{
  const gchar *heap;
  guint i, h_i;

  for (h_i = 0; h_i < heaps->len; h_i++) {
    GstHarness *h = gst_harness_new ("dmaheapalloc");
    gsize size = 320 * 240 * 3 / 2;

    heap = g_ptr_array_index (heaps, h_i);
    gst_harness_set (h, "dmaheapalloc", "heap", heap, NULL);
    gst_harness_set_src_caps_str (h, CAPS_320);

    for (i = 0; i < 5; i++) {
      GstBuffer *out;

      fail_unless_equals_int (gst_harness_push (h, sysmem_frame (size, i,
                  i * GST_SECOND)), GST_FLOW_OK);
      out = gst_harness_pull (h);
      fail_unless (all_heap_memory (out, heap), "%s", heap);
      check_frame (out, size, i);
      fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND);
      gst_buffer_unref (out);
    }
    fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 5);
    fail_unless_equals_uint64 (stat_u64 (h->element, "passthrough"), 0);
    fail_unless (stat_uint (h->element, "allocations") >= 1);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Upstream takes the pool of the ALLOCATION answer: its buffers pass. */
GST_START_TEST (test_passthrough_of_pool_buffers)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstCaps *caps = gst_caps_from_string (CAPS_320);
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstBufferPool *pool = NULL;
  GstStructure *config;
  guint i;

  gst_harness_set_src_caps (h, gst_caps_ref (caps));
  fail_unless (gst_pad_peer_query (h->srcpad, query));
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  fail_unless (pool != NULL);
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, 320 * 240 * 3 / 2, 2, 0);
  fail_unless (gst_buffer_pool_set_config (pool, config));
  fail_unless (gst_buffer_pool_set_active (pool, TRUE));

  for (i = 0; i < 6; i++) {
    GstBuffer *in, *out;

    fail_unless_equals_int (gst_buffer_pool_acquire_buffer (pool, &in, NULL),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out == in);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 0);
  fail_unless_equals_uint64 (stat_u64 (h->element, "passthrough"), 6);
  fail_unless_equals_int (stat_uint (h->element, "pool-size"), 2);

  fail_unless (gst_buffer_pool_set_active (pool, FALSE));
  gst_object_unref (pool);
  gst_query_unref (query);
  gst_caps_unref (caps);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Heap memory with a layout downstream cannot read (no GstVideoMeta
 * downstream) is copied into the default layout. */
GST_START_TEST (test_odd_stride_without_downstream_meta)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstAllocator *alloc = gst_dma_heap_allocator_get (g_ptr_array_index (heaps,
          0), NULL);
  GstVideoInfo info;
  GstBuffer *in, *out;
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, 384 * 240 };
  gint stride[GST_VIDEO_MAX_PLANES] = { 384, 384 };
  GstCaps *caps = gst_caps_from_string (CAPS_320);

  gst_video_info_from_caps (&info, caps);
  gst_harness_set_src_caps (h, caps);

  in = gst_buffer_new ();
  gst_buffer_append_memory (in, gst_allocator_alloc (alloc, 384 * 360, NULL));
  gst_buffer_add_video_meta_full (in, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_NV12, 320, 240, 2, offset, stride);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (all_heap_memory (out, NULL));
  {
    GstVideoMeta *meta = gst_buffer_get_video_meta (out);

    fail_unless (meta == NULL || meta->stride[0] == info.stride[0]);
  }
  gst_buffer_unref (out);
  fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 1);

  /* downstream that reads GstVideoMeta gets it as it is */
  gst_harness_add_propose_allocation_meta (h, GST_VIDEO_META_API_TYPE, NULL);
  gst_harness_set_src_caps_str (h, CAPS_640);
  gst_harness_set_src_caps_str (h, CAPS_320);
  in = gst_buffer_new ();
  gst_buffer_append_memory (in, gst_allocator_alloc (alloc, 384 * 360, NULL));
  gst_buffer_add_video_meta_full (in, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_FORMAT_NV12, 320, 240, 2, offset, stride);
  /* the element learns downstream's metas when it asks, at a copy or an
   * ALLOCATION query */
  {
    GstCaps *c = gst_caps_from_string (CAPS_320);
    GstQuery *q = gst_query_new_allocation (c, TRUE);

    fail_unless (gst_pad_peer_query (h->srcpad, q));
    gst_query_unref (q);
    gst_caps_unref (c);
  }
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out == in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);

  gst_object_unref (alloc);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_renegotiation)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstBuffer *out;
  guint i;

  gst_harness_set_src_caps_str (h, CAPS_320);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (h,
            sysmem_frame (320 * 240 * 3 / 2, i, GST_CLOCK_TIME_NONE)),
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }

  gst_harness_set_src_caps_str (h, CAPS_640);
  for (i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (h,
            sysmem_frame (640 * 480 * 3 / 2, i, GST_CLOCK_TIME_NONE)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (all_heap_memory (out, NULL));
    fail_unless (gst_buffer_get_size (out) >= 640 * 480 * 3 / 2);
    check_frame (out, 640 * 480 * 3 / 2, i);
    gst_buffer_unref (out);
  }
  fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 6);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flushing)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  guint i;

  gst_harness_set_src_caps_str (h, CAPS_320);
  for (i = 0; i < 4; i++) {
    fail_unless_equals_int (gst_harness_push (h,
            sysmem_frame (320 * 240 * 3 / 2, i, GST_CLOCK_TIME_NONE)),
        GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
    if (i == 1) {
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
      gst_harness_push_event (h, gst_event_new_segment (&(GstSegment) {
              .format = GST_FORMAT_TIME,.rate = 1.0,.applied_rate =
                1.0,.stop = GST_CLOCK_TIME_NONE,.duration = GST_CLOCK_TIME_NONE}
          ));
    }
  }
  fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 4);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A frame in a buffer of @alloc, the pixels as sysmem_frame()'s. */
static GstBuffer *
heap_frame (GstAllocator * alloc, gsize size, guint8 seed)
{
  GstBuffer *buf = gst_buffer_new ();
  GstMapInfo map;
  gsize i;

  gst_buffer_append_memory (buf, gst_allocator_alloc (alloc, size, NULL));
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = seed + i;
  gst_buffer_unmap (buf, &map);

  return buf;
}

/* Issue 24 item 9: memory of another heap than the one `heap` names (or
 * the heap-rules rule for the stream) is copied into that heap, pixels
 * kept; memory of that heap passes. */
GST_START_TEST (test_other_heap_copied)
{
  const gchar *want = g_ptr_array_index (heaps, 0);
  const gchar *other = g_ptr_array_index (heaps, 1);
  GstAllocator *want_alloc = gst_dma_heap_allocator_get (want, NULL);
  GstAllocator *other_alloc = gst_dma_heap_allocator_get (other, NULL);
  gsize size = 320 * 240 * 3 / 2;
  gchar *rules = g_strdup_printf ("video/x-raw,format=NV12:%s", want);
  const gchar *settings[][2] = { {"heap", want}, {"heap-rules", rules} };
  guint i;

  fail_unless (want_alloc != NULL && other_alloc != NULL);
  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    GstHarness *h = gst_harness_new ("dmaheapalloc");
    GstBuffer *in, *out;

    gst_harness_set (h, "dmaheapalloc", settings[i][0], settings[i][1], NULL);
    gst_harness_set_src_caps_str (h, CAPS_320);

    in = heap_frame (other_alloc, size, 7);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_if (out == in, "%s=%s: %s memory passed through", settings[i][0],
        settings[i][1], other);
    fail_unless (all_heap_memory (out, want));
    check_frame (out, size, 7);
    gst_buffer_unref (out);
    gst_buffer_unref (in);

    in = heap_frame (want_alloc, size, 9);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out == in);
    gst_buffer_unref (out);
    gst_buffer_unref (in);

    fail_unless_equals_uint64 (stat_u64 (h->element, "copies"), 1);
    fail_unless_equals_uint64 (stat_u64 (h->element, "passthrough"), 1);
    gst_harness_teardown (h);
  }

  g_free (rules);
  gst_object_unref (want_alloc);
  gst_object_unref (other_alloc);
}

GST_END_TEST;

/* BGRx frames 1024 pixels wide: one line is one 4096-byte page, so a frame
 * of any whole number of pages can be asked for. */
#define LINE_BYTES 4096

static gchar *
bgrx_caps_of_lines (guint64 lines)
{
  return g_strdup_printf ("video/x-raw,format=BGRx,width=%u,height=%"
      G_GUINT64_FORMAT, LINE_BYTES / 4, lines);
}

/* Pushes a frame of @lines lines through a dmaheapalloc on @heap; returns
 * the flow, the output in @out (when one came) and the error posted, if
 * any, in @error. The harness is returned to tear down later: it keeps the
 * element, and so its pool's buffers, alive. */
static GstHarness *
push_frame_of_lines (const gchar * heap, guint64 lines, GstFlowReturn * ret,
    GstBuffer ** out, GError ** error)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstBus *bus = gst_bus_new ();
  gchar *caps = bgrx_caps_of_lines (lines);
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  gst_harness_set (h, "dmaheapalloc", "heap", heap, NULL);
  gst_harness_set_src_caps_str (h, caps);
  *ret = gst_harness_push (h, gst_buffer_new_allocate (NULL,
          lines * LINE_BYTES, NULL));
  *out = *ret == GST_FLOW_OK ? gst_harness_pull (h) : NULL;
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    gst_message_parse_error (msg, error, NULL);
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  g_free (caps);

  return h;
}

/* A frame one page larger than the largest free extent the heap says it
 * has cannot come from it: a clear error naming the heap. A frame of
 * exactly that extent can. */
GST_START_TEST (test_frame_too_large)
{
  GstDmaHeapInfo *bounded = dmaheap_test_require_bounded_heap ();
  guint64 lines = bounded->max_size / LINE_BYTES;
  GstFlowReturn ret;
  GstBuffer *out;
  GError *error = NULL;
  GstHarness *h;

  fail_unless (lines > 0 && lines * LINE_BYTES == bounded->max_size,
      "%s: largest free extent %" G_GUINT64_FORMAT " is not whole pages",
      bounded->name, bounded->max_size);

  h = push_frame_of_lines (bounded->name, lines + 1, &ret, &out, &error);
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  fail_unless (error != NULL, "%s: no error for a frame of %" G_GUINT64_FORMAT
      " bytes, the heap's largest free extent being %" G_GUINT64_FORMAT,
      bounded->name, (lines + 1) * LINE_BYTES, bounded->max_size);
  g_print ("  %s, largest free extent %" G_GUINT64_FORMAT ", a frame of %"
      G_GUINT64_FORMAT " bytes: %s\n", bounded->name, bounded->max_size,
      (lines + 1) * LINE_BYTES, error->message);
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  fail_unless (strstr (error->message, bounded->name) != NULL, "%s",
      error->message);
  g_clear_error (&error);
  gst_harness_teardown (h);

  h = push_frame_of_lines (bounded->name, lines, &ret, &out, &error);
  fail_unless_equals_int (ret, GST_FLOW_OK);
  fail_unless (error == NULL, "%s: a frame of its largest free extent, %"
      G_GUINT64_FORMAT " bytes: %s", bounded->name, bounded->max_size,
      error ? error->message : "");
  fail_unless (all_heap_memory (out, bounded->name));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  gst_dma_heap_info_free (bounded);
}

GST_END_TEST;

/* A bounded heap that runs out while frames are held. The frames are sized
 * from what the heap says, not from how its memory happens to lie: the
 * first fits in its largest free extent, and one more frame than its free
 * bytes hold is pushed at most. Before each push the heap's own figure (its
 * largest free extent) says whether that frame fits, and the element must
 * agree; when it does not fit, the error a user sees names the heap, the
 * size asked, ENOMEM, what the heap has left (the figures it gave just
 * before) and what to do - and only one error comes. */
GST_START_TEST (test_heap_exhausted)
{
  GstDmaHeapInfo *start = dmaheap_test_require_bounded_heap ();
  GstDmaHeapInfo *now = NULL;
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstBus *bus = gst_bus_new ();
  /* about three frames in the free bytes, the first in the largest free
   * extent, whole pages */
  guint64 lines = MIN (start->free_bytes / 3, start->max_size) / LINE_BYTES;
  gsize size = lines * LINE_BYTES;
  guint64 most = start->free_bytes / size;
  GPtrArray *held = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gchar *caps, *expect;
  GstMessage *msg;
  GError *error = NULL;
  gboolean ran_out = FALSE;
  guint n;

  fail_unless (lines > 0, "%s: %" G_GUINT64_FORMAT " bytes free", start->name,
      start->free_bytes);
  caps = bgrx_caps_of_lines (lines);
  gst_element_set_bus (h->element, bus);
  gst_harness_set (h, "dmaheapalloc", "heap", start->name, NULL);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);

  for (n = 0; n <= most; n++) {
    GstFlowReturn ret;
    gboolean fits;

    now = dmaheap_test_query (start->name);
    fits = now->max_size >= size;
    ret = gst_harness_push (h, gst_buffer_new_allocate (NULL, size, NULL));
    if (!fits) {
      fail_unless_equals_int (ret, GST_FLOW_ERROR);
      ran_out = TRUE;
      break;
    }
    fail_unless_equals_int (ret, GST_FLOW_OK);
    /* held here: the frame's heap memory stays allocated */
    g_ptr_array_add (held, gst_harness_pull (h));
    fail_unless (all_heap_memory (g_ptr_array_index (held, n), start->name),
        "frame %u is not from %s", n + 1, start->name);
    gst_dma_heap_info_free (now);
    now = NULL;
  }
  fail_unless (ran_out, "%u frames of %" G_GSIZE_FORMAT " bytes fit in %s, "
      "which said it had %" G_GUINT64_FORMAT " bytes free", n, size,
      start->name, start->free_bytes);
  fail_unless (n >= 1, "%s: the first frame did not fit", start->name);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error posted");
  gst_message_parse_error (msg, &error, NULL);
  gst_message_unref (msg);
  g_print ("  %s exhausted after %u frames of %" G_GSIZE_FORMAT " bytes: %s\n",
      start->name, n, size, error->message);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), "%s", error->message);
  expect = g_strdup_printf ("Heap %s cannot give a buffer of %" G_GSIZE_FORMAT
      " bytes (%s)", start->name, size, g_strerror (ENOMEM));
  fail_unless (strstr (error->message, expect) != NULL, "%s\nlacks: %s",
      error->message, expect);
  g_free (expect);
  expect = g_strdup_printf ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " bytes free, the largest buffer it can give now is %" G_GUINT64_FORMAT
      " bytes", now->free_bytes, now->total_bytes, now->max_size);
  fail_unless (strstr (error->message, expect) != NULL, "%s\nlacks: %s",
      error->message, expect);
  g_free (expect);
  fail_unless (strstr (error->message, "heap=system") != NULL, "%s",
      error->message);
  /* one error, not ours and then a vaguer one */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL, "a second error after ours");

  g_error_free (error);
  gst_dma_heap_info_free (now);
  g_ptr_array_unref (held);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  gst_dma_heap_info_free (start);
}

GST_END_TEST;

static void
run_pipeline (const gchar * desc, guint64 * copies, guint64 * passthrough)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *alloc;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &error, &dbg);
    fail ("%s: %s (%s)", desc, error->message, GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);

  alloc = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  *copies = stat_u64 (alloc, "copies");
  *passthrough = stat_u64 (alloc, "passthrough");
  gst_object_unref (alloc);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* videotestsrc takes the element's pool: zero copies. And no fd leaks. */
GST_START_TEST (test_videotestsrc_zero_copy)
{
  guint i, fds = 0;

  for (i = 0; i < heaps->len; i++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 ! "
        "video/x-raw,format=NV12,width=320,height=240 ! "
        "dmaheapalloc name=a heap=%s ! fakesink",
        (gchar *) g_ptr_array_index (heaps, i));
    guint64 copies, passthrough;

    run_pipeline (desc, &copies, &passthrough);
    g_print ("  %s: copies %" G_GUINT64_FORMAT ", passthrough %"
        G_GUINT64_FORMAT "\n", desc, copies, passthrough);
    fail_unless_equals_uint64 (copies, 0);
    fail_unless_equals_uint64 (passthrough, 30);

    /* every heap was opened (and stays open) before the first run */
    if (i == 0)
      fds = dmaheap_test_count_fds ();
    g_free (desc);
  }

  for (i = 0; i < 3; i++) {
    guint64 copies, passthrough;

    run_pipeline ("videotestsrc num-buffers=10 ! video/x-raw,format=I420 ! "
        "dmaheapalloc name=a ! fakesink", &copies, &passthrough);
    fail_unless_equals_uint64 (copies, 0);
  }
  dmaheap_test_assert_fds (fds);
}

GST_END_TEST;

/* ---- a consumer that leaves a fence on every frame ---- */

/* A frame fakesink handed over, its dma-buf fenced by "the device" (vgem)
 * until the signaller lets go of it 300 ms later. */
typedef struct
{
  gint fd;                      /* a dup of the dma-buf; -1 ends the signaller */
  gsize size;
  guint32 sum, fence, handle;
  gint64 signal_at;
} FencedFrame;

typedef struct
{
  gint vgem;
  GAsyncQueue *frames;
  gint overwritten;             /* atomic */
  guint handed;
  GHashTable *inodes;           /* the dma-bufs seen */
} FenceConsumer;

static guint32
checksum_fd (gint fd, gsize size)
{
  guint8 *p = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  guint32 h = 2166136261u;
  gsize i;

  fail_unless (p != MAP_FAILED);
  for (i = 0; i < size; i++)
    h = (h ^ p[i]) * 16777619u;
  munmap (p, size);

  return h;
}

static void
fence_each_frame (GstElement * sink, GstBuffer * buf, GstPad * pad,
    FenceConsumer * c)
{
  FencedFrame *f = g_new0 (FencedFrame, 1);
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);
  struct stat st;

  fail_unless (gst_is_dmabuf_memory (mem));
  f->fd = dup (gst_dmabuf_memory_get_fd (mem));
  f->size = gst_buffer_get_size (buf);
  f->sum = checksum_fd (f->fd, f->size);
  fail_unless_equals_int (fstat (f->fd, &st), 0);
  g_hash_table_add (c->inodes, GUINT_TO_POINTER ((guint) st.st_ino));
  f->fence = dmaheap_test_attach_fence (c->vgem, buf, &f->handle);
  f->signal_at = g_get_monotonic_time () + 300 * 1000;
  c->handed++;
  g_async_queue_push (c->frames, f);
}

/* The device finishing: each frame is still what it was when it was handed
 * over, until its fence signals. */
static gpointer
signaller (gpointer data)
{
  FenceConsumer *c = data;
  FencedFrame *f;

  while ((f = g_async_queue_pop (c->frames)) && f->fd >= 0) {
    gint64 wait = f->signal_at - g_get_monotonic_time ();

    if (wait > 0)
      g_usleep (wait);
    if (checksum_fd (f->fd, f->size) != f->sum)
      g_atomic_int_inc (&c->overwritten);
    dmaheap_test_signal_fence (c->vgem, f->fence, f->handle);
    close (f->fd);
    g_free (f);
  }
  g_free (f);

  return NULL;
}

/* videotestsrc writes into the pool's buffers while a consumer's device
 * still uses those it handed back (a 300 ms vgem fence on each): every frame
 * comes back fenced and is held out of circulation (fence-waits), none is
 * written before its fence signals, and still no copies. (A CPU writer that
 * maps through DMA_BUF_IOCTL_SYNC, as videotestsrc does, is also made to
 * wait by the kernel: without the pool's check the frames stay intact too,
 * but the producer stalls on each reused buffer; fence-waits tells.) */
GST_START_TEST (test_fenced_consumer)
{
  FenceConsumer c = { 0, };
  FencedFrame *end = g_new0 (FencedFrame, 1);
  GstElement *pipeline, *sink, *alloc;
  GstStructure *stats;
  GError *error = NULL;
  GThread *thread;
  guint fence_waits = 0;
  gchar *str;
  GstMessage *msg;
  gchar *desc;

  c.vgem = dmaheap_test_open_vgem ();
  c.frames = g_async_queue_new ();
  c.inodes = g_hash_table_new (NULL, NULL);
  thread = g_thread_new ("signaller", signaller, &c);
  desc = g_strdup_printf ("videotestsrc pattern=ball num-buffers=30 ! "
      "video/x-raw,format=BGRx,width=64,height=64 ! dmaheapalloc name=a "
      "heap=%s ! fakesink name=sink signal-handoffs=true sync=false",
      (gchar *) g_ptr_array_index (heaps, 0));
  pipeline = gst_parse_launch (desc, &error);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (fence_each_frame), &c);
  gst_object_unref (sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "%s: %"
      GST_PTR_FORMAT, desc, msg);
  gst_message_unref (msg);
  alloc = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  fail_unless_equals_uint64 (stat_u64 (alloc, "copies"), 0);
  g_object_get (alloc, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "fence-waits", &fence_waits));
  gst_object_unref (alloc);

  end->fd = -1;
  g_async_queue_push (c.frames, end);
  g_thread_join (thread);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  str = gst_structure_to_string (stats);
  g_print ("  %s: %u frames fenced in %u dma-bufs, %d written while "
      "fenced; %s\n", desc, c.handed, g_hash_table_size (c.inodes),
      g_atomic_int_get (&c.overwritten), str);
  g_free (str);
  gst_structure_free (stats);
  g_hash_table_unref (c.inodes);
  fail_unless_equals_int (c.handed, 30);
  fail_unless_equals_int (g_atomic_int_get (&c.overwritten), 0);
  /* all but the last frame, which fakesink (last-sample) still held when
   * the stats were read */
  fail_unless (fence_waits >= c.handed - 1, "%u of %u frames came back "
      "fenced and were held", fence_waits, c.handed);
  g_async_queue_unref (c.frames);
  close (c.vgem);
  g_free (desc);
}

GST_END_TEST;

static Suite *
dmaheapalloc_heap_suite (void)
{
  Suite *s = suite_create ("dmaheapalloc-heap");
  TCase *tc = tcase_create ("general");
  const gchar *no_bounded_heap = dmaheap_test_bounded_heap_missing ();

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_copies_system_memory);
  tcase_add_test (tc, test_passthrough_of_pool_buffers);
  tcase_add_test (tc, test_odd_stride_without_downstream_meta);
  tcase_add_test (tc, test_renegotiation);
  tcase_add_test (tc, test_flushing);
  dmaheap_test_add_test_unless (tc, test_other_heap_copied,
      heaps->len < 2 ? "one heap only" : NULL);
  dmaheap_test_add_test_unless (tc, test_frame_too_large, no_bounded_heap);
  dmaheap_test_add_test_unless (tc, test_heap_exhausted, no_bounded_heap);
  tcase_add_test (tc, test_videotestsrc_zero_copy);
  dmaheap_test_add_test_unless (tc, test_fenced_consumer,
      dmaheap_test_vgem_missing ());

  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  gst_check_init (&argc, &argv);
  heaps = dmaheap_test_require_heaps ();
  s = dmaheapalloc_heap_suite ();

  return gst_check_run_suite (s, "dmaheapalloc-heap", __FILE__);
}
