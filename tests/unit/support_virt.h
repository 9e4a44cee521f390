/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's typed-parameter helpers for a test's struct vvirt_api, without
 * libvirt: virTypedParamsAdd{Int,ULLong,String}, Get{Int,ULLong} and Free,
 * as libvirt documents them (Add appends and copies a string; Get finds the
 * first of a name: 1, 0 absent, -1 of another type; Free frees the strings
 * too).  TVIRT_PARAMS puts them in a table's initialiser.
 */
#ifndef VMHOP_TESTS_SUPPORT_VIRT_H
#define VMHOP_TESTS_SUPPORT_VIRT_H

#include <libvirt/libvirt.h>

int tvirt_params_add_int(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			 int value);
int tvirt_params_add_ullong(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			    unsigned long long value);
int tvirt_params_add_string(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			    const char *value);
int tvirt_params_get_int(virTypedParameterPtr p, int np, const char *name, int *value);
int tvirt_params_get_ullong(virTypedParameterPtr p, int np, const char *name,
			    unsigned long long *value);
void tvirt_params_free(virTypedParameterPtr p, int np);

/* One libvirt connection that always opens, for a fake that needs no other
 * (virConnectOpen, virConnectClose). */
virConnectPtr tvirt_open(const char *uri);
int tvirt_close(virConnectPtr c);

#define TVIRT_PARAMS							\
	.params_add_int = tvirt_params_add_int,				\
	.params_add_ullong = tvirt_params_add_ullong,			\
	.params_add_string = tvirt_params_add_string,			\
	.params_get_int = tvirt_params_get_int,				\
	.params_get_ullong = tvirt_params_get_ullong

#endif
