/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop send and vmhop receive: the engine's phases in one process per host
 * (run.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/run.h"

const char *vrun_phase_name(int phase)
{
	return phase == VRUN_WAIT_VM ? "wait-vm" : veng_phase_name((enum veng_phase)phase);
}

static void emit_event(struct veng *g, const struct veng_event *ev)
{
	if (g->on_event)
		g->on_event(ev, g->event_ud);
}

static void emit(struct veng *g, const char *what, int phase, const struct veng_result *res,
		 int rc, const struct vh_error *err)
{
	struct veng_event ev = {
		.what = what, .phase = phase, .result = res, .rc = rc, .err = err,
	};

	emit_event(g, &ev);
}

static bool done_here(const struct veng *g, enum veng_phase ph)
{
	return (int)ph <= g->st.last_phase;
}

/* One phase, with its events; skipped when the journal says it is done,
 * unless @again (wait-sync after a migration cancelled for a lost link).
 * A phase run more than once (a retry): its phase-end says this run's wall
 * time, the summary keeps the sum of all. */
static int run_phase(struct veng *g, enum veng_phase ph, bool again, struct vrun_summary *sum,
		     struct vh_error *e)
{
	struct veng_result *res = &sum->res[ph];
	int64_t before = sum->ran[ph] ? res->wall_ns : 0;
	int r;

	if (!again && done_here(g, ph))
		return 0;
	emit(g, "phase-start", (int)ph, NULL, 0, NULL);
	r = veng_run(g, ph, 0, res, e);
	sum->ran[ph] = true;
	if (r == 0 && res->outcome == VENG_STATE_LEFT)
		r = vh_err(e, -ETIMEDOUT, "%s stopped: %s", veng_phase_name(ph), res->next.text);
	emit(g, "phase-end", (int)ph, res, r, r < 0 ? e : NULL);
	res->wall_ns += before;
	if (r < 0)
		sum->failed = (int)ph;
	return r;
}

static int phase(struct veng *g, enum veng_phase ph, struct vrun_summary *sum, struct vh_error *e)
{
	return run_phase(g, ph, false, sum, e);
}

/*
 * migrate failed with -ENOLINK: libvirt's job was cancelled because DRBD
 * lost its link, and the VM runs here still (the journal: not handed off).
 * If a try is left: a "retry" event, then wait-sync again (it waits for the
 * reconnect within timeouts.connect, then for the resync of what D missed);
 * 0 when migrate may run again, else wait-sync's failure (or @rc).
 */
static int retry_migrate(struct veng *g, const struct vrun_opts *o, int rc,
			 struct vrun_summary *sum, struct vh_error *e)
{
	struct veng_event ev = { .what = "retry", .phase = VENG_MIGRATE, .rc = rc, .err = e };

	if (rc != -ENOLINK || sum->retries >= o->migrate_retries || g->st.handed_off ||
	    (g->stop && *g->stop))
		return rc;
	ev.retry = ++sum->retries;
	emit_event(g, &ev);
	sum->failed = -1;
	return run_phase(g, VENG_WAIT_SYNC, true, sum, e);
}

/*
 * After a failure: the engine's abort, whose own checks refuse when the VM
 * has left this host (S) or is, or may be, on it (D).  Not interruptible: a
 * second SIGINT must not leave half an abort.  The failure's code is kept.
 */
/* Nothing of the move exists on this host, by its journal (a refusal in
 * preflight, or in prepare's first step). */
static bool untouched(const struct veng *g)
{
	const struct veng_state *st = &g->st;

	if (st->last_phase >= VENG_PREPARE || st->doing[0] || st->helper_taken || st->res_created)
		return false;
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct veng_disk_state *d = &st->disks[i];

		if (d->lv_created || d->md_created || d->copy_created || d->minor_created ||
		    d->attached || d->bridged)
			return false;
	}
	return true;
}

