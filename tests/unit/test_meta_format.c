/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/meta pure functions: CRC32C, sizing, layouts, superblock, AL blocks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "meta/meta.h"

/* Bit-at-a-time CRC32C straight from the polynomial: the reference. */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return crc;
}

static void crc32c_known_vectors(void **state)
{
	const char *s = "123456789";
	uint8_t buf[4096];

	(void)state;
	/* The standard check value (with the usual ~0 seed and final inversion). */
	assert_int_equal(~vmeta_crc32c(~0u, s, 9), 0xE3069283u);
	/* iSCSI test vector (RFC 3720 B.4): 32 bytes of zero -> 0x8A9136AA. */
	memset(buf, 0, 32);
	assert_int_equal(~vmeta_crc32c(~0u, buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, 32);
	assert_int_equal(~vmeta_crc32c(~0u, buf, 32), 0x62A8AB43u);
	/* Every table entry, through single bytes, and random blocks. */
	for (unsigned int b = 0; b < 256; b++) {
		uint8_t c = (uint8_t)b;

		assert_int_equal(vmeta_crc32c(0, &c, 1), crc32c_bitwise(0, &c, 1));
	}
	srand(7);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rand();
		assert_int_equal(vmeta_crc32c((uint32_t)round, buf, sizeof(buf)),
				 crc32c_bitwise((uint32_t)round, buf, sizeof(buf)));
	}
}

static void al_init_block_bytes(void **state)
{
	uint8_t b[4096], z[4096] = { 0 };
	struct vmeta_al_tr tr;

	(void)state;
	vmeta_al_init_block(b);
	/* magic, tr 0, crc, type 0xFFFF, everything else zero */
	assert_memory_equal(b, "\x69\xcb\x65\xa2\0\0\0\0", 8);
	assert_int_equal(b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11], 0x709CC651);
	assert_int_equal(b[12], 0xff);
	assert_int_equal(b[13], 0xff);
	assert_memory_equal(b + 14, z, 4096 - 14);
	assert_true(vmeta_al_decode(b, &tr));
	assert_int_equal(tr.transaction_type, VMETA_AL_TR_INITIALIZED);
}

static void al_encode_decode_roundtrip(void **state)
{
	struct vmeta_al_tr in, out;
	uint8_t b[4096];

	(void)state;
	memset(&in, 0, sizeof(in));
	in.magic = VMETA_AL_MAGIC;
	in.tr_number = 0xFFFFFFFEu;
	in.transaction_type = VMETA_AL_TR_UPDATE;
	in.n_updates = 2;
	in.context_size = 1237;
	in.context_start_slot_nr = 919;
	for (int i = 0; i < VMETA_AL_UPDATES_PER_TR; i++) {
		in.update_slot_nr[i] = i < 2 ? (uint16_t)(7 + i) : 0xFFFF;
		in.update_extent_nr[i] = i < 2 ? (uint32_t)(1000 + i) : VMETA_AL_FREE;
	}
	for (int i = 0; i < VMETA_AL_CONTEXT_PER_TR; i++)
		in.context[i] = (uint32_t)(i * 3);
	vmeta_al_encode(&in, b);
	/* big-endian on disk */
	assert_memory_equal(b + 4, "\xff\xff\xff\xfe", 4);
	assert_memory_equal(b + 16, "\x04\xd5\x03\x97", 4);
	assert_memory_equal(b + 36, "\x00\x07\x00\x08\xff\xff", 6);
	assert_memory_equal(b + 164, "\x00\x00\x03\xe8", 4);
	assert_memory_equal(b + 4092, "\x00\x00\x0a\xc2", 4);	/* context[918] = 2754 */
	assert_true(vmeta_al_decode(b, &out));
	assert_int_equal(out.tr_number, in.tr_number);
	assert_int_equal(out.n_updates, 2);
	assert_int_equal(out.context_size, 1237);
	assert_int_equal(out.context_start_slot_nr, 919);
	assert_memory_equal(out.update_slot_nr, in.update_slot_nr, sizeof(in.update_slot_nr));
	assert_memory_equal(out.update_extent_nr, in.update_extent_nr, sizeof(in.update_extent_nr));
	assert_memory_equal(out.context, in.context, sizeof(in.context));
	/* Any flipped bit breaks the CRC; a wrong magic too. */
	b[2000] ^= 0x10;
	assert_false(vmeta_al_decode(b, &out));
	b[2000] ^= 0x10;
	assert_true(vmeta_al_decode(b, &out));
	b[0] = 0;
	assert_false(vmeta_al_decode(b, &out));
}

