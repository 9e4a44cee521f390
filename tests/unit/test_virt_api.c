/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt seam (struct vvirt_api) replaced by a fake: error capture and
 * mapping, suspend/resume, and migration flags, parameters, progress,
 * cancellation and the completed job's statistics.  What libvirt and QEMU
 * really do is tested in the lab (tests/lab/15-virt.sh).
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>

#include "support_virt.h"
#include "virt/virt.h"

static int dummy_conn, dummy_dom, dummy_dom2;

/* The fake's "last error", per thread like libvirt's. */
static __thread int err_code;
static __thread char err_msg[200];

static void set_err(int code, const char *msg)
{
	err_code = code;
	snprintf(err_msg, sizeof(err_msg), "%s", msg);
}

static int f_last_error(virErrorPtr ret)
{
	if (!err_code)
		return 0;
	memset(ret, 0, sizeof(*ret));
	ret->code = err_code;
	ret->message = strdup(err_msg);
	return 1;
}

static struct {
	const char *open_fail;		/* URI that fails to open */
	atomic_int polls, aborts, downtime_calls;
	atomic_int migrate_calls;
	atomic_int job_stats_calls, params_freed;
	unsigned int flags;
	unsigned long long bandwidth;
	char dest[128];
	char mig_uri[128];
	int finish_after;		/* polls before the migration "completes" */
	_Atomic int finish_in_ms;	/* nonzero: it completes in that many ms */
	int suspended;
	bool refuse_aborts;		/* abort_job fails (no job: too late) */
	int parallel;			/* VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS given */
	char compression[16];		/* VIR_MIGRATE_PARAM_COMPRESSION given */
	char sent[256];			/* every parameter, in order: "name:type=value,..." */
	virTypedParameterPtr sent_params;	/* the migration call's array */
	atomic_int sent_params_freed;	/* ... handed back to params_free */
	unsigned long long last_downtime;
	unsigned long max_speed;	/* set_max_speed's last */
	int throttle;			/* the job's auto-converge throttle, % */
	atomic_int refused;
} fk;

static virConnectPtr f_open(const char *uri)
{
	if (fk.open_fail && !strcmp(uri, fk.open_fail)) {
		set_err(VIR_ERR_SYSTEM_ERROR, "unable to connect to server: Connection refused");
		return NULL;
	}
	return (virConnectPtr)&dummy_conn;
}

static int f_close(virConnectPtr c)
{
	assert_ptr_equal(c, &dummy_conn);
	return 0;
}

static virDomainPtr f_lookup(virConnectPtr c, const char *name)
{
	(void)c;
	if (!strcmp(name, "vm1"))
		return (virDomainPtr)&dummy_dom;
	set_err(VIR_ERR_NO_DOMAIN, "Domain not found: no domain with matching name");
	return NULL;
}

static int f_dom_free(virDomainPtr d)
{
	assert_true(d == (virDomainPtr)&dummy_dom || d == (virDomainPtr)&dummy_dom2);
	return 0;
}

