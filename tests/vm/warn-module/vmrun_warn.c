// SPDX-License-Identifier: GPL-2.0
/*
 * A module that makes the kernel report a problem at load, so that the VM
 * harness test (tests/vm/harness-test) proves vm-run fails a run on each
 * kind of report. report= chooses which, each one real, none faked:
 *   warning     WARN()                                   "WARNING:"
 *   slub        a write past a kmalloc() object; with slub_debug=FZPU
 *               SLUB finds it in the red zone at kfree() "BUG kmalloc-32 ("
 *   kfence      the same write on an object KFENCE guards (it samples
 *               allocations; kfence.sample_interval=1)  "KFENCE: "
 *   pagepoison  a write to a freed page, found when the page is handed
 *               out again (page_poison=1)             "pagealloc: memory corruption"
 */
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kfence.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *report = "warning";
module_param(report, charp, 0444);
MODULE_PARM_DESC(report, "warning, slub, kfence or pagepoison");

/* Not inlined, so the compiler cannot see the overflow it is meant to be. */
static noinline void vmrun_warn_overflow(char *p, size_t size)
{
	p[size] = 0x5a;
}

static int vmrun_warn_kfence(void)
{
#ifdef CONFIG_KFENCE
	/*
	 * KFENCE hands its next sample to whichever allocation comes first
	 * once its timer opens the gate: allocate in bursts, holding each
	 * burst, so that ours is first even in a guest that a loaded host
	 * slows down (a loop of one allocation and a sleep went 20 s without
	 * a sample on 7.3 with another VM beside it).
	 */
	unsigned long end = jiffies + 60 * HZ;
	char *burst[64];
	unsigned int i, n;
	int hit;

	while (time_before(jiffies, end)) {
		hit = -1;
		for (n = 0; n < ARRAY_SIZE(burst); n++) {
			burst[n] = kmalloc(32, GFP_KERNEL);
			if (!burst[n])
				break;
			if (is_kfence_address(burst[n])) {
				hit = n++;
				break;
			}
		}
		if (hit >= 0)
			vmrun_warn_overflow(burst[hit], 32);
		for (i = 0; i < n; i++)
			kfree(burst[i]);
		if (hit >= 0)
			return 0;
		if (n < ARRAY_SIZE(burst))
			return -ENOMEM;
		usleep_range(50, 100);
	}
	pr_err("vmrun_warn: no KFENCE allocation within 60 s (kfence.sample_interval?)\n");
	return -ETIMEDOUT;
#else
	pr_err("vmrun_warn: this kernel has no KFENCE\n");
	return -EOPNOTSUPP;
#endif
}

/*
 * The page allocator's per-CPU lists hand the page just freed out again
 * first; with page_poison=1 it checks the poison then. Interrupts stay off
 * from the free to the allocation: with preemption alone off, an interrupt
 * on this CPU could take the freed page first, and the write below would
 * corrupt whatever it put there.
 */
static int vmrun_warn_pagepoison(void)
{
	struct page *page, *again;
	unsigned long flags;
	int tries;

	for (tries = 0; tries < 64; tries++) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
		local_irq_save(flags);
		__free_page(page);
		memset(page_address(page), 0x5a, 16);
		again = alloc_page(GFP_ATOMIC);
		local_irq_restore(flags);
		if (again)
			__free_page(again);
		if (again == page)
			return 0;
	}
	pr_err("vmrun_warn: the freed page never came back\n");
	return -EAGAIN;
}

static int __init vmrun_warn_init(void)
{
	char *p;

	if (!strcmp(report, "warning")) {
		WARN(1, "vmrun_warn: deliberate warning for the harness test\n");
		return 0;
	}
	if (!strcmp(report, "slub")) {
		p = kmalloc(32, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		vmrun_warn_overflow(p, 32);
		kfree(p);
		return 0;
	}
	if (!strcmp(report, "kfence"))
		return vmrun_warn_kfence();
	if (!strcmp(report, "pagepoison"))
		return vmrun_warn_pagepoison();
	pr_err("vmrun_warn: report=%s unknown: warning, slub, kfence, pagepoison\n", report);
	return -EINVAL;
}

static void __exit vmrun_warn_exit(void)
{
}

module_init(vmrun_warn_init);
module_exit(vmrun_warn_exit);
MODULE_DESCRIPTION("Makes the kernel report a problem at load (VM harness self-test)");
MODULE_LICENSE("GPL");
