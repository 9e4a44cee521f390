/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small files that must survive a crash whole or not at all (plans,
 * journals), and the locks that keep two vmhop processes apart.
 */
#ifndef VMHOP_BASE_FILE_H
#define VMHOP_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

/*
 * Replace @path with @len bytes of @data, atomically: write a new file of a
 * unique name, "<path>.tmp.XXXXXX" (mkostemp: created 0600, never an
 * existing file or link, so a name another user made first cannot catch
 * the data; then fchmod'ed to @mode), fsync it, rename it over @path, fsync
 * the directory.  A crash leaves either the old file or the new one (and
 * perhaps that temporary file); a failure removes the temporary file.  With @excl, an existing @path is refused (-EEXIST)
 * and never replaced (the final step is link(2), not rename(2)).
 */
int vfile_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool excl,
		       struct vh_error *e) VH_MUST_CHECK;

/*
 * Read all of @path (at most @max bytes: -EFBIG beyond) into a NUL-terminated
 * malloc'ed buffer (*ret; *ret_len its length, NUL not counted).  -ENOENT if
 * absent.  A file with a NUL byte inside is -EBADMSG (our files are text).
 */
int vfile_read(const char *path, size_t max, char **ret, size_t *ret_len,
	       struct vh_error *e) VH_MUST_CHECK;

/*
 * Files that hold a secret (a plan, DRBD's shared-secret) must be private,
 * as ssh wants a private key: a regular file, not a symbolic link, owned by
 * root (or by the effective user), with no permission for group or others.
 * vfile_open_private() opens @path with O_NOFOLLOW and checks the open
 * descriptor (fstat: the file checked is the file read), returning it, or
 * -EPERM (a link, another owner, a group/other bit), -EINVAL (not a regular
 * file), -errno; the message names @what ("plan", "secret file") and @path.
 * vfile_read_private() is vfile_read() of a file vfile_open_private() accepts.
 */
int vfile_open_private(const char *path, const char *what, struct vh_error *e) VH_MUST_CHECK;
int vfile_read_private(const char *path, const char *what, size_t max, char **ret,
		       size_t *ret_len, struct vh_error *e) VH_MUST_CHECK;

/* unlink @path (absent is fine) and fsync its directory. */
int vfile_remove(const char *path, struct vh_error *e) VH_MUST_CHECK;

/* mkdir -p @dir with @mode for what it creates (existing parts are kept). */
int vfile_mkdir_p(const char *dir, mode_t mode, struct vh_error *e) VH_MUST_CHECK;

/*
 * flock(LOCK_EX) on @path (created 0600 if absent).  @timeout_ms 0: try once
 * (-EBUSY if held), > 0: retry for that long (then -EBUSY), < 0: wait.
 * Returns the descriptor (>= 0) that holds the lock; vfile_unlock() closes it.
 */
int vfile_lock(const char *path, int timeout_ms, struct vh_error *e) VH_MUST_CHECK;
void vfile_unlock(int fd);

#endif
