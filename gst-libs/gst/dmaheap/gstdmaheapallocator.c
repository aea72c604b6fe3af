/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheapallocator
 * @title: GstDmaHeapAllocator
 * @short_description: memory allocated from a dma-buf heap
 *
 * A #GstDmaBufAllocator that allocates from one /dev/dma_heap/&lt;name&gt;: its
 * memories are dma-bufs (gst_is_dmabuf_memory() holds) that V4L2 and KMS
 * import as they are. The heap is opened once per process: every call of
 * gst_dma_heap_allocator_new() for a heap returns the same allocator,
 * registered as "dmaheap:&lt;name&gt;" (and the default heap's also as
 * "dmaheap"), so it — and the heap's file descriptor — lives until
 * gst_deinit().
 *
 * Every buffer is named with DMA_BUF_SET_NAME ("gst:&lt;heap&gt;", shown in
 * /proc/&lt;pid&gt;/fdinfo/&lt;fd&gt;); CPU access is bracketed by DMA_BUF_IOCTL_SYNC by
 * the #GstDmaBufAllocator base class. gst_memory_copy() of heap memory
 * returns system memory: a copy is for the CPU, not for a device.
 *
 * |[<!-- language="C" -->
 * GError *error = NULL;
 * GstAllocator *alloc = gst_dma_heap_allocator_new ("system", &error);
 * if (!alloc) {
 *   g_printerr ("%s\n", error->message);   // names the heaps that exist
 *   ...
 * }
 * GstMemory *mem = gst_allocator_alloc (alloc, 4096, NULL);
 * int fd = gst_dmabuf_memory_get_fd (mem);
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapallocator.h"
#include "gstdmaheapprivate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

GST_DEBUG_CATEGORY_STATIC (gst_dma_heap_allocator_debug);
#define GST_CAT_DEFAULT gst_dma_heap_allocator_debug

struct _GstDmaHeapAllocator
{
  GstDmaBufAllocator parent;

  GstDmaHeapInfo *info;
  gint heap_fd;
  /* What DMA_BUF_SET_NAME gives every buffer. */
  gchar buffer_name[DMA_BUF_NAME_LEN];
};

#define gst_dma_heap_allocator_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstDmaHeapAllocator, gst_dma_heap_allocator,
    GST_TYPE_DMABUF_ALLOCATOR,
    GST_DEBUG_CATEGORY_INIT (gst_dma_heap_allocator_debug,
        "dmaheapallocator", 0, "dma-buf heap allocator"));

/* Serialises the find-or-create in gst_dma_heap_allocator_new(). */
static GMutex registry_lock;

static GstMemory *
gst_dma_heap_allocator_alloc (GstAllocator * allocator, gsize size,
    GstAllocationParams * params)
{
  GstDmaHeapAllocator *self = GST_DMA_HEAP_ALLOCATOR (allocator);
  struct dma_heap_allocation_data data;
  GstMemory *mem;
  gsize maxsize;
  gint ret;

  maxsize = size + params->prefix + params->padding;
  if (maxsize == 0 || maxsize < size)
    goto bad_size;
  if (params->align + 1 > self->info->alignment)
    GST_WARNING_OBJECT (self, "alignment %" G_GSIZE_FORMAT " asked, heap %s "
        "aligns to %" G_GUINT64_FORMAT, params->align + 1, self->info->name,
        self->info->alignment);

  memset (&data, 0, sizeof (data));
  data.len = maxsize;
  data.fd_flags = O_RDWR | O_CLOEXEC;
  do {
    ret = ioctl (self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &data);
  } while (ret < 0 && (errno == EINTR || errno == EAGAIN));
  if (ret < 0)
    goto alloc_failed;

  /* A name only helps debugging (fdinfo, debugfs): its failure is not ours
   * to report. */
  if (ioctl (data.fd, DMA_BUF_SET_NAME, self->buffer_name) < 0)
    GST_DEBUG_OBJECT (self, "could not name dma-buf %d: %s", data.fd,
        g_strerror (errno));

  mem = gst_fd_allocator_alloc (allocator, data.fd, maxsize,
      GST_FD_MEMORY_FLAG_NONE);
  if (!mem)
    goto wrap_failed;

  /* Heaps hand out zeroed memory. The flags go on after the resize, which
   * clears them when it moves the offset or the size. */
  if (params->prefix || params->padding)
    gst_memory_resize (mem, params->prefix, size);
  GST_MINI_OBJECT_FLAG_SET (mem, params->flags |
      GST_MEMORY_FLAG_ZERO_PREFIXED | GST_MEMORY_FLAG_ZERO_PADDED);

  GST_LOG_OBJECT (self, "allocated %" G_GSIZE_FORMAT " bytes from %s: fd %d",
      maxsize, self->info->name, data.fd);

  return mem;

  /* ERRORS */
bad_size:
  {
    GST_ERROR_OBJECT (self, "invalid size %" G_GSIZE_FORMAT " (prefix %"
        G_GSIZE_FORMAT ", padding %" G_GSIZE_FORMAT ")", size, params->prefix,
        params->padding);
    return NULL;
  }
alloc_failed:
  {
    gint err = errno;

    GST_ERROR_OBJECT (self, "could not allocate %" G_GSIZE_FORMAT " bytes "
        "from heap %s: %s (%d)", maxsize, self->info->name,
        g_strerror (err), err);
    /* for the caller (the pool says why to the user) */
    errno = err;
    return NULL;
  }
wrap_failed:
  {
    GST_ERROR_OBJECT (self, "could not wrap dma-buf %d", data.fd);
    close (data.fd);
    return NULL;
  }
}

