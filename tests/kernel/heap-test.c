/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dma_heap_ext in a real kernel (run inside tools/vm/vm-run, as root):
 * the upstream UAPI and its bad-input cases, every heap's buffers (zeroed,
 * mmap, sync, set-name, import by vgem and by the test module), the query
 * ioctl and sysfs, accounting, page pool and shrinker, contiguous
 * exhaustion, hints, threads, fork races and module lifetime.
 *
 * Prints one "ok"/"not ok" line per check; exits 1 if any failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#include <xf86drm.h>

#include <linux/dma-heap-ext.h>
#include "dma-heap-ext-test.h"
#include "heap-common.h"

#define KiB ((uint64_t)1024)
#define MiB ((uint64_t)1024 * 1024)

static const char *sys_heap;
static const char *kmod_dir;

static void section(const char *name)
{
	printf("# --- %s\n", name);
	fflush(stdout);
}

static uint64_t fnv_words(const uint64_t *w, size_t n)
{
	uint64_t h = DHE_TEST_FNV_BASIS;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ w[i]) * DHE_TEST_FNV_PRIME;
	return h;
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

static int accounting_idle(const char *heap)
{
	return ht_sysfs_u64(heap, "buffers") == 0 &&
	       ht_sysfs_u64(heap, "bytes") == 0;
}

/* ---- buffers of every heap ---- */

static void test_buffer(const char *heap, uint64_t len)
{
	int ours = ht_heap_is_ours(heap);
	uint64_t b0 = ours ? ht_sysfs_u64(heap, "buffers") : 0;
	uint64_t by0 = ours ? ht_sysfs_u64(heap, "bytes") : 0;
	uint64_t *map;
	int fd = -1, ret;
	size_t i;

	ret = ht_alloc_name(heap, len, &fd);
	if (!CHECK(ret == 0, "%s: allocate %" PRIu64 " KiB", heap, len / KiB))
		return;
	CHECK(lseek(fd, 0, SEEK_END) == (off_t)len, "%s: dma-buf size is %" PRIu64, heap, len);
	CHECK(!ours || (ht_sysfs_u64(heap, "buffers") == b0 + 1 &&
	      ht_sysfs_u64(heap, "bytes") == by0 + len &&
	      ht_sysfs_u64(heap, "peak_bytes") >= by0 + len),
	      "%s: sysfs counts the live buffer", heap);

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (CHECK(map != MAP_FAILED, "%s: mmap %" PRIu64 " KiB", heap, len / KiB)) {
		CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) == 0,
		      "%s: DMA_BUF_IOCTL_SYNC start", heap);
		CHECK(ht_all_zero(map, len), "%s: fresh %" PRIu64 " KiB buffer is zero", heap, len / KiB);
		for (i = 0; i < len / 8; i++)
			map[i] = i * 0x9e3779b97f4a7c15ULL;
		CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) == 0,
		      "%s: DMA_BUF_IOCTL_SYNC end", heap);
		for (i = 0; i < len / 8; i++)
			if (map[i] != i * 0x9e3779b97f4a7c15ULL)
				break;
		CHECK(i == len / 8, "%s: mmap read-back of a written pattern", heap);
		munmap(map, len);
	}
	close(fd);
	CHECK(!ours || (ht_sysfs_u64(heap, "buffers") == b0 && ht_sysfs_u64(heap, "bytes") == by0),
	      "%s: accounting back after close", heap);
}

static void test_mmap_offsets(const char *heap)
{
	/* order 8, 4 and 0 chunks: offsets land inside and across chunks */
	uint64_t len = 3 * MiB + 64 * KiB + 8 * KiB;
	const size_t pg = 4096;
	const uint64_t offs[] = { 1, 255, 256, 257, 767, 768, 784, 785 };
	uint64_t *full, *part;
	int fd, ok = 1;
	size_t i, j;

	if (!CHECK(ht_alloc_name(heap, len, &fd) == 0, "%s: allocate for offset mmaps", heap))
		return;
	full = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK(full != MAP_FAILED, "%s: mmap whole", heap)) {
		close(fd);
		return;
	}
	for (i = 0; i < len / 8; i++)
		full[i] = i;
	for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
		size_t npg = len / pg - offs[j];

		if (npg > 3)
			npg = 3;
		part = mmap(NULL, npg * pg, PROT_READ, MAP_SHARED, fd, offs[j] * pg);
		if (part == MAP_FAILED) {
			ok = 0;
			continue;
		}
		for (i = 0; i < npg * pg / 8; i++)
			if (part[i] != offs[j] * pg / 8 + i)
				ok = 0;
		munmap(part, npg * pg);
	}
	CHECK(ok, "%s: mmap at page offsets inside and across chunks sees the right pages", heap);
	part = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, len - pg);
	CHECK(part == MAP_FAILED, "%s: mmap past the end is refused", heap);
	munmap(full, len);
	close(fd);
}

static void test_zeroing_reuse(const char *heap, uint64_t len)
{
	int round, fd, ok = 1;
	uint8_t *map;

	for (round = 0; round < 3; round++) {
		if (ht_alloc_name(heap, len, &fd)) {
			ok = 0;
			break;
		}
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			close(fd);
			ok = 0;
			break;
		}
		if (!ht_all_zero(map, len))
			ok = 0;
		memset(map, 0xa5, len);
		munmap(map, len);
		close(fd);
	}
	CHECK(ok, "%s: %" PRIu64 " KiB buffers are zero after others were written and freed (3 rounds)",
	      heap, len / KiB);
}

static void test_set_name(const char *heap)
{
	char path[64], buf[1024];
	int fd;

	if (!CHECK(ht_alloc_name(heap, 4096, &fd) == 0, "%s: allocate for SET_NAME", heap))
		return;
	CHECK(ioctl(fd, DMA_BUF_SET_NAME_B, "dhe-test-name") == 0, "%s: DMA_BUF_SET_NAME", heap);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	ht_sysfs_read(path, buf, sizeof(buf));
	CHECK(strstr(buf, "name:\tdhe-test-name") != NULL, "%s: name shown in fdinfo", heap);
	snprintf(path, sizeof(path), "exp_name:\t%s\n", heap);
	CHECK(strstr(buf, path) != NULL, "%s: exp_name in fdinfo names the heap", heap);
	close(fd);
}

static void test_rdonly(const char *heap)
{
	int hfd = ht_open_heap(heap), fd;
	void *map;

	if (!CHECK(ht_alloc(hfd, 4096, O_RDONLY | O_CLOEXEC, &fd) == 0, "%s: O_RDONLY buffer", heap)) {
		close(hfd);
		return;
	}
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map == MAP_FAILED && errno == EACCES, "%s: O_RDONLY buffer cannot be mapped writable", heap);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "%s: O_RDONLY buffer maps read-only", heap);
	if (map != MAP_FAILED)
		munmap(map, 4096);
	close(fd);
	close(hfd);
}

/*
 * MAP_PRIVATE is refused up front, as upstream's cma_heap does: a private
 * writable mapping would copy-on-write heap pages into anonymous memory the
 * device never sees, and the answer must not depend on the buffer's layout
 * (one chunk or several).
 */
static void test_map_private(const char *heap, uint64_t len)
{
	const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE };
	int fd, i, e;
	void *map;

	if (!CHECK(ht_alloc_name(heap, len, &fd) == 0, "%s: allocate %" PRIu64 " KiB", heap, len / KiB))
		return;
	for (i = 0; i < 2; i++) {
		map = mmap(NULL, len, prots[i], MAP_PRIVATE, fd, 0);
		e = errno;
		CHECK(map == MAP_FAILED && e == EINVAL, "%s %" PRIu64 " KiB: a private %s mapping is refused with EINVAL",
		      heap, len / KiB, i ? "writable" : "read-only");
		if (map != MAP_FAILED)
			munmap(map, len);
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "%s %" PRIu64 " KiB: a shared mapping still works", heap, len / KiB);
	if (map != MAP_FAILED)
		munmap(map, len);
	close(fd);
}

/* ---- vgem as a PRIME importer ---- */

static void test_vgem_import(int vgem, const char *heap, uint64_t len)
{
	uint32_t handle;
	int fd;

	if (!CHECK(ht_alloc_name(heap, len, &fd) == 0, "%s: allocate for vgem", heap))
		return;
	if (CHECK(drmPrimeFDToHandle(vgem, fd, &handle) == 0,
		  "%s: PRIME import of %" PRIu64 " KiB into vgem", heap, len / KiB))
		CHECK(drmCloseBufferHandle(vgem, handle) == 0, "%s: vgem GEM_CLOSE", heap);
	close(fd);
}

/* ---- the test module: in-kernel importer and accessor API ---- */

static int test_import(int tfd, int buf, uint32_t flags, uint64_t pattern,
		       struct dhe_test_import *imp)
{
	memset(imp, 0, sizeof(*imp));
	imp->fd = buf;
	imp->flags = flags;
	imp->pattern = pattern;
	return ioctl(tfd, DHE_TEST_IOC_IMPORT, imp);
}

/* kernel mappings (vmap) of our buffers that exist now */
static int our_vmaps(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/vmallocinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[dma_heap_ext]") && strstr(line, " vmap"))
			n++;
	fclose(f);
	return n;
}

