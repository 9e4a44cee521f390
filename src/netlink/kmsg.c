/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why did a connection go StandAlone?  The state alone does not say: DRBD
 * writes the reason only to the kernel log ("Authentication of peer
 * failed", "Split-Brain detected ...").  Read /dev/kmsg (a file, no program
 * run) for the resource's last such line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netlink/internal.h"

struct reason {
	const char *needle;
	int err;
	const char *text;
};

static const struct reason reasons[] = {
	{ "Authentication of peer failed", -EKEYREJECTED,
	  "the peer failed HMAC authentication: the shared secret (or cram-hmac-alg) differs" },
	{ "wrong HMAC", -EKEYREJECTED,
	  "the peer failed HMAC authentication: the shared secret (or cram-hmac-alg) differs" },
	{ "Split-Brain detected", -ECONNREFUSED,
	  "split brain detected: both sides changed the data; DRBD disconnected (nothing was discarded)" },
	{ "incompatible", -EPROTO, "the peer's configuration is incompatible" },
	{ "Unrelated data", -EPROTO, "the peer's data is unrelated to ours (different UUIDs)" },
	{ "Discarding network configuration", -ENOTCONN, "DRBD gave up the connection" },
};

/*
 * Returns the errno of the most telling reason logged for @res since its
 * last connect (0: none found), with a sentence in @buf.  @path: NULL for
 * /dev/kmsg (tests pass a file of the same format).
 */
int drbdnl_kernel_reason(const char *path, const char *res, char *buf, size_t len)
{
	char line[1024], tag[160];
	size_t best = sizeof(reasons) / sizeof(reasons[0]);
	FILE *f;
	int fd;

	buf[0] = '\0';
	if (!path)
		path = "/dev/kmsg";
	if (!res || !res[0])
		return 0;
	snprintf(tag, sizeof(tag), "drbd %s: ", res);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 0;
	}
	for (;;) {
		const char *msg;

		if (!fgets(line, sizeof(line), f)) {
			/* EPIPE: records were overwritten while we read; go on */
			if (ferror(f) && errno == EPIPE) {
				clearerr(f);
				continue;
			}
			break;	/* EAGAIN at the end of the log, or EOF */
		}
		if (line[0] == ' ')
			continue;	/* a record's KEY=value continuation */
		/* "prio,seq,usec,flags;text" */
		msg = strchr(line, ';');
		msg = msg ? msg + 1 : line;
		if (!strstr(msg, tag))
			continue;
		if (strstr(msg, "StandAlone -> Unconnected")) {
			best = sizeof(reasons) / sizeof(reasons[0]);	/* a new connect */
			continue;
		}
		for (size_t i = 0; i < best; i++)
			if (strstr(msg, reasons[i].needle)) {
				best = i;
				break;
			}
	}
	fclose(f);
	if (best == sizeof(reasons) / sizeof(reasons[0]))
		return 0;
	snprintf(buf, len, "%s", reasons[best].text);
	return reasons[best].err;
}
