/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheapdevice
 * @title: GstDmaHeapDevice
 * @short_description: what a device that touches the buffers needs
 *
 * A #GstDmaHeapDevice holds the facts a heap choice needs about one device
 * that will read or write the buffers, found from its device node (a V4L2
 * video node, a DRM card or render node, ...):
 *
 * - with this project's kernel module loaded, from
 *   /sys/kernel/dma_heap_ext/devices/&lt;bus&gt;:&lt;device&gt;/, which the module fills
 *   from the kernel's own `struct device` of every PCI and platform device:
 *   `iommu` (0 or 1), `dma_mask_bits`, `coherent` (0 or 1), `dma` (0 when
 *   the device reads and writes imported buffers through a kernel mapping
 *   only: every V4L2 streaming node of it uses videobuf2-vmalloc) and
 *   `hint` (the heap of ours that suits the device);
 * - without it, from sysfs alone: an `iommu_group` link in the device's
 *   directory, PCI's `dma_mask_bits`; coherence is then unknown.
 *
 * From these, gst_dma_heap_device_get_needs() says what the device needs of
 * a heap (a device without an IOMMU: physically contiguous memory; one that
 * is also limited to 32-bit DMA: below 4 GiB; one that does no DMA on the
 * buffers: nothing) and
 * gst_dma_heap_device_can_use() whether a given heap meets it, with the
 * reason in words.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapdevice.h"
#include "gstdmaheapprivate.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifndef GST_DISABLE_GST_DEBUG
#define GST_CAT_DEFAULT ensure_debug_category ()
static GstDebugCategory *
ensure_debug_category (void)
{
  static gsize cat = 0;

  if (g_once_init_enter (&cat)) {
    gsize done = (gsize) _gst_debug_category_new ("dmaheapdevice", 0,
        "dma-buf heap device facts");

    g_once_init_leave (&cat, done);
  }

  return (GstDebugCategory *) cat;
}
#endif

G_DEFINE_BOXED_TYPE (GstDmaHeapDevice, gst_dma_heap_device,
    gst_dma_heap_device_copy, gst_dma_heap_device_free);

/* Returns the sysfs directory of the device behind the character device
 * node @path (/sys/dev/char/<major>:<minor>/device), or NULL with @why. */
static gchar *
device_sysfs_dir (const gchar * path, gchar ** why)
{
  struct stat st;
  gchar *dev;

  if (!path || stat (path, &st) < 0) {
    *why = g_strdup_printf ("cannot open %s: %s", GST_STR_NULL (path),
        g_strerror (errno));
    return NULL;
  }
  if (!S_ISCHR (st.st_mode)) {
    *why = g_strdup_printf ("%s is not a device node", path);
    return NULL;
  }

  dev = g_strdup_printf ("%s/dev/char/%u:%u/device", gst_dma_heap_sysfs_dir (),
      major (st.st_rdev), minor (st.st_rdev));
  if (!g_file_test (dev, G_FILE_TEST_IS_DIR)) {
    *why = g_strdup_printf ("%s belongs to no device in sysfs (%s)", path, dev);
    g_free (dev);
    return NULL;
  }

  return dev;
}

static gchar *
link_basename (const gchar * dir, const gchar * name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  gchar *target = g_file_read_link (path, NULL);
  gchar *base = NULL;

  /* /sys/dev/char/M:m/device is itself a link; its target's basename is the
   * device's name on its bus. */
  if (target)
    base = g_path_get_basename (target);
  g_free (target);
  g_free (path);

  return base;
}

/* "<bus>:<device>" of the device in @devdir, as the module names it. */
static gchar *
device_bus_name (const gchar * devdir)
{
  gchar *parent = g_path_get_dirname (devdir);
  gchar *device = link_basename (parent, "device");
  gchar *bus = link_basename (devdir, "subsystem");
  gchar *name = NULL;

  if (device && bus)
    name = g_strdup_printf ("%s:%s", bus, device);
  g_free (parent);
  g_free (device);
  g_free (bus);
  return name;
}