static void test_module_import(int tfd, const char *heap, uint64_t len, int contiguous)
{
	struct dhe_test_import imp;
	uint64_t *map;
	size_t i, n = len / 8;
	int fd, ok, vmaps;

	if (!CHECK(ht_alloc_name(heap, len, &fd) == 0, "%s: allocate %" PRIu64 " KiB for the test importer", heap, len / KiB))
		return;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK(map != MAP_FAILED, "%s: mmap", heap)) {
		close(fd);
		return;
	}
	dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (i = 0; i < n; i++)
		map[i] = (i << 20) ^ 0x1234567;
	dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

	vmaps = our_vmaps();
	if (CHECK(test_import(tfd, fd, 0, 0, &imp) == 0, "%s: attach/map/vmap by the test importer", heap)) {
		/*
		 * The importer has vunmapped: the write-combined heap keeps no
		 * kernel alias; the cached ones keep theirs until release
		 * (docs/kernel.md).
		 */
		if (ht_heap_is_ours(heap) && ht_sysfs_u64(heap, "cached") == 0)
			CHECK(our_vmaps() == vmaps, "%s: no kernel mapping left after the importer's vunmap (%d before, %d now)",
			      heap, vmaps, our_vmaps());
		else if (ht_heap_is_ours(heap))
			CHECK(our_vmaps() == vmaps + 1, "%s: the kernel mapping kept after the importer's vunmap (%d before, %d now)",
			      heap, vmaps, our_vmaps());
		CHECK(imp.size == len, "%s: importer sees size %" PRIu64, heap, (uint64_t)imp.size);
		CHECK(imp.checksum == fnv_words(map, n),
		      "%s: vmap reads what mmap wrote (checksum)", heap);
		printf("# %s %" PRIu64 " KiB: sg orig_nents %u nents %u phys segments %u dma segments %u\n",
		       heap, len / KiB, imp.sg_orig_nents, imp.sg_nents, imp.phys_segments, imp.dma_segments);
		if (contiguous)
			CHECK(imp.sg_orig_nents == 1 && imp.sg_nents == 1 && imp.phys_segments == 1,
			      "%s: importer's sg_table is one entry", heap);
		/* the query's promises, seen from the importer */
		if (ht_sysfs_u64(heap, "contiguous") == 1)
			CHECK(imp.phys_segments == 1, "%s: says contiguous and is", heap);
		if (ht_sysfs_u64(heap, "dma32") == 1)
			CHECK(imp.phys_end <= (1ULL << 32), "%s: says DMA32 and ends at 0x%llx", heap,
			      (unsigned long long)imp.phys_end);
		else
			CHECK(imp.sg_orig_nents >= 1 && imp.sg_orig_nents <= len / 4096,
			      "%s: importer's sg_table has %u entries", heap, imp.sg_orig_nents);
	}

	if (CHECK(test_import(tfd, fd, DHE_TEST_IMPORT_WRITE, 0xabcdef00ULL, &imp) == 0,
		  "%s: importer writes through vmap", heap)) {
		dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		ok = 1;
		for (i = 0; i < n; i++)
			if (map[i] != 0xabcdef00ULL + i)
				ok = 0;
		dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		CHECK(ok, "%s: mmap sees what the importer wrote via vmap", heap);
	}
	munmap(map, len);
	close(fd);
	if (ht_heap_is_ours(heap))
		CHECK(our_vmaps() == vmaps, "%s: no kernel mapping left once the buffer is released (%d before, %d now)",
		      heap, vmaps, our_vmaps());
}

static void test_accessor(int tfd, const char *heap, uint64_t len)
{
	struct dhe_test_alloc req;
	struct dhe_test_import imp;
	uint64_t b0 = ht_sysfs_u64(heap, "buffers");
	int ret;

	memset(&req, 0, sizeof(req));
	snprintf(req.heap, sizeof(req.heap), "%s", heap);
	req.len = len;
	req.fd_flags = O_RDWR | O_CLOEXEC;
	if (!CHECK(ioctl(tfd, DHE_TEST_IOC_ALLOC, &req) == 0 && req.fd > 0,
		   "%s: in-kernel dma_heap_ext_find + dma_heap_ext_buffer_alloc", heap))
		return;
	CHECK(ht_sysfs_u64(heap, "buffers") == b0 + 1, "%s: in-kernel allocation is accounted", heap);
	ret = test_import(tfd, req.fd, 0, 0, &imp);
	CHECK(ret == 0 && imp.nonzero_words == 0 && imp.size == len,
	      "%s: in-kernel allocation is zeroed, %" PRIu64 " bytes", heap, (uint64_t)imp.size);
	close(req.fd);
	CHECK(ht_sysfs_u64(heap, "buffers") == b0, "%s: freed after close", heap);
}

static void test_accessor_errors(int tfd)
{
	struct dhe_test_alloc req;

	memset(&req, 0, sizeof(req));
	strcpy(req.heap, "no-such-heap");
	req.len = 4096;
	errno = 0;
	CHECK(ioctl(tfd, DHE_TEST_IOC_ALLOC, &req) < 0 && errno == ENOENT, "accessor: unknown heap name -> ENOENT");
	snprintf(req.heap, sizeof(req.heap), "%s", sys_heap);
	req.len = 0;
	errno = 0;
	CHECK(ioctl(tfd, DHE_TEST_IOC_ALLOC, &req) < 0 && errno == EINVAL, "accessor: len 0 -> EINVAL");
	req.len = 4096;
	req.fd_flags = O_APPEND;
	errno = 0;
	CHECK(ioctl(tfd, DHE_TEST_IOC_ALLOC, &req) < 0 && errno == EINVAL, "accessor: bad fd_flags -> EINVAL");
}

static void test_uncached_attrs(int tfd)
{
	struct dhe_test_import imp;
	uint64_t len = 2 * MiB + 68 * KiB;
	int fd, ret;

	if (!CHECK(ht_alloc_name("system-uncached", len, &fd) == 0, "system-uncached: allocate"))
		return;
	ret = test_import(tfd, fd, 0, 0, &imp);
	CHECK(ret == 0 && imp.uncached_pages == len / 4096,
	      "system-uncached: the kernel maps all %llu pages write-combined (%llu not write-back)",
	      (unsigned long long)(len / 4096), (unsigned long long)imp.uncached_pages);
	close(fd);
	if (!CHECK(ht_alloc_name(sys_heap, len, &fd) == 0, "%s: allocate", sys_heap))
		return;
	ret = test_import(tfd, fd, 0, 0, &imp);
	CHECK(ret == 0 && imp.uncached_pages == 0,
	      "%s: the kernel maps its pages write-back (%llu not)", sys_heap,
	      (unsigned long long)imp.uncached_pages);
	close(fd);
}

static const char *expected_hint(const char *devpath)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/iommu_group", devpath);
	if (ht_path_exists(path) || !ht_heap_is_ours("contiguous"))
		return sys_heap;
	return "contiguous";
}

static void test_hints(void)
{
	const char *hints = "/sys/kernel/dma_heap_ext/hints";
	char path[600], buf[64], want[64];
	struct dirent *de;
	int n = 0, ok = 1;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!CHECK(d != NULL, "hints: list PCI devices"))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/pci:%s", hints, de->d_name);
		if (ht_sysfs_read(path, buf, sizeof(buf)) < 0) {
			printf("# no hint for pci:%s\n", de->d_name);
			ok = 0;
			continue;
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", de->d_name);
		snprintf(want, sizeof(want), "%s\n", expected_hint(path));
		if (strcmp(buf, want)) {
			printf("# pci:%s hint %s, expected %s", de->d_name, buf, want);
			ok = 0;
		}
		n++;
	}
	closedir(d);
	CHECK(ok && n > 0, "hints: each of %d PCI devices has the expected hint", n);
}

static void test_with_test_module(int vgem)
{
	const char *hint = "/sys/kernel/dma_heap_ext/hints/platform:dma_heap_ext_test";
	char buf[64], want[64];
	int tfd;

	section("test module: importer, accessor API, hint for a new device");
	CHECK(ht_extra_ko("dma_heap_ext_test.ko") &&
	      ht_run("insmod %s", ht_extra_ko("dma_heap_ext_test.ko")) == 0, "insmod dma_heap_ext_test.ko");
	tfd = open("/dev/dma_heap_ext_test", O_RDWR | O_CLOEXEC);
	if (!CHECK(tfd >= 0, "open /dev/dma_heap_ext_test"))
		return;

	test_module_import(tfd, sys_heap, 4096, 0);
	test_module_import(tfd, sys_heap, 8 * MiB + 68 * KiB, 0);
	test_module_import(tfd, "system-uncached", 2 * MiB + 4 * KiB, 0);
	test_module_import(tfd, "contiguous", 4096, 1);
	test_module_import(tfd, "contiguous", 8 * MiB, 1);
	if (!ht_heap_is_ours("system") && ht_path_exists("/dev/dma_heap/system"))
		test_module_import(tfd, "system", 1 * MiB, 0);	/* the kernel's own */
	if (ht_heap_is_ours("default_cma_region")) {
		test_module_import(tfd, "default_cma_region", 4096, 1);
		test_module_import(tfd, "default_cma_region", 8 * MiB + 68 * KiB, 1);
	}

	test_accessor(tfd, sys_heap, 1 * MiB);
	test_accessor(tfd, "system-uncached", 64 * KiB);
	test_accessor(tfd, "contiguous", 2 * MiB);
	test_accessor_errors(tfd);
	test_uncached_attrs(tfd);

	CHECK(ht_sysfs_read(hint, buf, sizeof(buf)) > 0, "hint for platform:dma_heap_ext_test appeared with the device");
	snprintf(want, sizeof(want), "%s\n", expected_hint("/sys/devices/platform/dma_heap_ext_test"));
	CHECK(!strcmp(buf, want), "hint for the test device is %s", want);

	CHECK(ht_run("rmmod dma_heap_ext 2>/dev/null") != 0, "rmmod dma_heap_ext refused while the test module uses it");
	close(tfd);
	CHECK(ht_run("rmmod dma_heap_ext_test") == 0, "rmmod dma_heap_ext_test");
	CHECK(!ht_path_exists(hint), "hint for the test device went with the device");
	(void)vgem;
}

/* ---- the upstream UAPI: struct sizes and bad input ---- */

struct alloc_v0 {		/* an older, shorter struct */
	uint64_t len;
	uint32_t fd;
	uint32_t fd_flags;
};

struct alloc_v2 {		/* a newer, longer one with junk in the tail */
	struct dma_heap_allocation_data d;
	uint64_t future[3];
};

#define IOC_ALLOC_V0	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct alloc_v0)
#define IOC_ALLOC_V2	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct alloc_v2)

/* errno of one allocation ioctl, closing a buffer it may return */
static int try_alloc(int hfd, unsigned long cmd, struct dma_heap_allocation_data d)
{
	struct alloc_v2 big = { .d = d };
	int ret;

	big.future[0] = big.future[1] = big.future[2] = ~0ULL;
	ret = ioctl(hfd, cmd, &big);
	if (ret == 0) {
		if (big.d.fd > 0)
			close(big.d.fd);
		return 0;
	}
	return errno;
}

