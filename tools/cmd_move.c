/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmhop plan: build the plan of a move on S, or check one on either host. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmhop.h"
#include "core/journal.h"
#include "core/plan.h"
#include "core/reserve.h"

#define PLAN_USAGE \
	"VM [VM ...] --to DEST [--dest-uri URI] [--uri LOCAL-URI] [--local-addr A] [--port N]\n" \
	"       [--minor N]\n" \
	"       [--resync-rate R] [--max-downtime MS] [--bandwidth MIB] [--keep-source]\n" \
	"       [--on-link-loss cancel|continue] [--tunnelled] [--auto-converge]\n" \
	"       [--parallel N] [--compression xbzrle] [--migrate-uri tcp://ADDR[:PORT]]\n" \
	"       [--completion converge|abort:SECONDS] [--overlap SECONDS]\n" \
	"       [--timeout connect|sync|stall|migrate|gate=SECONDS ...] [-o FILE [--force]]\n" \
	"       [--out-dir DIR [--force]] [--state-dir DIR]\n" \
	"   or: vmhop plan --check FILE"

enum { O_TO = 256, O_URI, O_DEST_URI, O_LOCAL_ADDR, O_PORT, O_MINOR, O_RESYNC_RATE, O_MAX_DOWNTIME,
       O_BANDWIDTH, O_KEEP_SOURCE, O_FORCE, O_CHECK, O_HELP, O_TIMEOUT, O_ON_LINK_LOSS,
       O_TUNNELLED, O_OUT_DIR, O_STATE_DIR, O_AUTO_CONVERGE, O_PARALLEL, O_COMPRESSION,
       O_MIGRATE_URI, O_COMPLETION, O_OVERLAP };

/*
 * plan's options: one table for getopt_long and for --help, so that every
 * option parsed is listed, with its unit and default (unit test
 * plan_help_lists_every_option).
 */
