/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheapinfo
 * @title: GstDmaHeapInfo
 * @short_description: discover dma-buf heaps and choose one
 *
 * Heaps are the character devices in /dev/dma_heap (symbolic links
 * included, as the Raspberry Pi's `vidbuf_cached`). Each one is asked what
 * it is with this project's DMA_HEAP_EXT_IOC_QUERY ioctl; heaps of the
 * upstream kernel answer EINVAL or ENOTTY, and their properties are then
 * guessed from what their names mean where they are found (`system`,
 * `linux,cma`, `reserved`, `carveout_*`, ...). Where this project's module
 * added its heaps to the kernel's own framework (7.x), the kernel's node
 * knows no query: the module's node of the same name in /dev/dma_heap_ext
 * answers it.
 *
 * The environment variable `GST_DMA_HEAP_DIR` replaces /dev/dma_heap and
 * `GST_DMA_HEAP_SYSFS_DIR` replaces /sys, for systems that mount them
 * elsewhere and for tests.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapinfo.h"
#include "gstdmaheapprivate.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/dma-heap-ext.h>

#ifndef GST_DISABLE_GST_DEBUG
#define GST_CAT_DEFAULT ensure_debug_category ()
/* Plain functions log here too: the category cannot wait for a type. */
static GstDebugCategory *
ensure_debug_category (void)
{
  static gsize cat = 0;

  if (g_once_init_enter (&cat)) {
    gsize done = (gsize) _gst_debug_category_new ("dmaheapinfo", 0,
        "dma-buf heap discovery");

    g_once_init_leave (&cat, done);
  }

  return (GstDebugCategory *) cat;
}
#endif

#define DEFAULT_HEAP_DIR "/dev/dma_heap"
#define DEFAULT_SYSFS_DIR "/sys"

/**
 * gst_dma_heap_error_quark:
 *
 * The error domain of the library (#GST_DMA_HEAP_ERROR).
 *
 * Returns: the domain's quark
 *
 * Since: 0.1
 */
GQuark
gst_dma_heap_error_quark (void)
{
  return g_quark_from_static_string ("gst-dma-heap-error-quark");
}

G_DEFINE_BOXED_TYPE (GstDmaHeapInfo, gst_dma_heap_info,
    gst_dma_heap_info_copy, gst_dma_heap_info_free);

/* What heap names mean on the systems where they are found. Order is the
 * preference among heaps that are otherwise equal. */
typedef struct
{
  const gchar *name;
  gboolean prefix;
  GstDmaHeapFlags flags;
} HeapNameMeaning;

static const HeapNameMeaning heap_names[] = {
  {"system", FALSE, GST_DMA_HEAP_FLAG_CACHED},
  {"system-ext", FALSE, GST_DMA_HEAP_FLAG_CACHED},
  {"system-uncached", FALSE, GST_DMA_HEAP_FLAG_NONE},
  {"contiguous", FALSE,
      GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED},
  {"linux,cma", FALSE, GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED},
  {"reserved", FALSE, GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED},
  {"default_cma_region", FALSE,
      GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED},
  {"vidbuf_cached", FALSE,
      GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED},
  {"linux,cma-uncached", FALSE, GST_DMA_HEAP_FLAG_CONTIGUOUS},
  {"carveout_", TRUE, GST_DMA_HEAP_FLAG_CONTIGUOUS},
  {"protected,", TRUE, GST_DMA_HEAP_FLAG_PROTECTED},
};

/**
 * gst_dma_heap_info_copy:
 * @info: a heap's description
 *
 * Copies @info.
 *
 * Returns: (transfer full): the copy
 *
 * Since: 0.1
 */
GstDmaHeapInfo *
gst_dma_heap_info_copy (const GstDmaHeapInfo * info)
{
  GstDmaHeapInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new (GstDmaHeapInfo, 1);
  *copy = *info;
  copy->name = g_strdup (info->name);
  copy->path = g_strdup (info->path);

  return copy;
}

/**
 * gst_dma_heap_info_free:
 * @info: (nullable): a heap's description
 *
 * Frees @info.
 *
 * Since: 0.1
 */
void
gst_dma_heap_info_free (GstDmaHeapInfo * info)
{
  if (!info)
    return;

  g_free (info->name);
  g_free (info->path);
  g_free (info);
}

/**
 * gst_dma_heap_info_to_string:
 * @info: a #GstDmaHeapInfo
 *
 * @info in words: name, properties and sizes.
 *
 * Returns: (transfer full): a one-line description for logs and users,
 *   e.g. "system: cached, align 4096 (queried)".
 *
 * Since: 0.1
 */
gchar *
gst_dma_heap_info_to_string (const GstDmaHeapInfo * info)
{
  GString *s;

  g_return_val_if_fail (info != NULL, NULL);

  s = g_string_new (info->name);
  g_string_append_printf (s, ": %s, %s",
      (info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS) ? "contiguous" :
      "scattered",
      (info->flags & GST_DMA_HEAP_FLAG_CACHED) ? "cached" : "uncached");
  if (info->flags & GST_DMA_HEAP_FLAG_DMA32)
    g_string_append (s, ", dma32");
  if (info->flags & GST_DMA_HEAP_FLAG_POOLED)
    g_string_append (s, ", pooled");
  if (info->flags & GST_DMA_HEAP_FLAG_PROTECTED)
    g_string_append (s, ", protected");
  g_string_append_printf (s, ", align %" G_GUINT64_FORMAT, info->alignment);
  if (info->max_size)
    g_string_append_printf (s, ", max %" G_GUINT64_FORMAT, info->max_size);
  if (info->total_bytes)
    g_string_append_printf (s, ", %" G_GUINT64_FORMAT " of %"
        G_GUINT64_FORMAT " bytes free", info->free_bytes, info->total_bytes);
  g_string_append (s, info->queried ? " (queried)" : " (guessed from name)");

  return g_string_free (s, FALSE);
}

/**
 * gst_dma_heap_get_dir:
 *
 * The directory of the heap nodes: /dev/dma_heap, or $GST_DMA_HEAP_DIR where
 * set (tests).
 *
 * Returns: the directory holding the heap nodes: `$GST_DMA_HEAP_DIR`, or
 *   /dev/dma_heap.
 *
 * Since: 0.1
 */
const gchar *
gst_dma_heap_get_dir (void)
{
  const gchar *dir = g_getenv ("GST_DMA_HEAP_DIR");

  return (dir && *dir) ? dir : DEFAULT_HEAP_DIR;
}

const gchar *
gst_dma_heap_sysfs_dir (void)
{
  const gchar *dir = g_getenv ("GST_DMA_HEAP_SYSFS_DIR");

  return (dir && *dir) ? dir : DEFAULT_SYSFS_DIR;
}

gboolean
gst_dma_heap_name_is_valid (const gchar * name)
{
  return name && *name && !strchr (name, '/') && strcmp (name, ".") != 0
      && strcmp (name, "..") != 0;
}

static void
heap_info_guess_from_name (GstDmaHeapInfo * info)
{
  guint i;

  info->flags = GST_DMA_HEAP_FLAG_NONE;
  for (i = 0; i < G_N_ELEMENTS (heap_names); i++) {
    const HeapNameMeaning *m = &heap_names[i];

    if (m->prefix ? g_str_has_prefix (info->name, m->name) :
        g_str_equal (info->name, m->name)) {
      info->flags = m->flags;
      break;
    }
  }
  info->alignment = sysconf (_SC_PAGESIZE);
  info->max_size = 0;
  info->total_bytes = 0;
  info->free_bytes = 0;
  info->queried = FALSE;
}

static void
heap_info_from_query (GstDmaHeapInfo * info, const struct dma_heap_ext_info *q)
{
  info->flags = GST_DMA_HEAP_FLAG_NONE;
  if (q->flags & DMA_HEAP_EXT_FLAG_CONTIGUOUS)
    info->flags |= GST_DMA_HEAP_FLAG_CONTIGUOUS;
  if (q->flags & DMA_HEAP_EXT_FLAG_CACHED)
    info->flags |= GST_DMA_HEAP_FLAG_CACHED;
  if (q->flags & DMA_HEAP_EXT_FLAG_DMA32)
    info->flags |= GST_DMA_HEAP_FLAG_DMA32;
  if (q->flags & DMA_HEAP_EXT_FLAG_POOLED)
    info->flags |= GST_DMA_HEAP_FLAG_POOLED;
  info->alignment = q->alignment;
  info->max_size = q->max_size;
  info->total_bytes = q->total_bytes;
  info->free_bytes = q->free_bytes;
  info->queried = TRUE;
}

static gint
heap_query_ioctl (gint fd, struct dma_heap_ext_info *q)
{
  gint ret;

  memset (q, 0, sizeof (*q));
  do {
    ret = ioctl (fd, DMA_HEAP_EXT_IOC_QUERY, q);
  } while (ret < 0 && errno == EINTR);

  return ret;
}

/* Reads a small sysfs file, whitespace stripped; NULL when it cannot. */
gchar *
gst_dma_heap_read_sysfs_line (const gchar * path)
{
  gchar *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  g_strstrip (contents);
  return contents;
}

/* A heap that this project's module added to the kernel's own framework
 * (kernel_framework=1, 7.x) is served by the kernel's node, which knows only
 * the allocation; the module answers the query on its own node of that
 * name, dma_heap_ext/<name> beside the heap directory. It is the same heap
 * when the module says it is in the kernel's framework (sysfs attribute
 * "framework") and the node in the heap directory is the kernel's node of
 * that name (class dma_heap; the kernel keeps the names there unique). */
static gboolean
heap_info_query_kernel_framework (GstDmaHeapInfo * info, dev_t rdev)
{
  struct dma_heap_ext_info q;
  gchar *path, *framework, *devno, *want, *dir, *node;
  gboolean same;
  gint fd, ret;

  path =
      g_build_filename (gst_dma_heap_sysfs_dir (), "class", "dma_heap_ext",
      info->name, "framework", NULL);
  framework = gst_dma_heap_read_sysfs_line (path);
  g_free (path);
  path =
      g_build_filename (gst_dma_heap_sysfs_dir (), "class", "dma_heap",
      info->name, "dev", NULL);
  devno = gst_dma_heap_read_sysfs_line (path);
  g_free (path);
  want = g_strdup_printf ("%u:%u", major (rdev), minor (rdev));
  same = g_strcmp0 (framework, "dma_heap") == 0 && g_strcmp0 (devno, want) == 0;
  g_free (framework);
  g_free (devno);
  g_free (want);
  if (!same)
    return FALSE;

  dir = g_path_get_dirname (gst_dma_heap_get_dir ());
  node = g_build_filename (dir, "dma_heap_ext", info->name, NULL);
  g_free (dir);
  fd = open (node, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    GST_WARNING ("heap %s is dma_heap_ext's in the kernel's framework, but "
        "its query node %s cannot be opened (%s): guessing from its name; "
        "the udev rule " GST_DMA_HEAP_UDEV_RULE " gives group 'video' access",
        info->name, node, g_strerror (errno));
    g_free (node);
    return FALSE;
  }
  ret = heap_query_ioctl (fd, &q);
  if (ret == 0)
    heap_info_from_query (info, &q);
  else
    GST_WARNING ("querying heap %s through %s failed: %s", info->name, node,
        g_strerror (errno));
  close (fd);
  g_free (node);

  return ret == 0;
}

/* Fills @info from the open heap @fd (the node @rdev): the kernel's answer,
 * or the meaning of the name when the heap does not implement the query. */
static void
heap_info_query_fd (GstDmaHeapInfo * info, gint fd, dev_t rdev)
{
  struct dma_heap_ext_info q;
  gint err;

  if (heap_query_ioctl (fd, &q) == 0) {
    heap_info_from_query (info, &q);
    return;
  }
  err = errno;
  if ((err == EINVAL || err == ENOTTY)
      && heap_info_query_kernel_framework (info, rdev))
    return;

  if (err == EINVAL || err == ENOTTY)
    GST_DEBUG ("heap %s does not answer the query: guessing from its name",
        info->name);
  else
    GST_WARNING ("querying heap %s failed: %s; guessing from its name",
        info->name, g_strerror (err));
  heap_info_guess_from_name (info);
}

/* Fills @info without asking the kernel. */
static GstDmaHeapInfo *
heap_info_new (const gchar * dir, const gchar * name)
{
  GstDmaHeapInfo *info = g_new0 (GstDmaHeapInfo, 1);

  info->name = g_strdup (name);
  info->path = g_build_filename (dir, name, NULL);
  heap_info_guess_from_name (info);

  return info;
}

static gint
compare_heap_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Returns the names of the heap nodes (character devices, links followed)
 * in @dir, sorted; NULL when @dir cannot be read. */
static GPtrArray *
list_heap_names (const gchar * dir)
{
  GPtrArray *names;
  GDir *d;
  const gchar *entry;

  d = g_dir_open (dir, 0, NULL);
  if (!d)
    return NULL;

  names = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, entry, NULL);
    struct stat st;

    if (stat (path, &st) == 0 && S_ISCHR (st.st_mode))
      g_ptr_array_add (names, g_strdup (entry));
    else
      GST_DEBUG ("ignoring %s: not a character device", path);
    g_free (path);
  }
  g_dir_close (d);

  g_ptr_array_sort (names, compare_heap_names);
  return names;
}

