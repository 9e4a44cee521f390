/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/error.h"
#include "../../tools/vmhop.h"

static void err_sets_code_and_folds_newlines(void **state)
{
	struct vh_error e;

	(void)state;
	assert_int_equal(vh_err(&e, -EINVAL, "bad %s\nname", "vg"), -EINVAL);
	assert_int_equal(e.code, -EINVAL);
	assert_string_equal(e.msg, "bad vg name");
	assert_int_equal(vh_err(NULL, -EIO, "x"), -EIO);
}

static void err_prefix_keeps_message(void **state)
{
	struct vh_error e;

	(void)state;
	vh_err_origin(&e, -EPROTO, 161, "Need access to UpToDate data");
	assert_int_equal(vh_err_prefix(&e, "detach minor %d", 3), -EPROTO);
	assert_string_equal(e.msg, "detach minor 3: Need access to UpToDate data");
	assert_int_equal(e.origin_code, 161);
}

static void err_prefix_truncates_safely(void **state)
{
	struct vh_error e;
	char big[600];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vh_err(&e, -EIO, "%s", "tail");
	vh_err_prefix(&e, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
}

static void exit_codes_are_distinct(void **state)
{
	(void)state;
	assert_int_equal(vh_exit_code(0), VH_EXIT_OK);
	assert_int_equal(vh_exit_code(-ENOENT), VH_EXIT_NOTFOUND);
	assert_int_equal(vh_exit_code(-EINVAL), VH_EXIT_INVALID);
	assert_int_equal(vh_exit_code(-ENOTUNIQ), VH_EXIT_INVALID);
	assert_int_equal(vh_exit_code(-EBUSY), VH_EXIT_BUSY);
	assert_int_equal(vh_exit_code(-EADDRINUSE), VH_EXIT_BUSY);
	assert_int_equal(vh_exit_code(-ENOSPC), VH_EXIT_NOSPACE);
	assert_int_equal(vh_exit_code(-EPROTO), VH_EXIT_KERNEL);
	assert_int_equal(vh_exit_code(-ENOPKG), VH_EXIT_UNSUPPORTED);
	assert_int_equal(vh_exit_code(-ETIMEDOUT), VH_EXIT_TIMEOUT);
	assert_int_equal(vh_exit_code(-EEXIST), VH_EXIT_EXISTS);
	assert_int_equal(vh_exit_code(-EACCES), VH_EXIT_PERM);
	assert_int_equal(vh_exit_code(-EKEYREJECTED), VH_EXIT_PEER);
	assert_int_equal(vh_exit_code(-E2BIG), VH_EXIT_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(err_sets_code_and_folds_newlines),
		cmocka_unit_test(err_prefix_keeps_message),
		cmocka_unit_test(err_prefix_truncates_safely),
		cmocka_unit_test(exit_codes_are_distinct),
	};

	return cmocka_run_group_tests_name("core_error", tests, NULL, NULL);
}
