/* GStreamer
 * Copyright (C) 2026 dmaheap project contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

/* What the files of dmaheapsink share: the debug category. Each helper
 * declares its own state in its header (gstkmsdevice.h: the device;
 * gstkmsoutput.h: the plane, mode and layout; gstkmscommit.h: the commits
 * and page flips; gstkmsdumb.h: the copies; gstkmsimport.h: the imported
 * framebuffers; gstkmsproposal.h: the ALLOCATION answer; gstkmsnegotiation.h:
 * the caps the display refused), and the element (gstdmaheapsink.c) holds
 * one of each. */

#include <gst/gst.h>

G_BEGIN_DECLS

/* Every file of the sink logs into the one "dmaheapsink" category. */
GST_DEBUG_CATEGORY_EXTERN (gst_dma_heap_sink_debug);
#define GST_CAT_DEFAULT gst_dma_heap_sink_debug

G_END_DECLS
