/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The family check, reply decoding, ret_code handling and the event wait,
 * driven through the netlink seam with messages built as the kernel builds
 * them.  (Recorded kernel bytes are replayed in test_netlink_recorded.c.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netlink.h>

#include "netlink/drbdnl.h"
#include "netlink/proto.h"
#include "support_netlink.h"

#define FAM 0x1c
#define GRP 0x15
#define CTRL_NOTIFY 0x10

static uint32_t st_word(unsigned role, unsigned peer, unsigned conn, unsigned disk, unsigned pdsk)
{
	return role | peer << 2 | conn << 4 | disk << 9 | pdsk << 13;
}

/* slot 0: the drbd family; slot 1: nlctrl (for the events' unload notice) */
static void base(struct nlfake *f)
{
	memset(f, 0, sizeof(*f));
	f->end_err = -ECONNABORTED;	/* no wait here depends on a clock */
	nlfake_mem_ctrl(f, 0, "drbd", FAM, 1, 8, "events", GRP);
	nlfake_mem_ctrl(f, 1, "nlctrl", 0x10, 2, 0, "notify", CTRL_NOTIFY);
}

static void status_msg(struct nlfake *f, int slot, uint8_t cmd, uint32_t minor, uint32_t sib,
		       uint32_t state, uint64_t oos, uint64_t rs_total)
{
	struct nlfake_state s = {
		.family = FAM, .cmd = cmd, .minor = minor, .resource = "r0", .sib_reason = sib,
		.state = state, .bits_oos = oos, .bits_rs_total = rs_total,
	};

	nlfake_mem_drbd(f, slot, &s);
}

/* ---- the family ---- */

static void open_checks_family(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" } };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	f.steps = steps;
	f.nsteps = 1;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_family(h)->id, FAM);
	assert_int_equal(drbdnl_family(h)->events_group, GRP);
	assert_int_equal(drbdnl_round_trips(h), 1);
	/* the lookup asked nlctrl for "drbd" */
	assert_non_null(memmem(f.last_req, f.last_req_len, "drbd", 5));
	drbdnl_close(h);
}

static int open_err(struct nlfake *f, struct vh_error *e)
{
	struct drbdnl *h = NULL;
	int r = drbdnl_open_with(&h, &nlfake_ops, f, e);

	assert_null(h);
	return r;
}

static void open_refuses_drbd9(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" } };
	struct vh_error e = { 0 };
	struct nlfake f;

	base(&f);
	nlfake_mem_ctrl(&f, 0, "drbd", FAM, 2, 8, "events", GRP);
	f.steps = steps;
	f.nsteps = 1;
	nlfake_open_prepare(&f);
	assert_int_equal(open_err(&f, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "DRBD 9"));
}

static void open_refuses_other_header(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" } };
	struct vh_error e = { 0 };
	struct nlfake f;

	base(&f);
	nlfake_mem_ctrl(&f, 0, "drbd", FAM, 1, 12, "events", GRP);
	f.steps = steps;
	f.nsteps = 1;
	nlfake_open_prepare(&f);
	assert_int_equal(open_err(&f, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "header 12"));
}

static void open_module_missing(void **state)
{
	/* nlctrl answers an unknown family with NLMSG_ERROR -ENOENT */
	static const struct nlfake_step steps[] = { { .err = -ENOENT } };
	struct vh_error e = { 0 };
	struct nlfake f;

	base(&f);
	f.steps = steps;
	f.nsteps = 1;
	nlfake_open_prepare(&f);
	assert_int_equal(open_err(&f, &e), -ENOPKG);
	assert_non_null(strstr(e.msg, "not loaded"));
	assert_non_null(strstr(e.msg, "modprobe drbd"));
}

/* ---- replies ---- */

