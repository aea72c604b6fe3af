/* GStreamer dma-buf heap support: the dmaheapalloc element on the host
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* What needs no allocation: properties, heap choice (property, heap-rules,
 * downstream's heap, select-heap), the ALLOCATION answer, and the errors.
 * Heap nodes are symlinks to /dev/null: they list and open, and allocating
 * from them fails, which exercises the allocation-failure path. The data
 * path on real heaps is dmaheapalloc-heap.c. */

/* memfd_create() */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <string.h>
#include <sys/mman.h>

static const gchar *fake_names[] = { "linux,cma", "system", NULL };

static gchar *fake_dir;

static void
fake_heaps_setup (void)
{
  fake_dir = dmaheap_test_make_fake_heaps (fake_names);
}

static void
fake_heaps_teardown (void)
{
  dmaheap_test_remove_tree (fake_dir);
  g_clear_pointer (&fake_dir, g_free);
}

#define NV12_CAPS "video/x-raw,format=NV12,width=320,height=240,framerate=30/1"
#define I420_CAPS "video/x-raw,format=I420,width=320,height=240,framerate=30/1"

/* Sends upstream's ALLOCATION query for @caps_str into the element; returns
 * the answer's heap (from the allocation param) or NULL when it failed. */
static gchar *
query_heap (GstHarness * h, const gchar * caps_str, GstQuery ** answer)
{
  GstCaps *caps = gst_caps_from_string (caps_str);
  GstQuery *query = gst_query_new_allocation (caps, TRUE);
  GstAllocator *alloc = NULL;
  GstBufferPool *pool = NULL;
  gchar *heap = NULL;

  gst_caps_unref (caps);
  if (!gst_pad_peer_query (h->srcpad, query)) {
    gst_query_unref (query);
    return NULL;
  }

  fail_unless_equals_int (gst_query_get_n_allocation_params (query), 1);
  gst_query_parse_nth_allocation_param (query, 0, &alloc, NULL);
  fail_unless (alloc != NULL && GST_IS_DMA_HEAP_ALLOCATOR (alloc));
  heap = g_strdup (gst_dma_heap_allocator_get_heap_name (alloc));

  /* the pool allocates from the same heap */
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, NULL, NULL);
  fail_unless (pool != NULL && GST_IS_DMA_HEAP_BUFFER_POOL (pool));
  {
    GstAllocator *pool_alloc = gst_dma_heap_buffer_pool_get_allocator (pool);

    fail_unless (pool_alloc == alloc);
    gst_object_unref (pool_alloc);
  }
  fail_unless (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          NULL));

  gst_object_unref (pool);
  gst_object_unref (alloc);
  if (answer)
    *answer = query;
  else
    gst_query_unref (query);

  return heap;
}

static gchar *
stats_heap (GstElement * e)
{
  GstStructure *s;
  gchar *heap;

  g_object_get (e, "stats", &s, NULL);
  heap = g_strdup (gst_structure_get_string (s, "heap"));
  gst_structure_free (s);

  return heap;
}

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("dmaheapalloc", NULL);
  GstStructure *stats;
  gchar *str;
  guint64 u64;
  guint u;

  fail_unless (e != NULL);
  g_object_get (e, "heap", &str, NULL);
  fail_unless_equals_string (str, "auto");
  g_free (str);
  g_object_get (e, "heap-rules", &str, NULL);
  fail_unless (str == NULL);

  g_object_set (e, "heap", "linux,cma", "heap-rules", "ANY:system", NULL);
  g_object_get (e, "heap", &str, NULL);
  fail_unless_equals_string (str, "linux,cma");
  g_free (str);
  g_object_get (e, "heap-rules", &str, NULL);
  fail_unless_equals_string (str, "ANY:system");
  g_free (str);
  /* empty means auto */
  g_object_set (e, "heap", "", NULL);
  g_object_get (e, "heap", &str, NULL);
  fail_unless_equals_string (str, "auto");
  g_free (str);

  g_object_get (e, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "copies", &u64) && u64 == 0);
  fail_unless (gst_structure_get_uint64 (stats, "passthrough", &u64) &&
      u64 == 0);
  fail_unless (gst_structure_get_uint (stats, "allocations", &u) && u == 0);
  fail_unless (gst_structure_get_uint (stats, "pool-size", &u) && u == 0);
  fail_unless (gst_structure_has_field (stats, "heap"));
  gst_structure_free (stats);

  gst_object_unref (e);
}

