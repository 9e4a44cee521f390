/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop status [--plan FILE | RESOURCE] [--state-dir DIR]: what one move
 * left on this host, from its journal and from the host itself (LVs, dm
 * devices, DRBD, the VM), and the next safe action; with no argument, one
 * line per move that has a journal here.
 *
 * Status only reads: it takes no lock (the journal is replaced atomically,
 * so a reader sees one whole version, and a phase running meanwhile is no
 * reason to fail) and creates nothing, not even the state directory.  Each
 * fact read from the host is best-effort: one that cannot be read says so
 * and the command still succeeds.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/engine.h"
#include "core/journal.h"
#include "core/status.h"
#include "phase.h"
#include "virt/virt.h"
#include "vmhop.h"

struct status_args {
	const char *plan;
	const char *state_dir;
	const char *uri;
	const char *resource;
};

static int parse(struct vh_ctx *ctx, int argc, char **argv, struct status_args *a)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "uri", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	/* this host's libvirt: --uri, else VMHOP_LIBVIRT_URI, as plan and virt */
	a->uri = vh_env_local_uri();
	optind = 0;	/* glibc: a full re-initialisation (vh_main runs many times in one test) */
	opterr = 0;
	for (;;) {
		if ((c = getopt_long(argc, argv, "+h", opts, NULL)) == -1) {
			/* RESOURCE, before or after the options */
			if (optind >= argc)
				break;
			if (a->resource)
				return vh_usage(ctx, "status: unexpected argument '%s'", argv[optind]);
			a->resource = argv[optind++];
			continue;
		}
		switch (c) {
		case 'p': a->plan = optarg; break;
		case 'd': a->state_dir = optarg; break;
		case 'u': a->uri = optarg; break;
		case 'h':
			printf("usage: vmhop status [--plan FILE | RESOURCE] [--state-dir DIR] "
			       "[--uri LOCAL-URI] [--json]\n"
			       "  no argument: every move with a journal on this host\n");
			return -1;
		default:
			return vh_usage(ctx, "status: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (a->plan && a->resource)
		return vh_usage(ctx, "status: --plan FILE or RESOURCE, not both");
	return vh_check_local_uri(ctx, "status", a->uri);
}


static int load_state(struct vjournal *j, struct vh_move *m, struct vh_error *e)
{
	int r = veng_journal_load(j, &m->plan, m->role, &m->st, &m->have_state, e);

	if (r < 0)
		return vh_err_prefix(e, r, "journal %s", m->journal);
	m->planned = vjournal_count(j) == 1 && vjournal_find(j, "planned");
	/* D's own minors, where it took them: what is on this host */
	for (size_t i = 0; i < m->plan.n_disks; i++)
		if (m->st.disks[i].own_minor_set)
			m->plan.disks[i].minor = m->st.disks[i].own_minor;
	return r;
}

static int move_from_journal(const char *path, struct vh_move *m, struct vh_error *e)
{
	struct vjournal *j;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = vjournal_read(path, &j, e)) < 0)
		return r;
	m->plan = *vjournal_plan(j);
	m->role = vjournal_role(j);
	snprintf(m->journal, sizeof(m->journal), "%s", path);
	r = load_state(j, m, e);
	vjournal_close(j);
	return r;
}

static const char *state_dir(const struct status_args *a)
{
	return a->state_dir ? a->state_dir : vjournal_dir();
}

static int move_from_plan(const struct status_args *a, struct vh_move *m, struct vh_error *e)
{
	struct vjournal *j;
	char path[PATH_MAX];
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = vplan_load(a->plan, &m->plan, e)) < 0 ||
	    (r = vplan_role(&m->plan, NULL, NULL, &m->role, e)) < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/%s.journal", state_dir(a), m->plan.vm_uuid) >=
	    (int)sizeof(path))
		return vh_err(e, -ENAMETOOLONG, "state directory path too long");
	r = vjournal_read(path, &j, e);
	if (r == -ENOENT) {
		veng_state_init(&m->st, &m->plan, m->role);
		return 0;
	}
	if (r < 0)
		return r;
	snprintf(m->journal, sizeof(m->journal), "%s", path);
	if (vjournal_role(j) != m->role || strcmp(vjournal_plan(j)->resource, m->plan.resource))
		r = vh_err(e, -EEXIST, "%s holds another move of VM %s (%s of %s): not this plan's",
			   path, m->plan.vm_name, vplan_role_name(vjournal_role(j)),
			   vjournal_plan(j)->resource);
	else
		r = load_state(j, m, e);
	vjournal_close(j);
	return r;
}

