/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmeta_create/wipe/read on regular files, compared byte for byte with what
 * drbdmeta (drbd-utils, v08 format) writes on the same kind of file, and
 * each side reading what the other wrote.  Skips if drbdmeta is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "meta/dev.h"
#include "meta/meta.h"
#include "support_meta.h"

#define MiB (1ull << 20)

struct md_case {
	int index;
	uint64_t size;
};

static const struct md_case cases[] = {
	{ VMETA_INDEX_FLEX, MiB },			/* the smallest the kernel takes */
	{ VMETA_INDEX_FLEX, MiB + 1000 },		/* not a multiple of 512 */
	{ VMETA_INDEX_FLEX, 3313664 + 3 * 512 },	/* 100 GiB backing, odd sectors */
	{ VMETA_INDEX_FLEX, 33 * MiB + 36864 },		/* ~1 TiB backing */
	{ VMETA_INDEX_FLEX, 1025 * MiB + 4096 * 3 + 512 },	/* large, sparse */
	{ 0, 128 * MiB },
	{ 0, 200 * MiB + 100 },				/* not 4 KiB aligned */
	{ 1, 256 * MiB },
	{ 2, 3 * 128 * MiB + 12345 },
};

static const char *idx_arg(int index, char *buf, size_t len)
{
	if (index == VMETA_INDEX_FLEX)
		return "flex-external";
	snprintf(buf, len, "%d", index);
	return buf;
}

static int drbdmeta(char **out, const char *path, int index, const char *cmd)
{
	char ib[16];

	return tmeta_sh(out, "drbdmeta --force %d v08 '%s' %s %s", tmeta_minor(), path,
			idx_arg(index, ib, sizeof(ib)), cmd);
}

/* Parse "<key> <number>" from a drbdmeta dump-md text. */
static uint64_t dump_num(const char *dump, const char *key)
{
	const char *p = strstr(dump, key);

	assert_non_null(p);
	return strtoull(p + strlen(key), NULL, 0);
}

static void create_matches_drbdmeta(void **state)
{
	(void)state;
	if (!tmeta_have_drbdmeta())
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct md_case *c = &cases[i];
		const char *ours = tmeta_path("ours"), *theirs = tmeta_path("theirs");
		struct vmeta_create_opts o = { .index = c->index };
		struct vmeta_info info;
		struct vh_error e = { 0 };
		struct vmeta_layout l;
		char *dump = NULL;
		int64_t diff;

		print_message("  index %d, %" PRIu64 " bytes\n", c->index, c->size);
		tmeta_sparse(ours, c->size);
		tmeta_sparse(theirs, c->size);
		assert_int_equal(vmeta_create(ours, &o, &info, &e), 0);
		assert_int_equal(drbdmeta(NULL, theirs, c->index, "create-md"), 0);
		assert_int_equal(vmeta_layout_new(c->index, c->size, &l, &e), 0);
		assert_int_equal(info.layout.bm_offset, l.bm_offset);
		/* the whole file, superblock + AL + bitmap + the rest, is identical */
		diff = tmeta_cmp(ours, theirs);
		if (diff >= 0)
			fail_msg("index %d size %" PRIu64 ": first difference at byte %" PRId64,
				 c->index, c->size, diff);
		assert_int_equal(tmeta_size(ours), c->size);
		assert_true(tmeta_zero(ours, l.bm_offset, l.bm_bytes));

		/* drbdmeta reads ours: dump-md accepts it and sees our layout */
		assert_int_equal(drbdmeta(&dump, ours, c->index, "dump-md"), 0);
		assert_int_equal(dump_num(dump, "# md_size_sect "), l.md_bytes / 512);
		assert_int_equal(dump_num(dump, "# md_offset "), l.md_offset);
		assert_int_equal(dump_num(dump, "# al_offset "), l.al_offset);
		assert_int_equal(dump_num(dump, "# bm_offset "), l.bm_offset);
		assert_int_equal(dump_num(dump, "la-size-sect "), 0);
		assert_int_equal(dump_num(dump, "al-stripes "), 1);
		assert_int_equal(dump_num(dump, "al-stripe-size-4k "), 8);
		assert_non_null(strstr(dump, "0x0000000000000004; 0x0000000000000000; "
				       "0x0000000000000000; 0x0000000000000000;"));
		assert_null(strstr(dump, "unclean"));
		free(dump);

		/* we read theirs */
		memset(&info, 0, sizeof(info));
		assert_int_equal(vmeta_read(theirs, c->index, &info, &e), 0);
		assert_int_equal(info.sb.magic, VMETA_MAGIC_08);
		assert_int_equal(info.sb.flags, VMETA_MDF_AL_CLEAN);
		assert_int_equal(info.sb.uuid[VMETA_UI_CURRENT], VMETA_UUID_JUST_CREATED);
		assert_int_equal(info.layout.md_offset, l.md_offset);
		assert_int_equal(info.layout.bm_bytes, l.bm_bytes);
		assert_int_equal(info.al_valid_blocks, 8);
	}
}