GST_END_TEST;

/* Takes @e to READY, expects failure with an error of @domain/@code whose
 * message contains @text. */
static void
check_ready_fails (GstElement * e, GQuark domain, gint code, const gchar * text)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;

  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (g_error_matches (error, domain, code), "%s", error->message);
  fail_unless (strstr (error->message, text) != NULL, "'%s' lacks '%s'",
      error->message, text);
  g_error_free (error);
  gst_message_unref (msg);

  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
}

GST_START_TEST (test_unknown_heap)
{
  GstElement *e = gst_element_factory_make ("dmaheapalloc", NULL);

  g_object_set (e, "heap", "nosuchheap", NULL);
  /* says which heaps there are */
  check_ready_fails (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "available heaps: linux,cma, system");
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_no_heaps)
{
  GstElement *e = gst_element_factory_make ("dmaheapalloc", NULL);
  gchar *empty = g_dir_make_tmp ("dmaheap-empty-XXXXXX", NULL);

  g_setenv ("GST_DMA_HEAP_DIR", empty, TRUE);
  check_ready_fails (e, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "No dma-buf heaps");
  gst_object_unref (e);
  dmaheap_test_remove_tree (empty);
  g_free (empty);
}

GST_END_TEST;

GST_START_TEST (test_invalid_rules)
{
  GstElement *e = gst_element_factory_make ("dmaheapalloc", NULL);

  g_object_set (e, "heap-rules", "video/x-raw:system;video/x-raw,format=NV12",
      NULL);
  check_ready_fails (e, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
      "rule 2");
  /* fixed, it starts */
  g_object_set (e, "heap-rules", "video/x-raw:system", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_default_heap)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  gchar *heap;

  gst_harness_set_src_caps_str (h, NV12_CAPS);
  /* cached and scattered: system, not the contiguous linux,cma */
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "system");
  g_free (heap);
  heap = stats_heap (h->element);
  fail_unless_equals_string (heap, "system");
  g_free (heap);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_heap_property)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  gchar *heap;

  gst_harness_set (h, "dmaheapalloc", "heap", "linux,cma",
      "heap-rules", "ANY:system", NULL);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  /* an explicit heap beats the rules */
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_heap_rules)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  gchar *heap;

  gst_harness_set (h, "dmaheapalloc", "heap-rules",
      "video/x-raw,format=NV12:linux,cma; video/x-raw:system", NULL);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);

  gst_harness_set_src_caps_str (h, I420_CAPS);
  heap = query_heap (h, I420_CAPS, NULL);
  fail_unless_equals_string (heap, "system");
  g_free (heap);

  /* rules changed while running apply to the next choice */
  g_object_set (h->element, "heap-rules", "ANY:linux,cma", NULL);
  heap = query_heap (h, I420_CAPS, NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_downstream_heap)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstAllocator *cma = gst_dma_heap_allocator_get ("linux,cma", NULL);
  gchar *heap;

  fail_unless (cma != NULL);
  /* downstream (a sink that knows its display) proposes linux,cma */
  gst_harness_set_propose_allocator (h, cma, NULL);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);

  /* rules come first */
  gst_harness_set (h, "dmaheapalloc", "heap-rules", "ANY:system", NULL);
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "system");
  g_free (heap);

  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  guint calls;
  gchar *default_heap;
  gchar *format;
  const gchar *answer;
} SelectData;

static gchar *
on_select_heap (GstElement * e, GstCaps * caps, const gchar * heap,
    SelectData * data)
{
  data->calls++;
  g_free (data->default_heap);
  data->default_heap = g_strdup (heap);
  g_free (data->format);
  data->format = g_strdup (gst_structure_get_string (gst_caps_get_structure
          (caps, 0), "format"));

  return g_strdup (data->answer);
}

