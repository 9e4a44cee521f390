/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink seam (struct drbdnl_ops) for the fuzz harnesses fuzz_nl_*.c.
 *
 * The fuzz bytes are what the kernel "sent": they go to the real reply loop
 * (drbdnl_dispatch) or the real event loop with exactly the length received,
 * from a heap buffer of exactly that size (the event buffer's tail is
 * poisoned), so ASan sees any read past the received bytes.  Whatever is
 * not being fuzzed gets a well-formed answer built here: the "drbd" family
 * lookup, nlctrl's own, the initial status of a wait.
 *
 * Oracle, besides the sanitizers: an error always leaves with its code and a
 * message in the vh_error (fz_check_error()), never as success.
 */
#ifndef VMHOP_FUZZ_NL_SEAM_H
#define VMHOP_FUZZ_NL_SEAM_H

#include <errno.h>
#include <linux/genetlink.h>
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/internal.h"

#define FZ_FAM 0x20		/* the drbd family id of the recordings */
#define FZ_GRP 0x15
#define FZ_CTRL_NOTIFY 0x10
/* Event inputs: datagrams separated by these 4 bytes. */
#define FZ_SPLIT "\xff\xfe\xfd\xfc"

enum fz_mode {
	FZ_CTRL,	/* the drbd family lookup is answered with the fuzz bytes */
	FZ_REPLY,	/* every DRBD request is answered with them */
	FZ_EVENTS,	/* they are the event datagrams */
};

struct fz_nl {
	enum fz_mode mode;
	const uint8_t *data;
	size_t len;
	size_t evpos;		/* FZ_EVENTS: next datagram */
	struct drbdnl *h;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fz_check_error(int r, const struct vh_error *e)
{
	if (r < 0 && (e->code != r || !e->msg[0]))
		abort();	/* an error without its code or a word */
}

static inline void fz_take(struct nl_msg *m, unsigned char **buf, size_t *len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	*len = nlh->nlmsg_len;
	*buf = malloc(*len);
	if (!*buf)
		abort();
	memcpy(*buf, nlh, *len);
	nlmsg_free(m);
}

static inline void fz_build_ctrl(const char *family, uint16_t id, uint32_t version,
				 uint32_t hdrsize, const char *group, uint32_t group_id,
				 unsigned char **buf, size_t *len)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *grps, *g;

	if (!m || !genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2))
		abort();
	if (nla_put_string(m, CTRL_ATTR_FAMILY_NAME, family) < 0 ||
	    nla_put_u16(m, CTRL_ATTR_FAMILY_ID, id) < 0 ||
	    nla_put_u32(m, CTRL_ATTR_VERSION, version) < 0 ||
	    nla_put_u32(m, CTRL_ATTR_HDRSIZE, hdrsize) < 0 ||
	    nla_put_u32(m, CTRL_ATTR_MAXATTR, 24) < 0 ||
	    !(grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS)) || !(g = nla_nest_start(m, 1)) ||
	    nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, group_id) < 0 ||
	    nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, group) < 0)
		abort();
	nla_nest_end(m, g);
	nla_nest_end(m, grps);
	fz_take(m, buf, len);
}

/* GET_STATUS reply of minor 0 of "r0": Secondary, WFConnection, UpToDate/DUnknown. */
static inline void fz_build_status(unsigned char **buf, size_t *len)
{
	struct nl_msg *m = nlmsg_alloc();
	struct drbdnl_hdr *dh;
	struct nlattr *n;

	if (!m || !(dh = genlmsg_put(m, 0, 0, FZ_FAM, sizeof(*dh), 0, DRBDNL_GET_STATUS, 1)))
		abort();
	dh->minor = 0;
	dh->ret_code = DRBDNL_NO_ERROR;
	if (!(n = nla_nest_start(m, DRBDNL_A_CFG_CONTEXT)) ||
	    nla_put_string(m, DRBDNL_T_CTX_RESOURCE_NAME | DRBDNL_F_MANDATORY, "r0") < 0)
		abort();
	nla_nest_end(m, n);
	if (!(n = nla_nest_start(m, DRBDNL_A_STATE_INFO)) ||
	    nla_put_u32(m, DRBDNL_T_SIB_REASON | DRBDNL_F_MANDATORY,
			DRBDNL_SIB_GET_STATUS_REPLY) < 0 ||
	    nla_put_u32(m, DRBDNL_T_CURRENT_STATE, 2 | 8 << 4 | 8 << 9 | 6 << 13) < 0)
		abort();
	nla_nest_end(m, n);
	fz_take(m, buf, len);
}

