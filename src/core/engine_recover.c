/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * abort (S, D): what the journal says undone, in reverse, only while the VM
 * runs where it ran; restart (S): the operator's cold start of the VM here
 * after a gate that stopped (docs/DESIGN.md, "Release, abort, restart").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/engine_int.h"
#include "virt/virt.h"

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
	if (r == 0 && eng_lv_is_ours(g, &li))
		return 0;
	*flag = false;
	g->st.doing[0] = '\0';
	return eng_save(g, e);
}

static int settle_lv_claims(struct veng *g, struct vh_error *e)
{
	int r;

	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		struct veng_disk_state *ds = &g->st.disks[i];

		if ((r = settle_lv_claim(g, &ds->md_created, d->vg, d->md_lv, e)) < 0 ||
		    (!eng_is_s(g) && (r = settle_lv_claim(g, &ds->lv_created, d->vg, d->lv, e)) < 0))
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
	if ((r = eng_begin(g, res, e, "autostart on for %s here", g->plan->vm_name)) < 0)
		return r;
	r = g->ops->vm_autostart(g->ud, VENG_HERE, g->plan->vm_name, true, e);
	if (r < 0 && r != -ENOENT)
		return r;
	g->st.autostart_cleared = false;
	return eng_end(g, e);
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
			      "Wait for it to end (or virsh domjobabort %s), then run vmhop send or "
			      "vmhop migrate again (it decides from how the job ended), or vmhop "
			      "abort", p->vm_name, p->vm_name, p->vm_name);
	if (!g->st.migrating)
		return 0;
	if (r < 0 || (here.state != VIR_DOMAIN_RUNNING && here.state != VIR_DOMAIN_PAUSED) ||
	    (here.state == VIR_DOMAIN_PAUSED && here.reason == VIR_DOMAIN_PAUSED_MIGRATION))
		goto left;
	/* The kernel agrees the VM runs here: its QEMU holds its LVs. */
	if ((r = eng_lvs_open(g, e)) < 0)
		return r;
	if (!r)
		return vh_err(e, -EBUSY, "libvirt says VM %s is %s here, but nothing holds its LVs "
			      "open: nothing undone; see vmhop status", p->vm_name,
			      eng_vm_words(&here, w, sizeof(w)));
	r = g->ops->vm_info(g->ud, VENG_PEER, p->vm_name, &there, &pe);
	if (r == 0)
		return vh_err(e, -EBUSY, "VM %s exists on %s (%s) after a migration: nothing "
			      "undone; run vmhop send or vmhop migrate again: it removes a copy "
			      "that never ran there, then migrates again", p->vm_name, p->dest.host,
			      eng_vm_words(&there, w, sizeof(w)));
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
			      r == 0 ? eng_vm_words(&vm, w, sizeof(w)) : "it ran here", p->source.host);
	if (r != -ENOENT)
		return vh_err_prefix(e, r, "cannot tell whether VM %s is here: nothing undone",
				     p->vm_name);
	for (size_t i = 0; i < p->n_disks; i++) {
		struct vdm_info di;
		char lvname[256];

		if (!g->st.disks[i].lv_created)
			continue;
		eng_lv_dm(&p->disks[i], lvname, sizeof(lvname));
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

int eng_abort_move(struct veng *g, struct veng_result *res, struct vh_error *e)
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
	if (eng_is_s(g)) {
		if ((r = abort_guard_s(g, d_note, sizeof(d_note), e)) < 0)
			return r;
		/* S's extents must hold every write before the VM goes back on them. */
		if ((r = check_own_disk(g, e)) < 0)
			return vh_err_prefix(e, r, "nothing undone");
		/* The VM still runs here: its LV back on its own table first. */
		for (size_t i = p->n_disks; i-- > 0;)
			if ((r = eng_restore_lv(g, res, i, e)) < 0)
				return r;
		if ((r = eng_fence_gone(g, e)) < 0)
			return r;
		g->st.migrating = false;
		if ((r = autostart_back(g, res, e)) < 0)
			return r;
	} else if ((r = abort_guard_d(g, e)) < 0) {
		return r;
	}
	if ((r = eng_down(g, res, e)) < 0 || (r = eng_remove_devices(g, res, e)) < 0)
		return r;
	if (!eng_is_s(g))
		for (size_t i = p->n_disks; i-- > 0;)
			if ((r = eng_remove_lv(g, res, &g->st.disks[i].lv_created, p->disks[i].vg,
					   p->disks[i].lv, e)) < 0)
				return r;
	if ((r = eng_release_helper(g, res, e)) < 0)
		return r;
	g->st.aborted = true;
	res->outcome = VENG_UNDONE;
	if (d_note[0])
		veng_next_set(&res->next, VENG_ACT_MANUAL, VENG_ABORT, VENG_PEER,
			      "nothing here (undone); %.448s", d_note);
	return eng_save(g, e);
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
			      "finish the move from there", p->vm_name, eng_vm_words(&vm, w, sizeof(w)),
			      p->dest.host, vm.job ? "has a libvirt job running" : "was resumed there");
	/* What only a guest that ran there leaves: its writes there would be lost. */
	if (eng_d_ran(g, &vm) && !(flags & VENG_FORCE))
		return vh_err(e, -EBUSY, "VM %s is %s on %s: it ran there, and what it wrote on %s's "
			      "disk would be lost by a start here; if you accept that loss, run "
			      "vmhop restart --force", p->vm_name, eng_vm_words(&vm, w, sizeof(w)),
			      p->dest.host, p->dest.host);
	if (vm.state != VIR_DOMAIN_SHUTOFF) {
		if ((r = eng_begin(g, res, e, "destroy the paused %s on %s", p->vm_name, p->dest.host)) < 0)
			return r;
		r = g->ops->vm_destroy(g->ud, VENG_PEER, p->vm_name, e);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if ((r = eng_begin(g, res, e, "undefine %s on %s", p->vm_name, p->dest.host)) < 0)
		return r;
	r = g->ops->vm_undefine(g->ud, VENG_PEER, p->vm_name, e);
	if (r < 0 && r != -ENOENT)
		return r;
gone:
	g->st.removed_on_d = true;
	return eng_end(g, e);
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
			      p->vm_name, eng_vm_words(&vm, w, sizeof(w)));
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

int eng_restart_here(struct veng *g, unsigned flags, struct veng_result *res,
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
		if ((r = eng_restore_lv(g, res, i, e)) < 0)
			return r;
	if ((r = eng_fence_gone(g, e)) < 0)
		return r;
	if (!g->st.restarted_here) {
		if (state != VIR_DOMAIN_RUNNING &&
		    ((r = eng_begin(g, res, e, "start %s here", p->vm_name)) < 0 ||
		     (r = g->ops->vm_start(g->ud, VENG_HERE, p->vm_name, e)) < 0))
			return r;
		g->st.restarted_here = true;
		if ((r = eng_end(g, e)) < 0)
			return r;
	}
	if ((r = autostart_back(g, res, e)) < 0 || (r = eng_down(g, res, e)) < 0 ||
	    (r = eng_remove_devices(g, res, e)) < 0 || (r = eng_release_helper(g, res, e)) < 0)
		return r;
	g->st.aborted = true;
	res->outcome = VENG_UNDONE;
	if ((r = eng_save(g, e)) < 0)
		return r;
next:
	veng_next_set(&res->next, VENG_ACT_PHASE, VENG_ABORT, VENG_PEER,
		      "the VM runs here again from its own disk: run vmhop abort on %s (it removes what the move made there)", p->dest.host);
	return 0;
}