struct bad_case {
	const char *what;
	unsigned long cmd;
	struct dma_heap_allocation_data d;
	int expect;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* The answer cannot be copied back (read-only page): no fd, no buffer left. */
static void test_efault_no_leak(const char *heap)
{
	struct dma_heap_allocation_data *d;
	uint64_t b0 = ht_sysfs_u64(heap, "buffers");
	int hfd = ht_open_heap(heap), before, ret;
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!CHECK(page != MAP_FAILED && hfd >= 0, "%s: a page for the EFAULT case", heap))
		return;
	d = page;
	d->len = 1 * MiB;
	d->fd_flags = O_RDWR | O_CLOEXEC;
	mprotect(page, 4096, PROT_READ);
	before = count_fds();
	errno = 0;
	ret = ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, d);
	CHECK(ret < 0 && errno == EFAULT, "%s: answer to a read-only struct -> EFAULT", heap);
	CHECK(count_fds() == before && ht_sysfs_u64(heap, "buffers") == b0,
	      "%s: EFAULT leaks no fd and no buffer (fds %d -> %d)", heap, before, count_fds());
	munmap(page, 4096);
	close(hfd);
}

static void test_struct_sizes(const char *heap)
{
	struct alloc_v0 v0 = { .len = 8192, .fd_flags = O_RDWR | O_CLOEXEC };
	struct alloc_v2 v2 = { .d = { .len = 8192, .fd_flags = O_RDWR | O_CLOEXEC } };
	int hfd = ht_open_heap(heap);

	CHECK(ioctl(hfd, IOC_ALLOC_V0, &v0) == 0 && v0.fd > 0 && lseek(v0.fd, 0, SEEK_END) == 8192,
	      "%s: an older 16-byte struct allocates", heap);
	close(v0.fd);
	v2.future[0] = v2.future[1] = v2.future[2] = 0xdeadbeefULL;
	CHECK(ioctl(hfd, IOC_ALLOC_V2, &v2) == 0 && v2.d.fd > 0 && lseek(v2.d.fd, 0, SEEK_END) == 8192,
	      "%s: a newer 48-byte struct with junk in its tail allocates", heap);
	close(v2.d.fd);
	close(hfd);
}

static void test_bad_input(const char *heap, const char *upstream)
{
	const unsigned long alloc = DMA_HEAP_IOCTL_ALLOC;
	const struct bad_case cases[] = {
		{ "unknown ioctl nr 1", _IOWR('H', 0x1, struct dma_heap_allocation_data),
		  { .len = 4096, .fd_flags = O_RDWR }, EINVAL },
		{ "unknown ioctl nr 0x3f", _IOWR('H', 0x3f, struct dma_heap_allocation_data),
		  { .len = 4096, .fd_flags = O_RDWR }, EINVAL },
		{ "unknown ioctl nr 0xff", _IOWR('H', 0xff, struct dma_heap_allocation_data),
		  { .len = 4096, .fd_flags = O_RDWR }, EINVAL },
		{ "size 0 ioctl (len reads as 0)", _IOC(_IOC_READ | _IOC_WRITE, 'H', 0, 0),
		  { .len = 4096, .fd_flags = O_RDWR }, EINVAL },
		{ "fd != 0 on input", alloc, { .len = 4096, .fd = 3, .fd_flags = O_RDWR }, EINVAL },
		{ "unknown fd_flags (O_APPEND)", alloc, { .len = 4096, .fd_flags = O_RDWR | O_APPEND }, EINVAL },
		{ "unknown fd_flags (bit 31)", alloc, { .len = 4096, .fd_flags = 0x80000000u }, EINVAL },
		{ "heap_flags 1", alloc, { .len = 4096, .fd_flags = O_RDWR, .heap_flags = 1 }, EINVAL },
		{ "heap_flags bit 63", alloc, { .len = 4096, .fd_flags = O_RDWR, .heap_flags = 1ULL << 63 }, EINVAL },
		{ "len 0", alloc, { .len = 0, .fd_flags = O_RDWR }, EINVAL },
		{ "len overflows page alignment", alloc, { .len = ~0ULL - 100, .fd_flags = O_RDWR }, EINVAL },
		{ "len beyond RAM (1 TiB)", alloc, { .len = 1ULL << 40, .fd_flags = O_RDWR }, ENOMEM },
		{ "len beyond RAM (2^62)", alloc, { .len = 1ULL << 62, .fd_flags = O_RDWR }, ENOMEM },
		{ "ioctl type 'X' dispatches on nr only, as upstream", _IOWR('X', 0x0, struct dma_heap_allocation_data),
		  { .len = 4096, .fd_flags = O_RDWR }, 0 },
	};
	int hfd = ht_open_heap(heap), ufd = upstream ? ht_open_heap(upstream) : -1;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = try_alloc(hfd, cases[i].cmd, cases[i].d);

		CHECK(got == cases[i].expect, "%s: %s -> %s (got %s)", heap, cases[i].what,
		      strerror(cases[i].expect), strerror(got));
		/* the kernel's heap may try (and OOM) on huge lengths: compare EINVALs only */
		if (ufd >= 0 && cases[i].expect != ENOMEM) {
			int up = try_alloc(ufd, cases[i].cmd, cases[i].d);

			CHECK(up == got, "%s: %s: same answer as the kernel's own %s heap (%s)",
			      heap, cases[i].what, upstream, strerror(up));
		}
	}
	errno = 0;
	CHECK(ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, (void *)16) < 0 && errno == EFAULT, "%s: bad pointer -> EFAULT", heap);
	if (ufd >= 0)
		close(ufd);
	close(hfd);
}

/* ---- query ---- */

static void test_query(const char *heap)
{
	struct dma_heap_ext_info info;
	unsigned char small[24 + 8];
	int hfd = ht_open_heap(heap), fd = -1;

	memset(&info, 0xff, sizeof(info));
	if (!CHECK(ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info) == 0, "%s: DMA_HEAP_EXT_IOC_QUERY", heap)) {
		close(hfd);
		return;
	}
	CHECK(info.flags == ht_sysfs_u64(heap, "flags") &&
	      !!(info.flags & DMA_HEAP_EXT_FLAG_CONTIGUOUS) == ht_sysfs_u64(heap, "contiguous") &&
	      !!(info.flags & DMA_HEAP_EXT_FLAG_CACHED) == ht_sysfs_u64(heap, "cached") &&
	      info.alignment == ht_sysfs_u64(heap, "alignment") &&
	      info.max_size == ht_sysfs_u64(heap, "max_size") &&
	      info.total_bytes == ht_sysfs_u64(heap, "total_bytes") &&
	      info.free_bytes == ht_sysfs_u64(heap, "free_bytes"),
	      "%s: ioctl and sysfs agree (flags 0x%llx align %llu max %llu total %llu free %llu)", heap,
	      (unsigned long long)info.flags, (unsigned long long)info.alignment,
	      (unsigned long long)info.max_size, (unsigned long long)info.total_bytes,
	      (unsigned long long)info.free_bytes);
	CHECK(info.alignment >= 4096 && info.max_size > 0 && info.free_bytes <= info.total_bytes &&
	      !info.reserved[0] && !info.reserved[1] && !info.reserved[2] && !info.reserved[3],
	      "%s: query fields are sane", heap);

	if (ht_alloc(hfd, 1 * MiB, O_RDWR, &fd) == 0) {
		struct dma_heap_ext_info with;

		ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &with);
		CHECK(with.buffers == info.buffers + 1 && with.bytes == info.bytes + MiB,
		      "%s: query counts a live 1 MiB buffer", heap);
		if (info.total_bytes)
			CHECK(with.free_bytes == info.free_bytes - MiB, "%s: free_bytes drops by 1 MiB", heap);
		close(fd);
	}

	/* an older caller with a shorter struct gets exactly its size back */
	memset(small, 0xee, sizeof(small));
	CHECK(ioctl(hfd, _IOC(_IOC_READ, 'H', 0x40, 24), small) == 0 && small[24] == 0xee &&
	      !memcmp(small, &info, 24),
	      "%s: a 24-byte query struct is filled to 24 bytes only", heap);
	close(hfd);
}

static void test_query_upstream(const char *upstream)
{
	struct dma_heap_ext_info info;
	int hfd = ht_open_heap(upstream);

	errno = 0;
	CHECK(ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info) < 0 && (errno == EINVAL || errno == ENOTTY),
	      "kernel's %s heap answers the query with EINVAL/ENOTTY (not supported)", upstream);
	close(hfd);
}

/* ---- contiguous heap: exhaustion and recovery ---- */

static void test_contig_exhaustion(void)
{
	uint64_t total = ht_sysfs_u64("contiguous", "total_bytes");
	uint64_t max = ht_sysfs_u64("contiguous", "max_size");
	int fds[256], n = 0, fd, ret = 0, i;

	while (n < 256) {
		ret = ht_alloc_name("contiguous", 1 * MiB, &fds[n]);
		if (ret)
			break;
		n++;
	}
	CHECK(ret == -ENOMEM && (uint64_t)n * MiB == total,
	      "contiguous: %d x 1 MiB fill %llu MiB, then ENOMEM", n, (unsigned long long)(total / MiB));
	CHECK(ht_sysfs_u64("contiguous", "free_bytes") == 0, "contiguous: free_bytes 0 when full");
	CHECK(ht_alloc_name("contiguous", 4096, &fd) == -ENOMEM, "contiguous: even 4 KiB fails when full");
	/* free every other one: fragmented */
	for (i = 0; i < n; i += 2)
		close(fds[i]);
	if (max > 2 * MiB)
		CHECK(ht_alloc_name("contiguous", 2 * MiB, &fd) == -ENOMEM,
		      "contiguous: fragmented free space cannot hold 2 MiB in one range");
	CHECK(ht_sysfs_u64("contiguous", "max_size") == 1 * MiB,
	      "contiguous: fragmented, max_size says 1 MiB (%llu KiB)",
	      (unsigned long long)(ht_sysfs_u64("contiguous", "max_size") / KiB));
	for (i = 1; i < n; i += 2)
		close(fds[i]);
	CHECK(ht_sysfs_u64("contiguous", "free_bytes") == total, "contiguous: all free again");
	if (CHECK(ht_alloc_name("contiguous", max, &fd) == 0,
		  "contiguous: recovered: one buffer of max_size %llu MiB", (unsigned long long)(max / MiB)))
		close(fd);
	CHECK(ht_alloc_name("contiguous", max + 4096, &fd) == -ENOMEM, "contiguous: max_size + 4 KiB -> ENOMEM");
}

/* ---- page pool ---- */

#define POOL_PARAM "/sys/module/dma_heap_ext/parameters/"

static int wait_pool_at_least(uint64_t bytes)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (ht_sysfs_u64(sys_heap, "pool_bytes") >= bytes)
			return 1;
		usleep(10000);
	}
	return 0;
}

