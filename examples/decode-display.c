/* decode-display: zero-copy decode to display, heap chosen per caps
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The path this project exists for:
 *
 *   videotestsrc ! v4l2fwhtenc ! v4l2fwhtdec capture-io-mode=dmabuf-import
 *     ! dmaheapalloc ! dmaheapsink
 *
 * or, with --stream (any GStreamer; v4l2fwhtenc cannot drive vicodec from
 * 1.24 on), multifilesrc of frames that fwht-encode made in place of the
 * encoder.
 *
 * The V4L2 decoder writes each frame straight into a dma-buf heap buffer from
 * dmaheapalloc's pool, and dmaheapsink scans that same buffer out through DRM
 * PRIME: no copy anywhere. Which heap the pool uses is decided here, per
 * caps, in a "select-heap" handler: the display's needs (the kernel's device
 * hint, or contiguous memory when the display has no IOMMU) win, then the
 * element's own choice.
 *
 * With --exec-at-eos CMD, CMD runs while the last frame is still on screen
 * (the tests and the demo take a screendump that way). At EOS it prints how
 * many frames the decoder put out (and dropped as late), dmaheapalloc's
 * allocations at each of them and both elements' stats; with --report-fds,
 * after the pipeline is freed, the fds still open by kind; --baseline runs
 * the same source and decoder into fakesink, without this project's
 * elements.
 */

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/dmaheap/dmaheap.h>

#include <stdlib.h>

typedef struct
{
  gchar *device;
  gchar *forced_heap;
  gchar *chosen_heap;
} App;

static gchar *
display_device (GstElement * sink, App * app)
{
  gchar *device = NULL;

  if (app->device)
    return g_strdup (app->device);
  g_object_get (sink, "device", &device, NULL);
  return device;
}

/* "select-heap" handler of dmaheapalloc: return the heap for @caps. */
static gchar *
select_heap_for_caps (GstElement * alloc, GstCaps * caps,
    const gchar * element_choice, App * app)
{
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (alloc));
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstVideoInfo vinfo;
  gboolean known = gst_video_info_from_caps (&vinfo, caps);
  gchar *caps_str = known ? g_strdup_printf ("%s %ux%u",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&vinfo)),
      GST_VIDEO_INFO_WIDTH (&vinfo),
      GST_VIDEO_INFO_HEIGHT (&vinfo)) : gst_caps_to_string (caps);
  gchar *device = display_device (sink, app);
  /* the decoder writes into the buffers: the heap must suit it too */
  GstElement *dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  gchar *decoder = NULL;
  const gchar *producers[2] = { NULL, NULL };
  GError *error = NULL;
  GstDmaHeapChoiceRequest req = {.heap = app->forced_heap,.device = device,
    .frame_size = known ? GST_VIDEO_INFO_SIZE (&vinfo) : 0,
    .proposed_heap = element_choice,
    .proposed_by = "dmaheapalloc's own choice for these caps",
    .devices = producers
  };
  GstDmaHeapChoice *choice;
  gchar *heap;
  const gchar *why;

  if (dec) {
    g_object_get (dec, "device", &decoder, NULL);
    producers[0] = decoder;
    gst_object_unref (dec);
  }
  /* the library's policy, the one both elements use, with its reason */
  choice = gst_dma_heap_choose_full (&req, &error);
  heap = choice ? g_strdup (choice->heap) : NULL;
  why = choice ? choice->reason : error->message;

  g_print ("heap for %s on display %s: %s (%s)\n", caps_str,
      device ? device : "(auto)", heap ? heap : "(none)", why);
  g_free (app->chosen_heap);
  app->chosen_heap = g_strdup (heap);

  gst_dma_heap_choice_free (choice);
  g_clear_error (&error);
  g_free (decoder);
  g_free (device);
  g_free (caps_str);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return heap;
}

static void
print_stats (GstElement * pipeline, const gchar * name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstStructure *stats = NULL;
  gchar *s;

  g_object_get (e, "stats", &stats, NULL);
  s = gst_structure_to_string (stats);
  g_print ("%s stats: %s\n", name, s);
  g_free (s);
  gst_structure_free (stats);
  gst_object_unref (e);
}

/* What the decoder puts out, and dmaheapalloc's allocations so far at each
 * of its frames (a pool that churns allocates all along the stream). */
typedef struct
{
  GstElement *alloc;
  guint decoded;
  GString *allocations;
} Trace;

static GstPadProbeReturn
trace_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Trace *trace = user_data;
  GstStructure *stats = NULL;
  guint allocations = 0;

  trace->decoded++;
  if (trace->alloc) {
    g_object_get (trace->alloc, "stats", &stats, NULL);
    gst_structure_get_uint (stats, "allocations", &allocations);
    gst_structure_free (stats);
    g_string_append_printf (trace->allocations, " %u", allocations);
  }
  return GST_PAD_PROBE_OK;
}

