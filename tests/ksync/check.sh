#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sync_ksources (scripts/lib.sh), which kunit.sh uses to copy the sources
# into the shared kernel tree, must leave every changed file newer than
# the objects built before, whichever checkout they came from: two
# checkouts, the second one's edit older than the object built from the
# first, must still rebuild.  Unchanged files must keep their time (no
# rebuild), and files gone from the checkout must go.  Two seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
. "$here/../../scripts/lib.sh"
t=$(mktemp -d "${TMPDIR:-/tmp}/smalloc-ksync.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() {
	echo "ksync: FAIL: $*"
	exit 1
}

mkdir -p "$t/a/kunit" "$t/b/kunit" "$t/b/tools"
for d in a b; do
	echo 'int same;' >"$t/$d/same.c"
	echo "int edited_$d;" >"$t/$d/edited.c"
	echo 'int t;' >"$t/$d/kunit/t.c"
done
echo 'int gone;' >"$t/a/gone.c"
echo 'not a source' >"$t/b/tools/x.c"
touch -d '2 hours ago' "$t"/a/* "$t"/a/kunit/*
# The second checkout's edit is older than anything built from the first.
touch -d '3 hours ago' "$t"/b/* "$t"/b/kunit/*

sync_ksources "$t/a" "$t/tree"
sleep 1
touch "$t/obj"			# built from the first checkout
sleep 1
sync_ksources "$t/b" "$t/tree"

[ "$(cat "$t/tree/edited.c")" = 'int edited_b;' ] || fail "edited.c not copied"
[ "$t/tree/edited.c" -nt "$t/obj" ] ||
	fail "edited.c is older than the object built before: make would not rebuild it"
[ "$t/tree/same.c" -ot "$t/obj" ] || fail "same.c was rewritten: a needless rebuild"
[ ! -e "$t/tree/gone.c" ] || fail "gone.c was not deleted"
[ ! -e "$t/tree/tools" ] || fail "tools/ was copied"
[ -e "$t/tree/kunit/t.c" ] || fail "kunit/t.c was not copied"
echo "ksync: PASS"
