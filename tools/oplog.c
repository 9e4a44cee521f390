/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The operator's record of a move in the system log (oplog.h).  Each event
 * becomes a fact (struct oplog_fact: copies and a clock read, nothing
 * else); outside a phase with a window the fact is formatted and written at
 * once, inside one it waits in the ring until the phase's end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "oplog.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* syslog(3): ident vmhop, the pid in each line, facility daemon.  openlog()
 * before each record, not once: liblvm2cmd, loaded in this process, calls
 * openlog("lvm") when it starts and closelog() when it ends, which would
 * tag vmhop's records "lvm" or drop the ident (without LOG_NDELAY, openlog
 * only sets them; the connection to /dev/log is kept).  No LOG_CONS: a
 * host without a log daemon (no /dev/log) loses the records, it does not
 * get them on its console. */
static void to_syslog(int priority, const char *line, void *ud)
{
	(void)ud;
	openlog("vmhop", LOG_PID, LOG_DAEMON);
	syslog(priority, "%s", line);
}

bool oplog_wanted(bool no_log)
{
	const char *v = getenv("VMHOP_LOG");

	return !no_log && !(v && !strcmp(v, "0"));
}

/* ---- one line, in a fixed buffer ------------------------------------------ */

struct cur {
	char *p;
	size_t len, at;
};

static void put(struct cur *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct cur *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->at >= c->len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->p + c->at, c->len - c->at, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->at = c->at + (size_t)n < c->len ? c->at + (size_t)n : c->len - 1;
}

static void put_char(struct cur *c, char ch)
{
	if (c->at < c->len - 1) {
		c->p[c->at++] = ch;
		c->p[c->at] = '\0';
	}
}

/* " key=value", the value in double quotes when it is empty or holds a
 * space, a quote, '=' or a backslash (\" and \\ inside), control
 * characters as \n, \t or '?': one line, split by a shell's read or awk. */
