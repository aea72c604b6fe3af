/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* CPU time per frame of `videotestsrc ! dmaheapsink` against
 * `videotestsrc ! kmssink`, at 640x480, 1024x768 and the connector's largest
 * mode, in one process (one VM boot). See docs/performance.md, "Display".
 *
 * Two figures per run:
 *  - process: user + system CPU time of the whole process (videotestsrc
 *    drawing included) per frame;
 *  - sink: CPU time of the sink's streaming thread alone (a queue separates
 *    it from videotestsrc), measured with CLOCK_THREAD_CPUTIME_ID from a pad
 *    probe, per frame.
 *
 * kmssink cannot scale on a plane that cannot (QEMU's cirrus), so every size
 * is a mode size and both sinks set that mode (kmssink: force-modesetting;
 * dmaheapsink picks the mode of the frame's size by itself).
 *
 * Under TCG a guest's CPU time is host time while its vCPU ran, so whatever
 * else loads the host shows up: every (size, sink) run is repeated, the two
 * sinks alternating and swapping who goes first, and the median is kept. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* RUSAGE_THREAD */
#endif

#include <gst/gst.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

typedef struct
{
  gint64 first_ns;              /* thread CPU time at the first buffer */
  gint64 last_ns;               /* ... at EOS */
  struct rusage first_ru;       /* the same, split into user and kernel */
  struct rusage last_ru;
  guint frames;
} SinkClock;

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint64
process_cpu_ns (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ((gint64) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000
      + ((gint64) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static gint64
timeval_ns (const struct timeval *tv)
{
  return (gint64) tv->tv_sec * 1000000000 + (gint64) tv->tv_usec * 1000;
}

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  SinkClock *clk = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    if (clk->frames++ == 0) {
      clk->first_ns = thread_cpu_ns ();
      getrusage (RUSAGE_THREAD, &clk->first_ru);
    }
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS) {
    clk->last_ns = thread_cpu_ns ();
    getrusage (RUSAGE_THREAD, &clk->last_ru);
  }
  return GST_PAD_PROBE_OK;
}

typedef struct
{
  gdouble process_ms;           /* per frame */
  gdouble sink_ms;              /* per frame, sink thread */
  gdouble sink_user_ms;         /* ... of which in user space */
  gdouble fps;
  gboolean ok;
} Result;

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, gint n)
{
  qsort (v, n, sizeof (gdouble), (GCompareFunc) compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median (or, with @best, the lowest CPU times and highest rate) of
 * each figure over @n runs; failed if any run failed. Load from outside the
 * guest only ever adds time, so the best run is the least disturbed one. */
static Result
summary_result (const Result * runs, gint n, gboolean best)
{
  gdouble p[n], k[n], u[n], f[n];
  Result res = { 0, };
  gint i;

  res.ok = TRUE;
  for (i = 0; i < n; i++) {
    p[i] = runs[i].process_ms;
    k[i] = runs[i].sink_ms;
    u[i] = runs[i].sink_user_ms;
    f[i] = runs[i].fps;
    res.ok &= runs[i].ok;
  }
  /* median() sorts */
  res.process_ms = median (p, n);
  res.sink_ms = median (k, n);
  res.sink_user_ms = median (u, n);
  res.fps = median (f, n);
  if (best) {
    res.process_ms = p[0];
    res.sink_ms = k[0];
    res.sink_user_ms = u[0];
    res.fps = f[n - 1];
  }
  return res;
}

static void
print_table (const gchar * title, gint sizes[3][2], Result r[3][2], gint n)
{
  gint s, l = n - 1;

  g_print ("\n%s, CPU time per frame:\n\n", title);
  g_print ("| size | dmaheapsink process | kmssink process | ratio | "
      "dmaheapsink sink thread (user) | kmssink sink thread (user) | ratio |"
      "\n");
  g_print ("|---|---|---|---|---|---|---|\n");
  for (s = 0; s < n; s++)
    g_print ("| %dx%d | %.2f ms | %.2f ms | %.2f | %.2f ms (%.2f) | "
        "%.2f ms (%.2f) | %.2f |\n", sizes[s][0], sizes[s][1],
        r[s][0].process_ms, r[s][1].process_ms,
        r[s][1].process_ms > 0 ? r[s][0].process_ms / r[s][1].process_ms : 0,
        r[s][0].sink_ms, r[s][0].sink_user_ms, r[s][1].sink_ms,
        r[s][1].sink_user_ms,
        r[s][1].sink_ms > 0 ? r[s][0].sink_ms / r[s][1].sink_ms : 0);
  g_print ("\nlargest/smallest, dmaheapsink: process %.2f, sink thread %.2f "
      "(user %.2f); kmssink: process %.2f, sink thread %.2f (user %.2f)\n",
      r[0][0].process_ms > 0 ? r[l][0].process_ms / r[0][0].process_ms : 0,
      r[0][0].sink_ms > 0 ? r[l][0].sink_ms / r[0][0].sink_ms : 0,
      r[0][0].sink_user_ms > 0 ?
      r[l][0].sink_user_ms / r[0][0].sink_user_ms : 0,
      r[0][1].process_ms > 0 ? r[l][1].process_ms / r[0][1].process_ms : 0,
      r[0][1].sink_ms > 0 ? r[l][1].sink_ms / r[0][1].sink_ms : 0,
      r[0][1].sink_user_ms > 0 ?
      r[l][1].sink_user_ms / r[0][1].sink_user_ms : 0);
}

static Result
run (const gchar * sink_desc, gint w, gint h, guint frames)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=smpte "
      "! video/x-raw,format=BGRx,width=%d,height=%d,framerate=1000/1 ! "
      "queue max-size-buffers=2 ! %s name=sink sync=false", frames + 1, w, h,
      sink_desc);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (desc, &err);
  SinkClock clk = { 0, };
  Result res = { 0, };
  GstElement *sink;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  gint64 cpu0, cpu1, t0, t1;

  if (!pipe) {
    g_printerr ("%s: %s\n", desc, err->message);
    g_clear_error (&err);
    g_free (desc);
    return res;
  }

  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, sink_probe, &clk, NULL);
  bus = gst_element_get_bus (pipe);

  /* Preroll (device set-up, mode set, first frame) is not measured. */
  gst_element_set_state (pipe, GST_STATE_PAUSED);
  gst_element_get_state (pipe, NULL, NULL, 60 * GST_SECOND);
  cpu0 = process_cpu_ns ();
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 300 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  cpu1 = process_cpu_ns ();
  t1 = g_get_monotonic_time ();

  if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS && clk.frames > 1) {
    res.ok = TRUE;
    /* The first frame went through preroll: count the frames after it. */
    res.process_ms = (cpu1 - cpu0) / 1e6 / (clk.frames - 1);
    res.sink_ms = (clk.last_ns - clk.first_ns) / 1e6 / (clk.frames - 1);
    res.sink_user_ms = (timeval_ns (&clk.last_ru.ru_utime) -
        timeval_ns (&clk.first_ru.ru_utime)) / 1e6 / (clk.frames - 1);
    res.fps = (clk.frames - 1) / ((t1 - t0) / 1e6);
  } else if (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("%s: %s (%s)\n", desc, err->message, dbg);
    g_clear_error (&err);
    g_free (dbg);
  }
  if (msg)
    gst_message_unref (msg);

  if (g_str_has_prefix (sink_desc, "dmaheapsink")) {
    GstStructure *stats = NULL;

    g_object_get (sink, "stats", &stats, NULL);
    g_print ("#   %s\n", gst_structure_to_string (stats));
    gst_structure_free (stats);
  }

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return res;
}

