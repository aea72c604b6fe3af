/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_heap_ext: internal interfaces shared by the framework and the heaps.
 */
#ifndef _DMA_HEAP_EXT_HEAP_H
#define _DMA_HEAP_EXT_HEAP_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include "include/uapi/linux/dma-heap-ext.h"

struct dma_heap_ext;
struct dhe_buffer;

/**
 * struct dhe_heap_ops - what a heap implements
 * @allocate:	fill @buffer->sg_table with @buffer->len zeroed bytes
 * @free:	give back what @allocate took; @buffer->dirty says whether
 *		anybody could have written to the memory
 * @query:	fill the heap-specific fields of @info (flags, alignment,
 *		max_size, total_bytes, free_bytes)
 * @pool_bytes:	bytes kept in the heap's page pool, or NULL if not pooled
 * @charge_off_reason: NULL when the heap's memory is charged to the
 *		allocating process's memory cgroup now, else why not; NULL
 *		op: never charged (memory set aside for devices)
 * @left_out:	the heap could not be made visible and is dropped: give back
 *		what it holds (no buffer exists); NULL if it holds nothing
 */
struct dhe_heap_ops {
	int (*allocate)(struct dma_heap_ext *heap, struct dhe_buffer *buffer);
	void (*free)(struct dma_heap_ext *heap, struct dhe_buffer *buffer);
	void (*query)(struct dma_heap_ext *heap, struct dma_heap_ext_info *info);
	u64 (*pool_bytes)(struct dma_heap_ext *heap);
	const char *(*charge_off_reason)(struct dma_heap_ext *heap);
	void (*left_out)(struct dma_heap_ext *heap);
};

/**
 * struct dma_heap_ext - one heap: a char device, its sysfs directory and
 *			 its accounting
 *
 * @dev's reference count is the heap's: an open heap file holds @cdev,
 * which holds @dev, and dma_heap_ext_find() takes one; the device's release
 * frees the heap.
 */
struct dma_heap_ext {
	const char *name;
	const struct dhe_heap_ops *ops;
	void *priv;
	/* CPU mappings are write-combined rather than cached */
	bool uncached;
	/* set once the heap can be served; opens fail before (release/acquire) */
	bool serving;
	/* the node and sysfs directory exist (cdev_device_add() succeeded) */
	bool dev_added;

	struct list_head node;
	struct cdev cdev;
	struct device dev;

	atomic64_t buffers;
	atomic64_t bytes;
	atomic64_t peak_bytes;
};

/**
 * struct dhe_buffer - one dma-buf allocated from one of our heaps
 */
struct dhe_buffer {
	struct dma_heap_ext *heap;
	size_t len;
	struct sg_table sg_table;

	/* protects what follows, up to and including dirty */
	struct mutex lock;
	struct list_head attachments;
	int vmap_cnt;
	void *vaddr;
	/*
	 * Set once the memory may have been written (CPU or device mapping):
	 * a clean buffer's pages are still zero and can be reused as they are.
	 */
	bool dirty;
	/* heap-private data (e.g. the carveout address) */
	unsigned long priv;
};

void dhe_heap_account(struct dma_heap_ext *heap, size_t len, bool add);
struct dma_buf *dhe_buffer_export(struct dma_heap_ext *heap, size_t len,
				  u32 fd_flags);

/* core.c */
int dhe_core_init(void);
void dhe_core_exit(void);
int dhe_heaps_publish(void);
void dhe_heaps_remove_all(void);
struct dma_heap_ext *dhe_heap_add(const char *name,
				  const struct dhe_heap_ops *ops, void *priv,
				  bool uncached);
struct dma_heap_ext *dhe_heap_find_by_flags(u64 want, u64 refuse);
void dhe_heap_query(struct dma_heap_ext *heap, struct dma_heap_ext_info *info);

/* system_heap.c */
int dhe_system_heaps_init(void);
long dhe_system_admitted_pages(void);

/* page_pool.c */
/* the page orders of the system heaps' chunks, largest first (1 MiB, 64 KiB, 4 KiB) */
#define DHE_NR_PAGE_ORDERS	3
extern const unsigned int dhe_page_orders[DHE_NR_PAGE_ORDERS];
int dhe_page_pool_init(void);
void dhe_page_pool_exit(void);
struct page *dhe_page_pool_get(unsigned int order);
void dhe_page_pool_put_clean(struct page *page, unsigned int order);
void dhe_page_pool_put_dirty(struct page *page, unsigned int order);
u64 dhe_page_pool_bytes(void);
struct page *dhe_pages_alloc(gfp_t gfp, unsigned int order);
void dhe_pages_free(struct page *page, unsigned int order);
void dhe_pages_leak(struct page *page, unsigned int order);
long dhe_pages_in_buffers(void);
bool dhe_page_pool_enabled(void);
const char *dhe_charge_off_reason(void);
void dhe_charging_log(void);

/* contig_heap.c */
int dhe_contig_heap_init(void);
void dhe_contig_heap_exit(void);
long dhe_contig_carveout_pages(void);

/* cma_heap.c */
int dhe_cma_heap_init(void);

/* hint.c */
int dhe_hint_init(void);
void dhe_hint_exit(void);

#endif /* _DMA_HEAP_EXT_HEAP_H */
