/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dmaheapsink on a real display (QEMU's cirrus: SKIPs on the host, runs in
 * the VM's check suite, vm-run --display), driven through GstHarness:
 * - negotiation: a caps query posts nothing on the bus (autopluggers probe
 *   sinks); the warning that says what the display can show comes when the
 *   stream commits to caps it cannot show (a CAPS event refused, or a stream
 *   that ends without caps);
 * - a frame the sink copied (system memory: not importable) goes back
 *   upstream at once, and a drain leaves none of upstream's buffers held. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <gst/dmaheap/dmaheap.h>

#include <gst/video/video.h>

#include <string.h>

static gchar *card;

/* QEMU's cirrus VGA: DRM driver "cirrus" up to 6.14, "cirrus-qemu" from
 * 6.15 (tools/vm/vm-run says which in VM_DISPLAY_DRIVER). */
static gchar *
find_display_card (void)
{
  const gchar *driver = g_getenv ("VM_DISPLAY_DRIVER");
  guint i;

  if (!driver || !*driver)
    driver = "cirrus";
  for (i = 0; i < 8; i++) {
    gchar *path = g_strdup_printf ("/sys/class/drm/card%u/device/driver", i);
    gchar *target = g_file_read_link (path, NULL);
    gchar *base = target ? g_path_get_basename (target) : NULL;
    gboolean found = base && g_str_equal (base, driver);

    g_free (base);
    g_free (target);
    g_free (path);
    if (found)
      return g_strdup_printf ("/dev/dri/card%u", i);
  }

  return NULL;
}

/* A playing dmaheapsink on the card, posting to @bus. */
static GstHarness *
sink_harness_new (GstBus * bus)
{
  GstHarness *h = gst_harness_new ("dmaheapsink");

  g_object_set (h->element, "device", card, "sync", FALSE,
      "enable-last-sample", FALSE, NULL);
  gst_element_set_bus (h->element, bus);
  gst_harness_play (h);
  fail_unless (gst_pad_push_event (h->srcpad,
          gst_event_new_stream_start ("dmaheapsink-device")));

  return h;
}

static void
sink_harness_free (GstHarness * h)
{
  gst_element_set_state (h->element, GST_STATE_NULL);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
}

/* Raw video caps of a format the sink's template has and the display
 * cannot show (NV12 on cirrus). */
static GstCaps *
unshowable_caps (GstHarness * h, gchar ** format)
{
  static const gchar *formats[] = { "NV12", "I420", "YUY2", "UYVY", "NV16",
    "YV12", "NV21", "RGB16", "BGR", "RGB"
  };
  GstPad *sinkpad = gst_element_get_static_pad (h->element, "sink");
  GstCaps *template = gst_pad_get_pad_template_caps (sinkpad);
  GstCaps *allowed = gst_pad_peer_query_caps (h->srcpad, NULL);
  GstCaps *caps = NULL;
  guint i;

  fail_unless (!gst_caps_is_empty (allowed), "the display shows nothing");
  for (i = 0; i < G_N_ELEMENTS (formats) && !caps; i++) {
    GstCaps *c = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING,
        formats[i], NULL);

    if (gst_caps_can_intersect (c, template) &&
        !gst_caps_can_intersect (c, allowed)) {
      caps = c;
      *format = g_strdup (formats[i]);
    } else {
      gst_caps_unref (c);
    }
  }
  fail_unless (caps != NULL, "the display shows every format tried: %"
      GST_PTR_FORMAT, allowed);
  gst_caps_unref (template);
  gst_caps_unref (allowed);
  gst_object_unref (sinkpad);

  return caps;
}

/* The negotiation warning, or NULL. */
static gchar *
pop_warning (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  GError *err = NULL;
  gchar *text;

  if (!msg)
    return NULL;
  gst_message_parse_warning (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);

  return text;
}

/* Autopluggers probe sinks with caps queries: asking whether the display
 * can show NV12 must post nothing, however often. When the stream then
 * ends without caps (upstream gave up negotiating), the sink says why. */
GST_START_TEST (test_caps_query_posts_nothing)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = sink_harness_new (bus);
  GstCaps *caps, *result;
  gchar *format, *warning;
  guint i;

  caps = unshowable_caps (h, &format);
  for (i = 0; i < 3; i++) {
    result = gst_pad_peer_query_caps (h->srcpad, caps);
    fail_unless (gst_caps_is_empty (result));
    gst_caps_unref (result);
  }
  warning = pop_warning (bus);
  fail_unless (warning == NULL, "a caps query posted a warning: %s", warning);

  /* the stream ends without caps: now the sink says what it can show */
  gst_pad_push_event (h->srcpad, gst_event_new_eos ());
  warning = pop_warning (bus);
  fail_unless (warning != NULL, "no warning at the end of a stream that "
      "never got caps after asking for %s", format);
  fail_unless (strstr (warning, format) != NULL, "%s", warning);
  g_free (warning);

  g_free (format);
  gst_caps_unref (caps);
  sink_harness_free (h);
  gst_object_unref (bus);
}

GST_END_TEST;

/* A CAPS event the display cannot show is refused, and the sink says which
 * caps and what it can show instead. */
