// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: page pools for the system heap.
 *
 * Freed pages are kept per order (8, 4, 0) and handed out again instead of
 * asking the page allocator and zeroing. Every page in a pool is zero:
 * pages of a buffer nobody could write to (never mapped by the CPU or a
 * device) go back as they are; the others are queued and zeroed by a
 * worker, off both the allocation and the free path. The pool holds at most
 * pool_max_mb (ready and queued pages together) and a shrinker gives it all
 * back under memory pressure.
 */

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "fault.h"
#include "heap.h"

static bool dhe_pool_enable = true;
static unsigned int dhe_pool_max_mb = 64;

/*
 * Charging heap memory to the memory cgroup of the process that allocates
 * it, as Linux 7.0's dma_heap.mem_accounting does (off by default there
 * too): pages come with __GFP_ACCOUNT, so the cgroup's memory.max limits
 * them (ENOMEM beyond it, no OOM kill: the allocations may fail) and
 * memory.current shows them. A buffer shared with another process stays
 * charged to the one that allocated it. Set at load only; with it on, the
 * pools are bypassed, since a pooled page would stay charged to whichever
 * cgroup freed it. Whether pages are then really charged is read from the
 * kernel at each question (dhe_charge_off_reason()), never assumed.
 */
static bool dhe_mem_accounting;
module_param_named(mem_accounting, dhe_mem_accounting, bool, 0444);
MODULE_PARM_DESC(mem_accounting,
		 "Charge system heap memory to the allocating process's memory cgroup (default: off; turns the page pool off)");

/* the orders the system heaps allocate in, largest first; one pool each */
const unsigned int dhe_page_orders[DHE_NR_PAGE_ORDERS] = { 8, 4, 0 };

struct dhe_page_pool {
	struct list_head pages;
	unsigned long count;
};

/*
 * Initialised statically: parameter callbacks (pool_enable=0 on the insmod
 * line or in /etc/modprobe.d) run before module_init and drain the pools.
 */
#define DHE_POOL(i)	{ .pages = LIST_HEAD_INIT(dhe_pools[i].pages) }
static struct dhe_page_pool dhe_pools[DHE_NR_PAGE_ORDERS] = {
	DHE_POOL(0), DHE_POOL(1), DHE_POOL(2),
};

/* protects dhe_pools, dhe_dirty_pages and dhe_pool_held_pages */
static DEFINE_SPINLOCK(dhe_pool_lock);
static LIST_HEAD(dhe_dirty_pages);
/* 4 KiB pages held: in the pools plus queued for zeroing */
static unsigned long dhe_pool_held_pages;
/* 4 KiB pages in the pools, zeroed (what sysfs pool_bytes shows) */
static unsigned long dhe_pool_ready_pages;

/* 4 KiB pages the system heaps hold from the page allocator, pools included */
static atomic_long_t dhe_pages_held = ATOMIC_LONG_INIT(0);

/**
 * dhe_pages_alloc() - alloc_pages() for the system heaps, counted
 * @gfp: allocation flags
 * @order: page order
 *
 * Return: the page or NULL.
 */
struct page *dhe_pages_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(dhe_mem_accounting ? gfp | __GFP_ACCOUNT : gfp,
					order);

	if (page)
		atomic_long_add(1L << order, &dhe_pages_held);
	return page;
}

/**
 * dhe_pages_free() - give a page of dhe_pages_alloc() back to the kernel
 * @page: the page
 * @order: its order
 */
void dhe_pages_free(struct page *page, unsigned int order)
{
	atomic_long_sub(1L << order, &dhe_pages_held);
	__free_pages(page, order);
}

/*
 * 4 KiB pages kept out of circulation for good: their kernel mapping could
 * not be put back to write-back (system_heap.c), so they must never reach
 * the page allocator.
 */
static atomic_long_t dhe_pages_leaked = ATOMIC_LONG_INIT(0);

/**
 * dhe_pages_leak() - keep a page of dhe_pages_alloc() from the page
 *		      allocator for good, counted in leaked_pages
 * @page: the page
 * @order: its order
 */
