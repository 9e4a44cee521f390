/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vlvm_parse_vg_report / vlvm_parse_lv_report: what they refuse (found while
 * writing tests/fuzz/fuzz_lvm_report.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lvm/lvm.h"

#define VG_ROW(size)								\
	"{\"report\":[{\"vg\":[{\"vg_name\":\"vg\",\"vg_extent_size\":\"4194304\","	\
	"\"vg_extent_count\":\"511\",\"vg_free_count\":\"508\",\"vg_size\":\"" size "\","	\
	"\"vg_free\":\"2130706432\"}]}]}"

#define LV_ROW(name, major)							\
	"{\"report\":[{\"lv\":[{\"vg_name\":\"vg\",\"lv_name\":\"" name "\","		\
	"\"lv_size\":\"12582912\",\"lv_path\":\"/dev/vg/lv0\","			\
	"\"lv_dm_path\":\"/dev/mapper/vg-lv0\",\"lv_kernel_major\":\"" major "\","	\
	"\"lv_kernel_minor\":\"0\"}]}]}"

/* Byte counts are decimal digits: strtoull alone took " -1" for 2^64 - 1. */
static void numbers_are_digits(void **state)
{
	struct vlvm_vg_info vi;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vlvm_parse_vg_report(VG_ROW("2143289344"), &vi, &e), 0);
	assert_int_equal(vi.size, 2143289344ull);
	assert_int_equal(vlvm_parse_vg_report(VG_ROW(" -1"), &vi, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "vg_size"));
	assert_int_equal(vlvm_parse_vg_report(VG_ROW("+5"), &vi, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_vg_report(VG_ROW(" 5"), &vi, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_vg_report(VG_ROW("5 "), &vi, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_vg_report(VG_ROW("18446744073709551616"), &vi, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_vg_report(VG_ROW("18446744073709551615"), &vi, &e), 0);
}

/* LVM's tags (lv_tags): kept as reported, absent is none, too long is garbage. */
static void tags(void **state)
{
	static const char row[] = "{\"report\":[{\"lv\":[{\"vg_name\":\"vg\",\"lv_name\":\"lv0\","
		"\"lv_size\":\"4096\",\"lv_dm_path\":\"/dev/mapper/vg-lv0\","
		"\"lv_kernel_major\":\"254\",\"lv_kernel_minor\":\"0\","
		"\"lv_tags\":\"vmhop_vh-1a2b3c4d,backup\"}]}]}";
	char big[1024];
	struct vlvm_lv_info li;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vlvm_parse_lv_report(row, &li, &e), 0);
	assert_string_equal(li.tags, "vmhop_vh-1a2b3c4d,backup");
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "254"), &li, &e), 0);
	assert_string_equal(li.tags, "");
	snprintf(big, sizeof(big), "{\"report\":[{\"lv\":[{\"vg_name\":\"vg\",\"lv_name\":\"lv0\","
		 "\"lv_size\":\"4096\",\"lv_dm_path\":\"/dev/mapper/vg-lv0\","
		 "\"lv_kernel_major\":\"254\",\"lv_kernel_minor\":\"0\",\"lv_tags\":\"%0300d\"}]}]}", 1);
	assert_int_equal(vlvm_parse_lv_report(big, &li, &e), -EBADMSG);
}

static void device_numbers(void **state)
{
	struct vlvm_lv_info li;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "254"), &li, &e), 0);
	assert_int_equal(li.major, 254);
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "-1"), &li, &e), 0);
	assert_int_equal(li.major, -1);
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", " 254"), &li, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "+254"), &li, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "-0"), &li, &e), -EBADMSG);
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "1048576"), &li, &e), -EBADMSG);
}

/* A name with a NUL inside would be cut short ("lv0\u0000x" read as "lv0"):
 * refused, and so is an optional field that is not a string. */
static void strings_are_whole(void **state)
{
	struct vlvm_lv_info li;
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0\\u0000x", "254"), &li, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "lv_name"));
	assert_int_equal(vlvm_parse_lv_report(
		"{\"report\":[{\"lv\":[{\"vg_name\":\"vg\",\"lv_name\":\"lv0\","
		"\"lv_size\":\"1\",\"lv_path\":7,\"lv_dm_path\":\"/dev/mapper/vg-lv0\","
		"\"lv_kernel_major\":\"1\",\"lv_kernel_minor\":\"0\"}]}]}", &li, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "lv_path"));
}

/* json-c keeps the last of two equal keys: "lv_name":"lv0","lv_name":"" was
 * an LV without a name (found by make fuzz).  A name LVM would refuse is garbage. */
static void names_are_lvm_names(void **state)
{
	struct vlvm_lv_info li;
	struct vlvm_vg_info vi;
	struct vh_error e = { 0 };

	(void)state;
	assert_true(vlvm_parse_lv_report(LV_ROW("lv0\",\"lv_name\":\"", "254"), &li, &e) < 0);
	assert_non_null(strstr(e.msg, "LVM report"));
	assert_true(vlvm_parse_lv_report(LV_ROW("", "254"), &li, &e) < 0);
	assert_true(vlvm_parse_lv_report(LV_ROW("a/b", "254"), &li, &e) < 0);
	assert_true(vlvm_parse_vg_report(
		"{\"report\":[{\"vg\":[{\"vg_name\":\"\",\"vg_extent_size\":\"4194304\","
		"\"vg_extent_count\":\"1\",\"vg_free_count\":\"1\",\"vg_size\":\"4194304\","
		"\"vg_free\":\"4194304\"}]}]}", &vi, &e) < 0);
	assert_int_equal(vlvm_parse_lv_report(LV_ROW("lv0", "254"), &li, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_lvm_names),
		cmocka_unit_test(numbers_are_digits),
		cmocka_unit_test(device_numbers),
		cmocka_unit_test(tags),
		cmocka_unit_test(strings_are_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
