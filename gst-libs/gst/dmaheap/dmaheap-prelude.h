/* GStreamer dma-buf heap support
 * Copyright (C) 2026 the dmaheap project
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/gst.h>

/**
 * GST_DMA_HEAP_API:
 *
 * Marks the library's public symbols: exported while the library itself is
 * built (meson defines BUILDING_GST_DMA_HEAP), imported by its users.
 *
 * Since: 0.1
 */
#ifndef GST_DMA_HEAP_API
# ifdef BUILDING_GST_DMA_HEAP
#  define GST_DMA_HEAP_API GST_API_EXPORT
# else
#  define GST_DMA_HEAP_API GST_API_IMPORT
# endif
#endif

/**
 * GST_DMA_HEAP_DEPRECATED_FOR:
 * @f: the function to use instead
 *
 * Marks a public symbol kept for compatibility, warning its users.
 *
 * Since: 0.1
 */
#ifndef GST_DISABLE_DEPRECATED
#define GST_DMA_HEAP_DEPRECATED_FOR(f) GST_DMA_HEAP_API
#else
#define GST_DMA_HEAP_DEPRECATED_FOR(f) G_DEPRECATED_FOR(f) GST_DMA_HEAP_API
#endif
