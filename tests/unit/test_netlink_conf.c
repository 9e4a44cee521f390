/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/netlink without a kernel: addresses, option tables, ret_code mapping.
 * (The usermode-helper policy: test_netlink_helper.c.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "netlink/drbdnl.h"

static void addr_ipv4_bytes(void **state)
{
	static const unsigned char want[16] = { 0x02, 0x00, 0x1e, 0x6c, 0x0a, 0x00, 0x00, 0x02 };
	struct drbdnl_addr a;
	char buf[64];

	assert_int_equal(drbdnl_addr_parse("ipv4:10.0.0.2:7788", &a, NULL), 0);
	assert_int_equal(a.len, 16);
	assert_memory_equal(&a.ss, want, 16);
	/* same bytes without the prefix and with the default port */
	assert_int_equal(drbdnl_addr_parse("10.0.0.2", &a, NULL), 0);
	assert_memory_equal(&a.ss, want, 16);
	drbdnl_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "ipv4:10.0.0.2:7788");
}

static void addr_ipv6(void **state)
{
	struct drbdnl_addr a;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.ss;
	struct in6_addr want;
	char buf[80];

	assert_int_equal(drbdnl_addr_parse("ipv6:[fd00::77:2]:7790", &a, NULL), 0);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 7790);
	assert_int_equal(s6->sin6_flowinfo, 0);
	assert_int_equal(s6->sin6_scope_id, 0);
	inet_pton(AF_INET6, "fd00::77:2", &want);
	assert_memory_equal(&s6->sin6_addr, &want, sizeof(want));
	drbdnl_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "ipv6:[fd00::77:2]:7790");
	assert_int_equal(drbdnl_addr_parse("[::1]", &a, NULL), 0);
	assert_int_equal(ntohs(s6->sin6_port), 7788);
	assert_int_equal(drbdnl_addr_parse("fd00::1", &a, NULL), 0);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
}

static void addr_rejects(void **state)
{
	struct drbdnl_addr a;
	struct vh_error e = { 0 };

	assert_int_equal(drbdnl_addr_parse("ipv4:10.0.0.300:1", &a, &e), -EINVAL);
	assert_int_equal(drbdnl_addr_parse("10.0.0.1:0", &a, &e), -EINVAL);
	assert_int_equal(drbdnl_addr_parse("10.0.0.1:65536", &a, &e), -EINVAL);
	assert_int_equal(drbdnl_addr_parse("ipv4:[::1]:7788", &a, &e), -EINVAL);
	assert_int_equal(drbdnl_addr_parse("[::1", &a, &e), -EINVAL);
	assert_int_equal(drbdnl_addr_parse("hv2:7788", &a, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "hv2"));
}

static void conf_text_units_and_enums(void **state)
{
	struct drbdnl_conf c = { 0 };
	struct vh_error e = { 0 };
	char buf[64];

	assert_int_equal(drbdnl_conf_set_text(&c, "--resync-rate", "100M", &e), 0);
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_DISK_RESYNC_RATE), 102400);
	assert_int_equal(drbdnl_conf_set_text(&c, "c-max-rate", "250k", &e), 0);
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_DISK_C_MAX_RATE), 250);
	assert_int_equal(drbdnl_conf_set_text(&c, "c-fill-target", "1M", &e), 0);
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_DISK_C_FILL_TARGET), 2048);
	assert_int_equal(drbdnl_conf_set_text(&c, "c-plan-ahead", "0", &e), 0);
	assert_true(drbdnl_conf_has(&c, DRBDNL_DISK_C_PLAN_AHEAD));
	assert_int_equal(drbdnl_conf_set_text(&c, "on-io-error", "detach", &e), 0);
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_DISK_ON_IO_ERROR), 2);
	assert_int_equal(drbdnl_conf_set_text(&c, "protocol", "C", &e), 0);
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_NET_PROTOCOL), 3);
	assert_int_equal(drbdnl_conf_set_text(&c, "allow-two-primaries", NULL, &e), 0);
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_NET_TWO_PRIMARIES), 1);
	assert_int_equal(drbdnl_conf_set_text(&c, "disk-flushes", "no", &e), 0);
	assert_true(drbdnl_conf_has(&c, DRBDNL_DISK_FLUSHES));
	assert_int_equal(drbdnl_conf_num(&c, DRBDNL_DISK_FLUSHES), 0);
	assert_int_equal(drbdnl_conf_format(&c, DRBDNL_NET_PROTOCOL, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "C");
	assert_int_equal(drbdnl_conf_set_text(&c, "shared-secret", "s3cret", &e), 0);
	drbdnl_conf_format(&c, DRBDNL_NET_SHARED_SECRET, buf, sizeof(buf));
	assert_string_equal(buf, "(set)");	/* never printed */
	assert_false(drbdnl_conf_has(&c, DRBDNL_NET_TIMEOUT));
}