static const struct plan_opt {
	const char *name;
	int has_arg;
	int val;
	const char *arg;	/* the argument's name in --help */
	const char *help;
} plan_table[] = {
	{ "to", required_argument, O_TO, "DEST",
	  "the destination host (a name or address S reaches it by; required)" },
	{ "dest-uri", required_argument, O_DEST_URI, "URI",
	  "D's libvirt as S reaches it (default qemu+ssh://DEST/system)" },
	{ "uri", required_argument, O_URI, "LOCAL-URI",
	  "this host's libvirt, as for every command (default $VMHOP_LIBVIRT_URI, else "
	  "qemu:///system)" },
	{ "local-addr", required_argument, O_LOCAL_ADDR, "A",
	  "S's address for DRBD (default: the kernel's source address towards DEST)" },
	{ "port", required_argument, O_PORT, "N",
	  "DRBD's TCP port on both hosts (default: the first free from 7788)" },
	{ "minor", required_argument, O_MINOR, "N",
	  "the first DRBD minor, one per disk (default: the first free from 100)" },
	{ "resync-rate", required_argument, O_RESYNC_RATE, "R",
	  "DRBD's static resync rate, drbdsetup's syntax: KiB/s, or with k, M, G (default 100M)" },
	{ "max-downtime", required_argument, O_MAX_DOWNTIME, "MS",
	  "libvirt's maximum downtime of the VM, milliseconds (default 0: libvirt's own, 300)" },
	{ "bandwidth", required_argument, O_BANDWIDTH, "MIB",
	  "libvirt's migration bandwidth, MiB/s (default 0: unlimited)" },
	{ "keep-source", no_argument, O_KEEP_SOURCE, NULL,
	  "keep S's LV after the move (default: cleanup removes it)" },
	{ "on-link-loss", required_argument, O_ON_LINK_LOSS, "cancel|continue",
	  "DRBD's link lost while libvirt migrates: cancel the migration, the VM stays on S "
	  "(default), or let it finish, the gate then waits for D" },
	{ "tunnelled", no_argument, O_TUNNELLED, NULL,
	  "the VM's memory through libvirt's connection (default: QEMU to QEMU, D's ports "
	  "49152-49215 open to S)" },
	{ "auto-converge", no_argument, O_AUTO_CONVERGE, NULL,
	  "QEMU throttles the VM's vCPUs while the migration does not converge (QEMU's "
	  "auto-converge; default off)" },
	{ "parallel", required_argument, O_PARALLEL, "N",
	  "the memory over N parallel connections, 1..32 (QEMU's multifd; "
	  "default: one; not with --tunnelled or --compression)" },
	{ "compression", required_argument, O_COMPRESSION, "xbzrle",
	  "pages sent again go as deltas (QEMU's xbzrle; default none)" },
	{ "migrate-uri", required_argument, O_MIGRATE_URI, "tcp://ADDR[:PORT]",
	  "where QEMU sends the memory on D, another network than libvirt's (default: D's "
	  "address as D's libvirt gives it; not with --tunnelled)" },
	{ "completion", required_argument, O_COMPLETION, "converge|abort:SECONDS",
	  "SECONDS into libvirt's job: converge (the max downtime and bandwidth limits "
	  "lifted, the rest copied with the VM paused) or abort (the VM stays on S; default: "
	  "neither, until --timeout migrate)" },
	{ "overlap", required_argument, O_OVERLAP, "SECONDS",
	  "libvirt's migration starts once DRBD's sync is SECONDS from its end (1..3600, by "
	  "its rate so far), held at 1 MiB/s and 1 ms until the sync is done (default: after "
	  "the sync)" },
	{ "timeout", required_argument, O_TIMEOUT, "NAME=SECONDS",
	  "bounds, seconds: connect (60, until DRBD connects), sync (86400, the whole sync), "
	  "stall (120, no sync progress), migrate (3600, libvirt's job), gate (300, D catching "
	  "up); repeat for several" },
	{ "output", required_argument, 'o', "FILE",
	  "write the plan to FILE, mode 0600 (-o; default: standard output)" },
	{ "force", no_argument, O_FORCE, NULL,
	  "replace an existing FILE (with -o or --out-dir)" },
	{ "check", required_argument, O_CHECK, "FILE",
	  "load a plan, validate it, say which side of it this host is" },
	{ "out-dir", required_argument, O_OUT_DIR, "DIR",
	  "several VMs: one plan each, DIR/<VM>.plan" },
	{ "state-dir", required_argument, O_STATE_DIR, "DIR",
	  "where the journals (and the plans' claims) are (default $VMHOP_STATE_DIR, "
	  "else /var/lib/vmhop)" },
	{ "help", no_argument, O_HELP, NULL, "this text (-h)" },
};
#define PLAN_NOPTS (sizeof(plan_table) / sizeof(plan_table[0]))

/* getopt_long's view of plan_table */
static void plan_getopt(struct option *o)
{
	for (size_t i = 0; i < PLAN_NOPTS; i++)
		o[i] = (struct option){ plan_table[i].name, plan_table[i].has_arg, NULL,
					plan_table[i].val };
	o[PLAN_NOPTS] = (struct option){ NULL, 0, NULL, 0 };
}

/* The options part of plan --help, from plan_table, wrapped at 79 columns. */
void vh_plan_options_help(FILE *f)
{
	enum { COL = 24, WIDTH = 79 };

	fprintf(f, "Options:\n");
	for (size_t i = 0; i < PLAN_NOPTS; i++) {
		const char *w = plan_table[i].help;
		int col;

		col = fprintf(f, "  --%s%s%s", plan_table[i].name, plan_table[i].arg ? " " : "",
			      plan_table[i].arg ? plan_table[i].arg : "");
		if (col >= COL) {
			fputc('\n', f);
			col = 0;
		}
		while (*w) {
			size_t n = strcspn(w, " ");

			if (col > COL && col + 1 + (int)n > WIDTH) {
				fputc('\n', f);
				col = 0;
			}
			if (col < COL) {
				col += fprintf(f, "%*s", COL - col, "");
			} else {
				fputc(' ', f);
				col++;
			}
			col += fprintf(f, "%.*s", (int)n, w);
			w += n;
			w += strspn(w, " ");
		}
		fputc('\n', f);
	}
}

