/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmhop virt: libvirt domains — disk, state, suspend, resume, migrate, events. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmhop.h"
#include "virt/virt.h"

#define DEFAULT_URI "qemu:///system"

struct vopts {
	const char *uri;
	bool force, unsafe, direct, no_tunnel, no_persist, keep_source, no_events;
	const char *migrate_uri;
	uint64_t max_downtime, bandwidth, timeout_s, interval_ms;
	long count;
};

enum { O_URI = 256, O_FORCE, O_UNSAFE, O_DIRECT, O_NO_TUNNEL, O_MIGRATE_URI, O_NO_PERSIST, O_KEEP_SOURCE,
       O_MAX_DOWNTIME, O_BANDWIDTH, O_TIMEOUT, O_INTERVAL, O_COUNT, O_NO_EVENTS, O_HELP };

static const struct option long_opts[] = {
	{ "uri", required_argument, NULL, O_URI },
	{ "force", no_argument, NULL, O_FORCE },
	{ "unsafe", no_argument, NULL, O_UNSAFE },
	{ "direct", no_argument, NULL, O_DIRECT },
	{ "no-tunnel", no_argument, NULL, O_NO_TUNNEL },
	{ "migrate-uri", required_argument, NULL, O_MIGRATE_URI },
	{ "no-persist", no_argument, NULL, O_NO_PERSIST },
	{ "keep-source", no_argument, NULL, O_KEEP_SOURCE },
	{ "max-downtime", required_argument, NULL, O_MAX_DOWNTIME },
	{ "bandwidth", required_argument, NULL, O_BANDWIDTH },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "count", required_argument, NULL, O_COUNT },
	{ "no-events", no_argument, NULL, O_NO_EVENTS },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

/* Upper bounds of the numeric options: a timeout in seconds must still fit
 * in milliseconds (and in an int of them for the event wait). */
#define MAX_TIMEOUT_S	(7u * 86400)
#define MAX_INTERVAL_MS	60000u
#define MAX_COUNT	1000000000u

static uint64_t opt_max(int c)
{
	switch (c) {
	case O_TIMEOUT: return MAX_TIMEOUT_S;
	case O_INTERVAL: return MAX_INTERVAL_MS;
	case O_COUNT: return MAX_COUNT;
	default: return UINT64_MAX;	/* --max-downtime, --bandwidth: libvirt checks */
	}
}

/* Parses options; leaves the positional arguments in argv[optind..].
 * Returns -1 to go on, else an exit code. */
static int parse(struct vh_ctx *ctx, int argc, char **argv, struct vopts *o, int min_pos,
		 int max_pos, const char *usage)
{
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->uri = vh_env_local_uri();
	if (!o->uri)
		o->uri = DEFAULT_URI;
	o->interval_ms = 500;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case O_URI: o->uri = optarg; break;
		case O_FORCE: o->force = true; break;
		case O_UNSAFE: o->unsafe = true; break;
		case O_DIRECT: o->direct = true; break;
		case O_NO_TUNNEL: o->no_tunnel = true; break;
		case O_MIGRATE_URI: o->migrate_uri = optarg; break;
		case O_NO_PERSIST: o->no_persist = true; break;
		case O_KEEP_SOURCE: o->keep_source = true; break;
		case O_NO_EVENTS: o->no_events = true; break;
		case O_MAX_DOWNTIME: case O_BANDWIDTH: case O_TIMEOUT: case O_INTERVAL: case O_COUNT:
			if (vnum_u64(optarg, 0, opt_max(c), &v) < 0)
				return vh_usage(ctx, "%s: '%s' is not a number from 0 to %llu (decimal)",
						argv[0], optarg, (unsigned long long)opt_max(c));
			if (c == O_MAX_DOWNTIME) o->max_downtime = v;
			else if (c == O_BANDWIDTH) o->bandwidth = v;
			else if (c == O_TIMEOUT) o->timeout_s = v;
			else if (c == O_INTERVAL) o->interval_ms = v ? v : 1;
			else o->count = (long)v;
			break;
		case 'h': case O_HELP:
			printf("usage: vmhop virt %s %s\n", argv[0], usage);
			return VH_EXIT_OK;
		default:
			return vh_usage(ctx, "%s: unknown option '%s' (usage: vmhop virt %s %s)", argv[0],
					argv[optind - 1], argv[0], usage);
		}
	}
	if (argc - optind < min_pos || argc - optind > max_pos)
		return vh_usage(ctx, "usage: vmhop virt %s %s", argv[0], usage);
	return -1;
}

struct session {
	struct vvirt_conn *c;
	struct vvirt_dom *d;
};

/* A URI with no host ("qemu:///system", "test:///default") is this host's
 * libvirtd: its refusal is exit 15, not the peer's 12. */
