/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GET_STATUS replies and DRBD_EVENT multicasts carry the same nests:
 * CFG_CONTEXT, RESOURCE_OPTS, DISK_CONF (while attached), NET_CONF (while
 * configured) and STATE_INFO.  One parser copies them into a struct, so no
 * pointer into a receive buffer survives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/internal.h"

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t n = strnlen(nla_data(a), (size_t)nla_len(a));

	if (n >= size)
		n = size - 1;
	memcpy(dst, nla_data(a), n);
	dst[n] = '\0';
}

static void copy_addr(struct drbdnl_addr *dst, const struct nlattr *a)
{
	size_t n = (size_t)nla_len(a);

	if (n > sizeof(dst->ss))
		n = sizeof(dst->ss);
	memset(dst, 0, sizeof(*dst));
	memcpy(&dst->ss, nla_data(a), n);
	dst->len = (uint32_t)n;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a)
		return 0;
	if (nla_len(a) < 4)
		return -EBADMSG;
	*v = nla_get_u32((struct nlattr *)a);
	return 1;
}

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a)
		return 0;
	if (nla_len(a) < 8)
		return -EBADMSG;
	*v = nla_get_u64((struct nlattr *)a);
	return 1;
}

static void decode_state(struct drbdnl_status *st)
{
	uint32_t s = st->state;

	st->role = s & 0x3;
	st->peer = (s >> 2) & 0x3;
	st->conn = (s >> 4) & 0x1f;
	st->disk = (s >> 9) & 0xf;
	st->pdsk = (s >> 13) & 0xf;
	st->susp = (s >> 17) & 1;
	st->aftr_isp = (s >> 18) & 1;
	st->peer_isp = (s >> 19) & 1;
	st->user_isp = (s >> 20) & 1;
	st->susp_nod = (s >> 21) & 1;
	st->susp_fen = (s >> 22) & 1;
}

static int parse_state_info(const struct nlattr *tla, struct drbdnl_status *st)
{
	struct nlattr *tb[DRBDNL_T_STATE_MAX + 1];
	int r = 0;

	if (nla_parse_nested(tb, DRBDNL_T_STATE_MAX, (struct nlattr *)tla, NULL) < 0)
		return -EBADMSG;
	if (!tb[DRBDNL_T_CURRENT_STATE])
		return -EBADMSG;	/* required by the kernel's own definition */
	if ((r = get_u32(tb[DRBDNL_T_SIB_REASON], &st->sib_reason)) < 0 ||
	    (r = get_u32(tb[DRBDNL_T_CURRENT_STATE], &st->state)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_CAPACITY], &st->capacity)) < 0 ||
	    (r = get_u32(tb[DRBDNL_T_PREV_STATE], &st->prev_state)) < 0 ||
	    (r = get_u32(tb[DRBDNL_T_NEW_STATE], &st->new_state)) < 0 ||
	    (r = get_u32(tb[DRBDNL_T_DISK_FLAGS], &st->disk_flags)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_BITS_TOTAL], &st->bits_total)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_BITS_OOS], &st->bits_oos)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_SEND_CNT], &st->send_cnt)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_RECV_CNT], &st->recv_cnt)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_READ_CNT], &st->read_cnt)) < 0 ||
	    (r = get_u64(tb[DRBDNL_T_WRIT_CNT], &st->writ_cnt)) < 0 ||
	    (r = get_u32(tb[DRBDNL_T_HELPER_EXIT_CODE], &st->helper_exit_code)) < 0)
		return r;
	r = get_u64(tb[DRBDNL_T_BITS_RS_TOTAL], &st->bits_rs_total);
	if (r < 0)
		return r;
	st->has_resync = r > 0;
	if (get_u64(tb[DRBDNL_T_BITS_RS_FAILED], &st->bits_rs_failed) < 0)
		return -EBADMSG;
	if (tb[DRBDNL_T_UUIDS]) {
		if (nla_len(tb[DRBDNL_T_UUIDS]) < (int)sizeof(st->uuids))
			return -EBADMSG;
		memcpy(st->uuids, nla_data(tb[DRBDNL_T_UUIDS]), sizeof(st->uuids));
		st->has_uuids = true;
	}
	if (tb[DRBDNL_T_HELPER])
		copy_str(st->helper, sizeof(st->helper), tb[DRBDNL_T_HELPER]);
	st->has_state = true;
	decode_state(st);
	return 0;
}