static void reply_error_text_and_codes(void **state)
{
	static const struct nlfake_step steps[] = {
		{ .reply = "mem:0" }, { .reply = "mem:2" }, { .reply = "mem:3" } };
	struct nlfake_state busy = { .family = FAM, .cmd = DRBDNL_SECONDARY, .minor = 3,
				     .ret_code = -12 };
	struct nlfake_state nominor = { .family = FAM, .cmd = DRBDNL_ATTACH, .minor = 9,
					.ret_code = 127, .info = "unknown minor\n" };
	struct vh_error e = { 0 };
	struct drbdnl_conf dc = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	nlfake_mem_drbd(&f, 2, &busy);
	nlfake_mem_drbd(&f, 3, &nominor);
	f.steps = steps;
	f.nsteps = 3;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_secondary(h, 3, &e), -EBUSY);
	assert_int_equal(e.origin_code, -12);
	assert_non_null(strstr(e.msg, "SS_DEVICE_IN_USE"));
	assert_non_null(strstr(e.msg, "held open"));
	assert_int_equal(drbdnl_conf_set_str(&dc, DRBDNL_DISK_BACKING_DEV, "/dev/vg/a", &e), 0);
	assert_int_equal(drbdnl_conf_set_str(&dc, DRBDNL_DISK_META_DEV, "/dev/vg/m", &e), 0);
	assert_int_equal(drbdnl_conf_set_num(&dc, DRBDNL_DISK_META_IDX, 0, &e), 0);
	assert_int_equal(drbdnl_attach(h, 9, &dc, &e), -ENXIO);
	assert_int_equal(e.origin_code, 127);
	/* the kernel's info text, without its newline */
	assert_non_null(strstr(e.msg, "ERR_MINOR_INVALID 127): unknown minor"));
	assert_null(strchr(e.msg, '\n'));
	assert_int_equal(f.pos, 3);
	drbdnl_close(h);
}

static void reply_transient_is_retried(void **state)
{
	static const struct nlfake_step steps[] = {
		{ .reply = "mem:0" }, { .reply = "mem:2" }, { .reply = "mem:2" }, { .reply = "mem:3" } };
	struct nlfake_state transient = { .family = FAM, .cmd = DRBDNL_PRIMARY, .ret_code = -18 };
	struct nlfake_state ok = { .family = FAM, .cmd = DRBDNL_PRIMARY, .ret_code = 1 };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	nlfake_mem_drbd(&f, 2, &transient);
	nlfake_mem_drbd(&f, 3, &ok);
	f.steps = steps;
	f.nsteps = 4;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_primary(h, 0, true, &e), 0);
	assert_int_equal(f.pos, 4);
	assert_int_equal(drbdnl_round_trips(h), 4);
	drbdnl_close(h);
}

static void reply_transient_gives_up(void **state)
{
	struct nlfake_step steps[12] = { { .reply = "mem:0" } };
	struct nlfake_state transient = { .family = FAM, .cmd = DRBDNL_SECONDARY, .ret_code = -19 };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	for (int i = 1; i < 12; i++)
		steps[i].reply = "mem:2";
	base(&f);
	nlfake_mem_drbd(&f, 2, &transient);
	f.steps = steps;
	f.nsteps = 12;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_secondary(h, 0, &e), -EAGAIN);
	assert_int_equal(f.pos, 1 + 8);	/* bounded: 8 tries */
	/* doubling from 10 ms, capped at 500 ms: 7 waits between 8 tries */
	{
		static const unsigned want[] = { 10, 20, 40, 80, 160, 320, 500 };

		assert_int_equal(f.nbackoff, 7);
		for (size_t i = 0; i < 7; i++)
			assert_int_equal(f.backoff_ms[i], want[i]);
	}
	drbdnl_close(h);
}

static void status_minor_unknown(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" }, { .reply = "mem:2" } };
	struct nlfake_state nominor = { .family = FAM, .cmd = DRBDNL_GET_STATUS, .minor = 7,
					.ret_code = 127 };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	nlfake_mem_drbd(&f, 2, &nominor);
	f.steps = steps;
	f.nsteps = 2;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_get_status(h, 7, &st, &e), -ENXIO);
	assert_int_equal(e.origin_code, 127);
	drbdnl_close(h);
}

static void status_decodes_state_word(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" }, { .reply = "mem:2" } };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	/* the spec's example: Primary/Secondary Connected UpToDate/UpToDate = 0x110A9,
	 * plus susp_fen (bit 22) */
	status_msg(&f, 2, DRBDNL_GET_STATUS, 4, 1, 0x000110A9 | (1u << 22), 0, 0);
	f.steps = steps;
	f.nsteps = 2;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_get_status(h, 4, &st, &e), 0);
	assert_int_equal(st.minor, 4);
	assert_string_equal(st.resource, "r0");
	assert_int_equal(st.role, DRBDNL_R_PRIMARY);
	assert_int_equal(st.peer, DRBDNL_R_SECONDARY);
	assert_int_equal(st.conn, DRBDNL_C_CONNECTED);
	assert_int_equal(st.disk, DRBDNL_D_UP_TO_DATE);
	assert_int_equal(st.pdsk, DRBDNL_D_UP_TO_DATE);
	assert_false(st.susp);
	assert_true(st.susp_fen);
	assert_int_equal(st.capacity, 409600);
	assert_int_equal(st.bits_total, 51200);
	assert_false(st.has_resync);
	drbdnl_close(h);
}

