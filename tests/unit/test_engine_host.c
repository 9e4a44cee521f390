/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's real operations (engine_host.c) over a fake libvirt seam:
 * how vm_info reads a domain whose state changes while its job's question
 * waits for libvirt's lock (a migration that ends meanwhile).  What libvirt
 * really answers is seen in the lab (tests/lab/70-send.sh, part 10).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "support_virt.h"
#include "core/engine.h"
#include "core/plan.h"
#include "virt/virt.h"

static int dummy_dom;

static struct {
	int err_code;			/* the last error's code, 0 none */
	char err_msg[160];
	int states[4];			/* what each state() call answers, in turn */
	int n_states, state_calls;
	int job_type;			/* job_stats' answer when it answers */
	int job_err;			/* nonzero: job_stats fails with this code */
	int job_calls;
} fk;

static int f_last_error(virErrorPtr ret)
{
	if (!fk.err_code)
		return 0;
	memset(ret, 0, sizeof(*ret));
	ret->code = fk.err_code;
	ret->message = strdup(fk.err_msg);
	return 1;
}

static virDomainPtr f_lookup_uuid(virConnectPtr c, const char *uuid)
{
	(void)c;
	(void)uuid;
	return (virDomainPtr)&dummy_dom;
}

static int f_dom_free(virDomainPtr d)
{
	(void)d;
	return 0;
}

static const char *f_dom_name(virDomainPtr d)
{
	(void)d;
	return "vm1";
}

static int f_state(virDomainPtr d, int *st, int *reason, unsigned int flags)
{
	int i = fk.state_calls < fk.n_states ? fk.state_calls : fk.n_states - 1;

	(void)d;
	(void)flags;
	fk.state_calls++;
	*st = fk.states[i];
	*reason = *st == VIR_DOMAIN_SHUTOFF ? VIR_DOMAIN_SHUTOFF_MIGRATED : 1;
	return 0;
}

static int f_get_autostart(virDomainPtr d, int *on)
{
	(void)d;
	*on = 0;
	return 0;
}

static int f_job_stats(virDomainPtr d, int *type, virTypedParameterPtr *p, int *np,
		       unsigned int flags)
{
	(void)d;
	(void)flags;
	fk.job_calls++;
	if (fk.job_err) {
		fk.err_code = fk.job_err;
		snprintf(fk.err_msg, sizeof(fk.err_msg), "Requested operation is not valid: "
			 "domain is not running");
		return -1;
	}
	*type = fk.job_type;
	*p = NULL;
	*np = 0;
	return 0;
}

static void f_params_free(virTypedParameterPtr p, int np)
{
	(void)np;
	free(p);
}

static const struct vvirt_api fake = {
	.open = tvirt_open, .close = tvirt_close, .lookup_uuid = f_lookup_uuid, .dom_free = f_dom_free,
	.dom_name = f_dom_name, .state = f_state, .get_autostart = f_get_autostart,
	.job_stats = f_job_stats, .last_error = f_last_error, .params_free = f_params_free,
	TVIRT_PARAMS,
};

static struct vplan plan;
static struct veng_real *real;

static int setup(void **st)
{
	struct veng_real_opts o = { .local_uri = "test:///here" };

	(void)st;
	memset(&fk, 0, sizeof(fk));
	memset(&plan, 0, sizeof(plan));
	snprintf(plan.vm_name, sizeof(plan.vm_name), "vm1");
	snprintf(plan.vm_uuid, sizeof(plan.vm_uuid), "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f");
	snprintf(plan.migration.uri, sizeof(plan.migration.uri), "test:///peer");
	vvirt_set_api(&fake);
	return veng_real_open(&plan, &o, &real, NULL);
}

static int teardown(void **st)
{
	(void)st;
	veng_real_close(real);
	real = NULL;
	vvirt_set_api(NULL);
	return 0;
}

static void set_states(int a, int b)
{
	fk.states[0] = a;
	fk.states[1] = b;
	fk.n_states = 2;
}

/* The VM ran here when asked; its migration ended while the job's question
 * waited; libvirt then refuses the question: shut off, no job, no error. */
static void test_here_job_refused_after_the_end(void **st)
{
	struct veng_vm vm;
	struct vh_error e = { 0 };

	(void)st;
	set_states(VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF);
	fk.job_err = VIR_ERR_OPERATION_INVALID;
	assert_int_equal(veng_real_ops.vm_info(real, VENG_HERE, "vm1", &vm, &e), 0);
	assert_int_equal(vm.state, VIR_DOMAIN_SHUTOFF);
	assert_int_equal(vm.reason, VIR_DOMAIN_SHUTOFF_MIGRATED);
	assert_false(vm.job);
	assert_int_equal(fk.job_calls, 1);
	assert_int_equal(fk.state_calls, 2);
}

/* Refused while the state read after still says running: something runs
 * (never "no job"), and no error either: the caller asks again. */
static void test_here_job_refused_while_active(void **st)
{
	struct veng_vm vm;
	struct vh_error e = { 0 };

	(void)st;
	set_states(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED);
	fk.job_err = VIR_ERR_OPERATION_INVALID;
	assert_int_equal(veng_real_ops.vm_info(real, VENG_HERE, "vm1", &vm, &e), 0);
	assert_int_equal(vm.state, VIR_DOMAIN_PAUSED);
	assert_true(vm.job);
}

/* Another failure of the question stays an error. */
static void test_here_job_error_stays(void **st)
{
	struct veng_vm vm;
	struct vh_error e = { 0 };

	(void)st;
	set_states(VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING);
	fk.job_err = VIR_ERR_INTERNAL_ERROR;
	assert_true(veng_real_ops.vm_info(real, VENG_HERE, "vm1", &vm, &e) < 0);
	assert_true(e.code < 0);
}

/* A job that runs: the state is not read again (it goes with the job). */
static void test_here_job_runs(void **st)
{
	struct veng_vm vm;
	struct vh_error e = { 0 };

	(void)st;
	set_states(VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF);
	fk.job_type = VIR_DOMAIN_JOB_UNBOUNDED;
	assert_int_equal(veng_real_ops.vm_info(real, VENG_HERE, "vm1", &vm, &e), 0);
	assert_int_equal(vm.state, VIR_DOMAIN_RUNNING);
	assert_true(vm.job);
	assert_int_equal(fk.state_calls, 1);
}

/* No job: the state read after the question (the job ended meanwhile). */
static void test_here_no_job_state_after(void **st)
{
	struct veng_vm vm;
	struct vh_error e = { 0 };

	(void)st;
	set_states(VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING);
	fk.job_type = VIR_DOMAIN_JOB_NONE;
	assert_int_equal(veng_real_ops.vm_info(real, VENG_HERE, "vm1", &vm, &e), 0);
	assert_int_equal(vm.state, VIR_DOMAIN_RUNNING);
	assert_false(vm.job);
}

/* D: the same refusal after its domain stopped: no job. */
static void test_peer_job_refused_after_the_end(void **st)
{
	struct veng_vm vm;
	struct vh_error e = { 0 };

	(void)st;
	set_states(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF);
	fk.job_err = VIR_ERR_OPERATION_INVALID;
	assert_int_equal(veng_real_ops.vm_info(real, VENG_PEER, "vm1", &vm, &e), 0);
	assert_int_equal(vm.state, VIR_DOMAIN_SHUTOFF);
	assert_false(vm.job);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_here_job_refused_after_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_here_job_refused_while_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_here_job_error_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_here_job_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_here_no_job_state_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_job_refused_after_the_end, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
