/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * prepare (S, D; docs/DESIGN.md, phases 2 and 4): the usermode helper, the
 * resource, and per disk (D: its LV first) the meta-data LV and meta-data,
 * the .copy on the LV's table (saved in the journal), new-minor and attach;
 * S primary --force, D connects at once.  Here too: the check that the
 * tables the move stands on are unchanged (check_tables, for the bridge
 * and the swap back) and the connect that ends the bridge
 * (drbd_connect_step).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_int.h"
#include "core/lvtable.h"

static int take_helper(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	bool changed = false, was = g->st.helper_taken;
	int r;

	/* Claimed but the original never recorded: killed during the take,
	 * which may not have happened.  Taken again (the policy's take is
	 * idempotent for one resource). */
	if (was && g->st.helper_original[0])
		return 0;
	g->st.helper_taken = true;	/* claimed first: release is harmless if never taken */
	if ((r = eng_begin(g, res, e, "take the usermode helper")) < 0)
		return r;
	if ((r = g->ops->helper_take(g->ud, g->plan->resource, &changed, g->st.helper_original,
				     sizeof(g->st.helper_original), e)) < 0) {
		g->st.helper_taken = was;
		g->st.doing[0] = '\0';
		(void)eng_save(g, NULL);
		return r;
	}
	g->st.helper_changed = changed;
	return eng_end(g, e);
}

/* Is @li marked as made by this move (vname_lv_tag among its LVM tags)? */
bool eng_lv_is_ours(const struct veng *g, const struct vlvm_lv_info *li)
{
	char tag[VNAME_RESOURCE_MAX + 16];
	size_t n;

	vname_lv_tag(g->plan->resource, tag, sizeof(tag));
	n = strlen(tag);
	for (const char *t = li->tags; t && *t; t = strchr(t, ','), t = t ? t + 1 : NULL)
		if (!strncmp(t, tag, n) && (t[n] == ',' || t[n] == '\0'))
			return true;
	return false;
}

/* Create the LV @vg/@lv of @bytes, claimed by @flag.  Looked up only when
 * the journal claims it (a run again, or a kill around the lvcreate):
 * otherwise lvcreate refuses an existing LV itself (-EEXIST).  One found
 * is adopted only with the move's tag (lvcreate puts it on): a kill between
 * the claim and the lvcreate lets someone else make an LV of that name.
 * @extent: the VG's extent size, or 0 (unknown: LVM rounds up; not with
 * @exact). */
static int make_lv(struct veng *g, struct veng_result *res, bool *flag, const char *vg,
		   const char *lv, uint64_t bytes, bool exact, uint64_t extent, uint64_t *ret_size,
		   struct vh_error *e)
{
	struct vlvm_lv_info li;
	bool was = *flag;
	uint64_t size = 0;
	int r;

	if (was) {
		r = g->ops->lv_info(g->ud, vg, lv, &li, e);
		if (r == 0 && !eng_lv_is_ours(g, &li)) {
			*flag = false;
			g->st.doing[0] = '\0';
			(void)eng_save(g, NULL);
			return vh_err(e, -EEXIST, "%s/%s exists and is not this move's (it lacks "
				      "the move's LVM tag: someone else made it)", vg, lv);
		}
		if (r == 0) {
			size = li.size;
			goto check;
		}
		if (r != -ENOENT)
			return r;
	}
	*flag = true;
	if ((r = eng_begin(g, res, e, "create LV %s/%s", vg, lv)) < 0)
		return r;
	if ((r = g->ops->lv_create(g->ud, vg, lv, bytes, extent, &size, e)) < 0) {
		*flag = was;
		g->st.doing[0] = '\0';
		(void)eng_save(g, NULL);
		if (r == -EEXIST)
			return vh_err(e, r, "%s/%s exists and is not this move's", vg, lv);
		return r;
	}
	if ((r = eng_end(g, e)) < 0)
		return r;
check:
	if (exact && size != bytes)
		return vh_err(e, -EINVAL, "%s/%s is %llu bytes, not exactly %llu", vg, lv,
			      (unsigned long long)size, (unsigned long long)bytes);
	if (ret_size)
		*ret_size = size;
	return 0;
}

