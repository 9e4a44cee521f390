/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DM_DEV_STATUS and DM_VERSION: the input is the kernel's reply header,
 * read by vdm_info() and vdm_version().
 */
#include "fuzz_dm_seam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = "vg-lv" };
	struct vh_error e = { 0 };
	struct vdm_info info;
	uint32_t ver[3];
	struct fz_dm z;
	int r;

	fz_dm_start(&z, data, size);
	r = vdm_info(&z.c, &ref, &info, &e);
	fz_dm_check(r, &e);
	if (r == 0 && (strnlen(info.name, sizeof(info.name)) == sizeof(info.name) ||
		       strnlen(info.uuid, sizeof(info.uuid)) == sizeof(info.uuid)))
		abort();
	fz_dm_again(&z);
	r = vdm_version(&z.c, ver, &e);
	fz_dm_check(r, &e);
	fz_dm_finish(&z);
	return 0;
}
