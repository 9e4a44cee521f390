/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table text as `vmhop dm load --table-file` reads it (dmsetup's format):
 * vdm_table_parse(), then the round trip: what vdm_table_format() prints
 * parses back to the same table.
 */
#include <stdlib.h>
#include <string.h>

#include "dm/dm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vdm_table t = { 0 }, back = { 0 };
	struct vh_error e = { 0 };
	char *text = malloc(size + 1), *out = NULL;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = vdm_table_parse(text, &t, &e);
	if (r < 0 && (e.code != r || !e.msg[0]))
		abort();
	if (r == 0) {
		if (vdm_table_format(&t, &out, &e))
			abort();
		if (vdm_table_parse(out, &back, &e) || !vdm_table_equal(&t, &back))
			abort();	/* what we print is what we read */
		vdm_table_free(&back);
		free(out);
	}
	vdm_table_free(&t);
	free(text);
	return 0;
}
