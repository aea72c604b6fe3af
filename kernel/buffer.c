// SPDX-License-Identifier: GPL-2.0
/*
 * dma_heap_ext: the dma-buf side of a heap buffer, shared by all heaps.
 *
 * Follows drivers/dma-buf/heaps/system_heap.c: an sg_table per attachment,
 * CPU access syncing every mapped attachment, vmap through vmap(). Heaps
 * only fill and empty buffer->sg_table. Write-combined heaps map with
 * pgprot_writecombine().
 *
 * Every heap syncs its device mappings, the write-combined one included:
 * where a device goes through swiotlb bounce buffers (swiotlb=force,
 * SEV/TDX guests, a device whose DMA mask does not reach the pages) the
 * syncs are the copies between the pages and the bounce buffer, and
 * without them the device reads the snapshot taken at map time and its
 * writes never reach the pages. Where nothing bounces, x86 syncs nothing.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "fault.h"
#include "heap.h"

struct dhe_attachment {
	struct device *dev;
	struct sg_table table;
	struct list_head list;
	bool mapped;
};

/*
 * The longest piece @dev can map: swiotlb bounces at most 256 KiB per
 * entry, so a buffer of 1 MiB chunks could not be mapped at all through
 * bounce buffers. Where nothing bounces this is SIZE_MAX and entries stay
 * whole.
 */
static size_t dhe_max_entry_len(struct device *dev)
{
	return max_t(size_t, round_down(dma_max_mapping_size(dev), PAGE_SIZE),
		     PAGE_SIZE);
}

static int dhe_dup_sg_table(struct sg_table *from, struct sg_table *to,
			    struct device *dev)
{
	size_t max_len = dhe_max_entry_len(dev);
	struct scatterlist *sg, *new_sg;
	unsigned int nents = 0;
	unsigned int i;
	int ret;

	/* DIV_ROUND_UP() would overflow with max_len near SIZE_MAX */
	for_each_sgtable_sg(from, sg, i)
		nents += (sg->length - 1) / max_len + 1;

	ret = dhe_fault(DHE_FAULT_SG) ? -ENOMEM :
		sg_alloc_table(to, nents, GFP_KERNEL);
	if (ret)
		return ret;

	/* heaps fill whole pages: every entry starts at offset 0 */
	new_sg = to->sgl;
	for_each_sgtable_sg(from, sg, i) {
		size_t done, len;

		for (done = 0; done < sg->length; done += len) {
			len = min_t(size_t, sg->length - done, max_len);
			sg_set_page(new_sg,
				    dhe_nth_page(sg_page(sg), done >> PAGE_SHIFT),
				    len, 0);
			new_sg = sg_next(new_sg);
		}
	}
	return 0;
}

static int dhe_attach(struct dma_buf *dmabuf,
		      struct dma_buf_attachment *attachment)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	struct dhe_attachment *a;
	int ret;

	a = dhe_fault(DHE_FAULT_BUFFER) ? NULL : kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	ret = dhe_dup_sg_table(&buffer->sg_table, &a->table, attachment->dev);
	if (ret) {
		kfree(a);
		return ret;
	}

	a->dev = attachment->dev;
	INIT_LIST_HEAD(&a->list);
	attachment->priv = a;

	mutex_lock(&buffer->lock);
	list_add(&a->list, &buffer->attachments);
	mutex_unlock(&buffer->lock);
	return 0;
}

static void dhe_detach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attachment)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	struct dhe_attachment *a = attachment->priv;

	mutex_lock(&buffer->lock);
	list_del(&a->list);
	mutex_unlock(&buffer->lock);

	sg_free_table(&a->table);
	kfree(a);
}

static struct sg_table *dhe_map_dma_buf(struct dma_buf_attachment *attachment,
					enum dma_data_direction direction)
{
	struct dhe_buffer *buffer = attachment->dmabuf->priv;
	struct dhe_attachment *a = attachment->priv;
	int ret;

	ret = dhe_fault(DHE_FAULT_MAP) ? -ENOMEM :
		dma_map_sgtable(attachment->dev, &a->table, direction, 0);
	if (ret)
		return ERR_PTR(ret);

