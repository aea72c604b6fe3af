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

#include "gstkmsdevice.h"
#include "gstdrmformats.h"

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* device discovery                                                          */
/* ------------------------------------------------------------------------ */

guint32
gst_kms_find_property (gint fd, guint32 obj_id, guint32 obj_type,
    const gchar * name, guint64 * value)
{
  drmModeObjectProperties *props;
  guint32 id = 0;
  guint i;

  props = drmModeObjectGetProperties (fd, obj_id, obj_type);
  if (!props)
    return 0;

  for (i = 0; i < props->count_props && id == 0; i++) {
    drmModePropertyRes *prop = drmModeGetProperty (fd, props->props[i]);

    if (!prop)
      continue;
    if (strcmp (prop->name, name) == 0) {
      id = prop->prop_id;
      if (value)
        *value = props->prop_values[i];
    }
    drmModeFreeProperty (prop);
  }
  drmModeFreeObjectProperties (props);

  return id;
}

static drmModeConnector *
kms_find_connector (gint fd, drmModeRes * res, gint wanted_id)
{
  gint i;

  for (i = 0; i < res->count_connectors; i++) {
    drmModeConnector *conn = drmModeGetConnector (fd, res->connectors[i]);

    if (!conn)
      continue;
    if (wanted_id >= 0 ? conn->connector_id == (guint32) wanted_id :
        conn->connection == DRM_MODE_CONNECTED && conn->count_modes > 0)
      return conn;
    drmModeFreeConnector (conn);
  }

  return NULL;
}

/* The CRTC currently driving @conn, else the first free one it can use
 * (gst_kms_select_crtc()). */
static gint
kms_find_crtc_index (gint fd, drmModeRes * res, drmModeConnector * conn)
{
  guint32 possible = 0, busy = 0;
  gint i, j;

  if (conn->encoder_id) {
    drmModeEncoder *enc = drmModeGetEncoder (fd, conn->encoder_id);

    if (enc) {
      guint32 crtc_id = enc->crtc_id;

      drmModeFreeEncoder (enc);
      for (i = 0; crtc_id && i < res->count_crtcs; i++) {
        if (res->crtcs[i] == crtc_id)
          return i;
      }
    }
  }

  for (j = 0; j < conn->count_encoders; j++) {
    drmModeEncoder *enc = drmModeGetEncoder (fd, conn->encoders[j]);

    if (enc) {
      possible |= enc->possible_crtcs;
      drmModeFreeEncoder (enc);
    }
  }

  /* enabled (a mode set): driving another connector, since none drives
   * this one */
  for (i = 0; i < res->count_crtcs && i < 32; i++) {
    drmModeCrtc *crtc;

    if (!(possible & (1u << i)))
      continue;
    crtc = drmModeGetCrtc (fd, res->crtcs[i]);
    if (crtc && crtc->mode_valid)
      busy |= 1u << i;
    if (crtc)
      drmModeFreeCrtc (crtc);
  }

  i = gst_kms_select_crtc (possible, busy, res->count_crtcs);
  if (i >= 0 && (busy & (1u << i)))
    GST_WARNING ("no free CRTC for connector %u: taking CRTC %u from the "
        "display it drives", conn->connector_id, res->crtcs[i]);

  return i;
}

static void
kms_plane_desc_clear (GstKmsPlaneDesc * desc)
{
  g_free (desc->formats);
  g_free (desc->mod_formats);
  g_free (desc->mod_modifiers);
  memset (desc, 0, sizeof (*desc));
}

