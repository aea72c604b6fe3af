// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: the system heap and its write-combined sibling.
 *
 * As upstream's system heap (drivers/dma-buf/heaps/): zeroed pages, largest
 * order first (8, 4, 0: 1 MiB, 64 KiB, 4 KiB), high orders without reclaim or
 * warnings.
 * The cached heap takes pages from the page pool first (page_pool.c) and
 * gives them back there.
 *
 * The uncached heap changes the kernel's mapping of its pages to
 * write-combined with set_pages_array_wc(), as TTM does, so that no
 * cached alias exists while userspace maps them write-combined (a conflict
 * on x86), and restores write-back before freeing. x86 only.
 */

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include "compat.h"
#include "fault.h"
#include "heap.h"

/*
 * Order 0 reclaims and retries but never invokes the OOM killer: it cannot
 * see heap memory (no process's RSS holds it) and would kill bystanders
 * while the allocating process keeps its buffers. Running out is -ENOMEM
 * to the caller instead, as docs/kernel.md promises.
 */
#define LOW_ORDER_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_RETRY_MAYFAIL | \
			 __GFP_NOWARN)
#define HIGH_ORDER_GFP	(((GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
			   __GFP_NORETRY) & ~__GFP_RECLAIM) | __GFP_COMP)

/* the same for the bookkeeping of a buffer (sg table, page arrays) */
#define META_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* per entry of dhe_page_orders[] (8, 4, 0) */
static const gfp_t dhe_order_flags[DHE_NR_PAGE_ORDERS] = {
	HIGH_ORDER_GFP, HIGH_ORDER_GFP, LOW_ORDER_GFP
};

/**
 * dhe_system_heap_name() - name of our cached system heap
 *
 * "system" unless the kernel has its own system heap (6.12 has), whose name
 * we must not take.
 *
 * Return: the name.
 */
static const char *dhe_system_heap_name(void)
{
	return IS_ENABLED(CONFIG_DMABUF_HEAPS_SYSTEM) ? "system-ext" : "system";
}

static struct page *dhe_alloc_largest_available(unsigned long size,
						unsigned int max_order,
						bool pooled)
{
	struct page *page;
	unsigned int i;

	/* the whole fallback chain fails: what the caller would see */
	if (dhe_fault(DHE_FAULT_PAGE))
		return NULL;
	for (i = 0; i < DHE_NR_PAGE_ORDERS; i++) {
		if (size < (PAGE_SIZE << dhe_page_orders[i]))
			continue;
		if (max_order < dhe_page_orders[i])
			continue;

		if (pooled) {
			page = dhe_page_pool_get(dhe_page_orders[i]);
			if (page)
				return page;
		}
		page = dhe_pages_alloc(dhe_order_flags[i], dhe_page_orders[i]);
		if (page)
			return page;
	}
	return NULL;
}

static void dhe_free_page_list(struct list_head *pages)
{
	struct page *page, *tmp;

	/* pages fresh from the allocator or the pool are still zero */
	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		if (dhe_page_pool_enabled())
			dhe_page_pool_put_clean(page, compound_order(page));
		else
			dhe_pages_free(page, compound_order(page));
		cond_resched();
	}
}

/*
 * Admission: a buffer may not take the memory the rest of the machine
 * lives on. Close to the end, __GFP_RETRY_MAYFAIL fails our pages, but the
 * next small GFP_KERNEL allocation of anybody (ours for the dma-buf too)
 * would find nothing and wake the OOM killer. So keep 1/32 of RAM: what is
 * available (page cache that can be dropped included) plus what our own pool
 * holds must cover the buffer and that reserve.
 *
 * Admitted pages are reserved before the check and released one chunk at
 * a time as they are allocated, so concurrent allocations each see what
 * the others are about to take: a check-then-allocate would admit them all.
 */
static atomic_long_t dhe_admitted_pages = ATOMIC_LONG_INIT(0);

static bool dhe_system_admit(unsigned long pages, bool pooled)
{
	long admitted = atomic_long_add_return(pages, &dhe_admitted_pages);
	long avail = si_mem_available();

	if (pooled)
		avail += dhe_page_pool_bytes() >> PAGE_SHIFT;
	if (!dhe_fault(DHE_FAULT_ADMIT) &&
	    avail - admitted >= (long)(totalram_pages() / 32))
		return true;
	atomic_long_sub(pages, &dhe_admitted_pages);
	return false;
}

