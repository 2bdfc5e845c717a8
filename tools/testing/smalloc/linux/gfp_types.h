/* SPDX-License-Identifier: GPL-2.0-only */
/* The GFP bits are defined in the harness seam, smalloc_kernel.h. */
