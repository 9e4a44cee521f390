/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * migrate and resume (S; docs/DESIGN.md, phases 6 and 6'): the checks,
 * autostart off, libvirt's migration (the VM paused on D), then the switch.
 * While libvirt migrates, a watch in its poll loop follows DRBD's link and
 * takes the early switch, on S's QEMU's exit or behind the fence at D's
 * Finish; a migration not seen to end is settled from libvirt's word.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/engine_int.h"

/*
 * DRBD while libvirt migrates: the watch runs in the migration's poll loop
 * (vvirt_migrate, every poll_ms), so the engine sees DRBD and libvirt from
 * one thread.  A status request per minor per wake-up: a few netlink round
 * trips each half second, against a job that lasts seconds to minutes.
 */
struct mig_watch {
	struct veng *g;
	bool lost;			/* a minor left Connected UpToDate/UpToDate */
	struct drbdnl_status st;	/* ... as seen then */
	/* the early switch (on S's QEMU's exit) */
	struct veng_result *res;
	unsigned flags;
	bool switched;			/* the VM was resumed on D */
	int early_r;			/* its error (0: none) */
	bool prefetched;		/* D's domain looked up (vm_prefetch) */
	bool d_ready;			/* D's Finish seen: its suspend event (peer_event) */
	struct vh_error early_e;
	/* the overlap: the sync while the migration is held */
	int64_t sync_t0;		/* the start of migrate's wait for the sync */
	int64_t sync_seen_ns;		/* the last time fewer blocks were out of sync */
	uint64_t min_oos;		/* ... the fewest, over every volume */
	const char *sync_late;		/* timeouts.sync or .stall passed: why cancelled */
};

static bool link_whole(const struct drbdnl_status *s)
{
	return s->conn == DRBDNL_C_CONNECTED && s->disk == DRBDNL_D_UP_TO_DATE &&
	       s->pdsk == DRBDNL_D_UP_TO_DATE;
}

/* The overlap: S's side of a sync under way (or about to start), S's disk
 * the authority. */
static bool syncing_from_s(const struct drbdnl_status *s)
{
	return s->disk == DRBDNL_D_UP_TO_DATE &&
	       (s->conn == DRBDNL_C_CONNECTED || s->conn == DRBDNL_C_STARTING_SYNC_S ||
		s->conn == DRBDNL_C_WF_BITMAP_S || s->conn == DRBDNL_C_SYNC_SOURCE ||
		s->conn == DRBDNL_C_PAUSED_SYNC_S);
}

static void link_lost(struct mig_watch *w, const struct drbdnl_status *s)
{
	struct veng *g = w->g;

	w->lost = true;
	w->st = *s;
	if (g->on_event) {
		struct veng_event ev = {
			.what = "link-lost", .minor = s->minor, .st = &w->st,
			.step = vplan_link_loss_name(g->plan->migration.on_link_loss),
		};

		g->on_event(&ev, g->event_ud);
	}
}

/*
 * The overlap (docs/engine.md, "The overlap"): the migration is held while
 * DRBD syncs.  Each volume must stay connected with S's disk the source of
 * the sync (else the link is lost, as after the sync); once every volume is
 * Connected, UpToDate/UpToDate, 0 out of sync, `synced` is recorded and the
 * hold is let go (vm_migrate's loop).  timeouts.sync and .stall bound the
 * sync here as in wait-sync: past them the migration is cancelled.
 * timeouts.sync counts from the start of migrate's wait for the lead (the
 * sync's whole time in migrate, as wait-sync's), .stall from the migration's.
 */
static int watch_sync(struct mig_watch *w)
{
	struct veng *g = w->g;
	const struct vplan *p = g->plan;
	uint64_t oos = 0;
	bool whole = true;
	int64_t now;

	for (size_t i = 0; i < p->n_disks; i++) {
		struct drbdnl_status s;
		struct drbdnl_progress pr;

		if (g->ops->drbd_status(g->ud, p->disks[i].minor, &s, NULL) < 0) {
			whole = false;	/* no verdict: asked again at the next wake-up */
			continue;
		}
		if (veng_gate_decide(&s, true) == VENG_GATE_PASS)
			continue;
		if (!syncing_from_s(&s)) {
			link_lost(w, &s);
			return p->migration.on_link_loss == VPLAN_LINK_LOSS_CANCEL;
		}
		whole = false;
		oos += s.bits_oos;
		if (g->on_event && drbdnl_sync_progress(&s, &pr)) {
			struct veng_event ev = { .what = "sync", .minor = s.minor, .st = &s,
						 .progress = &pr };

			g->on_event(&ev, g->event_ud);
		}
	}
	now = g->now_ns();
	if (whole) {
		struct vh_error se = { 0 };
		struct drbdnl_progress done = { .permille = 1000 };

		/* the sync's end, said once per volume */
		for (size_t i = 0; i < p->n_disks && g->on_event; i++) {
			struct veng_event ev = { .what = "sync", .minor = p->disks[i].minor,
						 .progress = &done };

			g->on_event(&ev, g->event_ud);
		}
		/* recorded now; a failed write is written again with the
		 * migration's end (eng_end) */
		g->st.synced = true;
		if (eng_save(g, &se) < 0)
			vh_trace("engine", "%s", se.msg);
		return 0;
	}
	if (oos < w->min_oos) {
		w->min_oos = oos;
		w->sync_seen_ns = now;
	}
	if (now - w->sync_t0 >= (int64_t)p->timeouts.sync * 1000000000)
		w->sync_late = "timeouts.sync";
	else if (now - w->sync_seen_ns >= (int64_t)p->timeouts.stall * 1000000000)
		w->sync_late = "timeouts.stall";
	return w->sync_late != NULL;
}

static int watch_link(void *ud)
{
	struct mig_watch *w = ud;
	struct veng *g = w->g;
	bool cancel = g->plan->migration.on_link_loss == VPLAN_LINK_LOSS_CANCEL;

	if (w->switched || g->st.disconnected)
		return 0;	/* the early switch took DRBD's link down */
	/* D's domain, as soon as the migration made it there (one lookup a
	 * wake-up until then): the switch then asks D without one. */
	if (!w->prefetched && g->ops->vm_prefetch &&
	    g->ops->vm_prefetch(g->ud, VENG_PEER, g->plan->vm_name) == 0)
		w->prefetched = true;
	if (w->lost || w->sync_late)
		return w->sync_late || cancel;	/* an abort libvirt refused: asked again */
	if (!g->st.synced)
		return watch_sync(w);
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct drbdnl_status s;

		/* A status that cannot be read is no verdict: the gate decides. */
		if (g->ops->drbd_status(g->ud, g->plan->disks[i].minor, &s, NULL) < 0 ||
		    link_whole(&s))
			continue;
		link_lost(w, &s);
		return cancel;
	}
	return 0;
}