static int f_suspend(virDomainPtr d)
{
	(void)d;
	if (fk.suspended) {
		set_err(VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is already paused");
		return -1;
	}
	fk.suspended = 1;
	return 0;
}

static int f_resume(virDomainPtr d)
{
	(void)d;
	if (!fk.suspended) {
		set_err(VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: domain is not paused");
		return -1;
	}
	fk.suspended = 0;
	return 0;
}

static int f_state(virDomainPtr d, int *st, int *reason, unsigned int flags)
{
	(void)d; (void)flags;
	*st = fk.suspended ? VIR_DOMAIN_PAUSED : VIR_DOMAIN_RUNNING;
	*reason = 1;
	return 0;
}

/* The fake reads typed parameters itself (and its table builds and reads
 * them with support_virt.c's): the seam needs no libvirt. */
static const virTypedParameter *param(virTypedParameterPtr p, unsigned int np, const char *field,
				      int type)
{
	for (unsigned int i = 0; i < np; i++) {
		if (strcmp(p[i].field, field))
			continue;
		assert_int_equal(p[i].type, type);
		return &p[i];
	}
	return NULL;
}

static void record(virTypedParameterPtr p, unsigned int np, unsigned int flags)
{
	const virTypedParameter *b = param(p, np, VIR_MIGRATE_PARAM_BANDWIDTH, VIR_TYPED_PARAM_ULLONG);
	const virTypedParameter *u = param(p, np, VIR_MIGRATE_PARAM_URI, VIR_TYPED_PARAM_STRING);

	const virTypedParameter *par = param(p, np, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS,
					     VIR_TYPED_PARAM_INT);
	const virTypedParameter *c = param(p, np, VIR_MIGRATE_PARAM_COMPRESSION,
					   VIR_TYPED_PARAM_STRING);

	size_t at = 0;

	fk.sent[0] = '\0';
	for (unsigned int i = 0; i < np && at < sizeof(fk.sent); i++) {
		const char *sep = i ? "," : "";

		if (p[i].type == VIR_TYPED_PARAM_INT)
			at += (size_t)snprintf(fk.sent + at, sizeof(fk.sent) - at, "%s%s:int=%d", sep,
					       p[i].field, p[i].value.i);
		else if (p[i].type == VIR_TYPED_PARAM_ULLONG)
			at += (size_t)snprintf(fk.sent + at, sizeof(fk.sent) - at, "%s%s:ullong=%llu",
					       sep, p[i].field, p[i].value.ul);
		else if (p[i].type == VIR_TYPED_PARAM_STRING)
			at += (size_t)snprintf(fk.sent + at, sizeof(fk.sent) - at, "%s%s:string=%s",
					       sep, p[i].field, p[i].value.s);
		else
			at += (size_t)snprintf(fk.sent + at, sizeof(fk.sent) - at, "%s%s:type%d", sep,
					       p[i].field, p[i].type);
	}
	fk.sent_params = p;
	fk.flags = flags;
	fk.bandwidth = b ? b->value.ul : 0;
	snprintf(fk.mig_uri, sizeof(fk.mig_uri), "%s", u ? u->value.s : "");
	fk.parallel = par ? par->value.i : 0;
	snprintf(fk.compression, sizeof(fk.compression), "%s", c ? c->value.s : "");
}

/* Appends one ULLONG statistic, as libvirt's virDomainGetJobStats() returns them. */
static void add_ull(virTypedParameterPtr *p, int *np, const char *field, unsigned long long v)
{
	virTypedParameterPtr q = realloc(*p, sizeof(*q) * (size_t)(*np + 1));

	assert_non_null(q);
	memset(&q[*np], 0, sizeof(q[*np]));
	snprintf(q[*np].field, sizeof(q[*np].field), "%s", field);
	q[*np].type = VIR_TYPED_PARAM_ULLONG;
	q[*np].value.ul = v;
	*p = q;
	(*np)++;
}

static void f_params_free(virTypedParameterPtr p, int np)
{
	if (p && p == fk.sent_params) {
		fk.sent_params_freed++;
		fk.sent_params = NULL;	/* its address may come back for statistics */
	} else {
		fk.params_freed++;
	}
	tvirt_params_free(p, np);
}

/* Runs until aborted or until the poller saw enough progress; bounded. */
static int run_migration(void)
{
	fk.migrate_calls++;
	for (int i = 0; i < 5000; i++) {
		struct timespec ts = { 0, 1000000 };

		if (fk.aborts) {
			set_err(VIR_ERR_OPERATION_ABORTED, "operation aborted: migration out job: canceled by client");
			return -1;
		}
		if (fk.polls >= fk.finish_after)
			return 0;
		if (fk.finish_in_ms && !--fk.finish_in_ms)
			return 0;
		nanosleep(&ts, NULL);
	}
	set_err(VIR_ERR_OPERATION_TIMEOUT, "fake: nobody polled");
	return -1;
}

static int f_migrate_to_uri3(virDomainPtr d, const char *dconnuri, virTypedParameterPtr p,
			     unsigned int np, unsigned int flags)
{
	(void)d;
	snprintf(fk.dest, sizeof(fk.dest), "%s", dconnuri);
	record(p, np, flags);
	return run_migration();
}

static virDomainPtr f_migrate3(virDomainPtr d, virConnectPtr dconn, virTypedParameterPtr p,
			       unsigned int np, unsigned int flags)
{
	(void)d;
	assert_ptr_equal(dconn, &dummy_conn);
	fk.dest[0] = '\0';
	record(p, np, flags);
	return run_migration() < 0 ? NULL : (virDomainPtr)&dummy_dom2;
}

static int f_job_stats(virDomainPtr d, int *type, virTypedParameterPtr *p, int *np,
		       unsigned int flags)
{
	int n;

	(void)d;
	*p = NULL;
	*np = 0;
	fk.job_stats_calls++;
	if (flags & VIR_DOMAIN_JOB_STATS_COMPLETED) {
		*type = VIR_DOMAIN_JOB_COMPLETED;
		add_ull(p, np, VIR_DOMAIN_JOB_DOWNTIME, 42);
		add_ull(p, np, VIR_DOMAIN_JOB_TIME_ELAPSED, 900);
		return 0;
	}
	n = ++fk.polls;
	*type = VIR_DOMAIN_JOB_UNBOUNDED;
	add_ull(p, np, VIR_DOMAIN_JOB_DATA_TOTAL, 1000);
	add_ull(p, np, VIR_DOMAIN_JOB_DATA_REMAINING, (unsigned long long)(1000 - 100 * n));
	add_ull(p, np, VIR_DOMAIN_JOB_TIME_ELAPSED, (unsigned long long)(10 * n));
	if (fk.throttle) {
		virTypedParameterPtr q = realloc(*p, sizeof(*q) * (size_t)(*np + 1));

		assert_non_null(q);
		memset(&q[*np], 0, sizeof(q[*np]));
		snprintf(q[*np].field, sizeof(q[*np].field), "%s",
			 VIR_DOMAIN_JOB_AUTO_CONVERGE_THROTTLE);
		q[*np].type = VIR_TYPED_PARAM_INT;
		q[*np].value.i = fk.throttle;
		*p = q;
		(*np)++;
	}
	return 0;
}

static int f_abort(virDomainPtr d)
{
	(void)d;
	if (fk.refuse_aborts) {
		fk.refused++;
		set_err(VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: no job is active on the domain");
		return -1;
	}
	fk.aborts++;
	return 0;
}

static int f_downtime(virDomainPtr d, unsigned long long ms, unsigned int flags)
{
	(void)d; (void)flags;
	assert_true(ms == 300 || ms == 120 || ms == VVIRT_HOLD_DOWNTIME_MS ||
		    ms == VVIRT_CONVERGE_DOWNTIME_MS);
	fk.last_downtime = ms;
	fk.downtime_calls++;
	return 0;
}

static int f_max_speed(virDomainPtr d, unsigned long bw, unsigned int flags)
{
	(void)d; (void)flags;
	fk.max_speed = bw;
	return 0;
}

static char *f_xml(virDomainPtr d, unsigned int flags)
{
	(void)d; (void)flags;
	return strdup("<domain><devices><disk type='block' device='disk'><driver cache='none'/>"
		      "<source dev='/dev/vg/vm1'/><target dev='vda' bus='virtio'/></disk></devices></domain>");
}

static const struct vvirt_api fake = {
	.open = f_open, .close = f_close, .lookup = f_lookup, .dom_free = f_dom_free,
	.xml = f_xml, .state = f_state, .suspend = f_suspend, .resume = f_resume,
	.migrate_to_uri3 = f_migrate_to_uri3, .migrate3 = f_migrate3, .job_stats = f_job_stats,
	.abort_job = f_abort, .set_max_downtime = f_downtime, .last_error = f_last_error,
	.params_free = f_params_free, .set_max_speed = f_max_speed, TVIRT_PARAMS,
};

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	err_code = 0;
	vvirt_set_api(&fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vvirt_set_api(NULL);
	return 0;
}

static void open_dom(struct vvirt_conn **c, struct vvirt_dom **d)
{
	struct vh_error e = { 0 };

	assert_int_equal(vvirt_open("qemu:///system", 0, c, &e), 0);
	assert_int_equal(vvirt_lookup(*c, "vm1", d, &e), 0);
}

static void errors_are_captured_and_mapped(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };

	(void)state;
	fk.open_fail = "qemu+tcp://hv9/system";
	assert_int_equal(vvirt_open("qemu+tcp://hv9/system", 0, &c, &e), -ECONNREFUSED);
	assert_int_equal(e.code, -ECONNREFUSED);
	assert_int_equal(e.origin_code, VIR_ERR_SYSTEM_ERROR);
	assert_non_null(strstr(e.msg, "connect to qemu+tcp://hv9/system: unable to connect"));

	assert_int_equal(vvirt_open("qemu:///system", 0, &c, &e), 0);
	assert_int_equal(vvirt_lookup(c, "nope", &d, &e), -ENOENT);
	assert_int_equal(e.origin_code, VIR_ERR_NO_DOMAIN);
	assert_non_null(strstr(e.msg, "domain nope on qemu:///system: Domain not found"));
	vvirt_close(c);
}

/* This host's libvirtd down is this host's matter (exit 15), not the peer's
 * (exit 12): the same refusal, opened with VVIRT_OPEN_LOCAL, is -EHOSTDOWN,
 * libvirt's code and words kept; a peer's stays -ECONNREFUSED. */
static void local_refusal_is_not_the_peers(void **state)
{
	struct vvirt_conn *c;
	struct vh_error e = { 0 };

	(void)state;
	fk.open_fail = "qemu:///system";
	assert_int_equal(vvirt_open("qemu:///system", VVIRT_OPEN_LOCAL, &c, &e), -EHOSTDOWN);
	assert_int_equal(e.code, -EHOSTDOWN);
	assert_int_equal(e.origin_code, VIR_ERR_SYSTEM_ERROR);
	assert_non_null(strstr(e.msg, "this host's libvirtd (qemu:///system) is not running or "
				      "refused the connection: connect to qemu:///system: unable "
				      "to connect"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(vvirt_open("qemu:///system", 0, &c, &e), -ECONNREFUSED);
	fk.open_fail = "qemu+tcp://hv2/system";
	assert_int_equal(vvirt_open("qemu+tcp://hv2/system", 0, &c, &e), -ECONNREFUSED);
	fk.open_fail = NULL;
}

static void error_table(void **state)
{
	(void)state;
	assert_int_equal(vvirt_map_error(VIR_ERR_NO_DOMAIN), -ENOENT);
	assert_int_equal(vvirt_map_error(VIR_ERR_MIGRATE_UNSAFE), -EINVAL);
	assert_int_equal(vvirt_map_error(VIR_ERR_OPERATION_ABORTED), -ECANCELED);
	assert_int_equal(vvirt_map_error(VIR_ERR_OPERATION_TIMEOUT), -ETIMEDOUT);
	assert_int_equal(vvirt_map_error(VIR_ERR_AUTH_FAILED), -EACCES);
	assert_int_equal(vvirt_map_error(VIR_ERR_DOM_EXIST), -EEXIST);
	assert_int_equal(vvirt_map_error(VIR_ERR_NO_SUPPORT), -EOPNOTSUPP);
	assert_int_equal(vvirt_map_error(VIR_ERR_RPC), -ECONNRESET);
	assert_int_equal(vvirt_map_error(VIR_ERR_RESOURCE_BUSY), -EBUSY);
	assert_int_equal(vvirt_map_error(VIR_ERR_INTERNAL_ERROR), -EIO);
}

static void suspend_resume_timed(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	uint64_t ns = 1ULL << 60;
	int st;

	(void)state;
	open_dom(&c, &d);
	assert_int_equal(vvirt_suspend(d, &ns, &e), 0);
	assert_true(ns < 1000000000ULL);
	assert_int_equal(vvirt_state(d, &st, NULL, &e), 0);
	assert_int_equal(st, VIR_DOMAIN_PAUSED);
	assert_string_equal(vvirt_state_name(st), "paused");
	assert_int_equal(vvirt_suspend(d, NULL, &e), -EINVAL);
	assert_int_equal(e.origin_code, VIR_ERR_OPERATION_INVALID);
	assert_int_equal(vvirt_resume(d, &ns, &e), 0);
	assert_int_equal(vvirt_resume(d, &ns, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not paused"));
	vvirt_dom_free(d);
	vvirt_close(c);
}

struct seen {
	int calls;
	uint64_t last_remaining;
	int cancel_at;
};

static int on_progress(const struct vvirt_progress *p, void *ud)
{
	struct seen *s = ud;

	s->calls++;
	assert_int_equal(p->data_total, 1000);
	if (s->calls > 1)
		assert_true(p->data_remaining < s->last_remaining);
	s->last_remaining = p->data_remaining;
	return s->cancel_at && s->calls >= s->cancel_at;
}

static void migrate_p2p_tunnelled_with_progress(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct seen s = { 0 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .tunnelled = true,
		.persist_dest = true, .undefine_source = true, .bandwidth_mib = 50,
		.max_downtime_ms = 300, .poll_ms = 5, .progress = on_progress, .progress_ud = &s,
	};

	(void)state;
	fk.finish_after = 4;
	open_dom(&c, &d);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_string_equal(fk.dest, "qemu+tcp://hv2/system");
	assert_int_equal(fk.flags, VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED |
				   VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE |
				   VIR_MIGRATE_ABORT_ON_ERROR);
	assert_int_equal(fk.bandwidth, 50);
	assert_string_equal(fk.mig_uri, "");
	assert_string_equal(fk.sent, VIR_MIGRATE_PARAM_BANDWIDTH ":ullong=50");
	assert_true(fk.downtime_calls >= 1);
	assert_true(s.calls >= 3);
	assert_int_equal(fk.aborts, 0);
	assert_true(res.have_stats);
	assert_int_equal(res.last.downtime_ms, 42);
	assert_true(res.last.have_downtime);
	/* Every statistics array the "library" returned was handed back to it,
	 * and the migration's own parameters once. */
	assert_true(fk.job_stats_calls >= 4);
	assert_int_equal(fk.params_freed, fk.job_stats_calls);
	assert_int_equal(fk.sent_params_freed, 1);
	vvirt_dom_free(d);
	vvirt_close(c);
}

static void migrate_cancelled_by_progress_callback(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct seen s = { .cancel_at = 2 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .poll_ms = 5,
		.progress = on_progress, .progress_ud = &s,
	};

	(void)state;
	fk.finish_after = 1000000;
	open_dom(&c, &d);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -ECANCELED);
	assert_int_equal(fk.aborts, 1);
	assert_int_equal(fk.downtime_calls, 0);
	assert_int_equal(fk.flags & VIR_MIGRATE_TUNNELLED, 0);
	vvirt_dom_free(d);
	vvirt_close(c);
}

/* The caller's watch, at every wake-up: nonzero from its @cancel_at-th call. */
struct watch_seen {
	int calls, cancel_at;
};

static int on_watch(void *ud)
{
	struct watch_seen *w = ud;

	return ++w->calls >= w->cancel_at;
}

static void migrate_cancelled_by_watch_and_refused_abort_is_no_error(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct watch_seen w = { .cancel_at = 2 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .poll_ms = 5,
		.watch = on_watch, .watch_ud = &w,
	};

	(void)state;
	fk.finish_after = 1000000;
	open_dom(&c, &d);
	/* called with no progress callback; its "cancel" aborts the job once */
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -ECANCELED);
	assert_int_equal(fk.aborts, 1);
	assert_int_equal(w.calls, 2);	/* not called again once aborted */
	/* too late: libvirt refuses the abort (the job is in its last step),
	 * the migration finishes: success, the abort tried at each wake-up */
	fk.aborts = 0;
	fk.polls = 0;
	fk.finish_after = 4;
	fk.refuse_aborts = true;
	w.calls = 0;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_int_equal(fk.aborts, 0);
	assert_true(fk.refused >= 1);
	assert_true(w.calls >= 2);
	vvirt_dom_free(d);
	vvirt_close(c);
}

/* With a watch descriptor, a readable descriptor wakes the loop at once
 * (not after poll_ms: 10 minutes here; SIGALRM ends a test that sleeps). */
static void migrate_watch_woken_by_its_descriptor(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct watch_seen w = { .cancel_at = 1 };
	struct vvirt_migrate_result res;
	int p[2];
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .poll_ms = 600000,
		.watch = on_watch, .watch_ud = &w, .watch_fd = &p[0],
	};

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	fk.finish_after = 1000000;
	open_dom(&c, &d);
	alarm(60);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -ECANCELED);
	alarm(0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(fk.aborts, 1);
	vvirt_dom_free(d);
	vvirt_close(c);
	close(p[0]);
	close(p[1]);
}

/* The source's QEMU exits (its pidfd readable: here a pipe): the hook runs
 * once; from then on nothing aborts the job (a Ctrl-C meanwhile included):
 * with QEMU gone there is nothing left to cancel, libvirt confirms. */
static volatile sig_atomic_t gone_cancel;
static int gone_calls;

static void on_gone(void *ud)
{
	(void)ud;
	gone_calls++;
	gone_cancel = 1;		/* a SIGINT right after the hook */
	fk.finish_in_ms = 50;		/* libvirt's Confirm ends 50 ms later */
}

static void migrate_gone_hook_once_then_no_abort(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct vvirt_migrate_result res;
	int p[2];
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .poll_ms = 5,
		.cancel = &gone_cancel, .gone_fd = &p[0], .gone = on_gone,
	};

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);	/* stays readable */
	fk.finish_after = 1000000;
	gone_calls = 0;
	gone_cancel = 0;
	open_dom(&c, &d);
	alarm(60);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	alarm(0);
	assert_int_equal(gone_calls, 1);
	assert_int_equal(fk.aborts, 0);
	vvirt_dom_free(d);
	vvirt_close(c);
	close(p[0]);
	close(p[1]);
}

/* D's events: the hook drains them, called before the exit is seen and
 * never after it. */
static int peer_pipe[2], gone_pipe[2];
static unsigned peer_calls, peer_after_gone;

static void on_peer(void *ud)
{
	char b;

	(void)ud;
	assert_int_equal(read(peer_pipe[0], &b, 1), 1);
	peer_calls++;
	if (gone_calls)
		peer_after_gone++;
	/* S's QEMU exits after D's Finish */
	assert_int_equal(write(gone_pipe[1], "x", 1), 1);
}

static void on_gone_then_peer(void *ud)
{
	(void)ud;
	gone_calls++;
	/* another event of D's: no longer polled */
	assert_int_equal(write(peer_pipe[1], "y", 1), 1);
	fk.finish_in_ms = 50;
}

static void migrate_peer_events_until_gone(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .poll_ms = 5,
		.gone_fd = &gone_pipe[0], .gone = on_gone_then_peer,
		.peer_fd = &peer_pipe[0], .peer = on_peer,
	};

	(void)state;
	assert_int_equal(pipe(peer_pipe), 0);
	assert_int_equal(pipe(gone_pipe), 0);
	assert_int_equal(write(peer_pipe[1], "x", 1), 1);
	fk.finish_after = 1000000;
	gone_calls = peer_calls = peer_after_gone = 0;
	open_dom(&c, &d);
	alarm(60);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	alarm(0);
	assert_int_equal(peer_calls, 1);
	assert_int_equal(gone_calls, 1);
	assert_int_equal(peer_after_gone, 0);
	assert_int_equal(fk.aborts, 0);
	vvirt_dom_free(d);
	vvirt_close(c);
	for (int i = 0; i < 2; i++) {
		close(peer_pipe[i]);
		close(gone_pipe[i]);
	}
}

