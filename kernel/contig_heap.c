// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: the contiguous heap.
 *
 * Neither Debian kernel has CMA, and alloc_contig_pages() is not exported,
 * so the memory is a carveout taken at load: contig_size_mb worth of
 * max-order blocks (4 MiB on x86) from the page allocator, below 4 GiB
 * unless contig_dma32=0. Blocks that happen to be adjacent are merged;
 * a genalloc pool over each merged extent hands out buffers, each one
 * physically contiguous range. The largest buffer is the largest extent;
 * freed ranges coalesce again, but a fragmented carveout can fail a request
 * smaller than free_bytes.
 */

#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "compat.h"
#include "fault.h"
#include "heap.h"

/*
 * 64 MiB: the kernel's own dmabuf-heaps selftest holds 32 buffers of 1 MiB
 * at once, four 4K NV12 frames take 48 MiB, and 64 MiB is a common CMA size
 * on the boards that need contiguous memory. See docs/kernel.md.
 */
static unsigned int dhe_contig_size_mb = 64;
module_param_named(contig_size_mb, dhe_contig_size_mb, uint, 0444);
MODULE_PARM_DESC(contig_size_mb,
		 "Memory set aside at load for the contiguous heap, in MiB (default: 64; 0: no contiguous heap)");

static bool dhe_contig_dma32 = true;
module_param_named(contig_dma32, dhe_contig_dma32, bool, 0444);
MODULE_PARM_DESC(contig_dma32,
		 "Take the contiguous heap's memory below 4 GiB (default: on)");

static bool dhe_compat_names;
module_param_named(compat_names, dhe_compat_names, bool, 0444);
MODULE_PARM_DESC(compat_names,
		 "Also serve the contiguous heap as linux,cma and reserved, the names libcamera and vendor allocators open, where the kernel has no heap of that name (default: off)");

/* the names userspace looks a contiguous heap up by (docs/kernel.md) */
static const char *const dhe_contig_compat_names[] = { "linux,cma", "reserved" };

#define DHE_CONTIG_BLOCK_ORDER	DHE_MAX_ORDER

struct dhe_contig {
	struct gen_pool *pool;
	struct page **blocks;
	unsigned int nblocks;
	u64 total_bytes;
	u64 largest_extent;
	phys_addr_t highest_end;
	/* heaps over the carveout not left out: contiguous and its compat names */
	unsigned int heaps;
};

static struct dhe_contig dhe_contig;

static int dhe_contig_allocate(struct dma_heap_ext *heap,
			       struct dhe_buffer *buffer)
{
	struct dhe_contig *contig = heap->priv;
	struct page *page;
	unsigned long addr;
	size_t i, npages;
	int ret;

	if (buffer->len > UINT_MAX)
		return -ENOMEM;

	addr = dhe_fault(DHE_FAULT_PAGE) ? 0 : gen_pool_alloc(contig->pool, buffer->len);
	if (!addr)
		return -ENOMEM;

	page = pfn_to_page(PHYS_PFN(addr));
	npages = buffer->len >> PAGE_SHIFT;
	for (i = 0; i < npages; i++) {
		clear_highpage(dhe_nth_page(page, i));
		if (i % 256)
			continue;
		/* a process being killed must not sit here zeroing */
		if (dhe_fault(DHE_FAULT_SIGNAL) || fatal_signal_pending(current)) {
			ret = -EINTR;
			goto free_range;
		}
		cond_resched();
	}

	ret = dhe_fault(DHE_FAULT_SG) ? -ENOMEM : sg_alloc_table(&buffer->sg_table, 1, GFP_KERNEL);
	if (ret)
		goto free_range;
	sg_set_page(buffer->sg_table.sgl, page, buffer->len, 0);
	buffer->priv = addr;
	return 0;

free_range:
	gen_pool_free(contig->pool, addr, buffer->len);
	return ret;
}

static void dhe_contig_free(struct dma_heap_ext *heap,
			    struct dhe_buffer *buffer)
{
	struct dhe_contig *contig = heap->priv;

	sg_free_table(&buffer->sg_table);
	gen_pool_free(contig->pool, buffer->priv, buffer->len);
}

/*
 * The longest run of free pages in any extent: the largest buffer one
 * allocation gets now (gen_pool_alloc() is first-fit within an extent).
 * Racy against concurrent allocations, as any answer of a query is.
 */