GST_START_TEST (test_select_heap_signal)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  SelectData data = { 0, NULL, NULL, "linux,cma" };
  gchar *heap;

  g_signal_connect (h->element, "select-heap", G_CALLBACK (on_select_heap),
      &data);
  gst_harness_set_src_caps_str (h, NV12_CAPS);

  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);
  fail_unless_equals_int (data.calls, 1);
  fail_unless_equals_string (data.default_heap, "system");
  fail_unless_equals_string (data.format, "NV12");

  /* NULL keeps the element's choice, here by rule */
  data.answer = NULL;
  gst_harness_set (h, "dmaheapalloc", "heap-rules", "ANY:linux,cma", NULL);
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);
  fail_unless_equals_int (data.calls, 2);
  fail_unless_equals_string (data.default_heap, "linux,cma");

  /* a heap the handler makes up is an element error, not a crash */
  {
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;
    GError *error = NULL;

    gst_element_set_bus (h->element, bus);
    data.answer = "nosuchheap";
    fail_unless (query_heap (h, NV12_CAPS, NULL) == NULL);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &error, NULL);
    fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_NOT_FOUND), "%s", error->message);
    fail_unless (strstr (error->message, "nosuchheap") != NULL);
    g_error_free (error);
    gst_message_unref (msg);
    gst_element_set_bus (h->element, NULL);
    gst_object_unref (bus);
  }

  g_free (data.default_heap);
  g_free (data.format);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_select_heap_not_with_explicit_heap)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  SelectData data = { 0, NULL, NULL, "linux,cma" };
  gchar *heap;

  g_signal_connect (h->element, "select-heap", G_CALLBACK (on_select_heap),
      &data);
  gst_harness_set (h, "dmaheapalloc", "heap", "system", NULL);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  heap = query_heap (h, NV12_CAPS, NULL);
  fail_unless_equals_string (heap, "system");
  g_free (heap);
  fail_unless_equals_int (data.calls, 0);

  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_memory_per_plane)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstQuery *answer = NULL;
  GstBufferPool *pool = NULL;
  GstStructure *config;
  gboolean per_plane;
  gchar *heap;

  g_object_get (h->element, "memory-per-plane", &per_plane, NULL);
  fail_if (per_plane);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  heap = query_heap (h, NV12_CAPS, &answer);
  g_free (heap);
  gst_query_parse_nth_allocation_pool (answer, 0, &pool, NULL, NULL, NULL);
  config = gst_buffer_pool_get_config (pool);
  fail_if (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE));
  gst_structure_free (config);
  gst_object_unref (pool);
  gst_query_unref (answer);

  /* the proposed pool carries the option into the producer's config */
  g_object_set (h->element, "memory-per-plane", TRUE, NULL);
  heap = query_heap (h, NV12_CAPS, &answer);
  g_free (heap);
  gst_query_parse_nth_allocation_pool (answer, 0, &pool, NULL, NULL, NULL);
  config = gst_buffer_pool_get_config (pool);
  fail_unless (gst_buffer_pool_config_has_option (config,
          GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE));
  gst_structure_free (config);
  gst_object_unref (pool);
  gst_query_unref (answer);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* A producer that asks again for the same caps (GStreamer 1.22's V4L2
 * decoders do, once a frame) gets the same pool, still active; new caps
 * get a new one. */