static void conf_text_rejects(void **state)
{
	struct drbdnl_conf c = { 0 };
	struct vh_error e = { 0 };
	char longsecret[80];

	assert_int_equal(drbdnl_conf_set_text(&c, "resync-rate", "0", &e), -ERANGE);
	assert_int_equal(drbdnl_conf_set_text(&c, "resync-rate", "5T", &e), -EINVAL);
	assert_int_equal(drbdnl_conf_set_text(&c, "c-plan-ahead", "301", &e), -ERANGE);
	assert_int_equal(drbdnl_conf_set_text(&c, "protocol", "D", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "A, B, C"));
	assert_int_equal(drbdnl_conf_set_text(&c, "no-such-option", "1", &e), -EINVAL);
	assert_int_equal(drbdnl_conf_set_text(&c, "allow-two-primaries", "maybe", &e), -EINVAL);
	memset(longsecret, 'x', sizeof(longsecret) - 1);
	longsecret[sizeof(longsecret) - 1] = '\0';
	assert_int_equal(drbdnl_conf_set_text(&c, "shared-secret", longsecret, &e), -ENAMETOOLONG);
	assert_int_equal(c.set, 0);
}

/* The values drbdsetup's syntax allows (strtoll(.., 0) and one unit
 * letter), each as the option parser took it before core/num.h read them. */
