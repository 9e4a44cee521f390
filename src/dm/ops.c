/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device-mapper operations: version, list, info, table, create, load,
 * suspend, resume, clear, remove. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "dm/dm-int.h"

/* udev flags carried in the upper 16 bits of event_nr (a "flags-only cookie":
 * no semaphore, udev's `dmsetup udevcomplete` of it is a no-op).  Values from
 * libdevmapper.h. */
#define UDEV_DISABLE_DM_RULES		0x0001
#define UDEV_DISABLE_SUBSYSTEM_RULES	0x0002
#define UDEV_DISABLE_DISK_RULES		0x0004
#define UDEV_DISABLE_OTHER_RULES	0x0008
#define UDEV_PRIMARY_SOURCE		0x0040
/* For devices vmhop creates: we make /dev/mapper/<name> ourselves, and udev
 * must neither fight over it nor probe the copy (its content is a guest's
 * disk, which may hold the guest's own PVs). */
#define VDM_OWN_DEVICE_COOKIE ((uint32_t)(UDEV_DISABLE_DM_RULES | UDEV_DISABLE_SUBSYSTEM_RULES | \
					  UDEV_DISABLE_DISK_RULES | UDEV_DISABLE_OTHER_RULES | \
					  UDEV_PRIMARY_SOURCE) << 16)

/* A decimal number as people write device numbers: digits only, no sign, no
 * space, no leading zero (is "010" eight or ten?), at most @max.  -1 when
 * @s is not all digits; -2 when it is digits but not such a number. */
static int dec(const char *s, size_t n, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (vnum_u64n(s, n, 0, max, &v) < 0)
		return -2;
	*ret = (unsigned)v;
	return 0;
}

int vdm_ref_parse(const char *arg, struct vdm_ref *ret, struct vh_error *e)
{
	const char *colon;
	unsigned ma, mi;
	int rc, a, b;

	if (!arg || !*arg)
		return vh_err(e, -EINVAL, "no device given");
	if (!strncmp(arg, "uuid:", 5)) {
		if ((rc = vdm_uuid_check(arg + 5, e)))
			return rc;
		*ret = (struct vdm_ref){ .key = VDM_BY_UUID, .str = arg + 5 };
		return 0;
	}
	if (!strncmp(arg, "name:", 5)) {
		if ((rc = vdm_name_check(arg + 5, e)))
			return rc;
		*ret = (struct vdm_ref){ .key = VDM_BY_NAME, .str = arg + 5 };
		return 0;
	}
	if (!strncmp(arg, "dev:", 4))
		arg += 4;
	/* MAJ:MIN, decimal; majors have 12 bits, minors 20 (MINORBITS). */
	if ((colon = strchr(arg, ':'))) {
		a = dec(arg, (size_t)(colon - arg), 0xfff, &ma);
		b = dec(colon + 1, strlen(colon + 1), 0xfffff, &mi);
		if (!a && !b) {
			if (!ma && !mi)
				return vh_err(e, -EINVAL, "device number 0:0");
			*ret = (struct vdm_ref){ .key = VDM_BY_DEV, .dev = makedev(ma, mi) };
			return 0;
		}
		if (a != -1 && b != -1)
			return vh_err(e, -EINVAL, "'%s' is not a device number (MAJ:MIN in decimal, "
				      "no leading zeros, major < 4096, minor < 1048576; a device "
				      "so named is name:%s)", arg, arg);
	}
	if ((rc = vdm_name_check(arg, e)))
		return rc;
	*ret = (struct vdm_ref){ .key = VDM_BY_NAME, .str = arg };
	return 0;
}

void vdm__info_from(const struct dm_ioctl *io, struct vdm_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, io->name, sizeof(ret->name) - 1);
	memcpy(ret->uuid, io->uuid, sizeof(ret->uuid) - 1);
	ret->dev = vdm__dev_decode(io->dev);
	ret->flags = io->flags;
	ret->suspended = io->flags & DM_SUSPEND_FLAG;
	ret->live_table = io->flags & DM_ACTIVE_PRESENT_FLAG;
	ret->inactive_table = io->flags & DM_INACTIVE_PRESENT_FLAG;
	ret->read_only = io->flags & DM_READONLY_FLAG;
	ret->open_count = io->open_count;
	ret->event_nr = io->event_nr;
	ret->target_count = io->target_count;
}

int vdm_version(struct vdm_ctl *c, uint32_t ret_version[3], struct vh_error *e)
{
	struct vdm_req r = { .cmd = DM_VERSION_CMD };
	int rc = vdm__exec(c, &r, e);

	if (rc)
		return rc;
	memcpy(ret_version, c->buf->version, sizeof(c->buf->version));
	return 0;
}

