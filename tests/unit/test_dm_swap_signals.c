/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vdm_swap() and signals: a signal that arrives between the load and the
 * resume (or between suspend and resume) must not be delivered until the
 * device runs again on one of the two tables with its inactive slot clear.
 * The signal is raised from inside the mocked ioctls (support_dm_mock.c); its
 * handler records how many ioctls had run when it was delivered.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include "dm/dm.h"
#include "support_dm_mock.h"

static const char old_text[] = "0 20480 linear 254:0 2048\n20480 8192 linear 254:0 124928\n";

static struct dm_ioctl live_lv = {
	.flags = DM_ACTIVE_PRESENT_FLAG, .name = "vg-lv", .uuid = "LVM-abc", .target_count = 2,
	.dev = (3 & 0xff) | (254 << 8),		/* huge_encode_dev(254:3) */
};

static struct dmock mock;
static volatile sig_atomic_t delivered;		/* times the handler ran */
static volatile sig_atomic_t delivered_at;	/* mock.pos when it first ran */
static int pending_seen;			/* steps that saw SIGUSR1 pending */

static void on_usr1(int sig)
{
	(void)sig;
	if (!delivered++)
		delivered_at = (sig_atomic_t)mock.pos;
}

/* Reply of a step that sends us the signal, as a user's kill(1) would. */
static void raise_usr1(struct dm_ioctl *io, const void *arg)
{
	(void)arg;
	if (io->flags & DM_SUSPEND_FLAG)
		assert_int_equal(mock.pos, 4);	/* the suspend of suspend-resume mode */
	assert_int_equal(raise(SIGUSR1), 0);
}

/* Reply of a later step: the signal must still be waiting. */
static void check_pending(struct dm_ioctl *io, const void *arg)
{
	sigset_t p;

	(void)io;
	(void)arg;
	assert_int_equal(sigpending(&p), 0);
	pending_seen += sigismember(&p, SIGUSR1) == 1;
}

static int setup(void **state)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t none;

	(void)state;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigemptyset(&sa.sa_mask);
	delivered = delivered_at = 0;
	pending_seen = 0;
	return sigaction(SIGUSR1, &sa, NULL);
}

static int teardown(void **state)
{
	(void)state;
	signal(SIGUSR1, SIG_DFL);
	return 0;
}

static void run_swap(const struct dmock_step *s, size_t n, enum vdm_swap_mode mode, int want_rc,
		     struct vdm_swap_result *res)
{
	struct vdm_ref r = { .key = VDM_BY_NAME, .str = "vg-lv" };
	struct vdm_table t = { 0 };
	struct vh_error e = { 0 };
	struct vdm_ctl c;

	assert_int_equal(vdm_table_linear(&t, 28672, makedev(147, 0), 0, NULL), 0);
	dmock_start(&mock, s, n, &c);
	assert_int_equal(vdm_swap(&c, &r, &t, mode, 0, res, &e), want_rc);
	dmock_finish(&mock, &c);
	vdm_table_free(&t);
}

/* Suspend-resume mode, signal at the suspend: the device must not be left
 * suspended, so the signal waits until the resume has returned. */
