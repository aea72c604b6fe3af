/* GStreamer dma-buf heap support: heap discovery, choice, rules and hints
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Needs no heap: heap nodes are symlinks to /dev/null (which answers the
 * query ioctl with ENOTTY, as an upstream heap answers EINVAL), and a
 * device's sysfs directory is a tree built in a temporary directory. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dmaheaptest.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static const gchar *wild_names[] = {
  "system", "linux,cma", "vidbuf_cached", "protected,secure",
  "carveout_video", "system-uncached", NULL
};

static gchar *fake_dir;

static void
fake_heaps_setup (void)
{
  gchar *file;

  fake_dir = dmaheap_test_make_fake_heaps (wild_names);
  /* Not a character device: never listed. */
  file = g_build_filename (fake_dir, "notaheap", NULL);
  g_file_set_contents (file, "x", 1, NULL);
  g_free (file);
}

static void
fake_heaps_teardown (void)
{
  dmaheap_test_remove_tree (fake_dir);
  g_clear_pointer (&fake_dir, g_free);
  g_unsetenv ("GST_DMA_HEAP_DIR");
}

static const GstDmaHeapInfo *
find_heap (GPtrArray * heaps, const gchar * name)
{
  guint i;

  for (i = 0; i < heaps->len; i++) {
    const GstDmaHeapInfo *info = g_ptr_array_index (heaps, i);

    if (g_str_equal (info->name, name))
      return info;
  }

  return NULL;
}

GST_START_TEST (test_list_guesses_from_names)
{
  GError *error = NULL;
  GPtrArray *heaps = gst_dma_heap_list (&error);
  const GstDmaHeapInfo *info;
  gchar *str;

  fail_unless (heaps != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (heaps->len, 6);
  /* sorted by name, the regular file left out */
  info = g_ptr_array_index (heaps, 0);
  fail_unless_equals_string (info->name, "carveout_video");

  info = find_heap (heaps, "system");
  fail_unless (info != NULL);
  fail_unless_equals_int (info->flags, GST_DMA_HEAP_FLAG_CACHED);
  fail_if (info->queried);
  fail_unless_equals_uint64 (info->alignment, sysconf (_SC_PAGESIZE));
  str = g_build_filename (fake_dir, "system", NULL);
  fail_unless_equals_string (info->path, str);
  g_free (str);

  info = find_heap (heaps, "linux,cma");
  fail_unless_equals_int (info->flags,
      GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED);
  info = find_heap (heaps, "vidbuf_cached");
  fail_unless_equals_int (info->flags,
      GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED);
  info = find_heap (heaps, "system-uncached");
  fail_unless_equals_int (info->flags, GST_DMA_HEAP_FLAG_NONE);
  info = find_heap (heaps, "carveout_video");
  fail_unless_equals_int (info->flags, GST_DMA_HEAP_FLAG_CONTIGUOUS);
  info = find_heap (heaps, "protected,secure");
  fail_unless_equals_int (info->flags, GST_DMA_HEAP_FLAG_PROTECTED);

  str = gst_dma_heap_info_to_string (find_heap (heaps, "linux,cma"));
  fail_unless (strstr (str, "contiguous") && strstr (str, "guessed"), "%s",
      str);
  g_free (str);

  g_ptr_array_unref (heaps);
}

GST_END_TEST;

GST_START_TEST (test_no_heaps)
{
  GError *error = NULL;
  gchar *empty = g_dir_make_tmp ("dmaheap-empty-XXXXXX", NULL);

  g_setenv ("GST_DMA_HEAP_DIR", empty, TRUE);
  fail_unless (gst_dma_heap_list (&error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NO_HEAPS));
  fail_unless (strstr (error->message, empty) != NULL, "%s", error->message);
  g_clear_error (&error);

  fail_unless (gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NO_HEAPS));
  g_clear_error (&error);

  fail_unless (gst_dma_heap_allocator_get (NULL, &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NO_HEAPS));
  g_clear_error (&error);

  /* a directory that does not exist at all */
  g_setenv ("GST_DMA_HEAP_DIR", "/nonexistent/dma_heap", TRUE);
  fail_unless (gst_dma_heap_list (&error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NO_HEAPS));
  g_clear_error (&error);

  rmdir (empty);
  g_free (empty);
}