/* The gate's DRBD part on every volume, asked once (no verdict: not whole). */
static bool drbd_whole(struct veng *g)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct drbdnl_status s;

		if (g->ops->drbd_status(g->ud, g->plan->disks[i].minor, &s, NULL) < 0 ||
		    veng_gate_decide(&s, true) != VENG_GATE_PASS)
			return false;
	}
	return true;
}

/* The early switch once its facts hold (on S's QEMU's exit, or behind the
 * fence): the hand-over and the gate's pass recorded with the disconnect's
 * eng_begin(), then the disconnect and the resume on D.  A resume that did not
 * happen leaves the switch to libvirt's return. */
static void switch_early(struct mig_watch *w, bool fenced)
{
	struct veng *g = w->g;
	int r;

	eng_sw_mark(g, w->res, VENG_SW_CHECK);
	g->st.handed_off = true;
	g->st.gate_passed = true;
	g->st.synced = true;	/* the gate's facts include the sync's end */
	w->res->gate = VENG_GATE_PASS;
	w->res->early = true;
	w->res->fenced = fenced;
	r = eng_disconnect_resume(g, w->res, true, &w->early_e);
	if (g->st.resumed_on_d)
		w->switched = true;
	else	/* the switch after libvirt's return resumes D (or says why not) */
		w->res->early = w->res->fenced = false;
	if (r < 0)
		w->early_r = r;
}

