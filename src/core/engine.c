/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The phases of a move on one host (docs/engine.md).  Every step follows the
 * same pattern: look at the journal and at what exists, act only if needed,
 * record.  A flag in the journal means "this exists and is the move's": it
 * is set and saved *before* the object is created (so a crash in between
 * leaves a journal that claims it, and a re-run or an abort finds it or
 * finds nothing), and cleared after the object is gone.
 *
 * This file: the names (phases, gate, next actions), the step's glue
 * (begin, end, save: the journal before and after each step) and the small
 * helpers every phase uses, shared through engine_int.h.  The phases are in
 * files of their own, each using only this one and the files before it:
 * engine_preflight.c, engine_prepare.c, engine_bridge.c, engine_sync.c,
 * engine_gate.c, engine_fence.c, engine_switch.c, engine_migrate.c,
 * engine_release.c (release, cleanup), engine_recover.c (abort, restart);
 * engine_driver.c runs them (veng_init, veng_run).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

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
int eng_pred_in_sync(const struct drbdnl_status *st, void *arg, struct vh_error *e)
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

/* The plan as this host runs it, made a copy of the caller's the first
 * time D takes a minor of its own. */
struct vplan *eng_local_plan(struct veng *g)
{
	if (g->plan != &g->local) {
		g->local = *g->plan;
		g->plan = &g->local;
	}
	return &g->local;
}

/* ---- small helpers ----------------------------------------------------- */

bool eng_is_s(const struct veng *g)
{
	return g->role == VPLAN_ROLE_SOURCE;
}

int eng_save(struct veng *g, struct vh_error *e)
{
	int r = g->ops->save(g->ud, &g->st, e);

	if (r < 0)
		vh_err_prefix(e, r, "journal");
	return r;
}

/* Record that @fmt is about to be done. */
int eng_begin(struct veng *g, struct veng_result *res, struct vh_error *e, const char *fmt, ...)
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
	return eng_save(g, e);
}

/* The switch's pause begins: step events are held (struct veng.hold). */
void eng_hold_events(struct veng *g)
{
	g->hold = true;
}

/* ... and is over (the VM runs on D, or the switch gave up): the held step
 * events go out, in order. */
void eng_let_events_go(struct veng *g)
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
int eng_end(struct veng *g, struct vh_error *e)
{
	char step[sizeof(g->st.doing)];
	int r;

	snprintf(step, sizeof(step), "%s", g->st.doing);
	g->st.doing[0] = '\0';
	if ((r = eng_save(g, e)) < 0)
		return r;
	if (g->stop && *g->stop)
		return vh_err(e, -EINTR, "interrupted after '%s' (recorded): run the phase again to "
			      "continue, or vmhop abort", step[0] ? step : "a step");
	return 0;
}

/* The step is done, and it is recorded; a stop waits for the next eng_end(). */
int eng_end_nostop(struct veng *g, struct vh_error *e)
{
	g->st.doing[0] = '\0';
	return eng_save(g, e);
}

dev_t eng_drbd_dev(uint32_t minor)
{
	return makedev(VENG_DRBD_MAJOR, minor);
}

void eng_lv_dm(const struct vplan_disk *d, char *buf, size_t len)
{
	vlvm_dm_name(d->vg, d->lv, buf, len);
}

bool veng_table_maps_drbd(const struct vdm_table *t, uint32_t minor)
{
	dev_t dev;
	uint64_t off;

	return t->n == 1 && !strcmp(t->t[0].type, "linear") &&
	       vdm_linear_parse(t->t[0].params, &dev, &off, NULL) == 0 && dev == eng_drbd_dev(minor) &&
	       off == 0;
}

/* Does the VM's LV (dm device @name) map exactly /dev/drbd<minor>? */
int eng_maps_drbd(struct veng *g, const char *name, uint32_t minor, bool *ret,
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