GST_END_TEST;

GST_START_TEST (test_query_errors)
{
  GError *error = NULL;

  fail_unless (gst_dma_heap_info_query ("nosuchheap", &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_FOUND));
  /* names the heaps that exist */
  fail_unless (strstr (error->message, "nosuchheap") &&
      strstr (error->message, "linux,cma, protected,secure, system"),
      "%s", error->message);
  g_clear_error (&error);

  fail_unless (gst_dma_heap_allocator_get ("nosuchheap", &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_FOUND));
  g_clear_error (&error);

  fail_unless (gst_dma_heap_info_query ("../system", &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_FOUND));
  g_clear_error (&error);

  fail_unless (gst_dma_heap_info_query ("notaheap", &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_A_HEAP));
  g_clear_error (&error);
}

GST_END_TEST;

/* In a child running as nobody: opening @heap in @dir fails with a
 * permission error whose message names the udev rule that fixes it. */
static gint
permission_error_as_nobody (const gchar * dir, const gchar * heap)
{
  pid_t pid;
  gint status;

  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0) {
    GError *error = NULL;
    GstAllocator *alloc;
    gboolean ok;

    if (setgid (65534) < 0 || setuid (65534) < 0)
      _exit (3);
    g_setenv ("GST_DMA_HEAP_DIR", dir, TRUE);
    alloc = gst_dma_heap_allocator_get (heap, &error);
    if (alloc)
      _exit (4);
    ok = g_error_matches (error, GST_DMA_HEAP_ERROR,
        GST_DMA_HEAP_ERROR_PERMISSION) &&
        strstr (error->message, "60-dma-heap-ext.rules") &&
        strstr (error->message, "video");
    if (!ok)
      g_printerr ("not the permission error asked for: %s\n",
          error ? error->message : "(none)");
    g_clear_error (&error);
    _exit (ok ? 0 : 5);
  }
  fail_unless_equals_int (waitpid (pid, &status, 0), pid);
  fail_unless (WIFEXITED (status));
  return WEXITSTATUS (status);
}

GST_START_TEST (test_permission_error)
{
  gchar *node = g_build_filename (fake_dir, "locked", NULL);
  gchar *hidden = g_build_filename (fake_dir, "private", NULL);
  gchar *hidden_node = g_build_filename (hidden, "heap", NULL);

  /* A heap node only root may open, tried as nobody. */
  if (mknod (node, S_IFCHR | 0600, makedev (1, 3)) < 0) {
    GST_WARNING ("mknod not permitted here (%s): nothing to check",
        g_strerror (errno));
    goto out;
  }
  if (getuid () != 0)
    goto out;

  /* the directory itself is readable by all, as /dev/dma_heap is... */
  fail_unless_equals_int (chmod (fake_dir, 0755), 0);
  fail_unless_equals_int (permission_error_as_nobody (fake_dir, "locked"), 0);

  /* ...and when it is not (stat() fails, not open()), the advice is the
   * same. */
  fail_unless_equals_int (mkdir (hidden, 0700), 0);
  fail_unless_equals_int (mknod (hidden_node, S_IFCHR | 0666, makedev (1, 3)),
      0);
  fail_unless_equals_int (permission_error_as_nobody (hidden, "heap"), 0);

out:
  unlink (hidden_node);
  rmdir (hidden);
  unlink (node);
  g_free (hidden_node);
  g_free (hidden);
  g_free (node);
}

GST_END_TEST;

static GstDmaHeapInfo *
make_info (const gchar * name, GstDmaHeapFlags flags, gboolean queried)
{
  GstDmaHeapInfo *info = g_new0 (GstDmaHeapInfo, 1);

  info->name = g_strdup (name);
  info->path = g_strconcat ("/dev/dma_heap/", name, NULL);
  info->flags = flags;
  info->alignment = 4096;
  info->queried = queried;

  return info;
}

static const gchar *
choose (GPtrArray * heaps, GstDmaHeapNeeds needs)
{
  const GstDmaHeapInfo *info = gst_dma_heap_choose_from (heaps, needs);

  return info ? info->name : NULL;
}

