/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmhop dm: device-mapper by ioctl (src/dm), no dmsetup. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "vmhop.h"
#include "dm/dm.h"

#define DEV_HELP "DEV is a name, uuid:UUID, or MAJ:MIN"

/* Options shared by the sub-commands; each takes the ones it lists. */
struct dm_opts {
	const char *table;	/* --table TEXT (lines as dmsetup table prints them) */
	const char *table_file;	/* --table-file FILE|- */
	const char *copy;	/* --copy DEV: the live table of another device */
	const char *linear;	/* --linear MAJ:MIN */
	uint64_t offset;	/* --offset SECTORS (with --linear) */
	uint64_t sectors;	/* --sectors N (with --linear; default: DEV's size) */
	const char *uuid;	/* --uuid SUFFIX */
	const char *mode;	/* --mode resume|suspend-resume */
	uint64_t repeat;	/* --repeat N round trips (swap) */
	uint64_t interval;	/* --interval-ms M between swaps */
	bool has_interval;
	bool inactive, readonly, force, no_node, noflush, nolockfs;
	unsigned flags;		/* VDM_* from the booleans */
};

enum {
	O_TABLE = 1, O_TABLE_FILE, O_COPY, O_LINEAR, O_OFFSET, O_SECTORS, O_UUID, O_MODE,
	O_INACTIVE, O_READONLY, O_FORCE, O_NO_NODE, O_NOFLUSH, O_NOLOCKFS, O_HELP, O_REPEAT,
	O_INTERVAL,
};

static const struct option all_opts[] = {
	{ "table", required_argument, NULL, O_TABLE },
	{ "table-file", required_argument, NULL, O_TABLE_FILE },
	{ "copy", required_argument, NULL, O_COPY },
	{ "linear", required_argument, NULL, O_LINEAR },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "sectors", required_argument, NULL, O_SECTORS },
	{ "uuid", required_argument, NULL, O_UUID },
	{ "mode", required_argument, NULL, O_MODE },
	{ "inactive", no_argument, NULL, O_INACTIVE },
	{ "readonly", no_argument, NULL, O_READONLY },
	{ "force", no_argument, NULL, O_FORCE },
	{ "no-node", no_argument, NULL, O_NO_NODE },
	{ "noflush", no_argument, NULL, O_NOFLUSH },
	{ "nolockfs", no_argument, NULL, O_NOLOCKFS },
	{ "help", no_argument, NULL, O_HELP },
	{ "repeat", required_argument, NULL, O_REPEAT },
	{ "interval-ms", required_argument, NULL, O_INTERVAL },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64_arg(struct vh_ctx *ctx, const char *opt, const char *s, uint64_t max,
			 uint64_t *ret)
{
	if (vnum_u64(s, 0, max, ret) < 0)
		return vh_usage(ctx, "%s: '%s' is not a number from 0 to %" PRIu64 " (decimal)", opt,
				s, max);
	return 0;
}

/* Parse options; @allowed lists the O_* the sub-command accepts; @usage is its
 * one-line synopsis.  Returns -1 to go on, else an exit code. */
