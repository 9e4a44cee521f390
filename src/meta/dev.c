/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Meta device I/O: open exclusively (a device the kernel or a mount holds is
 * refused with EBUSY), O_DIRECT so that what we write is what the kernel
 * reads (no page cache in between), fast zeroing, explicit flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta/dev.h"

#define ZERO_CHUNK_IOCTL	(1ull << 30)	/* BLKZEROOUT per call: 1 GiB */
#define ZERO_CHUNK_WRITE	(8u << 20)	/* fallback writes: 8 MiB */
#define IO_ALIGN		4096u

int vmeta_dev_open(const char *path, bool rw, struct vmeta_dev *ret, struct vh_error *e)
{
	int flags = O_CLOEXEC | (rw ? O_RDWR | O_EXCL : O_RDONLY);
	struct stat st;
	int fd, r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	ret->path = path;
	fd = open(path, flags | O_DIRECT);
	if (fd < 0 && errno == EINVAL) {
		/* File systems without O_DIRECT (tmpfs): buffered I/O plus fdatasync. */
		fd = open(path, flags);
	} else if (fd >= 0) {
		ret->direct = true;
	}
	if (fd < 0) {
		r = -errno;
		if (r == -EBUSY)
			return vh_err(e, r, "%s is in use (held open by the kernel, a mount "
				      "or another program)", path);
		return vh_err(e, r, "open %s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return vh_err(e, r, "stat %s: %s", path, strerror(-r));
	}
	if (S_ISBLK(st.st_mode)) {
		int ss = 512;

		if (ioctl(fd, BLKGETSIZE64, &ret->bytes) < 0) {
			r = -errno;
			close(fd);
			return vh_err(e, r, "BLKGETSIZE64 %s: %s", path, strerror(-r));
		}
		if (ioctl(fd, BLKSSZGET, &ss) < 0 || ss < 512 || ss > 4096)
			ss = 512;
		ret->sect = (unsigned int)ss;
		ret->blk = true;
	} else if (S_ISREG(st.st_mode)) {
		ret->bytes = (uint64_t)st.st_size;
		ret->sect = 512;
	} else {
		close(fd);
		return vh_err(e, -EINVAL, "%s is neither a block device nor a regular file", path);
	}
	ret->fd = fd;
	return 0;
}

void vmeta_dev_close(struct vmeta_dev *d)
{
	if (d && d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

void *vmeta_dev_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, IO_ALIGN, len ? len : IO_ALIGN))
		return NULL;
	memset(p, 0, len);
	return p;
}

static int io_range_check(struct vmeta_dev *d, size_t len, uint64_t off, const char *what,
			  struct vh_error *e)
{
	if (off > d->bytes || len > d->bytes - off)
		return vh_err(e, -ENOSPC, "%s %s: %zu bytes at %llu lie beyond the end of the "
			      "device (%llu bytes)", what, d->path, len, (unsigned long long)off,
			      (unsigned long long)d->bytes);
	return 0;
}

int vmeta_dev_read(struct vmeta_dev *d, void *buf, size_t len, uint64_t off, struct vh_error *e)
{
	size_t done = 0;
	int r = io_range_check(d, len, off, "read", e);

	if (r < 0)
		return r;
	while (done < len) {
		ssize_t n = pread(d->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vh_err(e, -errno, "read %s at %llu: %s", d->path,
				      (unsigned long long)(off + done), strerror(errno));
		if (n == 0)
			return vh_err(e, -EIO, "read %s at %llu: unexpected end of device",
				      d->path, (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return 0;
}

int vmeta_dev_write(struct vmeta_dev *d, const void *buf, size_t len, uint64_t off,
		    struct vh_error *e)
{
	size_t done = 0;
	int r = io_range_check(d, len, off, "write", e);

	if (r < 0)
		return r;
	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vh_err(e, -errno, "write %s at %llu: %s", d->path,
				      (unsigned long long)(off + done), strerror(errno));
		if (n == 0)
			return vh_err(e, -EIO, "write %s at %llu: no progress", d->path,
				      (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return 0;
}

static int zero_ioctl(struct vmeta_dev *d, uint64_t off, uint64_t len)
{
	while (len) {
		uint64_t chunk = len < ZERO_CHUNK_IOCTL ? len : ZERO_CHUNK_IOCTL;
		uint64_t range[2] = { off, chunk };

		if (ioctl(d->fd, BLKZEROOUT, range) < 0)
			return -errno;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

static int zero_fallocate(struct vmeta_dev *d, int mode, uint64_t off, uint64_t len)
{
	if (fallocate(d->fd, mode | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
		return -errno;
	return 0;
}

static int zero_write(struct vmeta_dev *d, uint64_t off, uint64_t len, struct vh_error *e)
{
	size_t bl = len < ZERO_CHUNK_WRITE ? (size_t)len : ZERO_CHUNK_WRITE;
	void *buf = vmeta_dev_buf(bl);
	int r = 0;

	if (!buf)
		return vh_err(e, -ENOMEM, "out of memory");
	while (len && r == 0) {
		size_t chunk = len < bl ? (size_t)len : bl;

		r = vmeta_dev_write(d, buf, chunk, off, e);
		off += chunk;
		len -= chunk;
	}
	free(buf);
	return r;
}

int vmeta_dev_zero(struct vmeta_dev *d, uint64_t off, uint64_t len, bool fast,
		   enum vmeta_zero_method *ret_method, struct vh_error *e)
{
	int r = io_range_check(d, (size_t)len, off, "zero", e);

	if (r < 0)
		return r;
	if (len == 0) {
		*ret_method = VMETA_ZERO_NONE;
		return 0;
	}
	if (fast && d->blk && off % d->sect == 0 && len % d->sect == 0) {
		if (zero_ioctl(d, off, len) == 0) {
			*ret_method = VMETA_ZERO_BLKZEROOUT;
			return 0;
		}
	} else if (fast && !d->blk) {
		/* A hole reads as zeros and costs nothing to make or to read back. */
		if (zero_fallocate(d, FALLOC_FL_PUNCH_HOLE, off, len) == 0) {
			*ret_method = VMETA_ZERO_PUNCH;
			return 0;
		}
		if (zero_fallocate(d, FALLOC_FL_ZERO_RANGE, off, len) == 0) {
			*ret_method = VMETA_ZERO_FALLOCATE;
			return 0;
		}
	}
	*ret_method = VMETA_ZERO_WRITE;
	return zero_write(d, off, len, e);
}

int vmeta_dev_flush(struct vmeta_dev *d, struct vh_error *e)
{
	if (fdatasync(d->fd) < 0 && errno != EINVAL)
		return vh_err(e, -errno, "flush %s: %s", d->path, strerror(errno));
	return 0;
}
