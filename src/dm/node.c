/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/mapper/<name> nodes.  vmhop makes them itself (mknod of the dev_t the
 * kernel reported), never waits for udev: the same result whether udev runs
 * or not, and no cookie/semaphore wait that can hang.  udev is told to leave
 * our devices' /dev/mapper entries alone (flags-only cookie, see ops.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm/dm-int.h"

static int node_path(char *buf, size_t len, const char *dir, const char *name, struct vh_error *e)
{
	int rc = vdm_name_check(name, e);

	if (rc)
		return rc;
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return vh_err(e, -ENAMETOOLONG, "path %s/%s too long", dir, name);
	return 0;
}

int vdm_node_make(const char *dir, const char *name, dev_t dev, struct vh_error *e)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = node_path(path, sizeof(path), dir, name, e)))
		return rc;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return vh_err(e, -errno, "mkdir %s: %s", dir, strerror(errno));
	if (stat(path, &st) == 0) {
		if (S_ISBLK(st.st_mode) && st.st_rdev == dev)
			return 0;	/* already right (a node, or udev's symlink) */
		if (!S_ISBLK(st.st_mode))
			return vh_err(e, -EEXIST, "%s exists and is not a block device", path);
	}
	/* A stale node of another device, or a dangling symlink: replace it. */
	if (lstat(path, &st) == 0 && unlink(path) < 0)
		return vh_err(e, -errno, "unlink stale %s: %s", path, strerror(errno));
	if (mknod(path, S_IFBLK | 0600, dev) < 0)
		return vh_err(e, -errno, "mknod %s %u:%u: %s", path, major(dev), minor(dev),
			      strerror(errno));
	vh_trace("dm", "mknod %s %u:%u", path, major(dev), minor(dev));
	return 0;
}

int vdm_node_remove(const char *dir, const char *name, dev_t dev, struct vh_error *e)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = node_path(path, sizeof(path), dir, name, e)))
		return rc;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : vh_err(e, -errno, "lstat %s: %s", path, strerror(errno));
	/* Only our own kind of entry: a block node of that device.  A symlink is
	 * udev's and goes with udev's remove event. */
	if (!S_ISBLK(st.st_mode) || st.st_rdev != dev)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return vh_err(e, -errno, "unlink %s: %s", path, strerror(errno));
	return 0;
}