static int give_up(struct veng *g, const struct vrun_opts *o, int rc, struct vrun_summary *sum,
		   struct vh_error *e)
{
	volatile sig_atomic_t *stop = g->stop;
	struct veng_result *res = &sum->res[VENG_ABORT];
	struct vh_error ae = { 0 };
	int r;

	sum->outcome = VENG_STATE_LEFT;
	if (untouched(g)) {
		sum->untouched = true;
		sum->outcome = VENG_UNDONE;
		veng_next_set(&sum->next, VENG_ACT_NONE, VENG_PHASES, VENG_HERE,
			      "nothing: this host was not changed");
		return rc;
	}
	if (o->no_abort) {
		veng_next(g, &sum->next);
		return rc;
	}
	if (g->role == VPLAN_ROLE_SOURCE && g->st.handed_off) {
		/* The VM is on D (paused or running): only going on can finish.
		 * While it is paused there, migrate's own advice is the precise one. */
		if (!g->st.resumed_on_d && sum->res[VENG_MIGRATE].next.text[0])
			sum->next = sum->res[VENG_MIGRATE].next;
		else
			veng_next(g, &sum->next);
		return rc;
	}
	g->stop = NULL;
	emit(g, "phase-start", VENG_ABORT, NULL, 0, NULL);
	r = veng_run(g, VENG_ABORT, 0, res, &ae);
	sum->ran[VENG_ABORT] = true;
	emit(g, "phase-end", VENG_ABORT, res, r, r < 0 ? &ae : NULL);
	g->stop = stop;
	if (r == 0 && res->outcome == VENG_UNDONE) {
		sum->outcome = VENG_UNDONE;
		veng_next_set(&sum->next, VENG_ACT_NONE, VENG_PHASES, VENG_HERE,
			      "nothing: the move was undone on this host");
	} else {
		veng_next_set(&sum->next, VENG_ACT_STATUS, VENG_PHASES, VENG_HERE,
			      "the abort did not finish (%.400s): see vmhop status",
			      ae.msg[0] ? ae.msg : "unknown error");
	}
	return rc;
}

static void begin_run(struct veng *g, struct vrun_summary *sum, int64_t *t0)
{
	memset(sum, 0, sizeof(*sum));
	sum->failed = -1;
	*t0 = g->now_ns();
}

int vrun_send(struct veng *g, const struct vrun_opts *o, struct vrun_summary *sum,
	      struct vh_error *e)
{
	static const enum veng_phase order[] = {
		VENG_PREPARE, VENG_BRIDGE, VENG_WAIT_SYNC, VENG_MIGRATE, VENG_RELEASE, VENG_CLEANUP,
	};
	int64_t t0;
	int r;

	begin_run(g, sum, &t0);
	if (g->role != VPLAN_ROLE_SOURCE)
		return vh_err(e, -EINVAL, "vmhop send runs on the source (%s); this host is the "
			      "destination: run vmhop receive here", g->plan->source.host);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		/* The overlap: migrate waits for the sync, its migration held. */
		if (order[i] == VENG_WAIT_SYNC && g->plan->migration.overlap_s && !g->st.synced)
			continue;
		r = phase(g, order[i], sum, e);
		while (r < 0 && order[i] == VENG_MIGRATE &&
		       (r = retry_migrate(g, o, r, sum, e)) == 0)
			r = phase(g, VENG_MIGRATE, sum, e);
		if (r < 0) {
			r = give_up(g, o, r, sum, e);
			sum->wall_ns = g->now_ns() - t0;
			return r;
		}
	}
	sum->outcome = VENG_OK;
	sum->wall_ns = g->now_ns() - t0;
	return 0;
}

/* ---- receive: the wait for the VM --------------------------------------- */

/* drbdnl_wait predicates (the engine's wait takes no argument for them):
 * the wait ends when the connection changes from what was seen. */
static int pred_connected(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	(void)arg;
	(void)e;
	return st->conn >= DRBDNL_C_CONNECTED;
}

static int pred_not_connected(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	(void)arg;
	(void)e;
	return st->conn < DRBDNL_C_CONNECTED;
}

