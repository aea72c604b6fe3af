// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: which of our heaps suits a device.
 *
 * /sys/kernel/dma_heap_ext/hints/<bus>:<device> names a heap for every PCI
 * and platform device, in the spirit of the 2023 dma-heap hint RFC:
 *   - a device behind an IOMMU (it has an iommu_group) can use scattered
 *     pages: the system heap;
 *   - a device without one needs physically contiguous memory: the
 *     contiguous heap, provided its memory lies within the device's DMA
 *     mask (contig_dma32 puts it below 4 GiB for 32-bit masters);
 *   - otherwise (no contiguous heap, or out of the mask's reach) the system
 *     heap, as the best we have.
 * The answer is computed when read, so it follows IOMMU groups and DMA masks
 * that drivers set after the device appeared.
 */

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "heap.h"

struct dhe_hint {
	struct kobj_attribute attr;
	struct device *dev;
	struct list_head node;
	char name[];
};

static struct kobject *dhe_kobj;
static struct kobject *dhe_hints_kobj;
static LIST_HEAD(dhe_hint_list);
static DEFINE_MUTEX(dhe_hint_lock);

static const char *dhe_hint_for_device(struct device *dev)
{
	const char *system = dhe_system_heap_name();
	struct dma_heap_ext_info info;
	struct dma_heap_ext *contig;
	u64 mask;

	if (dev->iommu_group)
		return system;

	/* heaps live until module exit, which removes the hints first */
	contig = dhe_heap_lookup("contiguous");
	if (!contig)
		return system;

	dhe_heap_query(contig, &info);
	mask = dev->dma_mask ? *dev->dma_mask : dev->coherent_dma_mask;
	if (mask && mask < DMA_BIT_MASK(32))
		return system;
	if (mask && mask < DMA_BIT_MASK(64) &&
	    !(info.flags & DMA_HEAP_EXT_FLAG_DMA32))
		return system;
	return "contiguous";
}

static ssize_t dhe_hint_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct dhe_hint *hint = container_of(attr, struct dhe_hint, attr);

	return sysfs_emit(buf, "%s\n", dhe_hint_for_device(hint->dev));
}

static void dhe_hint_add(struct device *dev)
{
	const char *bus = dev->bus ? dev->bus->name : "none";
	struct dhe_hint *hint;
	size_t len;

	mutex_lock(&dhe_hint_lock);
	list_for_each_entry(hint, &dhe_hint_list, node)
		if (hint->dev == dev)
			goto unlock;

	len = strlen(bus) + 1 + strlen(dev_name(dev)) + 1;
	hint = kzalloc(struct_size(hint, name, len), GFP_KERNEL);
	if (!hint)
		goto unlock;
	snprintf(hint->name, len, "%s:%s", bus, dev_name(dev));
	sysfs_attr_init(&hint->attr.attr);
	hint->attr.attr.name = hint->name;
	hint->attr.attr.mode = 0444;
	hint->attr.show = dhe_hint_show;
	hint->dev = get_device(dev);

	if (sysfs_create_file(dhe_hints_kobj, &hint->attr.attr)) {
		put_device(hint->dev);
		kfree(hint);
		goto unlock;
	}
	list_add_tail(&hint->node, &dhe_hint_list);
unlock:
	mutex_unlock(&dhe_hint_lock);
}

static void dhe_hint_free(struct dhe_hint *hint)
{
	sysfs_remove_file(dhe_hints_kobj, &hint->attr.attr);
	list_del(&hint->node);
	put_device(hint->dev);
	kfree(hint);
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
		dhe_hint_add(dev);
	else if (action == BUS_NOTIFY_DEL_DEVICE)
		dhe_hint_remove(dev);
	return NOTIFY_DONE;
}

static int dhe_hint_add_existing(struct device *dev, void *data)
{
	dhe_hint_add(dev);
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

	dhe_kobj = kobject_create_and_add("dma_heap_ext", kernel_kobj);
	if (!dhe_kobj)
		return -ENOMEM;
	dhe_hints_kobj = kobject_create_and_add("hints", dhe_kobj);
	if (!dhe_hints_kobj) {
		ret = -ENOMEM;
		goto put_kobj;
	}

	/* notifier first, then the devices already there: none is missed */
	for (i = 0; i < ARRAY_SIZE(dhe_hint_buses); i++) {
		struct dhe_hint_bus *hb = &dhe_hint_buses[i];

		ret = bus_register_notifier(hb->bus, &hb->nb);
		if (ret)
			goto unregister_buses;
		hb->registered = true;
		bus_for_each_dev(hb->bus, NULL, NULL, dhe_hint_add_existing);
	}
	return 0;

unregister_buses:
	dhe_hint_unregister_buses();
	kobject_put(dhe_hints_kobj);
put_kobj:
	kobject_put(dhe_kobj);
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
	kobject_put(dhe_hints_kobj);
	kobject_put(dhe_kobj);
}
