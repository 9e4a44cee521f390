/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Events: join the "events" group (and nlctrl's "notify" group, to see the
 * module go) *before* reading the current status, so no change can fall in
 * between; then sleep in poll() until the kernel says something.  No
 * polling loop.  A socket overrun means events were lost: re-read the status.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlink/internal.h"

static int64_t now_ms(void)
{
	struct timespec ts = { 0 };

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail for this clock */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * @fn gets an error of its own; an error it returns without a word still
 * leaves with one (an error never travels as an empty message).
 */
static int call_fn(drbdnl_event_fn fn, const struct drbdnl_status *st, void *arg,
		   struct vh_error *e)
{
	struct vh_error fe = { 0 };
	int r = fn(st, arg, &fe);

	if (r >= 0)
		return r;
	return vh_err_pass(e, &fe, r, "DRBD minor %u: the event handler failed", st->minor);
}

/* Hand the current status (one minor or all) to @fn, as the first "event". */
static int snapshot(struct drbdnl *h, uint32_t minor, drbdnl_event_fn fn, void *arg,
		    struct drbdnl_status *st, struct vh_error *e)
{
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	int r;

	if (minor != DRBDNL_ALL_MINORS) {
		r = drbdnl_get_status(h, minor, st, e);
		if (r < 0)
			return r;
		return call_fn(fn, st, arg, e);
	}
	r = drbdnl_get_status_all(h, NULL, &v, &n, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = call_fn(fn, &v[i], arg, e);
	free(v);
	return r;
}

/* nlctrl says a family or its group went away: is it ours? */
static bool ctrl_says_gone(const struct drbdnl *h, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (g->cmd != CTRL_CMD_DELFAMILY && g->cmd != CTRL_CMD_DELMCAST_GRP)
		return false;
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0)
		return false;
	if (tb[CTRL_ATTR_FAMILY_ID] && nla_len(tb[CTRL_ATTR_FAMILY_ID]) >= 2)
		return nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]) == h->fam.id;
	if (tb[CTRL_ATTR_FAMILY_NAME])
		return !strncmp(nla_data(tb[CTRL_ATTR_FAMILY_NAME]), DRBDNL_FAMILY_NAME,
				(size_t)nla_len(tb[CTRL_ATTR_FAMILY_NAME]));
	return false;
}

/* events2 DEVICE_STATE with NOTIFY_DESTROY: the minor was deleted. */
static bool device_destroyed(const struct nlmsghdr *nlh)
{
	struct nlattr *tb[DRBDNL_A_MAX + 1], *nb[DRBDNL_T_NH_TYPE + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct drbdnl_hdr), tb, DRBDNL_A_MAX,
			  NULL) < 0 || !tb[DRBDNL_A_NOTIFICATION_HEADER])
		return false;
	if (nla_parse_nested(nb, DRBDNL_T_NH_TYPE, tb[DRBDNL_A_NOTIFICATION_HEADER], NULL) < 0 ||
	    !nb[DRBDNL_T_NH_TYPE] || nla_len(nb[DRBDNL_T_NH_TYPE]) < 4)
		return false;
	return (nla_get_u32(nb[DRBDNL_T_NH_TYPE]) & ~DRBDNL_NOTIFY_FLAGS) == DRBDNL_NOTIFY_DESTROY;
}

static int join(struct drbdnl *h, struct vh_error *e)
{
	uint32_t grps[2];
	size_t n = 0;

	if (!h->ctrl_notify_group) {
		struct drbdnl_ctrl_info ci;
		struct vh_error ignored;

		/* Without it we would only miss the module-unload notice: go on. */
		if (drbdnl_ctrl_getfamily(h, "nlctrl", &ci, &ignored) == 0)
			for (unsigned i = 0; i < ci.ngrps; i++)
				if (!strcmp(ci.grps[i].name, "notify"))
					h->ctrl_notify_group = ci.grps[i].id;
	}
	grps[n++] = h->fam.events_group;
	if (h->ctrl_notify_group)
		grps[n++] = h->ctrl_notify_group;
	return h->ops.ev_join(h, grps, n, e);
}

