/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD v08 on-disk meta-data, as the in-kernel DRBD 8.4 reads it, written
 * and read in-process (no drbdmeta).  External meta-data only: flexible
 * (index VMETA_INDEX_FLEX, the whole meta device, any size from 1 MiB) or
 * indexed (index N >= 0, 128 MiB at N * 128 MiB of the meta device).
 *
 * On-disk layout of one meta-data area (all offsets relative to its start):
 *   [ 4 KiB superblock ][ activity log ][ bitmap ... ]
 * The activity log is 32 KiB as we create it (1 stripe x 8 blocks); one that
 * drbdmeta made with --al-stripes / --al-stripe-size-kB may be 8..8192
 * blocks of 4 KiB, and the bitmap starts right after it.
 * The superblock and activity log are big-endian; the bitmap is a stream of
 * little-endian 64-bit words, one bit per 4 KiB of backing device.
 *
 * Refusals (negative errno, detail in struct vh_error):
 *   -ENOSPC   meta device too small (the message says the required size)
 *   -EFBIG    backing device larger than the layout can describe
 *   -EEXIST   valid DRBD meta-data already there (create without force)
 *   -EBUSY    device in use (could not be opened O_EXCL)
 *   -EBADMSG  wrong magic, impossible offsets or sizes (an activity log
 *             larger than VMETA_AL_4K_MAX blocks, a bitmap not right after
 *             it), unusable activity log on a Primary, nothing to wipe
 *             (without force)
 *   -EOPNOTSUPP  a DRBD 8.3-format activity log on a Primary (not replayed)
 *   -ENOENT   no such device
 */
#ifndef VMHOP_META_META_H
#define VMHOP_META_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define VMETA_INDEX_FLEX	(-2)		/* flexible external (DRBD's meta_dev_idx -2) */
#define VMETA_INDEX_MAX		1023		/* our own bound for indexed external */

#define VMETA_SB_BYTES		4096u
#define VMETA_AL_BLOCK_BYTES	4096u
#define VMETA_AL_BLOCKS		8u		/* 1 stripe x 8 blocks of 4 KiB: 32 KiB */
#define VMETA_AL_BYTES		(VMETA_AL_BLOCKS * VMETA_AL_BLOCK_BYTES)
#define VMETA_IDX_AREA_BYTES	(128ull << 20)	/* one indexed meta-data area */
#define VMETA_IDX_MD_SECT	262144u
#define VMETA_MIN_FLEX_BYTES	(1ull << 20)	/* kernel: flexible md device >= 1 MiB */
#define VMETA_EXTENT_BM_BYTES	128u		/* one 4 MiB AL extent = 1024 bits */
#define VMETA_AL_SLOTS_MAX	65534u		/* DRBD_AL_EXTENTS_MAX */
/* Largest activity log accepted: 8192 blocks (32 MiB), what drbdmeta can
 * create and replay (the kernel alone would take 16 GiB). */
#define VMETA_AL_4K_MAX		8192u

/* Magic numbers and flags (include/linux/drbd.h). */
#define VMETA_MAGIC_07		0x8374026Au
#define VMETA_MAGIC_08		0x8374026Bu
#define VMETA_MAGIC_84_UNCLEAN	0x8374026Cu
#define VMETA_MAGIC_09		0x8374026Du
#define VMETA_AL_MAGIC		0x69CB65A2u

#define VMETA_MDF_CONSISTENT		0x001u
#define VMETA_MDF_PRIMARY_IND		0x002u
#define VMETA_MDF_CONNECTED_IND		0x004u
#define VMETA_MDF_FULL_SYNC		0x008u
#define VMETA_MDF_WAS_UP_TO_DATE	0x010u
#define VMETA_MDF_PEER_OUT_DATED	0x020u
#define VMETA_MDF_CRASHED_PRIMARY	0x040u
#define VMETA_MDF_AL_CLEAN		0x080u
#define VMETA_MDF_AL_DISABLED		0x100u

#define VMETA_UUID_JUST_CREATED	4ull

enum vmeta_uuid_idx {
	VMETA_UI_CURRENT = 0,
	VMETA_UI_BITMAP = 1,
	VMETA_UI_HISTORY_START = 2,
	VMETA_UI_HISTORY_END = 3,
	VMETA_UI_SIZE = 4,
};

/* The superblock, decoded (host byte order). */
struct vmeta_sb {
	uint64_t la_size_sect;
	uint64_t uuid[VMETA_UI_SIZE];
	uint64_t device_uuid;
	uint32_t flags;
	uint32_t magic;
	uint32_t md_size_sect;
	int32_t al_offset;		/* sectors, relative to the superblock */
	uint32_t al_nr_extents;
	int32_t bm_offset;		/* sectors, relative to the superblock */
	uint32_t bm_bytes_per_bit;
	uint32_t la_peer_max_bio_size;
	uint32_t al_stripes;		/* as stored: 0/0 means legacy 1 x 8 */
	uint32_t al_stripe_size_4k;
};

