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
 *     system-heap page is held outside the pools (buffer_pages);
 *   - at publish, with a thread opening and querying every node of ours it
 *     can reach while the load drops a heap or fails (publish_race());
 *   - the hints' bus walk against a device removed under it
 *     (hint_removal_race()).
 * The kernel log is checked by vm-run (warnings, BUG, SLUB/KFENCE reports).
 *   fault-test [load] [buffer | buffer:POINT] [publish] [hint]   (inside
 *              vm-run, VM_KMOD_DIR = the fault build; no argument: all
 *              four, in that order; buffer:POINT walks that runtime point
 *              alone)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <linux/dma-heap.h>
#include <linux/dma-heap-ext.h>
#include "dma-heap-ext-test.h"
#include "heap-common.h"

#define PARAMS "/sys/module/dma_heap_ext/parameters/"
#define MAX_NTH 400

static const char *kmod_dir;
/* ours: system, system-uncached, contiguous, and the CMA heap where there is one */
static const char *heaps[4];
static int nheaps = 3;

static const char *const init_points[] = {
	"chrdev", "class", "shrinker", "heap", "device", "cdev", "hint", "carveout",
};
static const char *const runtime_points[] = {
	"buffer", "page", "sg", "page_array", "attr", "attr_wb", "vmap", "export", "fd",
	"ioctl", "map", "mmap", "signal", "admit",
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
	for (h = 0; h < nheaps; h++) {
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

	for (h = 0; h < nheaps; h++) {
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

/*
 * The allocation and the query with a caller's struct longer than the
 * kernel's stack buffer (128 bytes): a newer UAPI's, zero in the tail.
 */
#define LONG_ARG 256

static int long_arg_ioctls(const char *heap, const char **step)
{
	union {
		struct dma_heap_allocation_data alloc;
		struct dma_heap_ext_info info;
		char bytes[LONG_ARG];
	} arg;
	int hfd, ret = 0;

	*step = "open the heap";
	hfd = ht_open_heap(heap);
	if (hfd < 0)
		return errno;
	*step = "allocate with a 256-byte argument";
	memset(&arg, 0, sizeof(arg));
	arg.alloc.len = 4096;
	arg.alloc.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(hfd, _IOC(_IOC_READ | _IOC_WRITE, DMA_HEAP_IOC_MAGIC, 0, LONG_ARG), &arg) < 0) {
		ret = errno;
		goto out;
	}
	close(arg.alloc.fd);
	*step = "query with a 256-byte argument";
	memset(&arg, 0, sizeof(arg));
	if (ioctl(hfd, _IOC(_IOC_READ, 'H', _IOC_NR(DMA_HEAP_EXT_IOC_QUERY), LONG_ARG), &arg) < 0)
		ret = errno;
out:
	close(hfd);
	return ret;
}

/* One buffer's life; returns 0 or the first errno a step gave. */
static int buffer_life(const char *heap, int tfd, int vgem, const char **step)
{
	const uint64_t len = LIFE_LEN;
	struct dhe_test_import imp;
	struct dhe_test_alloc req;
	uint32_t handle;
	int fd, ret;
	void *map;

	ret = long_arg_ioctls(heap, step);
	if (ret)
		return ret;
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
			/* the first buffer of a life is 4 KiB, the others LIFE_LEN */
			CHECK(read_param_long("leaked_pages") - leaked == (n == 1 ? 1 : LIFE_LEN / 4096),
			      "%s: %s call %u: the buffer's %d pages kept out of circulation, counted (leaked_pages %ld -> %ld)",
			      heap, point, n, n == 1 ? 1 : LIFE_LEN / 4096, leaked,
			      read_param_long("leaked_pages"));
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
		if (!strcmp(heap, "contiguous"))
			CHECK(ht_sysfs_u64(heap, "free_bytes") == ht_sysfs_u64(heap, "total_bytes"),
			      "%s: %s call %u: the whole carveout free again (%" PRIu64 " of %" PRIu64 " bytes)",
			      heap, point, n, ht_sysfs_u64(heap, "free_bytes"),
			      ht_sysfs_u64(heap, "total_bytes"));
		CHECK(read_param_long("admitted_pages") == 0,
		      "%s: %s call %u: no admission reservation left (admitted_pages %ld)", heap, point, n,
		      read_param_long("admitted_pages"));
		CHECK(read_param_long("../refcnt") == 1,
		      "%s: %s call %u: the module held by the test importer alone (refcnt %ld)", heap,
		      point, n, read_param_long("../refcnt"));
	}
	printf("# %s on %s: %u call(s) per buffer life walked\n", point, heap, n - 1);
	/* every heap's allocation or zeroing loop stops for a fatal signal */
	if (!strcmp(point, "signal"))
		CHECK(n > 1, "%s: an allocation stops for a fatal signal (the signal point reached)", heap);
	return n - 1;
}


/* @only: one runtime point's name, or NULL for all of them */
static void walk_buffer_points(const char *only)
{
	unsigned int walked[sizeof(runtime_points) / sizeof(runtime_points[0])] = { 0 };
	size_t i;
	int h, tfd, vgem;

	printf("# == failure points of a buffer's life\n");
	unload();
	if (!CHECK(ht_extra_ko("dma_heap_ext_test.ko") &&
		   ht_run("insmod %s/dma_heap_ext.ko %s && insmod %s", kmod_dir, ht_kmod_args(),
			  ht_extra_ko("dma_heap_ext_test.ko")) == 0,
		   "load the module and the test importer"))
		return;
	tfd = open("/dev/dma_heap_ext_test", O_RDWR | O_CLOEXEC);
	vgem = ht_open_vgem();
	if (!CHECK(tfd >= 0 && vgem >= 0, "test importer and vgem open"))
		return;
	for (i = 0; i < sizeof(runtime_points) / sizeof(runtime_points[0]); i++) {
		if (only && strcmp(only, runtime_points[i]))
			continue;
		for (h = 0; h < nheaps; h++)
			walked[i] += walk_runtime_point(runtime_points[i], heaps[h], tfd, vgem);
		CHECK(walked[i] > 0, "%s: reached on some heap (%u calls)", runtime_points[i], walked[i]);
	}
	close(tfd);
	close(vgem);
	CHECK(unload() == 0 && nothing_left(), "unloads at the end, nothing left");
}

/*
 * Publishing against a user: a thread opens every node of ours it can reach
 * and queries each open heap again and again, while a load drops a heap at
 * publish or fails. It reaches the nodes in /dev/dma_heap and
 * /dev/dma_heap_ext, and
 * every minor of the module's char device region through nodes it makes
 * itself (mknod), which open a heap's cdev from cdev_add() on, before and
 * without any devtmpfs node. The failing call waits (fault_delay_ms), so
 * the racer is inside whatever window the failure leaves; a heap freed
 * under one of its files shows as a SLUB report or an oops in the log.
 */
#define RACE_DIR	"/tmp/dhe-race"
#define RACE_MAX_FDS	64
#define RACE_HOLD_MS	800
#define RACE_DELAY_MS	300
/* more than the heaps the module can have (system, uncached, contiguous, CMA) */
#define RACE_MINORS	8

static volatile int race_stop;
static unsigned long race_rounds, race_opens, race_queries;

struct race_fd {
	int fd;
	char path[300];
	double opened_ms;
};

static double now_ms(void)
{
	return ht_now_us() / 1000.0;
}

static int dhe_major(void)
{
	char line[128], name[64];
	int major = -1, m;
	FILE *f = fopen("/proc/devices", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %63s", &m, name) == 2 && !strcmp(name, "dma_heap_ext"))
			major = m;
	fclose(f);
	return major;
}

/* nodes of every minor of the module's region, made afresh per major */
static void race_make_nodes(int major)
{
	char p[96];
	int minor;

	ht_run("rm -rf " RACE_DIR " && mkdir -p " RACE_DIR " >/dev/null 2>&1");
	for (minor = 0; minor < RACE_MINORS; minor++) {
		snprintf(p, sizeof(p), RACE_DIR "/%d-%d", major, minor);
		mknod(p, S_IFCHR | 0600, makedev(major, minor));
	}
}

static int race_held(struct race_fd *fds, int n, const char *path)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(fds[i].path, path))
			return 1;
	return 0;
}

