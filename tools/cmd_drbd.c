/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop drbd: the DRBD 8.4 netlink client by hand.  Status, events, waits,
 * and enough set-up commands to build a resource without drbdsetup.  Option
 * names are drbdsetup-84's (--resync-rate, --protocol, --shared-secret, ...).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/drbdnl.h"
#include "vmhop.h"

/* What a command line holds besides DRBD options. */
struct args {
	const char *pos[8];
	int npos;
	bool force;
	bool set_defaults;
	enum drbdnl_helper_mode helper;	/* --keep-helper, --override-helper */
	int timeout_ms;		/* -1: none */
	struct drbdnl_conf conf;	/* may hold the shared secret: see args_wipe() */
};

/* Every struct args that may hold a secret is declared with
 * __attribute__((cleanup(args_wipe))): zeroed on every way out of the
 * command, after the request was sent. */
static void args_wipe(struct args *a)
{
	explicit_bzero(a, sizeof(*a));
}

#define SECRET_OPT "shared-secret"

/* --shared-secret-file FILE|-: one line from a root-owned 0600 file or stdin. */
static int secret_from_file(struct vh_ctx *ctx, const char *cmd, const char *path,
			    struct drbdnl_conf *conf)
{
	char buf[DRBDNL_CONF_STR_MAX + 2];
	struct vh_error e = { 0 };
	int r;

	if (!path)
		return vh_usage(ctx, "drbd %s: --shared-secret-file needs FILE (or - for stdin)", cmd);
	r = vh_secret_read(path, buf, sizeof(buf), &e);
	if (!r)
		r = drbdnl_conf_set_text(conf, SECRET_OPT, buf, &e);
	explicit_bzero(buf, sizeof(buf));
	return r < 0 ? vh_fail(ctx, &e) : 0;
}

/* Minors, volumes, indexes: decimal only ("010" is not eight). */
static int parse_uint(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;
	int rc = vnum_u64(s, 0, max, &v);

	*ret = (uint32_t)v;	/* 0 on failure: callers stop there anyway */
	return rc < 0 ? -EINVAL : 0;
}

/*
 * The options of drbd's commands.  Two tables, one for getopt_long and for
 * --help alike, so that every option is listed and parsed the same way:
 * vmhop's own options below, and DRBD's -- one per field of the nests a
 * command sends, under drbdsetup-84's name, from netlink's own table
 * (src/netlink/fields.c, which also parses their values).
 */
enum { A_FORCE = 1, A_TIMEOUT = 2, A_DEFAULTS = 4, A_KEEP = 8, A_OVERRIDE = 16,
       A_HELPER = A_KEEP | A_OVERRIDE,
       /* the DRBD options of a nest */
       A_DISK = 32, A_NET = 64, A_RES = 128,
       A_EVERY = 256,		/* --help: every command */
       A_ALL = 511 };

/* getopt_long's values: vmhop's options, then O_FIELD + a field's id */
enum { O_HELP = 'h', O_FORCE = 256, O_TIMEOUT, O_DEFAULTS, O_KEEP, O_OVERRIDE, O_SECRET_FILE,
       O_FIELD = 512 };

#define TIMEOUT_MAX_S	(86400 * 7)	/* a week: its milliseconds fit an int */

static const struct drbd_opt {
	unsigned bit;		/* the commands that take it (A_*); a nest's: listed with it */
	const char *name;
	int has_arg;
	int val;
	const char *arg;	/* the argument's name in --help */
	const char *help;
} drbd_opts[] = {
	{ A_FORCE, "force", no_argument, O_FORCE, NULL, NULL /* force_help() */ },
	{ A_TIMEOUT, "timeout", required_argument, O_TIMEOUT, "SECONDS",
	  "give up after SECONDS (0..604800, to the millisecond; exit 9)" },
	{ A_DEFAULTS, "set-defaults", no_argument, O_DEFAULTS, NULL,
	  "the options not given go back to their defaults" },
	{ A_KEEP, "keep-helper", no_argument, O_KEEP, NULL,
	  "never change the drbd module's usermode helper (vmhop's resyncs then need a "
	  "helper that knows the resource)" },
	{ A_OVERRIDE, "override-helper", no_argument, O_OVERRIDE, NULL,
	  "replace the usermode helper although the host has DRBD resources vmhop does "
	  "not hold: their handlers answer success until vmhop's last resource is down" },
	{ A_NET, "shared-secret-file", required_argument, O_SECRET_FILE, "FILE|-",
	  "the secret from a file of mode 0600, or stdin" },
	{ A_EVERY, "help", no_argument, O_HELP, NULL, "this text (-h)" },
};
#define N_DRBD_OPTS	(sizeof(drbd_opts) / sizeof(drbd_opts[0]))

/* The DRBD options of each nest: the command bit that takes them, --help's title. */
static const struct { unsigned bit; const char *title, *cmd; } nests[] = {
	[DRBDNL_NEST_DISK] = { A_DISK, "disk options", "disk-options" },
	[DRBDNL_NEST_NET] = { A_NET, "net options", "net-options" },
	[DRBDNL_NEST_RES] = { A_RES, "resource options", "resource-options" },
};

/* Does a command taking @allowed take @o?  --help, every command. */
static bool takes(unsigned allowed, const struct drbd_opt *o)
{
	return o->bit == A_EVERY || (allowed & o->bit);
}

/* A row listed with a nest's DRBD options, not with vmhop's. */
static bool nest_row(const struct drbd_opt *o)
{
	return o->bit == A_DISK || o->bit == A_NET || o->bit == A_RES;
}

static const struct drbd_opt *own_option(unsigned allowed, const char *name, size_t n)
{
	for (size_t i = 0; i < N_DRBD_OPTS; i++)
		if (takes(allowed, &drbd_opts[i]) && strlen(drbd_opts[i].name) == n &&
		    !strncmp(drbd_opts[i].name, name, n))
			return &drbd_opts[i];
	return NULL;
}