/* The table saved when the .copy was built, parsed. */
static int saved_table(struct veng *g, size_t i, struct vdm_table *ret, struct vh_error *e)
{
	int r = vdm_table_parse(g->st.disks[i].saved_table, ret, e);

	return r < 0 ? vh_err_prefix(e, r, "the saved table of %s", g->plan->disks[i].copy) : 0;
}

/* Does the live table of dm device @name still equal @was?  -ESTALE naming
 * what changed (@what: "the VM's LV vg/lv", "the copy ..."). */
static int same_table(struct veng *g, const char *name, const char *what,
		      const struct vdm_table *was, struct vh_error *e)
{
	struct vdm_table now = { 0 };
	char diff[384];
	int r;

	if ((r = g->ops->dm_table(g->ud, name, &now, e)) < 0)
		return vh_err_prefix(e, r, "the dm table of %s", what);
	vlvt_diff(was, &now, diff, sizeof(diff));
	vdm_table_free(&now);
	if (diff[0])
		return vh_err(e, -ESTALE, "%s (dm %s) no longer has the table the .copy was built "
			      "from at prepare: %s; run vmhop abort on both hosts, then make a new "
			      "plan", what, name, diff);
	return 0;
}

/*
 * The tables the move stands on, checked before each step that relies on
 * them (a prepare run again, the bridge, the swap back): the VM's LV's live
 * table (@lv_too: not while it maps DRBD) and the .copy's must both be the
 * table saved when the .copy was built.  An lvextend, lvreduce, pvmove or
 * lvconvert in between would leave DRBD's backing on the old extents
 * (perhaps another LV's by now), and the swap back would load a table LVM
 * no longer describes.
 */
int eng_check_tables(struct veng *g, size_t i, const char *lvname, bool lv_too,
		 struct vh_error *e)
{
	const struct vplan_disk *d = &g->plan->disks[i];
	struct vdm_table was = { 0 };
	char what[300];
	int r;

	if ((r = saved_table(g, i, &was, e)) < 0)
		return r;
	snprintf(what, sizeof(what), "the VM's LV %s/%s", d->vg, d->lv);
	if (!lv_too || (r = same_table(g, lvname, what, &was, e)) == 0) {
		snprintf(what, sizeof(what), "the copy %s", d->copy);
		r = same_table(g, d->copy, what, &was, e);
	}
	vdm_table_free(&was);
	return r;
}

/*
 * prepare run again, the .copy there and the move's.  @empty: it has no
 * live table: a kill inside its create (between DM_DEV_CREATE and the
 * table's resume).  DRBD cannot have attached to it (a device of size 0),
 * so it is removed and created again from the saved table, once the LV is
 * seen to still have that table.  Otherwise both tables are checked.
 */
static int copy_again(struct veng *g, struct veng_result *res, size_t i, const char *lvname,
		      bool empty, struct vh_error *e)
{
	const struct vplan_disk *d = &g->plan->disks[i];
	char uuid[VNAME_DM_UUID_MAX + 1], what[300];
	struct vdm_table was = { 0 };
	bool bridged = false;
	int r;

	if ((r = eng_maps_drbd(g, lvname, d->minor, &bridged, e)) < 0)
		return r;
	if (!empty)
		return eng_check_tables(g, i, lvname, !bridged, e);
	if (bridged)
		return vh_err(e, -ESTALE, "%s maps /dev/drbd%u but the copy %s has no table: run "
			      "vmhop abort", lvname, d->minor, d->copy);
	if ((r = saved_table(g, i, &was, e)) < 0)
		return r;
	snprintf(what, sizeof(what), "the VM's LV %s/%s", d->vg, d->lv);
	if ((r = same_table(g, lvname, what, &was, e)) < 0 ||
	    (r = vname_copy_uuid(g->plan->resource, d->volume, uuid, sizeof(uuid), e)) < 0 ||
	    (r = eng_begin(g, res, e, "create %s again", d->copy)) < 0)
		goto out;
	/* Gone but not made again: the next run finds none and creates it. */
	if ((r = g->ops->dm_remove(g->ud, d->copy, e)) < 0 && r != -ENXIO)
		goto out;
	if ((r = g->ops->dm_create(g->ud, d->copy, uuid + strlen(VDM_UUID_PREFIX), &was, e)) < 0)
		goto out;
	r = eng_end(g, e);
out:
	vdm_table_free(&was);
	return r;
}