int drbdnl_parse_status(const struct nlmsghdr *nlh, struct drbdnl_status *st,
			struct vh_error *e)
{
	struct nlattr *tb[DRBDNL_A_MAX + 1];
	const struct drbdnl_hdr *dh;
	int r;

	memset(st, 0, sizeof(*st));
	if (genlmsg_parse((struct nlmsghdr *)nlh, sizeof(*dh), tb, DRBDNL_A_MAX, NULL) < 0)
		return vh_err(e, -EBADMSG, "malformed DRBD status message");
	dh = genlmsg_user_hdr(nlmsg_data(nlh));
	st->minor = dh->minor;
	/* A request's echoed context comes first; the device's own is the last one. */
	if (tb[DRBDNL_A_CFG_CONTEXT]) {
		struct nlattr *cb[DRBDNL_T_CTX_MAX + 1];

		if (nla_parse_nested(cb, DRBDNL_T_CTX_MAX, tb[DRBDNL_A_CFG_CONTEXT], NULL) < 0)
			return vh_err(e, -EBADMSG, "malformed DRBD context");
		if (get_u32(cb[DRBDNL_T_CTX_VOLUME], &st->volume) < 0)
			return vh_err(e, -EBADMSG, "malformed DRBD volume");
		if (cb[DRBDNL_T_CTX_RESOURCE_NAME])
			copy_str(st->resource, sizeof(st->resource), cb[DRBDNL_T_CTX_RESOURCE_NAME]);
		if (cb[DRBDNL_T_CTX_MY_ADDR])
			copy_addr(&st->my_addr, cb[DRBDNL_T_CTX_MY_ADDR]);
		if (cb[DRBDNL_T_CTX_PEER_ADDR])
			copy_addr(&st->peer_addr, cb[DRBDNL_T_CTX_PEER_ADDR]);
	}
	if (tb[DRBDNL_A_RESOURCE_OPTS] &&
	    drbdnl_get_conf(tb[DRBDNL_A_RESOURCE_OPTS], DRBDNL_NEST_RES, &st->conf) < 0)
		return vh_err(e, -EBADMSG, "malformed DRBD resource options");
	if (tb[DRBDNL_A_DISK_CONF]) {
		if (drbdnl_get_conf(tb[DRBDNL_A_DISK_CONF], DRBDNL_NEST_DISK, &st->conf) < 0)
			return vh_err(e, -EBADMSG, "malformed DRBD disk options");
		st->attached = true;
	}
	if (tb[DRBDNL_A_NET_CONF]) {
		if (drbdnl_get_conf(tb[DRBDNL_A_NET_CONF], DRBDNL_NEST_NET, &st->conf) < 0)
			return vh_err(e, -EBADMSG, "malformed DRBD net options");
		st->has_net = true;
	}
	if (tb[DRBDNL_A_STATE_INFO]) {
		r = parse_state_info(tb[DRBDNL_A_STATE_INFO], st);
		if (r < 0)
			return vh_err(e, r, "malformed DRBD state info");
	}
	return 0;
}

bool drbdnl_sync_progress(const struct drbdnl_status *st, struct drbdnl_progress *ret)
{
	uint64_t left, total;

	memset(ret, 0, sizeof(*ret));
	if (!st->has_state || !st->has_resync || st->conn < DRBDNL_C_SYNC_SOURCE ||
	    st->conn > DRBDNL_C_PAUSED_SYNC_T)
		return false;
	left = st->bits_oos - (st->bits_rs_failed <= st->bits_oos ? st->bits_rs_failed : 0);
	total = st->bits_rs_total ? st->bits_rs_total : 1;
	/* keep left * 1000 inside 64 bits */
	while (total > UINT64_MAX / 1000) {
		left >>= 1;
		total >>= 1;
	}
	if (left > total)
		left = total;
	ret->permille = (unsigned)(1000 - left * 1000 / total);
	ret->left_kib = st->bits_oos * 4;
	ret->total_kib = st->bits_rs_total * 4;
	return true;
}