/* A hint names a heap of ours; it counts only where that heap exists. */
static gchar *
existing_heap (const gchar * hint, const gchar * where)
{
  gchar *heap_path;
  gboolean exists;

  if (!hint || !*hint)
    return NULL;
  if (!gst_dma_heap_name_is_valid (hint)) {
    GST_WARNING ("ignoring malformed hint '%s' in %s", hint, where);
    return NULL;
  }
  heap_path = g_build_filename (gst_dma_heap_get_dir (), hint, NULL);
  exists = g_file_test (heap_path, G_FILE_TEST_EXISTS);
  g_free (heap_path);
  if (!exists) {
    GST_WARNING ("%s names heap %s, which does not exist", where, hint);
    return NULL;
  }
  return g_strdup (hint);
}

static gboolean
read_uint (const gchar * dir, const gchar * file, guint * value)
{
  gchar *path = g_build_filename (dir, file, NULL);
  gchar *line = gst_dma_heap_read_sysfs_line (path), *end = NULL;
  guint64 v = 0;
  gboolean ok = FALSE;

  if (line && *line) {
    v = g_ascii_strtoull (line, &end, 10);
    ok = end && *end == '\0' && v <= G_MAXUINT;
  }
  if (ok)
    *value = v;
  else if (line)
    GST_WARNING ("%s: '%s' is not a number", path, line);
  g_free (line);
  g_free (path);
  return ok;
}

/* The module's facts, read by the kernel from the device itself. */
static gboolean
facts_from_kernel (GstDmaHeapDevice * device)
{
  gchar *dir = g_build_filename (gst_dma_heap_sysfs_dir (), "kernel",
      "dma_heap_ext", "devices", device->name, NULL);
  gchar *path, *hint;
  guint iommu, bits, coherent, dma;
  gboolean ok;

  ok = read_uint (dir, "iommu", &iommu) &&
      read_uint (dir, "dma_mask_bits", &bits) &&
      read_uint (dir, "coherent", &coherent);
  if (ok) {
    device->has_iommu = iommu != 0;
    device->dma_mask_bits = bits;
    device->coherent = coherent != 0;
    /* modules before the dma fact: a device is assumed to do DMA */
    if (!read_uint (dir, "dma", &dma))
      dma = 1;
    device->dma = dma != 0;
    path = g_build_filename (dir, "hint", NULL);
    hint = gst_dma_heap_read_sysfs_line (path);
    device->hint = existing_heap (hint, path);
    g_free (hint);
    g_free (path);
    device->from_kernel = TRUE;
  } else {
    GST_DEBUG ("no facts from the module for %s (%s)", device->name, dir);
  }
  g_free (dir);
  return ok;
}

/* Without the module: what sysfs itself shows. */
static void
facts_from_sysfs (GstDmaHeapDevice * device, const gchar * devdir)
{
  gchar *path, *hint;

  path = g_build_filename (devdir, "iommu_group", NULL);
  device->has_iommu = g_file_test (path, G_FILE_TEST_EXISTS);
  g_free (path);
  /* PCI devices say their mask; others do not */
  if (!read_uint (devdir, "dma_mask_bits", &device->dma_mask_bits))
    device->dma_mask_bits = 0;
  device->coherent = -1;
  device->dma = TRUE;

  /* the module's older interface: a hint alone */
  path = g_strdup_printf ("%s/kernel/dma_heap_ext/hints/%s",
      gst_dma_heap_sysfs_dir (), device->name);
  hint = gst_dma_heap_read_sysfs_line (path);
  device->hint = existing_heap (hint, path);
  g_free (hint);
  g_free (path);
  device->from_kernel = FALSE;
}

/**
 * gst_dma_heap_device_new:
 * @device_node_path: a device node, e.g. "/dev/video0" or "/dev/dri/card0"
 * @error: return location for a #GError
 *
 * Finds the device behind @device_node_path and what a heap choice needs to
 * know of it (see the section description).
 *
 * Returns: (transfer full) (nullable): the device's facts, or %NULL with
 *   @error set (#GST_DMA_HEAP_ERROR_NOT_FOUND: no such node, not a device
 *   node, or a device sysfs does not show).
 *
 * Since: 0.1
 */