/* A dirty device: create must zero the whole bitmap area, not just a prefix,
 * and leave bytes outside the meta-data area alone. */
static void create_zeroes_whole_bitmap(void **state)
{
	static const uint64_t spots[] = {	/* inside index 1's bitmap area */
		128 * MiB + 36864, 128 * MiB + 40000, 192 * MiB, 256 * MiB - 4096, 256 * MiB - 1,
	};
	const char *p = tmeta_path("dirty");
	struct vmeta_create_opts o = { .index = 1 };
	struct vmeta_info info;
	struct vh_error e = { 0 };
	uint8_t junk[4096], *b;

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	tmeta_sparse(p, 256 * MiB + 4096);
	tmeta_write(p, 128 * MiB - 4096, junk, 4096);	/* before the area */
	tmeta_write(p, 256 * MiB, junk, 4096);		/* after it */
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++)
		tmeta_write(p, spots[i], junk, 1);
	assert_false(tmeta_zero(p, 128 * MiB + 36864, 128 * MiB - 36864));
	assert_int_equal(vmeta_create(p, &o, &info, &e), 0);
	assert_true(tmeta_zero(p, 128 * MiB + 36864, 128 * MiB - 36864));
	b = tmeta_read(p, 128 * MiB - 4096, 4096);
	assert_memory_equal(b, junk, 4096);
	free(b);
	b = tmeta_read(p, 256 * MiB, 4096);
	assert_memory_equal(b, junk, 4096);
	free(b);
	assert_int_equal(info.zeroed_bytes, 128 * MiB - 36864);
	/* the junk had no DRBD magic, so no --force was needed */
	tmeta_filled(p, 2 * MiB, 0xff);
	o.index = VMETA_INDEX_FLEX;
	assert_int_equal(vmeta_create(p, &o, &info, &e), 0);
	assert_true(tmeta_zero(p, 36864, 2 * MiB - 36864));
}

static void create_refusals(void **state)
{
	const char *p = tmeta_path("small");
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX };
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	/* too small: says the required size */
	tmeta_sparse(p, MiB - 4096);
	assert_int_equal(vmeta_create(p, &o, &info, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "1048576"));
	o.index = 0;
	tmeta_sparse(p, 128 * MiB - 512);
	assert_int_equal(vmeta_create(p, &o, &info, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "134217728"));
	/* too small for the backing device it is meant for */
	o.index = VMETA_INDEX_FLEX;
	o.backing_bytes = 100ull << 30;
	tmeta_sparse(p, 2 * MiB);
	assert_int_equal(vmeta_create(p, &o, &info, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "3313664"));
	tmeta_sparse(p, 3313664);
	assert_int_equal(vmeta_create(p, &o, &info, &e), 0);
	assert_true(info.layout.max_data_bytes >= 100ull << 30);
	/* existing meta-data: refused unless forced */
	o.backing_bytes = 0;
	assert_int_equal(vmeta_create(p, &o, &info, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "--force"));
	o.force = true;
	assert_int_equal(vmeta_create(p, &o, &info, &e), 0);
	/* missing device */
	assert_int_equal(vmeta_create(tmeta_path("nope"), &o, &info, &e), -ENOENT);
	/* not a device or file */
	assert_int_equal(vmeta_create(tmeta_dir(), &o, &info, &e), -EISDIR);
}