static void
kms_plane_read_modifiers (gint fd, guint32 plane_id, GstKmsPlaneDesc * desc)
{
  drmModeFormatModifierIterator iter = { 0, };
  drmModePropertyBlobRes *blob;
  GArray *fmts, *mods;
  guint64 blob_id = 0;

  if (!gst_kms_find_property (fd, plane_id, DRM_MODE_OBJECT_PLANE, "IN_FORMATS",
          &blob_id) || blob_id == 0)
    return;

  blob = drmModeGetPropertyBlob (fd, blob_id);
  if (!blob)
    return;

  fmts = g_array_new (FALSE, FALSE, sizeof (guint32));
  mods = g_array_new (FALSE, FALSE, sizeof (guint64));
  while (drmModeFormatModifierBlobIterNext (blob, &iter)) {
    g_array_append_val (fmts, iter.fmt);
    g_array_append_val (mods, iter.mod);
  }
  drmModeFreePropertyBlob (blob);

  desc->n_mods = fmts->len;
  desc->mod_formats = (guint32 *) g_array_free (fmts, FALSE);
  desc->mod_modifiers = (guint64 *) g_array_free (mods, FALSE);
}

static gboolean
kms_read_planes (GstKmsDevice * dev)
{
  drmModePlaneRes *pres;
  guint i;

  pres = drmModeGetPlaneResources (dev->fd);
  if (!pres)
    return FALSE;

  dev->planes = g_new0 (GstKmsPlaneDesc, pres->count_planes);
  for (i = 0; i < pres->count_planes; i++) {
    drmModePlane *plane = drmModeGetPlane (dev->fd, pres->planes[i]);
    GstKmsPlaneDesc *desc = &dev->planes[dev->n_planes];
    guint64 type = DRM_PLANE_TYPE_OVERLAY;

    if (!plane)
      continue;

    gst_kms_find_property (dev->fd, plane->plane_id, DRM_MODE_OBJECT_PLANE,
        "type", &type);
    desc->id = plane->plane_id;
    desc->type = type;
    desc->possible_crtcs = plane->possible_crtcs;
    desc->n_formats = plane->count_formats;
    desc->formats = g_memdup2 (plane->formats,
        sizeof (guint32) * plane->count_formats);
    kms_plane_read_modifiers (dev->fd, plane->plane_id, desc);
    drmModeFreePlane (plane);

    GST_DEBUG_OBJECT (dev->element,
        "plane %u: type %u, crtcs 0x%x, %u formats, " "%u format modifiers",
        desc->id, desc->type, desc->possible_crtcs, desc->n_formats,
        desc->n_mods);
    dev->n_planes++;
  }
  drmModeFreePlaneResources (pres);

  return dev->n_planes > 0;
}

static gboolean
kms_has_plane (GstKmsDevice * dev, gint plane_id)
{
  guint i;

  for (i = 0; i < dev->n_planes; i++) {
    if (dev->planes[i].id == (guint32) plane_id)
      return TRUE;
  }
  return FALSE;
}

static GstCaps *
kms_caps_for_crtc (GstKmsDevice * dev, gint plane_id, gint max_width,
    gint max_height)
{
  GArray *fourccs = g_array_new (FALSE, FALSE, sizeof (guint32));
  GstCaps *caps;
  guint i, j;

  for (i = 0; i < dev->n_planes; i++) {
    const GstKmsPlaneDesc *plane = &dev->planes[i];

    if (!(plane->possible_crtcs & (1u << dev->crtc_index)))
      continue;
    if (plane_id >= 0 && plane->id != (guint32) plane_id)
      continue;
    for (j = 0; j < plane->n_formats; j++) {
      /* Our buffers are linear: skip formats the plane only tiles. */
      if (gst_kms_plane_supports (plane, plane->formats[j],
              DRM_FORMAT_MOD_LINEAR))
        g_array_append_val (fourccs, plane->formats[j]);
    }
  }

  caps = gst_drm_formats_caps_from_fourccs ((guint32 *) fourccs->data,
      fourccs->len, max_width, max_height);
  g_array_free (fourccs, TRUE);
  return caps;
}

