/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD v08 superblock and layout: sizing, encoding, and the checks the 8.4
 * kernel makes at attach (drbd_md_read, check_offsets_and_sizes).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "meta/be.h"
#include "meta/meta.h"

#define SECT			512ull
#define AL_OFFSET_SECT		8		/* activity log right after the 4 KiB superblock */
#define DEFAULT_STRIPES		1u
#define DEFAULT_STRIPE_4K	8u
#define AL_NR_EXTENTS_CREATE	257u		/* what drbdmeta create-md writes */
#define BM_BYTES_PER_BIT	4096u
/* One bitmap byte covers 8 bits x 4 KiB = 64 sectors of data. */
#define DATA_SECT_PER_BM_BYTE	64ull
/* Flexible: DRBD_MAX_SECTORS_FLEX = 2^38 bits x 8 sectors (1 PiB) on 64-bit. */
#define MAX_DATA_BYTES_FLEX	(1ull << 50)
/* Indexed: DRBD_MAX_SECTORS_FIXED_BM = (262144 - 64 - 8) x 32768 sectors. */
#define MAX_DATA_BYTES_IDX	((VMETA_IDX_MD_SECT - 72ull) * 32768ull * SECT)

#define ALIGN_UP(x, a)		((((x) + (a) - 1) / (a)) * (a))

/* Offsets of the superblock fields (struct meta_data_on_disk). */
enum {
	SB_LA_SIZE = 0,
	SB_UUID = 8,
	SB_DEVICE_UUID = 40,
	SB_RESERVED_U64 = 48,
	SB_FLAGS = 56,
	SB_MAGIC = 60,
	SB_MD_SIZE = 64,
	SB_AL_OFFSET = 68,
	SB_AL_NR_EXTENTS = 72,
	SB_BM_OFFSET = 76,
	SB_BM_BYTES_PER_BIT = 80,
	SB_LA_PEER_MAX_BIO = 84,
	SB_AL_STRIPES = 88,
	SB_AL_STRIPE_SIZE = 92,
};

uint64_t vmeta_bm_bytes(uint64_t data_sectors)
{
	uint64_t bits = ALIGN_UP(data_sectors, 8) / 8;

	bits = ALIGN_UP(bits, 64);
	return ALIGN_UP(bits / 8, 4096);
}

static const char *index_name(int index, char *buf, size_t len)
{
	if (index == VMETA_INDEX_FLEX)
		return "flexible";
	snprintf(buf, len, "index %d", index);
	return buf;
}

int vmeta_index_check(int index, struct vh_error *e)
{
	if (index == VMETA_INDEX_FLEX || (index >= 0 && index <= VMETA_INDEX_MAX))
		return 0;
	return vh_err(e, -EINVAL, "meta-data index %d: use 0..%d or flexible", index,
		      VMETA_INDEX_MAX);
}

uint64_t vmeta_md_offset(int index)
{
	return index >= 0 ? (uint64_t)index * VMETA_IDX_AREA_BYTES : 0;
}

int vmeta_min_md_bytes(int index, uint64_t backing_bytes, uint64_t *ret_bytes,
		       struct vh_error *e)
{
	uint64_t need;
	int r;

	r = vmeta_index_check(index, e);
	if (r < 0)
		return r;
	if (index == VMETA_INDEX_FLEX) {
		if (backing_bytes > MAX_DATA_BYTES_FLEX)
			return vh_err(e, -EFBIG, "backing device of %llu bytes is larger than "
				      "flexible DRBD 8.4 meta-data can describe (%llu bytes)",
				      (unsigned long long)backing_bytes,
				      (unsigned long long)MAX_DATA_BYTES_FLEX);
		need = VMETA_SB_BYTES + VMETA_AL_BYTES +
		       vmeta_bm_bytes(ALIGN_UP(backing_bytes, SECT) / SECT);
		if (need < VMETA_MIN_FLEX_BYTES)
			need = VMETA_MIN_FLEX_BYTES;
	} else {
		if (backing_bytes > MAX_DATA_BYTES_IDX)
			return vh_err(e, -EFBIG, "backing device of %llu bytes is larger than "
				      "indexed DRBD 8.4 meta-data can describe (%llu bytes); "
				      "use flexible meta-data",
				      (unsigned long long)backing_bytes,
				      (unsigned long long)MAX_DATA_BYTES_IDX);
		need = ((uint64_t)index + 1) * VMETA_IDX_AREA_BYTES;
	}
	*ret_bytes = need;
	return 0;
}

