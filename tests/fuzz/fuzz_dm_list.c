/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DM_LIST_DEVICES: the input is the kernel's reply, parsed by vdm_list(). */
#include "fuzz_dm_seam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_error e = { 0 };
	struct vdm_info *v = NULL;
	struct fz_dm z;
	size_t n = 0;
	int r;

	fz_dm_start(&z, data, size);
	r = vdm_list(&z.c, &v, &n, &e);
	fz_dm_check(r, &e);
	if (r >= 0) {
		if ((size_t)r != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (strnlen(v[i].name, sizeof(v[i].name)) == sizeof(v[i].name) ||
			    strnlen(v[i].uuid, sizeof(v[i].uuid)) == sizeof(v[i].uuid))
				abort();	/* names are terminated */
	}
	free(v);
	fz_dm_finish(&z);
	return 0;
}
