/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recorded bytes: tests/data/netlink/NAME-NN-{req,reply}.hex were captured
 * with strace from drbdsetup-84 talking to the real DRBD 8.4.11 module in
 * the lab (tests/data/netlink/capture.sh).  Our encoder must produce the same
 * requests byte for byte (all but nlmsg_seq/nlmsg_pid), and our decoder must
 * read the kernel's own replies and events.  Request 00 of each recording is
 * the nlctrl family lookup; 01 is the DRBD request.
 */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "netlink/drbdnl.h"
#include "support_netlink.h"

#define A1 "ipv4:169.254.77.1:7790"
#define A2 "ipv4:169.254.77.2:7790"

/* steps: our family lookup == drbdsetup's, then the recorded DRBD request */
struct rec {
	struct nlfake f;
	struct nlfake_step steps[3];
	char names[4][96];
	struct drbdnl *h;
};

static struct drbdnl *rec_open(struct rec *r, const char *name, int req_no)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->names[0], sizeof(r->names[0]), "%s-00-req", name);
	snprintf(r->names[1], sizeof(r->names[1]), "%s-00-reply", name);
	snprintf(r->names[2], sizeof(r->names[2]), "%s-%02d-req", name, req_no);
	snprintf(r->names[3], sizeof(r->names[3]), "%s-%02d-reply", name, req_no);
	r->steps[0] = (struct nlfake_step){ .req = r->names[0], .reply = r->names[1] };
	r->steps[1] = (struct nlfake_step){ .req = r->names[2], .reply = r->names[3] };
	r->f.steps = r->steps;
	r->f.nsteps = 2;
	r->h = nlfake_open(&r->f);
	return r->h;
}

static void rec_done(struct rec *r)
{
	assert_int_equal(r->f.pos, r->f.nsteps);	/* every recorded request was sent */
	drbdnl_close(r->h);
}

static void conf_text(struct drbdnl_conf *c, const char *name, const char *value)
{
	struct vh_error e = { 0 };

	if (drbdnl_conf_set_text(c, name, value, &e) < 0)
		fail_msg("%s=%s: %s", name, value ? value : "", e.msg);
}

static void addr(struct drbdnl_addr *a, const char *s)
{
	assert_int_equal(drbdnl_addr_parse(s, a, NULL), 0);
}

/* ---- requests, byte for byte ---- */

static void family_lookup(void **state)
{
	struct rec r;
	const struct drbdnl_family *fam;

	/* the drbdsetup recording's lookup and answer, nothing else */
	memset(&r, 0, sizeof(r));
	r.steps[0] = (struct nlfake_step){ .req = "new-resource-00-req", .reply = "new-resource-00-reply" };
	r.f.steps = r.steps;
	r.f.nsteps = 1;
	r.h = nlfake_open(&r.f);
	fam = drbdnl_family(r.h);
	assert_int_equal(fam->version, 1);
	assert_int_equal(fam->hdrsize, 8);
	assert_int_equal(fam->maxattr, 24);
	assert_true(fam->id >= 0x10);
	assert_true(fam->events_group > 0);
	rec_done(&r);
}

static void new_resource(void **state)
{
	struct vh_error e = { 0 };
	struct rec r;

	assert_int_equal(drbdnl_new_resource(rec_open(&r, "new-resource", 1), "r0", NULL, &e), 0);
	rec_done(&r);
}

static void new_minor(void **state)
{
	struct vh_error e = { 0 };
	struct rec r;

	assert_int_equal(drbdnl_new_minor(rec_open(&r, "new-minor", 1), "r0", 0, 0, &e), 0);
	rec_done(&r);
}

static void attach_with_options(void **state)
{
	struct drbdnl_conf c = { 0 };
	struct vh_error e = { 0 };
	struct rec r;

	conf_text(&c, "backing-dev", "/dev/vg/nlcap_d");
	conf_text(&c, "meta-dev", "/dev/vg/nlcap_m");
	assert_int_equal(drbdnl_conf_set_num(&c, DRBDNL_DISK_META_IDX, -2, &e), 0);	/* flexible */
	conf_text(&c, "on-io-error", "detach");
	conf_text(&c, "resync-rate", "20M");
	conf_text(&c, "c-plan-ahead", "0");
	conf_text(&c, "c-max-rate", "400M");
	conf_text(&c, "c-min-rate", "4M");
	assert_int_equal(drbdnl_attach(rec_open(&r, "attach", 1), 0, &c, &e), 0);
	rec_done(&r);
}

