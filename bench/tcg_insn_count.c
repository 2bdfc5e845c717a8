// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcg_insn_count - a QEMU TCG plugin for scripts/bench.sh BENCH_PROFILE=1.
 *
 * Counts, for every translation block, the guest instructions, memory
 * accesses and atomic instructions (a lock prefix, or xchg with memory,
 * which is locked without one) it executes, between two marker
 * instructions the guest runs:
 * "nopw 0x5a110c01(%rax,%rax,1)" opens a window, "...02" closes it
 * (bench/smalloc_bench.c, profile=1).  At each close it writes one line
 * per block executed in the window:
 *
 *   window vaddr instructions memory_accesses executions atomics
 *
 * scripts/bench_profile.py attributes the blocks to guest functions.
 * Built by scripts/bench.sh with the host's gcc into a shared object
 * loaded with "-plugin tcg_insn_count.so,out=FILE".  User space, not
 * kernel code; written in the kernel's style so that checkpatch passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcg_plugin.h"

#define SB_EXPORT	__attribute__((visibility("default")))

SB_EXPORT int qemu_plugin_version = SB_QEMU_PLUGIN_VERSION;

/* One translation block. */
struct sb_block {
	u64 vaddr;
	u64 insns;		/* instructions in the block */
	u64 atomics;		/* locked instructions in the block */
	u64 execs, mem;		/* counted inline by the translated code */
	u64 execs0, mem0;	/* at the window's start */
};

#define SB_CHUNK	65536

static struct sb_block **sb_chunks;
static size_t sb_nr, sb_nr_chunks;
static int sb_inside, sb_window;
static FILE *sb_out;

static struct sb_block *sb_block_new(void)
{
	struct sb_block *b;

	if (sb_nr == sb_nr_chunks * SB_CHUNK) {
		sb_chunks = realloc(sb_chunks,
				    (sb_nr_chunks + 1) * sizeof(*sb_chunks));
		if (!sb_chunks)
			abort();
		sb_chunks[sb_nr_chunks] = calloc(SB_CHUNK, sizeof(*b));
		if (!sb_chunks[sb_nr_chunks])
			abort();
		sb_nr_chunks++;
	}
	b = &sb_chunks[sb_nr / SB_CHUNK][sb_nr % SB_CHUNK];
	sb_nr++;
	return b;
}

/* A marker executed: open a window, or close it and write its counts. */
static void sb_marker(unsigned int vcpu, void *udata)
{
	int start = udata == (void *)1;
	size_t i;

	if (start == sb_inside)
		return;
	for (i = 0; i < sb_nr; i++) {
		struct sb_block *b = &sb_chunks[i / SB_CHUNK][i % SB_CHUNK];

		if (start) {
			b->execs0 = b->execs;
			b->mem0 = b->mem;
		} else if (b->execs != b->execs0) {
			fprintf(sb_out, "%d %llx %llu %llu %llu %llu\n",
				sb_window, (unsigned long long)b->vaddr,
				(unsigned long long)((b->execs - b->execs0) *
						     b->insns),
				(unsigned long long)(b->mem - b->mem0),
				(unsigned long long)(b->execs - b->execs0),
				(unsigned long long)((b->execs - b->execs0) *
						     b->atomics));
		}
	}
	if (!start) {
		sb_window++;
		fflush(sb_out);
	}
	sb_inside = start;
}

/* nopw 0x5a110c0N(%rax,%rax,1): 66 0f 1f 84 00 0N 0c 11 5a, N = 1 or 2 */
static int sb_is_marker(const u8 *d, size_t len)
{
	static const u8 head[5] = { 0x66, 0x0f, 0x1f, 0x84, 0x00 };

	return len == 9 && !memcmp(d, head, sizeof(head)) &&
	       (d[5] == 1 || d[5] == 2) && d[6] == 0x0c && d[7] == 0x11 &&
	       d[8] == 0x5a;
}

/*
 * Is this x86 instruction atomic across CPUs: a lock prefix among its
 * legacy prefixes, or xchg (86, 87) with a memory operand, which the CPU
 * locks itself?  An unlocked cmpxchg (this_cpu_cmpxchg()) is not.
 */
static int sb_is_atomic(const u8 *d, size_t len)
{
	size_t i = 0;

	for (; i < len; i++) {
		switch (d[i]) {
		case 0xf0:
			return 1;
		case 0xf2: case 0xf3: case 0x2e: case 0x36: case 0x3e:
		case 0x26: case 0x64: case 0x65: case 0x66: case 0x67:
			continue;
		}
		break;
	}
	if (i < len && (d[i] & 0xf0) == 0x40)	/* REX */
		i++;
	return i + 1 < len && (d[i] == 0x86 || d[i] == 0x87) &&
	       (d[i + 1] >> 6) != 3;
}

static void sb_tb_trans(u64 id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct sb_block *b = sb_block_new();

	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const u8 *d = qemu_plugin_insn_data(insn);

		qemu_plugin_register_vcpu_mem_inline(insn, QEMU_PLUGIN_MEM_RW,
						     QEMU_PLUGIN_INLINE_ADD_U64,
						     &b->mem, 1);
		b->atomics += sb_is_atomic(d, qemu_plugin_insn_size(insn));
		if (sb_is_marker(d, qemu_plugin_insn_size(insn)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, sb_marker,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(size_t)d[5]);
	}
}

static void sb_exit(u64 id, void *unused)
{
	fclose(sb_out);
}

SB_EXPORT int qemu_plugin_install(u64 id, const struct qemu_info_t *info,
				  int argc, char **argv)
{
	const char *out = "tcg_insn_count.txt";
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	sb_out = fopen(out, "w");
	if (!sb_out)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, sb_tb_trans);
	qemu_plugin_register_atexit_cb(id, sb_exit, NULL);
	return 0;
}
