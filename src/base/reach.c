/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Does a peer's TCP port answer, asked half open (base/reach.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/num.h"
#include "base/reach.h"

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
	uint64_t port = VREACH_MIGRATION_PORT;
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
		if (vnum_u64(rest + 1, VNUM_ZEROS, 65535, &port) < 0 || port == 0)
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

/* The Internet checksum of a TCP segment over IPv4 (RFC 793's pseudo
 * header: source, destination, protocol, length). */
static uint16_t tcp4_sum(const struct in_addr *src, const struct in_addr *dst,
			 const uint8_t *seg, size_t len)
{
	uint32_t s = 0;
	const uint8_t *a = (const uint8_t *)&src->s_addr, *b = (const uint8_t *)&dst->s_addr;

	for (int i = 0; i < 4; i += 2)
		s += (uint32_t)(a[i] << 8 | a[i + 1]) + (uint32_t)(b[i] << 8 | b[i + 1]);
	s += IPPROTO_TCP + (uint32_t)len;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(seg[i] << 8 | seg[i + 1]);
	if (len & 1)
		s += (uint32_t)seg[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/*
 * Is @t (@n bytes, a TCP header) the answer to @s: from the probed port to
 * ours, acknowledging our SYN?  1 a SYN-ACK or a reset, 0 something else.
 */
static int is_answer(const struct vreach_syn *s, const uint8_t *t, size_t n)
{
	if (n < 20 || get16(t) != s->dport || get16(t + 2) != s->sport)
		return 0;
	if (!(t[13] & TCP_ACK) || get32(t + 8) != s->seq + 1)
		return 0;
	return (t[13] & (TCP_SYN | TCP_RST)) != 0;
}

int vreach_answer(const struct vreach_syn *s, const uint8_t *pkt, size_t n,
		  const struct sockaddr_storage *from, socklen_t fromlen)
{
	size_t off = 0;

	if (s->family == AF_INET) {
		/* An IPv4 raw socket hands over the IP header too. */
		const struct sockaddr_in *d = (const struct sockaddr_in *)&s->dst;

		if (n < 20 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_TCP ||
		    memcmp(pkt + 12, &d->sin_addr, 4))
			return 0;
		off = (size_t)(pkt[0] & 0x0f) * 4;
		if (off < 20 || off > n)
			return 0;
	} else {
		const struct sockaddr_in6 *d = (const struct sockaddr_in6 *)&s->dst;
		const struct sockaddr_in6 *f = (const struct sockaddr_in6 *)from;

		if (!from || from->ss_family != AF_INET6 || fromlen < (socklen_t)sizeof(*f) ||
		    memcmp(&f->sin6_addr, &d->sin6_addr, sizeof(d->sin6_addr)))
			return 0;
	}
	return is_answer(s, pkt + off, n - off);
}

/* A packet read from the raw socket: 1 our answer, 0 another packet (or a
 * pending error the kernel reports on the way: read_error has ours),
 * -EAGAIN none left. */
static int read_one(int fd, const struct vreach_syn *s)
{
	uint8_t buf[128];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : 0;
	/* More than the buffer: cut to it (MSG_TRUNC is not asked). */
	return vreach_answer(s, buf, (size_t)n, &from, fl);
}

/*
 * An ICMP error about our SYN (IP_RECVERR): -errno as the kernel converts
 * it (a port unreachable: -ECONNREFUSED; host or network unreachable,
 * filtered: -EHOSTUNREACH, -ENETUNREACH), 0 when it was about another
 * packet or none was queued.  What comes back is the TCP header we sent.
 */
static int read_error(int fd, const struct vreach_syn *s)
{
	uint8_t buf[64], ctl[256];
	struct iovec v = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &m, MSG_ERRQUEUE);

	if (n < 20 || get16(buf) != s->sport || get16(buf + 2) != s->dport)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		struct sock_extended_err ee;

		if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
		    c->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
			return ee.ee_errno ? -(int)ee.ee_errno : 0;
	}
	return 0;
}

int vreach_source(const struct sockaddr *dst, socklen_t len, struct sockaddr_storage *ret)
{
	struct sockaddr_storage ss;
	socklen_t l = (socklen_t)sizeof(ss);
	int u, r;

	u = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u < 0)
		return -errno;
	r = connect(u, dst, len) < 0 || getsockname(u, (struct sockaddr *)&ss, &l) < 0 ? -errno : 0;
	close(u);
	if (r < 0)
		return r;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = 0;
	else if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	*ret = ss;
	return 0;
}

/* The source address the kernel would use towards @a, and a TCP port of
 * ours reserved for the probe (bound, never listening: the kernel resets
 * whatever comes to it, the SYN-ACK included).  The bound socket, or a
 * negative errno. */