/* ---- waits ---- */

struct seen {
	int calls;
	unsigned permille[16];
	int n;
};

static void on_progress(const struct drbdnl_status *st, const struct drbdnl_progress *p, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	if (st->has_resync && s->n < 16)
		s->permille[s->n++] = p->permille;
}

/* open + nlctrl lookup + initial GET_STATUS (slot 2) */
static const struct nlfake_step wait_steps[] = {
	{ .reply = "mem:0" }, { .reply = "mem:1" }, { .reply = "mem:2" }, { .reply = "mem:3" } };

/* A handle over @f scripted as a wait: the first @nsteps of wait_steps
 * answered (a second GET_STATUS is the 4th), then the @nev events @ev. */
static struct drbdnl *open_wait(struct nlfake *f, size_t nsteps, const char *const *ev,
				size_t nev)
{
	f->steps = wait_steps;
	f->nsteps = nsteps;
	f->events = ev;
	f->nevents = nev;
	return nlfake_open(f);
}

static void wait_synced_with_progress(void **state)
{
	static const char *const ev[] = { "mem:4", "mem:5", "mem:6", "mem:7", "mem:8" };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	struct seen seen = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(1, 0, 8, 8, 6), 51200, 0);
	/* another minor's event is not ours */
	status_msg(&f, 4, DRBDNL_EVENT, 1, 2, st_word(2, 0, 0, 0, 6), 0, 0);
	status_msg(&f, 5, DRBDNL_EVENT, 0, 2, st_word(1, 2, 16, 8, 4), 51200, 51200);
	status_msg(&f, 6, DRBDNL_EVENT, 0, 5, st_word(1, 2, 16, 8, 4), 25600, 51200);
	status_msg(&f, 7, DRBDNL_EVENT, 0, 5, st_word(1, 2, 16, 8, 4), 5120, 51200);
	status_msg(&f, 8, DRBDNL_EVENT, 0, 2, st_word(1, 2, 10, 8, 8), 0, 0);
	h = open_wait(&f, 3, ev, 5);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_synced, NULL, -1, on_progress, &seen, &st,
				     &e), 0);
	assert_int_equal(st.conn, DRBDNL_C_CONNECTED);
	assert_int_equal(st.pdsk, DRBDNL_D_UP_TO_DATE);
	/* joined the drbd events group and nlctrl's notify group */
	assert_int_equal(f.njoined, 2);
	assert_int_equal(f.joined[0], GRP);
	assert_int_equal(f.joined[1], CTRL_NOTIFY);
	/* status, 3 sync reports/changes, final: the other minor's event is not reported */
	assert_int_equal(seen.calls, 5);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.permille[0], 0);
	assert_int_equal(seen.permille[1], 500);
	assert_int_equal(seen.permille[2], 900);
	assert_int_equal(f.evpos, 5);
	drbdnl_close(h);
}

static void wait_standalone_fails(void **state)
{
	static const char *const ev[] = { "mem:4" };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(1, 0, 9, 8, 6), 0, 0);
	status_msg(&f, 4, DRBDNL_EVENT, 0, 2, st_word(1, 0, 0, 8, 6), 0, 0);
	h = open_wait(&f, 3, ev, 1);
	drbdnl_set_kmsg(h, "/nonexistent");
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_connected, NULL, -1, NULL, NULL, NULL, &e),
			 -ENOTCONN);
	assert_non_null(strstr(e.msg, "StandAlone"));
	drbdnl_close(h);
}

static void wait_lost_connection_fails(void **state)
{
	static const char *const ev[] = { "mem:4", "mem:5" };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 1, 8, 4, 6), 0, 0);
	status_msg(&f, 4, DRBDNL_EVENT, 0, 2, st_word(2, 1, 17, 4, 8), 100, 100);
	status_msg(&f, 5, DRBDNL_EVENT, 0, 2, st_word(2, 0, 5, 4, 6), 100, 0);	/* NetworkFailure */
	h = open_wait(&f, 3, ev, 2);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_synced, NULL, -1, NULL, NULL, NULL, &e),
			 -ECONNRESET);
	assert_non_null(strstr(e.msg, "NetworkFailure"));
	drbdnl_close(h);
}

