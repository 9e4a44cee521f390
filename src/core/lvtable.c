/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM's LV's dm table: which targets move, and what changed (lvtable.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/lvtable.h"

/* What an LV with this target is, for the refusal.  LVM's segment types
 * map to these kernel targets; the list names the usual ones, any other
 * target is refused by its own name. */
static const struct {
	const char *target, *what;
} kinds[] = {
	{ "snapshot-origin", "a snapshot-origin LV (it has snapshots)" },
	{ "snapshot", "a snapshot LV" },
	{ "snapshot-merge", "a snapshot LV being merged" },
	{ "raid", "a RAID LV" },
	{ "mirror", "a mirror LV" },
	{ "cache", "a cache LV" },
	{ "writecache", "a writecache LV" },
	{ "integrity", "an integrity LV" },
	{ "thin", "a thin LV" },
	{ "thin-pool", "a thin pool" },
	{ "crypt", "a dm-crypt device" },
	{ "vdo", "a VDO LV" },
};

int vlvt_check(const char *vg, const char *lv, const struct vdm_table *t, struct vh_error *e)
{
	if (!t->n)
		return vh_err(e, -ENXIO, "%s/%s has no live dm table (not active?)", vg, lv);
	for (size_t i = 0; i < t->n; i++) {
		const char *type = t->t[i].type;

		if (!strcmp(type, "linear") || !strcmp(type, "striped"))
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strcmp(type, kinds[k].target))
				return vh_err(e, -EOPNOTSUPP, "%s/%s is %s (dm target %s): vmhop "
					      "moves linear and striped LVs only", vg, lv,
					      kinds[k].what, type);
		return vh_err(e, -EOPNOTSUPP, "%s/%s has a dm target of type %s: vmhop moves "
			      "linear and striped LVs only", vg, lv, type);
	}
	return 0;
}

void vlvt_diff(const struct vdm_table *was, const struct vdm_table *now, char *buf, size_t len)
{
	uint64_t a = vdm_table_sectors(was), b = vdm_table_sectors(now);

	if (!len)
		return;
	buf[0] = '\0';
	if (vdm_table_equal(was, now))
		return;
	if (!now->n) {
		snprintf(buf, len, "it has no live table now (it had %zu target%s of %" PRIu64
			 " sectors)", was->n, was->n == 1 ? "" : "s", a);
		return;
	}
	if (a != b) {
		snprintf(buf, len, "its size changed from %" PRIu64 " to %" PRIu64 " sectors "
			 "(lvextend or lvreduce?)", a, b);
		return;
	}
	for (size_t i = 0; i < was->n && i < now->n; i++) {
		const struct vdm_target *x = &was->t[i], *y = &now->t[i];

		if (strcmp(x->type, y->type)) {
			snprintf(buf, len, "target %zu was %s, it is %s now (lvconvert?)", i,
				 x->type, y->type);
			return;
		}
		if (x->start != y->start || x->length != y->length || strcmp(x->params, y->params)) {
			snprintf(buf, len, "its extents moved: target %zu was '%" PRIu64 " %" PRIu64
				 " %s %s', it is '%" PRIu64 " %" PRIu64 " %s %s' now (pvmove?)", i,
				 x->start, x->length, x->type, x->params, y->start, y->length,
				 y->type, y->params);
			return;
		}
	}
	snprintf(buf, len, "it has %zu targets now, %zu before", now->n, was->n);
}