static void wipe_and_read(void **state)
{
	const char *ours = tmeta_path("w1"), *theirs = tmeta_path("w2");
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX };
	struct vmeta_info info;
	struct vh_error e = { 0 };
	char *out = NULL;

	(void)state;
	if (!tmeta_have_drbdmeta())
		skip();
	tmeta_sparse(ours, 4 * MiB);
	assert_int_equal(vmeta_create(ours, &o, &info, &e), 0);
	tmeta_copy(ours, theirs);
	assert_int_equal(vmeta_wipe(ours, VMETA_INDEX_FLEX, false, &info, &e), 0);
	assert_int_equal(info.sb.magic, VMETA_MAGIC_08);
	assert_int_equal(drbdmeta(NULL, theirs, VMETA_INDEX_FLEX, "wipe-md"), 0);
	assert_int_equal(tmeta_cmp(ours, theirs), -1);
	assert_true(tmeta_zero(ours, 0, 4096));
	/* nothing there any more: read refuses with the magic, drbdmeta too */
	assert_int_equal(vmeta_read(ours, VMETA_INDEX_FLEX, &info, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "wrong magic 0x00000000"));
	assert_int_not_equal(drbdmeta(&out, ours, VMETA_INDEX_FLEX, "dump-md"), 0);
	free(out);
	/* wipe again: refused without force, done with it */
	assert_int_equal(vmeta_wipe(ours, VMETA_INDEX_FLEX, false, &info, &e), -EBADMSG);
	assert_int_equal(vmeta_wipe(ours, VMETA_INDEX_FLEX, true, &info, &e), 0);
	/* create again without force: the old one is gone, so allowed */
	assert_int_equal(vmeta_create(ours, &o, &info, &e), 0);
}

/* drbdmeta writes a superblock with unusual values (restore-md); our reader
 * must decode each field as drbdmeta meant it, bitmap bits included. */
static void read_what_drbdmeta_restored(void **state)
{
	const char *p = tmeta_path("restored"), *txt = tmeta_path("dump.txt");
	struct vmeta_create_opts o = { .index = 0 };
	struct vmeta_info info;
	struct vh_error e = { 0 };
	FILE *f;

	(void)state;
	if (!tmeta_have_drbdmeta())
		skip();
	tmeta_sparse(p, 128 * MiB);
	assert_int_equal(vmeta_create(p, &o, &info, &e), 0);
	f = fopen(txt, "w");
	assert_non_null(f);
	fprintf(f, "version \"v08\";\n"
		"uuid {\n 0x1234567890ABCDEF; 0x0000000000000000; 0x1111111111111110; "
		"0x2222222222222222;\n flags 0x00000093;\n}\n"
		"la-size-sect 1646592;\nbm-byte-per-bit 4096;\n"
		"device-uuid 0xDEADBEEF00000001;\nla-peer-max-bio-size 131072;\n"
		"al-stripes 1;\nal-stripe-size-4k 8;\n"
		"bm {\n 0x0000000000000000; 0xFFFFFFFF00000001; 0x8000000000000000; "
		"3581 times 0x0000000000000000;\n}\n");
	fclose(f);
	assert_int_equal(tmeta_sh(NULL, "drbdmeta --force %d v08 '%s' 0 restore-md '%s'", tmeta_minor(), p, txt), 0);
	assert_int_equal(vmeta_read(p, 0, &info, &e), 0);
	assert_int_equal(info.sb.uuid[0], 0x1234567890ABCDEFull);
	assert_int_equal(info.sb.uuid[1], 0);
	assert_int_equal(info.sb.uuid[2], 0x1111111111111110ull);
	assert_int_equal(info.sb.uuid[3], 0x2222222222222222ull);
	assert_int_equal(info.sb.flags, 0x93);
	assert_int_equal(info.sb.la_size_sect, 1646592);
	assert_int_equal(info.sb.device_uuid, 0xDEADBEEF00000001ull);
	assert_int_equal(info.sb.la_peer_max_bio_size, 131072);
	assert_int_equal(info.sb.magic, VMETA_MAGIC_08);
	assert_int_equal(info.bm_bits_set, 33 + 1);
}

/* Our encoder, drbdmeta's decoder: every field of a superblock we encode by
 * hand shows up in drbdmeta's dump-md / get-gi. */
