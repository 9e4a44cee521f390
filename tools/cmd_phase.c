/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The phase commands: vmhop preflight|prepare|bridge|wait-sync|migrate|
 * resume|release|cleanup|abort|restart --plan FILE (vmhop status: cmd_status.c).
 * Parse, call src/core/engine, print.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/journal.h"
#include "oplog.h"
#include "phase.h"
#include "vmhop.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

volatile sig_atomic_t *phase_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* An ssh connection that drops under `vmhop send`: stop between steps
	 * as for SIGTERM, never in the middle of one; and a write to the
	 * closed terminal fails (EPIPE) instead of killing the process. */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &stop_flag;
}


int phase_parse(struct vh_ctx *ctx, const char *name, int argc, char **argv,
		struct phase_args *a)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "uri", required_argument, NULL, 'u' },
		{ "leave-paused", no_argument, NULL, 'l' },
		{ "no-abort", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "migrate-retries", required_argument, NULL, 'r' },
		{ "no-log", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool migrate = !strcmp(name, "migrate");
	bool whole = !strcmp(name, "send") || !strcmp(name, "receive");
	bool restart = !strcmp(name, "restart");
	int c;

	memset(a, 0, sizeof(*a));
	a->migrate_retries = VH_MIGRATE_RETRIES;
	/* this host's libvirt: --uri, else VMHOP_LIBVIRT_URI, as plan and virt */
	a->uri = vh_env_local_uri();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->plan = optarg; break;
		case 'd': a->state_dir = optarg; break;
		case 'u': a->uri = optarg; break;
		case 'L': a->no_log = true; break;
		case 'l':
			if (!migrate)
				return vh_usage(ctx, "%s: --leave-paused is for migrate", name);
			a->leave_paused = true;
			break;
		case 'n':
			if (!whole)
				return vh_usage(ctx, "%s: --no-abort is for send and receive", name);
			a->no_abort = true;
			break;
		case 'r': {
			uint64_t v;

			if (strcmp(name, "send"))
				return vh_usage(ctx, "%s: --migrate-retries is for send", name);
			if (vnum_u64(optarg, 0, VH_MIGRATE_RETRIES_MAX, &v) < 0)
				return vh_usage(ctx, "%s: --migrate-retries takes 0 to %u, not '%s'",
						name, VH_MIGRATE_RETRIES_MAX, optarg);
			a->migrate_retries = (unsigned)v;
			break;
		}
		case 'f':
			if (!restart)
				return vh_usage(ctx, "%s: --force is for restart", name);
			a->force = true;
			break;
		case 'h':
			printf("usage: vmhop %s --plan FILE [--state-dir DIR] [--uri LOCAL-URI]%s "
			       "[--no-log] [--json]\n", name, migrate ? " [--leave-paused]" :
			       !strcmp(name, "send") ? " [--no-abort] [--migrate-retries N]" :
			       whole ? " [--no-abort]" : restart ? " [--force]" : "");
			if (!strcmp(name, "send"))
				printf("  --migrate-retries N  a migration libvirt cancelled because DRBD "
				       "lost its link\n                       (the VM still runs here) is "
				       "tried again up to N times,\n                       each once DRBD "
				       "has reconnected and resynced (default %u; 0: abort)\n",
				       VH_MIGRATE_RETRIES);
			printf("  --no-log             no records in the system log (journalctl -t "
			       "vmhop);\n                       VMHOP_LOG=0 does the same\n");
			return -1;
		default:
			return vh_usage(ctx, "%s: unknown option '%s'", name, argv[optind - 1]);
		}
	}
	if (optind != argc)
		return vh_usage(ctx, "%s: unexpected argument '%s'", name, argv[optind]);
	if (!a->plan)
		return vh_usage(ctx, "%s: --plan FILE is required", name);
	return vh_check_local_uri(ctx, name, a->uri);
}

struct printer {
	struct vh_ctx *ctx;
	int last_permille;
	struct oplog *log;
};