int vh_move_read(const char *plan, const char *state_dir, struct vh_move *ret,
		 struct vh_error *e)
{
	struct status_args a = { .plan = plan, .state_dir = state_dir };

	return move_from_plan(&a, ret, e);
}

/* The journal of @res ("vh-", the first 8 hex digits of the VM's UUID and
 * the plan's nonce, names.h): only the files named for such a UUID are read, so a corrupt
 * journal of this move is an error naming it, not "not found". */
static int move_from_resource(const struct status_args *a, struct vh_move *m, struct vh_error *e)
{
	char **paths = NULL;
	size_t n = 0, seen = 0;
	const char *dir = state_dir(a);
	int r;

	if ((r = vname_check_resource(a->resource, e)) < 0)
		return r;
	if (strncmp(a->resource, "vh-", 3) || (strlen(a->resource) != 11 &&
	    (strlen(a->resource) != 12 + VNAME_NONCE_HEX || a->resource[11] != '-')))
		return vh_err(e, -EINVAL, "'%s' is not the name of a vmhop resource "
			      "(vh-XXXXXXXX-NNNNNN, or vh-XXXXXXXX of an older vmhop)", a->resource);
	if ((r = vjournal_list(dir, &paths, &n, e)) < 0)
		return r;
	r = 1;
	for (size_t i = 0; i < n && r > 0; i++) {
		const char *base = strrchr(paths[i], '/') + 1;

		if (strncasecmp(base, a->resource + 3, 8))
			continue;
		seen++;
		if ((r = move_from_journal(paths[i], m, e)) == 0 &&
		    strcmp(m->plan.resource, a->resource))
			r = 1;	/* another VM whose UUID begins alike */
	}
	vjournal_list_free(paths, n);
	if (r > 0)
		return vh_err(e, -ENOENT, "no move of resource %s has a journal in %s%s", a->resource,
			      dir, seen ? " (journals of other resources alike)" : "");
	return r;
}

/* ---- facts read from the host ------------------------------------------ */

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* A fact as a value from a fixed list (docs/json.md), and beside it, as
 * "@k_text", the words people read (the text output shows those). */
static void add_fact(json_object *o, const char *k, const char *value, const char *text)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_text", k);
	add_str(o, k, value);
	add_str(o, key, text);
}

/* A fact that could not be read: "unknown", and why (@with_text: the fact
 * has a "_text" beside it). */
static void add_unknown(json_object *o, const char *k, bool with_text, const struct vh_error *e)
{
	char key[64], msg[sizeof(e->msg) + 16];

	snprintf(key, sizeof(key), "%s_error", k);
	snprintf(msg, sizeof(msg), "%s", e->msg[0] ? e->msg : "unreadable");
	if (with_text)
		add_fact(o, k, "unknown", "unknown");
	else
		add_str(o, k, "unknown");
	add_str(o, key, msg);
}

static void lv_fact(struct veng_real *h, json_object *o, const char *key, const char *vg,
		    const char *lv)
{
	struct vlvm_lv_info li;
	struct vh_error e = { 0 };
	int r = veng_real_ops.lv_info(h, vg, lv, &li, &e);

	if (r == -ENOENT)
		add_fact(o, key, "absent", "absent");
	else if (r < 0)
		add_unknown(o, key, true, &e);
	else if (li.active)
		add_fact(o, key, "present", "present");
	else
		add_fact(o, key, "inactive", "present, inactive");
}

/* What the dm device @name maps: "drbd" ("/dev/drbdN") when it is one linear
 * target over DRBD's device @minor, else "own" (its own table). */
