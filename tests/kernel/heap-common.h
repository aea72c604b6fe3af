/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the dma_heap_ext tests and benchmark (plain C, libc). */
#pragma once

#include <stddef.h>
#include <stdint.h>

extern int ht_failures;

/* Print "ok"/"not ok" for one check; returns cond. */
int ht_check(int cond, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define CHECK(cond, ...) ht_check(!!(cond), #cond, __VA_ARGS__)

const char *ht_system_heap_name(void);
/* the parameters vm-run loaded dma_heap_ext with (--kmod-args), for reloads */
const char *ht_kmod_args(void);
int ht_heap_is_ours(const char *name);
int ht_open_heap(const char *name);
/* returns 0 or -errno; *fd set on success */
int ht_alloc(int heap_fd, uint64_t len, uint32_t fd_flags, int *fd);
int ht_alloc_name(const char *heap, uint64_t len, int *fd);
uint64_t ht_sysfs_u64(const char *heap, const char *attr);
int ht_sysfs_read(const char *path, char *buf, size_t len);
int ht_sysfs_write(const char *path, const char *val);
int ht_all_zero(const void *p, size_t len);
int ht_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double ht_now_us(void);
/* a vgem card (an importer for PRIME), or -1 */
int ht_open_vgem(void);
int ht_path_exists(const char *path);
/* dma_heap_ext is loaded (/sys/module/dma_heap_ext) */
int ht_module_loaded(void);
/* the path of a module vm-run --extra-kmod built (VM_EXTRA_KOS), or NULL */
const char *ht_extra_ko(const char *file);
