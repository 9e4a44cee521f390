/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * release (S, D; docs/DESIGN.md, phase 7): S's definition gone, each LV back
 * on its saved table (behind a fence: once nothing holds it), DRBD down.
 * cleanup (phase 8): the .copy devices and meta-data LVs, S's old LV unless
 * keep_source, the usermode helper.
 */
#include <errno.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/engine_int.h"

/*
 * A bridge killed between its load and its resume leaves the LV on its own
 * table with DRBD's waiting in the inactive slot: it holds /dev/drbdN open
 * (DRBD cannot go down) and the next resume by anyone would put the VM on
 * DRBD.  Cleared before DRBD goes down.
 */
static int clear_drbd_inactive(struct veng *g, struct veng_result *res, const char *lvname,
			       uint32_t minor, struct vh_error *e)
{
	struct vdm_table t = { 0 };
	bool waiting;
	int r;

	if ((r = g->ops->dm_inactive(g->ud, lvname, &t, e)) < 0)
		return vh_err_prefix(e, r, "the inactive table of %s", lvname);
	waiting = veng_table_maps_drbd(&t, minor);
	vdm_table_free(&t);
	if (!waiting)
		return 0;
	if ((r = eng_begin(g, res, e, "clear the inactive table of %s (/dev/drbd%u, left by a killed "
		       "swap)", lvname, minor)) < 0 ||
	    (r = g->ops->dm_clear(g->ud, lvname, e)) < 0)
		return r;
	return 0;
}

/* Every LV back on its own table (restore_lv): no fence any more. */
int eng_fence_gone(struct veng *g, struct vh_error *e)
{
	if (!g->st.fenced)
		return 0;
	g->st.fenced = g->st.fence_final = false;
	return eng_save(g, e);
}

int eng_restore_lv(struct veng *g, struct veng_result *res, size_t i, struct vh_error *e)
{
	const struct vplan_disk *d = &g->plan->disks[i];
	struct veng_disk_state *ds = &g->st.disks[i];
	struct vdm_table t = { 0 };
	char lvname[256];
	bool on_drbd = false;
	int64_t win = 0;
	int r;

	if (!ds->bridged || ds->restored)
		return 0;
	eng_lv_dm(d, lvname, sizeof(lvname));
	if ((r = eng_maps_drbd(g, lvname, d->minor, &on_drbd, e)) < 0)
		return r;
	if (!on_drbd && g->st.fenced) {
		/* the final fence: an error table */
		if ((r = g->ops->dm_table(g->ud, lvname, &t, e)) < 0)
			return r;
		on_drbd = eng_table_is_fence(&t, d);
		vdm_table_free(&t);
	}
	if (on_drbd && g->st.fenced && (g->st.resumed_on_d || g->st.fence_final)) {
		struct vdm_info di;

		/* Behind the fence, S's own table comes back only once nothing
		 * holds the LV: the VM runs on D, and whatever is still here
		 * (S's QEMU, a twin) must never reach S's data again. */
		if ((r = g->ops->dm_info(g->ud, lvname, &di, e)) < 0)
			return vh_err_prefix(e, r, "%s", lvname);
		if (di.open_count > 0)
			return vh_err(e, -EBUSY, "%s is still open here (S's QEMU, or a twin libvirt "
				      "resumed, behind the fence: it writes nothing); it stays fenced "
				      "until that is gone: virsh destroy %s here, then run vmhop "
				      "release again", lvname, g->plan->vm_name);
	}
	if (on_drbd) {
		/* DRBD's backing, the .copy, must still map what the LV is
		 * put back on: else the saved table is not where the data is. */
		if ((r = eng_check_tables(g, i, lvname, false, e)) < 0)
			return r;
		if ((r = vdm_table_parse(ds->saved_table, &t, e)) < 0)
			return vh_err_prefix(e, r, "the saved table of %s", lvname);
		if ((r = eng_begin(g, res, e, "put %s back on its own table", lvname)) < 0) {
			vdm_table_free(&t);
			return r;
		}
		if ((r = g->ops->dm_swap(g->ud, lvname, &t, &win, e)) < 0) {
			vdm_table_free(&t);
			/* (a run again looks at the LV's table first) */
			eng_after_failed_swap(g, lvname, d->minor, &on_drbd, r, e);
			return r;
		}
		vdm_table_free(&t);
		ds->restore_ns = win;
	} else if ((r = clear_drbd_inactive(g, res, lvname, d->minor, e)) < 0) {
		return r;
	}
	ds->restored = true;
	return eng_end(g, e);
}

int eng_down(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	int r;

	if (g->st.drbd_down || !g->st.res_created)
		goto done;
	if ((r = eng_begin(g, res, e, "down %s", g->plan->resource)) < 0)
		return r;
	r = g->ops->drbd_down(g->ud, g->plan->resource, e);
	if (r < 0 && r != -ENOENT && r != -ENXIO)
		return r;
	g->st.drbd_down = true;
	if ((r = eng_end(g, e)) < 0)
		return r;
done:
	g->st.drbd_down = true;
	for (size_t i = 0; i < g->plan->n_disks; i++)
		g->st.disks[i].minor_created = g->st.disks[i].attached = false;
	g->st.res_created = false;
	return 0;
}

