/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A TCP connect with a time limit, to a peer's port (core/reach.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/reach.h"

int vreach_uri_host(const char *uri, char *buf, size_t len)
{
	const char *h = strstr(uri ? uri : "", "://"), *end;
	size_t n;

	if (!h)
		return -EINVAL;
	h += 3;
	end = strchr(h, '/');
	if (!end)
		return -EINVAL;
	for (const char *at = h; at < end; at++)
		if (*at == '@')
			h = at + 1;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));

		if (!close)
			return -EINVAL;
		h++;
		end = close;
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));

		if (colon)
			end = colon;
	}
	n = (size_t)(end - h);
	if (!n || n >= len)
		return -EINVAL;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return 0;
}

int vreach_qemu_uri(const char *uri, char *buf, size_t len, uint16_t *ret_port)
{
	const char *h, *rest, *end;
	unsigned long port = VREACH_MIGRATION_PORT;
	size_t n;

	if (!uri || strncmp(uri, "tcp://", 6))
		return -EINVAL;
	h = uri + 6;
	end = h + strlen(h);
	if (*h == '[') {
		const char *close = strchr(h, ']');

		if (!close)
			return -EINVAL;
		rest = close + 1;
		n = (size_t)(close - h - 1);
		h++;
	} else {
		rest = strchr(h, ':');
		if (!rest)
			rest = end;
		n = (size_t)(rest - h);
	}
	if (*rest == ':') {
		char *e;

		port = strtoul(rest + 1, &e, 10);
		if (e == rest + 1 || *e || port == 0 || port > 65535)
			return -EINVAL;
	} else if (*rest) {
		return -EINVAL;
	}
	if (!n || n >= len)
		return -EINVAL;
	memcpy(buf, h, n);
	buf[n] = '\0';
	*ret_port = (uint16_t)port;
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One address: 0 answered, or a negative errno. */
static int try_one(const struct addrinfo *a, int timeout_ms)
{
	struct pollfd p;
	int fd, r, err = 0;
	socklen_t l = sizeof(err);

	fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
		close(fd);
		return 0;
	}
	if (errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r == -ECONNREFUSED ? 0 : r;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		err = errno;
	close(fd);
	return err == 0 || err == ECONNREFUSED ? 0 : -err;
}

int vreach_tcp(const char *host, uint16_t port, int timeout_ms, struct vh_error *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char service[8];
	int64_t end = mono_ms() + timeout_ms;
	int r = -ENOENT, g;

	snprintf(service, sizeof(service), "%u", port);
	g = getaddrinfo(host, service, &hints, &res);
	if (g)
		return vh_err(e, -ENOENT, "%s does not resolve: %s", host, gai_strerror(g));
	/* Each address in the resolver's order, within the one time limit. */
	for (const struct addrinfo *a = res; a; a = a->ai_next) {
		int64_t left = end - mono_ms();

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		if ((r = try_one(a, (int)left)) == 0)
			break;
	}
	freeaddrinfo(res);
	if (r < 0)
		return vh_err(e, r, "TCP port %u on %s: %s", port, host,
			      r == -ETIMEDOUT ? "no answer (a firewall drops it?)" : strerror(-r));
	return 0;
}
