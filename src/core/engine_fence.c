/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fence (S): the VM's LVs held here at D's Finish (suspended), let go
 * again, or failing for good once the VM ran on D (docs/engine.md, "The
 * fence").
 */
#include <errno.h>
#include <string.h>

#include "core/engine_int.h"

/* Is @t one error target over the whole of disk @d (the final fence)? */
bool eng_table_is_fence(const struct vdm_table *t, const struct vplan_disk *d)
{
	return t->n == 1 && !strcmp(t->t[0].type, "error") && t->t[0].start == 0 &&
	       t->t[0].length == d->size / 512;
}

/*
 * The kernel's word: every one of the VM's LVs is fenced now, its I/O held
 * (suspended, on DRBD's table) or failing (the error table).  0 yes, or an
 * error that says which is not.
 */
int eng_fence_holds(struct veng *g, struct vh_error *e)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		struct vdm_table t = { 0 };
		struct vdm_info di;
		char lvname[256];
		bool fence, drbd;
		int r;

		eng_lv_dm(d, lvname, sizeof(lvname));
		if ((r = g->ops->dm_info(g->ud, lvname, &di, e)) < 0 ||
		    (r = g->ops->dm_table(g->ud, lvname, &t, e)) < 0)
			return vh_err_prefix(e, r, "%s", lvname);
		fence = eng_table_is_fence(&t, d);
		drbd = veng_table_maps_drbd(&t, d->minor);
		vdm_table_free(&t);
		if (fence || (drbd && di.suspended))
			continue;
		return vh_err(e, -EBUSY, "%s is no longer fenced (%s): something here could write "
			      "under the VM on %s; no resume there", lvname,
			      drbd ? "its I/O runs again" : "another table",
			      g->plan->dest.host);
	}
	return 0;
}

/*
 * Let the held I/O go again, on DRBD's table as before (the fence given up
 * before the VM ran on D: the VM may still be S's).  A table someone left
 * in the inactive slot is cleared first, never swapped in.  Recorded once
 * every LV runs again.
 */
int eng_fence_release(struct veng *g, struct vh_error *e)
{
	int r = 0;

	if (!g->st.fenced || g->st.fence_final)
		return 0;
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct vdm_info di;
		char lvname[256];
		int ri;

		eng_lv_dm(&g->plan->disks[i], lvname, sizeof(lvname));
		if ((ri = g->ops->dm_info(g->ud, lvname, &di, e)) == 0 && di.inactive_table)
			ri = g->ops->dm_clear(g->ud, lvname, e);
		if (ri == 0 && di.suspended)
			ri = g->ops->dm_resume(g->ud, lvname, e);
		if (ri < 0 && r == 0)
			r = vh_err_prefix(e, ri, "%s stays fenced (suspended: the VM's I/O here is "
					  "held; vmhop migrate again gives it back)", lvname);
	}
	if (r < 0)
		return r;
	g->st.fenced = false;
	return eng_save(g, e);
}

/*
 * Hold every one of the VM's LVs here: recorded first (a run cut short
 * finds the fence in the journal), then a suspend each, which returns once
 * every request in flight under the LV has completed; any later request of
 * anyone waits in device-mapper and reaches nothing.  On an error the LVs
 * held so far are let go again.
 */
int eng_fence_hold(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	int r;

	g->st.fenced = true;
	if ((r = eng_begin(g, res, e, "fence %s's LVs here", g->plan->vm_name)) < 0) {
		g->st.fenced = false;
		return r;
	}
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		char lvname[256];

		eng_lv_dm(&g->plan->disks[i], lvname, sizeof(lvname));
		if ((r = g->ops->dm_suspend(g->ud, lvname, e)) < 0) {
			vh_err_prefix(e, r, "%s", lvname);
			(void)eng_fence_release(g, NULL);
			return r;
		}
	}
	return 0;
}

/*
 * Once the VM has run on D: the held I/O fails from now on instead of
 * waiting (an error table, swapped in by the resume that lets it go), so
 * that a twin libvirt may resume here neither writes nor hangs its own
 * kill.  S's own table comes back in release, once nothing holds the LVs.
 */
int eng_fence_final(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	int r;

	if (!g->st.fenced || g->st.fence_final)
		return 0;
	if ((r = eng_begin(g, res, e, "fence %s's LVs for good", g->plan->vm_name)) < 0)
		return r;
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		struct vdm_table t = { 0 };
		char lvname[256];
		int64_t win = 0;

		eng_lv_dm(d, lvname, sizeof(lvname));
		if ((r = vdm_table_add(&t, 0, d->size / 512, "error", "", e)) == 0)
			r = g->ops->dm_swap(g->ud, lvname, &t, &win, e);
		vdm_table_free(&t);
		if (r < 0)
			return vh_err_prefix(e, r, "%s (its I/O stays held)", lvname);
	}
	g->st.fence_final = true;
	return eng_end_nostop(g, e);
}