static void signal_at_suspend_waits_for_resume(void **state)
{
	static const struct dmock_step s[] = {
		{ .cmd = DM_DEV_STATUS_CMD, .reply = dmock_reply_info, .arg = &live_lv },
		{ .cmd = DM_TABLE_STATUS_CMD, .reply = dmock_reply_table, .arg = old_text },
		{ .cmd = DM_TABLE_LOAD_CMD },
		{ .cmd = DM_DEV_SUSPEND_CMD, .reply = raise_usr1 },	/* suspend */
		{ .cmd = DM_DEV_SUSPEND_CMD, .reply = check_pending },	/* resume */
	};
	struct vdm_swap_result res;

	(void)state;
	run_swap(s, 5, VDM_SWAP_SUSPEND_RESUME, 0, &res);
	assert_int_equal(pending_seen, 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(delivered_at, 5);	/* after the resume, not between */
}

/* Resume mode, signal at the load: the new table sits in the inactive slot
 * until the resume swaps it in; the signal waits for that. */
static void signal_at_load_waits_for_the_swap(void **state)
{
	static const struct dmock_step s[] = {
		{ .cmd = DM_DEV_STATUS_CMD, .reply = dmock_reply_info, .arg = &live_lv },
		{ .cmd = DM_TABLE_STATUS_CMD, .reply = dmock_reply_table, .arg = old_text },
		{ .cmd = DM_TABLE_LOAD_CMD, .reply = raise_usr1 },
		{ .cmd = DM_DEV_SUSPEND_CMD, .reply = check_pending },
	};
	struct vdm_swap_result res;

	(void)state;
	run_swap(s, 4, VDM_SWAP_RESUME, 0, &res);
	assert_int_equal(pending_seen, 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(delivered_at, 4);
}

/* The resume fails: the rollback (load the old table, resume) runs with the
 * signal still held back. */
static void signal_waits_for_the_rollback(void **state)
{
	static const struct dmock_step s[] = {
		{ .cmd = DM_DEV_STATUS_CMD, .reply = dmock_reply_info, .arg = &live_lv },
		{ .cmd = DM_TABLE_STATUS_CMD, .reply = dmock_reply_table, .arg = old_text },
		{ .cmd = DM_TABLE_LOAD_CMD, .reply = raise_usr1 },
		{ .cmd = DM_DEV_SUSPEND_CMD, .err = EINTR },		/* the swap fails */
		{ .cmd = DM_TABLE_LOAD_CMD, .reply = check_pending },	/* old table back */
		{ .cmd = DM_DEV_SUSPEND_CMD, .reply = check_pending },	/* thaw on it */
	};
	struct vdm_swap_result res;

	(void)state;
	run_swap(s, 6, VDM_SWAP_RESUME, -EINTR, &res);
	assert_true(res.rolled_back);
	assert_int_equal(pending_seen, 2);
	assert_int_equal(delivered, 1);
	assert_int_equal(delivered_at, 6);
}

/* The suspend fails: the new table is cleared from the inactive slot before
 * the signal may end the program. */
static void signal_waits_for_the_clear(void **state)
{
	static const struct dmock_step s[] = {
		{ .cmd = DM_DEV_STATUS_CMD, .reply = dmock_reply_info, .arg = &live_lv },
		{ .cmd = DM_TABLE_STATUS_CMD, .reply = dmock_reply_table, .arg = old_text },
		{ .cmd = DM_TABLE_LOAD_CMD, .reply = raise_usr1 },
		{ .cmd = DM_DEV_SUSPEND_CMD, .err = EIO },		/* suspend fails */
		{ .cmd = DM_TABLE_CLEAR_CMD, .reply = check_pending },
	};
	struct vdm_swap_result res;

	(void)state;
	run_swap(s, 5, VDM_SWAP_SUSPEND_RESUME, -EIO, &res);
	assert_int_equal(pending_seen, 1);
	assert_int_equal(delivered, 1);
	assert_int_equal(delivered_at, 5);
}

/* The caller's own mask is given back as it was, not emptied. */
static void caller_mask_is_restored(void **state)
{
	static const struct dmock_step s[] = {
		{ .cmd = DM_DEV_STATUS_CMD, .reply = dmock_reply_info, .arg = &live_lv },
		{ .cmd = DM_TABLE_STATUS_CMD, .reply = dmock_reply_table, .arg = old_text },
		{ .cmd = DM_TABLE_LOAD_CMD },
		{ .cmd = DM_DEV_SUSPEND_CMD, .reply = check_pending },
	};
	struct vdm_swap_result res;
	sigset_t mine, after;

	(void)state;
	sigemptyset(&mine);
	sigaddset(&mine, SIGUSR2);
	sigprocmask(SIG_SETMASK, &mine, NULL);
	run_swap(s, 4, VDM_SWAP_RESUME, 0, &res);
	sigprocmask(SIG_SETMASK, NULL, &after);
	assert_int_equal(sigismember(&after, SIGUSR2), 1);
	assert_int_equal(sigismember(&after, SIGUSR1), 0);
	assert_int_equal(sigismember(&after, SIGINT), 0);
	assert_int_equal(sigismember(&after, SIGTERM), 0);
	assert_int_equal(delivered, 0);
	sigemptyset(&mine);
	sigprocmask(SIG_SETMASK, &mine, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(signal_at_suspend_waits_for_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(signal_at_load_waits_for_the_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(signal_waits_for_the_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(signal_waits_for_the_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(caller_mask_is_restored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
