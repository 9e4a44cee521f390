/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD 8.4 activity log in memory: decode, replay and the bitmap update of
 * apply-al (vmeta_al_replay + vmeta_bm_set_extents), on logs built from fuzz
 * bytes.  So that the fuzzer gets past the CRC, each block says whether the
 * harness should put the AL magic in and fix its CRC32C.
 *
 * Input: [stripes][stripe size][bitmap window offset, 2 bytes]
 *        then per block: [flags][511 bytes copied to the start of the block]
 *        flags bit 0: set the magic; bit 1: recompute the CRC.
 * The rest of a block is 0xff (free context slots); blocks the input does
 * not reach are zero (invalid).
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta/be.h"
#include "meta/meta.h"

#define PER_BLOCK	512u
#define WIN_BYTES	(64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const uint8_t *blk)
{
	static struct vmeta_al_tr tr, back;
	static uint8_t again[VMETA_AL_BLOCK_BYTES];

	if (!vmeta_al_decode(blk, &tr))
		return;
	vmeta_al_encode(&tr, again);
	assert(vmeta_al_decode(again, &back));
	/* the CRC differs when the original had reserved bytes set */
	back.crc32c = tr.crc32c;
	assert(!memcmp(&tr, &back, sizeof(tr)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t hot[VMETA_AL_SLOTS_MAX];
	static uint8_t win[WIN_BYTES];
	struct vmeta_al_replay rp = { .hot = hot };
	unsigned int stripes, stripe_4k, blocks, applied = 0;
	uint64_t win_off, newly;
	uint8_t *al;
	size_t len;
	int rc;

	if (size < 4)
		return 0;
	stripes = 1 + data[0] % 4;
	stripe_4k = (8 + stripes - 1) / stripes + data[1] % 8;
	blocks = stripes * stripe_4k;
	win_off = (uint64_t)vmeta_get16(data, 2) * VMETA_EXTENT_BM_BYTES;
	data += 4;
	size -= 4;
	len = (size_t)blocks * VMETA_AL_BLOCK_BYTES;
	al = calloc(1, len);
	if (!al)
		return 0;
	for (unsigned int b = 0; b < blocks && size > 0; b++) {
		uint8_t *blk = al + (size_t)b * VMETA_AL_BLOCK_BYTES, flags = data[0];
		size_t n = size - 1 < PER_BLOCK - 1 ? size - 1 : PER_BLOCK - 1;

		memset(blk, 0xff, VMETA_AL_BLOCK_BYTES);
		memcpy(blk, data + 1, n);
		if (flags & 1)
			vmeta_put32(blk, 0, VMETA_AL_MAGIC);
		if (flags & 2) {
			vmeta_put32(blk, 8, 0);
			vmeta_put32(blk, 8, vmeta_crc32c(0, blk, VMETA_AL_BLOCK_BYTES));
		}
		check_roundtrip(blk);
		data += n + 1;
		size -= n + 1;
	}

	/* a buffer one byte short is refused, never read past */
	assert(vmeta_al_replay(al, len - 1, stripes, stripe_4k, &rp) == -EINVAL);
	rc = vmeta_al_replay(al, len, stripes, stripe_4k, &rp);
	assert(rc == 1 || rc == 0 || rc == -ENODATA || rc == -EBADMSG);
	assert(rp.blocks == blocks && rp.valid <= blocks && rp.updates <= rp.valid);
	if (rc != 1) {
		free(al);
		return 0;
	}
	assert(rp.updates > 0 && rp.n_hot <= VMETA_AL_SLOTS_MAX);
	for (unsigned int i = 0; i < rp.n_hot; i++) {
		assert(hot[i] != VMETA_AL_FREE);
		assert(i == 0 || hot[i - 1] < hot[i]);
	}

	/* apply-al's bitmap update on a window of the bitmap */
	memset(win, 0, sizeof(win));
	newly = vmeta_bm_set_extents(win, win_off, sizeof(win), hot, rp.n_hot, &applied);
	assert(applied <= rp.n_hot);
	assert(newly == (uint64_t)applied * VMETA_EXTENT_BM_BYTES * 8);
	for (unsigned int i = 0; i < rp.n_hot; i++) {
		uint64_t start = (uint64_t)hot[i] * VMETA_EXTENT_BM_BYTES;

		if (start >= win_off && start + VMETA_EXTENT_BM_BYTES <= win_off + sizeof(win))
			assert(win[start - win_off] == 0xff &&
			       win[start - win_off + VMETA_EXTENT_BM_BYTES - 1] == 0xff);
	}
	/* setting them again sets nothing new */
	assert(vmeta_bm_set_extents(win, win_off, sizeof(win), hot, rp.n_hot, NULL) == 0);
	free(al);
	return 0;
}
