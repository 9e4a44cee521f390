/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The usermode-helper policy (src/netlink/helper.c) on files standing in for
 * sysfs and /run/vmhop, with the host's DRBD resources answered through the
 * netlink seam (a GET_STATUS dump built as the kernel builds it).  Each
 * take/release sends exactly one dump; the fake fails a surplus request.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/netlink.h>

#include "netlink/drbdnl.h"
#include "netlink/proto.h"
#include "support_netlink.h"

#define FAM 0x1c
#define MAXSTEPS 12

struct fx {
	char dir[64], param[96], run[96], state[128], lock[128], fakeadm[96];
	struct drbdnl_helper_paths paths;
	struct nlfake f;
	struct nlfake_step steps[MAXSTEPS];
	int nslots;		/* mem slots used (0: the family) */
	struct drbdnl *h;
};

static void write_file(const char *path, const char *text)
{
	FILE *x = fopen(path, "w");

	assert_non_null(x);
	fputs(text, x);
	fclose(x);
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *x = fopen(path, "r");
	size_t n;

	assert_non_null(x);
	n = fread(buf, 1, len - 1, x);
	buf[n] = '\0';
	fclose(x);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char text[128];

	strcpy(x->dir, "/tmp/vmhop-helper-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->param, sizeof(x->param), "%s/usermode_helper", x->dir);
	snprintf(x->run, sizeof(x->run), "%s/run/vmhop", x->dir);
	snprintf(x->state, sizeof(x->state), "%s/helper.state", x->run);
	snprintf(x->lock, sizeof(x->lock), "%s/helper.lock", x->run);
	snprintf(x->fakeadm, sizeof(x->fakeadm), "%s/drbdadm", x->dir);
	write_file(x->fakeadm, "#!/bin/sh\nexit 1\n");
	chmod(x->fakeadm, 0755);
	snprintf(text, sizeof(text), "%s\n", x->fakeadm);	/* sysfs shows a newline */
	write_file(x->param, text);
	x->paths = (struct drbdnl_helper_paths){ .param = x->param, .dir = x->run,
						 .lock_wait_ms = -1 };
	nlfake_mem_ctrl(&x->f, 0, "drbd", FAM, 1, 8, "events", 0x15);
	x->nslots = 1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char p[160];

	drbdnl_close(x->h);
	unlink(x->param);
	unlink(x->state);
	unlink(x->lock);
	unlink(x->fakeadm);
	rmdir(x->run);
	snprintf(p, sizeof(p), "%s/run", x->dir);
	rmdir(p);
	rmdir(x->dir);
	free(x);
	return 0;
}

/* The kernel's GET_STATUS dump listing @names (NULL-terminated), then NLMSG_DONE. */
static const char *kernel_has(struct fx *x, const char *const *names)
{
	static char slotname[NLFAKE_MEM][8];
	int slot = x->nslots++, tmp = NLFAKE_MEM - 1;
	struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE };
	size_t at;

	assert_true(slot < NLFAKE_MEM - 1);
	x->f.memlen[slot] = 0;
	for (unsigned i = 0; names && names[i]; i++) {
		struct nlfake_state s = {
			.family = FAM, .cmd = DRBDNL_GET_STATUS, .minor = 10 + i,
			.resource = names[i], .sib_reason = 1,
		};

		nlfake_mem_drbd(&x->f, tmp, &s);
		nlfake_mem_append(&x->f, slot, tmp);
	}
	at = NLMSG_ALIGN(x->f.memlen[slot]);
	memcpy(x->f.mem[slot] + at, &done, sizeof(done));
	memset(x->f.mem[slot] + at + sizeof(done), 0, 4);
	x->f.memlen[slot] = at + NLMSG_LENGTH(4);
	snprintf(slotname[slot], sizeof(slotname[slot]), "mem:%d", slot);
	return slotname[slot];
}

/* Open the handle: the family lookup, then one dump per entry of @dumps. */
static struct drbdnl *open_with(struct fx *x, const char *const *dumps, size_t n)
{
	assert_true(n + 1 <= MAXSTEPS);
	x->steps[0] = (struct nlfake_step){ .reply = "mem:0" };
	for (size_t i = 0; i < n; i++)
		x->steps[i + 1] = (struct nlfake_step){ .reply = dumps[i] };
	x->f.steps = x->steps;
	x->f.nsteps = n + 1;
	x->f.pos = 0;
	x->h = nlfake_open(&x->f);
	return x->h;
}

