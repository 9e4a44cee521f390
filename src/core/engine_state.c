/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's state as JSON, for vmhop status (the journal keeps it as
 * steps: engine_journal.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "core/engine.h"


enum fkind { F_BOOL, F_I64, F_U64 };

struct field {
	const char *key;
	enum fkind kind;
	size_t off;
};

#define B(s, m) { #m, F_BOOL, offsetof(struct s, m) }
#define I(s, m) { #m, F_I64, offsetof(struct s, m) }
#define U(s, m) { #m, F_U64, offsetof(struct s, m) }

static const struct field top_fields[] = {
	B(veng_state, helper_taken), B(veng_state, helper_changed), B(veng_state, res_created),
	B(veng_state, primary), B(veng_state, connected), B(veng_state, synced),
	B(veng_state, flushed), B(veng_state, autostart_cleared), B(veng_state, migrating), B(veng_state, handed_off),
	B(veng_state, gate_passed), B(veng_state, disconnected), B(veng_state, resumed_on_d),
	B(veng_state, fenced), B(veng_state, fence_final),
	B(veng_state, undefined_on_s), B(veng_state, vm_ran_here), B(veng_state, removed_on_d),
	B(veng_state, restarted_here), B(veng_state, drbd_down),
	B(veng_state, aborted), B(veng_state, done),
};

static const struct field disk_fields[] = {
	B(veng_disk_state, lv_created), B(veng_disk_state, md_created),
	B(veng_disk_state, md_written), B(veng_disk_state, copy_created),
	B(veng_disk_state, minor_created), B(veng_disk_state, attached),
	B(veng_disk_state, bridged), B(veng_disk_state, restored), B(veng_disk_state, lv_removed),
	U(veng_disk_state, lv_size), I(veng_disk_state, freeze_ns), I(veng_disk_state, restore_ns),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int put_fields(json_object *o, const void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)base + f[i].off;
		int r;

		switch (f[i].kind) {
		case F_BOOL: r = vjson_add_bool(o, f[i].key, *(const bool *)p); break;
		case F_I64: r = json_object_object_add(o, f[i].key,
						       json_object_new_int64(*(const int64_t *)p)); break;
		default: r = vjson_add_u64(o, f[i].key, *(const uint64_t *)p); break;
		}
		if (r)
			return -ENOMEM;
	}
	return 0;
}

json_object *veng_state_to_json(const struct veng_state *st)
{
	json_object *o = json_object_new_object(), *disks = NULL, *ph = NULL;
	bool ok;

	if (!o)
		return NULL;
	/* Children are added at once: putting @o frees everything. */
	ph = json_object_new_object();
	if (!ph || json_object_object_add(o, "phase_ns", ph)) {
		json_object_put(ph);
		goto fail;
	}
	disks = json_object_new_array();
	if (!disks || json_object_object_add(o, "disks", disks)) {
		json_object_put(disks);
		goto fail;
	}
	ok = !vjson_add_str(o, "role", vplan_role_name(st->role)) &&
	     !vjson_add_str(o, "resource", st->resource) && !vjson_add_str(o, "vm", st->vm_name) &&
	     !vjson_add_str(o, "doing", st->doing) &&
	     !vjson_add_str(o, "helper_original", st->helper_original) &&
	     !vjson_add_str(o, "last_phase", st->last_phase < 0 ? "" :
			    veng_phase_name((enum veng_phase)st->last_phase)) &&
	     !put_fields(o, st, top_fields, N(top_fields));
	for (int i = 0; ok && i < VENG_PHASES; i++) {
		json_object *v = json_object_new_int64(st->phase_ns[i]);

		ok = v && !json_object_object_add(ph, veng_phase_name((enum veng_phase)i), v);
	}
	for (size_t i = 0; ok && i < VPLAN_MAX_DISKS; i++) {
		const struct veng_disk_state *d = &st->disks[i];
		json_object *dj = json_object_new_object();

		if (!dj || json_object_array_add(disks, dj)) {
			json_object_put(dj);
			goto fail;
		}
		ok = !put_fields(dj, d, disk_fields, N(disk_fields)) &&
		     !vjson_add_str(dj, "saved_table", d->saved_table);
	}
	if (ok)
		return o;
fail:
	json_object_put(o);
	return NULL;
}
