// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: a dma-buf heap framework for kernels whose own one is absent
 * (6.1) or closed to modules (dma_heap_add() is not exported before 6.18).
 *
 * Serves the upstream UAPI of drivers/dma-buf/dma-heap.c bit for bit on
 * /dev/dma_heap/<name> (DMA_HEAP_IOCTL_ALLOC, dispatch on _IOC_NR, the
 * size-compat zero fill, the same -EINVAL cases), plus this project's query
 * ioctl, per-heap sysfs accounting and an in-kernel accessor API.
 *
 * Where the kernel exports its own framework (6.18+), the heaps are added
 * to it instead (kernel_framework=1, the default there): /dev/dma_heap/<name>
 * is then the kernel's node, in its class dma_heap beside its own heaps, and
 * ours become /dev/dma_heap_ext/<name>, which serve the query (and the
 * allocation) as before; the sysfs directory stays. The kernel has no
 * dma_heap_remove(), so such a module can never be unloaded.
 */

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/dma-heap.h>
#ifdef DHE_HAVE_KERNEL_HEAP_FRAMEWORK
#include <linux/dma-heap.h>
#endif

#include "compat.h"
#include "fault.h"
#include "heap.h"
#include "include/linux/dma-heap-ext.h"

#define DHE_MAX_HEAPS		16
#define DHE_CLASS_NAME		"dma_heap_ext"

#define DHE_VALID_FD_FLAGS	(O_CLOEXEC | O_ACCMODE)
#define DHE_VALID_HEAP_FLAGS	(0ULL)

/* ioctl numbers we serve, by _IOC_NR, as upstream dispatches */
#define DHE_IOC_NR_ALLOC	_IOC_NR(DMA_HEAP_IOCTL_ALLOC)
#define DHE_IOC_NR_QUERY	_IOC_NR(DMA_HEAP_EXT_IOC_QUERY)

static dev_t dhe_devt;
static LIST_HEAD(dhe_heap_list);
static DEFINE_MUTEX(dhe_heap_list_lock);
static unsigned int dhe_heap_count;

static struct dma_heap_ext *dhe_heap_find_locked(const char *name);

#ifdef DHE_HAVE_KERNEL_HEAP_FRAMEWORK
static bool dhe_kernel_framework = true;
#else
static bool dhe_kernel_framework;
#endif
module_param_named(kernel_framework, dhe_kernel_framework, bool, 0444);
MODULE_PARM_DESC(kernel_framework,
		 "Add the heaps to the kernel's own dma-heap framework, where it is exported (6.18+; default there: on). The module then cannot be unloaded; 0 keeps the module's own framework");

/*
 * Lock-free: the counters are read together only for display, and a reader
 * racing an allocation may see the buffer counted before its bytes.
 */
static void dhe_stats_add(struct dma_heap_ext *heap, size_t len)
{
	s64 bytes = atomic64_add_return(len, &heap->bytes);
	s64 peak = atomic64_read(&heap->peak_bytes);

	atomic64_inc(&heap->buffers);
	while (bytes > peak &&
	       !atomic64_try_cmpxchg(&heap->peak_bytes, &peak, bytes))
		;
}

static void dhe_stats_sub(struct dma_heap_ext *heap, size_t len)
{
	atomic64_dec(&heap->buffers);
	atomic64_sub(len, &heap->bytes);
}

/* Called by buffer.c once a buffer exists / is gone. */
void dhe_heap_account(struct dma_heap_ext *heap, size_t len, bool add)
{
	if (add)
		dhe_stats_add(heap, len);
	else
		dhe_stats_sub(heap, len);
}

static struct dma_buf *dhe_heap_buffer_alloc(struct dma_heap_ext *heap,
					     u64 len, u32 fd_flags,
					     u64 heap_flags)
{
	if (fd_flags & ~DHE_VALID_FD_FLAGS)
		return ERR_PTR(-EINVAL);
	if (heap_flags & ~DHE_VALID_HEAP_FLAGS)
		return ERR_PTR(-EINVAL);

	/* PAGE_ALIGN() of a length near U64_MAX wraps to 0, as upstream */
	len = PAGE_ALIGN(len);
	if (!len)
		return ERR_PTR(-EINVAL);
	/*
	 * More than all RAM can never succeed: say so at once rather than
	 * after pushing the machine into the OOM killer.
	 */
	if (len / PAGE_SIZE > totalram_pages())
		return ERR_PTR(-ENOMEM);

	return dhe_buffer_export(heap, len, fd_flags);
}

