/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/reach.c: the host of a plan's libvirt URI, and the TCP probe S makes
 * of D's migration port, against sockets of this process on the loopback.
 * A firewall that drops is tested in the lab (tests/lab/61-refuse.sh, part g).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/reach.h"

static void uri_host(void **state)
{
	char h[64];

	(void)state;
	assert_int_equal(vreach_uri_host("qemu+ssh://root@hv2/system", h, sizeof(h)), 0);
	assert_string_equal(h, "hv2");
	assert_int_equal(vreach_uri_host("qemu+tcp://hv2.example.org:16509/system", h, sizeof(h)), 0);
	assert_string_equal(h, "hv2.example.org");
	assert_int_equal(vreach_uri_host("qemu+tls://[fd00::2]:16514/system", h, sizeof(h)), 0);
	assert_string_equal(h, "fd00::2");
	assert_int_equal(vreach_uri_host("qemu://10.0.0.2/system", h, sizeof(h)), 0);
	assert_string_equal(h, "10.0.0.2");
	/* no host, no path, an open bracket, a host longer than the buffer */
	assert_int_equal(vreach_uri_host("qemu:///system", h, sizeof(h)), -EINVAL);
	assert_int_equal(vreach_uri_host("qemu+ssh://hv2", h, sizeof(h)), -EINVAL);
	assert_int_equal(vreach_uri_host("qemu+ssh://[fd00::2/system", h, sizeof(h)), -EINVAL);
	assert_int_equal(vreach_uri_host("qemu+ssh://hv2/system", h, 3), -EINVAL);
	assert_int_equal(vreach_uri_host(NULL, h, sizeof(h)), -EINVAL);
}

static void qemu_uri(void **state)
{
	char h[64];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(vreach_qemu_uri("tcp://10.9.0.2", h, sizeof(h), &port), 0);
	assert_string_equal(h, "10.9.0.2");
	assert_int_equal(port, VREACH_MIGRATION_PORT);
	assert_int_equal(vreach_qemu_uri("tcp://[fd00::2]:49300", h, sizeof(h), &port), 0);
	assert_string_equal(h, "fd00::2");
	assert_int_equal(port, 49300);
	assert_int_equal(vreach_qemu_uri("tcp://hv2.mig:1", h, sizeof(h), &port), 0);
	assert_string_equal(h, "hv2.mig");
	assert_int_equal(port, 1);
	assert_int_equal(vreach_qemu_uri("rdma://hv2", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://hv2:0", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://hv2:65536", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://hv2:12x", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://[fd00::2", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://[fd00::2]x", h, sizeof(h), &port), -EINVAL);
	assert_int_equal(vreach_qemu_uri("tcp://hv2", h, 3, &port), -EINVAL);
}

/* A listening socket on 127.0.0.1, its port in *ret_port. */
static int listener(uint16_t *ret_port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

static void probe(void **state)
{
	struct vh_error e = { 0 };
	uint16_t port;
	int fd;

	(void)state;
	/* something listens: answered */
	fd = listener(&port, 4);
	assert_int_equal(vreach_tcp("127.0.0.1", port, 1000, &e), 0);
	close(fd);
	/* nothing listens (bound, not listening: the kernel resets): answered,
	 * as D's migration port is between migrations */
	fd = listener(&port, -1);
	assert_int_equal(vreach_tcp("127.0.0.1", port, 1000, &e), 0);
	assert_int_equal(vreach_tcp("localhost", port, 1000, &e), 0);
	close(fd);
	/* a name that does not resolve */
	assert_int_equal(vreach_tcp("no-such-host.invalid", 49152, 1000, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no-such-host.invalid does not resolve"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uri_host),
		cmocka_unit_test(qemu_uri),
		cmocka_unit_test(probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
