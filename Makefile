# SPDX-License-Identifier: GPL-2.0-only
#
# smalloc: out-of-tree build and the project's test targets.
#
#   make                 build smalloc.ko against KDIR
#   make demo            the main job: build, boot Debian's 6.12 kernel in
#                        QEMU, load smalloc, run a workload, show the stats
#   make check           every test
#   make bench           smalloc against kmalloc in QEMU, both init_on_alloc
#                        policies: bench-results/kernel.csv and a table
#                        (BENCH_QUICK=1: a quick run of a minute or two)
#   make soak            module-mode soak in QEMU: every CPU and context,
#                        CPU hotplug, unload/reload between rounds
#                        (SOAK_MINUTES=10 or SOAK_SECS=...)
#   make kunit-kcsan     the KUnit suites on the KCSAN + kmemleak kernel
#   make realclients     in-tree self-test modules, stock, switched by
#                        include/smalloc_kmalloc.h and converted by
#                        scripts/coccinelle/smalloc.cocci, in one boot
#   make clean
#
# KDIR defaults to the running kernel's build tree; where that is missing
# (a container, a host running another kernel) the Debian 6.12 headers are
# used.  The tests always use the Debian 6.12 headers, the kernel they boot.

DEB_KVER	:= $(shell ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n1 | sed 's|.*/linux-headers-||')
DEB_KDIR	:= /usr/src/linux-headers-$(DEB_KVER)
RUNNING_KDIR	:= /lib/modules/$(shell uname -r)/build
KDIR		?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(DEB_KDIR))

CHECKPATCH	?= scripts/checkpatch.sh

.PHONY: all modules clean deps demo check kunit kunit-kcsan modtest soak \
	realclients bench

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

deps:
	@scripts/deps.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/modtest clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/samples/smalloc_client clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/switched clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/bench clean 2>/dev/null || true
	rm -rf out

demo: deps
	scripts/qemu-modtest.sh demo

# Every test: the module build with W=1 and sparse, checkpatch, kunit_tool,
# the module-mode run in QEMU.
check: deps
	scripts/check.sh

# The KUnit suite alone (KASAN kernel), the same on the KCSAN + kmemleak
# kernel, and the module-mode test alone.
kunit: deps
	scripts/kunit.sh

kunit-kcsan: deps
	KUNIT_VARIANT=kcsan scripts/kunit.sh

modtest: deps
	scripts/qemu-modtest.sh check

realclients: deps
	scripts/qemu-modtest.sh realclients

# The in-kernel benchmark against kmalloc (scripts/bench.sh; the module is
# bench/smalloc_bench.ko, not part of smalloc.ko).
bench: deps
	scripts/bench.sh

# The module-mode soak (scripts/qemu-soak.sh): SOAK_MINUTES (default 10)
# or SOAK_SECS, SOAK_ROUND_SECS, SOAK_SMALLOC_ARGS.
soak: deps
	scripts/qemu-soak.sh
