/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vmhop virt migrate` through vh_main() against a fake libvirt (the
 * vvirt_api seam): --force and --unsafe are two decisions (our cache check;
 * libvirt's VIR_MIGRATE_UNSAFE), and numbers are decimal and bounded so that
 * a timeout cannot overflow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virt/virt.h"
#include "support_cli.h"
#include "support_virt.h"
#include "../../tools/vmhop.h"

static int dummy_dom;

static struct {
	const char *cache;		/* of the VM's one LV disk */
	int migrate_calls;
	unsigned int flags;
} fk;

static virDomainPtr f_lookup(virConnectPtr c, const char *name)
{
	(void)c;
	return strcmp(name, "vm1") ? NULL : (virDomainPtr)&dummy_dom;
}

static int f_dom_free(virDomainPtr d)
{
	(void)d;
	return 0;
}

static char *f_xml(virDomainPtr d, unsigned int flags)
{
	char *s = NULL;

	(void)d; (void)flags;
	assert_true(asprintf(&s, "<domain><devices><disk type='block' device='disk'>"
			     "<driver name='qemu' type='raw' cache='%s'/><source dev='/dev/vg/vm1'/>"
			     "<target dev='vda' bus='virtio'/></disk></devices></domain>",
			     fk.cache) > 0);
	return s;
}

static int f_migrate_to_uri3(virDomainPtr d, const char *dconnuri, virTypedParameterPtr p,
			     unsigned int np, unsigned int flags)
{
	(void)d; (void)dconnuri; (void)p; (void)np;
	fk.migrate_calls++;
	fk.flags = flags;
	return 0;
}

static int f_job_stats(virDomainPtr d, int *type, virTypedParameterPtr *p, int *np,
		       unsigned int flags)
{
	(void)d; (void)flags;
	*type = VIR_DOMAIN_JOB_NONE;
	*p = NULL;
	*np = 0;
	return 0;
}

static int f_abort(virDomainPtr d)
{
	(void)d;
	return 0;
}

static int f_downtime(virDomainPtr d, unsigned long long ms, unsigned int flags)
{
	(void)d; (void)ms; (void)flags;
	return 0;
}

static void f_params_free(virTypedParameterPtr p, int np)
{
	tvirt_params_free(p, np);
}

static int f_last_error(virErrorPtr ret)
{
	(void)ret;
	return 0;
}

static const struct vvirt_api fake = {
	.open = tvirt_open, .close = tvirt_close, .lookup = f_lookup, .dom_free = f_dom_free,
	.xml = f_xml, .migrate_to_uri3 = f_migrate_to_uri3, .job_stats = f_job_stats,
	.abort_job = f_abort, .set_max_downtime = f_downtime, .last_error = f_last_error,
	.params_free = f_params_free, TVIRT_PARAMS,
};

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	vvirt_set_api(&fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vvirt_set_api(NULL);
	return 0;
}

static int migrate(const char *opt1, const char *opt2)
{
	struct tcli r = tcli_run(NULL, "--json", "virt", "migrate", "vm1", "qemu+tcp://hv2/system",
				 "--no-events", "--interval", "1", opt1, opt2, NULL);

	tcli_free(&r);
	return r.rc;
}

/* --force used to skip the cache check AND set VIR_MIGRATE_UNSAFE. */
static void force_and_unsafe_are_two_options(void **state)
{
	(void)state;
	fk.cache = "writeback";
	assert_int_equal(migrate(NULL, NULL), VH_EXIT_INVALID);	/* our check refuses */
	assert_int_equal(fk.migrate_calls, 0);
	assert_int_equal(migrate("--force", NULL), VH_EXIT_OK);
	assert_int_equal(fk.migrate_calls, 1);
	assert_int_equal(fk.flags & VIR_MIGRATE_UNSAFE, 0);	/* libvirt still checks */

	assert_int_equal(migrate("--unsafe", NULL), VH_EXIT_INVALID);	/* still ours to decide */
	assert_int_equal(fk.migrate_calls, 1);

	assert_int_equal(migrate("--force", "--unsafe"), VH_EXIT_OK);
	assert_int_equal(fk.migrate_calls, 2);
	assert_int_equal(fk.flags & VIR_MIGRATE_UNSAFE, VIR_MIGRATE_UNSAFE);

	fk.cache = "none";
	assert_int_equal(migrate(NULL, NULL), VH_EXIT_OK);
	assert_int_equal(fk.flags & VIR_MIGRATE_UNSAFE, 0);
	assert_int_equal(migrate("--unsafe", NULL), VH_EXIT_OK);
	assert_int_equal(fk.flags & VIR_MIGRATE_UNSAFE, VIR_MIGRATE_UNSAFE);
	assert_int_equal(fk.migrate_calls, 4);
}

/* --timeout S was multiplied by 1000 (then by 10^6) without a bound. */
static void timeouts_cannot_overflow(void **state)
{
	static const char *const bad[] = { "18446744073709551615", "18446744073709552", "604801",
					   "-1", "010", "1e3", "" };
	struct tcli r;

	(void)state;
	fk.cache = "none";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tcli_run(NULL, "--json", "virt", "migrate", "vm1", "qemu+tcp://hv2/system",
			     "--no-events", "--timeout", bad[i], NULL);
		if (r.rc != VH_EXIT_USAGE)
			fail_msg("--timeout '%s': exit %d", bad[i], r.rc);
		assert_int_equal(tcli_error_int(&r, "exit"), VH_EXIT_USAGE);
		tcli_free(&r);
		r = tcli_run(NULL, "--json", "virt", "events", "--timeout", bad[i], NULL);
		assert_int_equal(r.rc, VH_EXIT_USAGE);
		tcli_free(&r);
	}
	r = tcli_run(NULL, "--json", "virt", "migrate", "vm1", "qemu+tcp://hv2/system",
		     "--no-events", "--interval", "60001", NULL);
	assert_int_equal(r.rc, VH_EXIT_USAGE);
	tcli_free(&r);
	assert_int_equal(fk.migrate_calls, 0);
	assert_int_equal(migrate("--timeout", "604800"), VH_EXIT_OK);
	assert_int_equal(fk.migrate_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(force_and_unsafe_are_two_options, setup, teardown),
		cmocka_unit_test_setup_teardown(timeouts_cannot_overflow, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
