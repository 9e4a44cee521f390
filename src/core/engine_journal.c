/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's state (struct veng_state) kept in the move's journal
 * (core/journal.h), one journal step per fact:
 *
 *   helper  resource  lv:N  md-lv:N  md:N  copy:N  minor:N  attach:N
 *   primary  bridge:N  connect  sync  flush  migrate  handoff  gate
 *   disconnect  resume-d  fence  fence-error  undefine-s  vm-ran-here  remove-vm-d  restart-s
 *   restore:N  down
 *   remove-lv:N  aborted  done      and  phase:<name> per completed phase
 *
 * A fact that becomes true is recorded "started" when the engine claims it
 * before acting (its step under way) and "done" once the step finished; a
 * fact that stops being true (a device removed, DRBD taken down) is
 * "undone".  The step "engine" carries the step under way ("doing", set
 * before every action) and the last phase completed ("last_phase").  Data kept with the steps:
 * copy:N {table: the VM's LV's own table, which the copy also has: what
 * release and abort put back}, bridge:N {freeze_ns}, restore:N {window_ns},
 * lv:N {size}, helper {changed, original}, phase:<name> {wall_ns},
 * own-minor:N {minor} (D: the minor this host took instead of the plan's,
 * recorded before anything is created).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/journal.h"

struct fact {
	const char *id;		/* per-disk facts: "<id>:<volume>" */
	bool disk;
	size_t off;		/* of the bool in struct veng_state / veng_disk_state */
};

#define T(id, m) { id, false, offsetof(struct veng_state, m) }
#define D(id, m) { id, true, offsetof(struct veng_disk_state, m) }

static const struct fact facts[] = {
	T("helper", helper_taken), T("resource", res_created), D("lv", lv_created),
	D("md-lv", md_created), D("md", md_written), D("copy", copy_created),
	D("minor", minor_created), D("attach", attached), T("primary", primary),
	D("bridge", bridged), T("connect", connected), T("sync", synced), T("flush", flushed),
	T("autostart-off", autostart_cleared), T("migrate", migrating), T("handoff", handed_off), T("gate", gate_passed),
	T("disconnect", disconnected), T("resume-d", resumed_on_d),
	T("fence", fenced), T("fence-error", fence_final),
	T("undefine-s", undefined_on_s), T("vm-ran-here", vm_ran_here),
	T("remove-vm-d", removed_on_d), T("restart-s", restarted_here), D("restore", restored),
	T("down", drbd_down), D("remove-lv", lv_removed), T("aborted", aborted), T("done", done),
};

#define NFACTS (sizeof(facts) / sizeof(facts[0]))

static bool *fact_ptr(struct veng_state *st, const struct fact *f, size_t disk)
{
	char *base = f->disk ? (char *)&st->disks[disk] : (char *)st;

	return (bool *)(base + f->off);
}

static void fact_id(const struct fact *f, size_t disk, char *buf, size_t len)
{
	if (f->disk)
		snprintf(buf, len, "%s:%zu", f->id, disk);
	else
		snprintf(buf, len, "%s", f->id);
}

static int num_get(const struct vjournal_step *s, const char *key, int64_t *ret, struct vh_error *e)
{
	const char *v = vjournal_get(s, key);
	char *end;
	long long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return vh_err(e, -EBADMSG, "journal: step %s: %s is not a number", s->id, key);
	*ret = n;
	return 0;
}

int veng_journal_load(struct vjournal *j, const struct vplan *p, enum vplan_role role,
		      struct veng_state *ret, bool *ret_found, struct vh_error *e)
{
	const struct vjournal_step *s;
	char id[VJOURNAL_ID_MAX + 1];
	int64_t n;
	int r;

