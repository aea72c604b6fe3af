// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: which of our heaps suits a device.
 *
 * /sys/kernel/dma_heap_ext/hints/<bus>:<device> names a heap for every PCI
 * and platform device, in the spirit of the 2023 dma-heap hint RFC:
 *   - a device behind an IOMMU (it has an iommu_group) can use scattered
 *     pages: a cached, not contiguous heap (system);
 *   - a device without one needs physically contiguous memory: a contiguous
 *     heap, provided its memory lies within the device's DMA mask (the
 *     DMA32 flag; contig_dma32 puts the carveout below 4 GiB);
 *   - otherwise (no contiguous heap, or out of the mask's reach) the
 *     scattered one, as the best we have.
 * Heaps are found by their query flags, not by name.
 *
 * /sys/kernel/dma_heap_ext/devices/<bus>:<device>/ holds, for the same
 * devices, what a heap choice in userspace needs to know, read from the
 * kernel's own struct device: iommu (1 when it has an IOMMU group),
 * dma_mask_bits (of its streaming DMA mask, else its coherent one; 0 when
 * it has none), coherent (dev_is_dma_coherent()), dma (0 when the device
 * touches imported buffers only through a kernel mapping: every V4L2
 * streaming node it has imports through videobuf2-vmalloc) and hint (as
 * above; a device with dma 0 gets the system heap: placement does not
 * matter to it).
 *
 * Every answer is computed when read, so it follows IOMMU groups and DMA
 * masks that drivers set after the device appeared.
 */

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <media/v4l2-dev.h>
#include <media/videobuf2-core.h>

#include "compat.h"
#include "fault.h"
#include "heap.h"
#include "include/linux/dma-heap-ext.h"

/*
 * One per device: its hint file, and its directory of facts whose kobject
 * owns the entry (freed, with the device reference, at its release).
 */
struct dhe_hint {
	struct kobj_attribute attr;
	struct kobject facts;
	struct device *dev;
	struct list_head node;
	char name[];
};

static struct kobject *dhe_kobj;
static struct kobject *dhe_hints_kobj;
static struct kobject *dhe_devices_kobj;
static LIST_HEAD(dhe_hint_list);
static DEFINE_MUTEX(dhe_hint_lock);

struct dhe_v4l2_walk {
	const struct vb2_mem_ops *vmalloc_ops;
	unsigned int vmalloc_nodes;
};

/* Stops the walk (returns 1) at a node that may map buffers for DMA. */
static int dhe_v4l2_node_dma(struct device *child, void *data)
{
	struct dhe_v4l2_walk *walk = data;
	struct video_device *vdev;

	if (!child->class || strcmp(child->class->name, "video4linux"))
		return 0;
	vdev = container_of(child, struct video_device, dev);
	if (!(vdev->device_caps & V4L2_CAP_STREAMING))
		return 0;	/* radio, read/write only: imports nothing */
	/* m2m nodes keep their queues per open file: not known, so DMA */
	if (!vdev->queue || !walk->vmalloc_ops ||
	    vdev->queue->mem_ops != walk->vmalloc_ops)
		return 1;
	walk->vmalloc_nodes++;
	return 0;
}

/*
 * Whether the device may map buffers for DMA: true unless it has V4L2
 * streaming nodes and every one of them imports through videobuf2-vmalloc
 * (vivid's default allocator, uvcvideo-like drivers), which reads and
 * writes dma-bufs through a kernel vmap, so where the pages lie does not
 * matter. Anything not known is DMA. videobuf2-vmalloc is looked up by
 * name, not linked: a kernel without it loaded has no such node.
 */
static bool dhe_device_does_dma(struct device *dev)
{
	struct dhe_v4l2_walk walk = {
		.vmalloc_ops = __symbol_get("vb2_vmalloc_memops"),
	};
	bool dma;

	dma = device_for_each_child(dev, &walk, dhe_v4l2_node_dma) ||
	      !walk.vmalloc_nodes;
	if (walk.vmalloc_ops)
		symbol_put(vb2_vmalloc_memops);
	return dma;
}

/*
 * By what the heaps are (their query flags), never by their names: the
 * first scattered, cached heap for a device behind an IOMMU; the first
 * contiguous one whose memory the device's DMA mask reaches for one without;
 * the scattered one again when no contiguous heap fits. The heap comes with
 * a reference, to be dropped with dma_heap_ext_put().
 */
static struct dma_heap_ext *dhe_hint_for_device(struct device *dev)
{
	const u64 contig = DMA_HEAP_EXT_FLAG_CONTIGUOUS;
	struct dma_heap_ext *heap = NULL;
	u64 mask;

	if (!dev->iommu_group && dhe_device_does_dma(dev)) {
		mask = dev->dma_mask ? *dev->dma_mask : dev->coherent_dma_mask;
		if (!mask || mask >= DMA_BIT_MASK(64))
			heap = dhe_heap_find_by_flags(contig, 0);
		else if (mask >= DMA_BIT_MASK(32))
			heap = dhe_heap_find_by_flags(contig | DMA_HEAP_EXT_FLAG_DMA32, 0);
	}
	if (!heap)
		heap = dhe_heap_find_by_flags(DMA_HEAP_EXT_FLAG_CACHED, contig);
	return heap;
}

static ssize_t dhe_hint_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct dhe_hint *hint = container_of(attr, struct dhe_hint, attr);
	struct dma_heap_ext *heap = dhe_hint_for_device(hint->dev);
	ssize_t ret;

	ret = sysfs_emit(buf, "%s\n", heap ? dma_heap_ext_get_name(heap) : "");
	dma_heap_ext_put(heap);
	return ret;
}

