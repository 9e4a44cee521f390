/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one parser of numbers, sizes and durations (core/num.h): every form
 * each flag accepts, every form it refuses, and the edges of 64 bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/num.h"

#define U_OK(s, fl, max, want)	do {						\
		uint64_t v_ = 12345;						\
		int r_ = vnum_u64(s, fl, max, &v_);				\
		if (r_ || v_ != (uint64_t)(want))				\
			fail_msg("vnum_u64(\"%s\", %#x): %d, %llu (want %llu)",	\
				 s, (unsigned)(fl), r_, (unsigned long long)v_,	\
				 (unsigned long long)(want));			\
	} while (0)
#define U_BAD(s, fl, max, err)	do {						\
		uint64_t v_ = 12345;						\
		int r_ = vnum_u64(s, fl, max, &v_);				\
		if (r_ != (err) || v_ != 12345)					\
			fail_msg("vnum_u64(\"%s\", %#x): %d (want %d), ret %llu",	\
				 s ? s : "(null)", (unsigned)(fl), r_, err,	\
				 (unsigned long long)v_);			\
	} while (0)
#define I_OK(s, fl, min, max, want)	do {					\
		int64_t v_ = 12345;						\
		int r_ = vnum_i64(s, fl, min, max, &v_);			\
		if (r_ || v_ != (int64_t)(want))				\
			fail_msg("vnum_i64(\"%s\", %#x): %d, %lld (want %lld)",	\
				 s, (unsigned)(fl), r_, (long long)v_,		\
				 (long long)(want));				\
	} while (0)
#define I_BAD(s, fl, min, max, err)	do {					\
		int64_t v_ = 12345;						\
		int r_ = vnum_i64(s, fl, min, max, &v_);			\
		if (r_ != (err) || v_ != 12345)					\
			fail_msg("vnum_i64(\"%s\", %#x): %d (want %d)", s,	\
				 (unsigned)(fl), r_, err);			\
	} while (0)