static uint64_t meminfo_kib(const char *field)
{
	char buf[4096], *p;

	if (ht_sysfs_read("/proc/meminfo", buf, sizeof(buf)) < 0 || !(p = strstr(buf, field)))
		return 0;
	return strtoull(p + strlen(field) + 1, NULL, 10);
}

/*
 * Real memory pressure: with 256 MiB in the pool, a process takes all
 * available memory and 192 MiB more. Only the pool's shrinker can give that
 * back (no swap); without it the OOM killer would strike, which the runner
 * reports as a failure.
 */
static void test_pool_under_pressure(void)
{
	uint64_t before, after, want;
	int fd, status;
	pid_t pid;

	ht_sysfs_write(POOL_PARAM "pool_max_mb", "256");
	if (ht_alloc_name(sys_heap, 256 * MiB, &fd) == 0)
		close(fd);
	before = ht_sysfs_u64(sys_heap, "pool_bytes");
	want = meminfo_kib("MemAvailable:") * KiB + 192 * MiB;
	printf("# pool %llu MiB; a process takes %llu MiB (MemAvailable + 192 MiB)\n",
	       (unsigned long long)(before / MiB), (unsigned long long)(want / MiB));
	pid = fork();
	if (pid == 0) {
		char *p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(2);
		memset(p, 1, want);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	after = ht_sysfs_u64(sys_heap, "pool_bytes");
	CHECK(before == 256 * MiB && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	      after + 128 * MiB <= before,
	      "pool: under real memory pressure the shrinker gives pages back (%llu -> %llu MiB)",
	      (unsigned long long)(before / MiB), (unsigned long long)(after / MiB));
	ht_sysfs_write(POOL_PARAM "pool_max_mb", "64");
	ht_sysfs_write(POOL_PARAM "pool_enable", "0");
	ht_sysfs_write(POOL_PARAM "pool_enable", "1");
}

static void test_pool(void)
{
	uint64_t p0, p1;
	uint8_t *map;
	int fd;

	section("page pool and shrinker");
	CHECK(ht_sysfs_write(POOL_PARAM "pool_enable", "0") == 0 &&
	      ht_sysfs_u64(sys_heap, "pool_bytes") == 0, "pool off: empty");
	CHECK(!(ht_sysfs_u64(sys_heap, "flags") & DMA_HEAP_EXT_FLAG_POOLED), "pool off: POOLED flag clear");
	if (ht_alloc_name(sys_heap, 4 * MiB, &fd) == 0)
		close(fd);
	CHECK(ht_sysfs_u64(sys_heap, "pool_bytes") == 0, "pool off: freed pages are not kept");

	CHECK(ht_sysfs_write(POOL_PARAM "pool_enable", "1") == 0 &&
	      (ht_sysfs_u64(sys_heap, "flags") & DMA_HEAP_EXT_FLAG_POOLED), "pool on: POOLED flag set");

	/* never-mapped buffer: its pages are still zero and go back at once */
	if (ht_alloc_name(sys_heap, 8 * MiB, &fd) == 0)
		close(fd);
	CHECK(ht_sysfs_u64(sys_heap, "pool_bytes") == 8 * MiB, "pool: an untouched 8 MiB buffer's pages are kept");

	/* a written buffer: zeroed by the worker, then reused zeroed */
	ht_sysfs_write(POOL_PARAM "pool_enable", "0");
	ht_sysfs_write(POOL_PARAM "pool_enable", "1");
	if (!CHECK(ht_alloc_name(sys_heap, 8 * MiB, &fd) == 0, "pool: allocate 8 MiB"))
		return;
	map = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED) {
		memset(map, 0x5a, 8 * MiB);
		munmap(map, 8 * MiB);
	}
	close(fd);
	CHECK(wait_pool_at_least(8 * MiB), "pool: the written 8 MiB come back to the pool once zeroed");
	/* 7.x logs the first work queued on system_unbound_wq, by work function */
	CHECK(ht_run("dmesg | grep -q 'dhe_zero_work_fn.*deprecated workqueue'") != 0,
	      "pool: the zeroing worker ran on no deprecated workqueue (kernel log)");
	p0 = ht_sysfs_u64(sys_heap, "pool_bytes");
	if (CHECK(ht_alloc_name(sys_heap, 8 * MiB, &fd) == 0, "pool: reallocate 8 MiB")) {
		p1 = ht_sysfs_u64(sys_heap, "pool_bytes");
		CHECK(p1 == p0 - 8 * MiB, "pool: the reallocation took its pages from the pool (%llu -> %llu)",
		      (unsigned long long)p0, (unsigned long long)p1);
		map = mmap(NULL, 8 * MiB, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(map != MAP_FAILED && ht_all_zero(map, 8 * MiB), "pool: a pooled page comes back zeroed");
		if (map != MAP_FAILED)
			munmap(map, 8 * MiB);
		close(fd);
	}

	/* bounded by pool_max_mb */
	ht_sysfs_write(POOL_PARAM "pool_enable", "0");
	ht_sysfs_write(POOL_PARAM "pool_enable", "1");
	ht_sysfs_write(POOL_PARAM "pool_max_mb", "4");
	if (ht_alloc_name(sys_heap, 16 * MiB, &fd) == 0)
		close(fd);
	p1 = ht_sysfs_u64(sys_heap, "pool_bytes");
	CHECK(p1 > 0 && p1 <= 4 * MiB, "pool: pool_max_mb=4 bounds the pool (%llu bytes)", (unsigned long long)p1);
	ht_sysfs_write(POOL_PARAM "pool_max_mb", "64");

	/* lowering the bound gives back what the pool holds beyond it */
	if (ht_alloc_name(sys_heap, 32 * MiB, &fd) == 0)
		close(fd);
	p0 = ht_sysfs_u64(sys_heap, "pool_bytes");
	ht_sysfs_write(POOL_PARAM "pool_max_mb", "8");
	p1 = ht_sysfs_u64(sys_heap, "pool_bytes");
	CHECK(p0 >= 32 * MiB && p1 <= 8 * MiB, "pool: pool_max_mb 64 -> 8 trims the pool at once (%llu -> %llu MiB)",
	      (unsigned long long)(p0 / MiB), (unsigned long long)(p1 / MiB));
	ht_sysfs_write(POOL_PARAM "pool_max_mb", "64");

	/* the shrinker gives it all back under (simulated) pressure */
	if (ht_alloc_name(sys_heap, 32 * MiB, &fd) == 0)
		close(fd);
	p0 = ht_sysfs_u64(sys_heap, "pool_bytes");
	CHECK(p0 >= 32 * MiB, "pool: 32 MiB pooled before pressure (%llu)", (unsigned long long)p0);
	ht_sysfs_write("/proc/sys/vm/drop_caches", "2");
	CHECK(ht_sysfs_u64(sys_heap, "pool_bytes") == 0, "pool: shrinker (drop_caches=2) empties the pool");

	test_pool_under_pressure();
}

/* ---- threads, fork races ---- */

struct thread_arg {
	const char *heap;
	int iterations;
	int failures;
	unsigned int seed;
};

static void *alloc_thread(void *p)
{
	struct thread_arg *a = p;
	int hfd = ht_open_heap(a->heap), i, fd;

	for (i = 0; i < a->iterations; i++) {
		uint64_t len = 4096ULL << (rand_r(&a->seed) % 7);	/* 4 KiB .. 256 KiB */

		if (ht_alloc(hfd, len, O_RDWR | O_CLOEXEC, &fd)) {
			a->failures++;
			continue;
		}
		if (i % 64 == 0) {
			uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

			if (m == MAP_FAILED || !ht_all_zero(m, len))
				a->failures++;
			if (m != MAP_FAILED) {
				memset(m, 0x77, len);
				munmap(m, len);
			}
		}
		close(fd);
	}
	close(hfd);
	return NULL;
}

static void test_threads(const char *heap, int nthreads, int iterations)
{
	pthread_t t[16];
	struct thread_arg a[16];
	double t0 = ht_now_us();
	int i, failures = 0;

	for (i = 0; i < nthreads; i++) {
		a[i] = (struct thread_arg){ .heap = heap, .iterations = iterations, .seed = i + 1 };
		pthread_create(&t[i], NULL, alloc_thread, &a[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		failures += a[i].failures;
	}
	CHECK(failures == 0, "%s: %d threads x %d alloc/free (%.1f s), every one zeroed and allocated",
	      heap, nthreads, iterations, (ht_now_us() - t0) / 1e6);
	CHECK(accounting_idle(heap), "%s: accounting back to zero after the threads", heap);
}

static void test_fork_races(const char *heap)
{
	int round, fds[4], i, status, ok = 1;

	for (round = 0; round < 100; round++) {
		pid_t pid;

		for (i = 0; i < 4; i++)
			if (ht_alloc_name(heap, 64 * KiB << i, &fds[i]))
				fds[i] = -1;
		pid = fork();
		if (pid == 0) {
			/* child: map one, close some, exit holding the rest */
			void *m = mmap(NULL, 64 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);

			if (m != MAP_FAILED)
				memset(m, 1, 64 * KiB);
			close(fds[round % 4]);
			_exit(0);
		}
		/* parent closes concurrently, in another order */
		for (i = 3; i >= 0; i--)
			if (fds[i] >= 0)
				close(fds[i]);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			ok = 0;
	}
	CHECK(ok, "%s: 100 fork-and-close races", heap);
	CHECK(accounting_idle(heap), "%s: nothing leaked by the races", heap);
}

static void test_killed_allocation(void)
{
	double t0;
	pid_t pid;
	int status;

	/* a big allocation interrupted by SIGKILL stops early and frees all */
	pid = fork();
	if (pid == 0) {
		int fd;

		ht_alloc_name(sys_heap, 512 * MiB, &fd);
		_exit(0);
	}
	usleep(20000);
	t0 = ht_now_us();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("# killed allocator exited %.0f ms after SIGKILL (%s)\n", (ht_now_us() - t0) / 1e3,
	       WIFSIGNALED(status) ? "killed" : "had finished");
	CHECK((ht_now_us() - t0) < 5e6, "%s: SIGKILL interrupts a 512 MiB allocation promptly", sys_heap);
	CHECK(accounting_idle(sys_heap), "%s: nothing left of the killed allocation", sys_heap);
}

/* ---- module parameters: at load, from modprobe.d, at run time ---- */

static int param_reads(const char *param, const char *want)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), POOL_PARAM "%s", param);
	if (ht_sysfs_read(path, buf, sizeof(buf)) < 0)
		return 0;
	buf[strcspn(buf, "\n")] = 0;
	return !strcmp(buf, want);
}