/* No .copy yet: one with the VM's LV's live table, which the journal keeps
 * (S: the swap back at release restores it). */
static int copy_create(struct veng *g, struct veng_result *res, size_t i, const char *lvname,
		       struct vh_error *e)
{
	const struct vplan_disk *d = &g->plan->disks[i];
	struct veng_disk_state *ds = &g->st.disks[i];
	char uuid[VNAME_DM_UUID_MAX + 1], *text = NULL;
	struct vdm_table t = { 0 };
	bool bridged = false;
	int r;

	if ((r = eng_maps_drbd(g, lvname, d->minor, &bridged, e)) < 0)
		return r;
	if (bridged)
		return vh_err(e, -EINVAL, "%s already maps /dev/drbd%u but the journal has no "
			      ".copy of it: cannot prepare", lvname, d->minor);
	if ((r = g->ops->dm_table(g->ud, lvname, &t, e)) < 0)
		return r;
	/* Checked in preflight's checks too; not all runs of prepare make them. */
	if ((r = vlvt_check(d->vg, d->lv, &t, e)) < 0)
		goto out;
	if (vdm_table_sectors(&t) * 512 != d->size) {
		r = vh_err(e, -EINVAL, "the table of %s covers %llu sectors, the LV has %llu",
			   lvname, (unsigned long long)vdm_table_sectors(&t),
			   (unsigned long long)(d->size / 512));
		goto out;
	}
	if ((r = vdm_table_format(&t, &text, e)) < 0)
		goto out;
	if (strlen(text) >= sizeof(ds->saved_table)) {
		r = vh_err(e, -E2BIG, "the table of %s is too long to keep", lvname);
		goto out;
	}
	snprintf(ds->saved_table, sizeof(ds->saved_table), "%s", text);
	ds->copy_created = true;
	if ((r = vname_copy_uuid(g->plan->resource, d->volume, uuid, sizeof(uuid), e)) < 0 ||
	    (r = eng_begin(g, res, e, "create %s", d->copy)) < 0 ||
	    (r = g->ops->dm_create(g->ud, d->copy, uuid + strlen(VDM_UUID_PREFIX), &t, e)) < 0)
		goto out;
	r = eng_end(g, e);
out:
	free(text);
	vdm_table_free(&t);
	return r;
}

/* @extent: D's VG extent size, as preflight found it in this very call just
 * before (its free space checked too), or 0 (not checked in this call). */
static int prepare_disk(struct veng *g, struct veng_result *res, size_t i, uint64_t extent,
			struct vh_error *e)
{
	const struct vplan_disk *d = &g->plan->disks[i];
	struct veng_disk_state *ds = &g->st.disks[i];
	char backing[VNAME_DRBD_PATH_MAX + 1], meta[VNAME_DRBD_PATH_MAX + 1];
	char lvname[256];
	struct drbdnl_status s;
	struct vdm_table t = { 0 };
	int r;

	if ((r = vplan_disk_paths(g->plan, i, backing, meta, sizeof(backing), e)) < 0)
		return r;
	eng_lv_dm(d, lvname, sizeof(lvname));

	/* D: the VM's LV, exactly S's size (the extents checked again in a run
	 * that did not check them; the size is checked again on its dm table
	 * below). */
	if (!eng_is_s(g) && !extent) {
		struct vlvm_vg_info vg;

		if ((r = g->ops->vg_info(g->ud, d->vg, &vg, e)) < 0)
			return r;
		if ((r = eng_check_extents(d, &vg, e)) < 0)
			return r;
		extent = vg.extent_size;
	}
	if (!eng_is_s(g) && (r = make_lv(g, res, &ds->lv_created, d->vg, d->lv, d->size, true,
				     extent, &ds->lv_size, e)) < 0)
		return r;

