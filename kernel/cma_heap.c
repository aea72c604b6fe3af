// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: the CMA heap, default_cma_region.
 *
 * Physically contiguous buffers from the kernel's default CMA area (cma=
 * on the command line, or CONFIG_CMA_SIZE_MBYTES), as upstream's CMA heap
 * (drivers/dma-buf/heaps/cma_heap.c) and under its 6.17+ name. Built where
 * the kernel exports the four CMA calls used here to modules (cma_alloc(),
 * cma_release(), cma_get_name(), dev_get_cma_area(): 7.x, each probed from
 * Module.symvers by compat.mk); Debian
 * 13's 7.3 has CMA but not upstream's CMA heap (CONFIG_DMABUF_HEAPS_CMA
 * unset). A kernel built with upstream's CMA heap keeps the name: ours is
 * then not added (core.c, dhe_heap_name_is_kernels()).
 *
 * Unlike the carveout heap, the memory is not taken at load: movable pages
 * use the CMA area until a buffer needs it and are migrated away then.
 */

#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>

#ifdef DHE_HAVE_CMA_EXPORTS
#include <linux/cma.h>
#include <linux/dma-map-ops.h>
#endif

#include "compat.h"
#include "fault.h"
#include "heap.h"

#define DHE_CMA_HEAP_NAME	"default_cma_region"

static bool dhe_cma_enable = true;
module_param_named(cma_heap, dhe_cma_enable, bool, 0444);
MODULE_PARM_DESC(cma_heap,
		 "Offer the kernel's default CMA area as heap " DHE_CMA_HEAP_NAME
		 " where the kernel exports CMA to modules and has no heap of that name (default: on)");

#ifdef DHE_HAVE_CMA_EXPORTS

static int dhe_cma_allocate(struct dma_heap_ext *heap,
			    struct dhe_buffer *buffer)
{
	struct cma *cma = heap->priv;
	unsigned long i, npages = buffer->len >> PAGE_SHIFT;
	unsigned int align = min_t(unsigned int, get_order(buffer->len),
				   CONFIG_CMA_ALIGNMENT);
	struct page *page;
	int ret;

	if (buffer->len > UINT_MAX)
		return -ENOMEM;

	/* no warning: an exhausted area is an ordinary -ENOMEM for the caller */
	page = dhe_fault(DHE_FAULT_PAGE) ? NULL : cma_alloc(cma, npages, align, true);
	if (!page)
		return -ENOMEM;

	for (i = 0; i < npages; i++) {
		clear_highpage(dhe_nth_page(page, i));
		if (!(i % 256)) {
			if (dhe_fault(DHE_FAULT_SIGNAL) ||
			    fatal_signal_pending(current)) {
				ret = -EINTR;
				goto release;
			}
			cond_resched();
		}
	}

	ret = dhe_fault(DHE_FAULT_SG) ? -ENOMEM : sg_alloc_table(&buffer->sg_table, 1, GFP_KERNEL);
	if (ret)
		goto release;
	sg_set_page(buffer->sg_table.sgl, page, buffer->len, 0);
	return 0;

release:
	cma_release(cma, page, npages);
	return ret;
}

static void dhe_cma_free(struct dma_heap_ext *heap, struct dhe_buffer *buffer)
{
	struct page *page = sg_page(buffer->sg_table.sgl);

	sg_free_table(&buffer->sg_table);
	cma_release(heap->priv, page, buffer->len >> PAGE_SHIFT);
}

/*
 * The area's size and what is free in it are not exported to modules
 * (struct cma is private to mm/): max_size, total_bytes and free_bytes stay
 * 0, and /sys/kernel/mm/cma/<area>/{total,available}_pages tell them.
 */
static void dhe_cma_query(struct dma_heap_ext *heap,
			  struct dma_heap_ext_info *info)
{
	info->flags = DMA_HEAP_EXT_FLAG_CONTIGUOUS | DMA_HEAP_EXT_FLAG_CACHED;
	info->alignment = PAGE_SIZE;
}

static const struct dhe_heap_ops dhe_cma_heap_ops = {
	.allocate = dhe_cma_allocate,
	.free = dhe_cma_free,
	.query = dhe_cma_query,
};

int dhe_cma_heap_init(void)
{
	struct dma_heap_ext *heap;
	struct cma *cma;

	if (!dhe_cma_enable)
		return 0;

	cma = dev_get_cma_area(NULL);
	if (!cma) {
		pr_info("dma_heap_ext: no default CMA area (boot with cma=SIZE): no " DHE_CMA_HEAP_NAME " heap\n");
		return 0;
	}

	heap = dhe_heap_add(DHE_CMA_HEAP_NAME, &dhe_cma_heap_ops, cma, false);
	if (IS_ERR(heap))
		/* the name is the kernel's (logged): its heap serves the area */
		return PTR_ERR(heap) == -EEXIST ? 0 : PTR_ERR(heap);

	pr_info("dma_heap_ext: " DHE_CMA_HEAP_NAME " heap on CMA area %s\n",
		cma_get_name(cma));
	return 0;
}

#else /* !DHE_HAVE_CMA_EXPORTS */

int dhe_cma_heap_init(void)
{
	return 0;
}

#endif