/* The module works after loading with ARGS: allocations, a bounded pool. */
static void check_loaded_with(const char *how, const char *args)
{
	int fd, ok = 0;

	if (ht_module_loaded() && ht_alloc_name(sys_heap, 4 * MiB, &fd) == 0) {
		close(fd);
		ok = ht_sysfs_u64(sys_heap, "pool_bytes") <= 4 * MiB || !param_reads("pool_max_mb", "1");
	}
	CHECK(ok, "%s %s: loaded, allocates, pool within its bound", how, args);
}

static void test_params_at_load(void)
{
	static const char *const good[] = {
		"pool_enable=0", "pool_enable=0 pool_max_mb=0", "pool_max_mb=0",
		"pool_max_mb=4294967295", "pool_enable=1 pool_max_mb=1", "pool_enable=N pool_max_mb=64",
		"contig_size_mb=1", "contig_dma32=0",
	};
	static const char *const bad[] = {
		"pool_enable=banana", "pool_max_mb=-1", "pool_max_mb=4294967296", "contig_size_mb=x",
	};
	char ko[512];
	size_t i;

	section("module parameters at load (insmod, modprobe.d)");
	snprintf(ko, sizeof(ko), "%s/dma_heap_ext.ko", kmod_dir);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(ht_run("rmmod dma_heap_ext; insmod %s %s %s", ko, ht_kmod_args(), good[i]) == 0,
		      "insmod %s", good[i]);
		check_loaded_with("insmod", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ht_run("rmmod dma_heap_ext; insmod %s %s %s 2>/dev/null", ko, ht_kmod_args(), bad[i]) != 0 &&
		      !ht_module_loaded(),
		      "insmod %s is refused, nothing loaded", bad[i]);

	/* /etc/modprobe.d: the same callbacks, before module_init */
	CHECK(ht_run("rmmod dma_heap_ext 2>/dev/null; d=/lib/modules/$(uname -r)/updates; mkdir -p $d && "
		     "cp %s $d/ && depmod && echo 'options dma_heap_ext pool_enable=0 pool_max_mb=0 %s' "
		     "> /etc/modprobe.d/dma-heap-ext-test.conf && modprobe dma_heap_ext", ko, ht_kmod_args()) == 0,
	      "modprobe with options pool_enable=0 pool_max_mb=0 in /etc/modprobe.d");
	CHECK(param_reads("pool_enable", "N") && param_reads("pool_max_mb", "0"),
	      "modprobe.d: the parameters took effect");
	check_loaded_with("modprobe.d", "pool_enable=0 pool_max_mb=0");
	ht_run("rmmod dma_heap_ext; rm -f /etc/modprobe.d/dma-heap-ext-test.conf "
	       "/lib/modules/$(uname -r)/updates/dma_heap_ext.ko; depmod");
	CHECK(ht_run("insmod %s %s", ko, ht_kmod_args()) == 0, "reload with defaults");
}

/*
 * compat_names=1: the contiguous heap also under the names userspace opens
 * (libcamera tries linux,cma, reserved, system; NXP's allocator linux,cma),
 * where the kernel has none of them. Opened as they open it (open() of the
 * node, DMA_HEAP_IOCTL_ALLOC), the buffer is one physically contiguous
 * range as the kernel's sg_table shows the test importer, and it comes out
 * of the same carveout (contiguous's free_bytes). Without the parameter,
 * no such node of ours.
 */
static void test_compat_names(void)
{
	static const char *const names[] = { "linux,cma", "reserved" };
	const uint64_t len = 1 * MiB + 68 * KiB;
	uint64_t free_before;
	char node[64];
	size_t i;
	int tfd, fd;

	section("compat_names: the contiguous heap under the names userspace opens");
	if (!CHECK(ht_run("rmmod dma_heap_ext_test 2>/dev/null; rmmod dma_heap_ext && "
			  "insmod %s/dma_heap_ext.ko %s compat_names=1", kmod_dir, ht_kmod_args()) == 0 &&
		   ht_module_loaded(), "insmod compat_names=1"))
		return;
	CHECK(ht_extra_ko("dma_heap_ext_test.ko") &&
	      ht_run("insmod %s", ht_extra_ko("dma_heap_ext_test.ko")) == 0, "insmod dma_heap_ext_test.ko");
	tfd = open("/dev/dma_heap_ext_test", O_RDWR | O_CLOEXEC);
	CHECK(tfd >= 0, "open /dev/dma_heap_ext_test");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(node, sizeof(node), "/dev/dma_heap/%s", names[i]);
		if (!CHECK(ht_heap_is_ours(names[i]) && ht_path_exists(node),
			   "%s: ours (/sys/class/dma_heap_ext/%s), the kernel having none", node, names[i]))
			continue;
		CHECK(ht_sysfs_u64(names[i], "contiguous") == 1 &&
		      ht_sysfs_u64(names[i], "total_bytes") == ht_sysfs_u64("contiguous", "total_bytes"),
		      "%s: contiguous, the carveout's size", names[i]);
		free_before = ht_sysfs_u64("contiguous", "free_bytes");
		if (CHECK(ht_alloc_name(names[i], len, &fd) == 0, "%s: open + DMA_HEAP_IOCTL_ALLOC of %" PRIu64 " KiB",
			  node, len / KiB)) {
			CHECK(ht_sysfs_u64("contiguous", "free_bytes") + len <= free_before,
			      "%s: the buffer comes out of the contiguous heap's carveout", names[i]);
			close(fd);
		}
		if (tfd >= 0)
			test_module_import(tfd, names[i], len, 1);
	}
	if (tfd >= 0)
		close(tfd);
	CHECK(ht_run("rmmod dma_heap_ext_test && rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s",
		     kmod_dir, ht_kmod_args()) == 0 && ht_module_loaded(), "reload with defaults");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(!ht_heap_is_ours(names[i]), "without compat_names: no heap of ours named %s", names[i]);
}

/* Allocations, mappings and frees in flight while the parameters change. */
static void test_params_at_runtime(void)
{
	static const char *const enable[] = { "0", "1", "N", "Y" };
	static const char *const max_mb[] = { "0", "1", "64", "4294967295", "8" };
	int status, i;
	pid_t pid;

	section("module parameters at run time, allocations in flight");
	pid = fork();
	if (pid == 0) {
		unsigned int seed = 1;
		double end = ht_now_us() + 4e6;

		while (ht_now_us() < end) {
			uint64_t len = (rand_r(&seed) % 512 + 1) * 4 * KiB;
			uint8_t *map;
			int fd;

			if (ht_alloc_name(rand_r(&seed) % 4 ? sys_heap : "system-uncached", len, &fd))
				_exit(2);
			if (rand_r(&seed) % 2) {
				map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
				if (map == MAP_FAILED || !ht_all_zero(map, len))
					_exit(3);
				memset(map, 0xa5, len);
				munmap(map, len);
			}
			close(fd);
		}
		_exit(0);
	}
	for (i = 0; i < 200; i++) {
		ht_sysfs_write(POOL_PARAM "pool_enable", enable[i % 4]);
		ht_sysfs_write(POOL_PARAM "pool_max_mb", max_mb[i % 5]);
		usleep(10000);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "200 parameter changes while a process allocates, writes and frees: every buffer zeroed (status %d)",
	      status);
	CHECK(ht_sysfs_write(POOL_PARAM "pool_enable", "banana") != 0 &&
	      ht_sysfs_write(POOL_PARAM "pool_max_mb", "-1") != 0, "bad values written at run time are refused");
	ht_sysfs_write(POOL_PARAM "pool_max_mb", "64");
	ht_sysfs_write(POOL_PARAM "pool_enable", "1");
	CHECK(accounting_idle(sys_heap) && accounting_idle("system-uncached") &&
	      ht_sysfs_u64(sys_heap, "pool_bytes") <= 64 * MiB, "accounting back to idle, pool within 64 MiB");
}

/* ---- running out of memory: ENOMEM, never the OOM killer ---- */

static void test_exhaustion(const char *heap, uint64_t chunk)
{
	struct rlimit rl = { 1 << 16, 1 << 16 };
	int *fds, n = 0, max = 1 << 15, err = 0, fd, alive;
	pid_t bystander;
	int status;

	/* a process minding its own business, with 48 MiB of anonymous memory */
	bystander = fork();
	if (bystander == 0) {
		char *p = mmap(NULL, 48 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(2);
		memset(p, 1, 48 * MiB);
		for (;;)
			pause();
	}
	usleep(300000);
	setrlimit(RLIMIT_NOFILE, &rl);
	fds = calloc(max, sizeof(*fds));
	while (fds && n < max) {
		err = ht_alloc_name(heap, chunk, &fds[n]);
		if (err)
			break;
		n++;
	}
	alive = waitpid(bystander, &status, WNOHANG) == 0;
	printf("# %s: %d x %llu MiB allocated before %s\n", heap, n,
	       (unsigned long long)(chunk / MiB), strerror(-err));
	while (n > 0)
		close(fds[--n]);
	free(fds);
	CHECK(err == -ENOMEM, "%s: allocating until memory runs out ends in ENOMEM (got %d)", heap, err);
	CHECK(alive, "%s: the bystander holding 48 MiB is still alive (no OOM kill)", heap);
	kill(bystander, SIGKILL);
	waitpid(bystander, &status, 0);
	CHECK(ht_alloc_name(heap, 64 * MiB, &fd) == 0, "%s: the machine recovers: 64 MiB allocate again", heap);
	if (fd >= 0)
		close(fd);
	CHECK(accounting_idle(heap), "%s: accounting back to idle", heap);
}

/* ---- memory cgroup charging (mem_accounting=1) ---- */

#define CG "/sys/fs/cgroup/dhe-test"

static uint64_t cg_u64(const char *file)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), CG "/%s", file);
	if (ht_sysfs_read(path, buf, sizeof(buf)) < 0)
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

/*
 * In a child inside a cgroup with memory.max = 64 MiB: allocate 4 MiB
 * buffers until an error; report through @out the count, the errno, and
 * memory.current before, with them all and after closing them.
 */
struct cg_report {
	int n, err;
	uint64_t before, full, after;
};

