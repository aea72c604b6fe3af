/* device-facts: what libgstdmaheap knows of the devices behind nodes
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Usage: device-facts NODE: prints gst_dma_heap_device_new()'s facts one
 * per line (name=value), then the needs in words; exit 1 when the node is
 * no device. */

#include <gst/gst.h>
#include <gst/dmaheap/dmaheap.h>

#include <stdlib.h>

int
main (int argc, char **argv)
{
  GstDmaHeapDevice *device;
  GError *error = NULL;
  gchar *why;

  gst_init (&argc, &argv);
  if (argc != 2) {
    g_printerr ("usage: %s DEVICE_NODE\n", argv[0]);
    return 2;
  }
  device = gst_dma_heap_device_new (argv[1], &error);
  if (!device) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    return EXIT_FAILURE;
  }
  gst_dma_heap_device_get_needs (device, &why);
  g_print ("name=%s\ndriver=%s\niommu=%d\ndma_mask_bits=%u\ncoherent=%d\n"
      "dma=%d\nhint=%s\nsource=%s\nneeds=%s\n", device->name,
      GST_STR_NULL (device->driver), device->has_iommu,
      device->dma_mask_bits, device->coherent, device->dma,
      GST_STR_NULL (device->hint),
      device->from_kernel ? "kernel" : "sysfs", why);
  g_free (why);
  gst_dma_heap_device_free (device);
  return EXIT_SUCCESS;
}
