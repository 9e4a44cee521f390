/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM's LV as device-mapper maps it, for `vmhop plan` and the engine.
 *
 * The move builds a .copy device with the LV's live table and puts DRBD on
 * it.  That is safe only for stateless targets: a second live instance of
 * raid, mirror, cache, writecache, integrity, thin, thin-pool, snapshot or
 * snapshot-origin over the same sub-LVs is a second writer of their bitmap,
 * metadata or exception store.  Only `linear` and `striped` are accepted.
 * And the table must not change under the move (lvextend, lvreduce, pvmove,
 * lvconvert): vlvt_diff() says what changed, for the -ESTALE refusals.
 */
#ifndef VMHOP_CORE_LVTABLE_H
#define VMHOP_CORE_LVTABLE_H

#include <stddef.h>

#include "base/error.h"
#include "dm/dm.h"

/* 0 when every target of @t (the live table of LV @vg/@lv) is linear or
 * striped; -EOPNOTSUPP naming what the LV is otherwise ("vg/lv is a
 * snapshot-origin LV (it has snapshots): vmhop moves linear and striped LVs
 * only"); -ENXIO for an LV with no live table. */
int vlvt_check(const char *vg, const char *lv, const struct vdm_table *t,
	       struct vh_error *e) VH_MUST_CHECK;

/* What differs between @was and @now, in words, into @buf ("" when the
 * tables are equal): the size first, then a target's type, then its extents. */
void vlvt_diff(const struct vdm_table *was, const struct vdm_table *now, char *buf, size_t len);

#endif