uint64_t vmeta_max_data_bytes(const struct vmeta_layout *layout)
{
	uint64_t max = layout->bm_bytes * 8 * BM_BYTES_PER_BIT;
	uint64_t cap = layout->index == VMETA_INDEX_FLEX ? MAX_DATA_BYTES_FLEX : MAX_DATA_BYTES_IDX;

	return max < cap ? max : cap;
}

static void layout_fill(struct vmeta_layout *l, int index, uint64_t md_offset,
			uint32_t md_size_sect, int32_t al_off, uint32_t al_sect, int32_t bm_off)
{
	l->index = index;
	l->md_offset = md_offset;
	l->al_offset = md_offset + (uint64_t)al_off * SECT;
	l->al_bytes = (uint64_t)al_sect * SECT;
	l->bm_offset = md_offset + (uint64_t)bm_off * SECT;
	l->md_bytes = (uint64_t)md_size_sect * SECT;
	l->bm_bytes = ((uint64_t)md_size_sect - (uint64_t)bm_off) * SECT;
	l->max_data_bytes = vmeta_max_data_bytes(l);
}

int vmeta_layout_new(int index, uint64_t dev_bytes, struct vmeta_layout *ret,
		     struct vh_error *e)
{
	const uint32_t al_sect = DEFAULT_STRIPES * DEFAULT_STRIPE_4K * 8;
	uint64_t md_sect;
	int r;

	r = vmeta_index_check(index, e);
	if (r < 0)
		return r;
	if (index == VMETA_INDEX_FLEX) {
		if (dev_bytes < VMETA_MIN_FLEX_BYTES)
			return vh_err(e, -ENOSPC, "meta device of %llu bytes is too small: "
				      "flexible meta-data needs at least %llu bytes",
				      (unsigned long long)dev_bytes,
				      (unsigned long long)VMETA_MIN_FLEX_BYTES);
		/* Occupy the whole device, as drbdmeta does; md_size_sect is 32-bit. */
		md_sect = dev_bytes / SECT;
		if (md_sect > 0xFFFFFFF8ull)
			md_sect = 0xFFFFFFF8ull;
		layout_fill(ret, index, 0, (uint32_t)md_sect, AL_OFFSET_SECT, al_sect,
			    AL_OFFSET_SECT + al_sect);
	} else {
		uint64_t need = ((uint64_t)index + 1) * VMETA_IDX_AREA_BYTES;

		if (dev_bytes < need)
			return vh_err(e, -ENOSPC, "meta device of %llu bytes is too small: "
				      "indexed meta-data %d needs at least %llu bytes",
				      (unsigned long long)dev_bytes, index,
				      (unsigned long long)need);
		layout_fill(ret, index, (uint64_t)index * VMETA_IDX_AREA_BYTES, VMETA_IDX_MD_SECT,
			    AL_OFFSET_SECT, al_sect, AL_OFFSET_SECT + al_sect);
	}
	return 0;
}

void vmeta_sb_encode(const struct vmeta_sb *sb, void *buf4096)
{
	uint8_t *b = buf4096;

	memset(b, 0, VMETA_SB_BYTES);
	vmeta_put64(b, SB_LA_SIZE, sb->la_size_sect);
	for (int i = 0; i < VMETA_UI_SIZE; i++)
		vmeta_put64(b, SB_UUID + 8 * i, sb->uuid[i]);
	vmeta_put64(b, SB_DEVICE_UUID, sb->device_uuid);
	vmeta_put32(b, SB_FLAGS, sb->flags);
	vmeta_put32(b, SB_MAGIC, sb->magic);
	vmeta_put32(b, SB_MD_SIZE, sb->md_size_sect);
	vmeta_put32(b, SB_AL_OFFSET, (uint32_t)sb->al_offset);
	vmeta_put32(b, SB_AL_NR_EXTENTS, sb->al_nr_extents);
	vmeta_put32(b, SB_BM_OFFSET, (uint32_t)sb->bm_offset);
	vmeta_put32(b, SB_BM_BYTES_PER_BIT, sb->bm_bytes_per_bit);
	vmeta_put32(b, SB_LA_PEER_MAX_BIO, sb->la_peer_max_bio_size);
	vmeta_put32(b, SB_AL_STRIPES, sb->al_stripes);
	vmeta_put32(b, SB_AL_STRIPE_SIZE, sb->al_stripe_size_4k);
}