/*
 * The event socket stays subscribed between waits on one handle, so it may
 * hold what happened since the last one: states older than the snapshot
 * read next.  Handed to @fn after the snapshot, such a state could satisfy
 * a predicate that the current state does not.  Dropped, unread (bounded:
 * what keeps arriving meanwhile is newer, and the snapshot covers it).
 */
static void discard_pending(struct drbdnl *h)
{
	if (!h->evbuf)
		return;
	for (int i = 0; i < 1024; i++) {
		ssize_t n = h->ops.ev_recv(h, h->evbuf, DRBDNL_RECV_BUF, 0);

		if (n <= 0 && n != -ENOBUFS && n != -EINTR)
			return;		/* nothing (more) queued, or only the wake descriptor */
	}
}

int drbdnl_events_fd(struct drbdnl *h, struct vh_error *e)
{
	int r;

	if (!h->evbuf && !(h->evbuf = malloc(DRBDNL_RECV_BUF)))
		return vh_err(e, -ENOMEM, "out of memory");
	if ((r = join(h, e)) < 0)
		return r;
	if (h->ev_fd < 0)
		return vh_err(e, -ENOTSUP, "this netlink transport has no event descriptor");
	return h->ev_fd;
}

void drbdnl_events_drop(struct drbdnl *h)
{
	discard_pending(h);
}

void drbdnl_set_wake_fd(struct drbdnl *h, int fd)
{
	h->wake_fd = fd;
}

int drbdnl_events(struct drbdnl *h, uint32_t minor, int timeout_ms, drbdnl_event_fn fn,
		  void *arg, struct vh_error *e)
{
	/* int64 milliseconds of CLOCK_MONOTONIC: now + INT_MAX cannot overflow */
	const bool timed = timeout_ms >= 0;
	const int64_t deadline = timed ? now_ms() + timeout_ms : 0;
	struct drbdnl_status *st;
	int r;

	if (!h->evbuf && !(h->evbuf = malloc(DRBDNL_RECV_BUF)))
		return vh_err(e, -ENOMEM, "out of memory");
	st = malloc(sizeof(*st));
	if (!st)
		return vh_err(e, -ENOMEM, "out of memory");
	r = join(h, e);
	if (r < 0)
		goto out;
	discard_pending(h);
	r = snapshot(h, minor, fn, arg, st, e);
	while (r == 0) {
		int wait = -1;
		const struct nlmsghdr *nlh;
		ssize_t n;
		size_t off = 0;

		if (timed) {
			int64_t rem = deadline - now_ms();

			if (rem <= 0) {
				r = vh_err(e, -ETIMEDOUT, "timed out waiting for DRBD events");
				break;
			}
			wait = rem > 60000 ? 60000 : (int)rem;
		}
		n = h->ops.ev_recv(h, h->evbuf, DRBDNL_RECV_BUF, wait);
		if (n == 0 || n == -EINTR)
			continue;
		if (n == -EAGAIN) {
			r = vh_err(e, -EAGAIN, "woken");
			break;
		}
		if (n == -ENOBUFS) {
			vh_trace("netlink", "event socket overrun: events lost, re-reading the status");
			r = snapshot(h, minor, fn, arg, st, e);
			continue;
		}
		if (n < 0) {
			r = vh_err(e, (int)n, "receiving DRBD events: %s", strerror((int)-n));
			break;
		}
		if ((size_t)n > DRBDNL_RECV_BUF) {
			r = vh_err(e, -EMSGSIZE, "DRBD event datagram of %zd bytes is too large", n);
			break;
		}
		while (r == 0 && (nlh = drbdnl_msg_next(h->evbuf, (size_t)n, &off))) {
			const struct genlmsghdr *g;
			const struct drbdnl_hdr *dh;

			if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			g = nlmsg_data(nlh);
			if (nlh->nlmsg_type == GENL_ID_CTRL) {
				if (ctrl_says_gone(h, nlh))
					r = vh_err(e, -ENODEV, "the drbd module was unloaded");
				continue;
			}
			if (nlh->nlmsg_type != h->fam.id ||
			    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN + sizeof(*dh)))
				continue;
			dh = genlmsg_user_hdr(g);
			if (minor != DRBDNL_ALL_MINORS && dh->minor != minor)
				continue;
			if (g->cmd == DRBDNL_DEVICE_STATE && minor != DRBDNL_ALL_MINORS &&
			    device_destroyed(nlh)) {
				r = vh_err(e, -ENXIO, "DRBD minor %u was deleted", minor);
				continue;
			}
			if (g->cmd != DRBDNL_EVENT)
				continue;
			r = drbdnl_parse_status(nlh, st, e);
			if (r == 0)
				r = call_fn(fn, st, arg, e);
		}
		if (r == 0 && off < (size_t)n)
			r = vh_err(e, -EBADMSG, "DRBD event datagram cut short: the last %zu of %zd "
				   "bytes are no whole message", (size_t)n - off, n);
	}
