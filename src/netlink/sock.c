/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The handle, the real kernel seam and the family check.
 *
 * Messages are built and parsed with libnl; the sockets themselves are plain
 * AF_NETLINK sockets so that every errno the kernel gives (in NLMSG_ERROR,
 * NLMSG_DONE or from recv) reaches the caller exactly, with the kernel's
 * extended-ack text when it sends one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netlink/internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int open_socket(int rcvbuf, struct vh_error *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return vh_err(e, -errno, "cannot open a generic-netlink socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return vh_err(e, r, "cannot bind the generic-netlink socket: %s", strerror(-r));
	}
	/* Best effort: the kernel's text for a refused request, and short acks. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/* The kernel's extended-ack message after a capped struct nlmsgerr, if any. */
static void extack_text(const struct nlmsghdr *r, char *buf, size_t len)
{
	const struct nlmsgerr *err = NLMSG_DATA(r);
	size_t off = NLMSG_HDRLEN + sizeof(*err);
	const unsigned char *p = (const unsigned char *)r;

	buf[0] = '\0';
	if (!(r->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Uncapped, the whole request is echoed before the TLVs (netlink_ack()). */
	if (!(r->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < NLMSG_HDRLEN)
			return;
		off += NLMSG_ALIGN((size_t)err->msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	while (off + NLA_HDRLEN <= r->nlmsg_len) {
		const struct nlattr *a = (const void *)(p + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > r->nlmsg_len)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			snprintf(buf, len, " (%.*s)", (int)strnlen((const char *)a + NLA_HDRLEN,
						      a->nla_len - NLA_HDRLEN), (const char *)a + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

/* The kernel's errnos are 1..4095 (MAX_ERRNO); anything else is a malformed reply. */
static bool is_errno(int v)
{
	return v < 0 && v >= -4095;
}

/*
 * @on_msg gets an error of its own, so that what it leaves there is about
 * this message only; an error it returns without a word still gets one.
 */
static int call_on_msg(drbdnl_msg_fn on_msg, const struct nlmsghdr *r, void *arg,
		       struct vh_error *e)
{
	struct vh_error ce = { 0 };
	int rc = on_msg(r, arg, &ce);

	if (rc >= 0)
		return rc;
	return vh_err_pass(e, &ce, rc, "malformed netlink reply (type %u, %u bytes)",
			   r->nlmsg_type, r->nlmsg_len);
}

/*
 * Hand the messages of one datagram that answer @seq to @on_msg.
 * Returns 1 when the request is fully answered, 0 when more datagrams
 * follow (a dump), or a negative errno (NLMSG_ERROR / NLMSG_DONE's error
 * exactly as the kernel sent it, or what @on_msg returned; -EBADMSG when
 * bytes are left that form no whole message).
 */
int drbdnl_dispatch(const void *buf, size_t len, uint32_t seq, bool dump, drbdnl_msg_fn on_msg,
		    void *arg, struct vh_error *e)
{
	const struct nlmsghdr *r;
	size_t off = 0;

	while ((r = drbdnl_msg_next(buf, len, &off))) {
		if (r->nlmsg_seq != seq)
			continue;	/* a late part of an earlier, abandoned dump */
		if (r->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = NLMSG_DATA(r);
			char ext[200];

			if (r->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
				return vh_err(e, -EBADMSG, "short netlink error message");
			if (err->error == 0) {
				if (!dump)
					return 1;
				continue;
			}
			if (!is_errno(err->error))
				return vh_err(e, -EBADMSG, "netlink error message with error %d",
					      err->error);
			extack_text(r, ext, sizeof(ext));
			return vh_err(e, err->error, "the kernel refused the netlink request: %s%s",
				      strerror(-err->error), ext);
		}
		if (r->nlmsg_type == NLMSG_DONE) {
			int v = 0;

			if (r->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
				memcpy(&v, NLMSG_DATA(r), sizeof(v));
			if (v > 0 || (v < 0 && !is_errno(v)))
				return vh_err(e, -EBADMSG, "netlink dump ended with error %d", v);
			if (v < 0)
				return vh_err(e, v, "netlink dump failed: %s", strerror(-v));
			return 1;
		}
		if (r->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		{
			int rc = call_on_msg(on_msg, r, arg, e);

			if (rc < 0)
				return rc;
		}
		if (!dump)
			return 1;
	}
	if (off < len)
		return vh_err(e, -EBADMSG, "netlink reply cut short: the last %zu of %zu bytes "
			      "are no whole message", len - off, len);
	return 0;
}

static int k_transact(struct drbdnl *h, struct nl_msg *req, drbdnl_msg_fn on_msg, void *arg,
		      struct vh_error *e)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	int r = 0;

	if (send(h->fd, nlh, nlh->nlmsg_len, 0) < 0)
		return vh_err(e, -errno, "netlink send: %s", strerror(errno));
	do {
		ssize_t n = recv(h->fd, h->buf, DRBDNL_RECV_BUF, MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vh_err(e, -errno, "netlink receive: %s", strerror(errno));
		}
		if (n > DRBDNL_RECV_BUF)
			return vh_err(e, -EMSGSIZE, "netlink reply of %zd bytes is too large", n);
		r = drbdnl_dispatch(h->buf, (size_t)n, nlh->nlmsg_seq, dump, on_msg, arg, e);
	} while (r == 0);
	return r < 0 ? r : 0;
}

static int k_ev_join(struct drbdnl *h, const uint32_t *grps, size_t n, struct vh_error *e)
{
	if (h->ev_fd < 0) {
		int fd = open_socket(1 << 20, e);

		if (fd < 0)
			return fd;
		h->ev_fd = fd;
	}
	for (size_t i = 0; i < n; i++) {
		if (setsockopt(h->ev_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grps[i],
			       sizeof(grps[i])) < 0)
			return vh_err(e, -errno, "cannot join netlink group %u: %s", grps[i],
				      strerror(errno));
	}
	return 0;
}

static ssize_t k_ev_recv(struct drbdnl *h, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = h->ev_fd, .events = POLLIN },
			       { .fd = h->wake_fd, .events = POLLIN } };
	ssize_t n;
	int r;

	if (h->ev_fd < 0)
		return -EBADF;
	r = poll(p, h->wake_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	if (!(p[0].revents & (POLLIN | POLLERR)))
		return -EAGAIN;		/* the wake descriptor */
	n = recv(h->ev_fd, buf, len, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN ? -EINTR : -errno;
	/* Only part of the datagram fits: its events are lost, as in an overrun. */
	if ((size_t)n > len)
		return -ENOBUFS;
	return n;
}

const struct drbdnl_ops drbdnl_kernel_ops = {
	.transact = k_transact,
	.ev_join = k_ev_join,
	.ev_recv = k_ev_recv,
};

/* ---- requests ---------------------------------------------------------- */

struct nl_msg *drbdnl_msg_new(const struct drbdnl *h, uint8_t cmd, uint32_t minor,
			      uint32_t flags, int nlmsg_flags)
{
	struct nl_msg *m = nlmsg_alloc();
	struct drbdnl_hdr *dh;

	if (!m)
		return NULL;
	dh = genlmsg_put(m, 0, 0, h->fam.id, sizeof(*dh), NLM_F_REQUEST | nlmsg_flags, cmd,
			 DRBDNL_API_VERSION);
	if (!dh) {
		nlmsg_free(m);
		return NULL;
	}
	dh->minor = minor;
	dh->flags = flags;
	return m;
}

/* Every request goes through here: numbered, counted, then the seam. */
static int transact(struct drbdnl *h, struct nl_msg *m, drbdnl_msg_fn fn, void *arg,
		    struct vh_error *e)
{
	int r;

	nlmsg_hdr(m)->nlmsg_seq = ++h->seq;
	h->round_trips++;
	vh_err_clear(e);
	r = h->ops.transact(h, m, fn, arg, e);
	if (r >= 0)
		return 0;
	/* Whatever the seam, the error leaves here with its code and a message. */
	return e ? vh_err_pass(e, e, r, "netlink request failed") : r;
}

int drbdnl_parse_reply(const struct nlmsghdr *nlh, struct drbdnl_reply *ret)
{
	struct nlattr *tb[DRBDNL_A_MAX + 1];
	const struct drbdnl_hdr *dh;

	if (genlmsg_parse((struct nlmsghdr *)nlh, sizeof(*dh), tb, DRBDNL_A_MAX, NULL) < 0)
		return -EBADMSG;
	dh = genlmsg_user_hdr(nlmsg_data(nlh));
	ret->ret_code = dh->ret_code;
	ret->info[0] = '\0';
	ret->got = true;
	if (tb[DRBDNL_A_CFG_REPLY]) {
		struct nlattr *rb[DRBDNL_T_INFO_TEXT + 1];

		if (nla_parse_nested(rb, DRBDNL_T_INFO_TEXT, tb[DRBDNL_A_CFG_REPLY], NULL) < 0)
			return -EBADMSG;
		if (rb[DRBDNL_T_INFO_TEXT]) {
			const char *s = nla_data(rb[DRBDNL_T_INFO_TEXT]);
			size_t n = strnlen(s, (size_t)nla_len(rb[DRBDNL_T_INFO_TEXT]));

			if (n >= sizeof(ret->info))
				n = sizeof(ret->info) - 1;
			memcpy(ret->info, s, n);
			ret->info[n] = '\0';
			/* the kernel ends its texts with a newline */
			while (n && (ret->info[n - 1] == '\n' || ret->info[n - 1] == ' '))
				ret->info[--n] = '\0';
		}
	}
	return 0;
}

struct reply_ctx {
	const struct drbdnl *h;
	struct drbdnl_reply *rep;
};

static int reply_cb(const struct nlmsghdr *nlh, void *arg, struct vh_error *e)
{
	struct reply_ctx *c = arg;

	if (nlh->nlmsg_type != c->h->fam.id)
		return 0;
	if (drbdnl_parse_reply(nlh, c->rep) < 0)
		return vh_err(e, -EBADMSG, "malformed DRBD reply (%u bytes)", nlh->nlmsg_len);
	return 0;
}

/* The retry backoff: a relative sleep on CLOCK_MONOTONIC, resumed after a signal. */
static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

#define RETRY_MAX 8
#define RETRY_FIRST_MS 10
#define RETRY_CAP_MS 500

int drbdnl_do(struct drbdnl *h, struct nl_msg *m, const char *what, struct drbdnl_reply *ret,
	      struct vh_error *e)
{
	struct drbdnl_reply rep;
	struct reply_ctx c = { .h = h, .rep = &rep };
	unsigned delay = RETRY_FIRST_MS;
	int r;

	for (int attempt = 1;; attempt++) {
		memset(&rep, 0, sizeof(rep));
		r = transact(h, m, reply_cb, &c, e);
		if (r < 0)
			return vh_err_prefix(e, r, "%s", what);
		if (!rep.got)
			return vh_err(e, -EPROTO, "%s: the kernel sent no DRBD reply", what);
		/* Bounded backoff: the kernel asks us to come back in a moment. */
		if ((rep.ret_code == DRBDNL_SS_IN_TRANSIENT_STATE ||
		     rep.ret_code == DRBDNL_SS_CONCURRENT_ST_CHG) && attempt < RETRY_MAX) {
			vh_trace("netlink", "%s: %s, retry %d in %u ms", what,
				 drbdnl_ret_name(rep.ret_code), attempt, delay);
			if (h->ops.backoff)
				h->ops.backoff(h, delay);
			else
				sleep_ms(delay);
			delay = delay * 2 > RETRY_CAP_MS ? RETRY_CAP_MS : delay * 2;
			continue;
		}
		break;
	}
	if (ret)
		*ret = rep;
	vh_trace("netlink", "%s: ret_code %d %s%s%s", what, rep.ret_code,
		 drbdnl_ret_name(rep.ret_code), rep.info[0] ? ": " : "", rep.info);
	if (drbdnl_ret_ok(rep.ret_code))
		return 0;
	return vh_err_origin(e, drbdnl_ret_errno(rep.ret_code), rep.ret_code, "%s: %s (%s %d)%s%s",
			     what, drbdnl_ret_message(rep.ret_code), drbdnl_ret_name(rep.ret_code),
			     rep.ret_code, rep.info[0] ? ": " : "", rep.info);
}

/* ---- family ------------------------------------------------------------ */

int drbdnl_parse_ctrl(const struct nlmsghdr *nlh, struct drbdnl_ctrl_info *ret)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nlattr *g;
	int rem;

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0)
		return -EBADMSG;
	if (!tb[CTRL_ATTR_FAMILY_ID] || nla_len(tb[CTRL_ATTR_FAMILY_ID]) < 2)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION] && nla_len(tb[CTRL_ATTR_VERSION]) >= 4)
		ret->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (tb[CTRL_ATTR_HDRSIZE] && nla_len(tb[CTRL_ATTR_HDRSIZE]) >= 4)
		ret->hdrsize = nla_get_u32(tb[CTRL_ATTR_HDRSIZE]);
	if (tb[CTRL_ATTR_MAXATTR] && nla_len(tb[CTRL_ATTR_MAXATTR]) >= 4)
		ret->maxattr = nla_get_u32(tb[CTRL_ATTR_MAXATTR]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];
		const char *name;

		if (ret->ngrps >= sizeof(ret->grps) / sizeof(ret->grps[0]))
			break;
		if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, g, NULL) < 0)
			return -EBADMSG;
		if (!gb[CTRL_ATTR_MCAST_GRP_NAME] || !gb[CTRL_ATTR_MCAST_GRP_ID] ||
		    nla_len(gb[CTRL_ATTR_MCAST_GRP_ID]) < 4)
			continue;
		name = nla_data(gb[CTRL_ATTR_MCAST_GRP_NAME]);
		snprintf(ret->grps[ret->ngrps].name, sizeof(ret->grps[0].name), "%.*s",
			 (int)strnlen(name, (size_t)nla_len(gb[CTRL_ATTR_MCAST_GRP_NAME])), name);
		ret->grps[ret->ngrps].id = nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
		ret->ngrps++;
	}
	return 0;
}

struct ctrl_ctx {
	struct drbdnl_ctrl_info *info;
	bool got;
};

static int ctrl_cb(const struct nlmsghdr *nlh, void *arg, struct vh_error *e)
{
	struct ctrl_ctx *c = arg;

	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return 0;
	if (drbdnl_parse_ctrl(nlh, c->info) < 0)
		return vh_err(e, -EBADMSG, "malformed nlctrl family reply (%u bytes)",
			      nlh->nlmsg_len);
	c->got = true;
	return 0;
}

int drbdnl_ctrl_getfamily(struct drbdnl *h, const char *name, struct drbdnl_ctrl_info *ret,
			  struct vh_error *e)
{
	struct ctrl_ctx c = { .info = ret };
	struct nl_msg *m = nlmsg_alloc();
	int r;

	/* version 2, as nlctrl itself and drbdsetup-84 use (the kernel does not check it) */
	if (!m || !genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, NLM_F_REQUEST, CTRL_CMD_GETFAMILY, 2) ||
	    nla_put_string(m, CTRL_ATTR_FAMILY_NAME, name) < 0) {
		nlmsg_free(m);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	r = transact(h, m, ctrl_cb, &c, e);
	nlmsg_free(m);
	if (r < 0)
		return r;
	if (!c.got)
		return vh_err(e, -EPROTO, "no answer from nlctrl for family %s", name);
	return 0;
}

static void proc_drbd_version(char *buf, size_t len)
{
	FILE *f = fopen("/proc/drbd", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int resolve(struct drbdnl *h, struct vh_error *e)
{
	struct drbdnl_ctrl_info ci;
	char ver[128];
	int r;

	r = drbdnl_ctrl_getfamily(h, DRBDNL_FAMILY_NAME, &ci, e);
	if (r == -ENOENT)
		return vh_err(e, -ENOPKG, "the drbd kernel module is not loaded (no generic-netlink "
			      "family \"drbd\"); vmhop never loads modules: run 'modprobe drbd' first");
	if (r < 0)
		return vh_err_prefix(e, r, "looking up the drbd netlink family");
	if (ci.id < NLMSG_MIN_TYPE)
		return vh_err(e, -EPROTO, "nlctrl gave the drbd netlink family the id %u", ci.id);
	if (ci.version != DRBDNL_API_VERSION || ci.hdrsize != DRBDNL_HDRSIZE) {
		proc_drbd_version(ver, sizeof(ver));
		return vh_err(e, -EPROTONOSUPPORT, "the loaded drbd module speaks genl API version %u "
			      "(header %u bytes)%s%s%s; vmhop needs the in-kernel DRBD 8.4 (API 1, "
			      "header 8)%s", ci.version, ci.hdrsize, ver[0] ? " [" : "", ver,
			      ver[0] ? "]" : "", ci.version >= 2 ? ": DRBD 9 is not supported" : "");
	}
	memset(&h->fam, 0, sizeof(h->fam));
	h->fam.id = ci.id;
	h->fam.version = ci.version;
	h->fam.hdrsize = ci.hdrsize;
	h->fam.maxattr = ci.maxattr;
	for (unsigned i = 0; i < ci.ngrps; i++)
		if (!strcmp(ci.grps[i].name, DRBDNL_MCGRP_EVENTS))
			h->fam.events_group = ci.grps[i].id;
	if (!h->fam.events_group)
		return vh_err(e, -EPROTO, "the drbd netlink family has no \"events\" group");
	vh_trace("netlink", "family drbd id %u version %u hdrsize %u events group %u",
		 h->fam.id, h->fam.version, h->fam.hdrsize, h->fam.events_group);
	return 0;
}

int drbdnl_open_with(struct drbdnl **ret, const struct drbdnl_ops *ops, void *data,
		     struct vh_error *e)
{
	struct drbdnl *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return vh_err(e, -ENOMEM, "out of memory");
	h->ops = *ops;
	h->ops_data = data;
	h->fd = -1;
	h->ev_fd = -1;
	h->wake_fd = -1;
	h->buf = malloc(DRBDNL_RECV_BUF);
	if (!h->buf) {
		free(h);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	if (ops == &drbdnl_kernel_ops) {
		r = open_socket(0, e);
		if (r < 0)
			goto fail;
		h->fd = r;
	}
	r = resolve(h, e);
	if (r < 0)
		goto fail;
	*ret = h;
	return 0;
fail:
	drbdnl_close(h);
	return r;
}

int drbdnl_open(struct drbdnl **ret, struct vh_error *e)
{
	return drbdnl_open_with(ret, &drbdnl_kernel_ops, NULL, e);
}

void drbdnl_close(struct drbdnl *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	if (h->ev_fd >= 0)
		close(h->ev_fd);
	free(h->buf);
	free(h->evbuf);
	free(h);
}

void *drbdnl_ops_data(struct drbdnl *h)
{
	return h->ops_data;
}

const struct drbdnl_family *drbdnl_family(const struct drbdnl *h)
{
	return &h->fam;
}

void drbdnl_set_kmsg(struct drbdnl *h, const char *path)
{
	h->kmsg_path = path;
}

unsigned drbdnl_round_trips(const struct drbdnl *h)
{
	return h->round_trips;
}

int drbdnl_transact(struct drbdnl *h, struct nl_msg *m, drbdnl_msg_fn fn, void *arg,
		    struct vh_error *e)
{
	return transact(h, m, fn, arg, e);
}