void vmeta_sb_decode(const void *buf4096, struct vmeta_sb *ret)
{
	const uint8_t *b = buf4096;

	memset(ret, 0, sizeof(*ret));
	ret->la_size_sect = vmeta_get64(b, SB_LA_SIZE);
	for (int i = 0; i < VMETA_UI_SIZE; i++)
		ret->uuid[i] = vmeta_get64(b, SB_UUID + 8 * i);
	ret->device_uuid = vmeta_get64(b, SB_DEVICE_UUID);
	ret->flags = vmeta_get32(b, SB_FLAGS);
	ret->magic = vmeta_get32(b, SB_MAGIC);
	ret->md_size_sect = vmeta_get32(b, SB_MD_SIZE);
	ret->al_offset = (int32_t)vmeta_get32(b, SB_AL_OFFSET);
	ret->al_nr_extents = vmeta_get32(b, SB_AL_NR_EXTENTS);
	ret->bm_offset = (int32_t)vmeta_get32(b, SB_BM_OFFSET);
	ret->bm_bytes_per_bit = vmeta_get32(b, SB_BM_BYTES_PER_BIT);
	ret->la_peer_max_bio_size = vmeta_get32(b, SB_LA_PEER_MAX_BIO);
	ret->al_stripes = vmeta_get32(b, SB_AL_STRIPES);
	ret->al_stripe_size_4k = vmeta_get32(b, SB_AL_STRIPE_SIZE);
}

void vmeta_sb_init(struct vmeta_sb *sb, const struct vmeta_layout *layout)
{
	memset(sb, 0, sizeof(*sb));
	sb->uuid[VMETA_UI_CURRENT] = VMETA_UUID_JUST_CREATED;
	sb->flags = VMETA_MDF_AL_CLEAN;
	sb->magic = VMETA_MAGIC_08;
	sb->md_size_sect = (uint32_t)(layout->md_bytes / SECT);
	sb->al_offset = (int32_t)((layout->al_offset - layout->md_offset) / SECT);
	sb->al_nr_extents = AL_NR_EXTENTS_CREATE;
	sb->bm_offset = (int32_t)((layout->bm_offset - layout->md_offset) / SECT);
	sb->bm_bytes_per_bit = BM_BYTES_PER_BIT;
	sb->al_stripes = DEFAULT_STRIPES;
	sb->al_stripe_size_4k = DEFAULT_STRIPE_4K;
}

bool vmeta_magic_is_drbd(uint32_t magic)
{
	return magic == VMETA_MAGIC_07 || magic == VMETA_MAGIC_08 ||
	       magic == VMETA_MAGIC_84_UNCLEAN || magic == VMETA_MAGIC_09;
}

static int check_magic(uint32_t magic, struct vh_error *e)
{
	switch (magic) {
	case VMETA_MAGIC_08:
	case VMETA_MAGIC_84_UNCLEAN:
		return 0;
	case VMETA_MAGIC_07:
		return vh_err(e, -EBADMSG, "DRBD 0.7 meta-data (magic 0x%08x), not v08", magic);
	case VMETA_MAGIC_09:
		return vh_err(e, -EBADMSG, "DRBD 9 meta-data (magic 0x%08x), not v08", magic);
	default:
		return vh_err(e, -EBADMSG, "no DRBD v08 meta-data: wrong magic 0x%08x", magic);
	}
}

int vmeta_sb_check(const struct vmeta_sb *sb, int index, uint64_t dev_bytes,
		   struct vmeta_layout *ret_layout, struct vh_error *e)
{
	uint32_t stripes = sb->al_stripes, stripe_4k = sb->al_stripe_size_4k;
	uint64_t md_offset, al_sect, bm_sect, cover_sect;
	char ib[24];
	int r;

