/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-dmaheapalloc
 * @title: dmaheapalloc
 *
 * Puts raw video into dma-buf heap memory with as few copies as possible.
 * It answers upstream's ALLOCATION query with a pool of heap buffers
 * (GstDmaHeapBufferPool) and its heap's allocator, so a producer that
 * takes the offer — videotestsrc, V4L2 elements in dmabuf-import mode —
 * writes straight into heap memory, and those buffers pass through
 * untouched. A buffer that is not heap memory is copied into a heap buffer.
 * The `stats` property tells which happened how often.
 *
 * The heap is the `heap` property, or with `heap=auto` (the default): the
 * first rule of `heap-rules` whose caps contain the stream's caps; else the
 * heap of the pool or allocator downstream proposes, when it is a heap;
 * else the default heap (a cached, non-contiguous heap such as `system`).
 * That choice is then offered to the `select-heap` signal, whose handler may
 * name another heap.
 *
 * `heap-rules` is a list of `CAPS:HEAP` separated by `;`; the heap name is
 * what follows the last `:` of a rule, so caps may hold commas and
 * features: `video/x-raw,format=NV12:contiguous;video/x-raw:system`.
 *
 * Built against GStreamer 1.24 or later, the element also speaks DMA_DRM
 * caps: what it pushes are dma-bufs, so when downstream accepts the DMA_DRM
 * form of plain caps (`video/x-raw(memory:DMABuf),format=DMA_DRM,
 * drm-format=NV12`, linear) it sends those, and a producer of plain caps
 * can be linked to a consumer that takes only DMA_DRM caps. DMA_DRM caps
 * from upstream pass as they are (linear modifiers only).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 ! dmaheapalloc ! fakesink
 * ]| videotestsrc draws into heap buffers: no copies.
 * |[
 * gst-launch-1.0 v4l2src io-mode=dmabuf-import ! dmaheapalloc heap=system ! kmssink
 * ]| The camera writes into heap buffers that kmssink imports.
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,format=NV12 ! \
 *     dmaheapalloc heap-rules="video/x-raw,format=NV12:contiguous;ANY:system" ! \
 *     fakesink
 * ]| NV12 frames from the contiguous heap, anything else from system.
 * |[
 * gst-launch-1.0 videotestsrc ! dmaheapalloc ! \
 *     "video/x-raw(memory:DMABuf),format=DMA_DRM" ! kmssink
 * ]| GStreamer 1.24+: kmssink gets DMA_DRM caps for videotestsrc's frames.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdmaheapalloc.h"
#include "gstdmaheapallocelements.h"

#include <gst/video/video.h>

#include <gst/dmaheap/dmaheap.h>

GST_DEBUG_CATEGORY_STATIC (gst_dma_heap_alloc_debug);
#define GST_CAT_DEFAULT gst_dma_heap_alloc_debug

#define DEFAULT_HEAP "auto"
#define DEFAULT_MEMORY_PER_PLANE FALSE
#define STATS_NAME "GstDmaHeapAllocStats"

enum
{
  PROP_0,
  PROP_HEAP,
  PROP_HEAP_RULES,
  PROP_MEMORY_PER_PLANE,
  PROP_STATS,
  N_PROPS
};

enum
{
  SIGNAL_SELECT_HEAP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _GstDmaHeapAlloc
{
  GstBaseTransform parent;

  /* the pool's allocation-failed handler posted the error already */
  gint heap_error_posted;

  /* Properties and stats, under the object lock */
  gchar *heap;
  gchar *rules_str;
  GstDmaHeapRules *rules;
  gboolean memory_per_plane;
  GError *rules_error;
  guint64 copies;
  guint64 passthrough;
  guint retired_allocations;
  guint retired_fd_renewals;
  guint retired_fence_waits;
  gchar *current_heap;

  /* Streaming; the pools are also read (under the object lock) for stats */
  GstCaps *caps;
  GstVideoInfo info;
  /* the heap whose memory may pass (`heap`, or the matching heap-rules
   * rule); NULL: any heap's */
  gchar *passable_heap;
  /* downstream's last ALLOCATION answer (decide_allocation) */
  gboolean downstream_video_meta;
  gchar *downstream_heap;
  guint downstream_min_buffers;
  GstBufferPool *proposed_pool;
  GstBufferPool *copy_pool;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define gst_dma_heap_alloc_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstDmaHeapAlloc, gst_dma_heap_alloc,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (gst_dma_heap_alloc_debug, "dmaheapalloc", 0,
        "dma-buf heap allocation element"));

GST_ELEMENT_REGISTER_DEFINE (dmaheapalloc, "dmaheapalloc", GST_RANK_NONE,
    GST_TYPE_DMA_HEAP_ALLOC);

/* Posts @error as an element error whose type follows what failed. */
static void
post_heap_error (GstDmaHeapAlloc * self, const GError * error)
{
  if (error->domain != GST_DMA_HEAP_ERROR) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("%s", error->message), (NULL));
    return;
  }

  switch (error->code) {
    case GST_DMA_HEAP_ERROR_PERMISSION:
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("%s", error->message), (NULL));
      break;
    case GST_DMA_HEAP_ERROR_NO_HEAPS:
    case GST_DMA_HEAP_ERROR_NOT_FOUND:
    case GST_DMA_HEAP_ERROR_NO_MATCH:
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", error->message),
          (NULL));
      break;
    case GST_DMA_HEAP_ERROR_INVALID_RULES:
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", error->message),
          (NULL));
      break;
    default:
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("%s", error->message),
          (NULL));
      break;
  }
}

