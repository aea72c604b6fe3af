/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dma_heap_ext_test: the test module's interface, /dev/dma_heap_ext_test.
 *
 * Not a stable interface: it exists for tests/kernel/ only. The module
 * imports dma-bufs the way a device driver does (attach, map, CPU access,
 * vmap) and allocates through the in-kernel accessor API of dma_heap_ext.
 */
#ifndef _UAPI_LINUX_DMA_HEAP_EXT_TEST_H
#define _UAPI_LINUX_DMA_HEAP_EXT_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Fill the buffer through vmap with word i = pattern + i before summing. */
#define DHE_TEST_IMPORT_WRITE	(1U << 0)

/* FNV-1a over 64-bit words: h = (h ^ word) * prime, from the offset basis */
#define DHE_TEST_FNV_BASIS	0xcbf29ce484222325ULL
#define DHE_TEST_FNV_PRIME	0x100000001b3ULL

/**
 * struct dhe_test_import - import a dma-buf into the test device
 * @fd:		in: the dma-buf
 * @flags:	in: DHE_TEST_IMPORT_*
 * @pattern:	in: see DHE_TEST_IMPORT_WRITE
 * @size:	out: the dma-buf's size
 * @sg_nents:	out: entries of the importer's sg_table after dma mapping
 * @sg_orig_nents: out: entries before mapping
 * @dma_segments: out: runs of contiguous DMA addresses
 * @phys_segments: out: runs of physically contiguous memory
 * @checksum:	out: FNV-1a (above) of the whole buffer read through vmap
 * @nonzero_words: out: 64-bit words that are not zero
 * @uncached_pages: out: pages whose kernel (direct map) mapping is not
 *		write-back (x86: PAT bits set in the PTE); 0 elsewhere
 * @phys_end:	out: highest physical address in the buffer, plus one
 */
struct dhe_test_import {
	__s32 fd;
	__u32 flags;
	__u64 pattern;
	__u64 size;
	__u32 sg_nents;
	__u32 sg_orig_nents;
	__u32 dma_segments;
	__u32 phys_segments;
	__u64 checksum;
	__u64 nonzero_words;
	__u64 uncached_pages;
	__u64 phys_end;
};

/**
 * struct dhe_test_alloc - allocate with dma_heap_ext_find() and
 *			   dma_heap_ext_buffer_alloc()
 * @heap:	in: heap name
 * @len:	in: length
 * @fd_flags:	in: as for DMA_HEAP_IOCTL_ALLOC
 * @fd:		out: the dma-buf
 */
struct dhe_test_alloc {
	char heap[64];
	__u64 len;
	__u32 fd_flags;
	__s32 fd;
};

#define DHE_TEST_IOC_IMPORT	_IOWR('h', 0x01, struct dhe_test_import)
#define DHE_TEST_IOC_ALLOC	_IOWR('h', 0x02, struct dhe_test_alloc)

#endif /* _UAPI_LINUX_DMA_HEAP_EXT_TEST_H */