/*
 * S's QEMU has exited while libvirt's migration call still runs (its Confirm
 * phase: libvirt's kill loop notices the exit up to 200 ms later, and the
 * call returns after it).  The switch needs facts, not libvirt's return
 * (docs/engine.md, "The early switch"):
 *   - nothing here can write any more: S's QEMU process is gone (its pidfd
 *     said so: never a reused pid) and the kernel counts no opener of the
 *     VM's LVs (an opener's requests in flight hold it open);
 *   - D holds every write: DRBD Connected, UpToDate/UpToDate, nothing out
 *     of sync (protocol C: a write completed only once D had it);
 *   - D has the whole VM: its domain is paused and no job runs there (its
 *     incoming migration finished; libvirt kills S's QEMU only after D's
 *     Finish answered, and a failed Finish leaves no paused domain there).
 * Then the disconnect and the resume on D run at once; anything short of
 * all three leaves the switch to the usual path after libvirt's return.
 */
static void qemu_exited(void *ud)
{
	struct mig_watch *w = ud;
	struct veng *g = w->g;
	struct veng_vm there;

	if (w->switched || w->lost || (w->flags & VENG_LEAVE_PAUSED))
		return;
	g->handoff_ns = g->now_ns();
	/* (D's Finish seen from its event already: no question to D here) */
	if (!w->d_ready && (g->ops->vm_info(g->ud, VENG_PEER, g->plan->vm_name, &there, NULL) < 0 ||
			    there.state != VIR_DOMAIN_PAUSED || there.job))
		return;
	if (eng_lvs_open(g, NULL) != 0)
		return;
	if (!drbd_whole(g))
		return;
	switch_early(w, false);
}

/*
 * D's Finish has answered (its domain paused, no job there) and S's QEMU
 * has not exited yet: the switch behind the fence, without waiting for
 * libvirt's Confirm to kill S's QEMU (docs/engine.md, "The fence"):
 *   1. S's LVs held (recorded first): nothing of S's QEMU, or of anyone
 *      here, can land any more, and whatever was in flight has landed;
 *   2. S's VM still as the migration left it: libvirt here has not resumed
 *      it since the migration began (its lifecycle events, on a connection
 *      opened before; without them, its state: paused, or shut off by its
 *      Confirm already);
 *   3. D holds every write: DRBD Connected, UpToDate/UpToDate, 0 out of
 *      sync, on every volume (protocol C, and 1 drained S's requests);
 *   4. D has the whole VM (its Finish's suspend event: peer_event; the
 *      resume waits inside libvirt for D's job to end).
 * Then the disconnect and the resume on D, as the switch after libvirt's
 * return does; after it, the held I/O is made to fail (fence_final).  If
 * 2 or 3 does not hold, the LVs are let go again and nothing else changed:
 * S's QEMU's exit, or libvirt's return, decides as before.
 */
static void fence_switch(struct mig_watch *w)
{
	struct veng *g = w->g;
	struct vh_error fe = { 0 };
	char doing[sizeof(g->st.doing)];
	bool pass = true;
	int r, state = 0;

	if (!g->ops->dm_suspend || w->switched || g->st.fenced)
		return;
	snprintf(doing, sizeof(doing), "%s", g->st.doing);
	g->handoff_ns = g->now_ns();
	eng_hold_events(g);
	if (eng_fence_hold(g, w->res, &fe) < 0) {
		eng_let_events_go(g);
		vh_trace("engine", "no fence: %s", fe.msg);
		return;
	}
	eng_sw_mark(g, w->res, VENG_SW_FENCE);
	/* libvirt's events here, not a question: libvirt answers one only
	 * after its Confirm lets go of the domain (its kill loop, up to a few
	 * hundred ms).  Without its events, the question. */
	r = g->ops->vm_resumed_here ? g->ops->vm_resumed_here(g->ud) : -ENOENT;
	if (r > 0 || (r < 0 && (g->ops->vm_state(g->ud, VENG_HERE, g->plan->vm_name, &state,
						  NULL) < 0 ||
				(state != VIR_DOMAIN_PAUSED && state != VIR_DOMAIN_SHUTOFF))))
		pass = false;
	if (!pass || !drbd_whole(g)) {
		/* the VM may still be S's: its I/O runs again (a fence that
		 * cannot be let go stays recorded: the switch after libvirt's
		 * return, or settle_migration, lets it go or passes behind it) */
		snprintf(g->st.doing, sizeof(g->st.doing), "%s", doing);
		if (eng_fence_release(g, &fe) < 0)
			vh_trace("engine", "%s", fe.msg);
		g->handoff_ns = 0;
		memset(w->res->switch_at_ns, 0, sizeof(w->res->switch_at_ns));
		eng_let_events_go(g);
		return;
	}
	switch_early(w, true);
	eng_let_events_go(g);
}