/* Is any volume still connected to S?  -ENXIO when DRBD lost a minor. */
static int any_connected(struct veng *g, bool *ret, uint8_t *ret_conn, struct vh_error *e)
{
	*ret = false;
	*ret_conn = DRBDNL_C_STANDALONE;
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct drbdnl_status s;
		int r = g->ops->drbd_status(g->ud, g->plan->disks[i].minor, &s, e);

		if (r < 0)
			return vh_err_prefix(e, r, "/dev/drbd%u", g->plan->disks[i].minor);
		if (s.conn >= DRBDNL_C_CONNECTED)
			*ret = true;
		if (i == 0 || s.conn > *ret_conn)
			*ret_conn = s.conn;
	}
	return 0;
}

static const char *vm_word(int vr, int state)
{
	if (vr == -ENOENT)
		return "not here";
	if (vr < 0)
		return "unknown (libvirt does not answer)";
	return state == VIR_DOMAIN_RUNNING ? "running here" :
	       state == VIR_DOMAIN_PAUSED ? "paused here" : "defined here, not running";
}

/*
 * Until the VM runs here and S has disconnected (then release may go on).
 * Gives up (-ENOTCONN) when S has been gone for timeouts.connect and the VM
 * never arrived; -ETIMEDOUT after timeouts.migrate + gate + connect in all,
 * counted again from a reconnect after a loss (VRUN_WAIT_RESTARTS times).
 * Event-driven: the wait wakes on DRBD's state change and on libvirt's
 * lifecycle events of the VM here (vm_watch), every @poll_ms at the latest
 * (5 s when watching, in case libvirtd's event connection is lost; else 0.5 s).
 */
static int await_vm_loop(struct veng *g, unsigned poll_ms, bool watching, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	const int64_t s2ns = 1000000000;
	int64_t t0 = g->now_ns(), lost = -1;
	int64_t limit = ((int64_t)p->timeouts.migrate + p->timeouts.gate + p->timeouts.connect) * s2ns;
	unsigned restarts = 0;
	bool was_connected = true;
	char last[160] = "";

	for (;;) {
		bool connected;
		struct vh_error we = { 0 };
		uint8_t conn;
		int64_t now;
		int state = 0, vr, r;
		char what[160];

		if (g->stop && *g->stop)
			return vh_err(e, -EINTR, "interrupted while waiting for VM %s", p->vm_name);
		/* what comes after this wakes the next wait */
		if (watching)
			g->ops->vm_watch_clear(g->ud);
		vr = g->ops->vm_state(g->ud, VENG_HERE, p->vm_name, &state, &we);
		if ((r = any_connected(g, &connected, &conn, e)) < 0)
			return r;
		snprintf(what, sizeof(what), "VM %s, DRBD %s", vm_word(vr, state),
			 drbdnl_conn_name(conn));
		if (strcmp(what, last)) {
			struct veng_event ev = { .what = "wait", .step = what, .phase = VRUN_WAIT_VM };

			snprintf(last, sizeof(last), "%s", what);
			if (g->on_event)
				g->on_event(&ev, g->event_ud);
		}
		if (vr == 0 && state == VIR_DOMAIN_RUNNING && !connected)
			return 0;
		now = g->now_ns();
		/* Back after a loss, the VM not here: S may migrate again (send's
		 * retry after a cancelled migration): the bound starts anew. */
		if (connected && !was_connected && vr == -ENOENT &&
		    restarts < VRUN_WAIT_RESTARTS) {
			restarts++;
			t0 = now;
		}
		was_connected = connected;
		if (vr == -ENOENT && !connected) {
			if (lost < 0)
				lost = now;
			if (now - lost >= (int64_t)p->timeouts.connect * s2ns)
				return vh_err(e, -ENOTCONN, "%s has been disconnected for %u s and VM %s "
					      "never arrived: the move is given up", p->source.host,
					      p->timeouts.connect, p->vm_name);
		} else {
			lost = -1;
		}
		if (now - t0 >= limit) {
			if (vr == 0)
				return vh_err(e, -ETIMEDOUT, "VM %s is %s after %lld s, DRBD %s: finish "
					      "the move from %s (vmhop status there)", p->vm_name,
					      vm_word(vr, state), (long long)((now - t0) / s2ns),
					      drbdnl_conn_name(conn), p->source.host);
			return vh_err(e, -ETIMEDOUT, "VM %s did not arrive in %lld s (%s)", p->vm_name,
				      (long long)((now - t0) / s2ns), vr < 0 && vr != -ENOENT ?
				      we.msg : drbdnl_conn_name(conn));
		}
		/* Wake on DRBD's state change, or on libvirt's event (-EAGAIN), at once. */
		r = g->ops->drbd_wait(g->ud, p->disks[0].minor,
				      connected ? pred_not_connected : pred_connected, NULL, (int)poll_ms,
				      NULL, NULL, NULL, &we);
		/* StandAlone: DRBD will not wake the wait, it ends at once:
		 * sleep instead, never spin. */
		if (r == -ENOTCONN && g->ops->nap)
			g->ops->nap(g->ud, (int)(poll_ms < 1000 ? poll_ms : 1000));
		if (r < 0 && r != -ETIMEDOUT && r != -ECONNRESET && r != -ENOTCONN && r != -EAGAIN) {
			*e = we;
			return r;
		}
	}
}

