/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dm ioctl seam (vdm_set_ioctl_fn) for the fuzz harnesses fuzz_dm_*.c.
 *
 * The input is what the kernel writes back into the buffer it was handed:
 * at most the data_size of the request, the rest of those bytes zero (the
 * header fields, data_size and flags included, come from the input).  The
 * part of the buffer beyond what the kernel was handed is poisoned, so ASan
 * sees a parser that reads past it.  DM_BUFFER_FULL_FLAG is honoured on the
 * first call only (the growth is bounded by VDM_MAX_BUF; following it to
 * 64 MiB on every input would only slow the fuzzer down).
 *
 * Oracle, besides the sanitizers: an error always leaves with its code and a
 * message (fz_dm_check()).
 */
#ifndef VMHOP_FUZZ_DM_SEAM_H
#define VMHOP_FUZZ_DM_SEAM_H

#include <errno.h>
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm/dm-int.h"

struct fz_dm {
	const uint8_t *data;
	size_t len;
	unsigned calls;
	struct vdm_ctl c;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fz_dm_check(int r, const struct vh_error *e)
{
	if (r < 0 && (e->code != r || !e->msg[0]))
		abort();
}

static inline int fz_dm_ioctl(int fd, unsigned long request, struct dm_ioctl *io, void *ud)
{
	struct fz_dm *z = ud;
	size_t size, n;

	(void)fd;
	(void)request;
	ASAN_UNPOISON_MEMORY_REGION(z->c.buf, z->c.cap);
	size = io->data_size;	/* what the kernel may write */
	if (size > z->c.cap)
		abort();	/* vdm__exec() handed over more than it has */
	n = z->len < size ? z->len : size;
	memcpy(io, z->data, n);
	memset((char *)io + n, 0, size - n);
	if (z->calls++)
		io->flags &= ~DM_BUFFER_FULL_FLAG;
	if (!(io->flags & DM_BUFFER_FULL_FLAG))
		ASAN_POISON_MEMORY_REGION((char *)z->c.buf + size, z->c.cap - size);
	return 0;
}

static inline void fz_dm_start(struct fz_dm *z, const uint8_t *data, size_t size)
{
	memset(z, 0, sizeof(*z));
	z->data = data;
	z->len = size;
	if (vdm_open_fd(&z->c, -1, NULL))
		abort();
	z->c.busy_delay_us = 0;
	vdm_set_ioctl_fn(fz_dm_ioctl, z);
}

/* Before the next request of the same input. */
static inline void fz_dm_again(struct fz_dm *z)
{
	ASAN_UNPOISON_MEMORY_REGION(z->c.buf, z->c.cap);
	z->calls = 0;
}

static inline void fz_dm_finish(struct fz_dm *z)
{
	ASAN_UNPOISON_MEMORY_REGION(z->c.buf, z->c.cap);
	vdm_set_ioctl_fn(NULL, NULL);
	free(z->c.buf);
	z->c.buf = NULL;
}

#endif
