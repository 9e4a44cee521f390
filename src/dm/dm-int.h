/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the files of src/dm; not for other modules. */
#ifndef VMHOP_DM_DM_INT_H
#define VMHOP_DM_DM_INT_H

#include <sys/sysmacros.h>

#include "dm/dm.h"

/* One request for vdm__exec(). */
struct vdm_req {
	unsigned cmd;			/* DM_*_CMD */
	const struct vdm_ref *ref;	/* the device, or NULL */
	const char *name;		/* DM_DEV_CREATE: name (ref unused) */
	const char *uuid;		/* DM_DEV_CREATE: uuid or NULL */
	uint32_t flags;			/* DM_*_FLAG */
	uint32_t event_nr;		/* udev cookie / flags */
	const struct vdm_table *table;	/* DM_TABLE_LOAD */
};

#define VDM_INITIAL_BUF (16u * 1024)
#define VDM_MAX_BUF (64u * 1024 * 1024)

/* Build the request in c->buf, issue it (growing on DM_BUFFER_FULL_FLAG,
 * retrying EBUSY for DM_DEV_REMOVE) and leave the reply in c->buf. */
int vdm__exec(struct vdm_ctl *c, const struct vdm_req *r, struct vh_error *e);
/* Fill a bare header (no payload) for @r into @io of @size bytes. */
int vdm__header(struct dm_ioctl *io, size_t size, const struct vdm_req *r, struct vh_error *e);
/* The seam itself, with the ioctl number for @cmd. */
int vdm__call(int fd, unsigned cmd, struct dm_ioctl *io);
/* Message for a kernel error, returns @err (negative). */
int vdm__kerr(struct vh_error *e, int err, unsigned cmd, const struct vdm_req *r);
void vdm__info_from(const struct dm_ioctl *io, struct vdm_info *ret);

/* dm_ioctl.dev is huge_encode_dev():
 * (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12). */
static inline dev_t vdm__dev_decode(uint64_t kdev)
{
	return makedev((unsigned)((kdev & 0xfff00) >> 8),
		       (unsigned)((kdev & 0xff) | ((kdev >> 12) & 0xfff00)));
}

static inline uint64_t vdm__dev_encode(dev_t d)
{
	uint64_t ma = major(d), mi = minor(d);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffull) << 12);
}

#endif
