/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmsnegotiation.h"

#include <gst/video/video.h>

#include <string.h>

/* "format" (or "drm-format"), "width" and "height" of @caps' first
 * structure, as GStreamer writes them: "I420 640x480",
 * "{ BGRx, RGB16 } [ 1, 1920 ]x[ 1, 1080 ]" */
static gchar *
describe_video_caps (GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *fields[] = { "format", "width", "height" };
  gchar *v[3];
  gchar *str;
  guint i;

#if GST_CHECK_VERSION(1, 24, 0)
  if (gst_video_is_dma_drm_caps (caps) && gst_structure_has_field (s,
          "drm-format"))
    fields[0] = "drm-format";
#endif
  for (i = 0; i < G_N_ELEMENTS (fields); i++) {
    const GValue *value = gst_structure_get_value (s, fields[i]);
    gchar **parts;

    v[i] = value ? gst_value_serialize (value) : g_strdup ("any");
    /* "{ (string)BGRx, (string)RGB16 }" reads as "{ BGRx, RGB16 }" */
    parts = g_strsplit (v[i], "(string)", -1);
    g_free (v[i]);
    v[i] = g_strjoinv ("", parts);
    g_strfreev (parts);
  }
  str = g_strdup_printf ("%s %sx%s", v[0], v[1], v[2]);
  for (i = 0; i < G_N_ELEMENTS (v); i++)
    g_free (v[i]);
  return str;
}

/* Upstream settled on raw video the display cannot show at all: say which,
 * and what it can show, once per stream. A warning: upstream posts the
 * not-negotiated error. Called where the stream commits to caps (a CAPS
 * event the sink refuses, or the end of a stream that never got caps after
 * asking for such), never from a caps query: queries have no side effects,
 * and autopluggers probe sinks with caps they may not use. */
static void
warn_unshowable (GstKmsNegotiation * neg, GstCaps * filter, GstCaps * caps)
{
  gchar *device;
  guint32 crtc_id;
  gchar *asked, *can;

  if (gst_caps_is_empty (filter) || gst_caps_is_any (filter)
      || !gst_structure_has_name (gst_caps_get_structure (filter, 0),
          "video/x-raw") || gst_caps_is_empty (caps))
    return;
  GST_OBJECT_LOCK (neg->element);
  if (neg->warned) {
    GST_OBJECT_UNLOCK (neg->element);
    return;
  }
  neg->warned = TRUE;
  device = g_strdup (neg->device);
  crtc_id = neg->crtc_id;
  GST_OBJECT_UNLOCK (neg->element);

  asked = describe_video_caps (filter);
  can = describe_video_caps (caps);
  GST_ELEMENT_WARNING (neg->element, CORE, NEGOTIATION,
      ("The display cannot show %s: the planes of %s for CRTC %u take %s. "
          "Put videoconvert (and videoscale) before dmaheapsink, or ask the "
          "source for one of those formats and sizes.", asked, device,
          crtc_id, can), ("asked %" GST_PTR_FORMAT ", can show %"
          GST_PTR_FORMAT, filter, caps));
  g_free (asked);
  g_free (can);
  g_free (device);
}

/* Warns when @asked (or, when NULL, the caps a query last found nothing
 * for) cannot be shown by the display. */
void
gst_kms_negotiation_check (GstKmsNegotiation * neg, GstCaps * asked)
{
  GstCaps *allowed, *refused;

  GST_OBJECT_LOCK (neg->element);
  allowed = neg->allowed ? gst_caps_ref (neg->allowed) : NULL;
  refused = neg->refused ? gst_caps_ref (neg->refused) : NULL;
  GST_OBJECT_UNLOCK (neg->element);

  if (!asked)
    asked = refused;
  if (allowed && asked && !gst_caps_can_intersect (asked, allowed))
    warn_unshowable (neg, asked, allowed);
  gst_clear_caps (&allowed);
  gst_clear_caps (&refused);
}

/* A CAPS event the sink cannot show is refused before the sink's event
 * handler sees it (its pad asks ACCEPT_CAPS first): a probe sees it come. */
static GstPadProbeReturn
caps_event_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    gst_event_parse_caps (event, &caps);
    gst_kms_negotiation_check (user_data, caps);
  }

  return GST_PAD_PROBE_OK;
}

/* Watches the CAPS events of @pad, the sink pad of @element. */
void
gst_kms_negotiation_init (GstKmsNegotiation * neg, GstElement * element,
    GstPad * pad)
{
  memset (neg, 0, sizeof (*neg));
  neg->element = element;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      caps_event_probe, neg, NULL);
}

/* A device is open: its planes, for CRTC @crtc_id of @device, take
 * @allowed. A new stream is warned once again. */
void
gst_kms_negotiation_start (GstKmsNegotiation * neg, GstCaps * allowed,
    const gchar * device, guint32 crtc_id)
{
  GST_OBJECT_LOCK (neg->element);
  gst_caps_replace (&neg->allowed, allowed);
  g_free (neg->device);
  neg->device = g_strdup (device);
  neg->crtc_id = crtc_id;
  neg->warned = FALSE;
  gst_clear_caps (&neg->refused);
  GST_OBJECT_UNLOCK (neg->element);
}

/* No device open (stop(), finalize). */
void
gst_kms_negotiation_stop (GstKmsNegotiation * neg)
{
  GST_OBJECT_LOCK (neg->element);
  gst_clear_caps (&neg->allowed);
  g_clear_pointer (&neg->device, g_free);
  gst_clear_caps (&neg->refused);
  GST_OBJECT_UNLOCK (neg->element);
}

/* The pad's caps, within @filter: what the display's planes take, or the
 * template's without a device. */
GstCaps *
gst_kms_negotiation_get_caps (GstKmsNegotiation * neg, GstCaps * filter)
{
  GstCaps *caps, *tmp;

  GST_OBJECT_LOCK (neg->element);
  caps = neg->allowed ? gst_caps_ref (neg->allowed) : NULL;
  GST_OBJECT_UNLOCK (neg->element);
  if (!caps) {
    GstPad *pad = gst_element_get_static_pad (neg->element, "sink");

    caps = gst_pad_get_pad_template_caps (pad);
    gst_object_unref (pad);
    if (filter) {
      tmp = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (caps);
      caps = tmp;
    }
    return caps;
  }
  if (!filter)
    return caps;

  tmp = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (caps);
  /* only noted (for the end of a stream that never gets caps): a query
   * posts nothing */
  if (gst_caps_is_empty (tmp)) {
    GST_INFO_OBJECT (neg->element, "cannot show %" GST_PTR_FORMAT, filter);
    GST_OBJECT_LOCK (neg->element);
    gst_caps_replace (&neg->refused, filter);
    GST_OBJECT_UNLOCK (neg->element);
  }
  return tmp;
}

/* Caps were accepted: what a query refused before does not matter. */
void
gst_kms_negotiation_accepted (GstKmsNegotiation * neg)
{
  GST_OBJECT_LOCK (neg->element);
  gst_clear_caps (&neg->refused);
  GST_OBJECT_UNLOCK (neg->element);
}
