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

#include <libvirt/libvirt.h>

#include "core/engine_int.h"
#include "virt/virt.h"

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

/*
 * S's own DRBD disk must be UpToDate before S's LV is trusted again on its
 * own (abort, restart): after a local I/O error DRBD 8.4 passes the error
 * on and detaches, or marks the disk Inconsistent, while the VM's writes
 * complete on D: S's extents then lack them.
 */
static int check_own_disk(struct veng *g, struct vh_error *e)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		struct drbdnl_status s;
		int r;

		if (!g->st.disks[i].bridged || g->st.disks[i].restored)
			continue;
		r = g->ops->drbd_status(g->ud, d->minor, &s, e);
		if (r == -ENXIO || r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (s.disk != DRBDNL_D_UP_TO_DATE)
			return vh_err(e, -EIO, "this host's disk of /dev/drbd%u is %s (%s): writes of "
				      "the VM may have reached only %s, so %s/%s here may lack them",
				      d->minor, drbdnl_disk_name(s.disk), drbdnl_conn_name(s.conn),
				      g->plan->dest.host, d->vg, d->lv);
	}
	return 0;
}

/*
 * An LV claimed, its create under way when the process died: made by this
 * move only if it carries the move's tag; else (or absent) the claim goes,
 * so that abort never removes an LV someone else made meanwhile.  Before
 * abort changes anything (its own steps overwrite the step under way).
 */
static int settle_lv_claim(struct veng *g, bool *flag, const char *vg, const char *lv,
			   struct vh_error *e)
{
	char step[sizeof(g->st.doing)];
	struct vlvm_lv_info li;
	int r;

	snprintf(step, sizeof(step), "create LV %s/%s", vg, lv);
	if (!*flag || strcmp(g->st.doing, step))
		return 0;
	r = g->ops->lv_info(g->ud, vg, lv, &li, e);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && lv_is_ours(g, &li))
		return 0;
	*flag = false;
	g->st.doing[0] = '\0';
	return save(g, e);
}

static int settle_lv_claims(struct veng *g, struct vh_error *e)
{
	int r;

	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		struct veng_disk_state *ds = &g->st.disks[i];

		if ((r = settle_lv_claim(g, &ds->md_created, d->vg, d->md_lv, e)) < 0 ||
		    (!is_s(g) && (r = settle_lv_claim(g, &ds->lv_created, d->vg, d->lv, e)) < 0))
			return r;
	}
	return 0;
}

/* Abort and restart: the VM's autostart here as it was before the move. */
static int autostart_back(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	int r;

	if (!g->st.autostart_cleared)
		return 0;
	if ((r = begin(g, res, e, "autostart on for %s here", g->plan->vm_name)) < 0)
		return r;
	r = g->ops->vm_autostart(g->ud, VENG_HERE, g->plan->vm_name, true, e);
	if (r < 0 && r != -ENOENT)
		return r;
	g->st.autostart_cleared = false;
	return end(g, e);
}

/*
 * S's abort undoes the move only while the VM runs here and nowhere else,
 * as libvirt says now: no job of the VM here (a migration that a killed
 * vmhop started goes on inside libvirtd), and, once a migration was
 * started, no domain on D (libvirt's Finish may have answered with its
 * reply lost).  Either: refused, nothing changed, with what to do instead.
 */
