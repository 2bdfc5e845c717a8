#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms.conf's POST_BUILD, run by DKMS in its build directory
# (/var/lib/dkms/smalloc/<version>/build) once smalloc.ko is built for a
# kernel: keep that build's Module.symvers next to the module DKMS saved,
# in <version>/<kernel>/<arch>/module/.  dkms install links
# /var/lib/dkms/smalloc/kernel-<kernel>-<arch> to <version>/<kernel>/<arch>,
# which is where the installed smalloc-client.mk looks; dkms remove deletes
# the copy with the module.  DKMS itself keeps only the .ko.
#
#   dkms-post-build.sh KERNELVER ARCH
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KERNELVER ARCH" >&2; exit 2; }
dest=../$1/$2/module
[ -d "$dest" ] || { echo "$0: no $dest: not run by DKMS after a build?" >&2; exit 1; }
cp Module.symvers "$dest/Module.symvers"
echo "smalloc: Module.symvers kept in $(cd "$dest" && pwd)"
