/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop tune, the program against a fake libvirt: its command line, the
 * moves it refuses (none here, aborted, D asked for libvirt's knobs), a
 * migration that does not run, and the running one told its max downtime
 * and bandwidth, recorded beside the journal.  DRBD's resync rate on a real
 * kernel, and libvirt's job as virsh sees it: tests/lab/70-send.sh part 12.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/engine.h"
#include "core/journal.h"
#include "virt/virt.h"
#include "support_cli.h"
#include "support_virt.h"
#include "support_common.h"
#include "../../tools/vmhop.h"

#define PLAN_SEED "tests/fuzz/corpus/core_plan/one-disk.json"

static char dir[64], plan_s[96], plan_d[96], record[160];
static int dummy_dom;

static struct {
	bool job;			/* a migration job runs */
	bool setting_up;		/* ... and has sent nothing yet */
	unsigned long long downtime;
	unsigned long speed;
	int sets;
} fk;

static int f_last_error(virErrorPtr ret)
{
	(void)ret;
	return 0;
}

static virDomainPtr f_lookup_uuid(virConnectPtr c, const char *uuid)
{
	(void)c; (void)uuid;
	return (virDomainPtr)&dummy_dom;
}

static const char *f_name(virDomainPtr d)
{
	(void)d;
	return "vm1";
}

static int f_free(virDomainPtr d)
{
	(void)d;
	return 0;
}

static int f_job_stats(virDomainPtr d, int *type, virTypedParameterPtr *p, int *np,
		       unsigned int flags)
{
	(void)d; (void)flags;
	*type = fk.job ? VIR_DOMAIN_JOB_UNBOUNDED : VIR_DOMAIN_JOB_NONE;
	*p = NULL;
	*np = 0;
	if (fk.job && !fk.setting_up) {
		*p = calloc(1, sizeof(**p));
		assert_non_null(*p);
		snprintf((*p)->field, sizeof((*p)->field), "%s", VIR_DOMAIN_JOB_DATA_TOTAL);
		(*p)->type = VIR_TYPED_PARAM_ULLONG;
		(*p)->value.ul = 1 << 20;
		*np = 1;
	}
	return 0;
}

static void f_params_free(virTypedParameterPtr p, int np)
{
	tvirt_params_free(p, np);
}

static int f_downtime(virDomainPtr d, unsigned long long ms, unsigned int flags)
{
	(void)d; (void)flags;
	fk.downtime = ms;
	fk.sets++;
	return 0;
}

static int f_speed(virDomainPtr d, unsigned long bw, unsigned int flags)
{
	(void)d; (void)flags;
	fk.speed = bw;
	fk.sets++;
	return 0;
}

static const struct vvirt_api fake = {
	.open = tvirt_open, .close = tvirt_close, .last_error = f_last_error,
	.lookup_uuid = f_lookup_uuid, .dom_name = f_name, .dom_free = f_free,
	.job_stats = f_job_stats, .params_free = f_params_free,
	.set_max_downtime = f_downtime, .set_max_speed = f_speed, TVIRT_PARAMS,
};

/* A move of @role with a journal after prepare (@aborted), its plan at @plan. */
static void make_move(enum vplan_role role, bool aborted, const char *uuid, char *plan)
{
	struct vh_error e = { 0 };
	struct veng_state st;
	struct vjournal *j;
	struct vplan p;
	size_t len;
	char *text = tsupport_slurp(PLAN_SEED, &len);

	assert_non_null(text);
	assert_int_equal(vplan_parse(text, len, &p, &e), 0);
	free(text);
	snprintf(p.vm_uuid, sizeof(p.vm_uuid), "%s", uuid);
	assert_int_equal(vname_resource(uuid, p.resource, sizeof(p.resource), &e), 0);
	assert_int_equal(vname_copy(p.resource, 0, p.disks[0].copy, sizeof(p.disks[0].copy), &e), 0);
	assert_int_equal(vname_md_lv(p.disks[0].vg, p.resource, 0, p.disks[0].md_lv,
				     sizeof(p.disks[0].md_lv), &e), 0);
	/* this host's address as the role's */
	snprintf(role == VPLAN_ROLE_SOURCE ? p.source.addr : p.dest.addr, sizeof(p.source.addr),
		 "127.0.0.1");
	assert_int_equal(vjournal_open(dir, &p, role, &j, &e), 0);
	veng_state_init(&st, &p, role);
	st.helper_taken = st.res_created = true;
	st.last_phase = VENG_PREPARE;
	st.aborted = aborted;
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	vjournal_close(j);
	assert_int_equal(vplan_save(&p, plan, false, &e), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmhop-test-tune-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(plan_s, sizeof(plan_s), "%s/s.plan", dir);
	snprintf(plan_d, sizeof(plan_d), "%s/d.plan", dir);
	make_move(VPLAN_ROLE_SOURCE, false, "1a2b3c4d-0000-4000-8000-00000000beef", plan_s);
	make_move(VPLAN_ROLE_DEST, false, "5e6f7a8b-0000-4000-8000-00000000beef", plan_d);
	snprintf(record, sizeof(record), "%s/1a2b3c4d-0000-4000-8000-00000000beef.tune", dir);
	memset(&fk, 0, sizeof(fk));
	vvirt_set_api(&fake);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	vvirt_set_api(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void command_line(void **state)
{
	static const char *const bad[][4] = {
		{ "tune", "--plan", "x", NULL },			/* nothing to change */
		{ "tune", "--max-downtime", "5", NULL },		/* no plan */
		{ "tune", "--plan", "x", "--max-downtime" },		/* (no value) */
	};
	struct tcli r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tcli_run(NULL, bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
		assert_int_equal(r.rc, 2);
		tcli_free(&r);
	}
	r = tcli_run(NULL, "tune", "--plan", plan_s, "--max-downtime", "0", NULL);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "--max-downtime takes 1..2000000 ms"));
	tcli_free(&r);
	r = tcli_run(NULL, "tune", "--plan", plan_s, "--bandwidth", "01", NULL);
	assert_int_equal(r.rc, 2);
	tcli_free(&r);
	r = tcli_run(NULL, "tune", "--help", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "--resync-rate R"));
	tcli_free(&r);
}

/* Refused, nothing changed, nothing recorded. */
static void refusals(void **state)
{
	struct stat sb;
	struct tcli r;

	(void)state;
	/* S: no migration runs (the VM still syncs) */
	r = tcli_run(NULL, "tune", "--plan", plan_s, "--state-dir", dir, "--max-downtime", "50",
		     NULL);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "no migration of VM"));
	tcli_free(&r);
	/* S: the job still setting up (D's QEMU starting): libvirt would put
	 * its own parameters over these */
	fk.job = fk.setting_up = true;
	r = tcli_run(NULL, "tune", "--plan", plan_s, "--state-dir", dir, "--bandwidth", "5", NULL);
	assert_int_equal(r.rc, 5);
	assert_non_null(strstr(r.err, "still setting up"));
	tcli_free(&r);
	fk.job = fk.setting_up = false;
	/* D: libvirt's knobs are S's */
	r = tcli_run(NULL, "tune", "--plan", plan_d, "--state-dir", dir, "--bandwidth", "5", NULL);
	assert_int_equal(r.rc, 4);
	assert_non_null(strstr(r.err, "runs on the source"));
	tcli_free(&r);
	/* a move without a journal here */
	r = tcli_run(NULL, "tune", "--plan", plan_s, "--state-dir", "/tmp", "--bandwidth", "5",
		     NULL);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "no journal"));
	tcli_free(&r);
	assert_int_equal(fk.sets, 0);
	assert_int_equal(stat(record, &sb), -1);
}

