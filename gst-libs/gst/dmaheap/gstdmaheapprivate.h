/* GStreamer dma-buf heap library: helpers shared inside the library only
 * (not installed). */
#ifndef __GST_DMA_HEAP_PRIVATE_H__
#define __GST_DMA_HEAP_PRIVATE_H__

#include <glib.h>

G_BEGIN_DECLS

/* The udev rule that gives group 'video' access to the heaps: where meson
 * install and the packages put it, and where it is in the source tree. */
#define GST_DMA_HEAP_UDEV_RULE "60-dma-heap-ext.rules (in udev's rules.d; " \
    "this project's kernel/ folder)"

G_GNUC_INTERNAL
void gst_dma_heap_set_permission_error (GError ** error, const gchar * doing,
    const gchar * path);

/* /sys, or GST_DMA_HEAP_SYSFS_DIR (tests, other mounts) */
G_GNUC_INTERNAL
const gchar *gst_dma_heap_sysfs_dir (void);

G_GNUC_INTERNAL
gchar *gst_dma_heap_read_sysfs_line (const gchar * path);

G_GNUC_INTERNAL
gboolean gst_dma_heap_name_is_valid (const gchar * name);

G_END_DECLS

#endif /* __GST_DMA_HEAP_PRIVATE_H__ */