GstDmaHeapDevice *
gst_dma_heap_device_new (const gchar * device_node_path, GError ** error)
{
  GstDmaHeapDevice *device;
  gchar *devdir, *why = NULL;

  g_return_val_if_fail (device_node_path != NULL, NULL);

  devdir = device_sysfs_dir (device_node_path, &why);
  if (!devdir) {
    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NOT_FOUND,
        "No device to ask about: %s", why);
    g_free (why);
    return NULL;
  }

  device = g_new0 (GstDmaHeapDevice, 1);
  device->node = g_strdup (device_node_path);
  device->name = device_bus_name (devdir);
  device->driver = link_basename (devdir, "driver");
  if (!device->name) {
    /* a device on no bus the module walks (virtual, faux): sysfs alone */
    GST_DEBUG ("cannot tell the bus of %s (%s)", device_node_path, devdir);
    device->name = g_path_get_basename (devdir);
    facts_from_sysfs (device, devdir);
  } else if (!facts_from_kernel (device)) {
    facts_from_sysfs (device, devdir);
  }
  g_free (devdir);

  GST_DEBUG ("%s: %s, iommu %d, dma mask %u bits, coherent %d, dma %d, "
      "hint %s (%s)", device->node, device->name, device->has_iommu,
      device->dma_mask_bits, device->coherent, device->dma,
      GST_STR_NULL (device->hint),
      device->from_kernel ? "kernel module" : "sysfs");
  return device;
}

/**
 * gst_dma_heap_device_copy:
 * @device: a #GstDmaHeapDevice
 *
 * Copies @device.
 *
 * Returns: (transfer full): a copy of @device
 *
 * Since: 0.1
 */
GstDmaHeapDevice *
gst_dma_heap_device_copy (const GstDmaHeapDevice * device)
{
  GstDmaHeapDevice *copy;

  g_return_val_if_fail (device != NULL, NULL);

  copy = g_memdup2 (device, sizeof (*device));
  copy->node = g_strdup (device->node);
  copy->name = g_strdup (device->name);
  copy->driver = g_strdup (device->driver);
  copy->hint = g_strdup (device->hint);
  return copy;
}

/**
 * gst_dma_heap_device_free:
 * @device: (nullable): a #GstDmaHeapDevice
 *
 * Frees @device.
 *
 * Since: 0.1
 */
void
gst_dma_heap_device_free (GstDmaHeapDevice * device)
{
  if (!device)
    return;
  g_free (device->node);
  g_free (device->name);
  g_free (device->driver);
  g_free (device->hint);
  g_free (device);
}

/**
 * gst_dma_heap_device_to_string:
 * @device: a #GstDmaHeapDevice
 *
 * @device in words, for logs and messages: node, driver and bus name.
 *
 * Returns: (transfer full): the device in words for a log or a user,
 *   e.g. "/dev/video0 (vivid, platform:vivid.0)"
 *
 * Since: 0.1
 */
gchar *
gst_dma_heap_device_to_string (const GstDmaHeapDevice * device)
{
  g_return_val_if_fail (device != NULL, NULL);

  return g_strdup_printf ("%s (%s%s%s)", device->node,
      device->driver ? device->driver : "", device->driver ? ", " : "",
      device->name);
}

/**
 * gst_dma_heap_device_get_needs:
 * @device: a #GstDmaHeapDevice
 * @why: (out) (optional) (transfer full): the needs in words, e.g. "no
 *   IOMMU: physically contiguous memory"
 *
 * What @device needs of a heap: without an IOMMU it can only reach
 * physically contiguous buffers, and with a DMA mask of 32 bits or fewer
 * (and no IOMMU) only memory below 4 GiB. A device behind an IOMMU needs
 * neither.
 *
 * Returns: the needs (#GST_DMA_HEAP_NEED_NONE when it can use any heap)
 *
 * Since: 0.1
 */
