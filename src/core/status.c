/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop status's view of a device's sync and of the usermode helper
 * (status.h): pure functions of the facts src/netlink read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/jsonx.h"
#include "core/status.h"

void vstatus_sync_view(const struct drbdnl_status *st, const struct drbdnl_proc_sync *rate,
		       struct vstatus_sync *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!st)
		return;
	ret->have_drbd = true;
	ret->conn = st->conn;
	ret->disk = st->disk;
	ret->attached = drbdnl_in_sync_permille(st, &ret->in_sync_permille);
	if (ret->attached) {
		ret->size_kib = st->bits_total * 4;
		ret->oos_kib = st->bits_oos * 4;
	}
	ret->resyncing = drbdnl_sync_progress(st, &ret->rs);
	if (ret->resyncing && rate && rate->found)
		ret->rate = *rate;
}

/* "12.3" for 123 permille */
static void pct(unsigned permille, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", permille / 10, permille % 10);
}

static double mib(uint64_t kib)
{
	return (double)kib / 1024.0;
}

void vstatus_sync_text(const struct vstatus_sync *s, char *buf, size_t len)
{
	char p[16], q[16];
	size_t at;

	if (!s->have_drbd) {
		snprintf(buf, len, "no DRBD device");
		return;
	}
	if (!s->attached) {
		snprintf(buf, len, "unknown: no local disk (%s)", drbdnl_disk_name(s->disk));
		return;
	}
	pct(s->in_sync_permille, p, sizeof(p));
	if (!s->resyncing) {
		if (!s->oos_kib)
			snprintf(buf, len, "%s%% in sync", p);
		else
			snprintf(buf, len, "%s%% in sync, %.1f MiB out of sync", p, mib(s->oos_kib));
		return;
	}
	pct(s->rs.permille, q, sizeof(q));
	at = (size_t)snprintf(buf, len, "%s: %s%% of the resync done, %.1f MiB to go",
			      drbdnl_conn_name(s->conn), q, mib(s->rs.left_kib));
	if (at >= len)
		return;
	if (s->rate.found)
		snprintf(buf + at, len - at, ", %.1f MiB/s, %" PRIu64 " s left%s", mib(s->rate.rate_kib_s),
			 s->rate.eta_s, s->rate.stalled ? " (stalled)" : "");
	else
		snprintf(buf + at, len - at, ", rate unknown");
}

static int add_pct(json_object *o, const char *key, unsigned permille)
{
	char p[16];

	pct(permille, p, sizeof(p));
	return vjson_add_obj(o, key, json_object_new_double_s(permille / 10.0, p));
}

const char *vstatus_sync_word(const struct vstatus_sync *s)
{
	if (!s->have_drbd)
		return "no-device";
	if (!s->attached)
		return "no-disk";
	if (s->resyncing)
		return "resyncing";
	return s->oos_kib ? "out-of-sync" : "in-sync";
}

int vstatus_sync_json(const struct vstatus_sync *s, json_object *o)
{
	char text[256];
	int r;

	vstatus_sync_text(s, text, sizeof(text));
	if ((r = vjson_add_str(o, "sync", vstatus_sync_word(s))) < 0 ||
	    (r = vjson_add_str(o, "sync_text", text)) < 0 || !s->attached)
		return r;
	if ((r = add_pct(o, "in_sync_percent", s->in_sync_permille)) < 0 ||
	    (r = vjson_add_u64(o, "size_kib", s->size_kib)) < 0 || !s->resyncing)
		return r;
	if ((r = add_pct(o, "resync_percent", s->rs.permille)) < 0 ||
	    (r = vjson_add_u64(o, "resync_left_kib", s->rs.left_kib)) < 0 ||
	    (r = vjson_add_u64(o, "resync_total_kib", s->rs.total_kib)) < 0 || !s->rate.found)
		return r;
	if ((r = vjson_add_u64(o, "resync_rate_kib_s", s->rate.rate_kib_s)) < 0 ||
	    (r = vjson_add_u64(o, "resync_mean_kib_s", s->rate.mean_kib_s)) < 0 ||
	    (r = vjson_add_u64(o, "resync_eta_s", s->rate.eta_s)) < 0 ||
	    (r = vjson_add_bool(o, "resync_stalled", s->rate.stalled)) < 0)
		return r;
	return 0;
}

bool vstatus_helper_holds(const struct drbdnl_helper *h, const char *res)
{
	for (unsigned i = 0; i < h->nheld && i < DRBDNL_HELPER_MAX; i++)
		if (!strcmp(h->held[i].res, res))
			return true;
	return false;
}

int vstatus_helper_json(const struct drbdnl_helper *h, const char *res,
			const char *journal_original, json_object *o)
{
	json_object *holds;
	int r;

	if ((r = vjson_add_str(o, "current", h->current)) < 0 ||
	    (r = vjson_add_bool(o, "unsafe", h->unsafe)) < 0 ||
	    (r = vjson_add_bool(o, "held_by_vmhop", h->overridden)) < 0 ||
	    (r = vjson_add_bool(o, "held_for_this_move", vstatus_helper_holds(h, res))) < 0 ||
	    (r = vjson_add_str(o, "saved_original", h->saved)) < 0 ||
	    (r = vjson_add_str(o, "journal_original", journal_original)) < 0)
		return r;
	holds = json_object_new_array();
	if ((r = vjson_add_obj(o, "holds", holds)) < 0)
		return r;
	for (unsigned i = 0; i < h->nheld && i < DRBDNL_HELPER_MAX; i++) {
		json_object *x = json_object_new_object();

		if (!x || vjson_add_str(x, "resource", h->held[i].res) < 0 ||
		    vjson_add_obj(x, "pid", json_object_new_int(h->held[i].pid)) < 0 ||
		    json_object_array_add(holds, x)) {
			json_object_put(x);
			return -ENOMEM;
		}
	}
	return 0;
}