/* Moves a pool out of use, keeping its allocation count in the stats. */
static void
retire_pool (GstDmaHeapAlloc * self, GstBufferPool ** pool)
{
  GstBufferPool *old;
  guint allocations = 0;

  GST_OBJECT_LOCK (self);
  old = *pool;
  *pool = NULL;
  if (old) {
    gst_dma_heap_buffer_pool_get_counts (old, &allocations, NULL);
    self->retired_allocations += allocations;
    self->retired_fd_renewals += gst_dma_heap_buffer_pool_get_fd_renewals (old);
    self->retired_fence_waits += gst_dma_heap_buffer_pool_get_fence_waits (old);
  }
  GST_OBJECT_UNLOCK (self);

  if (old) {
    /* A pool proposed upstream is stopped too: its buffers are freed as
     * they come back. Upstream asks for a new pool (ALLOCATION) after new
     * caps before it allocates again, but GstBaseSrc stops its old pool
     * only once the new one is active: on a bounded heap (a carveout, CMA)
     * both pools at once may not fit. */
    gst_buffer_pool_set_active (old, FALSE);
    gst_object_unref (old);
  }
}

static void
reset_streaming (GstDmaHeapAlloc * self)
{
  retire_pool (self, &self->copy_pool);
  retire_pool (self, &self->proposed_pool);
  gst_clear_caps (&self->caps);
  gst_video_info_init (&self->info);
  g_clear_pointer (&self->passable_heap, g_free);
  self->downstream_video_meta = FALSE;
  g_clear_pointer (&self->downstream_heap, g_free);
  self->downstream_min_buffers = 0;
}

/* @caps and their other form: DMA_DRM (@to_dma_drm) or plain. On 1.22 there
 * is no other form. */
static GstCaps *
with_other_form (GstCaps * caps, gboolean to_dma_drm)
{
  GstCaps *other = to_dma_drm ? gst_dma_heap_caps_to_dma_drm (caps) :
      gst_dma_heap_caps_to_plain (caps);

  return gst_caps_merge (gst_caps_copy (caps), other);
}

/* Buffers pass as plain caps or as DMA_DRM caps: each structure also in its
 * other form, DMA_DRM downstream, plain upstream. */
static GstCaps *
gst_dma_heap_alloc_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *result = with_other_form (caps, direction == GST_PAD_SINK);

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, result,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (result);
    result = tmp;
  }

  return result;
}

/* Downstream gets the DMA_DRM form of plain caps when it takes it
 * (GStreamer 1.24+; what we push are dma-bufs), else the caps as they
 * came. */
static GstCaps *
gst_dma_heap_alloc_fixate_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * othercaps)
{
  if (direction == GST_PAD_SINK) {
    if (!gst_dma_heap_caps_is_dma_drm (caps)) {
      GstCaps *drm = gst_dma_heap_caps_to_dma_drm (caps);

      if (!gst_caps_is_empty (drm) && gst_caps_can_intersect (drm, othercaps)) {
        GST_DEBUG_OBJECT (trans, "downstream takes %" GST_PTR_FORMAT, drm);
        gst_caps_unref (othercaps);
        return drm;
      }
      gst_caps_unref (drm);
    }
    if (gst_caps_can_intersect (caps, othercaps)) {
      gst_caps_unref (othercaps);
      return gst_caps_ref (caps);
    }
  }

  return gst_caps_fixate (othercaps);
}

/* GstBaseTransform asks downstream with need_pool TRUE; we never use
 * downstream's pool (copies go into our own heap pool, the rest passes
 * through), and a sink that builds a pool for such a query holds memory
 * nobody uses. Ask with need_pool FALSE instead and answer the original
 * query with what came back. */
static GstPadProbeReturn
ask_downstream_without_pool (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstQuery *ours;
  GstCaps *caps;
  gboolean need_pool;
  guint i;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return GST_PAD_PROBE_OK;
  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!need_pool || !gst_query_is_writable (query))
    return GST_PAD_PROBE_OK;

  ours = gst_query_new_allocation (caps, FALSE);
  if (!gst_pad_peer_query (pad, ours)) {
    gst_query_unref (ours);
    return GST_PAD_PROBE_DROP;
  }
  for (i = 0; i < gst_query_get_n_allocation_pools (ours); i++) {
    GstBufferPool *pool;
    guint size, min, max;

    gst_query_parse_nth_allocation_pool (ours, i, &pool, &size, &min, &max);
    gst_query_add_allocation_pool (query, pool, size, min, max);
    if (pool)
      gst_object_unref (pool);
  }
  for (i = 0; i < gst_query_get_n_allocation_params (ours); i++) {
    GstAllocator *allocator;
    GstAllocationParams params;

    gst_query_parse_nth_allocation_param (ours, i, &allocator, &params);
    gst_query_add_allocation_param (query, allocator, &params);
    if (allocator)
      gst_object_unref (allocator);
  }
  for (i = 0; i < gst_query_get_n_allocation_metas (ours); i++) {
    const GstStructure *params;
    GType api = gst_query_parse_nth_allocation_meta (ours, i, &params);

    gst_query_add_allocation_meta (query, api, params);
  }
  gst_query_unref (ours);

  return GST_PAD_PROBE_HANDLED;
}