static void on_event(const struct veng_event *ev, void *ud)
{
	struct printer *pr = ud;

	oplog_event(pr->log, ev);
	if (pr->ctx->json)
		return;
	if (!strcmp(ev->what, "step")) {
		printf("  - %s\n", ev->step);
	} else if (!strcmp(ev->what, "twin")) {
		printf("  ! libvirt resumed the VM here after it ran on the destination (%s): "
		       "fenced, it wrote nothing; it goes\n", ev->step);
	} else if (!strcmp(ev->what, "sync") && ev->progress &&
		   (int)ev->progress->permille / 50 != pr->last_permille / 50) {
		pr->last_permille = (int)ev->progress->permille;
		printf("  sync /dev/drbd%u: %u.%u%% (%llu KiB left)\n", ev->minor,
		       ev->progress->permille / 10, ev->progress->permille % 10,
		       (unsigned long long)ev->progress->left_kib);
	} else if (!strcmp(ev->what, "gate") && ev->st) {
		printf("  gate /dev/drbd%u: %s %s/%s, %llu KiB out of sync\n", ev->minor,
		       drbdnl_conn_name(ev->st->conn), drbdnl_disk_name(ev->st->disk),
		       drbdnl_disk_name(ev->st->pdsk), (unsigned long long)ev->st->bits_oos * 4);
	} else if (!strcmp(ev->what, "link-lost") && ev->st) {
		printf("  DRBD lost its link during the migration: /dev/drbd%u %s %s/%s (%s)\n",
		       ev->minor, drbdnl_conn_name(ev->st->conn), drbdnl_disk_name(ev->st->disk),
		       drbdnl_disk_name(ev->st->pdsk), !strcmp(ev->step, "cancel") ?
		       "cancelling libvirt's job" : "on_link_loss continue: the gate will wait");
	}
	vh_flush();
}

const char *phase_outcome(enum veng_outcome o, bool move)
{
	return o == VENG_UNDONE ? "undone" : o == VENG_STATE_LEFT ? "state-left" :
	       move ? "moved" : "ok";
}

json_object *phase_next_json(const struct vplan *p, enum vplan_role role,
			     const struct veng_next *n, const char *plan_path)
{
	json_object *o = json_object_new_object();
	/* the host the action is for: this one, or the other */
	bool src = (role == VPLAN_ROLE_SOURCE) == (n->where == VENG_HERE);
	char cmd[4200];

	json_object_object_add(o, "action", json_object_new_string(
		n->act == VENG_ACT_PHASE ? veng_phase_name(n->phase) : veng_act_name(n->act)));
	if (n->act == VENG_ACT_PHASE) {
		snprintf(cmd, sizeof(cmd), "vmhop %s --plan %s", veng_phase_name(n->phase),
			 plan_path ? plan_path : "FILE");
		json_object_object_add(o, "command", json_object_new_string(cmd));
	} else {
		json_object_object_add(o, "command", NULL);
	}
	json_object_object_add(o, "host", json_object_new_string(src ? p->source.host :
								  p->dest.host));
	json_object_object_add(o, "role", json_object_new_string(vplan_role_name(
		src ? VPLAN_ROLE_SOURCE : VPLAN_ROLE_DEST)));
	json_object_object_add(o, "text", json_object_new_string(n->text));
	return o;
}

/*
 * The role this host's journal of the plan's move records: when the plan's
 * address is no longer on this host (an interface down after a reboot), a
 * move begun here can still be aborted, released, restarted or cleaned up.
 * Only a journal of the same resource counts.
 */
static int journal_role(const char *dir, const struct vplan *p, enum vplan_role *ret)
{
	char path[4096];
	struct vjournal *j = NULL;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s.journal", dir ? dir : vjournal_dir(),
		     p->vm_uuid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((r = vjournal_read(path, &j, NULL)) < 0)
		return r;
	r = strcmp(vjournal_plan(j)->resource, p->resource) ? -ENOENT : 0;
	if (r == 0)
		*ret = vjournal_role(j);
	vjournal_close(j);
	return r;
}

