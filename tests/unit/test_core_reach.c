/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * base/reach.c: the host of a plan's libvirt URI, and the half-open probe S
 * makes of D's migration port, against sockets of this process on the
 * loopback (a raw socket: these tests run as root, as vmhop does).
 * A firewall that drops is tested in the lab (tests/lab/61-refuse.sh, part g).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/reach.h"

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

/* A socket on the loopback of @family, bound, listening when @backlog >= 0,
 * its port in *ret_port; -1 when the family has no loopback here. */
static int listener(int family, uint16_t *ret_port, int backlog)
{
	struct sockaddr_storage a = { .ss_family = (sa_family_t)family };
	socklen_t l = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(family, SOCK_STREAM, 0);

	if (family == AF_INET)
		((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, l) < 0) {
		assert_int_equal(family, AF_INET6);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (backlog >= 0)
		assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port :
			  ((struct sockaddr_in6 *)&a)->sin6_port);
	return fd;
}

/* The listener's queue holds no connection: accept() has nothing. */
static void nothing_to_accept(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	errno = 0;
	assert_int_equal(accept(fd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
}

static void probe(void **state)
{
	struct vh_error e = { 0 };
	uint16_t port;
	int fd;

	(void)state;
	/* something listens: answered, and never connected: what listens
	 * (another move's QEMU waiting for its memory) has nothing to accept */
	fd = listener(AF_INET, &port, 4);
	assert_int_equal(vreach_tcp("127.0.0.1", port, 1000, &e), 0);
	assert_int_equal(vreach_tcp("127.0.0.1", port, 1000, &e), 0);
	nothing_to_accept(fd);
	close(fd);
	/* nothing listens (bound, not listening: the kernel resets): answered,
	 * as D's migration port is between migrations */
	fd = listener(AF_INET, &port, -1);
	assert_int_equal(vreach_tcp("127.0.0.1", port, 1000, &e), 0);
	assert_int_equal(vreach_tcp("localhost", port, 1000, &e), 0);
	close(fd);
	/* the same over IPv6, where the kernel sums the segment */
	fd = listener(AF_INET6, &port, 4);
	if (fd >= 0) {
		assert_int_equal(vreach_tcp("::1", port, 1000, &e), 0);
		nothing_to_accept(fd);
		close(fd);
		fd = listener(AF_INET6, &port, -1);
		assert_int_equal(vreach_tcp("::1", port, 1000, &e), 0);
		close(fd);
	}
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