bool drbdnl_in_sync_permille(const struct drbdnl_status *st, unsigned *ret)
{
	uint64_t total = st->bits_total, oos = st->bits_oos, in;

	*ret = 0;
	if (!total)
		return false;
	if (oos > total)
		oos = total;	/* never seen; a garbage reply is not a negative share */
	in = total - oos;
	/* keep in * 1000 inside 64 bits */
	while (total > UINT64_MAX / 1000) {
		in >>= 1;
		total >>= 1;
	}
	*ret = (unsigned)(in * 1000 / total);
	if (*ret == 1000 && oos)
		*ret = 999;	/* the shift above rounded a few blocks away */
	return true;
}

/* ---- GET_STATUS -------------------------------------------------------- */

struct one_ctx {
	struct drbdnl *h;
	struct drbdnl_status *st;
	bool got;
	int32_t ret_code;
};

static int one_cb(const struct nlmsghdr *nlh, void *arg, struct vh_error *e)
{
	struct one_ctx *c = arg;
	struct drbdnl_reply rep;

	if (nlh->nlmsg_type != c->h->fam.id)
		return 0;
	if (drbdnl_parse_reply(nlh, &rep) < 0)
		return vh_err(e, -EBADMSG, "malformed DRBD reply");
	c->ret_code = rep.ret_code;
	c->got = true;
	if (rep.ret_code != DRBDNL_NO_ERROR)
		return 0;
	return drbdnl_parse_status(nlh, c->st, e);
}

int drbdnl_get_status(struct drbdnl *h, uint32_t minor, struct drbdnl_status *ret,
		      struct vh_error *e)
{
	struct drbdnl_status *st = malloc(sizeof(*st));
	struct one_ctx c = { .h = h, .st = st };
	struct nl_msg *m;
	int r;

	if (!st)
		return vh_err(e, -ENOMEM, "out of memory");
	m = drbdnl_msg_new(h, DRBDNL_GET_STATUS, minor, 0, 0);
	if (!m) {
		free(st);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	r = drbdnl_transact(h, m, one_cb, &c, e);
	nlmsg_free(m);
	if (r < 0) {
		vh_err_prefix(e, r, "status of minor %u", minor);
	} else if (!c.got) {
		r = vh_err(e, -EPROTO, "status of minor %u: no reply", minor);
	} else if (c.ret_code != DRBDNL_NO_ERROR) {
		int err = drbdnl_ret_errno(c.ret_code);

		r = vh_err_origin(e, err ? err : -EPROTO, c.ret_code,
				  "minor %u: %s (%s)", minor, drbdnl_ret_message(c.ret_code),
				  drbdnl_ret_name(c.ret_code));
	} else {
		*ret = *st;
		r = 0;
	}
	free(st);
	return r;
}

struct all_ctx {
	struct drbdnl *h;
	struct drbdnl_status *v;
	size_t n, cap;
};

static int all_cb(const struct nlmsghdr *nlh, void *arg, struct vh_error *e)
{
	struct all_ctx *c = arg;
	int r;

	if (nlh->nlmsg_type != c->h->fam.id)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		struct drbdnl_status *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return vh_err(e, -ENOMEM, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	r = drbdnl_parse_status(nlh, &c->v[c->n], e);
	if (r < 0)
		return r;
	c->n++;
	return 0;
}

int drbdnl_get_status_all(struct drbdnl *h, const char *res, struct drbdnl_status **ret,
			  size_t *ret_n, struct vh_error *e)
{
	struct all_ctx c = { .h = h };
	struct nl_msg *m = drbdnl_msg_new(h, DRBDNL_GET_STATUS, DRBDNL_NO_MINOR, 0, NLM_F_DUMP);
	int r = 0;

	if (!m)
		return vh_err(e, -ENOMEM, "out of memory");
	if (res) {
		struct nlattr *n = nla_nest_start(m, DRBDNL_A_CFG_CONTEXT | NLA_F_NESTED);

		if (!n || nla_put_string(m, DRBDNL_T_CTX_RESOURCE_NAME | DRBDNL_F_MANDATORY, res) < 0)
			r = -EMSGSIZE;
		else
			nla_nest_end(m, n);
	}
	if (!r)
		r = drbdnl_transact(h, m, all_cb, &c, e);
	else
		r = vh_err(e, r, "request too large");
	nlmsg_free(m);
	if (r < 0) {
		free(c.v);
		if (r == -ENODEV && res)
			return vh_err(e, -ENOENT, "no DRBD resource '%s'", res);
		return vh_err_prefix(e, r, "status");
	}
	*ret = c.v;
	*ret_n = c.n;
	return 0;
}