/* The default copy allocates from the memory's own allocator: on 1.22 (no
 * GST_ALLOCATOR_FLAG_NO_COPY) that would take scarce heap memory for what is
 * a CPU copy. Copy into system memory instead. */
static GstMemory *
gst_dma_heap_allocator_mem_copy (GstMemory * mem, gssize offset, gssize size)
{
  GstMemory *copy;
  GstMapInfo src, dst;

  if (!gst_memory_map (mem, &src, GST_MAP_READ))
    goto map_failed;

  if (size == -1)
    size = src.size > (gsize) offset ? src.size - offset : 0;
  if (offset < 0 || (gsize) (offset + size) > src.size)
    goto bad_range;

  copy = gst_allocator_alloc (NULL, size, NULL);
  if (!copy || !gst_memory_map (copy, &dst, GST_MAP_WRITE))
    goto copy_failed;
  memcpy (dst.data, src.data + offset, size);
  gst_memory_unmap (copy, &dst);
  gst_memory_unmap (mem, &src);

  return copy;

  /* ERRORS */
map_failed:
  {
    GST_ERROR ("could not map %p to copy it", mem);
    return NULL;
  }
bad_range:
  {
    GST_ERROR ("copy of %" G_GSSIZE_FORMAT " bytes at %" G_GSSIZE_FORMAT
        " is out of memory %p", size, offset, mem);
    gst_memory_unmap (mem, &src);
    return NULL;
  }
copy_failed:
  {
    GST_ERROR ("could not allocate a %" G_GSSIZE_FORMAT "-byte copy", size);
    if (copy)
      gst_memory_unref (copy);
    gst_memory_unmap (mem, &src);
    return NULL;
  }
}

static void
gst_dma_heap_allocator_finalize (GObject * object)
{
  GstDmaHeapAllocator *self = GST_DMA_HEAP_ALLOCATOR (object);

  if (self->heap_fd >= 0)
    close (self->heap_fd);
  gst_dma_heap_info_free (self->info);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_dma_heap_allocator_class_init (GstDmaHeapAllocatorClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstAllocatorClass *allocator_class = GST_ALLOCATOR_CLASS (klass);

  gobject_class->finalize = gst_dma_heap_allocator_finalize;
  allocator_class->alloc = gst_dma_heap_allocator_alloc;
}

static void
gst_dma_heap_allocator_init (GstDmaHeapAllocator * self)
{
  GstAllocator *allocator = GST_ALLOCATOR (self);

  self->heap_fd = -1;
  allocator->mem_type = GST_ALLOCATOR_DMABUF;
  allocator->mem_copy = gst_dma_heap_allocator_mem_copy;
  /* GstFdAllocator marks itself as unable to allocate; we can. */
  GST_OBJECT_FLAG_UNSET (self, GST_ALLOCATOR_FLAG_CUSTOM_ALLOC);
}

/* Opens the heap and describes it; NULL with @error set on failure. */
static GstDmaHeapAllocator *
gst_dma_heap_allocator_create (const gchar * heap_name, GError ** error)
{
  GstDmaHeapAllocator *self;
  GstDmaHeapInfo *info;
  struct stat st;
  gint fd;

  info = gst_dma_heap_info_query (heap_name, error);
  if (!info)
    return NULL;

  fd = open (info->path, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode))
    goto not_a_heap;

  self = g_object_new (GST_TYPE_DMA_HEAP_ALLOCATOR, "name", NULL, NULL);
  gst_object_ref_sink (self);
  self->heap_fd = fd;
  self->info = info;
  g_snprintf (self->buffer_name, sizeof (self->buffer_name), "gst:%s",
      info->name);

  {
    gchar *desc = gst_dma_heap_info_to_string (info);
    GST_INFO_OBJECT (self, "opened %s (fd %d): %s", info->path, fd, desc);
    g_free (desc);
  }

  return self;

  /* ERRORS */
open_failed:
  {
    gint err = errno;

    if (err == EACCES || err == EPERM)
      gst_dma_heap_set_permission_error (error, "opening", info->path);
    else if (err == ENOENT || err == ENODEV || err == ENXIO)
      g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NOT_FOUND,
          "dma-buf heap %s is gone: %s", info->path, g_strerror (err));
    else
      g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_FAILED,
          "Could not open dma-buf heap %s: %s", info->path, g_strerror (err));
    gst_dma_heap_info_free (info);
    return NULL;
  }
