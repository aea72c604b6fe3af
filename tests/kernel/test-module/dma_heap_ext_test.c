// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext_test: a user of dma_heap_ext's in-kernel accessor API and a
 * dma-buf importer, driven by tests/kernel/ through /dev/dma_heap_ext_test.
 *
 * Its platform device (64-bit DMA mask) is the importing device: attach,
 * map_dma_buf, begin/end_cpu_access with a mapped attachment, vmap. It
 * also keeps one buffer mapped per open file and reads and writes what the
 * device sees at its DMA addresses, so tests can tell whether the
 * exporter's syncs move data through swiotlb bounce buffers.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#ifdef CONFIG_X86
#include <asm/pgtable_types.h>
#endif

#include "compat.h"
#include <linux/dma-heap-ext.h>
#include "dma-heap-ext-test.h"

static struct platform_device *dhe_test_pdev;

/* A buffer the device keeps mapped between ioctls, as a driver would. */
struct dhe_test_mapping {
	struct mutex lock;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
};

static void dhe_test_count_segments(struct sg_table *sgt,
				    struct dhe_test_import *imp)
{
	dma_addr_t dma_end = 0;
	phys_addr_t phys_end = 0;
	struct scatterlist *sg;
	unsigned int i;

	imp->sg_nents = sgt->nents;
	imp->sg_orig_nents = sgt->orig_nents;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (!i || sg_dma_address(sg) != dma_end)
			imp->dma_segments++;
		dma_end = sg_dma_address(sg) + sg_dma_len(sg);
	}
	for_each_sgtable_sg(sgt, sg, i) {
		if (!i || sg_phys(sg) != phys_end)
			imp->phys_segments++;
		phys_end = sg_phys(sg) + sg->length;
		imp->phys_end = max_t(u64, imp->phys_end, phys_end);
	}
}

/* How many pages the kernel's direct map does not map write-back. */
static void dhe_test_count_uncached(struct sg_table *sgt,
				    struct dhe_test_import *imp)
{
#ifdef CONFIG_X86
	struct sg_page_iter piter;
	unsigned int level;
	pteval_t mask;
	pte_t *pte;

	for_each_sgtable_page(sgt, &piter, 0) {
		struct page *page = sg_page_iter_page(&piter);

		if (PageHighMem(page))
			continue;
		pte = lookup_address((unsigned long)page_address(page), &level);
		if (!pte)
			continue;
		/* in a large-page entry, bit 7 is PSE and PAT moves to bit 12 */
		mask = level == PG_LEVEL_4K ? _PAGE_CACHE_MASK :
		       _PAGE_PWT | _PAGE_PCD | _PAGE_PAT_LARGE;
		if (pte_flags(*pte) & mask)
			imp->uncached_pages++;
	}
#endif
}

static int dhe_test_cpu_pass(struct dma_buf *dmabuf,
			     struct dhe_test_import *imp)
{
	struct iosys_map map;
	u64 *words, hash = DHE_TEST_FNV_BASIS;
	size_t i, nwords = dmabuf->size / sizeof(u64);
	int ret;

	ret = dhe_dma_buf_vmap(dmabuf, &map);
	if (ret)
		return ret;
	if (map.is_iomem) {
		ret = -EINVAL;
		goto vunmap;
	}
	words = map.vaddr;

	if (imp->flags & DHE_TEST_IMPORT_WRITE)
		for (i = 0; i < nwords; i++)
			words[i] = imp->pattern + i;

	for (i = 0; i < nwords; i++) {
		hash = (hash ^ words[i]) * DHE_TEST_FNV_PRIME;
		if (words[i])
			imp->nonzero_words++;
	}
	imp->checksum = hash;
vunmap:
	dhe_dma_buf_vunmap(dmabuf, &map);
	return ret;
}

static long dhe_test_import(struct dhe_test_import *imp)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	long ret;

	dmabuf = dma_buf_get(imp->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	imp->size = dmabuf->size;

	attach = dma_buf_attach(dmabuf, &dhe_test_pdev->dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto put_dmabuf;
	}

	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto detach;
	}
	dhe_test_count_segments(sgt, imp);
	dhe_test_count_uncached(sgt, imp);

	/* with the attachment mapped, so the exporter syncs it */
	ret = dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
	if (ret)
		goto unmap;
	ret = dhe_test_cpu_pass(dmabuf, imp);
	dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL);

unmap:
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
detach:
	dma_buf_detach(dmabuf, attach);
put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

static long dhe_test_alloc(struct dhe_test_alloc *req)
{
	struct dma_heap_ext *heap;
	struct dma_buf *dmabuf;
	int fd;

	req->heap[sizeof(req->heap) - 1] = '\0';
	heap = dma_heap_ext_find(req->heap);
	if (!heap)
		return -ENOENT;

	dmabuf = dma_heap_ext_buffer_alloc(heap, req->len, req->fd_flags, 0);
	/* the buffer does not need the heap reference */
	dma_heap_ext_put(heap);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	fd = dma_buf_fd(dmabuf, req->fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	req->fd = fd;
	return 0;
}

static long dhe_test_map(struct dhe_test_mapping *m, struct dhe_test_map *req)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	long ret;

	if (m->dmabuf)
		return -EBUSY;
	dmabuf = dma_buf_get(req->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	attach = dma_buf_attach(dmabuf, &dhe_test_pdev->dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto put_dmabuf;
	}
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto detach;
	}

	req->size = dmabuf->size;
	req->segments = 0;
	req->bounced = 0;
	/* dma-direct maps entry by entry: DMA entry i is entry i's pages */
	for_each_sgtable_dma_sg(sgt, sg, i) {
		req->segments++;
		if (sg_dma_address(sg) != sg_phys(sg))
			req->bounced++;
	}
	m->dmabuf = dmabuf;
	m->attach = attach;
	m->sgt = sgt;
	return 0;

detach:
	dma_buf_detach(dmabuf, attach);
put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}

