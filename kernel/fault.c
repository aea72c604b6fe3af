// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: the fault-injection knob of the test build (see fault.h).
 *
 *   fault_point  the point's name (fault_points lists them), "" = none
 *   fault_nth    the n-th call of that point from now fails; 0 = none.
 *                Writing it restarts the count. Once it fired (fault_times
 *                times) it is 0.
 *   fault_times  how many calls fail from the n-th on (default 1)
 *   fault_delay_ms  each failing call sleeps that long first (default 0):
 *                the window a test acts in while a failure is under way
 *   fault_hits   read-only: calls of the point since fault_nth was set, and
 *                how many failed ("calls=5 failed=1")
 *   fault_points read-only: every point's name
 *   buffer_pages read-only: 4 KiB pages the system heaps hold outside their
 *                pools; once every buffer is gone anything but 0 is a leak
 *   carveout_pages read-only: 4 KiB pages the contiguous heap's carveout
 *                holds; without a contiguous heap anything but 0 is a leak
 *   admitted_pages read-only: 4 KiB pages the system heaps' admission has
 *                reserved for allocations under way; at rest anything but 0
 *                is a leak
 *
 * Set at load (insmod, modprobe.d) to reach the init paths, or at runtime
 * through /sys/module/dma_heap_ext/parameters/.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "fault.h"
#include "heap.h"

static const char *const dhe_fault_names[DHE_FAULT_NR] = {
	[DHE_FAULT_CHRDEV]	= "chrdev",
	[DHE_FAULT_CLASS]	= "class",
	[DHE_FAULT_HEAP]	= "heap",
	[DHE_FAULT_CDEV]	= "cdev",
	[DHE_FAULT_DEVICE]	= "device",
	[DHE_FAULT_KHEAP]	= "kheap",
	[DHE_FAULT_HINT]	= "hint",
	[DHE_FAULT_SHRINKER]	= "shrinker",
	[DHE_FAULT_CARVEOUT]	= "carveout",
	[DHE_FAULT_BUFFER]	= "buffer",
	[DHE_FAULT_PAGE]	= "page",
	[DHE_FAULT_SG]		= "sg",
	[DHE_FAULT_PAGE_ARRAY]	= "page_array",
	[DHE_FAULT_ATTR]	= "attr",
	[DHE_FAULT_ATTR_WB]	= "attr_wb",
	[DHE_FAULT_VMAP]	= "vmap",
	[DHE_FAULT_EXPORT]	= "export",
	[DHE_FAULT_FD]		= "fd",
	[DHE_FAULT_IOCTL]	= "ioctl",
	[DHE_FAULT_MAP]		= "map",
	[DHE_FAULT_MMAP]	= "mmap",
	[DHE_FAULT_SIGNAL]	= "signal",
	[DHE_FAULT_ADMIT]	= "admit",
};

static DEFINE_SPINLOCK(dhe_fault_lock);
static int dhe_fault_point_nr = -1;
static unsigned int dhe_fault_nth;
static unsigned int dhe_fault_calls;
static unsigned int dhe_fault_failed;

static unsigned int dhe_fault_times = 1;
module_param_named(fault_times, dhe_fault_times, uint, 0600);
MODULE_PARM_DESC(fault_times, "test build: how many calls fail from the fault_nth-th on (default 1)");

static unsigned int dhe_fault_delay_ms;
module_param_named(fault_delay_ms, dhe_fault_delay_ms, uint, 0600);
MODULE_PARM_DESC(fault_delay_ms, "test build: each failing call sleeps that long first (default 0)");

static char *dhe_fault_pause_at;
module_param_named(fault_pause_at, dhe_fault_pause_at, charp, 0400);
MODULE_PARM_DESC(fault_pause_at, "test build: the hints' bus walk waits fault_delay_ms before it takes the device of this name");

void dhe_fault_pause(const char *name)
{
	unsigned int delay_ms = READ_ONCE(dhe_fault_delay_ms);

	if (!dhe_fault_pause_at || strcmp(name, dhe_fault_pause_at) || !delay_ms)
		return;
	pr_info("dma_heap_ext: fault injection: pausing %u ms before %s\n",
		delay_ms, name);
	msleep(delay_ms);
}

