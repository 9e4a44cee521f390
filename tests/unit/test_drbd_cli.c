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
			/* up's --timeout is its wait: DRBD's net timeout is not its option */
			if (mine && !strcmp(c[k].cmd, "up") && i == DRBDNL_NET_TIMEOUT) {
				assert_null(strstr(r.out, want));
				assert_non_null(strstr(r.out, "  (--timeout is up's own option"));
				assert_non_null(strstr(r.out, "  --timeout SECONDS "));
				continue;
			}
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

/* "vmhop drbd ARGS... --help": the options before --help parsed as the
 * command would parse them, and the help printed instead of anything done
 * (no netlink): 0, or the usage error an option caused.  @err: stderr. */
static int parses(char *err, size_t len, ...)
{
	char words[24][300] = { "drbd" };	/* writable: --shared-secret is scrubbed */
	char *argv[24] = { words[0] };
	struct tcli r;
	va_list ap;
	int n = 1;

	va_start(ap, len);
	for (const char *a; (a = va_arg(ap, const char *)) && n < 22; n++) {
		snprintf(words[n], sizeof(words[n]), "%s", a);
		argv[n] = words[n];
	}
	va_end(ap);
	argv[n++] = (char *)"--help";
	argv[n] = NULL;
	r = tcli_run(NULL, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
		     argv[7], argv[8], argv[9], argv[10], argv[11], argv[12], argv[13], argv[14],
		     argv[15], argv[16], argv[17], argv[18], argv[19], argv[20], argv[21], argv[22],
		     NULL);
	snprintf(err, len, "%s", r.err);
	n = r.rc;
	tcli_free(&r);
	return n;
}

#define ATTACH "attach", "5", "/dev/a", "/dev/b", "0"
#define CONNECT "connect", "r0", "10.0.0.1:7789", "10.0.0.2:7789"
#define UP "up", "r0", "5", "/dev/a", "/dev/b", "flexible", "10.0.0.1:7789", "10.0.0.2:7789"

/* The forms the hand-written parser took, through getopt_long now. */
static void options_parse_as_before(void **state)
{
	char err[512], secret[300];

	(void)state;
	snprintf(secret, sizeof(secret), "%s", file("ok", "s3cret\n", 7, 0600));
	/* --NAME VALUE, --NAME=VALUE, anywhere among the arguments */
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--resync-rate", "100M", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--resync-rate=100M", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "attach", "--resync-rate", "0x400", "5",
				"/dev/a", "--al-extents=0103", "/dev/b", "0", NULL), 0);
	/* a flag alone or =yes|no, never the next word: "0" is META-IDX */
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--disk-barrier", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--disk-barrier=no", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "attach", "5", "/dev/a", "/dev/b",
				"--disk-flushes", "0", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--disk-barrier", "no", NULL),
			 VH_EXIT_USAGE);
	assert_non_null(strstr(err, "too many arguments"));
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--disk-barrier=maybe", NULL),
			 VH_EXIT_USAGE);
	/* a value that looks like an option is the value */
	assert_int_equal(parses(err, sizeof(err), "new-resource", "r0", "--cpu-mask", "--x",
				NULL), 0);
	/* net options, the secret from a file; vmhop's own options */
	assert_int_equal(parses(err, sizeof(err), CONNECT, "--protocol", "C",
				"--allow-two-primaries", "--after-sb-0pri=discard-zero-changes",
				"--shared-secret-file", secret, "--keep-helper", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), CONNECT, "--override-helper", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "disk-options", "5", "--set-defaults",
				"--c-plan-ahead", "0", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "primary", "--force", "5", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "events", "--timeout=0.5", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "down", "r0", "--keep-helper", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "helper", "make-safe", "r0",
				"--override-helper", NULL), 0);
	/* connect's --timeout is DRBD's, in tenths; up's is its wait, in seconds */
	assert_int_equal(parses(err, sizeof(err), CONNECT, "--timeout", "60", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), CONNECT, "--timeout", "0.5", NULL),
			 VH_EXIT_USAGE);
	assert_non_null(strstr(err, "drbd option timeout"));
	assert_int_equal(parses(err, sizeof(err), UP, "--timeout", "0.5", "--force",
				"--resync-rate", "1G", "--protocol", "C", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), UP, "--timeout", "604801", NULL), VH_EXIT_USAGE);
	/* a word with one dash is an argument (a resource may be so named) */
	assert_int_equal(parses(err, sizeof(err), "new-resource", "-r0", NULL), 0);
	assert_int_equal(parses(err, sizeof(err), "new-resource", "-r0", "r1", NULL),
			 VH_EXIT_USAGE);
	assert_non_null(strstr(err, "too many arguments"));
	assert_int_equal(parses(err, sizeof(err), "new-resource", "-", "--cpu-mask", "1", NULL), 0);
}

