/* GStreamer dma-buf heap support: choosing heaps per caps
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * An application that decides which dma-buf heap each stream's buffers come
 * from, through dmaheapalloc's "select-heap" signal, and says what it chose
 * and why. It lists the heaps, then runs one short pipeline per format:
 *
 *   videotestsrc ! video/x-raw,format=F,... ! dmaheapalloc ! fakesink
 *
 * The policy (select_heap_cb): YUV 4:2:0 frames usually go on to a codec or
 * a display controller, which on many boards lacks an IOMMU, so they get a
 * physically contiguous heap when one exists and can hold the frame; RGB
 * frames here are drawn and read by the CPU, so they keep the element's
 * default choice (a cached, scattered heap such as "system").
 *
 * Usage: heap-select [NUM_BUFFERS]
 */

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/dmaheap/dmaheap.h>

#include <stdlib.h>

typedef struct
{
  GPtrArray *heaps;             /* GstDmaHeapInfo */
  const gchar *chosen;          /* what select_heap_cb returned last */
} App;

static const GstDmaHeapInfo *
find_contiguous_heap (App * app, gsize frame_size)
{
  guint i;

  for (i = 0; i < app->heaps->len; i++) {
    const GstDmaHeapInfo *info = g_ptr_array_index (app->heaps, i);

    if (!(info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS) ||
        (info->flags & GST_DMA_HEAP_FLAG_PROTECTED))
      continue;
    /* a heap that told us its largest buffer must be able to hold it */
    if (info->max_size && info->max_size < frame_size)
      continue;
    return info;
  }

  return NULL;
}

static gchar *
select_heap_cb (GstElement * element, GstCaps * caps,
    const gchar * default_heap, App * app)
{
  GstVideoInfo vinfo;
  const GstDmaHeapInfo *contiguous;
  gchar *caps_str = gst_caps_to_string (caps);

  g_print ("select-heap: %s\n  element's choice: %s\n", caps_str, default_heap);
  g_free (caps_str);

  if (!gst_video_info_from_caps (&vinfo, caps)) {
    g_print ("  chosen: %s (not raw video: keep the element's choice)\n",
        default_heap);
    app->chosen = NULL;
    return NULL;
  }

  switch (GST_VIDEO_INFO_FORMAT (&vinfo)) {
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_I420:
      contiguous = find_contiguous_heap (app, GST_VIDEO_INFO_SIZE (&vinfo));
      if (contiguous) {
        g_print ("  chosen: %s (4:2:0 frames of %" G_GSIZE_FORMAT " bytes "
            "may go to a codec or display without an IOMMU: contiguous)\n",
            contiguous->name, GST_VIDEO_INFO_SIZE (&vinfo));
        app->chosen = contiguous->name;
        return g_strdup (contiguous->name);
      }
      g_print ("  chosen: %s (4:2:0, but no contiguous heap can hold %"
          G_GSIZE_FORMAT " bytes)\n", default_heap,
          GST_VIDEO_INFO_SIZE (&vinfo));
      break;
    default:
      g_print ("  chosen: %s (%s frames are drawn by the CPU: cached "
          "memory, the element's choice)\n", default_heap,
          gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&vinfo)));
      break;
  }
  app->chosen = NULL;

  return NULL;
}

/* Runs one stream to EOS; FALSE on error. */
static gboolean
run_stream (App * app, const gchar * caps, guint num_buffers)
{
  GError *error = NULL;
  GstElement *pipeline, *alloc;
  GstStructure *stats;
  GstMessage *msg;
  gboolean ok;
  gchar *desc, *str;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u ! %s ! "
      "dmaheapalloc name=alloc ! fakesink", num_buffers, caps);
  g_print ("\n%s\n", desc);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("cannot build the pipeline: %s\n", error->message);
    g_error_free (error);
    return FALSE;
  }

  alloc = gst_bin_get_by_name (GST_BIN (pipeline), "alloc");
  g_signal_connect (alloc, "select-heap", G_CALLBACK (select_heap_cb), app);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (!ok) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &error, &dbg);
    g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
        error->message, dbg ? dbg : "");
    g_error_free (error);
    g_free (dbg);
  }
  gst_message_unref (msg);

  g_object_get (alloc, "stats", &stats, NULL);
  str = gst_structure_to_string (stats);
  g_print ("stats: %s\n", str);
  g_free (str);
  if (ok && app->chosen &&
      g_strcmp0 (gst_structure_get_string (stats, "heap"), app->chosen)) {
    g_printerr ("the element did not use the heap the application chose\n");
    ok = FALSE;
  }
  gst_structure_free (stats);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (alloc);
  gst_object_unref (pipeline);

  return ok;
}

int
main (int argc, char **argv)
{
  static const gchar *streams[] = {
    "video/x-raw,format=NV12,width=1280,height=720",
    "video/x-raw,format=BGRx,width=640,height=480",
  };
  App app = { NULL, NULL };
  GError *error = NULL;
  guint num_buffers = 10, i;
  gboolean ok = TRUE;

  gst_init (&argc, &argv);
  if (argc > 1)
    num_buffers = MAX (1, atoi (argv[1]));

  app.heaps = gst_dma_heap_list (&error);
  if (!app.heaps) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    return EXIT_FAILURE;
  }
  g_print ("dma-buf heaps in %s:\n", gst_dma_heap_get_dir ());
  for (i = 0; i < app.heaps->len; i++) {
    gchar *desc = gst_dma_heap_info_to_string (g_ptr_array_index (app.heaps,
            i));

    g_print ("  %s\n", desc);
    g_free (desc);
  }

  for (i = 0; i < G_N_ELEMENTS (streams) && ok; i++)
    ok = run_stream (&app, streams[i], num_buffers);

  g_ptr_array_unref (app.heaps);
  gst_deinit ();

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
