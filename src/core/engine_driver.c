/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The driver: veng_init and veng_run (which phase runs on which host, and
 * its function), and what comes next (veng_next).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/engine_int.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int veng_init(struct veng *g, const struct vplan *p, enum vplan_role role,
	      const struct veng_state *st, const struct veng_ops *ops, void *ud,
	      struct vh_error *e)
{
	memset(g, 0, sizeof(*g));
	if (role != VPLAN_ROLE_SOURCE && role != VPLAN_ROLE_DEST)
		return vh_err(e, -EINVAL, "this host is neither the source nor the destination of the plan");
	g->plan = p;
	g->role = role;
	g->ops = ops;
	g->ud = ud;
	g->now_ns = mono_ns;
	if (!st) {
		veng_state_init(&g->st, p, role);
		return 0;
	}
	if (strcmp(st->resource, p->resource) || strcmp(st->vm_name, p->vm_name))
		return vh_err(e, -EINVAL, "the journal is for resource %s (VM %s), the plan for %s (VM %s)",
			      st->resource, st->vm_name, p->resource, p->vm_name);
	if (st->role != role)
		return vh_err(e, -EINVAL, "the journal says this host was the %s, the plan says %s",
			      vplan_role_name(st->role), vplan_role_name(role));
	g->st = *st;
	for (size_t i = 0; i < p->n_disks; i++)
		if (st->disks[i].own_minor_set)
			eng_local_plan(g)->disks[i].minor = st->disks[i].own_minor;
	return 0;
}

static bool phase_is_mine(const struct veng *g, enum veng_phase ph)
{
	switch (ph) {
	case VENG_BRIDGE: case VENG_MIGRATE: case VENG_RESUME: case VENG_RESTART:
		return eng_is_s(g);
	default:
		return true;
	}
}

/* The phase S runs next, from its state: VENG_PHASES when none is left.
 * With the overlap, migrate waits for the sync itself. */
static enum veng_phase next_phase_s(const struct veng_state *st, bool overlap)
{
	return !st->primary ? VENG_PREPARE : !st->connected ? VENG_BRIDGE :
	       !st->synced && !overlap ? VENG_WAIT_SYNC : !st->handed_off ? VENG_MIGRATE :
	       !st->resumed_on_d ? VENG_RESUME : !st->drbd_down ? VENG_RELEASE : VENG_CLEANUP;
}

static enum veng_phase next_phase_d(const struct veng_state *st)
{
	return !st->connected ? VENG_PREPARE : !st->synced ? VENG_WAIT_SYNC :
	       !st->drbd_down ? VENG_RELEASE : VENG_CLEANUP;
}

void veng_next(const struct veng *g, struct veng_next *ret)
{
	const struct veng_state *st = &g->st;
	enum veng_phase ph;

	if (st->aborted && st->restarted_here) {
		veng_next_set(ret, VENG_ACT_PHASE, VENG_ABORT, VENG_PEER, "nothing here: the VM was "
			      "restarted on this host (vmhop abort on the destination removes what "
			      "the move made there)");
	} else if (st->aborted) {
		veng_next_set(ret, VENG_ACT_NONE, VENG_PHASES, VENG_HERE,
			      "nothing: the move was aborted on this host");
	} else if (st->done) {
		veng_next_set(ret, VENG_ACT_NONE, VENG_PHASES, VENG_HERE,
			      "nothing: the move is finished on this host");
	} else if (st->doing[0]) {
		veng_next_set(ret, VENG_ACT_AGAIN, VENG_PHASES, VENG_HERE,
			      "a step was interrupted: run the same phase again, or vmhop abort");
	} else if (eng_is_s(g)) {
		ph = next_phase_s(st, g->plan->migration.overlap_s);
		veng_next_set(ret, VENG_ACT_PHASE, ph, VENG_HERE, "vmhop %s%s", veng_phase_name(ph),
			      ph == VENG_RESUME ? " (if the gate cannot pass: vmhop restart, a cold "
			      "start here)" : "");
	} else {
		ph = next_phase_d(st);
		veng_next_set(ret, VENG_ACT_PHASE, ph, VENG_HERE, "vmhop %s%s", veng_phase_name(ph),
			      ph == VENG_RELEASE ? " (once the VM runs here)" : "");
	}
}

int veng_run(struct veng *g, enum veng_phase ph, unsigned flags, struct veng_result *ret,
	     struct vh_error *e)
{
	struct veng_result res = { .phase = ph, .gate = VENG_GATE_WAIT };
	int64_t t0 = g->now_ns();
	int r;

	if ((unsigned)ph >= VENG_PHASES)
		return vh_err(e, -EINVAL, "no such phase");
	if (!phase_is_mine(g, ph))
		return vh_err(e, -EINVAL, "%s runs on the source (%s); this host is the destination",
			      veng_phase_name(ph), g->plan->source.host);
	if (g->st.aborted && ph != VENG_ABORT && ph != VENG_RESTART)
		return vh_err(e, -EINVAL, "the move was aborted on this host");
	switch (ph) {
	case VENG_PREFLIGHT: r = eng_preflight(g, &res, e); break;
	case VENG_PREPARE: r = eng_prepare(g, &res, e); break;
	case VENG_BRIDGE: r = eng_bridge(g, &res, e); break;
	case VENG_WAIT_SYNC: r = eng_wait_sync(g, &res, e); break;
	case VENG_MIGRATE: r = eng_migrate(g, flags, &res, e); break;
	case VENG_RESUME: r = eng_resume(g, flags, &res, e); break;
	case VENG_RELEASE: r = eng_release(g, &res, e); break;
	case VENG_CLEANUP: r = eng_cleanup(g, &res, e); break;
	case VENG_ABORT: r = eng_abort_move(g, &res, e); break;
	case VENG_RESTART: r = eng_restart_here(g, flags, &res, e); break;
	default: r = -EINVAL; break;
	}
	res.wall_ns = g->now_ns() - t0;
	if (r == 0 && ph != VENG_PREFLIGHT) {
		/* Finished: no step is under way, whatever a killed run left
		 * named (its step found done needs no eng_begin() again). */
		g->st.doing[0] = '\0';
		g->st.phase_ns[ph] = res.wall_ns;
		if (res.outcome == VENG_OK && !(flags & VENG_LEAVE_PAUSED && ph == VENG_MIGRATE) &&
		    (int)ph > g->st.last_phase && ph != VENG_ABORT && ph != VENG_RESTART)
			g->st.last_phase = ph;
		r = eng_save(g, e);
	}
	if (!res.next.text[0])
		veng_next(g, &res.next);
	if (ret)
		*ret = res;
	return r;
}
