/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wait-sync (S, D; docs/DESIGN.md, phase 5): DRBD's events waited on until
 * every volume is in sync, bounded by timeouts.connect, .sync and .stall;
 * D then drops its LV's buffer cache.  on_sync (struct sync_ctx) reports
 * the progress, also of the gate's wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/engine_int.h"

void eng_on_sync(const struct drbdnl_status *st, const struct drbdnl_progress *pr, void *arg)
{
	struct sync_ctx *c = arg;
	struct veng_event ev = { .what = "sync", .minor = c->minor, .st = st, .progress = pr };

	if (st->bits_oos < c->min_oos)
		c->min_oos = st->bits_oos;
	if (st->conn >= DRBDNL_C_CONNECTED)
		c->connected = true;
	if (c->g->on_event)
		c->g->on_event(&ev, c->g->event_ud);
}

/*
 * D: has the VM come here (paused or running)?  S migrates only once it
 * saw every volume Connected and UpToDate/UpToDate, so the sync is done,
 * even if S has disconnected since (its gate passed while D still waited).
 * With the overlap S migrates during the sync: only a VM running here
 * says so (S resumed it after its gate saw every volume in sync).
 */
static bool vm_arrived(struct veng *g)
{
	int state = 0;

	return !eng_is_s(g) && g->ops->vm_state(g->ud, VENG_HERE, g->plan->vm_name, &state, NULL) == 0 &&
	       ((state == VIR_DOMAIN_PAUSED && !g->plan->migration.overlap_s) ||
		state == VIR_DOMAIN_RUNNING);
}

#define VENG_D_LOOK_S	2	/* D, not connected: look for the VM every 2 s, */
#define VENG_D_WATCH_S	5	/* ... or every 5 s when libvirt's events wake the wait */

/*
 * Wait for @minor to be in sync (or for @pred, with @arg), bounded by
 * timeouts.sync, in waits of at most timeouts.stall: once connected, a wait
 * that ends without the number of blocks out of sync having gone down since
 * the one before is a stalled sync.  Before the first connection, timeouts.connect bounds the wait.
 * On D, while not connected, a VM that has arrived ends the wait: libvirt's
 * lifecycle events of the VM here wake the wait (vm_watch, started the first
 * time D waits unconnected), else it looks every VENG_D_LOOK_S.
 */
