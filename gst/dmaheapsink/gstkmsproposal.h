/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include "gstdmaheapsinkpriv.h"

G_BEGIN_DECLS

/* The sink's ALLOCATION answer: the heap pool proposed upstream. Written
 * only by gstkmsproposal.c, under the element's object lock. */
typedef struct
{
  GstElement *element;          /* errors and logs go to it (no ref) */
  GstBufferPool *pool;          /* the last pool proposed */
  gchar *heap;                  /* its heap, NULL when none was proposed */
} GstKmsProposal;

void      gst_kms_proposal_init       (GstKmsProposal * prop,
                                       GstElement * element);

gboolean  gst_kms_proposal_check_heap (GstKmsProposal * prop,
                                       const gchar * heap);

gboolean  gst_kms_proposal_answer     (GstKmsProposal * prop,
                                       GstQuery * query, const gchar * heap,
                                       const gchar * device);

gchar *   gst_kms_proposal_dup_heap   (GstKmsProposal * prop);

void      gst_kms_proposal_clear      (GstKmsProposal * prop);

G_END_DECLS
