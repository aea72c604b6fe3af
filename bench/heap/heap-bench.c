/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation latency of dma-buf heaps: alloc + close at 4 KiB, 1 MiB, 8 MiB
 * and 32 MiB for dma_heap_ext's system heap without and with its page pool,
 * the kernel's own system heap (where it has one), udmabuf (memfd +
 * UDMABUF_CREATE) and a memset of the same size (the bandwidth floor).
 * Prints median and p99 in microseconds and the ratios against the kernel's
 * heap. A second table repeats the heaps with an mmap/munmap of the buffer
 * in between, which makes our pooled pages need zeroing (off the path).
 *
 * Run as root inside the VM (tools/vm/vm-run): it toggles the pool through
 * /sys/module/dma_heap_ext/parameters/pool_enable.
 *
 *   heap-bench [-a] [-t] [-p HZ] [-n ITERATIONS] [-m MAP_ITERATIONS]
 *              [-s KIB,KIB...] [-w WARMUP] [-b MIB[,ROUNDS]]
 *
 * -a: also time the kernel's heap a second time (noise reference);
 * -t: the second table writes every page of the mapping (what a producer
 *     does with a frame) before unmapping;
 * -p: pace the allocations at HZ per second (30: a pipeline's frame rate),
 *     the time between them left to the heap's background work;
 * -n: iterations of alloc + close per size and method (default 1000; 0
 *     skips that table);
 * -m: of alloc + mmap + munmap + close (default 200; 0 skips that table);
 * -s: sizes in KiB (default 4,1024,8192,32768);
 * -b: one buffer of MIB, mmap'ed and every page written, ours (no pool)
 *     against the kernel's heap, ROUNDS times (default 3) interleaved:
 *     where the kernel maps page by page at fault time (6.12) and where it
 *     maps whole chunks at mmap time (6.19+, 7.3), as ours does everywhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#define POOL_ENABLE "/sys/module/dma_heap_ext/parameters/pool_enable"
#define POOL_MAX_MB "/sys/module/dma_heap_ext/parameters/pool_max_mb"

enum method { OURS_NOPOOL, OURS_POOL, KERNEL, KERNEL_AGAIN, UDMABUF, MEMSET, N_METHODS };

static const char *method_names[N_METHODS] = {
	"ext no pool", "ext pool", "kernel heap", "kernel heap again", "udmabuf", "memset",
};

/*
 * -a: time the kernel's heap twice, as two methods, for a noise reference:
 * how far apart two identical methods land in the same run.
 */
static int aa_reference;

struct stat_result {
	double median, p99;
	int valid;
};

static int iterations = 1000, warmup = 20, map_iterations = 200;
/* -t: write every page while mapped; -p: microseconds between allocations */
static int touch_pages;
static double pace_us, next_slot_us;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int heap_alloc(int hfd, size_t len)
{
	struct dma_heap_allocation_data d = { .len = len, .fd_flags = O_RDWR | O_CLOEXEC };

	if (ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d) < 0)
		return -1;
	return d.fd;
}

static int udmabuf_alloc(int dev, size_t len)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = len };
	int memfd, fd;

	memfd = memfd_create("bench", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0)
		return -1;
	if (ftruncate(memfd, len) < 0 || fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		close(memfd);
		return -1;
	}
	c.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(memfd);
	return fd;
}

/* Write one word in every page of @p. */
static void touch(volatile uint8_t *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += 4096)
		p[off] = (uint8_t)off | 1;
}

/* -p: wait for the next slot of the pace; the wait is not timed. */
static void pace(void)
{
	double now;

	if (pace_us <= 0)
		return;
	now = now_us();
	if (now < next_slot_us) {
		usleep((useconds_t)(next_slot_us - now));
		now = now_us();
	}
	next_slot_us = (next_slot_us > now ? next_slot_us : now) + pace_us;
}