/*
 * A buffer whose fd is reserved but not yet installed: it is installed only
 * once the fd number reached the caller, so a failing copy_to_user() leaks
 * neither fd nor buffer (the kernel's own selftest checks this since 7.x).
 */
struct dhe_alloc_pending {
	struct dma_buf *dmabuf;
	int fd;
};

static long dhe_ioctl_allocate(struct dma_heap_ext *heap, void *data,
			       struct dhe_alloc_pending *pending)
{
	struct dma_heap_allocation_data *alloc = data;
	struct dma_buf *dmabuf;
	int fd;

	if (alloc->fd)
		return -EINVAL;

	dmabuf = dhe_heap_buffer_alloc(heap, alloc->len, alloc->fd_flags,
				       alloc->heap_flags);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = dhe_fault(DHE_FAULT_FD) ? -EMFILE : get_unused_fd_flags(alloc->fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}

	pending->dmabuf = dmabuf;
	pending->fd = fd;
	alloc->fd = fd;
	return 0;
}

/* After the copy back: hand the buffer over, or give both back. */
static void dhe_alloc_finish(struct dhe_alloc_pending *pending, long ret)
{
	if (!pending->dmabuf)
		return;
	if (!ret) {
		fd_install(pending->fd, pending->dmabuf->file);
	} else {
		put_unused_fd(pending->fd);
		dma_buf_put(pending->dmabuf);
	}
}

/**
 * dhe_heap_query() - describe a heap
 * @heap: the heap
 * @info: filled in completely (reserved fields zeroed)
 */
void dhe_heap_query(struct dma_heap_ext *heap, struct dma_heap_ext_info *info)
{
	memset(info, 0, sizeof(*info));
	heap->ops->query(heap, info);
	info->buffers = atomic64_read(&heap->buffers);
	info->bytes = atomic64_read(&heap->bytes);
}

static long dhe_ioctl_query(struct dma_heap_ext *heap, void *data)
{
	dhe_heap_query(heap, data);
	return 0;
}

/*
 * The argument handling of drivers/dma-buf/dma-heap.c: copy in what the
 * caller passed, zero-fill up to our size, copy back the caller's size, so
 * that older (shorter) and newer (longer) structs both work.
 */
static long dhe_heap_ioctl(struct file *file, unsigned int ucmd,
			   unsigned long arg)
{
	struct dma_heap_ext *heap = file->private_data;
	struct dhe_alloc_pending pending = { NULL, -1 };
	char stack_kdata[128];
	char *kdata = stack_kdata;
	unsigned int in_size, out_size, drv_size, ksize;
	unsigned int kcmd;
	long ret;

	switch (_IOC_NR(ucmd)) {
	case DHE_IOC_NR_ALLOC:
		kcmd = DMA_HEAP_IOCTL_ALLOC;
		break;
	case DHE_IOC_NR_QUERY:
		kcmd = DMA_HEAP_EXT_IOC_QUERY;
		break;
	default:
		return -EINVAL;
	}

	drv_size = _IOC_SIZE(kcmd);
	out_size = _IOC_SIZE(ucmd);
	in_size = out_size;
	if ((ucmd & kcmd & IOC_IN) == 0)
		in_size = 0;
	if ((ucmd & kcmd & IOC_OUT) == 0)
		out_size = 0;
	ksize = max(max(in_size, out_size), drv_size);

	if (ksize > sizeof(stack_kdata)) {
		kdata = dhe_fault(DHE_FAULT_IOCTL) ? NULL : kmalloc(ksize, GFP_KERNEL);
		if (!kdata)
			return -ENOMEM;
	}

	if (dhe_fault(DHE_FAULT_IOCTL) ||
	    copy_from_user(kdata, (void __user *)arg, in_size) != 0) {
		ret = -EFAULT;
		goto free_kdata;
	}

	if (ksize > in_size)
		memset(kdata + in_size, 0, ksize - in_size);

	if (kcmd == DMA_HEAP_IOCTL_ALLOC)
		ret = dhe_ioctl_allocate(heap, kdata, &pending);
	else
		ret = dhe_ioctl_query(heap, kdata);

	/* as upstream: copied back whatever the outcome */
	if (dhe_fault(DHE_FAULT_IOCTL) ||
	    copy_to_user((void __user *)arg, kdata, out_size) != 0)
		ret = -EFAULT;
	dhe_alloc_finish(&pending, ret);
free_kdata:
	if (kdata != stack_kdata)
		kfree(kdata);
	return ret;
}