static void wait_overrun_rereads_status(void **state)
{
	static const char *const ev[] = { "ENOBUFS" };
	struct vh_error e = { 0 };
	struct drbdnl_status st;
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 1, 17, 4, 8), 100, 100);
	status_msg(&f, 3, DRBDNL_GET_STATUS, 0, 1, st_word(2, 1, 10, 8, 8), 0, 0);
	h = open_wait(&f, 4, ev, 1);	/* a second GET_STATUS after the overrun */
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_synced, NULL, -1, NULL, NULL, &st, &e), 0);
	assert_int_equal(f.pos, 4);
	assert_int_equal(st.peer, DRBDNL_R_PRIMARY);
	drbdnl_close(h);
}

static void wait_module_unload_fails(void **state)
{
	static const char *const ev[] = { "mem:4" };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 0, 8, 4, 6), 0, 0);
	nlfake_mem_delfamily(&f, 4, FAM);
	h = open_wait(&f, 3, ev, 1);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_connected, NULL, -1, NULL, NULL, NULL, &e),
			 -ENODEV);
	assert_non_null(strstr(e.msg, "unloaded"));
	drbdnl_close(h);
}

static void wait_times_out(void **state)
{
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	f.end_err = 0;	/* the timeout itself is under test */
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 0, 8, 4, 6), 0, 0);
	h = open_wait(&f, 3, NULL, 0);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_peer_primary, NULL, 30, NULL, NULL, NULL, &e),
			 -ETIMEDOUT);
	drbdnl_close(h);
}

/* An event an earlier wait on the handle left queued (Connected) is older
 * than the status read now (WFConnection): it must not end this wait. */
static void wait_ignores_events_left_by_an_earlier_wait(void **state)
{
	static const char *const ev[] = { "mem:4" };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 4, DRBDNL_EVENT, 0, 2, st_word(1, 2, 10, 8, 8), 0, 0);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(1, 0, 8, 8, 6), 0, 0);
	f.npending = 1;
	h = open_wait(&f, 3, ev, 1);
	/* nothing after the status: the fake's end, not the stale Connected */
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_connected, NULL, -1, NULL, NULL, NULL, &e),
			 -ECONNABORTED);
	assert_int_equal(f.evpos, 1);	/* it was read, and dropped */
	drbdnl_close(h);
}

/* The event descriptor for a caller's own poll(): subscribed as a wait is
 * (a transport without a descriptor says so); drop reads what is queued. */
static void events_fd_subscribes_and_drop_reads_what_is_queued(void **state)
{
	static const char *const ev[] = { "mem:4", "mem:4" };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 4, DRBDNL_EVENT, 0, 2, st_word(1, 2, 10, 8, 8), 0, 0);
	f.npending = 1;
	h = open_wait(&f, 2, ev, 2);
	assert_int_equal(drbdnl_events_fd(h, &e), -ENOTSUP);
	assert_int_equal(f.njoined, 2);
	assert_int_equal(f.joined[0], GRP);
	drbdnl_events_drop(h);
	assert_int_equal(f.evpos, 1);	/* the queued one, not the one still to come */
	drbdnl_close(h);
}

static void wait_already_true(void **state)
{
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 1, 10, 8, 8), 0, 0);
	h = open_wait(&f, 3, NULL, 0);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_peer_primary, NULL, -1, NULL, NULL, NULL,
				     &e), 0);
	assert_int_equal(f.evpos, 0);	/* no event was needed */
	drbdnl_close(h);
}

static void dump_several_in_one_datagram(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" }, { .reply = "mem:2" } };
	struct vh_error e = { 0 };
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 0, 8, 4, 6), 0, 0);
	status_msg(&f, 3, DRBDNL_GET_STATUS, 5, 1, st_word(1, 2, 10, 8, 8), 0, 0);
	nlfake_mem_append(&f, 2, 3);
	/* NLMSG_DONE with error 0 ends the dump */
	{
		struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE };
		size_t at = NLMSG_ALIGN(f.memlen[2]);

		memcpy(f.mem[2] + at, &done, sizeof(done));
		memset(f.mem[2] + at + sizeof(done), 0, 4);
		f.memlen[2] = at + NLMSG_LENGTH(4);
	}
	f.steps = steps;
	f.nsteps = 2;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_get_status_all(h, NULL, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].minor, 0);
	assert_int_equal(v[1].minor, 5);
	assert_int_equal(v[1].role, DRBDNL_R_PRIMARY);
	/* the request was a dump addressed to no minor */
	assert_int_equal(((struct nlmsghdr *)f.last_req)->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
	free(v);
	drbdnl_close(h);
}

