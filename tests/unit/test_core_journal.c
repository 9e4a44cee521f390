/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: steps and their data survive a reload; the file is 0600 and
 * replaced atomically; locks keep a second vmhop out; a corrupt, truncated
 * or foreign file is refused whole, and left as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "support_common.h"

#include "core/engine.h"
#include "core/journal.h"
#include "meta/meta.h"

#define UUID "1a2b3c4d-0000-4000-8000-00000000beef"
#define TABLE "0 409600 linear 254:3 0\n409600 8192 linear 254:4 2048"

static char dir[64];

static void make_plan(struct vplan *p)
{
	struct vplan_disk *d = &p->disks[0];

	memset(p, 0, sizeof(*p));
	p->version = VPLAN_VERSION;
	snprintf(p->vm_name, sizeof(p->vm_name), "busy");
	snprintf(p->vm_uuid, sizeof(p->vm_uuid), UUID);
	assert_int_equal(vname_resource(p->vm_uuid, p->resource, sizeof(p->resource), NULL), 0);
	p->port = 7788;
	p->source = (struct vplan_host){ .host = "hv1", .addr = "169.254.77.1", .family = AF_INET };
	p->dest = (struct vplan_host){ .host = "hv2", .addr = "169.254.77.2", .family = AF_INET };
	p->n_disks = 1;
	snprintf(d->target, sizeof(d->target), "vda");
	snprintf(d->vg, sizeof(d->vg), "vg");
	snprintf(d->lv, sizeof(d->lv), "busy");
	d->size = 209715200;
	d->minor = 100;
	assert_int_equal(vname_copy(p->resource, 0, d->copy, sizeof(d->copy), NULL), 0);
	assert_int_equal(vname_md_lv("vg", p->resource, 0, d->md_lv, sizeof(d->md_lv), NULL), 0);
	d->md_index = VMETA_INDEX_FLEX;
	assert_int_equal(vmeta_min_md_bytes(d->md_index, d->size, &d->md_bytes, NULL), 0);
	p->drbd = (struct vplan_drbd){ .protocol = "C", .cram_hmac_alg = "sha256",
				       .shared_secret = "00112233445566778899aabbccddeeff0011223344556677",
				       .resync_rate = 102400, .c_delay_target = 10,
				       .c_fill_target = 100, .c_max_rate = 102400, .c_min_rate = 250,
				       .after_sb_0pri = "disconnect", .after_sb_1pri = "disconnect",
				       .after_sb_2pri = "disconnect", .rr_conflict = "disconnect" };
	snprintf(p->migration.uri, sizeof(p->migration.uri), "qemu+ssh://hv2/system");
	p->timeouts = (struct vplan_timeouts){ 60, 86400, 120, 3600, 300 };
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vmhop-journal-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* The state directory itself is created by the journal. */
	strcat(dir, "/state");
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static char *journal_path(void)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s.journal", dir, UUID);
	return p;
}

