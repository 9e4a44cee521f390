/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain's QEMU as a process (virt_pid.c): libvirt's pid file read and
 * checked against the process's command line, and its pidfd readable once
 * the process is gone.  A child shell stands in for QEMU (its command line
 * carries "-name guest=NAME,..." as libvirt's QEMU does).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "virt/virt.h"

static void parse_pid_bounded(void **state)
{
	int pid = 0;

	(void)state;
	assert_int_equal(vvirt_parse_pid("1234\n", 5, &pid), 0);
	assert_int_equal(pid, 1234);
	/* only the bytes given: the digits after them are not read */
	assert_int_equal(vvirt_parse_pid("12345678", 2, &pid), 0);
	assert_int_equal(pid, 12);
	assert_int_equal(vvirt_parse_pid("", 0, &pid), -EINVAL);
	assert_int_equal(vvirt_parse_pid("\n", 1, &pid), -EINVAL);
	assert_int_equal(vvirt_parse_pid("12x\n", 4, &pid), -EINVAL);
	assert_int_equal(vvirt_parse_pid("-5", 2, &pid), -EINVAL);
	assert_int_equal(vvirt_parse_pid("1", 1, &pid), -ERANGE);	/* never init */
	assert_int_equal(vvirt_parse_pid("0", 1, &pid), -ERANGE);
	assert_int_equal(vvirt_parse_pid("99999999999999999999", 20, &pid), -ERANGE);
	assert_int_equal(vvirt_parse_pid("12\n\n", 4, &pid), 0);
}

#define CMD(s) s, sizeof(s) - 1

static void cmdline_names_the_domain(void **state)
{
	(void)state;
	assert_true(vvirt_cmdline_names(CMD("/usr/bin/qemu-system-x86_64\0-name\0guest=vm1,"
					    "debug-threads=on\0-S\0"), "vm1"));
	assert_true(vvirt_cmdline_names(CMD("qemu\0-name\0guest=vm1"), "vm1"));
	assert_true(vvirt_cmdline_names(CMD("qemu\0-name\0vm1\0"), "vm1"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0-name\0guest=vm10,debug-threads=on\0"), "vm1"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0-name\0guest=vm\0"), "vm1"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0-name\0"), "vm1"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0-name"), "vm1"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0guest=vm1\0"), "vm1"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0-namex\0guest=vm1\0"), "vm1"));
	assert_false(vvirt_cmdline_names("", 0, "vm1"));
	/* a name QEMU would have escaped is never matched */
	assert_false(vvirt_cmdline_names(CMD("qemu\0-name\0guest=a,,b\0"), "a,b"));
	assert_false(vvirt_cmdline_names(CMD("qemu\0-name\0guest=\0"), ""));
}

/* A child whose command line names domain @name, its pid in DIR/@file. */
static pid_t child(const char *dir, const char *file, const char *name)
{
	char arg[128], path[256];
	pid_t pid;
	FILE *f;

	snprintf(arg, sizeof(arg), "guest=%s,debug-threads=on", name);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 30; true", "sh", "-name", arg, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/%s.pid", dir, file);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%d", (int)pid);
	fclose(f);
	return pid;
}

static void wait_exec(pid_t pid)
{
	/* until the child's command line is the shell's */
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512];
		FILE *f;
		size_t n = 0;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		if ((f = fopen(path, "r"))) {
			n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
		}
		if (n > 3 && !memcmp(buf, "sh", 3))
			return;
		usleep(10000);
	}
	fail_msg("child did not exec");
}

static void pidfd_sees_the_exit(void **state)
{
	char dir[] = "/tmp/vmhop-pid-XXXXXX";
	struct vh_error e = { 0 };
	struct pollfd pf;
	pid_t pid;
	int fd = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pid = child(dir, "vm1", "vm1");
	wait_exec(pid);
	assert_int_equal(vvirt_qemu_pidfd(dir, "vm1", &fd, &e), 0);
	assert_true(fd >= 0);
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 0), 0);		/* still running */
	kill(pid, SIGKILL);
	assert_int_equal(poll(&pf, 1, 5000), 1);	/* its exit, seen */
	waitpid(pid, NULL, 0);
	close(fd);

	/* the pid file of another domain's process: refused */
	pid = child(dir, "vm2", "vm3");
	wait_exec(pid);
	fd = -1;
	assert_int_equal(vvirt_qemu_pidfd(dir, "vm2", &fd, &e), -ESRCH);
	assert_int_equal(fd, -1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* gone: its pid file names no process (or another one) */
	assert_true(vvirt_qemu_pidfd(dir, "vm2", &fd, &e) < 0);
	assert_int_equal(fd, -1);
	/* no pid file, a name with a slash, garbage */
	assert_int_equal(vvirt_qemu_pidfd(dir, "nosuch", &fd, &e), -ENOENT);
	assert_int_equal(vvirt_qemu_pidfd(dir, "../vm1", &fd, &e), -EINVAL);
	{
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/bad.pid", dir);
		assert_non_null(f = fopen(path, "w"));
		fputs("12ab\n", f);
		fclose(f);
		assert_int_equal(vvirt_qemu_pidfd(dir, "bad", &fd, &e), -EINVAL);
		unlink(path);
	}
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/vm1.pid", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/vm2.pid", dir);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_pid_bounded),
		cmocka_unit_test(cmdline_names_the_domain),
		cmocka_unit_test(pidfd_sees_the_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