static void cg_child(const char *heap, int out)
{
	struct cg_report r = { 0 };
	int fds[64], fd, tries;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (ht_sysfs_write(CG "/cgroup.procs", pid) != 0)
		_exit(3);
	r.before = cg_u64("memory.current");
	while (r.n < 64) {
		r.err = ht_alloc_name(heap, 4 * MiB, &fd);
		if (r.err)
			break;
		fds[r.n++] = fd;
	}
	r.full = cg_u64("memory.current");
	for (tries = 0; tries < r.n; tries++)
		close(fds[tries]);
	/* freeing is synchronous; allow the counters a moment */
	for (tries = 0; tries < 50 && cg_u64("memory.current") > r.before + MiB; tries++)
		usleep(10000);
	r.after = cg_u64("memory.current");
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(4);
	_exit(0);
}

static int cg_run(const char *heap, struct cg_report *r)
{
	int p[2], status;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		cg_child(heap, p[1]);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	if (read(p[0], r, sizeof(*r)) != sizeof(*r))
		r->err = -EIO;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* a cgroup v2 of our own with the memory controller and memory.max = @max MiB */
static int cg_setup(unsigned int max)
{
	ht_run("mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup");
	return CHECK(ht_run("grep -qw memory /sys/fs/cgroup/cgroup.controllers && "
			    "echo +memory > /sys/fs/cgroup/cgroup.subtree_control && "
			    "mkdir -p " CG " && echo %uM > " CG "/memory.max && "
			    "{ echo 0 > " CG "/memory.swap.max 2>/dev/null; true; }", max) == 0 &&
		     cg_u64("memory.max") == max * MiB, "a cgroup v2 with memory.max = %u MiB", max);
}

static int charged_reason_is(const char *heap, const char *want)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path), "/sys/class/dma_heap_ext/%s/charged_reason", heap);
	if (ht_sysfs_read(path, buf, sizeof(buf)) < 0)
		return 0;
	printf("# %s: charged_reason: %s", heap, buf);
	return strstr(buf, want) != NULL;
}

static void test_mem_accounting(void)
{
	struct cg_report r;
	const char *sys;

	section("memory cgroup charging (mem_accounting)");
	if (!cg_setup(64))
		return;

	/* without charging (the default) heap memory escapes the limit */
	sys = ht_system_heap_name();
	CHECK(ht_sysfs_u64(sys, "charged") == 0 && charged_reason_is(sys, "mem_accounting=0"),
	      "%s: uncharged (default): charged 0, charged_reason says mem_accounting=0", sys);
	if (CHECK(cg_run(sys, &r) == 0, "%s: uncharged: the child ran", sys))
		CHECK(r.err == 0 && r.full - r.before < 8 * MiB,
		      "%s: uncharged (default): 64 x 4 MiB beyond memory.max, memory.current +%llu KiB",
		      sys, (unsigned long long)((r.full - r.before) / KiB));

	if (!CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s mem_accounting=1", kmod_dir, ht_kmod_args()) == 0 &&
		   param_reads("mem_accounting", "Y"), "reload with mem_accounting=1"))
		return;
	sys = ht_system_heap_name();
	CHECK(ht_sysfs_u64(sys, "pooled") == 0, "%s: charged: the pool is off", sys);
	/* a memory cgroup exists (ours), kernel memory is accounted */
	CHECK(ht_sysfs_u64(sys, "charged") == 1 && charged_reason_is(sys, "charged") &&
	      ht_sysfs_u64("system-uncached", "charged") == 1,
	      "%s, system-uncached: charged 1, as the kernel accounts kernel memory here", sys);
	CHECK(ht_sysfs_u64("contiguous", "charged") == 0 && charged_reason_is("contiguous", "never charged"),
	      "contiguous: charged 0, never charged");
	CHECK(cg_run(sys, &r) == 0, "%s: charged: the child ran and was not killed", sys);
	printf("# %s charged: %d x 4 MiB, then %s; memory.current %llu -> %llu -> %llu KiB\n", sys, r.n,
	       strerror(-r.err), (unsigned long long)(r.before / KiB), (unsigned long long)(r.full / KiB),
	       (unsigned long long)(r.after / KiB));
	CHECK(r.err == -ENOMEM, "%s: charged: allocation beyond memory.max fails with ENOMEM (got %d)", sys, r.err);
	CHECK(r.full - r.before >= 48 * MiB && r.full <= 64 * MiB + MiB,
	      "%s: charged: memory.current rose with the buffers (+%llu KiB) up to the limit", sys,
	      (unsigned long long)((r.full - r.before) / KiB));
	CHECK(r.after <= r.before + 16 * 4096,
	      "%s: charged: memory.current falls back after close (%llu -> %llu KiB)", sys,
	      (unsigned long long)(r.before / KiB), (unsigned long long)(r.after / KiB));
	if (CHECK(cg_run("system-uncached", &r) == 0, "system-uncached: charged: the child ran"))
		CHECK(r.err == -ENOMEM && r.full - r.before >= 48 * MiB, "system-uncached: charged too (+%llu KiB, %s)",
		      (unsigned long long)((r.full - r.before) / KiB), strerror(-r.err));
	ht_run("rmdir " CG);
	CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s", kmod_dir, ht_kmod_args()) == 0 && ht_module_loaded(),
	      "reload with defaults");
}

/*
 * In a boot with cgroup.memory=nokmem: __GFP_ACCOUNT charges nothing, so
 * mem_accounting=1 must not claim charging; a process in a cgroup with
 * memory.max = 32 MiB takes 64 MiB and more, memory.current unmoved (the
 * measurement the reading must agree with).
 */
static void test_charging_off(void)
{
	struct cg_report r;
	const char *sys;

	section("charging off: cgroup.memory=nokmem, mem_accounting=1");
	CHECK(ht_run("grep -qw cgroup.memory=nokmem /proc/cmdline") == 0, "the guest was booted with cgroup.memory=nokmem");
	if (!cg_setup(32))
		return;
	ht_run("rmmod dma_heap_ext_test 2>/dev/null");
	if (!CHECK(ht_run("rmmod dma_heap_ext; insmod %s/dma_heap_ext.ko %s mem_accounting=1", kmod_dir, ht_kmod_args()) == 0 &&
		   param_reads("mem_accounting", "Y"), "load with mem_accounting=1"))
		return;
	sys = ht_system_heap_name();
	CHECK(ht_sysfs_u64(sys, "charged") == 0 && ht_sysfs_u64("system-uncached", "charged") == 0 &&
	      !(ht_sysfs_u64(sys, "flags") & DMA_HEAP_EXT_FLAG_CHARGED),
	      "%s, system-uncached: charged 0, no CHARGED flag", sys);
	CHECK(charged_reason_is(sys, "nokmem") && charged_reason_is("system-uncached", "nokmem"),
	      "charged_reason names kernel-memory accounting being off");
	CHECK(ht_run("dmesg | grep -q 'mem_accounting=1, but kernel-memory accounting is not in force'") == 0,
	      "the kernel log says why nothing is charged");
	if (CHECK(cg_run(sys, &r) == 0, "%s: the child ran", sys))
		CHECK(r.err == 0 && r.n == 64 && r.full - r.before < 8 * MiB,
		      "%s: measured: %d x 4 MiB pass memory.max = 32 MiB, memory.current +%llu KiB (not charged)",
		      sys, r.n, (unsigned long long)((r.full - r.before) / KiB));
	ht_run("rmdir " CG);
	CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s", kmod_dir, ht_kmod_args()) == 0,
	      "reload with defaults");
}

/* ---- a heap name another driver already has ---- */

static const char *foreign_ko(void)
{
	return ht_extra_ko("dhe_foreign_heap.ko");
}

static int node_devno_is(const char *node, const char *sysdev);

/* /dev/dma_heap/<name> is our heap's node: its device number is ours */
static int node_is_ours(const char *name)
{
	char node[128], sysdev[128];

	snprintf(node, sizeof(node), "/dev/dma_heap/%s", name);
	snprintf(sysdev, sizeof(sysdev), "/sys/class/dma_heap_ext/%s/dev", name);
	return node_devno_is(node, sysdev);
}

static void list_heaps_line(const char *name, char *out, size_t len)
{
	char cmd[160];
	FILE *f;

	out[0] = 0;
	snprintf(cmd, sizeof(cmd), "\"$VM_TOOLS/list-heaps\" | grep '^%s '", name);
	f = popen(cmd, "r");
	if (!f)
		return;
	if (!fgets(out, len, f))
		out[0] = 0;
	pclose(f);
}

/* a node of ours that allocates and answers the query */
static int node_serves(const char *name)
{
	struct dma_heap_ext_info info;
	int hfd, fd, ok;

	hfd = ht_open_heap(name);
	if (hfd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	ok = ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info) == 0 && ht_alloc(hfd, 4096, O_RDWR | O_CLOEXEC, &fd) == 0;
	if (ok)
		close(fd);
	close(hfd);
	return ok;
}

/*
 * The module knows a clash from registries, never from paths: our own list,
 * the names of the kernel's own heaps (its configuration) and, in the
 * kernel's framework, dma_heap_add(). A node of another driver that is not a
 * heap keeps its path; whose a node is, its device number says.
 */
static void test_name_clash_with(const char *name, const char *ko)
{
	char out[256];

	CHECK(ht_run("rmmod dma_heap_ext dhe_foreign_heap; insmod %s name=%s && "
		     "insmod %s/dma_heap_ext.ko %s", ko, name, kmod_dir, ht_kmod_args()) == 0 && ht_module_loaded(),
	      "dma_heap_ext loads while another driver has /dev/dma_heap/%s", name);
	CHECK(ht_heap_is_ours(name) && ht_heap_is_ours("system-uncached") && ht_heap_is_ours(sys_heap),
	      "every heap of ours is registered, %s too", name);
	CHECK(!node_is_ours(name), "/dev/dma_heap/%s stays the other driver's (its device number is not ours)", name);
	list_heaps_line(name, out, sizeof(out));
	CHECK(out[0] && !strstr(out, " ours:"), "list-heaps does not call the foreign node ours: %s", out);
	CHECK(node_serves("system-uncached"), "the other heaps' nodes serve");

	/* the other driver arriving after ours: no warning, our node stays ours */
	CHECK(ht_run("rmmod dma_heap_ext dhe_foreign_heap && insmod %s/dma_heap_ext.ko %s && insmod %s name=%s",
		     kmod_dir, ht_kmod_args(), ko, name) == 0,
	      "another driver asking for /dev/dma_heap/%s after ours loads", name);
	CHECK(node_is_ours(name) && node_serves(name), "/dev/dma_heap/%s stays ours and serves", name);
	list_heaps_line(name, out, sizeof(out));
	CHECK(strstr(out, " ours:") != NULL, "list-heaps calls it ours: %s", out);
	CHECK(ht_run("rmmod dhe_foreign_heap") == 0 && node_is_ours(name) && node_serves(name),
	      "with the other driver gone again, /dev/dma_heap/%s is still ours and serves", name);
}

