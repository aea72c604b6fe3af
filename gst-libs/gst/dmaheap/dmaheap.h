/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The one header applications and plugins include:
 *   #include <gst/dmaheap/dmaheap.h>
 * (pkg-config --cflags gstreamer-dmaheap-1.0 gives the directory above gst/,
 * as for GStreamer's own libraries; in the build tree that is gst-libs/). */

#pragma once

#include <gst/dmaheap/gstdmaheapinfo.h>
#include <gst/dmaheap/dmaheap-enumtypes.h>
#include <gst/dmaheap/gstdmaheapcaps.h>
#include <gst/dmaheap/gstdmaheapdevice.h>
#include <gst/dmaheap/gstdmaheaprules.h>
#include <gst/dmaheap/gstdmaheapchoice.h>
#include <gst/dmaheap/gstdmaheapallocator.h>
#include <gst/dmaheap/gstdmaheapbufferpool.h>
