/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Walks every failure point of dma_heap_ext's fault-injection build
 * (kernel/fault.h; tools/vm/vm-run --kmod-fault-inject): makes the 1st,
 * 2nd, ... call of each point fail until the point is no longer reached,
 *   - at load (insmod fault_point=P fault_nth=N) for the init points: the
 *     load fails and leaves nothing behind, or loads without what failed
 *     and everything it shows works and unloads;
 *   - at runtime, on every heap of ours, for the buffer points, during
 *     alloc + mmap + import by the test module (attach, map, CPU access,
 *     vmap) + PRIME import into vgem + in-kernel allocation + close: the
 *     caller gets an errno, and afterwards no buffer is accounted and no
 *     system-heap page is held outside the pools (buffer_pages).
 * The kernel log is checked by vm-run (warnings, BUG, SLUB/KFENCE reports).
 *   fault-test            (inside vm-run, VM_KMOD_DIR = the fault build)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>
#include "dma-heap-ext-test.h"
#include "heap-common.h"

#define PARAMS "/sys/module/dma_heap_ext/parameters/"
#define MAX_NTH 400

static const char *kmod_dir;
static const char *heaps[3];

static const char *const init_points[] = {
	"chrdev", "class", "heap", "cdev", "device", "hint", "carveout",
};
static const char *const runtime_points[] = {
	"buffer", "page", "sg", "page_array", "attr", "attr_wb", "vmap", "export", "fd",
};

static int arm(const char *point, unsigned int nth)
{
	char n[16];

	snprintf(n, sizeof(n), "%u", nth);
	return ht_sysfs_write(PARAMS "fault_point", point) == 0 &&
	       ht_sysfs_write(PARAMS "fault_nth", n) == 0 ? 0 : -1;
}

static int hits(unsigned int *calls, unsigned int *failed)
{
	char buf[64];

	*calls = *failed = 0;
	if (ht_sysfs_read(PARAMS "fault_hits", buf, sizeof(buf)) < 0)
		return -1;
	return sscanf(buf, "calls=%u failed=%u", calls, failed) == 2 ? 0 : -1;
}