static void migrate_cancelled_by_flag_and_timeout(void **state)
{
	static volatile sig_atomic_t cancel = 1;
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .poll_ms = 5, .cancel = &cancel,
	};

	(void)state;
	fk.finish_after = 1000000;
	open_dom(&c, &d);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -ECANCELED);
	o.cancel = NULL;
	o.timeout_ms = 30;
	fk.aborts = 0;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -ETIMEDOUT);
	assert_int_equal(fk.aborts, 1);
	vvirt_dom_free(d);
	vvirt_close(c);
}

static void migrate_direct_and_bad_options(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .migrate_uri = "tcp://169.254.77.2",
		.poll_ms = 5,
	};

	(void)state;
	fk.finish_after = 2;
	open_dom(&c, &d);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_int_equal(fk.flags, VIR_MIGRATE_LIVE | VIR_MIGRATE_ABORT_ON_ERROR);
	assert_string_equal(fk.mig_uri, "tcp://169.254.77.2");
	fk.migrate_calls = 0;
	o.tunnelled = true;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -EINVAL);	/* tunnel needs p2p */
	o.p2p = true;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -EINVAL);	/* tunnel + URI */
	assert_int_equal(fk.migrate_calls, 0);
	fk.open_fail = "qemu+tcp://hv2/system";
	o.p2p = o.tunnelled = false;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -ECONNREFUSED);
	assert_int_equal(fk.migrate_calls, 0);
	vvirt_dom_free(d);
	vvirt_close(c);
}