void dhe_pages_leak(struct page *page, unsigned int order)
{
	atomic_long_sub(1L << order, &dhe_pages_held);
	atomic_long_add(1L << order, &dhe_pages_leaked);
}

static int dhe_leaked_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&dhe_pages_leaked));
}

static const struct kernel_param_ops dhe_leaked_pages_ops = {
	.get = dhe_leaked_pages_get,
};
module_param_cb(leaked_pages, &dhe_leaked_pages_ops, NULL, 0444);
MODULE_PARM_DESC(leaked_pages,
		 "4 KiB pages kept from the page allocator for good because their write-back caching could not be restored");

/**
 * dhe_pages_in_buffers() - 4 KiB pages the system heaps hold outside the
 *			    pools: those of live buffers, or leaked ones
 *
 * Return: the count (racy against concurrent allocations; for tests).
 */
long dhe_pages_in_buffers(void)
{
	long held;

	spin_lock(&dhe_pool_lock);
	held = atomic_long_read(&dhe_pages_held) - dhe_pool_held_pages;
	spin_unlock(&dhe_pool_lock);
	return held;
}

static void dhe_zero_work_fn(struct work_struct *work);
static DECLARE_WORK(dhe_zero_work, dhe_zero_work_fn);

#ifdef DHE_HAVE_SHRINKER_ALLOC
static struct shrinker *dhe_shrinker;
#else
static struct shrinker dhe_shrinker_struct;
#endif

static struct dhe_page_pool *dhe_pool_for_order(unsigned int order)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dhe_pools); i++)
		if (dhe_page_orders[i] == order)
			return &dhe_pools[i];
	return NULL;
}

static unsigned long dhe_pool_max_pages(void)
{
	return (unsigned long)READ_ONCE(dhe_pool_max_mb) << (20 - PAGE_SHIFT);
}

/**
 * dhe_charge_off_reason() - why the system heaps' pages are not charged to
 *			     the allocating process's memory cgroup now
 *
 * mem_accounting=1 adds __GFP_ACCOUNT, which charges nothing where the
 * memory controller is disabled or kernel-memory accounting is off
 * (cgroup.memory=nokmem): a claim of charging there would let the uaccess
 * rule hand seat users memory with no bound.
 *
 * Return: NULL when the pages are charged, else the reason.
 */
const char *dhe_charge_off_reason(void)
{
	if (!dhe_mem_accounting)
		return "mem_accounting=0 (the default)";
	if (mem_cgroup_disabled())
		return "the memory cgroup controller is disabled (cgroup_disable=memory)";
#ifdef dhe_kmem_accounted
	if (!dhe_kmem_accounted())
		return "kernel-memory accounting is not in force (cgroup.memory=nokmem, or no memory cgroup below the root yet)";
	return NULL;
#else
	return "this kernel does not tell modules whether kernel memory is accounted";
#endif
}

/**
 * dhe_charging_log() - say at load why mem_accounting=1 charges nothing
 */
void dhe_charging_log(void)
{
	const char *why = dhe_charge_off_reason();

	if (dhe_mem_accounting && why)
		pr_notice("dma_heap_ext: mem_accounting=1, but %s: system heap memory is not charged, and the heaps say charged 0 (sysfs charged, charged_reason) until it is\n",
			  why);
}

bool dhe_page_pool_enabled(void)
{
	return READ_ONCE(dhe_pool_enable) && !dhe_mem_accounting;
}

u64 dhe_page_pool_bytes(void)
{
	unsigned long pages;

	/* zeroed and ready; pages still queued for zeroing are not counted */
	spin_lock(&dhe_pool_lock);
	pages = dhe_pool_ready_pages;
	spin_unlock(&dhe_pool_lock);
	return (u64)pages << PAGE_SHIFT;
}

/**
 * dhe_page_pool_get() - take a zeroed page of @order from the pool
 * @order: 8, 4 or 0
 *
 * Return: the page, or NULL when the pool of that order is empty.
 */
