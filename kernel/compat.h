/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dma_heap_ext: differences between the kernels this module builds against.
 *
 * Every switch here is probed from the headers being built against, never
 * from LINUX_VERSION_CODE: either from a macro the headers define, or by
 * the DHE_HAVE_* flags that Kbuild sets after grepping the headers (see the
 * "header probes" block in Kbuild). Built and tested on 6.1, 6.12 and 7.3.
 */
#ifndef _DMA_HEAP_EXT_COMPAT_H
#define _DMA_HEAP_EXT_COMPAT_H

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/memcontrol.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/shrinker.h>

/*
 * 6.4 made class_register() take a const struct class, so that a class is
 * a static const struct; class_create() lost its owner argument then, and
 * was a macro until then, which tells the two apart.
 */
#ifdef class_create
#define DHE_CLASS_CONST
#else
#define DHE_CLASS_CONST	const
#endif

/* 6.2 made the devnode callback take a const struct device. */
#ifdef DHE_HAVE_DEVNODE_CONST
#define DHE_DEVNODE_DEV_CONST const
#else
#define DHE_DEVNODE_DEV_CONST
#endif

/*
 * 6.4..6.11 made struct bus_type const for the bus API and the bus
 * objects (pci_bus_type, platform_bus_type) alike.
 */
#ifdef DHE_HAVE_CONST_BUS_TYPE
#define DHE_BUS_CONST const
#else
#define DHE_BUS_CONST
#endif

/*
 * 6.13 made MODULE_IMPORT_NS() take a string literal; before, a bare token
 * that it stringified itself.
 */
#ifdef DHE_HAVE_IMPORT_NS_STRING
#define DHE_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS("DMA_BUF")
#else
#define DHE_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS(DMA_BUF)
#endif

/*
 * 6.18 exported dma_heap_add() and friends in namespace DMA_BUF_HEAP (the
 * string form of MODULE_IMPORT_NS() is older, 6.13); DHE_HAVE_* from the
 * kernel's Module.symvers (compat.mk).
 */
#ifdef DHE_HAVE_KERNEL_HEAP_FRAMEWORK
#define DHE_IMPORT_NS_DMA_BUF_HEAP()	MODULE_IMPORT_NS("DMA_BUF_HEAP")
#else
#define DHE_IMPORT_NS_DMA_BUF_HEAP()
#endif

/*
 * Largest order the buddy allocator hands out: MAX_PAGE_ORDER (inclusive)
 * from 6.8, MAX_ORDER - 1 before (MAX_ORDER was exclusive until 6.4; on
 * 6.4..6.7 this errs one order low, which is harmless here).
 */
#ifdef MAX_PAGE_ORDER
#define DHE_MAX_ORDER	MAX_PAGE_ORDER
#else
#define DHE_MAX_ORDER	(MAX_ORDER - 1)
#endif

/*
 * 6.7 replaced register_shrinker() on a caller-owned struct with
 * shrinker_alloc() + shrinker_register(); SHRINKER_ALLOCATED came with it.
 */
#ifdef SHRINKER_ALLOCATED
#define DHE_HAVE_SHRINKER_ALLOC 1
#endif

/*
 * From 6.2 importers call dma_buf_vmap()/dma_buf_map_attachment() with the
 * reservation lock held, and the *_unlocked() wrappers take it; 6.1 has only
 * dma_buf_vmap(), which takes dmabuf->lock itself, and already has
 * dma_buf_map_attachment_unlocked().
 */
#ifdef DHE_HAVE_DMA_BUF_VMAP_UNLOCKED
#define dhe_dma_buf_vmap(dmabuf, map)	dma_buf_vmap_unlocked(dmabuf, map)
#define dhe_dma_buf_vunmap(dmabuf, map)	dma_buf_vunmap_unlocked(dmabuf, map)
#else
#define dhe_dma_buf_vmap(dmabuf, map)	dma_buf_vmap(dmabuf, map)
#define dhe_dma_buf_vunmap(dmabuf, map)	dma_buf_vunmap(dmabuf, map)
#endif

/*
 * Whether __GFP_ACCOUNT charges anything now. The kernel turns a static key
 * on when the first memory cgroup below the root comes online with
 * kernel-memory accounting, and never with cgroup.memory=nokmem; the key is
 * exported as memcg_kmem_online_key (memcg_kmem_online(), 6.3 on) or
 * memcg_kmem_enabled_key (memcg_kmem_enabled(), before), probed from
 * Module.symvers (compat.mk). Where neither is exported nothing tells, and
 * dhe_kmem_accounted stays undefined.
 */
#if defined(DHE_HAVE_MEMCG_KMEM_ONLINE_KEY)
#define dhe_kmem_accounted()	memcg_kmem_online()
#elif defined(DHE_HAVE_MEMCG_KMEM_ENABLED_KEY)
#define dhe_kmem_accounted()	memcg_kmem_enabled()
#endif

/*
 * The system's unbound workqueue: system_dfl_wq where the headers declare it
 * (6.17, and stable backports such as Debian's 6.12.95), system_unbound_wq
 * otherwise. 7.x logs "enqueued on deprecated workqueue" at the first work
 * queued on system_unbound_wq.
 */
#ifdef DHE_HAVE_SYSTEM_DFL_WQ
#define dhe_unbound_wq	system_dfl_wq
#else
#define dhe_unbound_wq	system_unbound_wq
#endif

/*
 * The n-th page after @page in physical order. nth_page() did this until
 * 7.x dropped it (memory maps became contiguous for every folio); going
 * through the PFN is right on every kernel, across memory sections too.
 */
#define dhe_nth_page(page, n)	pfn_to_page(page_to_pfn(page) + (n))

#endif /* _DMA_HEAP_EXT_COMPAT_H */
