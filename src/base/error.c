/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

/* Messages are one line: fold any newline a foreign library gave us. */
static void fold_lines(char *msg)
{
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static int vh_verr(struct vh_error *e, int code, int origin, const char *fmt, va_list ap)
{
	if (code >= 0)
		code = VH_ERR_UNKNOWN;	/* an error is never success */
	if (!e)
		return code;
	e->code = code;
	e->origin_code = origin;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	fold_lines(e->msg);
	return code;
}

int vh_err(struct vh_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vh_verr(e, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int vh_err_origin(struct vh_error *e, int code, int origin_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vh_verr(e, code, origin_code, fmt, ap);
	va_end(ap);
	return code;
}

int vh_err_prefix(struct vh_error *e, int code, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int n;

	if (code >= 0)
		code = e && e->code < 0 ? e->code : VH_ERR_UNKNOWN;
	if (!e)
		return code;
	if (e->code == code && e->msg[0]) {
		memcpy(old, e->msg, sizeof(old));
	} else {
		/* Nothing said about this error yet: say at least what it is. */
		snprintf(old, sizeof(old), "%s", strerror(-code));
		e->origin_code = 0;
	}
	e->code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg) - 2) {
		size_t room = sizeof(e->msg) - (size_t)n;

		e->msg[n] = ':';
		e->msg[n + 1] = ' ';
		memcpy(e->msg + n + 2, old, room - 2);
		e->msg[sizeof(e->msg) - 1] = '\0';
	}
	fold_lines(e->msg);
	return code;
}

int vh_err_pass(struct vh_error *e, const struct vh_error *src, int code, const char *fmt, ...)
{
	char what[sizeof(e->msg)];
	va_list ap;

	if (code >= 0)
		code = VH_ERR_UNKNOWN;
	if (!e)
		return code;
	if (src->msg[0]) {
		if (e != src)
			*e = *src;
		e->code = code;
		return code;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return vh_err(e, code, "%s: %s", what, strerror(-code));
}

void vh_err_clear(struct vh_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

static vh_trace_fn trace_fn;
static void *trace_ud;

void vh_trace_set(vh_trace_fn fn, void *userdata)
{
	trace_fn = fn;
	trace_ud = userdata;
}

void vh_trace(const char *module, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!trace_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	trace_fn(module, line, trace_ud);
}