/* The controls of a busy VM's migration reach libvirt as virsh migrate
 * gives them; the completion policy's converge lifts the limits once, and
 * the progress says so (what QEMU does with them: tests/lab/70-send.sh). */
static bool saw_converging, saw_throttle;

static int note_progress(const struct vvirt_progress *p, void *ud)
{
	(void)ud;
	saw_converging |= p->converging;
	saw_throttle |= p->throttle_pct == 20;
	return 0;
}

/* The overlap's hold: the job starts at hold_mib; the bandwidth is the
 * plan's only once the caller lets go (and the job sends); the completion
 * policy counts from then, and never comes while the job is held. */
static struct {
	bool release;
	int watches, release_at;
	unsigned long speed_while_held;
	unsigned long long downtime_while_held;
	bool saw_held, saw_let_go;
} hold;

static int hold_watch(void *ud)
{
	(void)ud;
	if (!hold.release) {
		hold.speed_while_held |= fk.max_speed;
		hold.downtime_while_held |= fk.last_downtime;
	}
	if (++hold.watches == hold.release_at)
		hold.release = true;
	return 0;
}

static int hold_progress(const struct vvirt_progress *p, void *ud)
{
	(void)ud;
	hold.saw_held |= p->held;
	hold.saw_let_go |= hold.saw_held && !p->held;
	return 0;
}