/* The fds this process still holds, by what they are: after the pipeline
 * is freed, any dma-buf, heap or DRM fd is a leak; V4L2 fds are compared
 * with what the same decoder leaves open without our elements. */
static void
print_open_fds (void)
{
  guint dmabuf = 0, heap = 0, drm = 0, video = 0;
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/fd", name, NULL);
    gchar *target = g_file_read_link (path, NULL);

    if (!target)
      target = g_strdup ("");
    if (g_str_has_prefix (target, "/dmabuf:") ||
        g_str_has_prefix (target, "anon_inode:dmabuf"))
      dmabuf++;
    else if (g_str_has_prefix (target, "/dev/dma_heap"))
      heap++;
    else if (g_str_has_prefix (target, "/dev/dri/"))
      drm++;
    else if (g_str_has_prefix (target, "/dev/video"))
      video++;
    g_free (target);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_print ("open fds: dmabuf=%u heap=%u drm=%u video=%u\n", dmabuf, heap,
      drm, video);
}

static void
print_heap (const gchar * name)
{
  GError *err = NULL;
  GstDmaHeapInfo *info = gst_dma_heap_info_query (name, &err);
  gchar *s;

  if (!info) {
    g_print ("heap %s: %s\n", name, err->message);
    g_clear_error (&err);
    return;
  }
  s = gst_dma_heap_info_to_string (info);
  g_print ("heap %s\n", s);
  g_free (s);
  gst_dma_heap_info_free (info);
}

