/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Meta device I/O for src/meta (private to the module). */
#ifndef VMHOP_META_DEV_H
#define VMHOP_META_DEV_H

#include "meta/meta.h"

struct vmeta_dev {
	int fd;
	uint64_t bytes;			/* capacity */
	unsigned int sect;		/* logical block size (512 for files) */
	bool blk;			/* block device (else regular file) */
	bool direct;			/* opened O_DIRECT */
	const char *path;
};

/* Open @path read-write with O_EXCL (refuses a device in use: -EBUSY) or
 * read-only without; O_DIRECT where the file system allows it. */
int vmeta_dev_open(const char *path, bool rw, struct vmeta_dev *ret, struct vh_error *e)
	VH_MUST_CHECK;
void vmeta_dev_close(struct vmeta_dev *d);

/* A zeroed buffer aligned for O_DIRECT; free() it. */
void *vmeta_dev_buf(size_t len);

int vmeta_dev_read(struct vmeta_dev *d, void *buf, size_t len, uint64_t off,
		   struct vh_error *e) VH_MUST_CHECK;
int vmeta_dev_write(struct vmeta_dev *d, const void *buf, size_t len, uint64_t off,
		    struct vh_error *e) VH_MUST_CHECK;
/* Zero [off, off + len): BLKZEROOUT or fallocate where possible, else large
 * aligned writes (always writes when @fast is false). */
int vmeta_dev_zero(struct vmeta_dev *d, uint64_t off, uint64_t len, bool fast,
		   enum vmeta_zero_method *ret_method, struct vh_error *e) VH_MUST_CHECK;
/* Make everything written so far durable (fdatasync; a cache flush on block devices). */
int vmeta_dev_flush(struct vmeta_dev *d, struct vh_error *e) VH_MUST_CHECK;

#endif