/* One timed alloc (+ optional map) + close; returns µs or -1. */
static double one(enum method m, int fd_src, size_t len, int map, void *scratch)
{
	double t0;
	int fd;

	pace();
	t0 = now_us();

	if (m == MEMSET) {
		memset(scratch, 0, len);
		__asm__ volatile("" : : "r"(scratch) : "memory");
		return now_us() - t0;
	}
	fd = m == UDMABUF ? udmabuf_alloc(fd_src, len) : heap_alloc(fd_src, len);
	if (fd < 0)
		return -1;
	if (map) {
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED) {
			close(fd);
			return -1;
		}
		if (touch_pages)
			touch(p, len);
		munmap(p, len);
	}
	close(fd);
	return now_us() - t0;
}

static struct stat_result summarize(double *t)
{
	struct stat_result r = { 0 };
	int p99 = (int)(iterations * 0.99);

	qsort(t, iterations, sizeof(*t), cmp_double);
	r.median = t[iterations / 2];
	r.p99 = t[p99 < iterations ? p99 : iterations - 1];
	r.valid = 1;
	return r;
}

/*
 * Time the methods in @ms interleaved, one iteration of each in turn, so
 * that the load of a shared host hits them alike.
 */
static void run_interleaved(const enum method *ms, int n, const int *fd_src,
			    size_t len, int map, struct stat_result *out)
{
	double *t[N_METHODS] = { 0 };
	int failed[N_METHODS] = { 0 };
	void *scratch = malloc(len);
	unsigned int seed = 1;
	int i, j, k;

	memset(scratch, 1, len);
	for (j = 0; j < n; j++)
		t[j] = calloc(iterations, sizeof(double));

	for (i = -warmup; i < iterations; i++) {
		int order[N_METHODS];

		/*
		 * In a new random order each time: under TCG what ran just
		 * before matters (a 32 MiB memset leaves the host's caches
		 * cold), so no method may always follow the same one.
		 */
		for (k = 0; k < n; k++)
			order[k] = k;
		for (k = n - 1; k > 0; k--) {
			int r = rand_r(&seed) % (k + 1), tmp = order[k];

			order[k] = order[r];
			order[r] = tmp;
		}
		for (k = 0; k < n; k++) {
			double us;

			j = order[k];
			if (failed[j])
				continue;
			us = one(ms[j], fd_src[j], len, map, scratch);
			if (us < 0)
				failed[j] = 1;
			else if (i >= 0)
				t[j][i] = us;
		}
	}
	for (j = 0; j < n; j++) {
		out[ms[j]] = failed[j] ? (struct stat_result){ 0 } : summarize(t[j]);
		free(t[j]);
	}
	free(scratch);
}

static int is_ours(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/dma_heap_ext/%s", name);
	return stat(path, &st) == 0;
}

static void print_cell(struct stat_result r)
{
	if (r.valid)
		printf(" %9.1f %9.1f |", r.median, r.p99);
	else
		printf(" %9s %9s |", "n/a", "n/a");
}

static int shown(enum method m, int map)
{
	if (m == KERNEL_AGAIN)
		return aa_reference;
	return !(map && (m == UDMABUF || m == MEMSET));
}

static void print_ratio(struct stat_result a, struct stat_result k)
{
	if (a.valid && k.valid && k.median > 0)
		printf(" %6.2fx", a.median / k.median);
	else
		printf(" %7s", "n/a");
}

static size_t sizes[8] = { 4096, 1 << 20, 8 << 20, 32 << 20 };
static size_t n_sizes = 4;