/* The DRBD field a command taking @allowed reads as --NAME (@n bytes), or -1.
 * The positional fields (attach's devices and index) are no options, and
 * a name one of vmhop's options has is that option's: up's --timeout is its
 * wait, not DRBD's net timeout. */
static int field_option(unsigned allowed, const char *name, size_t n)
{
	if (own_option(allowed, name, n))
		return -1;
	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++)
		if ((allowed & nests[drbdnl_field_nest(i)].bit) && !drbdnl_field_positional(i) &&
		    strlen(drbdnl_field_name(i)) == n && !strncmp(drbdnl_field_name(i), name, n))
			return i;
	return -1;
}

/* getopt_long's table for a command taking @allowed (@o: room for all). */
#define MAX_OPTS	(N_DRBD_OPTS + DRBDNL_FIELD_COUNT + 1)
static void getopt_table(unsigned allowed, struct option *o)
{
	size_t n = 0;

	for (size_t i = 0; i < N_DRBD_OPTS; i++)
		if (takes(allowed, &drbd_opts[i]))
			o[n++] = (struct option){ drbd_opts[i].name, drbd_opts[i].has_arg, NULL,
						  drbd_opts[i].val };
	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
		const char *name = drbdnl_field_name(i);

		if (field_option(allowed, name, strlen(name)) != i)
			continue;
		/* a flag stands alone or takes =yes|no; never the next word */
		o[n++] = (struct option){ name, drbdnl_field_kind(i) == DRBDNL_K_FLAG ?
					  optional_argument : required_argument, NULL, O_FIELD + i };
	}
	o[n] = (struct option){ NULL, 0, NULL, 0 };
}

static const char *force_help(const char *cmd)
{
	if (!strcmp(cmd, "primary"))
		return "promote although the data is not known to be up to date (drbdsetup's "
		       "primary --force)";
	if (!strcmp(cmd, "up"))
		return "primary --force, before the connect";
	return "DRBD's forced disconnect or detach";
}

/* "  --NAME ARG" and @help after it from column 26, wrapped at 79. */
static void print_option(const char *name, const char *arg, const char *help)
{
	enum { COL = 26, WIDTH = 79 };
	int col = printf("  --%s%s%s", name, arg ? " " : "", arg ? arg : "");

	while (*help) {
		size_t n = strcspn(help, " ");

		if (col >= COL && col + 1 + (int)n > WIDTH) {
			putchar('\n');
			col = 0;
		}
		col += col < COL ? printf("%*s", COL - col, "") : printf(" ");
		col += printf("%.*s", (int)n, help);
		help += n;
		help += strspn(help, " ");
	}
	putchar('\n');
}

/* --help: the usage line, then every option the command takes, vmhop's
 * and DRBD's, each with its unit or values (drbdnl_field_help). */
static void conf_help(const char *cmd, unsigned allowed, const char *usage)
{
	printf("usage: vmhop drbd %s %s\n\noptions:\n", cmd, usage);
	for (size_t i = 0; i < N_DRBD_OPTS; i++)
		if (takes(allowed, &drbd_opts[i]) && !nest_row(&drbd_opts[i]))
			print_option(drbd_opts[i].name, drbd_opts[i].arg,
				     drbd_opts[i].help ? drbd_opts[i].help : force_help(cmd));
	for (size_t k = 0; k < sizeof(nests) / sizeof(nests[0]); k++) {
		if (!(allowed & nests[k].bit))
			continue;
		printf("\n%s (drbdsetup-84's names; --NAME VALUE or --NAME=VALUE):\n", nests[k].title);
		for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
			const char *name = drbdnl_field_name(i);
			char buf[256];

			if (drbdnl_field_nest(i) != k || drbdnl_field_positional(i))
				continue;
			if (field_option(allowed, name, strlen(name)) != i)
				printf("  (--%s is %s's own option above, not DRBD's; set DRBD's with "
				       "%s)\n", name, cmd, nests[k].cmd);
			else if (drbdnl_field_help(i, buf, sizeof(buf)) == 0)
				printf("  %s\n", buf);
		}
		for (size_t i = 0; i < N_DRBD_OPTS; i++)
			if (drbd_opts[i].bit == nests[k].bit)
				printf("  --%s %s (%s)\n", drbd_opts[i].name, drbd_opts[i].arg,
				       drbd_opts[i].help);
		if (k == DRBDNL_NEST_NET)
			printf("  (after-sb-0pri, -1pri, -2pri and rr-conflict: only disconnect, and\n"
			       "  discard-zero-changes for after-sb-0pri, are accepted: the others can\n"
			       "  throw data away)\n");
	}
}

/* A word of argv that getopt_long refused or took for another option
 * (an abbreviation: options are matched whole): the usage error. */
static int bad_option(struct vh_ctx *ctx, const char *cmd, unsigned allowed, const char *word,
		      const char *usage)
{
	const char *name = word + 2;
	size_t n = strcspn(name, "=");
	const struct drbd_opt *o;

	if (strncmp(word, "--", 2))
		return vh_usage(ctx, "drbd %s: unknown option %s (usage: %s)", cmd, word, usage);
	if ((o = own_option(allowed, name, n)) && o->has_arg == no_argument && name[n] == '=')
		return vh_usage(ctx, "drbd %s: --%s takes no value", cmd, o->name);
	if (own_option(A_ALL, name, n) || field_option(A_DISK | A_NET | A_RES, name, n) >= 0)
		return vh_usage(ctx, "drbd %s does not take --%.*s", cmd, (int)n, name);
	return vh_usage(ctx, "drbd %s: unknown option --%.*s (usage: %s)", cmd, (int)n, name,
			usage);
}

static int positional(struct vh_ctx *ctx, const char *cmd, const char *w, int maxpos,
		      const char *usage, struct args *a)
{
	if (a->npos >= maxpos || a->npos >= (int)(sizeof(a->pos) / sizeof(a->pos[0])))
		return vh_usage(ctx, "drbd %s: too many arguments (usage: %s)", cmd, usage);
	a->pos[a->npos++] = w;
	return 0;
}

