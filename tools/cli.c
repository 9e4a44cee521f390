/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command dispatch, exit codes and the one printer (text or JSON). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmhop.h"

void vh_print_table_help(const struct vh_cmd *table, const char *family)
{
	for (const struct vh_cmd *c = table; c->name; c++)
		printf("  %s%s%-10s %s\n", family ? family : "", family ? " " : "", c->name, c->summary);
}

int vh_dispatch(struct vh_ctx *ctx, const struct vh_cmd *table, const char *family,
		int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		printf("usage: vmhop %s%sSUBCOMMAND [ARGS] [--json]\n\n", family ? family : "",
		       family ? " " : "");
		vh_print_table_help(table, family);
		return argc < 1 ? VH_EXIT_USAGE : VH_EXIT_OK;
	}
	for (const struct vh_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->fn(ctx, argc, argv);
	fprintf(stderr, "vmhop: unknown command '%s%s%s' (see 'vmhop %s%s--help')\n",
		family ? family : "", family ? " " : "", argv[0], family ? family : "",
		family ? " " : "");
	return VH_EXIT_USAGE;
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
		return VH_EXIT_PEER;
	default:
		return VH_EXIT_FAIL;
	}
}

int vh_fail(struct vh_ctx *ctx, const struct vh_error *e)
{
	int rc = vh_exit_code(e->code ? e->code : -EIO);
	const char *msg = e->msg[0] ? e->msg : strerror(e->code < 0 ? -e->code : e->code);

	fprintf(stderr, "vmhop: %s\n", msg);
	if (ctx->json) {
		json_object *o = json_object_new_object(), *err = json_object_new_object();

		json_object_object_add(err, "exit", json_object_new_int(rc));
		json_object_object_add(err, "errno", json_object_new_int(e->code < 0 ? -e->code : e->code));
		if (e->origin_code)
			json_object_object_add(err, "origin_code", json_object_new_int(e->origin_code));
		json_object_object_add(err, "message", json_object_new_string(msg));
		json_object_object_add(o, "error", err);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	return rc;
}

int vh_usage(struct vh_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	fputs("vmhop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return VH_EXIT_USAGE;
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
		printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED));
	else
		print_text(obj, 0);
	fflush(stdout);
	json_object_put(obj);
}

void vh_print_line(struct vh_ctx *ctx, json_object *obj)
{
	if (!obj)
		return;
	if (ctx->json) {
		printf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	} else {
		const char *sep = "";

		json_object_object_foreach(obj, key, val) {
			printf("%s%s=%s", sep, key, json_object_get_string(val));
			sep = " ";
		}
		putchar('\n');
	}
	fflush(stdout);
	json_object_put(obj);
}
