/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command dispatch, exit codes and the one printer (text or JSON). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/uri.h"
#include "vmhop.h"

/* The first reason a write to stdout failed, for vh_end()'s one line. */
static int stdout_errno;

/*
 * Both ways a write can fail: the flush, and a write the stream made
 * itself (an unbuffered or line-buffered stdout writes in printf).  The
 * stream's own error flag cannot be left for vh_end(): liblvm2cmd reopens
 * the standard streams when it starts and ends (a new FILE, its flag
 * clear), so a lost result would read as a success.
 */
static void flush_stdout(void)
{
	int before = errno;

	errno = 0;
	if (fflush(stdout) != 0 && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
	if (ferror(stdout) && !stdout_errno)
		stdout_errno = before ? before : EIO;
}

void vh_flush(void)
{
	flush_stdout();
}

void vh_print_table_help(const struct vh_cmd *table, const char *family)
{
	for (const struct vh_cmd *c = table; c->name; c++)
		printf("  %s%s%-10s %s\n", family ? family : "", family ? " " : "", c->name, c->summary);
}

int vh_dispatch(struct vh_ctx *ctx, const struct vh_cmd *table, const char *family,
		int argc, char **argv)
{
	const char *fam = family ? family : "", *sp = family ? " " : "";

	if (argc < 1 && ctx->json)
		return vh_usage(ctx, "missing command (see 'vmhop %s%s--help')", fam, sp);
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		printf("usage: vmhop %s%sSUBCOMMAND [ARGS] [--json]\n\n", fam, sp);
		vh_print_table_help(table, family);
		return argc < 1 ? VH_EXIT_USAGE : VH_EXIT_OK;
	}
	for (const struct vh_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->fn(ctx, argc, argv);
	return vh_usage(ctx, "unknown command '%s%s%s' (see 'vmhop %s%s--help')", fam, sp, argv[0],
			fam, sp);
}

int vh_exit_code(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return VH_EXIT_OK;
	case ENOENT: case ENXIO: case ESRCH:
		return VH_EXIT_NOTFOUND;
	case EINVAL: case ENAMETOOLONG: case EBADMSG: case ERANGE: case EDOM: case ENOTUNIQ:
		return VH_EXIT_INVALID;
	case EBUSY: case EADDRINUSE: case ETXTBSY:
		return VH_EXIT_BUSY;
	case ENOSPC: case EFBIG:
		return VH_EXIT_NOSPACE;
	case EPROTO: case EIO: case EREMOTEIO: case ENOMSG:
		return VH_EXIT_KERNEL;
	case EOPNOTSUPP: case ENOPKG: case EPROTONOSUPPORT: case ENOSYS: case ENODEV:
		return VH_EXIT_UNSUPPORTED;
	case ETIMEDOUT:
		return VH_EXIT_TIMEOUT;
	case EEXIST:
		return VH_EXIT_EXISTS;
	case EPERM: case EACCES:
		return VH_EXIT_PERM;
	case ECONNREFUSED: case ECONNRESET: case ENOTCONN: case EKEYREJECTED: case EHOSTUNREACH:
	case ENOLINK:
		return VH_EXIT_PEER;
	case EHOSTDOWN:		/* this host's own libvirtd (virt.h, VVIRT_OPEN_LOCAL) */
		return VH_EXIT_LOCAL;
	default:
		return VH_EXIT_FAIL;
	}
}

json_object *vh_json_object(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "schema", json_object_new_int(VH_JSON_SCHEMA));
	return o;
}

/* The error object README promises: {"schema", "error": {"exit", "errno",
 * ["origin_code"], "message"}, ["next"]}. */
