/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * device-mapper by ioctl on /dev/mapper/control, without libdevmapper and
 * without running dmsetup.
 *
 * Every ioctl goes through one seam (vdm_set_ioctl_fn() replaces it in unit
 * tests).  Functions return 0 (or a count) or a negative errno; the kernel's
 * errno is returned unchanged and named in the vh_error message.
 *
 * Device nodes: vmhop does not wait for udev.  After creating a device it
 * makes /dev/mapper/<name> itself with mknod() from the dev_t the kernel
 * reported (as libdevmapper's fallback does) and tells udev, through a
 * flags-only cookie on the first resume, to leave /dev/mapper alone.  This
 * works the same whether or not udev runs.  See docs/dm.md.
 */
#ifndef VMHOP_DM_DM_H
#define VMHOP_DM_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/dm-ioctl.h>

#include "base/error.h"

/* Every device vmhop creates carries this UUID prefix. */
#define VDM_UUID_PREFIX "VMHOP-"
#define VDM_CONTROL_PATH "/dev/mapper/control"
#define VDM_MAPPER_DIR "/dev/mapper"

/* ---- the seam ---------------------------------------------------------- */

/* Issue one dm ioctl.  Returns 0 or -errno.  @io is the whole buffer
 * (io->data_size bytes). */
typedef int (*vdm_ioctl_fn)(int fd, unsigned long request, struct dm_ioctl *io, void *userdata);
/* Replace the seam (tests); NULL restores the real ioctl(2). */
void vdm_set_ioctl_fn(vdm_ioctl_fn fn, void *userdata);

/* ---- control handle ---------------------------------------------------- */

struct vdm_ctl {
	int fd;
	struct dm_ioctl *buf;	/* reply buffer, grown on DM_BUFFER_FULL_FLAG */
	size_t cap;
	unsigned busy_retries;	/* DM_DEV_REMOVE: EBUSY retries (default 25) */
	unsigned busy_delay_us;	/* between them (default 200000) */
	const char *mapper_dir;	/* where nodes are made (default /dev/mapper) */
};

/* Open /dev/mapper/control (making the node from /proc/misc if it is
 * missing).  No device-mapper in the kernel gives -ENODEV with a clear text. */
int vdm_open(struct vdm_ctl *c, struct vh_error *e) __attribute__((warn_unused_result));
/* A handle on an already open fd (tests); allocates the buffer. */
int vdm_open_fd(struct vdm_ctl *c, int fd, struct vh_error *e) __attribute__((warn_unused_result));
void vdm_close(struct vdm_ctl *c);

/* ---- which device ------------------------------------------------------ */

enum vdm_key { VDM_BY_NAME, VDM_BY_UUID, VDM_BY_DEV };

struct vdm_ref {
	enum vdm_key key;
	const char *str;	/* name or uuid */
	dev_t dev;
};

/* The one check of a device-mapper name, for every entry point: not empty,
 * shorter than DM_NAME_LEN, no control character, and what the kernel
 * refuses ('/', ".", "..", "control").  -EINVAL or -ENAMETOOLONG. */
int vdm_name_check(const char *name, struct vh_error *e);
/* A UUID: not empty, shorter than DM_UUID_LEN, no control character. */
int vdm_uuid_check(const char *uuid, struct vh_error *e);

/* "uuid:STR", "MAJ:MIN" (or "dev:MAJ:MIN", decimal), else a name; names and
 * UUIDs are checked (vdm_name_check()). */
int vdm_ref_parse(const char *arg, struct vdm_ref *ret, struct vh_error *e);
/* "name", "uuid UUID" or "253:4", for messages. */
const char *vdm_ref_str(const struct vdm_ref *r, char *buf, size_t len);

struct vdm_info {
	char name[DM_NAME_LEN];
	char uuid[DM_UUID_LEN];
	dev_t dev;
	uint32_t flags;		/* as the kernel returned them */
	bool suspended, live_table, inactive_table, read_only;
	int32_t open_count;
	uint32_t event_nr;
	uint32_t target_count;
};

/* ---- tables ------------------------------------------------------------ */

struct vdm_target {
	uint64_t start;		/* sectors */
	uint64_t length;	/* sectors */
	char type[DM_MAX_TYPE_NAME];
	char *params;		/* owned */
};

struct vdm_table {
	size_t n;
	struct vdm_target *t;	/* owned */
};

/* Append one target (copies @type and @params). */
int vdm_table_add(struct vdm_table *t, uint64_t start, uint64_t length, const char *type,
		  const char *params, struct vh_error *e);
/* Text as `dmsetup table` prints it: one "START LENGTH TYPE PARAMS" line per
 * target.  Targets must be contiguous from 0. */
int vdm_table_parse(const char *text, struct vdm_table *ret, struct vh_error *e);
/* The same text, heap string owned by the caller. */
int vdm_table_format(const struct vdm_table *t, char **ret, struct vh_error *e);
int vdm_table_copy(const struct vdm_table *src, struct vdm_table *ret, struct vh_error *e);
bool vdm_table_equal(const struct vdm_table *a, const struct vdm_table *b);
uint64_t vdm_table_sectors(const struct vdm_table *t);
void vdm_table_free(struct vdm_table *t);
/* Check what the kernel will check: contiguous from 0, lengths > 0, type
 * names fit, params have no newline. */
int vdm_table_check(const struct vdm_table *t, struct vh_error *e);

/* linear params "MAJ:MIN OFFSET" (the kernel's form) */
int vdm_linear_parse(const char *params, dev_t *ret_dev, uint64_t *ret_offset, struct vh_error *e);
/* One linear target covering @sectors of @dev from @offset. */
int vdm_table_linear(struct vdm_table *ret, uint64_t sectors, dev_t dev, uint64_t offset,
		     struct vh_error *e);

/* Serialise @t as a DM_TABLE_LOAD payload into @buf (data_start at
 * sizeof(struct dm_ioctl)).  Returns the bytes the whole buffer needs;
 * writes nothing beyond @cap (call with cap 0 to size it). */
size_t vdm_table_pack(const struct vdm_table *t, void *buf, size_t cap);
/* Parse a DM_TABLE_STATUS reply held in the @len bytes at @io (what was received, or
 * the buffer handed to the kernel); a reply claiming more (data_size) is -EBADMSG. */
int vdm_table_unpack(const struct dm_ioctl *io, size_t len, struct vdm_table *ret,
		     struct vh_error *e);

/* ---- operations -------------------------------------------------------- */

#define VDM_NOFLUSH	(1u << 0)	/* DM_NOFLUSH_FLAG */
#define VDM_SKIP_LOCKFS	(1u << 1)	/* DM_SKIP_LOCKFS_FLAG */
#define VDM_READONLY	(1u << 2)	/* load/create read-only */
#define VDM_FORCE	(1u << 3)	/* remove a device whose UUID is not ours */
#define VDM_NO_NODE	(1u << 4)	/* create/remove: leave /dev/mapper alone */

int vdm_version(struct vdm_ctl *c, uint32_t ret_version[3], struct vh_error *e);
/* All devices (name, uuid, dev, event_nr filled; flags unknown). */
int vdm_list(struct vdm_ctl *c, struct vdm_info **ret, size_t *ret_n, struct vh_error *e);
int vdm_info(struct vdm_ctl *c, const struct vdm_ref *r, struct vdm_info *ret, struct vh_error *e);
/* Live table (or the inactive one). */
int vdm_table_get(struct vdm_ctl *c, const struct vdm_ref *r, bool inactive, struct vdm_table *ret,
		  struct vh_error *e);
/* Create @name with UUID VDM_UUID_PREFIX + @uuid_suffix (or the name when
 * NULL); when @t is given, load it and resume.  Removes the device again on
 * failure.  Makes /dev/mapper/<name> unless VDM_NO_NODE. */
int vdm_create(struct vdm_ctl *c, const char *name, const char *uuid_suffix,
	       const struct vdm_table *t, unsigned flags, struct vdm_info *ret, struct vh_error *e);
int vdm_load(struct vdm_ctl *c, const struct vdm_ref *r, const struct vdm_table *t, unsigned flags,
	     struct vh_error *e);
int vdm_suspend(struct vdm_ctl *c, const struct vdm_ref *r, unsigned flags, struct vh_error *e);
int vdm_resume(struct vdm_ctl *c, const struct vdm_ref *r, unsigned flags, struct vh_error *e);
int vdm_clear(struct vdm_ctl *c, const struct vdm_ref *r, struct vh_error *e);
/* Retries EBUSY c->busy_retries times.  Refuses a device whose UUID lacks
 * our prefix unless VDM_FORCE.  Unlinks the /dev/mapper node we made. */
int vdm_remove(struct vdm_ctl *c, const struct vdm_ref *r, unsigned flags, struct vh_error *e);

/* /dev/mapper/<name> as a block node of @dev (0600); an existing node or
 * symlink that already resolves to @dev is kept. */
int vdm_node_make(const char *dir, const char *name, dev_t dev, struct vh_error *e);
/* Unlink it if (and only if) it is ours: a block node of @dev. */
int vdm_node_remove(const char *dir, const char *name, dev_t dev, struct vh_error *e);

/* ---- the swap: the takeover path --------------------------------------- */

enum vdm_swap_mode {
	VDM_SWAP_RESUME,		/* load; one resume ioctl suspends, swaps and resumes */
	VDM_SWAP_SUSPEND_RESUME,	/* load; suspend ioctl, then resume ioctl */
};

struct vdm_swap_result {
	int64_t start_ns;	/* CLOCK_MONOTONIC when the window opened (to line
				 * it up with other measurements) */
	int64_t window_ns;	/* CLOCK_MONOTONIC, just before the first ioctl of the
				 * window to just after the resume returned */
	int64_t suspend_ns;	/* SUSPEND_RESUME: the suspend ioctl alone */
	int64_t load_ns;	/* the load, outside the window */
	bool rolled_back;	/* resume failed; the old table is live again */
	bool rt;		/* the window ran real-time: SCHED_FIFO (src/dm/swap.c),
				 * or the caller's own real-time policy */
	int rt_err;		/* 0, or -errno of raising (e.g. -EPERM: the window
				 * ran at the normal priority) or of going back;
				 * never the swap's own outcome */
};

/* Swap the live table of @r for @t: load @t into the inactive slot, then
 * freeze, swap and thaw with nothing but ioctls in between.  If the resume
 * fails the device is resumed on its old table (reloaded if need be) and the
 * resume's error is returned with ret->rolled_back set.  @flags: VDM_NOFLUSH,
 * VDM_SKIP_LOCKFS. */
int vdm_swap(struct vdm_ctl *c, const struct vdm_ref *r, const struct vdm_table *t,
	     enum vdm_swap_mode mode, unsigned flags, struct vdm_swap_result *ret,
	     struct vh_error *e) __attribute__((warn_unused_result));

/* Name of a dm ioctl command number (DM_DEV_CREATE_CMD ...) for messages. */
const char *vdm_cmd_name(unsigned cmd);

#endif