static void al_stripe_mapping(void **state)
{
	(void)state;
	for (unsigned int t = 0; t < 20; t++)
		assert_int_equal(vmeta_al_tr_block(t, 1, 8), t % 8);
	/* 2 stripes of 4: transactions alternate between the stripes. */
	assert_int_equal(vmeta_al_tr_block(0, 2, 4), 0);
	assert_int_equal(vmeta_al_tr_block(1, 2, 4), 4);
	assert_int_equal(vmeta_al_tr_block(2, 2, 4), 1);
	assert_int_equal(vmeta_al_tr_block(3, 2, 4), 5);
	assert_int_equal(vmeta_al_tr_block(7, 2, 4), 7);
	assert_int_equal(vmeta_al_tr_block(8, 2, 4), 0);
}

static void sizing_flexible(void **state)
{
	uint64_t n = 0;
	struct vh_error e;

	(void)state;
	assert_int_equal(vmeta_bm_bytes(0), 0);
	assert_int_equal(vmeta_bm_bytes(1), 4096);
	/* 100 GiB: 26,214,400 bits -> 3,276,800 bytes (already 4 KiB aligned) */
	assert_int_equal(vmeta_bm_bytes(100ull << 21), 3276800);
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, 100ull << 30, &n, &e), 0);
	assert_int_equal(n, 3313664);
	/* small disks: the kernel's 1 MiB floor */
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, 200ull << 20, &n, &e), 0);
	assert_int_equal(n, 1 << 20);
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, 0, &n, &e), 0);
	assert_int_equal(n, 1 << 20);
	/* 10 TiB: 320 MiB of bitmap + 36 KiB, beyond what indexed can do */
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, 10ull << 40, &n, &e), 0);
	assert_int_equal(n, (320ull << 20) + 36864);
	/* 1 PiB is the limit */
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, 1ull << 50, &n, &e), 0);
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, (1ull << 50) + 1, &n, &e), -EFBIG);
	assert_int_equal(e.code, -EFBIG);
}

static void sizing_indexed(void **state)
{
	uint64_t n = 0;
	struct vh_error e;

	(void)state;
	assert_int_equal(vmeta_min_md_bytes(0, 1ull << 30, &n, &e), 0);
	assert_int_equal(n, 128ull << 20);
	assert_int_equal(vmeta_min_md_bytes(3, 1ull << 30, &n, &e), 0);
	assert_int_equal(n, 512ull << 20);
	assert_int_equal(vmeta_min_md_bytes(0, 4396838551552ull, &n, &e), 0);
	assert_int_equal(vmeta_min_md_bytes(0, 4396838551553ull, &n, &e), -EFBIG);
	assert_non_null(strstr(e.msg, "flexible"));
	assert_int_equal(vmeta_min_md_bytes(-1, 1, &n, &e), -EINVAL);
	assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_MAX + 1, 1, &n, &e), -EINVAL);
}

/* The minimum size really holds the backing device, for the kernel's rule
 * (bitmap sectors x 32768 >= data sectors), at awkward sizes too. */
static void sizing_covers_backing(void **state)
{
	static const uint64_t sizes[] = {
		1, 511, 512, 4095, 4097, 1ull << 20, (200ull << 20) + 512,
		(32ull << 30) - 1, 32ull << 30, (32ull << 30) + 4096, (1ull << 40) + 12345,
		3ull << 40, (7ull << 40) + 511,
	};
	struct vmeta_layout l;
	struct vh_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t n = 0, sect = (sizes[i] + 511) / 512;

		assert_int_equal(vmeta_min_md_bytes(VMETA_INDEX_FLEX, sizes[i], &n, &e), 0);
		assert_int_equal(vmeta_layout_new(VMETA_INDEX_FLEX, n, &l, &e), 0);
		assert_true(l.max_data_bytes >= sizes[i]);
		assert_true((l.md_bytes - (l.bm_offset - l.md_offset)) / 512 * 32768 >= sect);
		/* and one sector less would not do when above the 1 MiB floor */
		if (n > (1u << 20)) {
			assert_int_equal(vmeta_layout_new(VMETA_INDEX_FLEX, n - 4096, &l, &e), 0);
			assert_true(l.max_data_bytes < sizes[i]);
		}
	}
}