/* One option getopt_long found; @arg its value, NULL for a flag alone. */
static int take_option(struct vh_ctx *ctx, const char *cmd, int c, char *arg, struct args *a)
{
	struct vh_error e = { 0 };
	uint64_t ms;
	const char *name;

	switch (c) {
	case O_FORCE:
		a->force = true;
		return 0;
	case O_DEFAULTS:
		a->set_defaults = true;
		return 0;
	case O_KEEP:
		a->helper = DRBDNL_HELPER_KEEP;
		return 0;
	case O_OVERRIDE:
		a->helper = DRBDNL_HELPER_OVERRIDE;
		return 0;
	case O_TIMEOUT:
		if (vnum_seconds_ms(arg, TIMEOUT_MAX_S, &ms) < 0)
			return vh_usage(ctx, "drbd %s: --timeout takes seconds (0..604800, to the "
					"millisecond)", cmd);
		a->timeout_ms = (int)ms;
		return 0;
	case O_SECRET_FILE:
		return secret_from_file(ctx, cmd, arg, &a->conf);
	}
	name = drbdnl_field_name(c - O_FIELD);
	if (!strcmp(name, SECRET_OPT))
		fprintf(stderr, "vmhop: warning: --%s on the command line can be read by every "
			"user (ps, /proc/PID/cmdline); use --%s-file FILE (mode 0600) or "
			"--%s-file - (stdin)\n", SECRET_OPT, SECRET_OPT, SECRET_OPT);
	if (drbdnl_conf_set_text(&a->conf, name, arg, &e) < 0)
		return vh_usage(ctx, "drbd %s: %s", cmd, e.msg);
	if (!strcmp(name, SECRET_OPT) && arg)
		/* shorten its time in /proc/PID/cmdline: it is in a->conf now */
		explicit_bzero(arg, strlen(arg));
	return 0;
}

/* Does @word ("--NAME" or "--NAME=VALUE") name an option of @lo whole?
 * (getopt_long also takes an unambiguous abbreviation.) */
static bool named_whole(const struct option *lo, const char *word)
{
	size_t n = strcspn(word + 2, "=");

	for (; lo->name; lo++)
		if (strlen(lo->name) == n && !strncmp(lo->name, word + 2, n))
			return true;
	return false;
}

/* A word with one dash ("-r0", "-1") is an argument, as it always was: a
 * DRBD resource may be so named.  Only -h is a short option. */
static bool one_dash_word(const char *w)
{
	return w[0] == '-' && w[1] && w[1] != '-' && strcmp(w, "-h");
}

/*
 * argv[0] is the command.  Options may stand anywhere, each matched whole
 * (getopt_long's abbreviations are refused), as --NAME VALUE or
 * --NAME=VALUE; a DRBD flag alone or --NAME=yes|no.  The other words, in
 * order, go to a->pos; after "--" all are.  @allowed: the options
 * (A_*) the command takes.  0; -1 after --help; or the usage error's code.
 */
static int parse_args(struct vh_ctx *ctx, int argc, char **argv, unsigned allowed, int minpos,
		      int maxpos, const char *usage, struct args *a)
{
	struct option lo[MAX_OPTS];
	int base = 0, c, r;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = -1;
	getopt_table(allowed, lo);
	/* getopt_long reads argv + base, argv[base] standing for the program:
	 * after a one-dash word it starts again past it (optind = 0 is glibc's
	 * full re-initialisation, also between the runs of vh_main in a test). */
	optind = 0;
	opterr = 0;
	for (;;) {
		int at = base + (optind ? optind : 1);

		if (at < argc && one_dash_word(argv[at])) {
			if ((r = positional(ctx, argv[0], argv[at], maxpos, usage, a)))
				return r;
			base = at;
			optind = 0;
			continue;
		}
		c = getopt_long(argc - base, argv + base, "-:h", lo, NULL);
		if (c == -1)
			break;
		if (c == 1) {
			if ((r = positional(ctx, argv[0], optarg, maxpos, usage, a)))
				return r;
			continue;
		}
		if (c == '?' || (!strncmp(argv[at], "--", 2) && !named_whole(lo, argv[at])))
			return bad_option(ctx, argv[0], allowed, argv[at], usage);
		if (c == ':')
			return vh_usage(ctx, "drbd %s: %s needs a value", argv[0], argv[at]);
		if (c == O_HELP) {
			conf_help(argv[0], allowed, usage);
			return -1;
		}
		if ((r = take_option(ctx, argv[0], c, optarg, a)))
			return r;
	}
	for (int i = base + optind; i < argc; i++)
		if ((r = positional(ctx, argv[0], argv[i], maxpos, usage, a)))
			return r;
	if (a->npos < minpos)
		return vh_usage(ctx, "drbd %s: missing arguments (usage: vmhop drbd %s %s)", argv[0],
				argv[0], usage);
	return 0;
}

static int open_nl(struct vh_ctx *ctx, struct drbdnl **h)
{
	struct vh_error e = { 0 };

	if (drbdnl_open(h, &e) < 0)
		return vh_fail(ctx, &e);
	return 0;
}

static int minor_arg(struct vh_ctx *ctx, const char *s, uint32_t *ret)
{
	if (parse_uint(s, (1u << 20) - 1, ret) < 0)
		return vh_usage(ctx, "'%s' is not a DRBD minor (0..1048575, decimal)", s);
	return 0;
}

static int addr_arg(struct vh_ctx *ctx, const char *s, struct drbdnl_addr *ret)
{
	struct vh_error e = { 0 };

	if (drbdnl_addr_parse(s, ret, &e) < 0)
		return vh_usage(ctx, "%s", e.msg);
	return 0;
}

static void print_ok(struct vh_ctx *ctx, const char *cmd, struct drbdnl *h)
{
	json_object *o;

	if (!ctx->json)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "command", json_object_new_string(cmd));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "netlink_round_trips", json_object_new_int((int)drbdnl_round_trips(h)));
	vh_print(ctx, o);
}