static void assert_param(struct fx *x, const char *want)
{
	char buf[256];

	read_file(x->param, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void assert_all_requests_used(struct fx *x)
{
	assert_int_equal(x->f.pos, x->f.nsteps);
}

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const *)NULL)

/* ---- one resource ---- */

static void take_and_release(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NAMES("r1")),
				kernel_has(x, NONE) };
	struct drbdnl *h = open_with(x, dumps, 3);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char buf[256], want[256];

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "r1", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	assert_true(hi.changed);
	assert_param(x, DRBDNL_HELPER_SAFE);	/* no newline: the kernel would exec "…\n" */
	assert_true(hi.overridden);
	assert_string_equal(hi.saved, x->fakeadm);
	assert_int_equal(hi.nheld, 1);
	assert_string_equal(hi.held[0].res, "r1");
	assert_int_equal(hi.held[0].pid, getpid());
	read_file(x->state, buf, sizeof(buf));
	snprintf(want, sizeof(want), "vmhop-usermode-helper 1\noriginal %s\nheld r1 %d\n",
		 x->fakeadm, (int)getpid());
	assert_string_equal(buf, want);
	/* the record is private */
	{
		struct stat st;

		assert_int_equal(stat(x->state, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}

	/* down failed: r1 is still in the kernel, the hold stays */
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "r1", &hi, &e), 0);
	assert_param(x, DRBDNL_HELPER_SAFE);
	assert_int_equal(hi.nheld, 1);

	assert_int_equal(drbdnl_helper_release(h, &x->paths, "r1", &hi, &e), 1);
	assert_param(x, x->fakeadm);
	assert_false(exists(x->state));
	assert_false(hi.overridden);
	assert_all_requests_used(x);
}

/* ---- two vmhop resources (the race of issue 9.5) ---- */

static void two_holders_interleaved(void **state)
{
	struct fx *x = *state;
	/* A takes before its resource exists; B takes while A's exists; A goes down first */
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NONE),
				kernel_has(x, NAMES("rB")), kernel_has(x, NONE) };
	struct drbdnl *h = open_with(x, dumps, 4);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	/* rA is not in the kernel yet, but its process lives: it is vmhop's, not foreign */
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rB", DRBDNL_HELPER_AUTO, &hi, &e), 0);
	assert_false(hi.changed);
	assert_int_equal(hi.nforeign, 0);
	assert_int_equal(hi.nheld, 2);
	assert_string_equal(hi.saved, x->fakeadm);	/* not our own /bin/true */

	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), 0);
	assert_param(x, DRBDNL_HELPER_SAFE);		/* rB still resyncs */
	assert_int_equal(hi.nheld, 1);
	assert_string_equal(hi.held[0].res, "rB");

	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rB", &hi, &e), 1);
	assert_param(x, x->fakeadm);
	assert_false(exists(x->state));
	assert_all_requests_used(x);
}

/* The window of the old race: A goes down after B took the helper but before B's
 * new-resource reached the kernel.  No DRBD resource exists at that moment, yet
 * B's live process keeps /bin/true in place. */
static void release_before_the_other_exists(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NAMES("rA")),
				kernel_has(x, NONE), kernel_has(x, NONE) };
	struct drbdnl *h = open_with(x, dumps, 4);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rB", DRBDNL_HELPER_AUTO, &hi, &e), 0);
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), 0);
	assert_param(x, DRBDNL_HELPER_SAFE);
	assert_int_equal(hi.nheld, 1);
	assert_string_equal(hi.held[0].res, "rB");
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rB", &hi, &e), 1);
	assert_param(x, x->fakeadm);
	assert_all_requests_used(x);
}

/* A second process takes rB and exits (as `vmhop drbd up` does); its hold lives on
 * while rB exists in the kernel, and ends with rB. */
