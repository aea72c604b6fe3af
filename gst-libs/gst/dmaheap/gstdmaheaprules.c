/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstdmaheaprules
 * @title: GstDmaHeapRules
 * @short_description: choose a heap by caps
 *
 * Syntax: rules separated by `;`, each `CAPS:HEAP`. The heap name is what
 * follows the rule's last `:`, so caps may contain commas, lists and caps
 * features (`video/x-raw(memory:DMABuf),format={NV12,I420}:linux,cma`), and
 * heap names may contain commas (`linux,cma`). A rule's caps hold one
 * structure (`;` separates rules); `ANY` matches every stream. Whitespace
 * around rules and heap names is ignored; an empty rule is skipped.
 *
 * A rule matches when the stream's caps are a subset of the rule's caps, so
 * `video/x-raw,format=NV12` matches every NV12 frame size.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheaprules.h"
#include "gstdmaheapcaps.h"

#include <string.h>

typedef struct
{
  GstCaps *caps;
  gchar *heap;
} GstDmaHeapRule;

struct _GstDmaHeapRules
{
  gint refcount;
  GArray *rules;
};

G_DEFINE_BOXED_TYPE (GstDmaHeapRules, gst_dma_heap_rules,
    gst_dma_heap_rules_ref, gst_dma_heap_rules_unref);

static void
rule_clear (GstDmaHeapRule * rule)
{
  gst_clear_caps (&rule->caps);
  g_clear_pointer (&rule->heap, g_free);
}

/**
 * gst_dma_heap_rules_parse:
 * @str: rules, e.g. `video/x-raw,format=NV12:contiguous;video/x-raw:system`
 * @error: return location for a #GError
 *
 * Parses heap rules: `CAPS:HEAP` separated by `;`, the heap name being what
 * follows the last `:` of a rule.
 *
 * Returns: (transfer full) (nullable): the rules (possibly none, for an
 *   empty string), or %NULL with @error set to INVALID_RULES naming the
 *   rule that does not parse.
 *
 * Since: 0.1
 */
GstDmaHeapRules *
gst_dma_heap_rules_parse (const gchar * str, GError ** error)
{
  GstDmaHeapRules *rules;
  gchar **parts;
  gchar *part = NULL;
  guint i, n = 0;

  g_return_val_if_fail (str != NULL, NULL);

  rules = g_new0 (GstDmaHeapRules, 1);
  rules->refcount = 1;
  rules->rules = g_array_new (FALSE, TRUE, sizeof (GstDmaHeapRule));
  g_array_set_clear_func (rules->rules, (GDestroyNotify) rule_clear);

  parts = g_strsplit (str, ";", -1);
  for (i = 0; parts[i]; i++) {
    gchar *sep, *heap;
    GstDmaHeapRule rule;

    part = g_strstrip (parts[i]);
    if (*part == '\0')
      continue;
    n++;

    sep = strrchr (part, ':');
    if (!sep)
      goto no_heap;
    *sep = '\0';
    heap = g_strstrip (sep + 1);
    g_strstrip (part);
    if (*heap == '\0' || strchr (heap, '/'))
      goto no_heap;
    if (*part == '\0')
      goto bad_caps;

    rule.caps = gst_caps_from_string (part);
    if (!rule.caps || gst_caps_is_empty (rule.caps)) {
      gst_clear_caps (&rule.caps);
      goto bad_caps;
    }
    rule.heap = g_strdup (heap);
    g_array_append_val (rules->rules, rule);
  }
  g_strfreev (parts);

  return rules;

  /* ERRORS */
no_heap:
  {
    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_INVALID_RULES,
        "heap rule %u ('%s') names no heap: write CAPS:HEAP, rules separated "
        "by ';', e.g. 'video/x-raw,format=NV12:contiguous;video/x-raw:system'",
        n, part);
    g_strfreev (parts);
    gst_dma_heap_rules_unref (rules);
    return NULL;
  }
bad_caps:
  {
    g_set_error (error, GST_DMA_HEAP_ERROR, GST_DMA_HEAP_ERROR_INVALID_RULES,
        "heap rule %u: '%s' is not valid caps", n, part);
    g_strfreev (parts);
    gst_dma_heap_rules_unref (rules);
    return NULL;
  }
}

/**
 * gst_dma_heap_rules_ref:
 * @rules: heap rules
 *
 * Takes a reference on @rules.
 *
 * Returns: (transfer full): @rules
 *
 * Since: 0.1
 */
GstDmaHeapRules *
gst_dma_heap_rules_ref (GstDmaHeapRules * rules)
{
  g_return_val_if_fail (rules != NULL, NULL);

  g_atomic_int_inc (&rules->refcount);
  return rules;
}

/**
 * gst_dma_heap_rules_unref:
 * @rules: (transfer full): heap rules
 *
 * Drops a reference on @rules, freeing them with the last one.
 *
 * Since: 0.1
 */
void
gst_dma_heap_rules_unref (GstDmaHeapRules * rules)
{
  g_return_if_fail (rules != NULL);

  if (g_atomic_int_dec_and_test (&rules->refcount)) {
    g_array_unref (rules->rules);
    g_free (rules);
  }
}

/**
 * gst_dma_heap_rules_get_size:
 * @rules: rules
 *
 * How many rules @rules holds.
 *
 * Returns: the number of rules.
 *
 * Since: 0.1
 */
guint
gst_dma_heap_rules_get_size (const GstDmaHeapRules * rules)
{
  g_return_val_if_fail (rules != NULL, 0);

  return rules->rules->len;
}

/**
 * gst_dma_heap_rules_match:
 * @rules: rules
 * @caps: a stream's caps
 * @index: (out) (optional): the index of the matching rule
 *
 * DMA_DRM caps (GStreamer 1.24) also match the rules of their plain form:
 * `video/x-raw,format=NV12:contiguous` applies to
 * `video/x-raw(memory:DMABuf),format=DMA_DRM,drm-format=NV12` too.
 *
 * Returns: (transfer none) (nullable): the heap of the first rule whose caps
 *   contain @caps, or %NULL when none does.
 *
 * Since: 0.1
 */
const gchar *
gst_dma_heap_rules_match (const GstDmaHeapRules * rules, const GstCaps * caps,
    guint * index)
{
  GstCaps *plain = NULL;
  const gchar *heap = NULL;
  GstVideoInfo info;
  guint i;

  g_return_val_if_fail (rules != NULL, NULL);
  g_return_val_if_fail (GST_IS_CAPS (caps), NULL);

  if (gst_dma_heap_caps_is_dma_drm (caps) &&
      gst_dma_heap_video_info_from_caps (&info, caps, NULL))
    plain = gst_video_info_to_caps (&info);

  for (i = 0; i < rules->rules->len && !heap; i++) {
    const GstDmaHeapRule *rule =
        &g_array_index (rules->rules, GstDmaHeapRule, i);

    if (gst_caps_is_subset (caps, rule->caps) ||
        (plain && gst_caps_is_subset (plain, rule->caps))) {
      if (index)
        *index = i;
      heap = rule->heap;
    }
  }
  if (plain)
    gst_caps_unref (plain);

  return heap;
}