static void conf_text_number_forms(void **state)
{
	static const struct { const char *name, *text; int64_t want; } good[] = {
		{ "resync-rate", "100", 100 },
		{ "resync-rate", "0x400", 1024 },	/* hex */
		{ "resync-rate", "0100", 64 },		/* octal, as drbdsetup */
		{ "resync-rate", " 100", 100 },		/* strtoll skips leading blanks */
		{ "resync-rate", "+100", 100 },
		{ "resync-rate", "100k", 100 },
		{ "resync-rate", "100K", 100 },
		{ "resync-rate", "4m", 4096 },
		{ "resync-rate", "4G", 4194304 },
		{ "resync-rate", "0x10M", 16384 },
		{ "size", "2048", 2048 },		/* sectors */
		{ "size", "2048s", 2048 },
		{ "size", "1k", 2 },
		{ "size", "1M", 2048 },
		{ "size", "1g", 2097152 },
		{ "size", "4398046511103G", 4398046511103LL * 2097152 },
		{ "resync-after", "-1", -1 },		/* signed */
		{ "resync-after", "-0x1", -1 },
		{ "resync-after", "1048575", 1048575 },
		{ "al-extents", "0103", 67 },		/* octal: "067" would be 55 */
		{ "c-plan-ahead", "0", 0 },
		{ "timeout", "60", 60 },
	};
	static const struct { const char *name, *text; int err; } bad[] = {
		{ "resync-rate", "", -EINVAL },
		{ "resync-rate", "100 ", -EINVAL },	/* nothing after the unit */
		{ "resync-rate", "100KB", -EINVAL },
		{ "resync-rate", "100KiB", -EINVAL },
		{ "resync-rate", "100s", -EINVAL },	/* sectors are not a rate */
		{ "resync-rate", "100T", -EINVAL },
		{ "resync-rate", "1e3", -EINVAL },
		{ "resync-rate", "1.5M", -EINVAL },
		{ "resync-rate", "0x", -EINVAL },
		{ "resync-rate", "08", -EINVAL },
		{ "resync-rate", "-1K", -ERANGE },	/* below 1 */
		{ "resync-rate", "5G", -ERANGE },	/* above 4194304 */
		{ "size", "1S", -EINVAL },		/* drbdsetup's s is lower case */
		{ "size", "4398046511104G", -ERANGE },	/* 2^63 sectors */
		{ "size", "99999999999999999999", -ERANGE },
		{ "al-extents", "100K", -EINVAL },	/* a plain number */
		{ "timeout", "6s", -EINVAL },
		{ "resync-after", "-2", -ERANGE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct drbdnl_conf c = { 0 };
		struct vh_error e = { 0 };
		int r = drbdnl_conf_set_text(&c, good[i].name, good[i].text, &e);

		if (r)
			fail_msg("--%s='%s': %d %s", good[i].name, good[i].text, r, e.msg);
		for (int id = 0; id < DRBDNL_FIELD_COUNT; id++)
			if (drbdnl_conf_has(&c, id) && drbdnl_conf_num(&c, id) != good[i].want)
				fail_msg("--%s='%s': %lld, not %lld", good[i].name, good[i].text,
					 (long long)drbdnl_conf_num(&c, id), (long long)good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drbdnl_conf c = { 0 };
		struct vh_error e = { 0 };
		int r = drbdnl_conf_set_text(&c, bad[i].name, bad[i].text, &e);

		if (r != bad[i].err || c.set)
			fail_msg("--%s='%s': %d, not %d", bad[i].name, bad[i].text, r, bad[i].err);
		assert_non_null(strstr(e.msg, bad[i].name));
	}
}

/* A DRBD address's port: decimal, leading zeros as strtoul took them. */
static void addr_port_forms(void **state)
{
	static const char *const bad[] = {
		"10.0.0.1:", "10.0.0.1:0", "10.0.0.1:00", "10.0.0.1:65536", "10.0.0.1:-1",
		"10.0.0.1:0x10", "10.0.0.1:7788x", "10.0.0.1:99999999999999999999",
	};
	struct drbdnl_addr a;
	struct vh_error e = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(drbdnl_addr_parse("10.0.0.1:07789", &a, &e), 0);
	drbdnl_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "ipv4:10.0.0.1:7789");
	assert_int_equal(drbdnl_addr_parse("10.0.0.1:65535", &a, &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (drbdnl_addr_parse(bad[i], &a, &e) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static void ret_codes_both_spaces(void **state)
{
	assert_true(drbdnl_ret_ok(101));
	for (int i = 1; i <= 4; i++)
		assert_true(drbdnl_ret_ok(i));
	/* every code whose errno is 0 is ok: drbdnl_do() never reports success as an error,
	 * nor an error as 0 */
	assert_true(drbdnl_ret_ok(-9));
	assert_int_equal(drbdnl_ret_errno(-9), 0);
	for (int i = -30; i < 200; i++)
		assert_true(drbdnl_ret_ok(i) == (drbdnl_ret_errno(i) == 0));
	assert_false(drbdnl_ret_ok(0));
	assert_false(drbdnl_ret_ok(-12));
	assert_false(drbdnl_ret_ok(127));
	assert_int_equal(drbdnl_ret_errno(101), 0);
	assert_int_equal(drbdnl_ret_errno(127), -ENXIO);
	assert_int_equal(drbdnl_ret_errno(158), -ENOENT);
	assert_int_equal(drbdnl_ret_errno(102), -EADDRINUSE);
	assert_int_equal(drbdnl_ret_errno(-12), -EBUSY);
	assert_int_equal(drbdnl_ret_errno(-2), -EPROTO);
	assert_int_equal(drbdnl_ret_errno(-18), -EAGAIN);
	assert_int_equal(drbdnl_ret_errno(119), -EBADMSG);
	assert_int_equal(drbdnl_ret_errno(999), -EPROTO);	/* unknown: still an error */
	assert_string_equal(drbdnl_ret_name(-12), "SS_DEVICE_IN_USE");
	assert_string_equal(drbdnl_ret_name(161), "ERR_MINOR_OR_VOLUME_EXISTS");
	assert_string_equal(drbdnl_ret_name(-999), "UNKNOWN");
	assert_string_equal(drbdnl_conn_name(10), "Connected");
	assert_string_equal(drbdnl_conn_name(17), "SyncTarget");
	assert_string_equal(drbdnl_disk_name(8), "UpToDate");
	assert_string_equal(drbdnl_role_name(2), "Secondary");
	assert_string_equal(drbdnl_conn_name(99), "?");
}

static void progress_math(void **state)
{
	struct drbdnl_status st = { .has_state = true, .has_resync = true, .conn = 17 };
	struct drbdnl_progress p;

	st.bits_rs_total = 51200;	/* 200 MiB in 4 KiB bits */
	st.bits_oos = 12800;		/* a quarter left */
	assert_true(drbdnl_sync_progress(&st, &p));
	assert_int_equal(p.permille, 750);
	assert_int_equal(p.left_kib, 51200);
	assert_int_equal(p.total_kib, 204800);
	st.bits_oos = 0;
	assert_true(drbdnl_sync_progress(&st, &p));
	assert_int_equal(p.permille, 1000);
	st.conn = 10;	/* Connected: no resync runs */
	assert_false(drbdnl_sync_progress(&st, &p));
}

/* ---- why a connection went StandAlone, from the kernel log (recorded in the lab) ---- */

static void kernel_reason_wrong_secret(void **state)
{
	char why[200];

	assert_int_equal(drbdnl_kernel_reason("tests/data/netlink/kmsg-r40-wrong-secret.txt", "r40",
					      why, sizeof(why)), -EKEYREJECTED);
	assert_non_null(strstr(why, "shared secret"));
	/* another resource's log says nothing about r4 or r400 */
	assert_int_equal(drbdnl_kernel_reason("tests/data/netlink/kmsg-r40-wrong-secret.txt", "r4",
					      why, sizeof(why)), 0);
	assert_int_equal(drbdnl_kernel_reason("tests/data/netlink/kmsg-r40-wrong-secret.txt", "r400",
					      why, sizeof(why)), 0);
}

static void kernel_reason_forgotten_at_next_connect(void **state)
{
	char why[200];

	/* after the failure came a new connect (StandAlone -> Unconnected) that worked and a
	 * plain down: the old failure is not this session's reason */
	assert_int_equal(drbdnl_kernel_reason("tests/data/netlink/kmsg-r40.txt", "r40", why,
					      sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(drbdnl_kernel_reason("/nonexistent", "r40", why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_ipv4_bytes),
		cmocka_unit_test(addr_ipv6),
		cmocka_unit_test(addr_rejects),
		cmocka_unit_test(conf_text_units_and_enums),
		cmocka_unit_test(conf_text_rejects),
		cmocka_unit_test(conf_text_number_forms),
		cmocka_unit_test(addr_port_forms),
		cmocka_unit_test(ret_codes_both_spaces),
		cmocka_unit_test(progress_math),
		cmocka_unit_test(kernel_reason_wrong_secret),
		cmocka_unit_test(kernel_reason_forgotten_at_next_connect),
	};

	return cmocka_run_group_tests_name("netlink_conf", tests, NULL, NULL);
}