static int parse_opts(struct vh_ctx *ctx, int argc, char **argv, const int *allowed,
		      const char *usage, int npos, struct dm_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", all_opts, NULL)) != -1) {
		bool ok = false;

		if (c == 'h' || c == O_HELP) {
			printf("usage: vmhop dm %s\n", usage);
			return VH_EXIT_OK;
		}
		for (const int *a = allowed; *a; a++)
			ok |= *a == c;
		if (c == '?' || !ok)
			return vh_usage(ctx, "dm %s: unknown or misplaced option '%s'\nusage: vmhop dm %s",
					argv[0], argv[optind - 1], usage);
		switch (c) {
		case O_TABLE: o->table = optarg; break;
		case O_TABLE_FILE: o->table_file = optarg; break;
		case O_COPY: o->copy = optarg; break;
		case O_LINEAR: o->linear = optarg; break;
		case O_OFFSET:
			if (parse_u64_arg(ctx, "--offset", optarg, UINT64_MAX, &o->offset))
				return VH_EXIT_USAGE;
			break;
		case O_SECTORS:
			if (parse_u64_arg(ctx, "--sectors", optarg, UINT64_MAX, &o->sectors))
				return VH_EXIT_USAGE;
			break;
		case O_REPEAT:
			if (parse_u64_arg(ctx, "--repeat", optarg, 100000, &o->repeat))
				return VH_EXIT_USAGE;
			break;
		case O_INTERVAL:
			if (parse_u64_arg(ctx, "--interval-ms", optarg, 60000, &o->interval))
				return VH_EXIT_USAGE;
			o->has_interval = true;
			break;
		case O_UUID: o->uuid = optarg; break;
		case O_MODE: o->mode = optarg; break;
		case O_INACTIVE: o->inactive = true; break;
		case O_READONLY: o->flags |= VDM_READONLY; break;
		case O_FORCE: o->flags |= VDM_FORCE; break;
		case O_NO_NODE: o->flags |= VDM_NO_NODE; break;
		case O_NOFLUSH: o->flags |= VDM_NOFLUSH; break;
		case O_NOLOCKFS: o->flags |= VDM_SKIP_LOCKFS; break;
		}
	}
	if (argc - optind != npos)
		return vh_usage(ctx, "usage: vmhop dm %s", usage);
	return -1;
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *info_json(const struct vdm_info *i, bool full)
{
	json_object *o = json_object_new_object();
	char dev[32];

	snprintf(dev, sizeof(dev), "%u:%u", major(i->dev), minor(i->dev));
	json_object_object_add(o, "name", jstr(i->name));
	json_object_object_add(o, "uuid", jstr(i->uuid));
	json_object_object_add(o, "dev", jstr(dev));
	json_object_object_add(o, "major", json_object_new_int((int)major(i->dev)));
	json_object_object_add(o, "minor", json_object_new_int((int)minor(i->dev)));
	if (!full) {
		json_object_object_add(o, "event_nr", json_object_new_int64(i->event_nr));
		return o;
	}
	json_object_object_add(o, "state", jstr(i->suspended ? "SUSPENDED" : "ACTIVE"));
	json_object_object_add(o, "live_table", json_object_new_boolean(i->live_table));
	json_object_object_add(o, "inactive_table", json_object_new_boolean(i->inactive_table));
	json_object_object_add(o, "read_only", json_object_new_boolean(i->read_only));
	json_object_object_add(o, "open_count", json_object_new_int(i->open_count));
	json_object_object_add(o, "event_nr", json_object_new_int64(i->event_nr));
	json_object_object_add(o, "target_count", json_object_new_int64(i->target_count));
	return o;
}

static json_object *table_json(const struct vdm_table *t)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < t->n; i++) {
		json_object *o = json_object_new_object();
		dev_t d;
		uint64_t off;

		json_object_object_add(o, "start", json_object_new_int64((int64_t)t->t[i].start));
		json_object_object_add(o, "length", json_object_new_int64((int64_t)t->t[i].length));
		json_object_object_add(o, "type", jstr(t->t[i].type));
		json_object_object_add(o, "params", jstr(t->t[i].params));
		if (!strcmp(t->t[i].type, "linear") &&
		    !vdm_linear_parse(t->t[i].params, &d, &off, NULL)) {
			char dev[32];

			snprintf(dev, sizeof(dev), "%u:%u", major(d), minor(d));
			json_object_object_add(o, "device", jstr(dev));
			json_object_object_add(o, "offset", json_object_new_int64((int64_t)off));
		}
		json_object_array_add(a, o);
	}
	return a;
}

static int open_ctl(struct vh_ctx *ctx, struct vdm_ctl *c)
{
	struct vh_error e = { 0 };

	if (vdm_open(c, &e))
		return vh_fail(ctx, &e);
	return 0;
}

static int ref_arg(struct vh_ctx *ctx, const char *arg, struct vdm_ref *r)
{
	struct vh_error e = { 0 };

	if (vdm_ref_parse(arg, r, &e))
		return vh_fail(ctx, &e);
	return 0;
}

static int read_all(const char *path, char **ret, struct vh_error *e)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *s = NULL;
	size_t len = 0, n;
	char buf[4096];
	FILE *m;
	int rc = 0;

	if (!f)
		return vh_err(e, -errno, "open %s: %s", path, strerror(errno));
	m = open_memstream(&s, &len);
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	/* a read error is not a shorter table */
	if (ferror(f))
		rc = vh_err(e, -EIO, "read %s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	if ((!m || fclose(m)) && !rc)
		rc = vh_err(e, -ENOMEM, "out of memory");
	if (rc) {
		free(s);
		return rc;
	}
	*ret = s;
	return 0;
}

