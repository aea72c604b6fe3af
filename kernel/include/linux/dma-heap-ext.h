/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_heap_ext: in-kernel accessor API.
 *
 * Lets another module allocate dma-bufs from the heaps of dma_heap_ext.ko
 * by name, as the never-merged upstream proposal dma_heap_find() /
 * dma_heap_buffer_alloc() / dma_heap_put() would. The names carry an _ext
 * suffix so they never collide with a kernel that gains the upstream ones.
 */
#ifndef _DMA_HEAP_EXT_KAPI_H
#define _DMA_HEAP_EXT_KAPI_H

#include <linux/types.h>

struct dma_buf;
struct dma_heap_ext;

struct dma_heap_ext *dma_heap_ext_find(const char *name);
void dma_heap_ext_put(struct dma_heap_ext *heap);
const char *dma_heap_ext_get_name(struct dma_heap_ext *heap);
struct dma_buf *dma_heap_ext_buffer_alloc(struct dma_heap_ext *heap,
					  size_t len, u32 fd_flags,
					  u64 heap_flags);

#endif /* _DMA_HEAP_EXT_KAPI_H */
