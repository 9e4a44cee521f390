/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop send --plan FILE (on S) and vmhop receive --plan FILE (on D): the
 * whole move in one process per host (src/core/run.h).  On a terminal: the
 * phases, progress bars, each freeze window and a closing summary; with
 * --json: one JSON event per line (docs/events.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/run.h"
#include "oplog.h"
#include "phase.h"
#include "virt/virt.h"
#include "vmhop.h"

#define MIB (1024.0 * 1024.0)

struct sync_track {
	uint32_t minor;
	int64_t t_first, t_last_line;
	uint64_t left_first, total_kib;
	unsigned last_permille;
	bool seen;
	int cstate;		/* the connection state last reported, -1 none */
};

struct out {
	struct vh_ctx *ctx;
	const struct session *s;
	const char *host;
	const char *plan_path;	/* --plan, for the next action's command */
	int64_t t0;
	bool tty;
	bool bar;		/* a progress bar is on the current line */
	int phase;		/* the phase under way */
	struct sync_track sync[VPLAN_MAX_DISKS];
	uint64_t synced_kib;	/* the largest resync seen, summed over the disks */
	int64_t t_sync0, t_sync1;	/* the first resync report, the end of the first
					 * wait-sync (the full sync; a retry's resync is not
					 * in the summary's rate) */
	int64_t t_mig_line;
	unsigned mig_last_pct;
	bool mig_converging;	/* the last line said so: a change is said at once */
	bool mig_held;		/* ... and this */
	uint64_t mig_total;
	char last_gate[160];
	struct oplog *log;	/* the system log's records (oplog.h) */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double since(const struct out *o)
{
	return (mono_ns() - o->t0) / 1e9;
}

static void end_bar(struct out *o)
{
	if (o->bar) {
		putchar('\n');
		o->bar = false;
	}
}

/* A number with three decimals, as printed (not 0.23200000000000001). */
static json_object *jdbl(double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", v);
	return json_object_new_double_s(v, buf);
}

static void print_switch_steps(const struct veng_result *r)
{
	int64_t before = 0;
	const char *sep = " (";

	for (int k = 0; k < VENG_SW_STEPS; k++) {
		if (!r->switch_at_ns[k])
			continue;
		printf("%s%s %.0f", sep, veng_switch_step_names[k],
		       (r->switch_at_ns[k] - before) / 1e6);
		before = r->switch_at_ns[k];
		sep = ", ";
	}
	if (strcmp(sep, " ("))
		printf(" ms)");
}

/* A JSON event line: {"schema": 1, "event": WHAT, "t": seconds, "host": ..., ...}. */
static json_object *jev(struct out *o, const char *what)
{
	json_object *j = vh_json_object();

	json_object_object_add(j, "event", json_object_new_string(what));
	json_object_object_add(j, "t", jdbl(since(o)));
	json_object_object_add(j, "host", json_object_new_string(o->host));
	return j;
}

static void jput(json_object *j, const char *k, json_object *v)
{
	json_object_object_add(j, k, v);
}

static void bar_text(char *buf, size_t len, double frac)
{
	size_t w = 24, n = (size_t)(frac * (double)w + 0.5);

	if (len < w + 3)
		return;
	buf[0] = '[';
	for (size_t i = 0; i < w; i++)
		buf[1 + i] = i < n ? '#' : '.';
	buf[w + 1] = ']';
	buf[w + 2] = '\0';
}

static struct sync_track *track(struct out *o, uint32_t minor)
{
	/* the engine's plan: D's own minors in place of the plan's */
	for (size_t i = 0; i < o->s->g.plan->n_disks; i++)
		if (o->s->g.plan->disks[i].minor == minor)
			return &o->sync[i];
	return &o->sync[0];
}

static void on_sync(struct out *o, const struct veng_event *ev)
{
	struct sync_track *t = track(o, ev->minor);
	const struct drbdnl_progress *p = ev->progress;
	int64_t now = mono_ns();
	double rate = 0, eta = -1;
	uint64_t synced_total = 0;

	if (ev->st && ev->st->conn != t->cstate &&
	    (ev->st->conn < DRBDNL_C_CONNECTED || t->cstate < DRBDNL_C_CONNECTED)) {
		/* The link: waiting for the peer, lost, or (back) up. */
		t->cstate = ev->st->conn;
		if (o->ctx->json) {
			json_object *j = jev(o, "link");

			jput(j, "minor", json_object_new_int64(ev->minor));
			jput(j, "cstate", json_object_new_string(drbdnl_conn_name(ev->st->conn)));
			vh_print_line(o->ctx, j);
		} else {
			end_bar(o);
			printf("  /dev/drbd%u: %s%s\n", ev->minor, drbdnl_conn_name(ev->st->conn),
			       ev->st->conn < DRBDNL_C_CONNECTED ? " (waiting for the peer)" : "");
			vh_flush();
		}
	}
	if (ev->st)
		t->cstate = ev->st->conn;
	/* Nothing to show while the peers still compare their bitmaps. */
	if (!p || (ev->st && ev->st->conn < DRBDNL_C_CONNECTED) ||
	    (!p->total_kib && !p->left_kib && p->permille < 1000))
		return;
	if (!o->t_sync0)
		o->t_sync0 = now;
	/* the overlap: the sync ends inside migrate (its last report) */
	if (p->permille >= 1000 && !p->left_kib && o->phase == VENG_MIGRATE && !o->t_sync1)
		o->t_sync1 = now;
	if (!t->seen || p->left_kib > t->left_first) {
		t->seen = true;
		t->t_first = now;
		t->left_first = p->left_kib;
		t->t_last_line = 0;
	}
	if (p->total_kib > t->total_kib)
		t->total_kib = p->total_kib;
	for (size_t i = 0; i < o->s->plan.n_disks; i++)
		synced_total += o->sync[i].total_kib;
	if (synced_total > o->synced_kib)
		o->synced_kib = synced_total;
	if (now > t->t_first && t->left_first > p->left_kib) {
		rate = (double)(t->left_first - p->left_kib) / ((now - t->t_first) / 1e9);
		eta = rate > 0 ? (double)p->left_kib / rate : -1;
	}
	/* At most one report a second (and the last one), a line per 10% off a terminal. */
	if (p->permille < 1000 && t->t_last_line && now - t->t_last_line < 1000000000)
		return;
	if (!o->ctx->json && !o->tty && p->permille < 1000 &&
	    p->permille / 100 == t->last_permille / 100 && t->t_last_line &&
	    now - t->t_last_line < 10000000000LL)
		return;
	t->t_last_line = now;
	t->last_permille = p->permille;
	if (o->ctx->json) {
		json_object *j = jev(o, "sync");

		jput(j, "minor", json_object_new_int64(ev->minor));
		jput(j, "permille", json_object_new_int((int)p->permille));
		jput(j, "left_kib", json_object_new_int64((int64_t)p->left_kib));
		jput(j, "total_kib", json_object_new_int64((int64_t)p->total_kib));
		jput(j, "rate_kib_s", json_object_new_int64((int64_t)rate));
		if (eta >= 0)
			jput(j, "eta_s", json_object_new_int64((int64_t)(eta + 0.5)));
		vh_print_line(o->ctx, j);
		return;
	}
	{
		char b[32] = "", etas[32] = "";

		bar_text(b, sizeof(b), p->permille / 1000.0);
		if (eta >= 0)
			snprintf(etas, sizeof(etas), ", %.0f s left", eta);
		printf("%s  sync /dev/drbd%u %s %5.1f%%  %.1f MiB/s, %.1f MiB to go%s%s",
		       o->tty ? "\r" : "", ev->minor, b, p->permille / 10.0, rate / 1024.0,
		       p->left_kib / 1024.0, etas, o->tty ? "\033[K" : "\n");
		o->bar = o->tty;
		vh_flush();
	}
}

static void on_migrate(struct out *o, const struct vvirt_progress *m)
{
	int64_t now = mono_ns();
	uint64_t total = m->data_total, done = m->data_processed;
	unsigned pct = total ? (unsigned)(done * 100 / total) : 0;

	if (total > o->mig_total)
		o->mig_total = total;
	if (m->converging == o->mig_converging && m->held == o->mig_held) {
		if (o->t_mig_line && now - o->t_mig_line < 1000000000)
			return;
		if (!o->ctx->json && !o->tty && o->t_mig_line && pct / 10 == o->mig_last_pct / 10 &&
		    now - o->t_mig_line < 10000000000LL)
			return;
	}
	o->t_mig_line = now;
	o->mig_last_pct = pct;
	o->mig_converging = m->converging;
	o->mig_held = m->held;
	if (o->ctx->json) {
		json_object *j = jev(o, "migrate");

		jput(j, "elapsed_ms", json_object_new_int64((int64_t)m->elapsed_ms));
		jput(j, "data_total", json_object_new_int64((int64_t)m->data_total));
		jput(j, "data_processed", json_object_new_int64((int64_t)m->data_processed));
		jput(j, "data_remaining", json_object_new_int64((int64_t)m->data_remaining));
		jput(j, "mem_bps", json_object_new_int64((int64_t)m->mem_bps));
		jput(j, "mem_iteration", json_object_new_int64((int64_t)m->mem_iteration));
		if (m->have_downtime)
			jput(j, "expected_downtime_ms", json_object_new_int64((int64_t)m->downtime_ms));
		jput(j, "throttle_pct", json_object_new_int64((int64_t)m->throttle_pct));
		jput(j, "converging", json_object_new_boolean(m->converging));
		jput(j, "held", json_object_new_boolean(m->held));
		vh_print_line(o->ctx, j);
		return;
	}
	{
		char b[32] = "", t[32] = "";

		bar_text(b, sizeof(b), total ? (double)done / (double)total : 0);
		if (m->throttle_pct)
			snprintf(t, sizeof(t), ", vCPUs throttled %u%%", m->throttle_pct);
		printf("%s  migration %s %3u%%  %.1f MiB/s, %.1f MiB to go, pass %" PRIu64 "%s%s%s%s",
		       o->tty ? "\r" : "", b, pct, m->mem_bps / MIB, m->data_remaining / MIB,
		       m->mem_iteration, t, m->held ? ", held until DRBD is in sync" : "",
		       m->converging ? ", converging (limits lifted)" : "",
		       o->tty ? "\033[K" : "\n");
		o->bar = o->tty;
		vh_flush();
	}
}

static void on_gate(struct out *o, const struct veng_event *ev)
{
	char line[160];

	if (!ev->st)
		return;
	snprintf(line, sizeof(line), "/dev/drbd%u: %s %s/%s, %" PRIu64 " KiB out of sync",
		 ev->minor, drbdnl_conn_name(ev->st->conn), drbdnl_disk_name(ev->st->disk),
		 drbdnl_disk_name(ev->st->pdsk), ev->st->bits_oos * 4);
	if (!strcmp(line, o->last_gate))
		return;
	snprintf(o->last_gate, sizeof(o->last_gate), "%s", line);
	if (o->ctx->json) {
		json_object *j = jev(o, "gate");

		jput(j, "minor", json_object_new_int64(ev->minor));
		jput(j, "cstate", json_object_new_string(drbdnl_conn_name(ev->st->conn)));
		jput(j, "disk", json_object_new_string(drbdnl_disk_name(ev->st->disk)));
		jput(j, "peer_disk", json_object_new_string(drbdnl_disk_name(ev->st->pdsk)));
		jput(j, "out_of_sync_kib", json_object_new_int64((int64_t)ev->st->bits_oos * 4));
		vh_print_line(o->ctx, j);
		return;
	}
	end_bar(o);
	printf("  gate %s\n", line);
}

/* DRBD lost its link while libvirt migrated: what the plan says to do. */
static void on_link_lost(struct out *o, const struct veng_event *ev)
{
	bool cancel = ev->step && !strcmp(ev->step, "cancel");

	if (!ev->st)
		return;
	if (o->ctx->json) {
		json_object *j = jev(o, "link-lost");

		jput(j, "minor", json_object_new_int64(ev->minor));
		jput(j, "cstate", json_object_new_string(drbdnl_conn_name(ev->st->conn)));
		jput(j, "disk", json_object_new_string(drbdnl_disk_name(ev->st->disk)));
		jput(j, "peer_disk", json_object_new_string(drbdnl_disk_name(ev->st->pdsk)));
		jput(j, "action", json_object_new_string(cancel ? "cancel" : "continue"));
		vh_print_line(o->ctx, j);
		return;
	}
	end_bar(o);
	printf("  DRBD lost its link during the migration: /dev/drbd%u %s %s/%s: %s\n", ev->minor,
	       drbdnl_conn_name(ev->st->conn), drbdnl_disk_name(ev->st->disk),
	       drbdnl_disk_name(ev->st->pdsk), cancel ? "cancelling libvirt's job (the VM stays "
	       "here)" : "on_link_loss continue: the migration goes on, the gate will wait");
	vh_flush();
}

/* The migration cancelled for a lost link is tried again (run.c). */
static void on_retry(struct out *o, const struct veng_event *ev)
{
	unsigned n = ev->retry;

	if (o->ctx->json) {
		json_object *j = jev(o, "retry");

		jput(j, "phase", json_object_new_string("migrate"));
		jput(j, "retry", json_object_new_int((int)n));
		jput(j, "errno", json_object_new_int(-ev->rc));
		jput(j, "message", json_object_new_string(ev->err ? ev->err->msg : ""));
		vh_print_line(o->ctx, j);
		return;
	}
	end_bar(o);
	printf("  the VM still runs here: migration retry %u once DRBD has reconnected and "
	       "resynced (wait-sync again)\n", n);
	vh_flush();
}

static void freeze_windows(struct out *o, const struct veng_result *res)
{
	for (size_t i = 0; i < o->s->plan.n_disks; i++) {
		const struct vplan_disk *d = &o->s->plan.disks[i];

		if (!res->freeze_ns[i])
			continue;
		if (o->ctx->json) {
			json_object *j = jev(o, "freeze");
			char lv[300];

			snprintf(lv, sizeof(lv), "%s/%s", d->vg, d->lv);
			jput(j, "disk", json_object_new_string(lv));
			jput(j, "ns", json_object_new_int64(res->freeze_ns[i]));
			vh_print_line(o->ctx, j);
		} else {
			printf("  freeze window %s/%s: %.3f ms (VM's I/O to it held)\n", d->vg, d->lv,
			       res->freeze_ns[i] / 1e6);
		}
	}
}

static void on_phase(struct out *o, const struct veng_event *ev)
{
	const char *name = vrun_phase_name(ev->phase);
	bool start = !strcmp(ev->what, "phase-start");
	const struct veng_result *res = ev->result;

	if (start)
		o->phase = ev->phase;
	else if (ev->phase == VENG_WAIT_SYNC && !o->t_sync1)
		o->t_sync1 = mono_ns();
	if (o->ctx->json) {
		json_object *j = jev(o, ev->what);

		jput(j, "phase", json_object_new_string(name));
		if (!start && res) {
			jput(j, "ok", json_object_new_boolean(ev->rc == 0));
			jput(j, "outcome", json_object_new_string(ev->rc < 0 ? "failed" :
								  phase_outcome(res->outcome, false)));
			jput(j, "wall_ms", jdbl(res->wall_ns / 1e6));
			jput(j, "steps", json_object_new_int((int)res->acted));
			if (ev->rc < 0 && ev->err) {
				jput(j, "errno", json_object_new_int(-ev->rc));
				jput(j, "message", json_object_new_string(ev->err->msg));
			}
			if (ev->phase == VENG_MIGRATE && ev->rc == 0) {
				jput(j, "downtime_ms", json_object_new_int64((int64_t)res->downtime_ms));
				phase_switch_json(j, res);
			}
		}
		vh_print_line(o->ctx, j);
		if (!start && ev->phase == VENG_BRIDGE && res)
			freeze_windows(o, res);
		return;
	}
	end_bar(o);
	if (start) {
		printf("[%7.1f s] %s\n", since(o), ev->phase == VRUN_WAIT_VM ?
		       "wait for the VM to arrive and run here" : name);
	} else {
		if (ev->phase == VENG_BRIDGE && res && ev->rc == 0)
			freeze_windows(o, res);
		if (ev->rc < 0)
			printf("[%7.1f s] %s FAILED after %.1f s: %s\n", since(o), name,
			       res ? res->wall_ns / 1e9 : 0.0, ev->err ? ev->err->msg : "");
		else
			printf("[%7.1f s] %s: %s in %.1f s\n", since(o), name,
			       res && res->outcome == VENG_UNDONE ? "undone" :
			       ev->phase == VENG_WAIT_SYNC ? "in sync" :
			       ev->phase == VRUN_WAIT_VM ? "the VM runs here, S disconnected" :
			       res && !res->acted ? "nothing to do" : "done",
			       res ? res->wall_ns / 1e9 : 0.0);
	}
	vh_flush();
}

static void on_event(const struct veng_event *ev, void *ud)
{
	struct out *o = ud;

	oplog_event(o->log, ev);
	if (!strcmp(ev->what, "phase-start") || !strcmp(ev->what, "phase-end")) {
		on_phase(o, ev);
	} else if (!strcmp(ev->what, "sync")) {
		on_sync(o, ev);
	} else if (!strcmp(ev->what, "migrate") && ev->migration) {
		on_migrate(o, ev->migration);
	} else if (!strcmp(ev->what, "gate")) {
		on_gate(o, ev);
	} else if (!strcmp(ev->what, "link-lost")) {
		on_link_lost(o, ev);
	} else if (!strcmp(ev->what, "retry")) {
		on_retry(o, ev);
	} else if (!strcmp(ev->what, "step") || !strcmp(ev->what, "wait") ||
		   !strcmp(ev->what, "twin")) {
		if (o->ctx->json) {
			json_object *j = jev(o, ev->what);

			jput(j, "phase", json_object_new_string(vrun_phase_name(o->phase)));
			jput(j, "what", json_object_new_string(ev->step ? ev->step : ""));
			vh_print_line(o->ctx, j);
		} else {
			end_bar(o);
			if (!strcmp(ev->what, "twin"))
				printf("  ! libvirt resumed the VM here after it ran on the destination "
				       "(%s): fenced, it wrote nothing; it goes\n", ev->step);
			else
				printf("  %s %s\n", !strcmp(ev->what, "wait") ? "now:" : "-", ev->step);
			vh_flush();
		}
	}
}

/* What is next when the move is done here: nothing. */
static void next_of(const struct vrun_summary *sum, int rc, struct veng_next *ret)
{
	if (rc == 0)
		veng_next_set(ret, VENG_ACT_NONE, VENG_PHASES, VENG_HERE,
			      "nothing: the move is done on this host");
	else
		*ret = sum->next;
}

static void summary(struct out *o, const struct session *s, const struct vrun_summary *sum,
		    int rc, int code, const struct vh_error *e)
{
	static const int order[] = {
		VENG_PREPARE, VENG_BRIDGE, VENG_WAIT_SYNC, VENG_MIGRATE, VRUN_WAIT_VM,
		VENG_RELEASE, VENG_CLEANUP, VENG_ABORT,
	};
	const struct veng_result *mig = &sum->res[VENG_MIGRATE];
	/* The rate of the resync itself, not of the wait for the peer before it. */
	int64_t sync_ns = o->t_sync0 && o->t_sync1 > o->t_sync0 ? o->t_sync1 - o->t_sync0 : 0;
	double rate = sync_ns > 0 ? o->synced_kib / 1024.0 / (sync_ns / 1e9) : 0;
	bool is_s = s->role == VPLAN_ROLE_SOURCE;
	struct veng_next next;

	next_of(sum, rc, &next);
	if (o->ctx->json) {
		json_object *j = jev(o, "summary"), *ph = json_object_new_object();
		json_object *fz = json_object_new_array();

		jput(j, "role", json_object_new_string(vplan_role_name(s->role)));
		jput(j, "vm", json_object_new_string(s->plan.vm_name));
		jput(j, "resource", json_object_new_string(s->plan.resource));
		jput(j, "outcome", json_object_new_string(sum->untouched ? "refused" :
							  phase_outcome(sum->outcome, true)));
		jput(j, "ok", json_object_new_boolean(rc == 0));
		jput(j, "exit", json_object_new_int(code));
		if (rc < 0) {
			jput(j, "errno", json_object_new_int(-rc));
			jput(j, "message", json_object_new_string(e->msg));
			jput(j, "failed_phase", json_object_new_string(sum->failed >= 0 ?
					vrun_phase_name(sum->failed) : "start"));
		}
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			if (sum->ran[order[i]])
				jput(ph, vrun_phase_name(order[i]),
				     jdbl(sum->res[order[i]].wall_ns / 1e6));
		jput(j, "phase_ms", ph);
		jput(j, "total_ms", jdbl(sum->wall_ns / 1e6));
		if (is_s) {
			for (size_t i = 0; i < s->plan.n_disks; i++)
				json_object_array_add(fz, json_object_new_int64(
						s->g.st.disks[i].freeze_ns));
			jput(j, "freeze_ns", fz);
			if (sum->ran[VENG_MIGRATE]) {
				jput(j, "downtime_ms", json_object_new_int64((int64_t)mig->downtime_ms));
				phase_switch_json(j, mig);
			}
		} else {
			json_object_put(fz);
		}
		if (is_s)
			jput(j, "migrate_retries", json_object_new_int((int)sum->retries));
		jput(j, "synced_kib", json_object_new_int64((int64_t)o->synced_kib));
		jput(j, "sync_rate_mib_s", jdbl((int64_t)(rate * 10) / 10.0));
		jput(j, "next", phase_next_json(&s->plan, s->role, &next, o->plan_path));
		vh_print_line(o->ctx, j);
		return;
	}
	end_bar(o);
	printf("\n%s summary (%s, VM %s, %s): %s in %.1f s\n", is_s ? "send" : "receive",
	       vplan_role_name(s->role), s->plan.vm_name, s->plan.resource,
	       sum->outcome == VENG_OK ? "MOVED" : sum->untouched ? "REFUSED, nothing changed" :
	       sum->outcome == VENG_UNDONE ? "FAILED, undone on this host" :
	       "FAILED, state left on this host",
	       sum->wall_ns / 1e9);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct veng_result *r = &sum->res[order[i]];

		if (!sum->ran[order[i]])
			continue;
		printf("  %-10s %8.1f s", vrun_phase_name(order[i]), r->wall_ns / 1e9);
		if (order[i] == VENG_BRIDGE)
			for (size_t d = 0; d < s->plan.n_disks; d++)
				printf("  freeze window %s/%s %.3f ms", s->plan.disks[d].vg,
				       s->plan.disks[d].lv, s->g.st.disks[d].freeze_ns / 1e6);
		if (order[i] == VENG_WAIT_SYNC && o->synced_kib)
			printf("  %.1f MiB synced in %.1f s, %.1f MiB/s", o->synced_kib / 1024.0,
			       sync_ns / 1e9, rate);
		if (order[i] == VENG_MIGRATE && sum->failed != VENG_MIGRATE) {
			if (mig->downtime_ms)
				printf("  libvirt downtime %" PRIu64 " ms", mig->downtime_ms);
			if (mig->switch_ns) {
				printf(", gate + resume on %s %.0f ms%s", s->plan.dest.host,
				       mig->switch_ns / 1e6, mig->fenced ?
				       " (from D's Finish, S's LVs fenced, before libvirt's Confirm ended)" :
				       mig->early ?
				       " (from S's QEMU's exit, before libvirt's Confirm ended)" : "");
				if (mig->twin)
					printf("; a twin libvirt resumed here was fenced and destroyed");
				print_switch_steps(mig);
			}
		}
		if (order[i] == VENG_MIGRATE && sum->retries)
			printf("  (tried again %u time%s after DRBD lost its link)", sum->retries,
			       sum->retries == 1 ? "" : "s");
		putchar('\n');
	}
	if (rc < 0)
		printf("  error: %s\n  next: %s\n", e->msg, next.text);
	vh_flush();
}

int cmd_send(struct vh_ctx *ctx, int argc, char **argv)
{
	/* one per process, its ring allocated before any phase runs */
	static struct oplog lg;
	bool send = !strcmp(argv[0], "send");
	struct out o = { .ctx = ctx, .t0 = mono_ns(), .tty = isatty(STDOUT_FILENO) == 1, .log = &lg };
	struct vh_error e = { 0 };
	struct vrun_summary sum;
	struct phase_args a;
	struct vrun_opts ro;
	struct session *s;
	int r, rc;

	if ((rc = phase_parse(ctx, argv[0], argc, argv, &a)))
		return rc < 0 ? VH_EXIT_OK : rc;
	ro = (struct vrun_opts){ .no_abort = a.no_abort, .migrate_retries = a.migrate_retries };
	/* The session is large (the engine's state, the plan): not on the stack. */
	if (!(s = calloc(1, sizeof(*s)))) {
		vh_err(&e, -ENOMEM, "out of memory");
		return vh_fail(ctx, &e);
	}
	o.s = s;
	o.plan_path = a.plan;
	for (size_t i = 0; i < VPLAN_MAX_DISKS; i++)
		o.sync[i].cstate = -1;
	a.on_event = on_event;
	a.event_ud = &o;
	/* off until the move is known (no record of an earlier run's) */
	oplog_init(&lg, false, argv[0], NULL, VPLAN_ROLE_NONE, o.t0);
	if ((r = open_session(&a, s, &e)) < 0) {
		/* the plan only once it was loaded (a role was found) */
		oplog_init(&lg, oplog_wanted(a.no_log), argv[0],
			   s->role != VPLAN_ROLE_NONE ? &s->plan : NULL, s->role, o.t0);
		oplog_fail(&lg, a.plan, &e);
		close_session(s);
		free(s);
		return vh_fail(ctx, &e);
	}
	o.host = s->role == VPLAN_ROLE_SOURCE ? s->plan.source.host : s->plan.dest.host;
	oplog_init(&lg, oplog_wanted(a.no_log), argv[0], s->g.plan, s->role, o.t0);
	oplog_start(&lg, s->have_state);
	s->g.stop = phase_signals();
	s->g.on_event = on_event;
	s->g.event_ud = &o;
	if (!ctx->json) {
		printf("vmhop %s: VM %s, %s -> %s, %zu disk%s, resource %s, port %u%s\n", argv[0],
		       s->plan.vm_name, s->plan.source.host, s->plan.dest.host, s->plan.n_disks,
		       s->plan.n_disks == 1 ? "" : "s", s->plan.resource, s->plan.port,
		       s->have_state ? " (going on from this host's journal)" : "");
		vh_flush();
	} else {
		json_object *j = jev(&o, "start");

		jput(j, "command", json_object_new_string(argv[0]));
		jput(j, "role", json_object_new_string(vplan_role_name(s->role)));
		jput(j, "vm", json_object_new_string(s->plan.vm_name));
		jput(j, "resource", json_object_new_string(s->plan.resource));
		jput(j, "resumed", json_object_new_boolean(s->have_state));
		vh_print_line(ctx, j);
	}
	r = send ? vrun_send(&s->g, &ro, &sum, &e) : vrun_receive(&s->g, &ro, &sum, &e);
	if (r < 0 && sum.failed < 0) {
		/* Refused before anything ran (the wrong host, say): a plain error. */
		oplog_fail(&lg, a.plan, &e);
		rc = vh_fail(ctx, &e);
		close_session(s);
		free(s);
		return rc;
	}
	/* A refusal that changed nothing keeps its own exit code (5 busy, 8
	 * module missing, ...); a failure after changes says what became of them. */
	rc = r == 0 ? VH_EXIT_OK : sum.untouched ? vh_exit_code(e.code) :
	     sum.outcome == VENG_UNDONE ? VH_EXIT_UNDONE : VH_EXIT_STATE_LEFT;
	summary(&o, s, &sum, r, rc, &e);
	oplog_summary(&lg, &sum, r, rc, &e);
	if (r < 0) {
		fprintf(stderr, "vmhop: %s\n", e.msg);
		/* README's promise for every failure under --json: the error
		 * object, last, with the exit code the process returns and the
		 * summary's next action */
		vh_json_error(ctx, rc, &e, phase_next_json(&s->plan, s->role, &sum.next, a.plan));
	}
	close_session(s);
	free(s);
	return rc;
}
