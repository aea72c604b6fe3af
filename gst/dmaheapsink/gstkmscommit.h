/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include "gstkmsdevice.h"
#include "gstkmsdumb.h"
#include "gstkmsimport.h"
#include "gstkmsoutput.h"

G_BEGIN_DECLS

/* What is on screen and what is about to be: the commits, their page flips
 * and the buffers they hold, from start() to stop(). Written only by
 * gstkmscommit.c. */
struct _GstKmsCommit
{
  GstElement *element;          /* logs go to it (no ref) */

  GstPoll *poll;                /* the device's fd, for page-flip events */
  GstPollFD pollfd;

  GstBuffer *displayed;         /* NULL when a dumb buffer is shown */
  guint32 displayed_fb;
  GstBuffer *pending;
  guint32 pending_fb;
  gboolean flip_pending;
  /* Each page-flip event carries the number of its commit: an event that
   * comes after its flip was taken as done (see flip_late) completes no
   * other. */
  guint32 flip_seq;
  /* No event within the flip timeout: both frames stay held until the
   * event comes or the kernel takes the next commit (it takes none before
   * the flip is done). */
  gboolean flip_late;

  /* The plane new caps moved the frames from, still showing the last frame
   * (-1: none): the next commit turns it off, and its frame goes back
   * upstream (a copy: its dumb buffer is free) when that flip is done. */
  gint old_plane;
  GstKmsPlaneProps old_plane_props;

  GstKmsDumb background;        /* the primary plane under an overlay when
                                 * the sink sets the mode */

  guint64 frames_shown;         /* under the element's object lock */
};

void           gst_kms_commit_init         (GstKmsCommit * commit,
                                            GstElement * element);

void           gst_kms_commit_reset_stats  (GstKmsCommit * commit);

void           gst_kms_commit_start        (GstKmsCommit * commit,
                                            GstKmsDevice * dev);

void           gst_kms_commit_stop         (GstKmsCommit * commit,
                                            GstKmsDevice * dev,
                                            GstKmsOutput * out);

void           gst_kms_commit_set_flushing (GstKmsCommit * commit,
                                            gboolean flushing);

GstFlowReturn  gst_kms_commit_wait_flip    (GstKmsCommit * commit,
                                            gboolean block);

GstFlowReturn  gst_kms_commit_finish_flip  (GstKmsCommit * commit);

void           gst_kms_commit_move_to_plane (GstKmsCommit * commit,
                                            GstKmsDevice * dev,
                                            const GstKmsOutput * out,
                                            gint plane);

gint           gst_kms_commit_atomic       (GstKmsCommit * commit,
                                            GstKmsDevice * dev,
                                            const GstKmsOutput * out,
                                            guint32 fb_id,
                                            const GstVideoRectangle * src,
                                            const GstVideoRectangle * dst,
                                            guint32 flags);

gint           gst_kms_commit_show_fb      (GstKmsCommit * commit,
                                            GstKmsDevice * dev,
                                            GstKmsOutput * out,
                                            GstBuffer * buf, guint32 fb_id,
                                            guint32 fb_width,
                                            guint32 fb_height,
                                            const GstVideoRectangle * src,
                                            const GstVideoRectangle * dst,
                                            gboolean skip_vsync);

GstFlowReturn  gst_kms_commit_show_buffer  (GstKmsCommit * commit,
                                            GstKmsDevice * dev,
                                            GstKmsOutput * out,
                                            GstKmsImport * imp,
                                            GstKmsCopies * copies,
                                            GstBuffer * buf,
                                            gboolean skip_vsync,
                                            gboolean * copied);

void           gst_kms_commit_drain        (GstKmsCommit * commit,
                                            GstKmsDevice * dev,
                                            GstKmsOutput * out,
                                            GstKmsCopies * copies);

G_END_DECLS