/* "35 Virtual-1 connected, 36 HDMI-A-1 disconnected" */
static void
kms_describe_connectors (gint fd, drmModeRes * res, GString * out)
{
  gint i;

  for (i = 0; i < res->count_connectors; i++) {
    drmModeConnector *c = drmModeGetConnector (fd, res->connectors[i]);

    if (!c)
      continue;
    g_string_append_printf (out, "%s%u %s-%u %s", i ? ", " : "",
        c->connector_id, drmModeGetConnectorTypeName (c->connector_type) ?
        drmModeGetConnectorTypeName (c->connector_type) : "Unknown",
        c->connector_type_id, c->connection == DRM_MODE_CONNECTED ?
        "connected" : "disconnected");
    drmModeFreeConnector (c);
  }
  if (res->count_connectors == 0)
    g_string_append (out, "no connectors");
}

/* Opens @path and checks that it drives a display. On failure, appends the
 * reason to @why. */
static gint
kms_open_device (GstKmsDevice * dev, const gchar * path, gint connector_id,
    GString * why)
{
  drmModeRes *res;
  drmModeConnector *conn;
  gint fd;

  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    g_string_append_printf (why, "%s: %s; ", path, g_strerror (errno));
    return -1;
  }

  res = drmModeGetResources (fd);
  if (!res) {
    g_string_append_printf (why, "%s: no KMS support; ", path);
    close (fd);
    return -1;
  }

  conn = kms_find_connector (fd, res, connector_id);
  if (!conn) {
    if (connector_id >= 0)
      g_string_append_printf (why, "%s has no connector %d (it has ", path,
          connector_id);
    else
      g_string_append_printf (why, "%s: no connected connector (", path);
    kms_describe_connectors (fd, res, why);
    g_string_append (why, "); ");
    drmModeFreeResources (res);
    close (fd);
    return -1;
  }
  drmModeFreeResources (res);
  drmModeFreeConnector (conn);

  return fd;
}

/* A DRM card as the device choice sees it. */
typedef struct
{
  gchar *node;
  gint rank;
  gchar *driver;
  gchar *bus_id;
} KmsCandidate;

/* "0000:00:02.0" for PCI, the device's name for platform and host1x */
static gchar *
kms_bus_id (drmDevicePtr dev)
{
  switch (dev->bustype) {
    case DRM_BUS_PCI:
      return g_strdup_printf ("%04x:%02x:%02x.%u", dev->businfo.pci->domain,
          dev->businfo.pci->bus, dev->businfo.pci->dev, dev->businfo.pci->func);
    case DRM_BUS_PLATFORM:
      return g_path_get_basename (dev->businfo.platform->fullname);
    case DRM_BUS_HOST1X:
      return g_path_get_basename (dev->businfo.host1x->fullname);
    default:
      return g_strdup ("");
  }
}

/*
 * What the choice needs of a card: its driver, its bus address, and its
 * rank in the order cards are tried without a device property: a display a
 * person looks at (PCI) first, then SoC displays (platform, host1x), then
 * anything else, virtual displays (vkms) last; equal ranks by card number.
 */
static gboolean
kms_candidate_init (KmsCandidate * c, const gchar * node)
{
  drmDevicePtr dev = NULL;
  drmVersionPtr v;
  gint fd = open (node, O_RDWR | O_CLOEXEC);

  if (fd < 0)
    return FALSE;
  c->node = g_strdup (node);
  v = drmGetVersion (fd);
  c->driver = g_strdup (v ? v->name : "");
  if (v)
    drmFreeVersion (v);
  c->rank = 2;
  if (drmGetDevice2 (fd, 0, &dev) == 0) {
    c->bus_id = kms_bus_id (dev);
    if (dev->bustype == DRM_BUS_PCI)
      c->rank = 0;
    else if (dev->bustype == DRM_BUS_PLATFORM || dev->bustype == DRM_BUS_HOST1X)
      c->rank = 1;
    drmFreeDevice (&dev);
  } else {
    c->bus_id = g_strdup ("");
  }
  if (g_str_equal (c->driver, "vkms"))
    c->rank = 3;
  close (fd);
  return TRUE;
}

