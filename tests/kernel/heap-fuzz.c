/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bounded random-operation fuzzer for dma_heap_ext, seeded so that any
 * failure replays:
 *
 *   heap-fuzz [--seed N] [--seconds S] HEAP...
 *
 * For S seconds per heap (default 20) it draws operations at random:
 * allocations of random size, fd flags, heap flags and struct size; mmap at
 * random offsets, lengths and protections, reads and writes through them;
 * DMA_BUF_IOCTL_SYNC with random flags; fork (the child touches, closes and
 * exits); close and munmap in random order; PRIME import into vgem; the
 * query ioctl; pool parameter changes, valid and not; unload attempts. Each
 * answer is checked against what the UAPI promises (a valid request gets a
 * buffer or ENOMEM, an invalid one EINVAL; a new buffer reads zero; a mapping
 * past the end is refused; a read-only buffer maps read-only only; unload is
 * refused while anything is open), and at the end every heap's accounting
 * is back to zero. Prints the seed first; the kernel log is vm-run's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <xf86drm.h>
#include <linux/dma-heap-ext.h>
#include "heap-common.h"

/* Only failures are printed: a fuzzer's passes are too many to list. */
#define EXPECT(cond, ...) ((cond) ? 1 : CHECK(0, __VA_ARGS__))

#define MAX_BUFS 48
#define MAX_MAPS 64
#define PARAMS "/sys/module/dma_heap_ext/parameters/"

struct buf {
	int fd;
	uint64_t len;
	uint32_t mode;		/* O_RDWR, O_RDONLY, O_WRONLY */
};

struct map {
	void *addr;
	size_t len;
	int buf;		/* index into bufs when made, for messages */
};

static uint64_t rng;
static struct buf bufs[MAX_BUFS];
static int nbufs;
static struct map maps[MAX_MAPS];
static int nmaps;
static unsigned long ops[16];

/* O_RDONLY or O_RDWR; O_WRONLY and O_ACCMODE (3: no access) cannot read */
static int can_read(uint32_t mode)
{
	return mode == O_RDONLY || mode == O_RDWR;
}

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* Mostly sizes a pipeline asks for, sometimes odd or absurd ones. */
static uint64_t random_len(void)
{
	switch (below(10)) {
	case 0:
		return below(4096) + 1;
	case 1:
		return 0;
	case 2:
		return ~0ULL - below(8192);
	default:
		return (below(4096) + 1) << below(13);	/* up to 16 MiB */
	}
}

struct alloc_v0 {
	uint64_t len;
	uint32_t fd;
	uint32_t fd_flags;
};

struct alloc_v2 {
	struct dma_heap_allocation_data d;
	uint64_t future[2];
};