/* Where one meta-data area lies on its meta device, in bytes. */
struct vmeta_layout {
	int index;
	uint64_t md_offset;		/* superblock */
	uint64_t al_offset;		/* activity log */
	uint64_t al_bytes;
	uint64_t bm_offset;		/* bitmap */
	uint64_t bm_bytes;		/* bitmap area, to the end of the md area */
	uint64_t md_bytes;		/* md_size_sect * 512 */
	uint64_t max_data_bytes;	/* largest backing device the bitmap covers */
};

/* ---- sizing ---------------------------------------------------------- */

/* 0 for VMETA_INDEX_FLEX or 0..VMETA_INDEX_MAX, else -EINVAL. */
int vmeta_index_check(int index, struct vh_error *e) VH_MUST_CHECK;

/* Byte offset of meta-data area @index on its meta device (0 for flexible). */
uint64_t vmeta_md_offset(int index);

/* Bitmap bytes drbdmeta/the kernel need for @data_sectors: one bit per 4 KiB,
 * rounded to 64-bit words, then to 4 KiB. */
uint64_t vmeta_bm_bytes(uint64_t data_sectors);

/* Minimum size in bytes of the meta device for a backing device of
 * @backing_bytes with meta-data index @index (VMETA_INDEX_FLEX or 0..N).
 * Flexible: 4 KiB + 32 KiB + bitmap, at least 1 MiB.  Indexed: (N+1) x 128 MiB.
 * -EFBIG if the layout cannot describe the backing device, -EINVAL for a bad
 * index.  The caller rounds up to its VG's extent size. */
int vmeta_min_md_bytes(int index, uint64_t backing_bytes, uint64_t *ret_bytes,
		       struct vh_error *e) VH_MUST_CHECK;

/* Largest backing device (bytes) meta-data of @layout can describe. */
uint64_t vmeta_max_data_bytes(const struct vmeta_layout *layout);

/* Layout for a fresh meta-data area on a device of @dev_bytes. */
int vmeta_layout_new(int index, uint64_t dev_bytes, struct vmeta_layout *ret,
		     struct vh_error *e) VH_MUST_CHECK;

/* ---- superblock ------------------------------------------------------ */

/* Encode @sb into 4096 bytes (reserved bytes zero).  Decode the reverse. */
void vmeta_sb_encode(const struct vmeta_sb *sb, void *buf4096);
void vmeta_sb_decode(const void *buf4096, struct vmeta_sb *ret);

/* Fresh superblock as create writes it (current UUID 4, AL clean, 1 x 8 AL). */
void vmeta_sb_init(struct vmeta_sb *sb, const struct vmeta_layout *layout);

/* True if @magic is any DRBD meta-data magic (0.7, 8.x, 8.4 unclean, 9). */
bool vmeta_magic_is_drbd(uint32_t magic);

/* Check a decoded superblock against what the 8.4 kernel accepts at attach
 * for @index on a meta device of @dev_bytes; fill @ret_layout from it.
 * -EBADMSG with the reason otherwise. */
int vmeta_sb_check(const struct vmeta_sb *sb, int index, uint64_t dev_bytes,
		   struct vmeta_layout *ret_layout, struct vh_error *e) VH_MUST_CHECK;

/* ---- activity log ---------------------------------------------------- */

#define VMETA_AL_TR_UPDATE		0x0000u
#define VMETA_AL_TR_INITIALIZED		0xFFFFu
#define VMETA_AL_UPDATES_PER_TR		64
#define VMETA_AL_CONTEXT_PER_TR		919
#define VMETA_AL_FREE			0xFFFFFFFFu

/* One 8.4 activity-log transaction (a 4 KiB block), decoded. */
struct vmeta_al_tr {
	uint32_t magic;
	uint32_t tr_number;
	uint32_t crc32c;
	uint16_t transaction_type;
	uint16_t n_updates;
	uint16_t context_size;
	uint16_t context_start_slot_nr;
	uint16_t update_slot_nr[VMETA_AL_UPDATES_PER_TR];
	uint32_t update_extent_nr[VMETA_AL_UPDATES_PER_TR];
	uint32_t context[VMETA_AL_CONTEXT_PER_TR];
};

/* CRC32C (Castagnoli) as the kernel computes it: crc32c(seed, buf, len),
 * no pre- or post-inversion. */
uint32_t vmeta_crc32c(uint32_t seed, const void *buf, size_t len);

/* Encode @tr into a 4 KiB block; computes and stores the CRC (tr->crc32c ignored). */
void vmeta_al_encode(const struct vmeta_al_tr *tr, void *buf4096);
/* Decode; returns true if magic and CRC are valid. */
bool vmeta_al_decode(const void *buf4096, struct vmeta_al_tr *ret);
/* The "initialized" transaction block create writes into every AL slot. */
void vmeta_al_init_block(void *buf4096);
/* Fill an activity log of @nblocks blocks with initialized transactions. */
void vmeta_al_init(void *buf, unsigned int nblocks);

