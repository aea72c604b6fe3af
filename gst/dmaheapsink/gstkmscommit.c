/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstkmscommit.h"
#include "gstkmsdevice.h"
#include "gstkmsdumb.h"
#include "gstkmsoutput.h"

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>
#include <unistd.h>

/* How long a page flip may take before the sink stops waiting for its event
 * and commits the next frame anyway. GST_DMAHEAPSINK_FLIP_TIMEOUT_MS
 * shortens it: the tests use it to make events arrive late. */
#define FLIP_TIMEOUT (GST_SECOND)
/* How long a commit refused with EBUSY (the kernel still busy with the one
 * whose event is late) is retried as that event is waited for. */
#define BUSY_TIMEOUT (2 * G_USEC_PER_SEC)

/* ------------------------------------------------------------------------ */
/* page flips                                                                */
/* ------------------------------------------------------------------------ */

static GstClockTime
kms_flip_timeout (void)
{
  const gchar *env = g_getenv ("GST_DMAHEAPSINK_FLIP_TIMEOUT_MS");

  if (env && *env)
    return g_ascii_strtoull (env, NULL, 10) * GST_MSECOND;
  return FLIP_TIMEOUT;
}

/* The pending frame is on screen: the one before it can go back upstream. */
static void
kms_flip_done (GstDmaHeapSink * self)
{
  gst_buffer_replace (&self->displayed, NULL);
  self->displayed = self->pending;
  self->displayed_fb = self->pending_fb;
  self->pending = NULL;
  self->pending_fb = 0;
  self->flip_pending = FALSE;
  self->flip_late = FALSE;

  GST_OBJECT_LOCK (self);
  self->frames_shown++;
  GST_OBJECT_UNLOCK (self);
}

static void
kms_handle_flip_event (GstDmaHeapSink * self, guint32 seq, guint32 vblank)
{
  if (!self->flip_pending || seq != self->flip_seq) {
    GST_DEBUG_OBJECT (self, "late page-flip event of commit %u (vblank %u): "
        "its flip was done when the next commit was taken", seq, vblank);
    return;
  }
  if (self->flip_late)
    GST_INFO_OBJECT (self, "the late page-flip event came (vblank %u)", vblank);
  GST_LOG_OBJECT (self, "flip %u done, vblank %u", seq, vblank);
  kms_flip_done (self);
}

/* Reads the events queued on the device (after a poll said there are). */
static void
kms_read_events (GstDmaHeapSink * self)
{
  guint64 buf[512];
  guint8 *data = (guint8 *) buf;
  gssize len = read (self->fd, buf, sizeof (buf)), i = 0;

  if (len < 0 && errno != EAGAIN && errno != EINTR)
    GST_WARNING_OBJECT (self, "reading DRM events: %s", g_strerror (errno));

  while (len > 0 && i + (gssize) sizeof (struct drm_event) <= len) {
    struct drm_event *e = (struct drm_event *) (data + i);

    if (e->length < sizeof (*e) || i + (gssize) e->length > len)
      break;
    if (e->type == DRM_EVENT_FLIP_COMPLETE
        && e->length >= sizeof (struct drm_event_vblank)) {
      struct drm_event_vblank *vbl = (struct drm_event_vblank *) e;

      kms_handle_flip_event (self, (guint32) vbl->user_data, vbl->sequence);
    }
    i += e->length;
  }
}

/* Waits for the pending flip. With @block FALSE, only handles an event that
 * already came. With @block TRUE, gives up after the flip timeout, leaving
 * the flip pending (flip_late): a driver that sends no event must not hang
 * the stream, and a frame whose flip is not known done must not go back
 * upstream. Returns GST_FLOW_FLUSHING when unlocked. */
GstFlowReturn
gst_kms_wait_flip (GstDmaHeapSink * self, gboolean block)
{
  GstClockTime timeout = block ? kms_flip_timeout () : 0;

  while (self->flip_pending) {
    gint ret = gst_poll_wait (self->poll, timeout);

    if (ret > 0) {
      kms_read_events (self);
    } else if (ret == 0) {
      if (block && !self->flip_late)
        GST_WARNING_OBJECT (self, "no page flip event after %"
            GST_TIME_FORMAT ": its frame and the one before stay held until "
            "it comes", GST_TIME_ARGS (timeout));
      self->flip_late |= block;
      break;
    } else if (errno == EBUSY) {
      return GST_FLOW_FLUSHING;
    } else if (errno != EINTR && errno != EAGAIN) {
      GST_WARNING_OBJECT (self, "poll: %s", g_strerror (errno));
      self->flip_late |= block;
      break;
    }
  }

  return GST_FLOW_OK;
}