static int race_open_dir(const char *dir, struct race_fd *fds, int n)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char p[300];
	int fd;

	if (!d)
		return n;
	while ((de = readdir(d)) && n < RACE_MAX_FDS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (race_held(fds, n, p))
			continue;
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		race_opens++;
		fds[n].fd = fd;
		snprintf(fds[n].path, sizeof(fds[n].path), "%s", p);
		fds[n].opened_ms = now_ms();
		n++;
	}
	closedir(d);
	return n;
}

static void *race_thread(void *arg)
{
	struct race_fd fds[RACE_MAX_FDS];
	struct dma_heap_ext_info info;
	int n = 0, i, major, last_major = -1;

	(void)arg;
	while (!race_stop) {
		major = dhe_major();
		if (major >= 0 && major != last_major) {
			race_make_nodes(major);
			last_major = major;
		}
		n = race_open_dir(RACE_DIR, fds, n);
		n = race_open_dir("/dev/dma_heap", fds, n);
		n = race_open_dir("/dev/dma_heap_ext", fds, n);
		for (i = 0; i < n; i++) {
			memset(&info, 0, sizeof(info));
			if (ioctl(fds[i].fd, DMA_HEAP_EXT_IOC_QUERY, &info) == 0)
				race_queries++;
		}
		/* held long enough to outlive any failure's window, then let go */
		for (i = 0; i < n; i++) {
			if (now_ms() - fds[i].opened_ms < RACE_HOLD_MS)
				continue;
			close(fds[i].fd);
			fds[i--] = fds[--n];
		}
		__atomic_add_fetch(&race_rounds, 1, __ATOMIC_RELAXED);
		usleep(5000);
	}
	for (i = 0; i < n; i++)
		close(fds[i].fd);
	return NULL;
}