static void map_fact(struct veng_real *h, json_object *o, const char *name, uint32_t minor)
{
	struct vdm_table t = { 0 };
	struct vh_error e = { 0 };
	char buf[64], *text = NULL;
	int r = veng_real_ops.dm_table(h, name, &t, &e);

	if (r == -ENXIO || r == -ENOENT) {
		add_fact(o, "lv_maps", "none", "no device (not active)");
		return;
	}
	if (r < 0) {
		add_unknown(o, "lv_maps", true, &e);
		return;
	}
	if (veng_table_maps_drbd(&t, minor)) {
		snprintf(buf, sizeof(buf), "/dev/drbd%u", minor);
		add_fact(o, "lv_maps", "drbd", buf);
	} else {
		add_fact(o, "lv_maps", "own", "its own table");
	}
	if (vdm_table_format(&t, &text, &e) == 0) {
		size_t l = strlen(text);

		while (l && text[l - 1] == '\n')
			text[--l] = '\0';
		add_str(o, "lv_table", text);
		free(text);
	}
	vdm_table_free(&t);
	/* A swap killed between its load and its resume leaves its table
	 * waiting in the inactive slot (abort or the phase run again clears it). */
	if (veng_real_ops.dm_inactive(h, name, &t, &e) < 0) {
		add_unknown(o, "lv_inactive", true, &e);
		return;
	}
	if (!t.n) {
		add_fact(o, "lv_inactive", "none", "none");
	} else if (veng_table_maps_drbd(&t, minor)) {
		snprintf(buf, sizeof(buf), "/dev/drbd%u (left by a killed swap)", minor);
		add_fact(o, "lv_inactive", "drbd", buf);
	} else {
		add_fact(o, "lv_inactive", "table", "a table");
	}
	vdm_table_free(&t);
}

static void dm_fact(struct veng_real *h, json_object *o, const char *key, const char *name)
{
	struct vdm_table t = { 0 };
	struct vh_error e = { 0 };
	int r = veng_real_ops.dm_table(h, name, &t, &e);

	if (r == -ENXIO || r == -ENOENT)
		add_str(o, key, "absent");
	else if (r < 0)
		add_unknown(o, key, false, &e);
	else
		add_str(o, key, "present");
	if (r == 0)
		vdm_table_free(&t);
}

/* How far the sync is: DRBD's bitmap, and while a resync runs the kernel's
 * rate and time left. */
static void sync_fact(struct veng_real *h, json_object *dj, uint32_t minor,
		      const struct drbdnl_status *ds)
{
	struct drbdnl_proc_sync rate = { 0 };
	struct vstatus_sync v;
	struct vh_error e = { 0 };
	struct drbdnl_progress p;

	if (ds && drbdnl_sync_progress(ds, &p) &&
	    veng_real_ops.drbd_sync_rate(h, minor, &rate, &e) < 0)
		add_str(dj, "resync_rate_error", e.msg);
	vstatus_sync_view(ds, &rate, &v);
	(void)vstatus_sync_json(&v, dj);	/* out of memory: keys missing, nothing else */
}

static void drbd_fact(struct veng_real *h, json_object *dj, uint32_t minor)
{
	struct drbdnl_status ds;
	struct vh_error e = { 0 };
	int r = veng_real_ops.drbd_status(h, minor, &ds, &e);

	if (r == -ENXIO || r == -ENOENT) {
		add_str(dj, "cstate", "none");
		sync_fact(h, dj, minor, NULL);
		return;
	}
	if (r < 0) {
		add_unknown(dj, "cstate", false, &e);
		add_fact(dj, "sync", "unknown", "unknown (cstate_error says why)");
		return;
	}
	add_str(dj, "drbd_resource", ds.resource);
	add_str(dj, "cstate", drbdnl_conn_name(ds.conn));
	add_str(dj, "role", drbdnl_role_name(ds.role));
	add_str(dj, "disk", drbdnl_disk_name(ds.disk));
	add_str(dj, "peer_disk", drbdnl_disk_name(ds.pdsk));
	json_object_object_add(dj, "out_of_sync_kib", json_object_new_int64((int64_t)ds.bits_oos * 4));
	sync_fact(h, dj, minor, &ds);
}

/* The module's usermode helper now, vmhop's record of it, and the original
 * this move's journal saved. */
static void helper_fact(struct veng_real *h, json_object *o, const struct vh_move *m)
{
	struct drbdnl_helper *hi = malloc(sizeof(*hi));
	struct vh_error e = { 0 };
	json_object *hj;

	if (!hi || veng_real_ops.helper_inspect(h, hi, &e) < 0) {
		if (!hi)
			(void)vh_err(&e, -ENOMEM, "out of memory");
		add_unknown(o, "usermode_helper", false, &e);
		free(hi);
		return;
	}
	hj = json_object_new_object();
	(void)vstatus_helper_json(hi, m->plan.resource, m->st.helper_original, hj);
	json_object_object_add(o, "usermode_helper", hj);
	free(hi);
}

