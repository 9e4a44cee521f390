/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The swap primitive of the takeover path.  Everything that can be done
 * before the freeze is: device lookup, saving the live table for a rollback,
 * loading the new table into the inactive slot, building the ioctl headers.
 * Inside the window there are only the ioctls (and two vDSO clock reads).
 *
 * Signals: from just before the load until the device runs again on one of
 * the two tables with nothing dangerous left in its inactive slot, every
 * catchable signal is blocked.  A SIGINT there would otherwise kill us with
 * the device suspended (suspend-resume mode), or with the new table waiting
 * in the inactive slot for whoever resumes next; and the kernel's own
 * dm_suspend() gives up with EINTR when a signal is pending.  Blocked, the
 * signal stays pending and is delivered when the mask is restored, after the
 * swap (or its rollback) is complete.
 *
 * Scheduling: for the window itself (and a rollback inside it) the thread runs
 * SCHED_FIFO at the lowest real-time priority, then goes back to its own
 * policy.  Measured in the lab (docs/bench-move.md, "The bridge's freeze
 * window, repeated"), the window's scatter under a busy VM was not DRBD and not
 * the ioctls' own work: it was this thread, runnable in the middle of the
 * resume ioctl, preempted by the VM's QEMU threads for a time slice or two.
 * A real-time thread is not preempted by them; it still sleeps where the
 * kernel waits (in-flight I/O, RCU), so nothing else is starved.  Without the
 * privilege (EPERM) the swap runs at the normal priority and says so in
 * vdm_swap_result.rt.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "dm/dm-int.h"

/* Every signal a handler could catch, less the synchronous ones: blocking
 * SIGSEGV and friends does not stop the kernel from sending them on a fault,
 * it only makes the outcome undefined.  (SIGKILL and SIGSTOP cannot be
 * blocked; pthread_sigmask() ignores them, and glibc keeps its own.) */
static void fill_blockable(sigset_t *set)
{
	static const int sync_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT };

	sigfillset(set);
	for (size_t i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
		sigdelset(set, sync_sigs[i]);
}

/* The thread's scheduling, saved by rt_enter() for rt_leave(). */
struct rt_saved {
	int policy;		/* as sched_getscheduler() gave it, flags included */
	struct sched_param param;
	bool raised;		/* rt_enter() made it SCHED_FIFO */
	bool was_rt;		/* it was real-time already: left alone */
};

/* Raise the calling thread to SCHED_FIFO (lowest priority, reset on fork);
 * returns 0 or -errno, the thread unchanged on failure.  A thread already
 * real-time is left as it is (was_rt, returns 0). */
static int rt_enter(struct rt_saved *s)
{
	struct sched_param fifo = { .sched_priority = sched_get_priority_min(SCHED_FIFO) };
	int pol;

	s->raised = s->was_rt = false;
	if ((pol = sched_getscheduler(0)) < 0 || sched_getparam(0, &s->param) < 0)
		return -errno;
	s->policy = pol;
	pol &= ~SCHED_RESET_ON_FORK;
	if (pol == SCHED_FIFO || pol == SCHED_RR) {
		s->was_rt = true;
		return 0;
	}
	if (fifo.sched_priority < 0 || sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &fifo) < 0)
		return -errno;
	s->raised = true;
	return 0;
}

/* Back to the saved policy; returns 0 or -errno. */
static int rt_leave(struct rt_saved *s)
{
	if (!s->raised)
		return 0;
	s->raised = false;
	return sched_setscheduler(0, s->policy, &s->param) < 0 ? -errno : 0;
}

static inline int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);
}

/* Put the saved table back and thaw; returns 0 when the old table is live
 * and the device running again. */
static int roll_back(struct vdm_ctl *c, const struct vdm_ref *ref, const struct vdm_table *old,
		     unsigned flags, int err, struct vh_error *e)
{
	struct vh_error e2 = { 0 };
	int rc;

	/* Whether the kernel failed in the table swap (old table still live,
	 * device suspended) or in dm_resume() (new table live, suspended),
	 * loading the old table and resuming ends on the old table. */
	rc = vdm_load(c, ref, old, 0, &e2);
	if (rc)
		vh_err_prefix(e, err, "rollback load failed (%s)", e2.msg);
	if (vdm_resume(c, ref, flags, &e2)) {
		vh_err_prefix(e, err, "rollback resume failed (%s); device may still be suspended",
			      e2.msg);
		return -EIO;
	}
	return rc;
}

int vdm_swap(struct vdm_ctl *c, const struct vdm_ref *ref, const struct vdm_table *t,
	     enum vdm_swap_mode mode, unsigned flags, struct vdm_swap_result *ret,
	     struct vh_error *e)
{
	struct vdm_swap_result res = { 0 };
	struct vdm_table old = { 0 };
	struct vdm_info info;
	struct vdm_ref dev;
	struct dm_ioctl sus, rsm;
	struct timespec t0, t1, t2;
	sigset_t block, saved;
	struct rt_saved rt = { 0 };
	uint32_t fl = (flags & VDM_NOFLUSH ? DM_NOFLUSH_FLAG : 0) |
		      (flags & VDM_SKIP_LOCKFS ? DM_SKIP_LOCKFS_FLAG : 0);
	int rc, rs = 0;

