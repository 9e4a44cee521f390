/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
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
	assert_int_equal(vh_err_prefix(&e, -EPROTO, "detach minor %d", 3), -EPROTO);
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
	assert_int_equal(vh_err_prefix(&e, -EIO, "%s", big), -EIO);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
}

/* Issue 9.2: the caller's error comes back, whatever @e holds (it used to return e->code). */
static void err_prefix_returns_the_callers_error(void **state)
{
	struct vh_error e = { 0 };

	(void)state;
	/* NULL error struct: still the caller's code, not 0 */
	assert_int_equal(vh_err_prefix(NULL, -EBADMSG, "x"), -EBADMSG);
	/* an empty (zeroed) struct: the code, and a message that says something */
	assert_int_equal(vh_err_prefix(&e, -EBADMSG, "primary"), -EBADMSG);
	assert_int_equal(e.code, -EBADMSG);
	assert_string_equal(e.msg, "primary: Bad message");
	/* a message left by another error is not this error's message */
	vh_err_origin(&e, -ENOENT, 158, "no such resource");
	assert_int_equal(vh_err_prefix(&e, -ETIMEDOUT, "wait"), -ETIMEDOUT);
	assert_int_equal(e.code, -ETIMEDOUT);
	assert_int_equal(e.origin_code, 0);
	assert_string_equal(e.msg, "wait: Connection timed out");
}

/* An error is never success: a code that is not negative (a caller's bug) never comes back as 0. */
static void err_never_returns_success(void **state)
{
	struct vh_error e = { 0 };

	(void)state;
	errno = 0;
	assert_true(vh_err(&e, -errno, "read failed") < 0);
	assert_true(e.code < 0);
	assert_true(vh_err(NULL, 0, "x") < 0);
	assert_true(vh_err_origin(&e, 0, 7, "x") < 0);
	assert_true(vh_err_prefix(NULL, 0, "x") < 0);
	/* a bogus 0 keeps the error @e already holds */
	vh_err(&e, -ENXIO, "no such minor");
	assert_int_equal(vh_err_prefix(&e, 0, "detach"), -ENXIO);
	assert_string_equal(e.msg, "detach: no such minor");
}

/* A callback's error, handed on: its own message if it gave one, else a word about the code. */
static void err_pass_always_says_something(void **state)
{
	struct vh_error e = { 0 }, cb = { 0 };

	(void)state;
	assert_int_equal(vh_err_pass(&e, &cb, -EBADMSG, "reply %d", 7), -EBADMSG);
	assert_string_equal(e.msg, "reply 7: Bad message");
	vh_err(&cb, -ENOMEM, "out of memory");
	assert_int_equal(vh_err_pass(&e, &cb, -ENOMEM, "reply"), -ENOMEM);
	assert_string_equal(e.msg, "out of memory");
	assert_int_equal(e.code, -ENOMEM);
	/* in place, and a bogus 0 */
	assert_true(vh_err_pass(&cb, &cb, 0, "x") < 0);
	assert_true(cb.code < 0);
	assert_int_equal(vh_err_pass(NULL, &cb, -EIO, "x"), -EIO);
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
		cmocka_unit_test(err_prefix_returns_the_callers_error),
		cmocka_unit_test(err_never_returns_success),
		cmocka_unit_test(err_pass_always_says_something),
		cmocka_unit_test(exit_codes_are_distinct),
	};

	return cmocka_run_group_tests_name("core_error", tests, NULL, NULL);
}
