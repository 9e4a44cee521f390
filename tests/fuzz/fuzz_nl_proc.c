/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/drbd's resync lines as drbdnl_proc_parse() reads them (vmhop
 * status's rate and time left).  The bytes are copied to a buffer of their
 * exact size, without a NUL, so a read past them is caught; the minor looked
 * for is 100 (the corpus's) and, from the first byte, one of the others.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/drbdnl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drbdnl_proc_sync r;
	char *buf = malloc(size ? size : 1);
	uint32_t minors[2] = { 100, size ? data[0] % 16 : 0 };

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	for (int i = 0; i < 2; i++) {
		if (drbdnl_proc_parse(buf, size, minors[i], &r) != 0)
			abort();
		/* "H:MM:SS" with minutes and seconds below 60, hours a u32 */
		if (r.found && r.eta_s > (uint64_t)UINT32_MAX * 3600 + 3599)
			abort();
		if (!r.found && (r.eta_s || r.rate_kib_s || r.mean_kib_s || r.want_kib_s || r.stalled))
			abort();	/* nothing half-filled */
	}
	free(buf);
	return 0;
}
