/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD events: the input is a run of event-socket datagrams (separated by
 * FZ_SPLIT), read by drbdnl_events() for every minor and by drbdnl_wait()
 * for minor 0 after a well-formed initial status: DRBD_EVENT status
 * messages, events2 DEVICE_STATE, nlctrl notices, overruns.
 */
#include "fuzz_nl_seam.h"

static int on_event(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	struct drbdnl_progress p;

	(void)arg;
	(void)e;
	(void)drbdnl_sync_progress(st, &p);
	return 0;
}

static void on_progress(const struct drbdnl_status *st, const struct drbdnl_progress *p,
			void *arg)
{
	(void)st;
	(void)p;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_nl z = { .mode = FZ_EVENTS, .data = data, .len = size };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	int r;

	if (fz_open(&z, &e))
		abort();
	drbdnl_set_kmsg(z.h, "/nonexistent");
	r = drbdnl_events(z.h, DRBDNL_ALL_MINORS, -1, on_event, NULL, &e);
	fz_check_error(r, &e);
	z.evpos = 0;
	r = drbdnl_wait(z.h, 0, drbdnl_pred_synced, NULL, -1, on_progress, NULL, &st, &e);
	fz_check_error(r, &e);
	fz_close(&z);
	return 0;
}
