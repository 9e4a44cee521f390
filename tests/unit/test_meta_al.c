/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apply-al on hand-built 8.4 activity logs: each case builds meta-data on a
 * regular file, runs vmeta_apply_al() on it and `drbdmeta apply-al` on a copy,
 * and checks the bitmap against the extents worked out by hand, then that
 * both files are byte-identical (bitmap, re-initialised AL, clean superblock).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "meta/meta.h"
#include "support_meta.h"

#define MiB		(1ull << 20)
#define DEV_BYTES	(2 * MiB)
#define BM_OFF		36864u
#define NONE		0xFFFFFFFFu
#define MAXTR		10

struct upd {
	uint16_t slot;
	uint32_t extent;
};

struct tr_spec {
	uint32_t number;
	uint16_t ctx_start, ctx_size;
	uint32_t ctx[8];		/* first entries of context[]; NONE-terminated when short */
	unsigned int n_upd;
	struct upd upd[4];
};

struct al_case {
	uint32_t flags;
	uint32_t magic;
	uint64_t la_extents;		/* la_size in 4 MiB extents */
	unsigned int stripes, stripe_4k;
	unsigned int n_tr;
	struct tr_spec tr[MAXTR];
	int corrupt_block;		/* -1: none */
	bool zero_al;			/* no valid AL block at all */
	uint32_t preset_byte;		/* a bitmap byte set to 0x81 beforehand (0: none) */
	/* expected */
	int rc;
	unsigned int n_hot;		/* distinct hot extents replayed */
	unsigned int n_set;		/* extents expected in the bitmap (Primary only) */
	uint32_t set[8];
	bool drbdmeta_fails;
};

static void encode_tr(const struct tr_spec *s, uint8_t *block)
{
	struct vmeta_al_tr tr;

	memset(&tr, 0, sizeof(tr));
	tr.magic = VMETA_AL_MAGIC;
	tr.tr_number = s->number;
	tr.transaction_type = VMETA_AL_TR_UPDATE;
	tr.n_updates = (uint16_t)s->n_upd;
	tr.context_size = s->ctx_size;
	tr.context_start_slot_nr = s->ctx_start;
	for (int i = 0; i < VMETA_AL_UPDATES_PER_TR; i++) {
		tr.update_slot_nr[i] = i < (int)s->n_upd ? s->upd[i].slot : 0xFFFF;
		tr.update_extent_nr[i] = i < (int)s->n_upd ? s->upd[i].extent : NONE;
	}
	/* ctx[] uses 0 for "empty slot" for brevity: no case puts extent 0 in a context */
	for (int i = 0; i < VMETA_AL_CONTEXT_PER_TR; i++)
		tr.context[i] = i < 8 && s->ctx[i] ? s->ctx[i] : NONE;
	vmeta_al_encode(&tr, block);
}

/* Build the meta-data file @path for @c. */
static void build(const char *path, const struct al_case *c)
{
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX };
	unsigned int stripes = c->stripes ? c->stripes : 1, s4k = c->stripe_4k ? c->stripe_4k : 8;
	unsigned int mx = stripes * s4k;
	struct vmeta_info info;
	struct vh_error e = { 0 };
	struct vmeta_sb sb;
	uint8_t *buf;

	tmeta_sparse(path, DEV_BYTES);
	assert_int_equal(vmeta_create(path, &o, &info, &e), 0);
	buf = tmeta_read(path, 0, 4096);
	vmeta_sb_decode(buf, &sb);
	sb.flags = c->flags;
	sb.magic = c->magic;
	sb.la_size_sect = c->la_extents * 8192;
	sb.al_stripes = stripes;
	sb.al_stripe_size_4k = s4k;
	sb.uuid[VMETA_UI_CURRENT] = 0x5EED5EED00000000ull | (c->flags & VMETA_MDF_PRIMARY_IND ? 1 : 0);
	vmeta_sb_encode(&sb, buf);
	tmeta_write(path, 0, buf, 4096);
	free(buf);

	buf = calloc(mx, 4096);
	assert_non_null(buf);
	if (!c->zero_al)
		vmeta_al_init(buf, mx);
	for (unsigned int i = 0; i < c->n_tr; i++)
		encode_tr(&c->tr[i], buf + 4096 * vmeta_al_tr_block(c->tr[i].number % mx, stripes, s4k));
	if (c->corrupt_block >= 0)
		buf[4096 * c->corrupt_block + 1000] ^= 0x40;
	tmeta_write(path, 4096, buf, 4096 * mx);
	free(buf);
	if (c->preset_byte) {
		uint8_t v = 0x81;

		tmeta_write(path, BM_OFF + c->preset_byte, &v, 1);
	}
}