/* What it refuses, each a usage error (exit 2) before anything is done. */
static void options_refused(void **state)
{
	char err[512];

	(void)state;
	/* options are matched whole: getopt_long's abbreviations are not taken */
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--resync", "5", NULL), VH_EXIT_USAGE);
	assert_non_null(strstr(err, "unknown option --resync "));
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--resync-rat=5", NULL), VH_EXIT_USAGE);
	assert_int_equal(parses(err, sizeof(err), "primary", "5", "--forc", NULL), VH_EXIT_USAGE);
	assert_int_equal(parses(err, sizeof(err), "down", "r0", "--keep", NULL), VH_EXIT_USAGE);
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--no-such-option", NULL), VH_EXIT_USAGE);
	assert_non_null(strstr(err, "unknown option --no-such-option"));
	/* another nest's option, another command's */
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--protocol", "C", NULL), VH_EXIT_USAGE);
	assert_non_null(strstr(err, "drbd attach does not take --protocol"));
	assert_int_equal(parses(err, sizeof(err), "secondary", "5", "--force", NULL),
			 VH_EXIT_USAGE);
	assert_non_null(strstr(err, "does not take --force"));
	assert_int_equal(parses(err, sizeof(err), "down", "r0", "--override-helper", NULL),
			 VH_EXIT_USAGE);
	assert_non_null(strstr(err, "drbd down does not take --override-helper"));
	assert_int_equal(parses(err, sizeof(err), "net-options", "10.0.0.1:1", "10.0.0.2:1",
				"--keep-helper", NULL), VH_EXIT_USAGE);
	/* attach's arguments are not options (they were taken, then overwritten) */
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--meta-idx", "3", NULL), VH_EXIT_USAGE);
	assert_int_equal(parses(err, sizeof(err), ATTACH, "--backing-dev=/dev/x", NULL),
			 VH_EXIT_USAGE);
	/* vmhop's switches take no value (--force=no forced) */
	assert_int_equal(parses(err, sizeof(err), "primary", "5", "--force=no", NULL),
			 VH_EXIT_USAGE);
	assert_non_null(strstr(err, "--force takes no value"));
	assert_int_equal(parses(err, sizeof(err), "resource-options", "r0", "--set-defaults=1",
				NULL), VH_EXIT_USAGE);
	/* a value missing at the end */
	{
		struct tcli r = tcli_run(NULL, "--json", "drbd", "new-resource", "r0", "--cpu-mask",
					 NULL);

		assert_int_equal(r.rc, VH_EXIT_USAGE);
		assert_non_null(strstr(r.err, "--cpu-mask needs a value"));
		assert_int_equal(tcli_error_int(&r, "exit"), VH_EXIT_USAGE);
		tcli_free(&r);
	}
	/* -h is the only short option: "-x" is an argument, here one too many */
	assert_int_equal(parses(err, sizeof(err), "secondary", "5", "-x", NULL), VH_EXIT_USAGE);
	assert_non_null(strstr(err, "too many arguments"));
	/* after "--" every word is an argument, "--help" too */
	{
		struct tcli r = tcli_run(NULL, "drbd", "new-resource", "r0", "--", "--help", NULL);

		assert_int_equal(r.rc, VH_EXIT_USAGE);
		assert_non_null(strstr(r.err, "too many arguments"));
		tcli_free(&r);
		r = tcli_run(NULL, "drbd", "new-minor", "--", "r0", "5", "--help", NULL);
		assert_int_equal(r.rc, VH_EXIT_USAGE);
		assert_non_null(strstr(r.err, "'--help' is not a volume number"));
		tcli_free(&r);
	}
}

/* Every option a command's --help lists is one its parser takes: given
 * before --help, it may be refused for its value, never as unknown. */
static void every_listed_option_parses(void **state)
{
	static const char *const cmds[] = {
		"status", "events", "wait-connect", "wait-sync", "new-resource", "new-minor",
		"attach", "connect", "up", "primary", "secondary", "disk-options", "net-options",
		"resource-options", "disconnect", "detach", "del-minor", "del-resource", "down",
		"helper",
	};
	unsigned n = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		struct tcli r = tcli_run(NULL, "drbd", cmds[k], "--help", NULL);
		char *text, *line, *save = NULL;

		assert_int_equal(r.rc, VH_EXIT_OK);
		text = strdup(r.out);
		assert_non_null(text);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char opt[80], err[512];
			size_t len;

			if (strncmp(line, "  --", 4))
				continue;
			len = strcspn(line + 2, " =[");
			snprintf(opt, sizeof(opt), "%.*s", (int)len, line + 2);
			if (!strcmp(opt, "--help"))
				continue;
			/* "x": a value if it takes one, else an argument too many */
			parses(err, sizeof(err), cmds[k], opt, "x", NULL);
			if (strstr(err, "unknown option") || strstr(err, "does not take"))
				fail_msg("drbd %s lists %s but refuses it: %s", cmds[k], opt, err);
			n++;
		}
		free(text);
		tcli_free(&r);
	}
	assert_true(n > 100);
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
		cmocka_unit_test(options_parse_as_before),
		cmocka_unit_test(options_refused),
		cmocka_unit_test(every_listed_option_parses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