static void table(int map, int ours, int kernel, int udma)
{
	struct stat_result r[N_METHODS];
	double t0;
	size_t s;
	int m;

	printf("\n%s: median and p99 in microseconds, %d iterations (+%d warm-up)%s\n",
	       map ? (touch_pages ? "alloc + mmap + write every page + munmap + close" :
		      "alloc + mmap + munmap + close") : "alloc + close", iterations, warmup,
	       pace_us > 0 ? ", paced" : "");
	if (pace_us > 0)
		printf("(one allocation every %.1f ms; an allocation that takes longer delays the next)\n",
		       pace_us / 1e3);
	printf("%-7s |", "size");
	for (m = 0; m < N_METHODS; m++)
		if (shown(m, map))
			printf(" %-19s |", method_names[m]);
	printf(" nopool/k  pool/k%s\n", aa_reference ? "  again/k" : "");

	for (s = 0; s < n_sizes; s++) {
		size_t len = sizes[s];
		enum method ms[N_METHODS];
		int fds[N_METHODS], n = 0;

		memset(r, 0, sizeof(r));
		t0 = now_us();
		/* pool off: our heap against the others, interleaved */
		write_str(POOL_ENABLE, "0");
		ms[n] = OURS_NOPOOL;
		fds[n++] = ours;
		if (kernel >= 0) {
			ms[n] = KERNEL;
			fds[n++] = kernel;
		}
		if (kernel >= 0 && aa_reference) {
			ms[n] = KERNEL_AGAIN;
			fds[n++] = kernel;
		}
		if (!map && udma >= 0) {
			ms[n] = UDMABUF;
			fds[n++] = udma;
		}
		if (!map) {
			ms[n] = MEMSET;
			fds[n++] = -1;
		}
		run_interleaved(ms, n, fds, len, map, r);
		/* pool on: alone, as toggling the pool empties it */
		write_str(POOL_ENABLE, "1");
		ms[0] = OURS_POOL;
		fds[0] = ours;
		run_interleaved(ms, 1, fds, len, map, r);

		if (len >= 1 << 20)
			printf("%4zu MiB|", len >> 20);
		else
			printf("%4zu KiB|", len >> 10);
		for (m = 0; m < N_METHODS; m++)
			if (shown(m, map))
				print_cell(r[m]);
		print_ratio(r[OURS_NOPOOL], r[KERNEL]);
		print_ratio(r[OURS_POOL], r[KERNEL]);
		if (aa_reference)
			print_ratio(r[KERNEL_AGAIN], r[KERNEL]);
		printf("   (%.0f s)\n", (now_us() - t0) / 1e6);
		fflush(stdout);
	}
}

/*
 * -b: alloc, then mmap + write every page, then munmap + close of one large
 * buffer, ours (pool off: the buffer would not fit anyway) and the kernel's,
 * in turn; medians of @rounds in milliseconds.
 */
