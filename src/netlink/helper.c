/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drbd module runs a user-mode helper (module parameter usermode_helper,
 * default /sbin/drbdadm) before every resync.  drbdadm looks our resource up
 * in /etc/drbd.conf, does not find it (vmhop configures DRBD by netlink and
 * writes no drbd.conf), exits 1, and the kernel drops the connection: the
 * resync never completes.
 *
 * Decision: when the helper is drbdadm, vmhop replaces it with /bin/true
 * (which answers every handler with success, like a drbd.conf without
 * handlers), saves the original value once in /run/vmhop, says so, and puts
 * it back when its last resource is gone.  A helper that is not drbdadm is
 * the administrator's choice and is left alone; one that does not exist is
 * harmless (the kernel ignores exec failures).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlink/internal.h"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}

static int write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_param(const char *param, const char *value, struct vh_error *e)
{
	int fd = open(param, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int r;

	if (fd < 0)
		return vh_err(e, -errno, "cannot open %s: %s", param, strerror(errno));
	r = write_all(fd, value);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		return vh_err(e, r, "cannot write %s: %s", param, strerror(-r));
	return 0;
}

static bool is_drbdadm(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "drbdadm", 7);
}

int drbdnl_helper_inspect(const char *param, const char *save, struct drbdnl_helper *ret,
			  struct vh_error *e)
{
	int r;

	if (!param)
		param = DRBDNL_HELPER_PARAM;
	if (!save)
		save = DRBDNL_HELPER_SAVE;
	memset(ret, 0, sizeof(*ret));
	r = read_line(param, ret->current, sizeof(ret->current));
	if (r == -ENOENT)
		return vh_err(e, -ENOPKG, "%s does not exist: the drbd module is not loaded", param);
	if (r < 0)
		return vh_err(e, r, "cannot read %s: %s", param, strerror(-r));
	/* A helper that cannot be run is harmless: the kernel ignores exec errors. */
	ret->unsafe = is_drbdadm(ret->current) && access(ret->current, X_OK) == 0;
	r = read_line(save, ret->saved, sizeof(ret->saved));
	if (r == 0)
		ret->overridden = true;
	else if (r != -ENOENT)
		return vh_err(e, r, "cannot read %s: %s", save, strerror(-r));
	return 0;
}

/* mkdir -p of the directory holding @path, mode 0700 */
static int mkdir_parent(const char *path)
{
	char dir[256];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int drbdnl_helper_make_safe(const char *param, const char *save, struct drbdnl_helper *ret,
			    struct vh_error *e)
{
	struct drbdnl_helper hi;
	int fd, r;

	if (!param)
		param = DRBDNL_HELPER_PARAM;
	if (!save)
		save = DRBDNL_HELPER_SAVE;
	r = drbdnl_helper_inspect(param, save, &hi, e);
	if (r < 0)
		return r;
	if (!hi.unsafe) {
		if (ret)
			*ret = hi;
		return 0;
	}
	/* Save the original once: a second run must not save our own /bin/true. */
	r = mkdir_parent(save);
	if (r < 0)
		return vh_err(e, r, "cannot create the directory of %s: %s", save, strerror(-r));
	fd = open(save, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		r = write_all(fd, hi.current);
		if (!r)
			r = write_all(fd, "\n");
		if (close(fd) < 0 && !r)
			r = -errno;
		if (r < 0) {
			unlink(save);
			return vh_err(e, r, "cannot write %s: %s", save, strerror(-r));
		}
	} else if (errno != EEXIST) {
		return vh_err(e, -errno, "cannot create %s: %s", save, strerror(errno));
	}
	r = write_param(param, DRBDNL_HELPER_SAFE, e);
	if (r < 0)
		return r;
	vh_trace("netlink", "usermode_helper %s replaced by %s (original saved in %s)", hi.current,
		 DRBDNL_HELPER_SAFE, save);
	if (ret) {
		r = drbdnl_helper_inspect(param, save, ret, e);
		if (r < 0)
			return r;
	}
	return 1;
}

int drbdnl_helper_restore(const char *param, const char *save, struct vh_error *e)
{
	char orig[256], cur[256];
	int r;

	if (!param)
		param = DRBDNL_HELPER_PARAM;
	if (!save)
		save = DRBDNL_HELPER_SAVE;
	r = read_line(save, orig, sizeof(orig));
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return vh_err(e, r, "cannot read %s: %s", save, strerror(-r));
	r = read_line(param, cur, sizeof(cur));
	if (r < 0 && r != -ENOENT)
		return vh_err(e, r, "cannot read %s: %s", param, strerror(-r));
	/* Only undo our own change: if someone set another helper since, keep theirs. */
	if (r == 0 && !strcmp(cur, DRBDNL_HELPER_SAFE) && orig[0]) {
		r = write_param(param, orig, e);
		if (r < 0)
			return r;
	}
	if (unlink(save) < 0 && errno != ENOENT)
		return vh_err(e, -errno, "cannot remove %s: %s", save, strerror(errno));
	return 1;
}
