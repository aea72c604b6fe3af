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
 * - kmssink imports the element's buffers instead of copying them into dumb
 *   buffers. cirrus cannot scale (the frame is the mode's size, 800x600,
 *   which every kernel's cirrus offers: cirrus-qemu on 7.x has no 1024x768)
 *   and has no vblank (skip-vsync, else kmssink fails on drmWaitVBlank);
 *   sync=false: under TCG frames come late and a late frame is dropped
 *   unseen, never imported.
 * - /proc/self/fd is the same after as before. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <string.h>

static GPtrArray *heaps;
static gchar *vivid_node;
static gchar *cirrus_node;

/* QEMU's cirrus VGA: DRM driver "cirrus" up to 6.14, "cirrus-qemu" from
 * 6.15 (tools/vm/vm-run says which in VM_DISPLAY_DRIVER). */
static const gchar *
display_driver (void)
{
  const gchar *d = g_getenv ("VM_DISPLAY_DRIVER");

  return d && *d ? d : "cirrus";
}

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
  if (!alloc) {
    /* a reference pipeline without dmaheapalloc */
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
    return;
  }
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

/* dma-buf fds open in this process */
static guint
count_dmabuf_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *entry;
  guint n = 0;

  while ((entry = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/fd", entry, NULL);
    gchar *target = g_file_read_link (path, NULL);

    if (target && strstr (target, "dmabuf"))
      n++;
    g_free (target);
    g_free (path);
  }
  g_dir_close (dir);

  return n;
}

/* Open fds a run of @desc leaves behind. */
static gint
fds_left_by (const gchar * desc, Stats * stats)
{
  guint before = dmaheap_test_count_fds ();

  run_pipeline (desc, stats);
  return (gint) dmaheap_test_count_fds () - (gint) before;
}

GST_START_TEST (test_v4l2src_dmabuf_import)
{
  gchar *reference, *desc;
  gint ref_left, left;
  guint i, renewals = 0;
  Stats stats = { 0, };

  /* Debian's v4l2src 1.22.0 leaves fds open by itself (the device node and
   * its GstPoll sockets, seen in the VM); what we add is measured against
   * it. */
  reference = g_strdup_printf ("v4l2src device=%s num-buffers=40 ! "
      "video/x-raw,format=YUY2,width=640,height=480 ! fakesink", vivid_node);
  run_pipeline (reference, &stats);
  ref_left = fds_left_by (reference, &stats);
  g_print ("  v4l2src alone leaves %d fds per run\n", ref_left);

  for (i = 0; i < heaps->len; i++) {
    desc = g_strdup_printf ("v4l2src device=%s io-mode=dmabuf-import "
        "num-buffers=40 ! video/x-raw,format=YUY2,width=640,height=480 ! "
        "dmaheapalloc name=a heap=%s ! fakesink", vivid_node,
        (gchar *) g_ptr_array_index (heaps, i));
    left = fds_left_by (desc, &stats);
    fail_unless_equals_uint64 (stats.copies, 0);
    fail_unless_equals_uint64 (stats.passthrough, 40);
    fail_unless (left <= ref_left, "%s leaves %d fds, v4l2src alone %d",
        desc, left, ref_left);
    renewals += stats.fd_renewals;
    g_free (desc);
  }
  /* and no dma-buf stays open */
  fail_unless_equals_int (count_dmabuf_fds (), 0);

  g_print ("  v4l2 %s the imported fds (%u renewals) with %s\n",
      renewals ? "closed" : "did not close", renewals, gst_version_string ());
  g_free (reference);
}

GST_END_TEST;

/* vivid loaded with multiplanar=2 (run-vm.sh reloads it and runs only
 * this case, DMAHEAP_TEST_MPLANE=1): V4L2 wants NV12 in two dma-bufs. */
GST_START_TEST (test_v4l2src_multiplanar)
{
  guint i;

  for (i = 0; i < heaps->len; i++) {
    gchar *desc = g_strdup_printf ("v4l2src device=%s io-mode=dmabuf-import "
        "num-buffers=20 ! video/x-raw,format=NV12,width=640,height=480 ! "
        "dmaheapalloc name=a heap=%s memory-per-plane=true ! fakesink",
        vivid_node, (gchar *) g_ptr_array_index (heaps, i));
    Stats stats = { 0, };

    run_pipeline (desc, &stats);
    fail_unless_equals_uint64 (stats.copies, 0);
    fail_unless_equals_uint64 (stats.passthrough, 20);
    g_free (desc);
  }
  fail_unless_equals_int (count_dmabuf_fds (), 0);
}

GST_END_TEST;

static GQuark kmsmem_quark;
static gint pushed_imported;

/* kmssink caches the framebuffer of an imported dma-buf as qdata "kmsmem"
 * on its first memory: a buffer coming round again carries it if kmssink
 * imported it rather than copying it into a dumb buffer. */
static GstPadProbeReturn
count_imported (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (gst_mini_object_get_qdata (GST_MINI_OBJECT (gst_buffer_peek_memory (buf,
                  0)), kmsmem_quark))
    g_atomic_int_inc (&pushed_imported);

  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_kmssink_imports)
{
  GError *error = NULL;
  GstElement *pipeline, *alloc;
  GstMessage *msg;
  GstStructure *s;
  GstPad *pad;
  GstCaps *caps;
  gchar *str;
  guint64 copies = 1, passthrough = 0;
  guint allocations = 0, fds, round;
  gchar *desc, *heap;

  kmsmem_quark = g_quark_from_static_string ("kmsmem");
  /* force-modesetting: the console's mode need not be the frame's size
   * (cirrus-qemu on 7.x starts in another one), and cirrus cannot scale.
   * The default heap: a bounded contiguous heap may not hold the 3 MiB
   * frames kmssink and videotestsrc keep between them. */
  heap = gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, NULL);
  fail_unless (heap != NULL);
  desc = g_strdup_printf ("videotestsrc num-buffers=20 pattern=smpte ! "
      "video/x-raw,format=BGRx,width=800,height=600 ! dmaheapalloc name=a "
      "heap=%s ! kmssink driver-name=%s force-modesetting=true "
      "skip-vsync=true sync=false", heap, display_driver ());
  g_free (heap);

  fds = dmaheap_test_count_fds ();
  for (round = 0; round < 2; round++) {
    pushed_imported = 0;
    pipeline = gst_parse_launch (desc, &error);
    fail_unless (pipeline != NULL);
    alloc = gst_bin_get_by_name (GST_BIN (pipeline), "a");
    pad = gst_element_get_static_pad (alloc, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_imported, NULL,
        NULL);

    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
        120 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &error, &dbg);
      fail ("%s: %s (%s)", desc, error->message, GST_STR_NULL (dbg));
    }
    gst_message_unref (msg);

    /* GStreamer 1.24+: kmssink takes DMA_DRM caps, and gets them */
    caps = gst_pad_get_current_caps (pad);
    fail_unless (caps != NULL);
    str = gst_caps_to_string (caps);
    g_print ("  kmssink's caps: %s\n", str);
    g_free (str);