GstDmaHeapNeeds
gst_dma_heap_device_get_needs (const GstDmaHeapDevice * device, gchar ** why)
{
  GstDmaHeapNeeds needs = GST_DMA_HEAP_NEED_NONE;
  GString *s;

  g_return_val_if_fail (device != NULL, GST_DMA_HEAP_NEED_NONE);

  if (!device->dma) {
    if (why)
      *why = g_strdup ("no DMA on the buffers (a kernel mapping, "
          "videobuf2-vmalloc): any memory");
    return needs;
  }
  if (!device->has_iommu) {
    needs |= GST_DMA_HEAP_NEED_CONTIGUOUS;
    if (device->dma_mask_bits > 0 && device->dma_mask_bits <= 32)
      needs |= GST_DMA_HEAP_NEED_DMA32;
  }
  if (!why)
    return needs;

  s = g_string_new (NULL);
  if (device->has_iommu)
    g_string_append (s, "behind an IOMMU: any memory");
  else
    g_string_append (s, "no IOMMU: physically contiguous memory");
  if (needs & GST_DMA_HEAP_NEED_DMA32)
    g_string_append_printf (s, " below 4 GiB (%u-bit DMA)",
        device->dma_mask_bits);
  *why = g_string_free (s, FALSE);
  return needs;
}

/**
 * gst_dma_heap_device_can_use:
 * @device: a #GstDmaHeapDevice
 * @heap: a heap, as from gst_dma_heap_info_query()
 * @why: (out) (optional) (transfer full): when it cannot, why, naming the
 *   device, its need and the heap
 *
 * A heap whose properties are guessed from its name (one that did not
 * answer the query) is taken to meet a DMA32 need: where its memory lies
 * is not known.
 *
 * Returns: %TRUE when buffers of @heap suit @device's needs
 *   (gst_dma_heap_device_get_needs()).
 *
 * Since: 0.1
 */
gboolean
gst_dma_heap_device_can_use (const GstDmaHeapDevice * device,
    const GstDmaHeapInfo * heap, gchar ** why)
{
  GstDmaHeapNeeds needs;
  const gchar *lacks = NULL;
  gchar *need_words = NULL, *dev;

  g_return_val_if_fail (device != NULL, FALSE);
  g_return_val_if_fail (heap != NULL, FALSE);

  needs = gst_dma_heap_device_get_needs (device, &need_words);
  if ((needs & GST_DMA_HEAP_NEED_CONTIGUOUS) &&
      !(heap->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS))
    lacks = "is not physically contiguous";
  else if ((needs & GST_DMA_HEAP_NEED_DMA32) && heap->queried &&
      !(heap->flags & GST_DMA_HEAP_FLAG_DMA32))
    lacks = "is not limited to the low 4 GiB";

  if (lacks && why) {
    dev = gst_dma_heap_device_to_string (device);
    *why = g_strdup_printf ("%s has %s; heap %s %s", dev, need_words,
        heap->name, lacks);
    g_free (dev);
  }
  g_free (need_words);
  return lacks == NULL;
}

/**
 * gst_dma_heap_hint_for_device:
 * @device_node_path: a device node, e.g. "/dev/dri/card0" or "/dev/video0"
 *
 * Reads the kernel module's hint for the device behind @device_node_path:
 * the heap of ours that suits DMA by that device. The hint is returned only
 * when that heap exists.
 *
 * Returns: (transfer full) (nullable): a heap name, or %NULL when there is
 *   no hint (no module, unknown device, hinted heap absent).
 *
 * Since: 0.1
 */
gchar *
gst_dma_heap_hint_for_device (const gchar * device_node_path)
{
  GstDmaHeapDevice *device;
  gchar *hint;

  g_return_val_if_fail (device_node_path != NULL, NULL);

  device = gst_dma_heap_device_new (device_node_path, NULL);
  if (!device)
    return NULL;
  hint = g_steal_pointer (&device->hint);
  gst_dma_heap_device_free (device);
  return hint;
}

/**
 * gst_dma_heap_device_has_iommu:
 * @device_node_path: a device node, e.g. "/dev/dri/card0"
 *
 * Whether the device behind @device_node_path sits behind an IOMMU.
 *
 * Returns: %TRUE when the device behind @device_node_path sits behind an
 *   IOMMU, so it can use scattered memory. %FALSE also when that cannot be
 *   told.
 *
 * Since: 0.1
 */
gboolean
gst_dma_heap_device_has_iommu (const gchar * device_node_path)
{
  GstDmaHeapDevice *device;
  gboolean ret;

  g_return_val_if_fail (device_node_path != NULL, FALSE);

  device = gst_dma_heap_device_new (device_node_path, NULL);
  if (!device)
    return FALSE;
  ret = device->has_iommu;
  gst_dma_heap_device_free (device);
  return ret;
}
