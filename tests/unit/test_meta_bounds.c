/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every read of src/meta is bounded by its buffer and by the device: meta-data
 * whose superblock claims a large activity log (issue 9, item 1: a 12 MiB file
 * claiming an 8 MiB AL overflowed vmeta_read's 4 MiB buffer) is read whole
 * when the layout is one DRBD 8.4 can have, and refused (EBADMSG, exit 4)
 * when it is not.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "meta/meta.h"
#include "support_meta.h"
#include "../../tools/vmhop.h"

#define MiB (1ull << 20)

/* Flexible meta-data on a sparse file of @size bytes whose superblock says
 * @stripes x @stripe_4k activity-log blocks (all valid initialized
 * transactions) and a bitmap at @bm_offset sectors. */
static void build(const char *path, uint64_t size, uint32_t stripes, uint32_t stripe_4k,
		  int32_t bm_offset, uint32_t flags, uint32_t magic)
{
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX };
	uint64_t al_bytes = (uint64_t)stripes * stripe_4k * 4096;
	struct vmeta_info info;
	struct vh_error e = { 0 };
	uint8_t sb[4096], *al;

	tmeta_sparse(path, size);
	assert_int_equal(vmeta_create(path, &o, &info, &e), 0);
	info.sb.al_stripes = stripes;
	info.sb.al_stripe_size_4k = stripe_4k;
	info.sb.bm_offset = bm_offset;
	info.sb.flags = flags;
	info.sb.magic = magic;
	vmeta_sb_encode(&info.sb, sb);
	tmeta_write(path, 0, sb, sizeof(sb));
	/* (a log longer than we accept is refused unread: no need to write it) */
	if (4096 + al_bytes <= size && al_bytes <= VMETA_AL_4K_MAX * 4096ull) {
		al = malloc(al_bytes);
		assert_non_null(al);
		vmeta_al_init(al, (unsigned int)(al_bytes / 4096));
		tmeta_write(path, 4096, al, al_bytes);
		free(al);
	}
}

/* The file of the issue: 12 MiB, AL 1 x 2048 blocks (8 MiB), bitmap right
 * after it.  drbdmeta create-md --al-stripe-size-kB 8192 makes exactly this
 * layout, and the kernel attaches it: it must be read whole, not refused and
 * not overflowed. */
