/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What `vmhop status` says about one DRBD device's sync and about the
 * module's usermode helper, computed from facts read below (src/netlink):
 * DRBD's GET_STATUS, the rate and time left from /proc/drbd, the helper's
 * parameter and vmhop's record of it.  Nothing here reads the host or prints.
 */
#ifndef VMHOP_CORE_STATUS_H
#define VMHOP_CORE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "netlink/drbdnl.h"

struct vstatus_sync {
	bool have_drbd;			/* the minor exists */
	bool attached;			/* a local disk: the bitmap's size is known */
	unsigned conn, disk;		/* DRBDNL_C_*, DRBDNL_D_* */
	uint64_t size_kib;		/* what the bitmap covers (bits_total * 4) */
	uint64_t oos_kib;		/* out of sync (bits_oos * 4) */
	unsigned in_sync_permille;	/* of the whole device; 1000 only when oos_kib is 0 */
	bool resyncing;			/* SyncSource .. PausedSyncT */
	struct drbdnl_progress rs;	/* this resync, as drbdsetup computes it */
	struct drbdnl_proc_sync rate;	/* rate and time left (rate.found) */
};

/* @st NULL: the minor does not exist.  @rate NULL or not found: unknown. */
void vstatus_sync_view(const struct drbdnl_status *st, const struct drbdnl_proc_sync *rate,
		       struct vstatus_sync *ret);
/* One phrase for people: "100.0% in sync", "SyncSource: 42.1% of the resync
 * done, 74.0 MiB to go, 12.0 MiB/s, 6 s left", "no DRBD device" ... */
void vstatus_sync_text(const struct vstatus_sync *s, char *buf, size_t len);
/* The sync in one word: "in-sync", "out-of-sync" (not resyncing), "resyncing",
 * "no-device" (the minor does not exist), "no-disk" (no local disk: unknown). */
const char *vstatus_sync_word(const struct vstatus_sync *s);
/* The same as JSON members of @o ("sync", the word; "sync_text", the phrase;
 * "in_sync_percent", "resync_*"): -ENOMEM when one could not be added. */
int vstatus_sync_json(const struct vstatus_sync *s, json_object *o);

/* The helper as status shows it: the parameter now, whether vmhop's record
 * (the original it replaced) exists, whether @res is one of its holds, and
 * the original the move's journal saved.  -ENOMEM when incomplete. */
int vstatus_helper_json(const struct drbdnl_helper *h, const char *res,
			const char *journal_original, json_object *o);
bool vstatus_helper_holds(const struct drbdnl_helper *h, const char *res);

#endif
