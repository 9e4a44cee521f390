/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run the vmhop program in-process (vh_main(), the whole command line:
 * --json, dispatch, exit code, the last check of stdout) with its standard
 * output sent to a file or to /dev/full, and read back what it printed.
 */
#ifndef VMHOP_TEST_SUPPORT_CLI_H
#define VMHOP_TEST_SUPPORT_CLI_H

#include <json-c/json.h>

struct tcli {
	int rc;			/* vh_main()'s exit code */
	char *out;		/* what it printed on stdout (NUL-terminated; freed by tcli_free) */
	char *err;		/* and on stderr */
};

/* Run "vmhop ARGS..." (NULL-terminated).  @out_path: where stdout goes
 * ("/dev/full" to make every write fail); NULL: a temporary file that is read
 * back into r->out.  stderr is always read back into r->err.  The arguments
 * must be writable when the program may scrub them (--shared-secret=). */
struct tcli tcli_run(const char *out_path, ...);
/* The last JSON object on stdout (one per line or pretty), or NULL. */
json_object *tcli_last_json(const struct tcli *r);
/* r->out's {"error": {...}} member's @field as an int; -1 when absent. */
int tcli_error_int(const struct tcli *r, const char *field);
void tcli_free(struct tcli *r);

#endif
