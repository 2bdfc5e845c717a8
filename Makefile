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

# ---- installing ------------------------------------------------------------
#
#   make install       smalloc.ko into $(INSTALL_MOD_PATH)/lib/modules/<kernel>/
#                      updates/ (kbuild's modules_install) and depmod (-b
#                      $(INSTALL_MOD_PATH) when that is set), the headers into
#                      $(PREFIX)/include/smalloc/, Module.symvers into
#                      $(PREFIX)/lib/smalloc/<kernel>/, the client recipe as
#                      $(PREFIX)/share/smalloc/smalloc-client.mk
#   make install-src   the DKMS source tree /usr/src/smalloc-<version>/
#   make deb           out/smalloc-dkms_<version>_all.deb (dpkg-deb only)
#   make dkms-test     install that package, let DKMS build smalloc.ko for
#                      Debian's 6.12 kernel, boot it in QEMU and modprobe it
#                      and a client built against the installed files
#
# PREFIX (default /usr/local) and DESTDIR (a staging root, also the default
# INSTALL_MOD_PATH) may be overridden; the package uses PREFIX=/usr.

VERSION		:= $(shell sed -n 's/^MODULE_VERSION("\(.*\)");$$/\1/p' $(CURDIR)/smalloc_main.c)
# The kernel's release as its modules see it (vermagic): Debian's 6.1
# headers have another one in include/config/kernel.release.
KVER		= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
		  $(KDIR)/include/generated/utsrelease.h)
PREFIX		?= /usr/local
DESTDIR		?=
INSTALL_MOD_PATH ?= $(DESTDIR)
SRCDIR		:= /usr/src/smalloc-$(VERSION)
DEB		:= out/smalloc-dkms_$(VERSION)_all.deb
# What DKMS needs to build smalloc.ko, and "make install" to install it;
# kunit/ only builds in tree.
DKMS_FILES	:= Kbuild Kconfig Makefile dkms.conf scripts/dkms-post-build.sh \
		   scripts/smalloc-client.mk \
		   $(wildcard smalloc_*.c smalloc_*.h) include/smalloc.h \
		   include/smalloc_kmalloc.h
SET_VERSION	:= sed -i 's/\#MODULE_VERSION\#/$(VERSION)/g'

.PHONY: install install-headers install-src deb dkms-test

install: modules install-headers
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KVER)
	install -D -m 0644 Module.symvers \
		$(DESTDIR)$(PREFIX)/lib/smalloc/$(KVER)/Module.symvers

# The headers and the client recipe, set to look in $(PREFIX).
install-headers:
	install -d $(DESTDIR)$(PREFIX)/include/smalloc $(DESTDIR)$(PREFIX)/share/smalloc
	install -m 0644 include/smalloc.h include/smalloc_kmalloc.h \
		$(DESTDIR)$(PREFIX)/include/smalloc/
	sed 's|^SMALLOC_PREFIX\t:=$$|SMALLOC_PREFIX\t:= $(PREFIX)|' scripts/smalloc-client.mk \
		>$(DESTDIR)$(PREFIX)/share/smalloc/smalloc-client.mk
	grep -q '^SMALLOC_PREFIX.*$(PREFIX)$$' $(DESTDIR)$(PREFIX)/share/smalloc/smalloc-client.mk

install-src:
	@test -n "$(VERSION)" || { echo "no MODULE_VERSION in smalloc_main.c" >&2; exit 1; }
	for f in $(DKMS_FILES); do install -D -m 0644 $$f $(DESTDIR)$(SRCDIR)/$$f || exit; done
	chmod 0755 $(DESTDIR)$(SRCDIR)/scripts/dkms-post-build.sh
	$(SET_VERSION) $(DESTDIR)$(SRCDIR)/dkms.conf

deb:
	rm -rf out/deb
	$(MAKE) --no-print-directory install-src install-headers DESTDIR=$(CURDIR)/out/deb PREFIX=/usr
	install -d out/deb/DEBIAN
	install -m 0644 scripts/deb/control out/deb/DEBIAN/control
	install -m 0755 scripts/deb/postinst scripts/deb/prerm out/deb/DEBIAN/
	$(SET_VERSION) out/deb/DEBIAN/control out/deb/DEBIAN/postinst out/deb/DEBIAN/prerm
	dpkg-deb --root-owner-group -Zxz --build out/deb $(DEB)

dkms-test: deps
	scripts/dkms-test.sh