int open_session(const struct phase_args *a, struct session *s, struct vh_error *e)
{
	struct veng_real_opts o = {
		.local_uri = a->uri, .cancel = &stop_flag,
		.on_event = a->on_event, .event_ud = a->event_ud,
	};
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = vplan_load(a->plan, &s->plan, e)) < 0)
		return r;
	if ((r = vplan_role(&s->plan, NULL, NULL, &s->role, e)) < 0 &&
	    journal_role(a->state_dir, &s->plan, &s->role) < 0)
		return r;
	if ((r = vjournal_open(a->state_dir, &s->plan, s->role, &s->journal, e)) < 0)
		return r;
	if ((r = veng_journal_load(s->journal, &s->plan, s->role, &s->st, &s->have_state, e)) < 0)
		return r;
	o.journal = s->journal;
	if ((r = veng_real_open(&s->plan, &o, &s->real, e)) < 0)
		return r;
	return veng_init(&s->g, &s->plan, s->role, s->have_state ? &s->st : NULL,
			 &veng_real_ops, s->real, e);
}

void close_session(struct session *s)
{
	veng_real_close(s->real);
	vjournal_close(s->journal);
}

static json_object *result_json(const struct session *s, const struct veng_result *res,
				const char *plan_path)
{
	json_object *o = vh_json_object(), *fz = json_object_new_array();

	json_object_object_add(o, "phase", json_object_new_string(veng_phase_name(res->phase)));
	json_object_object_add(o, "role", json_object_new_string(vplan_role_name(s->role)));
	json_object_object_add(o, "resource", json_object_new_string(s->plan.resource));
	json_object_object_add(o, "outcome", json_object_new_string(phase_outcome(res->outcome, false)));
	json_object_object_add(o, "steps", json_object_new_int((int)res->acted));
	json_object_object_add(o, "wall_ms", json_object_new_double(res->wall_ns / 1e6));
	if (res->phase == VENG_BRIDGE) {
		for (size_t i = 0; i < s->plan.n_disks; i++)
			json_object_array_add(fz, json_object_new_int64(s->g.st.disks[i].freeze_ns));
		json_object_object_add(o, "freeze_ns", fz);
	} else {
		json_object_put(fz);
	}
	if (res->phase == VENG_MIGRATE || res->phase == VENG_RESUME) {
		json_object_object_add(o, "gate", json_object_new_string(veng_gate_name(res->gate)));
		if (res->downtime_ms)
			json_object_object_add(o, "downtime_ms",
					       json_object_new_int64((int64_t)res->downtime_ms));
		phase_switch_json(o, res);
	}
	json_object_object_add(o, "next", phase_next_json(&s->plan, s->role, &res->next, plan_path));
	return o;
}

/* A number with three decimals, as printed (not 0.23200000000000001). */
static json_object *ms3(double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", v);
	return json_object_new_double_s(v, buf);
}

void phase_switch_json(json_object *o, const struct veng_result *r)
{
	json_object *steps = json_object_new_object();
	int64_t before = 0;

	for (int k = 0; k < VENG_SW_STEPS; k++) {
		if (!r->switch_at_ns[k])
			continue;
		json_object_object_add(steps, veng_switch_step_names[k],
				       ms3((r->switch_at_ns[k] - before) / 1e6));
		before = r->switch_at_ns[k];
	}
	json_object_object_add(o, "switch_ms", ms3(r->switch_ns / 1e6));
	json_object_object_add(o, "early_switch", json_object_new_boolean(r->early));
	json_object_object_add(o, "fenced", json_object_new_boolean(r->fenced));
	json_object_object_add(o, "twin", json_object_new_boolean(r->twin));
	json_object_object_add(o, "switch_steps_ms", steps);
}