/* Finish a set-up command: report, close, exit code. */
static int finish(struct vh_ctx *ctx, const char *cmd, struct drbdnl *h, int r,
		  const struct vh_error *e)
{
	int rc = VH_EXIT_OK;

	if (r < 0)
		rc = vh_fail(ctx, e);
	else
		print_ok(ctx, cmd, h);
	drbdnl_close(h);
	return rc;
}

/* ---- status ------------------------------------------------------------ */

static const char *sib_name(uint32_t r)
{
	static const char *const n[] = { "?", "status", "state-change", "helper-pre", "helper-post",
					 "sync-progress" };

	return r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

static json_object *conf_json(const struct drbdnl_conf *c, enum drbdnl_nest_kind nest)
{
	json_object *o = json_object_new_object();
	char buf[160];

	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
		if (drbdnl_field_nest(i) != nest || drbdnl_conf_format(c, i, buf, sizeof(buf)) < 0)
			continue;
		switch (drbdnl_field_kind(i)) {
		case DRBDNL_K_U32: case DRBDNL_K_U64: case DRBDNL_K_S32:
			json_object_object_add(o, drbdnl_field_name(i),
					       json_object_new_int64(drbdnl_conf_num(c, i)));
			break;
		case DRBDNL_K_FLAG:
			json_object_object_add(o, drbdnl_field_name(i),
					       json_object_new_boolean(drbdnl_conf_num(c, i) != 0));
			break;
		default:
			json_object_object_add(o, drbdnl_field_name(i), json_object_new_string(buf));
		}
	}
	return o;
}

static json_object *status_json(const struct drbdnl_status *st, bool full)
{
	json_object *o = json_object_new_object();
	struct drbdnl_progress p;
	char buf[128];

	json_object_object_add(o, "minor", st->minor == DRBDNL_ALL_MINORS ? NULL :
			       json_object_new_int64(st->minor));
	json_object_object_add(o, "resource", json_object_new_string(st->resource));
	json_object_object_add(o, "volume", json_object_new_int64(st->volume));
	if (st->has_state) {
		json_object_object_add(o, "role", json_object_new_string(drbdnl_role_name(st->role)));
		json_object_object_add(o, "peer_role",
				       json_object_new_string(drbdnl_role_name(st->peer)));
		json_object_object_add(o, "connection",
				       json_object_new_string(drbdnl_conn_name(st->conn)));
		json_object_object_add(o, "disk", json_object_new_string(drbdnl_disk_name(st->disk)));
		json_object_object_add(o, "peer_disk",
				       json_object_new_string(drbdnl_disk_name(st->pdsk)));
		json_object_object_add(o, "suspended", json_object_new_boolean(st->susp));
		json_object_object_add(o, "suspended_no_data", json_object_new_boolean(st->susp_nod));
		json_object_object_add(o, "suspended_fencing", json_object_new_boolean(st->susp_fen));
		json_object_object_add(o, "resync_paused_user", json_object_new_boolean(st->user_isp));
		json_object_object_add(o, "resync_paused_peer", json_object_new_boolean(st->peer_isp));
		json_object_object_add(o, "resync_paused_after",
				       json_object_new_boolean(st->aftr_isp));
		json_object_object_add(o, "capacity_sectors", json_object_new_int64((int64_t)st->capacity));
		if (st->has_uuids) {
			json_object *u = json_object_new_array();

			for (int i = 0; i < 4; i++) {
				snprintf(buf, sizeof(buf), "%016" PRIX64, st->uuids[i]);
				json_object_array_add(u, json_object_new_string(buf));
			}
			json_object_object_add(o, "uuids", u);
			json_object_object_add(o, "disk_flags", json_object_new_int64(st->disk_flags));
			json_object_object_add(o, "bits_total", json_object_new_int64((int64_t)st->bits_total));
			json_object_object_add(o, "bits_oos", json_object_new_int64((int64_t)st->bits_oos));
			json_object_object_add(o, "out_of_sync_kib",
					       json_object_new_int64((int64_t)st->bits_oos * 4));
		}
		if (st->has_resync) {
			json_object_object_add(o, "bits_rs_total",
					       json_object_new_int64((int64_t)st->bits_rs_total));
			json_object_object_add(o, "bits_rs_failed",
					       json_object_new_int64((int64_t)st->bits_rs_failed));
		}
		if (drbdnl_sync_progress(st, &p)) {
			snprintf(buf, sizeof(buf), "%u.%u", p.permille / 10, p.permille % 10);
			json_object_object_add(o, "sync_percent", json_object_new_double_s(p.permille / 10.0, buf));
		}
	}
	if (st->my_addr.len) {
		drbdnl_addr_format(&st->my_addr, buf, sizeof(buf));
		json_object_object_add(o, "local", json_object_new_string(buf));
	}
	if (st->peer_addr.len) {
		drbdnl_addr_format(&st->peer_addr, buf, sizeof(buf));
		json_object_object_add(o, "peer", json_object_new_string(buf));
	}
	if (full) {
		json_object_object_add(o, "resource_options", conf_json(&st->conf, DRBDNL_NEST_RES));
		if (st->attached)
			json_object_object_add(o, "disk_options", conf_json(&st->conf, DRBDNL_NEST_DISK));
		if (st->has_net)
			json_object_object_add(o, "net_options", conf_json(&st->conf, DRBDNL_NEST_NET));
	}
	return o;
}

