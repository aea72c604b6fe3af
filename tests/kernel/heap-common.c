/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "heap-common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <xf86drm.h>

int ht_failures;

int ht_check(int cond, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond) {
		printf(" (failed: %s; errno %d %s)", what, errno, strerror(errno));
		ht_failures++;
	}
	printf("\n");
	fflush(stdout);
	return cond;
}

int ht_heap_is_ours(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/dma_heap_ext/%s", name);
	return stat(path, &st) == 0;
}

const char *ht_kmod_args(void)
{
	const char *args = getenv("VM_KMOD_ARGS");

	return args ? args : "";
}

/* "system" where the kernel has no system heap of its own, else "system-ext" */
const char *ht_system_heap_name(void)
{
	return ht_heap_is_ours("system") ? "system" : "system-ext";
}

int ht_open_heap(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

int ht_alloc(int heap_fd, uint64_t len, uint32_t fd_flags, int *fd)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = fd_flags,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		return -errno;
	*fd = data.fd;
	return 0;
}

int ht_alloc_name(const char *heap, uint64_t len, int *fd)
{
	int hfd = ht_open_heap(heap);
	int ret;

	if (hfd < 0)
		return -errno;
	ret = ht_alloc(hfd, len, O_RDWR | O_CLOEXEC, fd);
	close(hfd);
	return ret;
}

int ht_sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

int ht_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

uint64_t ht_sysfs_u64(const char *heap, const char *attr)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "/sys/class/dma_heap_ext/%s/%s", heap, attr);
	if (ht_sysfs_read(path, buf, sizeof(buf)) < 0) {
		fprintf(stderr, "# cannot read %s\n", path);
		return UINT64_MAX;
	}
	return strtoull(buf, NULL, 0);
}

int ht_all_zero(const void *p, size_t len)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

int ht_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	printf("# run: %s\n", cmd);
	fflush(stdout);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

double ht_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int ht_open_vgem(void)
{
	char path[64];
	int i, fd;

	for (i = 0; i < DRM_MAX_MINOR; i++) {
		drmVersionPtr v;
		int is_vgem;

		snprintf(path, sizeof(path), DRM_DEV_NAME, DRM_DIR_NAME, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		is_vgem = v && !strcmp(v->name, "vgem");
		drmFreeVersion(v);
		if (is_vgem)
			return fd;
		close(fd);
	}
	return -1;
}

const char *ht_extra_ko(const char *file)
{
	static char path[512];
	const char *kos = getenv("VM_EXTRA_KOS");
	const char *p = kos ? strstr(kos, file) : NULL;
	const char *start = p;

	if (!p)
		return NULL;
	while (start > kos && start[-1] != ' ')
		start--;
	snprintf(path, sizeof(path), "%.*s", (int)(p - start + strlen(file)), start);
	return path;
}

int ht_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int ht_module_loaded(void)
{
	return ht_path_exists("/sys/module/dma_heap_ext");
}
