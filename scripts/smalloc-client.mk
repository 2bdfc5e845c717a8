# SPDX-License-Identifier: GPL-2.0-only
#
# Included by the Makefile of every module that builds against smalloc
# (samples/smalloc_client, tests/modtest, bench): build against KDIR,
# with smalloc's headers in SMALLOC_INCLUDE (the client's Kbuild adds
# ccflags-y += -I$(SMALLOC_INCLUDE)) and its exports resolved from
# SMALLOC_SYMVERS (KBUILD_EXTRA_SYMBOLS).
#
# In the repository both are the repository's own: include/ and the
# Module.symvers of its build (run "make" in the repository root first).
# "make install" and the smalloc-dkms package install a copy as
# <prefix>/share/smalloc/smalloc-client.mk with SMALLOC_PREFIX set: the
# headers are then <prefix>/include/smalloc/ and Module.symvers that of
# the smalloc.ko installed for KDIR's kernel, by "make install"
# (<prefix>/lib/smalloc/<kernel>/) or by DKMS (its tree).
#
#   make [KDIR=...] [W=1] [SMALLOC_INCLUDE=...] [SMALLOC_SYMVERS=...]
#   make clean

SMALLOC_PREFIX	:=
DEB_KDIR	:= $(shell ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n1)
RUNNING_KDIR	:= /lib/modules/$(shell uname -r)/build
KDIR		?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(DEB_KDIR))

ifeq ($(SMALLOC_PREFIX),)
SMALLOC_REPO	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
SMALLOC_INCLUDE	?= $(SMALLOC_REPO)/include
SMALLOC_SYMVERS	?= $(SMALLOC_REPO)/Module.symvers
KBUILD_ARGS	:= SMALLOC_REPO=$(SMALLOC_REPO)
else
SMALLOC_KVER	:= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
		   $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
SMALLOC_INCLUDE	?= $(SMALLOC_PREFIX)/include/smalloc
SMALLOC_SYMVERS	?= $(firstword $(wildcard \
	$(SMALLOC_PREFIX)/lib/smalloc/$(SMALLOC_KVER)/Module.symvers \
	/var/lib/dkms/smalloc/kernel-$(SMALLOC_KVER)-$(shell uname -m)/module/Module.symvers) \
	no-smalloc-Module.symvers-for-$(SMALLOC_KVER))
endif

KBUILD_ARGS	+= -C $(KDIR) M=$(CURDIR) SMALLOC_INCLUDE=$(SMALLOC_INCLUDE) \
		   KBUILD_EXTRA_SYMBOLS=$(SMALLOC_SYMVERS)

.PHONY: all modules clean

all: modules

modules:
	@test -f $(SMALLOC_SYMVERS) || \
		{ echo "$(SMALLOC_SYMVERS) missing: build (or install) smalloc first" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

clean:
	$(MAKE) $(KBUILD_ARGS) clean
