#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the user-space harness needs: clang with its
# sanitizer and libFuzzer runtimes, the allocators the benchmark compares
# against, valgrind for callgrind and gnuplot for the benchmark's picture.
# Idempotent and quiet when done; the installing is scripts/deps.sh's.
set -euo pipefail

exec "$(dirname "$0")/../../../scripts/deps.sh" \
	make gcc clang libclang-rt-14-dev \
	libmimalloc-dev libjemalloc-dev libgoogle-perftools-dev \
	valgrind gnuplot-nox
