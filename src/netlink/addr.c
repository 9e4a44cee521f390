/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Endpoint addresses as DRBD 8.4 takes them: the raw bytes of a zeroed
 * struct sockaddr_in / sockaddr_in6.  The kernel finds a connection for
 * disconnect and net-options by comparing these bytes, so they are always
 * built the same way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "netlink/internal.h"

#define DRBDNL_DEFAULT_PORT 7788

/* 1..65535, decimal (leading zeros as strtoul took them: "07789" is 7789) */
static int parse_port(const char *s, uint16_t *ret)
{
	uint64_t v;

	if (vnum_u64(s, VNUM_ZEROS, 65535, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int drbdnl_addr_parse(const char *text, struct drbdnl_addr *ret, struct vh_error *e)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *s = text, *port_s = NULL;
	uint16_t port = DRBDNL_DEFAULT_PORT;
	int family = 0;

	memset(ret, 0, sizeof(*ret));
	if (!strncmp(s, "ipv4:", 5)) {
		family = AF_INET;
		s += 5;
	} else if (!strncmp(s, "ipv6:", 5)) {
		family = AF_INET6;
		s += 5;
	}
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (size_t)(close - s - 1) >= sizeof(host))
			return vh_err(e, -EINVAL, "bad address '%s'", text);
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1])
			return vh_err(e, -EINVAL, "bad address '%s'", text);
		if (family == AF_INET)
			return vh_err(e, -EINVAL, "bad address '%s': brackets are for IPv6", text);
		family = AF_INET6;
	} else {
		const char *colon = strrchr(s, ':');
		size_t n = strlen(s);

		if (colon && family != AF_INET6 && strchr(s, ':') == colon) {
			n = (size_t)(colon - s);
			port_s = colon + 1;
		}
		if (n >= sizeof(host))
			return vh_err(e, -EINVAL, "bad address '%s'", text);
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (port_s && parse_port(port_s, &port) < 0)
		return vh_err(e, -EINVAL, "bad port in address '%s'", text);
	if (family != AF_INET6) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ret->ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
			ret->len = sizeof(*sin);
			return 0;
		}
		if (family == AF_INET)
			return vh_err(e, -EINVAL, "bad IPv4 address '%s'", text);
	}
	{
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ret->ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return vh_err(e, -EINVAL, "bad address '%s' (want ipv4:A.B.C.D:PORT or "
				      "ipv6:[ADDR]:PORT)", text);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		ret->len = sizeof(*sin6);
	}
	return 0;
}

int drbdnl_addr_format(const struct drbdnl_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->len >= sizeof(struct sockaddr_in) && a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		return snprintf(buf, len, "ipv4:%s:%u", host, ntohs(sin->sin_port));
	}
	if (a->len >= sizeof(struct sockaddr_in6) && a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		return snprintf(buf, len, "ipv6:[%s]:%u", host, ntohs(sin6->sin6_port));
	}
	return snprintf(buf, len, "%s", a->len ? "?" : "");
}
