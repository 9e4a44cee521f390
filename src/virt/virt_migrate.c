/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live migration through the typed-parameter API, with progress from job
 * statistics and cancellation.  The migration call blocks, so it runs in a
 * thread of its own while the caller's thread polls the job.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virt/virt-int.h"

/* The statistic @name of @n typed parameters (the first of that name; of
 * another type it is absent, as to virTypedParamsGetULLong). */
static bool param_ull(virTypedParameterPtr p, int n, const char *name, unsigned long long *ret)
{
	return vvirt_api->params_get_ullong(p, n, name, ret) == 1;
}

/* An int statistic above 0, else 0. */
static unsigned int uint_param(virTypedParameterPtr p, int n, const char *name)
{
	int v;

	return vvirt_api->params_get_int(p, n, name, &v) == 1 && v > 0 ? (unsigned int)v : 0;
}

static uint64_t ull(virTypedParameterPtr p, int n, const char *name)
{
	unsigned long long v = 0;

	return param_ull(p, n, name, &v) ? v : 0;
}

static void fill_progress(int type, virTypedParameterPtr p, int n, struct vvirt_progress *pr)
{
	unsigned long long v;

	memset(pr, 0, sizeof(*pr));
	pr->type = type;
	pr->elapsed_ms = ull(p, n, VIR_DOMAIN_JOB_TIME_ELAPSED);
	pr->remaining_ms = ull(p, n, VIR_DOMAIN_JOB_TIME_REMAINING);
	pr->data_total = ull(p, n, VIR_DOMAIN_JOB_DATA_TOTAL);
	pr->data_processed = ull(p, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
	pr->data_remaining = ull(p, n, VIR_DOMAIN_JOB_DATA_REMAINING);
	pr->mem_total = ull(p, n, VIR_DOMAIN_JOB_MEMORY_TOTAL);
	pr->mem_processed = ull(p, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED);
	pr->mem_remaining = ull(p, n, VIR_DOMAIN_JOB_MEMORY_REMAINING);
	pr->mem_bps = ull(p, n, VIR_DOMAIN_JOB_MEMORY_BPS);
	pr->mem_iteration = ull(p, n, VIR_DOMAIN_JOB_MEMORY_ITERATION);
	pr->setup_ms = ull(p, n, VIR_DOMAIN_JOB_SETUP_TIME);
	pr->throttle_pct = uint_param(p, n, VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE);
	if (param_ull(p, n, VIR_DOMAIN_JOB_DOWNTIME, &v)) {
		pr->downtime_ms = v;
		pr->have_downtime = true;
	}
}

int vvirt_job(struct vvirt_dom *d, bool completed, struct vvirt_progress *ret, struct vh_error *e)
{
	virTypedParameterPtr p = NULL;
	int n = 0, type = 0;

	if (vvirt_api->job_stats(d->d, &type, &p, &n,
				 completed ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0) < 0)
		return vvirt_fail(e, "job statistics of %s", d->name);
	fill_progress(type, p, n, ret);
	vvirt_api->params_free(p, n);
	return 0;
}

int vvirt_abort(struct vvirt_dom *d, struct vh_error *e)
{
	if (vvirt_api->abort_job(d->d) < 0)
		return vvirt_fail(e, "abort the job of %s", d->name);
	return 0;
}

struct mig_thread {
	struct vvirt_dom *d;
	const struct vvirt_migrate_opts *o;
	virConnectPtr dconn;
	virTypedParameterPtr params;	/* build_params(), by libvirt's virTypedParamsAdd* */
	int nparams, maxparams;
	unsigned int flags;
	/* results, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int r;
	struct vh_error err;
	int efd;		/* eventfd written when done (-1: the condition only) */
};

static void *mig_main(void *arg)
{
	struct mig_thread *t = arg;
	struct vh_error err = { 0 };
	int r = 0;

	if (t->o->p2p) {
		if (vvirt_api->migrate_to_uri3(t->d->d, t->o->dest_uri, t->params,
					       (unsigned int)t->nparams, t->flags) < 0)
			r = vvirt_fail(&err, "migrate %s to %s", t->d->name, t->o->dest_uri);
	} else {
		virDomainPtr nd = vvirt_api->migrate3(t->d->d, t->dconn, t->params,
						      (unsigned int)t->nparams, t->flags);

		if (!nd)
			r = vvirt_fail(&err, "migrate %s to %s", t->d->name, t->o->dest_uri);
		else
			vvirt_api->dom_free(nd);
	}
	pthread_mutex_lock(&t->lock);
	t->r = r;
	t->err = err;
	t->done = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (t->efd >= 0) {
		uint64_t one = 1;

		/* (an eventfd's counter cannot overflow with one write) */
		if (write(t->efd, &one, sizeof(one)) < 0)
			vh_trace("virt", "migration thread: eventfd write failed");
	}
	return NULL;
}

static int build_params(const struct vvirt_migrate_opts *o, struct mig_thread *t,
			struct vh_error *e)
{
	t->flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_ABORT_ON_ERROR;
	if (o->p2p)
		t->flags |= VIR_MIGRATE_PEER2PEER;
	if (o->tunnelled)
		t->flags |= VIR_MIGRATE_TUNNELLED;
	if (o->persist_dest)
		t->flags |= VIR_MIGRATE_PERSIST_DEST;
	if (o->undefine_source)
		t->flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
	if (o->unsafe)
		t->flags |= VIR_MIGRATE_UNSAFE;
	if (o->paused)
		t->flags |= VIR_MIGRATE_PAUSED;
	if (o->tunnelled && !o->p2p)
		return vh_err(e, -EINVAL, "tunnelled migration needs peer-to-peer");
	if (o->tunnelled && o->migrate_uri)
		return vh_err(e, -EINVAL, "a migration URI cannot be used with a tunnelled migration");
	if (o->tunnelled && o->parallel)
		return vh_err(e, -EINVAL, "parallel connections cannot be used with a tunnelled "
			      "migration");
	if (o->auto_converge)
		t->flags |= VIR_MIGRATE_AUTO_CONVERGE;
	if (o->parallel) {
		t->flags |= VIR_MIGRATE_PARALLEL;
		if (vvirt_api->params_add_int(&t->params, &t->nparams, &t->maxparams,
					      VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
					      (int)o->parallel) < 0)
			return vvirt_fail(e, "migration parameter %s",
					  VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS);
	}
	if (o->compression) {
		t->flags |= VIR_MIGRATE_COMPRESSED;
		if (vvirt_api->params_add_string(&t->params, &t->nparams, &t->maxparams,
						 VIR_MIGRATE_PARAM_COMPRESSION, o->compression) < 0)
			return vvirt_fail(e, "migration parameter %s", VIR_MIGRATE_PARAM_COMPRESSION);
	}
	if ((o->hold_mib || o->bandwidth_mib) &&
	    vvirt_api->params_add_ullong(&t->params, &t->nparams, &t->maxparams,
					 VIR_MIGRATE_PARAM_BANDWIDTH,
					 o->hold_mib ? o->hold_mib : o->bandwidth_mib) < 0)
		return vvirt_fail(e, "migration parameter %s", VIR_MIGRATE_PARAM_BANDWIDTH);
	if (o->migrate_uri &&
	    vvirt_api->params_add_string(&t->params, &t->nparams, &t->maxparams,
					 VIR_MIGRATE_PARAM_URI, o->migrate_uri) < 0)
		return vvirt_fail(e, "migration parameter %s", VIR_MIGRATE_PARAM_URI);
	return 0;
}

static void set_downtime(struct vvirt_dom *d, uint64_t ms, bool *done)
{
	/* Only accepted while a migration job runs on some libvirt versions,
	 * so it is tried until it sticks. */
	if (vvirt_api->set_max_downtime(d->d, ms, 0) == 0) {
		*done = true;
		vh_trace("virt", "max downtime set to %llu ms", (unsigned long long)ms);
	}
}

int vvirt_set_max_downtime(struct vvirt_dom *d, uint64_t ms, struct vh_error *e)
{
	if (vvirt_api->set_max_downtime(d->d, ms, 0) < 0)
		return vvirt_fail(e, "max downtime of %s's migration", d->name);
	return 0;
}

int vvirt_set_max_speed(struct vvirt_dom *d, uint64_t mib, struct vh_error *e)
{
	if (!vvirt_api->set_max_speed)
		return vh_err(e, -EOPNOTSUPP, "the migration's bandwidth cannot be set");
	if (mib > (uint64_t)(INT64_MAX >> 20))
		return vh_err(e, -ERANGE, "bandwidth %llu MiB/s is more than libvirt takes",
			      (unsigned long long)mib);
	if (vvirt_api->set_max_speed(d->d, (unsigned long)mib, 0) < 0)
		return vvirt_fail(e, "bandwidth of %s's migration", d->name);
	return 0;
}

/* The completion policy's "converge": the limits lifted, so that QEMU's next
 * look finds the rest small enough (it copies it with the VM paused).
 * Tried at each wake-up until libvirt takes the downtime; a bandwidth it
 * refuses leaves the plan's (traced). */
static void converge(struct vvirt_dom *d, bool *done)
{
	/* libvirt's QEMU_DOMAIN_MIG_BANDWIDTH_MAX: INT64_MAX bytes/s in MiB/s */
	const unsigned long most = (unsigned long)(INT64_MAX >> 20);

	if (vvirt_api->set_max_downtime(d->d, VVIRT_CONVERGE_DOWNTIME_MS, 0) < 0)
		return;
	*done = true;
	if (!vvirt_api->set_max_speed || vvirt_api->set_max_speed(d->d, most, 0) < 0)
		vh_trace("virt", "converge: the bandwidth limit stays");
	vh_trace("virt", "converge: max downtime %llu ms, bandwidth unlimited",
		 VVIRT_CONVERGE_DOWNTIME_MS);
}

/* The hold let go: the plan's bandwidth (0: libvirt's most) and max downtime
 * (0: QEMU's default).  Tried at each wake-up until libvirt takes both. */
static void release_hold(struct vvirt_dom *d, const struct vvirt_migrate_opts *o, bool *done)
{
	const unsigned long most = (unsigned long)(INT64_MAX >> 20);
	unsigned long mib = o->bandwidth_mib ? (unsigned long)o->bandwidth_mib : most;
	unsigned long long ms = o->max_downtime_ms ? o->max_downtime_ms : VVIRT_DEFAULT_DOWNTIME_MS;
	struct vh_error e = { 0 };

	if (!vvirt_api->set_max_speed || vvirt_api->set_max_speed(d->d, mib, 0) < 0) {
		(void)vvirt_fail(&e, "bandwidth of %s's migration", d->name);
		vh_trace("virt", "hold not let go (asked again): %s", e.msg);
		return;
	}
	if (vvirt_api->set_max_downtime(d->d, ms, 0) < 0) {
		(void)vvirt_fail(&e, "max downtime of %s's migration", d->name);
		vh_trace("virt", "hold not let go (asked again): %s", e.msg);
		return;
	}
	*done = true;
	vh_trace("virt", "hold let go: bandwidth %lu MiB/s, max downtime %llu ms", mib, ms);
}

/*
 * One sleep of the poll loop: until the migration thread is done, @poll_ms
 * passed, or (with @watching) the caller's descriptor is readable.  True
 * when the migration thread is done.
 */
static bool sleep_until_woken(struct mig_thread *t, unsigned int poll_ms, bool watching,
			      bool *gone_watch)
{
	bool done;

	if (t->efd >= 0) {
		bool peer = watching && *gone_watch && t->o->peer_fd && t->o->peer;
		struct pollfd pf[4] = {
			{ .fd = t->efd, .events = POLLIN },
			{ .fd = watching && t->o->watch_fd ? *t->o->watch_fd : -1, .events = POLLIN },
			{ .fd = *gone_watch ? *t->o->gone_fd : -1, .events = POLLIN },
			{ .fd = peer ? *t->o->peer_fd : -1, .events = POLLIN },
		};

		if (poll(pf, 4, (int)poll_ms) < 0 && errno != EINTR)
			vh_trace("virt", "migration poll: %s", strerror(errno));
		/* the destination's word first: it comes before the exit */
		if (peer && (pf[3].revents & POLLIN))
			t->o->peer(t->o->peer_ud);
		if (*gone_watch && (pf[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			/* once: the process is gone for good */
			*gone_watch = false;
			t->o->gone(t->o->gone_ud);
		}
	} else {
		struct timespec until = vvirt_deadline(CLOCK_REALTIME, poll_ms);

		pthread_mutex_lock(&t->lock);
		while (!t->done && pthread_cond_timedwait(&t->cond, &t->lock, &until) == 0)
			;
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_lock(&t->lock);
	done = t->done;
	pthread_mutex_unlock(&t->lock);
	return done;
}

int vvirt_migrate(struct vvirt_dom *d, const struct vvirt_migrate_opts *o,
		  struct vvirt_migrate_result *ret, struct vh_error *e)
{
	struct vvirt_migrate_result res = { 0 };
	struct mig_thread t = { .d = d, .o = o, .efd = -1 };
	struct vvirt_conn *dst = NULL;
	uint64_t downtime = o->hold_mib ? VVIRT_HOLD_DOWNTIME_MS : o->max_downtime_ms;
	bool downtime_done = !downtime, aborted = false, timed_out = false;
	bool gone_watch = o->gone_fd && *o->gone_fd >= 0 && o->gone;
	const bool gone_watched = gone_watch;	/* gone_watch false after: it exited */
	unsigned int poll_ms = o->poll_ms ? o->poll_ms : 500;
	uint64_t t0;
	pthread_t th;
	int r;

	if (!o->dest_uri)
		return vh_err(e, -EINVAL, "no destination URI");
	if ((r = build_params(o, &t, e)) < 0)
		goto out;
	if (!o->p2p) {
		/* Managed direct migration: this process talks to both sides. */
		if ((r = vvirt_open(o->dest_uri, 0, &dst, e)) < 0)
			goto out;
		t.dconn = dst->c;
	}
	if (!downtime_done)
		set_downtime(d, downtime, &downtime_done);
	if ((o->watch_fd || gone_watch) && (t.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		r = vh_err(e, -errno, "eventfd: %s", strerror(errno));
		goto out;
	}
	pthread_mutex_init(&t.lock, NULL);
	pthread_cond_init(&t.cond, NULL);
	t0 = vvirt_now_ns();
	if ((r = pthread_create(&th, NULL, mig_main, &t)) != 0) {
		r = vh_err(e, -r, "cannot start the migration thread");
		goto out_sync;
	}
	for (;;) {
		struct vvirt_progress pr;
		struct vh_error ignore;

		if (sleep_until_woken(&t, poll_ms, !aborted, &gone_watch))
			break;
		/* Once the source's QEMU is gone there is nothing to abort. */
		if (aborted || (gone_watched && !gone_watch))
			continue;
		if (!downtime_done)
			set_downtime(d, downtime, &downtime_done);
		if (o->watch && o->watch(o->watch_ud))
			res.cancelled = true;
		if (vvirt_job(d, false, &pr, &ignore) == 0 && pr.type != VIR_DOMAIN_JOB_NONE) {
			/* Only once the job sends: until then libvirt sets up and
			 * then applies the migration's own parameters over ours. */
			if (o->hold_mib && !res.released && o->release && *o->release &&
			    pr.data_total && downtime_done) {
				release_hold(d, o, &res.released);
				if (res.released)
					res.released_ns = vvirt_now_ns() - t0;
			}
			if (o->converge_after_ms && !res.converged && pr.data_total &&
			    (!o->hold_mib || res.released) &&
			    vvirt_now_ns() - t0 - res.released_ns >= o->converge_after_ms * 1000000u)
				converge(d, &res.converged);
			pr.converging = res.converged;
			pr.held = o->hold_mib && !res.released;
			if (o->progress && o->progress(&pr, o->progress_ud))
				res.cancelled = true;
		}
		if (o->cancel && *o->cancel)
			res.cancelled = true;
		/* (a timeout too long to count in ns, 584 years, never comes) */
		if (o->timeout_ms && o->timeout_ms <= UINT64_MAX / 1000000u &&
		    vvirt_now_ns() - t0 > o->timeout_ms * 1000000u)
			timed_out = true;
		if (res.cancelled || timed_out) {
			/* The migration call then fails with OPERATION_ABORTED. */
			if (vvirt_abort(d, &ignore) == 0)
				aborted = true;
		}
	}
	pthread_join(th, NULL);
	res.wall_ns = vvirt_now_ns() - t0;
	r = t.r;
	if (r < 0) {
		if (e)
			*e = t.err;
		if (aborted && timed_out)
			r = vh_err(e, -ETIMEDOUT, "migration of %s aborted after %llu ms", d->name,
				   (unsigned long long)o->timeout_ms);
		else if (aborted)
			r = vh_err(e, -ECANCELED, "migration of %s cancelled", d->name);
		goto out_sync;
	}
	/* The finished job's statistics (measured downtime): on the source if
	 * the domain is still known there, else on the destination. */
	if (vvirt_job(d, true, &res.last, NULL) == 0 && res.last.type == VIR_DOMAIN_JOB_COMPLETED) {
		res.have_stats = true;
	} else {
		struct vvirt_conn *dc = dst;
		struct vvirt_dom *dd = NULL;

		if (dc || vvirt_open(o->dest_uri, 0, &dc, NULL) == 0) {
			if (vvirt_lookup(dc, d->name, &dd, NULL) == 0 &&
			    vvirt_job(dd, true, &res.last, NULL) == 0 &&
			    res.last.type == VIR_DOMAIN_JOB_COMPLETED)
				res.have_stats = true;
			vvirt_dom_free(dd);
			if (dc != dst)
				vvirt_close(dc);
		}
	}
	if (ret)
		*ret = res;
	r = 0;
out_sync:
	pthread_cond_destroy(&t.cond);
	pthread_mutex_destroy(&t.lock);
	if (t.efd >= 0)
		close(t.efd);
out:
	if (t.params)
		vvirt_api->params_free(t.params, t.nparams);
	vvirt_close(dst);
	return r;
}
