/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The program as a whole (vh_main()): a result that could not be written is
 * a failure; every usage error keeps README's promise of an {"error": ...}
 * object on stdout under --json; numbers on the command line are decimal and
 * bounded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "support_cli.h"
#include "../../tools/vmhop.h"

/* `vmhop --json meta size 1G >/dev/full` exited 0; then 1, "any other
 * failure", for a command that did what it was asked: now 16. */
static void write_error_on_stdout_fails(void **state)
{
	struct tcli r;

	(void)state;
	r = tcli_run(NULL, "--json", "meta", "size", "1G", NULL);
	assert_int_equal(r.rc, VH_EXIT_OK);
	assert_non_null(strstr(r.out, "\"min_md_bytes\""));
	assert_string_equal(r.err, "");
	tcli_free(&r);
	r = tcli_run("/dev/full", "--json", "meta", "size", "1G", NULL);
	assert_int_equal(r.rc, VH_EXIT_UNWRITTEN);
	/* one line that says why */
	assert_string_equal(r.err, "vmhop: write error on standard output: No space left on device\n");
	tcli_free(&r);
	r = tcli_run("/dev/full", "meta", "size", "1G", NULL);
	assert_int_equal(r.rc, VH_EXIT_UNWRITTEN);
	tcli_free(&r);
	r = tcli_run("/dev/full", "--help", NULL);
	assert_int_equal(r.rc, VH_EXIT_UNWRITTEN);
	tcli_free(&r);
	/* a failure keeps its own code */
	r = tcli_run("/dev/full", "--json", "meta", "size", "zzz", NULL);
	assert_int_equal(r.rc, VH_EXIT_USAGE);
	tcli_free(&r);
}

static void assert_usage_json(struct tcli *r)
{
	assert_int_equal(r->rc, VH_EXIT_USAGE);
	assert_int_equal(tcli_error_int(r, "exit"), VH_EXIT_USAGE);
	assert_int_equal(tcli_error_int(r, "errno"), EINVAL);
	tcli_free(r);
}

static void usage_errors_print_the_json_error(void **state)
{
	struct tcli r;

	(void)state;
	r = tcli_run(NULL, "--json", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "no-such-command", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "dm", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "dm", "no-such-subcommand", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "dm", "swap", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "dm", "info", "--bogus", "x", "--json", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "meta", "size", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "drbd", "status", "a", "b", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "virt", "migrate", "vm1", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "lvm", "info", NULL);
	assert_usage_json(&r);
	/* send's --migrate-retries: 0 to 10, decimal, send's alone */
	r = tcli_run(NULL, "--json", "send", "--plan", "p", "--migrate-retries", "11", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "send", "--plan", "p", "--migrate-retries", "01", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "send", "--plan", "p", "--migrate-retries", "-1", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "receive", "--plan", "p", "--migrate-retries", "1", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "migrate", "--plan", "p", "--migrate-retries", "1", NULL);
	assert_usage_json(&r);
	/* without --json: nothing on stdout but the help text, if any */
	r = tcli_run(NULL, "dm", "info", "--bogus", NULL);
	assert_int_equal(r.rc, VH_EXIT_USAGE);
	assert_null(strstr(r.out, "\"error\""));
	tcli_free(&r);
}

/* A DRBD minor is decimal: "010" was eight, "0x10" sixteen, " 5" five. */
/* VMHOP_NICE: a number in -20..19 for the move's commands, else a usage
 * error that changes nothing; other commands never read it. */
static void nice_is_checked(void **state)
{
	struct tcli r;

	(void)state;
	setenv("VMHOP_NICE", "-5x", 1);
	r = tcli_run(NULL, "--json", "plan", "--help", NULL);
	assert_usage_json(&r);
	setenv("VMHOP_NICE", "20", 1);
	r = tcli_run(NULL, "--json", "send", "--help", NULL);
	assert_usage_json(&r);
	/* decimal (core/num.h), as strtol(.., 10) read it but for its blanks and '+' */
	{
		static const char *const bad[] = { "-21", "+5", " 5", "5 ", "0x5", "-", "--5" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			setenv("VMHOP_NICE", bad[i], 1);
			r = tcli_run(NULL, "--json", "plan", "--help", NULL);
			assert_usage_json(&r);
		}
	}
	/* not a command of the move: not read */
	r = tcli_run(NULL, "--json", "meta", "size", "1G", NULL);
	assert_int_equal(r.rc, VH_EXIT_OK);
	tcli_free(&r);
	/* 0: what vmhop inherits, kept */
	setenv("VMHOP_NICE", "0", 1);
	r = tcli_run(NULL, "plan", "--help", NULL);
	assert_int_equal(r.rc, VH_EXIT_OK);
	tcli_free(&r);
	unsetenv("VMHOP_NICE");
}

/* "/" stays "/" in JSON, never "\/" (json-c's default escape). */
static void json_keeps_slashes(void **state)
{
	struct tcli r;

	(void)state;
	r = tcli_run(NULL, "--json", "dm", "info", "a/b", NULL);
	assert_true(r.rc != VH_EXIT_OK);
	assert_non_null(strstr(r.out, "a/b"));
	assert_null(strstr(r.out, "\\/"));
	tcli_free(&r);
}

/* plan --help lists its options from the table getopt_long parses: each
 * option listed is one plan takes (with its argument, if it lists one),
 * and an option plan does not know is said to be unknown. */