int vdm_list(struct vdm_ctl *c, struct vdm_info **ret, size_t *ret_n, struct vh_error *e)
{
	struct vdm_req r = { .cmd = DM_LIST_DEVICES_CMD, .flags = DM_UUID_FLAG };
	struct vdm_info *v = NULL;
	const char *base;
	size_t n = 0, off, end;
	int rc;

	if ((rc = vdm__exec(c, &r, e)))
		return rc;
	/* vdm__exec() checked data_size against the buffer we handed over. */
	base = (const char *)c->buf;
	off = c->buf->data_start;
	end = c->buf->data_size;
	if (off < offsetof(struct dm_ioctl, data) || off > end)
		return vh_err(e, -EBADMSG, "DM_LIST_DEVICES reply: data_start %zu outside "
			      "data_size %zu", off, end);
	/* No devices: the kernel's list_devices() sizes the reply by what it
	 * lists, so data_size == data_start and its "dev = 0" marker lies
	 * beyond what it copies back (seen on 6.1). */
	if (end == off) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	for (;;) {
		const size_t name_at = offsetof(struct dm_name_list, name);
		struct dm_name_list nl;
		const char *name;
		struct vdm_info *nv;
		size_t nlen, tail;

		if (off + name_at >= end)
			goto bad;
		memcpy(&nl, base + off, name_at);
		if (!nl.dev && !n)
			break;	/* "no devices" */
		name = base + off + name_at;
		if (!memchr(name, '\0', end - (off + name_at)))
			goto bad;
		nlen = strlen(name);
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return vh_err(e, -ENOMEM, "out of memory");
		}
		v = nv;
		nv = &v[n++];
		memset(nv, 0, sizeof(*nv));
		nv->dev = vdm__dev_decode(nl.dev);
		snprintf(nv->name, sizeof(nv->name), "%s", name);
		/* then, 8-aligned: u32 event_nr, u32 flags, [uuid] */
		tail = (off + name_at + nlen + 1 + 7) & ~(size_t)7;
		if (tail + 8 <= end) {
			uint32_t en[2];

			memcpy(en, base + tail, sizeof(en));
			nv->event_nr = en[0];
			if ((en[1] & DM_NAME_LIST_FLAG_HAS_UUID) && tail + 8 < end &&
			    memchr(base + tail + 8, '\0', end - tail - 8))
				snprintf(nv->uuid, sizeof(nv->uuid), "%s", base + tail + 8);
		}
		if (!nl.next)
			break;
		if (off + nl.next <= off || off + nl.next >= end)
			goto bad;
		off += nl.next;
	}
	*ret = v;
	*ret_n = n;
	return (int)n;
bad:
	free(v);
	return vh_err(e, -EBADMSG, "DM_LIST_DEVICES reply malformed at byte %zu of %zu", off, end);
}

int vdm_info(struct vdm_ctl *c, const struct vdm_ref *ref, struct vdm_info *ret, struct vh_error *e)
{
	struct vdm_req r = { .cmd = DM_DEV_STATUS_CMD, .ref = ref };
	int rc = vdm__exec(c, &r, e);

	if (rc)
		return rc;
	vdm__info_from(c->buf, ret);
	return 0;
}

int vdm_table_get(struct vdm_ctl *c, const struct vdm_ref *ref, bool inactive, struct vdm_table *ret,
		  struct vh_error *e)
{
	struct vdm_req r = {
		.cmd = DM_TABLE_STATUS_CMD, .ref = ref,
		.flags = DM_STATUS_TABLE_FLAG | (inactive ? DM_QUERY_INACTIVE_TABLE_FLAG : 0),
	};
	int rc = vdm__exec(c, &r, e);

	if (rc)
		return rc;
	return vdm_table_unpack(c->buf, c->cap, ret, e);
}

int vdm_load(struct vdm_ctl *c, const struct vdm_ref *ref, const struct vdm_table *t, unsigned flags,
	     struct vh_error *e)
{
	struct vdm_req r = {
		.cmd = DM_TABLE_LOAD_CMD, .ref = ref, .table = t,
		.flags = flags & VDM_READONLY ? DM_READONLY_FLAG : 0,
	};

	return vdm__exec(c, &r, e);
}

static uint32_t suspend_flags(unsigned flags)
{
	return (flags & VDM_NOFLUSH ? DM_NOFLUSH_FLAG : 0) |
	       (flags & VDM_SKIP_LOCKFS ? DM_SKIP_LOCKFS_FLAG : 0);
}