/*
 * The open file holds heap->cdev (chrdev_open()) and the cdev holds
 * heap->dev (cdev_device_add()), whose release frees the heap: the heap
 * outlives the file. A heap not yet serving, or left out, is refused: its
 * cdev is reachable through a node made by hand (mknod) from cdev_add()
 * on, before cdev_device_add() has finished or after it failed.
 */
static int dhe_heap_open(struct inode *inode, struct file *file)
{
	struct dma_heap_ext *heap;

	heap = container_of(inode->i_cdev, struct dma_heap_ext, cdev);
	/* pairs with dhe_heap_publish(): a heap seen serving is seen whole */
	if (!smp_load_acquire(&heap->serving))
		return -ENODEV;
	file->private_data = heap;
	return nonseekable_open(inode, file);
}

static const struct file_operations dhe_heap_fops = {
	.owner		= THIS_MODULE,
	.open		= dhe_heap_open,
	.unlocked_ioctl	= dhe_heap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* sysfs: /sys/class/dma_heap_ext/<name>/ */

static struct dma_heap_ext *dhe_dev_heap(struct device *dev)
{
	return container_of(dev, struct dma_heap_ext, dev);
}

#define DHE_STAT_ATTR(field)						\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct dma_heap_ext *heap = dhe_dev_heap(dev);			\
									\
	return sysfs_emit(buf, "%lld\n", atomic64_read(&heap->field));	\
}									\
static DEVICE_ATTR_RO(field)

DHE_STAT_ATTR(buffers);
DHE_STAT_ATTR(bytes);
DHE_STAT_ATTR(peak_bytes);

#define DHE_QUERY_ATTR(name, expr)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	struct dma_heap_ext_info info;					\
									\
	dhe_heap_query(dhe_dev_heap(dev), &info);			\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));	\
}									\
static DEVICE_ATTR_RO(name)

DHE_QUERY_ATTR(contiguous, !!(info.flags & DMA_HEAP_EXT_FLAG_CONTIGUOUS));
DHE_QUERY_ATTR(cached, !!(info.flags & DMA_HEAP_EXT_FLAG_CACHED));
DHE_QUERY_ATTR(dma32, !!(info.flags & DMA_HEAP_EXT_FLAG_DMA32));
DHE_QUERY_ATTR(pooled, !!(info.flags & DMA_HEAP_EXT_FLAG_POOLED));
DHE_QUERY_ATTR(charged, !!(info.flags & DMA_HEAP_EXT_FLAG_CHARGED));
DHE_QUERY_ATTR(alignment, info.alignment);
DHE_QUERY_ATTR(max_size, info.max_size);
DHE_QUERY_ATTR(total_bytes, info.total_bytes);
DHE_QUERY_ATTR(free_bytes, info.free_bytes);

static ssize_t flags_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct dma_heap_ext_info info;

	dhe_heap_query(dhe_dev_heap(dev), &info);
	return sysfs_emit(buf, "0x%llx\n", info.flags);
}
static DEVICE_ATTR_RO(flags);

/* why "charged" reads what it reads: measured at each read */
static ssize_t charged_reason_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct dma_heap_ext *heap = dhe_dev_heap(dev);
	const char *why = "memory set aside for devices is never charged";

	if (heap->ops->charge_off_reason)
		why = heap->ops->charge_off_reason(heap);
	return sysfs_emit(buf, "%s\n", why ? why : "charged");
}
static DEVICE_ATTR_RO(charged_reason);

/* who serves /dev/dma_heap/<name>: the class whose node it is */
static ssize_t framework_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dhe_kernel_framework ? "dma_heap" :
			  DHE_CLASS_NAME);
}
static DEVICE_ATTR_RO(framework);