/* Every /dev/dri/cardN, in the order they are tried. */
static GArray *
kms_list_candidates (void)
{
  GArray *cards = g_array_new (FALSE, TRUE, sizeof (KmsCandidate));
  gint i, j;

  for (i = 0; i < 64; i++) {
    gchar *node = g_strdup_printf ("/dev/dri/card%d", i);
    KmsCandidate c = { 0, };

    if (kms_candidate_init (&c, node)) {
      /* stable insertion: equal ranks keep card order */
      j = cards->len;
      while (j > 0 && g_array_index (cards, KmsCandidate, j - 1).rank > c.rank)
        j--;
      g_array_insert_val (cards, j, c);
    }
    g_free (node);
  }
  return cards;
}

static gint
kms_find_device (GstKmsDevice * dev, const gchar * driver_name,
    const gchar * bus_id, gint connector_id, gchar ** path, GString * why)
{
  GArray *cards = kms_list_candidates ();
  gint fd = -1;
  guint i;

  for (i = 0; i < cards->len && fd < 0; i++) {
    KmsCandidate *c = &g_array_index (cards, KmsCandidate, i);

    if (driver_name && !g_str_equal (c->driver, driver_name))
      g_string_append_printf (why, "%s: driver %s; ", c->node, c->driver);
    else if (bus_id && !g_str_equal (c->bus_id, bus_id))
      g_string_append_printf (why, "%s: bus-id %s; ", c->node, c->bus_id);
    else if ((fd = kms_open_device (dev, c->node, connector_id, why)) >= 0)
      *path = g_strdup (c->node);
  }
  if (cards->len == 0)
    g_string_append (why, "no DRM device in /dev/dri");

  for (i = 0; i < cards->len; i++) {
    KmsCandidate *c = &g_array_index (cards, KmsCandidate, i);

    g_free (c->node);
    g_free (c->driver);
    g_free (c->bus_id);
  }
  g_array_free (cards, TRUE);
  return fd;
}

void
gst_kms_device_init (GstKmsDevice * dev, GstElement * element)
{
  memset (dev, 0, sizeof (*dev));
  dev->element = element;
  dev->fd = -1;
}

/* Opens @device (and takes it), else the first device (of @driver_name and
 * at @bus_id, when not NULL) on which connector @connector_id (any connector
 * when -1) is connected. */
gboolean
gst_kms_device_open (GstKmsDevice * dev, gchar * device,
    const gchar * driver_name, const gchar * bus_id, gint connector_id)
{
  GString *why = g_string_new (NULL);

  if (device) {
    dev->fd = kms_open_device (dev, device, connector_id, why);
    dev->path = g_steal_pointer (&device);
  } else {
    dev->fd = kms_find_device (dev, driver_name, bus_id, connector_id,
        &dev->path, why);
  }
  if (dev->fd < 0)
    goto no_device;

  g_string_free (why, TRUE);
  return TRUE;

  /* ERRORS */
no_device:
  {
    if (connector_id >= 0)
      GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
          ("No connector %d to show on: %s", connector_id, why->str),
          ("set connector-id to a connected connector listed, or to -1 "
              "for the first connected one"));
    else if (dev->path)
      GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
          ("Could not use DRM device %s", dev->path), ("%s", why->str));
    else
      GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
          ("Could not find a DRM device driving a connected display"),
          ("%s", why->str));
    g_string_free (why, TRUE);
    return FALSE;
  }
}

/* Becomes DRM master, asks for universal planes and, with @use_atomic, for
 * atomic modesetting, and reads what the device can do. */