static void plan_help_lists_every_option(void **state)
{
	struct tcli r;
	char *line, *save = NULL, *text;
	unsigned n = 0;

	(void)state;
	r = tcli_run(NULL, "plan", "--help", NULL);
	assert_int_equal(r.rc, VH_EXIT_OK);
	text = strstr(r.out, "Options:\n");
	assert_non_null(text);
	text = strdup(text);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], arg[64] = "";
		struct tcli o;

		if (sscanf(line, "  --%63s %63s", name, arg) < 1 || strncmp(line, "  --", 4))
			continue;
		n++;
		/* an argument is listed in capitals (or as its choices) */
		if (arg[0] && !(arg[0] >= 'A' && arg[0] <= 'Z') && !strchr(arg, '|'))
			arg[0] = '\0';
		{
			char opt[80];

			snprintf(opt, sizeof(opt), "--%s", name);
			o = arg[0] ? tcli_run(NULL, "plan", opt, "x", "--help", NULL) :
				     tcli_run(NULL, "plan", opt, "--help", NULL);
		}
		/* known to the parser: "x" may be a bad value, never an unknown option */
		assert_null(strstr(o.err, "unknown option"));
		assert_true(o.rc == VH_EXIT_OK || o.rc == VH_EXIT_USAGE);
		tcli_free(&o);
	}
	free(text);
	assert_true(n >= 18);
	{
		struct tcli o = tcli_run(NULL, "plan", "--no-such-option", "--help", NULL);

		assert_int_equal(o.rc, VH_EXIT_USAGE);
		assert_non_null(strstr(o.err, "unknown option"));
		tcli_free(&o);
	}
	assert_non_null(strstr(r.out, "milliseconds"));
	assert_non_null(strstr(r.out, "MiB/s"));
	tcli_free(&r);
}

static void drbd_minors_are_decimal(void **state)
{
	static const char *const bad[] = {
		"010", "0x10", "+5", " 5", "5 ", "-0", "1048576", "99999999999999999999999", "",
	};
	struct tcli r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tcli_run(NULL, "--json", "drbd", "wait-connect", bad[i], NULL);
		if (r.rc != VH_EXIT_USAGE)
			fail_msg("minor '%s': exit %d", bad[i], r.rc);
		assert_usage_json(&r);
		r = tcli_run(NULL, "--json", "drbd", "primary", bad[i], NULL);
		assert_usage_json(&r);
	}
	/* all digits but not a minor: refused, not taken for a resource name */
	r = tcli_run(NULL, "--json", "drbd", "status", "010", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "drbd", "new-minor", "r0", "1", "0x1", NULL);
	assert_usage_json(&r);
}

/* --timeout: strtod took "nan" (then cast to int), "0x10", "1e2". */
static void drbd_timeouts_are_bounded(void **state)
{
	static const char *const bad[] = {
		"nan", "inf", "0x10", "1e2", "-1", "604801", "604800.001", "1.", ".5", "1.0001",
		"18446744073709551616",
	};
	struct tcli r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tcli_run(NULL, "--json", "drbd", "events", "0", "--timeout", bad[i], NULL);
		if (r.rc != VH_EXIT_USAGE)
			fail_msg("--timeout '%s': exit %d", bad[i], r.rc);
		assert_usage_json(&r);
	}
}

static void dm_numbers_are_decimal_and_bounded(void **state)
{
	struct tcli r;

	(void)state;
	/* --repeat above its bound said nothing at all */
	r = tcli_run(NULL, "--json", "dm", "swap", "x", "--linear", "1:2", "--repeat", "100001", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "dm", "swap", "x", "--linear", "1:2", "--interval-ms", "60001", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "dm", "load", "x", "--linear", "1:2", "--offset", "010", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "dm", "load", "x", "--linear", "1:2", "--sectors",
		     "18446744073709551616", NULL);
	assert_usage_json(&r);
	r = tcli_run(NULL, "--json", "meta", "dump", "x", "--index", "07", NULL);
	assert_usage_json(&r);
}

/* Sizes, as meta size reads BACKING_BYTES (core/num.h's vnum_bytes, which
 * lvm create's SIZE reads too): binary units, the IEC spellings. */
static void sizes_on_the_command_line(void **state)
{
	static const char *const good[] = {
		"1073741824", "01073741824", "2097152s", "1048576K", "1048576k", "1024M", "1G",
		"1g", "1GiB", "1Gi", "1GB", "1Gib", "1Gb",
	};
	static const char *const bad[] = {
		"", "G", "1X", "1GG", "1GiBB", "-1G", " 1G", "+1G", "1 G", "1.5G", "0x1G", "1e9",
		"16777216T", "18446744073709551616",
	};
	struct tcli r;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = tcli_run(NULL, "--json", "meta", "size", good[i], NULL);
		if (r.rc != VH_EXIT_OK || !strstr(r.out, "\"backing_bytes\": 1073741824"))
			fail_msg("meta size '%s': exit %d: %s", good[i], r.rc, r.out);
		tcli_free(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tcli_run(NULL, "--json", "meta", "size", bad[i], NULL);
		if (r.rc != VH_EXIT_USAGE)
			fail_msg("meta size '%s': exit %d", bad[i], r.rc);
		assert_usage_json(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_error_on_stdout_fails),
		cmocka_unit_test(usage_errors_print_the_json_error),
		cmocka_unit_test(nice_is_checked),
		cmocka_unit_test(json_keeps_slashes),
		cmocka_unit_test(plan_help_lists_every_option),
		cmocka_unit_test(drbd_minors_are_decimal),
		cmocka_unit_test(drbd_timeouts_are_bounded),
		cmocka_unit_test(dm_numbers_are_decimal_and_bounded),
		cmocka_unit_test(sizes_on_the_command_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