/* The heap whose memory may pass for @caps: the `heap` property, or the
 * heap-rules rule for @caps; NULL when any heap's may. */
static gchar *
passable_heap_for_caps (GstDmaHeapAlloc * self, GstCaps * caps)
{
  gchar *heap = NULL;

  GST_OBJECT_LOCK (self);
  if (!g_str_equal (self->heap, DEFAULT_HEAP))
    heap = g_strdup (self->heap);
  else if (self->rules)
    heap = g_strdup (gst_dma_heap_rules_match (self->rules, caps, NULL));
  GST_OBJECT_UNLOCK (self);

  return heap;
}

/* Downstream's answer (at new caps and after a RECONFIGURE): whether it
 * handles GstVideoMeta, the heap of its pool or allocator if that is a
 * heap, and how many buffers it holds. */
static gboolean
gst_dma_heap_alloc_decide_allocation (GstBaseTransform * trans,
    GstQuery * query)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);
  gboolean video_meta;
  gchar *heap = NULL;
  guint min_buffers = 0, i;

  video_meta =
      gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);

  if (gst_query_get_n_allocation_pools (query) > 0) {
    GstBufferPool *pool = NULL;

    gst_query_parse_nth_allocation_pool (query, 0, &pool, NULL, &min_buffers,
        NULL);
    if (pool && GST_IS_DMA_HEAP_BUFFER_POOL (pool)) {
      GstAllocator *alloc = gst_dma_heap_buffer_pool_get_allocator (pool);

      if (alloc && GST_IS_DMA_HEAP_ALLOCATOR (alloc))
        heap = g_strdup (gst_dma_heap_allocator_get_heap_name (alloc));
      gst_clear_object (&alloc);
    }
    gst_clear_object (&pool);
  }

  for (i = 0; !heap && i < gst_query_get_n_allocation_params (query); i++) {
    GstAllocator *alloc = NULL;

    gst_query_parse_nth_allocation_param (query, i, &alloc, NULL);
    if (alloc && GST_IS_DMA_HEAP_ALLOCATOR (alloc))
      heap = g_strdup (gst_dma_heap_allocator_get_heap_name (alloc));
    gst_clear_object (&alloc);
  }

  GST_DEBUG_OBJECT (self, "downstream: video meta %d, heap %s, min %u",
      video_meta, GST_STR_NULL (heap), min_buffers);

  /* a copy pool made for other answers is made again on the next copy */
  if (video_meta != self->downstream_video_meta ||
      min_buffers != self->downstream_min_buffers ||
      g_strcmp0 (heap, self->downstream_heap) != 0)
    retire_pool (self, &self->copy_pool);
  self->downstream_video_meta = video_meta;
  self->downstream_min_buffers = min_buffers;
  g_free (self->downstream_heap);
  self->downstream_heap = heap;

  /* the base class keeps no pool: ours is made when a copy needs it */
  while (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_remove_nth_allocation_pool (query, 0);

  return TRUE;
}

/* The heap for @caps (see the element's description); NULL after posting an
 * error. */
static gchar *
select_heap (GstDmaHeapAlloc * self, GstCaps * caps,
    const gchar * downstream_heap)
{
  GstDmaHeapChoiceRequest req = {.caps = caps,
    .proposed_heap = downstream_heap,.proposed_by = "downstream's pool"
  };
  GstDmaHeapChoice *choice;
  GstDmaHeapRules *rules = NULL;
  gchar *heap = NULL, *chosen = NULL, *reason;
  GError *error = NULL;
  gboolean by_name;

  GST_OBJECT_LOCK (self);
  if (self->rules_error) {
    error = g_error_copy (self->rules_error);
    GST_OBJECT_UNLOCK (self);
    goto failed;
  }
  heap = g_strdup (self->heap);
  by_name = !g_str_equal (heap, DEFAULT_HEAP);
  if (self->rules)
    rules = gst_dma_heap_rules_ref (self->rules);
  GST_OBJECT_UNLOCK (self);

  /* the library's one policy: heap property, heap-rules, downstream's
   * pool, the default */
  req.heap = heap;
  req.rules = rules;
  choice = gst_dma_heap_choose_full (&req, &error);
  g_free (heap);
  if (rules)
    gst_dma_heap_rules_unref (rules);
  if (!choice)
    goto failed;
  heap = g_steal_pointer (&choice->heap);
  reason = g_steal_pointer (&choice->reason);
  gst_dma_heap_choice_free (choice);
  if (by_name) {
    /* the heap property is the application's last word */
    GST_INFO_OBJECT (self, "heap %s: set by the heap property", heap);
    g_free (reason);
    return heap;
  }

  g_signal_emit (self, signals[SIGNAL_SELECT_HEAP], 0, caps, heap, &chosen);
  if (chosen) {
    GST_INFO_OBJECT (self, "heap %s: select-heap handler (instead of %s by "
        "%s)", chosen, heap, reason);
    g_free (heap);
    g_free (reason);
    return chosen;
  }
  GST_INFO_OBJECT (self, "heap %s: %s for %" GST_PTR_FORMAT, heap, reason,
      caps);
  g_free (reason);

  return heap;

  /* ERRORS */
failed:
  {
    post_heap_error (self, error);
    g_error_free (error);
    return NULL;
  }
}

