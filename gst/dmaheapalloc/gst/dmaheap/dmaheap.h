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
 * In the build tree it lives in gst/dmaheapalloc/gst/dmaheap/ so that this
 * path resolves there as it does once installed. */

#pragma once

#include "gstdmaheapinfo.h"
#include "gstdmaheaprules.h"
#include "gstdmaheapallocator.h"
#include "gstdmaheapbufferpool.h"