static int abort_guard_s(struct veng *g, char *ret_d_note, size_t note_len, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct veng_vm here, there;
	struct vh_error pe = { 0 };
	char w[96];
	int r;

	if (g->st.handed_off)
		goto left;
	r = g->ops->vm_info(g->ud, VENG_HERE, p->vm_name, &here, e);
	if (r < 0 && !(r == -ENOENT && !g->st.migrating))
		return vh_err_prefix(e, r, "cannot tell where VM %s runs: nothing undone",
				     p->vm_name);
	if (r == 0 && here.job)
		return vh_err(e, -EBUSY, "libvirt's job of VM %s still runs on this host (virsh "
			      "domjobinfo %s): abort would take DRBD from under it; nothing undone. "
			      "Wait for its end (or virsh domjobabort %s), then run vmhop send or "
			      "vmhop migrate again (it decides from how the job ended), or vmhop "
			      "abort", p->vm_name, p->vm_name, p->vm_name);
	if (!g->st.migrating)
		return 0;
	if (r < 0 || (here.state != VIR_DOMAIN_RUNNING && here.state != VIR_DOMAIN_PAUSED) ||
	    (here.state == VIR_DOMAIN_PAUSED && here.reason == VIR_DOMAIN_PAUSED_MIGRATION))
		goto left;
	/* The kernel agrees the VM runs here: its QEMU holds its LVs. */
	if ((r = lvs_open(g, e)) < 0)
		return r;
	if (!r)
		return vh_err(e, -EBUSY, "libvirt says VM %s is %s here, but nothing holds its LVs "
			      "open: nothing undone; see vmhop status", p->vm_name,
			      vm_words(&here, w, sizeof(w)));
	r = g->ops->vm_info(g->ud, VENG_PEER, p->vm_name, &there, &pe);
	if (r == 0)
		return vh_err(e, -EBUSY, "VM %s exists on %s (%s) after a migration: nothing "
			      "undone; run vmhop send or vmhop migrate again: it removes a copy "
			      "that never ran there, then migrates again", p->vm_name, p->dest.host,
			      vm_words(&there, w, sizeof(w)));
	/* D's libvirt does not answer: the VM runs here with no job, so the
	 * migration ended here; a copy it may have left on D is paused and
	 * never ran.  Undone here, and said. */
	if (r != -ENOENT)
		snprintf(ret_d_note, note_len, "libvirt on %.64s did not answer (%.120s): a paused "
			 "copy the migration may have left there never ran; remove it there "
			 "(virsh destroy, virsh undefine) before vmhop abort there", p->dest.host,
			 pe.msg);
	return 0;
left:
	return vh_err(e, -EBUSY, "the VM has left this host: abort cannot undo that. %s",
		      g->st.resumed_on_d ? "Finish with vmhop release and vmhop cleanup on both "
		      "hosts" : "Run vmhop resume here (it gates and resumes the VM on the "
		      "destination), or vmhop restart (a cold start of the VM here from its "
		      "complete disk)");
}

/*
 * D's abort removes D's LV: only while no domain of the VM is defined here,
 * nothing holds the LV open (a QEMU libvirt lost), and the VM never ran.
 */
static int abort_guard_d(struct veng *g, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct veng_vm vm;
	char w[96];
	int r;

	r = g->ops->vm_info(g->ud, VENG_HERE, p->vm_name, &vm, e);
	if (r == 0 || g->st.vm_ran_here)
		return vh_err(e, -EBUSY, "VM %s is on this host (%s): abort cannot undo that; "
			      "finish the move from %s", p->vm_name,
			      r == 0 ? vm_words(&vm, w, sizeof(w)) : "it ran here", p->source.host);
	if (r != -ENOENT)
		return vh_err_prefix(e, r, "cannot tell whether VM %s is here: nothing undone",
				     p->vm_name);
	for (size_t i = 0; i < p->n_disks; i++) {
		struct vdm_info di;
		char lvname[256];

		if (!g->st.disks[i].lv_created)
			continue;
		lv_dm(&p->disks[i], lvname, sizeof(lvname));
		r = g->ops->dm_info(g->ud, lvname, &di, e);
		if (r == -ENXIO)
			continue;
		if (r < 0)
			return r;
		if (di.open_count > 0)
			return vh_err(e, -EBUSY, "%s/%s is open on this host (%d opener%s: a QEMU?): "
				      "nothing undone", p->disks[i].vg, p->disks[i].lv,
				      (int)di.open_count, di.open_count > 1 ? "s" : "");
	}
	return 0;
}