static int do_status(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	struct args a;
	uint32_t minor = 0;
	bool by_minor;
	int rc;

	rc = parse_args(ctx, argc, argv, 0, 0, 1, "[MINOR|RESOURCE] [--json]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	/* All digits: a minor, and then a valid one ("010" is refused, not
	 * taken for a resource name); else a resource name. */
	by_minor = a.npos == 1 && a.pos[0][strspn(a.pos[0], "0123456789")] == '\0';
	if (by_minor && (rc = minor_arg(ctx, a.pos[0], &minor)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	if (by_minor) {
		struct drbdnl_status st;

		if (drbdnl_get_status(h, minor, &st, &e) < 0) {
			rc = vh_fail(ctx, &e);
		} else {
			vh_print(ctx, status_json(&st, true));
			rc = VH_EXIT_OK;
		}
	} else {
		struct drbdnl_status *v = NULL;
		size_t n = 0;

		if (drbdnl_get_status_all(h, a.npos ? a.pos[0] : NULL, &v, &n, &e) < 0) {
			rc = vh_fail(ctx, &e);
		} else {
			json_object *o = json_object_new_object(), *arr = json_object_new_array();

			for (size_t i = 0; i < n; i++)
				json_object_array_add(arr, status_json(&v[i], true));
			json_object_object_add(o, "devices", arr);
			vh_print(ctx, o);
			free(v);
			rc = VH_EXIT_OK;
		}
	}
	drbdnl_close(h);
	return rc;
}

/* ---- events and waits -------------------------------------------------- */

static json_object *event_json(const struct drbdnl_status *st)
{
	json_object *o = json_object_new_object();
	struct drbdnl_progress p;

	json_object_object_add(o, "minor", json_object_new_int64(st->minor));
	json_object_object_add(o, "event", json_object_new_string(sib_name(st->sib_reason)));
	if (st->resource[0])
		json_object_object_add(o, "resource", json_object_new_string(st->resource));
	if (st->has_state) {
		json_object_object_add(o, "role", json_object_new_string(drbdnl_role_name(st->role)));
		json_object_object_add(o, "peer_role", json_object_new_string(drbdnl_role_name(st->peer)));
		json_object_object_add(o, "connection", json_object_new_string(drbdnl_conn_name(st->conn)));
		json_object_object_add(o, "disk", json_object_new_string(drbdnl_disk_name(st->disk)));
		json_object_object_add(o, "peer_disk", json_object_new_string(drbdnl_disk_name(st->pdsk)));
	}
	if (drbdnl_sync_progress(st, &p)) {
		json_object_object_add(o, "done_permille", json_object_new_int((int)p.permille));
		json_object_object_add(o, "left_kib", json_object_new_int64((int64_t)p.left_kib));
	}
	if (st->helper[0]) {
		json_object_object_add(o, "helper", json_object_new_string(st->helper));
		if (st->sib_reason == 4)
			json_object_object_add(o, "helper_exit_code",
					       json_object_new_int((int)st->helper_exit_code));
	}
	return o;
}

static int events_cb(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	struct vh_ctx *ctx = arg;

	if (st->minor == DRBDNL_ALL_MINORS)
		return 0;	/* a resource without volumes */
	vh_print_line(ctx, event_json(st));
	return 0;
}

static int do_events(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	uint32_t minor = DRBDNL_ALL_MINORS;
	struct args a;
	int rc;

	rc = parse_args(ctx, argc, argv, A_TIMEOUT, 0, 1, "[MINOR] [--timeout SECONDS] [--json]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if (a.npos && (rc = minor_arg(ctx, a.pos[0], &minor)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	rc = drbdnl_events(h, minor, a.timeout_ms, events_cb, ctx, &e);
	/* A timeout is how an events stream with --timeout ends normally. */
	rc = (rc < 0 && rc != -ETIMEDOUT) ? vh_fail(ctx, &e) : VH_EXIT_OK;
	drbdnl_close(h);
	return rc;
}

struct progress_state {
	struct vh_ctx *ctx;
	int last_permille;
	int last_conn;
};

static void progress_cb(const struct drbdnl_status *st, const struct drbdnl_progress *p, void *arg)
{
	struct progress_state *ps = arg;
	bool syncing = st->has_resync && st->conn >= DRBDNL_C_SYNC_SOURCE &&
		       st->conn <= DRBDNL_C_PAUSED_SYNC_T;

	/* one line per state change and per whole percent of progress */
	if (st->conn == ps->last_conn && (!syncing || (int)p->permille / 10 == ps->last_permille / 10))
		return;
	ps->last_conn = st->conn;
	ps->last_permille = syncing ? (int)p->permille : -10;
	if (ps->ctx->json) {
		vh_print_line(ps->ctx, event_json(st));
	} else {
		fprintf(stderr, "drbd%u: %s %s/%s %s/%s", st->minor, drbdnl_conn_name(st->conn),
			drbdnl_role_name(st->role), drbdnl_role_name(st->peer),
			drbdnl_disk_name(st->disk), drbdnl_disk_name(st->pdsk));
		if (syncing)
			fprintf(stderr, " %u.%u%% (%" PRIu64 " KiB left)", p->permille / 10,
				p->permille % 10, p->left_kib);
		fputc('\n', stderr);
	}
}

static int do_wait(struct vh_ctx *ctx, int argc, char **argv, drbdnl_pred_fn pred)
{
	struct progress_state ps = { .ctx = ctx, .last_permille = -10, .last_conn = -1 };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	struct drbdnl *h;
	uint32_t minor;
	struct args a;
	int rc;

	rc = parse_args(ctx, argc, argv, A_TIMEOUT, 1, 1, "MINOR [--timeout SECONDS]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = minor_arg(ctx, a.pos[0], &minor)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	if (drbdnl_wait(h, minor, pred, NULL, a.timeout_ms, progress_cb, &ps, &st, &e) < 0) {
		rc = vh_fail(ctx, &e);
	} else {
		vh_print(ctx, status_json(&st, false));
		rc = VH_EXIT_OK;
	}
	drbdnl_close(h);
	return rc;
}

static int do_wait_connect(struct vh_ctx *ctx, int argc, char **argv)
{
	return do_wait(ctx, argc, argv, drbdnl_pred_connected);
}

static int do_wait_sync(struct vh_ctx *ctx, int argc, char **argv)
{
	return do_wait(ctx, argc, argv, drbdnl_pred_synced);
}

/* ---- usermode helper (the policy is drbdnl_helper_*, docs/netlink.md) ---- */

static void helper_names(char *buf, size_t len, unsigned n, const char (*names)[DRBDNL_RES_NAME_MAX])
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && i < DRBDNL_HELPER_MAX && at + 1 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "," : "", names[i]);
}

/* Before a connect: hold @res, so that drbdadm does not abort its resync. */
static int helper_guard(struct vh_ctx *ctx, struct drbdnl *h, const char *res,
			enum drbdnl_helper_mode mode)
{
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char names[256];
	int r;

	r = drbdnl_helper_take(h, NULL, res, mode, &hi, &e);
	if (r == -EBUSY && hi.nforeign) {
		/* say what to do: the options are the program's, not the library's */
		size_t n = strlen(e.msg);

		snprintf(e.msg + n, sizeof(e.msg) - n, "; bring them down first, or give "
			 "--override-helper (their handlers answer success until vmhop's last "
			 "resource is down) or --keep-helper (keep drbdadm: '%s' then needs a "
			 "drbd.conf entry)", res);
	}
	if (r < 0)
		return vh_fail(ctx, &e);
	helper_names(names, sizeof(names), hi.nforeign, hi.foreign);
	if (hi.changed)
		fprintf(stderr, "vmhop: drbd usermode_helper %s would abort resyncs of a resource that "
			"is not in drbd.conf; set to %s until vmhop's last DRBD resource is down "
			"(record in %s/helper.state)\n", hi.saved, DRBDNL_HELPER_SAFE,
			DRBDNL_HELPER_DIR);
	if (hi.overridden && hi.nforeign)
		fprintf(stderr, "vmhop: warning: --override-helper: the handlers of %s answer "
			"success (%s) while vmhop holds DRBD resources\n", names, DRBDNL_HELPER_SAFE);
	return 0;
}

/* After a down: vmhop's hold of @res ends; the last one puts the helper back. */
static void helper_release(struct vh_ctx *ctx, struct drbdnl *h, const char *res)
{
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char names[256];

	(void)ctx;
	if (drbdnl_helper_release(h, NULL, res, &hi, &e) < 0) {
		fprintf(stderr, "vmhop: warning: %s (usermode_helper left as it is)\n", e.msg);
		return;
	}
	if (hi.changed)
		fprintf(stderr, "vmhop: drbd usermode_helper %s put back (vmhop holds no DRBD "
			"resource now)\n", hi.current);
	else if (hi.nheld) {
		size_t at = 0;

		names[0] = '\0';
		for (unsigned i = 0; i < hi.nheld && at + 1 < sizeof(names); i++)
			at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s", i ? "," : "",
					       hi.held[i].res);
		fprintf(stderr, "vmhop: drbd usermode_helper stays %s: vmhop still holds %s\n",
			hi.current, names);
	}
}

