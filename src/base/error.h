/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one error-detail type every module fills.  Functions return 0 (or a
 * count) or a negative errno; what a person needs to understand the failure
 * travels here.  Modules never print.
 */
#ifndef VMHOP_BASE_ERROR_H
#define VMHOP_BASE_ERROR_H

#include <errno.h>
#include <stddef.h>

#define VH_MUST_CHECK __attribute__((warn_unused_result))

struct vh_error {
	int code;		/* the negative errno returned with it */
	int origin_code;	/* the foreign code as it came: DRBD ret_code, lvm2_run rc, virErrorNumber, ... */
	char msg[512];		/* one line, no trailing newline */
};

/*
 * Fill @e (may be NULL) and return @code, so that `return vh_err(e, -EINVAL, ...)` reads well.
 * These are for the error path only: they never return 0 or a positive value.  A @code
 * that is not negative (a caller's bug, e.g. -errno after a call that left errno 0)
 * becomes VH_ERR_UNKNOWN.
 */
#define VH_ERR_UNKNOWN (-EIO)
int vh_err(struct vh_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like vh_err() but also records the foreign code. */
int vh_err_origin(struct vh_error *e, int code, int origin_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Prefix the message @e holds for the error @code with "@fmt: " and return @code: the
 * caller's error, not whatever @e happens to hold.  When @e holds no message for @code
 * (empty, or left there by another error) the message becomes "@fmt: strerror(code)", so
 * an error always says something.  A @code that is not negative (a caller's bug) becomes
 * e->code if that is an error, else VH_ERR_UNKNOWN: never 0.
 */
int vh_err_prefix(struct vh_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Hand on the error @code a callback returned with its own @src: @e (may be NULL) gets
 * @src with code @code, or, when @src says nothing, "@fmt: strerror(code)".  Returns
 * @code (not negative becomes VH_ERR_UNKNOWN), so an error never travels without a word.
 */
int vh_err_pass(struct vh_error *e, const struct vh_error *src, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void vh_err_clear(struct vh_error *e);

/* Optional debug trace: one callback for the whole library, off by default. */
typedef void (*vh_trace_fn)(const char *module, const char *line, void *userdata);
void vh_trace_set(vh_trace_fn fn, void *userdata);
void vh_trace(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
