# SPDX-License-Identifier: GPL-2.0-only
#
# Included by the Makefile of every module that builds against smalloc
# (samples/smalloc_client, tests/modtest, bench): build against KDIR,
# resolving smalloc's exports from the Module.symvers of the repository's
# own build (run "make" in the repository root first).
#
#   make [KDIR=...] [W=1]
#   make clean

SMALLOC_REPO	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
DEB_KDIR	:= $(shell ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n1)
RUNNING_KDIR	:= /lib/modules/$(shell uname -r)/build
KDIR		?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(DEB_KDIR))

KBUILD_ARGS	:= -C $(KDIR) M=$(CURDIR) SMALLOC_REPO=$(SMALLOC_REPO) \
		   KBUILD_EXTRA_SYMBOLS=$(SMALLOC_REPO)/Module.symvers

.PHONY: all modules clean

all: modules

modules:
	@test -f $(SMALLOC_REPO)/Module.symvers || \
		{ echo "$(SMALLOC_REPO)/Module.symvers missing: build smalloc first" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

clean:
	$(MAKE) $(KBUILD_ARGS) clean