/* The bitmap must hold exactly the expected extents plus the preset byte. */
static void check_bitmap(const char *path, const struct al_case *c, bool applied)
{
	size_t len = DEV_BYTES - BM_OFF;
	uint8_t *bm = tmeta_read(path, BM_OFF, len), *want = calloc(1, len);

	assert_non_null(want);
	if (c->preset_byte)
		want[c->preset_byte] = 0x81;
	for (unsigned int i = 0; applied && i < c->n_set; i++)
		memset(want + 128 * c->set[i], 0xff, 128);
	for (size_t i = 0; i < len; i++)
		if (bm[i] != want[i])
			fail_msg("bitmap byte %zu (extent %zu): 0x%02x, expected 0x%02x", i, i / 128,
				 bm[i], want[i]);
	free(bm);
	free(want);
}

static void check_clean(const char *path, const struct al_case *c)
{
	uint8_t *b = tmeta_read(path, 0, 4096 * 9);
	struct vmeta_al_tr tr;
	struct vmeta_sb sb;

	vmeta_sb_decode(b, &sb);
	assert_int_equal(sb.magic, VMETA_MAGIC_08);
	/* AL_CLEAN set, nothing else changed (PRIMARY_IND deliberately kept) */
	assert_int_equal(sb.flags, c->flags | VMETA_MDF_AL_CLEAN);
	for (int i = 0; i < 8; i++) {
		assert_true(vmeta_al_decode(b + 4096 * (i + 1), &tr));
		assert_int_equal(tr.transaction_type, VMETA_AL_TR_INITIALIZED);
	}
	free(b);
}

static void run_case(const struct al_case *c, const char *name)
{
	const char *ours = tmeta_path("al-ours"), *theirs = tmeta_path("al-theirs");
	const char *orig = tmeta_path("al-orig");
	struct vmeta_info info;
	struct vh_error e = { 0 };
	int r, st;
	int64_t diff;

	print_message("  %s\n", name);
	build(ours, c);
	tmeta_copy(ours, theirs);
	tmeta_copy(ours, orig);
	memset(&info, 0, sizeof(info));
	r = vmeta_apply_al(ours, VMETA_INDEX_FLEX, &info, &e);
	if (r != c->rc)
		fail_msg("%s: vmeta_apply_al returned %d (%s), expected %d", name, r, e.msg, c->rc);
	if (r == 0) {
		assert_int_equal(info.n_hot, c->n_hot);
		check_bitmap(ours, c, c->flags & VMETA_MDF_PRIMARY_IND);
		check_clean(ours, c);
	} else {
		/* a refusal changes nothing */
		assert_int_equal(tmeta_cmp(ours, orig), -1);
	}
	/* Our own result is checked above; the comparison needs drbdmeta. */
	if (!tmeta_have_drbdmeta())
		skip();
	st = tmeta_sh(NULL, "drbdmeta --force %d v08 '%s' flex-external apply-al", tmeta_minor(), theirs);
	if (c->drbdmeta_fails) {
		assert_int_not_equal(st, 0);
		assert_int_equal(tmeta_cmp(theirs, orig), -1);
		return;
	}
	assert_int_equal(st, 0);
	diff = tmeta_cmp(ours, theirs);
	if (diff >= 0)
		fail_msg("%s: ours and drbdmeta's differ first at byte %" PRId64, name, diff);
}

/* Three transactions, context size 8.  T10: slots 0,1 = 100,101; slot 2 <- 102.
 * T11: slot 0 <- 200 (evicts 100), slot 3 <- 103.  T12: slot 1 <- 5 (evicts 101).
 * Active set at T12: {5, 102, 103, 200}. */