GST_START_TEST (test_choose_from)
{
  GPtrArray *heaps = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_dma_heap_info_free);

  g_ptr_array_add (heaps, make_info ("linux,cma",
          GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_CACHED, FALSE));
  g_ptr_array_add (heaps, make_info ("protected,secure",
          GST_DMA_HEAP_FLAG_PROTECTED | GST_DMA_HEAP_FLAG_CONTIGUOUS, FALSE));
  g_ptr_array_add (heaps, make_info ("system-uncached",
          GST_DMA_HEAP_FLAG_NONE, FALSE));
  g_ptr_array_add (heaps, make_info ("system", GST_DMA_HEAP_FLAG_CACHED,
          FALSE));

  /* cached and scattered; contiguous memory is kept for who needs it */
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_NONE), "system");
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_NO_CPU_ACCESS),
      "system-uncached");
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_CONTIGUOUS),
      "linux,cma");
  /* nothing is below 4 GiB for sure: no guess */
  fail_unless (choose (heaps, GST_DMA_HEAP_NEED_DMA32) == NULL);

  /* a heap that answered the query beats an equal guess */
  g_ptr_array_add (heaps, make_info ("system-ext", GST_DMA_HEAP_FLAG_CACHED |
          GST_DMA_HEAP_FLAG_POOLED, TRUE));
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_NONE),
      "system-ext");
  g_ptr_array_add (heaps, make_info ("contiguous", GST_DMA_HEAP_FLAG_CACHED |
          GST_DMA_HEAP_FLAG_CONTIGUOUS | GST_DMA_HEAP_FLAG_DMA32, TRUE));
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_CONTIGUOUS),
      "contiguous");
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_DMA32),
      "contiguous");

  /* a protected heap is never chosen, even if it is all there is */
  g_ptr_array_remove_range (heaps, 0, heaps->len);
  g_ptr_array_add (heaps, make_info ("protected,secure",
          GST_DMA_HEAP_FLAG_PROTECTED | GST_DMA_HEAP_FLAG_CONTIGUOUS, FALSE));
  fail_unless (choose (heaps, GST_DMA_HEAP_NEED_NONE) == NULL);
  fail_unless (choose (heaps, GST_DMA_HEAP_NEED_CONTIGUOUS) == NULL);

  /* an unknown name is usable, as an uncached scattered heap */
  g_ptr_array_add (heaps, make_info ("vendor-heap", GST_DMA_HEAP_FLAG_NONE,
          FALSE));
  fail_unless_equals_string (choose (heaps, GST_DMA_HEAP_NEED_NONE),
      "vendor-heap");

  g_ptr_array_unref (heaps);
}

GST_END_TEST;