struct page *dhe_page_pool_get(unsigned int order)
{
	struct dhe_page_pool *pool = dhe_pool_for_order(order);
	struct page *page = NULL;

	if (!pool)
		return NULL;

	spin_lock(&dhe_pool_lock);
	page = list_first_entry_or_null(&pool->pages, struct page, lru);
	if (page) {
		list_del(&page->lru);
		pool->count--;
		dhe_pool_held_pages -= 1UL << order;
		dhe_pool_ready_pages -= 1UL << order;
	}
	spin_unlock(&dhe_pool_lock);
	return page;
}

/* Reserve room for 2^order pages; false if the pool is full or off. */
static bool dhe_pool_reserve_locked(unsigned int order)
{
	if (!dhe_page_pool_enabled() || !dhe_pool_for_order(order))
		return false;
	if (dhe_pool_held_pages + (1UL << order) > dhe_pool_max_pages())
		return false;
	dhe_pool_held_pages += 1UL << order;
	return true;
}

static void dhe_pool_add_ready_locked(struct page *page, unsigned int order)
{
	struct dhe_page_pool *pool = dhe_pool_for_order(order);

	list_add(&page->lru, &pool->pages);
	pool->count++;
	dhe_pool_ready_pages += 1UL << order;
}

/**
 * dhe_page_pool_put_clean() - give back a page known to be all zero
 * @page: the page
 * @order: its order
 *
 * Kept in the pool if there is room, freed otherwise.
 */
void dhe_page_pool_put_clean(struct page *page, unsigned int order)
{
	bool kept;

	spin_lock(&dhe_pool_lock);
	kept = dhe_pool_reserve_locked(order);
	if (kept)
		dhe_pool_add_ready_locked(page, order);
	spin_unlock(&dhe_pool_lock);

	if (!kept)
		dhe_pages_free(page, order);
}

/**
 * dhe_page_pool_put_dirty() - give back a page that may hold data
 * @page: the page
 * @order: its order
 *
 * Queued for zeroing by a worker if the pool has room, freed otherwise.
 */
void dhe_page_pool_put_dirty(struct page *page, unsigned int order)
{
	bool kept;

	spin_lock(&dhe_pool_lock);
	kept = dhe_pool_reserve_locked(order);
	if (kept)
		list_add_tail(&page->lru, &dhe_dirty_pages);
	spin_unlock(&dhe_pool_lock);

	if (kept)
		queue_work(dhe_unbound_wq, &dhe_zero_work);
	else
		dhe_pages_free(page, order);
}

static void dhe_zero_page(struct page *page, unsigned int order)
{
	unsigned int i;

	for (i = 0; i < (1U << order); i++) {
		clear_highpage(dhe_nth_page(page, i));
		cond_resched();
	}
}

static void dhe_zero_work_fn(struct work_struct *work)
{
	struct page *page;
	unsigned int order;

	for (;;) {
		spin_lock(&dhe_pool_lock);
		page = list_first_entry_or_null(&dhe_dirty_pages, struct page,
						lru);
		if (page)
			list_del(&page->lru);
		spin_unlock(&dhe_pool_lock);
		if (!page)
			break;

		order = compound_order(page);
		dhe_zero_page(page, order);

		spin_lock(&dhe_pool_lock);
		if (dhe_page_pool_enabled()) {
			dhe_pool_add_ready_locked(page, order);
			page = NULL;
		} else {
			dhe_pool_held_pages -= 1UL << order;
		}
		spin_unlock(&dhe_pool_lock);

		if (page)
			dhe_pages_free(page, order);
	}
}

/*
 * Free up to @nr_pages 4 KiB pages' worth, stopping early once the pool
 * holds no more than @keep_pages; returns how many were freed.
 */