#define BASIC_TRS								\
	{ .number = 10, .ctx_size = 8, .ctx = { 100, 101 },				\
	  .n_upd = 1, .upd = { { 2, 102 } } },					\
	{ .number = 11, .ctx_size = 8, .ctx = { 100, 101, 102 },			\
	  .n_upd = 2, .upd = { { 0, 200 }, { 3, 103 } } },				\
	{ .number = 12, .ctx_size = 8, .ctx = { 200, 101, 102, 103 },		\
	  .n_upd = 1, .upd = { { 1, 5 } } }

static void primary_basic(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND | VMETA_MDF_CONSISTENT, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 201, .n_tr = 3, .tr = { BASIC_TRS }, .corrupt_block = -1,
		.preset_byte = 4000,
		.rc = 0, .n_hot = 4, .n_set = 4, .set = { 5, 102, 103, 200 },
	};

	(void)state;
	run_case(&c, "primary, three transactions");
}

/* Eight transactions fill the ring while tr_number wraps from 0xFFFFFFFB to 2;
 * transaction k (0..7) puts extent 10 + k into slot k % 4.  Replayed in
 * tr_number order the last four win: {14, 15, 16, 17}.  (Unsigned order would
 * start at tr 0 and give {11, 12, 13, 14}.) */
static void primary_wraparound(void **state)
{
	struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 100, .n_tr = 8, .corrupt_block = -1,
		.rc = 0, .n_hot = 4, .n_set = 4, .set = { 14, 15, 16, 17 },
	};

	(void)state;
	for (unsigned int k = 0; k < 8; k++) {
		c.tr[k].number = 0xFFFFFFFBu + k;
		c.tr[k].n_upd = 1;
		c.tr[k].upd[0].slot = (uint16_t)(k % 4);
		c.tr[k].upd[0].extent = 10 + k;
	}
	run_case(&c, "primary, transaction number wraps");
}

/* A torn newest transaction (bad CRC) is ignored: same set as primary_basic. */
static void primary_corrupt_block(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 400, .n_tr = 4,
		.tr = { BASIC_TRS, { .number = 13, .ctx_size = 8, .n_upd = 1, .upd = { { 0, 300 } } } },
		.corrupt_block = 13 % 8,
		.rc = 0, .n_hot = 4, .n_set = 4, .set = { 5, 102, 103, 200 },
	};

	(void)state;
	run_case(&c, "primary, torn newest transaction");
}

/* The same log on a Secondary: nothing to apply; AL re-initialised, clean. */
static void secondary(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_CONSISTENT | VMETA_MDF_WAS_UP_TO_DATE,
		.magic = VMETA_MAGIC_84_UNCLEAN, .la_extents = 201, .n_tr = 3, .tr = { BASIC_TRS },
		.corrupt_block = -1, .preset_byte = 12,
		.rc = 0, .n_hot = 4,
	};

	(void)state;
	run_case(&c, "secondary, same log");
}

/* 2 stripes x 4 blocks: transaction t lives in block (t % 2) * 4 + t / 2. */
static void primary_striped(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 201, .stripes = 2, .stripe_4k = 4, .n_tr = 3, .tr = { BASIC_TRS },
		.corrupt_block = -1,
		.rc = 0, .n_hot = 4, .n_set = 4, .set = { 5, 102, 103, 200 },
	};
	uint8_t *b;
	struct vmeta_sb sb;

	(void)state;
	run_case(&c, "primary, striped 2 x 4");
	b = tmeta_read(tmeta_path("al-ours"), 0, 4096);
	vmeta_sb_decode(b, &sb);
	assert_int_equal(sb.al_stripes, 2);
	assert_int_equal(sb.al_stripe_size_4k, 4);
	free(b);
}

/* After a clean kernel detach the log is all "initialized" but the magic
 * says unclean: just mark it clean, touch nothing else. */
