/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD v08 superblock: decode + vmeta_sb_check() on fuzz bytes, for an index
 * and meta device size taken from the input.  Whatever the check accepts
 * must describe a layout inside the device (superblock, AL, bitmap adjacent
 * and within the meta-data area), within the sizes we document; decode and
 * encode must agree; and what vmeta_layout_new()/vmeta_sb_init() make for
 * the same device must pass the check with the same layout.
 *
 * Input: [1 byte index selector][8 bytes device size, big-endian][superblock...]
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "meta/be.h"
#include "meta/meta.h"

static void check_layout(const struct vmeta_layout *l, uint64_t dev_bytes)
{
	assert(l->md_bytes >= VMETA_SB_BYTES);
	assert(l->md_offset + l->md_bytes <= dev_bytes);
	assert(l->al_offset == l->md_offset + VMETA_SB_BYTES);
	assert(l->al_bytes >= VMETA_AL_BYTES);
	assert(l->al_bytes <= (uint64_t)VMETA_AL_4K_MAX * VMETA_AL_BLOCK_BYTES);
	assert(l->al_bytes % VMETA_AL_BLOCK_BYTES == 0);
	assert(l->bm_offset == l->al_offset + l->al_bytes);
	assert(l->bm_bytes > 0);
	assert(l->bm_offset + l->bm_bytes == l->md_offset + l->md_bytes);
}

/* Field by field: the struct has padding after .index. */
static int layout_eq(const struct vmeta_layout *a, const struct vmeta_layout *b)
{
	return a->index == b->index && a->md_offset == b->md_offset &&
	       a->al_offset == b->al_offset && a->al_bytes == b->al_bytes &&
	       a->bm_offset == b->bm_offset && a->bm_bytes == b->bm_bytes &&
	       a->md_bytes == b->md_bytes && a->max_data_bytes == b->max_data_bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sbbuf[VMETA_SB_BYTES] = { 0 }, again[VMETA_SB_BYTES];
	struct vmeta_layout l, l2;
	struct vmeta_sb sb, back, fresh;
	struct vh_error e;
	uint64_t dev_bytes;
	int index;

	if (size < 9)
		return 0;
	/* mostly flexible; sometimes indexed, sometimes an invalid index */
	index = data[0] < 160 ? VMETA_INDEX_FLEX : data[0] < 250 ? (data[0] - 160) % 4 :
		data[0] == 250 ? -1 : VMETA_INDEX_MAX + 1;
	dev_bytes = vmeta_get64(data, 1);
	memcpy(sbbuf, data + 9, size - 9 < sizeof(sbbuf) ? size - 9 : sizeof(sbbuf));

	vmeta_sb_decode(sbbuf, &sb);
	vmeta_sb_encode(&sb, again);
	vmeta_sb_decode(again, &back);
	assert(!memcmp(&sb, &back, sizeof(sb)));
	/* encode keeps every field and zeroes the rest */
	assert(!memcmp(again, sbbuf, 48) && !memcmp(again + 56, sbbuf + 56, 40));

	if (vmeta_sb_check(&sb, index, dev_bytes, &l, &e) == 0) {
		assert(vmeta_index_check(index, &e) == 0);
		assert(l.md_offset == vmeta_md_offset(index));
		check_layout(&l, dev_bytes);
		/* the bitmap covers la_size */
		assert(vmeta_bm_bytes(sb.la_size_sect) <= l.bm_bytes + 4095);
	}

	/* What we create for this device, we accept, with the same layout. */
	if (vmeta_layout_new(index, dev_bytes, &l, &e) == 0) {
		vmeta_sb_init(&fresh, &l);
		assert(vmeta_sb_check(&fresh, index, dev_bytes, &l2, &e) == 0);
		assert(layout_eq(&l, &l2));
		check_layout(&l, dev_bytes);
	}

	/* The minimum size for a backing device really covers it. */
	{
		uint64_t backing = sb.la_size_sect, need;

		if (vmeta_min_md_bytes(index, backing, &need, &e) == 0 &&
		    vmeta_layout_new(index, need, &l, &e) == 0)
			assert(l.max_data_bytes >= backing);
	}
	return 0;
}