static struct device *dhe_facts_dev(struct kobject *kobj)
{
	return container_of(kobj, struct dhe_hint, facts)->dev;
}

static u64 dhe_dma_mask(struct device *dev)
{
	return dev->dma_mask && *dev->dma_mask ? *dev->dma_mask :
		dev->coherent_dma_mask;
}

static ssize_t iommu_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", !!dhe_facts_dev(kobj)->iommu_group);
}

static ssize_t dma_mask_bits_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", fls64(dhe_dma_mask(dhe_facts_dev(kobj))));
}

static ssize_t coherent_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  dev_is_dma_coherent(dhe_facts_dev(kobj)) ? 1 : 0);
}

static ssize_t dma_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  dhe_device_does_dma(dhe_facts_dev(kobj)) ? 1 : 0);
}

static ssize_t hint_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct dma_heap_ext *heap = dhe_hint_for_device(dhe_facts_dev(kobj));
	ssize_t ret;

	ret = sysfs_emit(buf, "%s\n", heap ? dma_heap_ext_get_name(heap) : "");
	dma_heap_ext_put(heap);
	return ret;
}

static struct kobj_attribute dhe_iommu_attr = __ATTR_RO(iommu);
static struct kobj_attribute dhe_dma_mask_bits_attr = __ATTR_RO(dma_mask_bits);
static struct kobj_attribute dhe_coherent_attr = __ATTR_RO(coherent);
static struct kobj_attribute dhe_dma_attr = __ATTR_RO(dma);
static struct kobj_attribute dhe_hint_attr = __ATTR_RO(hint);

static struct attribute *dhe_facts_attrs[] = {
	&dhe_iommu_attr.attr,
	&dhe_dma_mask_bits_attr.attr,
	&dhe_coherent_attr.attr,
	&dhe_dma_attr.attr,
	&dhe_hint_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dhe_facts);

static void dhe_facts_release(struct kobject *kobj)
{
	struct dhe_hint *hint = container_of(kobj, struct dhe_hint, facts);

	put_device(hint->dev);
	kfree(hint);
}

static const struct kobj_type dhe_facts_ktype = {
	.release = dhe_facts_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = dhe_facts_groups,
};

static int dhe_hint_match(struct device *dev, const void *data)
{
	return dev == data;
}

/*
 * Whether @dev is still on its bus: bus_remove_device() takes it off the
 * bus's list (an iteration skips it from then on) before the driver core
 * sends BUS_NOTIFY_REMOVED_DEVICE.
 */
static bool dhe_hint_on_bus(struct device *dev)
{
	struct device *found = bus_find_device(dev->bus, NULL, dev, dhe_hint_match);

	if (!found)
		return false;
	put_device(found);
	return true;
}

/*
 * @walked: @dev comes from the walk of the devices already there, which
 * may reach a device whose removal has begun (its notifications may have
 * been sent already): it is taken only while still on its bus, and under
 * the lock that the removal's last notification takes too, so that either
 * sees the other.
 */
static void dhe_hint_add(struct device *dev, bool walked)
{
	const char *bus = dev->bus ? dev->bus->name : "none";
	struct dhe_hint *hint;
	size_t len;

	mutex_lock(&dhe_hint_lock);
	list_for_each_entry(hint, &dhe_hint_list, node)
		if (hint->dev == dev)
			goto unlock;
	if (walked && !dhe_hint_on_bus(dev))
		goto unlock;

	len = strlen(bus) + 1 + strlen(dev_name(dev)) + 1;
	hint = dhe_fault(DHE_FAULT_HINT) ? NULL :
		kzalloc(struct_size(hint, name, len), GFP_KERNEL);
	if (!hint)
		goto fail;
	snprintf(hint->name, len, "%s:%s", bus, dev_name(dev));
	sysfs_attr_init(&hint->attr.attr);
	hint->attr.attr.name = hint->name;
	hint->attr.attr.mode = 0444;
	hint->attr.show = dhe_hint_show;
	hint->dev = get_device(dev);

	/* from here on the facts' kobject owns the entry */
	kobject_init(&hint->facts, &dhe_facts_ktype);
	if (dhe_fault(DHE_FAULT_HINT) ||
	    kobject_add(&hint->facts, dhe_devices_kobj, "%s", hint->name)) {
		kobject_put(&hint->facts);
		goto fail;
	}
	if (dhe_fault(DHE_FAULT_HINT) ||
	    sysfs_create_file(dhe_hints_kobj, &hint->attr.attr)) {
		kobject_put(&hint->facts);
		goto fail;
	}
	list_add_tail(&hint->node, &dhe_hint_list);
unlock:
	mutex_unlock(&dhe_hint_lock);
	return;
fail:
	mutex_unlock(&dhe_hint_lock);
	pr_warn("dma_heap_ext: no heap hint for %s:%s (out of memory)\n", bus,
		dev_name(dev));
}

