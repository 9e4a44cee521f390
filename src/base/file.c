/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Atomic small files, bounded reads, directories and locks. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"

static int sys_err(struct vh_error *e, const char *what, const char *path)
{
	int err = errno ? errno : EIO;

	return vh_err(e, -err, "%s %s: %s", what, path, strerror(err));
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path, struct vh_error *e)
{
	char copy[PATH_MAX];
	int fd, r = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return vh_err(e, -ENAMETOOLONG, "path too long: %s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sys_err(e, "cannot open the directory of", path);
	if (fsync(fd) < 0)
		r = sys_err(e, "cannot fsync the directory of", path);
	close(fd);
	return r;
}

/* A fresh, unique file next to @path (the same directory, so that rename(2)
 * stays in one filesystem), created 0600 by mkostemp(3): no name another
 * user could have made first, opened or pointed elsewhere.  @tmp gets its
 * name. */
static int make_temp(const char *path, char *tmp, size_t len, struct vh_error *e)
{
	int fd;

	if (snprintf(tmp, len, "%s.tmp.XXXXXX", path) >= (int)len)
		return vh_err(e, -ENAMETOOLONG, "path too long: %s", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sys_err(e, "cannot create a temporary file for", path);
	return fd;
}

int vfile_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool excl,
		       struct vh_error *e)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (excl && access(path, F_OK) == 0)
		return vh_err(e, -EEXIST, "%s exists already", path);
	if ((fd = make_temp(path, tmp, sizeof(tmp), e)) < 0)
		return fd;
	if (fchmod(fd, mode) < 0) {
		r = sys_err(e, "cannot chmod", tmp);
		goto err_tmp;
	}
	if (write_all(fd, data, len) < 0) {
		r = sys_err(e, "cannot write", tmp);
		goto err_tmp;
	}
	if (fsync(fd) < 0) {
		r = sys_err(e, "cannot fsync", tmp);
		goto err_tmp;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = sys_err(e, "cannot close", tmp);
		goto err_tmp;
	}
	fd = -1;
	if (excl) {
		if (link(tmp, path) < 0) {
			r = errno == EEXIST ? vh_err(e, -EEXIST, "%s exists already", path)
					    : sys_err(e, "cannot create", path);
			goto err_tmp;
		}
		(void)unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		r = sys_err(e, "cannot rename over", path);
		goto err_tmp;
	}
	return fsync_dir_of(path, e);

err_tmp:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return r;
}

/* Read all of @fd (at most @max bytes) into a NUL-terminated buffer. */
static int read_fd(int fd, const char *path, size_t max, char **ret, size_t *ret_len,
		   struct vh_error *e)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	int r;

	if (fstat(fd, &st) < 0)
		return sys_err(e, "cannot stat", path);
	if (!S_ISREG(st.st_mode))
		return vh_err(e, -EINVAL, "%s is not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return vh_err(e, -EFBIG, "%s is %lld bytes; at most %zu expected", path,
			      (long long)st.st_size, max);
	buf = malloc(max + 1);
	if (!buf)
		return vh_err(e, -ENOMEM, "out of memory reading %s", path);
	/* Read to EOF, but never past @max: the file may grow under us. */
	for (;;) {
		ssize_t n = read(fd, buf + have, max + 1 - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = sys_err(e, "cannot read", path);
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			r = vh_err(e, -EFBIG, "%s is larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (memchr(buf, '\0', have)) {
		r = vh_err(e, -EBADMSG, "%s holds a NUL byte: not a text file", path);
		goto out;
	}
	buf[have] = '\0';
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = have;
	r = 0;
out:
	free(buf);
	return r;
}

int vfile_read(const char *path, size_t max, char **ret, size_t *ret_len, struct vh_error *e)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_err(e, "cannot open", path);
	r = read_fd(fd, path, max, ret, ret_len, e);
	close(fd);
	return r;
}

/* vfile_open_private()'s check, on the open descriptor. */
static int check_private(int fd, const char *what, const char *path, struct vh_error *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vh_err(e, -errno, "%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vh_err(e, -EINVAL, "%s %s is not a regular file", what, path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return vh_err(e, -EPERM, "%s %s is owned by uid %u, not by root%s", what, path,
			      (unsigned)st.st_uid, geteuid() ? " or by the user vmhop runs as" : "");
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return vh_err(e, -EPERM, "%s %s is open to others (mode %04o; chmod 600 it)", what,
			      path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int vfile_open_private(const char *path, const char *what, struct vh_error *e)
{
	int fd, r;

	/* O_NOFOLLOW: a symbolic link is not the file whose owner and mode we
	 * check; O_NONBLOCK: a FIFO must not hang us before it is refused. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		return vh_err(e, -EPERM, "%s %s is a symbolic link; give the file itself", what,
			      path);
	if (fd < 0)
		return vh_err(e, -errno, "%s %s: %s", what, path, strerror(errno));
	if ((r = check_private(fd, what, path, e)) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int vfile_read_private(const char *path, const char *what, size_t max, char **ret,
		       size_t *ret_len, struct vh_error *e)
{
	int fd, r;

	if ((fd = vfile_open_private(path, what, e)) < 0)
		return fd;
	r = read_fd(fd, path, max, ret, ret_len, e);
	close(fd);
	return r;
}

int vfile_remove(const char *path, struct vh_error *e)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return sys_err(e, "cannot remove", path);
	return fsync_dir_of(path, e);
}

int vfile_mkdir_p(const char *dir, mode_t mode, struct vh_error *e)
{
	char p[PATH_MAX];
	size_t n;

	if ((n = (size_t)snprintf(p, sizeof(p), "%s", dir)) >= sizeof(p) || n == 0)
		return vh_err(e, -ENAMETOOLONG, "bad directory path '%s'", dir);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return sys_err(e, "cannot create directory", p);
		if (i < n)
			p[i] = '/';
	}
	return 0;
}

int vfile_lock(const char *path, int timeout_ms, struct vh_error *e)
{
	struct timespec start, now, nap = { 0, 10 * 1000 * 1000 };
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return sys_err(e, "cannot open lock file", path);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, timeout_ms < 0 ? LOCK_EX : LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			int r = sys_err(e, "cannot lock", path);

			close(fd);
			return r;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    timeout_ms)
			break;
		nanosleep(&nap, NULL);
	}
	close(fd);
	return vh_err(e, -EBUSY, "%s is locked by another vmhop process", path);
}

void vfile_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