GST_START_TEST (test_same_caps_same_pool)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstQuery *q[3] = { NULL, };
  GstBufferPool *pool[3] = { NULL, };
  guint i;

  gst_harness_set_src_caps_str (h, NV12_CAPS);
  g_free (query_heap (h, NV12_CAPS, &q[0]));
  gst_query_parse_nth_allocation_pool (q[0], 0, &pool[0], NULL, NULL, NULL);
  fail_unless (gst_buffer_pool_set_active (pool[0], TRUE));
  g_free (query_heap (h, NV12_CAPS, &q[1]));
  gst_query_parse_nth_allocation_pool (q[1], 0, &pool[1], NULL, NULL, NULL);
  fail_unless (pool[1] == pool[0], "a new pool for the same caps");
  fail_unless (gst_buffer_pool_is_active (pool[0]),
      "the pool in use was stopped");

  gst_harness_set_src_caps_str (h, I420_CAPS);
  g_free (query_heap (h, I420_CAPS, &q[2]));
  gst_query_parse_nth_allocation_pool (q[2], 0, &pool[2], NULL, NULL, NULL);
  fail_unless (pool[2] != pool[0], "the old caps' pool for new caps");

  fail_unless (gst_buffer_pool_set_active (pool[0], FALSE));
  for (i = 0; i < 3; i++) {
    gst_object_unref (pool[i]);
    gst_query_unref (q[i]);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_not_video)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");

  gst_harness_set_src_caps_str (h, NV12_CAPS);
  fail_unless (query_heap (h, "audio/x-raw,format=S16LE,rate=48000,"
          "channels=2,layout=interleaved", NULL) == NULL);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A buffer that is not heap memory must be copied; the heap cannot
 * allocate: a clear element error, and the flow stops. */
GST_START_TEST (test_copy_allocation_fails)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *error = NULL;
  GstStructure *stats;
  guint64 copies;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  fail_unless_equals_int (gst_harness_push (h,
          gst_buffer_new_allocate (NULL, 320 * 240 * 3 / 2, NULL)),
      GST_FLOW_ERROR);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), "%s", error->message);
  fail_unless (strstr (error->message, "Heap system cannot give") != NULL, "%s",
      error->message);
  g_error_free (error);
  gst_message_unref (msg);

  g_object_get (h->element, "stats", &stats, NULL);
  gst_structure_get_uint64 (stats, "copies", &copies);
  fail_unless_equals_uint64 (copies, 0);
  gst_structure_free (stats);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_no_fd_leak)
{
  GstHarness *h;
  GstAllocator *alloc;
  guint fds, i;
  gchar *heap;

  /* heap allocators stay registered (one fd per heap): create them first */
  alloc = gst_dma_heap_allocator_get ("system", NULL);
  gst_object_unref (alloc);
  alloc = gst_dma_heap_allocator_get ("linux,cma", NULL);
  gst_object_unref (alloc);
  fds = dmaheap_test_count_fds ();

  for (i = 0; i < 5; i++) {
    h = gst_harness_new ("dmaheapalloc");
    gst_harness_set (h, "dmaheapalloc", "heap-rules",
        "video/x-raw,format=NV12:linux,cma", NULL);
    gst_harness_set_src_caps_str (h, NV12_CAPS);
    heap = query_heap (h, NV12_CAPS, NULL);
    g_free (heap);
    gst_harness_set_src_caps_str (h, I420_CAPS);
    heap = query_heap (h, I420_CAPS, NULL);
    g_free (heap);
    gst_harness_teardown (h);
  }

  dmaheap_test_assert_fds (fds);
}

GST_END_TEST;

/* A buffer whose memory is a memfd wrapped by @heap's allocator: heap
 * memory as far as the element can tell, with no heap behind it. With
 * @odd_stride its NV12 planes have a 384-byte stride, told by a
 * GstVideoMeta. */
static GstBuffer *
fake_heap_buffer (const gchar * heap, gboolean odd_stride)
{
  GstAllocator *alloc = gst_dma_heap_allocator_get (heap, NULL);
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, 384 * 240 };
  gint stride[GST_VIDEO_MAX_PLANES] = { 384, 384 };
  gsize size = odd_stride ? 384 * 360 : 320 * 240 * 3 / 2;
  gint fd = memfd_create ("fake-heap-buffer", MFD_CLOEXEC);
  GstBuffer *buf = gst_buffer_new ();

  fail_unless (alloc != NULL);
  fail_unless (fd >= 0 && ftruncate (fd, size) == 0);
  gst_buffer_append_memory (buf, gst_fd_allocator_alloc (alloc, fd, size,
          GST_FD_MEMORY_FLAG_NONE));
  if (odd_stride)
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_FORMAT_NV12, 320, 240, 2, offset, stride);
  gst_object_unref (alloc);

  return buf;
}

