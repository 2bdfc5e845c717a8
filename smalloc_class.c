// SPDX-License-Identifier: GPL-2.0-only
/*
 * size classes.
 *
 * mimalloc's bins: every 8 bytes up to 64, then four classes per power of
 * two up to SMALLOC_MAX_SIZE.  That wastes at most 25% of a block (12.5%
 * on average) where kmalloc's power-of-two caches waste up to 50%; the
 * power-of-two sizes are classes of their own, so kmalloc's natural
 * alignment of those sizes holds (spans are aligned to their order and
 * blocks sit at multiples of the block size from the span start).
 */
#define pr_fmt(fmt) "smalloc: " fmt

#include "smalloc_internal.h"

struct smalloc_class smalloc_classes[SMALLOC_NR_CLASSES];
u8 smalloc_size_index[SMALLOC_MAX_SIZE >> SMALLOC_WORD_SHIFT];

static const unsigned int smalloc_class_sizes[SMALLOC_NR_CLASSES] = {
	8, 16, 24, 32, 40, 48, 56, 64,
	80, 96, 112, 128, 160, 192, 224, 256,
	320, 384, 448, 512, 640, 768, 896, 1024,
	1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
	5120, 6144, 7168, 8192,
};

/* Smallest order giving SMALLOC_MIN_BLOCKS blocks, capped. */
static unsigned int smalloc_class_min_order(unsigned int size)
{
	unsigned int order = 0;

	while (order < SMALLOC_MAX_SPAN_ORDER &&
	       (PAGE_SIZE << order) / size < SMALLOC_MIN_BLOCKS)
		order++;
	return order;
}

/*
 * Largest order from @min_order up to the cap with at most
 * SMALLOC_MAX_BLOCKS blocks.
 */
static unsigned int smalloc_class_order(unsigned int size,
					unsigned int min_order)
{
	unsigned int order = min_order;

	while (order < SMALLOC_MAX_SPAN_ORDER &&
	       (PAGE_SIZE << (order + 1)) / size <= SMALLOC_MAX_BLOCKS)
		order++;
	return order;
}

/*
 * Fill the class table and the size index.  The table is a constant, so
 * this can only fail if it and the SMALLOC_* constants disagree: then the
 * module refuses to load rather than run with overlapping direct slots.
 */
int smalloc_classes_init(void)
{
	unsigned int c, w, prev = 0;
	bool bad = false;

	BUILD_BUG_ON(SMALLOC_NR_CLASSES > U8_MAX);
	BUILD_BUG_ON(SMALLOC_DIRECT_NR - 1 > U8_MAX);
	BUILD_BUG_ON(ARRAY_SIZE(smalloc_class_sizes) != SMALLOC_NR_CLASSES);

	for (c = 0; c < SMALLOC_NR_CLASSES; c++) {
		struct smalloc_class *cl = &smalloc_classes[c];
		unsigned int size = smalloc_class_sizes[c];

		bad |= prev >= size || size % SMALLOC_MIN_ALIGN;
		bad |= (size <= SMALLOC_DIRECT_MAX) !=
		       (c < SMALLOC_NR_SMALL_CLASSES);
		cl->size = size;
		cl->min_order = smalloc_class_min_order(size);
		cl->order = smalloc_class_order(size, cl->min_order);
		cl->blocks = (PAGE_SIZE << cl->order) / size;
		/* A span's block numbers index smalloc_page.live[]. */
		bad |= cl->blocks > SMALLOC_MAX_BLOCKS;
		if (size <= SMALLOC_DIRECT_MAX) {
			cl->wmin = (prev >> SMALLOC_WORD_SHIFT) + 1;
			cl->wmax = size >> SMALLOC_WORD_SHIFT;
		} else {
			cl->wmin = SMALLOC_DIRECT_BIG_BASE + c;
			cl->wmax = cl->wmin;
		}
		for (w = prev >> SMALLOC_WORD_SHIFT;
		     w < size >> SMALLOC_WORD_SHIFT; w++)
			smalloc_size_index[w] = c;
		prev = size;
	}
	bad |= prev != SMALLOC_MAX_SIZE;
	if (WARN(bad, "smalloc: the class table disagrees with smalloc_internal.h\n"))
		return -EINVAL;
	return 0;
}
