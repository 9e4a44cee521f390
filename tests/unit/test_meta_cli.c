/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `vmhop meta ...` through cmd_meta(): arguments, exit codes, JSON output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "meta/meta.h"
#include "support_meta.h"
#include "../../tools/vmhop.h"

/* Run "meta ARGS..." (NULL-terminated); stdout goes to @out_path when set. */
static int run(bool json, const char *out_path, ...)
{
	struct vh_ctx ctx = { .json = json, .prog = "vmhop" };
	char *argv[16];
	int argc = 0, rc, saved = -1;
	va_list ap;

	argv[argc++] = (char *)"meta";
	va_start(ap, out_path);
	for (char *a; (a = va_arg(ap, char *)) && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	if (out_path) {
		saved = dup(1);
		assert_non_null(freopen(out_path, "w", stdout));
	}
	rc = cmd_meta(&ctx, argc, argv);
	fflush(stdout);
	if (out_path) {
		/* stdout still writes to fd 1: point fd 1 back at the original */
		assert_int_not_equal(dup2(saved, 1), -1);
		close(saved);
	}
	return rc;
}

static char *slurp(const char *path)
{
	uint64_t n = tmeta_size(path);
	char *s = realloc(tmeta_read(path, 0, (size_t)n), (size_t)n + 1);

	assert_non_null(s);
	s[n] = '\0';
	return s;
}

static void exit_codes(void **state)
{
	const char *dev = tmeta_path("cli-md"), *out = tmeta_path("cli-out");
	char *s;

	(void)state;
	tmeta_sparse(dev, 4 << 20);
	assert_int_equal(run(false, NULL, "create", dev, NULL), VH_EXIT_OK);
	assert_int_equal(run(false, NULL, "create", dev, NULL), VH_EXIT_EXISTS);
	assert_int_equal(run(false, NULL, "create", dev, "--force", NULL), VH_EXIT_OK);
	assert_int_equal(run(false, NULL, "create", dev, "--index", "0", "--force", NULL),
			 VH_EXIT_NOSPACE);
	assert_int_equal(run(false, NULL, "create", dev, "--force", "--backing-size", "1T", NULL),
			 VH_EXIT_NOSPACE);
	assert_int_equal(run(false, NULL, "create", dev, "--force", "--backing-size", "100G", NULL),
			 VH_EXIT_OK);
	assert_int_equal(run(false, NULL, "apply-al", dev, NULL), VH_EXIT_OK);
	assert_int_equal(run(true, out, "dump", dev, NULL), VH_EXIT_OK);
	s = slurp(out);
	assert_non_null(strstr(s, "\"magic\": \"0x8374026b\""));
	assert_non_null(strstr(s, "\"md_size_sect\": 8192"));
	assert_non_null(strstr(s, "\"current\": \"0x0000000000000004\""));
	free(s);
	assert_int_equal(run(false, NULL, "wipe", dev, NULL), VH_EXIT_OK);
	assert_int_equal(run(false, NULL, "dump", dev, NULL), VH_EXIT_INVALID);
	assert_int_equal(run(false, NULL, "apply-al", dev, NULL), VH_EXIT_INVALID);
	assert_int_equal(run(false, NULL, "wipe", dev, NULL), VH_EXIT_INVALID);
	assert_int_equal(run(false, NULL, "dump", tmeta_path("missing"), NULL), VH_EXIT_NOTFOUND);
}

static void usage_errors(void **state)
{
	const char *dev = tmeta_path("cli-md2");

	(void)state;
	tmeta_sparse(dev, 1 << 20);
	assert_int_equal(run(false, NULL, "create", NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "create", dev, "--index", "x", NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "create", dev, "--index", "-1", NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "create", dev, "--index", "0", "--flexible", NULL),
			 VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "create", dev, "--bogus", NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "create", dev, dev, NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "dump", dev, "--force", NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "size", "12Q", NULL), VH_EXIT_USAGE);
	assert_int_equal(run(false, NULL, "frobnicate", dev, NULL), VH_EXIT_USAGE);
}

static void size_command(void **state)
{
	const char *out = tmeta_path("cli-size");
	char *s;

	(void)state;
	assert_int_equal(run(true, out, "size", "100G", NULL), VH_EXIT_OK);
	s = slurp(out);
	assert_non_null(strstr(s, "\"min_md_bytes\": 3313664"));
	free(s);
	assert_int_equal(run(true, out, "size", "107374182400", "--index", "2", NULL), VH_EXIT_OK);
	s = slurp(out);
	assert_non_null(strstr(s, "\"min_md_bytes\": 402653184"));
	free(s);
	assert_int_equal(run(false, NULL, "size", "5T", "--index", "0", NULL), VH_EXIT_NOSPACE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_codes),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(size_command),
	};

	return cmocka_run_group_tests(tests, tmeta_group_setup, tmeta_group_teardown);
}