static int abort_move(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	char d_note[448] = "";
	int r;

	if (g->st.aborted) {
		res->outcome = VENG_UNDONE;
		return 0;
	}
	if (g->st.done)
		return vh_err(e, -EINVAL, "the move is finished on this host: nothing to abort");
	if ((r = settle_lv_claims(g, e)) < 0)
		return r;
	if (is_s(g)) {
		if ((r = abort_guard_s(g, d_note, sizeof(d_note), e)) < 0)
			return r;
		/* S's extents must hold every write before the VM goes back on them. */
		if ((r = check_own_disk(g, e)) < 0)
			return vh_err_prefix(e, r, "nothing undone");
		/* The VM still runs here: its LV back on its own table first. */
		for (size_t i = p->n_disks; i-- > 0;)
			if ((r = restore_lv(g, res, i, e)) < 0)
				return r;
		if ((r = fence_gone(g, e)) < 0)
			return r;
		g->st.migrating = false;
		if ((r = autostart_back(g, res, e)) < 0)
			return r;
	} else if ((r = abort_guard_d(g, e)) < 0) {
		return r;
	}
	if ((r = down(g, res, e)) < 0 || (r = remove_devices(g, res, e)) < 0)
		return r;
	if (!is_s(g))
		for (size_t i = p->n_disks; i-- > 0;)
			if ((r = remove_lv(g, res, &g->st.disks[i].lv_created, p->disks[i].vg,
					   p->disks[i].lv, e)) < 0)
				return r;
	if ((r = release_helper(g, res, e)) < 0)
		return r;
	g->st.aborted = true;
	res->outcome = VENG_UNDONE;
	if (d_note[0])
		veng_next_set(&res->next, VENG_ACT_MANUAL, VENG_ABORT, VENG_PEER,
			      "nothing here (undone); %.448s", d_note);
	return save(g, e);
}

/* ---- restart (S): the operator's cold start after a gate that stopped --- */

/*
 * The VM is paused on D, which lacks writes, and the link does not come
 * back.  S's disk is complete (every write of the VM went through S's
 * Primary), so the VM can start again here from it, once the paused VM on
 * D is gone for good: destroyed and undefined there first, so that it can
 * never run on D's stale copy.  Then S's LV goes back on its own table,
 * the VM starts here, and DRBD and the move's devices go; D's abort then
 * removes what D made (its LV: the VM never ran there).  Only on an
 * operator's command, never on vmhop's own initiative.
 */
