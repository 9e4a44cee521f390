/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The contract orchestrators build on (docs/json.md, README's exit codes),
 * through vh_main() against a libvirt whose daemon is down (the vvirt_api
 * seam: every connection refused, as libvirt says it for a missing socket):
 * this host's libvirtd down is exit 15, the peer's 12; every JSON object
 * carries "schema": 1; the error object of a phase command carries the next
 * safe action; status gives words (with their sentences beside them) and
 * `next` as an object, and its text output stays the sentences; a result
 * that could not be written exits 16, never 0 or 1.  Which fields each
 * object has is tests/unit/json-docs-check.sh's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/engine.h"
#include "core/journal.h"
#include "virt/virt.h"
#include "support_cli.h"
#include "support_common.h"
#include "../../tools/vmhop.h"

#define PLAN_SEED "tests/fuzz/corpus/core_plan/one-disk.json"
#define UUID_A "1a2b3c4d-0000-4000-8000-00000000beef"

static char dir[64];
static char plan_a[96];
static struct vplan pa;

/* ---- libvirtd down: every connection refused ---------------------------- */

static virConnectPtr f_open(const char *uri)
{
	(void)uri;
	return NULL;
}

static int f_last_error(virErrorPtr ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->code = VIR_ERR_SYSTEM_ERROR;
	ret->message = strdup("Failed to connect socket to '/run/libvirt/libvirt-sock': "
			      "No such file or directory");
	return 1;
}

static const struct vvirt_api down = { .open = f_open, .last_error = f_last_error };

/* ---- a move prepared on S, its plan and journal ------------------------- */

static int setup(void **state)
{
	struct vh_error e = { 0 };
	struct veng_state st;
	struct vjournal *j;
	size_t len;
	char *text;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmhop-test-contract-XXXXXX");
	assert_non_null(mkdtemp(dir));
	text = tsupport_slurp(PLAN_SEED, &len);
	assert_non_null(text);
	assert_int_equal(vplan_parse(text, len, &pa, &e), 0);
	free(text);
	snprintf(pa.source.addr, sizeof(pa.source.addr), "127.0.0.1");	/* S is here */
	assert_int_equal(vjournal_open(dir, &pa, VPLAN_ROLE_SOURCE, &j, &e), 0);
	veng_state_init(&st, &pa, VPLAN_ROLE_SOURCE);
	st.helper_taken = st.res_created = st.primary = true;
	st.disks[0].md_created = st.disks[0].copy_created = st.disks[0].minor_created = true;
	st.last_phase = VENG_PREPARE;
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	vjournal_close(j);
	snprintf(plan_a, sizeof(plan_a), "%s/a.plan", dir);
	assert_int_equal(vplan_save(&pa, plan_a, false, &e), 0);
	vvirt_set_api(&down);
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

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static json_object *obj(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static bool one_of(const char *v, const char *const *words)
{
	for (; v && *words; words++)
		if (!strcmp(v, *words))
			return true;
	return false;
}

static void assert_schema(json_object *o)
{
	json_object *v = obj(o, "schema");

	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), VH_JSON_SCHEMA);
	assert_int_equal(VH_JSON_SCHEMA, 1);
}

/* ---- exit codes --------------------------------------------------------- */

static void exit_codes_mean_one_thing(void **state)
{
	(void)state;
	assert_int_equal(vh_exit_code(-EHOSTDOWN), VH_EXIT_LOCAL);
	assert_int_equal(VH_EXIT_LOCAL, 15);
	assert_int_equal(vh_exit_code(-ECONNREFUSED), VH_EXIT_PEER);
	assert_int_equal(vh_exit_code(-ECONNRESET), VH_EXIT_PEER);
	assert_int_equal(vh_exit_code(-ENOLINK), VH_EXIT_PEER);
	assert_int_equal(VH_EXIT_UNWRITTEN, 16);
	assert_int_equal(vh_exit_code(-ECANCELED), VH_EXIT_FAIL);
}

/* this host's libvirtd down: 15, with libvirt's words kept; the peer's: 12 */
static void local_libvirtd_down_is_not_the_peer(void **state)
{
	struct tcli r;
	json_object *o;

	(void)state;
	r = tcli_run(NULL, "--json", "virt", "state", "vm1", "--uri", "qemu:///system", NULL);
	assert_int_equal(r.rc, VH_EXIT_LOCAL);
	assert_int_equal(tcli_error_int(&r, "exit"), VH_EXIT_LOCAL);
	assert_int_equal(tcli_error_int(&r, "errno"), EHOSTDOWN);
	assert_non_null(strstr(r.err, "this host's libvirtd (qemu:///system) is not running or "
				      "refused the connection: connect to qemu:///system: Failed to "
				      "connect socket"));
	assert_non_null(o = tcli_last_json(&r));
	assert_schema(o);
	json_object_put(o);
	tcli_free(&r);

	r = tcli_run(NULL, "--json", "virt", "state", "vm1", "--uri", "qemu+tcp://hv2/system",
		     NULL);
	assert_int_equal(r.rc, VH_EXIT_PEER);
	assert_int_equal(tcli_error_int(&r, "errno"), ECONNREFUSED);
	tcli_free(&r);
}

/* A phase that fails here with the move's state on this host: the error
 * object says, as the text output does, what is safe now. */
static void phase_error_carries_next(void **state)
{
	struct tcli r;
	json_object *o, *n, *err;
	char cmd[200];

	(void)state;
	r = tcli_run(NULL, "--json", "abort", "--plan", plan_a, "--state-dir", dir, NULL);
	assert_int_equal(r.rc, VH_EXIT_LOCAL);	/* libvirt here is down: nothing undone */
	assert_non_null(strstr(r.err, "nothing undone"));
	assert_non_null(o = tcli_last_json(&r));
	assert_schema(o);
	assert_non_null(err = obj(o, "error"));
	assert_int_equal(json_object_get_int(obj(err, "exit")), VH_EXIT_LOCAL);
	assert_non_null(n = obj(o, "next"));
	assert_string_equal(str(n, "action"), "bridge");
	snprintf(cmd, sizeof(cmd), "vmhop bridge --plan %s", plan_a);
	assert_string_equal(str(n, "command"), cmd);
	assert_string_equal(str(n, "host"), pa.source.host);
	assert_string_equal(str(n, "role"), "source");
	assert_string_equal(str(n, "text"), "vmhop bridge");
	json_object_put(o);
	tcli_free(&r);

	/* the text output keeps its line on stderr */
	r = tcli_run(NULL, "abort", "--plan", plan_a, "--state-dir", dir, NULL);
	assert_int_equal(r.rc, VH_EXIT_LOCAL);
	assert_non_null(strstr(r.err, "vmhop: next safe action here: vmhop bridge (vmhop status "
				      "--plan "));
	assert_string_equal(r.out, "");
	tcli_free(&r);
}

/* A usage error: the error object alone, with its schema. */
static void usage_error_object(void **state)
{
	struct tcli r = tcli_run(NULL, "--json", "status", "--bogus", NULL);
	json_object *o, *err;

	(void)state;
	assert_int_equal(r.rc, VH_EXIT_USAGE);
	assert_non_null(o = tcli_last_json(&r));
	assert_schema(o);
	assert_non_null(err = obj(o, "error"));
	assert_int_equal(json_object_object_length(o), 2);	/* schema, error: no next */
	assert_int_equal(json_object_object_length(err), 3);	/* exit, errno, message */
	assert_int_equal(json_object_get_int(obj(err, "exit")), VH_EXIT_USAGE);
	assert_int_equal(json_object_get_int(obj(err, "errno")), EINVAL);
	json_object_put(o);
	tcli_free(&r);
}

/* ---- status: words, their sentences beside them, next as an object ------ */

static void status_gives_values(void **state)
{
	static const char *const vm_words[] = {
		"running", "paused", "shutoff", "shutdown", "blocked", "crashed", "pmsuspended",
		"nostate", "undefined", "unknown", NULL,
	};
	static const char *const lv_words[] = { "present", "inactive", "absent", "unknown", NULL };
	static const char *const maps_words[] = { "drbd", "own", "none", "unknown", NULL };
	static const char *const sync_words[] = {
		"in-sync", "out-of-sync", "resyncing", "no-device", "no-disk", "unknown", NULL,
	};
	struct tcli r = tcli_run(NULL, "--json", "status", "vh-1a2b3c4d", "--state-dir", dir, NULL);
	json_object *o, *d, *n;
	char cmd[200];

	(void)state;
	if (r.rc)
		fprintf(stderr, "rc %d err [%s] out [%s]\n", r.rc, r.err, r.out);
	assert_int_equal(r.rc, 0);
	assert_non_null(o = json_tokener_parse(r.out));
	assert_schema(o);
	/* libvirt here is down: a fact unknown, and why */
	assert_string_equal(str(o, "vm_here"), "unknown");
	assert_string_equal(str(o, "vm_here_text"), "unknown");
	assert_non_null(strstr(str(o, "vm_here_error"), "this host's libvirtd"));
	assert_true(one_of(str(o, "vm_here"), vm_words));
	assert_non_null(d = json_object_array_get_idx(obj(o, "disks"), 0));
	assert_true(one_of(str(d, "sync"), sync_words));
	assert_non_null(str(d, "sync_text"));
	assert_true(one_of(str(d, "lv_here"), lv_words));
	assert_non_null(str(d, "lv_here_text"));
	assert_true(one_of(str(d, "md_lv_here"), lv_words));
	assert_true(one_of(str(d, "lv_maps"), maps_words));
	assert_non_null(str(d, "lv_maps_text"));
	/* next: a value, the command (no plan file given: FILE), the host */
	assert_non_null(n = obj(o, "next"));
	assert_true(json_object_is_type(n, json_type_object));
	assert_string_equal(str(n, "action"), "bridge");
	assert_string_equal(str(n, "command"), "vmhop bridge --plan FILE");
	assert_string_equal(str(n, "host"), pa.source.host);
	assert_string_equal(str(n, "role"), "source");
	assert_string_equal(str(n, "text"), "vmhop bridge");
	json_object_put(o);
	tcli_free(&r);

	/* with the plan file: the command names it */
	r = tcli_run(NULL, "--json", "status", "--plan", plan_a, "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(o = json_tokener_parse(r.out));
	snprintf(cmd, sizeof(cmd), "vmhop bridge --plan %s", plan_a);
	assert_string_equal(str(obj(o, "next"), "command"), cmd);
	json_object_put(o);
	tcli_free(&r);

	/* for people: the sentences, as before the values came */
	r = tcli_run(NULL, "status", "vh-1a2b3c4d", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "\nnext: vmhop bridge\n"));
	assert_non_null(strstr(r.out, "\nvm_here: unknown\n"));
	assert_non_null(strstr(r.out, "    sync: "));
	assert_null(strstr(r.out, "_text"));
	assert_null(strstr(r.out, "schema"));
	assert_null(strstr(r.out, "action"));
	tcli_free(&r);
}

/* A move nobody is told of is not a success, nor "any other failure". */
static void unwritten_result_is_16(void **state)
{
	struct tcli r;

	(void)state;
	r = tcli_run("/dev/full", "--json", "status", "vh-1a2b3c4d", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, VH_EXIT_UNWRITTEN);
	assert_non_null(strstr(r.err, "write error on standard output"));
	tcli_free(&r);
	/* a failure keeps its own code */
	r = tcli_run("/dev/full", "--json", "abort", "--plan", plan_a, "--state-dir", dir, NULL);
	assert_int_equal(r.rc, VH_EXIT_LOCAL);
	tcli_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_codes_mean_one_thing),
		cmocka_unit_test(local_libvirtd_down_is_not_the_peer),
		cmocka_unit_test(phase_error_carries_next),
		cmocka_unit_test(usage_error_object),
		cmocka_unit_test(status_gives_values),
		cmocka_unit_test(unwritten_result_is_16),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