static guint64
stats_passthrough (GstElement * e)
{
  GstStructure *s;
  guint64 v = G_MAXUINT64;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, "passthrough", &v));
  gst_structure_free (s);

  return v;
}

/* Pushes @in; TRUE when it came out as it was (passed through). A copy
 * fails here (the fake heaps cannot allocate): not passed either. */
static gboolean
passes_through (GstHarness * h, GstBuffer * in)
{
  GstBuffer *out = NULL;
  gboolean passed;

  if (gst_harness_push (h, gst_buffer_ref (in)) == GST_FLOW_OK)
    out = gst_harness_try_pull (h);
  passed = out == in;
  if (out)
    gst_buffer_unref (out);
  gst_buffer_unref (in);

  return passed;
}

/* Issue 24 item 9: memory of a heap that `heap` or `heap-rules` exclude is
 * copied, not passed through; with neither, any heap's memory passes. */
GST_START_TEST (test_excluded_heap_copied)
{
  const gchar *settings[][2] = {
    {"heap", "system"},
    {"heap-rules", "video/x-raw,format=NV12:system"},
  };
  GstHarness *h;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (settings); i++) {
    h = gst_harness_new ("dmaheapalloc");
    gst_harness_set (h, "dmaheapalloc", settings[i][0], settings[i][1], NULL);
    gst_harness_set_src_caps_str (h, NV12_CAPS);
    fail_unless (passes_through (h, fake_heap_buffer ("system", FALSE)),
        "%s=%s: system memory copied", settings[i][0], settings[i][1]);
    fail_if (passes_through (h, fake_heap_buffer ("linux,cma", FALSE)),
        "%s=%s: linux,cma memory passed through", settings[i][0],
        settings[i][1]);
    fail_unless_equals_uint64 (stats_passthrough (h->element), 1);
    gst_harness_teardown (h);
  }

  h = gst_harness_new ("dmaheapalloc");
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  fail_unless (passes_through (h, fake_heap_buffer ("linux,cma", FALSE)));
  fail_unless (passes_through (h, fake_heap_buffer ("system", FALSE)));
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Issue 24 item 9: after a RECONFIGURE the element reads downstream's
 * GstVideoMeta support again: a layout downstream could not read before,
 * it now passes. */
GST_START_TEST (test_reconfigure_rereads_video_meta)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");

  gst_harness_set_src_caps_str (h, NV12_CAPS);
  fail_if (passes_through (h, fake_heap_buffer ("system", TRUE)));

  gst_harness_add_propose_allocation_meta (h, GST_VIDEO_META_API_TYPE, NULL);
  gst_harness_push_upstream_event (h, gst_event_new_reconfigure ());
  fail_unless (passes_through (h, fake_heap_buffer ("system", TRUE)));
  fail_unless_equals_uint64 (stats_passthrough (h->element), 1);

  gst_harness_teardown (h);
}

GST_END_TEST;

static GstPadProbeReturn
count_allocation_queries (GstPad * pad, GstPadProbeInfo * info, guint * counts)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  gboolean need_pool;

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION) {
    gst_query_parse_allocation (query, NULL, &need_pool);
    counts[need_pool ? 1 : 0]++;
  }

  return GST_PAD_PROBE_OK;
}

/* Issue 24 item 9: the element allocates its own buffers, so it asks
 * downstream with need_pool FALSE (a sink then builds no pool nobody
 * uses), at caps, at a copy and when upstream asks it. */
GST_START_TEST (test_downstream_asked_without_pool)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  guint counts[2] = { 0, 0 };
  gchar *heap;

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      (GstPadProbeCallback) count_allocation_queries, counts, NULL);
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  gst_harness_push (h, gst_buffer_new_allocate (NULL, 320 * 240 * 3 / 2, NULL));
  heap = query_heap (h, NV12_CAPS, NULL);
  g_free (heap);

  fail_unless (counts[0] + counts[1] > 0, "downstream never asked");
  fail_unless_equals_int (counts[1], 0);

  gst_harness_teardown (h);
}

GST_END_TEST;

