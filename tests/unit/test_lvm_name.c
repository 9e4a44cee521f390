/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VG/LV name checks against hostile input, before anything reaches lvm2_run(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "lvm/lvm.h"

static void good_names_pass(void **state)
{
	static const char *const ok[] = { "vg", "lv0", "a.b", "a+b", "a_b", "a-b", "...", ".a",
					  "9", "_x", "lvsnapshot", "mysnapshot", "x_mlo" };
	struct vh_error e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(vlvm_check_lv_name(ok[i], &e), 0);
		assert_int_equal(vlvm_check_vg_name(ok[i], &e), 0);
	}
}

static void hostile_names_fail(void **state)
{
	static const char *const bad[] = {
		"", "a b", "a\tb", "a\nb", "'a'", "\"a\"", "a'b", "a\"b", ".", "..", "-a", "--config",
		"a/b", "a;b", "a$b", "a`b", "a|b", "a\\b", "a*b", "a#b", "é", "a{b}", "a=b",
	};
	struct vh_error e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vh_err_clear(&e);
		assert_int_equal(vlvm_check_lv_name(bad[i], &e), -EINVAL);
		assert_int_equal(e.code, -EINVAL);
		assert_true(e.msg[0] != '\0');
		assert_int_equal(vlvm_check_vg_name(bad[i], &e), -EINVAL);
	}
	assert_int_equal(vlvm_check_lv_name(NULL, &e), -EINVAL);
}

static void length_limit_is_127(void **state)
{
	char n[200];
	struct vh_error e = { 0 };

	(void)state;
	memset(n, 'a', sizeof(n));
	n[127] = '\0';
	assert_int_equal(vlvm_check_lv_name(n, &e), 0);
	n[127] = 'a';
	n[128] = '\0';
	assert_int_equal(vlvm_check_lv_name(n, &e), -ENAMETOOLONG);
	assert_int_equal(vlvm_check_vg_name(n, &e), -ENAMETOOLONG);
}

static void reserved_lv_names_fail(void **state)
{
	static const char *const bad[] = {
		"snapshot", "snapshot0", "pvmove0", "pvmove", "a_mlog", "a_mimage3", "x_rimage_0",
		"x_rmeta_1", "x_tdata", "x_tmeta", "x_cdata", "x_cmeta", "x_corig", "x_pmspare",
		"x_vorigin",
	};
	struct vh_error e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vlvm_check_lv_name(bad[i], &e), -EINVAL);
		assert_non_null(strstr(e.msg, "reserved"));
	}
	/* A VG may be called so; only LV names are restricted. */
	assert_int_equal(vlvm_check_vg_name("snapshot", &e), 0);
	assert_int_equal(vlvm_check_vg_name("mapper", &e), -EINVAL);
}

static void dm_name_doubles_hyphens(void **state)
{
	char buf[300];
	struct vh_error e = { 0 };
	char vg[100], lv[100];

	(void)state;
	assert_int_equal(vlvm_dm_name("my-vg", "lv-a-b", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "my--vg-lv--a--b");
	assert_int_equal(vlvm_dm_name("vg", "lv", buf, 5), -ENAMETOOLONG);
	/* dm names are at most 127: 64 hyphens double to 128. */
	memset(lv, '-', 64);
	lv[0] = 'a';
	lv[64] = '\0';
	strcpy(vg, "v");
	assert_int_equal(vlvm_check_names(vg, lv, &e), -ENAMETOOLONG);
}

static void split_path_checks(void **state)
{
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1];
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vlvm_split_path("/dev/vg/lv0", vg, lv, &e), 0);
	assert_string_equal(vg, "vg");
	assert_string_equal(lv, "lv0");
	assert_int_equal(vlvm_split_path("vg/lv0", vg, lv, &e), 0);
	assert_int_equal(vlvm_split_path("vg", vg, lv, &e), -EINVAL);
	assert_int_equal(vlvm_split_path("vg/a/b", vg, lv, &e), -EINVAL);
	assert_int_equal(vlvm_split_path("vg/../etc", vg, lv, &e), -EINVAL);
	assert_int_equal(vlvm_split_path("vg/lv --config x", vg, lv, &e), -EINVAL);
	assert_int_equal(vlvm_split_path("/dev/vg/", vg, lv, &e), -EINVAL);
	assert_int_equal(vlvm_split_path("vg/snapshot1", vg, lv, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_names_pass),
		cmocka_unit_test(hostile_names_fail),
		cmocka_unit_test(length_limit_is_127),
		cmocka_unit_test(reserved_lv_names_fail),
		cmocka_unit_test(dm_name_doubles_hyphens),
		cmocka_unit_test(split_path_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
