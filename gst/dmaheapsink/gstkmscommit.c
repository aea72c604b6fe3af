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
#include "gstkmsimport.h"

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* How long a page flip may take before the sink stops waiting for its event
 * and commits the next frame anyway. GST_DMAHEAPSINK_FLIP_TIMEOUT_MS
 * shortens it: the tests use it to make events arrive late. */
#define FLIP_TIMEOUT (GST_SECOND)
/* How long a commit refused with EBUSY (the kernel still busy with the one
 * whose event is late) is retried as that event is waited for. */
#define BUSY_TIMEOUT (2 * G_USEC_PER_SEC)

void
gst_kms_commit_init (GstKmsCommit * commit, GstElement * element)
{
  memset (commit, 0, sizeof (*commit));
  commit->element = element;
  commit->old_plane = -1;
}

void
gst_kms_commit_reset_stats (GstKmsCommit * commit)
{
  GST_OBJECT_LOCK (commit->element);
  commit->frames_shown = 0;
  GST_OBJECT_UNLOCK (commit->element);
}

/* Waits for page-flip events on @dev's fd from now on. */
void
gst_kms_commit_start (GstKmsCommit * commit, GstKmsDevice * dev)
{
  commit->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&commit->pollfd);
  commit->pollfd.fd = dev->fd;
  gst_poll_add_fd (commit->poll, &commit->pollfd);
  gst_poll_fd_ctl_read (commit->poll, &commit->pollfd, TRUE);
}

/* Unlocks (or no longer unlocks) the waits for page flips. */
void
gst_kms_commit_set_flushing (GstKmsCommit * commit, gboolean flushing)
{
  if (commit->poll)
    gst_poll_set_flushing (commit->poll, flushing);
}

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
kms_flip_done (GstKmsCommit * commit)
{
  gst_buffer_replace (&commit->displayed, NULL);
  commit->displayed = commit->pending;
  commit->displayed_fb = commit->pending_fb;
  commit->pending = NULL;
  commit->pending_fb = 0;
  commit->flip_pending = FALSE;
  commit->flip_late = FALSE;

  GST_OBJECT_LOCK (commit->element);
  commit->frames_shown++;
  GST_OBJECT_UNLOCK (commit->element);
}

static void
kms_handle_flip_event (GstKmsCommit * commit, guint32 seq, guint32 vblank)
{
  if (!commit->flip_pending || seq != commit->flip_seq) {
    GST_DEBUG_OBJECT (commit->element,
        "late page-flip event of commit %u (vblank %u): "
        "its flip was done when the next commit was taken", seq, vblank);
    return;
  }
  if (commit->flip_late)
    GST_INFO_OBJECT (commit->element,
        "the late page-flip event came (vblank %u)", vblank);
  GST_LOG_OBJECT (commit->element, "flip %u done, vblank %u", seq, vblank);
  kms_flip_done (commit);
}