static int sync_loop(struct veng *g, uint32_t minor, drbdnl_pred_fn pred, void *arg,
		     bool *watching, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int64_t t0 = g->now_ns(), deadline = t0 + (int64_t)p->timeouts.sync * 1000000000;
	struct sync_ctx c = { .g = g, .minor = minor, .min_oos = UINT64_MAX };
	unsigned waits = 0;
	int r;

	for (;;) {
		int64_t left = deadline - g->now_ns(), chunk = (int64_t)(c.connected ? p->timeouts.stall :
				p->timeouts.connect < p->timeouts.stall ? p->timeouts.connect :
				p->timeouts.stall) * 1000000000;
		uint64_t before = c.min_oos;
		bool was_connected = c.connected;

		if (left <= 0)
			return vh_err(e, -ETIMEDOUT, "sync of /dev/drbd%u not done in %u s (%llu KiB "
				      "left)", minor, p->timeouts.sync,
				      (unsigned long long)(c.min_oos == UINT64_MAX ? 0 : c.min_oos * 4));
		if (!c.connected && !eng_is_s(g)) {
			int64_t look;

			/* not at the first wait: D connects at once as a rule */
			if (!*watching && waits && g->ops->vm_watch && g->ops->vm_watch_clear)
				*watching = g->ops->vm_watch(g->ud, p->vm_name, NULL) == 0;
			look = (int64_t)(*watching ? VENG_D_WATCH_S : VENG_D_LOOK_S) * 1000000000;
			if (chunk > look)
				chunk = look;
		}
		if (chunk > left)
			chunk = left;
		/* what comes after this wakes the wait */
		if (*watching)
			g->ops->vm_watch_clear(g->ud);
		waits++;
		r = g->ops->drbd_wait(g->ud, minor, pred, arg,
				      (int)(chunk / 1000000 > INT32_MAX ? INT32_MAX : chunk / 1000000),
				      eng_on_sync, &c, NULL, e);
		if (r == 0)
			return 0;
		if (r == -EAGAIN && *watching) {
			/* libvirt's event: the VM here changed */
			if (!c.connected && vm_arrived(g))
				return 0;
			continue;
		}
		if (r == -ECONNRESET) {
			/* The link broke (WFConnection): DRBD reconnects by itself
			 * and resyncs what changed meanwhile; timeouts.connect
			 * bounds the wait for that, from the loss.  StandAlone
			 * (-ENOTCONN) does not come back by itself: it fails. */
			if (c.connected)
				t0 = g->now_ns();
			c.connected = false;
			if (vm_arrived(g))
				return 0;
			continue;
		}
		if (r == -ENOTCONN)
			/* DRBD discards the connection's configuration when the
			 * peer fails the HMAC challenge: two moves' DRBDs met on
			 * one port, each with its own secret. */
			return vh_err(e, -ENOTCONN, "/dev/drbd%u went StandAlone: DRBD dropped "
				      "its connection to %s port %u; likely cause: another move uses "
				      "this port on %s (the peer failed authentication: the kernel "
				      "log says 'Authentication of peer failed'; see vmhop status "
				      "there), else a split brain", minor,
				      eng_is_s(g) ? p->dest.addr : p->source.addr, p->port, p->dest.host);
		if (r != -ETIMEDOUT)
			return vh_err_prefix(e, r, "sync of /dev/drbd%u", minor);
		if (!c.connected) {
			struct drbdnl_status st;

			if (vm_arrived(g))
				return 0;

			/* Not connected yet: that is timeouts.connect's to bound. */
			if ((r = g->ops->drbd_status(g->ud, minor, &st, e)) < 0)
				return r;
			if (st.conn >= DRBDNL_C_CONNECTED) {
				c.connected = true;
			} else if (g->now_ns() - t0 >= (int64_t)p->timeouts.connect * 1000000000) {
				return vh_err(e, -ETIMEDOUT, "/dev/drbd%u: no connection to %s in %u s (%s)",
					      minor, eng_is_s(g) ? p->dest.host : p->source.host,
					      p->timeouts.connect, drbdnl_conn_name(st.conn));
			} else {
				continue;
			}
		}
		/* Connected during this wait: progress is measured from now on
		 * (the sync may have begun an instant before the wait ended). */
		if (!was_connected)
			continue;
		if (c.min_oos >= before && g->now_ns() < deadline) {
			struct drbdnl_status st;

			if ((r = g->ops->drbd_status(g->ud, minor, &st, e)) < 0)
				return r;
			return vh_err(e, -ETIMEDOUT, "sync of /dev/drbd%u stalled: no progress for %u s "
				      "(%s, %llu KiB left)", minor, p->timeouts.stall,
				      drbdnl_conn_name(st.conn), (unsigned long long)st.bits_oos * 4);
		}
	}
}

int eng_sync_until(struct veng *g, uint32_t minor, drbdnl_pred_fn pred, void *arg,
		   struct vh_error *e)
{
	bool watching = false;
	int r = sync_loop(g, minor, pred, arg, &watching, e);

	if (watching)
		(void)g->ops->vm_watch(g->ud, NULL, NULL);
	return r;
}

int eng_wait_sync(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r;

	if (!g->st.connected)
		return vh_err(e, -EINVAL, "run vmhop %s on this host first",
			      eng_is_s(g) ? "bridge" : "prepare");
	if (g->st.handed_off || g->st.drbd_down)
		return vh_err(e, -EINVAL, "the move is past the sync on this host");
	for (size_t i = 0; i < p->n_disks; i++)
		if ((r = eng_sync_until(g, p->disks[i].minor, eng_pred_in_sync, NULL, e)) < 0)
			return r;
	if (!g->st.synced) {
		g->st.synced = true;
		if ((r = eng_save(g, e)) < 0)
			return r;
	}
	if (!eng_is_s(g) && !g->st.flushed) {
		/* D's LV is another block device over the same extents: drop what
		 * its buffer cache may hold from before the sync. */
		for (size_t i = 0; i < p->n_disks; i++) {
			char path[300], lvname[256];

			eng_lv_dm(&p->disks[i], lvname, sizeof(lvname));
			snprintf(path, sizeof(path), "%s/%s", VDM_MAPPER_DIR, lvname);
			if ((r = g->ops->flush_buffers(g->ud, path, e)) < 0)
				return r;
		}
		g->st.flushed = true;
		res->acted++;
		if ((r = eng_save(g, e)) < 0)
			return r;
	}
	return 0;
}
