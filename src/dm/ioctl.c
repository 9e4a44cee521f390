/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one ioctl seam for device-mapper, the control node, and the request
 * builder every operation goes through (DM_BUFFER_FULL_FLAG growth, bounded
 * EBUSY retry for remove).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm/dm-int.h"

static int real_ioctl(int fd, unsigned long request, struct dm_ioctl *io, void *ud)
{
	(void)ud;
	return ioctl(fd, request, io) < 0 ? -errno : 0;
}

static vdm_ioctl_fn seam = real_ioctl;
static void *seam_ud;

void vdm_set_ioctl_fn(vdm_ioctl_fn fn, void *userdata)
{
	seam = fn ? fn : real_ioctl;
	seam_ud = fn ? userdata : NULL;
}

/* The command table: ioctl number, name, and whether the reply can be
 * bigger than the request (then DM_BUFFER_FULL_FLAG means "grow and retry"). */
static const struct {
	const char *name;
	unsigned long request;
	bool grows;
} cmds[] = {
	[DM_VERSION_CMD]	 = { "DM_VERSION",	 DM_VERSION,	     false },
	[DM_REMOVE_ALL_CMD]	 = { "DM_REMOVE_ALL",	 DM_REMOVE_ALL,	     false },
	[DM_LIST_DEVICES_CMD]	 = { "DM_LIST_DEVICES",	 DM_LIST_DEVICES,    true },
	[DM_DEV_CREATE_CMD]	 = { "DM_DEV_CREATE",	 DM_DEV_CREATE,	     false },
	[DM_DEV_REMOVE_CMD]	 = { "DM_DEV_REMOVE",	 DM_DEV_REMOVE,	     false },
	[DM_DEV_RENAME_CMD]	 = { "DM_DEV_RENAME",	 DM_DEV_RENAME,	     false },
	[DM_DEV_SUSPEND_CMD]	 = { "DM_DEV_SUSPEND",	 DM_DEV_SUSPEND,     false },
	[DM_DEV_STATUS_CMD]	 = { "DM_DEV_STATUS",	 DM_DEV_STATUS,	     false },
	[DM_DEV_WAIT_CMD]	 = { "DM_DEV_WAIT",	 DM_DEV_WAIT,	     true },
	[DM_TABLE_LOAD_CMD]	 = { "DM_TABLE_LOAD",	 DM_TABLE_LOAD,	     false },
	[DM_TABLE_CLEAR_CMD]	 = { "DM_TABLE_CLEAR",	 DM_TABLE_CLEAR,     false },
	[DM_TABLE_DEPS_CMD]	 = { "DM_TABLE_DEPS",	 DM_TABLE_DEPS,	     true },
	[DM_TABLE_STATUS_CMD]	 = { "DM_TABLE_STATUS",	 DM_TABLE_STATUS,    true },
	[DM_LIST_VERSIONS_CMD]	 = { "DM_LIST_VERSIONS", DM_LIST_VERSIONS,   true },
	[DM_TARGET_MSG_CMD]	 = { "DM_TARGET_MSG",	 DM_TARGET_MSG,	     true },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

const char *vdm_cmd_name(unsigned cmd)
{
	return cmd < NCMDS && cmds[cmd].name ? cmds[cmd].name : "DM_?";
}

int vdm__call(int fd, unsigned cmd, struct dm_ioctl *io)
{
	return seam(fd, cmds[cmd].request, io, seam_ud);
}

const char *vdm_ref_str(const struct vdm_ref *r, char *buf, size_t len)
{
	if (!r)
		snprintf(buf, len, "-");
	else if (r->key == VDM_BY_DEV)
		snprintf(buf, len, "%u:%u", major(r->dev), minor(r->dev));
	else if (r->key == VDM_BY_UUID)
		snprintf(buf, len, "uuid %s", r->str);
	else
		snprintf(buf, len, "%s", r->str);
	return buf;
}

int vdm__kerr(struct vh_error *e, int err, unsigned cmd, const struct vdm_req *r)
{
	char who[DM_UUID_LEN + 8];
	const char *hint = "";

	if (r && r->name)
		snprintf(who, sizeof(who), "%s", r->name);
	else
		vdm_ref_str(r ? r->ref : NULL, who, sizeof(who));
	if (err == -EACCES || err == -EPERM)
		hint = " (device-mapper needs CAP_SYS_ADMIN)";
	else if (err == -ENXIO && cmd == DM_TABLE_LOAD_CMD)
		hint = " (no such device-mapper device, or the table names a device that does not exist)";
	else if (err == -ENXIO)
		hint = " (no such device-mapper device)";
	else if (err == -EBUSY && cmd == DM_DEV_CREATE_CMD)
		hint = " (name or UUID already in use)";
	else if (err == -EBUSY && cmd == DM_DEV_REMOVE_CMD)
		hint = " (device is open)";
	return vh_err_origin(e, err, -err, "%s %s: %s [%s]%s", vdm_cmd_name(cmd), who,
			     strerror(-err), strerrorname_np(-err) ? strerrorname_np(-err) : "?",
			     hint);
}

int vdm__header(struct dm_ioctl *io, size_t size, const struct vdm_req *r, struct vh_error *e)
{
	int rc;

	memset(io, 0, sizeof(*io));
	io->version[0] = DM_VERSION_MAJOR;	/* 4.0.0: everything we use exists since */
	io->data_size = (uint32_t)size;
	io->data_start = sizeof(struct dm_ioctl);
	io->flags = r->flags;
	io->event_nr = r->event_nr;
	if (r->cmd == DM_DEV_CREATE_CMD) {
		if ((rc = vdm_name_check(r->name, e)))
			return rc;
		memcpy(io->name, r->name, strlen(r->name));
		if (r->uuid) {
			if ((rc = vdm_uuid_check(r->uuid, e)))
				return rc;
			memcpy(io->uuid, r->uuid, strlen(r->uuid));
		}
		return 0;
	}
	if (!r->ref)
		return 0;
	switch (r->ref->key) {
	case VDM_BY_NAME:
		if ((rc = vdm_name_check(r->ref->str, e)))
			return rc;
		memcpy(io->name, r->ref->str, strlen(r->ref->str));
		break;
	case VDM_BY_UUID:
		if ((rc = vdm_uuid_check(r->ref->str, e)))
			return rc;
		memcpy(io->uuid, r->ref->str, strlen(r->ref->str));
		break;
	case VDM_BY_DEV:
		if (!r->ref->dev)
			return vh_err(e, -EINVAL, "device number 0:0");
		io->dev = vdm__dev_encode(r->ref->dev);
		break;
	}
	return 0;
}

static int grow(struct vdm_ctl *c, size_t need, struct vh_error *e)
{
	size_t cap = c->cap ? c->cap : VDM_INITIAL_BUF;
	void *p;

	while (cap < need)
		cap *= 2;
	if (cap > VDM_MAX_BUF)
		return vh_err(e, -ENOBUFS, "device-mapper reply would need more than %u bytes",
			      VDM_MAX_BUF);
	if (cap == c->cap)
		return 0;
	p = realloc(c->buf, cap);
	if (!p)
		return vh_err(e, -ENOMEM, "out of memory for a %zu-byte dm buffer", cap);
	c->buf = p;
	c->cap = cap;
	return 0;
}

int vdm__exec(struct vdm_ctl *c, const struct vdm_req *r, struct vh_error *e)
{
	size_t need = sizeof(struct dm_ioctl);
	unsigned busy = 0;
	int rc;

	if (r->cmd >= NCMDS || !cmds[r->cmd].name)
		return vh_err(e, -EINVAL, "unknown dm command %u", r->cmd);
	if (r->table) {
		if ((rc = vdm_table_check(r->table, e)))
			return rc;
		need = vdm_table_pack(r->table, NULL, 0);
	}
	if ((rc = grow(c, need, e)))
		return rc;
	for (;;) {
		size_t size = cmds[r->cmd].grows ? c->cap : need;

		if ((rc = vdm__header(c->buf, size, r, e)))
			return rc;
		if (r->table) {
			c->buf->target_count = (uint32_t)r->table->n;
			vdm_table_pack(r->table, c->buf, c->cap);
		}
		vh_trace("dm", "%s data_size %zu flags 0x%x", vdm_cmd_name(r->cmd), size, r->flags);
		rc = vdm__call(c->fd, r->cmd, c->buf);
		if (rc == -EBUSY && r->cmd == DM_DEV_REMOVE_CMD && busy < c->busy_retries) {
			busy++;
			vh_trace("dm", "DM_DEV_REMOVE busy, retry %u/%u", busy, c->busy_retries);
			usleep(c->busy_delay_us);
			continue;
		}
		if (rc)
			return vdm__kerr(e, rc, r->cmd, r);
		if (!(c->buf->flags & DM_BUFFER_FULL_FLAG)) {
			/* The kernel writes at most the @size bytes it was given: a reply
			 * that claims more is not one, and no parser may go past @size. */
			if (c->buf->data_size > size)
				return vh_err(e, -EBADMSG, "%s: reply claims %u bytes of a %zu-byte "
					      "buffer", vdm_cmd_name(r->cmd), c->buf->data_size,
					      size);
			return 0;
		}
		if (!cmds[r->cmd].grows)
			return vh_err(e, -EPROTO, "%s: kernel set DM_BUFFER_FULL_FLAG on a command "
				      "without a reply payload", vdm_cmd_name(r->cmd));
		vh_trace("dm", "%s: buffer of %zu bytes full, doubling", vdm_cmd_name(r->cmd), c->cap);
		if ((rc = grow(c, c->cap * 2, e)))
			return rc;
	}
}

static int control_minor_from_proc_misc(unsigned *ret)
{
	FILE *f = fopen("/proc/misc", "re");
	char line[128], name[64];
	unsigned mi;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %63s", &mi, name) == 2 && !strcmp(name, "device-mapper")) {
			*ret = mi;
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

int vdm_open_fd(struct vdm_ctl *c, int fd, struct vh_error *e)
{
	*c = (struct vdm_ctl){
		.fd = fd,
		.busy_retries = 25,
		.busy_delay_us = 200000,
		.mapper_dir = VDM_MAPPER_DIR,
	};
	return grow(c, VDM_INITIAL_BUF, e);
}

int vdm_open(struct vdm_ctl *c, struct vh_error *e)
{
	unsigned mi = 0;
	int fd, rc;

	fd = open(VDM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* No node (no devtmpfs, or dm built in after boot): make it the
		 * way libdevmapper does, from the minor the kernel lists. */
		if (control_minor_from_proc_misc(&mi))
			return vh_err(e, -ENODEV, "device-mapper is not available: no %s and no "
				      "device-mapper in /proc/misc (is dm-mod loaded?)",
				      VDM_CONTROL_PATH);
		if (mkdir(VDM_MAPPER_DIR, 0755) < 0 && errno != EEXIST)
			return vh_err(e, -errno, "mkdir %s: %s", VDM_MAPPER_DIR, strerror(errno));
		if (mknod(VDM_CONTROL_PATH, S_IFCHR | 0600, makedev(10, mi)) < 0 &&
		    errno != EEXIST)
			return vh_err(e, -errno, "mknod %s: %s", VDM_CONTROL_PATH, strerror(errno));
		fd = open(VDM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0 && (errno == ENODEV || errno == ENXIO))
		return vh_err(e, -ENODEV, "device-mapper is not available in this kernel "
			      "(open %s: %s; is dm-mod loaded?)", VDM_CONTROL_PATH, strerror(errno));
	if (fd < 0)
		return vh_err(e, -errno, "open %s: %s", VDM_CONTROL_PATH, strerror(errno));
	if ((rc = vdm_open_fd(c, fd, e))) {
		close(fd);
		return rc;
	}
	return 0;
}

void vdm_close(struct vdm_ctl *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
	c->fd = -1;
}