static long meminfo_kb(const char *field)
{
	char line[128];
	long v = -1;
	size_t len = strlen(field);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

static long mem_available_kb(void)
{
	ht_run("sync; echo 3 > /proc/sys/vm/drop_caches");
	return meminfo_kb("MemAvailable");
}

/*
 * One load with @point's calls @nth.. @nth+@times-1 failing, a racer beside
 * it. MemAvailable after the unload against before the load: freed pages
 * sitting in the per-CPU lists are not counted free, which moves it by up to
 * ~30 MiB under emulation; a leaked carveout is 64 MiB by default.
 */
static void publish_race(const char *point, unsigned int nth, unsigned int times,
			 const char *extra_args)
{
	unsigned long rounds, opens, queries, before_load, during_load;
	long mem_before, mem_after;
	unsigned int calls, failed;
	pthread_t racer;
	int h, rc, loaded;

	mem_before = mem_available_kb();
	race_stop = 0;
	race_rounds = race_opens = race_queries = 0;
	if (!CHECK(pthread_create(&racer, NULL, race_thread, NULL) == 0, "start the racer"))
		return;
	before_load = __atomic_load_n(&race_rounds, __ATOMIC_RELAXED);
	rc = ht_run("insmod %s/dma_heap_ext.ko %s %s fault_point=%s fault_nth=%u fault_times=%u fault_delay_ms=%u 2>/dev/null",
		    kmod_dir, ht_kmod_args(), extra_args, point, nth, times, RACE_DELAY_MS);
	during_load = __atomic_load_n(&race_rounds, __ATOMIC_RELAXED) - before_load;
	/* the racer goes on past the load: a file it holds outlives it */
	usleep((RACE_HOLD_MS + 200) * 1000);
	loaded = ht_module_loaded();
	failed = 0;
	if (loaded)
		hits(&calls, &failed);
	race_stop = 1;
	pthread_join(racer, NULL);
	rounds = race_rounds;
	opens = race_opens;
	queries = race_queries;
	printf("# %s calls %u..%u failing: load %s; the racer's %lu rounds (%lu during the load) opened %lu, queried %lu\n",
	       point, nth, nth + times - 1, rc ? "failed" : "succeeded", rounds, during_load, opens,
	       queries);
	/*
	 * It raced the load: rounds while insmod ran, through the failing
	 * call's RACE_DELAY_MS wait. How many fit depends on the host's load
	 * (33 to 405 rounds in all were seen in one CI run), not on the module.
	 */
	CHECK(during_load >= 3, "%s calls %u..%u: the racer went round %lu times during the load (%lu in all, queried %lu)",
	      point, nth, nth + times - 1, during_load, rounds, queries);

	if (loaded) {
		CHECK(rc == 0 && failed > 0, "%s calls %u..%u fail at publish: the module loads without the heaps that failed (%u failed)",
		      point, nth, nth + times - 1, failed);
		CHECK(read_param_long("../refcnt") == 0,
		      "%s calls %u..%u: once the racer let go, nothing holds the module (refcnt %ld)",
		      point, nth, nth + times - 1, read_param_long("../refcnt"));
		for (h = 0; h < nheaps; h++)
			if (ht_heap_is_ours(heaps[h]))
				CHECK(ht_sysfs_u64(heaps[h], "buffers") == 0,
				      "%s calls %u..%u: %s accounts no buffer", point, nth, nth + times - 1,
				      heaps[h]);
		CHECK(heaps_work(), "%s calls %u..%u: every heap the module shows allocates", point, nth,
		      nth + times - 1);
		CHECK(unload() == 0 && nothing_left(), "%s calls %u..%u: unloads and leaves nothing behind",
		      point, nth, nth + times - 1);
	} else {
		CHECK(rc != 0 && nothing_left(), "%s calls %u..%u: the load fails and leaves nothing behind",
		      point, nth, nth + times - 1);
	}
	mem_after = mem_available_kb();
	CHECK(mem_after > mem_before - 40 * 1024,
	      "%s calls %u..%u: MemAvailable back within 40 MiB (%ld kB before the load, %ld kB after)",
	      point, nth, nth + times - 1, mem_before, mem_after);
}

static void walk_publish_race(void)
{
	char modprobe[256] = "";

	unload();
	/*
	 * Opening a minor nobody registered makes the kernel run modprobe
	 * for char-major-M-N (base_probe()): hundreds of milliseconds a time
	 * under emulation, longer than the window. No modprobe path, no run.
	 */
	ht_sysfs_read("/proc/sys/kernel/modprobe", modprobe, sizeof(modprobe));
	modprobe[strcspn(modprobe, "\n")] = 0;
	ht_sysfs_write("/proc/sys/kernel/modprobe", "\n");
	/* one heap left out, the load goes on; then every heap, the load fails */
	publish_race("cdev", 1, 1, "");
	publish_race("cdev", 2, 1, "");
	publish_race("cdev", 1, 16, "");
	publish_race("device", 1, 1, "");
	publish_race("device", 3, 1, "");
	/*
	 * The kernel's framework refusing every heap (7.x): the load fails,
	 * and nothing was ever added there, so nothing pins the module. One
	 * refused heap among accepted ones would pin it for good.
	 */
	if (!ht_run("modinfo %s/dma_heap_ext.ko | grep -q '^import_ns: *DMA_BUF_HEAP$'", kmod_dir))
		publish_race("kheap", 1, 16, "kernel_framework=1");
	ht_run("rm -rf " RACE_DIR);
	if (modprobe[0])
		ht_sysfs_write("/proc/sys/kernel/modprobe", modprobe);
}

/*
 * A device going away while the load walks the devices already there: the
 * walk waits before the test's platform device (tests/kernel/hint-device,
 * loaded at boot; fault_pause_at), which is unloaded meanwhile, its removal
 * notified before the walk takes it. No hint may outlive the device:
 * neither its files nor the reference on it, and the device back gets its
 * hint afresh (a stale one makes sysfs warn of a duplicate name, which
 * fails the run's kernel log). The device is the driver core's memory: a
 * module's static device (vivid's) would be freed under the walk's own
 * reference when its module goes.
 */
#define HINT_DEV "dhe_hint_device"
#define HINT_FILE "/sys/kernel/dma_heap_ext/hints/platform:" HINT_DEV
#define FACTS_DIR "/sys/kernel/dma_heap_ext/devices/platform:" HINT_DEV
#define HINT_PAUSE_MS 4000

/* 0 once @cmd succeeds, polled in the guest's shell, -1 after @seconds */
static int wait_for(const char *cmd, int seconds)
{
	return ht_run("i=0; while [ $i -lt %d ]; do { %s; } && exit 0; i=$((i + 1)); "
		      "sleep 0.1; done; exit 1", seconds * 10, cmd) == 0 ? 0 : -1;
}

static void hint_removal_race(void)
{
	char ko[512] = "", rc[16] = "";
	const char *kos = getenv("VM_EXTRA_KOS");
	const char *p = kos ? strstr(kos, HINT_DEV ".ko") : NULL;
	size_t start;

	if (!CHECK(p != NULL, "the test's device module is loaded (VM_EXTRA_KOS names "
		   HINT_DEV ".ko: vm-run --extra-kmod tests/kernel/hint-device)"))
		return;
	start = p - kos;
	while (start > 0 && kos[start - 1] != ' ')
		start--;
	snprintf(ko, sizeof(ko), "%.*s", (int)(p - kos - start) + (int)strlen(HINT_DEV ".ko"),
		 kos + start);

	unload();
	ht_run("rm -f /tmp/dhe-insmod.rc");
	if (!CHECK(ht_path_exists("/sys/bus/platform/devices/" HINT_DEV),
		   "the test's platform device is there"))
		return;
	ht_run("(insmod %s/dma_heap_ext.ko %s fault_pause_at=" HINT_DEV " fault_delay_ms=%d; "
	       "echo $? >/tmp/dhe-insmod.rc) >/dev/null 2>&1 &",
	       kmod_dir, ht_kmod_args(), HINT_PAUSE_MS);
	CHECK(wait_for("dmesg | grep -q 'fault injection: pausing [0-9]* ms before " HINT_DEV "'",
		       30) == 0, "the load's bus walk waits before " HINT_DEV);
	CHECK(ht_run("rmmod " HINT_DEV) == 0, "the device goes while the walk waits");
	if (wait_for("test -s /tmp/dhe-insmod.rc", 60) == 0)
		ht_sysfs_read("/tmp/dhe-insmod.rc", rc, sizeof(rc));
	rc[strcspn(rc, "\n")] = 0;
	CHECK(rc[0] && atoi(rc) == 0, "the module loads (insmod exit %s)", rc[0] ? rc : "none");
	CHECK(!ht_path_exists(HINT_FILE) && !ht_path_exists(FACTS_DIR),
	      "no hint and no facts of the removed device");
	CHECK(ht_run("insmod %s", ko) == 0 && ht_path_exists(HINT_FILE),
	      "the device back: its hint afresh");
	CHECK(ht_run("rmmod " HINT_DEV) == 0 && !ht_path_exists(HINT_FILE),
	      "the device gone: its hint too");
	ht_run("rm -f /tmp/dhe-insmod.rc; insmod %s", ko);
	CHECK(unload() == 0 && nothing_left(), "unloads, nothing left");
}

static int section(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

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
	heaps[3] = "default_cma_region";
	if (ht_heap_is_ours(heaps[3]))
		nheaps = 4;

	if (section(argc, argv, "load")) {
		printf("# == failure points at load\n");
		for (i = 0; i < sizeof(init_points) / sizeof(init_points[0]); i++)
			walk_init_point(init_points[i]);
	}
	if (section(argc, argv, "buffer"))
		walk_buffer_points(NULL);
	for (i = 1; i < (size_t)argc; i++)
		if (!strncmp(argv[i], "buffer:", 7))
			walk_buffer_points(argv[i] + 7);
	if (section(argc, argv, "publish")) {
		printf("# == publishing against a user\n");
		walk_publish_race();
	}
	if (section(argc, argv, "hint")) {
		printf("# == a device removed while the load walks the bus\n");
		hint_removal_race();
	}

	printf("# %d failure(s)\n", ht_failures);
	return ht_failures ? 1 : 0;
}