/* ---- issue 9: errors that became success, lengths taken from the reply ---- */

/* nlctrl's answer cut short after the genl header (no CTRL_ATTR_FAMILY_ID), or inside
 * the attributes: open fails; it used to succeed with family id 0. */
static void open_cut_short_nlctrl_reply_fails(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" } };
	static const size_t cuts[] = { NLMSG_HDRLEN + 4, NLMSG_HDRLEN + 4 + 12 + 2 };

	for (size_t i = 0; i < 2; i++) {
		struct vh_error e = { 0 };
		struct nlfake f;

		base(&f);
		nlfake_mem_cut(&f, 0, cuts[i], false);
		f.steps = steps;
		f.nsteps = 1;
		nlfake_open_prepare(&f);
		assert_int_equal(open_err(&f, &e), -EBADMSG);
		assert_int_equal(e.code, -EBADMSG);
		assert_non_null(strstr(e.msg, "nlctrl"));
		/* and without an error struct, still an error */
		base(&f);
		nlfake_mem_cut(&f, 0, cuts[i], false);
		f.steps = steps;
		f.nsteps = 1;
		nlfake_open_prepare(&f);
		assert_int_equal(open_err(&f, NULL), -EBADMSG);
	}
}

/* A family id nlctrl cannot give (below NLMSG_MIN_TYPE) is refused. */
static void open_refuses_family_id_zero(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" } };
	struct vh_error e = { 0 };
	struct nlfake f;

	base(&f);
	nlfake_mem_ctrl(&f, 0, "drbd", 0, 1, 8, "events", GRP);
	f.steps = steps;
	f.nsteps = 1;
	nlfake_open_prepare(&f);
	assert_int_equal(open_err(&f, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "id 0"));
}

/* A DRBD reply cut short inside its drbd_genlmsghdr: primary fails (it returned 0). */
static void primary_cut_short_reply_fails(void **state)
{
	static const struct nlfake_step steps[] = {
		{ .reply = "mem:0" }, { .reply = "mem:2" }, { .reply = "mem:2" } };
	struct nlfake_state ok = { .family = FAM, .cmd = DRBDNL_PRIMARY, .ret_code = 1 };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	nlfake_mem_drbd(&f, 2, &ok);
	nlfake_mem_cut(&f, 2, NLMSG_HDRLEN + 4 + 4, false);
	f.steps = steps;
	f.nsteps = 3;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_primary(h, 0, false, &e), -EBADMSG);
	assert_int_equal(e.code, -EBADMSG);
	assert_non_null(strstr(e.msg, "primary: malformed DRBD reply"));
	assert_int_equal(drbdnl_primary(h, 0, false, NULL), -EBADMSG);
	drbdnl_close(h);
}

/* A datagram that ends inside a message (nlmsg_len claims more than arrived) is an
 * error, not "wait for more": the request would never be answered. */
static void reply_ending_inside_a_message_fails(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" }, { .reply = "mem:2" } };
	struct nlfake_state ok = { .family = FAM, .cmd = DRBDNL_SECONDARY, .ret_code = 1 };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	nlfake_mem_drbd(&f, 2, &ok);
	nlfake_mem_cut(&f, 2, NLMSG_HDRLEN + 2, true);
	f.steps = steps;
	f.nsteps = 2;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_secondary(h, 0, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "cut short"));
	drbdnl_close(h);
}

/* The last message of a dump datagram with an unaligned length: NLMSG_NEXT on the
 * size_t remainder wrapped and the loop read past the received bytes (ASan). */
static void dump_unaligned_last_message_stays_in_bounds(void **state)
{
	static const struct nlfake_step steps[] = {
		{ .reply = "mem:0" }, { .reply = "mem:2+mem:4" } };
	struct vh_error e = { 0 };
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	int done = 0;
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 0, 8, 4, 6), 0, 0);
	status_msg(&f, 3, DRBDNL_GET_STATUS, 5, 1, st_word(1, 2, 10, 8, 8), 0, 0);
	nlfake_mem_append(&f, 2, 3);
	nlfake_mem_cut(&f, 2, f.memlen[2] - 1, false);	/* 3 mod 4 */
	nlfake_mem_raw(&f, 4, NLMSG_DONE, NLM_F_MULTI, &done, sizeof(done));
	f.steps = steps;
	f.nsteps = 2;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_get_status_all(h, NULL, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].minor, 5);
	free(v);
	drbdnl_close(h);
}