static void attach_unknown_minor(void **state)
{
	struct drbdnl_conf c = { 0 };
	struct vh_error e = { 0 };
	struct rec r;

	conf_text(&c, "backing-dev", "/dev/vg/nlcap_d");
	conf_text(&c, "meta-dev", "/dev/vg/nlcap_m");
	assert_int_equal(drbdnl_conf_set_num(&c, DRBDNL_DISK_META_IDX, -2, &e), 0);
	assert_int_equal(drbdnl_attach(rec_open(&r, "attach-nominor", 1), 9, &c, &e), -ENXIO);
	assert_int_equal(e.origin_code, 127);
	assert_non_null(strstr(e.msg, "ERR_MINOR_INVALID"));
	assert_non_null(strstr(e.msg, "unknown minor"));	/* the kernel's own words */
	rec_done(&r);
}

static void connect_hmac(void **state)
{
	struct drbdnl_conf c = { 0 };
	struct drbdnl_addr a1, a2;
	struct vh_error e = { 0 };
	struct rec r;

	addr(&a1, A1);
	addr(&a2, A2);
	conf_text(&c, "shared-secret", "vmhop-lab-secret");
	conf_text(&c, "cram-hmac-alg", "sha256");
	conf_text(&c, "protocol", "C");
	conf_text(&c, "after-sb-0pri", "disconnect");
	conf_text(&c, "after-sb-1pri", "disconnect");
	conf_text(&c, "after-sb-2pri", "disconnect");
	conf_text(&c, "allow-two-primaries", "yes");
	assert_int_equal(drbdnl_connect(rec_open(&r, "connect", 1), "r0", &a1, &a2, &c, &e), 0);
	rec_done(&r);
}

static void primary_force_and_not(void **state)
{
	struct vh_error e = { 0 };
	struct rec r;

	assert_int_equal(drbdnl_primary(rec_open(&r, "primary-force", 1), 0, true, &e), 0);
	rec_done(&r);
	assert_int_equal(drbdnl_primary(rec_open(&r, "primary", 1), 0, false, &e), 0);
	rec_done(&r);
}

static void change_options(void **state)
{
	struct drbdnl_conf c = { 0 };
	struct drbdnl_addr a1, a2;
	struct vh_error e = { 0 };
	struct rec r;

	conf_text(&c, "resync-rate", "50M");
	assert_int_equal(drbdnl_chg_disk_opts(rec_open(&r, "disk-options", 1), 0, &c, false, &e), 0);
	rec_done(&r);

	memset(&c, 0, sizeof(c));
	addr(&a1, A1);
	addr(&a2, A2);
	conf_text(&c, "ping-timeout", "10");
	assert_int_equal(drbdnl_chg_net_opts(rec_open(&r, "net-options", 1), &a1, &a2, &c, false,
					     &e), 0);
	rec_done(&r);

	memset(&c, 0, sizeof(c));
	conf_text(&c, "on-no-data-accessible", "suspend-io");
	assert_int_equal(drbdnl_resource_opts(rec_open(&r, "resource-options", 1), "r0", &c, false,
					      &e), 0);
	rec_done(&r);
}

static void secondary_in_use(void **state)
{
	struct vh_error e = { 0 };
	struct rec r;

	assert_int_equal(drbdnl_secondary(rec_open(&r, "secondary-busy", 1), 0, &e), -EBUSY);
	assert_int_equal(e.origin_code, -12);
	assert_non_null(strstr(e.msg, "SS_DEVICE_IN_USE"));
	rec_done(&r);
}

