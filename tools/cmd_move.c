/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmhop plan: build the plan of a move on S, or check one on either host. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmhop.h"
#include "core/plan.h"

#define PLAN_USAGE \
	"VM --to DEST [--uri URI] [--local-addr A] [--port N] [--minor N]\n" \
	"       [--resync-rate R] [--max-downtime MS] [--bandwidth MIB] [--keep-source]\n" \
	"       [--on-link-loss cancel|continue] [--tunnelled]\n" \
	"       [--timeout connect|sync|stall|migrate|gate=SECONDS ...] [-o FILE [--force]]\n" \
	"   or: vmhop plan --check FILE"

enum { O_TO = 256, O_URI, O_LOCAL_ADDR, O_PORT, O_MINOR, O_RESYNC_RATE, O_MAX_DOWNTIME,
       O_BANDWIDTH, O_KEEP_SOURCE, O_FORCE, O_CHECK, O_HELP, O_TIMEOUT, O_ON_LINK_LOSS,
       O_TUNNELLED };

static const struct option plan_opts[] = {
	{ "to", required_argument, NULL, O_TO },
	{ "uri", required_argument, NULL, O_URI },
	{ "local-addr", required_argument, NULL, O_LOCAL_ADDR },
	{ "port", required_argument, NULL, O_PORT },
	{ "minor", required_argument, NULL, O_MINOR },
	{ "resync-rate", required_argument, NULL, O_RESYNC_RATE },
	{ "max-downtime", required_argument, NULL, O_MAX_DOWNTIME },
	{ "bandwidth", required_argument, NULL, O_BANDWIDTH },
	{ "keep-source", no_argument, NULL, O_KEEP_SOURCE },
	{ "on-link-loss", required_argument, NULL, O_ON_LINK_LOSS },
	{ "tunnelled", no_argument, NULL, O_TUNNELLED },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, O_FORCE },
	{ "check", required_argument, NULL, O_CHECK },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

static int num(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
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

int cmd_plan(struct vh_ctx *ctx, int argc, char **argv)
{
	struct timeout_set to = { { 0 } };
	struct vplan_request req = { .minor = -1 };
	const char *out = NULL, *check = NULL;
	struct vh_error e = { 0 };
	bool force = false;
	struct vplan p;
	uint64_t v;
	int c, r;

	req.local_uri = getenv("VMHOP_LIBVIRT_URI");
	if (req.local_uri && !*req.local_uri)
		req.local_uri = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", plan_opts, NULL)) != -1) {
		switch (c) {
		case O_TO: req.dest = optarg; break;
		case O_URI: req.dest_uri = optarg; break;
		case O_LOCAL_ADDR: req.local_addr = optarg; break;
		case O_RESYNC_RATE: req.resync_rate = optarg; break;
		case O_KEEP_SOURCE: req.keep_source = true; break;
		case O_TUNNELLED: req.tunnelled = true; break;
		case O_ON_LINK_LOSS:
			if (vplan_link_loss_parse(optarg, &req.on_link_loss) < 0)
				return vh_usage(ctx, "plan: --on-link-loss takes cancel or continue, "
						"not '%s'", optarg);
			break;
		case O_FORCE: force = true; break;
		case O_CHECK: check = optarg; break;
		case 'o': out = optarg; break;
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
			       "of it this host is.\n");
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
	if (argc - optind != 1 || !req.dest)
		return vh_usage(ctx, "usage: vmhop plan %s", PLAN_USAGE);
	if (force && !out)
		return vh_usage(ctx, "plan: --force is for -o FILE");
	req.vm = argv[optind];
	r = vplan_build(&req, NULL, &p, &e);
	if (r < 0)
		return vh_fail(ctx, &e);
	{
		uint32_t *dst[5] = { &p.timeouts.connect, &p.timeouts.sync, &p.timeouts.stall,
				     &p.timeouts.migrate, &p.timeouts.gate };

		for (size_t i = 0; i < 5; i++)
			if (to.v[i])
				*dst[i] = to.v[i];
		if ((r = vplan_validate(&p, &e)) < 0) {
			memset(&p, 0, sizeof(p));
			return vh_fail(ctx, &e);
		}
	}
	if (out) {
		r = vplan_save(&p, out, force, &e);
		if (r == 0)
			vh_print(ctx, summary(&p, out));
	} else {
		json_object *o = vplan_to_json(&p);

		if (!o) {
			r = vh_err(&e, -ENOMEM, "out of memory");
		} else {
			/* The plan itself is JSON, with or without --json. */
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_SPACED));
			fflush(stdout);
			json_object_put(o);
		}
	}
	memset(&p, 0, sizeof(p));
	return r < 0 ? vh_fail(ctx, &e) : VH_EXIT_OK;
}