/* flags 0: decimal digits, no leading zero; what a minor, a port, a count is */
static void strict_decimal(void **state)
{
	static const char *const bad[] = {
		"", "00", "010", "0x10", "+5", "-5", "-0", " 5", "5 ", "5\n", "1e3", "5.0", "five",
		"5k", "１",
	};

	(void)state;
	U_OK("0", 0, 0, 0);
	U_OK("7", 0, 7, 7);
	U_OK("1048575", 0, (1u << 20) - 1, 1048575);
	U_OK("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		U_BAD(bad[i], 0, UINT64_MAX, -EINVAL);
	U_BAD(NULL, 0, 10, -EINVAL);
	/* out of range, overflow included: never wrapped */
	U_BAD("1048576", 0, (1u << 20) - 1, -ERANGE);
	U_BAD("5", 0, 0, -ERANGE);
	U_BAD("18446744073709551616", 0, UINT64_MAX, -ERANGE);
	U_BAD("99999999999999999999999999", 0, UINT64_MAX, -ERANGE);
	/* a bad character is a bad number, however big the digits before it */
	U_BAD("99999999999999999999999999x", 0, UINT64_MAX, -EINVAL);
}

/* VNUM_ZEROS: leading zeros are decimal, nothing else changes */
static void leading_zeros(void **state)
{
	(void)state;
	U_OK("007", VNUM_ZEROS, 10, 7);
	U_OK("010", VNUM_ZEROS, 10, 10);
	U_OK("00", VNUM_ZEROS, 10, 0);
	U_OK("000000000000000000000000018446744073709551615", VNUM_ZEROS, UINT64_MAX, UINT64_MAX);
	U_BAD("0x10", VNUM_ZEROS, 100, -EINVAL);
	U_BAD(" 7", VNUM_ZEROS, 100, -EINVAL);
	U_BAD("+7", VNUM_ZEROS, 100, -EINVAL);
	U_BAD("-7", VNUM_ZEROS, 100, -EINVAL);
	U_BAD("011", VNUM_ZEROS, 10, -ERANGE);
}

/* VNUM_C: strtoll(s, NULL, 0)'s syntax, drbdsetup's */
static void c_syntax(void **state)
{
	(void)state;
	U_OK("0x10", VNUM_C, 100, 16);
	U_OK("0X1f", VNUM_C, 100, 31);
	U_OK("010", VNUM_C, 100, 8);
	U_OK("0", VNUM_C, 100, 0);
	U_OK("00", VNUM_C, 100, 0);
	U_OK(" \t\n5", VNUM_C, 100, 5);
	U_OK("+5", VNUM_C, 100, 5);
	U_OK("0xffffffffffffffff", VNUM_C, UINT64_MAX, UINT64_MAX);
	U_BAD("0x10000000000000000", VNUM_C, UINT64_MAX, -ERANGE);
	U_BAD("08", VNUM_C, 100, -EINVAL);	/* strtoll: 0, then "8" */
	U_BAD("0x", VNUM_C, 100, -EINVAL);	/* strtoll: 0, then "x" */
	U_BAD("0xg", VNUM_C, 100, -EINVAL);
	U_BAD("5 ", VNUM_C, 100, -EINVAL);	/* only leading white space */
	U_BAD("+ 5", VNUM_C, 100, -EINVAL);
	U_BAD("--5", VNUM_C, 100, -EINVAL);
	U_BAD(" ", VNUM_C, 100, -EINVAL);
	U_BAD("-5", VNUM_C, 100, -EINVAL);	/* unsigned: strtoull would wrap it */
	U_BAD("-0", VNUM_C, 100, -EINVAL);
	I_OK("-0x10", VNUM_C, INT64_MIN, INT64_MAX, -16);
	I_OK(" -010", VNUM_C, INT64_MIN, INT64_MAX, -8);
	I_OK("+3", VNUM_C, -5, 5, 3);
}

static void signed_numbers(void **state)
{
	(void)state;
	I_OK("-20", 0, -20, 19, -20);
	I_OK("19", 0, -20, 19, 19);
	I_OK("-0", 0, -20, 19, 0);
	I_OK("0", 0, 0, 0, 0);
	I_OK("-9223372036854775808", 0, INT64_MIN, INT64_MAX, INT64_MIN);
	I_OK("9223372036854775807", 0, INT64_MIN, INT64_MAX, INT64_MAX);
	I_BAD("-9223372036854775809", 0, INT64_MIN, INT64_MAX, -ERANGE);
	I_BAD("9223372036854775808", 0, INT64_MIN, INT64_MAX, -ERANGE);
	I_BAD("18446744073709551616", 0, INT64_MIN, INT64_MAX, -ERANGE);
	I_BAD("-21", 0, -20, 19, -ERANGE);
	I_BAD("20", 0, -20, 19, -ERANGE);
	I_BAD("-1", 0, 0, 10, -ERANGE);
	I_BAD("+5", 0, -20, 19, -EINVAL);
	I_BAD("-05", 0, -20, 19, -EINVAL);
	I_BAD("--5", 0, -20, 19, -EINVAL);
	I_BAD("-", 0, -20, 19, -EINVAL);
	I_BAD("", 0, -20, 19, -EINVAL);
	I_BAD(" -5", 0, -20, 19, -EINVAL);
	I_BAD("-5x", 0, -20, 19, -EINVAL);
	I_BAD(NULL, 0, -20, 19, -EINVAL);
	I_OK("-05", VNUM_ZEROS, -20, 19, -5);
}

/* Not NUL-terminated: only the @n bytes count. */
static void counted(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(vnum_u64n("8080/system", 4, 0, 65535, &v), 0);
	assert_int_equal(v, 8080);
	assert_int_equal(vnum_u64n("80800", 4, 0, 65535, &v), 0);
	assert_int_equal(v, 8080);
	assert_int_equal(vnum_u64n("65536", 5, 0, 65535, &v), -ERANGE);
	assert_int_equal(vnum_u64n("12", 0, 0, 65535, &v), -EINVAL);
	assert_int_equal(vnum_u64n("1x", 2, 0, 65535, &v), -EINVAL);
	assert_int_equal(vnum_u64n("1\0002", 3, 0, 65535, &v), -EINVAL);
}

/* lvm create's SIZE, meta's BYTES: binary units with the IEC tails */
static const struct vnum_unit bytes_units[] = {
	{ "b", 1 }, { "B", 1 }, { "s", 512 }, { "S", 512 },
	{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "m", 1ull << 20 }, { "M", 1ull << 20 },
	{ "g", 1ull << 30 }, { "G", 1ull << 30 }, { "t", 1ull << 40 }, { "T", 1ull << 40 },
	{ NULL, 0 },
};
/* DRBD's KiB options: no tail, case as drbdsetup */
static const struct vnum_unit kib_units[] = {
	{ "k", 1 }, { "K", 1 }, { "m", 1024 }, { "M", 1024 }, { "g", 1 << 20 }, { "G", 1 << 20 },
	{ NULL, 0 },
};

#define S_OK(s, fl, u, max, want)	do {					\
		uint64_t v_ = 12345;						\
		int r_ = vnum_size(s, fl, u, max, &v_);				\
		if (r_ || v_ != (uint64_t)(want))				\
			fail_msg("vnum_size(\"%s\"): %d, %llu (want %llu)", s, r_,	\
				 (unsigned long long)v_, (unsigned long long)(want));	\
	} while (0)