/* An NLMSG_ERROR whose error is no errno (INT_MIN: -error overflowed). */
static void reply_bogus_errno_is_bad_message(void **state)
{
	static const struct nlfake_step steps[] = { { .reply = "mem:0" }, { .reply = "mem:2" } };
	struct nlmsgerr err = { .error = INT32_MIN };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	nlfake_mem_raw(&f, 2, NLMSG_ERROR, 0, &err, sizeof(err));
	f.steps = steps;
	f.nsteps = 2;
	h = nlfake_open(&f);
	assert_int_equal(drbdnl_secondary(h, 0, &e), -EBADMSG);
	drbdnl_close(h);
}

static int fail_quietly(const struct drbdnl_status *st, void *arg, struct vh_error *e)
{
	(void)st;
	(void)arg;
	(void)e;
	return -ECANCELED;
}

/* An event handler's error without a word: the error still says something. */
static void events_handler_error_has_a_message(void **state)
{
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(2, 0, 8, 4, 6), 0, 0);
	h = open_wait(&f, 3, NULL, 0);
	assert_int_equal(drbdnl_events(h, 0, -1, fail_quietly, NULL, &e), -ECANCELED);
	assert_int_equal(e.code, -ECANCELED);
	assert_non_null(strstr(e.msg, "event handler"));
	drbdnl_close(h);
}

/* An event datagram with bytes after its last whole message is refused; it used to
 * be skipped, and the wait went on to succeed on the next event. */
static void wait_cut_short_event_fails(void **state)
{
	static const char *const ev[] = { "mem:4", "mem:5" };
	struct vh_error e = { 0 };
	struct nlfake f;
	struct drbdnl *h;

	base(&f);
	status_msg(&f, 2, DRBDNL_GET_STATUS, 0, 1, st_word(1, 0, 8, 8, 6), 0, 0);
	status_msg(&f, 4, DRBDNL_EVENT, 0, 2, st_word(1, 0, 9, 8, 6), 0, 0);
	status_msg(&f, 6, DRBDNL_EVENT, 0, 2, st_word(1, 2, 10, 8, 8), 0, 0);
	nlfake_mem_append(&f, 4, 6);
	nlfake_mem_cut(&f, 4, f.memlen[4] - 20, true);	/* the second one cut short */
	status_msg(&f, 5, DRBDNL_EVENT, 0, 2, st_word(1, 2, 10, 8, 8), 0, 0);
	h = open_wait(&f, 3, ev, 2);
	assert_int_equal(drbdnl_wait(h, 0, drbdnl_pred_connected, NULL, -1, NULL, NULL, NULL, &e),
			 -EBADMSG);
	assert_non_null(strstr(e.msg, "cut short"));
	assert_int_equal(f.evpos, 1);
	drbdnl_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_checks_family),
		cmocka_unit_test(open_refuses_drbd9),
		cmocka_unit_test(open_refuses_other_header),
		cmocka_unit_test(open_module_missing),
		cmocka_unit_test(reply_error_text_and_codes),
		cmocka_unit_test(reply_transient_is_retried),
		cmocka_unit_test(reply_transient_gives_up),
		cmocka_unit_test(status_minor_unknown),
		cmocka_unit_test(status_decodes_state_word),
		cmocka_unit_test(wait_synced_with_progress),
		cmocka_unit_test(wait_standalone_fails),
		cmocka_unit_test(wait_lost_connection_fails),
		cmocka_unit_test(wait_overrun_rereads_status),
		cmocka_unit_test(wait_module_unload_fails),
		cmocka_unit_test(wait_times_out),
		cmocka_unit_test(wait_already_true),
		cmocka_unit_test(wait_ignores_events_left_by_an_earlier_wait),
		cmocka_unit_test(events_fd_subscribes_and_drop_reads_what_is_queued),
		cmocka_unit_test(dump_several_in_one_datagram),
		cmocka_unit_test(open_cut_short_nlctrl_reply_fails),
		cmocka_unit_test(open_refuses_family_id_zero),
		cmocka_unit_test(primary_cut_short_reply_fails),
		cmocka_unit_test(reply_ending_inside_a_message_fails),
		cmocka_unit_test(dump_unaligned_last_message_stays_in_bounds),
		cmocka_unit_test(reply_bogus_errno_is_bad_message),
		cmocka_unit_test(events_handler_error_has_a_message),
		cmocka_unit_test(wait_cut_short_event_fails),
	};

	return cmocka_run_group_tests_name("netlink_wait", tests, NULL, NULL);
}