static unsigned long dhe_pool_drain_to(unsigned long nr_pages,
				       unsigned long keep_pages)
{
	unsigned long freed = 0;
	unsigned int i;

	while (freed < nr_pages) {
		struct page *page = NULL;
		unsigned int order = 0;

		spin_lock(&dhe_pool_lock);
		if (dhe_pool_held_pages <= keep_pages) {
			spin_unlock(&dhe_pool_lock);
			break;
		}
		/* queued pages first: nobody has paid for zeroing them yet */
		page = list_first_entry_or_null(&dhe_dirty_pages, struct page,
						lru);
		if (page) {
			order = compound_order(page);
			list_del(&page->lru);
		}
		for (i = 0; !page && i < ARRAY_SIZE(dhe_pools); i++) {
			page = list_first_entry_or_null(&dhe_pools[i].pages,
							struct page, lru);
			if (page) {
				order = dhe_page_orders[i];
				list_del(&page->lru);
				dhe_pools[i].count--;
				dhe_pool_ready_pages -= 1UL << order;
			}
		}
		if (page)
			dhe_pool_held_pages -= 1UL << order;
		spin_unlock(&dhe_pool_lock);

		if (!page)
			break;
		dhe_pages_free(page, order);
		freed += 1UL << order;
	}
	return freed;
}

static unsigned long dhe_pool_drain(unsigned long nr_pages)
{
	return dhe_pool_drain_to(nr_pages, 0);
}

static unsigned long dhe_shrink_count(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned long pages;

	spin_lock(&dhe_pool_lock);
	pages = dhe_pool_held_pages;
	spin_unlock(&dhe_pool_lock);
	return pages ? pages : SHRINK_EMPTY;
}

static unsigned long dhe_shrink_scan(struct shrinker *shrinker,
				     struct shrink_control *sc)
{
	unsigned long freed = dhe_pool_drain(sc->nr_to_scan);

	return freed ? freed : SHRINK_STOP;
}

static int dhe_pool_enable_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (!ret && !dhe_page_pool_enabled())
		dhe_pool_drain(ULONG_MAX);
	return ret;
}

static const struct kernel_param_ops dhe_pool_enable_ops = {
	.set = dhe_pool_enable_set,
	.get = param_get_bool,
};
module_param_cb(pool_enable, &dhe_pool_enable_ops, &dhe_pool_enable, 0644);
MODULE_PARM_DESC(pool_enable,
		 "Keep freed system heap pages in a pool (default: on; writing 0 empties the pool)");
/* Lowering the limit gives back what the pool holds beyond it at once. */
static int dhe_pool_max_mb_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	if (!ret)
		dhe_pool_drain_to(ULONG_MAX, dhe_pool_max_pages());
	return ret;
}

static const struct kernel_param_ops dhe_pool_max_mb_ops = {
	.set = dhe_pool_max_mb_set,
	.get = param_get_uint,
};
module_param_cb(pool_max_mb, &dhe_pool_max_mb_ops, &dhe_pool_max_mb, 0644);
MODULE_PARM_DESC(pool_max_mb, "Most memory the system heap's page pool holds, in MiB (default: 64)");

int dhe_page_pool_init(void)
{
#ifdef DHE_HAVE_SHRINKER_ALLOC
	dhe_shrinker = dhe_fault(DHE_FAULT_SHRINKER) ? NULL :
		shrinker_alloc(0, "dma_heap_ext-pool");
	if (!dhe_shrinker)
		return -ENOMEM;
	dhe_shrinker->count_objects = dhe_shrink_count;
	dhe_shrinker->scan_objects = dhe_shrink_scan;
	shrinker_register(dhe_shrinker);
	return 0;
#else
	dhe_shrinker_struct.count_objects = dhe_shrink_count;
	dhe_shrinker_struct.scan_objects = dhe_shrink_scan;
	dhe_shrinker_struct.seeks = DEFAULT_SEEKS;
	return dhe_fault(DHE_FAULT_SHRINKER) ? -ENOMEM :
		register_shrinker(&dhe_shrinker_struct, "dma_heap_ext-pool");
#endif
}

void dhe_page_pool_exit(void)
{
#ifdef DHE_HAVE_SHRINKER_ALLOC
	shrinker_free(dhe_shrinker);
#else
	unregister_shrinker(&dhe_shrinker_struct);
#endif
	flush_work(&dhe_zero_work);
	dhe_pool_drain(ULONG_MAX);
}