static void op_alloc(int hfd, const char *heap, uint64_t max)
{
	const uint32_t modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	uint32_t fd_flags = modes[below(3)] | (below(2) ? O_CLOEXEC : 0);
	uint64_t heap_flags = below(8) ? 0 : 1ULL << below(64);
	uint64_t len = random_len();
	int valid, ret, fd = -1, e;

	if (!below(8))
		fd_flags |= 1U << below(32);	/* maybe an invalid bit */
	valid = !(fd_flags & ~(O_CLOEXEC | O_ACCMODE)) && !heap_flags && len &&
		((len + 4095) & ~4095ULL) != 0;
	switch (below(3)) {
	case 0: {
		struct alloc_v0 a = { .len = len, .fd_flags = fd_flags };

		/* the old struct has no heap_flags: they are zero for the kernel */
		valid = !(fd_flags & ~(O_CLOEXEC | O_ACCMODE)) && len && ((len + 4095) & ~4095ULL);
		ret = ioctl(hfd, _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct alloc_v0), &a);
		fd = a.fd;
		break;
	}
	case 1: {
		struct dma_heap_allocation_data a = { .len = len, .fd_flags = fd_flags,
						      .heap_flags = heap_flags };

		ret = ioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &a);
		fd = a.fd;
		break;
	}
	default: {
		struct alloc_v2 a = { .d = { .len = len, .fd_flags = fd_flags,
					     .heap_flags = heap_flags } };

		a.future[0] = rnd();
		a.future[1] = rnd();
		ret = ioctl(hfd, _IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct alloc_v2), &a);
		fd = a.d.fd;
		break;
	}
	}
	e = errno;
	ops[0]++;
	if (ret == 0) {
		char probe;
		uint64_t real = (len + 4095) & ~4095ULL;
		void *m;

		if (!EXPECT(valid, "%s: alloc len %" PRIu64 " fd_flags 0x%x heap_flags 0x%" PRIx64
			   " is invalid yet succeeded", heap, len, fd_flags, heap_flags)) {
			close(fd);
			return;
		}
		if (nbufs == MAX_BUFS || real > max) {
			EXPECT(real <= max || max == 0, "%s: %" PRIu64 " bytes beyond max_size %" PRIu64
			      " succeeded", heap, real, max);
			close(fd);
			return;
		}
		/* a new buffer reads zero, here at a random page */
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
			 (off_t)(below(real / 4096) * 4096));
		if (!can_read(fd_flags & O_ACCMODE)) {
			/* a write-only (or O_ACCMODE, no access) dma-buf cannot be mapped */
			EXPECT(m == MAP_FAILED, "%s: fd mode %u buffer mapped readable", heap,
			       fd_flags & O_ACCMODE);
		} else if (EXPECT(m != MAP_FAILED, "%s: map a page of a new %" PRIu64 "-byte buffer (%s)",
				 heap, real, strerror(errno))) {
			memcpy(&probe, m, 1);
			EXPECT(ht_all_zero(m, 4096), "%s: a new buffer reads zero", heap);
			munmap(m, 4096);
		}
		bufs[nbufs].fd = fd;
		bufs[nbufs].len = real;
		bufs[nbufs].mode = fd_flags & O_ACCMODE;
		nbufs++;
		return;
	}
	if (valid)
		EXPECT(e == ENOMEM, "%s: a valid alloc of %" PRIu64 " bytes fails with %s, not ENOMEM",
		      heap, len, strerror(e));
	else
		EXPECT(e == EINVAL || (e == ENOMEM && len > (1ULL << 40)),
		      "%s: an invalid alloc (len %" PRIu64 ", fd_flags 0x%x, heap_flags 0x%" PRIx64
		      ") fails with %s, not EINVAL", heap, len, fd_flags, heap_flags, strerror(e));
}

static void op_mmap(const char *heap)
{
	struct buf *b;
	uint64_t pages, off, len;
	int prot, shared, inside, e;
	void *m;

	if (!nbufs || nmaps == MAX_MAPS)
		return;
	ops[1]++;
	b = &bufs[below(nbufs)];
	pages = b->len / 4096;
	off = below(pages + 2);
	len = (below(pages + 1) + 1) * 4096;
	prot = below(4) == 0 ? PROT_READ : PROT_READ | PROT_WRITE;
	shared = below(4) != 0;
	inside = off * 4096 + len <= b->len;
	m = mmap(NULL, len, prot, shared ? MAP_SHARED : MAP_PRIVATE, b->fd, (off_t)(off * 4096));
	e = errno;
	if (!inside) {
		EXPECT(m == MAP_FAILED, "%s: mmap of %" PRIu64 " at page %" PRIu64 " of a %" PRIu64
		      "-byte buffer (past the end) refused", heap, len, off, b->len);
		if (m != MAP_FAILED)
			munmap(m, len);
		return;
	}
	/* any mapping needs read access; a shared writable one write access */
	if (!can_read(b->mode) || (b->mode == O_RDONLY && (prot & PROT_WRITE) && shared)) {
		EXPECT(m == MAP_FAILED, "%s: a buffer of fd mode %u refuses a %s %s mapping", heap,
		      b->mode, shared ? "shared" : "private",
		      prot & PROT_WRITE ? "writable" : "readable");
		if (m != MAP_FAILED)
			munmap(m, len);
		return;
	}
	/* private mappings: refused up front, as upstream's cma_heap does */
	if (!shared) {
		EXPECT(m == MAP_FAILED && e == EINVAL, "%s: a private mapping of %" PRIu64 " at page %"
		       PRIu64 " of %" PRIu64 " is refused with EINVAL (%s)", heap, len, off, b->len,
		       m == MAP_FAILED ? strerror(e) : "mapped");
		if (m != MAP_FAILED)
			munmap(m, len);
		return;
	}
	if (!EXPECT(m != MAP_FAILED, "%s: mmap of %" PRIu64 " at page %" PRIu64 " of %" PRIu64 " (%s)",
		   heap, len, off, b->len, strerror(errno)))
		return;
	/* touch first and last page */
	if (prot & PROT_WRITE) {
		((volatile char *)m)[0] = (char)rnd();
		((volatile char *)m)[len - 1] = (char)rnd();
	} else {
		(void)((volatile char *)m)[len - 1];
	}
	maps[nmaps].addr = m;
	maps[nmaps].len = len;
	maps[nmaps].buf = (int)(b - bufs);
	nmaps++;
}

