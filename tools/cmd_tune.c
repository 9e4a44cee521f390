/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop tune --plan FILE [--resync-rate R] [--max-downtime MS] [--bandwidth MIB]:
 * change a move while it runs.  The resync rate goes to DRBD's disk options
 * of the move's minors here (DRBD hands it to the peer over the link: the
 * sync is paced by the side that receives it); the max downtime and the
 * bandwidth go to libvirt's migration job of the VM on S, which must run.
 * The plan is not changed: a new migration (a retry) starts from it again.
 *
 * It takes no lock (send holds the journal's while it runs) and reads the
 * journal as status does.  Each change is appended, one JSON line, to
 * STATE/<uuid>.tune (mode 0600), beside the journal: what a running move
 * was told, when, and by whom.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/journal.h"
#include "netlink/drbdnl.h"
#include "phase.h"
#include "virt/virt.h"
#include "vmhop.h"

#define TUNE_USAGE "usage: vmhop tune --plan FILE [--resync-rate R] [--max-downtime MS] " \
	"[--bandwidth MIB]\n                  [--state-dir DIR] [--uri LOCAL-URI] [--json]"

struct tune_args {
	const char *plan, *state_dir, *uri, *rate;
	bool downtime_set, bandwidth_set;
	uint64_t downtime_ms, bandwidth_mib;
};

static int parse(struct vh_ctx *ctx, int argc, char **argv, struct tune_args *a)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "resync-rate", required_argument, NULL, 'r' },
		{ "max-downtime", required_argument, NULL, 'm' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "uri", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->uri = vh_env_local_uri();
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->plan = optarg; break;
		case 'r': a->rate = optarg; break;
		case 'd': a->state_dir = optarg; break;
		case 'u': a->uri = optarg; break;
		case 'm':
			if (vnum_u64(optarg, 0, 2000000, &a->downtime_ms) < 0 || !a->downtime_ms)
				return vh_usage(ctx, "tune: --max-downtime takes 1..2000000 ms, not "
						"'%s'", optarg);
			a->downtime_set = true;
			break;
		case 'b':
			if (vnum_u64(optarg, 0, 1048576, &a->bandwidth_mib) < 0 || !a->bandwidth_mib)
				return vh_usage(ctx, "tune: --bandwidth takes 1..1048576 MiB/s, not "
						"'%s'", optarg);
			a->bandwidth_set = true;
			break;
		case 'h':
			printf(TUNE_USAGE "\n\n"
			       "Changes the running move of the plan on this host:\n"
			       "  --resync-rate R     DRBD's resync rate, drbdsetup's syntax (KiB/s, or\n"
			       "                      with k, M, G), on the move's minors here; DRBD\n"
			       "                      gives it to the peer while connected\n"
			       "  --max-downtime MS   libvirt's maximum downtime of the running migration (S)\n"
			       "  --bandwidth MIB     libvirt's bandwidth of the running migration, MiB/s (S)\n"
			       "  --state-dir DIR     where the journals are; the change is recorded in\n"
			       "                      DIR/<uuid>.tune\n"
			       "  --uri LOCAL-URI     this host's libvirt (default $VMHOP_LIBVIRT_URI, else\n"
			       "                      qemu:///system)\n"
			       "The plan file is not changed.\n");
			return -1;
		default:
			return vh_usage(ctx, "tune: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vh_usage(ctx, "tune: unexpected argument '%s'", argv[optind]);
	if (!a->plan)
		return vh_usage(ctx, "tune: --plan FILE is required");
	if (!a->rate && !a->downtime_set && !a->bandwidth_set)
		return vh_usage(ctx, "tune: nothing to change (--resync-rate, --max-downtime, "
				"--bandwidth)");
	return vh_check_local_uri(ctx, "tune", a->uri);
}

/* One change made, into @changes: its object (for more fields), or NULL
 * when memory ran out (the caller says so). */
static json_object *change(json_object *changes, const char *what, const char *target,
			   uint64_t value)
{
	json_object *o = json_object_new_object();

	if (!o || vjson_add_str(o, "what", what) || vjson_add_str(o, "target", target) ||
	    vjson_add_u64(o, "value", value) || json_object_array_add(changes, o)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The resync rate on each of the move's minors here, checked first to be
 * the move's own (its resource): a minor of another resource is refused. */
static int tune_rate(const struct vh_move *m, const char *rate, json_object *changes,
		     struct vh_error *e)
{
	struct drbdnl_conf c = { 0 };
	struct drbdnl *h = NULL;
	int r;

	if ((r = drbdnl_conf_set_text(&c, "resync-rate", rate, e)) < 0)
		return vh_err_prefix(e, r, "--resync-rate");
	if ((r = drbdnl_open(&h, e)) < 0)
		return r;
	for (size_t i = 0; i < m->plan.n_disks && r == 0; i++) {
		uint32_t minor = m->plan.disks[i].minor;
		struct drbdnl_status st;

		if ((r = drbdnl_get_status(h, minor, &st, e)) < 0) {
			r = vh_err_prefix(e, r, "/dev/drbd%u", minor);
			break;
		}
		if (strcmp(st.resource, m->plan.resource) || !st.attached) {
			r = vh_err(e, -ENXIO, "/dev/drbd%u is %s%s, not this move's attached "
				   "device (resource %s): nothing to tune", minor,
				   st.resource[0] ? "of resource " : "not configured",
				   st.resource, m->plan.resource);
			break;
		}
		r = drbdnl_chg_disk_opts(h, minor, &c, false, e);
		if (r < 0) {
			r = vh_err_prefix(e, r, "disk-options of /dev/drbd%u", minor);
			break;
		}
		{
			json_object *o = change(changes, "resync-rate", "drbd",
						(uint64_t)drbdnl_conf_num(&c, DRBDNL_DISK_RESYNC_RATE));
			char was[32] = "";

			drbdnl_conf_format(&st.conf, DRBDNL_DISK_RESYNC_RATE, was, sizeof(was));
			if (!o || vjson_add_u64(o, "minor", minor) || vjson_add_str(o, "was", was))
				r = vh_err(e, -ENOMEM, "/dev/drbd%u tuned, but out of memory to "
					   "say so", minor);
		}
	}
	drbdnl_close(h);
	return r;
}

/* libvirt's running migration of the VM here (S only). */
static int tune_migration(const struct vh_move *m, const struct tune_args *a,
			  json_object *changes, struct vh_error *e)
{
	struct vvirt_conn *c = NULL;
	struct vvirt_dom *d = NULL;
	struct vvirt_progress job;
	int r;

	if (m->role != VPLAN_ROLE_SOURCE)
		return vh_err(e, -EINVAL, "--max-downtime and --bandwidth tune libvirt's migration "
			      "job, which runs on the source (%s), not here", m->plan.source.host);
	if ((r = vvirt_open(a->uri ? a->uri : "qemu:///system", VVIRT_OPEN_LOCAL, &c, e)) < 0)
		return r;
	if ((r = vvirt_lookup_uuid(c, m->plan.vm_uuid, &d, e)) < 0)
		goto out;
	if ((r = vvirt_job(d, false, &job, e)) < 0)
		goto out;
	if (job.type == VIR_DOMAIN_JOB_NONE) {
		r = vh_err(e, -ENOENT, "no migration of VM %s runs now: --max-downtime and "
			   "--bandwidth tune a running one (the plan's values start the next)",
			   m->plan.vm_name);
		goto out;
	}
	/* Until it sends, libvirt's job is setting up (D's QEMU starting), and
	 * then applies the migration's own parameters over these (seen in the
	 * lab: a bandwidth set then was replaced by the plan's). */
	if (!job.data_total) {
		r = vh_err(e, -EBUSY, "the migration of VM %s is still setting up (nothing sent "
			   "yet): its own parameters would replace these; tune again in a few "
			   "seconds", m->plan.vm_name);
		goto out;
	}
	if (a->downtime_set) {
		if ((r = vvirt_set_max_downtime(d, a->downtime_ms, e)) < 0)
			goto out;
		if (!change(changes, "max-downtime", "libvirt", a->downtime_ms))
			r = vh_err(e, -ENOMEM, "max downtime tuned, but out of memory to say so");
	}
	if (r == 0 && a->bandwidth_set) {
		if ((r = vvirt_set_max_speed(d, a->bandwidth_mib, e)) < 0)
			goto out;
		if (!change(changes, "bandwidth", "libvirt", a->bandwidth_mib))
			r = vh_err(e, -ENOMEM, "bandwidth tuned, but out of memory to say so");
	}
out:
	vvirt_dom_free(d);
	vvirt_close(c);
	return r;
}

/* One line appended to STATE/<uuid>.tune: when, and what was changed. */
static int record(const struct tune_args *a, const struct vh_move *m, json_object *changes,
		  char *path, size_t len, struct vh_error *e)
{
	json_object *o;
	const char *line;
	int fd, r = 0;

	if (snprintf(path, len, "%s/%s.tune", a->state_dir ? a->state_dir : vjournal_dir(),
		     m->plan.vm_uuid) >= (int)len)
		return vh_err(e, -ENAMETOOLONG, "state directory path too long");
	o = json_object_new_object();
	if (!o || vjson_add_u64(o, "time", (uint64_t)time(NULL)) ||
	    vjson_add_str(o, "resource", m->plan.resource) ||
	    vjson_add_str(o, "role", vplan_role_name(m->role)) ||
	    json_object_object_add(o, "changes", json_object_get(changes)) ||
	    !(line = json_object_to_json_string_ext(o, VJSON_LINE))) {
		json_object_put(o);
		return vh_err(e, -ENOMEM, "%s: out of memory for the record", path);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = vh_err(e, -errno, "%s: %s", path, strerror(errno));
	} else {
		if (dprintf(fd, "%s\n", line) < 0 || fsync(fd) < 0)
			r = vh_err(e, -errno, "%s: %s", path, strerror(errno));
		close(fd);
	}
	json_object_put(o);
	return r;
}

int cmd_tune(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct tune_args a;
	struct vh_move *m;
	json_object *out, *changes;
	char path[PATH_MAX] = "";
	int r, rr = 0;

	if ((r = parse(ctx, argc, argv, &a)) != 0)
		return r < 0 ? 0 : r;
	m = calloc(1, sizeof(*m));
	if (!m) {
		vh_err(&e, -ENOMEM, "out of memory");
		return vh_fail(ctx, &e);
	}
	changes = json_object_new_array();
	if ((r = vh_move_read(a.plan, a.state_dir, m, &e)) < 0)
		goto fail;
	if (m->st.aborted || m->st.done || !m->journal[0]) {
		r = vh_err(&e, -ENOENT, "no move of VM %s runs on this host (%s): nothing to tune",
			   m->plan.vm_name, !m->journal[0] ? "no journal" :
			   m->st.aborted ? "aborted" : "done");
		goto fail;
	}
	/* libvirt first: it refuses when no migration runs, before DRBD changes */
	if ((a.downtime_set || a.bandwidth_set) && (r = tune_migration(m, &a, changes, &e)) < 0)
		goto fail;
	if (a.rate)
		r = tune_rate(m, a.rate, changes, &e);
	/* what was applied is recorded, even when a later minor failed */
	if (json_object_array_length(changes) &&
	    (rr = record(&a, m, changes, path, sizeof(path), r < 0 ? NULL : &e)) < 0 && r == 0)
		r = rr;
	if (r < 0)
		goto fail;
	out = vh_json_object();
	if (!out || vjson_add_str(out, "resource", m->plan.resource) ||
	    vjson_add_str(out, "record", path) || json_object_object_add(out, "changes", changes)) {
		json_object_put(out);
		r = vh_err(&e, -ENOMEM, "tuned and recorded in %s, but out of memory to say so",
			   path);
		goto fail;
	}
	vh_print(ctx, out);
	free(m);
	return 0;
fail:
	json_object_put(changes);
	free(m);
	return vh_fail(ctx, &e);
}
