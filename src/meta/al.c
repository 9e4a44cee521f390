/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD 8.4 activity log: 4 KiB big-endian transaction blocks in a ring
 * (drbd_actlog.c struct al_transaction_on_disk), and its replay into the set
 * of extents that were "hot" (possibly being written) when the node stopped.
 * The replay follows drbdmeta's apply-al rules, so that both agree on what
 * to mark out of sync.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meta/be.h"
#include "meta/meta.h"

enum {
	TR_MAGIC = 0,
	TR_NUMBER = 4,
	TR_CRC = 8,
	TR_TYPE = 12,
	TR_N_UPDATES = 14,
	TR_CONTEXT_SIZE = 16,
	TR_CONTEXT_START = 18,
	TR_UPDATE_SLOT = 36,		/* 64 x be16 (after 4 reserved be32) */
	TR_UPDATE_EXTENT = 164,		/* 64 x be32 */
	TR_CONTEXT = 420,		/* 919 x be32, to the end of the block */
};

_Static_assert(TR_CONTEXT + 4 * VMETA_AL_CONTEXT_PER_TR == VMETA_AL_BLOCK_BYTES,
	       "AL transaction is one 4 KiB block");

void vmeta_al_encode(const struct vmeta_al_tr *tr, void *buf4096)
{
	uint8_t *b = buf4096;

	memset(b, 0, VMETA_AL_BLOCK_BYTES);
	vmeta_put32(b, TR_MAGIC, tr->magic);
	vmeta_put32(b, TR_NUMBER, tr->tr_number);
	vmeta_put16(b, TR_TYPE, tr->transaction_type);
	vmeta_put16(b, TR_N_UPDATES, tr->n_updates);
	vmeta_put16(b, TR_CONTEXT_SIZE, tr->context_size);
	vmeta_put16(b, TR_CONTEXT_START, tr->context_start_slot_nr);
	for (int i = 0; i < VMETA_AL_UPDATES_PER_TR; i++) {
		vmeta_put16(b, TR_UPDATE_SLOT + 2 * i, tr->update_slot_nr[i]);
		vmeta_put32(b, TR_UPDATE_EXTENT + 4 * i, tr->update_extent_nr[i]);
	}
	for (int i = 0; i < VMETA_AL_CONTEXT_PER_TR; i++)
		vmeta_put32(b, TR_CONTEXT + 4 * i, tr->context[i]);
	/* The CRC covers the whole block with its own field zero. */
	vmeta_put32(b, TR_CRC, vmeta_crc32c(0, b, VMETA_AL_BLOCK_BYTES));
}

bool vmeta_al_decode(const void *buf4096, struct vmeta_al_tr *ret)
{
	const uint8_t *b = buf4096;
	static const uint8_t zero4[4];
	uint32_t crc;

	ret->magic = vmeta_get32(b, TR_MAGIC);
	ret->tr_number = vmeta_get32(b, TR_NUMBER);
	ret->crc32c = vmeta_get32(b, TR_CRC);
	ret->transaction_type = vmeta_get16(b, TR_TYPE);
	ret->n_updates = vmeta_get16(b, TR_N_UPDATES);
	ret->context_size = vmeta_get16(b, TR_CONTEXT_SIZE);
	ret->context_start_slot_nr = vmeta_get16(b, TR_CONTEXT_START);
	for (int i = 0; i < VMETA_AL_UPDATES_PER_TR; i++) {
		ret->update_slot_nr[i] = vmeta_get16(b, TR_UPDATE_SLOT + 2 * i);
		ret->update_extent_nr[i] = vmeta_get32(b, TR_UPDATE_EXTENT + 4 * i);
	}
	for (int i = 0; i < VMETA_AL_CONTEXT_PER_TR; i++)
		ret->context[i] = vmeta_get32(b, TR_CONTEXT + 4 * i);
	if (ret->magic != VMETA_AL_MAGIC)
		return false;
	/* CRC of the block with the CRC field taken as zero, without a copy. */
	crc = vmeta_crc32c(0, b, TR_CRC);
	crc = vmeta_crc32c(crc, zero4, 4);
	crc = vmeta_crc32c(crc, b + TR_CRC + 4, VMETA_AL_BLOCK_BYTES - TR_CRC - 4);
	return crc == ret->crc32c;
}

void vmeta_al_init_block(void *buf4096)
{
	uint8_t *b = buf4096;

	memset(b, 0, VMETA_AL_BLOCK_BYTES);
	vmeta_put32(b, TR_MAGIC, VMETA_AL_MAGIC);
	vmeta_put16(b, TR_TYPE, VMETA_AL_TR_INITIALIZED);
	vmeta_put32(b, TR_CRC, vmeta_crc32c(0, b, VMETA_AL_BLOCK_BYTES));
}

void vmeta_al_init(void *buf, unsigned int nblocks)
{
	uint8_t *b = buf;

	vmeta_al_init_block(b);
	for (unsigned int i = 1; i < nblocks; i++)
		memcpy(b + (size_t)i * VMETA_AL_BLOCK_BYTES, b, VMETA_AL_BLOCK_BYTES);
}

