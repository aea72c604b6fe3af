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

/* The caps of the sink pad: what the display's planes take, what a caps
 * query found nothing for, and whether the stream was warned that the
 * display cannot show what upstream settled on. Written only by
 * gstkmsnegotiation.c, under the element's object lock. */
typedef struct
{
  GstElement *element;          /* warnings and logs go to it (no ref) */
  GstCaps *allowed;             /* NULL: no device open */
  gchar *device;                /* the display, for the warning */
  guint32 crtc_id;
  gboolean warned;
  GstCaps *refused;             /* the last caps a query found unshowable */
} GstKmsNegotiation;

void      gst_kms_negotiation_init    (GstKmsNegotiation * neg,
                                       GstElement * element, GstPad * pad);

void      gst_kms_negotiation_start   (GstKmsNegotiation * neg,
                                       GstCaps * allowed,
                                       const gchar * device,
                                       guint32 crtc_id);

void      gst_kms_negotiation_stop    (GstKmsNegotiation * neg);

GstCaps * gst_kms_negotiation_get_caps (GstKmsNegotiation * neg,
                                       GstCaps * filter);

void      gst_kms_negotiation_accepted (GstKmsNegotiation * neg);

void      gst_kms_negotiation_check   (GstKmsNegotiation * neg,
                                       GstCaps * asked);

G_END_DECLS
