// SPDX-License-Identifier: GPL-2.0
/*
 * Another driver's node under /dev/dma_heap/: a misc device named
 * dma_heap/<name>, as any other heap exporter (the kernel's framework on
 * 6.12+, a vendor module) makes one. tests/kernel/heap-test.c loads it
 * with a name of ours before dma_heap_ext and after it: whichever came
 * first keeps the node, without a warning, and the device number tells
 * whose it is. Opening it gives -ENODEV: it is not a heap.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

static char *name = "foreign-test";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "node to create: /dev/dma_heap/<name>");

static int dhe_foreign_open(struct inode *inode, struct file *file)
{
	return -ENODEV;
}

static const struct file_operations dhe_foreign_fops = {
	.owner = THIS_MODULE,
	.open = dhe_foreign_open,
};

static struct miscdevice dhe_foreign_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dhe_foreign_heap",
	.fops = &dhe_foreign_fops,
};

static int __init dhe_foreign_init(void)
{
	int ret;

	dhe_foreign_misc.nodename = kasprintf(GFP_KERNEL, "dma_heap/%s", name);
	if (!dhe_foreign_misc.nodename)
		return -ENOMEM;
	ret = misc_register(&dhe_foreign_misc);
	if (ret)
		kfree(dhe_foreign_misc.nodename);
	return ret;
}

static void __exit dhe_foreign_exit(void)
{
	misc_deregister(&dhe_foreign_misc);
	kfree(dhe_foreign_misc.nodename);
}

module_init(dhe_foreign_init);
module_exit(dhe_foreign_exit);
MODULE_DESCRIPTION("A foreign /dev/dma_heap node for dma_heap_ext's name-clash test");
MODULE_LICENSE("GPL");