/* The new table from --table / --table-file / --copy / --linear.  @target, when
 * given, is the device the table is for (default --sectors for --linear). */
static int table_from_opts(struct vdm_ctl *c, const struct dm_opts *o, const struct vdm_ref *target,
			   struct vdm_table *ret, struct vh_error *e)
{
	int given = !!o->table + !!o->table_file + !!o->copy + !!o->linear;
	struct vdm_ref src;
	int rc;

	if (given != 1)
		return vh_err(e, -EINVAL, "give exactly one of --table, --table-file, --copy, --linear");
	if (o->table)
		return vdm_table_parse(o->table, ret, e);
	if (o->table_file) {
		char *s;

		if ((rc = read_all(o->table_file, &s, e)))
			return rc;
		rc = vdm_table_parse(s, ret, e);
		free(s);
		return rc;
	}
	if (o->copy) {
		if ((rc = vdm_ref_parse(o->copy, &src, e)))
			return rc;
		if ((rc = vdm_table_get(c, &src, false, ret, e)))
			return rc;
		if (!ret->n)
			return vh_err(e, -ENXIO, "%s has no live table to copy", o->copy);
		return 0;
	} else {
		struct vdm_ref ld;
		uint64_t sectors = o->sectors;

		if ((rc = vdm_ref_parse(o->linear, &ld, e)))
			return rc;
		if (ld.key != VDM_BY_DEV)
			return vh_err(e, -EINVAL, "--linear wants MAJ:MIN, got '%s'", o->linear);
		if (!sectors && target) {
			struct vdm_table cur = { 0 };

			if ((rc = vdm_table_get(c, target, false, &cur, e)))
				return rc;
			sectors = vdm_table_sectors(&cur);
			vdm_table_free(&cur);
		}
		if (!sectors)
			return vh_err(e, -EINVAL, "--linear needs --sectors");
		return vdm_table_linear(ret, sectors, ld.dev, o->offset, e);
	}
}

static int dm_version(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct vh_error e = { 0 };
	struct dm_opts o;
	struct vdm_ctl c;
	uint32_t v[3];
	char s[48];
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed, "version", 0, &o)) >= 0)
		return rc;
	if ((rc = open_ctl(ctx, &c)))
		return rc;
	rc = vdm_version(&c, v, &e);
	vdm_close(&c);
	if (rc)
		return vh_fail(ctx, &e);
	snprintf(s, sizeof(s), "%u.%u.%u", v[0], v[1], v[2]);
	json_object *out = json_object_new_object();

	json_object_object_add(out, "driver_version", jstr(s));
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static int dm_ls(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct vh_error e = { 0 };
	struct vdm_info *v = NULL;
	struct dm_opts o;
	struct vdm_ctl c;
	size_t n = 0;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed, "ls", 0, &o)) >= 0)
		return rc;
	if ((rc = open_ctl(ctx, &c)))
		return rc;
	rc = vdm_list(&c, &v, &n, &e);
	vdm_close(&c);
	if (rc < 0)
		return vh_fail(ctx, &e);
	json_object *out = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, info_json(&v[i], false));
	free(v);
	json_object_object_add(out, "devices", a);
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static int dm_info(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { 0 };
	struct vh_error e = { 0 };
	struct vdm_info info;
	struct dm_opts o;
	struct vdm_ctl c;
	struct vdm_ref r;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed, "info DEV  (" DEV_HELP ")", 1, &o)) >= 0)
		return rc;
	if ((rc = ref_arg(ctx, argv[optind], &r)) || (rc = open_ctl(ctx, &c)))
		return rc;
	rc = vdm_info(&c, &r, &info, &e);
	vdm_close(&c);
	if (rc)
		return vh_fail(ctx, &e);
	vh_print(ctx, info_json(&info, true));
	return VH_EXIT_OK;
}