	r = vmeta_index_check(index, e);
	if (r < 0)
		return r;
	r = check_magic(sb->magic, e);
	if (r < 0)
		return r;
	if (sb->bm_bytes_per_bit != BM_BYTES_PER_BIT)
		return vh_err(e, -EBADMSG, "bm_bytes_per_bit is %u, DRBD 8.4 needs %u",
			      sb->bm_bytes_per_bit, BM_BYTES_PER_BIT);
	if (stripes == 0 && stripe_4k == 0) {
		stripes = DEFAULT_STRIPES;
		stripe_4k = DEFAULT_STRIPE_4K;
	}
	/* The kernel takes up to 16 GiB of log; drbdmeta creates, dumps and
	 * replays at most 32 MiB (its buffer), so nothing larger is v08 we know. */
	if (stripes == 0 || stripe_4k == 0 ||
	    (uint64_t)stripes * stripe_4k > VMETA_AL_4K_MAX ||
	    (uint64_t)stripes * stripe_4k < VMETA_AL_BLOCKS)
		return vh_err(e, -EBADMSG, "impossible activity log striping %u x %u (4 KiB): "
			      "the log must hold %u to %u blocks", sb->al_stripes,
			      sb->al_stripe_size_4k, VMETA_AL_BLOCKS, VMETA_AL_4K_MAX);
	al_sect = (uint64_t)stripes * stripe_4k * 8;
	if (sb->al_offset != AL_OFFSET_SECT)
		return vh_err(e, -EBADMSG, "impossible al_offset %d for external meta-data "
			      "(must be %d)", sb->al_offset, AL_OFFSET_SECT);
	/* Exactly after the log: the kernel (on_disk_al_sect == al_size) and
	 * drbdmeta (is_valid_md) both refuse a gap. */
	if (sb->bm_offset < 0 || (uint64_t)sb->bm_offset != AL_OFFSET_SECT + al_sect)
		return vh_err(e, -EBADMSG, "impossible bm_offset %d: the bitmap must start where "
			      "the activity log ends, at sector %llu", sb->bm_offset,
			      (unsigned long long)(AL_OFFSET_SECT + al_sect));
	if (index >= 0 && (sb->md_size_sect != VMETA_IDX_MD_SECT ||
			   sb->bm_offset != AL_OFFSET_SECT + 64 ||
			   stripes != DEFAULT_STRIPES || stripe_4k != DEFAULT_STRIPE_4K))
		return vh_err(e, -EBADMSG, "impossible indexed meta-data: md_size_sect %u, "
			      "bm_offset %d, al %u x %u (must be %u, 72, 1 x 8)",
			      sb->md_size_sect, sb->bm_offset, stripes, stripe_4k,
			      VMETA_IDX_MD_SECT);
	if (sb->md_size_sect <= (uint32_t)sb->bm_offset)
		return vh_err(e, -EBADMSG, "impossible md_size_sect %u: bitmap starts at "
			      "sector %d", sb->md_size_sect, sb->bm_offset);
	md_offset = vmeta_md_offset(index);
	if (md_offset + (uint64_t)sb->md_size_sect * SECT > dev_bytes)
		return vh_err(e, -EBADMSG, "impossible md_size_sect %u: %s meta-data would end "
			      "at byte %llu, the device has %llu", sb->md_size_sect,
			      index_name(index, ib, sizeof(ib)),
			      (unsigned long long)(md_offset + (uint64_t)sb->md_size_sect * SECT),
			      (unsigned long long)dev_bytes);
	bm_sect = sb->md_size_sect - (uint64_t)sb->bm_offset;
	cover_sect = bm_sect * SECT * DATA_SECT_PER_BM_BYTE;
	if (sb->la_size_sect > cover_sect)
		return vh_err(e, -EBADMSG, "impossible la_size_sect %llu: the bitmap covers "
			      "only %llu sectors", (unsigned long long)sb->la_size_sect,
			      (unsigned long long)cover_sect);
	if (ret_layout)
		layout_fill(ret_layout, index, md_offset, sb->md_size_sect, sb->al_offset,
			    (uint32_t)al_sect, sb->bm_offset);
	return 0;
}