#if GST_CHECK_VERSION(1, 24, 0)
#define NV12_DMA_DRM_CAPS "video/x-raw(memory:DMABuf),format=DMA_DRM," \
    "drm-format=NV12,width=320,height=240,framerate=30/1"

/* The caps the element sent downstream are @expected. */
static void
assert_pushed_caps (GstHarness * h, const gchar * expected_str)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstCaps *expected = gst_caps_from_string (expected_str);

  fail_unless (caps && gst_caps_is_equal (caps, expected),
      "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (expected);
  gst_caps_unref (caps);
}

/* GStreamer 1.24's DMA_DRM caps: a downstream that takes only them gets
 * plain caps in their DMA_DRM form, and its ALLOCATION query those caps;
 * one that takes plain caps keeps them; upstream is asked for the plain
 * form of what downstream takes; DMA_DRM caps from upstream pass as they
 * are. */
GST_START_TEST (test_dma_drm_caps)
{
  GstHarness *h = gst_harness_new ("dmaheapalloc");
  GstCaps *expected, *peer;

  /* what upstream may send, for a DMA_DRM-only downstream */
  gst_harness_set_sink_caps_str (h, "video/x-raw(memory:DMABuf),"
      "format=DMA_DRM,drm-format={NV12,YUY2:0x0100000000000001}");
  peer = gst_pad_peer_query_caps (h->srcpad, NULL);
  expected = gst_caps_from_string ("video/x-raw,format=NV12");
  fail_unless (gst_caps_is_subset (expected, peer), "%" GST_PTR_FORMAT, peer);
  gst_caps_unref (expected);
  /* the tiled YUY2 has no plain form */
  expected = gst_caps_from_string ("video/x-raw,format=YUY2");
  fail_if (gst_caps_can_intersect (expected, peer), "%" GST_PTR_FORMAT, peer);
  gst_caps_unref (expected);
  gst_caps_unref (peer);

  gst_harness_set_src_caps_str (h, NV12_CAPS);
  assert_pushed_caps (h, NV12_DMA_DRM_CAPS);
  gst_harness_teardown (h);

  /* downstream takes plain caps: they stay plain */
  h = gst_harness_new ("dmaheapalloc");
  gst_harness_set_sink_caps_str (h, "video/x-raw");
  gst_harness_set_src_caps_str (h, NV12_CAPS);
  assert_pushed_caps (h, NV12_CAPS);
  gst_harness_teardown (h);

  /* DMA_DRM caps from upstream pass as they are */
  h = gst_harness_new ("dmaheapalloc");
  gst_harness_set_src_caps_str (h, NV12_DMA_DRM_CAPS);
  assert_pushed_caps (h, NV12_DMA_DRM_CAPS);
  gst_harness_teardown (h);
}

GST_END_TEST;
#endif

static Suite *
dmaheapalloc_suite (void)
{
  Suite *s = suite_create ("dmaheapalloc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, fake_heaps_setup, fake_heaps_teardown);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_unknown_heap);
  tcase_add_test (tc, test_no_heaps);
  tcase_add_test (tc, test_invalid_rules);
  tcase_add_test (tc, test_default_heap);
  tcase_add_test (tc, test_heap_property);
  tcase_add_test (tc, test_heap_rules);
  tcase_add_test (tc, test_downstream_heap);
  tcase_add_test (tc, test_select_heap_signal);
  tcase_add_test (tc, test_select_heap_not_with_explicit_heap);
  tcase_add_test (tc, test_memory_per_plane);
  tcase_add_test (tc, test_same_caps_same_pool);
  tcase_add_test (tc, test_not_video);
  tcase_add_test (tc, test_copy_allocation_fails);
  tcase_add_test (tc, test_excluded_heap_copied);
  tcase_add_test (tc, test_reconfigure_rereads_video_meta);
  tcase_add_test (tc, test_downstream_asked_without_pool);
#if GST_CHECK_VERSION(1, 24, 0)
  tcase_add_test (tc, test_dma_drm_caps);
#endif
  tcase_add_test (tc, test_no_fd_leak);

  return s;
}

GST_CHECK_MAIN (dmaheapalloc);
