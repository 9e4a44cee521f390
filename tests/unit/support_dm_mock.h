/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A scripted stand-in for the one dm ioctl seam (vdm_set_ioctl_fn).  A test
 * lists the ioctls it expects, in order; for each, an optional check of the
 * request and a reply (or an errno).  Every request buffer is kept so the
 * test can inspect it afterwards.  A call beyond the script, or of another
 * command, fails the test.
 */
#ifndef VMHOP_TEST_SUPPORT_DM_MOCK_H
#define VMHOP_TEST_SUPPORT_DM_MOCK_H

#include "dm/dm.h"

struct dmock_step {
	unsigned cmd;				/* expected DM_*_CMD */
	int err;				/* return -err instead of replying (0: reply) */
	void (*reply)(struct dm_ioctl *io, const void *arg);
	const void *arg;
};

#define DMOCK_MAX 64

struct dmock {
	const struct dmock_step *steps;
	size_t n, pos;
	unsigned char *req[DMOCK_MAX];		/* copies of the requests as sent */
	size_t req_len[DMOCK_MAX];
};

/* Install @m with @steps; vdm ctl @c gets fd -1 and no retry delay. */
void dmock_start(struct dmock *m, const struct dmock_step *steps, size_t n, struct vdm_ctl *c);
/* Check every step ran, free the copies, restore the real seam. */
void dmock_finish(struct dmock *m, struct vdm_ctl *c);
const struct dm_ioctl *dmock_req(const struct dmock *m, size_t i);

/* Replies. */
void dmock_reply_info(struct dm_ioctl *io, const void *arg);	/* arg: const struct dm_ioctl * (header to copy back) */
void dmock_reply_table(struct dm_ioctl *io, const void *arg);	/* arg: const char * table text, kernel layout */
void dmock_reply_buffer_full(struct dm_ioctl *io, const void *arg);

/* Build a DM_TABLE_STATUS reply as the kernel's retrieve_status() does; returns
 * 0, or -1 if it does not fit (then sets DM_BUFFER_FULL_FLAG like the kernel). */
int dmock_fill_table(struct dm_ioctl *io, const char *text);
/* Parse a DM_TABLE_LOAD payload as the kernel's populate_table() does; return
 * the table as text ("START LEN TYPE PARAMS\n" lines) in @out, or -1 when the
 * kernel would refuse it. */
int dmock_kernel_parse_load(const struct dm_ioctl *io, char *out, size_t len);

#endif