/* Reads the events queued on the device (after a poll said there are). */
static void
kms_read_events (GstKmsCommit * commit)
{
  guint64 buf[512];
  guint8 *data = (guint8 *) buf;
  gssize len = read (commit->pollfd.fd, buf, sizeof (buf)), i = 0;

  if (len < 0 && errno != EAGAIN && errno != EINTR)
    GST_WARNING_OBJECT (commit->element, "reading DRM events: %s",
        g_strerror (errno));

  while (len > 0 && i + (gssize) sizeof (struct drm_event) <= len) {
    struct drm_event *e = (struct drm_event *) (data + i);

    if (e->length < sizeof (*e) || i + (gssize) e->length > len)
      break;
    if (e->type == DRM_EVENT_FLIP_COMPLETE
        && e->length >= sizeof (struct drm_event_vblank)) {
      struct drm_event_vblank *vbl = (struct drm_event_vblank *) e;

      kms_handle_flip_event (commit, (guint32) vbl->user_data, vbl->sequence);
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
gst_kms_commit_wait_flip (GstKmsCommit * commit, gboolean block)
{
  GstClockTime timeout = block ? kms_flip_timeout () : 0;

  while (commit->flip_pending) {
    gint ret = gst_poll_wait (commit->poll, timeout);

    if (ret > 0) {
      kms_read_events (commit);
    } else if (ret == 0) {
      if (block && !commit->flip_late)
        GST_WARNING_OBJECT (commit->element, "no page flip event after %"
            GST_TIME_FORMAT ": its frame and the one before stay held until "
            "it comes", GST_TIME_ARGS (timeout));
      commit->flip_late |= block;
      break;
    } else if (errno == EBUSY) {
      return GST_FLOW_FLUSHING;
    } else if (errno != EINTR && errno != EAGAIN) {
      GST_WARNING_OBJECT (commit->element, "poll: %s", g_strerror (errno));
      commit->flip_late |= block;
      break;
    }
  }

  return GST_FLOW_OK;
}

/* A commit refused with EBUSY while a flip is late: waits for its event
 * until @deadline. FALSE when the deadline passed, or when unlocked
 * (@flushing set). */
static gboolean
kms_wait_busy (GstKmsCommit * commit, gint64 deadline, gboolean * flushing)
{
  while (commit->flip_pending) {
    gint64 left = deadline - g_get_monotonic_time ();
    gint ret;

    if (left <= 0)
      return FALSE;
    ret = gst_poll_wait (commit->poll, left * GST_USECOND);
    if (ret > 0) {
      kms_read_events (commit);
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
gst_kms_commit_finish_flip (GstKmsCommit * commit)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT;
  gboolean flushing = FALSE;
  GstFlowReturn flow = gst_kms_commit_wait_flip (commit, TRUE);

  if (flow == GST_FLOW_OK && commit->flip_pending
      && !kms_wait_busy (commit, deadline, &flushing) && !flushing)
    GST_WARNING_OBJECT (commit->element,
        "no page flip event after %" GST_TIME_FORMAT " more",
        GST_TIME_ARGS (BUSY_TIMEOUT * GST_USECOND));

  return flushing ? GST_FLOW_FLUSHING : flow;
}

/* ------------------------------------------------------------------------ */
/* commits                                                                   */
/* ------------------------------------------------------------------------ */

static void
kms_atomic_set_plane (GstKmsDevice * dev, drmModeAtomicReq * req,
    guint32 id, const GstKmsPlaneProps * pp, guint32 fb_id,
    const GstVideoRectangle * src, const GstVideoRectangle * dst)
{
  drmModeAtomicAddProperty (req, id, pp->fb_id, fb_id);
  drmModeAtomicAddProperty (req, id, pp->crtc_id, fb_id ? dev->crtc_id : 0);
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
kms_atomic_add_plane (GstKmsDevice * dev, const GstKmsOutput * out,
    drmModeAtomicReq * req, guint32 fb_id, const GstVideoRectangle * src,
    const GstVideoRectangle * dst)
{
  kms_atomic_set_plane (dev, req, dev->planes[out->plane].id,
      &out->plane_props, fb_id, src, dst);
}

/* The background the primary plane shows under an overlay when the sink
 * sets @mode. One smaller than the mode is replaced (the kernel refuses a
 * primary plane that does not cover the CRTC, legacy SetCrtc a framebuffer
 * smaller than the mode): the one it replaces, maybe on screen until the
 * mode is set, goes to @old, to be destroyed after that. */
static gboolean
kms_background_for_mode (GstKmsCommit * commit, GstKmsDevice * dev,
    const drmModeModeInfo * mode, GstKmsDumb * old)
{
  GstKmsDumb *bg = &commit->background;

  memset (old, 0, sizeof (*old));
  if (bg->fb_id && bg->width >= mode->hdisplay && bg->height >= mode->vdisplay)
    return TRUE;

  *old = *bg;
  if (gst_kms_dumb_create (dev, GST_VIDEO_FORMAT_BGRx, mode->hdisplay,
          mode->vdisplay, bg))
    return TRUE;
  *bg = *old;
  memset (old, 0, sizeof (*old));
  return FALSE;
}

/* After a commit with a new background: @old goes, unless the commit
 * failed (@keep_old), then it is still on screen and stays. */
static void
kms_background_settle (GstKmsCommit * commit, GstKmsDevice * dev,
    GstKmsDumb * old, gboolean keep_old)
{
  if (keep_old && old->fb_id) {
    gst_kms_dumb_destroy (dev, &commit->background);
    commit->background = *old;
  } else {
    gst_kms_dumb_destroy (dev, old);
  }
}

/* A mode set with the frames on an overlay: the primary plane would keep
 * what it showed, sized for the mode before (the kernel refuses a primary
 * plane that no longer covers the CRTC): it shows a black background of
 * the mode's size instead, as with the legacy API. A background replaced
 * goes to @old. */
static gboolean
kms_atomic_add_background (GstKmsCommit * commit, GstKmsDevice * dev,
    const GstKmsOutput * out, drmModeAtomicReq * req, GstKmsDumb * old)
{
  GstVideoRectangle screen = { 0, 0, out->mode.hdisplay,
    out->mode.vdisplay
  };
  GstKmsPlaneProps pp;
  gint i;

  if (dev->planes[out->plane].type == DRM_PLANE_TYPE_PRIMARY)
    return TRUE;
  i = gst_kms_device_primary_plane (dev);
  if (i < 0 || !gst_kms_device_read_plane_props (dev, dev->planes[i].id, &pp))
    return TRUE;
  if (!kms_background_for_mode (commit, dev, &out->mode, old))
    return FALSE;
  kms_atomic_set_plane (dev, req, dev->planes[i].id, &pp,
      commit->background.fb_id, &screen, &screen);
  return TRUE;
}

/* New caps take frames from @out's plane to plane @plane: the one showing
 * them now is turned off by the first commit on @plane (one shown before by
 * none). */
void
gst_kms_commit_move_to_plane (GstKmsCommit * commit, GstKmsDevice * dev,
    const GstKmsOutput * out, gint plane)
{
  if (out->plane >= 0 && plane != out->plane && commit->old_plane < 0
      && (commit->displayed_fb || commit->pending_fb)) {
    GST_INFO_OBJECT (commit->element, "frames move from plane %u to plane %u: "
        "the first turns off with the next commit", dev->planes[out->plane].id,
        dev->planes[plane].id);
    commit->old_plane = out->plane;
    commit->old_plane_props = out->plane_props;
  }
  if (plane == commit->old_plane)
    commit->old_plane = -1;
}

static void
kms_atomic_disable_old_plane (GstKmsCommit * commit, GstKmsDevice * dev,
    drmModeAtomicReq * req)
{
  guint32 id;

  if (commit->old_plane < 0)
    return;
  id = dev->planes[commit->old_plane].id;
  drmModeAtomicAddProperty (req, id, commit->old_plane_props.fb_id, 0);
  drmModeAtomicAddProperty (req, id, commit->old_plane_props.crtc_id, 0);
}

/* Legacy: the plane left is turned off before the first frame on the new
 * one (a blocking SetPlane: its frame is off screen when it returns). */
static void
kms_legacy_disable_old_plane (GstKmsCommit * commit, GstKmsDevice * dev)
{
  if (commit->old_plane < 0)
    return;
  if (drmModeSetPlane (dev->fd, dev->planes[commit->old_plane].id,
          dev->crtc_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    GST_WARNING_OBJECT (commit->element, "could not turn plane %u off: %s",
        dev->planes[commit->old_plane].id, g_strerror (errno));
  commit->old_plane = -1;
}

/* An atomic commit of @fb_id at @src -> @dst on @out's plane, with the
 * mode when one is to be set, and the plane left turned off. */
gint
gst_kms_commit_atomic (GstKmsCommit * commit, GstKmsDevice * dev,
    const GstKmsOutput * out, guint32 fb_id, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, guint32 flags)
{
  /* the number the page-flip event of this commit, if any, will carry */
  gpointer seq = GUINT_TO_POINTER (commit->flip_seq + 1);
  GstKmsDumb old_background = { 0, };
  drmModeAtomicReq *req = drmModeAtomicAlloc ();
  gint ret;

  if (out->modeset_pending) {
    drmModeAtomicAddProperty (req, dev->conn_id, dev->conn_prop_crtc_id,
        dev->crtc_id);
    drmModeAtomicAddProperty (req, dev->crtc_id, dev->crtc_prop_mode_id,
        out->mode_blob);
    drmModeAtomicAddProperty (req, dev->crtc_id, dev->crtc_prop_active, 1);
    flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
    if (!kms_atomic_add_background (commit, dev, out, req, &old_background)) {
      drmModeAtomicFree (req);
      return -ENOMEM;
    }
  }
  kms_atomic_add_plane (dev, out, req, fb_id, src, dst);
  kms_atomic_disable_old_plane (commit, dev, req);

  ret = drmModeAtomicCommit (dev->fd, req, flags, seq);
  if (ret)
    ret = -errno;
  drmModeAtomicFree (req);
  /* refused, the old background is still on screen: keep it */
  kms_background_settle (commit, dev, &old_background, ret
      && !(flags & DRM_MODE_ATOMIC_TEST_ONLY));

  return ret;
}

/* Legacy drivers: SetCrtc for the first frame when we set the mode,
 * PageFlip for a full-screen primary plane, SetPlane for the rest. Only
 * PageFlip is asynchronous. */
static gint
kms_legacy_commit (GstKmsCommit * commit, GstKmsDevice * dev,
    const GstKmsOutput * out, guint32 fb_id, guint32 fb_width,
    guint32 fb_height, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, gboolean * async)
{
  const GstKmsPlaneDesc *plane = &dev->planes[out->plane];
  gboolean primary_fullscreen = plane->type == DRM_PLANE_TYPE_PRIMARY
      && gst_kms_output_is_fullscreen (out, dst) && src->w == dst->w
      && src->h == dst->h && fb_width >= (guint32) (src->x + src->w)
      && fb_height >= (guint32) (src->y + src->h);
  gint ret;

  *async = FALSE;

  if (out->modeset_pending) {
    GstKmsDumb old_background = { 0, };
    drmModeModeInfo mode = out->mode;
    guint32 crtc_fb = fb_id;

    if (!primary_fullscreen) {
      if (!kms_background_for_mode (commit, dev, &mode, &old_background))
        return -ENOMEM;
      crtc_fb = commit->background.fb_id;
    }
    ret = drmModeSetCrtc (dev->fd, dev->crtc_id, crtc_fb,
        primary_fullscreen ? src->x : 0, primary_fullscreen ? src->y : 0,
        &dev->conn_id, 1, &mode);
    ret = ret ? -errno : 0;
    /* refused, the old background is still on screen: keep it */
    kms_background_settle (commit, dev, &old_background, ret != 0);
    if (ret || primary_fullscreen)
      return ret;
  }

  if (primary_fullscreen && src->x == 0 && src->y == 0) {
    ret = drmModePageFlip (dev->fd, dev->crtc_id, fb_id,
        DRM_MODE_PAGE_FLIP_EVENT, GUINT_TO_POINTER (commit->flip_seq + 1));
    if (ret == 0) {
      *async = TRUE;
      return 0;
    }
    GST_DEBUG_OBJECT (commit->element, "PageFlip: %s, trying SetPlane",
        g_strerror (errno));
  }

  ret = drmModeSetPlane (dev->fd, plane->id, dev->crtc_id, fb_id, 0,
      dst->x, dst->y, dst->w, dst->h, (guint32) src->x << 16,
      (guint32) src->y << 16, (guint32) src->w << 16, (guint32) src->h << 16);
  if (ret)
    return -errno;

  return 0;
}

static void
kms_legacy_wait_vblank (GstKmsCommit * commit, GstKmsDevice * dev)
{
  drmVBlank vbl = { 0, };

  vbl.request.type = DRM_VBLANK_RELATIVE;
  if (dev->crtc_index > 1)
    vbl.request.type |= (dev->crtc_index << DRM_VBLANK_HIGH_CRTC_SHIFT)
        & DRM_VBLANK_HIGH_CRTC_MASK;
  else if (dev->crtc_index == 1)
    vbl.request.type |= DRM_VBLANK_SECONDARY;
  vbl.request.sequence = 1;

  /* Devices without vblank interrupts (QEMU's) fail: nothing to pace to. */
  if (drmWaitVBlank (dev->fd, &vbl))
    GST_LOG_OBJECT (commit->element, "drmWaitVBlank: %s", g_strerror (errno));
}

/* Puts @fb_id on screen on @out's plane, setting @out's mode if it is to
 * be set (and telling @out it was); @buf (may be NULL for dumb buffers) is
 * kept until it is no longer scanned out. */
gint
gst_kms_commit_show_fb (GstKmsCommit * commit, GstKmsDevice * dev,
    GstKmsOutput * out, GstBuffer * buf, guint32 fb_id, guint32 fb_width,
    guint32 fb_height, const GstVideoRectangle * src,
    const GstVideoRectangle * dst, gboolean skip_vsync)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT;
  gboolean async = FALSE, flushing = FALSE;
  gint ret;

  GST_LOG_OBJECT (commit->element, "showing fb %u: %dx%d+%d+%d -> %dx%d+%d+%d",
      fb_id, src->w, src->h, src->x, src->y, dst->w, dst->h, dst->x, dst->y);

  do {
    if (dev->atomic) {
      ret = gst_kms_commit_atomic (commit, dev, out, fb_id, src, dst,
          DRM_MODE_PAGE_FLIP_EVENT | (out->modeset_pending ? 0 :
              DRM_MODE_ATOMIC_NONBLOCK));
      async = ret == 0;
    } else {
      kms_legacy_disable_old_plane (commit, dev);
      ret = kms_legacy_commit (commit, dev, out, fb_id, fb_width, fb_height,
          src, dst, &async);
    }
    /* The kernel takes no commit before the late flip is done. */
  } while (ret == -EBUSY && commit->flip_pending
      && kms_wait_busy (commit, deadline, &flushing));
  if (flushing)
    return -ECANCELED;
  if (ret)
    return ret;

  /* Taken: the flip before it is done, even if its event is still to be
   * read (it will complete nothing). */
  if (commit->flip_pending) {
    GST_DEBUG_OBJECT (commit->element,
        "commit taken after the late flip %u: done", commit->flip_seq);
    kms_flip_done (commit);
  }
  commit->flip_seq++;
  /* the plane left is off once this flip is done */
  commit->old_plane = -1;

  gst_kms_output_mode_committed (out);
  gst_buffer_replace (&commit->pending, buf);
  commit->pending_fb = fb_id;
  commit->flip_pending = TRUE;

  /* Legacy SetPlane: on atomic drivers a blocking commit that waited for
   * the vblank already (waiting for another halved the frame rate:
   * kmssink's old bug; kmssink now waits for a page-flip event instead of
   * drmWaitVBlank where it can); on others, nothing waited. */
  if (!async) {
    kms_flip_done (commit);
    if (!skip_vsync && !dev->driver_atomic)
      kms_legacy_wait_vblank (commit, dev);
  }

  return 0;
}

/* Shows @buf: without a copy when the display device can scan it out
 * (imported by @imp), else from a copy in one of @copies' dumb buffers
 * (@copied set, and @buf not kept). */
GstFlowReturn
gst_kms_commit_show_buffer (GstKmsCommit * commit, GstKmsDevice * dev,
    GstKmsOutput * out, GstKmsImport * imp, GstKmsCopies * copies,
    GstBuffer * buf, gboolean skip_vsync, gboolean * copied)
{
  GstVideoRectangle src, dst;
  GstKmsDumb *dumb = NULL;
  guint32 fb_id, fb_w, fb_h;
  gboolean refused = FALSE;
  gint ret;

retry:
  dumb = NULL;
  src = out->src;
  dst = out->dst;
  fb_w = out->frame_width;
  fb_h = out->frame_height;
  fb_id = refused ? 0 : gst_kms_import_fb_for_buffer (imp, dev, out, buf);

  if (!fb_id) {
    dumb = gst_kms_copies_copy_frame (copies, dev, out, commit->displayed_fb,
        commit->pending_fb, buf, &src, &dst);
    if (!dumb)
      goto copy_failed;
    fb_id = dumb->fb_id;
    fb_w = dumb->width;
    fb_h = dumb->height;
  }

  ret = gst_kms_commit_show_fb (commit, dev, out, dumb ? NULL : buf, fb_id,
      fb_w, fb_h, &src, &dst, skip_vsync);
  /* Legacy drivers cannot be asked beforehand, and a new render rectangle
   * is not tested: learn from the refusal and show the frame another way. */
  if (ret == -EINVAL || ret == -ERANGE) {
    if (gst_kms_output_learn_from_refusal (out, dev, &src, &dst))
      goto retry;
    if (!dumb) {
      /* The driver takes the layout but not this framebuffer (pitch or
       * offset limits): a dumb buffer of its own making will do. */
      GST_INFO_OBJECT (commit->element,
          "imported framebuffer %u refused: copying", fb_id);
      refused = TRUE;
      goto retry;
    }
  }
  if (ret == -ECANCELED)
    return GST_FLOW_FLUSHING;
  if (ret)
    goto commit_failed;

  *copied = dumb != NULL;
  if (dumb)
    gst_kms_copies_count (copies, out, refused);

  return GST_FLOW_OK;

  /* ERRORS */
copy_failed:
  {
    GST_ELEMENT_ERROR (commit->element, RESOURCE, FAILED,
        ("Could not copy a %s frame that %s cannot show directly",
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&out->vinfo)),
            dev->path), ("no dumb buffer, or the frame cannot be mapped"));
    return GST_FLOW_ERROR;
  }
commit_failed:
  {
    gst_kms_device_commit_failed (dev, out->plane, -ret);
    return GST_FLOW_ERROR;
  }
}

/* Legacy DPMS off, which atomic drivers turn into ACTIVE=0. */
static void
kms_switch_off (GstKmsCommit * commit, GstKmsDevice * dev)
{
  guint32 dpms = gst_kms_find_property (dev->fd, dev->conn_id,
      DRM_MODE_OBJECT_CONNECTOR, "DPMS", NULL);

  if (!dpms || drmModeConnectorSetProperty (dev->fd, dev->conn_id, dpms,
          DRM_MODE_DPMS_OFF))
    GST_DEBUG_OBJECT (commit->element, "could not switch CRTC %u off again: %s",
        dev->crtc_id, g_strerror (errno));
}

/* Leaves the display as we found it: the saved CRTC back when we set a
 * mode, else our plane off. Either way no framebuffer of ours is scanned out
 * any more, so removing them cannot blank someone else's plane. */
static void
kms_restore_display (GstKmsCommit * commit, GstKmsDevice * dev,
    const GstKmsOutput * out)
{
  if (out->plane < 0 || (!commit->displayed_fb && !commit->pending_fb))
    return;

  if (out->mode_set_by_us && dev->saved_crtc) {
    drmModeCrtc *c = dev->saved_crtc;

    if (c->buffer_id && c->mode_valid) {
      if (drmModeSetCrtc (dev->fd, c->crtc_id, c->buffer_id, c->x, c->y,
              &dev->conn_id, 1, &c->mode) == 0) {
        /* SetCrtc switches it on: off again, as it was */
        if (!dev->crtc_was_on)
          kms_switch_off (commit, dev);
        return;
      }
    } else if (drmModeSetCrtc (dev->fd, c->crtc_id, 0, 0, 0, NULL, 0,
            NULL) == 0) {
      return;
    }
    GST_DEBUG_OBJECT (commit->element, "could not restore CRTC %u: %s",
        c->crtc_id, g_strerror (errno));
  }

  if (dev->atomic) {
    drmModeAtomicReq *req = drmModeAtomicAlloc ();
    GstVideoRectangle none = { 0, 0, 0, 0 };

    kms_atomic_add_plane (dev, out, req, 0, &none, &none);
    kms_atomic_disable_old_plane (commit, dev, req);
    if (drmModeAtomicCommit (dev->fd, req, 0, NULL))
      GST_DEBUG_OBJECT (commit->element, "disabling plane: %s",
          g_strerror (errno));
    drmModeAtomicFree (req);
  } else {
    drmModeSetPlane (dev->fd, dev->planes[out->plane].id, dev->crtc_id,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    kms_legacy_disable_old_plane (commit, dev);
  }
}

/* At stop: the last flip waited for, the display left as found, every
 * buffer given back, the background gone. */
void
gst_kms_commit_stop (GstKmsCommit * commit, GstKmsDevice * dev,
    GstKmsOutput * out)
{
  if (dev->fd >= 0) {
    if (commit->poll) {
      gst_poll_set_flushing (commit->poll, FALSE);
      gst_kms_commit_finish_flip (commit);
    }
    kms_restore_display (commit, dev, out);
  }

  gst_buffer_replace (&commit->displayed, NULL);
  gst_buffer_replace (&commit->pending, NULL);
  commit->displayed_fb = commit->pending_fb = 0;
  commit->flip_pending = commit->flip_late = FALSE;
  commit->old_plane = -1;
  if (dev->fd >= 0)
    gst_kms_dumb_destroy (dev, &commit->background);
  if (commit->poll) {
    gst_poll_free (commit->poll);
    commit->poll = NULL;
  }
}

/* The frame on screen shown from a copy, so that its buffer can go. */
static void
kms_show_displayed_as_copy (GstKmsCommit * commit, GstKmsDevice * dev,
    GstKmsOutput * out, GstKmsCopies * copies)
{
  GstVideoRectangle src, dst;
  GstBuffer *last;
  GstKmsDumb *dumb;
  gint ret;

  if (!commit->displayed) {
    GST_DEBUG_OBJECT (commit->element, "drain: %s", commit->displayed_fb ?
        "a copy is on screen, no buffer of upstream's is held" :
        "nothing on screen");
    return;
  }

  last = gst_buffer_ref (commit->displayed);
  dumb = gst_kms_copies_copy_frame (copies, dev, out, commit->displayed_fb,
      commit->pending_fb, last, &src, &dst);
  if (dumb) {
    ret = gst_kms_commit_show_fb (commit, dev, out, NULL, dumb->fb_id,
        dumb->width, dumb->height, &src, &dst, FALSE);
    if (ret == 0)
      gst_kms_commit_finish_flip (commit);
    else
      GST_WARNING_OBJECT (commit->element, "could not show the drained frame: "
          "%s", g_strerror (-ret));
  }
  gst_buffer_unref (last);
}

/* Upstream wants its buffers back (see the element's drain): the pending
 * flip done, the frame on screen shown from a copy (in one of @copies), so
 * that no buffer of upstream's stays held: the frame of a pending flip is on
 * screen once the flip completes, and a frame copied went back upstream
 * when it was copied. */
void
gst_kms_commit_drain (GstKmsCommit * commit, GstKmsDevice * dev,
    GstKmsOutput * out, GstKmsCopies * copies)
{
  if (gst_kms_commit_finish_flip (commit) == GST_FLOW_OK)
    kms_show_displayed_as_copy (commit, dev, out, copies);
}