static u64 dhe_contig_largest_free(struct dhe_contig *contig)
{
	int order = contig->pool->min_alloc_order;
	struct gen_pool_chunk *chunk;
	unsigned long largest = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &contig->pool->chunks, next_chunk) {
		unsigned long nbits = (chunk->end_addr - chunk->start_addr + 1) >> order;
		unsigned long start = 0, end;

		for (;;) {
			start = find_next_zero_bit(chunk->bits, nbits, start);
			if (start >= nbits)
				break;
			end = find_next_bit(chunk->bits, nbits, start);
			largest = max(largest, end - start);
			start = end;
		}
	}
	rcu_read_unlock();
	return (u64)largest << order;
}

static void dhe_contig_query(struct dma_heap_ext *heap,
			     struct dma_heap_ext_info *info)
{
	struct dhe_contig *contig = heap->priv;

	info->flags = DMA_HEAP_EXT_FLAG_CONTIGUOUS | DMA_HEAP_EXT_FLAG_CACHED;
	if (contig->highest_end <= SZ_4G)
		info->flags |= DMA_HEAP_EXT_FLAG_DMA32;
	info->alignment = PAGE_SIZE;
	info->max_size = dhe_contig_largest_free(contig);
	info->total_bytes = contig->total_bytes;
	info->free_bytes = gen_pool_avail(contig->pool);
}

static void dhe_contig_release_carveout(struct dhe_contig *contig);

/*
 * Never visible, so no buffer: the carveout goes back at once, not at
 * unload, once no heap over it is left (publishing is serialized).
 */
static void dhe_contig_left_out(struct dma_heap_ext *heap)
{
	struct dhe_contig *contig = heap->priv;

	if (!--contig->heaps)
		dhe_contig_release_carveout(contig);
}

static const struct dhe_heap_ops dhe_contig_heap_ops = {
	.allocate = dhe_contig_allocate,
	.free = dhe_contig_free,
	.query = dhe_contig_query,
	.left_out = dhe_contig_left_out,
};

static int dhe_cmp_page_pfn(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page * const *)a);
	unsigned long pb = page_to_pfn(*(struct page * const *)b);

	return pa < pb ? -1 : pa > pb;
}

static void dhe_contig_free_blocks(struct dhe_contig *contig)
{
	unsigned long block_pages = 1UL << DHE_CONTIG_BLOCK_ORDER;
	unsigned int i;
	unsigned long j;

	/* split_page() made every page of a block a page of its own */
	for (i = 0; i < contig->nblocks; i++) {
		for (j = 0; j < block_pages; j++)
			__free_page(dhe_nth_page(contig->blocks[i], j));
		cond_resched();
	}
	kfree(contig->blocks);
	contig->blocks = NULL;
	contig->nblocks = 0;
}

static int dhe_contig_take_blocks(struct dhe_contig *contig,
				  unsigned int nblocks)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY;
	struct page *page;

	if (dhe_contig_dma32)
		gfp |= GFP_DMA32;

	contig->blocks = dhe_fault(DHE_FAULT_CARVEOUT) ? NULL :
		kcalloc(nblocks, sizeof(*contig->blocks), GFP_KERNEL);
	if (!contig->blocks)
		return -ENOMEM;

	while (contig->nblocks < nblocks) {
		page = dhe_fault(DHE_FAULT_CARVEOUT) ? NULL :
			alloc_pages(gfp, DHE_CONTIG_BLOCK_ORDER);
		if (!page) {
			pr_warn("dma_heap_ext: contiguous heap: only %u of %u blocks of %lu KiB\n",
				contig->nblocks, nblocks,
				(PAGE_SIZE << DHE_CONTIG_BLOCK_ORDER) >> 10);
			dhe_contig_free_blocks(contig);
			return -ENOMEM;
		}
		split_page(page, DHE_CONTIG_BLOCK_ORDER);
		contig->blocks[contig->nblocks++] = page;
	}
	return 0;
}

