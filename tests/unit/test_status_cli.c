/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop status, the parts that read only the state directory: the listing
 * of every move with a journal (one unreadable journal is a line, not a
 * failure), and the errors of status RESOURCE and status --plan (unknown
 * resource: exit 3; a corrupt or truncated journal: exit 4 naming the file,
 * nothing changed).  What status reads from the host is proven in the lab
 * (tests/lab/61-refuse.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/file.h"
#include "core/engine.h"
#include "core/journal.h"
#include "core/reserve.h"
#include "support_cli.h"
#include "support_common.h"

#define PLAN_SEED "tests/fuzz/corpus/core_plan/one-disk.json"
#define UUID_A "1a2b3c4d-0000-4000-8000-00000000beef"
#define UUID_B "5e6f7a8b-0000-4000-8000-00000000beef"

static char dir[64];
static char plan_b[96];		/* a plan for move B whose source is this host */

/* Move @uuid in @dir, as if prepare ran on S: a real journal. */
static void make_move(const char *uuid, const char *vm, bool aborted, struct vplan *ret)
{
	struct vh_error e = { 0 };
	struct veng_state st;
	struct vjournal *j;
	struct vplan p;
	size_t len;
	char *text;

	/* The seed is a checked-out file (0644): parsed, not loaded as a plan. */
	text = tsupport_slurp(PLAN_SEED, &len);
	assert_non_null(text);
	assert_int_equal(vplan_parse(text, len, &p, &e), 0);
	free(text);
	snprintf(p.vm_uuid, sizeof(p.vm_uuid), "%s", uuid);
	snprintf(p.vm_name, sizeof(p.vm_name), "%s", vm);
	assert_int_equal(vname_resource(uuid, p.resource, sizeof(p.resource), &e), 0);
	assert_int_equal(vname_copy(p.resource, 0, p.disks[0].copy, sizeof(p.disks[0].copy), &e), 0);
	assert_int_equal(vname_md_lv(p.disks[0].vg, p.resource, 0, p.disks[0].md_lv, sizeof(p.disks[0].md_lv), &e),
			 0);
	snprintf(p.source.addr, sizeof(p.source.addr), "127.0.0.1");	/* S is here */
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	veng_state_init(&st, &p, VPLAN_ROLE_SOURCE);
	st.helper_taken = st.res_created = st.primary = true;
	st.disks[0].md_created = st.disks[0].copy_created = st.disks[0].minor_created = true;
	st.last_phase = VENG_PREPARE;
	st.aborted = aborted;
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	vjournal_close(j);
	*ret = p;
}

static char *slurp(const char *path, size_t *len)
{
	struct vh_error e = { 0 };
	char *text;

	assert_int_equal(vfile_read(path, 1 << 20, &text, len, &e), 0);
	return text;
}

static int setup(void **state)
{
	struct vh_error e = { 0 };
	struct vplan a, b;
	char path[160];
	char *text;
	size_t len;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/vmhop-test-status-XXXXXX");
	assert_non_null(mkdtemp(dir));
	make_move(UUID_A, "alpha", false, &a);
	make_move(UUID_B, "beta", false, &b);
	snprintf(plan_b, sizeof(plan_b), "%s/b.plan", dir);
	assert_int_equal(vplan_save(&b, plan_b, false, &e), 0);
	/* B's journal truncated in the middle, as a full disk or a bad copy leaves it */
	snprintf(path, sizeof(path), "%s/%s.journal", dir, UUID_B);
	text = slurp(path, &len);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len / 2, f), len / 2);
	fclose(f);
	free(text);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void listing_shows_every_move_and_the_unreadable_one(void **state)
{
	struct tcli r = tcli_run(NULL, "status", "--state-dir", dir, NULL);
	char want[256];
	json_object *top, *arr, *o, *v, *n;

	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "vh-1a2b3c4d  VM alpha  source  last phase prepare  next: "
				      "vmhop bridge"));
	snprintf(want, sizeof(want), "%s/%s.journal: unreadable: journal %s/%s.journal is corrupt",
		 dir, UUID_B, dir, UUID_B);
	assert_non_null(strstr(r.out, want));
	tcli_free(&r);

	r = tcli_run(NULL, "--json", "status", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(top = json_tokener_parse(r.out));
	assert_true(json_object_object_get_ex(top, "schema", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(top, "moves", &arr));
	assert_true(json_object_is_type(arr, json_type_array));
	assert_int_equal(json_object_array_length(arr), 2);
	o = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(o, "resource", &v));
	assert_string_equal(json_object_get_string(v), "vh-1a2b3c4d");
	assert_true(json_object_object_get_ex(o, "role", &v));
	assert_string_equal(json_object_get_string(v), "source");
	assert_true(json_object_object_get_ex(o, "last_phase", &v));
	assert_string_equal(json_object_get_string(v), "prepare");
	assert_true(json_object_object_get_ex(o, "aborted", &v));
	assert_false(json_object_get_boolean(v));
	/* the next action: a value, the command, the host, and the words */
	assert_true(json_object_object_get_ex(o, "next", &n));
	assert_true(json_object_object_get_ex(n, "action", &v));
	assert_string_equal(json_object_get_string(v), "bridge");
	assert_true(json_object_object_get_ex(n, "command", &v));
	assert_string_equal(json_object_get_string(v), "vmhop bridge --plan FILE");
	assert_true(json_object_object_get_ex(n, "role", &v));
	assert_string_equal(json_object_get_string(v), "source");
	assert_true(json_object_object_get_ex(n, "text", &v));
	assert_string_equal(json_object_get_string(v), "vmhop bridge");
	o = json_object_array_get_idx(arr, 1);
	assert_false(json_object_object_get_ex(o, "resource", &v));
	assert_true(json_object_object_get_ex(o, "error", &v));
	assert_non_null(strstr(json_object_get_string(v), UUID_B ".journal is corrupt"));
	json_object_put(top);
	tcli_free(&r);
}