static unsigned int local_flag(const char *uri)
{
	return uri && strstr(uri, ":///") ? VVIRT_OPEN_LOCAL : 0;
}

static int open_dom(struct vh_ctx *ctx, const char *uri, const char *name, unsigned int flags,
		    struct session *s)
{
	struct vh_error e = { 0 };

	memset(s, 0, sizeof(*s));
	if (vvirt_open(uri, flags | local_flag(uri), &s->c, &e) < 0)
		return vh_fail(ctx, &e);
	if (vvirt_lookup(s->c, name, &s->d, &e) < 0) {
		vvirt_close(s->c);
		return vh_fail(ctx, &e);
	}
	return -1;
}

static void close_dom(struct session *s)
{
	vvirt_dom_free(s->d);
	vvirt_close(s->c);
}

static json_object *disk_json(const struct vvirt_disk *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "source", json_object_new_string(d->source));
	json_object_object_add(o, "type", json_object_new_string(d->type));
	json_object_object_add(o, "target", json_object_new_string(d->target));
	json_object_object_add(o, "bus", json_object_new_string(d->bus));
	json_object_object_add(o, "cache", json_object_new_string(d->cache[0] ? d->cache : "default"));
	json_object_object_add(o, "io", json_object_new_string(d->io[0] ? d->io : "default"));
	json_object_object_add(o, "format", json_object_new_string(d->format));
	json_object_object_add(o, "shareable", json_object_new_boolean(d->shareable));
	return o;
}

/* The disk of @s's domain on @want (or its only LV disk). */
static int find_disk(struct vh_ctx *ctx, struct session *s, const char *want, struct vvirt_disk *ret)
{
	struct vh_error e = { 0 };
	char *xml = NULL;
	int r;

	if (vvirt_xml(s->d, &xml, &e) < 0)
		return vh_fail(ctx, &e);
	r = vvirt_find_disk(xml, want, ret, &e);
	free(xml);
	if (r < 0)
		return vh_fail(ctx, &e);
	return -1;
}