static void teardown_one_by_one(void **state)
{
	struct drbdnl_addr a1, a2;
	struct vh_error e = { 0 };
	struct rec r;

	addr(&a1, A1);
	addr(&a2, A2);
	assert_int_equal(drbdnl_secondary(rec_open(&r, "secondary", 1), 0, &e), 0);
	rec_done(&r);
	assert_int_equal(drbdnl_disconnect(rec_open(&r, "disconnect", 1), &a1, &a2, false, &e), 0);
	rec_done(&r);
	assert_int_equal(drbdnl_detach(rec_open(&r, "detach", 1), 0, false, &e), 0);
	rec_done(&r);
	assert_int_equal(drbdnl_del_minor(rec_open(&r, "del-minor", 1), 0, &e), 0);
	rec_done(&r);
	assert_int_equal(drbdnl_del_resource(rec_open(&r, "del-resource", 1), "r0", &e), 0);
	rec_done(&r);
	/* drbdsetup's down first dumps the resource's status (request 01); ours goes straight
	 * to the DOWN request, which must equal drbdsetup's request 02 */
	assert_int_equal(drbdnl_down(rec_open(&r, "down", 2), "r1", &e), 0);
	rec_done(&r);
}

/* ---- the kernel's replies ---- */

static void status_connected_fresh(void **state)
{
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	char buf[64];
	struct rec r;

	assert_int_equal(drbdnl_get_status(rec_open(&r, "status-connected", 1), 0, &st, &e), 0);
	rec_done(&r);
	assert_int_equal(st.minor, 0);
	assert_string_equal(st.resource, "r0");
	assert_true(st.has_state);
	assert_int_equal(st.sib_reason, 1);
	assert_int_equal(st.conn, DRBDNL_C_CONNECTED);
	assert_int_equal(st.role, DRBDNL_R_SECONDARY);
	assert_int_equal(st.peer, DRBDNL_R_SECONDARY);
	/* fresh meta-data on both sides: connected, no sync until one side is forced */
	assert_int_equal(st.disk, DRBDNL_D_INCONSISTENT);
	assert_int_equal(st.pdsk, DRBDNL_D_INCONSISTENT);
	assert_int_equal(st.capacity, 96 * 2048);	/* 96 MiB in sectors */
	assert_true(st.has_uuids);
	assert_int_equal(st.uuids[0], 4);		/* UUID_JUST_CREATED */
	assert_int_equal(st.bits_total, 96 * 256);	/* 4 KiB per bit */
	assert_true(st.attached);
	assert_true(st.has_net);
	drbdnl_addr_format(&st.my_addr, buf, sizeof(buf));
	assert_string_equal(buf, A1);
	drbdnl_addr_format(&st.peer_addr, buf, sizeof(buf));
	assert_string_equal(buf, A2);
	/*
	 * The options as the kernel holds them.  A DRBD 8.4 fact this recording shows:
	 * at connect each side adopts the peer's resync-rate and c-plan-ahead,
	 * c-delay-target, c-fill-target, c-max-rate (the P_SYNC_PARAM packet).  hv1
	 * attached with resync-rate 20M, c-plan-ahead 0, c-max-rate 400M, c-min-rate 4M;
	 * hv2 with the defaults -- so hv1 now holds hv2's 250 / 20 / 102400, and only
	 * c-min-rate (not exchanged) is still its own.
	 */
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_RESYNC_RATE), 250);
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_C_PLAN_AHEAD), 20);
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_C_MAX_RATE), 102400);
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_C_MIN_RATE), 4096);
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_ON_IO_ERROR), 2);
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_FLUSHES), 1);	/* default on */
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_DISK_META_IDX), -2);
	assert_string_equal(drbdnl_conf_str(&st.conf, DRBDNL_DISK_BACKING_DEV), "/dev/vg/nlcap_d");
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_NET_PROTOCOL), 3);
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_NET_TWO_PRIMARIES), 1);
	assert_string_equal(drbdnl_conf_str(&st.conf, DRBDNL_NET_CRAM_HMAC_ALG), "sha256");
	assert_int_equal(drbdnl_conf_num(&st.conf, DRBDNL_NET_TIMEOUT), 60);	/* default */
}

static void status_synced(void **state)
{
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	struct drbdnl_progress p;
	struct rec r;

	assert_int_equal(drbdnl_get_status(rec_open(&r, "status-synced", 1), 0, &st, &e), 0);
	rec_done(&r);
	assert_int_equal(st.role, DRBDNL_R_PRIMARY);
	assert_int_equal(st.peer, DRBDNL_R_SECONDARY);
	assert_int_equal(st.conn, DRBDNL_C_CONNECTED);
	assert_int_equal(st.disk, DRBDNL_D_UP_TO_DATE);
	assert_int_equal(st.pdsk, DRBDNL_D_UP_TO_DATE);
	assert_int_equal(st.bits_oos, 0);
	assert_false(drbdnl_sync_progress(&st, &p));
	assert_int_equal(drbdnl_pred_synced(&st, NULL, NULL), 1);
	/* a primary's current UUID has bit 0 set */
	assert_int_equal(st.uuids[0] & 1, 1);
	assert_true(st.uuids[0] != 4);
}