static ssize_t pool_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct dma_heap_ext *heap = dhe_dev_heap(dev);

	return sysfs_emit(buf, "%llu\n", heap->ops->pool_bytes(heap));
}
static DEVICE_ATTR_RO(pool_bytes);

static struct attribute *dhe_heap_attrs[] = {
	&dev_attr_buffers.attr,
	&dev_attr_bytes.attr,
	&dev_attr_peak_bytes.attr,
	&dev_attr_pool_bytes.attr,
	&dev_attr_flags.attr,
	&dev_attr_contiguous.attr,
	&dev_attr_cached.attr,
	&dev_attr_dma32.attr,
	&dev_attr_pooled.attr,
	&dev_attr_charged.attr,
	&dev_attr_charged_reason.attr,
	&dev_attr_alignment.attr,
	&dev_attr_max_size.attr,
	&dev_attr_total_bytes.attr,
	&dev_attr_free_bytes.attr,
	&dev_attr_framework.attr,
	NULL
};

static umode_t dhe_heap_attr_visible(struct kobject *kobj,
				     struct attribute *attr, int n)
{
	struct dma_heap_ext *heap = dhe_dev_heap(kobj_to_dev(kobj));

	if (attr == &dev_attr_pool_bytes.attr && !heap->ops->pool_bytes)
		return 0;
	return attr->mode;
}

static const struct attribute_group dhe_heap_group = {
	.attrs = dhe_heap_attrs,
	.is_visible = dhe_heap_attr_visible,
};

static const struct attribute_group *dhe_heap_groups[] = {
	&dhe_heap_group,
	NULL
};

static char *dhe_devnode(DHE_DEVNODE_DEV_CONST struct device *dev,
			 umode_t *mode)
{
	/* with the kernel's framework, /dev/dma_heap/<name> is its node */
	return kasprintf(GFP_KERNEL, "%s/%s",
			 dhe_kernel_framework ? "dma_heap_ext" : "dma_heap",
			 dev_name(dev));
}

static DHE_CLASS_CONST struct class dhe_class = {
	.name		= DHE_CLASS_NAME,
	.devnode	= dhe_devnode,
	.dev_groups	= dhe_heap_groups,
};

/*
 * Names the kernel's own heaps take on this kernel, built in or as modules
 * that may load after ours (7.2 made the system and CMA heaps modules),
 * known from its configuration rather than from what /dev or sysfs show
 * now: a path lookup resolves in the loading process's root and mount
 * namespace (a chroot, a container, an initramfs before devtmpfs) and says
 * nothing of what loads later. Taking one would leave the kernel's heap
 * without a node (devtmpfs keeps the first node of a name) or, in the
 * kernel's framework, fail its dma_heap_add() with a sysfs duplicate
 * warning. Any other clash with the kernel's registry is dma_heap_add()'s
 * to refuse (kernel_framework=1); a node of another driver that is not a
 * heap is told apart by its device number (tools/vm/list-heaps does).
 */
static bool dhe_heap_name_is_kernels(const char *name)
{
	static const char *const cma_names[] = {
		"default_cma_region", "reserved", "linux,cma",
	};
	unsigned int i;

	if (IS_ENABLED(CONFIG_DMABUF_HEAPS_SYSTEM) && !strcmp(name, "system"))
		return true;
	for (i = 0; i < ARRAY_SIZE(cma_names); i++)
		if (IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA) && !strcmp(name, cma_names[i]))
			return true;
	return false;
}

/* the last reference to heap->dev is gone: no file, no user, no node */
static void dhe_heap_release(struct device *dev)
{
	struct dma_heap_ext *heap = dhe_dev_heap(dev);

	kfree(heap->name);
	kfree(heap);
}

/**
 * dhe_heap_add() - register a heap: its accounting, not yet its node
 * @name: node name under /dev/dma_heap/
 * @ops: the heap's operations
 * @priv: heap-private data
 * @uncached: CPU mappings are write-combined
 *
 * Only called from module init. Userspace sees the heap once module init
 * is past every step that can fail (dhe_heaps_publish()).
 *
 * Return: the heap or an ERR_PTR(); -EEXIST when the name is one of the
 * kernel's own heaps (logged), which callers skip.
 */
