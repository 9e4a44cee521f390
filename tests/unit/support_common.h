/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers every unit test may use. */
#ifndef VMHOP_TESTS_SUPPORT_COMMON_H
#define VMHOP_TESTS_SUPPORT_COMMON_H

#include <stddef.h>

/* The whole file, NUL-terminated (the caller frees it); *len, if asked, gets
 * its size.  NULL when it cannot be read. */
char *tsupport_slurp(const char *path, size_t *len);

#endif