static void print_json_error(int rc, int err, int origin, const char *msg, json_object *next)
{
	json_object *o = vh_json_object(), *eo = json_object_new_object();

	json_object_object_add(eo, "exit", json_object_new_int(rc));
	json_object_object_add(eo, "errno", json_object_new_int(err));
	if (origin)
		json_object_object_add(eo, "origin_code", json_object_new_int(origin));
	json_object_object_add(eo, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", eo);
	if (next)
		json_object_object_add(o, "next", next);
	printf("%s\n", json_object_to_json_string_ext(o, VJSON_LINE));
	flush_stdout();
	json_object_put(o);
}

void vh_json_error(struct vh_ctx *ctx, int rc, const struct vh_error *e, json_object *next)
{
	if (ctx->json)
		print_json_error(rc, e->code < 0 ? -e->code : e->code, e->origin_code,
				 e->msg[0] ? e->msg : strerror(e->code < 0 ? -e->code : e->code),
				 next);
	else
		json_object_put(next);
}

int vh_fail_next(struct vh_ctx *ctx, const struct vh_error *e, json_object *next)
{
	int rc = vh_exit_code(e->code ? e->code : -EIO);
	const char *msg = e->msg[0] ? e->msg : strerror(e->code < 0 ? -e->code : e->code);

	fprintf(stderr, "vmhop: %s\n", msg);
	if (ctx->json)
		print_json_error(rc, e->code < 0 ? -e->code : e->code, e->origin_code, msg, next);
	else
		json_object_put(next);
	return rc;
}

int vh_fail(struct vh_ctx *ctx, const struct vh_error *e)
{
	return vh_fail_next(ctx, e, NULL);
}

const char *vh_env_local_uri(void)
{
	const char *u = getenv("VMHOP_LIBVIRT_URI");

	return u && *u ? u : NULL;
}

int vh_check_local_uri(struct vh_ctx *ctx, const char *cmd, const char *uri)
{
	struct vh_error e = { 0 };

	if (!uri || vuri_check_local(uri, "--uri (or VMHOP_LIBVIRT_URI)", &e) == 0)
		return 0;
	return vh_usage(ctx, "%s: %s", cmd, e.msg);
}

int vh_usage(struct vh_ctx *ctx, const char *fmt, ...)
{
	char msg[sizeof(((struct vh_error *)0)->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmhop: %s\n", msg);
	if (ctx && ctx->json)
		print_json_error(VH_EXIT_USAGE, EINVAL, 0, msg, NULL);
	return VH_EXIT_USAGE;
}

int vh_end(struct vh_ctx *ctx, int rc)
{
	int err;

	(void)ctx;
	flush_stdout();
	err = stdout_errno;
	stdout_errno = 0;
	if (!err && !ferror(stdout))
		return rc;
	/* A result nobody received is not a plain success (a full disk, a
	 * closed pipe): what was asked is done, its result lost, and the code
	 * says both (never 1, "any other failure": a move that completed must
	 * not read as one that failed). */
	fprintf(stderr, "vmhop: write error on standard output: %s\n",
		err ? strerror(err) : "a write failed");
	return rc ? rc : VH_EXIT_UNWRITTEN;
}

static void print_text(json_object *obj, int indent)
{
	json_object_object_foreach(obj, key, val) {
		enum json_type t = json_object_get_type(val);

		if (t == json_type_object) {
			printf("%*s%s:\n", indent, "", key);
			print_text(val, indent + 2);
		} else if (t == json_type_array) {
			size_t n = json_object_array_length(val);

			printf("%*s%s:%s\n", indent, "", key, n ? "" : " []");
			for (size_t i = 0; i < n; i++) {
				json_object *it = json_object_array_get_idx(val, i);

				if (json_object_get_type(it) == json_type_object) {
					printf("%*s-\n", indent + 2, "");
					print_text(it, indent + 4);
				} else {
					printf("%*s- %s\n", indent + 2, "", json_object_get_string(it));
				}
			}
		} else {
			printf("%*s%s: %s\n", indent, "", key,
			       t == json_type_null ? "-" : json_object_get_string(val));
		}
	}
}

void vh_print(struct vh_ctx *ctx, json_object *obj)
{
	if (!obj)
		return;
	if (ctx->json)
		printf("%s\n", json_object_to_json_string_ext(obj, VJSON_PRETTY));
	else
		print_text(obj, 0);
	flush_stdout();
	json_object_put(obj);
}

void vh_print_line(struct vh_ctx *ctx, json_object *obj)
{
	if (!obj)
		return;
	if (ctx->json) {
		printf("%s\n", json_object_to_json_string_ext(obj, VJSON_LINE));
	} else {
		const char *sep = "";

		json_object_object_foreach(obj, key, val) {
			printf("%s%s=%s", sep, key, json_object_get_string(val));
			sep = " ";
		}
		putchar('\n');
	}
	flush_stdout();
	json_object_put(obj);
}