/* every point is a call that may sleep: so may its failure */
bool dhe_fault(enum dhe_fault_point point)
{
	unsigned int call = 0, delay_ms;
	unsigned long flags;
	bool fail = false;

	spin_lock_irqsave(&dhe_fault_lock, flags);
	if ((int)point == dhe_fault_point_nr) {
		call = ++dhe_fault_calls;
		if (dhe_fault_nth && call >= dhe_fault_nth) {
			dhe_fault_failed++;
			fail = true;
			if (call - dhe_fault_nth + 1 >= max(READ_ONCE(dhe_fault_times), 1U))
				dhe_fault_nth = 0;
		}
	}
	spin_unlock_irqrestore(&dhe_fault_lock, flags);
	if (!fail)
		return false;

	pr_info("dma_heap_ext: fault injection: failing %s call %u\n",
		dhe_fault_names[point], call);
	delay_ms = READ_ONCE(dhe_fault_delay_ms);
	if (delay_ms)
		msleep(delay_ms);
	return true;
}

static int dhe_fault_point_set(const char *val, const struct kernel_param *kp)
{
	int nr = -1;

	if (*val && !sysfs_streq(val, "none")) {
		nr = __sysfs_match_string(dhe_fault_names, DHE_FAULT_NR, val);
		if (nr < 0) {
			pr_err("dma_heap_ext: fault_point '%s' unknown; see fault_points\n",
			       val);
			return -EINVAL;
		}
	}
	spin_lock_irq(&dhe_fault_lock);
	dhe_fault_point_nr = nr;
	dhe_fault_calls = 0;
	dhe_fault_failed = 0;
	spin_unlock_irq(&dhe_fault_lock);
	return 0;
}

static int dhe_fault_point_get(char *buf, const struct kernel_param *kp)
{
	int nr = READ_ONCE(dhe_fault_point_nr);

	return sysfs_emit(buf, "%s\n", nr < 0 ? "none" : dhe_fault_names[nr]);
}

static const struct kernel_param_ops dhe_fault_point_ops = {
	.set = dhe_fault_point_set,
	.get = dhe_fault_point_get,
};
module_param_cb(fault_point, &dhe_fault_point_ops, NULL, 0600);
MODULE_PARM_DESC(fault_point, "test build: the failure point fault_nth counts");

static int dhe_fault_nth_set(const char *val, const struct kernel_param *kp)
{
	unsigned int nth;
	int ret;

	ret = kstrtouint(val, 0, &nth);
	if (ret)
		return ret;
	spin_lock_irq(&dhe_fault_lock);
	dhe_fault_nth = nth;
	dhe_fault_calls = 0;
	dhe_fault_failed = 0;
	spin_unlock_irq(&dhe_fault_lock);
	return 0;
}

static int dhe_fault_nth_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dhe_fault_nth));
}

static const struct kernel_param_ops dhe_fault_nth_ops = {
	.set = dhe_fault_nth_set,
	.get = dhe_fault_nth_get,
};
module_param_cb(fault_nth, &dhe_fault_nth_ops, NULL, 0600);
MODULE_PARM_DESC(fault_nth, "test build: fail the n-th call of fault_point from now (0: none)");

static int dhe_fault_hits_get(char *buf, const struct kernel_param *kp)
{
	unsigned int calls, failed;

	spin_lock_irq(&dhe_fault_lock);
	calls = dhe_fault_calls;
	failed = dhe_fault_failed;
	spin_unlock_irq(&dhe_fault_lock);
	return sysfs_emit(buf, "calls=%u failed=%u\n", calls, failed);
}

static const struct kernel_param_ops dhe_fault_hits_ops = {
	.get = dhe_fault_hits_get,
};
module_param_cb(fault_hits, &dhe_fault_hits_ops, NULL, 0400);

static int dhe_fault_points_get(char *buf, const struct kernel_param *kp)
{
	int len = 0;
	int i;

	for (i = 0; i < DHE_FAULT_NR; i++)
		len += sysfs_emit_at(buf, len, "%s%s", i ? " " : "",
				     dhe_fault_names[i]);
	return len + sysfs_emit_at(buf, len, "\n");
}

static const struct kernel_param_ops dhe_fault_points_ops = {
	.get = dhe_fault_points_get,
};
module_param_cb(fault_points, &dhe_fault_points_ops, NULL, 0444);

static int dhe_buffer_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", dhe_pages_in_buffers());
}

static const struct kernel_param_ops dhe_buffer_pages_ops = {
	.get = dhe_buffer_pages_get,
};
module_param_cb(buffer_pages, &dhe_buffer_pages_ops, NULL, 0444);

static int dhe_carveout_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", dhe_contig_carveout_pages());
}

static const struct kernel_param_ops dhe_carveout_pages_ops = {
	.get = dhe_carveout_pages_get,
};
module_param_cb(carveout_pages, &dhe_carveout_pages_ops, NULL, 0444);

static int dhe_admitted_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", dhe_system_admitted_pages());
}

static const struct kernel_param_ops dhe_admitted_pages_ops = {
	.get = dhe_admitted_pages_get,
};
module_param_cb(admitted_pages, &dhe_admitted_pages_ops, NULL, 0444);