/**
 * gst_dma_heap_list_names:
 *
 * The names of the heaps that exist, comma separated, for messages.
 *
 * Returns: (transfer full): the names of the existing heaps, separated by
 *   ", ", or "none" — for error messages.
 *
 * Since: 0.1
 */
gchar *
gst_dma_heap_list_names (void)
{
  GPtrArray *names = list_heap_names (gst_dma_heap_get_dir ());
  gchar *str;

  if (!names || names->len == 0) {
    str = g_strdup ("none");
  } else {
    g_ptr_array_add (names, NULL);
    str = g_strjoinv (", ", (gchar **) names->pdata);
  }
  if (names)
    g_ptr_array_unref (names);

  return str;
}

/* Every EACCES/EPERM on a heap, from stat() on the path or open() on the
 * node, says the same: what fixes it. */
void
gst_dma_heap_set_permission_error (GError ** error, const gchar * doing,
    const gchar * path)
{
  g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_PERMISSION,
      "Permission denied %s dma-buf heap %s: install the udev rule "
      GST_DMA_HEAP_UDEV_RULE " (read/write for group 'video' on every heap "
      "node, the kernel's own included), add the user to group 'video' and "
      "log in again", doing, path);
}

static void
set_no_heaps_error (GError ** error, const gchar * dir)
{
  g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NO_HEAPS,
      "No dma-buf heaps in %s: this kernel has none. Load a heap driver "
      "(this project's dma_heap_ext module) or use a kernel built with "
      "CONFIG_DMABUF_HEAPS", dir);
}