static void test_name_clash(void)
{
	const char *ko = foreign_ko();

	section("a heap name another driver has");
	if (!CHECK(ko != NULL, "the foreign-heap test module was built (vm-run --extra-kmod)"))
		return;
	/* never dmesg -C: vm-run reads the whole log for reports */
	test_name_clash_with("contiguous", ko);
	if (ht_heap_is_ours("default_cma_region"))
		test_name_clash_with("default_cma_region", ko);

	/*
	 * What the loading process sees in /dev says nothing: a mount
	 * namespace whose /dev holds a file of our heap's name (a chroot, a
	 * container), or one whose /dev is empty (an initramfs before
	 * devtmpfs), loads every heap all the same.
	 */
	CHECK(ht_run("rmmod dma_heap_ext && unshare -m sh -c 'mount -t tmpfs tmpfs /dev && mkdir /dev/dma_heap && "
		     ": > /dev/dma_heap/contiguous && : > /dev/dma_heap/system-uncached && "
		     "insmod %s/dma_heap_ext.ko %s'", kmod_dir, ht_kmod_args()) == 0 &&
	      ht_heap_is_ours("contiguous") && ht_heap_is_ours("system-uncached") &&
	      node_is_ours("contiguous") && node_serves("contiguous"),
	      "loaded from a mount namespace whose /dev has files named dma_heap/contiguous and system-uncached: both heaps are there and serve");
	CHECK(ht_run("rmmod dma_heap_ext && unshare -m sh -c 'mount -t tmpfs tmpfs /dev && "
		     "insmod %s/dma_heap_ext.ko %s'", kmod_dir, ht_kmod_args()) == 0 &&
	      ht_heap_is_ours("contiguous") && node_is_ours("contiguous") && node_serves("contiguous"),
	      "loaded from a mount namespace with an empty /dev: the heaps are there and serve");
}

/* ---- lifetime ---- */

/* max_size is what one allocation gets, however the carveout came out. */
static void test_contig_after_reloads(void)
{
	uint64_t max;
	int i, fd, held;

	section("contiguous max_size after reloads");
	for (i = 0; i < 4; i++) {
		if (!CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s", kmod_dir, ht_kmod_args()) == 0,
			   "reload %d", i + 1))
			return;
		max = ht_sysfs_u64("contiguous", "max_size");
		if (CHECK(ht_alloc_name("contiguous", max, &fd) == 0,
			  "reload %d: one buffer of max_size (%llu MiB of %llu)", i + 1,
			  (unsigned long long)(max / MiB),
			  (unsigned long long)(ht_sysfs_u64("contiguous", "total_bytes") / MiB)))
			close(fd);
		CHECK(ht_alloc_name("contiguous", max + 4096, &fd) == -ENOMEM,
		      "reload %d: max_size + 4 KiB -> ENOMEM", i + 1);
		/* with a buffer held the answer follows */
		if (ht_alloc_name("contiguous", 1 * MiB, &held) != 0)
			continue;
		max = ht_sysfs_u64("contiguous", "max_size");
		if (CHECK(ht_alloc_name("contiguous", max, &fd) == 0,
			  "reload %d, 1 MiB held: one buffer of max_size (%llu KiB)", i + 1,
			  (unsigned long long)(max / KiB)))
			close(fd);
		CHECK(ht_alloc_name("contiguous", max + 4096, &fd) == -ENOMEM,
		      "reload %d, 1 MiB held: max_size + 4 KiB -> ENOMEM", i + 1);
		close(held);
	}
}

static void test_lifetime(void)
{
	int hfd, fd = -1;
	void *map;

	section("module lifetime");
	hfd = ht_open_heap(sys_heap);
	CHECK(ht_run("rmmod dma_heap_ext 2>/dev/null") != 0 && ht_module_loaded(), "unload refused while a heap file is open");
	if (ht_alloc(hfd, 1 * MiB, O_RDWR, &fd))
		fd = -1;
	close(hfd);
	CHECK(ht_run("rmmod dma_heap_ext 2>/dev/null") != 0 && ht_module_loaded(), "unload refused while a buffer is open");
	map = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(map != MAP_FAILED && ht_run("rmmod dma_heap_ext 2>/dev/null") != 0 && ht_module_loaded(),
	      "unload refused while only a mapping of a buffer remains");
	if (map != MAP_FAILED)
		munmap(map, 1 * MiB);

	CHECK(ht_run("rmmod dma_heap_ext") == 0 && !ht_module_loaded(), "unload succeeds once all is closed");
	CHECK(!ht_path_exists("/dev/dma_heap/system-uncached") && !ht_path_exists("/sys/kernel/dma_heap_ext"),
	      "nodes and sysfs gone after unload");
	CHECK(ht_run("insmod %s/dma_heap_ext.ko %s contig_size_mb=8 pool_max_mb=16", kmod_dir, ht_kmod_args()) == 0,
	      "reload with contig_size_mb=8");
	CHECK(ht_sysfs_u64("contiguous", "total_bytes") == 8 * MiB, "contiguous heap is 8 MiB after reload");
	CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s contig_size_mb=0", kmod_dir, ht_kmod_args()) == 0 &&
	      !ht_path_exists("/dev/dma_heap/contiguous"), "contig_size_mb=0: no contiguous heap");
	CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s contig_size_mb=100000", kmod_dir, ht_kmod_args()) == 0 &&
	      !ht_path_exists("/dev/dma_heap/contiguous") && ht_path_exists("/dev/dma_heap/system-uncached"),
	      "contig_size_mb beyond RAM: module loads without a contiguous heap");
	CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko %s", kmod_dir, ht_kmod_args()) == 0 && ht_module_loaded(),
	      "reload with defaults");
}


/* ---- the CMA heap: 7.x, booted with cma=64M (tests/kernel/meson.build) ---- */

#define CMA_HEAP "default_cma_region"

/* Whether this kernel must have our CMA heap: the matrix's 7.x exports CMA. */
static int want_cma_heap(void)
{
	const char *k = getenv("VM_KERNEL");

	return k && !strncmp(k, "7.", 2);
}

static void test_cma_heap(void)
{
	uint64_t cma_kib = meminfo_kib("CmaTotal:");
	struct dma_heap_ext_info info;
	int fds[256], n = 0, fd, hfd, ret = 0, i;

	section("CMA heap (" CMA_HEAP ")");
	if (!want_cma_heap()) {
		CHECK(!ht_path_exists("/dev/dma_heap/" CMA_HEAP),
		      "no " CMA_HEAP " on %s: the kernel exports no CMA allocator to modules", getenv("VM_KERNEL"));
		return;
	}
	if (!CHECK(ht_heap_is_ours(CMA_HEAP) && cma_kib == 64 * 1024,
		   CMA_HEAP " is ours, on the 64 MiB CMA area of cma=64M (CmaTotal %llu KiB)",
		   (unsigned long long)cma_kib))
		return;

	hfd = ht_open_heap(CMA_HEAP);
	memset(&info, 0xff, sizeof(info));
	ret = ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info);
	CHECK(ret == 0 &&
	      (info.flags & DMA_HEAP_EXT_FLAG_CONTIGUOUS) && (info.flags & DMA_HEAP_EXT_FLAG_CACHED) &&
	      info.flags == ht_sysfs_u64(CMA_HEAP, "flags") && ht_sysfs_u64(CMA_HEAP, "contiguous") == 1 &&
	      info.alignment == 4096 && !info.reserved[0],
	      CMA_HEAP ": the query says contiguous=1, cached (flags 0x%llx)", (unsigned long long)info.flags);
	close(hfd);

	test_buffer(CMA_HEAP, 4 * KiB);
	test_buffer(CMA_HEAP, 1 * MiB + 68 * KiB);
	test_buffer(CMA_HEAP, 16 * MiB);
	test_zeroing_reuse(CMA_HEAP, 1 * MiB);

	/* exhaustion: the area, less what other users hold, then ENOMEM */
	while (n < 256) {
		ret = ht_alloc_name(CMA_HEAP, 1 * MiB, &fds[n]);
		if (ret)
			break;
		n++;
	}
	CHECK(ret == -ENOMEM && n >= 48 && n <= 64,
	      CMA_HEAP ": %d x 1 MiB of the 64 MiB area, then a clean ENOMEM (%d)", n, ret);
	CHECK(ht_alloc_name(CMA_HEAP, 4 * MiB, &fd) == -ENOMEM, CMA_HEAP ": a 4 MiB buffer fails while full");
	CHECK(ht_sysfs_u64(CMA_HEAP, "buffers") == (uint64_t)n, CMA_HEAP ": sysfs counts %d live buffers", n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	CHECK(accounting_idle(CMA_HEAP), CMA_HEAP ": all freed");
	if (CHECK(ht_alloc_name(CMA_HEAP, 32 * MiB, &fd) == 0, CMA_HEAP ": recovered: one 32 MiB buffer"))
		close(fd);
	test_threads(CMA_HEAP, 4, 100);
	CHECK(accounting_idle(CMA_HEAP), CMA_HEAP ": no live buffers, 0 bytes");
}

/*
 * The kernel's own framework (heap-test --kernel-framework, after the rest:
 * the module cannot be unloaded afterwards). Where dma_heap_add() is
 * exported (the matrix's 7.x), the defaults add every heap there: the
 * kernel's nodes allocate from ours, /dev/dma_heap_ext/<name> answers the
 * query, and unloading is refused. Elsewhere the parameter is refused.
 */
