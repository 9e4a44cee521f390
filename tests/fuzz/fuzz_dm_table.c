/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DM_TABLE_STATUS with DM_STATUS_TABLE_FLAG: the input is the kernel's reply,
 * parsed by vdm_table_get() (vdm_table_unpack), then formatted as dmsetup
 * prints it and, when a target is linear, its parameters parsed as the
 * swap does.
 */
#include "fuzz_dm_seam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = "vg-lv" };
	struct vh_error e = { 0 };
	struct vdm_table t = { 0 };
	struct fz_dm z;
	int r;

	fz_dm_start(&z, data, size);
	r = vdm_table_get(&z.c, &ref, false, &t, &e);
	fz_dm_check(r, &e);
	if (r == 0) {
		char *text = NULL;
		dev_t dev;
		uint64_t off;

		if (vdm_table_format(&t, &text, &e) == 0)
			free(text);
		for (size_t i = 0; i < t.n; i++)
			if (!strcmp(t.t[i].type, "linear"))
				(void)vdm_linear_parse(t.t[i].params, &dev, &off, &e);
		(void)vdm_table_check(&t, &e);
	}
	vdm_table_free(&t);
	fz_dm_finish(&z);
	return 0;
}