static void steps_survive_a_reload(void **state)
{
	const struct vjournal_kv data[] = { { "lv", "vg/vh-1a2b3c4d_0.vhmd" }, { "bytes", "1048576" } };
	struct vh_error e = { 0 };
	const struct vjournal_step *s;
	struct vjournal *j;
	struct vplan p;
	struct stat st;
	char tmp[160];

	(void)state;
	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* Nothing is written before the first step. */
	assert_int_equal(access(journal_path(), F_OK), -1);
	assert_int_equal(vjournal_begin(j, "md-lv:0", data, 2, &e), 0);
	assert_int_equal(stat(journal_path(), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vjournal_done(j, "md-lv:0", &e), 0);
	assert_int_equal(vjournal_begin(j, "bridge:0", NULL, 0, &e), 0);
	assert_int_equal(vjournal_set(j, "bridge:0", "table", TABLE, &e), 0);
	assert_int_equal(vjournal_set(j, "bridge:0", "table", TABLE "\n", &e), 0);	/* replaced */
	assert_int_equal(vjournal_begin(j, "helper", NULL, 0, &e), 0);
	assert_int_equal(vjournal_set(j, "helper", "original", "/sbin/drbdadm", &e), 0);
	assert_int_equal(vjournal_undone(j, "helper", &e), 0);
	/* No temporary file is left behind. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", journal_path());
	assert_int_equal(access(tmp, F_OK), -1);
	vjournal_close(j);

	assert_int_equal(vjournal_open_vm(dir, UUID, &j, &e), 0);
	assert_int_equal(vjournal_role(j), VPLAN_ROLE_SOURCE);
	assert_string_equal(vjournal_plan(j)->drbd.shared_secret, p.drbd.shared_secret);
	assert_int_equal(vjournal_count(j), 3);
	s = vjournal_step_at(j, 0);
	assert_string_equal(s->id, "md-lv:0");
	assert_int_equal(s->state, VJ_DONE);
	assert_string_equal(vjournal_get(s, "lv"), "vg/vh-1a2b3c4d_0.vhmd");
	assert_string_equal(vjournal_get(s, "bytes"), "1048576");
	assert_null(vjournal_get(s, "nothing"));
	s = vjournal_find(j, "bridge:0");
	assert_int_equal(s->state, VJ_STARTED);
	assert_string_equal(vjournal_get(s, "table"), TABLE "\n");
	assert_int_equal(vjournal_find(j, "helper")->state, VJ_UNDONE);
	assert_null(vjournal_step_at(j, 3));
	vjournal_close(j);
}

static void transitions(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j;
	struct vplan p;

	(void)state;
	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_DEST, &j, &e), 0);
	assert_int_equal(vjournal_begin(j, "copy:0", NULL, 0, &e), 0);
	assert_int_equal(vjournal_begin(j, "copy:0", NULL, 0, &e), -EEXIST);
	assert_int_equal(vjournal_done(j, "copy:0", &e), 0);
	assert_int_equal(vjournal_done(j, "copy:0", &e), -EINVAL);
	assert_int_equal(vjournal_begin(j, "copy:0", NULL, 0, &e), -EEXIST);
	assert_int_equal(vjournal_set(j, "copy:0", "uuid", "VMHOP-vh-1a2b3c4d-0.copy", &e), 0);
	assert_int_equal(vjournal_undone(j, "copy:0", &e), 0);
	assert_int_equal(vjournal_undone(j, "copy:0", &e), -EINVAL);
	assert_int_equal(vjournal_done(j, "copy:0", &e), -EINVAL);
	/* An undone step may start again, without its old data. */
	assert_int_equal(vjournal_begin(j, "copy:0", NULL, 0, &e), 0);
	assert_null(vjournal_get(vjournal_find(j, "copy:0"), "uuid"));
	assert_int_equal(vjournal_count(j), 1);
	assert_int_equal(vjournal_done(j, "nosuch", &e), -ENOENT);
	assert_int_equal(vjournal_set(j, "nosuch", "k", "v", &e), -ENOENT);
	/* Bad ids, keys and values. */
	assert_int_equal(vjournal_begin(j, "Copy", NULL, 0, &e), -EINVAL);
	assert_int_equal(vjournal_begin(j, ":x", NULL, 0, &e), -EINVAL);
	assert_int_equal(vjournal_begin(j, "", NULL, 0, &e), -EINVAL);
	assert_int_equal(vjournal_set(j, "copy:0", "Bad-Key", "v", &e), -EINVAL);
	{
		char *big = malloc(VJOURNAL_VALUE_MAX + 2);

		memset(big, 'x', VJOURNAL_VALUE_MAX + 1);
		big[VJOURNAL_VALUE_MAX + 1] = '\0';
		assert_int_equal(vjournal_set(j, "copy:0", "table", big, &e), -EINVAL);
		big[VJOURNAL_VALUE_MAX] = '\0';
		assert_int_equal(vjournal_set(j, "copy:0", "table", big, &e), 0);
		free(big);
	}
	for (int i = 1; i < VJOURNAL_MAX_DATA; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(vjournal_set(j, "copy:0", k, "v", &e), 0);
	}
	assert_int_equal(vjournal_set(j, "copy:0", "one_more", "v", &e), -E2BIG);
	/* A step still "started" keeps the journal. */
	assert_int_equal(vjournal_remove(j, &e), -EBUSY);
	assert_int_equal(access(journal_path(), F_OK), 0);
	assert_int_equal(vjournal_done(j, "copy:0", &e), 0);
	assert_int_equal(vjournal_remove(j, &e), 0);
	assert_int_equal(access(journal_path(), F_OK), -1);
	vjournal_close(j);
	assert_int_equal(vjournal_open_vm(dir, UUID, &j, &e), -ENOENT);
}

static void locks(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j, *k;
	struct vplan p;
	int h1, h2;

	(void)state;
	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	/* flock is per open file: a second opener in this process is kept out too. */
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &k, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "another vmhop"));
	assert_int_equal(vjournal_open_vm(dir, UUID, &k, &e), -EBUSY);
	vjournal_close(j);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &k, &e), 0);
	vjournal_close(k);

	h1 = vjournal_host_lock(dir, 0, &e);
	assert_true(h1 >= 0);
	assert_int_equal(vjournal_host_lock(dir, 0, &e), -EBUSY);
	assert_int_equal(vjournal_host_lock(dir, 30, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "host lock"));
	vjournal_host_unlock(h1);
	h2 = vjournal_host_lock(dir, 0, &e);
	assert_true(h2 >= 0);
	vjournal_host_unlock(h2);
}