static void aborted_move(void **state)
{
	char plan_x[96];
	struct tcli r;

	(void)state;
	snprintf(plan_x, sizeof(plan_x), "%s/x.plan", dir);
	make_move(VPLAN_ROLE_SOURCE, true, "9c8d7e6f-0000-4000-8000-00000000beef", plan_x);
	fk.job = true;
	r = tcli_run(NULL, "tune", "--plan", plan_x, "--state-dir", dir, "--max-downtime", "50",
		     NULL);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "(aborted): nothing to tune"));
	tcli_free(&r);
	assert_int_equal(fk.sets, 0);
}

/* The running migration told both, each recorded. */
static void running_migration(void **state)
{
	json_object *o, *c;
	struct tcli r;
	size_t len;
	char *text;

	(void)state;
	fk.job = true;
	r = tcli_run(NULL, "--json", "tune", "--plan", plan_s, "--state-dir", dir,
		     "--max-downtime", "50", "--bandwidth", "7", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(fk.downtime, 50);
	assert_int_equal(fk.speed, 7);
	o = tcli_last_json(&r);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "record")), record);
	c = json_object_object_get(o, "changes");
	assert_int_equal(json_object_array_length(c), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(c, 0), "what")), "max-downtime");
	json_object_put(o);
	tcli_free(&r);
	/* again: a second line */
	r = tcli_run(NULL, "tune", "--plan", plan_s, "--state-dir", dir, "--bandwidth", "9", NULL);
	assert_int_equal(r.rc, 0);
	tcli_free(&r);
	text = tsupport_slurp(record, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"what\":\"max-downtime\",\"target\":\"libvirt\",\"value\":50"));
	assert_non_null(strstr(text, "\"what\":\"bandwidth\",\"target\":\"libvirt\",\"value\":9"));
	assert_non_null(strchr(strchr(text, '\n') + 1, '\n'));	/* two lines */
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(command_line, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(aborted_move, setup, teardown),
		cmocka_unit_test_setup_teardown(running_migration, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