static void show_dump(void **state)
{
	struct vh_error e = { 0 };
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	struct rec r;

	assert_int_equal(drbdnl_get_status_all(rec_open(&r, "show-all", 1), NULL, &v, &n, &e), 0);
	rec_done(&r);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].resource, "r0");
	/* root sees the secret */
	assert_string_equal(drbdnl_conf_str(&v[0].conf, DRBDNL_NET_SHARED_SECRET), "vmhop-lab-secret");
	free(v);
}

/* ---- the kernel's events, recorded while hv1 was forced primary ---- */

/*
 * events-01-reply: drbdsetup-84 `events all` on hv1: the GET_STATUS dump
 * (connected, Secondary/Secondary, Inconsistent/Inconsistent), NLMSG_DONE,
 * then what the kernel multicast on "events" when `primary --force` ran:
 * old-style DRBD_EVENTs (Primary UpToDate/Inconsistent; WFBitMapS; the
 * before-resync-source helper call and its return) mixed with events2
 * messages (cmds 34, 35, 37, 40) that we must skip.  The helper returned
 * 0xfffffffe (-ENOENT): the capture wrote "/bin/true\n" to usermode_helper
 * with echo, and the kernel ignored the failed exec -- so vmhop writes the
 * parameter without a newline.
 */
struct evlog {
	int n, helper_pre, helper_post;
	uint32_t helper_exit;
	char helper[32];
	struct drbdnl_status last;
};

static int ev_cb(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	struct evlog *l = arg;

	l->n++;
	if (st->sib_reason == 3)
		l->helper_pre++;
	if (st->sib_reason == 4) {
		l->helper_post++;
		l->helper_exit = st->helper_exit_code;
		snprintf(l->helper, sizeof(l->helper), "%s", st->helper);
	}
	l->last = *st;
	return 0;
}

/* datagram names for the fake: "events-01-reply#k" for k in [from, total) */
static size_t event_names(const char *evs[], char names[][64], int from)
{
	int total = nlfake_count("events-01-reply");
	size_t n = 0;

	for (int k = from; k < total && n < 64; k++, n++) {
		snprintf(names[n], sizeof(names[0]), "events-01-reply#%d", k);
		evs[n] = names[n];
	}
	return n;
}

static void events_recorded(void **state)
{
	struct vh_error e = { 0 };
	const char *evs[64];
	char names[64][64];
	struct evlog l = { 0 };
	struct nlfake_step steps[3];
	struct nlfake f;
	struct drbdnl *h;

	memset(&f, 0, sizeof(f));
	steps[0] = (struct nlfake_step){ .reply = "events-00-reply" };
	/* our nlctrl lookup for the unload notice: "no such family" is fine, it is optional */
	steps[1] = (struct nlfake_step){ .err = -ENOENT };
	/* the snapshot: our dump request equals drbdsetup's, its recorded answer up to DONE */
	steps[2] = (struct nlfake_step){ .req = "events-01-req", .reply = "events-01-reply" };
	f.steps = steps;
	f.nsteps = 3;
	f.events = evs;
	f.nevents = event_names(evs, names, 2);	/* the datagrams after the dump and its DONE */
	f.end_err = -ECONNABORTED;	/* then the stream ends: no clock in this test */
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_events(h, DRBDNL_ALL_MINORS, -1, ev_cb, &l, &e), -ECONNABORTED);
	assert_int_equal(f.evpos, f.nevents);
	/* the snapshot + 4 DRBD_EVENTs; the 4 events2 messages are not statuses */
	assert_int_equal(l.n, 5);
	assert_int_equal(l.helper_pre, 1);
	assert_int_equal(l.helper_post, 1);
	assert_string_equal(l.helper, "before-resync-source");
	assert_int_equal(l.helper_exit, 0xfffffffe);
	assert_int_equal(l.last.role, DRBDNL_R_PRIMARY);
	assert_int_equal(l.last.disk, DRBDNL_D_UP_TO_DATE);
	assert_int_equal(l.last.pdsk, DRBDNL_D_INCONSISTENT);
	assert_int_equal(l.last.conn, 13);	/* WFBitMapS */
	drbdnl_close(h);
}