static int dm_table(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_INACTIVE, 0 };
	struct vh_error e = { 0 };
	struct vdm_table t = { 0 };
	struct dm_opts o;
	struct vdm_ctl c;
	struct vdm_ref r;
	char *text = NULL;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed, "table DEV [--inactive]", 1, &o)) >= 0)
		return rc;
	if ((rc = ref_arg(ctx, argv[optind], &r)) || (rc = open_ctl(ctx, &c)))
		return rc;
	rc = vdm_table_get(&c, &r, o.inactive, &t, &e);
	vdm_close(&c);
	if (rc)
		return vh_fail(ctx, &e);
	if (ctx->json) {
		json_object *out = json_object_new_object();

		json_object_object_add(out, "sectors", json_object_new_int64((int64_t)vdm_table_sectors(&t)));
		json_object_object_add(out, "targets", table_json(&t));
		vh_print(ctx, out);
	} else if (!vdm_table_format(&t, &text, &e)) {
		/* Text form is dmsetup's table format, so it can be fed back
		 * to `vmhop dm load --table-file -`. */
		fputs(text, stdout);
		free(text);
	} else {
		vdm_table_free(&t);
		return vh_fail(ctx, &e);
	}
	vdm_table_free(&t);
	return VH_EXIT_OK;
}

static int dm_create(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_TABLE, O_TABLE_FILE, O_COPY, O_LINEAR, O_OFFSET,
				       O_SECTORS, O_UUID, O_READONLY, O_NO_NODE, 0 };
	struct vh_error e = { 0 };
	struct vdm_table t = { 0 };
	struct vdm_info info;
	struct dm_opts o;
	struct vdm_ctl c;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed,
			     "create NAME [--uuid SUFFIX] [--table TEXT | --table-file FILE | --copy DEV | "
			     "--linear MAJ:MIN [--offset S] --sectors N] [--readonly] [--no-node]",
			     1, &o)) >= 0)
		return rc;
	if (vdm_name_check(argv[optind], &e))
		return vh_fail(ctx, &e);
	if ((rc = open_ctl(ctx, &c)))
		return rc;
	bool with_table = o.table || o.table_file || o.copy || o.linear;

	if ((with_table && table_from_opts(&c, &o, NULL, &t, &e)) ||
	    vdm_create(&c, argv[optind], o.uuid, with_table ? &t : NULL, o.flags, &info, &e)) {
		vdm_close(&c);
		vdm_table_free(&t);
		return vh_fail(ctx, &e);
	}
	vdm_close(&c);
	vdm_table_free(&t);
	vh_print(ctx, info_json(&info, true));
	return VH_EXIT_OK;
}

static int dm_load(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_TABLE, O_TABLE_FILE, O_COPY, O_LINEAR, O_OFFSET,
				       O_SECTORS, O_READONLY, 0 };
	struct vh_error e = { 0 };
	struct vdm_table t = { 0 };
	struct dm_opts o;
	struct vdm_ctl c;
	struct vdm_ref r;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed,
			     "load DEV (--table TEXT | --table-file FILE | --copy DEV | --linear MAJ:MIN "
			     "[--offset S] [--sectors N]) [--readonly]", 1, &o)) >= 0)
		return rc;
	if ((rc = ref_arg(ctx, argv[optind], &r)) || (rc = open_ctl(ctx, &c)))
		return rc;
	rc = table_from_opts(&c, &o, &r, &t, &e);
	if (!rc)
		rc = vdm_load(&c, &r, &t, o.flags, &e);
	vdm_close(&c);
	vdm_table_free(&t);
	return rc ? vh_fail(ctx, &e) : VH_EXIT_OK;
}

static int simple(struct vh_ctx *ctx, int argc, char **argv, const int *allowed, const char *usage,
		  int (*fn)(struct vdm_ctl *, const struct vdm_ref *, unsigned, struct vh_error *))
{
	struct vh_error e = { 0 };
	struct dm_opts o;
	struct vdm_ctl c;
	struct vdm_ref r;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed, usage, 1, &o)) >= 0)
		return rc;
	if ((rc = ref_arg(ctx, argv[optind], &r)) || (rc = open_ctl(ctx, &c)))
		return rc;
	rc = fn(&c, &r, o.flags, &e);
	vdm_close(&c);
	return rc ? vh_fail(ctx, &e) : VH_EXIT_OK;
}

static int do_clear(struct vdm_ctl *c, const struct vdm_ref *r, unsigned flags, struct vh_error *e)
{
	(void)flags;
	return vdm_clear(c, r, e);
}