/* Merge adjacent blocks into extents and give each to the pool. */
static int dhe_contig_add_extents(struct dhe_contig *contig)
{
	unsigned long block_bytes = PAGE_SIZE << DHE_CONTIG_BLOCK_ORDER;
	unsigned int i = 0, j;
	int ret;

	sort(contig->blocks, contig->nblocks, sizeof(*contig->blocks),
	     dhe_cmp_page_pfn, NULL);

	while (i < contig->nblocks) {
		phys_addr_t start = page_to_phys(contig->blocks[i]);
		size_t size = block_bytes;

		for (j = i + 1; j < contig->nblocks; j++) {
			if (page_to_phys(contig->blocks[j]) != start + size)
				break;
			size += block_bytes;
		}

		ret = dhe_fault(DHE_FAULT_CARVEOUT) ? -ENOMEM :
			gen_pool_add(contig->pool, start, size, -1);
		if (ret)
			return ret;
		contig->total_bytes += size;
		contig->largest_extent = max_t(u64, contig->largest_extent,
					       size);
		contig->highest_end = max(contig->highest_end, start + size);
		i = j;
	}
	return 0;
}

int dhe_contig_heap_init(void)
{
	struct dhe_contig *contig = &dhe_contig;
	unsigned long block_bytes = PAGE_SIZE << DHE_CONTIG_BLOCK_ORDER;
	struct dma_heap_ext *heap;
	unsigned int nblocks, i;
	int ret;

	if (!dhe_contig_size_mb)
		return 0;

	/*
	 * Beyond half of RAM the carveout would starve everything else while
	 * it is being taken; and a carveout that cannot be had leaves the other
	 * heaps working: the contiguous heap is then absent, not the module.
	 */
	if (((u64)dhe_contig_size_mb << 20) > ((u64)totalram_pages() << PAGE_SHIFT) / 2) {
		pr_warn("dma_heap_ext: contig_size_mb=%u is more than half of RAM: no contiguous heap\n",
			dhe_contig_size_mb);
		return 0;
	}

	nblocks = DIV_ROUND_UP_ULL((u64)dhe_contig_size_mb << 20, block_bytes);

	contig->pool = dhe_fault(DHE_FAULT_CARVEOUT) ? NULL : gen_pool_create(PAGE_SHIFT, -1);
	if (!contig->pool)
		return -ENOMEM;

	ret = dhe_contig_take_blocks(contig, nblocks);
	if (ret) {
		pr_warn("dma_heap_ext: cannot set aside %u MiB: no contiguous heap\n",
			dhe_contig_size_mb);
		gen_pool_destroy(contig->pool);
		memset(contig, 0, sizeof(*contig));
		return 0;
	}

	ret = dhe_contig_add_extents(contig);
	if (ret)
		goto free_blocks;

	heap = dhe_heap_add("contiguous", &dhe_contig_heap_ops, contig, false);
	if (IS_ERR(heap)) {
		/* a name of the kernel's own heaps (logged): no contiguous heap */
		ret = PTR_ERR(heap) == -EEXIST ? 0 : PTR_ERR(heap);
		goto free_blocks;
	}

	contig->heaps = 1;
	pr_info("dma_heap_ext: contiguous heap: %llu MiB, largest buffer %llu MiB\n",
		contig->total_bytes >> 20, contig->largest_extent >> 20);

	/*
	 * The same heap under other names: one buffer accounting per node,
	 * one carveout. A name the kernel has is skipped (logged by
	 * dhe_heap_add()); any other failure costs that name only.
	 */
	for (i = 0; dhe_compat_names && i < ARRAY_SIZE(dhe_contig_compat_names); i++) {
		heap = dhe_heap_add(dhe_contig_compat_names[i], &dhe_contig_heap_ops,
				    contig, false);
		if (!IS_ERR(heap)) {
			contig->heaps++;
			pr_info("dma_heap_ext: contiguous heap also as %s\n",
				dhe_contig_compat_names[i]);
		}
	}
	return 0;

free_blocks:
	/* gen_pool_destroy() insists every range be free: they are */
	dhe_contig_free_blocks(contig);
	gen_pool_destroy(contig->pool);
	memset(contig, 0, sizeof(*contig));
	return ret;
}

/* Idempotent: a carveout given back when its heap was left out is gone. */
static void dhe_contig_release_carveout(struct dhe_contig *contig)
{
	if (!contig->pool)
		return;
	gen_pool_destroy(contig->pool);
	dhe_contig_free_blocks(contig);
	memset(contig, 0, sizeof(*contig));
}

void dhe_contig_heap_exit(void)
{
	dhe_contig_release_carveout(&dhe_contig);
}

/**
 * dhe_contig_carveout_pages() - 4 KiB pages the carveout holds now
 *
 * Return: the count; 0 when there is no carveout (for tests).
 */
long dhe_contig_carveout_pages(void)
{
	return READ_ONCE(dhe_contig.total_bytes) >> PAGE_SHIFT;
}