static void two_processes(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NAMES("rB")),
				kernel_has(x, NONE) };
	const char *child_dump = kernel_has(x, NAMES("rA"));
	struct drbdnl *h = open_with(x, dumps, 3);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	int status;
	pid_t pid;

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child: its own handle, one dump in which rA exists */
		const char *cd[] = { child_dump };
		struct drbdnl *ch;
		int r;

		drbdnl_close(x->h);
		x->h = NULL;
		ch = open_with(x, cd, 1);
		r = drbdnl_helper_take(ch, &x->paths, "rB", DRBDNL_HELPER_AUTO, &hi, &e);
		_exit(r == 0 && hi.nheld == 2 && !hi.changed ? 0 : 10 + (r < 0 ? -r : r));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* rA goes down; rB (child dead, resource present) keeps /bin/true */
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), 0);
	assert_param(x, DRBDNL_HELPER_SAFE);
	assert_int_equal(hi.nheld, 1);
	assert_string_equal(hi.held[0].res, "rB");
	assert_int_equal(hi.held[0].pid, pid);
	/* rB gone (brought down by another vmhop or by hand): the next release prunes it */
	assert_int_equal(drbdnl_helper_release(h, &x->paths, NULL, &hi, &e), 1);
	assert_param(x, x->fakeadm);
	assert_all_requests_used(x);
}

/* ---- resources vmhop does not hold ---- */

static void refuses_with_foreign(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NAMES("r0", "backup")), kernel_has(x, NAMES("r0")),
				kernel_has(x, NAMES("r0", "rA")), kernel_has(x, NAMES("r0")) };
	struct drbdnl *h = open_with(x, dumps, 4);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char before[256];

	read_file(x->param, before, sizeof(before));
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e),
			 -EBUSY);
	assert_int_equal(e.code, -EBUSY);
	assert_non_null(strstr(e.msg, "(r0,backup)"));
	assert_non_null(strstr(e.msg, x->fakeadm));
	assert_int_equal(hi.nforeign, 2);
	/* nothing changed */
	assert_param(x, before);
	assert_false(exists(x->state));

	/* asked to override: replaced, and the foreign resource is named */
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_OVERRIDE, &hi, &e),
			 1);
	assert_param(x, DRBDNL_HELPER_SAFE);
	assert_int_equal(hi.nforeign, 1);
	assert_string_equal(hi.foreign[0], "r0");
	/* the overridden resource is not a hold: vmhop's last one down restores drbdadm */
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), 0);	/* rA still up */
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), 1);
	assert_param(x, x->fakeadm);
	assert_all_requests_used(x);
}

/* A resource that appeared while vmhop's /bin/true is in place: the next take refuses too. */
static void refuses_to_join_with_foreign(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NAMES("rA", "r0")) };
	struct drbdnl *h = open_with(x, dumps, 2);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char before[512];

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	read_file(x->state, before, sizeof(before));
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rB", DRBDNL_HELPER_AUTO, &hi, &e),
			 -EBUSY);
	assert_non_null(strstr(e.msg, "(r0)"));
	{
		char after[512];

		read_file(x->state, after, sizeof(after));
		assert_string_equal(after, before);	/* rB not recorded */
	}
	assert_all_requests_used(x);
}

static void keep_changes_nothing(void **state)
{
	struct fx *x = *state;
	struct drbdnl *h = open_with(x, NULL, 0);	/* and asks the kernel nothing */
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char before[256];

	read_file(x->param, before, sizeof(before));
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_KEEP, &hi, &e), 0);
	assert_true(hi.unsafe);
	assert_param(x, before);
	assert_false(exists(x->state));
	assert_all_requests_used(x);
}

/* ---- someone else's helper ---- */

static void leaves_others_alone(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NONE) };
	struct drbdnl *h = open_with(x, dumps, 2);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };

	/* an administrator's own helper, and a drbdadm that does not exist: both harmless */
	write_file(x->param, "/usr/local/sbin/my-handler\n");
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 0);
	assert_false(hi.unsafe);
	write_file(x->param, "/nonexistent/drbdadm\n");
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 0);
	assert_param(x, "/nonexistent/drbdadm\n");
	assert_false(exists(x->state));
	assert_int_equal(drbdnl_helper_inspect(NULL, &(struct drbdnl_helper_paths){
		.param = "/nonexistent/param", .dir = x->run }, &hi, &e), -ENOPKG);
	assert_all_requests_used(x);
}

static void restore_respects_later_change(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NONE) };
	struct drbdnl *h = open_with(x, dumps, 2);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	write_file(x->param, "/usr/local/sbin/other");	/* someone else changed it since */
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), 0);
	assert_param(x, "/usr/local/sbin/other");
	assert_false(exists(x->state));
	assert_all_requests_used(x);
}

