/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shared secret stays off the command line: --shared-secret-file FILE|-
 * (vh_secret_read(): regular, owned by root or us, mode 0600 or stricter,
 * one line), and --shared-secret= only with a warning and scrubbed from argv.
 * Bad files are refused before netlink is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "support_cli.h"
#include "../../tools/vmhop.h"
#include "netlink/drbdnl.h"

static char dir[] = "/tmp/vmhop-secret-XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* @name in the test dir, holding @len bytes of @data, with @mode. */
static const char *file(const char *name, const char *data, size_t len, mode_t mode)
{
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static int read_secret(const char *p, char *buf, size_t size)
{
	struct vh_error e = { 0 };
	int rc = vh_secret_read(p, buf, size, &e);

	if (rc)
		assert_non_null(strstr(e.msg, rc == -ENOENT ? "No such" : "secret"));
	return rc;
}

static void secret_files(void **state)
{
	char buf[72];

	(void)state;
	assert_int_equal(read_secret(file("ok", "s3cret\n", 7, 0600), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "s3cret");
	assert_int_equal(read_secret(file("nonl", "s3cret", 6, 0400), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "s3cret");
	/* spaces are part of it: only the newline goes */
	assert_int_equal(read_secret(file("sp", " a b \n", 6, 0600), buf, sizeof(buf)), 0);
	assert_string_equal(buf, " a b ");

	/* open to others: -EPERM (exit 11), and the buffer holds nothing */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(read_secret(file("g", "s3cret\n", 7, 0640), buf, sizeof(buf)), -EPERM);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(read_secret(file("o", "s3cret\n", 7, 0604), buf, sizeof(buf)), -EPERM);
	assert_int_equal(read_secret(file("gw", "s3cret\n", 7, 0620), buf, sizeof(buf)), -EPERM);

	/* not one line of text */
	assert_int_equal(read_secret(file("empty", "", 0, 0600), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(read_secret(file("nl", "\n", 1, 0600), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(read_secret(file("two", "a\nb\n", 4, 0600), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(read_secret(file("nul", "a\0b\n", 4, 0600), buf, sizeof(buf)), -EINVAL);
	{
		char big[200];

		memset(big, 'k', sizeof(big));
		assert_int_equal(read_secret(file("big", big, sizeof(big), 0600), buf, sizeof(buf)),
				 -ENAMETOOLONG);
		/* exactly what fits */
		assert_int_equal(read_secret(file("fit", big, sizeof(buf) - 1, 0600), buf, sizeof(buf)),
				 0);
		assert_int_equal(strlen(buf), sizeof(buf) - 1);
	}

	/* not a regular file, or not there */
	snprintf(path, sizeof(path), "%s", dir);
	assert_int_equal(read_secret(path, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(read_secret("/dev/null", buf, sizeof(buf)), -EINVAL);
	file("target", "s3cret\n", 7, 0600);
	{
		char link[300];

		snprintf(link, sizeof(link), "%s/link", dir);
		assert_int_equal(symlink(path, link), 0);
		/* a link: -EPERM (exit 11), as the plan's (base/file.h) */
		assert_int_equal(read_secret(link, buf, sizeof(buf)), -EPERM);
		snprintf(link, sizeof(link), "%s/fifo", dir);
		assert_int_equal(mkfifo(link, 0600), 0);
		assert_int_equal(read_secret(link, buf, sizeof(buf)), -EINVAL);
		snprintf(link, sizeof(link), "%s/missing", dir);
		assert_int_equal(read_secret(link, buf, sizeof(buf)), -ENOENT);
	}
}

/* Owned by someone else (needs root to make such a file). */
static void secret_file_of_another_user(void **state)
{
	char buf[72];

	(void)state;
	file("nobody", "s3cret\n", 7, 0600);
	if (geteuid() != 0 || chown(path, 65534, 65534) < 0)
		skip();
	assert_int_equal(read_secret(path, buf, sizeof(buf)), -EPERM);
}

/* "-": one line from standard input, read no further. */
static void secret_from_stdin(void **state)
{
	char buf[72], rest[16] = { 0 };
	int p[2], saved;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "pw 1\nrest", 9), 9);
	close(p[1]);
	saved = dup(0);
	assert_int_not_equal(dup2(p[0], 0), -1);
	close(p[0]);
	assert_int_equal(read_secret("-", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "pw 1");
	assert_int_equal(read(0, rest, sizeof(rest) - 1), 4);
	assert_string_equal(rest, "rest");
	/* at EOF: empty */
	assert_int_equal(read_secret("-", buf, sizeof(buf)), -EINVAL);
	assert_int_not_equal(dup2(saved, 0), -1);
	close(saved);
}

static int net_options(const char *opt, const char *val, struct tcli *ret)
{
	char o[64], v[256];

	snprintf(o, sizeof(o), "%s", opt);
	snprintf(v, sizeof(v), "%s", val);
	*ret = tcli_run(NULL, "--json", "drbd", "net-options", "10.0.0.1:7789", "10.0.0.2:7789",
			"--cram-hmac-alg=sha256", o, v, NULL);
	return ret->rc;
}

/* Exit 11 (permission) or 4 (invalid), one line, before netlink is opened. */
static void cli_refuses_bad_secret_files(void **state)
{
	struct tcli r;

	(void)state;
	assert_int_equal(net_options("--shared-secret-file", file("g", "s\n", 2, 0644), &r),
			 VH_EXIT_PERM);
	assert_int_equal(tcli_error_int(&r, "exit"), VH_EXIT_PERM);
	assert_non_null(strstr(r.err, "mode 0644"));
	assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));	/* one line */
	tcli_free(&r);
	assert_int_equal(net_options("--shared-secret-file", "/dev/null", &r), VH_EXIT_INVALID);
	tcli_free(&r);
	assert_int_equal(net_options("--shared-secret-file", file("two", "a\nb", 3, 0600), &r),
			 VH_EXIT_INVALID);
	tcli_free(&r);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(net_options("--shared-secret-file", path, &r), VH_EXIT_NOTFOUND);
	tcli_free(&r);
	/* too long for DRBD (63 bytes) */
	assert_int_equal(net_options("--shared-secret-file",
				     file("long", "0123456789012345678901234567890123456789"
					  "012345678901234567890123456789\n", 71, 0600), &r),
			 VH_EXIT_INVALID);
	tcli_free(&r);
}

/* --shared-secret=S still works, but says what it costs and scrubs argv. */
static void cli_warns_about_a_secret_on_the_command_line(void **state)
{
	char arg[] = "--shared-secret=topsecret", dup_[] = "--shared-secret", val[] = "topsecret2";
	struct tcli r;

	(void)state;
	r = tcli_run(NULL, "--json", "drbd", "net-options", "10.0.0.1:7789", "10.0.0.2:7789",
		     "--cram-hmac-alg=sha256", arg, NULL);
	assert_non_null(strstr(r.err, "vmhop: warning: --shared-secret on the command line"));
	assert_string_equal(arg, "--shared-secret=");		/* the value is gone from argv */
	assert_int_not_equal(r.rc, VH_EXIT_USAGE);
	tcli_free(&r);
	r = tcli_run(NULL, "--json", "drbd", "net-options", "10.0.0.1:7789", "10.0.0.2:7789",
		     "--cram-hmac-alg=sha256", dup_, val, NULL);
	assert_non_null(strstr(r.err, "warning"));
	assert_string_equal(val, "");
	tcli_free(&r);
	/* the file form says nothing of the kind */
	net_options("--shared-secret-file", file("ok", "s3cret\n", 7, 0600), &r);
	assert_null(strstr(r.err, "warning"));
	assert_int_not_equal(r.rc, VH_EXIT_USAGE);
	assert_int_not_equal(r.rc, VH_EXIT_PERM);
	assert_int_not_equal(r.rc, VH_EXIT_INVALID);
	tcli_free(&r);
	/* a command that sends no net options does not take it */
	r = tcli_run(NULL, "--json", "drbd", "attach", "1", "/dev/a", "/dev/b", "flexible",
		     "--shared-secret-file", path, NULL);
	assert_int_equal(r.rc, VH_EXIT_USAGE);
	tcli_free(&r);
}

/* Each command's --help lists the DRBD options of the nests it sends, from
 * the table that parses them: all of them, and none of another nest. */
static void help_lists_the_options_of_its_nests(void **state)
{
	static const struct { const char *cmd; unsigned nests; } c[] = {
		{ "connect", 1u << DRBDNL_NEST_NET },
		{ "net-options", 1u << DRBDNL_NEST_NET },
		{ "attach", 1u << DRBDNL_NEST_DISK },
		{ "disk-options", 1u << DRBDNL_NEST_DISK },
		{ "new-resource", 1u << DRBDNL_NEST_RES },
		{ "up", (1u << DRBDNL_NEST_DISK) | (1u << DRBDNL_NEST_NET) },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct tcli r = tcli_run(NULL, "drbd", c[k].cmd, "--help", NULL);
		unsigned listed = 0;

		assert_int_equal(r.rc, VH_EXIT_OK);
		for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
			char buf[256], want[80];
			bool mine = c[k].nests & (1u << drbdnl_field_nest(i));

			if (drbdnl_field_help(i, buf, sizeof(buf)) < 0)
				continue;
			/* "--NAME=" or "--NAME[=": the whole name, not a prefix */
			snprintf(want, sizeof(want), "  --%s%c", drbdnl_field_name(i),
				 buf[strcspn(buf, "=[")]);
			if (mine) {
				assert_non_null(strstr(r.out, want));
				listed++;
			} else {
				assert_null(strstr(r.out, want));
			}
		}
		assert_true(listed > 0);
		tcli_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(secret_files),
		cmocka_unit_test(secret_file_of_another_user),
		cmocka_unit_test(secret_from_stdin),
		cmocka_unit_test(cli_refuses_bad_secret_files),
		cmocka_unit_test(cli_warns_about_a_secret_on_the_command_line),
		cmocka_unit_test(help_lists_the_options_of_its_nests),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