static long read_param_long(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	if (ht_sysfs_read(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static long buffer_pages(void)
{
	return read_param_long("buffer_pages");
}

/* After a failed load or an unload: no trace of the module anywhere. */
static int nothing_left(void)
{
	char p[128];
	int h;

	if (ht_path_exists("/sys/class/dma_heap_ext") || ht_path_exists("/sys/kernel/dma_heap_ext"))
		return 0;
	for (h = 0; h < 3; h++) {
		snprintf(p, sizeof(p), "/dev/dma_heap/%s", heaps[h]);
		if (ht_path_exists(p))
			return 0;
	}
	return 1;
}

static int unload(void)
{
	ht_run("rmmod dma_heap_ext_test 2>/dev/null");
	return ht_run("rmmod dma_heap_ext 2>/dev/null");
}

/* Every heap the module shows can allocate. */
static int heaps_work(void)
{
	int h, fd, ok = 1;

	for (h = 0; h < 3; h++) {
		if (!ht_heap_is_ours(heaps[h]))
			continue;
		if (ht_alloc_name(heaps[h], 1 << 20, &fd) != 0)
			ok = 0;
		else
			close(fd);
	}
	return ok;
}

static void walk_init_point(const char *point)
{
	unsigned int n, calls, failed, failed_loads = 0, degraded = 0;

	for (n = 1; n <= MAX_NTH; n++) {
		unload();
		if (ht_run("insmod %s/dma_heap_ext.ko %s fault_point=%s fault_nth=%u 2>/dev/null",
			   kmod_dir, ht_kmod_args(), point, n) != 0) {
			failed_loads++;
			if (!CHECK(!ht_module_loaded() && nothing_left(),
				   "%s call %u fails the load and leaves nothing behind", point, n))
				break;
			continue;
		}
		if (!CHECK(hits(&calls, &failed) == 0, "%s: fault_hits readable", point))
			break;
		if (!failed)
			break;	/* n is past the last call: every one was walked */
		degraded++;
		CHECK(heaps_work(), "%s call %u fails: the module loads, and every heap it shows allocates",
		      point, n);
		/* a contiguous heap left out gives its carveout back at once */
		if (!ht_heap_is_ours("contiguous"))
			CHECK(read_param_long("carveout_pages") == 0,
			      "%s call %u fails: no contiguous heap, and no carveout held (%ld pages)",
			      point, n, read_param_long("carveout_pages"));
		CHECK(unload() == 0 && nothing_left(), "%s call %u: unloads and leaves nothing behind", point, n);
	}
	CHECK(n > 1 && n <= MAX_NTH, "%s: %u call(s) at load walked (%u failed loads, %u without a part)",
	      point, n - 1, failed_loads, degraded);
}

#define LIFE_LEN ((1 << 20) + (68 << 10))

/* One buffer's life; returns 0 or the first errno a step gave. */
static int buffer_life(const char *heap, int tfd, int vgem, const char **step)
{
	const uint64_t len = LIFE_LEN;
	struct dhe_test_import imp;
	struct dhe_test_alloc req;
	uint32_t handle;
	int fd, ret;
	void *map;

	*step = "allocate";
	ret = ht_alloc_name(heap, len, &fd);
	if (ret)
		return -ret;
	*step = "mmap";
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = errno;
		goto out;
	}
	memset(map, 0x5a, len);
	munmap(map, len);

	*step = "test importer (attach, map, CPU access, vmap)";
	memset(&imp, 0, sizeof(imp));
	imp.fd = fd;
	if (ioctl(tfd, DHE_TEST_IOC_IMPORT, &imp) < 0) {
		ret = errno;
		goto out;
	}
	*step = "vgem PRIME import";
	if (drmPrimeFDToHandle(vgem, fd, &handle) != 0) {
		ret = errno ? errno : EIO;
		goto out;
	}
	drmCloseBufferHandle(vgem, handle);

	*step = "in-kernel allocation";
	memset(&req, 0, sizeof(req));
	snprintf(req.heap, sizeof(req.heap), "%s", heap);
	req.len = len;
	req.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(tfd, DHE_TEST_IOC_ALLOC, &req) < 0) {
		ret = errno;
		goto out;
	}
	close(req.fd);
	ret = 0;
out:
	close(fd);
	return ret;
}

static unsigned int walk_runtime_point(const char *point, const char *heap, int tfd, int vgem)
{
	/* fails at free: no caller to tell; the pages are leaked and counted */
	int at_free = !strcmp(point, "attr_wb");
	unsigned int n, calls = 0, failed = 0;
	long leaked;
	const char *step;
	int err;

	for (n = 1; n <= MAX_NTH; n++) {
		if (arm(point, n) != 0) {
			CHECK(0, "arm %s call %u", point, n);
			break;
		}
		leaked = read_param_long("leaked_pages");
		err = buffer_life(heap, tfd, vgem, &step);
		hits(&calls, &failed);
		arm("none", 0);
		if (!failed) {
			CHECK(err == 0, "%s: %s unfailed: a whole buffer life works (%s: %s)", heap, point,
			      err ? step : "-", strerror(err));
			break;
		}
		if (at_free) {
			CHECK(err == 0, "%s: %s call %u fails at free: the buffer's life went on (%s: %s)",
			      heap, point, n, err ? step : "-", strerror(err));
			CHECK(read_param_long("leaked_pages") - leaked == LIFE_LEN / 4096,
			      "%s: %s call %u: the buffer's %d pages kept out of circulation, counted (leaked_pages %ld -> %ld)",
			      heap, point, n, LIFE_LEN / 4096, leaked, read_param_long("leaked_pages"));
			CHECK(ht_run("dmesg | grep -c 'cannot restore write-back caching' | grep -qx 1") == 0,
			      "%s: %s call %u: the kernel log says so, once", heap, point, n);
		} else {
			CHECK(err != 0, "%s: %s call %u fails: the caller gets an errno (%s: %s)", heap, point,
			      n, step, strerror(err));
		}
		CHECK(ht_sysfs_u64(heap, "buffers") == 0 && ht_sysfs_u64(heap, "bytes") == 0,
		      "%s: %s call %u: nothing accounted after close", heap, point, n);
		CHECK(buffer_pages() == 0, "%s: %s call %u: no system-heap page held outside the pools (%ld)",
		      heap, point, n, buffer_pages());
	}
	printf("# %s on %s: %u call(s) per buffer life walked\n", point, heap, n - 1);
	return n - 1;
}

int main(void)
{
	unsigned int walked[sizeof(runtime_points) / sizeof(runtime_points[0])] = { 0 };
	size_t i;
	int h, tfd, vgem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kmod_dir = getenv("VM_KMOD_DIR");
	if (!kmod_dir || geteuid() != 0) {
		printf("# needs root and VM_KMOD_DIR: run through tools/vm/vm-run --kmod-fault-inject\n");
		return 77;
	}
	if (!CHECK(ht_path_exists(PARAMS "fault_point"), "the module is the fault-injection build"))
		return 1;
	heaps[0] = ht_system_heap_name();
	heaps[1] = "system-uncached";
	heaps[2] = "contiguous";

	printf("# == failure points at load\n");
	for (i = 0; i < sizeof(init_points) / sizeof(init_points[0]); i++)
		walk_init_point(init_points[i]);

	printf("# == failure points of a buffer's life\n");
	unload();
	if (!CHECK(ht_extra_ko("dma_heap_ext_test.ko") &&
		   ht_run("insmod %s/dma_heap_ext.ko %s && insmod %s", kmod_dir, ht_kmod_args(),
			  ht_extra_ko("dma_heap_ext_test.ko")) == 0,
		   "load the module and the test importer"))
		return 1;
	tfd = open("/dev/dma_heap_ext_test", O_RDWR | O_CLOEXEC);
	vgem = ht_open_vgem();
	if (!CHECK(tfd >= 0 && vgem >= 0, "test importer and vgem open"))
		return 1;
	for (i = 0; i < sizeof(runtime_points) / sizeof(runtime_points[0]); i++)
		for (h = 0; h < 3; h++)
			walked[i] += walk_runtime_point(runtime_points[i], heaps[h], tfd, vgem);
	for (i = 0; i < sizeof(runtime_points) / sizeof(runtime_points[0]); i++)
		CHECK(walked[i] > 0, "%s: reached on some heap (%u calls)", runtime_points[i], walked[i]);
	close(tfd);
	close(vgem);
	CHECK(unload() == 0 && nothing_left(), "unloads at the end, nothing left");

	printf("# %d failure(s)\n", ht_failures);
	return ht_failures ? 1 : 0;
}
