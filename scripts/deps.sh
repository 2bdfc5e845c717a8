#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages smalloc's build and tests need: the 6.12
# kernel (image, headers, source) and bookworm's default 6.1 kernel (image,
# headers), QEMU, busybox, the kernel build tools, dkms, gnuplot (the
# benchmark pictures) and ccache (make check's compiler cache).  Idempotent:
# when everything is present it prints nothing and returns at once.
# Nothing but Debian packages is fetched.
#
# Arguments, if any, replace the default list (tools/testing/smalloc/deps.sh
# passes the user-space harness's packages).
set -euo pipefail

pkgs=(
	linux-source-6.12
	linux-image-6.12-amd64
	linux-headers-6.12-amd64
	linux-image-amd64
	linux-headers-amd64
	qemu-system-x86
	busybox-static
	build-essential bc flex bison libelf-dev libssl-dev dwarves
	sparse cpio kmod xz-utils python3 rsync perl coccinelle
	dkms
	gnuplot-nox
	ccache
)
[ $# -gt 0 ] && pkgs=("$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
