#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict over every kernel C source and header of the
# project (the user-space harness under tools/ is not kernel code), using
# the checkpatch of Debian's linux-source-6.12 (extracted into the
# cache by prepare_ktree).  Fails on any error, warning or check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$repo/scripts/deps.sh"
prepare_ktree
cd "$repo"
# Tracked files, and files not tracked yet (a change being prepared).
mapfile -t files < <({ git ls-files '*.c' '*.h'
		       git ls-files --others --exclude-standard '*.c' '*.h'; } |
		     grep -v '^tools/' | grep -v '\.mod\.c$')

out=$("$ktree/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	-f "${files[@]}" | grep -v '^total: 0 errors, 0 warnings, 0 checks' || true)
if [ -n "$out" ]; then
	echo "$out"
	echo "checkpatch: FAIL"
	exit 1
fi
echo "checkpatch: ${#files[@]} files clean (--strict)"
