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

/**
 * struct dhe_test_map - attach a dma-buf to the test device and map it for
 *			 DMA (bidirectional), kept mapped until
 *			 DHE_TEST_IOC_UNMAP or the file's release; one per
 *			 open file
 * @fd:		in: the dma-buf
 * @segments:	out: DMA segments (entries of the mapped sg_table)
 * @bounced:	out: segments whose DMA address is not the physical address
 *		of their pages (swiotlb bounce buffers)
 * @size:	out: the dma-buf's size
 */
struct dhe_test_map {
	__s32 fd;
	__u32 segments;
	__u32 bounced;
	__u32 reserved;
	__u64 size;
};

/* Write word i = pattern + i instead of comparing against it. */
#define DHE_TEST_DEVICE_WRITE	(1U << 0)

/**
 * struct dhe_test_device_access - what the device sees at the DMA addresses
 *				   of the mapped buffer (x86 without IOMMU:
 *				   the DMA address is the physical one)
 * @flags:	in: DHE_TEST_DEVICE_*
 * @reserved:	in: 0
 * @pattern:	in: word i of the buffer is pattern + i
 * @matching:	out: reading, 64-bit words that equal pattern + i
 * @words:	out: 64-bit words in the buffer
 */
struct dhe_test_device_access {
	__u32 flags;
	__u32 reserved;
	__u64 pattern;
	__u64 matching;
	__u64 words;
};

#define DHE_TEST_IOC_IMPORT	_IOWR('h', 0x01, struct dhe_test_import)
#define DHE_TEST_IOC_ALLOC	_IOWR('h', 0x02, struct dhe_test_alloc)
#define DHE_TEST_IOC_MAP	_IOWR('h', 0x03, struct dhe_test_map)
#define DHE_TEST_IOC_DEVICE	_IOWR('h', 0x04, struct dhe_test_device_access)
#define DHE_TEST_IOC_UNMAP	_IO('h', 0x05)

#endif /* _UAPI_LINUX_DMA_HEAP_EXT_TEST_H */