/* A buffer of our pool could not be had from the heap (in whichever thread
 * asked): say why, before upstream's "failed to allocate" says less. */
static void
pool_allocation_failed (GstBufferPool * pool, GError * error,
    GstDmaHeapAlloc * self)
{
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, ("%s", error->message),
      ("allocating a buffer of %" GST_PTR_FORMAT, pool));
  /* our own pool's failure needs no second, vaguer error */
  g_atomic_int_set (&self->heap_error_posted, 1);
}

/* Returns a configured pool of heap @heap for the stream, or NULL after
 * posting an error. */
static GstBufferPool *
make_pool (GstDmaHeapAlloc * self, GstCaps * caps, const GstVideoInfo * info,
    const gchar * heap, guint min_buffers, gboolean video_meta,
    GstAllocator ** allocator_out)
{
  GstBufferPool *pool;
  GstStructure *config;
  GstAllocator *allocator;
  GstAllocationParams params;
  GError *error = NULL;

  allocator = gst_dma_heap_allocator_new (heap, &error);
  if (!allocator)
    goto no_allocator;

  pool = gst_dma_heap_buffer_pool_new ();
  g_signal_connect_object (pool, "allocation-failed",
      G_CALLBACK (pool_allocation_failed), self, 0);
  config = gst_buffer_pool_get_config (pool);
  gst_allocation_params_init (&params);
  gst_buffer_pool_config_set_params (config, caps, info->size, min_buffers, 0);
  gst_buffer_pool_config_set_allocator (config, allocator, &params);
  if (video_meta)
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_VIDEO_META);
  GST_OBJECT_LOCK (self);
  if (self->memory_per_plane)
    gst_buffer_pool_config_add_option (config,
        GST_BUFFER_POOL_OPTION_DMA_HEAP_MEMORY_PER_PLANE);
  GST_OBJECT_UNLOCK (self);
  if (!gst_buffer_pool_set_config (pool, config))
    goto config_failed;

  GST_OBJECT_LOCK (self);
  g_free (self->current_heap);
  self->current_heap = g_strdup (heap);
  GST_OBJECT_UNLOCK (self);

  if (allocator_out)
    *allocator_out = allocator;
  else
    gst_object_unref (allocator);

  return pool;

  /* ERRORS */
no_allocator:
  {
    post_heap_error (self, error);
    g_error_free (error);
    return NULL;
  }
config_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Heap %s cannot hold %" GST_PTR_FORMAT, heap, caps),
        ("the buffer pool rejected its configuration"));
    gst_object_unref (pool);
    gst_object_unref (allocator);
    return NULL;
  }
}

static gboolean
gst_dma_heap_alloc_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);
  GstCaps *caps;
  GstVideoInfo info;
  GstBufferPool *pool = NULL;
  GstAllocator *allocator = NULL;
  GstAllocationParams params;
  gboolean need_pool;
  gchar *heap;
  guint i;

  gst_query_parse_allocation (query, &caps, &need_pool);
  if (!caps)
    goto no_caps;
  if (!gst_dma_heap_video_info_from_caps (&info, caps, NULL))
    goto wrong_caps;

  heap = select_heap (self, caps, self->downstream_heap);
  if (!heap)
    return FALSE;

  /* A pool whenever we can: only heap buffers pass through without a copy.
   * GstVideoMeta always: a producer may need its own strides (V4L2), and a
   * layout downstream cannot take is copied into ours. */
  pool = make_pool (self, caps, &info, heap, self->downstream_min_buffers,
      TRUE, &allocator);
  g_free (heap);
  if (!pool)
    return FALSE;

  gst_allocation_params_init (&params);
  gst_query_add_allocation_param (query, allocator, &params);
  gst_query_add_allocation_pool (query, pool, info.size,
      self->downstream_min_buffers, 0);
  gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);

  /* Buffers pass through: downstream's other metas are fine too. */
  for (i = 0; decide_query && i < gst_query_get_n_allocation_metas
      (decide_query); i++) {
    const GstStructure *meta_params;
    GType api = gst_query_parse_nth_allocation_meta (decide_query, i,
        &meta_params);

    if (api != GST_VIDEO_META_API_TYPE)
      gst_query_add_allocation_meta (query, api, meta_params);
  }

  retire_pool (self, &self->proposed_pool);
  GST_OBJECT_LOCK (self);
  self->proposed_pool = pool;
  GST_OBJECT_UNLOCK (self);
  gst_object_unref (allocator);

  GST_DEBUG_OBJECT (self, "proposed %" GST_PTR_FORMAT " for %" GST_PTR_FORMAT,
      pool, caps);

  return TRUE;

  /* ERRORS */