/* A commit refused with EBUSY while a flip is late: waits for its event
 * until @deadline. FALSE when the deadline passed, or when unlocked
 * (@flushing set). */
static gboolean
kms_wait_busy (GstDmaHeapSink * self, gint64 deadline, gboolean * flushing)
{
  while (self->flip_pending) {
    gint64 left = deadline - g_get_monotonic_time ();
    gint ret;

    if (left <= 0)
      return FALSE;
    ret = gst_poll_wait (self->poll, left * GST_USECOND);
    if (ret > 0) {
      kms_read_events (self);
    } else if (ret < 0 && errno == EBUSY) {
      *flushing = TRUE;
      return FALSE;
    } else if (ret == 0 || (errno != EINTR && errno != EAGAIN)) {
      return FALSE;
    }
  }

  return TRUE;
}

/* Waits until the pending flip is done, however late its event (EOS, new
 * caps, a drain, stop): the flip timeout, then BUSY_TIMEOUT more. */
GstFlowReturn
gst_kms_finish_flip (GstDmaHeapSink * self)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT;
  gboolean flushing = FALSE;
  GstFlowReturn flow = gst_kms_wait_flip (self, TRUE);

  if (flow == GST_FLOW_OK && self->flip_pending
      && !kms_wait_busy (self, deadline, &flushing) && !flushing)
    GST_WARNING_OBJECT (self, "no page flip event after %" GST_TIME_FORMAT
        " more", GST_TIME_ARGS (BUSY_TIMEOUT * GST_USECOND));

  return flushing ? GST_FLOW_FLUSHING : flow;
}

/* ------------------------------------------------------------------------ */
/* commits                                                                   */
/* ------------------------------------------------------------------------ */

static void
kms_atomic_set_plane (GstDmaHeapSink * self, drmModeAtomicReq * req,
    guint32 id, const GstKmsPlaneProps * pp, guint32 fb_id,
    const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  drmModeAtomicAddProperty (req, id, pp->fb_id, fb_id);
  drmModeAtomicAddProperty (req, id, pp->crtc_id, fb_id ? self->crtc_id : 0);
  drmModeAtomicAddProperty (req, id, pp->src_x, (guint64) src->x << 16);
  drmModeAtomicAddProperty (req, id, pp->src_y, (guint64) src->y << 16);
  drmModeAtomicAddProperty (req, id, pp->src_w, (guint64) src->w << 16);
  drmModeAtomicAddProperty (req, id, pp->src_h, (guint64) src->h << 16);
  drmModeAtomicAddProperty (req, id, pp->crtc_x, dst->x);
  drmModeAtomicAddProperty (req, id, pp->crtc_y, dst->y);
  drmModeAtomicAddProperty (req, id, pp->crtc_w, dst->w);
  drmModeAtomicAddProperty (req, id, pp->crtc_h, dst->h);
}

static void
kms_atomic_add_plane (GstDmaHeapSink * self, drmModeAtomicReq * req,
    guint32 fb_id, const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  kms_atomic_set_plane (self, req, self->planes[self->plane].id,
      &self->plane_props, fb_id, src, dst);
}

/* A mode set with the frames on an overlay: the primary plane would keep
 * what it showed, sized for the mode before (the kernel refuses a primary
 * plane that no longer covers the CRTC): it shows a black background of
 * the mode's size instead, as with the legacy API. A background replaced
 * goes to @old. */
static gboolean
kms_atomic_add_background (GstDmaHeapSink * self, drmModeAtomicReq * req,
    GstKmsDumb * old)
{
  GstVideoRectangle screen = { 0, 0, self->mode.hdisplay,
    self->mode.vdisplay
  };
  GstKmsPlaneProps pp;
  guint i;

  if (self->planes[self->plane].type == DRM_PLANE_TYPE_PRIMARY)
    return TRUE;
  for (i = 0; i < self->n_planes; i++) {
    if (self->planes[i].type == DRM_PLANE_TYPE_PRIMARY
        && (self->planes[i].possible_crtcs & (1u << self->crtc_index)))
      break;
  }
  if (i == self->n_planes
      || !gst_kms_read_plane_props (self->fd, self->planes[i].id, &pp))
    return TRUE;
  if (!gst_kms_background_for_mode (self, &self->mode, old))
    return FALSE;
  kms_atomic_set_plane (self, req, self->planes[i].id, &pp,
      self->background.fb_id, &screen, &screen);
  return TRUE;
}

