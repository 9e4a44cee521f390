/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The configuration requests.  Each builds one message exactly as the 8.4
 * kernel expects it addressed (by minor, by resource name, or for
 * disconnect / net-options by the endpoint pair alone) and sends it through
 * drbdnl_do(), which checks ret_code and retries transient states.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "netlink/internal.h"

static int check_res_name(const char *res, struct vh_error *e)
{
	size_t n = res ? strlen(res) : 0;

	if (n == 0 || n > 127)
		return vh_err(e, -EINVAL, "DRBD resource name must have 1 to 127 characters");
	for (const char *p = res; *p; p++)
		if (*p == '/' || isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return vh_err(e, -EINVAL, "DRBD resource name '%s' may not contain '/', "
				      "spaces or control characters", res);
	return 0;
}

static int check_addr(const struct drbdnl_addr *a, const char *which, struct vh_error *e)
{
	if (!a || a->len == 0 || a->len > sizeof(a->ss))
		return vh_err(e, -EINVAL, "%s address missing", which);
	return 0;
}

/* CFG_CONTEXT; @volume < 0 and NULL pointers leave fields out. */
static int put_ctx(struct nl_msg *m, const char *res, long volume, const struct drbdnl_addr *local,
		   const struct drbdnl_addr *peer)
{
	struct nlattr *n = nla_nest_start(m, DRBDNL_A_CFG_CONTEXT | NLA_F_NESTED);

	if (!n)
		return -EMSGSIZE;
	if (res && nla_put_string(m, DRBDNL_T_CTX_RESOURCE_NAME | DRBDNL_F_MANDATORY, res) < 0)
		return -EMSGSIZE;
	if (volume >= 0 && nla_put_u32(m, DRBDNL_T_CTX_VOLUME | DRBDNL_F_MANDATORY,
				       (uint32_t)volume) < 0)
		return -EMSGSIZE;
	if (local && nla_put(m, DRBDNL_T_CTX_MY_ADDR | DRBDNL_F_MANDATORY, (int)local->len,
			     &local->ss) < 0)
		return -EMSGSIZE;
	if (peer && nla_put(m, DRBDNL_T_CTX_PEER_ADDR | DRBDNL_F_MANDATORY, (int)peer->len,
			    &peer->ss) < 0)
		return -EMSGSIZE;
	nla_nest_end(m, n);
	return 0;
}

/* A nest holding one u8 flag set to 1 (force, assume_uptodate). */
static int put_flag_nest(struct nl_msg *m, int tla)
{
	struct nlattr *n = nla_nest_start(m, tla | NLA_F_NESTED);

	if (!n || nla_put_u8(m, 1 | DRBDNL_F_MANDATORY, 1) < 0)
		return -EMSGSIZE;
	nla_nest_end(m, n);
	return 0;
}

static int send_msg(struct drbdnl *h, struct nl_msg *m, int built, const char *what,
		    struct vh_error *e)
{
	int r;

	if (!m)
		return vh_err(e, -ENOMEM, "%s: out of memory", what);
	if (built < 0) {
		explicit_bzero(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		nlmsg_free(m);
		if (built == -EMSGSIZE)
			return vh_err(e, built, "%s: request too large", what);
		return built;	/* e was filled by the builder */
	}
	r = drbdnl_do(h, m, what, NULL, e);
	/* A net-options request carries the shared secret: leave no copy in
	 * freed memory. */
	explicit_bzero(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	return r;
}

static int new_resource(struct drbdnl *h, const char *res, const struct drbdnl_conf *ro,
			int nlflags, struct vh_error *e)
{
	struct nl_msg *m;
	int r = check_res_name(res, e);

	if (r < 0)
		return r;
	m = drbdnl_msg_new(h, DRBDNL_NEW_RESOURCE, DRBDNL_NO_MINOR, 0, nlflags);
	if (m) {
		r = put_ctx(m, res, -1, NULL, NULL);
		if (!r)
			r = drbdnl_put_conf(m, DRBDNL_NEST_RES, ro, false, e);
	}
	r = send_msg(h, m, r, "new-resource", e);
	/* With NLM_F_EXCL, DRBD 8.4 answers an existing resource with
	 * ERR_INVALID_REQUEST ("resource exists"). */
	if (r < 0 && nlflags && e && e->origin_code == 162)
		return vh_err_origin(e, -EEXIST, 162, "new-resource %s: the resource exists "
				     "already (exclusive create)", res);
	return r;
}

int drbdnl_new_resource(struct drbdnl *h, const char *res, const struct drbdnl_conf *ro,
			struct vh_error *e)
{
	return new_resource(h, res, ro, 0, e);
}

int drbdnl_new_resource_excl(struct drbdnl *h, const char *res, const struct drbdnl_conf *ro,
			     struct vh_error *e)
{
	return new_resource(h, res, ro, NLM_F_EXCL, e);
}

int drbdnl_resource_opts(struct drbdnl *h, const char *res, const struct drbdnl_conf *ro,
			 bool set_defaults, struct vh_error *e)
{
	struct nl_msg *m;
	int r = check_res_name(res, e);

	if (r < 0)
		return r;
	m = drbdnl_msg_new(h, DRBDNL_RESOURCE_OPTS, DRBDNL_NO_MINOR,
			   set_defaults ? DRBDNL_F_SET_DEFAULTS : 0, 0);
	if (m) {
		r = put_ctx(m, res, -1, NULL, NULL);
		if (!r)
			r = drbdnl_put_conf(m, DRBDNL_NEST_RES, ro, true, e);
	}
	return send_msg(h, m, r, "resource-options", e);
}

static int new_minor(struct drbdnl *h, const char *res, uint32_t minor, uint32_t volume,
		     int nlflags, struct vh_error *e)
{
	struct nl_msg *m;
	int r = check_res_name(res, e);

	if (r < 0)
		return r;
	if (minor > (1u << 20) - 1)
		return vh_err(e, -ERANGE, "DRBD minor %u is out of range (0..1048575)", minor);
	if (volume > 65535)
		return vh_err(e, -ERANGE, "DRBD volume %u is out of range (0..65535)", volume);
	m = drbdnl_msg_new(h, DRBDNL_NEW_MINOR, minor, 0, nlflags);
	if (m)
		r = put_ctx(m, res, volume, NULL, NULL);
	return send_msg(h, m, r, "new-minor", e);
}

int drbdnl_new_minor(struct drbdnl *h, const char *res, uint32_t minor, uint32_t volume,
		     struct vh_error *e)
{
	return new_minor(h, res, minor, volume, 0, e);
}

/* An existing minor or volume: ERR_MINOR_OR_VOLUME_EXISTS, -EEXIST. */
int drbdnl_new_minor_excl(struct drbdnl *h, const char *res, uint32_t minor, uint32_t volume,
			  struct vh_error *e)
{
	return new_minor(h, res, minor, volume, NLM_F_EXCL, e);
}

int drbdnl_attach(struct drbdnl *h, uint32_t minor, const struct drbdnl_conf *dc,
		  struct vh_error *e)
{
	struct nl_msg *m;
	int r = 0;

	if (!dc || !drbdnl_conf_has(dc, DRBDNL_DISK_BACKING_DEV) ||
	    !drbdnl_conf_has(dc, DRBDNL_DISK_META_DEV) || !drbdnl_conf_has(dc, DRBDNL_DISK_META_IDX))
		return vh_err(e, -EINVAL, "attach needs a backing device, a meta-data device and "
			      "a meta-data index");
	m = drbdnl_msg_new(h, DRBDNL_ATTACH, minor, 0, 0);
	if (m)
		r = drbdnl_put_conf(m, DRBDNL_NEST_DISK, dc, false, e);
	return send_msg(h, m, r, "attach", e);
}

int drbdnl_chg_disk_opts(struct drbdnl *h, uint32_t minor, const struct drbdnl_conf *dc,
			 bool set_defaults, struct vh_error *e)
{
	struct nl_msg *m = drbdnl_msg_new(h, DRBDNL_CHG_DISK_OPTS, minor,
					  set_defaults ? DRBDNL_F_SET_DEFAULTS : 0, 0);
	int r = 0;

	if (m)
		r = drbdnl_put_conf(m, DRBDNL_NEST_DISK, dc, true, e);
	return send_msg(h, m, r, "disk-options", e);
}

/*
 * After a split brain DRBD may resolve it by throwing one side's writes
 * away.  vmhop never lets that happen silently: only "disconnect" (a person
 * decides) and, with no primary, "discard-zero-changes" (drops a side that
 * wrote nothing) are accepted.
 */
static int check_net(const struct drbdnl_conf *nc, struct vh_error *e)
{
	static const enum drbdnl_field_id asb[] = {
		DRBDNL_NET_AFTER_SB_0P, DRBDNL_NET_AFTER_SB_1P, DRBDNL_NET_AFTER_SB_2P };
	char v[64];

	for (size_t i = 0; i < 3; i++) {
		int64_t p;

		if (!drbdnl_conf_has(nc, asb[i]))
			continue;
		p = drbdnl_conf_num(nc, asb[i]);
		if (p == 0 || (i == 0 && p == 3))
			continue;
		drbdnl_conf_format(nc, asb[i], v, sizeof(v));
		return vh_err(e, -EINVAL, "%s=%s could discard data after a split brain; vmhop "
			      "only accepts disconnect%s", drbdnl_field_name(asb[i]), v,
			      i == 0 ? " or discard-zero-changes" : "");
	}
	if (drbdnl_conf_has(nc, DRBDNL_NET_RR_CONFLICT) &&
	    drbdnl_conf_num(nc, DRBDNL_NET_RR_CONFLICT) != 0)
		return vh_err(e, -EINVAL, "rr-conflict other than disconnect could discard data; "
			      "vmhop only accepts disconnect");
	if (drbdnl_conf_has(nc, DRBDNL_NET_SHARED_SECRET) &&
	    drbdnl_conf_str(nc, DRBDNL_NET_SHARED_SECRET)[0] &&
	    !(drbdnl_conf_has(nc, DRBDNL_NET_CRAM_HMAC_ALG) &&
	      drbdnl_conf_str(nc, DRBDNL_NET_CRAM_HMAC_ALG)[0]))
		return vh_err(e, -EINVAL, "a shared secret needs cram-hmac-alg (for example sha256)");
	if (drbdnl_conf_has(nc, DRBDNL_NET_TWO_PRIMARIES) &&
	    drbdnl_conf_num(nc, DRBDNL_NET_TWO_PRIMARIES) &&
	    drbdnl_conf_has(nc, DRBDNL_NET_PROTOCOL) && drbdnl_conf_num(nc, DRBDNL_NET_PROTOCOL) != 3)
		return vh_err(e, -EINVAL, "allow-two-primaries needs protocol C");
	return 0;
}

int drbdnl_connect(struct drbdnl *h, const char *res, const struct drbdnl_addr *local,
		   const struct drbdnl_addr *peer, const struct drbdnl_conf *nc,
		   struct vh_error *e)
{
	static const struct drbdnl_conf empty;
	struct nl_msg *m;
	int r;

	if (!nc)
		nc = &empty;
	if ((r = check_res_name(res, e)) < 0 || (r = check_addr(local, "local", e)) < 0 ||
	    (r = check_addr(peer, "peer", e)) < 0 || (r = check_net(nc, e)) < 0)
		return r;
	m = drbdnl_msg_new(h, DRBDNL_CONNECT, DRBDNL_NO_MINOR, 0, 0);
	if (m) {
		r = put_ctx(m, res, -1, local, peer);
		if (!r)
			r = drbdnl_put_conf(m, DRBDNL_NEST_NET, nc, false, e);
	}
	return send_msg(h, m, r, "connect", e);
}

int drbdnl_chg_net_opts(struct drbdnl *h, const struct drbdnl_addr *local,
			const struct drbdnl_addr *peer, const struct drbdnl_conf *nc,
			bool set_defaults, struct vh_error *e)
{
	static const struct drbdnl_conf empty;
	struct nl_msg *m;
	int r;

	if (!nc)
		nc = &empty;
	if ((r = check_addr(local, "local", e)) < 0 || (r = check_addr(peer, "peer", e)) < 0 ||
	    (r = check_net(nc, e)) < 0)
		return r;
	m = drbdnl_msg_new(h, DRBDNL_CHG_NET_OPTS, DRBDNL_NO_MINOR,
			   set_defaults ? DRBDNL_F_SET_DEFAULTS : 0, 0);
	if (m) {
		r = put_ctx(m, NULL, -1, local, peer);
		if (!r)
			r = drbdnl_put_conf(m, DRBDNL_NEST_NET, nc, true, e);
	}
	return send_msg(h, m, r, "net-options", e);
}

int drbdnl_primary(struct drbdnl *h, uint32_t minor, bool force, struct vh_error *e)
{
	struct nl_msg *m = drbdnl_msg_new(h, DRBDNL_PRIMARY, minor, 0, 0);
	int r = 0;

	if (m && force)
		r = put_flag_nest(m, DRBDNL_A_SET_ROLE_PARMS);
	return send_msg(h, m, r, force ? "primary --force" : "primary", e);
}

int drbdnl_secondary(struct drbdnl *h, uint32_t minor, struct vh_error *e)
{
	return send_msg(h, drbdnl_msg_new(h, DRBDNL_SECONDARY, minor, 0, 0), 0, "secondary", e);
}

int drbdnl_disconnect(struct drbdnl *h, const struct drbdnl_addr *local,
		      const struct drbdnl_addr *peer, bool force, struct vh_error *e)
{
	struct nl_msg *m;
	int r;

	if ((r = check_addr(local, "local", e)) < 0 || (r = check_addr(peer, "peer", e)) < 0)
		return r;
	m = drbdnl_msg_new(h, DRBDNL_DISCONNECT, DRBDNL_NO_MINOR, 0, 0);
	if (m) {
		r = put_ctx(m, NULL, -1, local, peer);
		if (!r && force)
			r = put_flag_nest(m, DRBDNL_A_DISCONNECT_PARMS);
	}
	return send_msg(h, m, r, "disconnect", e);
}

int drbdnl_detach(struct drbdnl *h, uint32_t minor, bool force, struct vh_error *e)
{
	struct nl_msg *m = drbdnl_msg_new(h, DRBDNL_DETACH, minor, 0, 0);
	int r = 0;

	if (m && force)
		r = put_flag_nest(m, DRBDNL_A_DETACH_PARMS);
	return send_msg(h, m, r, "detach", e);
}

static int by_resource(struct drbdnl *h, uint8_t cmd, const char *res, const char *what,
		       struct vh_error *e)
{
	struct nl_msg *m;
	int r = check_res_name(res, e);

	if (r < 0)
		return r;
	m = drbdnl_msg_new(h, cmd, DRBDNL_NO_MINOR, 0, 0);
	if (m)
		r = put_ctx(m, res, -1, NULL, NULL);
	return send_msg(h, m, r, what, e);
}

int drbdnl_down(struct drbdnl *h, const char *res, struct vh_error *e)
{
	return by_resource(h, DRBDNL_DOWN, res, "down", e);
}

int drbdnl_del_resource(struct drbdnl *h, const char *res, struct vh_error *e)
{
	return by_resource(h, DRBDNL_DEL_RESOURCE, res, "del-resource", e);
}

int drbdnl_del_minor(struct drbdnl *h, uint32_t minor, struct vh_error *e)
{
	return send_msg(h, drbdnl_msg_new(h, DRBDNL_DEL_MINOR, minor, 0, 0), 0, "del-minor", e);
}