no_caps:
  {
    GST_DEBUG_OBJECT (self, "ALLOCATION query without caps");
    return FALSE;
  }
wrong_caps:
  {
    GST_DEBUG_OBJECT (self, "ALLOCATION query for caps that are not raw "
        "video: %" GST_PTR_FORMAT, caps);
    return FALSE;
  }
}

/* Makes the pool buffers are copied into; FALSE after posting an error. */
static gboolean
setup_copy_pool (GstDmaHeapAlloc * self)
{
  GstBufferPool *pool;
  gchar *heap;

  heap = select_heap (self, self->caps, self->downstream_heap);
  if (!heap)
    return FALSE;

  pool = make_pool (self, self->caps, &self->info, heap,
      self->downstream_min_buffers, self->downstream_video_meta, NULL);
  if (!pool) {
    g_free (heap);
    return FALSE;
  }

  g_atomic_int_set (&self->heap_error_posted, 0);
  if (!gst_buffer_pool_set_active (pool, TRUE))
    goto activate_failed;
  g_free (heap);

  GST_OBJECT_LOCK (self);
  self->copy_pool = pool;
  GST_OBJECT_UNLOCK (self);

  return TRUE;

  /* ERRORS */
activate_failed:
  {
    if (!g_atomic_int_exchange (&self->heap_error_posted, 0))
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
          ("Could not allocate %" G_GSIZE_FORMAT "-byte buffers from heap %s",
              self->info.size, heap), ("activating the buffer pool failed"));
    g_free (heap);
    gst_object_unref (pool);
    return FALSE;
  }
}

/* Whether @buffer can go downstream as it is. */
static gboolean
buffer_is_passable (GstDmaHeapAlloc * self, GstBuffer * buffer)
{
  GstVideoMeta *meta;
  guint i, n = gst_buffer_n_memory (buffer);

  if (n == 0)
    return FALSE;
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);

    if (!gst_is_dma_heap_memory (mem))
      return FALSE;
    if (self->passable_heap && !g_str_equal (self->passable_heap,
            gst_dma_heap_allocator_get_heap_name (mem->allocator))) {
      GST_LOG_OBJECT (self, "memory of heap %s, not %s",
          gst_dma_heap_allocator_get_heap_name (mem->allocator),
          self->passable_heap);
      return FALSE;
    }
  }

  /* Downstream without GstVideoMeta reads the default layout. */
  meta = gst_buffer_get_video_meta (buffer);
  if (meta && !self->downstream_video_meta) {
    for (i = 0; i < meta->n_planes; i++) {
      if (meta->stride[i] != GST_VIDEO_INFO_PLANE_STRIDE (&self->info, i) ||
          meta->offset[i] != GST_VIDEO_INFO_PLANE_OFFSET (&self->info, i)) {
        GST_LOG_OBJECT (self, "plane %u layout differs from the default and "
            "downstream has no GstVideoMeta", i);
        return FALSE;
      }
    }
  }

  return TRUE;
}

/* The copy has its own layout (its pool's GstVideoMeta); every other meta
 * is copied (the base class leaves out those of the memory). */
static gboolean
gst_dma_heap_alloc_transform_meta (GstBaseTransform * trans,
    GstBuffer * outbuf, GstMeta * meta, GstBuffer * inbuf)
{
  return meta->info->api != GST_VIDEO_META_API_TYPE;
}

/* Heap buffers downstream can read pass as they are (the output buffer is
 * the input); the others get a buffer of our heap pool, which transform()
 * fills. */
static GstFlowReturn
gst_dma_heap_alloc_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer ** outbuf)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);
  GstBuffer *out = NULL;
  GstFlowReturn ret;

  if (buffer_is_passable (self, inbuf)) {
    GST_OBJECT_LOCK (self);
    self->passthrough++;
    GST_OBJECT_UNLOCK (self);
    *outbuf = inbuf;
    return GST_FLOW_OK;
  }

  if (!self->copy_pool && !setup_copy_pool (self))
    return GST_FLOW_ERROR;

  g_atomic_int_set (&self->heap_error_posted, 0);
  ret = gst_buffer_pool_acquire_buffer (self->copy_pool, &out, NULL);
  if (ret == GST_FLOW_FLUSHING)
    return ret;
  if (ret != GST_FLOW_OK)
    goto acquire_failed;

  GST_BASE_TRANSFORM_CLASS (parent_class)->copy_metadata (trans, inbuf, out);
  *outbuf = out;

  return GST_FLOW_OK;

  /* ERRORS */
