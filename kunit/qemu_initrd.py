# SPDX-License-Identifier: GPL-2.0
#
# kunit_tool's x86_64 QEMU configuration (its qemu_configs/x86_64.py) made
# to boot on into an initramfs once the suites have run: scripts/kunit.sh
# passes it with --qemu_config for the KCSAN variant and adds "-initrd"
# with --qemu_args.  The initramfs's /init (tests/guest/kunit-init.sh)
# drives what needs a shell after the suites: kmemleak's scans.
#
# kunit_tool appends "kunit_shutdown=reboot" to the command line below.
# After "--" it is an argument of /init, not a kernel parameter, so the
# kernel goes on from the suites to /init, which reboots (QEMU runs with
# -no-reboot, so that ends it).  panic=-1: a guest that panics ends at
# once, rather than at kunit_tool's timeout.

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
# CONFIG_RD_BZIP2 is not set
# CONFIG_RD_LZMA is not set
# CONFIG_RD_XZ is not set
# CONFIG_RD_LZO is not set
# CONFIG_RD_LZ4 is not set
# CONFIG_RD_ZSTD is not set
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_DEVTMPFS=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 panic=-1 --',
			   extra_qemu_params=['-bios', 'qboot.rom'])
