/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers, sizes and durations: one parser (core/num.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/num.h"

const struct vnum_unit vnum_bytes[] = {
	{ "b", 1 }, { "B", 1 }, { "s", 512 }, { "S", 512 },
	{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "m", 1ull << 20 }, { "M", 1ull << 20 },
	{ "g", 1ull << 30 }, { "G", 1ull << 30 }, { "t", 1ull << 40 }, { "T", 1ull << 40 },
	{ NULL, 0 },
};

/* What scan() read: the sign, the number's magnitude and the unit's multiplier. */
struct scanned {
	bool neg;
	bool overflow;		/* the digits alone do not fit 64 bits */
	uint64_t mag;
	uint64_t mult;
};

static unsigned digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 99;
}

/* isspace() in the C locale, which strtoll skips */
static bool blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* 1024, 1024^2, ...: the multipliers a "KiB"-style tail may follow */
static bool iec(uint64_t m)
{
	int shift = 0;

	if (m < 1024 || (m & (m - 1)))
		return false;
	while (m >>= 1)
		shift++;
	return shift % 10 == 0;
}

static bool iec_tail(const char *t, size_t n)
{
	static const char *const tails[] = { "i", "B", "b", "iB", "ib" };

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++)
		if (strlen(tails[i]) == n && !memcmp(t, tails[i], n))
			return true;
	return false;
}

/* The unit @t (@n bytes, not empty) names in @units: its multiplier, or 0. */
static uint64_t unit(const char *t, size_t n, unsigned flags, const struct vnum_unit *units)
{
	for (const struct vnum_unit *u = units; u && u->suffix; u++) {
		size_t k = strlen(u->suffix);

		if (!k || k > n || memcmp(t, u->suffix, k) || !u->mult)
			continue;
		if (k == n || ((flags & VNUM_IEC) && iec(u->mult) && iec_tail(t + k, n - k)))
			return u->mult;
	}
	return 0;
}

/*
 * The syntax, all of it: -EINVAL for anything that is not a number as
 * @flags write it, followed by nothing or by one of @units.  The value is
 * left to the callers (overflow is noted, not refused, so that "99...9x"
 * is -EINVAL as "x" makes it, whatever its digits).
 */
static int scan(const char *s, size_t n, unsigned flags, const struct vnum_unit *units,
		bool sign, struct scanned *ret)
{
	const char *p = s, *end = s + n, *digits;
	unsigned base = 10;

	if (!s)
		return -EINVAL;
	*ret = (struct scanned){ .mult = 1 };
	if (flags & VNUM_C)
		while (p < end && blank(*p))
			p++;
	if (p < end && (*p == '-' || (*p == '+' && (flags & VNUM_C)))) {
		if (*p == '-' && !sign)
			return -EINVAL;
		ret->neg = *p == '-';
		p++;
	}
	if ((flags & VNUM_C) && p < end && *p == '0') {
		/* "0x" without a hex digit is strtoll's 0 followed by "x" */
		if (end - p > 2 && (p[1] == 'x' || p[1] == 'X') && digit(p[2]) < 16) {
			base = 16;
			p += 2;
		} else {
			base = 8;
		}
	}
	for (digits = p; p < end && digit(*p) < base; p++) {
		unsigned d = digit(*p);

		if (ret->mag > (UINT64_MAX - d) / base)
			ret->overflow = true;
		else
			ret->mag = ret->mag * base + d;
	}
	if (p == digits)
		return -EINVAL;
	if (!(flags & (VNUM_ZEROS | VNUM_C)) && digits[0] == '0' && p - digits > 1)
		return -EINVAL;
	if (p < end && !(ret->mult = unit(p, (size_t)(end - p), flags, units)))
		return -EINVAL;
	return 0;
}

/* The number scan() read, unsigned, at most @max. */
static int to_u64(const struct scanned *v, uint64_t max, uint64_t *ret)
{
	if (v->overflow || v->mag > UINT64_MAX / v->mult || v->mag * v->mult > max)
		return -ERANGE;
	*ret = v->mag * v->mult;
	return 0;
}

static int to_i64(const struct scanned *v, int64_t min, int64_t max, int64_t *ret)
{
	uint64_t m;
	int64_t x;

	if (v->overflow || v->mag > UINT64_MAX / v->mult)
		return -ERANGE;
	m = v->mag * v->mult;
	if (m > (uint64_t)INT64_MAX + v->neg)
		return -ERANGE;
	/* -(2^63) is INT64_MIN: negate after the cast of one less */
	x = v->neg ? (m ? -(int64_t)(m - 1) - 1 : 0) : (int64_t)m;
	if (x < min || x > max)
		return -ERANGE;
	*ret = x;
	return 0;
}

int vnum_u64n(const char *s, size_t n, unsigned flags, uint64_t max, uint64_t *ret)
{
	struct scanned v;
	int r = scan(s, n, flags, NULL, false, &v);

	return r ? r : to_u64(&v, max, ret);
}

int vnum_u64(const char *s, unsigned flags, uint64_t max, uint64_t *ret)
{
	return vnum_u64n(s, s ? strlen(s) : 0, flags, max, ret);
}

int vnum_i64(const char *s, unsigned flags, int64_t min, int64_t max, int64_t *ret)
{
	return vnum_size_i64(s, flags, NULL, min, max, ret);
}

int vnum_size(const char *s, unsigned flags, const struct vnum_unit *units, uint64_t max,
	      uint64_t *ret)
{
	struct scanned v;
	int r = scan(s, s ? strlen(s) : 0, flags, units, false, &v);

	return r ? r : to_u64(&v, max, ret);
}

int vnum_size_i64(const char *s, unsigned flags, const struct vnum_unit *units, int64_t min,
		  int64_t max, int64_t *ret)
{
	struct scanned v;
	int r = scan(s, s ? strlen(s) : 0, flags, units, true, &v);

	return r ? r : to_i64(&v, min, max, ret);
}

int vnum_seconds_ms(const char *s, uint64_t max_s, uint64_t *ret_ms)
{
	const char *dot = s ? strchr(s, '.') : NULL;
	uint64_t sec, ms = 0;
	size_t frac;
	int r;

	if (!s)
		return -EINVAL;
	if (max_s > UINT64_MAX / 1000)
		max_s = UINT64_MAX / 1000;
	if (dot) {
		/* "5." or below a millisecond: -EINVAL, whatever the seconds */
		frac = strlen(dot + 1);
		if (!frac || frac > 3)
			return -EINVAL;
		for (size_t i = 0; i < 3; i++) {
			char c = i < frac ? dot[1 + i] : '0';

			if (c < '0' || c > '9')
				return -EINVAL;
			ms = ms * 10 + (uint64_t)(c - '0');
		}
	}
	r = vnum_u64n(s, dot ? (size_t)(dot - s) : strlen(s), 0, max_s, &sec);
	if (r)
		return r;
	if (sec == max_s && ms)
		return -ERANGE;
	*ret_ms = sec * 1000 + ms;
	return 0;
}