static inline void fz_build_done(unsigned char **buf, size_t *len)
{
	struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE,
				 .nlmsg_flags = NLM_F_MULTI };

	*len = NLMSG_LENGTH(4);
	*buf = calloc(1, *len);
	if (!*buf)
		abort();
	memcpy(*buf, &done, sizeof(done));
}

/* What the request asks nlctrl about. */
static inline const char *fz_ctrl_name(struct nl_msg *req)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(req), 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return "";
	return nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]);
}

static inline int fz_transact(struct drbdnl *h, struct nl_msg *req, drbdnl_msg_fn on_msg,
			      void *arg, struct vh_error *e)
{
	struct fz_nl *z = drbdnl_ops_data(h);
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	const struct nlmsghdr *m;
	unsigned char *buf;
	size_t len, off = 0;
	bool fuzzed;
	int r;

	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		fuzzed = z->mode == FZ_CTRL && !strcmp(fz_ctrl_name(req), "drbd");
		if (!fuzzed && !strcmp(fz_ctrl_name(req), "drbd"))
			fz_build_ctrl("drbd", FZ_FAM, 1, 8, "events", FZ_GRP, &buf, &len);
		else if (!fuzzed)
			fz_build_ctrl("nlctrl", GENL_ID_CTRL, 2, 0, "notify", FZ_CTRL_NOTIFY, &buf,
				      &len);
	} else {
		fuzzed = z->mode == FZ_REPLY;
		if (!fuzzed && dump)
			fz_build_done(&buf, &len);
		else if (!fuzzed)
			fz_build_status(&buf, &len);
	}
	if (fuzzed) {
		len = z->len;
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, z->data, len);
	}
	/* A reply answers this request: take the request's sequence number, except
	 * where the input says "some other request" (seq ~0). */
	while ((m = drbdnl_msg_next(buf, len, &off)))
		if (m->nlmsg_seq != UINT32_MAX)
			((struct nlmsghdr *)m)->nlmsg_seq = nlh->nlmsg_seq;
	r = drbdnl_dispatch(buf, len, nlh->nlmsg_seq, dump, on_msg, arg, e);
	free(buf);
	if (r == 0)
		return vh_err(e, -ENODATA, "the fuzz reply ended before the request was answered");
	return r < 0 ? r : 0;
}

static inline int fz_ev_join(struct drbdnl *h, const uint32_t *grps, size_t n,
			     struct vh_error *e)
{
	(void)h;
	(void)grps;
	(void)n;
	(void)e;
	return 0;
}

/* The next datagram of the input; then a socket error ends the event loop. */
static inline ssize_t fz_ev_recv(struct drbdnl *h, void *buf, size_t len, int timeout_ms)
{
	struct fz_nl *z = drbdnl_ops_data(h);
	const uint8_t *p, *end = z->data + z->len, *sep;
	size_t n;

	if (timeout_ms == 0)
		return 0;	/* nothing queued before the wait: every input is an event */
	if (z->mode != FZ_EVENTS || z->evpos > z->len)
		return -ECONNABORTED;
	p = z->data + z->evpos;
	sep = memmem(p, (size_t)(end - p), FZ_SPLIT, 4);
	n = (size_t)((sep ? sep : end) - p);
	z->evpos += n + 4;
	if (n > len)
		return -ENOBUFS;
	ASAN_UNPOISON_MEMORY_REGION(buf, len);
	memcpy(buf, p, n);
	ASAN_POISON_MEMORY_REGION((char *)buf + n, len - n);
	return (ssize_t)n;
}

static inline void fz_backoff(struct drbdnl *h, unsigned ms)
{
	(void)h;
	(void)ms;	/* retries are bounded by count: no need to wait them out here */
}

static const struct drbdnl_ops fz_ops = {
	.transact = fz_transact,
	.ev_join = fz_ev_join,
	.ev_recv = fz_ev_recv,
	.backoff = fz_backoff,
};

/* Open a handle on @z; 0 or the (checked) error. */
static inline int fz_open(struct fz_nl *z, struct vh_error *e)
{
	int r = drbdnl_open_with(&z->h, &fz_ops, z, e);

	fz_check_error(r, e);
	if (r == 0) {
		const struct drbdnl_family *f = drbdnl_family(z->h);

		/* an open handle has a usable family */
		if (f->id < NLMSG_MIN_TYPE || f->version != 1 || f->hdrsize != 8 ||
		    !f->events_group)
			abort();
	}
	return r;
}

static inline void fz_close(struct fz_nl *z)
{
	if (z->h && z->h->evbuf)
		ASAN_UNPOISON_MEMORY_REGION(z->h->evbuf, DRBDNL_RECV_BUF);
	drbdnl_close(z->h);
	z->h = NULL;
}

#endif