static int virt_disk(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct vvirt_disk disk;
	struct session s;
	struct vopts o;
	json_object *out;
	int rc;

	if ((rc = parse(ctx, argc, argv, &o, 1, 2, "[--uri URI] DOMAIN [DISK-PATH]")) >= 0)
		return rc;
	if ((rc = open_dom(ctx, o.uri, argv[optind], 0, &s)) >= 0)
		return rc;
	rc = find_disk(ctx, &s, argc - optind > 1 ? argv[optind + 1] : NULL, &disk);
	close_dom(&s);
	if (rc >= 0)
		return rc;
	out = json_object_new_object();
	json_object_object_add(out, "domain", json_object_new_string(argv[optind]));
	json_object_object_add(out, "disk", disk_json(&disk));
	json_object_object_add(out, "migration_safe",
			       json_object_new_boolean(vvirt_check_cache(&disk, false, &e) == 0));
	if (e.msg[0])
		json_object_object_add(out, "why_unsafe", json_object_new_string(e.msg));
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static int virt_state(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct session s;
	struct vopts o;
	json_object *out;
	int rc, st, reason;

	if ((rc = parse(ctx, argc, argv, &o, 1, 1, "[--uri URI] DOMAIN")) >= 0)
		return rc;
	if ((rc = open_dom(ctx, o.uri, argv[optind], 0, &s)) >= 0)
		return rc;
	rc = vvirt_state(s.d, &st, &reason, &e);
	close_dom(&s);
	if (rc < 0)
		return vh_fail(ctx, &e);
	out = json_object_new_object();
	json_object_object_add(out, "domain", json_object_new_string(argv[optind]));
	json_object_object_add(out, "state", json_object_new_string(vvirt_state_name(st)));
	json_object_object_add(out, "reason", json_object_new_int(reason));
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static int suspend_resume(struct vh_ctx *ctx, int argc, char **argv, bool suspend)
{
	struct vh_error e = { 0 };
	struct session s;
	struct vopts o;
	json_object *out;
	uint64_t ns = 0;
	int rc;

	if ((rc = parse(ctx, argc, argv, &o, 1, 1, "[--uri URI] DOMAIN")) >= 0)
		return rc;
	if ((rc = open_dom(ctx, o.uri, argv[optind], 0, &s)) >= 0)
		return rc;
	rc = suspend ? vvirt_suspend(s.d, &ns, &e) : vvirt_resume(s.d, &ns, &e);
	close_dom(&s);
	if (rc < 0)
		return vh_fail(ctx, &e);
	out = json_object_new_object();
	json_object_object_add(out, "domain", json_object_new_string(argv[optind]));
	json_object_object_add(out, suspend ? "suspended" : "resumed", json_object_new_boolean(1));
	json_object_object_add(out, "call_us", json_object_new_uint64(ns / 1000));
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static int virt_suspend(struct vh_ctx *ctx, int argc, char **argv)
{
	return suspend_resume(ctx, argc, argv, true);
}

static int virt_resume(struct vh_ctx *ctx, int argc, char **argv)
{
	return suspend_resume(ctx, argc, argv, false);
}

static volatile sig_atomic_t cancel_flag;

static void on_sigint(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

static json_object *progress_json(const struct vvirt_progress *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "elapsed_ms", json_object_new_uint64(p->elapsed_ms));
	json_object_object_add(o, "data_total", json_object_new_uint64(p->data_total));
	json_object_object_add(o, "data_processed", json_object_new_uint64(p->data_processed));
	json_object_object_add(o, "data_remaining", json_object_new_uint64(p->data_remaining));
	json_object_object_add(o, "mem_bps", json_object_new_uint64(p->mem_bps));
	json_object_object_add(o, "iteration", json_object_new_uint64(p->mem_iteration));
	if (p->have_downtime)
		json_object_object_add(o, "downtime_ms", json_object_new_uint64(p->downtime_ms));
	return o;
}

static int print_progress(const struct vvirt_progress *p, void *ud)
{
	struct vh_ctx *ctx = ud;
	json_object *o = progress_json(p);
	uint64_t pct = p->data_total ? (p->data_total - p->data_remaining) * 100 / p->data_total : 0;

	json_object_object_add(o, "percent", json_object_new_uint64(pct));
	json_object_object_add(o, "progress", json_object_new_string("migrate"));
	vh_print_line(ctx, o);
	return 0;
}

static void add_event(json_object *out, const char *key, const struct vvirt_event *ev, uint64_t t0)
{
	char s[64];

	snprintf(s, sizeof(s), "%s/%s", vvirt_event_name(ev->event),
		 vvirt_event_detail_name(ev->event, ev->detail));
	json_object_object_add(out, key, json_object_new_string(s));
	snprintf(s, sizeof(s), "%s_ms", key);
	json_object_object_add(out, s, json_object_new_uint64(ev->mono_ns > t0 ?
							     (ev->mono_ns - t0) / 1000000 : 0));
}

/* Every LV disk of @d must be safe to move (or forced). */
static int check_disks(struct vvirt_dom *d, bool force, struct vh_error *e)
{
	char *xml = NULL;
	int r;

	if ((r = vvirt_xml(d, &xml, e)) < 0)
		return r;
	r = vvirt_check_lv_disks(xml, force, e);
	free(xml);
	if (r == -EINVAL)
		vh_err_prefix(e, r, "not migrating (--force migrates all the same)");
	return r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int virt_migrate(struct vh_ctx *ctx, int argc, char **argv)
{
	static const char usage[] =
		"[--uri SRC-URI] DOMAIN DEST-URI [--direct] [--no-tunnel] [--migrate-uri URI]\n"
		"       [--no-persist] [--keep-source] [--max-downtime MS] [--bandwidth MIB/S]\n"
		"       [--timeout S] [--interval MS] [--force] [--unsafe] [--no-events]\n"
		"  Live migration, by default peer-to-peer and tunnelled, persistent on the\n"
		"  destination and undefined on the source.  Ctrl-C cancels it.\n"
		"  --force: migrate although a disk's cache mode is unsafe for vmhop (host\n"
		"  page cache); --unsafe: tell libvirt to skip its own safety checks\n"
		"  (VIR_MIGRATE_UNSAFE).  Two decisions, two options.";
	struct vvirt_migrate_opts mo = { 0 };
	struct vvirt_migrate_result res = { 0 };
	struct vvirt_watch *ws = NULL, *wd = NULL;
	struct vvirt_conn *dconn = NULL;
	struct vh_error e = { 0 };
	struct vvirt_event ev;
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	struct session s;
	struct vopts o;
	json_object *out;
	uint64_t t0;
	int rc;

	if ((rc = parse(ctx, argc, argv, &o, 2, 2, usage)) >= 0)
		return rc;
	if ((rc = open_dom(ctx, o.uri, argv[optind], o.no_events ? 0 : VVIRT_OPEN_EVENTS, &s)) >= 0)
		return rc;
	/* Refuse an unsafe cache mode before libvirt is asked. */
	if (check_disks(s.d, o.force, &e) < 0) {
		rc = vh_fail(ctx, &e);
		goto out;
	}
	mo.dest_uri = argv[optind + 1];
	mo.p2p = !o.direct;
	mo.tunnelled = !o.direct && !o.no_tunnel && !o.migrate_uri;
	mo.migrate_uri = o.migrate_uri;
	mo.persist_dest = !o.no_persist;
	mo.undefine_source = !o.keep_source;
	mo.unsafe = o.unsafe;
	mo.max_downtime_ms = o.max_downtime;
	mo.bandwidth_mib = o.bandwidth;
	mo.timeout_ms = o.timeout_s * 1000;	/* <= MAX_TIMEOUT_S: no overflow */
	mo.poll_ms = (unsigned int)o.interval_ms;
	mo.progress = print_progress;
	mo.progress_ud = ctx;
	mo.cancel = &cancel_flag;
	if (!o.no_events) {
		/* Events prove where the VM runs: started/resumed on D, stopped on S. */
		if (vvirt_watch_start(s.c, argv[optind], &ws, &e) < 0 ||
		    vvirt_open(mo.dest_uri, VVIRT_OPEN_EVENTS, &dconn, &e) < 0 ||
		    vvirt_watch_start(dconn, argv[optind], &wd, &e) < 0) {
			rc = vh_fail(ctx, &e);
			goto out;
		}
	}
	sigaction(SIGINT, &sa, &old);
	t0 = now_ns();
	rc = vvirt_migrate(s.d, &mo, &res, &e);
	sigaction(SIGINT, &old, NULL);
	if (rc < 0) {
		rc = vh_fail(ctx, &e);
		goto out;
	}
	out = json_object_new_object();
	json_object_object_add(out, "domain", json_object_new_string(argv[optind]));
	json_object_object_add(out, "from", json_object_new_string(o.uri));
	json_object_object_add(out, "to", json_object_new_string(mo.dest_uri));
	json_object_object_add(out, "wall_ms", json_object_new_uint64(res.wall_ns / 1000000));
	if (res.have_stats)
		json_object_object_add(out, "job", progress_json(&res.last));
	if (wd) {
		/* QEMU on D: "resumed/migrated" (or "started/migrated" first). */
		if (vvirt_watch_wait(wd, VIR_DOMAIN_EVENT_RESUMED, -1, 10000, &ev, &e) == 0)
			add_event(out, "dest_event", &ev, t0);
		else
			json_object_object_add(out, "dest_event", json_object_new_string(e.msg));
	}
	if (ws) {
		if (vvirt_watch_wait(ws, VIR_DOMAIN_EVENT_STOPPED, -1, 10000, &ev, &e) == 0)
			add_event(out, "source_event", &ev, t0);
		else
			json_object_object_add(out, "source_event", json_object_new_string(e.msg));
	}
	vh_print(ctx, out);
	rc = VH_EXIT_OK;
out:
	vvirt_watch_stop(wd);
	vvirt_watch_stop(ws);
	vvirt_close(dconn);
	close_dom(&s);
	return rc;
}

static int virt_events(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct vvirt_conn *c;
	struct vvirt_watch *w;
	struct vvirt_event ev;
	struct vopts o;
	long n = 0;
	int rc;

	if ((rc = parse(ctx, argc, argv, &o, 0, 1, "[--uri URI] [DOMAIN] [--timeout S] [--count N]")) >= 0)
		return rc;
	if (vvirt_open(o.uri, VVIRT_OPEN_EVENTS | local_flag(o.uri), &c, &e) < 0)
		return vh_fail(ctx, &e);
	if (vvirt_watch_start(c, argc > optind ? argv[optind] : NULL, &w, &e) < 0) {
		vvirt_close(c);
		return vh_fail(ctx, &e);
	}
	rc = VH_EXIT_OK;
	while (!o.count || n < o.count) {
		json_object *line;

		if (vvirt_watch_next(w, o.timeout_s ? (int)(o.timeout_s * 1000) : -1, &ev, &e) < 0) {
			rc = vh_fail(ctx, &e);
			break;
		}
		line = json_object_new_object();
		json_object_object_add(line, "domain", json_object_new_string(ev.domain));
		json_object_object_add(line, "event", json_object_new_string(vvirt_event_name(ev.event)));
		json_object_object_add(line, "detail",
				       json_object_new_string(vvirt_event_detail_name(ev.event, ev.detail)));
		vh_print_line(ctx, line);
		n++;
	}
	vvirt_watch_stop(w);
	vvirt_close(c);
	return rc;
}

static const struct vh_cmd virt_cmds[] = {
	{ "disk",    virt_disk,    "DOMAIN [PATH]: the disk on an LV, its cache mode and bus" },
	{ "state",   virt_state,   "DOMAIN: running, paused, shutoff, ..." },
	{ "suspend", virt_suspend, "DOMAIN: pause, timed" },
	{ "resume",  virt_resume,  "DOMAIN: resume, timed" },
	{ "migrate", virt_migrate, "DOMAIN DEST-URI: live migration with progress" },
	{ "events",  virt_events,  "[DOMAIN]: print lifecycle events" },
	{ NULL, NULL, NULL }
};

int cmd_virt(struct vh_ctx *ctx, int argc, char **argv)
{
	return vh_dispatch(ctx, virt_cmds, "virt", argc - 1, argv + 1);
}
