// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: module init and exit, the order of everything.
 *
 * Heaps are registered first (their memory and accounting), the device
 * hints next, and only then made visible in /dev and sysfs
 * (dhe_heaps_publish()): no step that can fail comes after a heap can be
 * opened, so a failed load never frees a heap under a user.
 */

#include <linux/module.h>

#include "compat.h"
#include "heap.h"

static int __init dhe_init(void)
{
	int ret;

	ret = dhe_core_init();
	if (ret)
		return ret;

	ret = dhe_page_pool_init();
	if (ret)
		goto exit_core;

	ret = dhe_system_heaps_init();
	if (ret)
		goto remove_heaps;

	ret = dhe_contig_heap_init();
	if (ret)
		goto remove_heaps;

	/* only a heap to add: its buffers are CMA's, nothing to undo */
	ret = dhe_cma_heap_init();
	if (ret)
		goto remove_heaps;

	ret = dhe_hint_init();
	if (ret)
		goto remove_heaps;

	/* nothing is visible in /dev before this, and nothing fails after it */
	ret = dhe_heaps_publish();
	if (ret)
		goto exit_hint;
	return 0;

exit_hint:
	dhe_hint_exit();
remove_heaps:
	/* the heaps first, then the memory behind them (none if never taken) */
	dhe_heaps_remove_all();
	dhe_contig_heap_exit();
	dhe_page_pool_exit();
exit_core:
	dhe_core_exit();
	return ret;
}

static void __exit dhe_exit(void)
{
	dhe_hint_exit();
	/* no buffer and no open heap file can exist: both pin the module */
	dhe_heaps_remove_all();
	dhe_contig_heap_exit();
	dhe_page_pool_exit();
	dhe_core_exit();
}

module_init(dhe_init);
module_exit(dhe_exit);

MODULE_DESCRIPTION("dma-buf heaps with the upstream UAPI: system, uncached, contiguous, CMA");
MODULE_LICENSE("GPL");
DHE_IMPORT_NS_DMA_BUF();
DHE_IMPORT_NS_DMA_BUF_HEAP();