/**
 * gst_dma_heap_info_query:
 * @heap_name: a heap's name, e.g. "system"
 * @error: return location for a #GError
 *
 * Describes one heap: the kernel's answer to DMA_HEAP_EXT_IOC_QUERY, or what
 * its name means when the heap does not implement the query. A heap that
 * exists but may not be opened is described from its name.
 *
 * Returns: (transfer full) (nullable): the heap's description, or %NULL with
 *   @error set (NOT_FOUND naming the heaps that exist, NO_HEAPS, NOT_A_HEAP).
 *
 * Since: 0.1
 */
GstDmaHeapInfo *
gst_dma_heap_info_query (const gchar * heap_name, GError ** error)
{
  const gchar *dir = gst_dma_heap_get_dir ();
  GstDmaHeapInfo *info;
  struct stat st;
  gint fd;

  g_return_val_if_fail (heap_name != NULL, NULL);

  if (!gst_dma_heap_name_is_valid (heap_name))
    goto bad_name;

  info = heap_info_new (dir, heap_name);
  if (stat (info->path, &st) < 0) {
    if (errno == EACCES)
      goto no_permission;
    goto not_found;
  }
  if (!S_ISCHR (st.st_mode))
    goto not_a_heap;

  fd = open (info->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    GST_INFO ("cannot open %s to query it (%s): guessing from its name",
        info->path, g_strerror (errno));
    return info;
  }
  heap_info_query_fd (info, fd, st.st_rdev);
  close (fd);

  return info;

  /* ERRORS */
bad_name:
  {
    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NOT_FOUND,
        "'%s' is not a heap name (a file name in %s)", heap_name, dir);
    return NULL;
  }