	mutex_lock(&buffer->lock);
	/* a device may write to it from now on */
	buffer->dirty = true;
	a->mapped = true;
	mutex_unlock(&buffer->lock);
	return &a->table;
}

static void dhe_unmap_dma_buf(struct dma_buf_attachment *attachment,
			      struct sg_table *table,
			      enum dma_data_direction direction)
{
	struct dhe_buffer *buffer = attachment->dmabuf->priv;
	struct dhe_attachment *a = attachment->priv;

	mutex_lock(&buffer->lock);
	a->mapped = false;
	mutex_unlock(&buffer->lock);
	dma_unmap_sgtable(attachment->dev, table, direction, 0);
}

static int dhe_begin_cpu_access(struct dma_buf *dmabuf,
				enum dma_data_direction direction)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	struct dhe_attachment *a;

	mutex_lock(&buffer->lock);
	if (buffer->vaddr)
		invalidate_kernel_vmap_range(buffer->vaddr, buffer->len);

	list_for_each_entry(a, &buffer->attachments, list) {
		if (!a->mapped)
			continue;
		dma_sync_sgtable_for_cpu(a->dev, &a->table, direction);
	}
	mutex_unlock(&buffer->lock);
	return 0;
}

static int dhe_end_cpu_access(struct dma_buf *dmabuf,
			      enum dma_data_direction direction)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	struct dhe_attachment *a;

	mutex_lock(&buffer->lock);
	if (buffer->vaddr)
		flush_kernel_vmap_range(buffer->vaddr, buffer->len);

	list_for_each_entry(a, &buffer->attachments, list) {
		if (!a->mapped)
			continue;
		dma_sync_sgtable_for_device(a->dev, &a->table, direction);
	}
	mutex_unlock(&buffer->lock);
	return 0;
}

/* Maps whole sg entries (high-order chunks) rather than page by page. */
static int dhe_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	unsigned long addr = vma->vm_start;
	unsigned long pgoff = vma->vm_pgoff;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	/*
	 * As upstream's cma_heap: a private mapping would copy written pages
	 * into anonymous memory no device sees, and remap_pfn_range() accepts
	 * it only for some layouts. Refused whatever the buffer's layout. A
	 * shared mapping of a read-only file has VM_MAYSHARE only.
	 */
	if (!(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;

	if (buffer->heap->uncached)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);

	mutex_lock(&buffer->lock);
	buffer->dirty = true;
	mutex_unlock(&buffer->lock);

	for_each_sgtable_sg(&buffer->sg_table, sg, i) {
		unsigned long npages = sg->length >> PAGE_SHIFT;
		unsigned long size;

		if (pgoff >= npages) {
			pgoff -= npages;
			continue;
		}
		size = min((npages - pgoff) << PAGE_SHIFT, vma->vm_end - addr);
		ret = dhe_fault(DHE_FAULT_MMAP) ? -EAGAIN :
			remap_pfn_range(vma, addr, page_to_pfn(sg_page(sg)) + pgoff,
					size, vma->vm_page_prot);
		if (ret)
			return ret;
		addr += size;
		pgoff = 0;
		if (addr >= vma->vm_end)
			break;
	}
	return 0;
}

static void *dhe_do_vmap(struct dhe_buffer *buffer)
{
	unsigned int npages = PAGE_ALIGN(buffer->len) / PAGE_SIZE;
	pgprot_t prot = PAGE_KERNEL;
	struct sg_page_iter piter;
	struct page **pages, **tmp;
	void *vaddr;

	if (buffer->heap->uncached)
		prot = pgprot_writecombine(PAGE_KERNEL);

	pages = dhe_fault(DHE_FAULT_VMAP) ? NULL :
		kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	tmp = pages;
	for_each_sgtable_page(&buffer->sg_table, &piter, 0) {
		WARN_ON(tmp - pages >= npages);
		*tmp++ = sg_page_iter_page(&piter);
	}

	vaddr = dhe_fault(DHE_FAULT_VMAP) ? NULL : vmap(pages, npages, VM_MAP, prot);
	kvfree(pages);

	if (!vaddr)
		return ERR_PTR(-ENOMEM);
	return vaddr;
}

