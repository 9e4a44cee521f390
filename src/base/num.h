/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Numbers as vmhop reads them -- from a command line, a plan, its own state
 * files, or the text of the kernel or a library: one parser for plain
 * numbers, sizes and rates (a number and a unit suffix from the caller's
 * table) and durations (seconds, to the millisecond).
 *
 * Every function reads the whole string (nothing before or after it but
 * what @flags allow), writes *ret only on success, and returns 0, -EINVAL
 * (not such a number: empty, a stray character, an unknown unit) or
 * -ERANGE (such a number, but outside the range asked for; overflow is
 * out of range, never wrapped).  A '-' is never read by the unsigned
 * functions (strtoull would take "-1" for 2^64 - 1).
 */
#ifndef VMHOP_BASE_NUM_H
#define VMHOP_BASE_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/*
 * How a number may be written.  0: decimal digits, no sign but a '-' where
 * the range has negative numbers (vnum_i64), no white space, no leading zero
 * but "0" itself ("010" is eight to strtol(.., 0), ten to strtol(.., 10):
 * refused, so that nobody has to guess).
 */
#define VNUM_ZEROS	(1u << 0)	/* leading zeros are decimal: "007" is seven */
/* C's integer syntax, as strtoll(s, NULL, 0) reads it and drbdsetup takes
 * its options: leading white space, a '+' or '-', 0x hex, a leading 0 octal */
#define VNUM_C		(1u << 1)
/* vnum_size: a suffix whose multiplier is a power of 1024 may go on with
 * i, B, b, iB or ib ("4K", "4Ki", "4KiB", "4KB": all 4096 bytes) */
#define VNUM_IEC	(1u << 2)

/* A decimal (by @flags) number, at most @max. */
int vnum_u64(const char *s, unsigned flags, uint64_t max, uint64_t *ret) VH_MUST_CHECK;
/* The same, of the @n bytes at @s (a field cut out of a longer text). */
int vnum_u64n(const char *s, size_t n, unsigned flags, uint64_t max, uint64_t *ret) VH_MUST_CHECK;
/* A signed number in @min..@max. */
int vnum_i64(const char *s, unsigned flags, int64_t min, int64_t max, int64_t *ret) VH_MUST_CHECK;

/* One unit suffix of a size or rate: matched whole and case-sensitively
 * ("k" and "K" are two rows), it multiplies the number by @mult. */
struct vnum_unit {
	const char *suffix;
	uint64_t mult;
};

/* Byte counts as vmhop's commands take them: b (bytes), s (512-byte
 * sectors), K, M, G, T (powers of 1024), in either case; with VNUM_IEC also
 * "64KiB", "64KB", "64Ki". */
extern const struct vnum_unit vnum_bytes[];

/* A number with an optional unit from @units (ended by a row whose suffix
 * is NULL; NULL: no unit is taken): the number times the unit's multiplier,
 * at most @max.  No unit: the number as it is (the caller's base unit). */
int vnum_size(const char *s, unsigned flags, const struct vnum_unit *units, uint64_t max,
	      uint64_t *ret) VH_MUST_CHECK;
/* The same, signed, in @min..@max. */
int vnum_size_i64(const char *s, unsigned flags, const struct vnum_unit *units, int64_t min,
		  int64_t max, int64_t *ret) VH_MUST_CHECK;

/* Seconds to the millisecond, "S" or "S.f" (one to three digits of f; S
 * decimal as with flags 0), at most @max_s seconds (and not a millisecond
 * more), as milliseconds.  @max_s above UINT64_MAX / 1000 is taken as that. */
int vnum_seconds_ms(const char *s, uint64_t max_s, uint64_t *ret_ms) VH_MUST_CHECK;

#endif