static int dm_suspend(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_NOFLUSH, O_NOLOCKFS, 0 };

	return simple(ctx, argc, argv, allowed, "suspend DEV [--noflush] [--nolockfs]", vdm_suspend);
}

static int dm_resume(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_NOFLUSH, O_NOLOCKFS, 0 };

	return simple(ctx, argc, argv, allowed, "resume DEV [--noflush] [--nolockfs]", vdm_resume);
}

static int dm_clear(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { 0 };

	return simple(ctx, argc, argv, allowed, "clear DEV", do_clear);
}

static int dm_remove(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_FORCE, O_NO_NODE, 0 };

	return simple(ctx, argc, argv, allowed, "remove DEV [--force] [--no-node]", vdm_remove);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static json_object *swap_json(const struct vdm_swap_result *r, enum vdm_swap_mode mode)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "window_ns", json_object_new_int64(r->window_ns));
	if (mode == VDM_SWAP_SUSPEND_RESUME)
		json_object_object_add(o, "suspend_ns", json_object_new_int64(r->suspend_ns));
	json_object_object_add(o, "load_ns", json_object_new_int64(r->load_ns));
	json_object_object_add(o, "start_ns", json_object_new_int64(r->start_ns));
	json_object_object_add(o, "rolled_back", json_object_new_boolean(r->rolled_back));
	json_object_object_add(o, "rt", json_object_new_boolean(r->rt));
	if (r->rt_err)
		json_object_object_add(o, "rt_errno", json_object_new_int(-r->rt_err));
	return o;
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* --repeat N: N round trips (onto the new table, then back onto the table
 * the device had), --interval-ms apart, in one process: for the lab and the
 * benchmark, so that what is measured is the swap and not exec().  SIGINT and
 * SIGTERM end the loop between two swaps (vdm_swap() holds them back while a
 * swap is under way), so the device is left running on one of the two
 * tables, never suspended. */