	/* The meta-data LV, and meta-data on it at once (LVM zeroes 4 KiB only).
	 * S: LVM rounds its size up (S's VG is not asked). */
	if ((r = make_lv(g, res, &ds->md_created, d->vg, d->md_lv, d->md_bytes, false, extent,
			 NULL, e)) < 0)
		return r;
	if (!ds->md_written) {
		if ((r = eng_begin(g, res, e, "write meta-data on %s", meta)) < 0 ||
		    (r = g->ops->md_create(g->ud, meta, d->size, e)) < 0)
			return r;
		ds->md_written = true;
		if ((r = eng_end(g, e)) < 0)
			return r;
	}

	/* The .copy device: the same table as the VM's LV (S: saved for the release). */
	r = g->ops->dm_table(g->ud, d->copy, &t, e);
	if (r == 0 && !ds->copy_created) {
		vdm_table_free(&t);
		return vh_err(e, -EEXIST, "dm device %s exists and is not this move's", d->copy);
	}
	if (r == 0)
		r = copy_again(g, res, i, lvname, t.n == 0, e);
	else if (r == -ENXIO)
		r = copy_create(g, res, i, lvname, e);
	vdm_table_free(&t);
	if (r < 0)
		return r;

	/* The DRBD minor, attached to the copy with external meta-data. */
	r = g->ops->drbd_status(g->ud, d->minor, &s, e);
	if (r == -ENXIO || r == -ENOENT) {
		bool was = ds->minor_created;

		ds->minor_created = true;
		if ((r = eng_begin(g, res, e, "new-minor %u", d->minor)) < 0 ||
		    (r = g->ops->drbd_new_minor(g->ud, g->plan->resource, d->minor, d->volume, e)) < 0 ||
		    (r = eng_end(g, e)) < 0) {
			if (r == -EEXIST) {
				/* exclusive create: someone else's since the checks */
				ds->minor_created = was;
				g->st.doing[0] = '\0';
				(void)eng_save(g, NULL);
				return vh_err(e, -EBUSY, "DRBD minor %u appeared on this host since "
					      "the checks: not this move's", d->minor);
			}
			return r;
		}
		if ((r = g->ops->drbd_status(g->ud, d->minor, &s, e)) < 0)
			return r;
	} else if (r < 0) {
		return r;
	} else if (strcmp(s.resource, g->plan->resource)) {
		return vh_err(e, -EBUSY, "DRBD minor %u belongs to resource %s", d->minor, s.resource);
	}
	ds->minor_created = true;
	if (s.disk == DRBDNL_D_DISKLESS) {
		struct drbdnl_conf dc;

		if ((r = vplan_disk_conf(g->plan, &dc, e)) < 0 ||
		    (r = drbdnl_conf_set_str(&dc, DRBDNL_DISK_BACKING_DEV, backing, e)) < 0 ||
		    (r = drbdnl_conf_set_str(&dc, DRBDNL_DISK_META_DEV, meta, e)) < 0 ||
		    (r = drbdnl_conf_set_num(&dc, DRBDNL_DISK_META_IDX, d->md_index, e)) < 0 ||
		    (r = drbdnl_conf_set_num(&dc, DRBDNL_DISK_SIZE, (int64_t)(d->size / 512), e)) < 0)
			return r;
		if ((r = eng_begin(g, res, e, "attach %u", d->minor)) < 0 ||
		    (r = g->ops->drbd_attach(g->ud, d->minor, &dc, e)) < 0)
			return r;
		ds->attached = true;
		if ((r = eng_end(g, e)) < 0)
			return r;
	}
	ds->attached = true;
	if (eng_is_s(g) && s.role != DRBDNL_R_PRIMARY) {
		/* While StandAlone: S's data is the authority, and no sync may
		 * start before the bridge. */
		if ((r = eng_begin(g, res, e, "primary --force %u", d->minor)) < 0 ||
		    (r = g->ops->drbd_primary_force(g->ud, d->minor, e)) < 0)
			return r;
		if ((r = eng_end(g, e)) < 0)
			return r;
	}
	return 0;
}

