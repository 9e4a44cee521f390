/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The phases of a move on one host (docs/engine.md).  Every step follows the
 * same pattern: look at the journal and at what exists, act only if needed,
 * record.  A flag in the journal means "this exists and is the move's": it
 * is set and saved *before* the object is created (so a crash in between
 * leaves a journal that claims it, and a re-run or an abort finds it or
 * finds nothing), and cleared after the object is gone.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "core/engine_int.h"

static const char *const phase_names[VENG_PHASES] = {
	[VENG_PREFLIGHT] = "preflight", [VENG_PREPARE] = "prepare", [VENG_BRIDGE] = "bridge",
	[VENG_WAIT_SYNC] = "wait-sync", [VENG_MIGRATE] = "migrate", [VENG_RESUME] = "resume",
	[VENG_RELEASE] = "release", [VENG_CLEANUP] = "cleanup", [VENG_ABORT] = "abort",
	[VENG_RESTART] = "restart",
};

const char *veng_phase_name(enum veng_phase p)
{
	return (unsigned)p < VENG_PHASES ? phase_names[p] : "?";
}

int veng_phase_parse(const char *name, enum veng_phase *ret)
{
	for (int i = 0; i < VENG_PHASES; i++)
		if (!strcmp(name, phase_names[i])) {
			*ret = (enum veng_phase)i;
			return 0;
		}
	return -EINVAL;
}

const char *veng_gate_name(enum veng_gate g)
{
	switch (g) {
	case VENG_GATE_PASS: return "pass";
	case VENG_GATE_WAIT: return "wait";
	case VENG_GATE_NOT_STOPPED: return "vm-not-stopped";
	}
	return "?";
}

enum veng_gate veng_gate_decide(const struct drbdnl_status *st, bool vm_stopped_on_s)
{
	if (!vm_stopped_on_s)
		return VENG_GATE_NOT_STOPPED;
	if (st->conn == DRBDNL_C_CONNECTED && st->disk == DRBDNL_D_UP_TO_DATE &&
	    st->pdsk == DRBDNL_D_UP_TO_DATE && st->bits_oos == 0)
		return VENG_GATE_PASS;
	return VENG_GATE_WAIT;
}

/* drbdnl_wait predicate: the gate's condition (in sync, nothing out of sync). */
int pred_in_sync(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	(void)arg;
	(void)e;
	return veng_gate_decide(st, true) == VENG_GATE_PASS;
}

void veng_state_init(struct veng_state *st, const struct vplan *p, enum vplan_role role)
{
	memset(st, 0, sizeof(*st));
	st->role = role;
	st->last_phase = -1;
	snprintf(st->resource, sizeof(st->resource), "%s", p->resource);
	snprintf(st->vm_name, sizeof(st->vm_name), "%s", p->vm_name);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The plan as this host runs it, made a copy of the caller's the first
 * time D takes a minor of its own. */
struct vplan *local_plan(struct veng *g)
{
	if (g->plan != &g->local) {
		g->local = *g->plan;
		g->plan = &g->local;
	}
	return &g->local;
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
			local_plan(g)->disks[i].minor = st->disks[i].own_minor;
	return 0;
}

/* ---- small helpers ----------------------------------------------------- */

bool is_s(const struct veng *g)
{
	return g->role == VPLAN_ROLE_SOURCE;
}

int save(struct veng *g, struct vh_error *e)
{
	int r = g->ops->save(g->ud, &g->st, e);

	if (r < 0)
		vh_err_prefix(e, r, "journal");
	return r;
}

/* Record that @fmt is about to be done. */
int begin(struct veng *g, struct veng_result *res, struct vh_error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->st.doing, sizeof(g->st.doing), fmt, ap);
	va_end(ap);
	res->acted++;
	if (g->on_event && g->hold) {
		if (g->n_held < sizeof(g->held) / sizeof(g->held[0]))
			memcpy(g->held[g->n_held++], g->st.doing, sizeof(g->held[0]));
	} else if (g->on_event) {
		struct veng_event ev = { .what = "step", .step = g->st.doing };

		g->on_event(&ev, g->event_ud);
	}
	return save(g, e);
}

/* The switch's pause begins: step events are held (struct veng.hold). */
void hold_events(struct veng *g)
{
	g->hold = true;
}

/* ... and is over (the VM runs on D, or the switch gave up): the held step
 * events go out, in order. */
void let_events_go(struct veng *g)
{
	unsigned n = g->n_held, ng = g->n_held_gate;

	g->hold = false;
	g->n_held = g->n_held_gate = 0;
	for (unsigned i = 0; g->on_event && i < ng; i++) {
		struct veng_event ev = { .what = "gate", .minor = g->held_gate[i].minor,
					 .st = &g->held_gate[i] };

		g->on_event(&ev, g->event_ud);
	}
	for (unsigned i = 0; g->on_event && i < n; i++) {
		struct veng_event ev = { .what = "step", .step = g->held[i] };

		g->on_event(&ev, g->event_ud);
	}
}

