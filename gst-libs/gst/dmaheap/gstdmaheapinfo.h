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

G_BEGIN_DECLS

/**
 * GST_DMA_HEAP_ERROR:
 *
 * Error domain of the dma-buf heap library. Messages are written for users:
 * they name the heaps that exist and what fixes a permission problem.
 *
 * Since: 0.1
 */
#define GST_DMA_HEAP_ERROR (gst_dma_heap_error_quark ())

/**
 * GstDmaHeapError:
 * @GST_DMA_HEAP_ERROR_NO_HEAPS: the system has no dma-buf heap at all
 * @GST_DMA_HEAP_ERROR_NOT_FOUND: the named heap does not exist
 * @GST_DMA_HEAP_ERROR_PERMISSION: the heap exists but may not be opened
 * @GST_DMA_HEAP_ERROR_NOT_A_HEAP: the node is not a dma-buf heap
 * @GST_DMA_HEAP_ERROR_NO_MATCH: no heap has the properties asked for
 * @GST_DMA_HEAP_ERROR_INVALID_RULES: a heap-rules string does not parse
 * @GST_DMA_HEAP_ERROR_FAILED: any other failure (the message says which)
 * @GST_DMA_HEAP_ERROR_UNSUITABLE: a device that will access the buffers
 *   cannot use the heap asked for (the message names the device, its need,
 *   the heap and the fix)
 *
 * The errors of the #GST_DMA_HEAP_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_DMA_HEAP_ERROR_NO_HEAPS,
  GST_DMA_HEAP_ERROR_NOT_FOUND,
  GST_DMA_HEAP_ERROR_PERMISSION,
  GST_DMA_HEAP_ERROR_NOT_A_HEAP,
  GST_DMA_HEAP_ERROR_NO_MATCH,
  GST_DMA_HEAP_ERROR_INVALID_RULES,
  GST_DMA_HEAP_ERROR_FAILED,
  GST_DMA_HEAP_ERROR_UNSUITABLE,
} GstDmaHeapError;

/**
 * GstDmaHeapFlags:
 * @GST_DMA_HEAP_FLAG_NONE: none of the properties below
 * @GST_DMA_HEAP_FLAG_CONTIGUOUS: buffers are physically contiguous
 * @GST_DMA_HEAP_FLAG_CACHED: CPU mappings are cached
 * @GST_DMA_HEAP_FLAG_DMA32: all memory lies below 4 GiB
 * @GST_DMA_HEAP_FLAG_POOLED: freed pages are recycled by a kernel page pool
 * @GST_DMA_HEAP_FLAG_PROTECTED: the CPU cannot map the buffers (secure
 *   heaps); never chosen automatically
 *
 * What a heap's buffers are (#GstDmaHeapInfo), from the kernel's answer to
 * the query or from what the heap's name means.
 *
 * Since: 0.1
 */
typedef enum
{
  GST_DMA_HEAP_FLAG_NONE = 0,
  GST_DMA_HEAP_FLAG_CONTIGUOUS = (1 << 0),
  GST_DMA_HEAP_FLAG_CACHED = (1 << 1),
  GST_DMA_HEAP_FLAG_DMA32 = (1 << 2),
  GST_DMA_HEAP_FLAG_POOLED = (1 << 3),
  GST_DMA_HEAP_FLAG_PROTECTED = (1 << 4),
} GstDmaHeapFlags;

/**
 * GstDmaHeapNeeds:
 * @GST_DMA_HEAP_NEED_NONE: any heap will do
 * @GST_DMA_HEAP_NEED_CONTIGUOUS: the consumer needs physically contiguous
 *   memory (a device without an IOMMU)
 * @GST_DMA_HEAP_NEED_DMA32: the consumer can only address the low 4 GiB
 * @GST_DMA_HEAP_NEED_NO_CPU_ACCESS: the CPU will not touch the buffers, so
 *   an uncached heap is preferred (no cache maintenance)
 *
 * What a consumer needs from a heap; see gst_dma_heap_choose().
 *
 * Since: 0.1
 */
typedef enum
{
  GST_DMA_HEAP_NEED_NONE = 0,
  GST_DMA_HEAP_NEED_CONTIGUOUS = (1 << 0),
  GST_DMA_HEAP_NEED_DMA32 = (1 << 1),
  GST_DMA_HEAP_NEED_NO_CPU_ACCESS = (1 << 2),
} GstDmaHeapNeeds;

/**
 * GstDmaHeapInfo:
 * @name: the heap's name, the file name under /dev/dma_heap
 * @path: the heap's device node
 * @flags: #GstDmaHeapFlags
 * @alignment: alignment of every buffer's start, in bytes
 * @max_size: largest buffer, in bytes; 0 when unknown
 * @total_bytes: memory the heap manages; 0 when unbounded or unknown
 * @free_bytes: free memory of a bounded heap; 0 when unbounded or unknown
 * @queried: %TRUE when the kernel answered the query
 *   (DMA_HEAP_EXT_IOC_QUERY); %FALSE when the properties are guessed from
 *   what the heap's name means on the systems where it is found
 *
 * What a dma-buf heap is.
 *
 * Since: 0.1
 */
typedef struct _GstDmaHeapInfo
{
  gchar *name;
  gchar *path;
  GstDmaHeapFlags flags;
  guint64 alignment;
  guint64 max_size;
  guint64 total_bytes;
  guint64 free_bytes;
  gboolean queried;

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
} GstDmaHeapInfo;

#define GST_TYPE_DMA_HEAP_INFO (gst_dma_heap_info_get_type ())

GST_DMA_HEAP_API
GQuark gst_dma_heap_error_quark (void);

GST_DMA_HEAP_API
GType gst_dma_heap_info_get_type (void);

GST_DMA_HEAP_API
GstDmaHeapInfo *gst_dma_heap_info_copy (const GstDmaHeapInfo * info);

GST_DMA_HEAP_API
void gst_dma_heap_info_free (GstDmaHeapInfo * info);

GST_DMA_HEAP_API
gchar *gst_dma_heap_info_to_string (const GstDmaHeapInfo * info);

GST_DMA_HEAP_API
const gchar *gst_dma_heap_get_dir (void);

GST_DMA_HEAP_API
GstDmaHeapInfo *gst_dma_heap_info_query (const gchar * heap_name,
    GError ** error);

GST_DMA_HEAP_API
GPtrArray *gst_dma_heap_list (GError ** error);

GST_DMA_HEAP_API
gchar *gst_dma_heap_list_names (void);

GST_DMA_HEAP_API
const GstDmaHeapInfo *gst_dma_heap_choose_from (GPtrArray * heaps,
    GstDmaHeapNeeds needs);

GST_DMA_HEAP_API
gchar *gst_dma_heap_choose (GstDmaHeapNeeds needs, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstDmaHeapInfo, gst_dma_heap_info_free)

G_END_DECLS