/*
 * An event of the VM from D's libvirt while the migration runs.  D's Finish
 * leaves the VM paused there and says so with a suspend event, typically
 * 100 ms before S's QEMU exits.  The event alone is fact 4 (docs/engine.md,
 * "The fence"): libvirt emits it once D's QEMU has received the whole VM,
 * from the last step of a Finish that no longer fails (libvirt 9.0:
 * qemuMigrationDstComplete; what comes after it only saves and resets), and
 * D's incoming job is still ending then, for a few ms.  No question to D
 * for it (a round trip or two inside the VM's pause): the resume sent to D
 * waits for that job inside libvirt (a state change waits up to 30 s for an
 * async job to end) and then finds the domain paused with the whole VM, or,
 * were the Finish to fail after all, no domain, and the fence goes.
 */
static void peer_event(void *ud, int event)
{
	struct mig_watch *w = ud;

	if (event != VIR_DOMAIN_EVENT_SUSPENDED || w->d_ready || w->lost ||
	    (w->flags & VENG_LEAVE_PAUSED))
		return;
	w->d_ready = true;
	fence_switch(w);
}

/*
 * A migration this host started and did not see end (vmhop killed, libvirt's
 * reply lost, libvirt refused a second job): libvirt says how it ended,
 * once its jobs on both hosts have ended.  Handed over (S's QEMU gone, the
 * VM on D): *ret_handed.  Not handed over (the VM runs here): a copy that
 * libvirt left on D (its Finish answered, its reply lost) that never ran
 * there is removed, and `migrating` is cleared.  Anything else is refused.
 */