static int source_of(const struct addrinfo *a, struct vreach_syn *s)
{
	socklen_t l;
	int t, r;

	if ((r = vreach_source(a->ai_addr, a->ai_addrlen, &s->src)) < 0)
		return r;
	t = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t < 0)
		return -errno;
	l = (socklen_t)sizeof(s->src);
	if (bind(t, (struct sockaddr *)&s->src, l) < 0 ||
	    getsockname(t, (struct sockaddr *)&s->src, &l) < 0) {
		r = -errno;
		close(t);
		return r;
	}
	s->sport = ntohs(a->ai_family == AF_INET ? ((struct sockaddr_in *)&s->src)->sin_port :
			 ((struct sockaddr_in6 *)&s->src)->sin6_port);
	/* A raw socket's address carries no port (IPv6 refuses one). */
	if (a->ai_family == AF_INET)
		((struct sockaddr_in *)&s->src)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&s->src)->sin6_port = 0;
	return t;
}

/* Our SYN, its checksum filled in for IPv4 (IPv6's by the kernel). */
static void build_syn(const struct vreach_syn *s, uint8_t seg[20])
{
	memset(seg, 0, 20);
	put16(seg, s->sport);
	put16(seg + 2, s->dport);
	put32(seg + 4, s->seq);
	seg[12] = 5 << 4;
	seg[13] = TCP_SYN;
	put16(seg + 14, 64240);
	if (s->family == AF_INET)
		put16(seg + 16, tcp4_sum(&((const struct sockaddr_in *)&s->src)->sin_addr,
					 &((const struct sockaddr_in *)&s->dst)->sin_addr, seg, 20));
}

/*
 * One address, half open: a SYN from a raw socket, sent again each second,
 * and the first SYN-ACK or reset from the port is the answer.  The
 * handshake is never completed (our kernel resets the SYN-ACK), so a QEMU
 * listening there for another move's memory never accepts anything: a
 * connect() would be accepted as that migration's stream, and fail it.
 * 0 answered, or a negative errno.
 */
static int syn_one(const struct addrinfo *a, uint16_t port, int timeout_ms)
{
	struct vreach_syn s = { .family = a->ai_family, .dport = port, .len = a->ai_addrlen };
	int64_t end = mono_ms() + timeout_ms, next = 0;
	uint8_t seg[20];
	int one = 1, sum_at = 16, raw, hold, r = -ETIMEDOUT;
	struct timespec now;

	if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
	    a->ai_addrlen > sizeof(s.dst))
		return -EAFNOSUPPORT;
	memcpy(&s.dst, a->ai_addr, a->ai_addrlen);
	if (a->ai_family == AF_INET)
		((struct sockaddr_in *)&s.dst)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&s.dst)->sin6_port = 0;
	hold = source_of(a, &s);
	if (hold < 0)
		return hold;
	clock_gettime(CLOCK_REALTIME, &now);
	s.seq = (uint32_t)now.tv_nsec ^ (uint32_t)now.tv_sec << 12 ^ (uint32_t)getpid();
	raw = socket(a->ai_family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (raw < 0) {
		r = -errno;
		close(hold);
		return r;
	}
	if (bind(raw, (struct sockaddr *)&s.src, s.len) < 0 ||
	    (a->ai_family == AF_INET ?
	     setsockopt(raw, SOL_IP, IP_RECVERR, &one, sizeof(one)) :
	     setsockopt(raw, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one)) < 0 ||
	     setsockopt(raw, SOL_IPV6, IPV6_CHECKSUM, &sum_at, sizeof(sum_at))) < 0) {
		r = -errno;
		goto out;
	}
	build_syn(&s, seg);
	for (;;) {
		int64_t t = mono_ms();
		struct pollfd p = { .fd = raw, .events = POLLIN };
		int n;

		if (t >= end)
			break;
		if (t >= next) {
			/* A local firewall's refusal or no route ends it; an
			 * error the kernel held for this socket (an ICMP about
			 * another packet) or a full queue: again next second. */
			if (sendto(raw, seg, sizeof(seg), 0, (struct sockaddr *)&s.dst, s.len) < 0 &&
			    (errno == EPERM || errno == EACCES || errno == ENETUNREACH ||
			     errno == EHOSTUNREACH)) {
				r = -errno;
				break;
			}
			next = t + 1000;
		}
		n = poll(&p, 1, (int)((next < end ? next : end) - t));
		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (n <= 0)
			continue;
		if (p.revents & POLLERR) {
			int e = read_error(raw, &s);

			if (e < 0) {
				r = e;
				break;
			}
		}
		/* Every TCP packet this host receives comes to a raw socket:
		 * read what is there (bounded), ours or not. */
		for (int i = 0; (p.revents & POLLIN) && r == -ETIMEDOUT && i < 4096; i++) {
			int k = read_one(raw, &s);

			if (k == -EAGAIN)
				break;
			if (k > 0)
				r = 0;
		}
		if (r != -ETIMEDOUT)
			break;
	}
out:
	close(raw);
	close(hold);
	return r;
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
		r = syn_one(a, port, (int)left);
		if (r == 0 || r == -EPERM)
			break;
	}
	freeaddrinfo(res);
	if (r == -EPERM)
		return vh_err(e, r, "TCP port %u on %s not asked: no raw socket here (CAP_NET_RAW)",
			      port, host);
	if (r < 0)
		return vh_err(e, r, "TCP port %u on %s: %s", port, host,
			      r == -ETIMEDOUT ? "no answer (a firewall drops it?)" :
			      r == -ECONNREFUSED ? "refused by ICMP (a firewall rejects it)" :
			      strerror(-r));
	return 0;
}