struct dma_heap_ext *dhe_heap_add(const char *name,
				  const struct dhe_heap_ops *ops, void *priv,
				  bool uncached)
{
	struct dma_heap_ext *heap;
	int ret;

	mutex_lock(&dhe_heap_list_lock);
	if (dhe_heap_count >= DHE_MAX_HEAPS) {
		ret = -ENOSPC;
		goto unlock;
	}
	if (dhe_heap_find_locked(name)) {
		ret = -EEXIST;
		goto unlock;
	}
	if (dhe_heap_name_is_kernels(name)) {
		mutex_unlock(&dhe_heap_list_lock);
		pr_info("dma_heap_ext: this kernel has a heap of its own named %s: not adding ours\n",
			name);
		return ERR_PTR(-EEXIST);
	}

	heap = dhe_fault(DHE_FAULT_HEAP) ? NULL : kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap) {
		ret = -ENOMEM;
		goto unlock;
	}
	heap->name = dhe_fault(DHE_FAULT_HEAP) ? NULL : kstrdup(name, GFP_KERNEL);
	if (!heap->name) {
		kfree(heap);
		ret = -ENOMEM;
		goto unlock;
	}
	heap->ops = ops;
	heap->priv = priv;
	heap->uncached = uncached;

	/* from here on the device's release frees the heap */
	device_initialize(&heap->dev);
	heap->dev.class = &dhe_class;
	heap->dev.devt = MKDEV(MAJOR(dhe_devt), dhe_heap_count);
	heap->dev.release = dhe_heap_release;
	ret = dhe_fault(DHE_FAULT_DEVICE) ? -ENOMEM :
		dev_set_name(&heap->dev, "%s", heap->name);
	if (ret) {
		put_device(&heap->dev);
		goto unlock;
	}
	cdev_init(&heap->cdev, &dhe_heap_fops);
	heap->cdev.owner = THIS_MODULE;

	list_add_tail(&heap->node, &dhe_heap_list);
	dhe_heap_count++;
	mutex_unlock(&dhe_heap_list_lock);
	return heap;

unlock:
	mutex_unlock(&dhe_heap_list_lock);
	pr_err("dma_heap_ext: cannot add heap %s: %d\n", name, ret);
	return ERR_PTR(ret);
}

#ifdef DHE_HAVE_KERNEL_HEAP_FRAMEWORK
static struct dma_buf *dhe_kheap_allocate(struct dma_heap *kheap,
					  unsigned long len, u32 fd_flags,
					  u64 heap_flags)
{
	return dhe_heap_buffer_alloc(dma_heap_get_drvdata(kheap), len,
				     fd_flags, heap_flags);
}

static const struct dma_heap_ops dhe_kheap_ops = {
	.allocate = dhe_kheap_allocate,
};

/*
 * Add @heap to the kernel's framework. It cannot be undone: the framework
 * keeps @heap (name, ops, priv) for good, with a reference of its own on
 * heap->dev that is never dropped, and the first success pins the module
 * until reboot.
 */
static int dhe_heap_add_to_kernel(struct dma_heap_ext *heap)
{
	static bool pinned;
	struct dma_heap_export_info exp_info = {
		.name = heap->name,
		.ops = &dhe_kheap_ops,
		.priv = heap,
	};
	struct dma_heap *kheap;

	kheap = dhe_fault(DHE_FAULT_KHEAP) ? ERR_PTR(-ENOMEM) :
		dma_heap_add(&exp_info);
	if (IS_ERR(kheap))
		return PTR_ERR(kheap);
	get_device(&heap->dev);
	if (!pinned) {
		__module_get(THIS_MODULE);
		pinned = true;
		pr_info("dma_heap_ext: heaps added to the kernel's dma-heap framework, which cannot remove them: the module stays loaded until reboot (load it with kernel_framework=0 to be able to unload it)\n");
	}
	return 0;
}
#else
static int dhe_heap_add_to_kernel(struct dma_heap_ext *heap)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * Make one registered heap visible. With the kernel's framework, its node
 * there comes first: dma_heap_add() is the step that cannot be undone and
 * the one that refuses a name the kernel already has, so nothing of ours is
 * visible before it succeeded. Then our node and sysfs directory; without
 * them a heap the kernel serves stays served.
 *
 * Return: 0 when the heap is served, else a negative errno and nothing of
 * it was ever openable.
 */
