/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's typed-parameter helpers for tests (support_virt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_virt.h"

/* One more parameter at the end of *@p, named @name, of @type: NULL when
 * the name does not fit (libvirt: -1, VIR_ERR_INVALID_ARG). */
static virTypedParameterPtr append(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
				   int type)
{
	virTypedParameterPtr q;

	if (strlen(name) >= VIR_TYPED_PARAM_FIELD_LENGTH)
		return NULL;
	if (*np >= *maxp) {
		q = realloc(*p, sizeof(*q) * (size_t)(*maxp + 4));
		if (!q)
			return NULL;
		*p = q;
		*maxp += 4;
	}
	q = &(*p)[(*np)++];
	memset(q, 0, sizeof(*q));
	snprintf(q->field, sizeof(q->field), "%s", name);
	q->type = type;
	return q;
}

int tvirt_params_add_int(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			 int value)
{
	virTypedParameterPtr q = append(p, np, maxp, name, VIR_TYPED_PARAM_INT);

	if (!q)
		return -1;
	q->value.i = value;
	return 0;
}

int tvirt_params_add_ullong(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			    unsigned long long value)
{
	virTypedParameterPtr q = append(p, np, maxp, name, VIR_TYPED_PARAM_ULLONG);

	if (!q)
		return -1;
	q->value.ul = value;
	return 0;
}

int tvirt_params_add_string(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			    const char *value)
{
	char *copy = strdup(value);
	virTypedParameterPtr q;

	if (!copy || !(q = append(p, np, maxp, name, VIR_TYPED_PARAM_STRING))) {
		free(copy);
		return -1;
	}
	q->value.s = copy;
	return 0;
}

static virTypedParameterPtr find(virTypedParameterPtr p, int np, const char *name)
{
	for (int i = 0; p && name && i < np; i++)
		if (!strcmp(p[i].field, name))
			return &p[i];
	return NULL;
}

int tvirt_params_get_int(virTypedParameterPtr p, int np, const char *name, int *value)
{
	virTypedParameterPtr q = find(p, np, name);

	if (!q)
		return 0;
	if (q->type != VIR_TYPED_PARAM_INT)
		return -1;
	*value = q->value.i;
	return 1;
}

int tvirt_params_get_ullong(virTypedParameterPtr p, int np, const char *name,
			    unsigned long long *value)
{
	virTypedParameterPtr q = find(p, np, name);

	if (!q)
		return 0;
	if (q->type != VIR_TYPED_PARAM_ULLONG)
		return -1;
	*value = q->value.ul;
	return 1;
}

void tvirt_params_free(virTypedParameterPtr p, int np)
{
	for (int i = 0; p && i < np; i++)
		if (p[i].type == VIR_TYPED_PARAM_STRING)
			free(p[i].value.s);
	free(p);
}

static int tvirt_conn;

virConnectPtr tvirt_open(const char *uri)
{
	(void)uri;
	return (virConnectPtr)&tvirt_conn;
}

int tvirt_close(virConnectPtr c)
{
	(void)c;
	return 0;
}