static void migrate_held_until_let_go(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .bandwidth_mib = 50,
		.max_downtime_ms = 120, .hold_mib = 1, .release = &hold.release, .converge_after_ms = 100000,
		.poll_ms = 5, .watch = hold_watch, .progress = hold_progress,
	};

	(void)state;
	fk.finish_in_ms = 300;
	fk.finish_after = 1000000;
	hold.release_at = 10;
	open_dom(&c, &d);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_string_equal(fk.sent, VIR_MIGRATE_PARAM_BANDWIDTH ":ullong=1");
	assert_int_equal(hold.speed_while_held, 0);
	assert_int_equal(hold.downtime_while_held, VVIRT_HOLD_DOWNTIME_MS);
	assert_true(res.released);
	assert_true(res.released_ns > 0);
	assert_int_equal(fk.max_speed, 50);
	assert_int_equal(fk.last_downtime, 120);
	assert_true(hold.saw_held);
	assert_true(hold.saw_let_go);
	assert_false(res.converged);	/* 100 s after the release: not come */

	/* never let go: held to the end, the policy never comes */
	memset(&fk, 0, sizeof(fk));
	memset(&hold, 0, sizeof(hold));
	fk.finish_in_ms = 200;
	fk.finish_after = 1000000;
	o.converge_after_ms = 1;
	o.bandwidth_mib = 0;
	o.max_downtime_ms = 0;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_false(res.released);
	assert_false(res.converged);
	assert_int_equal(fk.max_speed, 0);
	assert_int_equal(fk.last_downtime, VVIRT_HOLD_DOWNTIME_MS);
	assert_false(hold.saw_let_go);

	/* let go, the plan without a bandwidth: libvirt's most; then the policy */
	memset(&fk, 0, sizeof(fk));
	memset(&hold, 0, sizeof(hold));
	fk.finish_in_ms = 400;
	fk.finish_after = 1000000;
	hold.release_at = 3;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_true(res.released);
	assert_true(res.converged);
	assert_int_equal(fk.max_speed, (unsigned long)(INT64_MAX >> 20));
	vvirt_dom_free(d);
	vvirt_close(c);
}

