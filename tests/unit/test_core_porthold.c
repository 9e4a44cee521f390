/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a TCP port (porthold.c): /proc/net/tcp{,6} lines as the kernel
 * writes them, and a /proc tree of the test's own (net/tcp, PID/fd links,
 * PID/comm) in which a listener is found and named.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/porthold.h"

static void parse_kernel_lines(void **state)
{
	unsigned long inode = 0;
	unsigned st = 0;
	uint16_t port = 0;

	(void)state;
	/* a listener on 169.254.77.2:7788 (/proc/net/tcp, kernel 6.1) */
	assert_int_equal(vport_parse_line("   0: 024DFEA9:1E6C 00000000:0000 0A 00000000:00000000 "
					  "00:00000000 00000000     0        0 23456 1 "
					  "0000000000000000 100 0 0 10 0\n", &port, &st, &inode), 0);
	assert_int_equal(port, 7788);
	assert_int_equal(st, 0x0a);
	assert_int_equal(inode, 23456);
	/* IPv6 (/proc/net/tcp6): 32 hex digits */
	assert_int_equal(vport_parse_line("   1: 00000000000000000000000001000000:1E6D "
					  "00000000000000000000000000000000:0000 0A 00000000:00000000 "
					  "00:00000000 00000000     0        0 777 1 0 100 0 0 10 0\n",
					  &port, &st, &inode), 0);
	assert_int_equal(port, 7789);
	assert_int_equal(inode, 777);
	/* the header, garbage */
	assert_int_equal(vport_parse_line("  sl  local_address rem_address   st tx_queue rx_queue tr "
					  "tm->when retrnsmt   uid  timeout inode\n", &port, &st,
					  &inode), -EINVAL);
	assert_int_equal(vport_parse_line("", &port, &st, &inode), -EINVAL);
	assert_int_equal(vport_parse_line("   0: 024DFEA9:FFFFF 0:0 0A", &port, &st, &inode),
			 -EINVAL);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void holder_named_from_a_proc_tree(void **state)
{
	char dir[] = "/tmp/vmhop-proc-XXXXXX", p[512], buf[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/net", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/net/tcp", dir);
	put(p, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	       "timeout inode\n"
	       "   0: 024DFEA9:1E6C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
	       "        0 23456 1 0000000000000000 100 0 0 10 0\n");
	snprintf(p, sizeof(p), "%s/4242", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/4242/comm", dir);
	put(p, "nc\n");
	snprintf(p, sizeof(p), "%s/4242/fd", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/4242/fd/3", dir);
	assert_int_equal(symlink("socket:[23456]", p), 0);

	assert_int_equal(vport_holder(dir, 7788, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "program nc (pid 4242)");
	assert_int_equal(vport_holder(dir, 7789, buf, sizeof(buf)), -ENOENT);
	/* the socket of no process seen (the kernel's, as DRBD's) */
	unlink(p);
	assert_int_equal(vport_holder(dir, 7788, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "inode 23456"));

	snprintf(p, sizeof(p), "%s/4242/fd", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/4242/comm", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/4242", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/net/tcp", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/net", dir);
	rmdir(p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_kernel_lines),
		cmocka_unit_test(holder_named_from_a_proc_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