static void listing_of_an_empty_or_missing_dir(void **state)
{
	char missing[96];
	json_object *top, *arr;
	struct tcli r;
	struct stat sb;

	snprintf(missing, sizeof(missing), "%s/none", dir);
	r = tcli_run(NULL, "--json", "status", "--state-dir", missing, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(top = json_tokener_parse(r.out));
	assert_true(json_object_object_get_ex(top, "moves", &arr));
	assert_true(json_object_is_type(arr, json_type_array));
	assert_int_equal(json_object_array_length(arr), 0);
	json_object_put(top);
	tcli_free(&r);
	assert_int_equal(stat(missing, &sb), -1);	/* status created nothing */
}

static void resource_errors(void **state)
{
	char want[256];
	struct tcli r;

	r = tcli_run(NULL, "status", "vh-00000000", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "no move of resource vh-00000000 has a journal in"));
	assert_null(strchr(strchr(r.err, '\n') + 1, '\n'));	/* one line */
	tcli_free(&r);

	/* B's own journal is the truncated one: exit 4 naming it, not "not found" */
	r = tcli_run(NULL, "status", "vh-5e6f7a8b", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 4);
	snprintf(want, sizeof(want), "journal %s/%s.journal is corrupt or truncated", dir, UUID_B);
	assert_non_null(strstr(r.err, want));
	tcli_free(&r);

	r = tcli_run(NULL, "status", "--plan", plan_b, "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 4);
	assert_non_null(strstr(r.err, want));
	tcli_free(&r);

	r = tcli_run(NULL, "status", "not/a/resource", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 4);
	tcli_free(&r);

	r = tcli_run(NULL, "status", "vh-1a2b3c4d", "--plan", plan_b, NULL);
	assert_int_equal(r.rc, 2);
	tcli_free(&r);
}

/* The phase commands refuse the truncated journal the same way, and leave it
 * as it was. */
static void phase_refuses_truncated_journal(void **state)
{
	char path[160], want[256];
	char *before, *after;
	size_t lb, la;
	struct tcli r;

	snprintf(path, sizeof(path), "%s/%s.journal", dir, UUID_B);
	before = slurp(path, &lb);
	r = tcli_run(NULL, "abort", "--plan", plan_b, "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 4);
	snprintf(want, sizeof(want), "journal %s is corrupt or truncated", path);
	assert_non_null(strstr(r.err, want));
	tcli_free(&r);
	after = slurp(path, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(after, before, lb);
	free(before);
	free(after);
}

/*
 * status RESOURCE shows the usermode helper and each disk's sync as facts of
 * their own, read from the host.  This build host has no drbd module: both
 * are "unknown" with the reason, the journal's saved original is still
 * shown next to the record's, and the command succeeds.
 */
static void move_shows_helper_and_sync(void **state)
{
	struct tcli r = tcli_run(NULL, "--json", "status", "vh-1a2b3c4d", "--state-dir", dir, NULL);
	json_object *o, *v, *d;

	if (r.rc)
		fprintf(stderr, "rc %d err [%s] out [%s]\n", r.rc, r.err, r.out);
	assert_int_equal(r.rc, 0);
	assert_non_null(o = json_tokener_parse(r.out));
	assert_true(json_object_object_get_ex(o, "usermode_helper", &v));
	if (json_object_is_type(v, json_type_string)) {
		/* no drbd module here: the parameter does not exist */
		assert_string_equal(json_object_get_string(v), "unknown");
		assert_true(json_object_object_get_ex(o, "usermode_helper_error", &v));
		assert_non_null(strstr(json_object_get_string(v), "usermode_helper does not exist"));
	} else {
		assert_true(json_object_object_get_ex(v, "current", &d));
		assert_true(json_object_object_get_ex(v, "held_for_this_move", &d));
		assert_true(json_object_object_get_ex(v, "journal_original", &d));
	}
	assert_true(json_object_object_get_ex(o, "disks", &v));
	d = json_object_array_get_idx(v, 0);
	assert_non_null(d);
	assert_true(json_object_object_get_ex(d, "sync", &v));
	assert_true(json_object_object_get_ex(d, "out_of_sync_kib", &v) ||
		    json_object_object_get_ex(d, "cstate_error", &v) ||
		    json_object_object_get_ex(d, "cstate", &v));
	json_object_put(o);
	tcli_free(&r);

	/* the same facts in the text output */
	r = tcli_run(NULL, "status", "vh-1a2b3c4d", "--state-dir", dir, NULL);
	if (r.rc)
		fprintf(stderr, "rc %d err [%s] out [%s]\n", r.rc, r.err, r.out);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "\nusermode_helper"));
	assert_non_null(strstr(r.out, "    sync: "));
	tcli_free(&r);
}

/*
 * The plan's address is gone from this host (an interface down after a
 * reboot): the journal of the move begun here still gives the role, so
 * abort runs (here it stops at libvirt, which this build host lacks, with
 * nothing undone) instead of refusing "neither address".  Without a
 * journal: the refusal.
 */
static void role_from_the_journal_when_the_address_is_gone(void **state)
{
	static const char uuid[] = "9a9b9c9d-0000-4000-8000-00000000c0de";
	struct vh_error e = { 0 };
	char plan_c[96], path[160];
	struct vplan c;
	struct tcli r;

	struct veng_state st;
	struct vjournal *j;

	make_move(uuid, "gamma", false, &c);
	snprintf(path, sizeof(path), "%s/%s.journal", dir, uuid);
	assert_int_equal(unlink(path), 0);
	/* begun here as the source, the address since gone (TEST-NET-3, the
	 * documentation range: no host has it) */
	snprintf(c.source.addr, sizeof(c.source.addr), "203.0.113.1");
	snprintf(c.dest.addr, sizeof(c.dest.addr), "203.0.113.2");
	assert_int_equal(vjournal_open(dir, &c, VPLAN_ROLE_SOURCE, &j, &e), 0);
	veng_state_init(&st, &c, VPLAN_ROLE_SOURCE);
	st.helper_taken = true;
	st.last_phase = VENG_PREFLIGHT;
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	vjournal_close(j);
	snprintf(plan_c, sizeof(plan_c), "%s/c.plan", dir);
	assert_int_equal(vplan_save(&c, plan_c, false, &e), 0);
	r = tcli_run(NULL, "abort", "--plan", plan_c, "--state-dir", dir, NULL);
	assert_null(strstr(r.err, "neither address"));
	assert_non_null(strstr(r.err, "nothing undone"));
	assert_true(r.rc != 0 && r.rc != 13);
	tcli_free(&r);
	/* no journal of the move: the plan is not this host's */
	assert_int_equal(unlink(path), 0);
	r = tcli_run(NULL, "abort", "--plan", plan_c, "--state-dir", dir, NULL);
	assert_non_null(strstr(r.err, "neither address"));
	tcli_free(&r);
}


/* Issue 21: every move of the host with its phase, a move only planned
 * (vmhop plan's claim) among them, and a move with a per-plan resource name
 * found by that name. */
static void listing_shows_planned_moves_with_their_phase(void **state)
{
	struct vh_error e = { 0 };
	struct vplan c;
	struct tcli r;
	json_object *top, *arr, *o, *v;
	char path[160];
	size_t len;
	char *text;
	bool seen = false;

	(void)state;
	text = tsupport_slurp(PLAN_SEED, &len);
	assert_non_null(text);
	assert_int_equal(vplan_parse(text, len, &c, &e), 0);
	free(text);
	snprintf(c.vm_uuid, sizeof(c.vm_uuid), "%s", "9a9b9c9d-0000-4000-8000-00000000beef");
	snprintf(c.vm_name, sizeof(c.vm_name), "gamma");
	assert_int_equal(vname_resource_move(c.vm_uuid, 0x5e6f7a, c.resource, sizeof(c.resource),
					     &e), 0);
	assert_int_equal(vname_copy(c.resource, 0, c.disks[0].copy, sizeof(c.disks[0].copy), &e), 0);
	assert_int_equal(vname_md_lv(c.disks[0].vg, c.resource, 0, c.disks[0].md_lv,
				     sizeof(c.disks[0].md_lv), &e), 0);
	assert_int_equal(vres_claim_plan(dir, &c, &e), 0);

	r = tcli_run(NULL, "status", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "vh-9a9b9c9d-5e6f7a  VM gamma  source  last phase none  PLANNED"));
	assert_non_null(strstr(r.out, "vh-1a2b3c4d  VM alpha  source  last phase prepare"));
	tcli_free(&r);
	r = tcli_run(NULL, "--json", "status", "--state-dir", dir, NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(top = json_tokener_parse(r.out));
	assert_true(json_object_object_get_ex(top, "moves", &arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "vm", &v) || strcmp(json_object_get_string(v), "gamma"))
			continue;
		assert_true(json_object_object_get_ex(o, "phase", &v));
		assert_string_equal(json_object_get_string(v), "planned");
		seen = true;
	}
	assert_true(seen);
	json_object_put(top);
	tcli_free(&r);
	/* found by its resource name */
	r = tcli_run(NULL, "status", "--state-dir", dir, "vh-9a9b9c9d-5e6f7a", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "gamma"));
	tcli_free(&r);
	snprintf(path, sizeof(path), "%s/9a9b9c9d-0000-4000-8000-00000000beef.journal", dir);
	assert_int_equal(unlink(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listing_shows_every_move_and_the_unreadable_one),
		cmocka_unit_test(listing_of_an_empty_or_missing_dir),
		cmocka_unit_test(listing_shows_planned_moves_with_their_phase),
		cmocka_unit_test(resource_errors),
		cmocka_unit_test(phase_refuses_truncated_journal),
		cmocka_unit_test(move_shows_helper_and_sync),
		cmocka_unit_test(role_from_the_journal_when_the_address_is_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