static int read_devno(const char *path, char *buf, size_t len)
{
	if (ht_sysfs_read(path, buf, len) <= 0)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int node_devno_is(const char *node, const char *sysdev)
{
	char want[32], have[32];
	struct stat st;

	if (read_devno(sysdev, want, sizeof(want)) || stat(node, &st) || !S_ISCHR(st.st_mode))
		return 0;
	snprintf(have, sizeof(have), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	return !strcmp(have, want);
}

static void test_kernel_framework(void)
{
	const char *heaps[] = { sys_heap, "system-uncached", "contiguous", CMA_HEAP };
	char p[256], q[256], buf[64];
	struct dma_heap_ext_info info;
	uint64_t *map;
	int h, hfd, fd, ret;

	section("the kernel's own heap framework (kernel_framework)");
	if (!want_cma_heap()) {
		CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko kernel_framework=1 2>/dev/null",
			     kmod_dir) != 0 && !ht_module_loaded(),
		      "kernel_framework=1 is refused on %s (dma_heap_add() not exported), nothing loaded",
		      getenv("VM_KERNEL"));
		CHECK(ht_run("dmesg | grep -q 'does not export its dma-heap framework'") == 0,
		      "the kernel log says why");
		CHECK(ht_run("insmod %s/dma_heap_ext.ko %s", kmod_dir, ht_kmod_args()) == 0, "reload");
		return;
	}
	/* charged, for the udev rule's test that follows (run-vm-tests.sh) */
	CHECK(ht_run("rmmod dma_heap_ext && insmod %s/dma_heap_ext.ko mem_accounting=1", kmod_dir) == 0 &&
	      ht_module_loaded(), "reload with mem_accounting=1, kernel_framework at its default");
	CHECK(param_reads("kernel_framework", "Y"), "kernel_framework is on by default where dma_heap_add() is exported");
	CHECK(ht_sysfs_u64(sys_heap, "charged") == 1 && ht_sysfs_u64("system-uncached", "charged") == 1 &&
	      ht_sysfs_u64("contiguous", "charged") == 0 && ht_sysfs_u64(CMA_HEAP, "charged") == 0,
	      "the system heaps are charged, contiguous and CMA not");
	for (h = 0; h < 4; h++) {
		snprintf(p, sizeof(p), "/sys/class/dma_heap_ext/%s/framework", heaps[h]);
		CHECK(ht_sysfs_read(p, buf, sizeof(buf)) > 0 && !strcmp(buf, "dma_heap\n"),
		      "%s: sysfs framework says dma_heap", heaps[h]);
		snprintf(p, sizeof(p), "/dev/dma_heap/%s", heaps[h]);
		snprintf(q, sizeof(q), "/sys/class/dma_heap/%s/dev", heaps[h]);
		CHECK(node_devno_is(p, q), "%s: /dev/dma_heap/%s is the kernel's node (class dma_heap)", heaps[h], heaps[h]);
		snprintf(p, sizeof(p), "/dev/dma_heap_ext/%s", heaps[h]);
		snprintf(q, sizeof(q), "/sys/class/dma_heap_ext/%s/dev", heaps[h]);
		CHECK(node_devno_is(p, q), "%s: /dev/dma_heap_ext/%s is ours", heaps[h], heaps[h]);

		/* the kernel's node allocates from our heap */
		hfd = ht_open_heap(heaps[h]);
		if (CHECK(hfd >= 0 && ht_alloc(hfd, 1 * MiB, O_RDWR, &fd) == 0,
			  "%s: 1 MiB through the kernel's node", heaps[h])) {
			CHECK(ht_sysfs_u64(heaps[h], "buffers") == 1 && ht_sysfs_u64(heaps[h], "bytes") == MiB,
			      "%s: ... counted in our sysfs", heaps[h]);
			map = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (CHECK(map != MAP_FAILED, "%s: mmap", heaps[h])) {
				CHECK(map[0] == 0 && map[MiB / 8 - 1] == 0, "%s: zeroed", heaps[h]);
				map[7] = 0x5a5a;
				CHECK(map[7] == 0x5a5a, "%s: writable", heaps[h]);
				munmap(map, MiB);
			}
			close(fd);
		}
		errno = 0;
		CHECK(ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info) < 0 && errno == EINVAL,
		      "%s: the kernel's node answers the query with EINVAL", heaps[h]);
		close(hfd);

		/* the query on our node */
		snprintf(p, sizeof(p), "/dev/dma_heap_ext/%s", heaps[h]);
		hfd = open(p, O_RDONLY | O_CLOEXEC);
		memset(&info, 0xff, sizeof(info));
		ret = hfd >= 0 ? ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info) : -1;
		CHECK(ret == 0 &&
		      info.flags == ht_sysfs_u64(heaps[h], "flags") && info.buffers == 0,
		      "%s: /dev/dma_heap_ext/%s answers the query (flags 0x%llx), no live buffer",
		      heaps[h], heaps[h], (unsigned long long)info.flags);
		if (hfd >= 0)
			close(hfd);
	}
	CHECK(ht_path_exists("/sys/class/dma_heap/system") && !ht_heap_is_ours("system"),
	      "the kernel's own system heap is there beside ours");
	CHECK(ht_run("rmmod dma_heap_ext 2>/dev/null") != 0 && ht_module_loaded(),
	      "unloading is refused: the kernel's framework cannot remove heaps");
	CHECK(ht_run("dmesg | grep -q 'stays loaded until reboot'") == 0, "the kernel log says so");
}

int main(int argc, char **argv)
{
	const char *heaps[] = { NULL, "system-uncached", "contiguous" };
	const uint64_t sizes[] = { 4 * KiB, 68 * KiB, 1 * MiB, 1 * MiB + 68 * KiB, 8 * MiB, 64 * MiB };
	const char *upstream = NULL;
	int vgem, h;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kmod_dir = getenv("VM_KMOD_DIR");
	if (!kmod_dir || geteuid() != 0) {
		printf("# needs root and VM_KMOD_DIR: run through tools/vm/vm-run\n");
		return 77;
	}
	sys_heap = ht_system_heap_name();
	if (argc > 1 && !strcmp(argv[1], "--kernel-framework")) {
		test_kernel_framework();
		printf("# %d failure(s)\n", ht_failures);
		return ht_failures ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--test-module")) {
		test_with_test_module(-1);
		printf("# %d failure(s)\n", ht_failures);
		return ht_failures ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--name-clash")) {
		test_name_clash();
		printf("# %d failure(s)\n", ht_failures);
		return ht_failures ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--charging-off")) {
		test_charging_off();
		printf("# %d failure(s)\n", ht_failures);
		return ht_failures ? 1 : 0;
	}

	section("heaps present");
	sys_heap = ht_system_heap_name();
	heaps[0] = sys_heap;
	for (h = 0; h < 3; h++)
		CHECK(ht_heap_is_ours(heaps[h]),
		      "heap %s: /sys/class/dma_heap_ext/%s", heaps[h], heaps[h]);
	for (h = 0; h < 3; h++) {
		char p[128];

		snprintf(p, sizeof(p), "/dev/dma_heap/%s", heaps[h]);
		CHECK(ht_path_exists(p), "node %s", p);
	}
	if (!strcmp(sys_heap, "system-ext")) {
		upstream = "system";
		CHECK(ht_path_exists("/dev/dma_heap/system") && !ht_heap_is_ours("system"),
		      "the kernel's own system heap is there and is not ours");
	} else {
		CHECK(!strcmp(getenv("VM_KERNEL") ? getenv("VM_KERNEL") : "", "6.1"),
		      "our system heap is called system where the kernel has none");
	}

	section("buffers of every heap");
	for (h = 0; h < 3; h++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (sizes[i] > ht_sysfs_u64(heaps[h], "max_size"))
				continue;
			test_buffer(heaps[h], sizes[i]);
		}
		test_mmap_offsets(heaps[h]);
		test_zeroing_reuse(heaps[h], 4 * KiB);
		test_zeroing_reuse(heaps[h], 1 * MiB);
		test_set_name(heaps[h]);
		test_rdonly(heaps[h]);
		test_map_private(heaps[h], 4 * KiB);
		test_map_private(heaps[h], 1 * MiB + 68 * KiB);
	}
	if (upstream) {
		test_buffer(upstream, 1 * MiB);
		test_set_name(upstream);
	}

	section("vgem imports (PRIME)");
	vgem = ht_open_vgem();
	if (CHECK(vgem >= 0, "vgem card found")) {
		for (h = 0; h < 3; h++) {
			test_vgem_import(vgem, heaps[h], 4 * KiB);
			test_vgem_import(vgem, heaps[h], 2 * MiB + 4 * KiB);
		}
		if (upstream)
			test_vgem_import(vgem, upstream, 1 * MiB);
	}

	test_with_test_module(vgem);

	section("UAPI: struct sizes and bad input");
	for (h = 0; h < 3; h++) {
		test_struct_sizes(heaps[h]);
		test_bad_input(heaps[h], h == 0 ? upstream : NULL);
		test_efault_no_leak(heaps[h]);
	}

	section("query ioctl and sysfs");
	for (h = 0; h < 3; h++)
		test_query(heaps[h]);
	if (upstream)
		test_query_upstream(upstream);
	CHECK(!(ht_sysfs_u64("system-uncached", "flags") & DMA_HEAP_EXT_FLAG_CACHED) &&
	      (ht_sysfs_u64(sys_heap, "flags") & DMA_HEAP_EXT_FLAG_CACHED) &&
	      (ht_sysfs_u64("contiguous", "flags") & DMA_HEAP_EXT_FLAG_CONTIGUOUS) &&
	      !(ht_sysfs_u64(sys_heap, "flags") & DMA_HEAP_EXT_FLAG_CONTIGUOUS),
	      "flags: only contiguous is contiguous, only system-uncached is not cached");
	test_hints();

	section("contiguous heap exhaustion");
	test_contig_exhaustion();
	test_cma_heap();

	test_pool();

	section("threads, fork races, kills");
	test_threads(sys_heap, 8, 1000);
	test_threads("contiguous", 8, 250);
	test_threads("system-uncached", 4, 100);
	test_fork_races(sys_heap);
	test_fork_races("contiguous");
	test_killed_allocation();

	section("accounting at the end");
	for (h = 0; h < 3; h++)
		CHECK(accounting_idle(heaps[h]), "%s: no live buffers, 0 bytes", heaps[h]);

	test_lifetime();
	if (vgem >= 0)
		close(vgem);

	test_params_at_load();
	test_compat_names();
	test_params_at_runtime();
	section("memory exhaustion");
	test_exhaustion(sys_heap, 4 * MiB);
	test_exhaustion("system-uncached", 16 * MiB);
	test_name_clash();
	test_contig_after_reloads();
	test_mem_accounting();

	printf("# %d failure(s)\n", ht_failures);
	(void)argc;
	(void)argv;
	return ht_failures ? 1 : 0;
}