	if ((rc = vdm_table_check(t, e)))
		return rc;
	/* Resolve once; the window addresses the device by number. */
	if ((rc = vdm_info(c, ref, &info, e)))
		return rc;
	if (!info.live_table)
		return vh_err(e, -ENXIO, "%s has no live table to swap", info.name);
	dev = (struct vdm_ref){ .key = VDM_BY_DEV, .dev = info.dev };
	if ((rc = vdm_table_get(c, &dev, false, &old, e)))
		return rc;
	{
		struct vdm_req rq_s = { .cmd = DM_DEV_SUSPEND_CMD, .ref = &dev, .flags = fl | DM_SUSPEND_FLAG };
		struct vdm_req rq_r = { .cmd = DM_DEV_SUSPEND_CMD, .ref = &dev, .flags = fl };

		if ((rc = vdm__header(&sus, sizeof(sus), &rq_s, e)) ||
		    (rc = vdm__header(&rsm, sizeof(rsm), &rq_r, e)))
			goto out;
	}
	fill_blockable(&block);

	/* ---- signals blocked: from the load until the device runs on one
	 * table and the inactive slot is clear ---- */
	if ((rc = pthread_sigmask(SIG_BLOCK, &block, &saved))) {
		rc = vh_err(e, -rc, "swap %s: cannot block signals", info.name);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = vdm_load(c, &dev, t, flags & VDM_READONLY, e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res.load_ns = ns_between(&t0, &t1);
	if (rc)
		goto unblock;

	/* Outside the window (a syscall, about a microsecond): failing to
	 * raise only leaves the window at the normal priority. */
	res.rt_err = rt_enter(&rt);
	res.rt = rt.raised || rt.was_rt;

	/* ---- the freeze window: ioctls only ---- */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mode == VDM_SWAP_SUSPEND_RESUME) {
		rs = vdm__call(c->fd, DM_DEV_SUSPEND_CMD, &sus);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rs)
			goto suspend_failed;
	}
	rc = vdm__call(c->fd, DM_DEV_SUSPEND_CMD, &rsm);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* ---- end of the window ---- */

	res.start_ns = (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec;
	if (mode == VDM_SWAP_SUSPEND_RESUME)
		res.suspend_ns = ns_between(&t0, &t1);
	res.window_ns = ns_between(&t0, &t2);
	if (!rc)
		goto unblock;
	{
		struct vdm_req rq_r = { .cmd = DM_DEV_SUSPEND_CMD, .ref = &dev };

		rc = vdm__kerr(e, rc, DM_DEV_SUSPEND_CMD, &rq_r);
	}
	if (roll_back(c, &dev, &old, flags, rc, e) == 0) {
		res.rolled_back = true;
		vh_err_prefix(e, rc, "swap %s: resume failed, rolled back to the old table",
			      info.name);
	} else {
		vh_err_prefix(e, rc, "swap %s: resume failed, rollback incomplete", info.name);
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	res.window_ns = ns_between(&t0, &t2);	/* frozen until the rollback thawed it */
	goto unblock;

suspend_failed:
	res.start_ns = (int64_t)t0.tv_sec * 1000000000 + t0.tv_nsec;
	res.suspend_ns = res.window_ns = ns_between(&t0, &t1);
	{
		struct vdm_req rq_s = { .cmd = DM_DEV_SUSPEND_CMD, .ref = &dev, .flags = DM_SUSPEND_FLAG };
		struct vh_error e2 = { 0 };

		rc = vdm__kerr(e, rs, DM_DEV_SUSPEND_CMD, &rq_s);
		vh_err_prefix(e, rc, "swap %s: suspend failed, old table kept", info.name);
		/* Do not leave the new table waiting for someone else's resume. */
		if (vdm_clear(c, &dev, &e2))
			vh_err_prefix(e, rc, "(clearing the inactive table failed: %s)", e2.msg);
	}
unblock:
	/* The device runs again (or the swap never froze it): back to the
	 * thread's own policy.  Lowering one's own priority does not fail on
	 * Linux; if it did, the swap's outcome stands and rt_err says so. */
	if (rt.raised) {
		int rl = rt_leave(&rt);

		if (rl && !res.rt_err)
			res.rt_err = rl;
	}
	/* Whatever arrived meanwhile is delivered here, on a running device. */
	(void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (!rc)
		vh_trace("dm", "swap %s: window %lld ns (load %lld ns outside)%s", info.name,
			 (long long)res.window_ns, (long long)res.load_ns,
			 res.rt ? "" : ", at the normal priority");
out:
	vdm_table_free(&old);
	if (ret)
		*ret = res;
	return rc;
}
