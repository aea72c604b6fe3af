/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Which devices will use the buffers: the heap must suit the V4L2 element
 * that writes into them (v4l2src, the stateful and stateless decoders,
 * v4l2convert, importing our dma-bufs), and should suit the display that
 * shows them. Found by walking the pipeline from dmaheapalloc's pads,
 * through elements of one sink and one source pad (queue, capsfilter, ...)
 * and in and out of bins. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapallocpeers.h"

GST_DEBUG_CATEGORY_EXTERN (gst_dma_heap_alloc_debug);
#define GST_CAT_DEFAULT gst_dma_heap_alloc_debug

/* elements passed before giving up: a pipeline is not that deep */
#define MAX_HOPS 16

/* The element across the link of @pad, seen through ghost pads. */
static GstElement *
element_across (GstPad * pad)
{
  GstPad *peer = gst_pad_get_peer (pad);
  GstElement *element;

  /* into a bin: the ghost pad's target is the element inside */
  while (peer && GST_IS_GHOST_PAD (peer)) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (peer));

    gst_object_unref (peer);
    peer = target;
  }
  /* out of a bin: the proxy pad's parent is the ghost pad */
  while (peer && GST_IS_PROXY_PAD (peer) && !GST_IS_GHOST_PAD (peer)) {
    GstPad *ghost = GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (peer)));
    GstPad *next = ghost ? gst_pad_get_peer (ghost) : NULL;

    if (ghost)
      gst_object_unref (ghost);
    gst_object_unref (peer);
    peer = next;
  }
  if (!peer)
    return NULL;
  element = gst_pad_get_parent_element (peer);
  gst_object_unref (peer);
  return element;
}

/* The one pad of @element in @direction, or NULL (none, or several). */
static GstPad *
only_pad (GstElement * element, GstPadDirection direction)
{
  GList *pads, *l;
  GstPad *found = NULL;
  guint n = 0;

  GST_OBJECT_LOCK (element);
  pads = direction == GST_PAD_SINK ? element->sinkpads : element->srcpads;
  for (l = pads; l; l = l->next, n++)
    found = l->data;
  if (n == 1)
    gst_object_ref (found);
  else
    found = NULL;
  GST_OBJECT_UNLOCK (element);
  return found;
}

static gchar *
string_property (GstElement * element, const gchar * name)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (element), name);
  gchar *value = NULL;

  if (spec && spec->value_type == G_TYPE_STRING &&
      (spec->flags & G_PARAM_READABLE))
    g_object_get (element, name, &value, NULL);
  return value;
}

/* The nick of an enum property, e.g. "dmabuf-import"; NULL without it. */
static const gchar *
enum_nick (GstElement * element, const gchar * name)
{
  GParamSpec *spec = g_object_class_find_property (G_OBJECT_GET_CLASS
      (element), name);
  GEnumValue *value;
  gint v;

  if (!spec || !G_IS_PARAM_SPEC_ENUM (spec))
    return NULL;
  g_object_get (element, name, &v, NULL);
  value = g_enum_get_value (G_PARAM_SPEC_ENUM (spec)->enum_class, v);
  return value ? value->value_nick : NULL;
}

static gboolean
is_v4l2 (GstElement * element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  GstPlugin *plugin;
  gboolean ret;

  if (!factory)
    return FALSE;
  plugin = gst_plugin_feature_get_plugin (GST_PLUGIN_FEATURE (factory));
  ret = plugin && g_strcmp0 (gst_plugin_get_name (plugin), "video4linux2") == 0;
  if (plugin)
    gst_object_unref (plugin);
  return ret;
}

/* Upstream: the first V4L2 element; its device when it writes into the
 * buffers proposed to it (v4l2src's io-mode, the m2m elements'
 * capture-io-mode is dmabuf-import). */
static void
find_producer (GstDmaHeapAllocPeers * peers, GstElement * self)
{
  GstPad *pad = only_pad (self, GST_PAD_SINK);
  guint hops;

  for (hops = 0; pad && hops < MAX_HOPS; hops++) {
    GstElement *element = element_across (pad);
    const gchar *mode;

    gst_object_unref (pad);
    pad = NULL;
    if (!element)
      break;
    if (is_v4l2 (element)) {
      mode = enum_nick (element, "capture-io-mode");
      if (!mode)
        mode = enum_nick (element, "io-mode");
      if (g_strcmp0 (mode, "dmabuf-import") == 0) {
        peers->producer = string_property (element, "device");
        peers->producer_element = gst_object_get_name (GST_OBJECT (element));
      }
      GST_DEBUG_OBJECT (self, "upstream V4L2 element %" GST_PTR_FORMAT
          " (%s): %s", element, GST_STR_NULL (mode),
          peers->producer ? peers->producer : "writes into its own buffers");
      gst_object_unref (element);
      break;
    }
    pad = only_pad (element, GST_PAD_SINK);
    gst_object_unref (element);
  }
  if (pad)
    gst_object_unref (pad);
}

/* Downstream: the first element whose `device` names a DRM node. */
static void
find_consumer (GstDmaHeapAllocPeers * peers, GstElement * self)
{
  GstPad *pad = only_pad (self, GST_PAD_SRC);
  guint hops;

  for (hops = 0; pad && hops < MAX_HOPS; hops++) {
    GstElement *element = element_across (pad);
    gchar *device;

    gst_object_unref (pad);
    pad = NULL;
    if (!element)
      break;
    device = string_property (element, "device");
    if (device && g_str_has_prefix (device, "/dev/dri/")) {
      peers->consumer = device;
      GST_DEBUG_OBJECT (self, "downstream display %" GST_PTR_FORMAT ": %s",
          element, device);
      gst_object_unref (element);
      break;
    }
    g_free (device);
    pad = only_pad (element, GST_PAD_SRC);
    gst_object_unref (element);
  }
  if (pad)
    gst_object_unref (pad);
}

void
gst_dma_heap_alloc_peers_find (GstDmaHeapAllocPeers * peers,
    GstElement * element)
{
  gst_dma_heap_alloc_peers_clear (peers);
  find_producer (peers, element);
  find_consumer (peers, element);
}

void
gst_dma_heap_alloc_peers_clear (GstDmaHeapAllocPeers * peers)
{
  g_clear_pointer (&peers->producer, g_free);
  g_clear_pointer (&peers->producer_element, g_free);
  g_clear_pointer (&peers->consumer, g_free);
}
