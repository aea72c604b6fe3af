// SPDX-License-Identifier: GPL-2.0
/*
 * A platform device of its own for dma_heap_ext's hint test
 * (tests/kernel/fault-test.c, hint_removal_race()): registered at load,
 * unregistered at unload, allocated by the driver core, so that a reference
 * held on it past the unload points to live memory (a stale hint shows as
 * a file, not as a use-after-free of a module's static device).
 */
#include <linux/err.h>
#include <linux/module.h>
#include <linux/platform_device.h>

static struct platform_device *dhe_hint_pdev;

static int __init dhe_hint_device_init(void)
{
	dhe_hint_pdev = platform_device_register_simple("dhe_hint_device",
							PLATFORM_DEVID_NONE, NULL, 0);
	return PTR_ERR_OR_ZERO(dhe_hint_pdev);
}

static void __exit dhe_hint_device_exit(void)
{
	platform_device_unregister(dhe_hint_pdev);
}

module_init(dhe_hint_device_init);
module_exit(dhe_hint_device_exit);
MODULE_DESCRIPTION("A removable platform device for dma_heap_ext's hint test");
MODULE_LICENSE("GPL");