no_permission:
  {
    /* a directory on the way is not searchable */
    gst_dma_heap_set_permission_error (error, "looking up", info->path);
    gst_dma_heap_info_free (info);
    return NULL;
  }
not_found:
  {
    gchar *names = gst_dma_heap_list_names ();

    if (g_str_equal (names, "none"))
      set_no_heaps_error (error, dir);
    else
      g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NOT_FOUND,
          "No dma-buf heap '%s' in %s; available heaps: %s", heap_name, dir,
          names);
    g_free (names);
    gst_dma_heap_info_free (info);
    return NULL;
  }
not_a_heap:
  {
    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NOT_A_HEAP,
        "%s is not a dma-buf heap (not a character device)", info->path);
    gst_dma_heap_info_free (info);
    return NULL;
  }
}

/**
 * gst_dma_heap_list:
 * @error: return location for a #GError
 *
 * Lists the heaps in gst_dma_heap_get_dir(), sorted by name, each described
 * as gst_dma_heap_info_query() does.
 *
 * Returns: (transfer container) (element-type GstDmaHeapInfo) (nullable): the
 *   heaps (the array frees its elements), or %NULL with @error set to
 *   NO_HEAPS when there is none.
 *
 * Since: 0.1
 */
GPtrArray *
gst_dma_heap_list (GError ** error)
{
  const gchar *dir = gst_dma_heap_get_dir ();
  GPtrArray *names, *heaps;
  guint i;

  names = list_heap_names (dir);
  if (!names || names->len == 0)
    goto no_heaps;

  heaps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_dma_heap_info_free);
  for (i = 0; i < names->len; i++) {
    /* A node that vanished meanwhile is simply not listed. */
    GstDmaHeapInfo *info =
        gst_dma_heap_info_query (g_ptr_array_index (names, i), NULL);

    if (info)
      g_ptr_array_add (heaps, info);
  }
  g_ptr_array_unref (names);

  if (heaps->len == 0) {
    g_ptr_array_unref (heaps);
    goto no_heaps;
  }

  return heaps;

  /* ERRORS */
