/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What vmhop status says about a device's sync and the usermode helper
 * (src/core/status.c), and the reader of /proc/drbd's resync lines
 * (src/netlink/proc.c).  The /proc/drbd texts are written to the format of
 * the 6.1 kernel's drbd_proc.c (drbd_seq_show, drbd_syncer_progress); the
 * real file is read in the lab.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/status.h"

/* A device of @total 4 KiB blocks with @oos out of sync, in @conn. */
static struct drbdnl_status dev(unsigned conn, uint64_t total, uint64_t oos)
{
	struct drbdnl_status st;

	memset(&st, 0, sizeof(st));
	st.minor = 100;
	st.has_state = true;
	st.conn = (uint8_t)conn;
	st.disk = total ? DRBDNL_D_INCONSISTENT : DRBDNL_D_DISKLESS;
	st.bits_total = total;
	st.bits_oos = oos;
	return st;
}

static const char *text(const struct vstatus_sync *v)
{
	static char buf[256];

	vstatus_sync_text(v, buf, sizeof(buf));
	return buf;
}

static json_object *as_json(const struct vstatus_sync *v)
{
	json_object *o = json_object_new_object();

	assert_int_equal(vstatus_sync_json(v, o), 0);
	return o;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void no_drbd(void **state)
{
	struct vstatus_sync v;
	json_object *o;

	vstatus_sync_view(NULL, NULL, &v);
	assert_false(v.have_drbd);
	assert_string_equal(text(&v), "no DRBD device");
	o = as_json(&v);
	assert_string_equal(jstr(o, "sync"), "no-device");
	assert_string_equal(jstr(o, "sync_text"), "no DRBD device");
	assert_null(jstr(o, "in_sync_percent"));	/* no figure made up */
	json_object_put(o);
}

static void nothing_out_of_sync(void **state)
{
	struct drbdnl_status st = dev(DRBDNL_C_CONNECTED, 16384, 0);
	struct vstatus_sync v;
	json_object *o;

	vstatus_sync_view(&st, NULL, &v);
	assert_int_equal(v.in_sync_permille, 1000);
	assert_string_equal(text(&v), "100.0% in sync");
	o = as_json(&v);
	assert_string_equal(jstr(o, "sync"), "in-sync");
	assert_string_equal(jstr(o, "sync_text"), "100.0% in sync");
	assert_string_equal(jstr(o, "in_sync_percent"), "100.0");
	assert_string_equal(jstr(o, "size_kib"), "65536");
	assert_null(jstr(o, "resync_percent"));
	json_object_put(o);
}

static void all_out_of_sync(void **state)
{
	struct drbdnl_status st = dev(DRBDNL_C_WF_CONNECTION, 16384, 16384);
	struct vstatus_sync v;
	json_object *o;

	vstatus_sync_view(&st, NULL, &v);
	assert_int_equal(v.in_sync_permille, 0);
	assert_string_equal(text(&v), "0.0% in sync, 64.0 MiB out of sync");
	o = as_json(&v);
	assert_string_equal(jstr(o, "sync"), "out-of-sync");
	assert_string_equal(jstr(o, "in_sync_percent"), "0.0");
	json_object_put(o);
	/* more out of sync than there are blocks (a garbage reply): 0, not negative */
	st.bits_oos = 99999;
	vstatus_sync_view(&st, NULL, &v);
	assert_int_equal(v.in_sync_permille, 0);
}

static void partly_and_barely_out_of_sync(void **state)
{
	struct drbdnl_status st = dev(DRBDNL_C_STANDALONE, 16384, 4096);
	struct vstatus_sync v;

	vstatus_sync_view(&st, NULL, &v);
	assert_string_equal(text(&v), "75.0% in sync, 16.0 MiB out of sync");
	/* one block of 4 TiB: 99.9%, never 100% while anything is out of sync */
	st = dev(DRBDNL_C_CONNECTED, 1ull << 30, 1);
	vstatus_sync_view(&st, NULL, &v);
	assert_int_equal(v.in_sync_permille, 999);
	/* the largest bitmap DRBD has (2^51 sectors): no overflow */
	st = dev(DRBDNL_C_CONNECTED, 1ull << 48, 1ull << 47);
	vstatus_sync_view(&st, NULL, &v);
	assert_int_equal(v.in_sync_permille, 500);
}

static void diskless(void **state)
{
	struct drbdnl_status st = dev(DRBDNL_C_WF_CONNECTION, 0, 0);
	struct vstatus_sync v;
	json_object *o;

	vstatus_sync_view(&st, NULL, &v);
	assert_true(v.have_drbd);
	assert_false(v.attached);
	assert_string_equal(text(&v), "unknown: no local disk (Diskless)");
	o = as_json(&v);
	assert_null(jstr(o, "in_sync_percent"));
	json_object_put(o);
}

static void resync_with_and_without_rate(void **state)
{
	struct drbdnl_status st = dev(DRBDNL_C_SYNC_SOURCE, 32768, 24576);
	struct drbdnl_proc_sync rate = { .found = true, .eta_s = 7, .rate_kib_s = 12288,
					 .mean_kib_s = 10240 };
	struct vstatus_sync v;
	json_object *o;

	st.has_resync = true;
	st.bits_rs_total = 32768;
	vstatus_sync_view(&st, NULL, &v);
	assert_true(v.resyncing);
	assert_string_equal(text(&v), "SyncSource: 25.0% of the resync done, 96.0 MiB to go, "
				      "rate unknown");
	vstatus_sync_view(&st, &rate, &v);
	assert_string_equal(text(&v), "SyncSource: 25.0% of the resync done, 96.0 MiB to go, "
				      "12.0 MiB/s, 7 s left");
	o = as_json(&v);
	assert_string_equal(jstr(o, "sync"), "resyncing");
	assert_string_equal(jstr(o, "in_sync_percent"), "25.0");
	assert_string_equal(jstr(o, "resync_percent"), "25.0");
	assert_string_equal(jstr(o, "resync_left_kib"), "98304");
	assert_string_equal(jstr(o, "resync_total_kib"), "131072");
	assert_string_equal(jstr(o, "resync_rate_kib_s"), "12288");
	assert_string_equal(jstr(o, "resync_mean_kib_s"), "10240");
	assert_string_equal(jstr(o, "resync_eta_s"), "7");
	assert_string_equal(jstr(o, "resync_stalled"), "false");
	json_object_put(o);
	rate.stalled = true;
	vstatus_sync_view(&st, &rate, &v);
	assert_non_null(strstr(text(&v), ", 7 s left (stalled)"));
	/* a rate line for a device that does not resync is not shown */
	st = dev(DRBDNL_C_CONNECTED, 32768, 0);
	vstatus_sync_view(&st, &rate, &v);
	assert_false(v.rate.found);
	assert_string_equal(text(&v), "100.0% in sync");
}

static void short_buffer(void **state)
{
	struct drbdnl_status st = dev(DRBDNL_C_SYNC_TARGET, 32768, 24576);
	struct vstatus_sync v;
	char buf[12];

	st.has_resync = true;
	st.bits_rs_total = 32768;
	vstatus_sync_view(&st, NULL, &v);
	vstatus_sync_text(&v, buf, sizeof(buf));
	assert_string_equal(buf, "SyncTarget:");
}

/* ---- /proc/drbd ---------------------------------------------------------- */

#define HEAD "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 0123456789ABCDEF0123456\n"
static struct drbdnl_proc_sync parse(const char *s)
{
	struct drbdnl_proc_sync r;

	assert_int_equal(drbdnl_proc_parse(s, strlen(s), 100, &r), 0);
	return r;
}

static void proc_resync_of_the_minor(void **state)
{
	struct drbdnl_proc_sync r;

	r = parse(HEAD
		  " 7: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"
		  "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:4\n"
		  "\t[>....................] sync'ed:  0.1% (4/4)K\n"
		  "\tfinish: 9:59:59 speed: 1 (1) K/sec\n"
		  "100: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"
		  "    ns:12288 nr:0 dw:0 dr:12800 al:8 bm:0 lo:0 pe:2 ua:0 ap:0 ep:1 wo:f oos:53248\n"
		  "\t[===>................] sync'ed: 18.8% (53248/65536)K\n"
		  "\tfinish: 0:01:04 speed: 1,048,576 (12,288) K/sec\n");
	assert_true(r.found);
	assert_int_equal(r.eta_s, 64);
	assert_int_equal(r.rate_kib_s, 1048576);
	assert_int_equal(r.mean_kib_s, 12288);
	assert_int_equal(r.want_kib_s, 0);
	assert_false(r.stalled);

	/* SyncTarget's "want:", proc_details' "(3 s -- mean)", stalled, hours */
	r = parse(HEAD
		  "100: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n"
		  "    ns:0 nr:12288 dw:12288 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:53248\n"
		  "\t[===>................] sync'ed: 18.8% (5120/6144)M\n"
		  "\tfinish: 12:00:05 speed: 0 (7 -- 2,000) want: 102,400 K/sec (stalled)\n");
	assert_true(r.found);
	assert_int_equal(r.eta_s, 12 * 3600 + 5);
	assert_int_equal(r.rate_kib_s, 0);
	assert_int_equal(r.mean_kib_s, 2000);
	assert_int_equal(r.want_kib_s, 102400);
	assert_true(r.stalled);

	/* older kernels: "(…)M" and "finish:" on the progress bar's line */
	r = parse(HEAD
		  "100: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n"
		  "    ns:0 nr:12288 dw:12288 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:53248\n"
		  "\t[===>................] sync'ed: 18.8% (5120/6144)Mfinish: 12:00:05 speed: 0 "
		  "(7 -- 2,000) want: 102,400 K/sec (stalled)\n");
	assert_true(r.found);
	assert_int_equal(r.eta_s, 12 * 3600 + 5);
	assert_int_equal(r.rate_kib_s, 0);
	assert_int_equal(r.mean_kib_s, 2000);
	assert_int_equal(r.want_kib_s, 102400);
	assert_true(r.stalled);
}

static void proc_no_resync_of_the_minor(void **state)
{
	struct drbdnl_proc_sync r;

	/* another minor resyncs; ours is connected */
	r = parse(HEAD
		  "100: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
		  "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
		  "101: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"
		  "\tfinish: 0:00:04 speed: 12,288 (12,288) K/sec\n");
	assert_false(r.found);
	/* minor 1000 is not minor 100; an empty file; no module's devices */
	r = parse(HEAD "1000: cs:SyncSource ro:Primary/Secondary\n"
		  "\tfinish: 0:00:04 speed: 12,288 (12,288) K/sec\n");
	assert_false(r.found);
	r = parse("");
	assert_false(r.found);
}

static void proc_garbage(void **state)
{
	static const char *bad[] = {
		"100: cs:SyncSource\n\tfinish: 0:00:04 speed: 12,288 (12,288) K/se",	/* cut */
		"100: cs:SyncSource\n\tfinish: 0:00:04 speed: 12,288 (12,288 K/sec\n",
		"100: cs:SyncSource\n\tfinish: 0:60:04 speed: 1 (1) K/sec\n",		/* 60 min */
		"100: cs:SyncSource\n\tfinish: 0:00:04 speed: 12,28 (1) K/sec\n",	/* group of 2 */
		"100: cs:SyncSource\n\tfinish: 0:00:04 speed: 12,2888 (1) K/sec\n",
		"100: cs:SyncSource\n\tfinish: 0:00:04 speed: 99999999999999999999 (1) K/sec\n",
		"100: cs:SyncSource\n\tfinish: 0:00:04 speed: 18,446,744,073,709,551,616 (1) K/sec\n",
		"100: cs:SyncSource\n\tfinish: : speed: (1) K/sec\n",
		"100 cs:SyncSource\n\tfinish: 0:00:04 speed: 1 (1) K/sec\n",		/* no ':' */
	};
	struct drbdnl_proc_sync r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = parse(bad[i]);
		if (r.found)
			fail_msg("accepted: %s", bad[i]);
	}
	/* bounded by the length given, not by a NUL */
	{
		const char *s = "100: cs:SyncSource\n\tfinish: 0:00:04 speed: 1 (1) K/sec\n";

		assert_int_equal(drbdnl_proc_parse(s, strlen(s) - 8, 100, &r), 0);
		assert_false(r.found);
		assert_int_equal(drbdnl_proc_parse(s, strlen(s), 100, &r), 0);
		assert_true(r.found);
	}
}

