/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device-mapper names and device numbers at every entry point: the command
 * line (vdm_ref_parse(), `vmhop dm ...`) and the library (vdm_create() and
 * every request by name or UUID).  A bad name is refused before any ioctl:
 * the dm mock (support_dm_mock.c) is installed with no step, so a single
 * ioctl fails the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "dm/dm.h"
#include "support_cli.h"
#include "support_dm_mock.h"
#include "../../tools/vmhop.h"

/* Names the kernel would take (or refuse) and that we must refuse first. */
static const struct {
	const char *name;
	int err;
} bad_names[] = {
	{ "a\nb", -EINVAL },		/* forges a line in `dmsetup ls` and in our errors */
	{ "a\rb", -EINVAL },
	{ "\033[31mred", -EINVAL },	/* terminal escape */
	{ "tab\there", -EINVAL },
	{ "del\x7f", -EINVAL },
	{ "\x01", -EINVAL },
	{ "", -EINVAL },
	{ "a/b", -EINVAL },
	{ ".", -EINVAL },
	{ "..", -EINVAL },
	{ "control", -EINVAL },
};

static void long_name(char *buf, size_t n)
{
	memset(buf, 'n', n);
	buf[n] = '\0';
}

static void names_are_checked_when_parsed(void **state)
{
	char buf[300], n127[128], n128[129];
	struct vdm_ref r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		int rc;

		snprintf(buf, sizeof(buf), "name:%s", bad_names[i].name);
		rc = vdm_ref_parse(buf, &r, NULL);
		if (rc != bad_names[i].err)
			fail_msg("name #%zu: %d", i, rc);
		if (bad_names[i].name[0] && strcmp(bad_names[i].name, "control") &&
		    strcmp(bad_names[i].name, ".") && strcmp(bad_names[i].name, ".."))
			assert_int_equal(vdm_ref_parse(bad_names[i].name, &r, NULL), bad_names[i].err);
		snprintf(buf, sizeof(buf), "uuid:LVM-%s", bad_names[i].name);
		if (strpbrk(bad_names[i].name, "\n\r\033\t\x7f\x01"))
			assert_int_equal(vdm_ref_parse(buf, &r, NULL), -EINVAL);
	}
	long_name(n127, 127);
	long_name(n128, 128);
	assert_int_equal(vdm_ref_parse(n127, &r, NULL), 0);
	assert_int_equal(vdm_ref_parse(n128, &r, NULL), -ENAMETOOLONG);
	/* what is fine stays fine: LVM's names, UTF-8, spaces, colons by name: */
	assert_int_equal(vdm_ref_parse("vg-lv", &r, NULL), 0);
	assert_int_equal(vdm_ref_parse("vg-l--v_1.2+x", &r, NULL), 0);
	assert_int_equal(vdm_ref_parse("caf\xc3\xa9", &r, NULL), 0);
	assert_int_equal(vdm_ref_parse("name:010:3", &r, NULL), 0);
	assert_int_equal(r.key, VDM_BY_NAME);
	assert_string_equal(r.str, "010:3");
}

static void device_numbers_are_decimal(void **state)
{
	static const char *const bad[] = { "010:3", "253:010", "253:00", "4096:0", "253:1048576",
					   "dev:07:1", "0:0" };
	struct vdm_ref r;

	(void)state;
	assert_int_equal(vdm_ref_parse("253:3", &r, NULL), 0);
	assert_int_equal(r.key, VDM_BY_DEV);
	assert_int_equal(major(r.dev), 253);
	assert_int_equal(minor(r.dev), 3);
	assert_int_equal(vdm_ref_parse("dev:0:1", &r, NULL), 0);
	assert_int_equal(vdm_ref_parse("4095:1048575", &r, NULL), 0);
	assert_int_equal(minor(r.dev), 1048575);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vdm_ref_parse(bad[i], &r, NULL) != -EINVAL)
			fail_msg("'%s' was taken (as %s %u:%u)", bad[i],
				 r.key == VDM_BY_DEV ? "dev" : "name", major(r.dev), minor(r.dev));
	/* not digits on both sides: a name, as before */
	assert_int_equal(vdm_ref_parse("+253:3", &r, NULL), 0);
	assert_int_equal(r.key, VDM_BY_NAME);
}

/* vdm_create() and requests built by hand never reach the kernel. */
static void bad_names_never_reach_the_kernel(void **state)
{
	struct vdm_table t = { 0 };
	struct vh_error e = { 0 };
	struct vdm_info info;
	struct vdm_ctl c;
	struct dmock m;

	(void)state;
	assert_int_equal(vdm_table_linear(&t, 8, makedev(7, 0), 0, NULL), 0);
	dmock_start(&m, NULL, 0, &c);
	c.mapper_dir = "/nonexistent-vmhop-test";
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		struct vdm_ref r = { .key = VDM_BY_NAME, .str = bad_names[i].name };

		assert_int_equal(vdm_create(&c, bad_names[i].name, "x", &t, VDM_NO_NODE, &info, &e),
				 bad_names[i].err);
		assert_int_equal(vdm_create(&c, bad_names[i].name, NULL, NULL, 0, &info, &e),
				 bad_names[i].err);
		assert_int_equal(vdm_info(&c, &r, &info, &e), bad_names[i].err);
		assert_int_equal(vdm_node_make("/nonexistent-vmhop-test", bad_names[i].name,
					       makedev(7, 0), &e), bad_names[i].err);
	}
	/* a UUID suffix with a control character */
	assert_int_equal(vdm_create(&c, "ok", "a\nb", NULL, 0, &info, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "control character"));
	/* the message does not carry the raw byte */
	assert_null(strchr(e.msg, '\n'));
	dmock_finish(&m, &c);
	vdm_table_free(&t);
}

/* The command line: exit 4, one line, before /dev/mapper/control is opened. */
static void cli_refuses_bad_names(void **state)
{
	struct tcli r;

	(void)state;
	r = tcli_run(NULL, "--json", "dm", "info", "a\nb", NULL);
	assert_int_equal(r.rc, VH_EXIT_INVALID);
	assert_int_equal(tcli_error_int(&r, "exit"), VH_EXIT_INVALID);
	tcli_free(&r);
	r = tcli_run(NULL, "--json", "dm", "create", "evil\033]0;x\007", "--table", "0 8 linear 7:0 0",
		     NULL);
	assert_int_equal(r.rc, VH_EXIT_INVALID);
	tcli_free(&r);
	r = tcli_run(NULL, "--json", "dm", "remove", "010:3", NULL);
	assert_int_equal(r.rc, VH_EXIT_INVALID);
	tcli_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_checked_when_parsed),
		cmocka_unit_test(device_numbers_are_decimal),
		cmocka_unit_test(bad_names_never_reach_the_kernel),
		cmocka_unit_test(cli_refuses_bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