static void layouts(void **state)
{
	struct vmeta_layout l;
	struct vh_error e;

	(void)state;
	assert_int_equal(vmeta_layout_new(0, 128ull << 20, &l, &e), 0);
	assert_int_equal(l.md_offset, 0);
	assert_int_equal(l.al_offset, 4096);
	assert_int_equal(l.bm_offset, 36864);
	assert_int_equal(l.bm_bytes, 134180864);
	assert_int_equal(l.max_data_bytes, 4396838551552ull);
	assert_int_equal(vmeta_layout_new(2, 3 * (128ull << 20), &l, &e), 0);
	assert_int_equal(l.md_offset, 2 * (128ull << 20));
	assert_int_equal(l.bm_offset, 2 * (128ull << 20) + 36864);
	assert_int_equal(vmeta_layout_new(2, 3 * (128ull << 20) - 512, &l, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "402653184"));
	assert_int_equal(vmeta_layout_new(VMETA_INDEX_FLEX, (1 << 20) + 1000, &l, &e), 0);
	assert_int_equal(l.md_bytes, 2049 * 512);
	assert_int_equal(l.bm_bytes, (2049 - 72) * 512);
	assert_int_equal(vmeta_layout_new(VMETA_INDEX_FLEX, (1 << 20) - 512, &l, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "1048576"));
}

/* The 96 leading bytes drbdmeta writes for index 0 (DRBD84-DM-SPEC B.7.1). */
static void superblock_bytes_index0(void **state)
{
	static const uint8_t want[96] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x83, 0x74, 0x02, 0x6b,
		0, 0x04, 0, 0, 0, 0, 0, 0x08, 0, 0, 0x01, 0x01, 0, 0, 0, 0x48,
		0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x08,
	};
	uint8_t b[4096], z[4096] = { 0 };
	struct vmeta_layout l;
	struct vmeta_sb sb, back;
	struct vh_error e;

	(void)state;
	assert_int_equal(vmeta_layout_new(0, 128ull << 20, &l, &e), 0);
	vmeta_sb_init(&sb, &l);
	vmeta_sb_encode(&sb, b);
	assert_memory_equal(b, want, sizeof(want));
	assert_memory_equal(b + 96, z, 4096 - 96);
	vmeta_sb_decode(b, &back);
	assert_memory_equal(&sb, &back, sizeof(sb));
	assert_int_equal(vmeta_sb_check(&back, 0, 128ull << 20, &l, &e), 0);
}