static void put_kv(struct cur *c, const char *key, const char *v)
{
	bool quote = !*v;

	for (const char *s = v; *s && !quote; s++)
		quote = *s == ' ' || *s == '"' || *s == '=' || *s == '\\' ||
			(unsigned char)*s < 0x20 || *s == 0x7f;
	put(c, " %s=", key);
	if (!quote) {
		put(c, "%s", v);
		return;
	}
	put_char(c, '"');
	for (const char *s = v; *s; s++) {
		if (*s == '"' || *s == '\\') {
			put_char(c, '\\');
			put_char(c, *s);
		} else if (*s == '\n') {
			put(c, "\\n");
		} else if (*s == '\t') {
			put(c, "\\t");
		} else {
			put_char(c, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
		}
	}
	put_char(c, '"');
}

/* The sentence after the fields: one line whatever it quotes. */
static void put_text(struct cur *c, const char *s)
{
	for (; *s; s++)
		put_char(c, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static const char *phase_name(int ph)
{
	return ph < 0 ? "none" : vrun_phase_name(ph);
}

static const char *peer_host(const struct oplog *lg)
{
	if (!lg->plan)
		return "the peer";
	return lg->role == VPLAN_ROLE_DEST ? lg->plan->source.host : lg->plan->dest.host;
}

/* The line's start: who, which phase, which event, when. */
static struct cur head(struct oplog *lg, int phase, const char *event, int64_t t_ns)
{
	struct cur c = { .p = lg->line, .len = sizeof(lg->line) };

	lg->line[0] = '\0';
	put(&c, "%s", lg->ids);
	if (phase >= 0)
		put(&c, " phase=%s", phase_name(phase));
	put(&c, " event=%s t=%.3f", event, t_ns / 1e9);
	return c;
}

/* The fields are done: " -- " and the sentence (printf-style). */
static void say(struct cur *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct cur *c, const char *fmt, ...)
{
	char s[OPLOG_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	put(c, " -- ");
	put_text(c, s);
}

static void emit(struct oplog *lg, int priority)
{
	lg->write(priority, lg->line, lg->write_ud);
}

/* ---- facts ------------------------------------------------------------------ */

static struct oplog_minor *minor_of(struct oplog *lg, uint32_t minor)
{
	size_t n = lg->plan ? lg->plan->n_disks : 0;

	for (size_t i = 0; i < n; i++)
		if (lg->minors[i].minor == minor)
			return &lg->minors[i];
	return &lg->minors[0];
}

/* Bounded copy: no formatting inside a window. */
static void copy_text(char *dst, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i < OPLOG_TEXT - 1; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* The slot for a new fact: the ring's next inside a window (the oldest
 * overwritten when it is full), else the one slot after the ring's. */
static struct oplog_fact *fact_new(struct oplog *lg, enum oplog_kind kind)
{
	struct oplog_fact *f;

	if (!lg->deferring) {
		f = &lg->scratch;
	} else if (lg->n < OPLOG_RING) {
		f = &lg->ring[(lg->first + lg->n++) % OPLOG_RING];
	} else {
		f = &lg->ring[lg->first];
		lg->first = (lg->first + 1) % OPLOG_RING;
		lg->dropped++;
	}
	f->t_ns = lg->now_ns() - lg->t0;
	f->kind = (uint8_t)kind;
	f->phase = lg->phase;
	f->text[0] = '\0';
	return f;
}

static void fact_st(struct oplog_fact *f, uint32_t minor, const struct drbdnl_status *st)
{
	f->minor = minor;
	f->conn = st->conn;
	f->disk = st->disk;
	f->pdsk = st->pdsk;
	f->oos_kib = st->bits_oos * 4;
}

static void put_dev(struct cur *c, const struct oplog_fact *f)
{
	put(c, " dev=/dev/drbd%u cstate=%s", f->minor, drbdnl_conn_name(f->conn));
}

static void write_fact(struct oplog *lg, const struct oplog_fact *f)
{
	static const char *const kinds[] = {
		[OPLOG_STEP] = "step", [OPLOG_GATE] = "gate", [OPLOG_LINK] = "link",
		[OPLOG_LINK_LOST] = "link-lost", [OPLOG_TWIN] = "twin", [OPLOG_WAIT] = "wait",
		[OPLOG_RETRY] = "retry",
	};
	struct cur c = head(lg, f->phase, kinds[f->kind], f->t_ns);
	const char *peer = peer_host(lg);

	switch ((enum oplog_kind)f->kind) {
	case OPLOG_STEP:
		put_kv(&c, "step", f->text);
		say(&c, "%s: %s", phase_name(f->phase), f->text);
		emit(lg, LOG_INFO);
		break;
	case OPLOG_GATE:
		put_dev(&c, f);
		put(&c, " disk=%s peer_disk=%s oos_kib=%llu", drbdnl_disk_name(f->disk),
		    drbdnl_disk_name(f->pdsk), (unsigned long long)f->oos_kib);
		say(&c, "the gate sees /dev/drbd%u %s %s/%s, %llu KiB out of sync", f->minor,
		    drbdnl_conn_name(f->conn), drbdnl_disk_name(f->disk), drbdnl_disk_name(f->pdsk),
		    (unsigned long long)f->oos_kib);
		emit(lg, LOG_INFO);
		break;
	case OPLOG_LINK:
		put_dev(&c, f);
		if (f->up)
			say(&c, "DRBD /dev/drbd%u is connected to %s", f->minor, peer);
		else if (f->was_up)
			say(&c, "DRBD /dev/drbd%u lost its link to %s (%s): waiting for it to come "
			    "back", f->minor, peer, drbdnl_conn_name(f->conn));
		else
			say(&c, "DRBD /dev/drbd%u waits for %s (%s)", f->minor, peer,
			    drbdnl_conn_name(f->conn));
		emit(lg, !f->up && f->was_up ? LOG_WARNING : LOG_INFO);
		break;
	case OPLOG_LINK_LOST:
		put_dev(&c, f);
		put(&c, " disk=%s peer_disk=%s action=%s", drbdnl_disk_name(f->disk),
		    drbdnl_disk_name(f->pdsk), f->cancel ? "cancel" : "continue");
		say(&c, "DRBD /dev/drbd%u lost its link to %s during the migration (%s %s/%s): %s",
		    f->minor, peer, drbdnl_conn_name(f->conn), drbdnl_disk_name(f->disk),
		    drbdnl_disk_name(f->pdsk), f->cancel ? "libvirt's job is cancelled, the VM "
		    "stays here" : "on_link_loss continue: the migration goes on, the gate waits");
		emit(lg, LOG_WARNING);
		break;
	case OPLOG_TWIN:
		put_kv(&c, "what", f->text);
		say(&c, "libvirt resumed the VM here after it ran on %s (%s): fenced, it wrote "
		    "nothing; it is destroyed", peer, f->text);
		emit(lg, LOG_WARNING);
		break;
	case OPLOG_WAIT:
		put_kv(&c, "what", f->text);
		say(&c, "waiting for the VM: %s", f->text);
		emit(lg, LOG_INFO);
		break;
	case OPLOG_RETRY:
		put(&c, " retry=%u errno=%d", f->retry, -f->rc);
		put_kv(&c, "error", f->text);
		say(&c, "the migration is tried again (retry %u) once DRBD has reconnected and "
		    "resynced; it failed: %s", f->retry, f->text);
		emit(lg, LOG_WARNING);
		break;
	}
}

/* Outside a window at once; inside, kept. */
static void fact_done(struct oplog *lg, const struct oplog_fact *f)
{
	if (!lg->deferring)
		write_fact(lg, f);
}

/* The ring, oldest first, and what it lost. */
static void flush(struct oplog *lg)
{
	if (lg->dropped) {
		struct cur c = head(lg, lg->phase, "dropped", lg->ring[lg->first].t_ns);

		put(&c, " count=%u", lg->dropped);
		say(&c, "%u earlier records of this phase were dropped (%d are kept in a phase "
		    "with a freeze window)", lg->dropped, OPLOG_RING);
		emit(lg, LOG_WARNING);
	}
	for (unsigned i = 0; i < lg->n; i++)
		write_fact(lg, &lg->ring[(lg->first + i) % OPLOG_RING]);
	lg->n = lg->first = lg->dropped = 0;
}

/* ---- phases ----------------------------------------------------------------- */

/* The phases in which this host holds the VM's I/O: the bridge's swap, the
 * switch (and the fence) in migrate and resume, and S's swap back in abort
 * while the VM runs here. */
static bool has_window(const struct oplog *lg, int ph)
{
	return ph == VENG_BRIDGE || ph == VENG_MIGRATE || ph == VENG_RESUME ||
	       (ph == VENG_ABORT && lg->role == VPLAN_ROLE_SOURCE);
}

static const char *const switch_words[VENG_SW_STEPS] = {
	[VENG_SW_FENCE] = "S's LVs held (their I/O suspended), recorded first",
	[VENG_SW_CHECK] = "S's QEMU gone or fenced, D's domain ready, DRBD in sync: seen",
	[VENG_SW_JOURNAL] = "the gate's pass recorded in the journal",
	[VENG_SW_DISCONNECT] = "DRBD disconnected (--force)",
	[VENG_SW_JOURNAL2] = "the disconnect recorded in the journal",
	[VENG_SW_RESUME] = "libvirt on D resumed the VM",
};

/* The records a phase's result holds: each freeze window, each switch step. */
static void write_result_facts(struct oplog *lg, int ph, const struct veng_result *res,
			       int64_t t_ns)
{
	int64_t before = 0;

	for (size_t i = 0; lg->plan && i < lg->plan->n_disks; i++) {
		const struct vplan_disk *d = &lg->plan->disks[i];
		char lv[300];
		struct cur c;

		if (!res->freeze_ns[i])
			continue;
		snprintf(lv, sizeof(lv), "%s/%s", d->vg, d->lv);
		c = head(lg, ph, "freeze", t_ns);
		put_kv(&c, "disk", lv);
		put(&c, " dev=/dev/drbd%u freeze_ns=%lld", d->minor, (long long)res->freeze_ns[i]);
		say(&c, "freeze window of %s: %.3f ms (the VM's I/O to it held while its table "
		    "moved onto /dev/drbd%u)", lv, res->freeze_ns[i] / 1e6, d->minor);
		emit(lg, LOG_INFO);
	}
	for (int k = 0; k < VENG_SW_STEPS; k++) {
		struct cur c;

		if (!res->switch_at_ns[k])
			continue;
		c = head(lg, ph, "switch", t_ns);
		put(&c, " step=%s ms=%.3f at_ms=%.3f", veng_switch_step_names[k],
		    (res->switch_at_ns[k] - before) / 1e6, res->switch_at_ns[k] / 1e6);
		say(&c, "switch step %s: %.3f ms, %.3f ms after the hand-over: %s",
		    veng_switch_step_names[k], (res->switch_at_ns[k] - before) / 1e6,
		    res->switch_at_ns[k] / 1e6, switch_words[k]);
		emit(lg, LOG_INFO);
		before = res->switch_at_ns[k];
	}
}

static void put_switch(struct cur *c, const struct veng_result *r)
{
	int64_t before = 0;
	char sep = '=';

	put(c, " switch_ms=%.3f early=%d fenced=%d twin=%d", r->switch_ns / 1e6, r->early,
	    r->fenced, r->twin);
	put(c, " switch_steps_ms");
	for (int k = 0; k < VENG_SW_STEPS; k++) {
		if (!r->switch_at_ns[k])
			continue;
		put(c, "%c%s:%.3f", sep, veng_switch_step_names[k],
		    (r->switch_at_ns[k] - before) / 1e6);
		before = r->switch_at_ns[k];
		sep = ',';
	}
	if (sep == '=')
		put(c, "=none");
}

static uint64_t synced_kib(const struct oplog *lg)
{
	uint64_t n = 0;

	for (size_t i = 0; lg->plan && i < lg->plan->n_disks; i++)
		n += lg->minors[i].synced_kib;
	return n;
}

static void phase_end(struct oplog *lg, const struct veng_event *ev)
{
	const struct veng_result *res = ev->result;
	int ph = ev->phase;
	int64_t t_ns = lg->now_ns() - lg->t0;
	double wall = res ? res->wall_ns / 1e9 : 0;
	const char *name = phase_name(ph);
	const char *outcome = ev->rc < 0 ? "failed" : !res || res->outcome == VENG_OK ? "ok" :
			      res->outcome == VENG_UNDONE ? "undone" : "state-left";
	struct cur c;

	lg->deferring = false;
	flush(lg);
	if (res)
		write_result_facts(lg, ph, res, t_ns);
	c = head(lg, ph, "phase", t_ns);
	put(&c, " outcome=%s wall_ms=%.3f steps=%u", outcome, wall * 1e3, res ? res->acted : 0);
	if (res && ph == VENG_BRIDGE) {
		char sep = '=';

		put(&c, " freeze_ns");
		for (size_t i = 0; lg->plan && i < lg->plan->n_disks; i++) {
			put(&c, "%c%lld", sep, (long long)res->freeze_ns[i]);
			sep = ',';
		}
	}
	if (ph == VENG_WAIT_SYNC && synced_kib(lg))
		put(&c, " synced_kib=%llu", (unsigned long long)synced_kib(lg));
	if (res && (ph == VENG_MIGRATE || ph == VENG_RESUME)) {
		put(&c, " gate=%s", veng_gate_name(res->gate));
		if (res->downtime_ms)
			put(&c, " downtime_ms=%llu", (unsigned long long)res->downtime_ms);
		if (res->switch_ns || res->switch_at_ns[VENG_SW_RESUME])
			put_switch(&c, res);
	}
	if (ev->rc < 0) {
		put(&c, " errno=%d", -ev->rc);
		put_kv(&c, "error", ev->err ? ev->err->msg : "");
	}
	if (res && (ev->rc < 0 || res->outcome == VENG_STATE_LEFT) && res->next.text[0])
		put_kv(&c, "next", res->next.text);
	if (ev->rc < 0) {
		say(&c, "%s FAILED after %.1f s: %s", name, wall, ev->err ? ev->err->msg : "");
	} else if (!strcmp(outcome, "undone")) {
		say(&c, "%s: undone in %.1f s, this host is as it was before the move", name, wall);
	} else if (!strcmp(outcome, "state-left")) {
		say(&c, "%s stopped after %.1f s, state left on this host: %s", name, wall,
		    res->next.text);
	} else if (res && res->switch_at_ns[VENG_SW_RESUME] && lg->plan) {
		say(&c, "%s done in %.1f s: the VM runs on %s, resumed %.0f ms after the "
		    "hand-over%s", name, wall, lg->plan->dest.host, res->switch_ns / 1e6,
		    res->fenced ? " (at D's Finish, behind the fence of S's LVs)" :
		    res->early ? " (on S's QEMU's exit)" : " (after libvirt's return)");
	} else {
		say(&c, "%s %s in %.1f s, %u step%s", name, res && !res->acted &&
		    ph != VENG_WAIT_SYNC && ph != VRUN_WAIT_VM ? "had nothing to do" : "done",
		    wall, res ? res->acted : 0, res && res->acted == 1 ? "" : "s");
	}
	emit(lg, ev->rc < 0 ? LOG_ERR : !strcmp(outcome, "state-left") ? LOG_WARNING :
	     LOG_NOTICE);
	lg->phase = -1;
}

/* ---- events ----------------------------------------------------------------- */

static void on_sync(struct oplog *lg, const struct veng_event *ev)
{
	struct oplog_minor *m = minor_of(lg, ev->minor);

	if (ev->progress && ev->progress->total_kib > m->synced_kib)
		m->synced_kib = ev->progress->total_kib;
	if (ev->st) {
		bool up = ev->st->conn >= DRBDNL_C_CONNECTED;
		bool was_up = m->cstate >= DRBDNL_C_CONNECTED;

		if (m->cstate < 0 || up != was_up) {
			struct oplog_fact *f = fact_new(lg, OPLOG_LINK);

			fact_st(f, ev->minor, ev->st);
			f->up = up;
			f->was_up = m->cstate >= 0 && was_up;
			fact_done(lg, f);
		}
		m->cstate = ev->st->conn;
	}
}

/* A change of what the gate sees: the states, or out of sync becoming
 * none (or some again); the count alone going down is no record. */
static void on_gate(struct oplog *lg, const struct veng_event *ev)
{
	struct oplog_minor *m = minor_of(lg, ev->minor);
	const struct drbdnl_status *st = ev->st;
	uint64_t oos = st->bits_oos * 4;
	struct oplog_fact *f;

	if (m->gate_seen && m->gconn == st->conn && m->gdisk == st->disk &&
	    m->gpdsk == st->pdsk && !m->goos == !oos)
		return;
	m->gate_seen = true;
	m->gconn = st->conn;
	m->gdisk = st->disk;
	m->gpdsk = st->pdsk;
	m->goos = oos;
	f = fact_new(lg, OPLOG_GATE);
	fact_st(f, ev->minor, st);
	fact_done(lg, f);
}

void oplog_event(struct oplog *lg, const struct veng_event *ev)
{
	const char *w = ev->what;
	struct oplog_fact *f;

	if (!lg->on || !w || !strcmp(w, "migrate"))	/* libvirt's progress: not kept */
		return;
	if (!strcmp(w, "sync")) {
		on_sync(lg, ev);
	} else if (!strcmp(w, "gate")) {
		if (ev->st)
			on_gate(lg, ev);
	} else if (!strcmp(w, "step") || !strcmp(w, "twin") || !strcmp(w, "wait")) {
		f = fact_new(lg, w[0] == 's' ? OPLOG_STEP : w[0] == 't' ? OPLOG_TWIN : OPLOG_WAIT);
		copy_text(f->text, ev->step);
		fact_done(lg, f);
	} else if (!strcmp(w, "link-lost")) {
		if (!ev->st)
			return;
		f = fact_new(lg, OPLOG_LINK_LOST);
		fact_st(f, ev->minor, ev->st);
		f->cancel = ev->step && !strcmp(ev->step, "cancel");
		fact_done(lg, f);
	} else if (!strcmp(w, "retry")) {
		f = fact_new(lg, OPLOG_RETRY);
		f->retry = ev->retry;
		f->rc = ev->rc;
		copy_text(f->text, ev->err ? ev->err->msg : "");
		fact_done(lg, f);
	} else if (!strcmp(w, "phase-start")) {
		if (lg->n || lg->dropped)	/* a phase that never ended */
			flush(lg);
		lg->phase = ev->phase;
		lg->deferring = has_window(lg, ev->phase);
	} else if (!strcmp(w, "phase-end")) {
		lg->phase = ev->phase;
		phase_end(lg, ev);
	}
}

/* ---- the command ------------------------------------------------------------ */

void oplog_init(struct oplog *lg, bool on, const char *cmd, const struct vplan *p,
		enum vplan_role role, int64_t t0)
{
	struct cur c;

	memset(lg, 0, sizeof(*lg));
	lg->on = on;
	lg->cmd = cmd;
	lg->plan = p;
	lg->role = role;
	lg->now_ns = mono_ns;
	lg->t0 = t0 ? t0 : mono_ns();
	lg->write = to_syslog;
	lg->phase = -1;
	for (size_t i = 0; i < VPLAN_MAX_DISKS; i++) {
		lg->minors[i].minor = p && i < p->n_disks ? p->disks[i].minor : 0;
		lg->minors[i].cstate = -1;
	}
	c = (struct cur){ .p = lg->ids, .len = sizeof(lg->ids) };
	if (p && p->resource[0]) {
		put_kv(&c, "resource", p->resource);
		put_kv(&c, "vm", p->vm_name);
	}
	if (p && role != VPLAN_ROLE_NONE) {
		put_kv(&c, "host", role == VPLAN_ROLE_SOURCE ? p->source.host : p->dest.host);
		put_kv(&c, "role", vplan_role_name(role));
	}
	put_kv(&c, "cmd", cmd);
	/* (the fields without their first space) */
	memmove(lg->ids, lg->ids + 1, strlen(lg->ids));
}

void oplog_start(struct oplog *lg, bool resumed)
{
	struct cur c;

	if (!lg->on || !lg->plan)
		return;
	c = head(lg, -1, "start", lg->now_ns() - lg->t0);
	put_kv(&c, "peer", peer_host(lg));
	put(&c, " port=%u disks=%zu resumed=%d", lg->plan->port, lg->plan->n_disks, resumed);
	say(&c, "vmhop %s: VM %s, %s -> %s, %zu disk%s%s", lg->cmd, lg->plan->vm_name,
	    lg->plan->source.host, lg->plan->dest.host, lg->plan->n_disks,
	    lg->plan->n_disks == 1 ? "" : "s",
	    resumed ? ", going on from this host's journal" : "");
	emit(lg, LOG_INFO);
}

void oplog_summary(struct oplog *lg, const struct vrun_summary *sum, int rc, int code,
		   const struct vh_error *e)
{
	const struct veng_result *mig = &sum->res[VENG_MIGRATE];
	const char *outcome = sum->untouched ? "refused" : sum->outcome == VENG_OK ? "moved" :
			      sum->outcome == VENG_UNDONE ? "undone" : "state-left";
	bool is_s = lg->role == VPLAN_ROLE_SOURCE;
	struct cur c;

	if (!lg->on)
		return;
	if (lg->n || lg->dropped)
		flush(lg);
	c = head(lg, -1, "summary", lg->now_ns() - lg->t0);
	put(&c, " outcome=%s ok=%d exit=%d total_ms=%.3f", outcome, rc == 0, code,
	    sum->wall_ns / 1e6);
	if (is_s && sum->ran[VENG_BRIDGE]) {
		char sep = '=';

		put(&c, " freeze_ns");
		for (size_t i = 0; lg->plan && i < lg->plan->n_disks; i++) {
			put(&c, "%c%lld", sep, (long long)sum->res[VENG_BRIDGE].freeze_ns[i]);
			sep = ',';
		}
	}
	if (is_s && sum->ran[VENG_MIGRATE]) {
		if (mig->downtime_ms)
			put(&c, " downtime_ms=%llu", (unsigned long long)mig->downtime_ms);
		if (mig->switch_ns || mig->switch_at_ns[VENG_SW_RESUME])
			put_switch(&c, mig);
		put(&c, " migrate_retries=%u", sum->retries);
	}
	if (synced_kib(lg))
		put(&c, " synced_kib=%llu", (unsigned long long)synced_kib(lg));
	if (rc < 0) {
		put(&c, " failed_phase=%s errno=%d", sum->failed >= 0 ?
		    vrun_phase_name(sum->failed) : "start", -rc);
		put_kv(&c, "error", e ? e->msg : "");
		put_kv(&c, "next", sum->next.text);
		say(&c, "vmhop %s: VM %s %s after %.1f s (%s failed: %s); next: %s", lg->cmd,
		    lg->plan ? lg->plan->vm_name : "?", sum->untouched ? "REFUSED, nothing changed" :
		    sum->outcome == VENG_UNDONE ? "NOT MOVED, undone on this host" :
		    "NOT MOVED, state left on this host", sum->wall_ns / 1e9,
		    sum->failed >= 0 ? vrun_phase_name(sum->failed) : "its start",
		    e ? e->msg : "", sum->next.text);
		emit(lg, LOG_ERR);
		return;
	}
	say(&c, "vmhop %s: VM %s moved from %s to %s in %.1f s", lg->cmd,
	    lg->plan ? lg->plan->vm_name : "?", lg->plan ? lg->plan->source.host : "?",
	    lg->plan ? lg->plan->dest.host : "?", sum->wall_ns / 1e9);
	emit(lg, LOG_NOTICE);
}

void oplog_fail(struct oplog *lg, const char *plan_path, const struct vh_error *e)
{
	struct cur c;

	if (!lg->on)
		return;
	c = head(lg, -1, "error", lg->now_ns() - lg->t0);
	if (plan_path)
		put_kv(&c, "plan", plan_path);
	put(&c, " errno=%d", -e->code);
	put_kv(&c, "error", e->msg);
	say(&c, "vmhop %s failed before any phase ran: %s", lg->cmd, e->msg);
	emit(lg, LOG_ERR);
}
