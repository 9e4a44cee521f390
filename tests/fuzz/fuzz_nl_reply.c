/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD genl replies: the input is the datagram the kernel answers with, to
 * a configuration request (drbdnl_primary: ret_code, info text, retries),
 * to GET_STATUS for one minor, and to the GET_STATUS dump (every nest of a
 * status: context, options, state info).  What the command line prints of a
 * status (options, addresses, progress) is formatted too.
 */
#include "fuzz_nl_seam.h"

static void format_status(const struct drbdnl_status *st)
{
	struct drbdnl_progress p;
	char buf[256];

	(void)drbdnl_sync_progress(st, &p);
	(void)drbdnl_addr_format(&st->my_addr, buf, sizeof(buf));
	(void)drbdnl_addr_format(&st->peer_addr, buf, sizeof(buf));
	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++)
		if (drbdnl_conf_has(&st->conf, i))
			(void)drbdnl_conf_format(&st->conf, i, buf, sizeof(buf));
	(void)drbdnl_role_name(st->role);
	(void)drbdnl_conn_name(st->conn);
	(void)drbdnl_disk_name(st->disk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_nl z = { .mode = FZ_REPLY, .data = data, .len = size };
	struct vh_error e = { 0 };
	struct drbdnl_status st, *v = NULL;
	size_t n = 0;
	int r;

	if (fz_open(&z, &e))
		abort();	/* the lookup is not fuzzed here */
	r = drbdnl_primary(z.h, 0, false, &e);
	fz_check_error(r, &e);
	r = drbdnl_get_status(z.h, 0, &st, &e);
	fz_check_error(r, &e);
	if (r == 0)
		format_status(&st);
	r = drbdnl_get_status_all(z.h, NULL, &v, &n, &e);
	fz_check_error(r, &e);
	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			format_status(&v[i]);
		free(v);
	}
	fz_close(&z);
	return 0;
}