not_a_heap:
  {
    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NOT_A_HEAP,
        "%s is not a dma-buf heap", info->path);
    close (fd);
    gst_dma_heap_info_free (info);
    return NULL;
  }
}

/**
 * gst_dma_heap_allocator_get:
 * @heap_name: (nullable): a heap's name, e.g. "system" or "linux,cma";
 *   %NULL for the default choice (gst_dma_heap_choose() with no needs)
 * @error: return location for a #GError
 *
 * Returns the process-wide allocator of a heap, opening the heap on the
 * first call: every caller asking for the same heap shares one instance
 * (and one open heap), registered as "dmaheap:&lt;name&gt;".
 *
 * Returns: (transfer full) (nullable): the allocator, or %NULL with @error
 *   set (#GST_DMA_HEAP_ERROR: NO_HEAPS, NOT_FOUND listing the heaps that
 *   exist, PERMISSION naming the udev rule, ...).
 *
 * Since: 0.1
 */
GstAllocator *
gst_dma_heap_allocator_get (const gchar * heap_name, GError ** error)
{
  GstAllocator *allocator;
  gchar *chosen = NULL, *regname;

  if (!heap_name) {
    chosen = gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, error);
    if (!chosen)
      return NULL;
    heap_name = chosen;
  }

  regname = g_strconcat (GST_ALLOCATOR_DMA_HEAP ":", heap_name, NULL);

  g_mutex_lock (&registry_lock);
  allocator = gst_allocator_find (regname);
  if (!allocator) {
    GstDmaHeapAllocator *self = gst_dma_heap_allocator_create (heap_name,
        error);

    if (self) {
      allocator = GST_ALLOCATOR (self);
      gst_allocator_register (regname, gst_object_ref (allocator));
    }
  }
  if (allocator && chosen) {
    GstAllocator *generic = gst_allocator_find (GST_ALLOCATOR_DMA_HEAP);

    if (generic)
      gst_object_unref (generic);
    else
      gst_allocator_register (GST_ALLOCATOR_DMA_HEAP,
          gst_object_ref (allocator));
  }
  g_mutex_unlock (&registry_lock);

  g_free (regname);
  g_free (chosen);

  return allocator;
}

/**
 * gst_dma_heap_allocator_new:
 * @heap_name: (nullable): a heap's name; %NULL for the default choice
 * @error: return location for a #GError
 *
 * The former name of gst_dma_heap_allocator_get(), which it calls: it never
 * made a new allocator, it returns the process-wide one.
 *
 * Returns: (transfer full) (nullable): the allocator, or %NULL with @error
 *   set
 *
 * Since: 0.1
 * Deprecated: 0.1: Use gst_dma_heap_allocator_get().
 */
GstAllocator *
gst_dma_heap_allocator_new (const gchar * heap_name, GError ** error)
{
  return gst_dma_heap_allocator_get (heap_name, error);
}

/**
 * gst_dma_heap_allocator_get_heap_name:
 * @allocator: a #GstDmaHeapAllocator
 *
 * The name of the heap @allocator allocates from.
 *
 * Returns: (transfer none): the heap's name
 *
 * Since: 0.1
 */
const gchar *
gst_dma_heap_allocator_get_heap_name (GstAllocator * allocator)
{
  g_return_val_if_fail (GST_IS_DMA_HEAP_ALLOCATOR (allocator), NULL);

  return GST_DMA_HEAP_ALLOCATOR (allocator)->info->name;
}

/**
 * gst_dma_heap_allocator_get_info:
 * @allocator: a #GstDmaHeapAllocator
 *
 * What the heap of @allocator is, as queried when it was opened.
 *
 * Returns: (transfer none): what the heap is, as found when it was opened
 *
 * Since: 0.1
 */
const GstDmaHeapInfo *
gst_dma_heap_allocator_get_info (GstAllocator * allocator)
{
  g_return_val_if_fail (GST_IS_DMA_HEAP_ALLOCATOR (allocator), NULL);

  return GST_DMA_HEAP_ALLOCATOR (allocator)->info;
}

/**
 * gst_is_dma_heap_memory:
 * @mem: a #GstMemory
 *
 * Whether @mem was allocated by a #GstDmaHeapAllocator.
 *
 * Returns: %TRUE when @mem was allocated from a dma-buf heap by a
 *   #GstDmaHeapAllocator (it is then also dmabuf memory).
 *
 * Since: 0.1
 */
gboolean
gst_is_dma_heap_memory (GstMemory * mem)
{
  g_return_val_if_fail (mem != NULL, FALSE);

  return mem->allocator != NULL && GST_IS_DMA_HEAP_ALLOCATOR (mem->allocator);
}
