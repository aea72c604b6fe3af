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
 * untouched. A buffer that is not heap memory is copied into a heap buffer,
 * and so is one downstream cannot read (a layout of its own and no
 * GstVideoMeta downstream, read again at each RECONFIGURE) or one of
 * another heap than `heap` names, or the `heap-rules` rule for the stream
 * (`heap=auto` without a matching rule takes any heap's memory). The
 * `stats` property tells which happened how often.
 *
 * The heap is the `heap` property, or with `heap=auto` (the default): the
 * first rule of `heap-rules` whose caps contain the stream's caps; else one
 * that every device touching the frame can use: the V4L2 element upstream
 * that writes into the buffers (io-mode or capture-io-mode dmabuf-import)
 * and the display downstream (a `device` naming a DRM node), by what the
 * kernel says of each (no IOMMU: contiguous memory); else the heap of the
 * pool or allocator downstream proposes, when it is a heap; else the
 * default heap (a cached, non-contiguous heap such as `system`). That
 * choice is then offered to the `select-heap` signal, whose handler may
 * name another heap. A `heap` or rule the V4L2 producer cannot use is an
 * error before any frame flows, naming the device, its need and the heap
 * to ask for.
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
 * gst-launch-1.0 v4l2src io-mode=dmabuf-import ! dmaheapalloc ! kmssink
 * ]| The camera writes into heap buffers that kmssink imports, from a heap
 * the camera can use (contiguous when it has no IOMMU).
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
#include "gstdmaheapallocdownstream.h"
#include "gstdmaheapallocpeers.h"
#include "gstdmaheapallocpools.h"
#include "gstdmaheapallocsettings.h"

#include <gst/video/video.h>
#include <gst/dmaheap/dmaheap.h>

GST_DEBUG_CATEGORY (gst_dma_heap_alloc_debug);
#define GST_CAT_DEFAULT gst_dma_heap_alloc_debug

#define DEFAULT_HEAP GST_DMA_HEAP_ALLOC_AUTO
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

  GstDmaHeapAllocSettings settings;
  GstDmaHeapAllocPools pools;
  /* the pool's allocation-failed handler posted the error already */
  gint heap_error_posted;

  /* stats, under the object lock */
  guint64 copies;
  guint64 passthrough;

  /* Streaming */
  GstCaps *caps;
  GstVideoInfo info;
  /* the heap whose memory may pass; NULL: any heap's */
  gchar *passable_heap;
  /* downstream's last ALLOCATION answer (decide_allocation) */
  GstDmaHeapAllocDownstream downstream;
  /* the devices around, found at each ALLOCATION query from upstream */
  GstDmaHeapAllocPeers peers;
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

static void
reset_streaming (GstDmaHeapAlloc * self)
{
  gst_dma_heap_alloc_pools_retire (&self->pools, GST_DMA_HEAP_ALLOC_POOL_COPY);
  gst_dma_heap_alloc_pools_retire (&self->pools,
      GST_DMA_HEAP_ALLOC_POOL_PROPOSED);
  gst_clear_caps (&self->caps);
  gst_video_info_init (&self->info);
  g_clear_pointer (&self->passable_heap, g_free);
  gst_dma_heap_alloc_downstream_clear (&self->downstream);
  gst_dma_heap_alloc_peers_clear (&self->peers);
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

/* Downstream's answer (at new caps and after a RECONFIGURE). */
static gboolean
gst_dma_heap_alloc_decide_allocation (GstBaseTransform * trans,
    GstQuery * query)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);
  GstDmaHeapAllocDownstream answer;

  gst_dma_heap_alloc_downstream_init (&answer, query);
  GST_DEBUG_OBJECT (self, "downstream: video meta %d, heap %s, min %u",
      answer.video_meta, GST_STR_NULL (answer.heap), answer.min_buffers);

  /* a copy pool made for other answers is made again on the next copy */
  if (!gst_dma_heap_alloc_downstream_equal (&answer, &self->downstream))
    gst_dma_heap_alloc_pools_retire (&self->pools,
        GST_DMA_HEAP_ALLOC_POOL_COPY);
  gst_dma_heap_alloc_downstream_clear (&self->downstream);
  self->downstream = answer;

  /* the base class keeps no pool: ours is made when a copy needs it */
  while (gst_query_get_n_allocation_pools (query) > 0)
    gst_query_remove_nth_allocation_pool (query, 0);

  return TRUE;
}

/* The heap for @caps (see the element's description); NULL after posting an
 * error. @proposed: for the pool proposed upstream, whose buffers the
 * producer writes into (else for the copies, which only we write). */
