/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system log's records (tools/oplog.c) for sequences of events as the
 * engine and run.c send them: their fields and sentences, their levels, and
 * that nothing is written inside a phase with a freeze window until its end
 * (the writer is the test's: struct oplog.write).  The records of a whole
 * send on the simulated host, against the engine's own actions, are in
 * test_engine.c (send_logs_nothing_inside_the_windows).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "support_cli.h"
#include "../../tools/oplog.h"

#define MAXREC 128

struct rec {
	int prio;
	char line[OPLOG_LINE];
};

static struct rec R[MAXREC];
static size_t NR;
static int64_t clock_ns;
static struct vplan P;
static struct oplog LG;

static void capture(int prio, const char *line, void *ud)
{
	(void)ud;
	assert_true(NR < MAXREC);
	R[NR].prio = prio;
	snprintf(R[NR].line, sizeof(R[NR].line), "%s", line);
	NR++;
}

static int64_t fake_now(void)
{
	return clock_ns;
}

static void setup_log(enum vplan_role role, const char *cmd)
{
	memset(&P, 0, sizeof(P));
	snprintf(P.vm_name, sizeof(P.vm_name), "web1");
	snprintf(P.resource, sizeof(P.resource), "vh-1a2b3c4d");
	P.port = 7789;
	snprintf(P.source.host, sizeof(P.source.host), "hv1");
	snprintf(P.dest.host, sizeof(P.dest.host), "hv2");
	P.n_disks = 1;
	snprintf(P.disks[0].vg, sizeof(P.disks[0].vg), "vg");
	snprintf(P.disks[0].lv, sizeof(P.disks[0].lv), "web1");
	P.disks[0].minor = 100;
	NR = 0;
	clock_ns = 1000000000;
	oplog_init(&LG, true, cmd, &P, role, clock_ns);
	LG.now_ns = fake_now;
	LG.write = capture;
}

static void ev(const char *what, const char *step)
{
	oplog_event(&LG, &(struct veng_event){ .what = what, .step = step });
}

static void phase_start(int ph)
{
	oplog_event(&LG, &(struct veng_event){ .what = "phase-start", .phase = ph });
}

static void phase_end(int ph, const struct veng_result *res, int rc, const struct vh_error *e)
{
	oplog_event(&LG, &(struct veng_event){ .what = "phase-end", .phase = ph, .result = res,
					       .rc = rc, .err = e });
}

static void gate(uint8_t conn, uint8_t pdsk, uint64_t oos)
{
	struct drbdnl_status st = { .minor = 100, .conn = conn, .disk = DRBDNL_D_UP_TO_DATE,
				    .pdsk = pdsk, .bits_oos = oos };

	oplog_event(&LG, &(struct veng_event){ .what = "gate", .minor = 100, .st = &st });
}

static void dump(void)
{
	for (size_t i = 0; i < NR; i++)
		print_message("  rec[%zu] <%d> %s\n", i, R[i].prio, R[i].line);
}

static void assert_rec(size_t i, int prio, const char *want)
{
	if (i >= NR || R[i].prio != prio || strcmp(R[i].line, want)) {
		dump();
		fail_msg("rec[%zu]: want <%d> %s", i, prio, want);
	}
}

/* Record @i holds @part. */
static void assert_has(size_t i, const char *part)
{
	if (i >= NR || !strstr(R[i].line, part)) {
		dump();
		fail_msg("rec[%zu] lacks '%s'", i, part);
	}
}

#define IDS "resource=vh-1a2b3c4d vm=web1 host=hv1 role=source cmd=send"

/* prepare's records as they happen; bridge's only at its end, each with
 * the time of its fact, then its freeze window and the phase. */
static void bridge_records_wait_for_its_end(void **state)
{
	struct veng_result res = { .phase = VENG_PREPARE, .acted = 1, .wall_ns = 5400000000 };

	(void)state;
	setup_log(VPLAN_ROLE_SOURCE, "send");
	oplog_start(&LG, false);
	assert_rec(0, LOG_INFO, IDS " event=start t=0.000 peer=hv2 port=7789 disks=1 resumed=0 "
		   "-- vmhop send: VM web1, hv1 -> hv2, 1 disk");
	phase_start(VENG_PREPARE);
	clock_ns += 412000000;
	ev("step", "create LV vg/vh-1a2b3c4d_0.vhmd");
	assert_int_equal(NR, 2);
	assert_rec(1, LOG_INFO, IDS " phase=prepare event=step t=0.412 "
		   "step=\"create LV vg/vh-1a2b3c4d_0.vhmd\" -- prepare: create LV "
		   "vg/vh-1a2b3c4d_0.vhmd");
	clock_ns += 5000000000;
	phase_end(VENG_PREPARE, &res, 0, NULL);
	assert_rec(2, LOG_NOTICE, IDS " phase=prepare event=phase t=5.412 outcome=ok "
		   "wall_ms=5400.000 steps=1 -- prepare done in 5.4 s, 1 step");

	phase_start(VENG_BRIDGE);
	clock_ns += 1000000;
	ev("step", "bridge vg-web1 onto /dev/drbd100");
	clock_ns += 2000000;
	ev("step", "connect vh-1a2b3c4d");
	clock_ns += 1000000;
	assert_int_equal(NR, 3);	/* nothing inside the bridge */
	res = (struct veng_result){ .phase = VENG_BRIDGE, .acted = 2, .wall_ns = 4000000,
				    .freeze_ns = { 812345 } };
	phase_end(VENG_BRIDGE, &res, 0, NULL);
	assert_int_equal(NR, 7);
	assert_rec(3, LOG_INFO, IDS " phase=bridge event=step t=5.413 "
		   "step=\"bridge vg-web1 onto /dev/drbd100\" -- bridge: bridge vg-web1 onto "
		   "/dev/drbd100");
	assert_has(4, " phase=bridge event=step t=5.415 step=\"connect vh-1a2b3c4d\"");
	assert_rec(5, LOG_INFO, IDS " phase=bridge event=freeze t=5.416 disk=vg/web1 "
		   "dev=/dev/drbd100 freeze_ns=812345 -- freeze window of vg/web1: 0.812 ms (the "
		   "VM's I/O to it held while its table moved onto /dev/drbd100)");
	assert_rec(6, LOG_NOTICE, IDS " phase=bridge event=phase t=5.416 outcome=ok wall_ms=4.000 "
		   "steps=2 freeze_ns=812345 -- bridge done in 0.0 s, 2 steps");
}

/* migrate: the gate's changes (not each count), the switch's steps, a
 * twin, all at the phase's end, in order, with their levels. */
static void migrate_switch_records_at_the_end(void **state)
{
	struct veng_result res = {
		.phase = VENG_MIGRATE, .acted = 4, .wall_ns = 8912000000, .gate = VENG_GATE_PASS,
		.downtime_ms = 61, .switch_ns = 92000000, .early = true, .fenced = true,
		.switch_at_ns = { 3000000, 3500000, 5000000, 27000000, 28000000, 92000000 },
	};

	(void)state;
	setup_log(VPLAN_ROLE_SOURCE, "send");
	phase_start(VENG_MIGRATE);
	ev("step", "migrate web1 to hv2 (paused there)");
	ev("migrate", NULL);	/* libvirt's progress: never kept */
	gate(DRBDNL_C_SYNC_SOURCE, DRBDNL_D_INCONSISTENT, 30);
	gate(DRBDNL_C_SYNC_SOURCE, DRBDNL_D_INCONSISTENT, 20);	/* the count alone */
	gate(DRBDNL_C_CONNECTED, DRBDNL_D_UP_TO_DATE, 0);
	gate(DRBDNL_C_CONNECTED, DRBDNL_D_UP_TO_DATE, 0);
	ev("step", "fence web1's LVs here");
	ev("step", "disconnect vh-1a2b3c4d");
	ev("step", "resume web1 on hv2");
	ev("twin", "running (reason 6)");
	assert_int_equal(NR, 0);
	clock_ns += 8912000000;
	phase_end(VENG_MIGRATE, &res, 0, NULL);
	assert_int_equal(NR, 7 + 6 + 1);
	assert_has(0, "event=step t=0.000 step=\"migrate web1 to hv2 (paused there)\"");
	assert_rec(1, LOG_INFO, IDS " phase=migrate event=gate t=0.000 dev=/dev/drbd100 "
		   "cstate=SyncSource disk=UpToDate peer_disk=Inconsistent oos_kib=120 -- the gate "
		   "sees /dev/drbd100 SyncSource UpToDate/Inconsistent, 120 KiB out of sync");
	assert_has(2, "event=gate t=0.000 dev=/dev/drbd100 cstate=Connected disk=UpToDate "
		   "peer_disk=UpToDate oos_kib=0");
	assert_has(3, "step=\"fence web1's LVs here\"");
	assert_has(4, "step=\"disconnect vh-1a2b3c4d\"");
	assert_has(5, "step=\"resume web1 on hv2\"");
	assert_rec(6, LOG_WARNING, IDS " phase=migrate event=twin t=0.000 "
		   "what=\"running (reason 6)\" -- libvirt resumed the VM here after it ran on hv2 "
		   "(running (reason 6)): fenced, it wrote nothing; it is destroyed");
	assert_rec(7, LOG_INFO, IDS " phase=migrate event=switch t=8.912 step=fence ms=3.000 "
		   "at_ms=3.000 -- switch step fence: 3.000 ms, 3.000 ms after the hand-over: S's "
		   "LVs held (their I/O suspended), recorded first");
	assert_has(8, "event=switch t=8.912 step=check ms=0.500 at_ms=3.500");
	assert_has(9, "step=journal ms=1.500 at_ms=5.000");
	assert_has(10, "step=disconnect ms=22.000 at_ms=27.000");
	assert_has(11, "step=journal2 ms=1.000 at_ms=28.000");
	assert_has(12, "step=resume ms=64.000 at_ms=92.000 -- switch step resume");
	assert_rec(13, LOG_NOTICE, IDS " phase=migrate event=phase t=8.912 outcome=ok "
		   "wall_ms=8912.000 steps=4 gate=pass downtime_ms=61 switch_ms=92.000 early=1 "
		   "fenced=1 twin=0 switch_steps_ms=fence:3.000,check:0.500,journal:1.500,"
		   "disconnect:22.000,journal2:1.000,resume:64.000 -- migrate done in 8.9 s: the VM "
		   "runs on hv2, resumed 92 ms after the hand-over (at D's Finish, behind the fence "
		   "of S's LVs)");
}

/* More facts than the ring holds: the newest are kept, and the loss said. */
static void a_full_ring_keeps_the_newest(void **state)
{
	struct veng_result res = { .phase = VENG_MIGRATE, .gate = VENG_GATE_PASS };
	char step[32];

	(void)state;
	setup_log(VPLAN_ROLE_SOURCE, "migrate");
	phase_start(VENG_MIGRATE);
	for (int i = 0; i < OPLOG_RING + 6; i++) {
		snprintf(step, sizeof(step), "step %d", i);
		ev("step", step);
	}
	assert_int_equal(NR, 0);
	phase_end(VENG_MIGRATE, &res, 0, NULL);
	assert_int_equal(NR, 1 + OPLOG_RING + 1);
	assert_int_equal(R[0].prio, LOG_WARNING);
	assert_has(0, "event=dropped t=0.000 count=6 -- 6 earlier records of this phase were "
		   "dropped");
	assert_has(1, "step=\"step 6\"");
	assert_has(OPLOG_RING, "step=\"step 69\"");
	assert_has(OPLOG_RING + 1, "cmd=migrate phase=migrate event=phase");
}

/* A failure: the error and what to do next, quoted on one line; the
 * retry and the lost link as warnings; the summary as an error. */
static void failures_are_errors_with_their_message(void **state)
{
	struct veng_result res = { .phase = VENG_MIGRATE, .wall_ns = 3200000000,
				   .gate = VENG_GATE_WAIT };
	struct vh_error e = { .code = -ENOLINK };
	struct drbdnl_status st = { .minor = 100, .conn = DRBDNL_C_WF_CONNECTION,
				    .disk = DRBDNL_D_UP_TO_DATE, .pdsk = DRBDNL_D_UNKNOWN };
	struct vrun_summary sum = { .outcome = VENG_UNDONE, .failed = VENG_MIGRATE,
				    .wall_ns = 20000000000, .retries = 1,
				    .ran = { [VENG_MIGRATE] = true } };

	(void)state;
	setup_log(VPLAN_ROLE_SOURCE, "send");
	snprintf(e.msg, sizeof(e.msg), "DRBD lost its \"link\"\nto hv2");
	snprintf(res.next.text, sizeof(res.next.text), "vmhop wait-sync");
	snprintf(sum.next.text, sizeof(sum.next.text), "nothing: the move was undone on this host");
	phase_start(VENG_MIGRATE);
	oplog_event(&LG, &(struct veng_event){ .what = "link-lost", .minor = 100, .st = &st,
					       .step = "cancel" });
	assert_int_equal(NR, 0);
	phase_end(VENG_MIGRATE, &res, -ENOLINK, &e);
	assert_int_equal(NR, 2);
	assert_rec(0, LOG_WARNING, IDS " phase=migrate event=link-lost t=0.000 dev=/dev/drbd100 "
		   "cstate=WFConnection disk=UpToDate peer_disk=DUnknown action=cancel -- DRBD "
		   "/dev/drbd100 lost its link to hv2 during the migration (WFConnection "
		   "UpToDate/DUnknown): libvirt's job is cancelled, the VM stays here");
	assert_rec(1, LOG_ERR, IDS " phase=migrate event=phase t=0.000 outcome=failed "
		   "wall_ms=3200.000 steps=0 gate=wait errno=67 "
		   "error=\"DRBD lost its \\\"link\\\"\\nto hv2\" next=\"vmhop wait-sync\" -- "
		   "migrate FAILED after 3.2 s: DRBD lost its \"link\" to hv2");
	/* between phases: at once */
	oplog_event(&LG, &(struct veng_event){ .what = "retry", .phase = VENG_MIGRATE, .retry = 1,
					       .rc = -ENOLINK, .err = &e });
	assert_int_equal(NR, 3);
	assert_int_equal(R[2].prio, LOG_WARNING);
	assert_has(2, IDS " event=retry t=0.000 retry=1 errno=67 error=\"DRBD lost");
	oplog_summary(&LG, &sum, -ENOLINK, 13, &e);
	assert_int_equal(NR, 4);
	assert_rec(3, LOG_ERR, IDS " event=summary t=0.000 outcome=undone ok=0 exit=13 "
		   "total_ms=20000.000 migrate_retries=1 failed_phase=migrate errno=67 "
		   "error=\"DRBD lost its \\\"link\\\"\\nto hv2\" next=\"nothing: the move was "
		   "undone on this host\" -- vmhop send: VM web1 NOT MOVED, undone on this host "
		   "after 20.0 s (migrate failed: DRBD lost its \"link\" to hv2); next: nothing: "
		   "the move was undone on this host");
}

/* D: its link as it comes and goes (a loss a warning), the sync's size at
 * wait-sync's end, its wait for the VM, the summary. */
static void dest_link_sync_and_wait(void **state)
{
	struct veng_result res = { .phase = VENG_WAIT_SYNC, .wall_ns = 10000000000 };
	struct drbdnl_status st = { .minor = 100, .conn = DRBDNL_C_WF_CONNECTION };
	struct drbdnl_progress pr = { .permille = 500, .left_kib = 65536, .total_kib = 131072 };
	struct vrun_summary sum = { .outcome = VENG_OK, .failed = -1, .wall_ns = 30000000000 };

	(void)state;
	setup_log(VPLAN_ROLE_DEST, "receive");
	phase_start(VENG_WAIT_SYNC);
	oplog_event(&LG, &(struct veng_event){ .what = "sync", .minor = 100, .st = &st });
	oplog_event(&LG, &(struct veng_event){ .what = "sync", .minor = 100, .st = &st });
	st.conn = DRBDNL_C_SYNC_TARGET;
	oplog_event(&LG, &(struct veng_event){ .what = "sync", .minor = 100, .st = &st,
					       .progress = &pr });
	st.conn = DRBDNL_C_WF_CONNECTION;
	oplog_event(&LG, &(struct veng_event){ .what = "sync", .minor = 100, .st = &st });
	st.conn = DRBDNL_C_CONNECTED;
	oplog_event(&LG, &(struct veng_event){ .what = "sync", .minor = 100, .st = &st });
	phase_end(VENG_WAIT_SYNC, &res, 0, NULL);
	assert_int_equal(NR, 5);
	assert_rec(0, LOG_INFO, "resource=vh-1a2b3c4d vm=web1 host=hv2 role=dest cmd=receive "
		   "phase=wait-sync event=link t=0.000 dev=/dev/drbd100 cstate=WFConnection -- DRBD "
		   "/dev/drbd100 waits for hv1 (WFConnection)");
	assert_has(1, "cstate=SyncTarget -- DRBD /dev/drbd100 is connected to hv1");
	assert_int_equal(R[2].prio, LOG_WARNING);
	assert_has(2, "cstate=WFConnection -- DRBD /dev/drbd100 lost its link to hv1");
	assert_int_equal(R[3].prio, LOG_INFO);
	assert_has(4, "event=phase t=0.000 outcome=ok wall_ms=10000.000 steps=0 "
		   "synced_kib=131072 -- wait-sync done in 10.0 s, 0 steps");
	phase_start(VRUN_WAIT_VM);
	ev("wait", "VM paused here, DRBD Connected");
	assert_has(5, "phase=wait-vm event=wait t=0.000 what=\"VM paused here, DRBD Connected\" "
		   "-- waiting for the VM: VM paused here, DRBD Connected");
	oplog_summary(&LG, &sum, 0, 0, NULL);
	assert_rec(6, LOG_NOTICE, "resource=vh-1a2b3c4d vm=web1 host=hv2 role=dest cmd=receive "
		   "event=summary t=0.000 outcome=moved ok=1 exit=0 total_ms=30000.000 "
		   "synced_kib=131072 -- vmhop receive: VM web1 moved from hv1 to hv2 in 30.0 s");
}

/* --no-log and VMHOP_LOG=0 turn it off: nothing written at all. */
static void off_writes_nothing(void **state)
{
	struct veng_result res = { .phase = VENG_PREPARE };
	struct vh_error e = { .code = -EIO, .msg = "x" };
	struct vrun_summary sum = { .failed = -1 };
	struct tcli r;

	(void)state;
	unsetenv("VMHOP_LOG");
	assert_true(oplog_wanted(false));
	assert_false(oplog_wanted(true));
	setenv("VMHOP_LOG", "1", 1);
	assert_true(oplog_wanted(false));
	setenv("VMHOP_LOG", "0", 1);
	assert_false(oplog_wanted(false));
	setup_log(VPLAN_ROLE_SOURCE, "send");
	LG.on = false;
	oplog_start(&LG, false);
	phase_start(VENG_PREPARE);
	ev("step", "x");
	phase_end(VENG_PREPARE, &res, 0, NULL);
	oplog_summary(&LG, &sum, 0, 0, NULL);
	oplog_fail(&LG, "p", &e);
	assert_int_equal(NR, 0);
	/* the option is the move's commands', not status' */
	r = tcli_run(NULL, "abort", "--plan", "/nonexistent/p", "--no-log", NULL);
	assert_int_not_equal(r.rc, 2);
	tcli_free(&r);
	r = tcli_run(NULL, "send", "--plan", "/nonexistent/p", "--no-log", NULL);
	assert_int_not_equal(r.rc, 2);
	tcli_free(&r);
	r = tcli_run(NULL, "status", "--no-log", NULL);
	assert_int_equal(r.rc, 2);
	tcli_free(&r);
}

/* Before any phase: what is known, and the error. */
static void a_failure_before_any_phase(void **state)
{
	struct vh_error e = { .code = -EPERM };

	(void)state;
	snprintf(e.msg, sizeof(e.msg), "/root/p.plan: open to group or others");
	NR = 0;
	oplog_init(&LG, true, "receive", NULL, VPLAN_ROLE_NONE, 0);
	LG.now_ns = fake_now;
	LG.t0 = clock_ns;
	LG.write = capture;
	oplog_fail(&LG, "/root/p.plan", &e);
	assert_rec(0, LOG_ERR, "cmd=receive event=error t=0.000 plan=/root/p.plan errno=1 "
		   "error=\"/root/p.plan: open to group or others\" -- vmhop receive failed before "
		   "any phase ran: /root/p.plan: open to group or others");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bridge_records_wait_for_its_end),
		cmocka_unit_test(migrate_switch_records_at_the_end),
		cmocka_unit_test(a_full_ring_keeps_the_newest),
		cmocka_unit_test(failures_are_errors_with_their_message),
		cmocka_unit_test(dest_link_sync_and_wait),
		cmocka_unit_test(off_writes_nothing),
		cmocka_unit_test(a_failure_before_any_phase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