static void dhe_test_unmap(struct dhe_test_mapping *m)
{
	if (!m->dmabuf)
		return;
	dma_buf_unmap_attachment_unlocked(m->attach, m->sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(m->dmabuf, m->attach);
	dma_buf_put(m->dmabuf);
	m->dmabuf = NULL;
	m->attach = NULL;
	m->sgt = NULL;
}

/*
 * Play the device: read or write the memory at the DMA addresses. With no
 * IOMMU (the test VMs) a DMA address on x86 is the physical address: the
 * pages themselves, or the swiotlb slot the device was given instead.
 */
static long dhe_test_device(struct dhe_test_mapping *m,
			    struct dhe_test_device_access *req)
{
	bool write = req->flags & DHE_TEST_DEVICE_WRITE;
	struct scatterlist *sg;
	u64 word = 0;
	unsigned int i;
	size_t j;

	if (!m->dmabuf)
		return -ENOENT;
	req->matching = 0;
	for_each_sgtable_dma_sg(m->sgt, sg, i) {
		phys_addr_t phys = (phys_addr_t)sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);
		u64 *words;

		if (!pfn_valid(PHYS_PFN(phys)) ||
		    !pfn_valid(PHYS_PFN(phys + len - 1)) ||
		    PageHighMem(pfn_to_page(PHYS_PFN(phys + len - 1))))
			return -EOPNOTSUPP;
		words = phys_to_virt(phys);
		for (j = 0; j < len / sizeof(u64); j++, word++) {
			if (write)
				words[j] = req->pattern + word;
			else if (words[j] == req->pattern + word)
				req->matching++;
		}
	}
	req->words = word;
	return 0;
}

static int dhe_test_open(struct inode *inode, struct file *file)
{
	struct dhe_test_mapping *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return -ENOMEM;
	mutex_init(&m->lock);
	file->private_data = m;
	return 0;
}

static int dhe_test_release(struct inode *inode, struct file *file)
{
	struct dhe_test_mapping *m = file->private_data;

	dhe_test_unmap(m);
	mutex_destroy(&m->lock);
	kfree(m);
	return 0;
}

static long dhe_test_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct dhe_test_mapping *m = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case DHE_TEST_IOC_IMPORT: {
		struct dhe_test_import imp;

		if (copy_from_user(&imp, uarg, sizeof(imp)))
			return -EFAULT;
		imp.size = 0;
		imp.sg_nents = 0;
		imp.sg_orig_nents = 0;
		imp.dma_segments = 0;
		imp.phys_segments = 0;
		imp.checksum = 0;
		imp.nonzero_words = 0;
		imp.uncached_pages = 0;
		imp.phys_end = 0;
		ret = dhe_test_import(&imp);
		if (!ret && copy_to_user(uarg, &imp, sizeof(imp)))
			ret = -EFAULT;
		return ret;
	}
	case DHE_TEST_IOC_ALLOC: {
		struct dhe_test_alloc req;

		if (copy_from_user(&req, uarg, sizeof(req)))
			return -EFAULT;
		ret = dhe_test_alloc(&req);
		if (!ret && copy_to_user(uarg, &req, sizeof(req)))
			ret = -EFAULT;
		return ret;
	}
	case DHE_TEST_IOC_MAP: {
		struct dhe_test_map req;

		if (copy_from_user(&req, uarg, sizeof(req)))
			return -EFAULT;
		mutex_lock(&m->lock);
		ret = dhe_test_map(m, &req);
		mutex_unlock(&m->lock);
		if (!ret && copy_to_user(uarg, &req, sizeof(req)))
			ret = -EFAULT;
		return ret;
	}
	case DHE_TEST_IOC_DEVICE: {
		struct dhe_test_device_access req;

		if (copy_from_user(&req, uarg, sizeof(req)))
			return -EFAULT;
		mutex_lock(&m->lock);
		ret = dhe_test_device(m, &req);
		mutex_unlock(&m->lock);
		if (!ret && copy_to_user(uarg, &req, sizeof(req)))
			ret = -EFAULT;
		return ret;
	}
	case DHE_TEST_IOC_UNMAP:
		mutex_lock(&m->lock);
		dhe_test_unmap(m);
		mutex_unlock(&m->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dhe_test_fops = {
	.owner = THIS_MODULE,
	.open = dhe_test_open,
	.release = dhe_test_release,
	.unlocked_ioctl = dhe_test_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dhe_test_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dma_heap_ext_test",
	.fops = &dhe_test_fops,
	.mode = 0600,
};

static int __init dhe_test_init(void)
{
	int ret;

	dhe_test_pdev = platform_device_register_simple("dma_heap_ext_test",
							PLATFORM_DEVID_NONE,
							NULL, 0);
	if (IS_ERR(dhe_test_pdev))
		return PTR_ERR(dhe_test_pdev);

	ret = dma_coerce_mask_and_coherent(&dhe_test_pdev->dev,
					   DMA_BIT_MASK(64));
	if (ret)
		goto unregister_pdev;

	ret = misc_register(&dhe_test_misc);
	if (ret)
		goto unregister_pdev;
	return 0;

unregister_pdev:
	platform_device_unregister(dhe_test_pdev);
	return ret;
}

static void __exit dhe_test_exit(void)
{
	misc_deregister(&dhe_test_misc);
	platform_device_unregister(dhe_test_pdev);
}

module_init(dhe_test_init);
module_exit(dhe_test_exit);

MODULE_DESCRIPTION("Test importer and in-kernel user of dma_heap_ext");
MODULE_LICENSE("GPL");
DHE_IMPORT_NS_DMA_BUF();
