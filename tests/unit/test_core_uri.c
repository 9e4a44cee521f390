/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* base/uri: the libvirt URI a plan may name (migration.uri). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/uri.h"

static void migration_uris_that_pass(void **state)
{
	static const char *const good[] = {
		"qemu+tcp://hv2/system",		/* the lab's */
		"qemu+ssh://D/system",			/* README's default */
		"qemu+ssh://169.254.77.2/system",	/* vmhop plan's default for an address */
		"qemu+ssh://[fe80::2]/system",		/* ... and for an IPv6 address */
		"qemu+ssh://root@hv2.example.org:2222/system",
		"qemu+tls://[2001:db8::1]:16514/system",
		"qemu://hv-2.lab/system",
		"qemu+tcp://a_b.c@h/system",
	};
	struct vh_error e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (vuri_check_migration(good[i], "migration.uri", &e) != 0)
			fail_msg("%s refused: %s", good[i], e.msg);
}

static void migration_uris_that_are_refused(void **state)
{
	static const struct { const char *uri, *msg; } bad[] = {
		{ "qemu+ext:///system?command=/tmp/x", "transport 'ext' is refused" },
		{ "qemu+ssh://hv2/system?command=/tmp/x", "query parameters are refused ('command')" },
		{ "qemu+ssh://hv2/system?netcat=/bin/nc", "('netcat')" },
		{ "qemu+ssh://hv2/system?socket=/run/x", "('socket')" },
		{ "qemu+ssh://hv2/system?keyfile=/root/k&no_verify=1", "('keyfile', 'no_verify')" },
		{ "qemu+ssh://hv2/system?known_hosts=/dev/null", "('known_hosts')" },
		{ "qemu+libssh2://hv2/system?known_hosts_verify=ignore", "transport 'libssh2'" },
		{ "qemu+ssh://hv2/system?proxy=netcat", "('proxy')" },
		{ "qemu+tls://hv2/system?pkipath=/tmp", "('pkipath')" },
		{ "qemu+ssh://hv2/system?", "(empty)" },
		{ "qemu+ssh://hv2/system#frag", "fragment" },
		{ "qemu+unix:///system", "transport 'unix'" },
		{ "qemu+ssh+x://hv2/system", "transport 'ssh+x'" },
		{ "lxc+ssh://hv2/system", "driver 'lxc'" },
		{ "test:///default", "driver 'test'" },
		{ "hv2", "not a libvirt URI" },
		{ "://hv2/system", "not a libvirt URI" },
		{ "qemu:///system", "no host" },
		{ "qemu+ssh://hv2/session", "path must be /system" },
		{ "qemu+ssh://hv2/system/", "path must be /system" },
		{ "qemu+ssh://hv2", "path must be /system" },
		{ "qemu+ssh://hv2//system", "path must be /system" },
		{ "qemu+ssh://-oProxyCommand=touch/system", "starting with '-' is refused" },
		{ "qemu+ssh://hv2-/system", "ending with '-'" },
		{ "qemu+ssh://a..b/system", "empty label" },
		{ "qemu+ssh://-l@hv2/system", "user" },
		{ "qemu+ssh://@hv2/system", "user" },
		{ "qemu+ssh://a b@hv2/system", "space" },
		{ "qemu+ssh://u:pw@hv2/system", "user has a character" },
		{ "qemu+ssh://hv2:0/system", "port" },
		{ "qemu+ssh://hv2:65536/system", "port" },
		{ "qemu+ssh://hv2:022/system", "port" },
		{ "qemu+ssh://hv2:/system", "port" },
		{ "qemu+ssh://hv2:22x/system", "port" },
		{ "qemu+ssh://[hv2]/system", "IPv6" },
		{ "qemu+ssh://[::1]x/system", "after the IPv6" },
		{ "qemu+ssh://fe80::1/system", "port" },
		{ "qemu+ssh://h%2dv/system", "%-escapes" },
		{ "qemu+ssh://h\tv/system", "control" },
		{ "qemu+ssh://h\xc3\xa9/system", "non-ASCII" },
	};
	struct vh_error e;
	char longer[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		memset(&e, 0, sizeof(e));
		r = vuri_check_migration(bad[i].uri, "migration.uri", &e);
		if (r != -EINVAL || !strstr(e.msg, bad[i].msg) || !strstr(e.msg, "migration.uri") ||
		    strchr(e.msg, '\n'))
			fail_msg("%s: got %d '%s', expected -EINVAL '%s'", bad[i].uri, r, e.msg,
				 bad[i].msg);
	}
	snprintf(longer, sizeof(longer), "qemu+ssh://%0260d/system", 1);
	assert_int_equal(vuri_check_migration(longer, "--uri", &e), -ENAMETOOLONG);
	assert_non_null(strstr(e.msg, "--uri"));
}

/* QEMU's migration URI (migration.migrate_uri): tcp://HOST[:PORT] only. */
static void qemu_uris(void **state)
{
	static const char *const good[] = {
		"tcp://10.9.0.2", "tcp://10.9.0.2:49300", "tcp://hv2-mig.example.org",
		"tcp://[fd00::2]", "tcp://[fd00::2]:1",
	};
	static const char *const bad[] = {
		"", "hv2", "rdma://10.9.0.2", "unix:///tmp/x", "tcp://", "tcp://:49152",
		"tcp://10.9.0.2:0", "tcp://10.9.0.2:65536", "tcp://10.9.0.2:049152",
		"tcp://10.9.0.2/", "tcp://10.9.0.2:1/x", "tcp://-oProxyCommand=x",
		"tcp://[fd00::2", "tcp://[hv2]", "tcp://a b", "tcp://user@hv2", "tcp://hv2?x=1",
	};
	struct vh_error e = { 0 };
	char longer[200];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (vuri_check_qemu(good[i], "x", &e) != 0)
			fail_msg("refused '%s': %s", good[i], e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vuri_check_qemu(bad[i], "--migrate-uri", &e) != -EINVAL)
			fail_msg("passed '%s'", bad[i]);
		assert_non_null(strstr(e.msg, "--migrate-uri '"));
	}
	memset(longer, 'a', sizeof(longer) - 1);
	memcpy(longer, "tcp://", 6);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(vuri_check_qemu(longer, "x", &e), -ENAMETOOLONG);
	assert_int_equal(vuri_check_qemu(NULL, "x", &e), -EINVAL);
}

/* This host's libvirt (--uri, VMHOP_LIBVIRT_URI). */
static void local_uris(void **state)
{
	static const char *const good[] = {
		"qemu:///system", "qemu:///session", "qemu+unix:///system", "test:///default",
	};
	static const char *const bad[] = {
		"", "qemu+tcp://hv2/system", "qemu+ssh://hv2/system", "qemu://hv2/system",
		"qemu+ext:///system?command=/tmp/x", "qemu+unix:///system?socket=/tmp/s",
		"qemu:///system#x", "xen:///system", "qemu:/system", "qemu+ssh:///system",
	};
	struct vh_error e = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (vuri_check_local(good[i], "--uri", &e) != 0)
			fail_msg("refused '%s': %s", good[i], e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vuri_check_local(bad[i], "--uri", &e) != -EINVAL)
			fail_msg("passed '%s'", bad[i]);
	assert_int_equal(vuri_check_local(NULL, "--uri", &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migration_uris_that_pass),
		cmocka_unit_test(migration_uris_that_are_refused),
		cmocka_unit_test(qemu_uris),
		cmocka_unit_test(local_uris),
	};

	return cmocka_run_group_tests_name("core_uri", tests, NULL, NULL);
}
