/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The resync's rate and time left, as /proc/drbd shows them.  DRBD 8.4's
 * STATE_INFO carries how much is left (bits_oos, bits_rs_total) but not how
 * fast it goes: the kernel keeps rolling sync marks (rs_mark_left/time) and
 * shows the figures they give only in /proc/drbd (drbd_proc.c,
 * drbd_syncer_progress), one block per minor:
 *
 *   100: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
 *       ns:12288 nr:0 dw:0 dr:12800 al:8 bm:0 lo:0 pe:2 ua:0 ap:0 ep:1 wo:f oos:53248
 *   	[====>...............] sync'ed: 18.8% (53248/65536)K
 *   	finish: 0:00:04 speed: 12,288 (12,288) K/sec
 *
 * (a resync of more than 4 GiB shows "(…/…)M" instead of "K").
 * "finish" from the mark about 18 s back, "speed" over the same span, the
 * figure in brackets the mean since the resync began ("(3 s -- mean)" with
 * proc_details); " want: N" (SyncTarget) and " (stalled)" may follow.
 * The parser reads only the bytes given and trusts none of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlink/internal.h"

#define PROC_MAX (64 * 1024)	/* bytes of /proc/drbd read: a few hundred per minor */

struct cur {
	const char *p, *end;
};

static bool at(const struct cur *c, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(c->end - c->p) >= n && !memcmp(c->p, s, n);
}

static bool skip(struct cur *c, const char *s)
{
	if (!at(c, s))
		return false;
	c->p += strlen(s);
	return true;
}

static void skip_blanks(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static bool is_digit(const struct cur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* Decimal digits, at most @max; false when there are none or it is larger. */
static bool number(struct cur *c, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!is_digit(c))
		return false;
	for (; is_digit(c); c->p++) {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

/* The kernel's seq_printf_with_thousands_grouping: "7", "12,288", "1,048,576". */
static bool grouped(struct cur *c, uint64_t *ret)
{
	uint64_t v, g;

	if (!number(c, UINT64_MAX, &v))
		return false;
	while (c->p + 4 <= c->end && c->p[0] == ',' && c->p[1] >= '0' && c->p[1] <= '9') {
		const char *mark = ++c->p;

		if (!number(c, 999, &g) || c->p - mark != 3 || v > (UINT64_MAX - g) / 1000)
			return false;
		v = v * 1000 + g;
	}
	*ret = v;
	return true;
}

/* The end of the line at c->p (its '\n' or the end of the bytes). */
static const char *line_end(const struct cur *c)
{
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));

	return nl ? nl : c->end;
}

/* "NN: cs:": the first line of a minor's block; the minor in *ret. */
static bool block_start(struct cur c, uint64_t *ret)
{
	skip_blanks(&c);
	return number(&c, UINT32_MAX, ret) && skip(&c, ": cs:");
}

/* "finish: H:MM:SS speed: N (…) [want: N] K/sec[ (stalled)]", where it
 * begins in the line: older kernels printed it right after a "(…)M"
 * figure, on the progress bar's line. */
static bool finish_line(struct cur c, struct drbdnl_proc_sync *ret)
{
	static const char key[] = "finish: ";
	uint64_t h, m, s, v, mean;
	const char *f = memmem(c.p, (size_t)(c.end - c.p), key, sizeof(key) - 1);

	if (!f)
		return false;
	c.p = f;
	if (!skip(&c, key) || !number(&c, UINT32_MAX, &h) || !skip(&c, ":") ||
	    !number(&c, 59, &m) || !skip(&c, ":") || !number(&c, 59, &s) ||
	    !skip(&c, " speed: ") || !grouped(&c, &v) || !skip(&c, " ("))
		return false;
	if (!grouped(&c, &mean))
		return false;
	if (skip(&c, " -- ") && !grouped(&c, &mean))	/* proc_details: "(3 s -- mean)" */
		return false;
	if (!skip(&c, ")"))
		return false;
	if (skip(&c, " want: ") && !grouped(&c, &ret->want_kib_s))
		return false;
	if (!skip(&c, " K/sec"))
		return false;
	ret->stalled = skip(&c, " (stalled)");
	ret->eta_s = h * 3600 + m * 60 + s;
	ret->rate_kib_s = v;
	ret->mean_kib_s = mean;
	ret->found = true;
	return true;
}

int drbdnl_proc_parse(const char *buf, size_t len, uint32_t minor, struct drbdnl_proc_sync *ret)
{
	struct cur c = { .p = buf, .end = buf + len };
	bool mine = false;

	memset(ret, 0, sizeof(*ret));
	while (c.p < c.end) {
		const char *eol = line_end(&c);
		struct cur line = { .p = c.p, .end = eol };
		uint64_t m;

		if (block_start(line, &m))
			mine = m == minor;
		else if (mine && finish_line(line, ret))
			return 0;
		c.p = eol < c.end ? eol + 1 : eol;
	}
	memset(ret, 0, sizeof(*ret));
	return 0;
}

int drbdnl_proc_sync(const char *path, uint32_t minor, struct drbdnl_proc_sync *ret,
		     struct vh_error *e)
{
	const char *file = path ? path : DRBDNL_PROC_PATH;
	size_t len = 0;
	char *buf;
	int fd, r = 0;

	memset(ret, 0, sizeof(*ret));
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return vh_err(e, -ENOPKG, "%s does not exist: the drbd module is not loaded",
				      file);
		return vh_err(e, -errno, "cannot open %s: %s", file, strerror(errno));
	}
	if (!(buf = malloc(PROC_MAX))) {
		close(fd);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	/* A seq_file: read until EOF, at most PROC_MAX (the minors after are not seen). */
	while (len < PROC_MAX) {
		ssize_t n = read(fd, buf + len, PROC_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = vh_err(e, -errno, "cannot read %s: %s", file, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r == 0)
		r = drbdnl_proc_parse(buf, len, minor, ret);
	free(buf);
	return r;
}