/* New caps take frames to plane @plane: the one showing them now is turned
 * off by the first commit on @plane (one shown before by none). */
void
gst_kms_move_to_plane (GstDmaHeapSink * self, gint plane)
{
  if (self->plane >= 0 && plane != self->plane && self->old_plane < 0
      && (self->displayed_fb || self->pending_fb)) {
    GST_INFO_OBJECT (self, "frames move from plane %u to plane %u: the first "
        "turns off with the next commit", self->planes[self->plane].id,
        self->planes[plane].id);
    self->old_plane = self->plane;
    self->old_plane_props = self->plane_props;
  }
  if (plane == self->old_plane)
    self->old_plane = -1;
}

static void
kms_atomic_disable_old_plane (GstDmaHeapSink * self, drmModeAtomicReq * req)
{
  guint32 id;

  if (self->old_plane < 0)
    return;
  id = self->planes[self->old_plane].id;
  drmModeAtomicAddProperty (req, id, self->old_plane_props.fb_id, 0);
  drmModeAtomicAddProperty (req, id, self->old_plane_props.crtc_id, 0);
}

/* Legacy: the plane left is turned off before the first frame on the new
 * one (a blocking SetPlane: its frame is off screen when it returns). */
static void
kms_legacy_disable_old_plane (GstDmaHeapSink * self)
{
  if (self->old_plane < 0)
    return;
  if (drmModeSetPlane (self->fd, self->planes[self->old_plane].id,
          self->crtc_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    GST_WARNING_OBJECT (self, "could not turn plane %u off: %s",
        self->planes[self->old_plane].id, g_strerror (errno));
  self->old_plane = -1;
}

gint
gst_kms_atomic_commit (GstDmaHeapSink * self, guint32 fb_id,
    const GstVideoRectangle * src, const GstVideoRectangle * dst, guint32 flags)
{
  /* the number the page-flip event of this commit, if any, will carry */
  gpointer seq = GUINT_TO_POINTER (self->flip_seq + 1);
  GstKmsDumb old_background = { 0, };
  drmModeAtomicReq *req = drmModeAtomicAlloc ();
  gint ret;

  if (self->modeset_pending) {
    drmModeAtomicAddProperty (req, self->conn_id, self->conn_prop_crtc_id,
        self->crtc_id);
    drmModeAtomicAddProperty (req, self->crtc_id, self->crtc_prop_mode_id,
        self->mode_blob);
    drmModeAtomicAddProperty (req, self->crtc_id, self->crtc_prop_active, 1);
    flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
    if (!kms_atomic_add_background (self, req, &old_background)) {
      drmModeAtomicFree (req);
      return -ENOMEM;
    }
  }
  kms_atomic_add_plane (self, req, fb_id, src, dst);
  kms_atomic_disable_old_plane (self, req);

  ret = drmModeAtomicCommit (self->fd, req, flags, seq);
  if (ret)
    ret = -errno;
  drmModeAtomicFree (req);
  if (ret && !(flags & DRM_MODE_ATOMIC_TEST_ONLY) && old_background.fb_id) {
    /* the old one is still on screen: keep it */
    gst_kms_dumb_destroy (self, &self->background);
    self->background = old_background;
  } else {
    gst_kms_dumb_destroy (self, &old_background);
  }

  return ret;
}

gboolean
gst_kms_rect_is_fullscreen (GstDmaHeapSink * self, const GstVideoRectangle * r)
{
  return r->x == 0 && r->y == 0 && r->w == self->mode.hdisplay
      && r->h == self->mode.vdisplay;
}

/* Legacy drivers: SetCrtc for the first frame when we set the mode,
 * PageFlip for a full-screen primary plane, SetPlane for the rest. Only
 * PageFlip is asynchronous. */
static gint
kms_legacy_commit (GstDmaHeapSink * self, guint32 fb_id, guint32 fb_width,
    guint32 fb_height, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, gboolean * async)
{
  const GstKmsPlaneDesc *plane = &self->planes[self->plane];
  gboolean primary_fullscreen = plane->type == DRM_PLANE_TYPE_PRIMARY
      && gst_kms_rect_is_fullscreen (self, dst) && src->w == dst->w
      && src->h == dst->h && fb_width >= (guint32) (src->x + src->w)
      && fb_height >= (guint32) (src->y + src->h);
  gint ret;

  *async = FALSE;

  if (self->modeset_pending) {
    GstKmsDumb old_background = { 0, };
    guint32 crtc_fb = fb_id;

    if (!primary_fullscreen) {
      if (!gst_kms_background_for_mode (self, &self->mode, &old_background))
        return -ENOMEM;
      crtc_fb = self->background.fb_id;
    }
    ret = drmModeSetCrtc (self->fd, self->crtc_id, crtc_fb,
        primary_fullscreen ? src->x : 0, primary_fullscreen ? src->y : 0,
        &self->conn_id, 1, &self->mode);
    ret = ret ? -errno : 0;
    if (ret && old_background.fb_id) {
      /* the old one is still on screen: keep it */
      gst_kms_dumb_destroy (self, &self->background);
      self->background = old_background;
    } else {
      gst_kms_dumb_destroy (self, &old_background);
    }
    if (ret || primary_fullscreen)
      return ret;
  }

  if (primary_fullscreen && src->x == 0 && src->y == 0) {
    ret = drmModePageFlip (self->fd, self->crtc_id, fb_id,
        DRM_MODE_PAGE_FLIP_EVENT, GUINT_TO_POINTER (self->flip_seq + 1));
    if (ret == 0) {
      *async = TRUE;
      return 0;
    }
    GST_DEBUG_OBJECT (self, "PageFlip: %s, trying SetPlane",
        g_strerror (errno));
  }

  ret = drmModeSetPlane (self->fd, plane->id, self->crtc_id, fb_id, 0,
      dst->x, dst->y, dst->w, dst->h, (guint32) src->x << 16,
      (guint32) src->y << 16, (guint32) src->w << 16, (guint32) src->h << 16);
  if (ret)
    return -errno;

  return 0;
}

static void
kms_legacy_wait_vblank (GstDmaHeapSink * self)
{
  drmVBlank vbl = { 0, };

  vbl.request.type = DRM_VBLANK_RELATIVE;
  if (self->crtc_index > 1)
    vbl.request.type |= (self->crtc_index << DRM_VBLANK_HIGH_CRTC_SHIFT)
        & DRM_VBLANK_HIGH_CRTC_MASK;
  else if (self->crtc_index == 1)
    vbl.request.type |= DRM_VBLANK_SECONDARY;
  vbl.request.sequence = 1;

  /* Devices without vblank interrupts (QEMU's) fail: nothing to pace to. */
  if (drmWaitVBlank (self->fd, &vbl))
    GST_LOG_OBJECT (self, "drmWaitVBlank: %s", g_strerror (errno));
}

/* Puts @fb_id on screen; @buf (may be NULL for dumb buffers) is kept until
 * it is no longer scanned out. */
gint
gst_kms_show_fb (GstDmaHeapSink * self, GstBuffer * buf, guint32 fb_id,
    guint32 fb_width, guint32 fb_height, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, gboolean skip_vsync)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT;
  gboolean async = FALSE, flushing = FALSE;
  gint ret;

  GST_LOG_OBJECT (self, "showing fb %u: %dx%d+%d+%d -> %dx%d+%d+%d", fb_id,
      src->w, src->h, src->x, src->y, dst->w, dst->h, dst->x, dst->y);

  do {
    if (self->atomic) {
      ret = gst_kms_atomic_commit (self, fb_id, src, dst,
          DRM_MODE_PAGE_FLIP_EVENT | (self->modeset_pending ? 0 :
              DRM_MODE_ATOMIC_NONBLOCK));
      async = ret == 0;
    } else {
      kms_legacy_disable_old_plane (self);
      ret = kms_legacy_commit (self, fb_id, fb_width, fb_height, src, dst,
          &async);
    }
    /* The kernel takes no commit before the late flip is done. */
  } while (ret == -EBUSY && self->flip_pending
      && kms_wait_busy (self, deadline, &flushing));
  if (flushing)
    return -ECANCELED;
  if (ret)
    return ret;

  /* Taken: the flip before it is done, even if its event is still to be
   * read (it will complete nothing). */
  if (self->flip_pending) {
    GST_DEBUG_OBJECT (self, "commit taken after the late flip %u: done",
        self->flip_seq);
    kms_flip_done (self);
  }
  self->flip_seq++;
  /* the plane left is off once this flip is done */
  self->old_plane = -1;

  if (self->modeset_pending) {
    self->committed_mode = self->mode;
    self->committed_mode_valid = TRUE;
  }
  self->modeset_pending = FALSE;
  gst_buffer_replace (&self->pending, buf);
  self->pending_fb = fb_id;
  self->flip_pending = TRUE;

  /* Legacy SetPlane: on atomic drivers a blocking commit that waited for
   * the vblank already (waiting for another halved the frame rate:
   * kmssink's old bug; kmssink now waits for a page-flip event instead of
   * drmWaitVBlank where it can); on others, nothing waited. */
  if (!async) {
    kms_flip_done (self);
    if (!skip_vsync && !self->driver_atomic)
      kms_legacy_wait_vblank (self);
  }

  return 0;
}

/* Legacy DPMS off, which atomic drivers turn into ACTIVE=0. */
static void
kms_switch_off (GstDmaHeapSink * self)
{
  guint32 dpms = gst_kms_find_property (self->fd, self->conn_id,
      DRM_MODE_OBJECT_CONNECTOR, "DPMS", NULL);

  if (!dpms || drmModeConnectorSetProperty (self->fd, self->conn_id, dpms,
          DRM_MODE_DPMS_OFF))
    GST_DEBUG_OBJECT (self, "could not switch CRTC %u off again: %s",
        self->crtc_id, g_strerror (errno));
}

/* Leaves the display as we found it: the saved CRTC back when we set a
 * mode, else our plane off. Either way no framebuffer of ours is scanned out
 * any more, so removing them cannot blank someone else's plane. */
void
gst_kms_restore_display (GstDmaHeapSink * self)
{
  if (self->plane < 0 || (!self->displayed_fb && !self->pending_fb))
    return;

  if (self->mode_set_by_us && self->saved_crtc) {
    drmModeCrtc *c = self->saved_crtc;

    if (c->buffer_id && c->mode_valid) {
      if (drmModeSetCrtc (self->fd, c->crtc_id, c->buffer_id, c->x, c->y,
              &self->conn_id, 1, &c->mode) == 0) {
        /* SetCrtc switches it on: off again, as it was */
        if (!self->crtc_was_on)
          kms_switch_off (self);
        return;
      }
    } else if (drmModeSetCrtc (self->fd, c->crtc_id, 0, 0, 0, NULL, 0,
            NULL) == 0) {
      return;
    }
    GST_DEBUG_OBJECT (self, "could not restore CRTC %u: %s", c->crtc_id,
        g_strerror (errno));
  }

  if (self->atomic) {
    drmModeAtomicReq *req = drmModeAtomicAlloc ();
    GstVideoRectangle none = { 0, 0, 0, 0 };

    kms_atomic_add_plane (self, req, 0, &none, &none);
    kms_atomic_disable_old_plane (self, req);
    if (drmModeAtomicCommit (self->fd, req, 0, NULL))
      GST_DEBUG_OBJECT (self, "disabling plane: %s", g_strerror (errno));
    drmModeAtomicFree (req);
  } else {
    drmModeSetPlane (self->fd, self->planes[self->plane].id, self->crtc_id,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    kms_legacy_disable_old_plane (self);
  }
}

/* The frame on screen shown from a copy, so that its buffer can go. */
static void
kms_show_displayed_as_copy (GstDmaHeapSink * self)
{
  GstVideoRectangle src, dst;
  GstBuffer *last;
  GstKmsDumb *dumb;
  gint ret;

  if (!self->displayed) {
    GST_DEBUG_OBJECT (self, "drain: %s", self->displayed_fb ? "a copy is on "
        "screen, no buffer of upstream's is held" : "nothing on screen");
    return;
  }

  last = gst_buffer_ref (self->displayed);
  dumb = gst_kms_copy_frame (self, last, &src, &dst);
  if (dumb) {
    ret = gst_kms_show_fb (self, NULL, dumb->fb_id, dumb->width, dumb->height,
        &src, &dst, FALSE);
    if (ret == 0)
      gst_kms_finish_flip (self);
    else
      GST_WARNING_OBJECT (self, "could not show the drained frame: %s",
          g_strerror (-ret));
  }
  gst_buffer_unref (last);
}

/* Upstream wants its buffers back (a pool about to be torn down, new caps):
 * keep the last frame on screen from a copy, release the imported buffer and
 * the preroll frame copied, and remove every cached framebuffer but the one
 * on screen (a framebuffer keeps its dma-buf alive: a bounded heap needs the
 * memory back, a V4L2 decoder drains before it reallocates). The sink holds
 * no other buffer of upstream's: the frame of a pending flip is on screen
 * once the flip completes, and a frame it copied went back upstream when it
 * was copied. */
void
gst_kms_drain (GstDmaHeapSink * self)
{
  if (self->plane < 0)
    return;
  gst_buffer_replace (&self->preroll_copy, NULL);
  if (gst_kms_finish_flip (self) == GST_FLOW_OK)
    kms_show_displayed_as_copy (self);
  if (self->cache)
    gst_kms_fb_cache_clear_except (self->cache, self->displayed_fb);
}