static int dhe_heap_publish(struct dma_heap_ext *heap)
{
	int ret;

	lockdep_assert_held(&dhe_heap_list_lock);
	if (dhe_kernel_framework) {
		ret = dhe_heap_add_to_kernel(heap);
		if (ret)
			return ret;
		/* opens (dhe_heap_open()) see the heap whole once serving */
		smp_store_release(&heap->serving, true);
	}

	ret = dhe_fault(DHE_FAULT_CDEV) ? -ENOMEM :
		cdev_device_add(&heap->cdev, &heap->dev);
	if (ret) {
		if (!heap->serving)
			return ret;
		pr_err("dma_heap_ext: cannot create /dev/dma_heap_ext/%s and its sysfs directory: %d; the kernel's /dev/dma_heap/%s serves the heap\n",
		       heap->name, ret, heap->name);
		return 0;
	}
	heap->dev_added = true;
	/* opens (dhe_heap_open()) see the heap whole once serving */
	smp_store_release(&heap->serving, true);
	return 0;
}

/*
 * The last step of module init: make every registered heap visible. One
 * that cannot be made visible is left out (logged) and the others stay, as
 * a heap whose name is taken is. A heap left out was never openable, and
 * module init fails (-ENODEV) only when no heap was: a failed init frees
 * the module whatever references its files hold.
 *
 * Return: 0, or -ENODEV when no heap at all could be made visible.
 */
int dhe_heaps_publish(void)
{
	struct dma_heap_ext *heap, *tmp;
	unsigned int published = 0;
	int ret;

	mutex_lock(&dhe_heap_list_lock);
	list_for_each_entry_safe(heap, tmp, &dhe_heap_list, node) {
		ret = dhe_heap_publish(heap);
		if (!ret) {
			published++;
			continue;
		}
		pr_err("dma_heap_ext: cannot publish heap %s%s: %d; leaving that heap out\n",
		       heap->name,
		       dhe_kernel_framework ? " in the kernel's framework" : "",
		       ret);
		list_del(&heap->node);
		if (heap->ops->left_out)
			heap->ops->left_out(heap);
		put_device(&heap->dev);
	}
	mutex_unlock(&dhe_heap_list_lock);
	return published ? 0 : -ENODEV;
}

void dhe_heaps_remove_all(void)
{
	struct dma_heap_ext *heap, *tmp;

	mutex_lock(&dhe_heap_list_lock);
	list_for_each_entry_safe(heap, tmp, &dhe_heap_list, node) {
		list_del(&heap->node);
		if (heap->dev_added)
			cdev_device_del(&heap->cdev, &heap->dev);
		put_device(&heap->dev);
	}
	dhe_heap_count = 0;
	mutex_unlock(&dhe_heap_list_lock);
}

static struct dma_heap_ext *dhe_heap_find_locked(const char *name)
{
	struct dma_heap_ext *heap;

	lockdep_assert_held(&dhe_heap_list_lock);
	list_for_each_entry(heap, &dhe_heap_list, node)
		if (!strcmp(heap->name, name))
			return heap;
	return NULL;
}

/**
 * dhe_heap_find_by_flags() - the first served heap that is what the
 *			      caller needs
 * @want: query flags (DMA_HEAP_EXT_FLAG_*) the heap must have
 * @refuse: query flags it must not have
 *
 * Return: the heap with a reference taken, to be dropped with
 * dma_heap_ext_put(), or NULL.
 */
struct dma_heap_ext *dhe_heap_find_by_flags(u64 want, u64 refuse)
{
	struct dma_heap_ext_info info;
	struct dma_heap_ext *heap;

	mutex_lock(&dhe_heap_list_lock);
	list_for_each_entry(heap, &dhe_heap_list, node) {
		if (!heap->serving)
			continue;
		dhe_heap_query(heap, &info);
		if ((info.flags & want) == want && !(info.flags & refuse)) {
			get_device(&heap->dev);
			goto unlock;
		}
	}
	heap = NULL;
unlock:
	mutex_unlock(&dhe_heap_list_lock);
	return heap;
}