static void another_move_is_not_mixed_in(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j;
	struct vplan p;

	(void)state;
	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_begin(j, "prepare", NULL, 0, &e), 0);
	vjournal_close(j);
	/* The same plan, the same role: the journal goes on. */
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_count(j), 1);
	vjournal_close(j);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_DEST, &j, &e), -EEXIST);
	p.port = 7799;
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "different plan"));
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_NONE, &j, &e), -EINVAL);
	p.port = 0;
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), -ERANGE);
	assert_int_equal(vjournal_open_vm(dir, "../../etc/passwd", &j, &e), -EINVAL);
}

static void an_ended_move_makes_way_for_the_next(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j;
	struct vplan p;
	char prev[600];

	(void)state;
	make_plan(&p);
	for (int k = 0; k < 2; k++) {
		const char *last = k == 0 ? "aborted" : "done";

		/* a move of this VM that ended here ... */
		assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
		assert_int_equal(vjournal_begin(j, "prepare", NULL, 0, &e), 0);
		assert_int_equal(vjournal_begin(j, last, NULL, 0, &e), 0);
		/* ... started its last step but did not finish it: not ended */
		vjournal_close(j);
		p.port++;
		assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_DEST, &j, &e), -EEXIST);
		assert_non_null(strstr(e.msg, "has not ended"));
		p.port--;
		assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
		assert_int_equal(vjournal_done(j, last, &e), 0);
		vjournal_close(j);
		/* the next move (another plan, the other role): a fresh journal,
		 * the old one kept beside it */
		p.port++;
		assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_DEST, &j, &e), 0);
		assert_int_equal(vjournal_count(j), 0);
		assert_int_equal(vjournal_role(j), VPLAN_ROLE_DEST);
		assert_int_equal(vjournal_plan(j)->port, p.port);
		assert_int_equal(vjournal_begin(j, "prepare", NULL, 0, &e), 0);
		vjournal_close(j);
		snprintf(prev, sizeof(prev), "%s.prev", journal_path());
		assert_int_equal(access(prev, F_OK), 0);
		assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_DEST, &j, &e), 0);
		assert_int_equal(vjournal_count(j), 1);
		assert_int_equal(vjournal_done(j, "prepare", &e), 0);
		assert_int_equal(vjournal_remove(j, &e), 0);
		vjournal_close(j);
		(void)unlink(prev);
		p.port--;
	}
}