	veng_state_init(ret, p, role);
	/* A journal that holds only `vmhop plan`'s claim ("planned") records
	 * nothing of the move yet: no state here. */
	*ret_found = vjournal_count(j) > 0 &&
		     !(vjournal_count(j) == 1 && vjournal_find(j, "planned"));
	for (size_t k = 0; k < NFACTS; k++)
		for (size_t i = 0; i < (facts[k].disk ? p->n_disks : 1); i++) {
			fact_id(&facts[k], i, id, sizeof(id));
			s = vjournal_find(j, id);
			*fact_ptr(ret, &facts[k], i) = s && s->state != VJ_UNDONE;
		}
	for (size_t i = 0; i < p->n_disks; i++) {
		struct veng_disk_state *d = &ret->disks[i];
		const char *t;

		snprintf(id, sizeof(id), "copy:%zu", i);
		if ((s = vjournal_find(j, id)) && (t = vjournal_get(s, "table"))) {
			if (strlen(t) >= sizeof(d->saved_table))
				return vh_err(e, -EBADMSG, "journal: step %s: table too long", id);
			snprintf(d->saved_table, sizeof(d->saved_table), "%s", t);
		}
		snprintf(id, sizeof(id), "bridge:%zu", i);
		if ((s = vjournal_find(j, id)) && (r = num_get(s, "freeze_ns", &d->freeze_ns, e)) < 0)
			return r;
		snprintf(id, sizeof(id), "restore:%zu", i);
		if ((s = vjournal_find(j, id)) && (r = num_get(s, "window_ns", &d->restore_ns, e)) < 0)
			return r;
		snprintf(id, sizeof(id), "lv:%zu", i);
		n = 0;
		if ((s = vjournal_find(j, id)) && (r = num_get(s, "size", &n, e)) < 0)
			return r;
		d->lv_size = (uint64_t)n;
		snprintf(id, sizeof(id), "own-minor:%zu", i);
		n = -1;
		if ((s = vjournal_find(j, id)) && (r = num_get(s, "minor", &n, e)) < 0)
			return r;
		if (s && (n < 0 || n > VPLAN_MINOR_MAX))
			return vh_err(e, -EBADMSG, "journal: step %s: minor is not a DRBD minor", id);
		if (s) {
			d->own_minor_set = true;
			d->own_minor = (uint32_t)n;
		}
	}
	if ((s = vjournal_find(j, "helper"))) {
		const char *v = vjournal_get(s, "changed");

		ret->helper_changed = v && !strcmp(v, "1");
		v = vjournal_get(s, "original");
		if (v)
			snprintf(ret->helper_original, sizeof(ret->helper_original), "%s", v);
	}
	if ((s = vjournal_find(j, "engine"))) {
		const char *v = vjournal_get(s, "doing");

		if (v)
			snprintf(ret->doing, sizeof(ret->doing), "%s", v);
		v = vjournal_get(s, "last_phase");
		if (v && *v) {
			enum veng_phase ph;

			if (veng_phase_parse(v, &ph) < 0)
				return vh_err(e, -EBADMSG, "journal: last_phase '%s' is not a phase", v);
			ret->last_phase = (int)ph;
		}
	}
	for (int ph = 0; ph < VENG_PHASES; ph++) {
		snprintf(id, sizeof(id), "phase:%s", veng_phase_name((enum veng_phase)ph));
		if (!(s = vjournal_find(j, id)))
			continue;
		if ((r = num_get(s, "wall_ns", &ret->phase_ns[ph], e)) < 0)
			return r;
	}
	return 0;
}

/* Set @key of step @id to @v when it differs. */
static int put(struct vjournal *j, const char *id, const char *key, const char *v,
	       struct vh_error *e)
{
	const struct vjournal_step *s = vjournal_find(j, id);
	const char *cur = s ? vjournal_get(s, key) : NULL;

	if (!s || (cur && !strcmp(cur, v)))
		return 0;
	return vjournal_set(j, id, key, v, e);
}

static int put_num(struct vjournal *j, const char *id, const char *key, int64_t v,
		   struct vh_error *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return put(j, id, key, buf, e);
}