#if GST_CHECK_VERSION(1, 24, 0)
    fail_unless (gst_dma_heap_caps_is_dma_drm (caps),
        "kmssink was not given DMA_DRM caps: %" GST_PTR_FORMAT, caps);
#endif
    gst_caps_unref (caps);
    gst_object_unref (pad);

    g_object_get (alloc, "stats", &s, NULL);
    gst_structure_get_uint64 (s, "copies", &copies);
    gst_structure_get_uint64 (s, "passthrough", &passthrough);
    gst_structure_get_uint (s, "allocations", &allocations);
    gst_structure_free (s);
    gst_object_unref (alloc);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);

    g_print ("  %s\n    -> copies %" G_GUINT64_FORMAT ", passthrough %"
        G_GUINT64_FORMAT ", %u heap buffers, %d pushed already imported by "
        "kmssink\n", desc, copies, passthrough, allocations, pushed_imported);
    fail_unless_equals_uint64 (copies, 0);
    fail_unless_equals_uint64 (passthrough, 20);
    /* every buffer after its first trip comes back imported */
    fail_unless (pushed_imported >= (gint) (passthrough - allocations),
        "kmssink copied frames instead of importing them");
  }
  dmaheap_test_assert_fds (fds);
  fail_unless_equals_int (count_dmabuf_fds (), 0);
  g_free (desc);
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
    gchar *base = target ? g_path_get_basename (target) : NULL;
    gboolean cirrus = base && g_str_equal (base, display_driver ());

    g_free (base);

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
  if (g_strcmp0 (g_getenv ("DMAHEAP_TEST_MPLANE"), "1") == 0) {
    tcase_add_test (tc, test_v4l2src_multiplanar);
  } else {
    tcase_add_test (tc, test_v4l2src_dmabuf_import);
    tcase_add_test (tc, test_kmssink_imports);
  }

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
