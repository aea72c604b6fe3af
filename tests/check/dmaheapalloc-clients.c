/* GStreamer dma-buf heap support: real clients of the dmaheapalloc pool
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Needs heaps, a vivid capture node and a cirrus DRM card: SKIPs on the
 * host, runs in the VM (vm-run --display --modules vivid).
 * - v4l2src io-mode=dmabuf-import writes into the element's pool: zero
 *   copies, every heap. Debian's 1.22.0 v4l2 elements close the fds they
 *   import; the pool's fd renewals (stats) show whether they did, and the
 *   stream must survive it.
 * - kmssink imports the element's buffers (its own log says so) instead of
 *   copying them into dumb buffers. cirrus cannot scale: the frame is the
 *   mode's size, 1024x768.
 * - /proc/self/fd is the same after as before. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <string.h>

static GPtrArray *heaps;
static gchar *vivid_node;
static gchar *cirrus_node;

typedef struct
{
  guint64 copies;
  guint64 passthrough;
  guint fd_renewals;
} Stats;

static void
run_pipeline (const gchar * desc, Stats * stats)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *alloc;
  GstStructure *s;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE, "%s does not start", desc);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      120 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no EOS in 120 s", desc);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &error, &dbg);
    fail ("%s: %s (%s)", desc, error->message, GST_STR_NULL (dbg));
  }
  gst_message_unref (msg);

  alloc = gst_bin_get_by_name (GST_BIN (pipeline), "a");
  g_object_get (alloc, "stats", &s, NULL);
  gst_structure_get_uint64 (s, "copies", &stats->copies);
  gst_structure_get_uint64 (s, "passthrough", &stats->passthrough);
  gst_structure_get_uint (s, "fd-renewals", &stats->fd_renewals);
  {
    gchar *str = gst_structure_to_string (s);

    g_print ("  %s\n    -> %s\n", desc, str);
    g_free (str);
  }
  gst_structure_free (s);
  gst_object_unref (alloc);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_v4l2src_dmabuf_import)
{
  guint i, fds = 0, renewals = 0;

  for (i = 0; i < heaps->len; i++) {
    gchar *desc = g_strdup_printf ("v4l2src device=%s io-mode=dmabuf-import "
        "num-buffers=40 ! video/x-raw,format=YUY2,width=640,height=480 ! "
        "dmaheapalloc name=a heap=%s ! fakesink", vivid_node,
        (gchar *) g_ptr_array_index (heaps, i));
    Stats stats = { 0, };

    run_pipeline (desc, &stats);
    fail_unless_equals_uint64 (stats.copies, 0);
    fail_unless_equals_uint64 (stats.passthrough, 40);
    renewals += stats.fd_renewals;
    if (i == 0)
      fds = dmaheap_test_count_fds ();
    g_free (desc);
  }

  /* every heap was opened (and stays open) before the first run */
  dmaheap_test_assert_fds (fds);
  g_print ("  v4l2 %s the imported fds (%u renewals) with GStreamer %s\n",
      renewals ? "closed" : "did not close", renewals,
      gst_version_string ());
}

GST_END_TEST;

static gint kms_imports, kms_copies;

static void
count_kmssink_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *cat = gst_debug_category_get_name (category);
  const gchar *text = gst_debug_message_get (message);

  if (!text)
    return;
  if (g_str_equal (cat, "kmssink") && g_str_has_prefix (text,
          "setting KMS mem"))
    g_atomic_int_inc (&kms_imports);
  else if (g_str_equal (cat, "GST_PERFORMANCE") && g_str_equal (text,
          "frame copy"))
    g_atomic_int_inc (&kms_copies);
}

GST_START_TEST (test_kmssink_imports)
{
  gchar *desc, *heap;
  Stats stats = { 0, };
  guint fds;

  gst_debug_set_active (TRUE);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (count_kmssink_log, NULL, NULL);
  gst_debug_set_threshold_for_name ("kmssink", GST_LEVEL_LOG);
  gst_debug_set_threshold_for_name ("GST_PERFORMANCE", GST_LEVEL_INFO);

  /* The default heap: a bounded contiguous heap may not hold the 3 MiB
   * frames kmssink and videotestsrc keep between them. */
  heap = gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, NULL);
  fail_unless (heap != NULL);
  desc = g_strdup_printf ("videotestsrc num-buffers=20 pattern=smpte ! "
      "video/x-raw,format=BGRx,width=1024,height=768 ! dmaheapalloc name=a "
      "heap=%s ! kmssink driver-name=cirrus", heap);
  g_free (heap);
  run_pipeline (desc, &stats);
  fds = dmaheap_test_count_fds ();
  g_print ("  kmssink: %d imports, %d copies\n", kms_imports, kms_copies);
  fail_unless_equals_uint64 (stats.copies, 0);
  fail_unless_equals_uint64 (stats.passthrough, 20);
  fail_unless (kms_imports > 0, "kmssink imported nothing");
  fail_unless_equals_int (kms_copies, 0);

  run_pipeline (desc, &stats);
  dmaheap_test_assert_fds (fds);
  g_free (desc);

  gst_debug_remove_log_function (count_kmssink_log);
}

GST_END_TEST;

static gchar *
find_vivid_capture (void)
{
  GDir *dir = g_dir_open ("/sys/class/video4linux", 0, NULL);
  const gchar *entry;
  gchar *node = NULL;

  if (!dir)
    return NULL;
  while (!node && (entry = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/sys/class/video4linux/%s/name", entry);
    gchar *name = NULL;

    if (g_str_has_prefix (entry, "video") &&
        g_file_get_contents (path, &name, NULL, NULL) &&
        strstr (name, "vivid") && strstr (name, "vid-cap"))
      node = g_strdup_printf ("/dev/%s", entry);
    g_free (name);
    g_free (path);
  }
  g_dir_close (dir);

  return node;
}

static gchar *
find_cirrus_card (void)
{
  guint i;

  for (i = 0; i < 8; i++) {
    gchar *path = g_strdup_printf ("/sys/class/drm/card%u/device/driver", i);
    gchar *target = g_file_read_link (path, NULL);
    gboolean cirrus = target && g_str_has_suffix (target, "cirrus");

    g_free (target);
    g_free (path);
    if (cirrus)
      return g_strdup_printf ("/dev/dri/card%u", i);
  }

  return NULL;
}

static Suite *
dmaheapalloc_clients_suite (void)
{
  Suite *s = suite_create ("dmaheapalloc-clients");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_v4l2src_dmabuf_import);
  tcase_add_test (tc, test_kmssink_imports);

  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;

  gst_check_init (&argc, &argv);
  heaps = dmaheap_test_require_heaps ();
  vivid_node = find_vivid_capture ();
  if (!vivid_node)
    dmaheap_test_skip_or_fail ("no vivid capture node (modprobe vivid)");
  cirrus_node = find_cirrus_card ();
  if (!cirrus_node)
    dmaheap_test_skip_or_fail ("no cirrus DRM card (QEMU -vga cirrus)");
  g_print ("vivid: %s, cirrus: %s\n", vivid_node, cirrus_node);
  s = dmaheapalloc_clients_suite ();

  return gst_check_run_suite (s, "dmaheapalloc-clients", __FILE__);
}