static void big_buffer(int ours, int kernel, size_t len, int rounds)
{
	int fds[2] = { ours, kernel }, n = kernel >= 0 ? 2 : 1, i, j, m;
	/* per heap: alloc, mmap, write every page, munmap + close */
	double t[2][4][16];
	const char *names[2] = { "ext", "kernel heap" };

	if (rounds > 16)
		rounds = 16;
	write_str(POOL_ENABLE, "0");
	printf("\n%zu MiB buffer: alloc / mmap / write every page / munmap + close, median of %d, ms\n",
	       len >> 20, rounds);
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < n; j++) {
			int k = (i & 1) ? n - 1 - j : j;
			double t0 = now_us(), t1, t2, t3;
			int fd = heap_alloc(fds[k], len);
			void *p;

			if (fd < 0) {
				printf("%s: allocation of %zu MiB failed: %s\n", names[k], len >> 20,
				       strerror(errno));
				return;
			}
			t1 = now_us();
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED) {
				printf("%s: mmap failed: %s\n", names[k], strerror(errno));
				close(fd);
				return;
			}
			t2 = now_us();
			touch(p, len);
			t3 = now_us();
			munmap(p, len);
			close(fd);
			t[k][0][i] = (t1 - t0) / 1e3;
			t[k][1][i] = (t2 - t1) / 1e3;
			t[k][2][i] = (t3 - t2) / 1e3;
			t[k][3][i] = (now_us() - t3) / 1e3;
		}
	}
	printf("%-12s | %10s | %10s | %16s | %14s | %18s\n", "heap", "alloc", "mmap", "write every page",
	       "munmap + close", "mmap + write pages");
	m = rounds / 2;
	for (j = 0; j < n; j++) {
		double both[16];

		for (i = 0; i < rounds; i++)
			both[i] = t[j][1][i] + t[j][2][i];
		for (i = 0; i < 4; i++)
			qsort(t[j][i], rounds, sizeof(double), cmp_double);
		qsort(both, rounds, sizeof(double), cmp_double);
		printf("%-12s | %10.1f | %10.1f | %16.1f | %14.1f | %18.1f\n", names[j], t[j][0][m],
		       t[j][1][m], t[j][2][m], t[j][3][m], both[m]);
		t[j][0][0] = both[m];	/* kept for the ratio */
	}
	if (n == 2)
		printf("ext / kernel heap: mmap %.3fx, mmap + write every page %.3fx\n",
		       t[0][1][m] / t[1][1][m], t[0][0][0] / t[1][0][0]);
	write_str(POOL_ENABLE, "1");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *sys = is_ours("system") ? "system" : "system-ext";
	char path[128];
	int opt, ours, kernel = -1, udma, big_rounds = 3;
	size_t big = 0;

	while ((opt = getopt(argc, argv, "ab:tp:n:m:s:w:")) != -1) {
		if (opt == 'a') {
			aa_reference = 1;
		} else if (opt == 'b') {
			char *rounds = strchr(optarg, ',');

			big = strtoull(optarg, NULL, 0) << 20;
			if (rounds)
				big_rounds = atoi(rounds + 1);
		} else if (opt == 't') {
			touch_pages = 1;
		} else if (opt == 'p') {
			double hz = atof(optarg);

			pace_us = hz > 0 ? 1e6 / hz : -1;
		} else if (opt == 's') {
			char *tok = strtok(optarg, ",");

			for (n_sizes = 0; tok && n_sizes < 8; tok = strtok(NULL, ","))
				sizes[n_sizes++] = strtoull(tok, NULL, 0) << 10;
		} else if (opt == 'n')
			iterations = atoi(optarg);
		else if (opt == 'm')
			map_iterations = atoi(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else {
			fprintf(stderr, "usage: %s [-a] [-t] [-p HZ] [-n ITERATIONS] [-m MAP_ITERATIONS] [-s KIB,KIB...] [-w WARMUP] [-b MIB[,ROUNDS]]\n",
				argv[0]);
			return 2;
		}
	}
	if (iterations < 0 || map_iterations < 0 || warmup < 0 || pace_us < 0 || big_rounds < 1 ||
	    (big && big >> 20 == 0)) {
		fprintf(stderr, "bad iteration counts, pace, rounds or buffer size: all must be positive (-n and -m may be 0)\n");
		return 2;
	}

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", sys);
	ours = open(path, O_RDONLY | O_CLOEXEC);
	if (ours < 0 || write_str(POOL_ENABLE, "1") < 0) {
		fprintf(stderr, "needs dma_heap_ext loaded and root (run in tools/vm/vm-run): %s\n",
			strerror(errno));
		return 77;
	}
	write_str(POOL_MAX_MB, "128");
	if (!is_ours("system"))
		kernel = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	udma = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);

	printf("dma-buf heap allocation latency; ours: /dev/dma_heap/%s; kernel heap: %s; udmabuf: %s\n",
	       sys, kernel >= 0 ? "/dev/dma_heap/system" : "absent",
	       udma >= 0 ? "/dev/udmabuf" : "absent");
	printf("ratios: median of ours / median of the kernel's system heap (pool_max_mb=128)\n");
	if (big)
		big_buffer(ours, kernel, big, big_rounds);
	if (iterations > 0)
		table(0, ours, kernel, udma);
	if (map_iterations > 0) {
		iterations = map_iterations;
		table(1, ours, kernel, udma);
	}

	write_str(POOL_MAX_MB, "64");
	return 0;
}