int cmd_phase(struct vh_ctx *ctx, int argc, char **argv)
{
	/* one per process, its ring allocated before any phase runs */
	static struct oplog lg;
	struct printer pr = { .ctx = ctx, .last_permille = -100, .log = &lg };
	struct vh_error e = { 0 };
	struct veng_result res = { 0 };
	struct phase_args a;
	struct session s;
	enum veng_phase ph;
	int r, rc;

	if (veng_phase_parse(argv[0], &ph) < 0)
		return vh_usage(ctx, "unknown phase '%s'", argv[0]);
	if ((rc = phase_parse(ctx, argv[0], argc, argv, &a)))
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((r = open_session(&a, &s, &e)) < 0) {
		/* the plan only once it was loaded (a role was found) */
		oplog_init(&lg, oplog_wanted(a.no_log), argv[0],
			   s.role != VPLAN_ROLE_NONE ? &s.plan : NULL, s.role, 0);
		oplog_fail(&lg, a.plan, &e);
		close_session(&s);
		return vh_fail(ctx, &e);
	}
	oplog_init(&lg, oplog_wanted(a.no_log), argv[0], s.g.plan, s.role, 0);
	s.g.stop = phase_signals();
	s.g.on_event = on_event;
	s.g.event_ud = &pr;
	/* veng_run sends no phase-start and phase-end (send's run.c does): the
	 * log gets its own, so that a phase's records wait for its end */
	oplog_event(&lg, &(struct veng_event){ .what = "phase-start", .phase = (int)ph });
	res.phase = ph;
	r = veng_run(&s.g, ph, (a.leave_paused ? VENG_LEAVE_PAUSED : 0) | (a.force ? VENG_FORCE : 0),
		     &res, &e);
	oplog_event(&lg, &(struct veng_event){ .what = "phase-end", .phase = (int)ph,
					       .result = &res, .rc = r, .err = r < 0 ? &e : NULL });
	if (r < 0) {
		/* Something of the move is here: say what is safe now. */
		bool here = s.have_state || s.g.st.doing[0] || s.g.st.helper_taken;
		struct veng_next next;

		veng_next(&s.g, &next);
		rc = vh_fail_next(ctx, &e, here ? phase_next_json(&s.plan, s.role, &next, a.plan) :
				  NULL);
		if (!ctx->json && here)
			fprintf(stderr, "vmhop: next safe action here: %s (vmhop status --plan %s)\n",
				next.text, a.plan);
		close_session(&s);
		return rc;
	}
	if (ctx->json) {
		vh_print(ctx, result_json(&s, &res, a.plan));
	} else {
		printf("%s on %s (%s of %s, VM %s): %s, %u step%s in %.3f s", veng_phase_name(ph),
		       s.role == VPLAN_ROLE_SOURCE ? s.plan.source.host : s.plan.dest.host,
		       vplan_role_name(s.role), s.plan.resource, s.plan.vm_name,
		       res.outcome == VENG_UNDONE ? "undone: this host is as it was" :
		       res.outcome == VENG_STATE_LEFT ? "STOPPED, state left behind" :
		       res.acted ? "done" : "nothing to do", res.acted, res.acted == 1 ? "" : "s",
		       res.wall_ns / 1e9);
		if (ph == VENG_BRIDGE)
			for (size_t i = 0; i < s.plan.n_disks; i++)
				printf("; freeze window %s: %.1f us", s.plan.disks[i].lv,
				       s.g.st.disks[i].freeze_ns / 1e3);
		if (res.downtime_ms)
			printf("; libvirt downtime %llu ms", (unsigned long long)res.downtime_ms);
		printf("\nnext: %s\n", res.next.text);
		vh_flush();	/* before close_session: liblvm2cmd reopens stdout */
	}
	close_session(&s);
	return res.outcome == VENG_UNDONE ? VH_EXIT_UNDONE :
	       res.outcome == VENG_STATE_LEFT ? VH_EXIT_STATE_LEFT : VH_EXIT_OK;
}
