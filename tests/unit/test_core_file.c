/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* base/file: the atomic write's temporary file, the private-file check. */
#include <dirent.h>
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

#include "base/file.h"
#include "support_common.h"

static void rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Another user's "<path>.tmp", created first and held open, is neither
 * written (the secret would reach that user through the open descriptor)
 * nor followed when it is a link. */
static void atomic_write_ignores_a_planted_tmp(void **state)
{
	char dir[] = "/tmp/vmhop-file-XXXXXX", path[64], tmp[80], elsewhere[80], buf[32];
	struct vh_error e = { 0 };
	struct stat st;
	char *got;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL, 0666);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "theirs", 6), 6);
	umask(0);
	assert_int_equal(vfile_write_atomic(path, "secret\n", 7, 0600, false, &e), 0);
	/* What the planted file's holder reads: still only its own bytes. */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 6);
	buf[n] = '\0';
	assert_string_equal(buf, "theirs");
	close(fd);
	got = tsupport_slurp(path, NULL);
	assert_non_null(got);
	assert_string_equal(got, "secret\n");
	free(got);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* x and the planted x.tmp, no temporary file left */
	assert_int_equal(count_entries(dir), 2);

	/* A symbolic link planted as "<path>.tmp": not followed, not refused. */
	assert_int_equal(unlink(tmp), 0);
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
	assert_int_equal(symlink(elsewhere, tmp), 0);
	assert_int_equal(vfile_write_atomic(path, "again\n", 6, 0600, false, &e), 0);
	assert_int_equal(access(elsewhere, F_OK), -1);
	got = tsupport_slurp(path, NULL);
	assert_non_null(got);
	assert_string_equal(got, "again\n");
	free(got);

	/* A FIFO planted as "<path>.tmp": never opened (that would block). */
	assert_int_equal(unlink(tmp), 0);
	assert_int_equal(mkfifo(tmp, 0666), 0);
	assert_int_equal(vfile_write_atomic(path, "third\n", 6, 0600, false, &e), 0);
	assert_int_equal(lstat(tmp, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	umask(022);
	rm_rf(dir);
}

/* A failure (here: @excl and the target exists) leaves no temporary file. */
static void atomic_write_failure_leaves_nothing(void **state)
{
	char dir[] = "/tmp/vmhop-file-XXXXXX", path[64];
	struct vh_error e = { 0 };
	char *got;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x", dir);
	assert_int_equal(vfile_write_atomic(path, "one\n", 4, 0600, true, &e), 0);
	assert_int_equal(vfile_write_atomic(path, "two\n", 4, 0600, true, &e), -EEXIST);
	assert_int_equal(count_entries(dir), 1);
	got = tsupport_slurp(path, NULL);
	assert_non_null(got);
	assert_string_equal(got, "one\n");
	free(got);
	/* A directory that does not exist: refused, naming the file. */
	snprintf(path, sizeof(path), "%s/no/such/dir/x", dir);
	assert_int_equal(vfile_write_atomic(path, "x", 1, 0600, false, &e), -ENOENT);
	assert_non_null(strstr(e.msg, path));
	assert_int_equal(count_entries(dir), 1);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(atomic_write_ignores_a_planted_tmp),
		cmocka_unit_test(atomic_write_failure_leaves_nothing),
	};

	return cmocka_run_group_tests_name("core_file", tests, NULL, NULL);
}