static void proc_file(void **state)
{
	char path[] = "/tmp/vmhop-test-proc-XXXXXX";
	struct drbdnl_proc_sync r;
	struct vh_error e = { 0 };
	const char *s = HEAD "100: cs:SyncTarget ro:Secondary/Primary\n"
			"\tfinish: 0:00:09 speed: 10,240 (9,000) want: 40,960 K/sec\n";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	assert_int_equal(drbdnl_proc_sync(path, 100, &r, &e), 0);
	assert_true(r.found);
	assert_int_equal(r.rate_kib_s, 10240);
	assert_int_equal(r.eta_s, 9);
	unlink(path);
	assert_int_equal(drbdnl_proc_sync(path, 100, &r, &e), -ENOPKG);
	assert_non_null(strstr(e.msg, "the drbd module is not loaded"));
}

/* ---- the helper ------------------------------------------------------------- */

static void helper_held_and_not(void **state)
{
	struct drbdnl_helper *h = calloc(1, sizeof(*h));
	json_object *o = json_object_new_object(), *v;

	assert_non_null(h);
	snprintf(h->current, sizeof(h->current), "/bin/true");
	snprintf(h->saved, sizeof(h->saved), "/sbin/drbdadm");
	h->overridden = true;
	h->nheld = 2;
	snprintf(h->held[0].res, sizeof(h->held[0].res), "vh-00000001");
	h->held[0].pid = 41;
	snprintf(h->held[1].res, sizeof(h->held[1].res), "vh-1a2b3c4d");
	h->held[1].pid = 42;
	assert_true(vstatus_helper_holds(h, "vh-1a2b3c4d"));
	assert_false(vstatus_helper_holds(h, "vh-1a2b3c4"));
	assert_int_equal(vstatus_helper_json(h, "vh-1a2b3c4d", "/sbin/drbdadm", o), 0);
	assert_string_equal(jstr(o, "current"), "/bin/true");
	assert_string_equal(jstr(o, "held_by_vmhop"), "true");
	assert_string_equal(jstr(o, "held_for_this_move"), "true");
	assert_string_equal(jstr(o, "saved_original"), "/sbin/drbdadm");
	assert_string_equal(jstr(o, "journal_original"), "/sbin/drbdadm");
	assert_string_equal(jstr(o, "unsafe"), "false");
	assert_true(json_object_object_get_ex(o, "holds", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(jstr(json_object_array_get_idx(v, 1), "pid"), "42");
	json_object_put(o);

	/* after release: drbdadm back, no record, no hold; the journal still says what it saved */
	memset(h, 0, sizeof(*h));
	snprintf(h->current, sizeof(h->current), "/sbin/drbdadm");
	h->unsafe = true;
	o = json_object_new_object();
	assert_int_equal(vstatus_helper_json(h, "vh-1a2b3c4d", "/sbin/drbdadm", o), 0);
	assert_string_equal(jstr(o, "current"), "/sbin/drbdadm");
	assert_string_equal(jstr(o, "unsafe"), "true");
	assert_string_equal(jstr(o, "held_by_vmhop"), "false");
	assert_string_equal(jstr(o, "held_for_this_move"), "false");
	assert_string_equal(jstr(o, "saved_original"), "");
	assert_true(json_object_object_get_ex(o, "holds", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(o);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_drbd),
		cmocka_unit_test(nothing_out_of_sync),
		cmocka_unit_test(all_out_of_sync),
		cmocka_unit_test(partly_and_barely_out_of_sync),
		cmocka_unit_test(diskless),
		cmocka_unit_test(resync_with_and_without_rate),
		cmocka_unit_test(short_buffer),
		cmocka_unit_test(proc_resync_of_the_minor),
		cmocka_unit_test(proc_no_resync_of_the_minor),
		cmocka_unit_test(proc_garbage),
		cmocka_unit_test(proc_file),
		cmocka_unit_test(helper_held_and_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