/* plan's numbers: decimal, leading zeros allowed ("0100" is a hundred) */
static int num(const char *s, uint64_t max, uint64_t *ret)
{
	return vnum_u64(s, VNUM_ZEROS, max, ret);
}

static json_object *summary(const struct vplan *p, const char *path)
{
	json_object *o = json_object_new_object(), *disks = json_object_new_array();

	json_object_object_add(o, "plan", json_object_new_string(path));
	json_object_object_add(o, "vm", json_object_new_string(p->vm_name));
	json_object_object_add(o, "uuid", json_object_new_string(p->vm_uuid));
	json_object_object_add(o, "resource", json_object_new_string(p->resource));
	json_object_object_add(o, "port", json_object_new_int(p->port));
	json_object_object_add(o, "source", json_object_new_string(p->source.addr));
	json_object_object_add(o, "dest", json_object_new_string(p->dest.addr));
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct vplan_disk *d = &p->disks[i];
		json_object *dj = json_object_new_object();
		char lv[2 * VLVM_NAME_MAX + 2];

		snprintf(lv, sizeof(lv), "%s/%s", d->vg, d->lv);
		json_object_object_add(dj, "target", json_object_new_string(d->target));
		json_object_object_add(dj, "lv", json_object_new_string(lv));
		json_object_object_add(dj, "size", json_object_new_int64((int64_t)d->size));
		json_object_object_add(dj, "minor", json_object_new_int64(d->minor));
		json_object_array_add(disks, dj);
	}
	json_object_object_add(o, "disks", disks);
	return o;
}