/* drbdadm put back by hand while vmhop holds rA: the next take replaces it again. */
static void take_repairs_a_restored_drbdadm(void **state)
{
	struct fx *x = *state;
	const char *dumps[] = { kernel_has(x, NONE), kernel_has(x, NAMES("rA")) };
	struct drbdnl *h = open_with(x, dumps, 2);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };

	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	write_file(x->param, x->fakeadm);
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rB", DRBDNL_HELPER_AUTO, &hi, &e), 1);
	assert_param(x, DRBDNL_HELPER_SAFE);
	assert_int_equal(hi.nheld, 2);
	assert_string_equal(hi.saved, x->fakeadm);
	assert_all_requests_used(x);
}

/* ---- the lock and the record ---- */

static void another_vmhop_holds_the_lock(void **state)
{
	struct fx *x = *state;
	struct drbdnl *h = open_with(x, NULL, 0);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char before[256];
	int fd;

	read_file(x->param, before, sizeof(before));
	/* flock belongs to the open file: a second open conflicts even in one process */
	assert_int_equal(mkdir(x->dir, 0700) == 0 || errno == EEXIST, 1);
	{
		char p[160];

		snprintf(p, sizeof(p), "%s/run", x->dir);
		mkdir(p, 0700);
		mkdir(x->run, 0700);
	}
	fd = open(x->lock, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e),
			 -EBUSY);
	assert_non_null(strstr(e.msg, "another vmhop holds"));
	assert_int_equal(drbdnl_helper_release(h, &x->paths, "rA", &hi, &e), -EBUSY);
	assert_param(x, before);
	assert_false(exists(x->state));
	close(fd);
	assert_all_requests_used(x);	/* the kernel was not asked */
}

static void garbage_record_refused(void **state)
{
	static const char *const bad[] = {
		"not a record\n",
		"vmhop-usermode-helper 1\nheld r1 12\n",			/* no original */
		"vmhop-usermode-helper 1\noriginal /sbin/drbdadm\nheld r1 12",	/* cut */
		"vmhop-usermode-helper 1\noriginal /sbin/drbdadm\nheld r1 -3\n",
		"vmhop-usermode-helper 1\noriginal /sbin/drbdadm\nheld r1\n",
		"vmhop-usermode-helper 1\noriginal /sbin/drbdadm\nheld  12\n",
	};
	struct fx *x = *state;
	struct drbdnl *h = open_with(x, NULL, 0);
	struct drbdnl_helper hi;
	struct vh_error e = { 0 };
	char before[256], p[160];

	read_file(x->param, before, sizeof(before));
	snprintf(p, sizeof(p), "%s/run", x->dir);
	mkdir(p, 0700);
	mkdir(x->run, 0700);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(x->state, bad[i]);
		assert_int_equal(drbdnl_helper_take(h, &x->paths, "rA", DRBDNL_HELPER_AUTO, &hi, &e),
				 -EBADMSG);
		assert_non_null(strstr(e.msg, "is not vmhop's helper record"));
		assert_param(x, before);
	}
	assert_all_requests_used(x);
}

static void bad_resource_name(void **state)
{
	struct fx *x = *state;
	struct drbdnl *h = open_with(x, NULL, 0);
	struct vh_error e = { 0 };
	char longname[200];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "r 1", DRBDNL_HELPER_AUTO, NULL, &e),
			 -EINVAL);
	assert_int_equal(drbdnl_helper_take(h, &x->paths, "", DRBDNL_HELPER_AUTO, NULL, &e),
			 -EINVAL);
	assert_int_equal(drbdnl_helper_take(h, &x->paths, longname, DRBDNL_HELPER_AUTO, NULL, &e),
			 -EINVAL);
	assert_false(exists(x->state));
	assert_all_requests_used(x);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(take_and_release),
		T(two_holders_interleaved),
		T(release_before_the_other_exists),
		T(two_processes),
		T(refuses_with_foreign),
		T(refuses_to_join_with_foreign),
		T(keep_changes_nothing),
		T(leaves_others_alone),
		T(restore_respects_later_change),
		T(take_repairs_a_restored_drbdadm),
		T(another_vmhop_holds_the_lock),
		T(garbage_record_refused),
		T(bad_resource_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