static int pred_primary_uptodate(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	return st->role == DRBDNL_R_PRIMARY && st->disk == DRBDNL_D_UP_TO_DATE;
}

static void wait_on_recorded_events(void **state)
{
	static const struct nlfake_step steps[] = {
		{ .reply = "events-00-reply" }, { .err = -ENOENT },
		/* the initial GET_STATUS for minor 0: recorded while connected, unsynced */
		{ .req = "status-connected-01-req", .reply = "status-connected-01-reply" },
	};
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	const char *evs[64];
	char names[64][64];
	struct nlfake f;
	struct drbdnl *h;

	/* an engine predicate: satisfied by the first recorded event */
	memset(&f, 0, sizeof(f));
	f.steps = steps;
	f.nsteps = 3;
	f.events = evs;
	f.nevents = event_names(evs, names, 0);
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_wait(h, 0, pred_primary_uptodate, NULL, -1, NULL, NULL, &st, &e), 0);
	assert_int_equal(st.sib_reason, 2);
	assert_int_equal(st.pdsk, DRBDNL_D_INCONSISTENT);
	drbdnl_close(h);

	/* "synced" is never reached in this recording: the wait must not call it done */
	memset(&f, 0, sizeof(f));
	f.steps = steps;
	f.nsteps = 3;
	f.events = evs;
	f.nevents = event_names(evs, names, 0);
	f.end_err = -ECONNABORTED;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_synced, NULL, -1, NULL, NULL, &st, &e),
			 -ECONNABORTED);
	assert_int_equal(f.evpos, f.nevents);
	drbdnl_close(h);
}

/* ---- a whole forced sync, as `vmhop drbd events` received it (vmhop-events-*.hex) ---- */

/*
 * Recorded with capture.sh vmhop-events: requests 00 (drbd family), 01 (nlctrl,
 * for the unload notice), 02 (GET_STATUS dump); the reply datagrams of 02 after
 * its NLMSG_DONE are the multicast events vmhop's event socket received while
 * hv1 was forced primary and synced 96 MiB to hv2 at 20 MiB/s.
 */
static int first_after_done(const char *name)
{
	int total = nlfake_count(name);

	for (int k = 0; k < total; k++) {
		unsigned char *b;
		size_t n;
		bool done = false;

		assert_int_equal(nlfake_load(name, (unsigned)k, &b, &n), 0);
		for (size_t off = 0; off + 16 <= n;) {
			unsigned len = b[off] | b[off + 1] << 8 | b[off + 2] << 16 |
				       (unsigned)b[off + 3] << 24;

			if ((b[off + 4] | b[off + 5] << 8) == 3)
				done = true;
			if (len < 16)
				break;
			off += (len + 3) & ~3u;
		}
		free(b);
		if (done)
			return k + 1;
	}
	return -1;
}

struct synclog {
	int statuses, syncing, progress_reports;
	unsigned last_permille;
	bool saw_source, ended_synced;
};

static int sync_cb(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	struct synclog *l = arg;
	struct drbdnl_progress p;

	if (st->minor != 0 || !st->has_state)
		return 0;
	l->statuses++;
	if (st->conn == DRBDNL_C_SYNC_SOURCE)
		l->saw_source = true;
	if (drbdnl_sync_progress(st, &p)) {
		l->syncing++;
		if (st->sib_reason == 5)
			l->progress_reports++;
		assert_true(p.permille >= l->last_permille);	/* never goes back */
		l->last_permille = p.permille;
	}
	l->ended_synced = drbdnl_pred_synced(st, NULL, NULL) == 1;
	return 0;
}

