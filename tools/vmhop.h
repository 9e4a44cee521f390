/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vmhop program: command table, output and exit codes.  Only code under
 * tools/ prints or exits.
 */
#ifndef VMHOP_TOOLS_VMHOP_H
#define VMHOP_TOOLS_VMHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "base/error.h"
#include "base/jsonx.h"
/* Numbers on the command line: vnum_u64(s, 0, max, &v) is decimal digits
 * only (no sign, no space, no leading zero but "0" itself), bounded. */
#include "base/num.h"

/* Exit codes: one per kind of failure, so an orchestrator can branch on them.
 * Listed in README.md and in `vmhop --help`; keep the three in step. */
enum vh_exit {
	VH_EXIT_OK = 0,
	VH_EXIT_FAIL = 1,		/* anything not listed below */
	VH_EXIT_USAGE = 2,		/* bad command line */
	VH_EXIT_NOTFOUND = 3,		/* ENOENT, ENXIO: no such VM, device, LV, minor */
	VH_EXIT_INVALID = 4,		/* EINVAL, ENAMETOOLONG, EBADMSG, ENOTUNIQ: bad or ambiguous input, garbage read */
	VH_EXIT_BUSY = 5,		/* EBUSY, EADDRINUSE: minor, port or device in use */
	VH_EXIT_NOSPACE = 6,		/* ENOSPC, EFBIG: device or VG too small */
	VH_EXIT_KERNEL = 7,		/* EPROTO, EIO: the kernel (or a library) refused */
	VH_EXIT_UNSUPPORTED = 8,	/* EOPNOTSUPP, ENOPKG, EPROTONOSUPPORT: module missing, DRBD 9, ... */
	VH_EXIT_TIMEOUT = 9,		/* ETIMEDOUT */
	VH_EXIT_EXISTS = 10,		/* EEXIST: would overwrite something (use --force) */
	VH_EXIT_PERM = 11,		/* EPERM, EACCES */
	VH_EXIT_PEER = 12,		/* ECONNREFUSED, ECONNRESET, ENOTCONN, EKEYREJECTED: the peer */
	VH_EXIT_UNDONE = 13,		/* abort succeeded: this host is as it was before the move */
	VH_EXIT_STATE_LEFT = 14,	/* stopped on purpose, state left behind: see vmhop status */
	VH_EXIT_LOCAL = 15,		/* EHOSTDOWN: this host's libvirtd not running or refused us */
	VH_EXIT_UNWRITTEN = 16,		/* done, but the result could not be written to stdout */
};

struct vh_ctx {
	bool json;		/* --json anywhere on the line */
	bool debug;		/* --debug or VMHOP_DEBUG=1: trace to stderr */
	const char *prog;	/* "vmhop drbd status", for messages */
};

struct vh_cmd {
	const char *name;
	int (*fn)(struct vh_ctx *ctx, int argc, char **argv);
	const char *summary;
};

/* Run the row of @table named argv[0] (exact match); --help and unknown names handled. */
int vh_dispatch(struct vh_ctx *ctx, const struct vh_cmd *table, const char *family,
		int argc, char **argv);
void vh_print_table_help(const struct vh_cmd *table, const char *family);

/* A secret from @path ("-": one line of standard input) into @buf, NUL-
 * terminated, its newline stripped.  The file must be regular, owned by root
 * (or the effective user) and closed to group and others: -EPERM otherwise,
 * -EINVAL when it is not a regular file, is empty or holds more than a line,
 * -ENAMETOOLONG when it does not fit.  On failure @buf is zeroed. */
int vh_secret_read(const char *path, char *buf, size_t size, struct vh_error *e);

/* errno (negative or positive) to exit code. */
int vh_exit_code(int err);

/* Print one failure: a single line on stderr, and in JSON mode an error object
 * on stdout.  Returns the exit code. */
int vh_fail(struct vh_ctx *ctx, const struct vh_error *e);
/* The same, the error object with the next safe action @next (taken; NULL:
 * none), for the commands that run the engine. */
int vh_fail_next(struct vh_ctx *ctx, const struct vh_error *e, json_object *next);
/* A bad command line: one line on stderr (and, with --json, the error object
 * on stdout, exit 2, errno EINVAL).  Returns VH_EXIT_USAGE. */
/* The error object alone (under --json), with exit code @rc and the next
 * safe action @next (taken; NULL: none): for a command that has printed its
 * own result and failed all the same. */
void vh_json_error(struct vh_ctx *ctx, int rc, const struct vh_error *e, json_object *next);
/* plan --help's list of options, one per option plan parses (cmd_move.c). */
void vh_plan_options_help(FILE *f);
int vh_usage(struct vh_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* @uri (--uri, or VMHOP_LIBVIRT_URI; NULL: none) as this host's libvirt
 * (vuri_check_local): 0, or vh_usage()'s exit code naming @cmd. */
int vh_check_local_uri(struct vh_ctx *ctx, const char *cmd, const char *uri);
/* $VMHOP_LIBVIRT_URI, or NULL when unset or empty: each command's default
 * for this host's libvirt, before --uri. */
const char *vh_env_local_uri(void);
/* The last word before exit: if anything written to stdout was lost, say so
 * and turn success into VH_EXIT_UNWRITTEN (a failure keeps its own code).
 * Returns the exit code. */
int vh_end(struct vh_ctx *ctx, int rc);
/* The whole program (tools/main.c calls it; tests call it too). */
int vh_main(int argc, char **argv);

/* The version of every JSON object vmhop prints on stdout ("schema"; the
 * objects and their fields: docs/json.md).  Raised when a field is removed
 * or changes its type or meaning; a field added does not raise it. */
#define VH_JSON_SCHEMA	1

/* A new top-level JSON object for stdout: {"schema": VH_JSON_SCHEMA}. */
json_object *vh_json_object(void);

/* Flush stdout and note a write that failed, for vh_end(): after text
 * printed with printf (a library may reopen stdout before vh_end runs). */
void vh_flush(void);

/* The one printer: JSON (--json) or text from the same object.  Takes ownership of @obj. */
void vh_print(struct vh_ctx *ctx, json_object *obj);
/* The same, one line per object, flushed: for event streams. */
void vh_print_line(struct vh_ctx *ctx, json_object *obj);

/* Command families, one file each. */
int cmd_meta(struct vh_ctx *ctx, int argc, char **argv);
int cmd_drbd(struct vh_ctx *ctx, int argc, char **argv);
int cmd_dm(struct vh_ctx *ctx, int argc, char **argv);
int cmd_lvm(struct vh_ctx *ctx, int argc, char **argv);
int cmd_virt(struct vh_ctx *ctx, int argc, char **argv);
int cmd_plan(struct vh_ctx *ctx, int argc, char **argv);
/* The phases of a move (argv[0] names the phase), and status. */
int cmd_phase(struct vh_ctx *ctx, int argc, char **argv);
int cmd_status(struct vh_ctx *ctx, int argc, char **argv);
int cmd_send(struct vh_ctx *ctx, int argc, char **argv);
int cmd_tune(struct vh_ctx *ctx, int argc, char **argv);

#endif
