// SPDX-License-Identifier: GPL-2.0
/*
 * A module that only warns: loading it must make a vm-run fail, which proves
 * the VM harness notices kernel warnings (tests/vm/harness-test).
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init vmrun_warn_init(void)
{
	WARN(1, "vmrun_warn: deliberate warning for the harness test\n");
	return 0;
}

static void __exit vmrun_warn_exit(void)
{
}

module_init(vmrun_warn_init);
module_exit(vmrun_warn_exit);
MODULE_DESCRIPTION("Deliberately warns at load (VM harness self-test)");
MODULE_LICENSE("GPL");