static void migrate_controls_and_converge(void **state)
{
	struct vvirt_conn *c;
	struct vvirt_dom *d;
	struct vh_error e = { 0 };
	struct vvirt_migrate_result res;
	struct vvirt_migrate_opts o = {
		.dest_uri = "qemu+tcp://hv2/system", .p2p = true, .auto_converge = true,
		.parallel = 3, .compression = "xbzrle", .migrate_uri = "tcp://10.9.0.2:49300",
		.max_downtime_ms = 300, .bandwidth_mib = 1, .converge_after_ms = 20, .poll_ms = 5,
		.progress = note_progress,
	};

	(void)state;
	fk.finish_in_ms = 400;
	fk.finish_after = 1000000;
	fk.throttle = 20;
	open_dom(&c, &d);
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_int_equal(fk.flags, VIR_MIGRATE_LIVE | VIR_MIGRATE_ABORT_ON_ERROR |
			 VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_AUTO_CONVERGE | VIR_MIGRATE_PARALLEL |
			 VIR_MIGRATE_COMPRESSED);
	assert_int_equal(fk.parallel, 3);
	assert_string_equal(fk.compression, "xbzrle");
	assert_string_equal(fk.mig_uri, "tcp://10.9.0.2:49300");
	/* all of them, in this order, each of its type: what was sent before
	 * libvirt's virTypedParamsAdd* built them */
	assert_string_equal(fk.sent, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS ":int=3,"
			    VIR_MIGRATE_PARAM_COMPRESSION ":string=xbzrle,"
			    VIR_MIGRATE_PARAM_BANDWIDTH ":ullong=1,"
			    VIR_MIGRATE_PARAM_URI ":string=tcp://10.9.0.2:49300");
	assert_int_equal(fk.sent_params_freed, 1);
	assert_true(res.converged);
	assert_int_equal(fk.last_downtime, VVIRT_CONVERGE_DOWNTIME_MS);
	assert_int_equal(fk.max_speed, (unsigned long)(INT64_MAX >> 20));
	assert_true(saw_converging);
	assert_true(saw_throttle);

	/* without the policy: the plan's limits stay */
	memset(&fk, 0, sizeof(fk));
	fk.finish_after = 3;
	saw_converging = false;
	o.converge_after_ms = 0;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), 0);
	assert_false(res.converged);
	assert_int_equal(fk.last_downtime, 300);
	assert_int_equal(fk.max_speed, 0);
	assert_false(saw_converging);
	/* parallel connections are QEMU's: not through libvirt's tunnel */
	o.tunnelled = true;
	o.migrate_uri = NULL;
	assert_int_equal(vvirt_migrate(d, &o, &res, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "parallel connections cannot be used with a tunnelled"));
	vvirt_dom_free(d);
	vvirt_close(c);
}

/* Runs last: with a test's table in place, vvirt_* never loaded libvirt. */
static void fake_table_never_loads_libvirt(void **state)
{
	(void)state;
	assert_null(dlopen("libvirt.so.0", RTLD_NOW | RTLD_NOLOAD));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(errors_are_captured_and_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(error_table, setup, teardown),
		cmocka_unit_test_setup_teardown(local_refusal_is_not_the_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(suspend_resume_timed, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_p2p_tunnelled_with_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_cancelled_by_progress_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_cancelled_by_flag_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_cancelled_by_watch_and_refused_abort_is_no_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_watch_woken_by_its_descriptor,
						setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_direct_and_bad_options, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_controls_and_converge, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_held_until_let_go, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_gone_hook_once_then_no_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_peer_events_until_gone, setup, teardown),
		cmocka_unit_test(fake_table_never_loads_libvirt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
