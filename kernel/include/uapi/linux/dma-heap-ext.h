/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dma-heap-ext: this project's extensions to the upstream dma-buf heap UAPI.
 *
 * Not an upstream header. The upstream UAPI (<linux/dma-heap.h>,
 * DMA_HEAP_IOCTL_ALLOC = _IOWR('H', 0x0, struct dma_heap_allocation_data)) is
 * served unchanged by the dma_heap_ext module; this file adds only what
 * upstream lacks. Userspace includes it beside <linux/dma-heap.h>.
 *
 * Asking a heap what it is
 * ------------------------
 * 1. ioctl(heap_fd, DMA_HEAP_EXT_IOC_QUERY, &info) on an open
 *    /dev/dma_heap/<name>. Upstream heaps dispatch on the ioctl number only
 *    and answer -EINVAL (or -ENOTTY) for any number but 0: that means "not
 *    supported, this is not one of our heaps". Our heaps fill @info and
 *    return 0.
 * 2. sysfs, for tools and shell scripts: every heap of ours is a device of
 *    class "dma_heap_ext"; its attributes sit in
 *    /sys/class/dma_heap_ext/<name>/ (the same directory as
 *    /sys/dev/char/<major>:<minor>/ of the node). A node without that
 *    directory is an upstream heap.
 *
 * Device hint
 * -----------
 * /sys/kernel/dma_heap_ext/hints/<bus>:<device>, for example
 * /sys/kernel/dma_heap_ext/hints/pci:0000:00:02.0, holds the name of the heap
 * of ours that suits DMA by that device, followed by a newline. For a DRM or
 * V4L2 node, <bus> and <device> are the basenames of
 * /sys/dev/char/<major>:<minor>/device/subsystem and .../device.
 */
#ifndef _UAPI_LINUX_DMA_HEAP_EXT_H
#define _UAPI_LINUX_DMA_HEAP_EXT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Buffers are one physically contiguous range (one sg entry). */
#define DMA_HEAP_EXT_FLAG_CONTIGUOUS	(1ULL << 0)
/* CPU mappings are cached; without it they are write-combined. */
#define DMA_HEAP_EXT_FLAG_CACHED	(1ULL << 1)
/* All memory lies below 4 GiB (usable by 32-bit DMA masters). */
#define DMA_HEAP_EXT_FLAG_DMA32		(1ULL << 2)
/* Freed pages are kept in a page pool and handed out again zeroed. */
#define DMA_HEAP_EXT_FLAG_POOLED	(1ULL << 3)
/* Memory is charged to the allocating process's memory cgroup. */
#define DMA_HEAP_EXT_FLAG_CHARGED	(1ULL << 4)

/**
 * struct dma_heap_ext_info - what a heap is, as answered by the query ioctl
 * @flags:	DMA_HEAP_EXT_FLAG_* bits
 * @alignment:	alignment in bytes of every buffer's start (at least PAGE_SIZE)
 * @max_size:	largest buffer the heap can ever hand out, in bytes
 * @total_bytes: memory the heap manages, in bytes; 0 when unbounded (the
 *		system heaps, which take pages from the page allocator)
 * @free_bytes:	bytes currently free in a bounded heap; 0 when unbounded
 * @buffers:	live buffers allocated from this heap
 * @bytes:	bytes in live buffers
 * @reserved:	zero
 */
struct dma_heap_ext_info {
	__u64 flags;
	__u64 alignment;
	__u64 max_size;
	__u64 total_bytes;
	__u64 free_bytes;
	__u64 buffers;
	__u64 bytes;
	__u64 reserved[4];
};

/* An ioctl number upstream does not use; see the comment at the top. */
#define DMA_HEAP_EXT_IOC_QUERY	_IOR('H', 0x40, struct dma_heap_ext_info)

#endif /* _UAPI_LINUX_DMA_HEAP_EXT_H */