acquire_failed:
  {
    gchar *heap;

    GST_OBJECT_LOCK (self);
    heap = g_strdup (self->current_heap);
    GST_OBJECT_UNLOCK (self);
    if (!g_atomic_int_exchange (&self->heap_error_posted, 0))
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
          ("Could not allocate a %" G_GSIZE_FORMAT "-byte buffer from heap %s",
              self->info.size, GST_STR_NULL (heap)),
          ("acquiring from the pool: %s", gst_flow_get_name (ret)));
    g_free (heap);
    return ret;
  }
}

static GstFlowReturn
gst_dma_heap_alloc_transform (GstBaseTransform * trans, GstBuffer * inbuf,
    GstBuffer * outbuf)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);
  GstVideoFrame in_frame, out_frame;
  gboolean copied;

  /* passed through (prepare_output_buffer) */
  if (outbuf == inbuf)
    return GST_FLOW_OK;

  if (!gst_video_frame_map (&in_frame, &self->info, inbuf, GST_MAP_READ))
    goto map_in_failed;
  if (!gst_video_frame_map (&out_frame, &self->info, outbuf, GST_MAP_WRITE)) {
    gst_video_frame_unmap (&in_frame);
    goto map_out_failed;
  }
  copied = gst_video_frame_copy (&out_frame, &in_frame);
  gst_video_frame_unmap (&out_frame);
  gst_video_frame_unmap (&in_frame);
  if (!copied)
    goto copy_failed;

  GST_OBJECT_LOCK (self);
  self->copies++;
  GST_OBJECT_UNLOCK (self);

  return GST_FLOW_OK;

  /* ERRORS */
map_in_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not read the incoming frame"),
        ("%" GST_PTR_FORMAT " does not map as %" GST_PTR_FORMAT, inbuf,
            self->caps));
    return GST_FLOW_ERROR;
  }
map_out_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not map a heap buffer for writing"), (NULL));
    return GST_FLOW_ERROR;
  }
copy_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not copy the frame into heap memory"), (NULL));
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_dma_heap_alloc_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);
  GstVideoInfo info;
  GError *err = NULL;

  if (!gst_dma_heap_video_info_from_caps (&info, incaps, &err))
    goto wrong_caps;

  if (self->caps && gst_caps_is_equal (incaps, self->caps))
    return TRUE;

  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      incaps, outcaps);

  /* New caps, new pools: upstream queries again for its own, the copy pool
   * is made on the next copy. The proposed pool is stopped too: its
   * buffers are freed as they come back. */
  retire_pool (self, &self->copy_pool);
  retire_pool (self, &self->proposed_pool);
  gst_caps_replace (&self->caps, incaps);
  self->info = info;
  g_free (self->passable_heap);
  self->passable_heap = passable_heap_for_caps (self, incaps);

  return TRUE;

  /* ERRORS */
wrong_caps:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("%s", err->message),
        ("caps %" GST_PTR_FORMAT, incaps));
    g_error_free (err);
    return FALSE;
  }
}

static gboolean
gst_dma_heap_alloc_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:{
      /* Flushing wakes a copy waiting for a free buffer. FLUSH_START comes
       * from another thread than the one that may replace the pool. */
      GstBufferPool *pool = NULL;

      GST_OBJECT_LOCK (self);
      if (self->copy_pool)
        pool = gst_object_ref (self->copy_pool);
      GST_OBJECT_UNLOCK (self);
      if (pool) {
        gst_buffer_pool_set_flushing (pool,
            GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START);
        gst_object_unref (pool);
      }
      break;
    }
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* Checks the settings before any data flows; FALSE after posting an
 * error. */
static gboolean
gst_dma_heap_alloc_check_settings (GstDmaHeapAlloc * self)
{
  GError *error = NULL;
  gchar *heap;

  GST_OBJECT_LOCK (self);
  if (self->rules_error)
    error = g_error_copy (self->rules_error);
  heap = g_strdup (self->heap);
  GST_OBJECT_UNLOCK (self);

  if (error)
    goto failed;

  if (g_str_equal (heap, DEFAULT_HEAP)) {
    GPtrArray *heaps = gst_dma_heap_list (&error);

    if (!heaps)
      goto failed;
    g_ptr_array_unref (heaps);
  } else {
    GstAllocator *allocator = gst_dma_heap_allocator_new (heap, &error);

    if (!allocator)
      goto failed;
    gst_object_unref (allocator);
  }
  g_free (heap);

  return TRUE;

  /* ERRORS */
failed:
  {
    post_heap_error (self, error);
    g_error_free (error);
    g_free (heap);
    return FALSE;
  }
}

/* The settings are checked before any data flows: a heap that is not
 * there fails the state change to READY. */