static int plan_check(struct vh_ctx *ctx, const char *path)
{
	struct vh_error e = { 0 };
	enum vplan_role role;
	struct vplan p;
	json_object *o;

	if (vplan_load(path, &p, &e) < 0)
		return vh_fail(ctx, &e);
	if (vplan_role(&p, NULL, NULL, &role, &e) < 0) {
		memset(&p, 0, sizeof(p));
		return vh_fail(ctx, &e);
	}
	o = summary(&p, path);
	json_object_object_add(o, "role", json_object_new_string(vplan_role_name(role)));
	memset(&p, 0, sizeof(p));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

/* --timeout NAME=SECONDS: one of the plan's timeouts. */
struct timeout_set {
	uint32_t v[5];		/* connect, sync, stall, migrate, gate; 0: the default */
};

static int parse_timeout(const char *arg, struct timeout_set *t)
{
	static const char *const names[] = { "connect", "sync", "stall", "migrate", "gate" };
	const char *eq = strchr(arg, '=');
	uint64_t v;

	if (!eq)
		return -EINVAL;
	for (size_t i = 0; i < 5; i++)
		if (strlen(names[i]) == (size_t)(eq - arg) && !strncmp(arg, names[i], (size_t)(eq - arg))) {
			if (num(eq + 1, VPLAN_TIMEOUT_MAX, &v) < 0 || v == 0)
				return -ERANGE;
			t->v[i] = (uint32_t)v;
			return 0;
		}
	return -EINVAL;
}

#define VPLAN_BATCH_MAX	64

/* The plan file of @vm: -o FILE, DIR/<VM>.plan, or "" (stdout). */
static int plan_path(const char *out, const char *out_dir, const char *vm, char *buf, size_t len)
{
	int n = out ? snprintf(buf, len, "%s", out) :
		out_dir ? snprintf(buf, len, "%s/%s.plan", out_dir, vm) : snprintf(buf, len, "%s", "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int print_plan(const struct vplan *p, struct vh_error *e)
{
	json_object *o = vplan_to_json(p);

	if (!o)
		return vh_err(e, -ENOMEM, "out of memory");
	/* The plan itself is JSON, with or without --json. */
	printf("%s\n", json_object_to_json_string_ext(o, VJSON_PRETTY));
	vh_flush();
	json_object_put(o);
	return 0;
}

/* One plan, never picking what the moves with a journal here claim (the
 * plans of this call made before it have theirs already), with the
 * --timeout values; then its claim, the journal. */
static int build_one(const struct vplan_request *req, const struct timeout_set *to,
		     const char *dir, struct vplan *p, struct vh_error *e)
{
	uint32_t *dst[5] = { &p->timeouts.connect, &p->timeouts.sync, &p->timeouts.stall,
			     &p->timeouts.migrate, &p->timeouts.gate };
	struct vplan_request rq = *req;
	struct vplan_used used = { 0 };
	struct vres_claim *cl = NULL;
	size_t n = 0;
	int r;

	if ((r = vres_collect(dir, &cl, &n, e)) < 0)
		return vh_err_prefix(e, r, "the moves with a journal on this host");
	/* The VM's own claim is not another move's: a plan made again replaces
	 * it (vres_claim_plan; one under way is refused there). */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cl[i].vm_name, req->vm))
			cl[i--] = cl[--n];
	r = vres_add_used(cl, n, &used, e);
	free(cl);
	rq.reserved = &used;
	if (r == 0)
		r = vplan_build(&rq, NULL, p, e);
	vplan_used_free(&used);
	if (r < 0)
		return vh_err_prefix(e, r, "VM %s", req->vm);
	for (size_t i = 0; i < 5; i++)
		if (to->v[i])
			*dst[i] = to->v[i];
	if ((r = vplan_validate(p, e)) < 0 || (r = vres_claim_plan(dir, p, e)) < 0)
		return r;
	return 0;
}

/*
 * vmhop plan VM... : every plan built and claimed under the host lock, one
 * after the other, so each sees the claims of the ones before; then the
 * files written.  Any failure undoes the claims and files of this call:
 * nothing is left changed.
 */
static int plan_batch(struct vh_ctx *ctx, const struct vplan_request *req,
		      const struct timeout_set *to, const char *const *vms, size_t n,
		      const char *out, const char *out_dir, const char *dir, bool force)
{
	struct vh_error e = { 0 };
	struct vplan *p = calloc(n, sizeof(*p));
	bool *written = calloc(n, sizeof(*written));
	size_t built = 0;
	json_object *arr = NULL;
	char path[4096];
	int lock = -1, r = 0;

	if (!p || !written) {
		r = vh_err(&e, -ENOMEM, "out of memory");
		goto out;
	}
	if ((lock = vjournal_host_lock(dir, 120000, &e)) < 0) {
		r = lock;
		goto out;
	}
	for (; r == 0 && built < n; built++) {
		struct vplan_request rq = *req;

		for (size_t k = 0; k < built && r == 0; k++)
			if (!strcmp(vms[k], vms[built]))
				r = vh_err(&e, -EINVAL, "VM %s is named twice", vms[k]);
		rq.vm = vms[built];
		if (r == 0 && (r = build_one(&rq, to, dir, &p[built], &e)) < 0)
			break;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (plan_path(out, out_dir, p[i].vm_name, path, sizeof(path)) < 0) {
			r = vh_err(&e, -ENAMETOOLONG, "plan file path too long for VM %s",
				   p[i].vm_name);
			break;
		}
		if (!path[0])
			r = print_plan(&p[i], &e);
		else if ((r = vplan_save(&p[i], path, force, &e)) == 0)
			written[i] = true;
	}
	if (r == 0 && (out || out_dir)) {
		arr = n > 1 ? json_object_new_array() : NULL;
		for (size_t i = 0; i < n; i++) {
			(void)plan_path(out, out_dir, p[i].vm_name, path, sizeof(path));
			if (arr)
				json_object_array_add(arr, summary(&p[i], path));
			else
				vh_print(ctx, summary(&p[i], path));
		}
		if (arr)
			vh_print(ctx, arr);
	}
	if (r < 0) {
		/* nothing of this call is left: files, claims */
		for (size_t i = 0; i < n && i < built; i++) {
			if (written[i] && plan_path(out, out_dir, p[i].vm_name, path,
						    sizeof(path)) == 0)
				(void)unlink(path);
			if (p[i].resource[0])
				vres_unclaim_plan(dir, &p[i]);
		}
	}
out:
	if (lock >= 0)
		vjournal_host_unlock(lock);
	if (p)
		memset(p, 0, n * sizeof(*p));
	free(p);
	free(written);
	return r < 0 ? vh_fail(ctx, &e) : VH_EXIT_OK;
}

int cmd_plan(struct vh_ctx *ctx, int argc, char **argv)
{
	struct option plan_opts[PLAN_NOPTS + 1];
	struct timeout_set to = { { 0 } };
	struct vplan_request req = { .minor = -1 };
	const char *out = NULL, *check = NULL, *out_dir = NULL, *dir = NULL;
	bool force = false;
	uint64_t v;
	int c, r;

	req.local_uri = vh_env_local_uri();
	plan_getopt(plan_opts);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", plan_opts, NULL)) != -1) {
		switch (c) {
		case O_TO: req.dest = optarg; break;
		case O_DEST_URI: req.dest_uri = optarg; break;
		case O_URI:
			/* --uri named D's libvirt before: a remote URI is refused,
			 * never taken for this host's */
			if (strstr(optarg, "://") && strstr(optarg, "://")[3] != '/')
				return vh_usage(ctx, "plan: --uri is this host's libvirt "
						"(qemu:///system); D's goes in --dest-uri, not "
						"--uri '%s'", optarg);
			req.local_uri = optarg;
			break;
		case O_LOCAL_ADDR: req.local_addr = optarg; break;
		case O_RESYNC_RATE: req.resync_rate = optarg; break;
		case O_KEEP_SOURCE: req.keep_source = true; break;
		case O_TUNNELLED: req.tunnelled = true; break;
		case O_AUTO_CONVERGE: req.auto_converge = true; break;
		case O_OVERLAP:
			if (num(optarg, VPLAN_OVERLAP_MAX, &v) < 0 || v == 0)
				return vh_usage(ctx, "plan: --overlap takes 1..%d seconds, not '%s'",
						VPLAN_OVERLAP_MAX, optarg);
			req.overlap_s = (uint32_t)v;
			break;
		case O_COMPRESSION: req.compression = optarg; break;
		case O_MIGRATE_URI: req.migrate_uri = optarg; break;
		case O_PARALLEL:
			if (num(optarg, VPLAN_PARALLEL_MAX, &v) < 0 || v == 0)
				return vh_usage(ctx, "plan: --parallel takes 1..%d, not '%s'",
						VPLAN_PARALLEL_MAX, optarg);
			req.parallel = (uint32_t)v;
			break;
		case O_COMPLETION:
			r = vplan_completion_parse(optarg, &req.completion, &req.completion_after_s);
			if (r < 0)
				return vh_usage(ctx, "plan: --completion takes converge:SECONDS or "
						"abort:SECONDS (1..%u), not '%s'", VPLAN_TIMEOUT_MAX,
						optarg);
			break;
		case O_ON_LINK_LOSS:
			if (vplan_link_loss_parse(optarg, &req.on_link_loss) < 0)
				return vh_usage(ctx, "plan: --on-link-loss takes cancel or continue, "
						"not '%s'", optarg);
			break;
		case O_FORCE: force = true; break;
		case O_CHECK: check = optarg; break;
		case 'o': out = optarg; break;
		case O_OUT_DIR: out_dir = optarg; break;
		case O_STATE_DIR: dir = optarg; break;
		case O_PORT:
			if (num(optarg, 65535, &v) < 0 || v == 0)
				return vh_usage(ctx, "plan: --port takes 1..65535, not '%s'", optarg);
			req.port = (uint32_t)v;
			break;
		case O_MINOR:
			if (num(optarg, VPLAN_MINOR_MAX, &v) < 0)
				return vh_usage(ctx, "plan: --minor takes 0..%u, not '%s'",
						VPLAN_MINOR_MAX, optarg);
			req.minor = (int64_t)v;
			break;
		case O_MAX_DOWNTIME: case O_BANDWIDTH:
			if (num(optarg, UINT32_MAX, &v) < 0)
				return vh_usage(ctx, "plan: bad number '%s'", optarg);
			if (c == O_MAX_DOWNTIME)
				req.max_downtime_ms = v;
			else
				req.bandwidth_mib = v;
			break;
		case O_TIMEOUT:
			r = parse_timeout(optarg, &to);
			if (r == -ERANGE)
				return vh_usage(ctx, "plan: --timeout %s: seconds are 1..%u", optarg,
						VPLAN_TIMEOUT_MAX);
			if (r < 0)
				return vh_usage(ctx, "plan: --timeout takes connect, sync, stall, migrate "
						"or gate=SECONDS, not '%s'", optarg);
			break;
		case 'h': case O_HELP:
			printf("usage: vmhop plan " PLAN_USAGE "\n\n"
			       "Inspects VM on this host (the source) and writes the plan of its move\n"
			       "to DEST as JSON (stdout, or FILE with mode 0600: it holds the DRBD\n"
			       "secret).  --check loads a plan, validates it and says which side\n"
			       "of it this host is.\n\n"
			       "Several VMs (one call): one plan each, in DIR/<VM>.plan (--out-dir),\n"
			       "with distinct minors, ports and resources.  Every plan claims what\n"
			       "it chose in its journal on this host (the state directory), under\n"
			       "the host lock: a plan made later never picks the same until the move\n"
			       "ends or is aborted (or its journal is removed).\n\n");
			vh_plan_options_help(stdout);
			return VH_EXIT_OK;
		default:
			return vh_usage(ctx, "plan: unknown option '%s' (usage: vmhop plan %s)",
					argv[optind - 1], PLAN_USAGE);
		}
	}
	if (check) {
		if (argc != optind || req.dest || out)
			return vh_usage(ctx, "plan: --check FILE takes nothing else");
		return plan_check(ctx, check);
	}
	if (argc - optind < 1 || !req.dest)
		return vh_usage(ctx, "usage: vmhop plan %s", PLAN_USAGE);
	if ((r = vh_check_local_uri(ctx, "plan", req.local_uri)) != 0)
		return r;
	if (force && !out && !out_dir)
		return vh_usage(ctx, "plan: --force is for -o FILE or --out-dir DIR");
	if (out && out_dir)
		return vh_usage(ctx, "plan: -o FILE and --out-dir DIR exclude each other");
	if (argc - optind > 1 && !out_dir)
		return vh_usage(ctx, "plan: several VMs need --out-dir DIR (one plan file per VM, "
				"DIR/<VM>.plan)");
	if (argc - optind > 1 && (req.port || req.minor >= 0))
		return vh_usage(ctx, "plan: --port and --minor are one move's: with several VMs "
				"each plan takes the first free ones");
	if (argc - optind > VPLAN_BATCH_MAX)
		return vh_usage(ctx, "plan: at most %d VMs in one call", VPLAN_BATCH_MAX);
	return plan_batch(ctx, &req, &to, (const char *const *)argv + optind,
			  (size_t)(argc - optind), out, out_dir, dir, force);
}
