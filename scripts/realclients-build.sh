#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the real clients: self-testing modules from Debian's
# linux-source-6.12 that allocate with the kmalloc family and that nobody
# here wrote, twice each, out of tree against KDIR:
#
#   out/realclients/stock/lib/<name>.ko     as the kernel builds them
#   out/realclients/smalloc/lib/<name>_smalloc.ko
#                                           the same source with the
#                                           one-line switch (Kbuild only)
#   out/realclients/cocci/lib/<name>_cocci.ko
#                                           the source converted for good
#                                           by scripts/coccinelle/smalloc.cocci
#                                           (spatch), built without the switch
#
# The sources are copied unchanged; the switched build differs by its
# Kbuild alone: -include include/smalloc_kmalloc.h, and pr_fmt given on
# the command line (see that header).
#
#   scripts/realclients-build.sh KDIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kdir=${1:?usage: $0 KDIR}
# Self-tests that allocate their working sets with kmalloc_array()/
# kmalloc() and free them with kfree(): trees (nodes), printf and scanf
# (buffers).
names="rbtree_test interval_tree_test test_printf test_scanf"

prepare_ktree
w=$repo/out/realclients
rm -rf "$w"
for v in stock smalloc cocci; do
	mkdir -p "$w/$v/lib" "$w/$v/tools/testing/selftests"
	cp "$ktree/tools/testing/selftests/kselftest_module.h" \
	   "$w/$v/tools/testing/selftests/"
done
objs_stock= objs_smalloc= objs_cocci=
for n in $names; do
	cp "$ktree/lib/$n.c" "$w/stock/lib/$n.c"
	cp "$ktree/lib/$n.c" "$w/smalloc/lib/${n}_smalloc.c"
	cp "$ktree/lib/$n.c" "$w/cocci/lib/${n}_cocci.c"
	objs_stock+=" $n.o"
	objs_smalloc+=" ${n}_smalloc.o"
	objs_cocci+=" ${n}_cocci.o"
done
# The permanent conversion, and its report of frees to review.
spatch --sp-file "$repo/scripts/coccinelle/smalloc.cocci" -D patch \
	--in-place --very-quiet --dir "$w/cocci/lib"
spatch --sp-file "$repo/scripts/coccinelle/smalloc.cocci" -D report \
	--very-quiet --dir "$w/cocci/lib" >"$w/cocci-report.txt" || true
if grep -nE '\<(kmalloc|kzalloc|kcalloc|kmalloc_array|kfree)\(' "$w"/cocci/lib/*.c; then
	echo "realclients: the semantic patch left kmalloc-family calls" >&2
	exit 1
fi
echo "realclients: spatch converted $names; its report:"
sed 's/^/realclients:   /' "$w/cocci-report.txt"
cat >"$w/stock/lib/Kbuild" <<EOK
obj-m += $objs_stock
EOK
cat >"$w/smalloc/lib/Kbuild" <<EOK
ccflags-y += -I$repo/include
ccflags-y += -D'pr_fmt(fmt)=KBUILD_MODNAME ": " fmt'
ccflags-y += -include $repo/include/smalloc_kmalloc.h
obj-m += $objs_smalloc
EOK
cat >"$w/cocci/lib/Kbuild" <<EOK
ccflags-y += -I$repo/include
obj-m += $objs_cocci
EOK
make -C "$kdir" M="$w/stock/lib" modules
make -C "$kdir" M="$w/cocci/lib" KBUILD_EXTRA_SYMBOLS="$repo/Module.symvers" \
	modules
make -C "$kdir" M="$w/smalloc/lib" KBUILD_EXTRA_SYMBOLS="$repo/Module.symvers" \
	modules
for n in $names; do
	[ -f "$w/stock/lib/$n.ko" ] && [ -f "$w/smalloc/lib/${n}_smalloc.ko" ] &&
		[ -f "$w/cocci/lib/${n}_cocci.ko" ] ||
		{ echo "realclients: $n was not built" >&2; exit 1; }
done
echo "realclients: built $names: stock, switched, converted"