/* On-disk block (0..stripes*stripe_size-1) of transaction slot @t. */
/* (0 when either is 0: no such log.) */
unsigned int vmeta_al_tr_block(unsigned int t, unsigned int stripes, unsigned int stripe_size_4k);

/* Result of replaying an activity log. */
struct vmeta_al_replay {
	unsigned int blocks;		/* transaction blocks in the log */
	unsigned int valid;		/* with valid magic and CRC */
	unsigned int updates;		/* valid AL_TR_UPDATE transactions */
	uint32_t oldest_tr, newest_tr;	/* when updates > 0 */
	unsigned int n_hot;		/* distinct hot extents, sorted ascending */
	uint32_t *hot;			/* caller-owned, room for VMETA_AL_SLOTS_MAX */
};

/* Replay an 8.4 activity log of @stripes x @stripe_size_4k blocks held in
 * the @len bytes at @al into the set of hot extents (the "active set" at the
 * newest transaction).  Returns 1 if update transactions were found (hot set
 * valid, maybe empty), 0 if every block is a valid initialized transaction
 * (or only the first is torn), -ENODATA if no block is valid, -EBADMSG if
 * valid initialized and corrupt blocks are mixed with no update, -EINVAL if
 * the striping is not 8..VMETA_AL_4K_MAX blocks or @len does not hold them.
 * @ret->hot must hold VMETA_AL_SLOTS_MAX entries. */
int vmeta_al_replay(const void *al, size_t len, unsigned int stripes,
		    unsigned int stripe_size_4k, struct vmeta_al_replay *ret);

/* Set the 128 bitmap bytes of every hot extent that lies wholly inside the
 * window @win, which holds bitmap bytes [@win_off, @win_off + @win_len).
 * Adds the number of extents set to *@ret_applied (may be NULL); returns the
 * number of bits newly set. */
uint64_t vmeta_bm_set_extents(uint8_t *win, uint64_t win_off, uint64_t win_len,
			      const uint32_t *hot, unsigned int n_hot, unsigned int *ret_applied);

/* ---- device operations ------------------------------------------------ */

struct vmeta_create_opts {
	int index;			/* VMETA_INDEX_FLEX or 0..VMETA_INDEX_MAX */
	bool force;			/* overwrite existing DRBD meta-data */
	uint64_t backing_bytes;		/* if set: refuse (-ENOSPC) when it does not fit */
};

enum vmeta_zero_method {
	VMETA_ZERO_NONE = 0,
	VMETA_ZERO_BLKZEROOUT,		/* block device: BLKZEROOUT ioctl */
	VMETA_ZERO_FALLOCATE,		/* regular file: fallocate(ZERO_RANGE) */
	VMETA_ZERO_PUNCH,		/* regular file: fallocate(PUNCH_HOLE) */
	VMETA_ZERO_WRITE,		/* large aligned writes */
};

/* What an operation found and did. */
struct vmeta_info {
	uint64_t dev_bytes;		/* size of the meta device */
	bool block_device;
	bool direct_io;			/* O_DIRECT was used */
	struct vmeta_layout layout;
	struct vmeta_sb sb;		/* superblock as now on disk (create, apply-al) or read (dump) */
	/* create */
	enum vmeta_zero_method zero_method;
	uint64_t zeroed_bytes;
	/* apply-al */
	bool was_primary;
	bool was_clean;
	int replay_rc;			/* vmeta_al_replay() result */
	unsigned int al_valid, al_updates, n_hot, extents_applied, extents_skipped;
	uint64_t bits_set;
	bool al_reinitialized;
	bool sb_written;
	/* dump */
	uint64_t bm_bits_set;		/* bits set in the bitmap covering la_size */
	unsigned int al_valid_blocks;
};

const char *vmeta_zero_method_name(enum vmeta_zero_method m);

/* Write fresh meta-data (superblock, initialized AL, zeroed bitmap) and flush. */
int vmeta_create(const char *path, const struct vmeta_create_opts *opts,
		 struct vmeta_info *ret_info, struct vh_error *e) VH_MUST_CHECK;

/* Zero the superblock (4 KiB at the area's start) and flush.  Without @force,
 * refuses with -EBADMSG if no DRBD meta-data is there. */
int vmeta_wipe(const char *path, int index, bool force, struct vmeta_info *ret_info,
	       struct vh_error *e) VH_MUST_CHECK;

/* Replay the activity log into the bitmap if the superblock says Primary,
 * re-initialize the AL, mark the superblock clean (magic v08 + AL_CLEAN). */
int vmeta_apply_al(const char *path, int index, struct vmeta_info *ret_info,
		   struct vh_error *e) VH_MUST_CHECK;

/* Read and check the superblock (and count the bitmap's set bits). */
int vmeta_read(const char *path, int index, struct vmeta_info *ret_info,
	       struct vh_error *e) VH_MUST_CHECK;

#endif