/* The largest mode of the first connected connector of @card, within
 * @max_w x @max_h when they are positive (vkms offers modes up to 8192x8192,
 * more than the test VM's memory holds in frames). */
static gboolean
largest_mode (const gchar * card, gint max_w, gint max_h, gint * w, gint * h)
{
  gint fd = open (card, O_RDWR | O_CLOEXEC), i, j;
  drmModeRes *res;
  gboolean found = FALSE;

  if (fd < 0)
    return FALSE;
  res = drmModeGetResources (fd);
  for (i = 0; res && i < res->count_connectors && !found; i++) {
    drmModeConnector *c = drmModeGetConnector (fd, res->connectors[i]);

    if (c && c->connection == DRM_MODE_CONNECTED) {
      for (j = 0; j < c->count_modes; j++) {
        if ((max_w > 0 && c->modes[j].hdisplay > max_w)
            || (max_h > 0 && c->modes[j].vdisplay > max_h))
          continue;
        if (c->modes[j].hdisplay * c->modes[j].vdisplay > *w * *h) {
          *w = c->modes[j].hdisplay;
          *h = c->modes[j].vdisplay;
        }
      }
      found = *w > 0;
    }
    if (c)
      drmModeFreeConnector (c);
  }
  if (res)
    drmModeFreeResources (res);
  close (fd);
  return found;
}