/* Write @text as the journal file and open it. */
static int open_text(const char *text, size_t len, struct vh_error *e)
{
	struct vjournal *j = NULL;
	int fd = open(journal_path(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	r = vjournal_open_vm(dir, UUID, &j, e);
	vjournal_close(j);
	return r;
}

static char *good_text(void)
{
	const struct vjournal_kv d[] = { { "table", TABLE } };
	struct vh_error e = { 0 };
	struct vjournal *j;
	struct vplan p;
	char *text;

	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_begin(j, "bridge:0", d, 1, &e), 0);
	assert_int_equal(vjournal_format(j, &text, &e), 0);
	vjournal_close(j);
	return text;
}

static void corrupt_files_are_refused(void **state)
{
	static const struct { const char *from, *to; int err; const char *msg; } edits[] = {
		{ "\"vmhop_journal\": 1", "\"vmhop_journal\": 2", -EPROTONOSUPPORT, "version 2" },
		{ "\"vmhop_journal\": 1", "\"vmhop_journa\": 1", -EBADMSG, "not a vmhop journal" },
		{ "\"role\": \"source\"", "\"role\": \"neither\"", -EINVAL, "role" },
		{ "\"state\": \"started\"", "\"state\": \"begun\"", -EINVAL, "state" },
		{ "\"id\": \"bridge:0\"", "\"id\": \"Bridge\"", -EINVAL, "steps[0]" },
		{ "\"id\": \"bridge:0\"", "\"id\": 7", -EINVAL, "steps[0].id must be a string" },
		{ "\"table\": \"", "\"Table\": \"", -EINVAL, "key" },
		{ "\"table\": \"", "\"table\": 1, \"x\": \"", -EINVAL, "must be a string" },
		{ "\"port\": 7788", "\"port\": 0", -ERANGE, "plan: field port" },
		{ "\"shared_secret\": \"", "\"shared_secret\": \" ", -EINVAL, "shared_secret" },
		{ "1a2b3c4d-0000-4000-8000-00000000beef", "2a2b3c4d-0000-4000-8000-00000000beef",
		  -EINVAL, "resource" },
		{ "\"steps\": [", "\"extra\": 1, \"steps\": [", -EINVAL, "unknown field extra" },
	};
	struct vh_error e = { 0 };
	char *text = good_text();
	size_t n = strlen(text);
	char *copy;
	int r;

	(void)state;
	assert_int_equal(open_text(text, n, &e), 0);
	/* Truncated at any point: refused, and the file is left for inspection. */
	for (size_t cut = 0; cut < n - 2; cut += 13) {
		struct stat st;

		r = open_text(text, cut, &e);
		if (r != -EBADMSG)
			fail_msg("cut at %zu: %d %s", cut, r, e.msg);
		assert_non_null(strstr(e.msg, "corrupt or truncated"));
		assert_int_equal(stat(journal_path(), &st), 0);
		assert_int_equal((size_t)st.st_size, cut);
	}
	/* One byte flipped into garbage. */
	copy = strdup(text);
	copy[n / 3] = '\x01';
	r = open_text(copy, n, &e);
	assert_true(r == -EBADMSG || r == -EINVAL);
	copy[n / 3] = text[n / 3];
	copy[0] = '[';
	assert_int_equal(open_text(copy, n, &e), -EBADMSG);
	free(copy);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(text, edits[i].from);
		size_t fl = strlen(edits[i].from), tl = strlen(edits[i].to);

		assert_non_null(at);
		copy = malloc(n - fl + tl + 1);
		memcpy(copy, text, (size_t)(at - text));
		memcpy(copy + (at - text), edits[i].to, tl);
		strcpy(copy + (at - text) + tl, at + fl);
		r = open_text(copy, strlen(copy), &e);
		if (r != edits[i].err || !strstr(e.msg, edits[i].msg))
			fail_msg("edit %zu: got %d '%s', expected %d '%s'", i, r, e.msg,
				 edits[i].err, edits[i].msg);
		free(copy);
	}
	/* A journal of another VM under this VM's name. */
	{
		struct vjournal *j;
		char other[160];
		struct vplan p;

		make_plan(&p);
		snprintf(p.vm_uuid, sizeof(p.vm_uuid), "2a2b3c4d-0000-4000-8000-00000000beef");
		assert_int_equal(vname_resource(p.vm_uuid, p.resource, sizeof(p.resource), NULL), 0);
		assert_int_equal(vname_copy(p.resource, 0, p.disks[0].copy, sizeof(p.disks[0].copy),
					    NULL), 0);
		assert_int_equal(vname_md_lv("vg", p.resource, 0, p.disks[0].md_lv,
					     sizeof(p.disks[0].md_lv), NULL), 0);
		assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
		assert_int_equal(vjournal_begin(j, "x", NULL, 0, &e), 0);
		snprintf(other, sizeof(other), "%s", vjournal_path(j));
		vjournal_close(j);
		assert_int_equal(rename(other, journal_path()), 0);
		assert_int_equal(vjournal_open_vm(dir, UUID, &j, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, "is for VM 2a2b3c4d"));
	}
	/* A directory where the file should be, a file too large. */
	assert_int_equal(unlink(journal_path()), 0);
	assert_int_equal(mkdir(journal_path(), 0700), 0);
	{
		struct vjournal *j;

		assert_int_equal(vjournal_open_vm(dir, UUID, &j, &e), -EINVAL);
		assert_int_equal(rmdir(journal_path()), 0);
		copy = calloc(1, VJOURNAL_FILE_MAX + 2);
		memset(copy, ' ', VJOURNAL_FILE_MAX + 1);
		assert_int_equal(open_text(copy, VJOURNAL_FILE_MAX + 1, &e), -EFBIG);
		free(copy);
	}
	free(text);
}