static void vm_fact(struct veng_real *h, json_object *o, const char *name)
{
	struct vh_error e = { 0 };
	int state, r = veng_real_ops.vm_state(h, VENG_HERE, name, &state, &e);

	if (r == -ENOENT)
		add_fact(o, "vm_here", "undefined", "not defined");
	else if (r < 0)
		add_unknown(o, "vm_here", true, &e);
	else
		add_fact(o, "vm_here", vvirt_state_name(state), vvirt_state_name(state));
}

static void next_action(const struct vh_move *m, struct veng_next *ret)
{
	struct veng g;
	struct vh_error e = { 0 };

	/* veng_next reads the state only: no host behind the engine. */
	if (veng_init(&g, &m->plan, m->role, m->have_state ? &m->st : NULL, &veng_real_ops, NULL,
		      &e) < 0) {
		veng_next_set(ret, VENG_ACT_STATUS, VENG_PHASES, VENG_HERE, "unknown (%.400s)",
			      e.msg);
		return;
	}
	veng_next(&g, ret);
}

/*
 * What people read: the same object with each fact's words ("@k_text") in
 * place of its value, the next action's sentence in place of the object,
 * and no schema: the text output stays as it was before the values came.
 */
static json_object *for_people(json_object *o)
{
	json_object *out, *txt;
	char key[80];

	if (json_object_is_type(o, json_type_array)) {
		out = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(o); i++)
			json_object_array_add(out, for_people(json_object_array_get_idx(o, i)));
		return out;
	}
	if (!json_object_is_type(o, json_type_object))
		return json_object_get(o);
	out = json_object_new_object();
	json_object_object_foreach(o, k, v) {
		size_t l = strlen(k);

		if (!strcmp(k, "schema") || (l > 5 && !strcmp(k + l - 5, "_text")))
			continue;
		snprintf(key, sizeof(key), "%s_text", k);
		if (json_object_object_get_ex(o, key, &txt))
			json_object_object_add(out, k, json_object_get(txt));
		else if (!strcmp(k, "next") && json_object_object_get_ex(v, "text", &txt))
			json_object_object_add(out, k, json_object_get(txt));
		else
			json_object_object_add(out, k, for_people(v));
	}
	return out;
}

static int show_move(struct vh_ctx *ctx, const struct status_args *a, const struct vh_move *m)
{
	struct veng_real_opts ro = { .local_uri = a->uri };
	struct veng_real *h;
	struct vh_error e = { 0 };
	json_object *o, *st, *disks;
	struct veng_next next;
	int r;

	if ((r = veng_real_open(&m->plan, &ro, &h, &e)) < 0)
		return vh_fail(ctx, &e);
	o = vh_json_object();
	add_str(o, "resource", m->plan.resource);
	add_str(o, "vm", m->plan.vm_name);
	add_str(o, "role", vplan_role_name(m->role));
	add_str(o, "journal", m->have_state ? m->journal : "none");
	st = veng_state_to_json(&m->st);
	if (st) {
		/* The saved tables are for vmhop, not for people. */
		json_object_object_del(st, "disks");
		json_object_object_add(o, "state", st);
	}
	vm_fact(h, o, m->plan.vm_name);
	helper_fact(h, o, m);
	disks = json_object_new_array();
	for (size_t i = 0; i < m->plan.n_disks; i++) {
		const struct vplan_disk *pd = &m->plan.disks[i];
		const struct veng_disk_state *d = &m->st.disks[i];
		json_object *dj = json_object_new_object();
		char dmname[VLVM_NAME_MAX * 2 + 8];

		add_str(dj, "lv", pd->lv);
		json_object_object_add(dj, "minor", json_object_new_int((int)pd->minor));
		drbd_fact(h, dj, pd->minor);
		/* the journal's facts */
		json_object_object_add(dj, "copy", json_object_new_boolean(d->copy_created));
		json_object_object_add(dj, "md_lv", json_object_new_boolean(d->md_created));
		json_object_object_add(dj, "bridged", json_object_new_boolean(d->bridged &&
									      !d->restored));
		json_object_object_add(dj, "freeze_ns", json_object_new_int64(d->freeze_ns));
		/* the host's */
		lv_fact(h, dj, "lv_here", pd->vg, pd->lv);
		vlvm_dm_name(pd->vg, pd->lv, dmname, sizeof(dmname));
		map_fact(h, dj, dmname, pd->minor);
		dm_fact(h, dj, "copy_here", pd->copy);
		lv_fact(h, dj, "md_lv_here", pd->vg, pd->md_lv);
		json_object_array_add(disks, dj);
	}
	json_object_object_add(o, "disks", disks);
	next_action(m, &next);
	json_object_object_add(o, "next", phase_next_json(&m->plan, m->role, &next, a->plan));
	if (!ctx->json) {
		json_object *people = for_people(o);

		json_object_put(o);
		o = people;
	}
	vh_print(ctx, o);
	veng_real_close(h);
	return VH_EXIT_OK;
}