static void whole_sync_events(void **state)
{
	static const struct nlfake_step steps[] = {
		{ .req = "vmhop-events-00-req", .reply = "vmhop-events-00-reply" },
		{ .req = "vmhop-events-01-req", .reply = "vmhop-events-01-reply" },
		{ .req = "vmhop-events-02-req", .reply = "vmhop-events-02-reply" },
	};
	struct vh_error e = { 0 };
	const char *evs[128];
	char names[128][64];
	struct synclog l = { 0 };
	struct nlfake f;
	struct drbdnl *h;
	int first = first_after_done("vmhop-events-02-reply");
	int total = nlfake_count("vmhop-events-02-reply");

	assert_true(first > 0 && first < total);
	memset(&f, 0, sizeof(f));
	for (int k = first; k < total && k - first < 128; k++) {
		snprintf(names[k - first], sizeof(names[0]), "vmhop-events-02-reply#%d", k);
		evs[k - first] = names[k - first];
	}
	f.steps = steps;
	f.nsteps = 3;
	f.events = evs;
	f.nevents = (size_t)(total - first);
	f.end_err = -ECONNABORTED;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_events(h, DRBDNL_ALL_MINORS, -1, sync_cb, &l, &e), -ECONNABORTED);
	print_message("recorded sync: %d event datagrams, %d statuses of minor 0, %d while syncing, "
		      "%d progress reports\n", total - first, l.statuses, l.syncing, l.progress_reports);
	assert_true(l.saw_source);
	assert_true(l.progress_reports >= 1);
	assert_true(l.ended_synced);
	drbdnl_close(h);
}

struct progress_seen {
	int calls;
	unsigned permille[32];
	int n;
};

static void on_progress(const struct drbdnl_status *st, const struct drbdnl_progress *p, void *arg)
{
	struct progress_seen *ps = arg;

	ps->calls++;
	if (st->has_resync && ps->n < 32)
		ps->permille[ps->n++] = p->permille;
}

static void wait_synced_on_whole_sync(void **state)
{
	/* the engine's wait: synced, with progress, on the recorded sync's events */
	static const struct nlfake_step steps[] = {
		{ .req = "vmhop-events-00-req", .reply = "vmhop-events-00-reply" },
		{ .req = "vmhop-events-01-req", .reply = "vmhop-events-01-reply" },
		/* GET_STATUS of minor 0 (recorded in the same state: connected, unsynced) */
		{ .req = "status-connected-01-req", .reply = "status-connected-01-reply" },
	};
	struct progress_seen ps = { 0 };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	const char *evs[128];
	char names[128][64];
	struct nlfake f;
	struct drbdnl *h;
	int first = first_after_done("vmhop-events-02-reply");
	int total = nlfake_count("vmhop-events-02-reply");

	memset(&f, 0, sizeof(f));
	for (int k = first; k < total && k - first < 128; k++) {
		snprintf(names[k - first], sizeof(names[0]), "vmhop-events-02-reply#%d", k);
		evs[k - first] = names[k - first];
	}
	f.steps = steps;
	f.nsteps = 3;
	f.events = evs;
	f.nevents = (size_t)(total - first);
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_synced, NULL, -1, on_progress, &ps, &st,
				     &e), 0);
	assert_int_equal(st.conn, DRBDNL_C_CONNECTED);
	assert_int_equal(st.pdsk, DRBDNL_D_UP_TO_DATE);
	assert_int_equal(st.role, DRBDNL_R_PRIMARY);
	assert_int_equal(f.evpos, f.nevents);	/* it needed the last event */
	assert_true(ps.n >= 3);
	assert_int_equal(ps.permille[0], 0);
	assert_int_equal(ps.permille[ps.n - 1], 1000);
	for (int i = 1; i < ps.n; i++)
		assert_true(ps.permille[i] >= ps.permille[i - 1]);
	drbdnl_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(family_lookup),
		cmocka_unit_test(new_resource),
		cmocka_unit_test(new_minor),
		cmocka_unit_test(attach_with_options),
		cmocka_unit_test(attach_unknown_minor),
		cmocka_unit_test(connect_hmac),
		cmocka_unit_test(primary_force_and_not),
		cmocka_unit_test(change_options),
		cmocka_unit_test(secondary_in_use),
		cmocka_unit_test(teardown_one_by_one),
		cmocka_unit_test(status_connected_fresh),
		cmocka_unit_test(status_synced),
		cmocka_unit_test(show_dump),
		cmocka_unit_test(events_recorded),
		cmocka_unit_test(wait_on_recorded_events),
		cmocka_unit_test(whole_sync_events),
		cmocka_unit_test(wait_synced_on_whole_sync),
	};

	return cmocka_run_group_tests_name("netlink_recorded", tests, NULL, NULL);
}