static int swap_repeat(struct vh_ctx *ctx, struct vdm_ctl *c, const struct vdm_ref *r,
		       const struct vdm_table *t, enum vdm_swap_mode mode, unsigned flags,
		       unsigned long repeat, unsigned long interval_ms)
{
	struct vdm_table orig = { 0 };
	struct vdm_swap_result res = { 0 };
	struct vh_error e = { 0 };
	size_t n = 0, total = repeat * 2;
	int64_t *w = calloc(total, sizeof(*w));
	struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term;
	json_object *out, *a;
	int rc = 0;

	if (!w)
		return vh_fail(ctx, &(struct vh_error){ .code = -ENOMEM, .msg = "out of memory" });
	if ((rc = vdm_table_get(c, r, false, &orig, &e))) {
		free(w);
		return vh_fail(ctx, &e);
	}
	a = json_object_new_array();
	stop_signal = 0;
	sigemptyset(&sa.sa_mask);
	/* A signal our caller ignores (nohup, `cmd &` in a script) stays ignored. */
	sigaction(SIGINT, NULL, &old_int);
	sigaction(SIGTERM, NULL, &old_term);
	if (old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	if (old_term.sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
	for (size_t i = 0; i < total && !stop_signal; i++) {
		struct timespec ts = { (time_t)(interval_ms / 1000), (long)(interval_ms % 1000) * 1000000 };

		rc = vdm_swap(c, r, i % 2 ? &orig : t, mode, flags, &res, &e);
		if (rc)
			break;
		w[n++] = res.window_ns;
		json_object_array_add(a, swap_json(&res, mode));
		if (!stop_signal)
			nanosleep(&ts, NULL);	/* a signal cuts it short */
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	vdm_table_free(&orig);
	const char *sig = stop_signal == SIGINT ? "SIGINT" : "SIGTERM";

	if (!rc && stop_signal)
		rc = vh_err(&e, -EINTR, "dm swap: stopped by %s after %zu of %zu swaps; the device "
			    "runs on the %s table", sig, n, total, n % 2 ? "new" : "original");
	out = json_object_new_object();
	json_object_object_add(out, "mode", jstr(mode == VDM_SWAP_RESUME ? "resume" : "suspend-resume"));
	json_object_object_add(out, "swaps_done", json_object_new_int64((int64_t)n));
	if (stop_signal)
		json_object_object_add(out, "stopped_by", jstr(sig));
	if (n) {
		qsort(w, n, sizeof(*w), cmp_i64);
		json_object_object_add(out, "window_median_ns", json_object_new_int64(w[n / 2]));
		json_object_object_add(out, "window_p99_ns",
				       json_object_new_int64(w[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]));
		json_object_object_add(out, "window_max_ns", json_object_new_int64(w[n - 1]));
	}
	free(w);
	if (ctx->json)
		json_object_object_add(out, "swaps", a);
	else
		json_object_put(a);
	if (rc) {
		int ex = vh_fail(ctx, &e);

		vh_print(ctx, out);
		return ex;
	}
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static int dm_swap(struct vh_ctx *ctx, int argc, char **argv)
{
	static const int allowed[] = { O_TABLE, O_TABLE_FILE, O_COPY, O_LINEAR, O_OFFSET,
				       O_SECTORS, O_MODE, O_NOFLUSH, O_NOLOCKFS, O_REPEAT,
				       O_INTERVAL, 0 };
	enum vdm_swap_mode mode = VDM_SWAP_RESUME;
	struct vdm_swap_result res = { 0 };
	struct vh_error e = { 0 };
	struct vdm_table t = { 0 };
	struct dm_opts o;
	struct vdm_ctl c;
	struct vdm_ref r;
	int rc;

	if ((rc = parse_opts(ctx, argc, argv, allowed,
			     "swap DEV (--table TEXT | --table-file FILE | --copy DEV | --linear MAJ:MIN "
			     "[--offset S]) [--mode resume|suspend-resume] [--noflush] [--nolockfs] "
			     "[--repeat N [--interval-ms M]]",
			     1, &o)) >= 0)
		return rc;
	if (o.mode && !strcmp(o.mode, "suspend-resume"))
		mode = VDM_SWAP_SUSPEND_RESUME;
	else if (o.mode && strcmp(o.mode, "resume"))
		return vh_usage(ctx, "--mode is 'resume' or 'suspend-resume', not '%s'", o.mode);
	if ((rc = ref_arg(ctx, argv[optind], &r)) || (rc = open_ctl(ctx, &c)))
		return rc;
	rc = table_from_opts(&c, &o, &r, &t, &e);
	if (!rc && o.repeat) {
		rc = swap_repeat(ctx, &c, &r, &t, mode, o.flags, (unsigned long)o.repeat,
				 o.has_interval ? (unsigned long)o.interval : 20);
		vdm_close(&c);
		vdm_table_free(&t);
		return rc;
	}
	if (!rc)
		rc = vdm_swap(&c, &r, &t, mode, o.flags, &res, &e);
	vdm_close(&c);
	vdm_table_free(&t);
	if (rc && !res.rolled_back)
		return vh_fail(ctx, &e);

	json_object *out = swap_json(&res, mode);

	json_object_object_add(out, "mode", jstr(mode == VDM_SWAP_RESUME ? "resume" : "suspend-resume"));
	if (rc) {
		int ex = vh_fail(ctx, &e);

		if (!ctx->json)
			vh_print(ctx, out);
		else
			json_object_put(out);
		return ex;
	}
	vh_print(ctx, out);
	return VH_EXIT_OK;
}

static const struct vh_cmd dm_cmds[] = {
	{ "version", dm_version, "device-mapper driver version" },
	{ "ls",      dm_ls,      "list devices: name, MAJ:MIN, uuid" },
	{ "info",    dm_info,    "state of one device (" DEV_HELP ")" },
	{ "table",   dm_table,   "live (or --inactive) table, as dmsetup prints it" },
	{ "create",  dm_create,  "create a device with vmhop's UUID prefix, load, resume, make its node" },
	{ "load",    dm_load,    "load the inactive table" },
	{ "suspend", dm_suspend, "suspend (flush, or --noflush)" },
	{ "resume",  dm_resume,  "resume (swaps in the inactive table if any)" },
	{ "clear",   dm_clear,   "drop the inactive table" },
	{ "remove",  dm_remove,  "remove a device vmhop created (retries while busy)" },
	{ "swap",    dm_swap,    "load a table then freeze/swap/thaw; prints the freeze window" },
	{ NULL, NULL, NULL }
};

int cmd_dm(struct vh_ctx *ctx, int argc, char **argv)
{
	return vh_dispatch(ctx, dm_cmds, "dm", argc - 1, argv + 1);
}