GST_START_TEST (test_choose_listed)
{
  GError *error = NULL;
  gchar *heap;
  const gchar *only_protected[] = { "protected,secure", NULL };
  gchar *dir;

  heap = gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, &error);
  fail_unless_equals_string (heap, "system");
  g_free (heap);
  heap = gst_dma_heap_choose (GST_DMA_HEAP_NEED_CONTIGUOUS, &error);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);

  dir = dmaheap_test_make_fake_heaps (only_protected);
  fail_unless (gst_dma_heap_choose (GST_DMA_HEAP_NEED_NONE, &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NO_MATCH));
  fail_unless (strstr (error->message, "protected,secure") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  dmaheap_test_remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_rules_parse_and_match)
{
  GError *error = NULL;
  GstDmaHeapRules *rules;
  GstCaps *caps;
  guint index = 99;

  rules = gst_dma_heap_rules_parse (" video/x-raw(memory:DMABuf),"
      "format={NV12,I420}:linux,cma ; video/x-raw,format=NV12 : contiguous;;"
      "video/x-raw,width=[1,640]:system-uncached;ANY:system ;", &error);
  fail_unless (rules != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (gst_dma_heap_rules_get_size (rules), 4);

  caps = gst_caps_from_string ("video/x-raw(memory:DMABuf),format=I420,"
      "width=1920,height=1080");
  fail_unless_equals_string (gst_dma_heap_rules_match (rules, caps, &index),
      "linux,cma");
  fail_unless_equals_int (index, 0);
  gst_caps_unref (caps);

  /* the same format in system memory does not match the DMABuf rule */
  caps = gst_caps_from_string ("video/x-raw,format=NV12,width=1920,"
      "height=1080");
  fail_unless_equals_string (gst_dma_heap_rules_match (rules, caps, &index),
      "contiguous");
  fail_unless_equals_int (index, 1);
  gst_caps_unref (caps);

  caps = gst_caps_from_string ("video/x-raw,format=RGB,width=320,"
      "height=240");
  fail_unless_equals_string (gst_dma_heap_rules_match (rules, caps, NULL),
      "system-uncached");
  gst_caps_unref (caps);

  caps = gst_caps_from_string ("video/x-raw,format=RGB,width=1280,"
      "height=720");
  fail_unless_equals_string (gst_dma_heap_rules_match (rules, caps, &index),
      "system");
  fail_unless_equals_int (index, 3);
  gst_caps_unref (caps);
  gst_dma_heap_rules_unref (rules);

  /* no catch-all: no match */
  rules = gst_dma_heap_rules_parse ("video/x-raw,format=NV12:contiguous",
      &error);
  caps = gst_caps_from_string ("video/x-raw,format=RGB");
  fail_unless (gst_dma_heap_rules_match (rules, caps, NULL) == NULL);
  gst_caps_unref (caps);
  gst_dma_heap_rules_unref (rules);

  rules = gst_dma_heap_rules_parse ("", &error);
  fail_unless (rules != NULL);
  fail_unless_equals_int (gst_dma_heap_rules_get_size (rules), 0);
  gst_dma_heap_rules_unref (rules);
}

GST_END_TEST;

static void
check_bad_rules (const gchar * str, const gchar * expect)
{
  GError *error = NULL;

  fail_unless (gst_dma_heap_rules_parse (str, &error) == NULL, "%s", str);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_INVALID_RULES));
  fail_unless (strstr (error->message, expect) != NULL, "'%s' -> '%s'",
      str, error->message);
  g_error_free (error);
}

GST_START_TEST (test_rules_errors)
{
  check_bad_rules ("video/x-raw", "rule 1");
  check_bad_rules ("video/x-raw:system;video/x-raw,format=NV12", "rule 2");
  check_bad_rules ("video/x-raw:", "names no heap");
  check_bad_rules (":system", "not valid caps");
  check_bad_rules ("video/x-raw,format=((:system", "not valid caps");
  check_bad_rules ("video/x-raw:../system", "names no heap");
}

GST_END_TEST;

