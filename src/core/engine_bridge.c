/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bridge (S; docs/DESIGN.md, phase 3): each of the VM's LVs swapped onto
 * /dev/drbdN in one freeze window, then, only then, the connect.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/engine_int.h"

/* Before any swap: every disk not bridged yet still has the table its
 * .copy was built from (an lvextend since prepare, say), and so has its
 * .copy: nothing is swapped when one does not. */
static int bridge_check(struct veng *g, struct vh_error *e)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		char lvname[256];
		bool on_drbd = false;
		int r;

		eng_lv_dm(d, lvname, sizeof(lvname));
		if ((r = eng_maps_drbd(g, lvname, d->minor, &on_drbd, e)) < 0 ||
		    (r = eng_check_tables(g, i, lvname, !on_drbd, e)) < 0)
			return r;
	}
	return 0;
}

/*
 * A swap of @lvname failed (@r, its error in @e): vdm_swap rolls back, but
 * the rollback may fail too, leaving the LV on the new table or suspended.
 * What the kernel says now is recorded and said: *ret_on_drbd whether the
 * LV maps /dev/drbd<minor> (kept as it was when the kernel cannot be read:
 * the undo looks again), and a suspended LV is named in the error.
 */
void eng_after_failed_swap(struct veng *g, const char *lvname, uint32_t minor,
		       bool *ret_on_drbd, int r, struct vh_error *e)
{
	struct vh_error e2 = { 0 };
	struct vdm_info info;
	bool on_drbd = *ret_on_drbd;

	if (eng_maps_drbd(g, lvname, minor, &on_drbd, &e2) < 0) {
		vh_err_prefix(e, r, "%s: its table cannot be read after the failed swap (%s)",
			      lvname, e2.msg);
		return;
	}
	*ret_on_drbd = on_drbd;
	if (g->ops->dm_info(g->ud, lvname, &info, &e2) < 0)
		vh_err_prefix(e, r, "%s is on %s; whether it is suspended is unknown (%s)", lvname,
			      on_drbd ? "/dev/drbd (recorded)" : "its own table", e2.msg);
	else if (info.suspended)
		vh_err_prefix(e, r, "%s is left SUSPENDED on %s (the VM's I/O is frozen: resume it "
			      "with vmhop dm resume %s, or run vmhop abort)", lvname,
			      on_drbd ? "/dev/drbd (recorded)" : "its own table", lvname);
	else if (on_drbd)
		vh_err_prefix(e, r, "%s maps /dev/drbd%u after all (recorded as bridged)", lvname,
			      minor);
}

int eng_bridge(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r;

	if (!g->st.primary)
		return vh_err(e, -EINVAL, "run vmhop prepare on this host first");
	if (g->st.handed_off || g->st.drbd_down)
		return vh_err(e, -EINVAL, "the VM has left this host: there is nothing to bridge");
	if ((r = bridge_check(g, e)) < 0)
		return r;
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct vplan_disk *d = &p->disks[i];
		struct veng_disk_state *ds = &g->st.disks[i];
		struct vdm_table t = { 0 };
		char lvname[256], step[sizeof(g->st.doing)];
		bool on_drbd = false;
		int64_t win = 0;

		eng_lv_dm(d, lvname, sizeof(lvname));
		if ((r = eng_maps_drbd(g, lvname, d->minor, &on_drbd, e)) < 0)
			return r;
		if (on_drbd) {
			ds->bridged = true;
			continue;
		}
		/* (cut to the journal's length, as eng_begin() cuts it) */
		if (snprintf(step, sizeof(step), "bridge %s onto /dev/drbd%u", lvname, d->minor) < 0)
			step[0] = '\0';
		/* Bridged, and back on its own extents: lost, unless the run that
		 * bridged it was killed in this very swap (before its load, or
		 * between its load and its resume): then the swap is done again,
		 * its load replacing whatever that run left in the inactive slot. */
		if (ds->bridged && strcmp(g->st.doing, step))
			return vh_err(e, -ESTALE, "%s no longer maps /dev/drbd%u (an LVM refresh puts an "
				      "LV back on its extents): run vmhop abort on both hosts",
				      lvname, d->minor);
		/* Everything is built before the freeze; the swap is load + one resume. */
		if ((r = vdm_table_linear(&t, d->size / 512, eng_drbd_dev(d->minor), 0, e)) < 0)
			return r;
		ds->bridged = true;
		if ((r = eng_begin(g, res, e, "%s", step)) < 0 ||
		    (r = g->ops->dm_swap(g->ud, lvname, &t, &win, e)) < 0) {
			vdm_table_free(&t);
			/* vdm_swap rolls back, but a rollback can fail too: the
			 * kernel says where the LV is. */
			if (r != -EINTR) {
				eng_after_failed_swap(g, lvname, d->minor, &ds->bridged, r, e);
				g->st.doing[0] = '\0';
				(void)eng_save(g, NULL);
			}
			return r;
		}
		vdm_table_free(&t);
		ds->freeze_ns = win;
		res->freeze_ns[i] = win;
		if ((r = eng_end(g, e)) < 0)
			return r;
	}
	/* Only now: a sync that started before the bridge would miss the VM's
	 * writes to blocks it had already sent. */
	return eng_drbd_connect_step(g, res, e);
}
