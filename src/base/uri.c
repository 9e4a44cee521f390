/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt URI of a plan: only what a migration needs (see uri.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "base/uri.h"

#define FORM "qemu[+ssh|+tls|+tcp]://[user@]host[:port]/system"

static const char *const schemes[] = { "qemu", "qemu+ssh", "qemu+tls", "qemu+tcp" };

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int refuse(struct vh_error *e, const char *what, const char *uri, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(struct vh_error *e, const char *what, const char *uri, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return vh_err(e, -EINVAL, "%s '%s': %s; a plan's libvirt URI is " FORM, what, uri, why);
}

/* "qemu+tcp" of "qemu+tcp://..." into @s (NUL-terminated), or -EINVAL. */
static int check_scheme(const char *uri, const char *what, size_t n, struct vh_error *e)
{
	char s[32];
	const char *plus;

	if (n == 0 || n >= sizeof(s))
		return refuse(e, what, uri, "%s", "not a libvirt URI (no scheme://)");
	memcpy(s, uri, n);
	s[n] = '\0';
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strcmp(s, schemes[i]))
			return 0;
	plus = strchr(s, '+');
	if (plus && !strncmp(s, "qemu+", 5))
		return refuse(e, what, uri, "transport '%s' is refused (only ssh, tls, tcp)",
			      plus + 1);
	if (plus)
		*(char *)plus = '\0';
	return refuse(e, what, uri, "driver '%s' is refused (only qemu)", s);
}

static int check_user(const char *uri, const char *what, const char *u, size_t n,
		      struct vh_error *e)
{
	if (n == 0 || n > 32 || u[0] == '-')
		return refuse(e, what, uri, "%s", "the user must be 1..32 characters, not "
			      "starting with '-'");
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return refuse(e, what, uri, "%s", "the user has a character outside "
				      "A-Z a-z 0-9 . _ -");
	return 0;
}

/* A DNS name or IPv4 address: labels of [A-Za-z0-9-], none starting or
 * ending with '-' (ssh takes "-oProxyCommand=..." for an option). */
static int check_name(const char *uri, const char *what, const char *h, size_t n,
		      struct vh_error *e)
{
	size_t label = 0;

	if (n == 0)
		return refuse(e, what, uri, "%s", "no host (a migration goes to another host)");
	if (h[0] == '-')
		return refuse(e, what, uri, "%s", "a host starting with '-' is refused (ssh reads "
			      "it as an option)");
	if (n > 253)
		return refuse(e, what, uri, "%s", "the host name is longer than 253 characters");
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? h[i] : '.';

		if (c == '.') {
			if (label == 0 || h[i - label] == '-' || h[i - 1] == '-' || label > 63)
				return refuse(e, what, uri, "%s", "the host name has an empty label, "
					      "a label over 63 characters or one starting or "
					      "ending with '-'");
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			label++;
		} else {
			return refuse(e, what, uri, "%s", "the host has a character outside "
				      "A-Z a-z 0-9 . - (an IPv6 address goes in [brackets])");
		}
	}
	return 0;
}

static int check_host(const char *uri, const char *what, const char *h, size_t n,
		      struct vh_error *e)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char a[INET6_ADDRSTRLEN];

	if (n == 0 || h[0] != '[')
		return check_name(uri, what, h, n, e);
	if (n < 3 || h[n - 1] != ']' || n - 2 >= sizeof(a))
		return refuse(e, what, uri, "%s", "a bracketed host must be an IPv6 address");
	memcpy(a, h + 1, n - 2);
	a[n - 2] = '\0';
	if (inet_pton(AF_INET6, a, bin) != 1)
		return refuse(e, what, uri, "%s", "a bracketed host must be an IPv6 address");
	return 0;
}

static int check_port(const char *uri, const char *what, const char *p, size_t n,
		      struct vh_error *e)
{
	uint64_t v;

	/* decimal, no leading zero */
	if (vnum_u64n(p, n, 0, 65535, &v) < 0 || v == 0)
		return refuse(e, what, uri, "%s", "the port must be a number 1..65535");
	return 0;
}

/* "user@host:port" between "://" and the path. */
static int check_authority(const char *uri, const char *what, const char *a, size_t n,
			   struct vh_error *e)
{
	const char *at = memchr(a, '@', n), *h, *colon = NULL;
	size_t hn;
	int r;