/* The step is done (flags already set by the caller): record it, and stop
 * here if asked to. */
int end(struct veng *g, struct vh_error *e)
{
	char step[sizeof(g->st.doing)];
	int r;

	snprintf(step, sizeof(step), "%s", g->st.doing);
	g->st.doing[0] = '\0';
	if ((r = save(g, e)) < 0)
		return r;
	if (g->stop && *g->stop)
		return vh_err(e, -EINTR, "interrupted after '%s' (recorded): run the phase again to "
			      "continue, or vmhop abort", step[0] ? step : "a step");
	return 0;
}

/* The step is done, and it is recorded; a stop waits for the next end(). */
int end_nostop(struct veng *g, struct vh_error *e)
{
	g->st.doing[0] = '\0';
	return save(g, e);
}

dev_t drbd_dev(uint32_t minor)
{
	return makedev(VENG_DRBD_MAJOR, minor);
}

void lv_dm(const struct vplan_disk *d, char *buf, size_t len)
{
	vlvm_dm_name(d->vg, d->lv, buf, len);
}

bool veng_table_maps_drbd(const struct vdm_table *t, uint32_t minor)
{
	dev_t dev;
	uint64_t off;

	return t->n == 1 && !strcmp(t->t[0].type, "linear") &&
	       vdm_linear_parse(t->t[0].params, &dev, &off, NULL) == 0 && dev == drbd_dev(minor) &&
	       off == 0;
}

/* Does the VM's LV (dm device @name) map exactly /dev/drbd<minor>? */
int maps_drbd(struct veng *g, const char *name, uint32_t minor, bool *ret,
	      struct vh_error *e)
{
	struct vdm_table t = { 0 };
	int r;

	if ((r = g->ops->dm_table(g->ud, name, &t, e)) < 0)
		return r;
	*ret = veng_table_maps_drbd(&t, minor);
	vdm_table_free(&t);
	return 0;
}

/* ---- the driver -------------------------------------------------------- */

static bool phase_is_mine(const struct veng *g, enum veng_phase ph)
{
	switch (ph) {
	case VENG_BRIDGE: case VENG_MIGRATE: case VENG_RESUME: case VENG_RESTART:
		return is_s(g);
	default:
		return true;
	}
}

static const char *const act_names[] = {
	[VENG_ACT_NONE] = "none", [VENG_ACT_PHASE] = "phase", [VENG_ACT_AGAIN] = "again",
	[VENG_ACT_STATUS] = "status", [VENG_ACT_MANUAL] = "manual",
};

const char *veng_act_name(enum veng_act a)
{
	return (unsigned)a < sizeof(act_names) / sizeof(act_names[0]) ? act_names[a] : "none";
}

void veng_next_set(struct veng_next *n, enum veng_act act, enum veng_phase phase,
		   enum veng_where where, const char *fmt, ...)
{
	va_list ap;

	n->act = act;
	n->phase = phase;
	n->where = where;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* The phase S runs next, from its state: VENG_PHASES when none is left. */
static enum veng_phase next_phase_s(const struct veng_state *st)
{
	return !st->primary ? VENG_PREPARE : !st->connected ? VENG_BRIDGE :
	       !st->synced ? VENG_WAIT_SYNC : !st->handed_off ? VENG_MIGRATE :
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
	} else if (is_s(g)) {
		ph = next_phase_s(st);
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
	case VENG_PREFLIGHT: r = preflight(g, &res, e); break;
	case VENG_PREPARE: r = prepare(g, &res, e); break;
	case VENG_BRIDGE: r = bridge(g, &res, e); break;
	case VENG_WAIT_SYNC: r = wait_sync(g, &res, e); break;
	case VENG_MIGRATE: r = migrate(g, flags, &res, e); break;
	case VENG_RESUME: r = resume(g, flags, &res, e); break;
	case VENG_RELEASE: r = release(g, &res, e); break;
	case VENG_CLEANUP: r = cleanup(g, &res, e); break;
	case VENG_ABORT: r = abort_move(g, &res, e); break;
	case VENG_RESTART: r = restart_here(g, flags, &res, e); break;
	default: r = -EINVAL; break;
	}
	res.wall_ns = g->now_ns() - t0;
	if (r == 0 && ph != VENG_PREFLIGHT) {
		/* Finished: no step is under way, whatever a killed run left
		 * named (its step found done needs no begin() again). */
		g->st.doing[0] = '\0';
		g->st.phase_ns[ph] = res.wall_ns;
		if (res.outcome == VENG_OK && !(flags & VENG_LEAVE_PAUSED && ph == VENG_MIGRATE) &&
		    (int)ph > g->st.last_phase && ph != VENG_ABORT && ph != VENG_RESTART)
			g->st.last_phase = ph;
		r = save(g, e);
	}
	if (!res.next.text[0])
		veng_next(g, &res.next);
	if (ret)
		*ret = res;
	return r;
}