int eng_release(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r;

	if (eng_is_s(g)) {
		if (!g->st.resumed_on_d)
			return vh_err(e, -EINVAL, "the VM does not run on %s yet: run vmhop migrate "
				      "(or vmhop resume)", p->dest.host);
		/* A run stopped after the resume on D: the definition here goes
		 * first, or the old VM could start here again. */
		if ((r = eng_undefine_here(g, res, e)) < 0)
			return r;
		for (size_t i = 0; i < p->n_disks; i++)
			if ((r = eng_restore_lv(g, res, i, e)) < 0)
				return r;
		if ((r = eng_fence_gone(g, e)) < 0)
			return r;
	} else if (!g->st.drbd_down) {
		struct drbdnl_status s;
		int state = 0;

		if ((r = g->ops->vm_state(g->ud, VENG_HERE, p->vm_name, &state, e)) < 0)
			return vh_err_prefix(e, r, "the VM has not arrived");
		if (state != VIR_DOMAIN_RUNNING)
			return vh_err(e, -EINVAL, "VM %s does not run on this host yet (%s): wait for "
				      "vmhop migrate on %s", p->vm_name,
				      state == VIR_DOMAIN_PAUSED ? "paused" : "not running",
				      p->source.host);
		g->st.vm_ran_here = true;
		for (size_t i = 0; i < p->n_disks; i++) {
			r = g->ops->drbd_status(g->ud, p->disks[i].minor, &s, e);
			if (r == -ENXIO)
				continue;
			if (r < 0)
				return r;
			if (s.conn >= DRBDNL_C_CONNECTED)
				return vh_err(e, -EBUSY, "%s has not disconnected /dev/drbd%u yet",
					      p->source.host, s.minor);
		}
		if ((r = eng_save(g, e)) < 0)
			return r;
	}
	return eng_down(g, res, e);
}

/* ---- cleanup ------------------------------------------------------------ */

static int remove_copy(struct veng *g, struct veng_result *res, size_t i, struct vh_error *e)
{
	struct veng_disk_state *ds = &g->st.disks[i];
	const char *name = g->plan->disks[i].copy;
	int r;

	if (!ds->copy_created)
		return 0;
	if ((r = eng_begin(g, res, e, "remove %s", name)) < 0)
		return r;
	r = g->ops->dm_remove(g->ud, name, e);
	if (r < 0 && r != -ENXIO && r != -ENOENT)
		return r;
	ds->copy_created = false;
	return eng_end(g, e);
}

int eng_remove_lv(struct veng *g, struct veng_result *res, bool *flag, const char *vg,
	      const char *lv, struct vh_error *e)
{
	int r;

	if (!*flag)
		return 0;
	if ((r = eng_begin(g, res, e, "remove LV %s/%s", vg, lv)) < 0)
		return r;
	r = g->ops->lv_remove(g->ud, vg, lv, e);
	if (r < 0 && r != -ENOENT)
		return r;
	*flag = false;
	return eng_end(g, e);
}

int eng_release_helper(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	int r;

	if (!g->st.helper_taken)
		return 0;
	if ((r = eng_begin(g, res, e, "release the usermode helper")) < 0 ||
	    (r = g->ops->helper_release(g->ud, g->plan->resource, e)) < 0)
		return r;
	g->st.helper_taken = g->st.helper_changed = false;
	return eng_end(g, e);
}

/* Copies and meta-data LVs, last volume first. */
int eng_remove_devices(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	int r;

	for (size_t i = g->plan->n_disks; i-- > 0;) {
		struct veng_disk_state *ds = &g->st.disks[i];
		const struct vplan_disk *d = &g->plan->disks[i];

		if ((r = remove_copy(g, res, i, e)) < 0 ||
		    (r = eng_remove_lv(g, res, &ds->md_created, d->vg, d->md_lv, e)) < 0)
			return r;
		ds->md_written = false;
	}
	return 0;
}

int eng_cleanup(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r;

	if (g->st.done)
		return 0;
	if (!g->st.drbd_down)
		return vh_err(e, -EINVAL, "run vmhop release on this host first");
	if (eng_is_s(g) && g->st.resumed_on_d && !g->st.undefined_on_s)
		return vh_err(e, -EINVAL, "VM %s is still defined here: run vmhop release first",
			      p->vm_name);
	if ((r = eng_remove_devices(g, res, e)) < 0)
		return r;
	if (eng_is_s(g) && !p->migration.keep_source && g->st.resumed_on_d && g->st.undefined_on_s) {
		for (size_t i = 0; i < p->n_disks; i++) {
			struct veng_disk_state *ds = &g->st.disks[i];
			bool present = !ds->lv_removed;

			if ((r = eng_remove_lv(g, res, &present, p->disks[i].vg, p->disks[i].lv, e)) < 0)
				return r;
			ds->lv_removed = true;
		}
	}
	if ((r = eng_release_helper(g, res, e)) < 0)
		return r;
	g->st.done = true;
	return eng_save(g, e);
}