static int await_vm(struct veng *g, const struct vrun_opts *o, struct vh_error *e)
{
	struct vh_error we = { 0 };
	bool watching = g->ops->vm_watch && g->ops->vm_watch_clear &&
			g->ops->vm_watch(g->ud, g->plan->vm_name, &we) == 0;
	int r;

	if (!watching && g->ops->vm_watch)
		vh_trace("run", "no libvirt events (%s): the VM's state is asked every 0.5 s",
			 we.msg);
	r = await_vm_loop(g, o->poll_ms ? o->poll_ms : watching ? 5000 : 500, watching, e);
	if (watching)
		(void)g->ops->vm_watch(g->ud, NULL, NULL);
	return r;
}

int vrun_receive(struct veng *g, const struct vrun_opts *o, struct vrun_summary *sum,
		 struct vh_error *e)
{
	int64_t t0, tw;
	int r;

	begin_run(g, sum, &t0);
	if (g->role != VPLAN_ROLE_DEST)
		return vh_err(e, -EINVAL, "vmhop receive runs on the destination (%s); this host is "
			      "the source: run vmhop send here", g->plan->dest.host);
	if ((r = phase(g, VENG_PREPARE, sum, e)) < 0 || (r = phase(g, VENG_WAIT_SYNC, sum, e)) < 0)
		goto fail;
	if (!done_here(g, VENG_RELEASE)) {
		struct veng_result *res = &sum->res[VRUN_WAIT_VM];

		emit(g, "phase-start", VRUN_WAIT_VM, NULL, 0, NULL);
		tw = g->now_ns();
		r = await_vm(g, o, e);
		sum->ran[VRUN_WAIT_VM] = true;
		res->phase = VENG_PHASES;
		res->wall_ns = g->now_ns() - tw;
		veng_next_set(&res->next, VENG_ACT_PHASE, VENG_RELEASE, VENG_HERE, "vmhop release");
		emit(g, "phase-end", VRUN_WAIT_VM, res, r, r < 0 ? e : NULL);
		if (r < 0) {
			sum->failed = VRUN_WAIT_VM;
			goto fail;
		}
	}
	if ((r = phase(g, VENG_RELEASE, sum, e)) < 0 || (r = phase(g, VENG_CLEANUP, sum, e)) < 0)
		goto fail;
	sum->outcome = VENG_OK;
	sum->wall_ns = g->now_ns() - t0;
	return 0;
fail:
	r = give_up(g, o, r, sum, e);
	sum->wall_ns = g->now_ns() - t0;
	return r;
}