static void the_state_dir_comes_from_the_environment(void **state)
{
	(void)state;
	unsetenv(VJOURNAL_DIR_ENV);
	assert_string_equal(vjournal_dir(), "/var/lib/vmhop");
	setenv(VJOURNAL_DIR_ENV, dir, 1);
	assert_string_equal(vjournal_dir(), dir);
	unsetenv(VJOURNAL_DIR_ENV);
}

/* The state as veng_state_to_json() shows it: every fact, datum and "doing". */
static char *state_text(const struct veng_state *st)
{
	json_object *o = veng_state_to_json(st);
	char *t;

	assert_non_null(o);
	t = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return t;
}

/* What the file says, read as status reads it. */
static char *state_on_disk(const struct vplan *p)
{
	struct vh_error e = { 0 };
	struct veng_state st;
	struct vjournal *r;
	bool found;
	char *t;

	assert_int_equal(vjournal_read(journal_path(), &r, &e), 0);
	assert_int_equal(veng_journal_load(r, p, VPLAN_ROLE_SOURCE, &st, &found, &e), 0);
	assert_true(found);
	vjournal_close(r);
	t = state_text(&st);
	return t;
}

static void assert_state_on_disk(const struct vplan *p, const struct veng_state *st)
{
	char *want = state_text(st), *got = state_on_disk(p);

	assert_string_equal(got, want);
	free(want);
	free(got);
}

/* One engine save is one file write, however many facts changed: the step
 * under way and its facts reach the disk together (one rename). */