gboolean
gst_kms_device_setup (GstKmsDevice * dev, gboolean use_atomic)
{
  guint64 cap = 0;

  if (!drmIsMaster (dev->fd) && drmSetMaster (dev->fd) != 0)
    goto not_master;

  if (drmSetClientCap (dev->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1))
    goto no_universal_planes;
  dev->driver_atomic = drmSetClientCap (dev->fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0;
  dev->atomic = use_atomic && dev->driver_atomic;
  if (dev->driver_atomic && !use_atomic) {
    /* back to legacy: clearing ATOMIC clears UNIVERSAL_PLANES too */
    drmSetClientCap (dev->fd, DRM_CLIENT_CAP_ATOMIC, 0);
    drmSetClientCap (dev->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
  }
  if (drmGetCap (dev->fd, DRM_CAP_PRIME, &cap) == 0)
    dev->prime_import = (cap & DRM_PRIME_CAP_IMPORT) != 0;
  cap = 0;
  if (drmGetCap (dev->fd, DRM_CAP_ADDFB2_MODIFIERS, &cap) == 0)
    dev->addfb2_modifiers = cap != 0;
  cap = 0;
  if (drmGetCap (dev->fd, DRM_CAP_DUMB_BUFFER, &cap) || !cap)
    GST_WARNING_OBJECT (dev->element,
        "%s has no dumb buffers: nothing to copy into "
        "when a buffer cannot be imported", dev->path);

  return TRUE;

  /* ERRORS */
not_master:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, BUSY,
        ("Not DRM master on %s: another program (a display server?) drives "
            "the display", dev->path), ("%s", g_strerror (errno)));
    return FALSE;
  }
no_universal_planes:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, SETTINGS,
        ("%s does not expose its planes (DRM universal planes)",
            dev->path), ("%s", g_strerror (errno)));
    return FALSE;
  }
}

/* Whether the CRTC found at start shows anything: a mode is not enough, a
 * CRTC switched off (ACTIVE=0; legacy DPMS off, as a blanked console) keeps
 * it, and the kernel refuses page-flip events on it. ACTIVE is seen by
 * atomic clients only; DPMS follows it on atomic drivers. */
static gboolean
kms_crtc_is_on (GstKmsDevice * dev)
{
  guint64 active = 1, dpms = DRM_MODE_DPMS_ON;

  if (!dev->saved_crtc || !dev->saved_crtc->mode_valid)
    return FALSE;
  gst_kms_find_property (dev->fd, dev->crtc_id, DRM_MODE_OBJECT_CRTC,
      "ACTIVE", &active);
  gst_kms_find_property (dev->fd, dev->conn_id, DRM_MODE_OBJECT_CONNECTOR,
      "DPMS", &dpms);
  if (!active || dpms != DRM_MODE_DPMS_ON)
    GST_INFO_OBJECT (dev->element, "CRTC %u has mode %s but is off (ACTIVE %"
        G_GUINT64_FORMAT ", DPMS %" G_GUINT64_FORMAT ")", dev->crtc_id,
        dev->saved_crtc->mode.name, active, dpms);

  return active && dpms == DRM_MODE_DPMS_ON;
}

/* The connector, the CRTC that drives it (or can), its modes, and the
 * properties an atomic mode set needs. */
static gboolean
kms_use_connector (GstKmsDevice * dev, drmModeRes * res, gint connector_id)
{
  drmModeConnector *conn;
  gint crtc_index;

  conn = kms_find_connector (dev->fd, res, connector_id);
  if (!conn)
    goto no_connector;
  if (conn->connection != DRM_MODE_CONNECTED || conn->count_modes == 0)
    goto not_connected;
  crtc_index = kms_find_crtc_index (dev->fd, res, conn);
  if (crtc_index < 0)
    goto no_crtc;

  dev->conn_id = conn->connector_id;
  dev->crtc_index = crtc_index;
  dev->crtc_id = res->crtcs[crtc_index];
  dev->n_modes = conn->count_modes;
  dev->modes = g_memdup2 (conn->modes,
      sizeof (drmModeModeInfo) * conn->count_modes);
  dev->saved_crtc = drmModeGetCrtc (dev->fd, dev->crtc_id);
  dev->conn_prop_crtc_id = gst_kms_find_property (dev->fd, dev->conn_id,
      DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", NULL);
  dev->crtc_prop_mode_id = gst_kms_find_property (dev->fd, dev->crtc_id,
      DRM_MODE_OBJECT_CRTC, "MODE_ID", NULL);
  dev->crtc_prop_active = gst_kms_find_property (dev->fd, dev->crtc_id,
      DRM_MODE_OBJECT_CRTC, "ACTIVE", NULL);
  dev->crtc_was_on = kms_crtc_is_on (dev);

  drmModeFreeConnector (conn);
  return TRUE;

  /* ERRORS */
no_connector:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
        ("%s has no connector %d", dev->path, connector_id), (NULL));
    return FALSE;
  }