/* A sysfs tree for /dev/null (1:3) as if it were a PCI display device. */
static gchar *
make_fake_sysfs (const gchar * hint)
{
  gchar *root = g_dir_make_tmp ("dmaheap-sysfs-XXXXXX", NULL);
  gchar *p;

  p = g_build_filename (root, "devices/pci0000:00/0000:00:02.0/drm/card0",
      NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  p = g_build_filename (root, "bus/pci", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  p = g_build_filename (root, "dev/char", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  p = g_build_filename (root, "kernel/dma_heap_ext/hints", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);

  p = g_build_filename (root, "dev/char/1:3", NULL);
  fail_unless_equals_int (symlink
      ("../../devices/pci0000:00/0000:00:02.0/drm/card0", p), 0);
  g_free (p);
  p = g_build_filename (root,
      "devices/pci0000:00/0000:00:02.0/drm/card0/device", NULL);
  fail_unless_equals_int (symlink ("../../../0000:00:02.0", p), 0);
  g_free (p);
  p = g_build_filename (root, "devices/pci0000:00/0000:00:02.0/subsystem",
      NULL);
  fail_unless_equals_int (symlink ("../../../bus/pci", p), 0);
  g_free (p);

  if (hint) {
    p = g_build_filename (root, "kernel/dma_heap_ext/hints/pci:0000:00:02.0",
        NULL);
    g_file_set_contents (p, hint, -1, NULL);
    g_free (p);
  }

  g_setenv ("GST_DMA_HEAP_SYSFS_DIR", root, TRUE);
  return root;
}

/* /dev/zero (1:5) as vivid's video node: a platform device with the
 * module's facts (no IOMMU, 32-bit DMA, coherent, hint @hint). */
static void
add_fake_vivid (const gchar * root, const gchar * hint)
{
  gchar *p, *facts;

  p = g_build_filename (root, "devices/platform/vivid.0/video4linux/video0",
      NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  p = g_build_filename (root, "bus/platform/drivers/vivid", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  p = g_build_filename (root, "dev/char/1:5", NULL);
  fail_unless_equals_int (symlink
      ("../../devices/platform/vivid.0/video4linux/video0", p), 0);
  g_free (p);
  p = g_build_filename (root,
      "devices/platform/vivid.0/video4linux/video0/device", NULL);
  fail_unless_equals_int (symlink ("../../../vivid.0", p), 0);
  g_free (p);
  p = g_build_filename (root, "devices/platform/vivid.0/subsystem", NULL);
  fail_unless_equals_int (symlink ("../../../bus/platform", p), 0);
  g_free (p);
  p = g_build_filename (root, "devices/platform/vivid.0/driver", NULL);
  fail_unless_equals_int (symlink ("../../../bus/platform/drivers/vivid",
          p), 0);
  g_free (p);

  facts = g_build_filename (root, "kernel/dma_heap_ext/devices/"
      "platform:vivid.0", NULL);
  g_mkdir_with_parents (facts, 0755);
  p = g_build_filename (facts, "iommu", NULL);
  g_file_set_contents (p, "0\n", -1, NULL);
  g_free (p);
  p = g_build_filename (facts, "dma_mask_bits", NULL);
  g_file_set_contents (p, "32\n", -1, NULL);
  g_free (p);
  p = g_build_filename (facts, "coherent", NULL);
  g_file_set_contents (p, "1\n", -1, NULL);
  g_free (p);
  p = g_build_filename (facts, "hint", NULL);
  g_file_set_contents (p, hint, -1, NULL);
  g_free (p);
  g_free (facts);
}

GST_START_TEST (test_device_facts)
{
  GstDmaHeapDevice *vivid, *card, *copy;
  GstDmaHeapInfo *system, *cma;
  GError *error = NULL;
  gchar *root, *p, *why = NULL;

  root = make_fake_sysfs (NULL);
  add_fake_vivid (root, "linux,cma\n");
  /* the PCI card: behind an IOMMU, its mask from PCI's own file */
  p = g_build_filename (root,
      "devices/pci0000:00/0000:00:02.0/iommu_group", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  p = g_build_filename (root,
      "devices/pci0000:00/0000:00:02.0/dma_mask_bits", NULL);
  g_file_set_contents (p, "64\n", -1, NULL);
  g_free (p);

  /* from the module */
  vivid = gst_dma_heap_device_new ("/dev/zero", &error);
  fail_unless (vivid != NULL, "%s", error ? error->message : "");
  fail_unless (vivid->from_kernel);
  fail_unless_equals_string (vivid->name, "platform:vivid.0");
  fail_unless_equals_string (vivid->driver, "vivid");
  fail_if (vivid->has_iommu);
  fail_unless_equals_int (vivid->dma_mask_bits, 32);
  fail_unless_equals_int (vivid->coherent, 1);
  fail_unless_equals_string (vivid->hint, "linux,cma");
  fail_unless_equals_int (gst_dma_heap_device_get_needs (vivid, &why),
      GST_DMA_HEAP_NEED_CONTIGUOUS | GST_DMA_HEAP_NEED_DMA32);
  fail_unless (strstr (why, "no IOMMU") && strstr (why, "32-bit"), "%s", why);
  g_free (why);

  /* from sysfs alone */
  card = gst_dma_heap_device_new ("/dev/null", NULL);
  fail_unless (card != NULL);
  fail_if (card->from_kernel);
  fail_unless (card->has_iommu);
  fail_unless_equals_int (card->dma_mask_bits, 64);
  fail_unless_equals_int (card->coherent, -1);
  fail_unless (card->driver == NULL);
  fail_unless_equals_int (gst_dma_heap_device_get_needs (card, NULL),
      GST_DMA_HEAP_NEED_NONE);
  copy = gst_dma_heap_device_copy (card);
  fail_unless_equals_string (copy->name, card->name);
  gst_dma_heap_device_free (copy);

  /* what each can use, and why not */
  system = gst_dma_heap_info_query ("system", NULL);
  cma = gst_dma_heap_info_query ("linux,cma", NULL);
  fail_unless (gst_dma_heap_device_can_use (card, system, NULL));
  fail_unless (gst_dma_heap_device_can_use (vivid, cma, NULL));
  fail_if (gst_dma_heap_device_can_use (vivid, system, &why));
  fail_unless (strstr (why, "/dev/zero (vivid, platform:vivid.0)") &&
      strstr (why, "system is not physically contiguous"), "%s", why);
  g_free (why);

  /* the module says vivid does no DMA on the buffers (videobuf2-vmalloc):
   * any heap suits it, the system heap too */
  fail_unless (vivid->dma);
  p = g_build_filename (root, "kernel/dma_heap_ext/devices/platform:vivid.0/"
      "dma", NULL);
  g_file_set_contents (p, "0\n", -1, NULL);
  g_free (p);
  copy = gst_dma_heap_device_new ("/dev/zero", NULL);
  fail_unless (copy != NULL);
  fail_if (copy->dma);
  fail_unless_equals_int (gst_dma_heap_device_get_needs (copy, &why),
      GST_DMA_HEAP_NEED_NONE);
  fail_unless (strstr (why, "no DMA") != NULL, "%s", why);
  g_free (why);
  fail_unless (gst_dma_heap_device_can_use (copy, system, NULL));
  gst_dma_heap_device_free (copy);

  /* not a device */
  fail_unless (gst_dma_heap_device_new ("/nonexistent", &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_FOUND));
  fail_unless (strstr (error->message, "/nonexistent") != NULL);
  g_clear_error (&error);

  gst_dma_heap_info_free (system);
  gst_dma_heap_info_free (cma);
  gst_dma_heap_device_free (vivid);
  gst_dma_heap_device_free (card);
  dmaheap_test_remove_tree (root);
  g_free (root);
  g_unsetenv ("GST_DMA_HEAP_SYSFS_DIR");
}

GST_END_TEST;

/* One choice for a producer that must import (vivid, no IOMMU) and a
 * display behind an IOMMU. */
GST_START_TEST (test_choose_for_devices)
{
  const gchar *producer[] = { "/dev/zero", NULL };
  const gchar *missing[] = { "/dev/nonexistent", NULL };
  GstDmaHeapChoiceRequest req = {.device = "/dev/null",.devices = producer };
  GstDmaHeapChoice *choice;
  GError *error = NULL;
  gchar *root, *p;

  root = make_fake_sysfs (NULL);
  add_fake_vivid (root, "\n");
  p = g_build_filename (root,
      "devices/pci0000:00/0000:00:02.0/iommu_group", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);

  /* the display alone takes the system heap; with vivid, contiguous */
  choice = gst_dma_heap_choose_full (&(GstDmaHeapChoiceRequest) {
      .device = "/dev/null"}, NULL);
  fail_unless_equals_string (choice->heap, "system");
  gst_dma_heap_choice_free (choice);
  choice = gst_dma_heap_choose_full (&req, &error);
  fail_unless (choice != NULL, "%s", error ? error->message : "");
  fail_unless_equals_string (choice->heap, "linux,cma");
  fail_unless (strstr (choice->reason, "/dev/zero (vivid") &&
      strstr (choice->reason, "no IOMMU"), "%s", choice->reason);
  gst_dma_heap_choice_free (choice);

  /* a heap by name or rule that vivid cannot use: refused, with the fix */
  req.heap = "system";
  fail_unless (gst_dma_heap_choose_full (&req, &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_UNSUITABLE));
  fail_unless (strstr (error->message, "Heap system (asked for by name)") &&
      strstr (error->message, "/dev/zero (vivid, platform:vivid.0)") &&
      strstr (error->message, "Ask for heap linux,cma"), "%s", error->message);
  g_clear_error (&error);
  req.heap = NULL;
  req.rules = gst_dma_heap_rules_parse ("video/x-raw:system", NULL);
  req.caps = gst_caps_from_string ("video/x-raw");
  fail_unless (gst_dma_heap_choose_full (&req, &error) == NULL);
  fail_unless (strstr (error->message, "heap-rules rule 1"), "%s",
      error->message);
  g_clear_error (&error);
  gst_dma_heap_rules_unref ((GstDmaHeapRules *) req.rules);
  gst_caps_unref ((GstCaps *) req.caps);
  req.rules = NULL;
  req.caps = NULL;

  /* downstream's proposal that vivid cannot use is passed over */
  req.proposed_heap = "system";
  req.proposed_by = "downstream's pool";
  choice = gst_dma_heap_choose_full (&req, NULL);
  fail_unless_equals_string (choice->heap, "linux,cma");
  gst_dma_heap_choice_free (choice);

  /* a device that is not there */
  req.devices = missing;
  fail_unless (gst_dma_heap_choose_full (&req, &error) == NULL);
  fail_unless (g_error_matches (error, GST_DMA_HEAP_ERROR,
          GST_DMA_HEAP_ERROR_NOT_FOUND));
  g_clear_error (&error);

  dmaheap_test_remove_tree (root);
  g_free (root);
  g_unsetenv ("GST_DMA_HEAP_SYSFS_DIR");
}

GST_END_TEST;

GST_START_TEST (test_device_hint)
{
  gchar *root, *heap, *p;

  root = make_fake_sysfs ("linux,cma\n");
  heap = gst_dma_heap_hint_for_device ("/dev/null");
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);
  heap = gst_dma_heap_choose_for_device ("/dev/null", GST_DMA_HEAP_NEED_NONE,
      NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);
  /* not a device node */
  fail_unless (gst_dma_heap_hint_for_device (fake_dir) == NULL);
  fail_unless (gst_dma_heap_hint_for_device ("/nonexistent") == NULL);
  dmaheap_test_remove_tree (root);
  g_free (root);

  /* a hint naming a heap that does not exist is no hint */
  root = make_fake_sysfs ("contiguous\n");
  fail_unless (gst_dma_heap_hint_for_device ("/dev/null") == NULL);
  dmaheap_test_remove_tree (root);
  g_free (root);

  /* no hint: contiguous when the device has no IOMMU, else the default */
  root = make_fake_sysfs (NULL);
  fail_unless (gst_dma_heap_hint_for_device ("/dev/null") == NULL);
  fail_if (gst_dma_heap_device_has_iommu ("/dev/null"));
  heap = gst_dma_heap_choose_for_device ("/dev/null", GST_DMA_HEAP_NEED_NONE,
      NULL);
  fail_unless_equals_string (heap, "linux,cma");
  g_free (heap);

  p = g_build_filename (root,
      "devices/pci0000:00/0000:00:02.0/iommu_group", NULL);
  g_mkdir_with_parents (p, 0755);
  g_free (p);
  fail_unless (gst_dma_heap_device_has_iommu ("/dev/null"));
  heap = gst_dma_heap_choose_for_device ("/dev/null", GST_DMA_HEAP_NEED_NONE,
      NULL);
  fail_unless_equals_string (heap, "system");
  g_free (heap);

  dmaheap_test_remove_tree (root);
  g_free (root);
  g_unsetenv ("GST_DMA_HEAP_SYSFS_DIR");
}

GST_END_TEST;

static Suite *
dmaheapinfo_suite (void)
{
  Suite *s = suite_create ("dmaheapinfo");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, fake_heaps_setup, fake_heaps_teardown);
  tcase_add_test (tc, test_list_guesses_from_names);
  tcase_add_test (tc, test_no_heaps);
  tcase_add_test (tc, test_query_errors);
  tcase_add_test (tc, test_permission_error);
  tcase_add_test (tc, test_choose_from);
  tcase_add_test (tc, test_choose_listed);
  tcase_add_test (tc, test_rules_parse_and_match);
  tcase_add_test (tc, test_rules_errors);
  tcase_add_test (tc, test_device_hint);
  tcase_add_test (tc, test_device_facts);
  tcase_add_test (tc, test_choose_for_devices);

  return s;
}

GST_CHECK_MAIN (dmaheapinfo);