static void large_al_is_read_whole(void **state)
{
	const char *p = tmeta_path("al8m");
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	build(p, 12 * MiB, 1, 2048, 8 + 16384, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	memset(&info, 0, sizeof(info));
	assert_int_equal(vmeta_read(p, VMETA_INDEX_FLEX, &info, &e), 0);
	assert_int_equal(info.layout.al_bytes, 8 * MiB);
	assert_int_equal(info.layout.bm_offset, 4096 + 8 * MiB);
	/* every one of the 2048 blocks was looked at, not just the first 4 MiB */
	assert_int_equal(info.al_valid_blocks, 2048);
}

/* Same file, but the bitmap starts 4 KiB after the end of the AL: neither the
 * kernel (check_offsets_and_sizes) nor drbdmeta (is_valid_md) accepts a gap. */
static void gap_after_al_is_refused(void **state)
{
	const char *p = tmeta_path("gap");
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	build(p, 12 * MiB, 1, 2048, 8 + 16384 + 8, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	assert_int_equal(vmeta_read(p, VMETA_INDEX_FLEX, &info, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "bm_offset"));
	assert_int_equal(vmeta_apply_al(p, VMETA_INDEX_FLEX, &info, &e), -EBADMSG);
}

/* An AL of 64 MiB: more than drbdmeta can create or replay (32 MiB), though
 * the kernel's own bound is 16 GiB.  Refused before anything is read. */
static void al_beyond_32mib_is_refused(void **state)
{
	const char *p = tmeta_path("al64m");
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	build(p, 100 * MiB, 1, 16384, 8 + 131072, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	assert_int_equal(vmeta_read(p, VMETA_INDEX_FLEX, &info, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "activity log"));
	/* the largest drbdmeta makes (4 x 8 MiB = 32 MiB) is still read */
	build(p, 100 * MiB, 4, 2048, 8 + 65536, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	memset(&info, 0, sizeof(info));
	assert_int_equal(vmeta_read(p, VMETA_INDEX_FLEX, &info, &e), 0);
	assert_int_equal(info.al_valid_blocks, 8192);
}

/* apply-al on a Primary's 8 MiB AL: the replay sees all 2048 blocks and the
 * log is re-initialised whole. */
static void apply_al_large_log(void **state)
{
	const char *p = tmeta_path("al8m-apply");
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	build(p, 12 * MiB, 1, 2048, 8 + 16384, VMETA_MDF_PRIMARY_IND, VMETA_MAGIC_84_UNCLEAN);
	memset(&info, 0, sizeof(info));
	assert_int_equal(vmeta_apply_al(p, VMETA_INDEX_FLEX, &info, &e), 0);
	assert_int_equal(info.replay_rc, 0);	/* all initialized: nothing to apply */
	assert_int_equal(info.al_valid, 2048);
	assert_true(info.sb_written);
	memset(&info, 0, sizeof(info));
	assert_int_equal(vmeta_read(p, VMETA_INDEX_FLEX, &info, &e), 0);
	assert_int_equal(info.sb.magic, VMETA_MAGIC_08);
	assert_int_equal(info.al_valid_blocks, 2048);
}

/* The replay reads only the bytes it is given: a buffer shorter than the
 * striping says, or a striping the format cannot have, is refused. */
static void replay_bounded_by_buffer(void **state)
{
	struct vmeta_al_replay rp = { 0 };
	uint8_t *al = malloc(16 * 4096);

	(void)state;
	assert_non_null(al);
	rp.hot = calloc(VMETA_AL_SLOTS_MAX, sizeof(*rp.hot));
	assert_non_null(rp.hot);
	vmeta_al_init(al, 16);
	assert_int_equal(vmeta_al_replay(al, 16 * 4096, 2, 8, &rp), 0);
	assert_int_equal(rp.valid, 16);
	assert_int_equal(vmeta_al_replay(al, 16 * 4096 - 1, 2, 8, &rp), -EINVAL);
	assert_int_equal(vmeta_al_replay(al, 16 * 4096, 4, 8, &rp), -EINVAL);
	assert_int_equal(vmeta_al_replay(al, 16 * 4096, 0, 8, &rp), -EINVAL);
	assert_int_equal(vmeta_al_replay(al, 16 * 4096, 1, 4, &rp), -EINVAL);
	assert_int_equal(vmeta_al_replay(al, SIZE_MAX, 65536, 65536, &rp), -EINVAL);
	free(rp.hot);
	free(al);
}

/* Run "meta ARGS..." through the command line, output discarded. */
static int cli(const char *cmd, const char *dev)
{
	struct vh_ctx ctx = { .prog = "vmhop" };
	char *argv[] = { (char *)"meta", (char *)cmd, (char *)dev, NULL };
	int saved = dup(1), devnull = open("/dev/null", 0), rc;

	fflush(stdout);
	dup2(devnull, 1);
	rc = cmd_meta(&ctx, 3, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(devnull);
	return rc;
}

static void cli_exit_codes(void **state)
{
	const char *p = tmeta_path("cli-al");

	(void)state;
	build(p, 12 * MiB, 1, 2048, 8 + 16384, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	assert_int_equal(cli("dump", p), VH_EXIT_OK);
	build(p, 12 * MiB, 1, 2048, 8 + 16384 + 8, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	assert_int_equal(cli("dump", p), VH_EXIT_INVALID);
	assert_int_equal(cli("apply-al", p), VH_EXIT_INVALID);
	build(p, 100 * MiB, 1, 16384, 8 + 131072, VMETA_MDF_AL_CLEAN, VMETA_MAGIC_08);
	assert_int_equal(cli("dump", p), VH_EXIT_INVALID);
	assert_int_equal(cli("apply-al", p), VH_EXIT_INVALID);
}

/* drbdmeta's own 8 MiB-AL meta-data, on the 12 MiB file of the issue. */
static void drbdmeta_large_al(void **state)
{
	const char *p = tmeta_path("drbdmeta-al8m");
	struct vmeta_info info;
	struct vh_error e = { 0 };

	(void)state;
	if (!tmeta_have_drbdmeta())
		skip();
	tmeta_sparse(p, 12 * MiB);
	assert_int_equal(tmeta_sh(NULL, "drbdmeta --force %d v08 '%s' flex-external create-md "
				  "--al-stripes 1 --al-stripe-size-kB 8192", tmeta_minor(), p), 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(vmeta_read(p, VMETA_INDEX_FLEX, &info, &e), 0);
	assert_int_equal(info.layout.al_bytes, 8 * MiB);
	assert_int_equal(info.al_valid_blocks, 2048);
	/* and drbdmeta refuses to make what we refuse */
	tmeta_sparse(p, 100 * MiB);
	assert_int_not_equal(tmeta_sh(NULL, "drbdmeta --force %d v08 '%s' flex-external create-md "
				      "--al-stripes 1 --al-stripe-size-kB 65536", tmeta_minor(), p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(large_al_is_read_whole),
		cmocka_unit_test(gap_after_al_is_refused),
		cmocka_unit_test(al_beyond_32mib_is_refused),
		cmocka_unit_test(apply_al_large_log),
		cmocka_unit_test(replay_bounded_by_buffer),
		cmocka_unit_test(cli_exit_codes),
		cmocka_unit_test(drbdmeta_large_al),
	};

	return cmocka_run_group_tests(tests, tmeta_group_setup, tmeta_group_teardown);
}