static void primary_all_initialized(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 201, .corrupt_block = -1, .preset_byte = 7,
		.rc = 0, .n_hot = 0,
	};

	(void)state;
	run_case(&c, "primary, all initialized");
}

/* Hot extents past the bitmap that covers la_size are skipped (la = 201
 * extents -> 28672 bitmap bytes -> extents < 224 fit; 300 does not). */
static void extents_beyond_la_size(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 201, .n_tr = 1, .corrupt_block = -1,
		.tr = { { .number = 1, .ctx_size = 4, .n_upd = 2, .upd = { { 0, 300 }, { 1, 7 } } } },
		.rc = 0, .n_hot = 2, .n_set = 1, .set = { 7 },
	};
	const char *p = tmeta_path("al-beyond");
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	build(p, &c);
	assert_int_equal(vmeta_apply_al(p, VMETA_INDEX_FLEX, &info, &e), 0);
	assert_int_equal(info.n_hot, 2);
	assert_int_equal(info.extents_applied, 1);
	assert_int_equal(info.extents_skipped, 1);
	assert_int_equal(info.bits_set, 1024);
	check_bitmap(p, &c, true);
	run_case(&c, "primary, one extent beyond la-size");
}

/* No valid block at all on a Primary: refuse (both), change nothing. */
static void primary_no_valid_log(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 10, .zero_al = true, .corrupt_block = -1,
		.rc = -EBADMSG, .drbdmeta_fails = true,
	};

	(void)state;
	run_case(&c, "primary, no valid AL block");
}

/* ... on a Secondary the log does not matter: re-initialise and go on. */
static void secondary_no_valid_log(void **state)
{
	const struct al_case c = {
		.flags = 0, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 10, .zero_al = true, .corrupt_block = -1,
		.rc = 0,
	};

	(void)state;
	run_case(&c, "secondary, no valid AL block");
}

/* The last extent, ending exactly at the end of the bitmap that covers
 * la_size (la = 224 extents, bitmap 28672 bytes, extent 223 = its last 128
 * bytes), belongs to the device and must be marked. */
static void last_extent_is_applied(void **state)
{
	const struct al_case c = {
		.flags = VMETA_MDF_PRIMARY_IND, .magic = VMETA_MAGIC_84_UNCLEAN,
		.la_extents = 224, .n_tr = 1, .corrupt_block = -1,
		.tr = { { .number = 1, .ctx_size = 4, .n_upd = 2, .upd = { { 0, 223 }, { 1, 222 } } } },
		.rc = 0, .n_hot = 2, .n_set = 2, .set = { 222, 223 },
	};

	(void)state;
	run_case(&c, "primary, last extent of the bitmap");
}

/* Refusals: no meta-data, a v09 superblock, apply-al on a device in use is
 * covered in the lab (O_EXCL needs a real block device). */
static void refusals(void **state)
{
	const char *p = tmeta_path("al-bad");
	struct vmeta_info info;
	struct vh_error e = { 0 };
	uint8_t *b;

	(void)state;
	tmeta_sparse(p, DEV_BYTES);
	assert_int_equal(vmeta_apply_al(p, VMETA_INDEX_FLEX, &info, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "wrong magic"));
	b = calloc(1, 4096);
	assert_non_null(b);
	b[60] = 0x83; b[61] = 0x74; b[62] = 0x02; b[63] = 0x6d;
	tmeta_write(p, 0, b, 4096);
	assert_int_equal(vmeta_apply_al(p, VMETA_INDEX_FLEX, &info, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "DRBD 9"));
	free(b);
	assert_int_equal(vmeta_apply_al(p, 5, &info, &e), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(primary_basic),
		cmocka_unit_test(primary_wraparound),
		cmocka_unit_test(primary_corrupt_block),
		cmocka_unit_test(secondary),
		cmocka_unit_test(primary_striped),
		cmocka_unit_test(primary_all_initialized),
		cmocka_unit_test(extents_beyond_la_size),
		cmocka_unit_test(primary_no_valid_log),
		cmocka_unit_test(secondary_no_valid_log),
		cmocka_unit_test(last_extent_is_applied),
		cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, tmeta_group_setup, tmeta_group_teardown);
}
