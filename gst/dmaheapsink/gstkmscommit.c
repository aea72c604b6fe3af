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

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>

/* How long a page flip may take before we stop waiting for its event. */
#define FLIP_TIMEOUT (GST_SECOND)

/* ------------------------------------------------------------------------ */
/* page flips                                                                */
/* ------------------------------------------------------------------------ */

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

  GST_OBJECT_LOCK (self);
  self->frames_shown++;
  GST_OBJECT_UNLOCK (self);
}

static void
kms_page_flip_handler (gint fd, guint frame, guint sec, guint usec,
    gpointer data)
{
  GstDmaHeapSink *self = data;

  GST_LOG_OBJECT (self, "flip done, vblank %u", frame);
  kms_flip_done (self);
}

/* Waits for the pending flip. With @block FALSE, only handles an event that
 * already came. Returns GST_FLOW_FLUSHING when unlocked. */
GstFlowReturn
gst_kms_wait_flip (GstDmaHeapSink * self, gboolean block)
{
  drmEventContext evctx = {
    .version = 2,
    .page_flip_handler = kms_page_flip_handler,
  };

  while (self->flip_pending) {
    gint ret = gst_poll_wait (self->poll, block ? FLIP_TIMEOUT : 0);

    if (ret > 0) {
      if (drmHandleEvent (self->fd, &evctx) < 0)
        GST_WARNING_OBJECT (self, "drmHandleEvent: %s", g_strerror (errno));
    } else if (ret == 0) {
      if (!block)
        break;
      /* Some drivers never send the event (a bug): do not hang on them. */
      GST_WARNING_OBJECT (self, "no page flip event after %" GST_TIME_FORMAT,
          GST_TIME_ARGS (FLIP_TIMEOUT));
      kms_flip_done (self);
    } else if (errno == EBUSY) {
      return GST_FLOW_FLUSHING;
    } else if (errno != EINTR && errno != EAGAIN) {
      GST_WARNING_OBJECT (self, "poll: %s", g_strerror (errno));
      kms_flip_done (self);
    }
  }

  return GST_FLOW_OK;
}

/* ------------------------------------------------------------------------ */
/* commits                                                                   */
/* ------------------------------------------------------------------------ */

static void
kms_atomic_add_plane (GstDmaHeapSink * self, drmModeAtomicReq * req,
    guint32 fb_id, const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  const GstKmsPlaneProps *pp = &self->plane_props;
  guint32 id = self->planes[self->plane].id;

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

gint
gst_kms_atomic_commit (GstDmaHeapSink * self, guint32 fb_id,
    const GstVideoRectangle * src, const GstVideoRectangle * dst, guint32 flags)
{
  drmModeAtomicReq *req = drmModeAtomicAlloc ();
  gint ret;

  if (self->modeset_pending) {
    drmModeAtomicAddProperty (req, self->conn_id, self->conn_prop_crtc_id,
        self->crtc_id);
    drmModeAtomicAddProperty (req, self->crtc_id, self->crtc_prop_mode_id,
        self->mode_blob);
    drmModeAtomicAddProperty (req, self->crtc_id, self->crtc_prop_active, 1);
    flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
  }
  kms_atomic_add_plane (self, req, fb_id, src, dst);

  ret = drmModeAtomicCommit (self->fd, req, flags, self);
  if (ret)
    ret = -errno;
  drmModeAtomicFree (req);

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
    guint32 crtc_fb = fb_id;

    if (!primary_fullscreen) {
      if (!self->background.fb_id && !gst_kms_dumb_create (self,
              GST_VIDEO_FORMAT_BGRx, self->mode.hdisplay, self->mode.vdisplay,
              &self->background))
        return -ENOMEM;
      crtc_fb = self->background.fb_id;
    }
    ret = drmModeSetCrtc (self->fd, self->crtc_id, crtc_fb,
        primary_fullscreen ? src->x : 0, primary_fullscreen ? src->y : 0,
        &self->conn_id, 1, &self->mode);
    if (ret)
      return -errno;
    if (primary_fullscreen)
      return 0;
  }

  if (primary_fullscreen && src->x == 0 && src->y == 0) {
    ret = drmModePageFlip (self->fd, self->crtc_id, fb_id,
        DRM_MODE_PAGE_FLIP_EVENT, self);
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
  gboolean async = FALSE;
  gint ret;

  GST_LOG_OBJECT (self, "showing fb %u: %dx%d+%d+%d -> %dx%d+%d+%d", fb_id,
      src->w, src->h, src->x, src->y, dst->w, dst->h, dst->x, dst->y);

  if (self->atomic) {
    ret = gst_kms_atomic_commit (self, fb_id, src, dst,
        DRM_MODE_PAGE_FLIP_EVENT | (self->modeset_pending ? 0 :
            DRM_MODE_ATOMIC_NONBLOCK));
    async = ret == 0;
  } else {
    ret = kms_legacy_commit (self, fb_id, fb_width, fb_height, src, dst,
        &async);
  }
  if (ret)
    return ret;

  if (self->modeset_pending) {
    self->committed_mode = self->mode;
    self->committed_mode_valid = TRUE;
  }
  self->modeset_pending = FALSE;
  gst_buffer_replace (&self->pending, buf);
  self->pending_fb = fb_id;
  self->flip_pending = TRUE;

  if (!async) {
    kms_flip_done (self);
    if (!skip_vsync)
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
    if (drmModeAtomicCommit (self->fd, req, 0, NULL))
      GST_DEBUG_OBJECT (self, "disabling plane: %s", g_strerror (errno));
    drmModeAtomicFree (req);
  } else {
    drmModeSetPlane (self->fd, self->planes[self->plane].id, self->crtc_id,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}

/* Upstream wants its buffers back (a pool about to be torn down): keep the
 * last frame on screen from a copy, release the imported buffer and the
 * preroll frame copied. The sink holds no other buffer of upstream's: the
 * frame of a pending flip is on screen once the flip completes, and a frame
 * it copied went back upstream when it was copied. */
void
gst_kms_drain (GstDmaHeapSink * self)
{
  GstVideoRectangle src, dst;
  GstBuffer *last;
  GstKmsDumb *dumb;
  gint ret;

  if (self->plane < 0)
    return;
  gst_buffer_replace (&self->preroll_copy, NULL);
  if (gst_kms_wait_flip (self, TRUE) != GST_FLOW_OK)
    return;
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
      gst_kms_wait_flip (self, TRUE);
    else
      GST_WARNING_OBJECT (self, "could not show the drained frame: %s",
          g_strerror (-ret));
  }
  gst_buffer_unref (last);
}