static gchar *
select_heap (GstDmaHeapAlloc * self, GstCaps * caps,
    const gchar * downstream_heap, gsize frame_size, gboolean proposed)
{
  GstDmaHeapChoice *choice;
  gchar *heap, *chosen = NULL, *reason;
  GError *error = NULL;
  gboolean by_name;

  gst_dma_heap_alloc_peers_find (&self->peers, GST_ELEMENT (self));
  choice = gst_dma_heap_alloc_settings_choose (&self->settings, caps,
      downstream_heap, proposed ? self->peers.producer : NULL,
      self->peers.consumer, frame_size, &by_name, &error);
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
    gst_dma_heap_alloc_settings_post_error (GST_ELEMENT (self), error);
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
    const gchar * heap, gboolean video_meta, GstAllocator ** allocator)
{
  GstBufferPool *pool;
  GError *error = NULL;

  pool = gst_dma_heap_alloc_pools_make (&self->pools, caps, info, heap,
      self->downstream.min_buffers, video_meta,
      gst_dma_heap_alloc_settings_get_memory_per_plane (&self->settings),
      allocator, &error);
  if (!pool) {
    gst_dma_heap_alloc_settings_post_error (GST_ELEMENT (self), error);
    g_error_free (error);
    return NULL;
  }
  g_signal_connect_object (pool, "allocation-failed",
      G_CALLBACK (pool_allocation_failed), self, 0);

  return pool;
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

  heap = select_heap (self, caps, self->downstream.heap, info.size, TRUE);
  if (!heap)
    return FALSE;

  /* The same caps asked again get the same pool: GStreamer 1.22's V4L2
   * decoders ask once a frame, and a new pool each time would allocate a
   * pool's worth of buffers a frame (and stop the pool in use). */
  pool = gst_dma_heap_alloc_pools_get_proposed_for (&self->pools, caps, heap,
      gst_dma_heap_alloc_settings_get_memory_per_plane (&self->settings),
      &allocator);
  if (pool) {
    g_free (heap);
    GST_DEBUG_OBJECT (self, "proposing %" GST_PTR_FORMAT " again", pool);
    goto answer;
  }

  /* A pool whenever we can: only heap buffers pass through without a copy.
   * GstVideoMeta always: a producer may need its own strides (V4L2), and a
   * layout downstream cannot take is copied into ours. */
  pool = make_pool (self, caps, &info, heap, TRUE, &allocator);
  g_free (heap);
  if (!pool)
    return FALSE;
  gst_dma_heap_alloc_pools_set (&self->pools,
      GST_DMA_HEAP_ALLOC_POOL_PROPOSED, gst_object_ref (pool));

answer:
  gst_allocation_params_init (&params);
  gst_query_add_allocation_param (query, allocator, &params);
  gst_query_add_allocation_pool (query, pool, info.size,
      self->downstream.min_buffers, 0);
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

  gst_object_unref (allocator);

  GST_DEBUG_OBJECT (self, "proposed %" GST_PTR_FORMAT " for %" GST_PTR_FORMAT,
      pool, caps);
  gst_object_unref (pool);

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

/* Returns the active pool buffers are copied into, made if need be; NULL
 * after posting an error. */
static GstBufferPool *
get_copy_pool (GstDmaHeapAlloc * self)
{
  GstBufferPool *pool;
  gchar *heap;

  pool = gst_dma_heap_alloc_pools_get (&self->pools,
      GST_DMA_HEAP_ALLOC_POOL_COPY);
  if (pool)
    return pool;

  heap = select_heap (self, self->caps, self->downstream.heap,
      self->info.size, FALSE);
  if (!heap)
    return NULL;
  pool = make_pool (self, self->caps, &self->info, heap,
      self->downstream.video_meta, NULL);
  if (!pool) {
    g_free (heap);
    return NULL;
  }

  g_atomic_int_set (&self->heap_error_posted, 0);
  if (!gst_buffer_pool_set_active (pool, TRUE))
    goto activate_failed;
  g_free (heap);
  gst_dma_heap_alloc_pools_set (&self->pools, GST_DMA_HEAP_ALLOC_POOL_COPY,
      gst_object_ref (pool));

  return pool;

  /* ERRORS */
activate_failed:
  {
    if (!g_atomic_int_exchange (&self->heap_error_posted, 0))
      GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
          ("Could not allocate %" G_GSIZE_FORMAT "-byte buffers from heap %s",
              self->info.size, heap), ("activating the buffer pool failed"));
    g_free (heap);
    gst_object_unref (pool);
    return NULL;
  }
}

