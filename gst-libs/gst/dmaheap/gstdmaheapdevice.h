/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/dmaheap/dmaheap-prelude.h>
#include <gst/dmaheap/gstdmaheapinfo.h>

G_BEGIN_DECLS

/**
 * GstDmaHeapDevice:
 * @node: the device node asked about, e.g. "/dev/video0"
 * @name: the device on its bus, "&lt;bus&gt;:&lt;device&gt;" (e.g. "pci:0000:00:02.0",
 *   "platform:vivid.0")
 * @driver: (nullable): the driver bound to it
 * @has_iommu: the device sits behind an IOMMU, so scattered pages suit it
 * @dma_mask_bits: bits of its DMA mask; 0 when unknown
 * @coherent: 1 when its DMA is cache-coherent, 0 when not, -1 when unknown
 * @hint: (nullable): the heap the kernel module suggests for it, where the
 *   module is loaded and that heap exists
 * @from_kernel: %TRUE when the facts come from the kernel module
 *   (/sys/kernel/dma_heap_ext/devices), which reads them from the kernel's
 *   own `struct device`; %FALSE when they are read from sysfs alone (its
 *   iommu_group link, PCI's dma_mask_bits), where coherence is unknown
 * @dma: %FALSE when the kernel module says the device touches imported
 *   buffers only through a kernel mapping (all its V4L2 streaming nodes use
 *   videobuf2-vmalloc), so where the memory lies does not matter to it;
 *   %TRUE otherwise, and always without the module
 *
 * What a heap choice needs to know about a device that reads or writes the
 * buffers (a decoder, a camera, a display, an encoder).
 *
 * Since: 0.1
 */
typedef struct
{
  gchar *node;
  gchar *name;
  gchar *driver;
  gboolean has_iommu;
  guint dma_mask_bits;
  gint coherent;
  gchar *hint;
  gboolean from_kernel;
  gboolean dma;

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
} GstDmaHeapDevice;

GST_DMA_HEAP_API
GType gst_dma_heap_device_get_type (void);
#define GST_TYPE_DMA_HEAP_DEVICE (gst_dma_heap_device_get_type ())

GST_DMA_HEAP_API
GstDmaHeapDevice *gst_dma_heap_device_new (const gchar * device_node_path,
    GError ** error);

GST_DMA_HEAP_API
GstDmaHeapDevice *gst_dma_heap_device_copy (const GstDmaHeapDevice * device);

GST_DMA_HEAP_API
void gst_dma_heap_device_free (GstDmaHeapDevice * device);

GST_DMA_HEAP_API
GstDmaHeapNeeds gst_dma_heap_device_get_needs (const GstDmaHeapDevice *
    device, gchar ** why);

GST_DMA_HEAP_API
gboolean gst_dma_heap_device_can_use (const GstDmaHeapDevice * device,
    const GstDmaHeapInfo * heap, gchar ** why);

GST_DMA_HEAP_API
gchar *gst_dma_heap_device_to_string (const GstDmaHeapDevice * device);

GST_DMA_HEAP_API
gchar *gst_dma_heap_hint_for_device (const gchar * device_node_path);

GST_DMA_HEAP_API
gboolean gst_dma_heap_device_has_iommu (const gchar * device_node_path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstDmaHeapDevice, gst_dma_heap_device_free)

G_END_DECLS