static int dhe_system_alloc_pages(struct dhe_buffer *buffer, bool pooled)
{
	unsigned long size_remaining = buffer->len;
	unsigned int max_order = dhe_page_orders[0];
	struct sg_table *table = &buffer->sg_table;
	struct scatterlist *sg;
	struct list_head pages;
	struct page *page, *tmp;
	unsigned int nents = 0;
	int ret;

	if (!dhe_system_admit(buffer->len >> PAGE_SHIFT, pooled))
		return -ENOMEM;

	INIT_LIST_HEAD(&pages);
	while (size_remaining > 0) {
		/* a process being killed must not sit here allocating */
		if (dhe_fault(DHE_FAULT_SIGNAL) || fatal_signal_pending(current)) {
			ret = -EINTR;
			goto free_pages;
		}

		page = dhe_alloc_largest_available(size_remaining, max_order,
						   pooled);
		if (!page) {
			ret = -ENOMEM;
			goto free_pages;
		}

		list_add_tail(&page->lru, &pages);
		atomic_long_sub(page_size(page) >> PAGE_SHIFT, &dhe_admitted_pages);
		size_remaining -= page_size(page);
		max_order = compound_order(page);
		nents++;
		/*
		 * A buffer of hundreds of MiB is thousands of chunks, each
		 * zeroed: without a scheduling point a non-preemptible kernel
		 * sits here long enough for the soft-lockup watchdog (seen
		 * on 6.1 under emulation).
		 */
		cond_resched();
	}

	ret = dhe_fault(DHE_FAULT_SG) ? -ENOMEM : sg_alloc_table(table, nents, META_GFP);
	if (ret)
		goto free_pages;

	sg = table->sgl;
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		sg_set_page(sg, page, page_size(page), 0);
		sg = sg_next(sg);
		list_del(&page->lru);
	}
	return 0;

free_pages:
	atomic_long_sub(size_remaining >> PAGE_SHIFT, &dhe_admitted_pages);
	if (pooled) {
		dhe_free_page_list(&pages);
	} else {
		list_for_each_entry_safe(page, tmp, &pages, lru)
			dhe_pages_free(page, compound_order(page));
	}
	return ret;
}

/**
 * dhe_system_admitted_pages() - 4 KiB pages admitted and not yet allocated
 *
 * Return: the count; 0 when no allocation is under way (for tests).
 */
long dhe_system_admitted_pages(void)
{
	return atomic_long_read(&dhe_admitted_pages);
}

static int dhe_system_allocate(struct dma_heap_ext *heap,
			       struct dhe_buffer *buffer)
{
	return dhe_system_alloc_pages(buffer, dhe_page_pool_enabled());
}

static void dhe_system_free(struct dma_heap_ext *heap,
			    struct dhe_buffer *buffer)
{
	struct sg_table *table = &buffer->sg_table;
	bool pooled = dhe_page_pool_enabled();
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(table, sg, i) {
		struct page *page = sg_page(sg);
		unsigned int order = compound_order(page);

		if (!pooled)
			dhe_pages_free(page, order);
		else if (buffer->dirty)
			dhe_page_pool_put_dirty(page, order);
		else
			dhe_page_pool_put_clean(page, order);
		cond_resched();
	}
	sg_free_table(table);
}

static void dhe_system_query(struct dma_heap_ext *heap,
			     struct dma_heap_ext_info *info)
{
	info->flags = DMA_HEAP_EXT_FLAG_CACHED;
	if (dhe_page_pool_enabled())
		info->flags |= DMA_HEAP_EXT_FLAG_POOLED;
	if (!dhe_charge_off_reason())
		info->flags |= DMA_HEAP_EXT_FLAG_CHARGED;
	info->alignment = PAGE_SIZE;
	info->max_size = (u64)totalram_pages() << PAGE_SHIFT;
}

static u64 dhe_system_pool_bytes(struct dma_heap_ext *heap)
{
	return dhe_page_pool_bytes();
}

static const char *dhe_system_charge_off_reason(struct dma_heap_ext *heap)
{
	return dhe_charge_off_reason();
}

static const struct dhe_heap_ops dhe_system_heap_ops = {
	.allocate = dhe_system_allocate,
	.free = dhe_system_free,
	.query = dhe_system_query,
	.pool_bytes = dhe_system_pool_bytes,
	.charge_off_reason = dhe_system_charge_off_reason,
};

#ifdef CONFIG_X86
/* Every 4 KiB page of the buffer, for set_pages_array_*(). */
static struct page **dhe_buffer_page_array(struct dhe_buffer *buffer,
					   unsigned int *npages)
{
	struct sg_page_iter piter;
	struct page **pages;
	unsigned int n = 0;

	*npages = buffer->len >> PAGE_SHIFT;
	pages = dhe_fault(DHE_FAULT_PAGE_ARRAY) ? NULL :
		kvmalloc_array(*npages, sizeof(*pages), META_GFP);
	if (!pages)
		return NULL;

	for_each_sgtable_page(&buffer->sg_table, &piter, 0)
		pages[n++] = sg_page_iter_page(&piter);
	return pages;
}