	if (at) {
		if ((r = check_user(uri, what, a, (size_t)(at - a), e)) < 0)
			return r;
		h = at + 1;
	} else {
		h = a;
	}
	hn = n - (size_t)(h - a);
	if (hn && h[0] == '[') {
		const char *close = memchr(h, ']', hn);

		if (close && (size_t)(close - h) + 1 < hn)
			colon = close + 1;
	} else {
		colon = memchr(h, ':', hn);
	}
	if (colon && *colon != ':')
		return refuse(e, what, uri, "%s", "unexpected characters after the IPv6 address");
	if (colon) {
		size_t pn = hn - (size_t)(colon - h) - 1;

		if ((r = check_port(uri, what, colon + 1, pn, e)) < 0)
			return r;
		hn = (size_t)(colon - h);
	}
	return check_host(uri, what, h, hn, e);
}

/* The names of every parameter of the query string @q (after '?'). */
static int refuse_query(const char *uri, const char *what, const char *q, struct vh_error *e)
{
	char names[160] = "";
	size_t len = 0;

	while (*q && *q != '#') {
		size_t n = strcspn(q, "=&#");
		int w = snprintf(names + len, sizeof(names) - len, "%s'%.*s'", len ? ", " : "",
				 (int)(n > 40 ? 40 : n), q);

		if (w < 0 || (size_t)w >= sizeof(names) - len)
			break;
		len += (size_t)w;
		q += strcspn(q, "&#");
		if (*q == '&')
			q++;
	}
	return refuse(e, what, uri, "query parameters are refused (%s): vmhop adds none",
		      len ? names : "empty");
}

int vuri_check_migration(const char *uri, const char *what, struct vh_error *e)
{
	const char *sep, *auth, *path, *end;
	size_t len = strnlen(uri, VURI_MAX + 1);
	int r;

	if (len > VURI_MAX)
		return vh_err(e, -ENAMETOOLONG, "%s is longer than %d bytes", what, VURI_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c <= 0x20 || c >= 0x7f)
			return vh_err(e, -EINVAL, "%s has a space, control or non-ASCII byte at "
				      "offset %zu", what, i);
	}
	if (!(sep = strstr(uri, "://")))
		return refuse(e, what, uri, "%s", "not a libvirt URI (no scheme://)");
	if ((r = check_scheme(uri, what, (size_t)(sep - uri), e)) < 0)
		return r;
	if (strchr(uri, '%'))
		return refuse(e, what, uri, "%s", "%-escapes are refused");
	auth = sep + 3;
	path = auth + strcspn(auth, "/?#");
	if ((r = check_authority(uri, what, auth, (size_t)(path - auth), e)) < 0)
		return r;
	end = path + strcspn(path, "?#");
	if ((size_t)(end - path) != strlen("/system") || strncmp(path, "/system", 7))
		return refuse(e, what, uri, "%s", "the path must be /system");
	if (*end == '?')
		return refuse_query(uri, what, end + 1, e);
	if (*end == '#')
		return refuse(e, what, uri, "%s", "a fragment (#...) is refused");
	return 0;
}

int vuri_check_qemu(const char *uri, const char *what, struct vh_error *e)
{
	const char *a, *rest, *end;
	size_t hn;

	if (!uri)
		return vh_err(e, -EINVAL, "%s: no URI", what);
	if (strnlen(uri, VURI_QEMU_MAX + 1) > VURI_QEMU_MAX)
		return vh_err(e, -ENAMETOOLONG, "%s: longer than %d bytes", what, VURI_QEMU_MAX);
	if (strncmp(uri, "tcp://", 6))
		goto bad;
	a = uri + 6;
	end = a + strlen(a);
	if (*a == '[') {
		const char *close = strchr(a, ']');

		if (!close)
			goto bad;
		rest = close + 1;
	} else {
		rest = strchr(a, ':');
		if (!rest)
			rest = end;
	}
	hn = (size_t)(rest - a);
	if (check_host(uri, what, a, hn, NULL) < 0)
		goto bad;
	if (*rest && (*rest != ':' || check_port(uri, what, rest + 1, (size_t)(end - rest - 1),
						 NULL) < 0))
		goto bad;
	return 0;
bad:
	return vh_err(e, -EINVAL, "%s '%s': QEMU's migration URI must be tcp://HOST[:PORT] (a "
		      "DNS name, an IPv4 address or an [IPv6] address; port 1..65535)", what, uri);
}

int vuri_check_local(const char *uri, const char *what, struct vh_error *e)
{
	static const char *const ok[] = { "qemu:///", "qemu+unix:///", "test:///" };

	for (size_t i = 0; uri && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strncmp(uri, ok[i], strlen(ok[i])) && !strpbrk(uri, "?#") &&
		    strnlen(uri, VURI_MAX + 1) <= VURI_MAX)
			return 0;
	return vh_err(e, -EINVAL, "%s '%s': only a URI of this host's libvirt is taken "
		      "(qemu:///..., qemu+unix:///..., test:///...): no host, no query", what,
		      uri ? uri : "");
}