static int remove_vm_on_d(struct veng *g, unsigned flags, struct veng_result *res,
			  struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct vh_error pe = { 0 };
	struct veng_vm vm;
	char w[96];
	int r;

	if (g->st.removed_on_d)
		return 0;
	r = g->ops->vm_info(g->ud, VENG_PEER, p->vm_name, &vm, &pe);
	if (r == -ENOENT)
		goto gone;
	if (r < 0) {
		if (!(flags & VENG_FORCE))
			return vh_err(e, r, "cannot reach libvirt on %s (%s): the VM paused there "
				      "must never run; make sure of that (power %s off) and run "
				      "vmhop restart --force", p->dest.host, pe.msg, p->dest.host);
		goto gone;
	}
	if (vm.state == VIR_DOMAIN_RUNNING || vm.job)
		return vh_err(e, -EBUSY, "VM %s is %s on %s: it %s, so it must not start here too; "
			      "finish the move from there", p->vm_name, vm_words(&vm, w, sizeof(w)),
			      p->dest.host, vm.job ? "has a libvirt job running" : "was resumed there");
	/* What only a guest that ran there leaves: its writes there would be lost. */
	if (d_ran(g, &vm) && !(flags & VENG_FORCE))
		return vh_err(e, -EBUSY, "VM %s is %s on %s: it ran there, and what it wrote on %s's "
			      "disk would be lost by a start here; if you accept that loss, run "
			      "vmhop restart --force", p->vm_name, vm_words(&vm, w, sizeof(w)),
			      p->dest.host, p->dest.host);
	if (vm.state != VIR_DOMAIN_SHUTOFF) {
		if ((r = begin(g, res, e, "destroy the paused %s on %s", p->vm_name, p->dest.host)) < 0)
			return r;
		r = g->ops->vm_destroy(g->ud, VENG_PEER, p->vm_name, e);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if ((r = begin(g, res, e, "undefine %s on %s", p->vm_name, p->dest.host)) < 0)
		return r;
	r = g->ops->vm_undefine(g->ud, VENG_PEER, p->vm_name, e);
	if (r < 0 && r != -ENOENT)
		return r;
gone:
	g->st.removed_on_d = true;
	return end(g, e);
}

/*
 * Before anything of restart changes: the VM is here, shut off (or started
 * by hand), with no libvirt job; the gate has not passed with this host
 * disconnected (then D may have run the VM: only with --force); this
 * host's disk holds every write.
 */
static int restart_guard(struct veng *g, unsigned flags, int *ret_state, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct veng_vm vm;
	char w[96];
	int r;

	if (g->st.gate_passed && g->st.disconnected && !(flags & VENG_FORCE))
		return vh_err(e, -EBUSY, "the gate passed and this host disconnected DRBD: the VM "
			      "may have been resumed on %s (its reply lost, or a kill before it was "
			      "recorded), and a start here would lose what it wrote there. Run vmhop "
			      "resume to finish the move; only if the VM never ran on %s, vmhop "
			      "restart --force", p->dest.host, p->dest.host);
	r = g->ops->vm_info(g->ud, VENG_HERE, p->vm_name, &vm, e);
	if (r == -ENOENT && !g->st.handed_off && !g->st.migrating)
		return vh_err(e, -EINVAL, "VM %s is not defined here", p->vm_name);
	if (r < 0)
		return vh_err_prefix(e, r, "the VM's definition here");
	if (vm.job)
		return vh_err(e, -EBUSY, "VM %s has a libvirt job running here (%s): not restarting",
			      p->vm_name, vm_words(&vm, w, sizeof(w)));
	/* Still here (never migrated, or libvirt cancelled): abort's case. */
	if (!g->st.handed_off && (!g->st.migrating || vm.state != VIR_DOMAIN_SHUTOFF))
		return vh_err(e, -EINVAL, "the VM has not left this host: vmhop abort undoes the "
			      "move");
	/* Shut off (libvirt keeps the definition), or started by hand. */
	if (vm.state != VIR_DOMAIN_SHUTOFF && vm.state != VIR_DOMAIN_RUNNING)
		return vh_err(e, -EBUSY, "VM %s is %s here: not restarting it", p->vm_name,
			      vvirt_state_name(vm.state));
	if (!(flags & VENG_FORCE) && (r = check_own_disk(g, e)) < 0)
		return vh_err_prefix(e, r, "not restarting here (vmhop restart --force accepts it)");
	*ret_state = vm.state;
	return 0;
}

static int restart_here(struct veng *g, unsigned flags, struct veng_result *res,
			struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r, state = 0;

	if (g->st.aborted && g->st.restarted_here) {
		res->outcome = VENG_UNDONE;
		goto next;
	}
	if (g->st.done || g->st.aborted)
		return vh_err(e, -EINVAL, "the move has ended on this host: nothing to restart");
	if (g->st.resumed_on_d)
		return vh_err(e, -EBUSY, "the VM runs on %s: finish with vmhop release and vmhop "
			      "cleanup on both hosts", p->dest.host);
	if (!g->st.restarted_here && (r = restart_guard(g, flags, &state, e)) < 0)
		return r;
	if ((r = settle_lv_claims(g, e)) < 0)
		return r;
	if ((r = remove_vm_on_d(g, flags, res, e)) < 0)
		return r;
	/* Its own table first, so that the VM starts on its LV alone. */
	for (size_t i = p->n_disks; i-- > 0;)
		if ((r = restore_lv(g, res, i, e)) < 0)
			return r;
	if ((r = fence_gone(g, e)) < 0)
		return r;
	if (!g->st.restarted_here) {
		if (state != VIR_DOMAIN_RUNNING &&
		    ((r = begin(g, res, e, "start %s here", p->vm_name)) < 0 ||
		     (r = g->ops->vm_start(g->ud, VENG_HERE, p->vm_name, e)) < 0))
			return r;
		g->st.restarted_here = true;
		if ((r = end(g, e)) < 0)
			return r;
	}
	if ((r = autostart_back(g, res, e)) < 0 || (r = down(g, res, e)) < 0 ||
	    (r = remove_devices(g, res, e)) < 0 || (r = release_helper(g, res, e)) < 0)
		return r;
	g->st.aborted = true;
	res->outcome = VENG_UNDONE;
	if ((r = save(g, e)) < 0)
		return r;
next:
	veng_next_set(&res->next, VENG_ACT_PHASE, VENG_ABORT, VENG_PEER,
		      "the VM runs here again from its own disk: run vmhop abort on %s (it removes what the move made there)", p->dest.host);
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
