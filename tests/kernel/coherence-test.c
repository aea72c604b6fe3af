/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Coherence through bounce buffers: in a guest booted with swiotlb=force
 * (every streaming DMA mapping bounces), the test module maps a buffer of
 * each heap for its device and reads and writes what the device sees at the
 * DMA addresses. For every heap of ours (and the kernel's own system heap
 * as a reference, where it has one):
 *   - the device sees what the CPU wrote before the mapping;
 *   - a CPU write followed by DMA_BUF_IOCTL_SYNC (end) reaches the device;
 *   - a device write reaches the CPU after DMA_BUF_IOCTL_SYNC (start);
 *   - a device write reaches the CPU after the device unmaps the buffer.
 * Buffers of small and large chunks: our heaps split a chunk into pieces
 * swiotlb can bounce; the kernel's heap cannot map 1 MiB chunks there.
 *   coherence-test        (inside vm-run, the test module loaded)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "dma-heap-ext-test.h"
#include "heap-common.h"

#define KiB ((uint64_t)1024)
#define MiB ((uint64_t)1024 * 1024)

static int sync_buf(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

static void cpu_fill(uint64_t *map, uint64_t words, uint64_t pattern)
{
	uint64_t i;

	for (i = 0; i < words; i++)
		map[i] = pattern + i;
}

static uint64_t cpu_matching(const uint64_t *map, uint64_t words, uint64_t pattern)
{
	uint64_t i, n = 0;

	for (i = 0; i < words; i++)
		n += map[i] == pattern + i;
	return n;
}

/* the device's view: words equal to pattern + i, or -1 */
static int64_t device_matching(int tfd, uint64_t pattern)
{
	struct dhe_test_device_access acc = { .pattern = pattern };

	if (ioctl(tfd, DHE_TEST_IOC_DEVICE, &acc) < 0)
		return -1;
	return (int64_t)acc.matching;
}

static int device_write(int tfd, uint64_t pattern)
{
	struct dhe_test_device_access acc = {
		.flags = DHE_TEST_DEVICE_WRITE,
		.pattern = pattern,
	};

	return ioctl(tfd, DHE_TEST_IOC_DEVICE, &acc);
}

static void test_heap(int tfd, const char *heap, uint64_t len)
{
	const uint64_t words = len / 8;
	struct dhe_test_map req;
	uint64_t *map;
	int fd;

	if (!CHECK(ht_alloc_name(heap, len, &fd) == 0, "%s: allocate %" PRIu64 " KiB", heap, len / KiB))
		return;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK(map != MAP_FAILED, "%s: mmap", heap)) {
		close(fd);
		return;
	}

	sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	cpu_fill(map, words, 0x1000000000ULL);
	sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

	memset(&req, 0, sizeof(req));
	req.fd = fd;
	if (!CHECK(ioctl(tfd, DHE_TEST_IOC_MAP, &req) == 0, "%s %" PRIu64 " KiB: mapped for the test device",
		   heap, len / KiB))
		goto out;
	CHECK(req.segments > 0 && req.bounced == req.segments,
	      "%s %" PRIu64 " KiB: all %u DMA segments bounce (%u do)", heap, len / KiB,
	      req.segments, req.bounced);
	CHECK(device_matching(tfd, 0x1000000000ULL) == (int64_t)words,
	      "%s %" PRIu64 " KiB: the device sees what the CPU wrote before the mapping", heap, len / KiB);

	/* CPU writes, then hands the buffer to the device */
	sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	cpu_fill(map, words, 0x2000000000ULL);
	sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	CHECK(device_matching(tfd, 0x2000000000ULL) == (int64_t)words,
	      "%s %" PRIu64 " KiB: a CPU write reaches the device after SYNC_END (%" PRId64 " of %" PRIu64
	      " words)", heap, len / KiB, device_matching(tfd, 0x2000000000ULL), words);

	/* the device writes, the CPU takes the buffer back */
	CHECK(device_write(tfd, 0x3000000000ULL) == 0, "%s: the device writes", heap);
	sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	CHECK(cpu_matching(map, words, 0x3000000000ULL) == words,
	      "%s %" PRIu64 " KiB: a device write reaches the CPU after SYNC_START (%" PRIu64 " of %" PRIu64
	      " words)", heap, len / KiB, cpu_matching(map, words, 0x3000000000ULL), words);
	sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	/* the device writes and unmaps */
	CHECK(device_write(tfd, 0x4000000000ULL) == 0, "%s: the device writes again", heap);
	CHECK(ioctl(tfd, DHE_TEST_IOC_UNMAP) == 0, "%s: the device unmaps", heap);
	sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	CHECK(cpu_matching(map, words, 0x4000000000ULL) == words,
	      "%s %" PRIu64 " KiB: a device write reaches the CPU after the unmap (%" PRIu64 " of %" PRIu64
	      " words)", heap, len / KiB, cpu_matching(map, words, 0x4000000000ULL), words);
	sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
out:
	munmap(map, len);
	close(fd);
}

static int booted_with(const char *arg)
{
	char cmdline[4096], *tok, *save;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
	fclose(f);
	cmdline[n] = '\0';
	for (tok = strtok_r(cmdline, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, arg))
			return 1;
	return 0;
}

int main(void)
{
	const char *heaps[] = { NULL, "system-uncached", "contiguous", "default_cma_region" };
	/* one 64 KiB chunk; chunks of every order; and many 1 MiB chunks */
	const uint64_t sizes[] = { 64 * KiB, 1 * MiB + 68 * KiB, 4 * MiB };
	size_t h, i;
	int tfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# DMA coherence through swiotlb bounce buffers, every heap\n");
	if (!CHECK(booted_with("swiotlb=force"), "the guest was booted with swiotlb=force"))
		return 1;
	tfd = open("/dev/dma_heap_ext_test", O_RDWR | O_CLOEXEC);
	if (!CHECK(tfd >= 0, "open /dev/dma_heap_ext_test (the test module, loaded by vm-run)"))
		return 1;

	heaps[0] = ht_system_heap_name();
	for (h = 0; h < sizeof(heaps) / sizeof(heaps[0]); h++) {
		if (h < 3)
			CHECK(ht_heap_is_ours(heaps[h]), "heap %s is there", heaps[h]);
		if (!ht_heap_is_ours(heaps[h]))
			continue;
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			test_heap(tfd, heaps[h], sizes[i]);
	}
	/* the kernel's own (6.12+): chunks of at most 64 KiB, which it can map */
	if (!ht_heap_is_ours("system") && ht_path_exists("/dev/dma_heap/system"))
		test_heap(tfd, "system", 64 * KiB + 4 * KiB);
	close(tfd);

	printf("# %d failure(s)\n", ht_failures);
	return ht_failures ? 1 : 0;
}