static int dhe_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	void *vaddr;
	int ret = 0;

	mutex_lock(&buffer->lock);
	if (buffer->vaddr) {
		buffer->vmap_cnt++;
		iosys_map_set_vaddr(map, buffer->vaddr);
		goto unlock;
	}

	vaddr = dhe_do_vmap(buffer);
	if (IS_ERR(vaddr)) {
		ret = PTR_ERR(vaddr);
		goto unlock;
	}

	buffer->vaddr = vaddr;
	buffer->vmap_cnt++;
	buffer->dirty = true;
	iosys_map_set_vaddr(map, buffer->vaddr);
unlock:
	mutex_unlock(&buffer->lock);
	return ret;
}

static void dhe_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dhe_buffer *buffer = dmabuf->priv;

	/*
	 * On the cached heaps the mapping outlives the last user until
	 * release: software compositors (vkms) vmap and vunmap the buffer
	 * they show on every frame, and building the page tables again each
	 * time cost the display thread O(pages) per frame (measured,
	 * docs/performance.md). The write-combined heap keeps no kernel
	 * alias of pages userspace maps beyond its last user.
	 */
	mutex_lock(&buffer->lock);
	if (!--buffer->vmap_cnt && buffer->heap->uncached) {
		vunmap(buffer->vaddr);
		buffer->vaddr = NULL;
	}
	mutex_unlock(&buffer->lock);
	iosys_map_clear(map);
}

static void dhe_release(struct dma_buf *dmabuf)
{
	struct dhe_buffer *buffer = dmabuf->priv;
	struct dma_heap_ext *heap = buffer->heap;
	size_t len = buffer->len;

	WARN(buffer->vmap_cnt > 0, "%s: buffer still mapped in the kernel\n",
	     __func__);
	if (buffer->vaddr) {
		vunmap(buffer->vaddr);
		buffer->vaddr = NULL;
	}

	heap->ops->free(heap, buffer);
	mutex_destroy(&buffer->lock);
	kfree(buffer);
	dhe_heap_account(heap, len, false);
}

static const struct dma_buf_ops dhe_buf_ops = {
	.attach = dhe_attach,
	.detach = dhe_detach,
	.map_dma_buf = dhe_map_dma_buf,
	.unmap_dma_buf = dhe_unmap_dma_buf,
	.begin_cpu_access = dhe_begin_cpu_access,
	.end_cpu_access = dhe_end_cpu_access,
	.mmap = dhe_mmap,
	.vmap = dhe_vmap,
	.vunmap = dhe_vunmap,
	.release = dhe_release,
};

/**
 * dhe_buffer_export() - allocate a buffer from a heap and wrap it in a dma-buf
 * @heap: the heap
 * @len: page-aligned, non-zero length
 * @fd_flags: the dma-buf file's flags (its access mode)
 *
 * Return: the dma-buf or an ERR_PTR().
 */
struct dma_buf *dhe_buffer_export(struct dma_heap_ext *heap, size_t len,
				  u32 fd_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dhe_buffer *buffer;
	struct dma_buf *dmabuf;
	int ret;

	buffer = dhe_fault(DHE_FAULT_BUFFER) ? NULL : kzalloc(sizeof(*buffer), GFP_KERNEL);
	if (!buffer)
		return ERR_PTR(-ENOMEM);

	INIT_LIST_HEAD(&buffer->attachments);
	mutex_init(&buffer->lock);
	buffer->heap = heap;
	buffer->len = len;

	ret = heap->ops->allocate(heap, buffer);
	if (ret)
		goto free_buffer;

	exp_info.exp_name = heap->name;
	exp_info.owner = THIS_MODULE;
	exp_info.ops = &dhe_buf_ops;
	exp_info.size = buffer->len;
	exp_info.flags = fd_flags;
	exp_info.priv = buffer;
	dmabuf = dhe_fault(DHE_FAULT_EXPORT) ? ERR_PTR(-ENOMEM) : dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto free_memory;
	}

	dhe_heap_account(heap, len, true);
	return dmabuf;

free_memory:
	heap->ops->free(heap, buffer);
free_buffer:
	mutex_destroy(&buffer->lock);
	kfree(buffer);
	return ERR_PTR(ret);
}