int
main (int argc, char **argv)
{
  App app = { NULL, };
  gint width = 640, height = 480, frames = 30;
  gboolean no_sync = FALSE, no_pin = FALSE, baseline = FALSE;
  gboolean report_fds = FALSE;
  gchar *encoder_input = NULL;
  guint64 qos_dropped = 0;
  gchar *format = NULL, *exec_at_eos = NULL, *stream = NULL, *src, *desc;
  gchar *pin;
  const gchar *fmt;
  GOptionEntry entries[] = {
    {"width", 'w', 0, G_OPTION_ARG_INT, &width, "Frame width (640)", "W"},
    {"height", 'h', 0, G_OPTION_ARG_INT, &height, "Frame height (480)", "H"},
    {"frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames to decode (30)", "N"},
    {"format", 'f', 0, G_OPTION_ARG_STRING, &format,
        "Format encoded, decoded and shown (BGRx)", "FORMAT"},
    {"stream", 's', 0, G_OPTION_ARG_FILENAME, &stream,
        "Decode these FWHT frames (multifilesrc location, e.g. "
          "/tmp/fwht-%03d.fwht from fwht-encode) instead of encoding "
          "videotestsrc with v4l2fwhtenc, which drives vicodec only on "
          "GStreamer 1.22", "PATTERN"},
    {"device", 'd', 0, G_OPTION_ARG_STRING, &app.device,
        "DRM device (default: the first with a connected display)", "PATH"},
    {"heap", 0, 0, G_OPTION_ARG_STRING, &app.forced_heap,
        "Use this heap whatever the caps", "NAME"},
    {"no-sync", 0, 0, G_OPTION_ARG_NONE, &no_sync,
        "Show every frame as soon as it is decoded (a slow machine or "
          "emulator would otherwise make the decoder drop late frames)", NULL},
    {"no-pin", 0, 0, G_OPTION_ARG_NONE, &no_pin,
          "No format or size in the caps: the decoder takes them from the "
          "stream and the display (its caps change before the first frame); "
          "without --stream, videotestsrc's own caps into v4l2fwhtenc",
        NULL},
    {"baseline", 0, 0, G_OPTION_ARG_NONE, &baseline,
          "The same source and decoder into fakesink, without this project's "
          "elements (what GStreamer alone leaves open, for --report-fds)",
        NULL},
    {"encoder-input", 0, 0, G_OPTION_ARG_STRING, &encoder_input,
        "With --no-pin and no --stream: the caps videotestsrc feeds "
          "v4l2fwhtenc (default: what they negotiate)", "CAPS"},
    {"report-fds", 0, 0, G_OPTION_ARG_NONE, &report_fds,
        "After the pipeline is freed, print the file descriptors still "
          "open, by kind (dma-buf, heap, DRM, V4L2)", NULL},
    {"exec-at-eos", 0, 0, G_OPTION_ARG_STRING, &exec_at_eos,
        "Run CMD while the last frame is on screen", "CMD"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- decode to display, zero copy");
  GError *err = NULL;
  GstElement *pipeline, *alloc, *dec;
  GstPad *dec_src;
  Trace trace = { NULL, 0, g_string_new (NULL) };
  GstBus *bus;
  GstMessage *msg;
  gint status = EXIT_FAILURE;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (width <= 0 || height <= 0 || frames <= 0) {
    g_printerr ("--width, --height and --frames must be positive\n");
    return 2;
  }

  /* The stream is encoded in the display's format, so the decoder never
   * converts. GStreamer 1.22 tags RGB streams with sRGB colorimetry, which
   * the v4l2 FWHT decoder refuses: the caps say bt601. */
  fmt = format ? format : "BGRx";
  if (stream && no_pin)
    src = g_strdup_printf ("multifilesrc location=\"%s\" stop-index=%d "
        "caps=video/x-fwht,framerate=30/1,colorimetry=bt601", stream,
        frames - 1);
  else if (stream)
    src = g_strdup_printf ("multifilesrc location=\"%s\" stop-index=%d "
        "caps=video/x-fwht,width=%d,height=%d,framerate=30/1,"
        "colorimetry=bt601", stream, frames - 1, width, height);
  else if (no_pin)
    src = g_strdup_printf ("videotestsrc pattern=smpte num-buffers=%d "
        "%s%s! v4l2fwhtenc ! capssetter caps=video/x-fwht,colorimetry=bt601",
        frames, encoder_input ? "! " : "", encoder_input ? encoder_input : "");
  else
    src = g_strdup_printf ("videotestsrc pattern=smpte num-buffers=%d "
        "! video/x-raw,format=%s,width=%d,height=%d,framerate=30/1 "
        "! v4l2fwhtenc ! capssetter caps=video/x-fwht,colorimetry=bt601",
        frames, fmt, width, height);
  /* a baseline decodes into the format asked for, as the sink makes it do */
  pin = no_pin && !(baseline && format) ? g_strdup ("") :
      g_strdup_printf ("! video/x-raw,format=%s ", fmt);
  if (baseline)
    desc = g_strdup_printf ("%s ! v4l2fwhtdec name=dec capture-io-mode=dmabuf "
        "%s! fakesink sync=%s", src, pin, no_sync ? "false" : "true");
  else
    desc = g_strdup_printf ("%s ! v4l2fwhtdec name=dec "
        "capture-io-mode=dmabuf-import "
        "%s! dmaheapalloc name=alloc ! dmaheapsink name=sink sync=%s%s%s",
        src, pin, no_sync ? "false" : "true", app.device ? " device=" : "",
        app.device ? app.device : "");
  g_free (pin);
  g_free (src);
  g_print ("pipeline: %s\n", desc);
  pipeline = gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      &err);
  g_free (desc);
  if (!pipeline) {
    g_printerr ("could not build the pipeline: %s\n"
        "(dmaheapalloc and dmaheapsink come from this project: run from "
        "`meson devenv` or set GST_PLUGIN_PATH to the build's gst/ folder; "
        "v4l2fwhtenc/dec need a V4L2 FWHT codec such as vicodec)\n",
        err->message);
    g_clear_error (&err);
    return EXIT_FAILURE;
  }

  alloc = gst_bin_get_by_name (GST_BIN (pipeline), "alloc");
  if (alloc)
    g_signal_connect (alloc, "select-heap", G_CALLBACK (select_heap_for_caps),
        &app);
  trace.alloc = alloc;

  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  dec_src = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (dec_src, GST_PAD_PROBE_TYPE_BUFFER, trace_buffer,
      &trace, NULL);
  gst_object_unref (dec_src);
  gst_object_unref (dec);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  /* the decoder's QoS messages count the frames it dropped as too late */
  while ((msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_QOS)) &&
      GST_MESSAGE_TYPE (msg) == GST_MESSAGE_QOS) {
    guint64 dropped = 0;

    if (g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "dec") == 0) {
      gst_message_parse_qos_stats (msg, NULL, NULL, &dropped);
      qos_dropped = MAX (qos_dropped, dropped);
    }
    gst_message_unref (msg);
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
        err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
  } else {
    status = EXIT_SUCCESS;
    g_print ("decoder: %u frames out, %" G_GUINT64_FORMAT " dropped late "
        "(QoS)\n", trace.decoded, qos_dropped);
    if (alloc)
      g_print ("allocations by decoded frame:%s\n", trace.allocations->str);
    if (!baseline) {
      print_stats (pipeline, "alloc");
      print_stats (pipeline, "sink");
    }
    if (app.chosen_heap)
      print_heap (app.chosen_heap);
    if (exec_at_eos) {
      gint cmd_status = 0;

      if (!g_spawn_command_line_sync (exec_at_eos, NULL, NULL, &cmd_status,
              &err) || !g_spawn_check_wait_status (cmd_status, &err)) {
        g_printerr ("--exec-at-eos '%s' failed: %s\n", exec_at_eos,
            err->message);
        g_clear_error (&err);
        status = EXIT_FAILURE;
      }
    }
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (alloc)
    gst_object_unref (alloc);
  g_string_free (trace.allocations, TRUE);
  gst_object_unref (pipeline);
  if (report_fds)
    print_open_fds ();

  g_free (app.chosen_heap);
  g_free (app.device);
  g_free (app.forced_heap);
  g_free (format);
  g_free (stream);
  g_free (exec_at_eos);
  g_free (encoder_input);
  gst_deinit ();
  return status;
}
