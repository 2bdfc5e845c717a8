#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: run what the Makefile built and add up the results.
#
#   1. the KUnit suite and harness_test.c under ASan+UBSan   (one per case)
#   2. the same built as the module is, GCC -O2 without any
#      sanitizer: code generation the instrumented builds hide
#      (register choices around the inline asm)             (one per case)
#   3. the same under ThreadSanitizer                       (one per case)
#   4. the remote-free stress under ThreadSanitizer         (one)
#   5. the fuzzer for FUZZ_TIME seconds, alongside 1-4      (one)
#
# Prints each program's output (the fuzzer's to a log) and ends with
# "N passed, N failed, N skipped"; exits non-zero if anything failed.
set -uo pipefail

B=${1:-build}
FUZZ_TIME=${2:-30}
STRESS_SECS=${3:-8}
passed=0 failed=0 skipped=0

# Add the counts of a program's "NAME: N passed, N failed[, N skipped]"
# line; a program that died without one counts as one failure.
tally() {
	local name=$1 rc=$2 log=$3 line p f s
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n1)
	if [ -z "$line" ]; then
		echo "check: $name ended (exit $rc) without a result line"
		failed=$((failed + 1))
		return
	fi
	p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	grep -q skipped <<<"$line" && s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "check: $name exited $rc (a sanitizer report?)"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run() {
	local title=$1 name=$2 log=$3
	shift 3
	echo "== $title"
	local t0=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	grep -vE '^(KTAP|# Subtest)' "$log" | grep -E '^(ok|not ok|    #|WARNING|SUMMARY|ERROR|==[0-9]+==|stress:|unit:|fuzz:)' | head -n 200
	echo "   ($((SECONDS - t0))s, exit $rc, log $log)"
	tally "$name" "$rc" "$log"
}

# The sanitizers stop at the first report and fail the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

# The fuzzer is one process on one core for FUZZ_TIME seconds: it runs
# beside the other four (about as long together) on a second core, and
# its result is reported after theirs.
mkdir -p "$B/corpus"
fuzz_t0=$SECONDS
"$B/fuzz/smalloc_fuzz" -max_total_time="$FUZZ_TIME" -max_len=1024 \
	-timeout=20 -print_final_stats=1 -artifact_prefix="$B/" "$B/corpus" >"$B/fuzz.log" 2>&1 &
fuzz_pid=$!

run "KUnit suite + harness tests, ASan+UBSan" unit "$B/asan-unit.log" \
	"$B/asan/smalloc_unit"
run "KUnit suite + harness tests, GCC -O2" unit "$B/o2-unit.log" \
	"$B/o2/smalloc_unit"
run "KUnit suite + harness tests, TSan" unit "$B/tsan-unit.log" \
	"$B/tsan/smalloc_unit"
run "remote-free stress, TSan, ${STRESS_SECS}s" stress "$B/tsan-stress.log" \
	"$B/tsan/smalloc_stress" "$STRESS_SECS"

echo "== fuzzer, ${FUZZ_TIME}s (alongside the above)"
wait "$fuzz_pid"
rc=$?
grep -E '^(Done|stat::(number_of_executed_units|new_units_added))|fuzz:|ERROR|SUMMARY|==[0-9]+==' "$B/fuzz.log" | head -n 40
echo "   ($((SECONDS - fuzz_t0))s, exit $rc, log $B/fuzz.log; crashing inputs are saved as crash-*)"
if [ $rc -eq 0 ]; then
	passed=$((passed + 1))
	echo "fuzz: 1 passed, 0 failed"
else
	failed=$((failed + 1))
	echo "fuzz: 0 passed, 1 failed"
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