static json_object *helper_json(const struct drbdnl_helper *hi, bool listed)
{
	json_object *o = json_object_new_object(), *held = json_object_new_array();

	json_object_object_add(o, "usermode_helper", json_object_new_string(hi->current));
	json_object_object_add(o, "aborts_resyncs", json_object_new_boolean(hi->unsafe));
	json_object_object_add(o, "saved_original", hi->overridden ?
			       json_object_new_string(hi->saved) : NULL);
	for (unsigned i = 0; i < hi->nheld; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "resource", json_object_new_string(hi->held[i].res));
		json_object_object_add(x, "pid", json_object_new_int(hi->held[i].pid));
		json_object_array_add(held, x);
	}
	json_object_object_add(o, "held", held);
	if (listed) {
		json_object *f = json_object_new_array();

		for (unsigned i = 0; i < hi->nforeign && i < DRBDNL_HELPER_MAX; i++)
			json_object_array_add(f, json_object_new_string(hi->foreign[i]));
		json_object_object_add(o, "not_held", f);
	}
	return o;
}

static int do_helper(struct vh_ctx *ctx, int argc, char **argv)
{
	static const char usage[] = "[show | make-safe RESOURCE [--override-helper] | "
				    "release [RESOURCE] | restore]";
	struct vh_error e = { 0 };
	struct drbdnl_helper hi;
	const char *what = argc > 1 ? argv[1] : "show";
	struct drbdnl *h = NULL;
	struct args a = { .npos = 0 };
	char cmd[32];
	bool listed;
	int rc = 0, r;

	if (!strcmp(what, "--help") || !strcmp(what, "-h")) {
		conf_help("helper", A_HELPER, usage);
		return VH_EXIT_OK;
	}
	if (strcmp(what, "show") && strcmp(what, "make-safe") && strcmp(what, "release") &&
	    strcmp(what, "restore"))
		return vh_usage(ctx, "drbd helper: unknown action '%s' (usage: %s)", what, usage);
	if (argc > 1) {
		bool one = !strcmp(what, "make-safe") || !strcmp(what, "release");

		snprintf(cmd, sizeof(cmd), "helper %s", what);	/* for parse_args' messages */
		argv[1] = cmd;
		rc = parse_args(ctx, argc - 1, argv + 1, A_HELPER, !strcmp(what, "make-safe"), one,
				!strcmp(what, "make-safe") ? "RESOURCE [--override-helper]" :
				!strcmp(what, "release") ? "[RESOURCE]" : "(no arguments)", &a);
	}
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if (strcmp(what, "restore") && (rc = open_nl(ctx, &h)))
		return rc;
	if (!strcmp(what, "make-safe")) {
		rc = helper_guard(ctx, h, a.pos[0], a.helper);
		if (rc) {
			drbdnl_close(h);
			return rc;
		}
		r = 0;
	} else if (!strcmp(what, "release")) {
		r = drbdnl_helper_release(h, NULL, a.npos ? a.pos[0] : NULL, &hi, &e);
	} else if (!strcmp(what, "restore")) {
		r = drbdnl_helper_restore(NULL, &hi, &e);
	} else {
		r = 0;
	}
	if (r >= 0)
		r = drbdnl_helper_inspect(h, NULL, &hi, &e);
	listed = h != NULL;
	drbdnl_close(h);
	if (r < 0)
		return vh_fail(ctx, &e);
	vh_print(ctx, helper_json(&hi, listed));
	return VH_EXIT_OK;
}