GST_START_TEST (test_refused_caps_warn)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = sink_harness_new (bus);
  GstCaps *caps, *current;
  GstPad *sinkpad;
  gchar *format, *warning;

  caps = unshowable_caps (h, &format);
  gst_caps_set_simple (caps, "width", G_TYPE_INT, 320, "height", G_TYPE_INT,
      240, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  /* (pushing a sticky event succeeds even when the peer refuses it) */
  gst_pad_push_event (h->srcpad, gst_event_new_caps (caps));
  sinkpad = gst_element_get_static_pad (h->element, "sink");
  current = gst_pad_get_current_caps (sinkpad);
  fail_unless (current == NULL, "the sink took %" GST_PTR_FORMAT, current);
  gst_object_unref (sinkpad);
  warning = pop_warning (bus);
  fail_unless (warning != NULL, "no warning for refused caps %"
      GST_PTR_FORMAT, caps);
  fail_unless (strstr (warning, format) != NULL, "%s", warning);
  g_free (warning);

  g_free (format);
  gst_caps_unref (caps);
  sink_harness_free (h);
  gst_object_unref (bus);
}

GST_END_TEST;

static guint64
stats_copies (GstElement * sink)
{
  GstStructure *s;
  guint64 copies = 0;

  g_object_get (sink, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, "copies", &copies));
  gst_structure_free (s);

  return copies;
}

/* A frame the display cannot import (system memory) is copied into a dumb
 * buffer: the sink keeps no ref on it afterwards, so upstream gets it back
 * at once (and a drain has none of upstream's buffers to give back). The
 * frame is copied once although the sink shows it at preroll and again
 * when playing; pushed again, it is shown again. */
GST_START_TEST (test_copied_frame_not_kept)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = sink_harness_new (bus);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
      "width=320,height=240,framerate=30/1");
  GstSegment segment;
  GstVideoInfo info;
  GstBuffer *buf;
  GstQuery *drain;

  gst_video_info_from_caps (&info, caps);
  fail_unless (gst_pad_push_event (h->srcpad, gst_event_new_caps (caps)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_pad_push_event (h->srcpad,
          gst_event_new_segment (&segment)));

  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_memset (buf, 0, 0x80, info.size);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (buf)),
      GST_FLOW_OK);
  fail_unless_equals_uint64 (stats_copies (h->element), 1);
  fail_unless (GST_MINI_OBJECT_REFCOUNT_VALUE (buf) == 1,
      "the sink keeps a ref on a frame it copied (refcount %d)",
      GST_MINI_OBJECT_REFCOUNT_VALUE (buf));

  /* upstream drains before it reallocates: nothing of its is held */
  drain = gst_query_new_drain ();
  gst_pad_peer_query (h->srcpad, drain);
  gst_query_unref (drain);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (buf), 1);

  /* the same buffer again is a new frame, not the one on screen */
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (buf)),
      GST_FLOW_OK);
  fail_unless_equals_uint64 (stats_copies (h->element), 2);
  fail_unless_equals_int (GST_MINI_OBJECT_REFCOUNT_VALUE (buf), 1);

  gst_buffer_unref (buf);
  gst_caps_unref (caps);
  sink_harness_free (h);
  gst_object_unref (bus);
}

GST_END_TEST;

/* Upstream that allocates itself (need-pool FALSE) gets no pool, but is
 * told the sink holds 2 buffers and given the allocator of the heap the
 * display wants (dmaheapalloc heap=auto follows it). */
GST_START_TEST (test_allocation_without_pool)
{
  GstBus *bus = gst_bus_new ();
  GstHarness *h = sink_harness_new (bus);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=BGRx,"
      "width=320,height=240");
  GstQuery *query = gst_query_new_allocation (caps, FALSE);
  GstBufferPool *pool = NULL;
  GstAllocator *allocator = NULL;
  guint size, min, max;

  fail_unless (gst_pad_peer_query (h->srcpad, query));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 1);
  gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  fail_unless (pool == NULL);
  fail_unless_equals_int (min, 2);
  fail_unless (gst_query_get_n_allocation_params (query) >= 1,
      "no allocator for upstream that allocates itself");
  gst_query_parse_nth_allocation_param (query, 0, &allocator, NULL);
  fail_unless (allocator && gst_dma_heap_allocator_get_heap_name (allocator),
      "the allocator is not a heap's: %" GST_PTR_FORMAT, allocator);
  g_print ("need-pool FALSE: heap %s\n",
      gst_dma_heap_allocator_get_heap_name (allocator));

  gst_object_unref (allocator);
  gst_query_unref (query);
  gst_caps_unref (caps);
  sink_harness_free (h);
  gst_object_unref (bus);
}

GST_END_TEST;

static Suite *
dmaheapsink_device_suite (void)
{
  Suite *s = suite_create ("dmaheapsink-device");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_caps_query_posts_nothing);
  tcase_add_test (tc, test_refused_caps_warn);
  tcase_add_test (tc, test_copied_frame_not_kept);
  tcase_add_test (tc, test_allocation_without_pool);

  return s;
}

int
main (int argc, char **argv)
{
  GstPluginFeature *feature;
  Suite *s;

  gst_check_init (&argc, &argv);
  card = find_display_card ();
  if (!card)
    dmaheap_test_skip_or_fail ("no cirrus DRM card (QEMU -vga cirrus)");
  /* the VM's check suite puts only dmaheapalloc on the plugin path */
  gst_registry_scan_path (gst_registry_get (), DMAHEAPSINK_PLUGIN_DIR);
  feature = gst_registry_lookup_feature (gst_registry_get (), "dmaheapsink");
  if (!feature)
    dmaheap_test_skip_or_fail ("no dmaheapsink plugin in "
        DMAHEAPSINK_PLUGIN_DIR);
  gst_object_unref (feature);
  g_print ("display: %s\n", card);
  s = dmaheapsink_device_suite ();

  return gst_check_run_suite (s, "dmaheapsink-device", __FILE__);
}