out:
	free(st);
	return r < 0 ? r : 0;
}

/* ---- waits ------------------------------------------------------------- */

int drbdnl_pred_connected(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	return st->conn >= DRBDNL_C_CONNECTED;
}

int drbdnl_pred_synced(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	return st->conn == DRBDNL_C_CONNECTED && st->disk == DRBDNL_D_UP_TO_DATE &&
	       st->pdsk == DRBDNL_D_UP_TO_DATE;
}

int drbdnl_pred_peer_primary(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	return st->conn >= DRBDNL_C_CONNECTED && st->peer == DRBDNL_R_PRIMARY;
}

int drbdnl_pred_peer_secondary(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	return st->conn >= DRBDNL_C_CONNECTED && st->peer == DRBDNL_R_SECONDARY;
}

struct wait_ctx {
	drbdnl_pred_fn pred;
	void *pred_arg;
	drbdnl_progress_fn progress;
	void *progress_arg;
	struct drbdnl_status *ret;
	const char *kmsg;
	bool was_connected;
};

static int wait_cb(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	struct wait_ctx *w = arg;
	int r;

	if (!st->has_state)
		return 0;
	if (st->sib_reason != DRBDNL_SIB_GET_STATUS_REPLY && st->sib_reason != DRBDNL_SIB_STATE_CHANGE &&
	    st->sib_reason != DRBDNL_SIB_SYNC_PROGRESS)
		return 0;	/* helper calls repeat the state; nothing new */
	if (w->progress) {
		struct drbdnl_progress p;

		drbdnl_sync_progress(st, &p);
		w->progress(st, &p, w->progress_arg);
	}
	r = w->pred(st, w->pred_arg, e);
	if (r > 0) {
		if (w->ret)
			*w->ret = *st;
		return 1;
	}
	if (r < 0)
		return r;
	if (st->conn < DRBDNL_C_UNCONNECTED) {
		char why[200];
		int err = drbdnl_kernel_reason(w->kmsg, st->resource, why, sizeof(why));

		if (err)
			return vh_err(e, err, "DRBD minor %u went %s: %s", st->minor,
				      drbdnl_conn_name(st->conn), why);
		return vh_err(e, -ENOTCONN, "DRBD minor %u went %s (the peer refused the connection, "
			      "or a split brain was detected: see the kernel log)", st->minor,
			      drbdnl_conn_name(st->conn));
	}
	if (st->conn >= DRBDNL_C_CONNECTED)
		w->was_connected = true;
	else if (w->was_connected)
		return vh_err(e, -ECONNRESET, "DRBD minor %u lost its connection (now %s)", st->minor,
			      drbdnl_conn_name(st->conn));
	return 0;
}

int drbdnl_wait(struct drbdnl *h, uint32_t minor, drbdnl_pred_fn pred, void *pred_arg,
		int timeout_ms, drbdnl_progress_fn progress, void *progress_arg,
		struct drbdnl_status *ret_st, struct vh_error *e)
{
	struct wait_ctx w = {
		.pred = pred, .pred_arg = pred_arg, .progress = progress,
		.progress_arg = progress_arg, .ret = ret_st, .kmsg = h->kmsg_path,
	};

	if (minor == DRBDNL_ALL_MINORS || !pred)
		return vh_err(e, -EINVAL, "a wait needs one minor and a predicate");
	return drbdnl_events(h, minor, timeout_ms, wait_cb, &w, e);
}