static void drbdmeta_reads_our_fields(void **state)
{
	const char *p = tmeta_path("fields");
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX };
	struct vmeta_info info;
	struct vh_error e = { 0 };
	uint8_t *sb = malloc(4096);
	char *out = NULL;

	(void)state;
	if (!tmeta_have_drbdmeta())
		skip();
	tmeta_sparse(p, 8 * MiB);
	assert_int_equal(vmeta_create(p, &o, &info, &e), 0);
	info.sb.uuid[0] = 0xA1B2C3D4E5F60708ull;
	info.sb.uuid[1] = 0x0102030405060708ull;
	info.sb.uuid[2] = 0x1112131415161718ull;
	info.sb.uuid[3] = 0x2122232425262728ull;
	info.sb.flags = VMETA_MDF_CONSISTENT | VMETA_MDF_PRIMARY_IND | VMETA_MDF_AL_CLEAN |
			VMETA_MDF_CRASHED_PRIMARY;
	info.sb.la_size_sect = 123456789;
	info.sb.device_uuid = 0x0F0E0D0C0B0A0908ull;
	info.sb.la_peer_max_bio_size = 1 << 20;
	vmeta_sb_encode(&info.sb, sb);
	tmeta_write(p, 0, sb, 4096);
	free(sb);
	assert_int_equal(tmeta_sh(&out, "drbdmeta --force %d v08 '%s' flex-external dump-md", tmeta_minor(), p), 0);
	assert_non_null(strstr(out, "0xA1B2C3D4E5F60708; 0x0102030405060708; "
			       "0x1112131415161718; 0x2122232425262728;"));
	assert_int_equal(dump_num(out, "la-size-sect "), 123456789);
	assert_int_equal(dump_num(out, "device-uuid "), 0x0F0E0D0C0B0A0908ull);
	assert_int_equal(dump_num(out, "la-peer-max-bio-size "), 1 << 20);
	assert_int_equal(dump_num(out, "# md_size_sect "), 16384);
	free(out);
	/* get-gi: consistent, was-up-to-date, primary, connected, full-sync,
	 * peer-outdated, crashed-primary */
	assert_int_equal(tmeta_sh(&out, "drbdmeta --force %d v08 '%s' flex-external get-gi "
				  "2>/dev/null", tmeta_minor(), p), 0);
	assert_non_null(strstr(out, "A1B2C3D4E5F60708:0102030405060708:1112131415161718:"
			       "2122232425262728:1:0:1:0:0:0:1"));
	free(out);
}

/* Both ways of zeroing: a hole (fast) and the write fallback in 8 MiB
 * aligned chunks, over a range that is not a multiple of the chunk. */
static void zeroing_paths(void **state)
{
	const char *p = tmeta_path("zero");
	const uint64_t off = 4096, len = 9 * MiB + 512;
	enum vmeta_zero_method m = VMETA_ZERO_NONE;
	struct vh_error e = { 0 };
	struct vmeta_dev d;
	uint8_t *b;

	(void)state;
	for (int fast = 0; fast < 2; fast++) {
		tmeta_filled(p, 12 * MiB, 0x5a);
		assert_int_equal(vmeta_dev_open(p, true, &d, &e), 0);
		assert_int_equal(vmeta_dev_zero(&d, off, len, fast, &m, &e), 0);
		assert_int_equal(vmeta_dev_flush(&d, &e), 0);
		/* a range past the end is refused, nothing written */
		assert_int_equal(vmeta_dev_zero(&d, 12 * MiB - 512, 1024, fast, &m, &e), -ENOSPC);
		vmeta_dev_close(&d);
		assert_int_equal(m, fast ? VMETA_ZERO_PUNCH : VMETA_ZERO_WRITE);
		assert_true(tmeta_zero(p, off, len));
		b = tmeta_read(p, off - 1, 1);
		assert_int_equal(b[0], 0x5a);
		free(b);
		b = tmeta_read(p, off + len, 1);
		assert_int_equal(b[0], 0x5a);
		free(b);
		b = tmeta_read(p, 12 * MiB - 1, 1);
		assert_int_equal(b[0], 0x5a);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_matches_drbdmeta),
		cmocka_unit_test(create_zeroes_whole_bitmap),
		cmocka_unit_test(create_refusals),
		cmocka_unit_test(wipe_and_read),
		cmocka_unit_test(read_what_drbdmeta_restored),
		cmocka_unit_test(drbdmeta_reads_our_fields),
		cmocka_unit_test(zeroing_paths),
	};

	return cmocka_run_group_tests(tests, tmeta_group_setup, tmeta_group_teardown);
}