/* Whether @buffer can go downstream as it is. */
static gboolean
buffer_is_passable (GstDmaHeapAlloc * self, GstBuffer * buffer)
{
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

  if (!gst_dma_heap_alloc_downstream_reads_layout (&self->downstream,
          buffer, &self->info)) {
    GST_LOG_OBJECT (self, "a layout other than the default, and downstream "
        "has no GstVideoMeta");
    return FALSE;
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
  GstBufferPool *pool;
  GstBuffer *out = NULL;
  GstFlowReturn ret;

  if (buffer_is_passable (self, inbuf)) {
    GST_OBJECT_LOCK (self);
    self->passthrough++;
    GST_OBJECT_UNLOCK (self);
    *outbuf = inbuf;
    return GST_FLOW_OK;
  }

  pool = get_copy_pool (self);
  if (!pool)
    return GST_FLOW_ERROR;

  g_atomic_int_set (&self->heap_error_posted, 0);
  ret = gst_buffer_pool_acquire_buffer (pool, &out, NULL);
  gst_object_unref (pool);
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

    heap = gst_dma_heap_alloc_pools_dup_heap (&self->pools);
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
  gst_dma_heap_alloc_pools_retire (&self->pools, GST_DMA_HEAP_ALLOC_POOL_COPY);
  gst_dma_heap_alloc_pools_retire (&self->pools,
      GST_DMA_HEAP_ALLOC_POOL_PROPOSED);
  gst_caps_replace (&self->caps, incaps);
  self->info = info;
  g_free (self->passable_heap);
  self->passable_heap =
      gst_dma_heap_alloc_settings_passable_heap (&self->settings, incaps);

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
      GstBufferPool *pool = gst_dma_heap_alloc_pools_get (&self->pools,
          GST_DMA_HEAP_ALLOC_POOL_COPY);

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

/* The settings are checked before any data flows: a heap that is not
 * there fails the state change to READY. */
static GstStateChangeReturn
gst_dma_heap_alloc_change_state (GstElement * element,
    GstStateChange transition)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (element);
  GError *error = NULL;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY &&
      !gst_dma_heap_alloc_settings_check (&self->settings, &error)) {
    gst_dma_heap_alloc_settings_post_error (GST_ELEMENT (self), error);
    g_error_free (error);
    return GST_STATE_CHANGE_FAILURE;
  }

  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_dma_heap_alloc_start (GstBaseTransform * trans)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (trans);

  GST_OBJECT_LOCK (self);
  self->copies = 0;
  self->passthrough = 0;
  GST_OBJECT_UNLOCK (self);
  gst_dma_heap_alloc_pools_reset_counts (&self->pools);

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
  GstDmaHeapAllocPoolCounts counts;
  gchar *heap = gst_dma_heap_alloc_pools_dup_heap (&self->pools);
  GstStructure *s;

  gst_dma_heap_alloc_pools_get_counts (&self->pools, &counts);
  GST_OBJECT_LOCK (self);
  s = gst_structure_new (STATS_NAME,
      "copies", G_TYPE_UINT64, self->copies,
      "passthrough", G_TYPE_UINT64, self->passthrough,
      "allocations", G_TYPE_UINT, counts.allocations,
      "pool-size", G_TYPE_UINT, counts.live,
      "fd-renewals", G_TYPE_UINT, counts.fd_renewals,
      "fence-waits", G_TYPE_UINT, counts.fence_waits,
      "heap", G_TYPE_STRING, heap ? heap : "", NULL);
  GST_OBJECT_UNLOCK (self);
  g_free (heap);

  return s;
}

static void
gst_dma_heap_alloc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDmaHeapAlloc *self = GST_DMA_HEAP_ALLOC (object);
  GError *error = NULL;

  switch (prop_id) {
    case PROP_HEAP:
      gst_dma_heap_alloc_settings_set_heap (&self->settings,
          g_value_get_string (value));
      break;
    case PROP_HEAP_RULES:
      /* kept with their error, which fails the next state change */
      if (!gst_dma_heap_alloc_settings_set_rules (&self->settings,
              g_value_get_string (value), &error)) {
        GST_WARNING_OBJECT (self, "%s", error->message);
        g_error_free (error);
      }
      break;
    case PROP_MEMORY_PER_PLANE:
      gst_dma_heap_alloc_settings_set_memory_per_plane (&self->settings,
          g_value_get_boolean (value));
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
      g_value_take_string (value,
          gst_dma_heap_alloc_settings_dup_heap (&self->settings));
      break;
    case PROP_HEAP_RULES:
      g_value_take_string (value,
          gst_dma_heap_alloc_settings_dup_rules (&self->settings));
      break;
    case PROP_MEMORY_PER_PLANE:
      g_value_set_boolean (value,
          gst_dma_heap_alloc_settings_get_memory_per_plane (&self->settings));
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
  gst_dma_heap_alloc_pools_clear (&self->pools);
  gst_dma_heap_alloc_settings_clear (&self->settings);

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
      "rule, else one the V4L2 producer upstream and the display downstream "
      "can use, else the heap downstream proposes, else the default heap "
      "(cached, non-contiguous), which the select-heap signal may change",
      DEFAULT_HEAP,
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
      "first match wins; the heap is what follows a rule's last ':'", NULL,
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
      "dmabuf but needed 2')", DEFAULT_MEMORY_PER_PLANE,
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
      "heap (heap in use); examples/heap-select reads them",
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
      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
      gst_dma_heap_alloc_downstream_ask_without_pool, NULL, NULL);

  gst_dma_heap_alloc_settings_init (&self->settings);
  gst_dma_heap_alloc_pools_init (&self->pools);
  gst_video_info_init (&self->info);
}