static void op_munmap(void)
{
	int i;

	if (!nmaps)
		return;
	ops[2]++;
	i = (int)below(nmaps);
	munmap(maps[i].addr, maps[i].len);
	maps[i] = maps[--nmaps];
}

static void op_sync(const char *heap)
{
	const uint64_t valid[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	struct dma_buf_sync s;
	int bad, ret;

	if (!nbufs)
		return;
	ops[3]++;
	bad = !below(6);
	s.flags = bad ? (1ULL << (below(60) + 3)) : valid[below(6)];
	ret = ioctl(bufs[below(nbufs)].fd, DMA_BUF_IOCTL_SYNC, &s);
	if (bad)
		EXPECT(ret < 0 && errno == EINVAL, "%s: SYNC with flags 0x%llx -> EINVAL", heap,
		      (unsigned long long)s.flags);
	else
		EXPECT(ret == 0, "%s: SYNC 0x%llx (%s)", heap, (unsigned long long)s.flags, strerror(errno));
}

static void op_close(void)
{
	int i;

	if (!nbufs)
		return;
	ops[4]++;
	i = (int)below(nbufs);
	close(bufs[i].fd);
	bufs[i] = bufs[--nbufs];
}

static void op_fork(void)
{
	pid_t pid;
	int i, status;

	ops[5]++;
	pid = fork();
	if (pid == 0) {
		/* touch a mapping, close half the fds, exit with the rest open */
		if (nmaps)
			(void)((volatile char *)maps[0].addr)[0];
		for (i = 0; i < nbufs; i += 2)
			close(bufs[i].fd);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static void op_vgem(int vgem, const char *heap)
{
	uint32_t handle;

	if (!nbufs || vgem < 0)
		return;
	ops[6]++;
	if (EXPECT(drmPrimeFDToHandle(vgem, bufs[below(nbufs)].fd, &handle) == 0,
		  "%s: vgem PRIME import (%s)", heap, strerror(errno)))
		drmCloseBufferHandle(vgem, handle);
}

static void op_query(int hfd, const char *heap)
{
	struct dma_heap_ext_info info;

	ops[7]++;
	memset(&info, 0xff, sizeof(info));
	EXPECT(ioctl(hfd, DMA_HEAP_EXT_IOC_QUERY, &info) == 0 && info.buffers >= (uint64_t)nbufs &&
	      info.reserved[0] == 0, "%s: query (%s), %" PRIu64 " buffers live >= our %d", heap,
	      strerror(errno), (uint64_t)info.buffers, nbufs);
}

static void op_param(const char *heap)
{
	char val[32];
	int bad = !below(4), ret;

	ops[8]++;
	if (below(2)) {
		snprintf(val, sizeof(val), "%s", bad ? "maybe" : below(2) ? "1" : "0");
		ret = ht_sysfs_write(PARAMS "pool_enable", val);
	} else {
		if (bad)
			snprintf(val, sizeof(val), "-%u", (unsigned int)below(100) + 1);
		else
			snprintf(val, sizeof(val), "%u", (unsigned int)below(129));
		ret = ht_sysfs_write(PARAMS "pool_max_mb", val);
	}
	EXPECT(bad ? ret != 0 : ret == 0, "%s: parameter write '%s' %s", heap, val,
	      bad ? "refused" : "taken");
}

static void op_unload(const char *heap)
{
	ops[9]++;
	/* a heap fd is open: the module is busy */
	EXPECT(syscall(SYS_delete_module, "dma_heap_ext", O_NONBLOCK) != 0 &&
	      (errno == EBUSY || errno == EWOULDBLOCK), "%s: unload refused while in use (%s)", heap,
	      strerror(errno));
}

static void fuzz_heap(const char *heap, double seconds, int vgem)
{
	double end = ht_now_us() + seconds * 1e6;
	uint64_t max = ht_sysfs_u64(heap, "max_size");
	int hfd = ht_open_heap(heap);
	unsigned long n = 0;
	int failures = ht_failures;

	if (!CHECK(hfd >= 0, "%s: open", heap))
		return;
	memset(ops, 0, sizeof(ops));
	while (ht_now_us() < end && ht_failures - failures < 10) {
		switch (below(20)) {
		case 0: case 1: case 2: case 3: case 4:
			op_alloc(hfd, heap, max);
			break;
		case 5: case 6: case 7:
			op_mmap(heap);
			break;
		case 8: case 9:
			op_munmap();
			break;
		case 10: case 11:
			op_sync(heap);
			break;
		case 12: case 13: case 14:
			op_close();
			break;
		case 15:
			if (!below(4))
				op_fork();
			break;
		case 16:
			op_vgem(vgem, heap);
			break;
		case 17:
			op_query(hfd, heap);
			break;
		case 18:
			op_param(heap);
			break;
		default:
			if (!below(8))
				op_unload(heap);
			break;
		}
		n++;
	}
	while (nmaps)
		op_munmap();
	while (nbufs)
		op_close();
	close(hfd);
	ht_sysfs_write(PARAMS "pool_enable", "1");
	ht_sysfs_write(PARAMS "pool_max_mb", "64");
	printf("# %s: %lu operations in %.0f s: alloc %lu mmap %lu munmap %lu sync %lu close %lu fork %lu "
	       "vgem %lu query %lu param %lu unload %lu\n", heap, n, seconds, ops[0], ops[1], ops[2],
	       ops[3], ops[4], ops[5], ops[6], ops[7], ops[8], ops[9]);
	CHECK(ht_sysfs_u64(heap, "buffers") == 0 && ht_sysfs_u64(heap, "bytes") == 0,
	      "%s: accounting back to zero after %lu operations", heap, n);
}

int main(int argc, char **argv)
{
	double seconds = 20;
	uint64_t seed = 0;
	int i = 1, vgem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else {
			fprintf(stderr, "usage: heap-fuzz [--seed N] [--seconds S] HEAP...\n");
			return 2;
		}
	}
	if (i == argc) {
		fprintf(stderr, "heap-fuzz: name at least one heap\n");
		return 2;
	}
	if (!seed)
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	printf("# heap-fuzz seed %" PRIu64 " (replay: heap-fuzz --seed %" PRIu64 " --seconds %.0f ...)\n",
	       seed, seed, seconds);
	signal(SIGPIPE, SIG_IGN);
	vgem = ht_open_vgem();
	CHECK(vgem >= 0, "vgem card for PRIME imports");
	for (; i < argc; i++) {
		rng = seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)i);
		if (!rng)
			rng = 1;
		fuzz_heap(argv[i], seconds, vgem);
	}
	if (vgem >= 0)
		close(vgem);
	printf("# %d failure(s); seed %" PRIu64 "\n", ht_failures, seed);
	return ht_failures ? 1 : 0;
}