/* The journal (in memory) says what @st says, changing only what differs. */
static int save_facts(struct vjournal *j, const struct veng_state *st, struct vh_error *e)
{
	const struct vplan *p = vjournal_plan(j);
	struct veng_state *w = (struct veng_state *)st;	/* fact_ptr only reads here */
	char id[VJOURNAL_ID_MAX + 1];
	const struct vjournal_step *s;
	bool busy = st->doing[0] != '\0';
	int r;

	if (!vjournal_find(j, "engine") &&
	    ((r = vjournal_begin(j, "engine", NULL, 0, e)) < 0 || (r = vjournal_done(j, "engine", e)) < 0))
		return r;
	if ((r = put(j, "engine", "doing", st->doing, e)) < 0 ||
	    (r = put(j, "engine", "last_phase", st->last_phase < 0 ? "" :
		     veng_phase_name((enum veng_phase)st->last_phase), e)) < 0)
		return r;
	for (size_t k = 0; k < NFACTS; k++)
		for (size_t i = 0; i < (facts[k].disk ? p->n_disks : 1); i++) {
			bool v = *fact_ptr(w, &facts[k], i);

			fact_id(&facts[k], i, id, sizeof(id));
			s = vjournal_find(j, id);
			if (v && (!s || s->state == VJ_UNDONE)) {
				if ((r = vjournal_begin(j, id, NULL, 0, e)) < 0)
					return r;
				if (!busy && (r = vjournal_done(j, id, e)) < 0)
					return r;
			} else if (v && s->state == VJ_STARTED && !busy) {
				if ((r = vjournal_done(j, id, e)) < 0)
					return r;
			} else if (!v && s && s->state != VJ_UNDONE) {
				if ((r = vjournal_undone(j, id, e)) < 0)
					return r;
			}
		}
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct veng_disk_state *d = &st->disks[i];

		snprintf(id, sizeof(id), "copy:%zu", i);
		if ((r = put(j, id, "table", d->saved_table, e)) < 0)
			return r;
		snprintf(id, sizeof(id), "bridge:%zu", i);
		if ((r = put_num(j, id, "freeze_ns", d->freeze_ns, e)) < 0)
			return r;
		snprintf(id, sizeof(id), "restore:%zu", i);
		if ((r = put_num(j, id, "window_ns", d->restore_ns, e)) < 0)
			return r;
		snprintf(id, sizeof(id), "lv:%zu", i);
		if ((r = put_num(j, id, "size", (int64_t)d->lv_size, e)) < 0)
			return r;
		snprintf(id, sizeof(id), "own-minor:%zu", i);
		if (d->own_minor_set && !vjournal_find(j, id) &&
		    ((r = vjournal_begin(j, id, NULL, 0, e)) < 0 || (r = vjournal_done(j, id, e)) < 0))
			return r;
		if (d->own_minor_set && (r = put_num(j, id, "minor", d->own_minor, e)) < 0)
			return r;
	}
	if ((r = put(j, "helper", "changed", st->helper_changed ? "1" : "0", e)) < 0 ||
	    (r = put(j, "helper", "original", st->helper_original, e)) < 0)
		return r;
	for (int ph = 0; ph < VENG_PHASES; ph++) {
		if (!st->phase_ns[ph])
			continue;
		snprintf(id, sizeof(id), "phase:%s", veng_phase_name((enum veng_phase)ph));
		if (!vjournal_find(j, id) &&
		    ((r = vjournal_begin(j, id, NULL, 0, e)) < 0 || (r = vjournal_done(j, id, e)) < 0))
			return r;
		if ((r = put_num(j, id, "wall_ns", st->phase_ns[ph], e)) < 0)
			return r;
	}
	return 0;
}

/* One file write per save, whatever changed: the step under way ("doing")
 * and the facts reach the disk together, in one rename, so a crash never
 * leaves a fact recorded without its step named, or the step cleared before
 * its facts.  (Fact by fact, a resume was 17 rewrites and 34 fsyncs, 4 of
 * them in the VM's pause between the gate and the resume.) */
int veng_journal_save(struct vjournal *j, const struct veng_state *st, struct vh_error *e)
{
	int r, c;

	vjournal_hold(j);
	r = save_facts(j, st, e);
	/* even after a failed change: the file says what memory says */
	c = vjournal_commit(j, r < 0 ? NULL : e);
	return r < 0 ? r : c;
}