static void superblock_refusals(void **state)
{
	struct vmeta_layout l;
	struct vmeta_sb good, sb;
	struct vh_error e;
	uint64_t dev = 4ull << 20;

	(void)state;
	assert_int_equal(vmeta_layout_new(VMETA_INDEX_FLEX, dev, &l, &e), 0);
	vmeta_sb_init(&good, &l);
	assert_int_equal(vmeta_sb_check(&good, VMETA_INDEX_FLEX, dev, NULL, &e), 0);
	good.magic = VMETA_MAGIC_84_UNCLEAN;
	assert_int_equal(vmeta_sb_check(&good, VMETA_INDEX_FLEX, dev, NULL, &e), 0);

#define REFUSE(field, value, needle) do {						\
		sb = good;								\
		sb.field = value;							\
		assert_int_equal(vmeta_sb_check(&sb, VMETA_INDEX_FLEX, dev, NULL, &e), -EBADMSG); \
		assert_non_null(strstr(e.msg, needle));					\
	} while (0)
	REFUSE(magic, 0, "wrong magic");
	REFUSE(magic, 0x12345678, "wrong magic 0x12345678");
	REFUSE(magic, VMETA_MAGIC_09, "DRBD 9");
	REFUSE(magic, VMETA_MAGIC_07, "0.7");
	REFUSE(bm_bytes_per_bit, 8192, "bm_bytes_per_bit");
	REFUSE(al_offset, -64, "al_offset");
	REFUSE(bm_offset, 40, "bm_offset");
	REFUSE(bm_offset, 73, "bm_offset");
	REFUSE(bm_offset, 80, "bm_offset");		/* a gap after the AL */
	REFUSE(al_stripes, 0, "striping");
	REFUSE(al_stripe_size_4k, 4, "striping");
	REFUSE(md_size_sect, 72, "md_size_sect");
	REFUSE(md_size_sect, (uint32_t)(dev / 512 + 1), "md_size_sect");
	/* a 4 MiB device's bitmap covers (8192 - 72) x 32768 sectors */
	REFUSE(la_size_sect, (8192ull - 72) * 32768 + 1, "la_size_sect");
	sb = good;
	sb.la_size_sect = (8192ull - 72) * 32768;
	assert_int_equal(vmeta_sb_check(&sb, VMETA_INDEX_FLEX, dev, NULL, &e), 0);
	/* at most 8192 AL blocks (drbdmeta's 32 MiB), the bitmap right after */
	sb = good;
	sb.al_stripes = 1;
	sb.al_stripe_size_4k = 8193;
	sb.bm_offset = 8 + 8193 * 8;
	sb.md_size_sect = 8 + 8193 * 8 + 8;
	assert_int_equal(vmeta_sb_check(&sb, VMETA_INDEX_FLEX, 64ull << 20, NULL, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "striping"));
	sb.al_stripes = 2;
	sb.al_stripe_size_4k = 4096;
	sb.bm_offset = 8 + 8192 * 8;
	assert_int_equal(vmeta_sb_check(&sb, VMETA_INDEX_FLEX, 64ull << 20, &l, &e), 0);
	assert_int_equal(l.al_bytes, 32ull << 20);
	/* legacy 0/0 striping means 1 x 8 */
	sb = good;
	sb.al_stripes = sb.al_stripe_size_4k = 0;
	assert_int_equal(vmeta_sb_check(&sb, VMETA_INDEX_FLEX, dev, &l, &e), 0);
	assert_int_equal(l.al_bytes, 32768);
	/* flexible meta-data read as indexed: md_size_sect must be 262144 */
	assert_int_equal(vmeta_sb_check(&good, 0, 128ull << 20, NULL, &e), -EBADMSG);
	/* indexed meta-data beyond the end of the device */
	assert_int_equal(vmeta_layout_new(0, 128ull << 20, &l, &e), 0);
	vmeta_sb_init(&sb, &l);
	assert_int_equal(vmeta_sb_check(&sb, 1, (256ull << 20) - 512, NULL, &e), -EBADMSG);
	assert_int_equal(vmeta_sb_check(&sb, 1, 256ull << 20, NULL, &e), 0);
}

static void bitmap_set_extents(void **state)
{
	static const uint32_t hot[] = { 0, 2, 31, 32, 40 };
	uint8_t bm[8192] = { 0 };
	unsigned int applied = 0;

	(void)state;
	bm[2 * 128 + 5] = 0x0f;		/* 4 bits already set in extent 2 */
	/* window = bitmap bytes [0, 4096): extents 0..31 */
	assert_int_equal(vmeta_bm_set_extents(bm, 0, 4096, hot, 5, &applied), 3 * 1024 - 4);
	assert_int_equal(applied, 3);
	assert_int_equal(bm[0], 0xff);
	assert_int_equal(bm[127], 0xff);
	assert_int_equal(bm[128], 0);
	assert_int_equal(bm[4095], 0xff);
	assert_int_equal(bm[4096], 0);
	/* second window, addressed by its offset */
	assert_int_equal(vmeta_bm_set_extents(bm + 4096, 4096, 4096, hot, 5, &applied), 2048);
	assert_int_equal(applied, 5);
	assert_int_equal(bm[4096], 0xff);
	assert_int_equal(bm[40 * 128 + 127], 0xff);
	assert_int_equal(bm[41 * 128], 0);
	/* an extent that does not fit wholly is left alone */
	memset(bm, 0, sizeof(bm));
	assert_int_equal(vmeta_bm_set_extents(bm, 0, 4096 + 64, hot + 3, 1, &applied), 0);
	assert_int_equal(bm[4096], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crc32c_known_vectors),
		cmocka_unit_test(al_init_block_bytes),
		cmocka_unit_test(al_encode_decode_roundtrip),
		cmocka_unit_test(al_stripe_mapping),
		cmocka_unit_test(sizing_flexible),
		cmocka_unit_test(sizing_indexed),
		cmocka_unit_test(sizing_covers_backing),
		cmocka_unit_test(layouts),
		cmocka_unit_test(superblock_bytes_index0),
		cmocka_unit_test(superblock_refusals),
		cmocka_unit_test(bitmap_set_extents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