not_connected:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
        ("Connector %u of %s is not connected to a display", conn->connector_id,
            dev->path), (NULL));
    drmModeFreeConnector (conn);
    return FALSE;
  }
no_crtc:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
        ("No CRTC of %s can drive connector %u", dev->path,
            conn->connector_id), (NULL));
    drmModeFreeConnector (conn);
    return FALSE;
  }
}

/* The planes, and the caps of what those of the CRTC scan out. */
static gboolean
kms_use_planes (GstKmsDevice * dev, drmModeRes * res, gint plane_id,
    GstCaps ** out_caps)
{
  GstCaps *caps;

  if (!kms_read_planes (dev))
    goto no_planes;
  if (plane_id >= 0 && !kms_has_plane (dev, plane_id))
    goto no_such_plane;

  caps = kms_caps_for_crtc (dev, plane_id, res->max_width, res->max_height);
  if (gst_caps_is_empty (caps))
    goto no_formats;
  *out_caps = g_steal_pointer (&caps);

  return TRUE;

  /* ERRORS */
no_planes:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, SETTINGS,
        ("%s has no planes", dev->path), (NULL));
    return FALSE;
  }
no_such_plane:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
        ("%s has no plane %d", dev->path, plane_id), (NULL));
    return FALSE;
  }
no_formats:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, SETTINGS,
        ("No plane of %s for CRTC %u scans out a format this sink knows",
            dev->path, dev->crtc_id), (NULL));
    gst_caps_unref (caps);
    return FALSE;
  }
}

/* The output on the opened device: connector @connector_id (or the first
 * connected one when -1), its CRTC, and the planes (@plane_id among them
 * when not -1), with the @caps they scan out. */
gboolean
gst_kms_device_find_output (GstKmsDevice * dev, gint connector_id,
    gint plane_id, GstCaps ** caps)
{
  drmModeRes *res;
  gboolean ok;

  res = drmModeGetResources (dev->fd);
  if (!res)
    goto no_resources;

  ok = kms_use_connector (dev, res, connector_id)
      && kms_use_planes (dev, res, plane_id, caps);
  drmModeFreeResources (res);
  return ok;

  /* ERRORS */
no_resources:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, SETTINGS,
        ("%s has no KMS resources", dev->path), ("%s", g_strerror (errno)));
    return FALSE;
  }
}

/* Closes the device and frees what gst_kms_device_find_output() read. */
void
gst_kms_device_close (GstKmsDevice * dev)
{
  guint i;

  if (dev->fd >= 0)
    close (dev->fd);
  dev->fd = -1;
  for (i = 0; i < dev->n_planes; i++)
    kms_plane_desc_clear (&dev->planes[i]);
  g_clear_pointer (&dev->planes, g_free);
  dev->n_planes = 0;
  g_clear_pointer (&dev->modes, g_free);
  dev->n_modes = 0;
  g_clear_pointer (&dev->saved_crtc, drmModeFreeCrtc);
  g_clear_pointer (&dev->path, g_free);
}

/* A commit on plane @plane (an index) failed with errno @err: posts the
 * error, saying when it is because the connector was unplugged. */
void
gst_kms_device_commit_failed (GstKmsDevice * dev, gint plane, gint err)
{
  drmModeConnector *conn = drmModeGetConnectorCurrent (dev->fd,
      dev->conn_id);
  gboolean connected = conn && conn->connection != DRM_MODE_DISCONNECTED;

  if (conn)
    drmModeFreeConnector (conn);
  if (!connected) {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, NOT_FOUND,
        ("Connector %u of %s was disconnected", dev->conn_id, dev->path),
        (NULL));
  } else {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, WRITE,
        ("Could not show a frame on %s (plane %u, CRTC %u)", dev->path,
            dev->planes[plane].id, dev->crtc_id),
        ("%s commit: %s (%d)", dev->atomic ? "atomic" : "legacy",
            g_strerror (err), err));
  }
}