/* ---- set-up commands --------------------------------------------------- */

static int do_new_resource(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc;

	rc = parse_args(ctx, argc, argv, A_RES, 1, 1, "RESOURCE [--cpu-mask M] "
			"[--on-no-data-accessible io-error|suspend-io]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h, drbdnl_new_resource(h, a.pos[0], &a.conf, &e), &e);
}

static int do_resource_options(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc;

	rc = parse_args(ctx, argc, argv, A_RES | A_DEFAULTS, 1, 1,
			"RESOURCE [--set-defaults] [resource options]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h,
		      drbdnl_resource_opts(h, a.pos[0], &a.conf, a.set_defaults, &e), &e);
}

static int do_new_minor(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	uint32_t minor, vol = 0;
	struct args a;
	int rc;

	rc = parse_args(ctx, argc, argv, 0, 2, 3, "RESOURCE MINOR [VOLUME]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = minor_arg(ctx, a.pos[1], &minor)))
		return rc;
	if (a.npos > 2 && parse_uint(a.pos[2], 65535, &vol) < 0)
		return vh_usage(ctx, "'%s' is not a volume number (0..65535)", a.pos[2]);
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h, drbdnl_new_minor(h, a.pos[0], minor, vol, &e), &e);
}

static int meta_idx_arg(struct vh_ctx *ctx, const char *s, struct drbdnl_conf *c)
{
	struct vh_error e = { 0 };
	int64_t idx;

	if (!strcmp(s, "internal"))
		idx = -1;
	else if (!strcmp(s, "flexible") || !strcmp(s, "flex-external"))
		idx = -2;
	else if (!strcmp(s, "flex-internal"))
		idx = -3;
	else {
		uint32_t v;

		if (parse_uint(s, INT32_MAX, &v) < 0)
			return vh_usage(ctx, "'%s' is not a meta-data index (N, internal or flexible)", s);
		idx = v;
	}
	if (drbdnl_conf_set_num(c, DRBDNL_DISK_META_IDX, idx, &e) < 0)
		return vh_usage(ctx, "%s", e.msg);
	return 0;
}

static int disk_positional(struct vh_ctx *ctx, struct args *a, int first)
{
	struct vh_error e = { 0 };

	if (drbdnl_conf_set_str(&a->conf, DRBDNL_DISK_BACKING_DEV, a->pos[first], &e) < 0 ||
	    drbdnl_conf_set_str(&a->conf, DRBDNL_DISK_META_DEV, a->pos[first + 1], &e) < 0)
		return vh_usage(ctx, "%s", e.msg);
	return meta_idx_arg(ctx, a->pos[first + 2], &a->conf);
}

static int do_attach(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	uint32_t minor;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc;

	rc = parse_args(ctx, argc, argv, A_DISK, 4, 4,
			"MINOR LOWER-DEV META-DEV META-IDX [disk options]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = minor_arg(ctx, a.pos[0], &minor)) || (rc = disk_positional(ctx, &a, 1)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h, drbdnl_attach(h, minor, &a.conf, &e), &e);
}

static int do_disk_options(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	uint32_t minor;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc;

	rc = parse_args(ctx, argc, argv, A_DISK | A_DEFAULTS, 1, 1,
			"MINOR [--set-defaults] [disk options]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = minor_arg(ctx, a.pos[0], &minor)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h,
		      drbdnl_chg_disk_opts(h, minor, &a.conf, a.set_defaults, &e), &e);
}

static int do_connect(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl_addr local, peer;
	struct drbdnl *h;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc;

	rc = parse_args(ctx, argc, argv, A_NET | A_HELPER, 3, 3,
			"RESOURCE LOCAL-ADDR PEER-ADDR [net options] [--keep-helper|--override-helper]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = addr_arg(ctx, a.pos[1], &local)) || (rc = addr_arg(ctx, a.pos[2], &peer)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	if ((rc = helper_guard(ctx, h, a.pos[0], a.helper))) {
		drbdnl_close(h);
		return rc;
	}
	return finish(ctx, argv[0], h, drbdnl_connect(h, a.pos[0], &local, &peer, &a.conf, &e), &e);
}

static int do_net_options(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl_addr local, peer;
	struct drbdnl *h;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc;

	rc = parse_args(ctx, argc, argv, A_NET | A_DEFAULTS, 2, 2,
			"LOCAL-ADDR PEER-ADDR [--set-defaults] [net options]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = addr_arg(ctx, a.pos[0], &local)) || (rc = addr_arg(ctx, a.pos[1], &peer)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h,
		      drbdnl_chg_net_opts(h, &local, &peer, &a.conf, a.set_defaults, &e), &e);
}

static int do_disconnect(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl_addr local, peer;
	struct drbdnl *h;
	struct args a;
	int rc;

	rc = parse_args(ctx, argc, argv, A_FORCE, 2, 2, "LOCAL-ADDR PEER-ADDR [--force]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = addr_arg(ctx, a.pos[0], &local)) || (rc = addr_arg(ctx, a.pos[1], &peer)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	return finish(ctx, argv[0], h, drbdnl_disconnect(h, &local, &peer, a.force, &e), &e);
}

/* primary, secondary, detach, del-minor: MINOR [--force] */
static int by_minor(struct vh_ctx *ctx, int argc, char **argv, unsigned allowed)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	uint32_t minor;
	struct args a;
	int rc, r;

	rc = parse_args(ctx, argc, argv, allowed, 1, 1,
			(allowed & A_FORCE) ? "MINOR [--force]" : "MINOR", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = minor_arg(ctx, a.pos[0], &minor)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	if (!strcmp(argv[0], "primary"))
		r = drbdnl_primary(h, minor, a.force, &e);
	else if (!strcmp(argv[0], "secondary"))
		r = drbdnl_secondary(h, minor, &e);
	else if (!strcmp(argv[0], "detach"))
		r = drbdnl_detach(h, minor, a.force, &e);
	else
		r = drbdnl_del_minor(h, minor, &e);
	return finish(ctx, argv[0], h, r, &e);
}

static int do_primary(struct vh_ctx *ctx, int argc, char **argv)
{
	return by_minor(ctx, argc, argv, A_FORCE);
}

static int do_secondary(struct vh_ctx *ctx, int argc, char **argv)
{
	return by_minor(ctx, argc, argv, 0);
}

static int do_detach(struct vh_ctx *ctx, int argc, char **argv)
{
	return by_minor(ctx, argc, argv, A_FORCE);
}

static int do_del_minor(struct vh_ctx *ctx, int argc, char **argv)
{
	return by_minor(ctx, argc, argv, 0);
}

static int do_down(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct drbdnl *h;
	struct args a;
	int rc, r;

	rc = parse_args(ctx, argc, argv, A_KEEP, 1, 1, "RESOURCE [--keep-helper]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	if (!strcmp(argv[0], "down"))
		r = drbdnl_down(h, a.pos[0], &e);
	else
		r = drbdnl_del_resource(h, a.pos[0], &e);
	if (r == 0 && a.helper != DRBDNL_HELPER_KEEP)
		helper_release(ctx, h, a.pos[0]);
	return finish(ctx, argv[0], h, r, &e);
}

/*
 * up: the whole set-up in one process and one netlink socket --
 * new-resource, new-minor, attach, connect, and wait until connected.
 */
static int do_up(struct vh_ctx *ctx, int argc, char **argv)
{
	struct progress_state ps = { .ctx = ctx, .last_permille = -10, .last_conn = -1 };
	struct vh_error e = { 0 };
	struct drbdnl_addr local, peer;
	struct drbdnl *h;
	uint32_t minor;
	struct args a __attribute__((cleanup(args_wipe)));
	int rc, r;

	rc = parse_args(ctx, argc, argv, A_DISK | A_NET | A_TIMEOUT | A_HELPER | A_FORCE, 7, 7,
			"RESOURCE MINOR LOWER-DEV META-DEV META-IDX LOCAL-ADDR PEER-ADDR "
			"[disk and net options] [--force] "
			"[--timeout SECONDS] [--keep-helper|--override-helper]", &a);
	if (rc)
		return rc < 0 ? VH_EXIT_OK : rc;
	if ((rc = minor_arg(ctx, a.pos[1], &minor)) || (rc = disk_positional(ctx, &a, 2)) ||
	    (rc = addr_arg(ctx, a.pos[5], &local)) || (rc = addr_arg(ctx, a.pos[6], &peer)))
		return rc;
	if ((rc = open_nl(ctx, &h)))
		return rc;
	if ((rc = helper_guard(ctx, h, a.pos[0], a.helper))) {
		drbdnl_close(h);
		return rc;
	}
	r = drbdnl_new_resource(h, a.pos[0], NULL, &e);
	if (!r)
		r = drbdnl_new_minor(h, a.pos[0], minor, 0, &e);
	if (!r)
		r = drbdnl_attach(h, minor, &a.conf, &e);
	/* Primary before the connect, as the move's prepare does: the
	 * handshake then finds UpToDate against Inconsistent and starts the
	 * full sync.  DRBD 8.4 forced Primary a few ms after the handshake
	 * (both Inconsistent, same UUID) started none in a CI run ("No
	 * resync, but 16320 bits in bitmap!", then nothing). */
	if (!r && a.force)
		r = drbdnl_primary(h, minor, true, &e);
	if (!r)
		r = drbdnl_connect(h, a.pos[0], &local, &peer, &a.conf, &e);
	if (!r)
		r = drbdnl_wait(h, minor, drbdnl_pred_connected, NULL,
				a.timeout_ms < 0 ? 60000 : a.timeout_ms, progress_cb, &ps, NULL, &e);
	/* Failed before the resource existed: the hold ends now (it stays if it exists). */
	if (r < 0 && a.helper != DRBDNL_HELPER_KEEP)
		helper_release(ctx, h, a.pos[0]);
	return finish(ctx, argv[0], h, r, &e);
}

static const struct vh_cmd drbd_cmds[] = {
	{ "status", do_status, "[MINOR|RESOURCE]: state, sync, UUIDs and options" },
	{ "events", do_events, "[MINOR] [--timeout S]: print state changes as they happen" },
	{ "wait-connect", do_wait_connect, "MINOR [--timeout S]: until connected" },
	{ "wait-sync", do_wait_sync, "MINOR [--timeout S]: until Connected UpToDate/UpToDate" },
	{ "new-resource", do_new_resource, "RESOURCE [resource options]" },
	{ "new-minor", do_new_minor, "RESOURCE MINOR [VOLUME]" },
	{ "attach", do_attach, "MINOR LOWER META IDX [disk options]" },
	{ "connect", do_connect, "RESOURCE LOCAL PEER [net options]" },
	{ "up", do_up, "RESOURCE MINOR LOWER META IDX LOCAL PEER [options]: all of the above" },
	{ "primary", do_primary, "MINOR [--force]" },
	{ "secondary", do_secondary, "MINOR" },
	{ "disk-options", do_disk_options, "MINOR [--set-defaults] [disk options]" },
	{ "net-options", do_net_options, "LOCAL PEER [--set-defaults] [net options]" },
	{ "resource-options", do_resource_options, "RESOURCE [--set-defaults] [options]" },
	{ "disconnect", do_disconnect, "LOCAL PEER [--force]" },
	{ "detach", do_detach, "MINOR [--force]" },
	{ "del-minor", do_del_minor, "MINOR" },
	{ "del-resource", do_down, "RESOURCE" },
	{ "down", do_down, "RESOURCE: demote, disconnect, detach, delete" },
	{ "helper", do_helper, "[show|make-safe RES|release [RES]|restore]: the module's usermode helper" },
	{ NULL, NULL, NULL }
};

int cmd_drbd(struct vh_ctx *ctx, int argc, char **argv)
{
	return vh_dispatch(ctx, drbd_cmds, "drbd", argc - 1, argv + 1);
}
