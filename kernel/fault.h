/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_heap_ext: failure points for the fault-injection test build.
 *
 * Every call that can fail in the module goes through dhe_fault() first,
 * but one whose failure only the driver core sees: the class's devnode
 * callback's kasprintf() (the node then takes the device's own name).
 * Built with DHE_FAULT_INJECT=y (tests only: tools/vm/vm-run
 * --kmod-fault-inject), the module parameters fault_point=<name> and
 * fault_nth=<n> make the n-th call of that point from then on fail as if
 * the kernel had refused it (fault_times=<k>: that call and the k-1 after
 * it; fault_delay_ms=<ms>: each failing call waits first, so that a test
 * can act while a failure is under way); the normal build compiles every
 * check away. dhe_fault_pause() is the same build's wait without a
 * failure: fault_pause_at=<name> makes the call that names it wait
 * fault_delay_ms (the hints' bus walk, before it takes that device).
 */
#ifndef _DMA_HEAP_EXT_FAULT_H
#define _DMA_HEAP_EXT_FAULT_H

#include <linux/types.h>

enum dhe_fault_point {
	DHE_FAULT_CHRDEV,	/* alloc_chrdev_region() */
	DHE_FAULT_CLASS,	/* class_register() */
	DHE_FAULT_HEAP,		/* a heap's struct (kzalloc, kstrdup) */
	DHE_FAULT_CDEV,		/* cdev_device_add(): the node and sysfs dir */
	DHE_FAULT_DEVICE,	/* dev_set_name() of a heap's device */
	DHE_FAULT_KHEAP,	/* dma_heap_add() (kernel_framework=1) */
	DHE_FAULT_HINT,		/* hint kobjects, notifiers and files */
	DHE_FAULT_SHRINKER,	/* the page pool's shrinker registration */
	DHE_FAULT_CARVEOUT,	/* the contiguous heap's carveout at load */
	DHE_FAULT_BUFFER,	/* a buffer's and an attachment's structs */
	DHE_FAULT_PAGE,		/* page allocation (system, carveout range) */
	DHE_FAULT_SG,		/* sg_alloc_table() */
	DHE_FAULT_PAGE_ARRAY,	/* the uncached heap's page array */
	DHE_FAULT_ATTR,		/* set_pages_array_wc() */
	DHE_FAULT_ATTR_WB,	/* set_pages_array_wb() */
	DHE_FAULT_VMAP,		/* the page array and vmap() of a kernel mapping */
	DHE_FAULT_EXPORT,	/* dma_buf_export() */
	DHE_FAULT_FD,		/* get_unused_fd_flags() */
	DHE_FAULT_IOCTL,	/* the ioctl's kmalloc() and both user copies */
	DHE_FAULT_MAP,		/* dma_map_sgtable() in map_dma_buf */
	DHE_FAULT_MMAP,		/* remap_pfn_range() */
	DHE_FAULT_SIGNAL,	/* a fatal signal seen while allocating (-EINTR) */
	DHE_FAULT_ADMIT,	/* the system heaps' admission refusing a buffer */
	DHE_FAULT_NR
};

#ifdef DHE_FAULT_INJECT
bool dhe_fault(enum dhe_fault_point point);
void dhe_fault_pause(const char *name);
#else
static inline bool dhe_fault(enum dhe_fault_point point)
{
	return false;
}

static inline void dhe_fault_pause(const char *name)
{
}
#endif

#endif /* _DMA_HEAP_EXT_FAULT_H */