static void dhe_hint_free(struct dhe_hint *hint)
{
	sysfs_remove_file(dhe_hints_kobj, &hint->attr.attr);
	list_del(&hint->node);
	kobject_put(&hint->facts);
}

static void dhe_hint_remove(struct device *dev)
{
	struct dhe_hint *hint;

	mutex_lock(&dhe_hint_lock);
	list_for_each_entry(hint, &dhe_hint_list, node) {
		if (hint->dev == dev) {
			dhe_hint_free(hint);
			break;
		}
	}
	mutex_unlock(&dhe_hint_lock);
}

static int dhe_hint_bus_notify(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct device *dev = data;

	if (action == BUS_NOTIFY_ADD_DEVICE)
		dhe_hint_add(dev, false);
	else if (action == BUS_NOTIFY_DEL_DEVICE ||
		 action == BUS_NOTIFY_REMOVED_DEVICE)
		dhe_hint_remove(dev);
	return NOTIFY_DONE;
}

static int dhe_hint_add_existing(struct device *dev, void *data)
{
	dhe_fault_pause(dev_name(dev));
	dhe_hint_add(dev, true);
	return 0;
}

struct dhe_hint_bus {
	DHE_BUS_CONST struct bus_type *bus;
	struct notifier_block nb;
	bool registered;
};

static struct dhe_hint_bus dhe_hint_buses[] = {
#ifdef CONFIG_PCI
	{ .bus = &pci_bus_type, .nb.notifier_call = dhe_hint_bus_notify },
#endif
	{ .bus = &platform_bus_type, .nb.notifier_call = dhe_hint_bus_notify },
};

static void dhe_hint_unregister_buses(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dhe_hint_buses); i++) {
		struct dhe_hint_bus *hb = &dhe_hint_buses[i];

		if (hb->registered)
			bus_unregister_notifier(hb->bus, &hb->nb);
		hb->registered = false;
	}
}

int dhe_hint_init(void)
{
	unsigned int i;
	int ret;

	dhe_kobj = dhe_fault(DHE_FAULT_HINT) ? NULL :
		kobject_create_and_add("dma_heap_ext", kernel_kobj);
	if (!dhe_kobj)
		return -ENOMEM;
	dhe_hints_kobj = dhe_fault(DHE_FAULT_HINT) ? NULL :
		kobject_create_and_add("hints", dhe_kobj);
	if (!dhe_hints_kobj) {
		ret = -ENOMEM;
		goto put_kobj;
	}
	dhe_devices_kobj = dhe_fault(DHE_FAULT_HINT) ? NULL :
		kobject_create_and_add("devices", dhe_kobj);
	if (!dhe_devices_kobj) {
		ret = -ENOMEM;
		goto put_hints;
	}

	/* notifier first, then the devices already there: none is missed */
	for (i = 0; i < ARRAY_SIZE(dhe_hint_buses); i++) {
		struct dhe_hint_bus *hb = &dhe_hint_buses[i];

		ret = dhe_fault(DHE_FAULT_HINT) ? -ENOMEM :
			bus_register_notifier(hb->bus, &hb->nb);
		if (ret)
			goto unregister_buses;
		hb->registered = true;
		bus_for_each_dev(hb->bus, NULL, NULL, dhe_hint_add_existing);
	}
	return 0;

unregister_buses:
	/* the hints of the buses done so far, and their device references */
	dhe_hint_exit();
	return ret;
put_hints:
	kobject_put(dhe_hints_kobj);
	dhe_hints_kobj = NULL;
put_kobj:
	kobject_put(dhe_kobj);
	dhe_kobj = NULL;
	return ret;
}

void dhe_hint_exit(void)
{
	struct dhe_hint *hint, *tmp;

	dhe_hint_unregister_buses();
	mutex_lock(&dhe_hint_lock);
	list_for_each_entry_safe(hint, tmp, &dhe_hint_list, node)
		dhe_hint_free(hint);
	mutex_unlock(&dhe_hint_lock);
	kobject_put(dhe_devices_kobj);
	kobject_put(dhe_hints_kobj);
	kobject_put(dhe_kobj);
	dhe_devices_kobj = NULL;
	dhe_hints_kobj = NULL;
	dhe_kobj = NULL;
}