no_heaps:
  {
    if (names)
      g_ptr_array_unref (names);
    set_no_heaps_error (error, dir);
    return NULL;
  }
}

static gint
heap_name_rank (const gchar * name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (heap_names); i++) {
    const HeapNameMeaning *m = &heap_names[i];

    if (m->prefix ? g_str_has_prefix (name, m->name) :
        g_str_equal (name, m->name))
      return i;
  }

  return G_N_ELEMENTS (heap_names);
}

/* Higher is better; G_MININT when @info cannot serve @needs. */
static gint
heap_score (const GstDmaHeapInfo * info, GstDmaHeapNeeds needs)
{
  gint score = 0;

  if (info->flags & GST_DMA_HEAP_FLAG_PROTECTED)
    return G_MININT;
  if ((needs & GST_DMA_HEAP_NEED_CONTIGUOUS) &&
      !(info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS))
    return G_MININT;
  if ((needs & GST_DMA_HEAP_NEED_DMA32) &&
      !(info->flags & GST_DMA_HEAP_FLAG_DMA32))
    return G_MININT;

  /* Contiguous memory is scarce: keep it for those who need it. */
  if (!(needs & GST_DMA_HEAP_NEED_CONTIGUOUS) &&
      (info->flags & GST_DMA_HEAP_FLAG_CONTIGUOUS))
    score -= 1000;

  /* Cached when the CPU reads or writes, uncached when it never does. */
  if (!!(info->flags & GST_DMA_HEAP_FLAG_CACHED) ==
      !(needs & GST_DMA_HEAP_NEED_NO_CPU_ACCESS))
    score += 100;

  /* A heap that told us what it is beats a guess. */
  if (info->queried)
    score += 10;

  /* Then the order of the names we know. */
  score -= heap_name_rank (info->name);

  return score;
}