#define S_BAD(s, fl, u, max, err)	do {					\
		uint64_t v_ = 12345;						\
		int r_ = vnum_size(s, fl, u, max, &v_);				\
		if (r_ != (err) || v_ != 12345)					\
			fail_msg("vnum_size(\"%s\"): %d (want %d)", s, r_, err);	\
	} while (0)

static void sizes(void **state)
{
	static const char *const bytes_bad[] = {
		"", "K", "4X", "4KK", "4KiBB", "4Kx", "4 K", "4K ", "-4K", "4.5K", "4bB", "4biB", "4sB",
		"4iB", "4kIB", "4KIB", "0x4K", " 4K", "+4K",
	};
	int64_t x;

	(void)state;
	S_OK("512", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 512);
	S_OK("0512", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 512);
	S_OK("4s", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 2048);
	S_OK("4S", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 2048);
	S_OK("4b", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 4);
	S_OK("4B", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 4);
	S_OK("64K", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("64k", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("64Ki", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("64KiB", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("64Kib", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("64KB", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("64kb", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 65536);
	S_OK("200M", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 200ull << 20);
	S_OK("2GiB", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 2ull << 30);
	S_OK("1T", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 1ull << 40);
	S_OK("16777215T", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, 16777215ull << 40);
	for (size_t i = 0; i < sizeof(bytes_bad) / sizeof(bytes_bad[0]); i++)
		S_BAD(bytes_bad[i], VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, -EINVAL);
	/* the tails only with VNUM_IEC */
	S_BAD("64KiB", VNUM_ZEROS, bytes_units, UINT64_MAX, -EINVAL);
	S_OK("64K", VNUM_ZEROS, bytes_units, UINT64_MAX, 65536);
	/* overflow of the product, and @max */
	S_BAD("16777216T", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, -ERANGE);
	S_BAD("18446744073709551615K", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, -ERANGE);
	S_BAD("18446744073709551616", VNUM_ZEROS | VNUM_IEC, bytes_units, UINT64_MAX, -ERANGE);
	S_BAD("2K", 0, bytes_units, 2047, -ERANGE);
	S_OK("2K", 0, bytes_units, 2048, 2048);
	/* no table: no unit */
	S_BAD("2K", 0, NULL, UINT64_MAX, -EINVAL);
	S_OK("2", 0, NULL, UINT64_MAX, 2);
	/* DRBD's: C syntax, K is the base unit */
	S_OK("100M", VNUM_C, kib_units, UINT64_MAX, 102400);
	S_OK("0x10M", VNUM_C, kib_units, UINT64_MAX, 16384);
	S_OK("250k", VNUM_C, kib_units, UINT64_MAX, 250);
	S_OK("250", VNUM_C, kib_units, UINT64_MAX, 250);
	S_BAD("250KiB", VNUM_C, kib_units, UINT64_MAX, -EINVAL);
	S_BAD("5T", VNUM_C, kib_units, UINT64_MAX, -EINVAL);
	S_BAD("5s", VNUM_C, kib_units, UINT64_MAX, -EINVAL);
	assert_int_equal(vnum_size_i64("-1", VNUM_C, kib_units, INT64_MIN, INT64_MAX, &x), 0);
	assert_int_equal(x, -1);
	assert_int_equal(vnum_size_i64("-1K", VNUM_C, kib_units, INT64_MIN, INT64_MAX, &x), 0);
	assert_int_equal(x, -1);
	assert_int_equal(vnum_size_i64("-2M", VNUM_C, kib_units, INT64_MIN, INT64_MAX, &x), 0);
	assert_int_equal(x, -2048);
	assert_int_equal(vnum_size_i64("-2M", VNUM_C, kib_units, 0, INT64_MAX, &x), -ERANGE);
	assert_int_equal(vnum_size_i64("9007199254740992G", VNUM_C, kib_units, INT64_MIN,
				       INT64_MAX, &x), -ERANGE);
	assert_int_equal(vnum_size_i64("-8796093022208G", VNUM_C, kib_units, INT64_MIN,
				       INT64_MAX, &x), 0);
	assert_int_equal(x, INT64_MIN);
	/* a zero multiplier is no unit (it would divide by zero) */
	{
		static const struct vnum_unit zero[] = { { "z", 0 }, { NULL, 0 } };

		S_BAD("5z", 0, zero, UINT64_MAX, -EINVAL);
	}
}

static void seconds(void **state)
{
	static const char *const bad[] = {
		"", "nan", "inf", "0x10", "1e2", "-1", "+1", " 1", "1 ", "1.", ".5", "1.0001", "1.x",
		"1.5s", "01", "1..5", "1.-5", "1.+5",
	};
	uint64_t v;

	(void)state;
	assert_int_equal(vnum_seconds_ms("1.5", 10, &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(vnum_seconds_ms("0.001", 10, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vnum_seconds_ms("0.05", 10, &v), 0);
	assert_int_equal(v, 50);
	assert_int_equal(vnum_seconds_ms("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vnum_seconds_ms("10.000", 10, &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(vnum_seconds_ms("604800", 604800, &v), 0);
	assert_int_equal(v, 604800000);
	assert_int_equal(vnum_seconds_ms("604800.5", 604800, &v), -ERANGE);
	assert_int_equal(vnum_seconds_ms("604801", 604800, &v), -ERANGE);
	assert_int_equal(vnum_seconds_ms("12345678901234567890123", UINT32_MAX, &v), -ERANGE);
	assert_int_equal(vnum_seconds_ms("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	/* a @max_s too large to count in ms is the largest that can */
	assert_int_equal(vnum_seconds_ms("18446744073709551", UINT64_MAX, &v), 0);
	assert_int_equal(v, 18446744073709551000ull);
	assert_int_equal(vnum_seconds_ms("18446744073709552", UINT64_MAX, &v), -ERANGE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (vnum_seconds_ms(bad[i], 604800, &v) != -EINVAL || v != 12345)
			fail_msg("vnum_seconds_ms(\"%s\") accepted", bad[i]);
	}
	assert_int_equal(vnum_seconds_ms(NULL, 10, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strict_decimal),
		cmocka_unit_test(leading_zeros),
		cmocka_unit_test(c_syntax),
		cmocka_unit_test(signed_numbers),
		cmocka_unit_test(counted),
		cmocka_unit_test(sizes),
		cmocka_unit_test(seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