int vdm_suspend(struct vdm_ctl *c, const struct vdm_ref *ref, unsigned flags, struct vh_error *e)
{
	struct vdm_req r = {
		.cmd = DM_DEV_SUSPEND_CMD, .ref = ref,
		.flags = DM_SUSPEND_FLAG | suspend_flags(flags),
	};

	return vdm__exec(c, &r, e);
}

int vdm_resume(struct vdm_ctl *c, const struct vdm_ref *ref, unsigned flags, struct vh_error *e)
{
	/* event_nr 0: no cookie, nothing waits for udev (see docs/dm.md). */
	struct vdm_req r = { .cmd = DM_DEV_SUSPEND_CMD, .ref = ref, .flags = suspend_flags(flags) };

	return vdm__exec(c, &r, e);
}

int vdm_clear(struct vdm_ctl *c, const struct vdm_ref *ref, struct vh_error *e)
{
	struct vdm_req r = { .cmd = DM_TABLE_CLEAR_CMD, .ref = ref };

	return vdm__exec(c, &r, e);
}

int vdm_create(struct vdm_ctl *c, const char *name, const char *uuid_suffix,
	       const struct vdm_table *t, unsigned flags, struct vdm_info *ret, struct vh_error *e)
{
	char uuid[DM_UUID_LEN + sizeof(VDM_UUID_PREFIX)];
	const char *sfx = uuid_suffix ? uuid_suffix : name;
	struct vdm_ref ref = { .key = VDM_BY_UUID, .str = uuid };
	struct vdm_req r = { .cmd = DM_DEV_CREATE_CMD, .name = name, .uuid = uuid };
	struct vdm_info info;
	struct vh_error e2 = { 0 };
	int rc;

	if ((rc = vdm_name_check(name, e)))
		return rc;
	if (!strncmp(sfx, VDM_UUID_PREFIX, strlen(VDM_UUID_PREFIX)))
		snprintf(uuid, sizeof(uuid), "%s", sfx);
	else
		snprintf(uuid, sizeof(uuid), "%s%s", VDM_UUID_PREFIX, sfx);
	if (t && (rc = vdm_table_check(t, e)))
		return rc;
	if ((rc = vdm__exec(c, &r, e)))
		return rc;
	vh_trace("dm", "created %s uuid %s", name, uuid);
	if (t) {
		struct vdm_req ld = {
			.cmd = DM_TABLE_LOAD_CMD, .ref = &ref, .table = t,
			.flags = flags & VDM_READONLY ? DM_READONLY_FLAG : 0,
		};
		struct vdm_req rs = {
			.cmd = DM_DEV_SUSPEND_CMD, .ref = &ref, .event_nr = VDM_OWN_DEVICE_COOKIE,
		};

		if ((rc = vdm__exec(c, &ld, e)) || (rc = vdm__exec(c, &rs, e)))
			goto undo;
	}
	if ((rc = vdm_info(c, &ref, &info, e)))
		goto undo;
	if (!(flags & VDM_NO_NODE) && (rc = vdm_node_make(c->mapper_dir, name, info.dev, e)))
		goto undo;
	if (ret)
		*ret = info;
	return 0;
undo:
	{
		struct vdm_req rm = { .cmd = DM_DEV_REMOVE_CMD, .ref = &ref };

		if (vdm__exec(c, &rm, &e2))
			vh_err_prefix(e, rc, "(and removing it again failed: %s)", e2.msg);
	}
	return rc;
}

int vdm_remove(struct vdm_ctl *c, const struct vdm_ref *ref, unsigned flags, struct vh_error *e)
{
	struct vdm_info info;
	struct vdm_ref by_uuid;
	struct vdm_req r = { .cmd = DM_DEV_REMOVE_CMD, .ref = ref };
	int rc;

	if ((rc = vdm_info(c, ref, &info, e)))
		return rc;
	if (strncmp(info.uuid, VDM_UUID_PREFIX, strlen(VDM_UUID_PREFIX))) {
		if (!(flags & VDM_FORCE))
			return vh_err(e, -EPERM, "refusing to remove %s: its UUID '%s' lacks vmhop's "
				      "prefix '%s' (not ours; force to override)", info.name,
				      info.uuid, VDM_UUID_PREFIX);
	} else {
		/* By UUID, so that we remove exactly the device we just checked. */
		by_uuid = (struct vdm_ref){ .key = VDM_BY_UUID, .str = info.uuid };
		r.ref = &by_uuid;
	}
	if ((rc = vdm__exec(c, &r, e)))
		return rc;
	if (!(flags & VDM_NO_NODE))
		return vdm_node_remove(c->mapper_dir, info.name, info.dev, e);
	return 0;
}