static void dhe_uncached_free_pages(struct dhe_buffer *buffer)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&buffer->sg_table, sg, i) {
		dhe_pages_free(sg_page(sg), compound_order(sg_page(sg)));
		cond_resched();
	}
	sg_free_table(&buffer->sg_table);
}

/*
 * Put the pages back to write-back and free them. Pages whose attribute
 * cannot be restored must never reach the page allocator (its next user
 * would get a write-combined kernel mapping, and a cached alias beside it
 * a conflicting one): they are kept for good and counted (leaked_pages),
 * as upstream's heap for confidential computing does with pages whose
 * attributes it cannot restore. set_pages_array_wb() may have restored
 * some before failing; all are kept, since which ones is not known.
 */
static void dhe_uncached_release_pages(struct dhe_buffer *buffer,
				       struct page **pages,
				       unsigned int npages)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ret = dhe_fault(DHE_FAULT_ATTR_WB) ? -ENOMEM :
		set_pages_array_wb(pages, npages);
	if (!ret) {
		dhe_uncached_free_pages(buffer);
		return;
	}

	pr_warn_once("dma_heap_ext: system-uncached: cannot restore write-back caching of %u pages (%d); keeping them from the page allocator for good (leaked_pages counts them)\n",
		     npages, ret);
	for_each_sgtable_sg(&buffer->sg_table, sg, i)
		dhe_pages_leak(sg_page(sg), compound_order(sg_page(sg)));
	sg_free_table(&buffer->sg_table);
}

/*
 * The page array that set_pages_array_wb() needs at free is made here and
 * kept with the buffer (8 bytes per 4 KiB page), so freeing allocates
 * nothing and cannot fail.
 */
static int dhe_uncached_allocate(struct dma_heap_ext *heap,
				 struct dhe_buffer *buffer)
{
	struct page **pages;
	unsigned int npages;
	int ret;

	/* not pooled: pooled pages would have to be kept write-combined */
	ret = dhe_system_alloc_pages(buffer, false);
	if (ret)
		return ret;

	pages = dhe_buffer_page_array(buffer, &npages);
	if (!pages) {
		ret = -ENOMEM;
		goto free_pages;
	}

	/* also writes the zeroes back from the CPU caches */
	ret = dhe_fault(DHE_FAULT_ATTR) ? -ENOMEM : set_pages_array_wc(pages, npages);
	if (ret) {
		/*
		 * It may have changed some pages before failing (and released
		 * their memtypes): put every page back to write-back before
		 * the page allocator sees it.
		 */
		dhe_uncached_release_pages(buffer, pages, npages);
		kvfree(pages);
		return ret;
	}
	buffer->priv = (unsigned long)pages;
	return 0;

free_pages:
	dhe_uncached_free_pages(buffer);
	return ret;
}

static void dhe_uncached_free(struct dma_heap_ext *heap,
			      struct dhe_buffer *buffer)
{
	struct page **pages = (struct page **)buffer->priv;

	dhe_uncached_release_pages(buffer, pages, buffer->len >> PAGE_SHIFT);
	kvfree(pages);
}

static void dhe_uncached_query(struct dma_heap_ext *heap,
			       struct dma_heap_ext_info *info)
{
	info->flags = dhe_charge_off_reason() ? 0 : DMA_HEAP_EXT_FLAG_CHARGED;
	info->alignment = PAGE_SIZE;
	info->max_size = (u64)totalram_pages() << PAGE_SHIFT;
}

static const struct dhe_heap_ops dhe_uncached_heap_ops = {
	.allocate = dhe_uncached_allocate,
	.free = dhe_uncached_free,
	.query = dhe_uncached_query,
	.charge_off_reason = dhe_system_charge_off_reason,
};
#endif /* CONFIG_X86 */

/* The heaps hold no memory of their own: core.c removes them at exit. */
int dhe_system_heaps_init(void)
{
	struct dma_heap_ext *heap;

	dhe_charging_log();

	/* a name of the kernel's own heaps (-EEXIST, logged) costs only that heap */
	heap = dhe_heap_add(dhe_system_heap_name(), &dhe_system_heap_ops, NULL,
			    false);
	if (IS_ERR(heap) && PTR_ERR(heap) != -EEXIST)
		return PTR_ERR(heap);

#ifdef CONFIG_X86
	heap = dhe_heap_add("system-uncached", &dhe_uncached_heap_ops, NULL, true);
	if (IS_ERR(heap) && PTR_ERR(heap) != -EEXIST)
		return PTR_ERR(heap);
#endif
	return 0;
}
