/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one number parser (core/num.h) on the fuzz bytes, which reach it from
 * plans, state files and LVM's and the kernel's text: each function under
 * each syntax, given exactly the bytes read where it takes a length (ASan
 * catches a read past them).  What it accepts must be what it says:
 * strtoll(.., 0) and vnum under VNUM_C agree on every input, a strict
 * decimal prints back as itself, and every result is within its bounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct vnum_unit units[] = {
	{ "b", 1 }, { "s", 512 }, { "K", 1ull << 10 }, { "k", 1ull << 10 }, { "M", 1ull << 20 },
	{ "G", 1ull << 30 }, { "T", 1ull << 40 }, { NULL, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *cut = malloc(size ? size : 1), *end;
	unsigned flags[] = { 0, VNUM_ZEROS, VNUM_C, VNUM_ZEROS | VNUM_IEC, VNUM_C | VNUM_IEC };
	uint64_t u;
	int64_t i;

	if (!s || !cut)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	memcpy(cut, data, size);
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		if (vnum_u64(s, flags[f], 1000000, &u) == 0 && u > 1000000)
			abort();
		if (vnum_i64(s, flags[f], -20, 19, &i) == 0 && (i < -20 || i > 19))
			abort();
		if (vnum_size(s, flags[f], units, UINT64_MAX - 1, &u) == 0 && u == UINT64_MAX)
			abort();
		(void)vnum_size_i64(s, flags[f], units, INT64_MIN, INT64_MAX, &i);
		(void)vnum_u64n(cut, size, flags[f], UINT64_MAX, &u);
	}
	/* flags 0: a number accepted prints back as the same text */
	if (vnum_u64(s, 0, UINT64_MAX, &u) == 0) {
		char back[24];

		snprintf(back, sizeof(back), "%" PRIu64, u);
		if (strcmp(back, s))
			abort();
	}
	/* VNUM_C is strtoll(.., 0): the same numbers, the same values */
	{
		int r = vnum_i64(s, VNUM_C, INT64_MIN, INT64_MAX, &i);
		long long c;

		errno = 0;
		c = strtoll(s, &end, 0);
		if (strlen(s) != size)
			; /* a NUL inside: strtoll sees less */
		else if ((r == 0) != (end != s && !*end && !errno) || (r == 0 && c != i))
			abort();
	}
	if (vnum_seconds_ms(s, 604800, &u) == 0 && u > 604800000)
		abort();
	free(s);
	free(cut);
	return 0;
}
