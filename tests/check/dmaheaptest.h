/* GStreamer dma-buf heap support: helpers shared by the check tests
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/dmaheap/dmaheap.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* meson's "skipped" exit status */
#define DMAHEAP_TEST_SKIP 77

/* Set (to 1) by the VM suite: there a missing heap or device is a failure,
 * not a reason to skip. */
#define DMAHEAP_TEST_REQUIRE_ENV "DMAHEAP_TEST_REQUIRE"

static inline gboolean
dmaheap_test_required (void)
{
  const gchar *req = g_getenv (DMAHEAP_TEST_REQUIRE_ENV);

  return req && g_str_equal (req, "1");
}

/* Exits with SKIP (77), or with failure where things are required, saying
 * why. */
static inline void
dmaheap_test_skip_or_fail (const gchar * what)
{
  if (dmaheap_test_required ()) {
    g_printerr ("FAIL: %s (and %s=1 forbids skipping)\n", what,
        DMAHEAP_TEST_REQUIRE_ENV);
    exit (EXIT_FAILURE);
  }
  g_print ("SKIP: %s\n", what);
  exit (DMAHEAP_TEST_SKIP);
}

/* libcheck has no per-test skip. A test that cannot run here (@missing
 * says why; NULL when it can) is left out of the suite and says SKIP with
 * the reason, so it is never counted as passed; where nothing may be
 * missing (DMAHEAP_TEST_REQUIRE=1) it is added all the same and fails on
 * what it lacks. Use instead of tcase_add_test(). */
#define dmaheap_test_add_test_unless(tc, tf, missing) \
    dmaheap_test_add_test_named ((tc), (tf), "" #tf "", (missing))

static inline void
dmaheap_test_add_test_named (TCase * tc, TFun tf, const gchar * name,
    const gchar * missing)
{
  if (missing && !dmaheap_test_required ()) {
    g_print ("# SKIP %s: %s\n", name, missing);
    return;
  }
  if (missing)
    g_print ("# %s: %s; run all the same, to fail (%s=1 forbids "
        "skipping)\n", name, missing, DMAHEAP_TEST_REQUIRE_ENV);
  _tcase_add_test (tc, tf, name, 0, 0, 0, 1);
}

/* Open file descriptors of this process. */
static inline guint
dmaheap_test_count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert (dir);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);

  /* minus the directory's own fd */
  return n - 1;
}

/* "fd -> target" of every open fd, one per line, for messages. */
static inline gchar *
dmaheap_test_describe_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  GString *s = g_string_new (NULL);
  const gchar *entry;

  g_assert (dir);
  while ((entry = g_dir_read_name (dir))) {
    gchar *path = g_build_filename ("/proc/self/fd", entry, NULL);
    gchar *target = g_file_read_link (path, NULL);

    g_string_append_printf (s, "  %s -> %s\n", entry, GST_STR_NULL (target));
    g_free (target);
    g_free (path);
  }
  g_dir_close (dir);

  return g_string_free (s, FALSE);
}

/* Fails, listing the open fds, unless @expected fds are open. */
#define dmaheap_test_assert_fds(expected) G_STMT_START {                  \
  guint _n = dmaheap_test_count_fds ();                                   \
  if (_n != (guint) (expected)) {                                         \
    gchar *_fds = dmaheap_test_describe_fds ();                           \
    fail ("%u fds open, expected %u:\n%s", _n, (guint) (expected), _fds); \
  }                                                                       \
} G_STMT_END

/* Names of the heaps in /dev/dma_heap that can allocate a page, or NULL
 * when none can. */
static inline GPtrArray *
dmaheap_test_usable_heaps (void)
{
  GPtrArray *heaps = gst_dma_heap_list (NULL);
  GPtrArray *usable;
  guint i;

  if (!heaps)
    return NULL;

  usable = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < heaps->len; i++) {
    const GstDmaHeapInfo *info = g_ptr_array_index (heaps, i);
    GstAllocator *alloc;
    GstMemory *mem;

    if (info->flags & GST_DMA_HEAP_FLAG_PROTECTED)
      continue;
    alloc = gst_dma_heap_allocator_get (info->name, NULL);
    if (!alloc)
      continue;
    mem = gst_allocator_alloc (alloc, 4096, NULL);
    if (mem) {
      g_ptr_array_add (usable, g_strdup (info->name));
      gst_memory_unref (mem);
    }
    gst_object_unref (alloc);
  }
  g_ptr_array_unref (heaps);

  if (usable->len == 0) {
    g_ptr_array_unref (usable);
    return NULL;
  }

  return usable;
}

