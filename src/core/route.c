/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which of this host's addresses reaches a peer: the kernel's own answer,
 * the source address of a UDP socket connected to it (which sends
 * nothing: core/reach.h), policy routing and a route's preferred source
 * included.  And this host's addresses: one RTM_GETADDR dump over a raw
 * NETLINK_ROUTE socket (libnl-route is not one of our libraries).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/plan.h"
#include "base/reach.h"

#define ROUTE_TIMEOUT_MS 2000

int vplan_route_source(const char *dst, int family, char *ret_addr, size_t len, struct vh_error *e)
{
	struct sockaddr_storage ss = { 0 }, src;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	void *bin = family == AF_INET6 ? (void *)&s6->sin6_addr : (void *)&s4->sin_addr;
	int r;

	if ((family != AF_INET && family != AF_INET6) || inet_pton(family, dst, bin) != 1)
		return vh_err(e, -EINVAL, "'%s' is not a numeric address", dst);
	/* any port: routing does not look at it (a policy rule could) */
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		s4->sin_port = htons(9);
	else
		s6->sin6_port = htons(9);
	r = vreach_source((struct sockaddr *)&ss, family == AF_INET ? sizeof(*s4) : sizeof(*s6),
			  &src);
	if (r < 0)
		return vh_err(e, r, "route to %s: route lookup: %s", dst, strerror(-r));
	if (!inet_ntop(family, family == AF_INET ? (void *)&((struct sockaddr_in *)&src)->sin_addr
						 : (void *)&((struct sockaddr_in6 *)&src)->sin6_addr,
		       ret_addr, (socklen_t)len))
		return vh_err(e, -ENOSPC, "route to %s: route lookup: address buffer too small", dst);
	return 0;
}

/* ---- this host's addresses: one RTM_GETADDR dump ------------------------ */

/* An NLMSG_ERROR, checked against its own length: 0 for an ack, else its errno
 * (negative), or -EBADMSG for one cut short or out of the errno range. */
static int rt_nlerr(const struct nlmsghdr *nlh, const char *what, struct vh_error *e)
{
	const struct nlmsgerr *err = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
		return vh_err(e, -EBADMSG, "%s: short netlink error", what);
	/* Only -1..-4095 are errnos; anything else is garbage. */
	if (err->error > 0 || err->error < -4095)
		return vh_err(e, -EBADMSG, "%s: bad netlink error %d", what, err->error);
	if (err->error == 0)
		return 0;
	return vh_err(e, err->error, "%s: %s", what, strerror(-err->error));
}

/* A NETLINK_ROUTE socket with @req (@len bytes) sent to the kernel: the
 * socket, or a negative errno. */
static int rt_send(const void *req, size_t len, struct vh_error *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, r;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return vh_err(e, -errno, "rtnetlink socket: %s", strerror(errno));
	if (sendto(fd, req, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = vh_err(e, -errno, "rtnetlink: %s", strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

/* The next datagram on @fd into @buf, whole (a longer one is refused, not
 * cut): its length, or a negative errno; @late says what did not come. */
static ssize_t rt_recv(int fd, void *buf, size_t cap, const char *late, struct vh_error *e)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t got;
	int r;

	do {
		r = poll(&pfd, 1, ROUTE_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return vh_err(e, -ETIMEDOUT, "rtnetlink: %s", late);
	if (r < 0)
		return vh_err(e, -errno, "rtnetlink: %s", strerror(errno));
	/* MSG_TRUNC: the datagram's real length, to refuse a cut one */
	got = recv(fd, buf, cap, MSG_TRUNC);
	if (got < 0)
		return vh_err(e, -errno, "rtnetlink: %s", strerror(errno));
	if ((size_t)got > cap)
		return vh_err(e, -EMSGSIZE, "rtnetlink: a message of %zd bytes", got);
	return got;
}

int vplan_parse_addr_dump(const void *buf, size_t len, uint32_t seq, int family,
			  const unsigned char *const *want, size_t n, int *found,
			  struct vh_error *e)
{
	size_t alen = family == AF_INET6 ? 16 : 4;

	if (family != AF_INET && family != AF_INET6)
		return vh_err(e, -EAFNOSUPPORT, "address list: unknown address family");
	/* Bounded by @len: a datagram holds whole messages, each checked
	 * against what is left, each attribute against its message. */
	for (size_t off = 0, step; off < len; off += step) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)buf + off);
		const struct ifaddrmsg *ifa;
		const struct rtattr *rta;
		const unsigned char *local = NULL, *address = NULL, *a;
		int left;

		if (len - off < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > len - off)
			return vh_err(e, -EBADMSG, "address list: truncated netlink message");
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step > len - off)
			step = len - off;
		if (nlh->nlmsg_seq != seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			int r = rt_nlerr(nlh, "address list", e);

			if (r < 0)
				return r;
			continue;
		}
		if (nlh->nlmsg_type != RTM_NEWADDR)
			continue;
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
			return vh_err(e, -EBADMSG, "address list: short address message");
		ifa = NLMSG_DATA(nlh);
		if (ifa->ifa_family != family)
			continue;
		left = (int)IFA_PAYLOAD(nlh);
		for (rta = IFA_RTA(ifa); RTA_OK(rta, left); rta = RTA_NEXT(rta, left)) {
			if (RTA_PAYLOAD(rta) != alen)
				continue;
			if (rta->rta_type == IFA_LOCAL)
				local = RTA_DATA(rta);
			else if (rta->rta_type == IFA_ADDRESS)
				address = RTA_DATA(rta);
		}
		/* getifaddrs' ifa_addr: IFA_LOCAL, else IFA_ADDRESS (on a
		 * point-to-point link IFA_ADDRESS is the peer's) */
		a = local ? local : address;
		for (size_t i = 0; a && i < n; i++)
			if (!memcmp(a, want[i], alen))
				found[i] = 1;
	}
	return 0;
}

#define ADDR_DUMP_BUF 65536

int vplan_addrs_local(int family, const unsigned char *const *want, size_t n, int *found,
		      struct vh_error *e)
{
	struct {
		struct nlmsghdr nlh;
		struct ifaddrmsg ifa;
	} req;
	char *buf;
	int fd, r;

	for (size_t i = 0; i < n; i++)
		found[i] = 0;
	if (family != AF_INET && family != AF_INET6)
		return vh_err(e, -EAFNOSUPPORT, "address list: unknown address family");
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nlh.nlmsg_type = RTM_GETADDR;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.ifa.ifa_family = (unsigned char)family;	/* the kernel dumps that family only */
	if (!(buf = malloc(ADDR_DUMP_BUF)))
		return vh_err(e, -ENOMEM, "out of memory");
	if ((fd = rt_send(&req, req.nlh.nlmsg_len, e)) < 0) {
		free(buf);
		return fd;
	}
	for (r = 0; r == 0;) {
		ssize_t got = rt_recv(fd, buf, ADDR_DUMP_BUF, "the address list did not end", e);

		if (got < 0) {
			r = (int)got;
			break;
		}
		r = vplan_parse_addr_dump(buf, (size_t)got, 1, family, want, n, found, e);
	}
	if (r > 0)
		r = 0;
	close(fd);
	free(buf);
	return r;
}