static GstStateChangeReturn
gst_dma_heap_alloc_change_state (GstElement * element,
    GstStateChange transition)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (element);

  if (transition == GST_STATE_CHANGE_NULL_TO_READY &&
      !gst_dma_heap_alloc_check_settings (self))
    return GST_STATE_CHANGE_FAILURE;

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_dma_heap_alloc_start (GstBaseTransform * trans)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);

  GST_OBJECT_LOCK (self);
  self->copies = 0;
  self->passthrough = 0;
  self->retired_allocations = 0;
  self->retired_fd_renewals = 0;
  self->retired_fence_waits = 0;
  GST_OBJECT_UNLOCK (self);

  return TRUE;
}

static gboolean
gst_dma_heap_alloc_stop (GstBaseTransform * trans)
{
  reset_streaming (GST_DMA_HEAP_ALLOC (trans));

  return TRUE;
}

static GstStructure *
gst_dma_heap_alloc_get_stats (GstDmaHeapAlloc * self)
{
  GstBufferPool *pools[2];
  guint allocations, live, renewals, fence_waits, a, l, i;
  GstStructure *s;

  GST_OBJECT_LOCK (self);
  allocations = self->retired_allocations;
  renewals = self->retired_fd_renewals;
  fence_waits = self->retired_fence_waits;
  live = 0;
  pools[0] = self->proposed_pool;
  pools[1] = self->copy_pool;
  for (i = 0; i < G_N_ELEMENTS (pools); i++) {
    if (!pools[i])
      continue;
    gst_dma_heap_buffer_pool_get_counts (pools[i], &a, &l);
    allocations += a;
    live += l;
    renewals += gst_dma_heap_buffer_pool_get_fd_renewals (pools[i]);
    fence_waits += gst_dma_heap_buffer_pool_get_fence_waits (pools[i]);
  }
  s = gst_structure_new (STATS_NAME,
      "copies", G_TYPE_UINT64, self->copies,
      "passthrough", G_TYPE_UINT64, self->passthrough,
      "allocations", G_TYPE_UINT, allocations,
      "pool-size", G_TYPE_UINT, live,
      "fd-renewals", G_TYPE_UINT, renewals,
      "fence-waits", G_TYPE_UINT, fence_waits,
      "heap", G_TYPE_STRING, self->current_heap ? self->current_heap : "",
      NULL);
  GST_OBJECT_UNLOCK (self);

  return s;
}

/* Parses @str into the element's rules; call with the object lock. */
static void
gst_dma_heap_alloc_set_rules (GstDmaHeapAlloc * self, const gchar * str)
{
  g_free (self->rules_str);
  self->rules_str = g_strdup (str);
  g_clear_pointer (&self->rules, gst_dma_heap_rules_unref);
  g_clear_error (&self->rules_error);

  if (!str)
    return;

  self->rules = gst_dma_heap_rules_parse (str, &self->rules_error);
  if (!self->rules)
    GST_WARNING_OBJECT (self, "%s", self->rules_error->message);
}

static void
gst_dma_heap_alloc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (object);

  switch (prop_id) {
    case PROP_HEAP:{
      const gchar *heap = g_value_get_string (value);

      GST_OBJECT_LOCK (self);
      g_free (self->heap);
      self->heap = g_strdup (heap && *heap ? heap : DEFAULT_HEAP);
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_HEAP_RULES:
      GST_OBJECT_LOCK (self);
      gst_dma_heap_alloc_set_rules (self, g_value_get_string (value));
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MEMORY_PER_PLANE:
      GST_OBJECT_LOCK (self);
      self->memory_per_plane = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_dma_heap_alloc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (object);

  switch (prop_id) {
    case PROP_HEAP:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->heap);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_HEAP_RULES:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->rules_str);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MEMORY_PER_PLANE:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->memory_per_plane);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_dma_heap_alloc_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_dma_heap_alloc_finalize (GObject * object)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (object);

  reset_streaming (self);
  g_free (self->heap);
  g_free (self->rules_str);
  g_clear_pointer (&self->rules, gst_dma_heap_rules_unref);
  g_clear_error (&self->rules_error);
  g_free (self->current_heap);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* The first handler that names a heap decides. */
static gboolean
select_heap_accumulator (GSignalInvocationHint * ihint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  const gchar *heap = g_value_get_string (handler_return);

  if (heap && *heap) {
    g_value_set_string (return_accu, heap);
    return FALSE;
  }

  return TRUE;
}