unsigned int vmeta_al_tr_block(unsigned int t, unsigned int stripes, unsigned int stripe_size_4k)
{
	if (!stripes || !stripe_size_4k)
		return 0;	/* no such log; vmeta_al_replay() refuses it */
	t %= stripes * stripe_size_4k;
	return (t % stripes) * stripe_size_4k + t / stripes;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Replay transaction @tr into the slot table @slot (extent per slot). */
static void replay_one(const struct vmeta_al_tr *tr, uint32_t *slot)
{
	for (unsigned int i = 0; i < VMETA_AL_CONTEXT_PER_TR; i++) {
		unsigned int s = tr->context_start_slot_nr + i;

		if (tr->context[i] == VMETA_AL_FREE && s >= tr->context_size)
			continue;
		if (s >= VMETA_AL_SLOTS_MAX)
			continue;
		slot[s] = tr->context[i];
	}
	for (unsigned int i = 0; i < VMETA_AL_UPDATES_PER_TR; i++) {
		unsigned int s = tr->update_slot_nr[i];

		if (i >= tr->n_updates && s == 0xFFFFu)
			continue;
		if (s >= VMETA_AL_SLOTS_MAX)
			continue;
		slot[s] = tr->update_extent_nr[i];
	}
}

int vmeta_al_replay(const void *al, size_t len, unsigned int stripes,
		    unsigned int stripe_size_4k, struct vmeta_al_replay *ret)
{
	const uint8_t *base = al;
	uint64_t blocks = (uint64_t)stripes * stripe_size_4k;
	unsigned int mx, oldest = 0, newest = 0, n = 0, used;
	struct vmeta_al_tr *tr;
	bool *valid;
	int rc;

	ret->blocks = ret->valid = ret->updates = ret->n_hot = 0;
	ret->oldest_tr = ret->newest_tr = 0;
	if (blocks < VMETA_AL_BLOCKS || blocks > VMETA_AL_4K_MAX ||
	    len / VMETA_AL_BLOCK_BYTES < blocks)
		return -EINVAL;
	mx = (unsigned int)blocks;
	ret->blocks = mx;
	tr = calloc(mx, sizeof(*tr));
	valid = calloc(mx, sizeof(*valid));
	if (!tr || !valid) {
		rc = -ENOMEM;
		goto out;
	}
	/* Decode in transaction order; find the oldest and newest update. */
	for (unsigned int t = 0; t < mx; t++) {
		const uint8_t *blk = base + (size_t)vmeta_al_tr_block(t, stripes, stripe_size_4k) *
					    VMETA_AL_BLOCK_BYTES;

		valid[t] = vmeta_al_decode(blk, &tr[t]);
		if (!valid[t])
			continue;
		ret->valid++;
		if (tr[t].transaction_type == VMETA_AL_TR_INITIALIZED)
			continue;
		if (ret->updates++ == 0) {
			oldest = newest = t;
			continue;
		}
		/* Transaction numbers wrap: compare by signed difference. */
		if ((int32_t)(tr[t].tr_number - tr[oldest].tr_number) < 0)
			oldest = t;
		if ((int32_t)(tr[t].tr_number - tr[newest].tr_number) > 0)
			newest = t;
	}
	if (ret->valid == 0) {
		rc = -ENODATA;
		goto out;
	}
	if (ret->updates == 0) {
		/* All initialized, or only the very first transaction torn: clean. */
		rc = ret->valid == mx || (!valid[0] && ret->valid == mx - 1) ? 0 : -EBADMSG;
		goto out;
	}
	ret->oldest_tr = tr[oldest].tr_number;
	ret->newest_tr = tr[newest].tr_number;

	for (unsigned int s = 0; s < VMETA_AL_SLOTS_MAX; s++)
		ret->hot[s] = VMETA_AL_FREE;
	if (newest < oldest)
		newest += mx;
	for (unsigned int b = oldest; b <= newest; b++) {
		unsigned int t = b % mx;

		if (valid[t] && tr[t].transaction_type != VMETA_AL_TR_INITIALIZED)
			replay_one(&tr[t], ret->hot);
	}
	/* Slot table -> sorted set of distinct extents: the used slots first
	 * (usually a few hundred of the 65534), then sort only those. */
	for (unsigned int s = 0; s < VMETA_AL_SLOTS_MAX; s++)
		if (ret->hot[s] != VMETA_AL_FREE)
			ret->hot[n++] = ret->hot[s];
	qsort(ret->hot, n, sizeof(ret->hot[0]), cmp_u32);
	used = n;
	n = 0;
	for (unsigned int s = 0; s < used; s++)
		if (n == 0 || ret->hot[n - 1] != ret->hot[s])
			ret->hot[n++] = ret->hot[s];
	ret->n_hot = n;
	rc = 1;
out:
	free(tr);
	free(valid);
	return rc;
}

uint64_t vmeta_bm_set_extents(uint8_t *win, uint64_t win_off, uint64_t win_len,
			      const uint32_t *hot, unsigned int n_hot, unsigned int *ret_applied)
{
	uint64_t newly = 0;
	unsigned int applied = 0;

	for (unsigned int i = 0; i < n_hot; i++) {
		uint64_t start = (uint64_t)hot[i] * VMETA_EXTENT_BM_BYTES;
		uint8_t *p;

		if (start < win_off || start + VMETA_EXTENT_BM_BYTES > win_off + win_len)
			continue;
		p = win + (start - win_off);
		for (unsigned int k = 0; k < VMETA_EXTENT_BM_BYTES; k++)
			newly += 8 - (unsigned int)__builtin_popcount(p[k]);
		memset(p, 0xff, VMETA_EXTENT_BM_BYTES);
		applied++;
	}
	if (ret_applied)
		*ret_applied += applied;
	return newly;
}