/* The plane for @fourcc frames: @plane_id's, else one of the CRTC that scans
 * them out (the primary plane first with @prefer_primary). -1, with an error
 * posted, when there is none. */
gint
gst_kms_device_choose_plane (GstKmsDevice * dev, const GstVideoInfo * vinfo,
    guint32 fourcc, gint plane_id, gboolean prefer_primary)
{
  gint plane;

  if (plane_id >= 0) {
    for (plane = 0; plane < (gint) dev->n_planes; plane++) {
      if (dev->planes[plane].id == (guint32) plane_id)
        break;
    }
    if (plane == (gint) dev->n_planes)
      goto no_such_plane;
    if (!(dev->planes[plane].possible_crtcs & (1u << dev->crtc_index))
        || !gst_kms_plane_supports (&dev->planes[plane], fourcc,
            DRM_FORMAT_MOD_LINEAR))
      goto unsupported_format;
  } else {
    plane = gst_kms_select_plane (dev->planes, dev->n_planes,
        dev->crtc_index, fourcc, DRM_FORMAT_MOD_LINEAR, prefer_primary);
    if (plane < 0)
      goto unsupported_format;
  }

  return plane;

  /* ERRORS */
no_such_plane:
  {
    GST_ELEMENT_ERROR (dev->element, RESOURCE, SETTINGS,
        ("%s has no plane %d", dev->path, plane_id), (NULL));
    return -1;
  }
unsupported_format:
  {
    gchar *name = gst_drm_fourcc_to_string (fourcc);

    GST_ELEMENT_ERROR (dev->element, CORE, NEGOTIATION,
        ("Format %s (DRM %s) is not supported by %s of %s for CRTC %u",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (vinfo)), name,
            plane_id >= 0 ? "the chosen plane" : "any plane", dev->path,
            dev->crtc_id), (NULL));
    g_free (name);
    return -1;
  }
}

/* The primary plane of the CRTC, -1 when it has none. */
gint
gst_kms_device_primary_plane (GstKmsDevice * dev)
{
  guint i;

  for (i = 0; i < dev->n_planes; i++) {
    if (dev->planes[i].type == DRM_PLANE_TYPE_PRIMARY
        && (dev->planes[i].possible_crtcs & (1u << dev->crtc_index)))
      return i;
  }
  return -1;
}

/* The atomic properties of plane @plane_id: FALSE when one is missing. */
gboolean
gst_kms_device_read_plane_props (GstKmsDevice * dev, guint32 plane_id,
    GstKmsPlaneProps * pp)
{
  guint32 obj = DRM_MODE_OBJECT_PLANE;
  gint fd = dev->fd;

  pp->fb_id = gst_kms_find_property (fd, plane_id, obj, "FB_ID", NULL);
  pp->crtc_id = gst_kms_find_property (fd, plane_id, obj, "CRTC_ID", NULL);
  pp->src_x = gst_kms_find_property (fd, plane_id, obj, "SRC_X", NULL);
  pp->src_y = gst_kms_find_property (fd, plane_id, obj, "SRC_Y", NULL);
  pp->src_w = gst_kms_find_property (fd, plane_id, obj, "SRC_W", NULL);
  pp->src_h = gst_kms_find_property (fd, plane_id, obj, "SRC_H", NULL);
  pp->crtc_x = gst_kms_find_property (fd, plane_id, obj, "CRTC_X", NULL);
  pp->crtc_y = gst_kms_find_property (fd, plane_id, obj, "CRTC_Y", NULL);
  pp->crtc_w = gst_kms_find_property (fd, plane_id, obj, "CRTC_W", NULL);
  pp->crtc_h = gst_kms_find_property (fd, plane_id, obj, "CRTC_H", NULL);

  return pp->fb_id && pp->crtc_id && pp->src_x && pp->src_y && pp->src_w
      && pp->src_h && pp->crtc_x && pp->crtc_y && pp->crtc_w && pp->crtc_h;
}
