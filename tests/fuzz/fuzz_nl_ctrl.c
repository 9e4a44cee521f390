/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nlctrl's answer to the "drbd" family lookup (CTRL_CMD_GETFAMILY): the
 * input is the datagram, parsed by drbdnl_open_with() through the seam
 * (dispatch, drbdnl_parse_ctrl, the family checks).  An open handle must
 * have a usable family; a refused one an error with code and message.
 */
#include "fuzz_nl_seam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_nl z = { .mode = FZ_CTRL, .data = data, .len = size };
	struct vh_error e = { 0 };

	if (fz_open(&z, &e) == 0)
		fz_close(&z);
	return 0;
}