/**
 * gst_dma_heap_choose_from:
 * @heaps: (element-type GstDmaHeapInfo): heaps, as from gst_dma_heap_list()
 * @needs: what the consumer needs
 *
 * Picks the heap that suits @needs best: it must have the properties the
 * consumer needs (contiguous, DMA32), contiguous heaps are left to those who
 * need them, a cached heap is preferred unless the CPU won't touch the
 * buffers, a heap that answered the query beats one guessed from its name,
 * and then `system` comes before other names. Protected heaps are never
 * chosen.
 *
 * Returns: (transfer none) (nullable): the chosen element of @heaps, or
 *   %NULL when none can serve @needs.
 *
 * Since: 0.1
 */
const GstDmaHeapInfo *
gst_dma_heap_choose_from (GPtrArray * heaps, GstDmaHeapNeeds needs)
{
  const GstDmaHeapInfo *best = NULL;
  gint best_score = G_MININT;
  guint i;

  g_return_val_if_fail (heaps != NULL, NULL);

  for (i = 0; i < heaps->len; i++) {
    const GstDmaHeapInfo *info = g_ptr_array_index (heaps, i);
    gint score = heap_score (info, needs);

    if (score == G_MININT)
      continue;
    if (!best || score > best_score) {
      best = info;
      best_score = score;
    }
  }

  return best;
}

static gchar *
needs_to_string (GstDmaHeapNeeds needs)
{
  GString *s = g_string_new (NULL);

  if (needs & GST_DMA_HEAP_NEED_CONTIGUOUS)
    g_string_append (s, "contiguous ");
  if (needs & GST_DMA_HEAP_NEED_DMA32)
    g_string_append (s, "dma32 ");
  if (needs & GST_DMA_HEAP_NEED_NO_CPU_ACCESS)
    g_string_append (s, "no-cpu-access ");
  if (s->len == 0)
    g_string_append (s, "none");
  else
    g_string_truncate (s, s->len - 1);

  return g_string_free (s, FALSE);
}

/**
 * gst_dma_heap_choose:
 * @needs: what the consumer needs
 * @error: return location for a #GError
 *
 * Lists the heaps and picks one as gst_dma_heap_choose_from() does; this is
 * the default choice of gst_dma_heap_allocator_get() (with no needs).
 *
 * Returns: (transfer full) (nullable): the heap's name, or %NULL with @error
 *   set (NO_HEAPS, or NO_MATCH naming the heaps that exist).
 *
 * Since: 0.1
 */
gchar *
gst_dma_heap_choose (GstDmaHeapNeeds needs, GError ** error)
{
  GPtrArray *heaps;
  const GstDmaHeapInfo *chosen;
  gchar *name;

  heaps = gst_dma_heap_list (error);
  if (!heaps)
    return NULL;

  chosen = gst_dma_heap_choose_from (heaps, needs);
  if (!chosen)
    goto no_match;

  name = g_strdup (chosen->name);
  GST_DEBUG ("chose heap %s for needs 0x%x", name, needs);
  g_ptr_array_unref (heaps);

  return name;

  /* ERRORS */
no_match:
  {
    gchar *needed = needs_to_string (needs);
    gchar *names = gst_dma_heap_list_names ();

    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_NO_MATCH,
        "No dma-buf heap offers what is needed (%s); available heaps: %s",
        needed, names);
    g_free (needed);
    g_free (names);
    g_ptr_array_unref (heaps);
    return NULL;
  }
}
