# SPDX-License-Identifier: GPL-2.0
#
# Header probes for compat.h: grep the headers we build against for the
# declarations that changed, rather than trusting version numbers.
dhe_probe = $(if $(shell grep -sqE '$(2)' $(srctree)/include/$(1) && echo y),-D$(3))

ccflags-y += $(call dhe_probe,linux/device/class.h,devnode..const struct device,DHE_HAVE_DEVNODE_CONST)
ccflags-y += $(call dhe_probe,linux/module.h,MODULE_INFO.import_ns. ns.$$,DHE_HAVE_IMPORT_NS_STRING)
ccflags-y += $(call dhe_probe,linux/dma-buf.h,int dma_buf_vmap_unlocked,DHE_HAVE_DMA_BUF_VMAP_UNLOCKED)
ccflags-y += $(call dhe_probe,linux/device/bus.h,int bus_register_notifier.const struct bus_type,DHE_HAVE_CONST_BUS_TYPE)
ccflags-y += $(call dhe_probe,linux/workqueue.h,workqueue_struct .system_dfl_wq;,DHE_HAVE_SYSTEM_DFL_WQ)

# What the kernel exports to modules, from the Module.symvers of the build
# tree (a declaration in the headers does not say whether a symbol is
# exported: dma_heap_add() is declared since 5.6 and exported since 6.18).
dhe_export = $(if $(shell grep -sqw '$(1)' $(objtree)/Module.symvers && echo y),-D$(2))

ccflags-y += $(call dhe_export,dma_heap_add,DHE_HAVE_KERNEL_HEAP_FRAMEWORK)
# the CMA heap calls four symbols: all four exported, or no CMA heap
dhe_exports = $(if $(filter n,$(foreach s,$(1),$(if $(shell grep -sqw '$(s)' $(objtree)/Module.symvers && echo y),y,n))),,-D$(2))
ccflags-y += $(call dhe_exports,cma_alloc cma_release cma_get_name dev_get_cma_area,DHE_HAVE_CMA_EXPORTS)
ccflags-y += $(call dhe_export,memcg_kmem_online_key,DHE_HAVE_MEMCG_KMEM_ONLINE_KEY)
ccflags-y += $(call dhe_export,memcg_kmem_enabled_key,DHE_HAVE_MEMCG_KMEM_ENABLED_KEY)