int
main (int argc, char **argv)
{
  gint sizes[3][2] = { {640, 480}, {1024, 768}, {0, 0} };
  gchar *card = NULL, *heap = NULL, *kms_driver = NULL, *max_size = NULL;
  gint max_w = 0, max_h = 0;
  gint frames = 100, repeat = 5;
  GOptionEntry entries[] = {
    {"frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames per run", "N"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat,
        "Runs per size and sink; the median is reported", "R"},
    {"heap", 0, 0, G_OPTION_ARG_STRING, &heap,
        "dmaheapsink heap= (default: its own choice)", "NAME"},
    {"kms-driver", 0, 0, G_OPTION_ARG_STRING, &kms_driver,
        "kmssink driver-name= (default: $VM_DISPLAY_DRIVER, else cirrus)", "NAME"},
    {"card", 0, 0, G_OPTION_ARG_STRING, &card,
        "DRM device whose largest mode is measured (default: /dev/dri/card0)",
        "PATH"},
    {"max-size", 0, 0, G_OPTION_ARG_STRING, &max_size,
        "Largest mode to consider (default: any)", "WxH"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- dmaheapsink vs kmssink");
  Result r[3][2], best[3][2];
  gchar *sinks[2];
  GError *err = NULL;
  gint s, k, n_sizes = 3;
  gboolean ok = TRUE;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  if (max_size && sscanf (max_size, "%dx%d", &max_w, &max_h) != 2) {
    g_printerr ("--max-size wants WIDTHxHEIGHT, e.g. 1920x1080, not '%s'\n",
        max_size);
    return 2;
  }
  if (!largest_mode (card ? card : "/dev/dri/card0", max_w, max_h,
          &sizes[2][0], &sizes[2][1])) {
    g_printerr ("no connected display with a mode within %s on %s\n",
        max_size ? max_size : "any size", card ? card : "/dev/dri/card0");
    return 77;
  }

  /* a display whose modes stop below the middle size (cirrus-qemu from
   * 6.15: 800x600): the smallest and the largest only */
  if (sizes[1][0] > sizes[2][0] || sizes[1][1] > sizes[2][1]) {
    g_print ("# the largest mode, %dx%d, is smaller than %dx%d: two sizes\n",
        sizes[2][0], sizes[2][1], sizes[1][0], sizes[1][1]);
    sizes[1][0] = sizes[2][0];
    sizes[1][1] = sizes[2][1];
    n_sizes = 2;
  }

  sinks[0] = heap ? g_strdup_printf ("dmaheapsink heap=%s", heap) :
      g_strdup ("dmaheapsink");
  sinks[1] = g_strdup_printf ("kmssink driver-name=%s force-modesetting=true",
      kms_driver ? kms_driver : g_getenv ("VM_DISPLAY_DRIVER") ?
      g_getenv ("VM_DISPLAY_DRIVER") : "cirrus");

  if (repeat < 1 || frames < 2) {
    g_printerr ("need --repeat >= 1 and --frames >= 2\n");
    return 2;
  }

  g_print ("# %d frames per run, %d runs each; CPU ms per frame (process | "
      "sink thread), frames per second\n", frames, repeat);
  for (s = 0; s < n_sizes; s++) {
    Result runs[2][repeat];
    gint i;

    for (i = 0; i < repeat; i++) {
      for (k = 0; k < 2; k++) {
        gint which = (k + i) % 2;
        Result *x = &runs[which][i];

        *x = run (sinks[which], sizes[s][0], sizes[s][1], frames);
        g_print ("# %4dx%-4d %-50s %s %7.2f | %7.2f (user %.2f) ms  %6.1f "
            "fps\n", sizes[s][0], sizes[s][1], sinks[which],
            x->ok ? "" : "FAILED", x->process_ms, x->sink_ms,
            x->sink_user_ms, x->fps);
      }
    }
    for (k = 0; k < 2; k++) {
      r[s][k] = summary_result (runs[k], repeat, FALSE);
      best[s][k] = summary_result (runs[k], repeat, TRUE);
      ok &= r[s][k].ok;
    }
  }

  {
    gchar *title = g_strdup_printf ("Medians of %d runs", repeat);

    print_table (title, sizes, r, n_sizes);
    print_table ("Best runs (least disturbed by the host)", sizes, best,
        n_sizes);
    g_free (title);
  }

  g_free (sinks[0]);
  g_free (sinks[1]);
  g_free (heap);
  g_free (kms_driver);
  g_free (card);
  g_free (max_size);
  return ok ? 0 : 1;
}