static void engine_save_writes_once(void **state)
{
	struct vh_error e = { 0 };
	struct veng_state st;
	struct vjournal *j;
	unsigned long w;
	struct vplan p;

	(void)state;
	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	veng_state_init(&st, &p, VPLAN_ROLE_SOURCE);
	/* a step under way with a dozen facts new at once (the journal is empty) */
	snprintf(st.doing, sizeof(st.doing), "bridge");
	st.last_phase = VENG_PREFLIGHT;
	st.phase_ns[VENG_PREFLIGHT] = 123456789;
	st.helper_taken = st.helper_changed = true;
	snprintf(st.helper_original, sizeof(st.helper_original), "/sbin/drbdadm");
	st.res_created = st.primary = true;
	st.disks[0].md_created = st.disks[0].md_written = st.disks[0].copy_created = true;
	st.disks[0].minor_created = st.disks[0].attached = st.disks[0].bridged = true;
	snprintf(st.disks[0].saved_table, sizeof(st.disks[0].saved_table),
		 "0 409600 linear 254:3 0");
	st.disks[0].freeze_ns = 4242;
	w = vjournal_writes(j);
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	assert_int_equal(vjournal_writes(j) - w, 1);
	assert_state_on_disk(&p, &st);
	/* the step ends: "doing" cleared and the facts done, in the same write */
	st.doing[0] = '\0';
	st.connected = true;
	w = vjournal_writes(j);
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	assert_int_equal(vjournal_writes(j) - w, 1);
	assert_state_on_disk(&p, &st);
	assert_int_equal(vjournal_find(j, "bridge:0")->state, VJ_DONE);
	/* nothing changed: nothing written */
	w = vjournal_writes(j);
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	assert_int_equal(vjournal_writes(j) - w, 0);
	/* many facts stop being true at once (abort): one write */
	snprintf(st.doing, sizeof(st.doing), "abort");
	st.res_created = st.primary = st.connected = false;
	st.disks[0].bridged = st.disks[0].attached = st.disks[0].minor_created = false;
	st.disks[0].copy_created = st.disks[0].md_written = st.disks[0].md_created = false;
	st.disks[0].restored = st.drbd_down = true;
	w = vjournal_writes(j);
	assert_int_equal(veng_journal_save(j, &st, &e), 0);
	assert_int_equal(vjournal_writes(j) - w, 1);
	assert_state_on_disk(&p, &st);
	vjournal_close(j);
}

/* Other callers: every change is still written at once; a hold defers them
 * to its (outermost) commit. */
static void hold_and_commit(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j, *r;
	struct vplan p;

	(void)state;
	make_plan(&p);
	assert_int_equal(vjournal_open(dir, &p, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_commit(j, &e), -EINVAL);
	assert_int_equal(vjournal_begin(j, "a", NULL, 0, &e), 0);
	assert_int_equal(vjournal_writes(j), 1);
	assert_int_equal(vjournal_done(j, "a", &e), 0);
	assert_int_equal(vjournal_writes(j), 2);
	vjournal_hold(j);
	vjournal_hold(j);
	assert_int_equal(vjournal_begin(j, "b", NULL, 0, &e), 0);
	assert_int_equal(vjournal_set(j, "b", "k", "v", &e), 0);
	assert_int_equal(vjournal_commit(j, &e), 0);
	assert_int_equal(vjournal_writes(j), 2);
	/* not on disk yet */
	assert_int_equal(vjournal_read(journal_path(), &r, &e), 0);
	assert_null(vjournal_find(r, "b"));
	vjournal_close(r);
	assert_int_equal(vjournal_undone(j, "a", &e), 0);
	assert_int_equal(vjournal_commit(j, &e), 0);
	assert_int_equal(vjournal_writes(j), 3);
	assert_int_equal(vjournal_read(journal_path(), &r, &e), 0);
	assert_string_equal(vjournal_get(vjournal_find(r, "b"), "k"), "v");
	assert_int_equal(vjournal_find(r, "a")->state, VJ_UNDONE);
	vjournal_close(r);
	vjournal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_ended_move_makes_way_for_the_next, setup, teardown),
		cmocka_unit_test_setup_teardown(steps_survive_a_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(locks, setup, teardown),
		cmocka_unit_test_setup_teardown(another_move_is_not_mixed_in, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_files_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(the_state_dir_comes_from_the_environment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(engine_save_writes_once, setup, teardown),
		cmocka_unit_test_setup_teardown(hold_and_commit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
