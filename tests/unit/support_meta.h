/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for the src/meta unit tests: scratch files and running drbdmeta. */
#ifndef VMHOP_TESTS_SUPPORT_META_H
#define VMHOP_TESTS_SUPPORT_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A scratch directory under $TMPDIR (or /tmp), removed by tmeta_cleanup(). */
const char *tmeta_dir(void);
void tmeta_cleanup(void);
/* cmocka group fixtures: make the scratch directory, remove it. */
int tmeta_group_setup(void **state);
int tmeta_group_teardown(void **state);
/* "<dir>/<name>" in a static ring of buffers (valid for a few calls). */
const char *tmeta_path(const char *name);

/* drbdmeta is found through PATH (root's has /usr/sbin); a test that compares
 * with it calls skip() when it is not there, never passes silently. */
bool tmeta_have_drbdmeta(void);
/* The DRBD minor to give drbdmeta: it locks /var/lock/drbd-147-<minor>, so
 * each test process uses its own to run beside other tests. */
int tmeta_minor(void);
/* Run a shell command line (printf format); returns its exit status, -1 if it
 * did not exit.  Output goes to @out (NUL-terminated, caller frees) when
 * non-NULL, else to /dev/null. */
int tmeta_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Create @path as a sparse file of @size bytes (truncating it). */
void tmeta_sparse(const char *path, uint64_t size);
/* Create @path filled with byte @fill. */
void tmeta_filled(const char *path, uint64_t size, uint8_t fill);
uint64_t tmeta_size(const char *path);
/* Read @len bytes at @off (malloc'ed). */
uint8_t *tmeta_read(const char *path, uint64_t off, size_t len);
void tmeta_write(const char *path, uint64_t off, const void *buf, size_t len);
/* First differing byte offset of two files (same size assumed), or -1. */
int64_t tmeta_cmp(const char *a, const char *b);
/* True if [off, off+len) of @path is all zero. */
bool tmeta_zero(const char *path, uint64_t off, uint64_t len);
void tmeta_copy(const char *from, const char *to);

#endif