/* ---- every move with a journal here ------------------------------------- */

/* Where the move stands here, in one word: "planned" (vmhop plan claimed
 * it, nothing done yet), the last phase completed, "none" (begun, no phase
 * completed). */
static const char *phase_word(const struct vh_move *m)
{
	if (m->planned)
		return "planned";
	if (m->st.last_phase >= 0)
		return veng_phase_name((enum veng_phase)m->st.last_phase);
	return "none";
}

static int list_moves(struct vh_ctx *ctx, const struct status_args *a)
{
	const char *dir = state_dir(a);
	struct vh_error e = { 0 };
	json_object *top, *arr;
	char **paths = NULL;
	size_t n = 0;
	struct vh_move *m;

	if (vjournal_list(dir, &paths, &n, &e) < 0)
		return vh_fail(ctx, &e);
	if (!(m = malloc(sizeof(*m)))) {
		vjournal_list_free(paths, n);
		(void)vh_err(&e, -ENOMEM, "out of memory");
		return vh_fail(ctx, &e);
	}
	top = vh_json_object();
	arr = json_object_new_array();
	json_object_object_add(top, "moves", arr);
	if (!ctx->json && !n)
		printf("no move has a journal in %s\n", dir);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		struct veng_next next;

		memset(&e, 0, sizeof(e));
		add_str(o, "journal", paths[i]);
		if (move_from_journal(paths[i], m, &e) < 0) {
			add_str(o, "error", e.msg);
			if (!ctx->json)
				printf("%s: unreadable: %s\n", paths[i], e.msg);
			json_object_array_add(arr, o);
			continue;
		}
		next_action(m, &next);
		add_str(o, "resource", m->plan.resource);
		add_str(o, "vm", m->plan.vm_name);
		add_str(o, "role", vplan_role_name(m->role));
		add_str(o, "phase", phase_word(m));
		add_str(o, "last_phase", m->st.last_phase < 0 ? "" :
			veng_phase_name((enum veng_phase)m->st.last_phase));
		add_str(o, "doing", m->st.doing);
		json_object_object_add(o, "aborted", json_object_new_boolean(m->st.aborted));
		json_object_object_add(o, "done", json_object_new_boolean(m->st.done));
		json_object_object_add(o, "next", phase_next_json(&m->plan, m->role, &next, NULL));
		if (!ctx->json)
			printf("%s  VM %s  %s  last phase %s%s%s  next: %s\n", m->plan.resource,
			       m->plan.vm_name, vplan_role_name(m->role),
			       m->st.last_phase < 0 ? "none" :
			       veng_phase_name((enum veng_phase)m->st.last_phase),
			       m->st.aborted ? "  ABORTED" : m->st.done ? "  DONE" :
			       m->planned ? "  PLANNED" : "",
			       m->st.doing[0] ? "  (a step was interrupted)" : "", next.text);
		json_object_array_add(arr, o);
	}
	free(m);
	vjournal_list_free(paths, n);
	if (ctx->json)
		vh_print(ctx, top);
	else
		json_object_put(top);
	return VH_EXIT_OK;
}

int cmd_status(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct status_args a;
	struct vh_move *m;
	int r, rc;

	if ((rc = parse(ctx, argc, argv, &a)))
		return rc < 0 ? VH_EXIT_OK : rc;
	if (!a.plan && !a.resource)
		return list_moves(ctx, &a);
	if (!(m = malloc(sizeof(*m)))) {
		(void)vh_err(&e, -ENOMEM, "out of memory");
		return vh_fail(ctx, &e);
	}
	r = a.plan ? move_from_plan(&a, m, &e) : move_from_resource(&a, m, &e);
	rc = r < 0 ? vh_fail(ctx, &e) : show_move(ctx, &a, m);
	free(m);
	return rc;
}