/* Skips (or fails, in the VM) unless a heap can allocate; returns the
 * usable heaps. Call after gst_check_init(). */
static inline GPtrArray *
dmaheap_test_require_heaps (void)
{
  GPtrArray *heaps = dmaheap_test_usable_heaps ();
  gchar *names;

  if (!heaps) {
    gchar *what = g_strdup_printf ("no usable dma-buf heap in %s",
        gst_dma_heap_get_dir ());
    dmaheap_test_skip_or_fail (what);
  }

  g_ptr_array_add (heaps, NULL);
  names = g_strjoinv (", ", (gchar **) heaps->pdata);
  g_ptr_array_remove_index (heaps, heaps->len - 1);
  g_print ("heaps: %s\n", names);
  g_free (names);

  return heaps;
}

/* The first heap of @list that says how much memory it has (a carveout:
 * total and free bytes, and its largest free extent as max_size), or NULL.
 * Tests of running out take their premises from these figures, never from
 * how the heap's memory happens to lie. */
static inline const GstDmaHeapInfo *
dmaheap_test_find_bounded_heap (GPtrArray * list)
{
  guint i;

  for (i = 0; list && i < list->len; i++) {
    const GstDmaHeapInfo *info = g_ptr_array_index (list, i);

    if (info->queried && info->total_bytes > 0)
      return info;
  }
  return NULL;
}

#define DMAHEAP_TEST_NO_BOUNDED_HEAP "no heap here says how much memory it " \
  "has (a bounded heap: dma_heap_ext's contiguous carveout, contig_size_mb)"

/* For dmaheap_test_add_test_unless(): NULL when a bounded heap exists. */
static inline const gchar *
dmaheap_test_bounded_heap_missing (void)
{
  GPtrArray *list = gst_dma_heap_list (NULL);
  const GstDmaHeapInfo *bounded = dmaheap_test_find_bounded_heap (list);

  if (bounded) {
    gchar *desc = gst_dma_heap_info_to_string (bounded);

    g_print ("# bounded heap: %s\n", desc);
    g_free (desc);
  }
  if (list)
    g_ptr_array_unref (list);

  return bounded ? NULL : DMAHEAP_TEST_NO_BOUNDED_HEAP;
}

/* The heap's figures now, asked afresh; fails the test when it cannot. */
static inline GstDmaHeapInfo *
dmaheap_test_query (const gchar * heap)
{
  GError *error = NULL;
  GstDmaHeapInfo *info = gst_dma_heap_info_query (heap, &error);

  fail_unless (info != NULL, "querying %s: %s", heap,
      error ? error->message : "?");
  fail_unless (info->queried && info->total_bytes > 0,
      "%s no longer says how much memory it has", heap);

  return info;
}

/* A bounded heap's figures at the start of a test; fails the test (as it
 * must in the VM, where dma_heap_ext's carveout always exists) when there
 * is none. Free with gst_dma_heap_info_free(). */
static inline GstDmaHeapInfo *
dmaheap_test_require_bounded_heap (void)
{
  GPtrArray *list = gst_dma_heap_list (NULL);
  const GstDmaHeapInfo *bounded = dmaheap_test_find_bounded_heap (list);
  GstDmaHeapInfo *info;

  fail_unless (bounded != NULL, DMAHEAP_TEST_NO_BOUNDED_HEAP);
  info = dmaheap_test_query (bounded->name);
  g_ptr_array_unref (list);

  return info;
}

/* A directory of heap nodes for host tests: each name is a symlink to
 * /dev/null, a character device that answers every heap ioctl with ENOTTY,
 * so listing, choosing and opening work and allocating fails. Sets
 * GST_DMA_HEAP_DIR to it; returns its path. */
static inline gchar *
dmaheap_test_make_fake_heaps (const gchar * const *names)
{
  gchar *dir = g_dir_make_tmp ("dmaheap-test-XXXXXX", NULL);
  guint i;

  g_assert (dir);
  for (i = 0; names && names[i]; i++) {
    gchar *path = g_build_filename (dir, names[i], NULL);

    g_assert_cmpint (symlink ("/dev/null", path), ==, 0);
    g_free (path);
  }
  g_setenv ("GST_DMA_HEAP_DIR", dir, TRUE);

  return dir;
}

static inline void
dmaheap_test_remove_tree (const gchar * path)
{
  gchar *argv[] = { (gchar *) "rm", (gchar *) "-rf", (gchar *) path, NULL };

  g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
      NULL, NULL);
}