static int settle_migration(struct veng *g, struct veng_result *res, bool *ret_handed,
			    struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct veng_vm here = { 0 }, there = { 0 };
	struct vh_error pe = { 0 };
	char w1[96], w2[96];
	int rh, rd, r;

	*ret_handed = false;
	if ((rh = eng_settled(g, VENG_HERE, &here, e)) < 0 && rh != -ENOENT)
		return rh;
	/* D's libvirt not answering (stopped, unreachable) decides nothing by
	 * itself: the VM running here with no job is the migration's end
	 * either way (a copy libvirt may have left on D is paused, and never
	 * resumed without a gate); the VM gone from here is not decided. */
	rd = eng_settled(g, VENG_PEER, &there, &pe);
	if (rh == -ENOENT || here.state == VIR_DOMAIN_SHUTOFF) {
		if (rd < 0 && rd != -ENOENT)
			return vh_err(e, rd, "VM %s is shut off here and %s: the migration's end is "
				      "unknown; nothing changed, run again once libvirt there answers",
				      p->vm_name, pe.msg);
		if ((r = eng_qemu_gone_here(g, e)) < 0)
			return r;
		/* Handed over: D has the VM, paused by the migration (or running:
		 * resumed by an earlier run); a domain shut off there is none. */
		if (rd == 0 && r > 0 && (there.state == VIR_DOMAIN_PAUSED ||
					 there.state == VIR_DOMAIN_RUNNING)) {
			*ret_handed = true;
			return 0;
		}
		return vh_err(e, -EINVAL, "VM %s is not running on this host, nor%s on %s: the "
			      "migration did not hand it over; see vmhop status", p->vm_name,
			      rd == 0 ? " ready" : "", p->dest.host);
	}
	if (here.state != VIR_DOMAIN_RUNNING && !(here.state == VIR_DOMAIN_PAUSED &&
	    here.reason != VIR_DOMAIN_PAUSED_MIGRATION && here.reason != VIR_DOMAIN_PAUSED_POSTCOPY &&
	    here.reason != VIR_DOMAIN_PAUSED_POSTCOPY_FAILED))
		return vh_err(e, -EBUSY, "VM %s is %s here after its migration: not deciding for "
			      "libvirt; see virsh domstate --reason", p->vm_name,
			      eng_vm_words(&here, w1, sizeof(w1)));
	/* The VM runs here: the migration ended without handing it over.  The
	 * kernel agrees before anything on D goes: S's QEMU holds its LVs. */
	if ((r = eng_lvs_open(g, e)) < 0)
		return r;
	if (!r)
		return vh_err(e, -EBUSY, "libvirt says VM %s is %s here, but nothing holds its LVs "
			      "open: not deciding how the migration ended; see vmhop status",
			      p->vm_name, eng_vm_words(&here, w1, sizeof(w1)));
	/* A fence taken at D's Finish, whose switch did not pass: the VM
	 * stays here, its I/O runs again (before D's copy goes). */
	if (g->st.fenced && !(rd == 0 && eng_d_ran(g, &there)) && (r = eng_fence_release(g, e)) < 0)
		return r;
	if (rd == 0) {
		if (eng_d_ran(g, &there))
			return vh_err(e, -EBUSY, "VM %s runs here and is %s on %s, where it may have "
				      "run: resolve by hand (one of them must go)", p->vm_name,
				      eng_vm_words(&there, w2, sizeof(w2)), p->dest.host);
		if (there.state != VIR_DOMAIN_SHUTOFF) {
			if ((r = eng_begin(g, res, e, "destroy the copy of %s left on %s", p->vm_name,
				       p->dest.host)) < 0)
				return r;
			r = g->ops->vm_destroy(g->ud, VENG_PEER, p->vm_name, e);
			if (r < 0 && r != -ENOENT)
				return r;
		}
		if ((r = eng_begin(g, res, e, "undefine the copy of %s left on %s", p->vm_name,
			       p->dest.host)) < 0)
			return r;
		r = g->ops->vm_undefine(g->ud, VENG_PEER, p->vm_name, e);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (rd < 0 && rd != -ENOENT)
		veng_next_set(&res->next, VENG_ACT_MANUAL, VENG_ABORT, VENG_PEER,
			 "the VM runs here; libvirt on %.64s did not answer (%.120s): a paused copy the migration may have left there never ran; "
			 "remove it there (virsh destroy, virsh undefine) before vmhop abort there",
			 p->dest.host, pe.msg);
	g->st.migrating = false;
	g->st.doing[0] = '\0';
	return eng_save(g, e);
}

/* The overlap's start (the wait's predicate and its argument): every volume
 * in sync, or S's side of a sync whose rate so far, measured over at least a
 * second of SyncSource, says it ends within the plan's overlap_s. */
struct near_end {
	struct veng *g;
	int64_t t0;		/* the rate's first sample (0: none yet) */
	uint64_t oos0;
};

static int pred_near_end(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	struct near_end *n = arg;
	int64_t now = n->g->now_ns(), dt;
	uint64_t done;

	(void)e;
	if (veng_gate_decide(st, true) == VENG_GATE_PASS)
		return 1;
	if (st->conn != DRBDNL_C_SYNC_SOURCE || st->disk != DRBDNL_D_UP_TO_DATE)
		return 0;
	if (!n->t0 || st->bits_oos > n->oos0) {
		n->t0 = now;
		n->oos0 = st->bits_oos;
		return 0;
	}
	dt = now - n->t0;
	done = n->oos0 - st->bits_oos;
	if (dt < 1000000000 || !done)
		return 0;
	return (double)st->bits_oos * (double)dt / (double)done <=
	       (double)n->g->plan->migration.overlap_s * 1e9;
}

/*
 * The overlap's start: every volume connected with S's disk the sync's
 * source and at most overlap_s seconds from its end, or in sync; bounded as
 * wait-sync is (timeouts.connect until connected, then .sync and .stall).
 * Nothing is changed here.
 */
static int overlap_start(struct veng *g, struct vh_error *e)
{
	const struct vplan *p = g->plan;

	for (size_t i = 0; i < p->n_disks; i++) {
		struct near_end n = { .g = g };
		struct drbdnl_status st;
		int r;

		if ((r = eng_sync_until(g, p->disks[i].minor, pred_near_end, &n, e)) < 0)
			return r;
		/* ended by the predicate; the state asked once more */
		if ((r = g->ops->drbd_status(g->ud, p->disks[i].minor, &st, e)) < 0)
			return r;
		if (!syncing_from_s(&st))
			return vh_err(e, -ENOTCONN, "/dev/drbd%u is not connected with this host's "
				      "disk the sync's source (%s %s/%s): not migrating; see vmhop "
				      "status", st.minor, drbdnl_conn_name(st.conn),
				      drbdnl_disk_name(st.disk), drbdnl_disk_name(st.pdsk));
	}
	return 0;
}

int eng_migrate(struct veng *g, unsigned flags, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct mig_watch w = { .g = g, .res = res, .flags = flags, .min_oos = UINT64_MAX };
	struct veng_mig_hooks hooks = {
		.watch = watch_link, .gone = qemu_exited, .peer = peer_event, .ud = &w,
		.synced = p->migration.overlap_s ? &g->st.synced : NULL,
	};
	struct veng_vm here;
	bool handed = false;
	int r;

	if (!g->st.synced && !p->migration.overlap_s)
		return vh_err(e, -EINVAL, "run vmhop wait-sync on this host first");
	if (!g->st.connected)
		return vh_err(e, -EINVAL, "run vmhop bridge on this host first");
	if (g->st.migrating && !g->st.synced && !g->st.handed_off) {
		/* A run killed while its migration was held.  libvirt first: a
		 * job that still runs here is held until the sync ends (waited
		 * for here), then let go (the plan's limits); a job that ended
		 * (cancelled, or converged despite the hold: the VM on D,
		 * paused) is settled at once, as any other. */
		if ((r = g->ops->vm_info(g->ud, VENG_HERE, p->vm_name, &here, e)) < 0 &&
		    r != -ENOENT)
			return vh_err_prefix(e, r, "VM %s here", p->vm_name);
		if (r == 0 && here.job) {
			if ((r = eng_wait_sync(g, res, e)) < 0)
				return r;
			if (g->ops->vm_mig_limits &&
			    (r = g->ops->vm_mig_limits(g->ud, p->vm_name, p->migration.bandwidth_mib,
						       p->migration.max_downtime_ms, e)) < 0 &&
			    r != -ENOENT)
				vh_trace("engine", "the held migration's limits: %s", e ? e->msg : "");
		}
	}
	if (g->st.handed_off) {
		/* A run cut short by an early switch: libvirt's job here (its
		 * Confirm) ends first. */
		if (g->st.migrating && !g->st.undefined_on_s &&
		    (r = eng_settled(g, VENG_HERE, &here, e)) < 0 && r != -ENOENT)
			return r;
		return eng_switch_over(g, flags, res, e);
	}
	if (g->st.migrating) {
		if ((r = settle_migration(g, res, &handed, e)) < 0)
			return r;
		if (handed) {
			/* Interrupted after libvirt handed the VM over. */
			g->st.handed_off = true;
			g->st.doing[0] = '\0';
			if ((r = eng_save(g, e)) < 0)
				return r;
			return eng_switch_over(g, flags, res, e);
		}
	}
	r = g->ops->vm_info(g->ud, VENG_HERE, p->vm_name, &here, e);
	if (r < 0)
		return vh_err_prefix(e, r, "VM %s here", p->vm_name);
	if (here.job)
		return vh_err(e, -EBUSY, "VM %s has a libvirt job running here (virsh domjobinfo %s): "
			      "not migrating", p->vm_name, p->vm_name);
	if (here.state != VIR_DOMAIN_RUNNING && here.state != VIR_DOMAIN_PAUSED)
		return vh_err(e, -EINVAL, "VM %s is not running on this host", p->vm_name);
	if ((r = eng_check_bridges(g, e)) < 0 || (r = eng_check_domain(g, false, e)) < 0)
		return r;
	/* D's libvirt answers now, so that the switch, inside the VM's pause,
	 * talks to it over a connection already open (opening one costs about
	 * 0.1 s); a domain of another VM by that name there is refused. */
	{
		struct veng_vm there;

		r = g->ops->vm_info(g->ud, VENG_PEER, p->vm_name, &there, e);
		if (r < 0 && r != -ENOENT)
			return vh_err_prefix(e, r, "libvirt on %s must answer before the migration "
					     "(the resume there needs it)", p->dest.host);
	}
	/* The overlap: the sync under way is enough (the migration is held
	 * until it is done, and the gate asks again). */
	w.sync_t0 = g->now_ns();
	if (!g->st.synced && (r = overlap_start(g, e)) < 0)
		return r;
	/* Nothing is changed if DRBD is not in sync now (the VM still runs
	 * here, so this is DRBD's state alone). */
	for (size_t i = 0; i < p->n_disks && g->st.synced; i++) {
		struct drbdnl_status s;

		if ((r = g->ops->drbd_status(g->ud, p->disks[i].minor, &s, e)) < 0)
			return r;
		if (veng_gate_decide(&s, true) != VENG_GATE_PASS)
			return vh_err(e, -ENOTCONN, "/dev/drbd%u is not connected and in sync (%s "
				      "%s/%s): run vmhop wait-sync first", s.minor,
				      drbdnl_conn_name(s.conn), drbdnl_disk_name(s.disk),
				      drbdnl_disk_name(s.pdsk));
	}
	/* Nothing may start the old VM here once it runs on D (abort and
	 * restart turn autostart on again). */
	if (here.autostart && !g->st.autostart_cleared) {
		g->st.autostart_cleared = true;
		if ((r = eng_begin(g, res, e, "autostart off for %s here", p->vm_name)) < 0 ||
		    (r = g->ops->vm_autostart(g->ud, VENG_HERE, p->vm_name, false, e)) < 0 ||
		    (r = eng_end(g, e)) < 0)
			return r;
	}
	g->st.migrating = true;
	if ((r = eng_begin(g, res, e, "migrate %s to %s (paused there%s)", p->vm_name, p->dest.host,
			   g->st.synced ? "" : "; held until DRBD is in sync")) < 0)
		return r;
	w.sync_seen_ns = g->now_ns();
	r = g->ops->vm_migrate(g->ud, p, &hooks, &res->downtime_ms, e);
	if (!g->st.handed_off)
		g->handoff_ns = g->now_ns();
	if (r < 0 && g->st.handed_off) {
		/* The early switch decided from the facts, whatever libvirt's
		 * call said after (its Confirm): the VM is D's. */
		vh_trace("engine", "libvirt's migration call failed after the early switch: %s",
			 e ? e->msg : "");
		r = 0;
	}
	if (r < 0) {
		struct vh_error se = { 0 };
		int sr;

		/* libvirt's word on how it ended, not the call's: `migrating`
		 * stays until libvirt confirms the VM runs here and not on D. */
		sr = settle_migration(g, res, &handed, &se);
		if (sr < 0) {
			vh_err_prefix(e, r, "the migration failed and its end is unclear (%s): run "
				      "vmhop migrate again to look again, never abort before",
				      se.msg);
			return r;
		}
		if (!handed) {
			if (r == -ECANCELED && w.sync_late)
				return vh_err(e, -ETIMEDOUT, "DRBD's sync did not end within %s (%u s) "
					      "while the migration was held: libvirt's job was "
					      "cancelled, the VM still runs here; see vmhop status, "
					      "then vmhop wait-sync and vmhop migrate again, or vmhop "
					      "abort", w.sync_late, !strcmp(w.sync_late, "timeouts.sync") ?
					      p->timeouts.sync : p->timeouts.stall);
			if (r == -ECANCELED && w.lost &&
			    p->migration.on_link_loss == VPLAN_LINK_LOSS_CANCEL)
				return vh_err(e, -ENOLINK, "DRBD lost its link to %s during the "
					      "migration (/dev/drbd%u %s %s/%s): libvirt's job was "
					      "cancelled, the VM still runs here; wait for DRBD to "
					      "resync (vmhop wait-sync) and run vmhop migrate again, or "
					      "vmhop abort", p->dest.host, w.st.minor,
					      drbdnl_conn_name(w.st.conn), drbdnl_disk_name(w.st.disk),
					      drbdnl_disk_name(w.st.pdsk));
			return r;
		}
		/* The call failed, yet libvirt handed the VM over. */
	}
	/* After an early switch the hand-over and the resume are recorded
	 * already: no second write of the same state (undefine_here's eng_end()
	 * honours a stop). */
	if (!w.switched) {
		g->st.handed_off = true;
		if ((r = eng_end(g, e)) < 0)
			return r;
	}
	return eng_switch_over(g, flags, res, e);
}

int eng_resume(struct veng *g, unsigned flags, struct veng_result *res, struct vh_error *e)
{
	if (!g->st.handed_off)
		return vh_err(e, -EINVAL, "the VM has not been migrated: run vmhop migrate");
	return eng_switch_over(g, flags & ~VENG_LEAVE_PAUSED, res, e);
}