/**
 * dma_heap_ext_find() - find a heap of dma_heap_ext by name
 * @name: heap name, as under /dev/dma_heap/ (e.g. "contiguous")
 *
 * Return: the heap with a reference taken, to be dropped with
 * dma_heap_ext_put(), or NULL if there is no such heap.
 */
struct dma_heap_ext *dma_heap_ext_find(const char *name)
{
	struct dma_heap_ext *heap;

	mutex_lock(&dhe_heap_list_lock);
	heap = dhe_heap_find_locked(name);
	if (heap && heap->serving)
		get_device(&heap->dev);
	else
		heap = NULL;
	mutex_unlock(&dhe_heap_list_lock);
	return heap;
}
EXPORT_SYMBOL_GPL(dma_heap_ext_find);

/**
 * dma_heap_ext_put() - drop a reference taken by dma_heap_ext_find()
 * @heap: the heap; NULL is allowed
 *
 * Buffers already allocated from @heap stay valid.
 */
void dma_heap_ext_put(struct dma_heap_ext *heap)
{
	if (heap)
		put_device(&heap->dev);
}
EXPORT_SYMBOL_GPL(dma_heap_ext_put);

/**
 * dma_heap_ext_get_name() - the name of a heap
 * @heap: the heap
 *
 * Return: the name, valid as long as the reference on @heap is held.
 */
const char *dma_heap_ext_get_name(struct dma_heap_ext *heap)
{
	return heap->name;
}
EXPORT_SYMBOL_GPL(dma_heap_ext_get_name);

/**
 * dma_heap_ext_buffer_alloc() - allocate a dma-buf from a heap
 * @heap: a heap from dma_heap_ext_find()
 * @len: size in bytes, rounded up to whole pages
 * @fd_flags: the file flags of the dma-buf (O_CLOEXEC, O_ACCMODE bits),
 *	as DMA_HEAP_IOCTL_ALLOC takes them
 * @heap_flags: must be 0
 *
 * The same checks as DMA_HEAP_IOCTL_ALLOC apply. The buffer is zeroed and
 * accounted to @heap like one allocated from userspace.
 *
 * Return: the dma-buf, to be released with dma_buf_put(), or an ERR_PTR():
 * -EINVAL for bad flags or a zero length, -ENOMEM when memory runs out,
 * -EINTR when a fatal signal interrupted the allocation.
 */
struct dma_buf *dma_heap_ext_buffer_alloc(struct dma_heap_ext *heap,
					  size_t len, u32 fd_flags,
					  u64 heap_flags)
{
	return dhe_heap_buffer_alloc(heap, len, fd_flags, heap_flags);
}
EXPORT_SYMBOL_GPL(dma_heap_ext_buffer_alloc);

/**
 * dhe_core_init() - the char device region and the class heaps appear in
 *
 * Return: 0 or a negative errno.
 */
int dhe_core_init(void)
{
	int ret;

#ifndef DHE_HAVE_KERNEL_HEAP_FRAMEWORK
	if (dhe_kernel_framework) {
		pr_err("dma_heap_ext: kernel_framework=1: this kernel does not export its dma-heap framework to modules (dma_heap_add(), 6.18 and later); load without the parameter\n");
		return -EINVAL;
	}
#endif

	ret = dhe_fault(DHE_FAULT_CHRDEV) ? -ENOMEM :
		alloc_chrdev_region(&dhe_devt, 0, DHE_MAX_HEAPS, DHE_CLASS_NAME);
	if (ret)
		return ret;

	ret = dhe_fault(DHE_FAULT_CLASS) ? -ENOMEM : class_register(&dhe_class);
	if (ret)
		goto unregister_chrdev;
	return 0;

unregister_chrdev:
	unregister_chrdev_region(dhe_devt, DHE_MAX_HEAPS);
	return ret;
}

/**
 * dhe_core_exit() - undo dhe_core_init(), once every heap is removed
 */
void dhe_core_exit(void)
{
	class_unregister(&dhe_class);
	unregister_chrdev_region(dhe_devt, DHE_MAX_HEAPS);
}