int eng_drbd_connect_step(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	struct drbdnl_conf nc;
	struct drbdnl_addr local, peer;
	struct drbdnl_status s;
	int r;

	if ((r = g->ops->drbd_status(g->ud, g->plan->disks[0].minor, &s, e)) < 0)
		return r;
	if (s.conn != DRBDNL_C_STANDALONE) {
		g->st.connected = true;
		return 0;
	}
	if ((r = vplan_net_conf(g->plan, &nc, e)) < 0 ||
	    (r = vplan_endpoints(g->plan, g->role, &local, &peer, e)) < 0)
		return r;
	g->st.connected = true;
	if ((r = eng_begin(g, res, e, "connect %s", g->plan->resource)) < 0 ||
	    (r = g->ops->drbd_connect(g->ud, g->plan->resource, &local, &peer, &nc, e)) < 0)
		return r;
	return eng_end(g, e);
}

int eng_prepare(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	uint64_t extent[VPLAN_MAX_DISKS] = { 0 };
	int r;

	if (g->st.drbd_down || g->st.aborted || g->st.done)
		return vh_err(e, -EINVAL, "this move is past prepare on this host (%s)",
			      g->st.aborted ? "aborted" : g->st.done ? "done" : "released");
	/* The first time: every check of preflight, before anything changes.
	 * What it found is not asked again below. */
	if (g->st.last_phase < VENG_PREPARE && !g->st.helper_taken) {
		/* This host's own checks (the VM, its LVs, the VG: libvirt and
		 * LVM, seconds on a slow host) first, outside the host lock, so
		 * that prepares at once do not wait for each other's; then,
		 * under it, the checks against the other moves and this move's
		 * claim (its journal, D's own minors) written, so that two
		 * prepares at once never choose the same. */
		if ((r = eng_checks_host(g, extent, e)) < 0)
			return r;
		if (g->ops->host_lock && (r = g->ops->host_lock(g->ud, true, e)) < 0)
			return r;
		r = eng_checks_shared(g, true, e);
		if (r == 0)
			r = eng_save(g, e);
		if (g->ops->host_lock)
			(void)g->ops->host_lock(g->ud, false, NULL);
		if (r < 0)
			return r;
	}
	if ((r = take_helper(g, res, e)) < 0)
		return r;
	/* Looked for even when claimed: a kill after the claim may come before it. */
	r = g->ops->drbd_res_exists(g->ud, p->resource, e);
	if (r < 0)
		return r;
	if (r > 0 && !g->st.res_created)
		return vh_err(e, -EBUSY, "DRBD resource %s exists on this host and is not this "
			      "move's", p->resource);
	g->st.res_created = true;
	if (r == 0 && ((r = eng_begin(g, res, e, "new-resource %s", p->resource)) < 0 ||
		       (r = g->ops->drbd_new_resource(g->ud, p->resource, e)) < 0 ||
		       (r = eng_end(g, e)) < 0)) {
		if (r == -EEXIST) {
			/* made by someone else since the checks (exclusive create):
			 * not this move's, never taken down by its abort */
			g->st.res_created = false;
			g->st.doing[0] = '\0';
			(void)eng_save(g, NULL);
			return vh_err(e, -EBUSY, "DRBD resource %s appeared on this host since the "
				      "checks: not this move's", p->resource);
		}
		return r;
	}
	for (size_t i = 0; i < p->n_disks; i++)
		if ((r = prepare_disk(g, res, i, extent[i], e)) < 0)
			return r;
	if (eng_is_s(g)) {
		g->st.primary = true;
		return 0;
	}
	/* D connects at once and waits for S; it stays Secondary. */
	return eng_drbd_connect_step(g, res, e);
}
