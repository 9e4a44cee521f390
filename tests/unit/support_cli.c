/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "support_cli.h"
#include "support_common.h"
#include "../../tools/vmhop.h"

struct tcli tcli_run(const char *out_path, ...)
{
	char tmp[] = "/tmp/vmhop-tcli-XXXXXX", etmp[] = "/tmp/vmhop-tcli-err-XXXXXX";
	struct tcli r = { 0 };
	char *argv[32];
	int argc = 0, fd, efd, saved, esaved;
	va_list ap;

	argv[argc++] = (char *)"vmhop";
	va_start(ap, out_path);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	if (out_path) {
		fd = open(out_path, O_WRONLY | O_CLOEXEC);
	} else {
		fd = mkstemp(tmp);
	}
	assert_true(fd >= 0);
	efd = mkstemp(etmp);
	assert_true(efd >= 0);
	fflush(stdout);
	fflush(stderr);
	saved = dup(1);
	esaved = dup(2);
	assert_true(saved >= 0 && esaved >= 0);
	assert_int_not_equal(dup2(fd, 1), -1);
	assert_int_not_equal(dup2(efd, 2), -1);
	r.rc = vh_main(argc, argv);
	/* whatever could not be written is dropped, not printed later */
	__fpurge(stdout);
	clearerr(stdout);
	fflush(stderr);
	assert_int_not_equal(dup2(saved, 1), -1);
	assert_int_not_equal(dup2(esaved, 2), -1);
	close(saved);
	close(esaved);
	close(fd);
	close(efd);
	r.err = tsupport_slurp(etmp, NULL);
	unlink(etmp);
	assert_non_null(r.err);
	if (!out_path) {
		r.out = tsupport_slurp(tmp, NULL);
		unlink(tmp);
		assert_non_null(r.out);
	}
	return r;
}

json_object *tcli_last_json(const struct tcli *r)
{
	json_tokener *tok;
	json_object *last = NULL, *o;
	const char *p;

	if (!r->out)
		return NULL;
	tok = json_tokener_new();
	for (p = r->out; *p;) {
		while (*p == '\n' || *p == ' ')
			p++;
		if (!*p)
			break;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, p, (int)strlen(p));
		if (!o)
			break;
		json_object_put(last);
		last = o;
		p += json_tokener_get_parse_end(tok);
	}
	json_tokener_free(tok);
	return last;
}

int tcli_error_int(const struct tcli *r, const char *field)
{
	json_tokener *tok = json_tokener_new();
	json_object *o, *err, *v;
	const char *p = r->out;
	int ret = -1;

	/* the first object carries the error */
	o = p ? json_tokener_parse_ex(tok, p, (int)strlen(p)) : NULL;
	json_tokener_free(tok);
	if (o && json_object_object_get_ex(o, "error", &err) &&
	    json_object_object_get_ex(err, field, &v))
		ret = json_object_get_int(v);
	json_object_put(o);
	return ret;
}

void tcli_free(struct tcli *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