static void
gst_dma_heap_alloc_class_init (GstDmaHeapAllocClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_dma_heap_alloc_set_property;
  gobject_class->get_property = gst_dma_heap_alloc_get_property;
  gobject_class->finalize = gst_dma_heap_alloc_finalize;

  /**
   * GstDmaHeapAlloc:heap:
   *
   * The dma-buf heap to allocate from, by name (a file in /dev/dma_heap),
   * or `auto`.
   *
   * Since: 0.1
   */
  properties[PROP_HEAP] = g_param_spec_string ("heap", "Heap",
      "Name of the dma-buf heap to allocate from (a file in /dev/dma_heap, "
      "e.g. system, linux,cma), or 'auto': the first matching heap-rules "
      "rule, else the heap downstream proposes, else the default heap "
      "(cached, non-contiguous), which the select-heap signal may change. "
      "Example: gst-launch-1.0 videotestsrc ! dmaheapalloc heap=system ! "
      "fakesink", DEFAULT_HEAP,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapAlloc:heap-rules:
   *
   * Heap per caps with `heap=auto`: rules `CAPS:HEAP` separated by `;`,
   * the first whose caps contain the stream's caps wins. The heap name is
   * what follows a rule's last `:`.
   *
   * Since: 0.1
   */
  properties[PROP_HEAP_RULES] = g_param_spec_string ("heap-rules",
      "Heap rules",
      "With heap=auto, the heap per caps: rules CAPS:HEAP separated by ';', "
      "first match wins; the heap is what follows a rule's last ':'. "
      "Example: gst-launch-1.0 videotestsrc ! video/x-raw,format=NV12 ! "
      "dmaheapalloc heap-rules=\"video/x-raw,format=NV12:contiguous;"
      "ANY:system\" ! fakesink", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstDmaHeapAlloc:memory-per-plane:
   *
   * Give each plane of a frame its own dma-buf. A multi-planar V4L2
   * producer in dmabuf-import mode needs it (one dma-buf per V4L2 plane:
   * NV12M, or NV12 on a driver that uses two planes for it; without it
   * V4L2 fails with "Got 1 dmabuf but needed 2"); single-planar producers
   * and most displays want one dma-buf per frame.
   *
   * Since: 0.1
   */
  properties[PROP_MEMORY_PER_PLANE] = g_param_spec_boolean
      ("memory-per-plane", "Memory per plane",
      "One dma-buf per plane instead of one per frame, as multi-planar V4L2 "
      "producers in dmabuf-import mode need (else they fail with 'Got 1 "
      "dmabuf but needed 2'). Example: gst-launch-1.0 v4l2src "
      "io-mode=dmabuf-import ! video/x-raw,format=NV12 ! dmaheapalloc "
      "memory-per-plane=true ! fakesink", DEFAULT_MEMORY_PER_PLANE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstDmaHeapAlloc:stats:
   *
   * Counters since the element went to PAUSED: `copies` (buffers copied
   * into heap memory), `passthrough` (heap buffers pushed as they came),
   * `allocations` (heap buffers allocated by the element's pools),
   * `pool-size` (heap buffers that exist now), `fd-renewals` (times a
   * buffer's fd was found closed by an importer, V4L2 before 1.22.6, and
   * replaced), `fence-waits` (buffers that came back while a device still
   * used them, kept out until their fence signalled) and `heap` (the heap
   * in use).
   *
   * Since: 0.1
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Counters since PAUSED: copies (buffers copied into heap memory), "
      "passthrough (heap buffers pushed unchanged), allocations (heap buffers "
      "allocated), pool-size (heap buffers alive now), fd-renewals (buffer "
      "fds closed by an importer and replaced), fence-waits (buffers back "
      "while a device still used them, held until their fence signalled), "
      "heap (heap in use). "
      "Read it with g_object_get (element, \"stats\", &structure, NULL) "
      "after or while running e.g. videotestsrc ! dmaheapalloc ! fakesink "
      "(see examples/heap-select)",
      GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPS, properties);

  /**
   * GstDmaHeapAlloc::select-heap:
   * @dmaheapalloc: the element
   * @caps: the stream's caps
   * @heap: the heap the element would choose
   *
   * Emitted with `heap=auto` whenever a heap is chosen for a stream (from
   * the streaming thread). A handler returns the name of the heap to use
   * instead, or %NULL to keep @heap; the first handler that names a heap
   * decides.
   *
   * Returns: (transfer full) (nullable): a heap name, or %NULL
   *
   * Since: 0.1
   */
  signals[SIGNAL_SELECT_HEAP] = g_signal_new ("select-heap",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      select_heap_accumulator, NULL, NULL, G_TYPE_STRING, 2,
      GST_TYPE_CAPS | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "DMA-buf heap allocator", "Filter/Video",
      "Puts raw video into dma-buf heap memory: offers a heap buffer pool "
      "upstream, passes heap buffers through and copies the others",
      "dmaheap project");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_change_state);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_fixate_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_sink_event);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_propose_allocation);
  trans_class->decide_allocation =
      GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_decide_allocation);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_prepare_output_buffer);
  trans_class->transform_meta =
      GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_transform_meta);
  trans_class->transform = GST_DEBUG_FUNCPTR (gst_dma_heap_alloc_transform);
}

static void
gst_dma_heap_alloc_init (GstDmaHeapAlloc * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);

  /* a GAP buffer passes or is copied as it is */
  gst_base_transform_set_gap_aware (trans, TRUE);
  gst_pad_add_probe (GST_BASE_TRANSFORM_SRC_PAD (trans),
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, ask_downstream_without_pool, NULL,
      NULL);

  self->heap = g_strdup (DEFAULT_HEAP);
  gst_video_info_init (&self->info);
}
