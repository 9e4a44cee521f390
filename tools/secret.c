/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A secret (DRBD's shared-secret) read from a file or from standard input,
 * never from the command line, where ps(1) and /proc/PID/cmdline show it to
 * every user for as long as the program runs.
 *
 * The file must be a regular file owned by root (or by the user we run as)
 * that no group or other user can read or write; the rule is ssh's for
 * private keys.  It holds one line; the newline ending it is not part of the
 * secret.  Bytes are read with read(2) straight into the caller's buffer (no
 * stdio buffer keeps a copy), and everything else that held them is zeroed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "vmhop.h"

/* Up to @size - 1 bytes, stopping after a newline when @one_line; returns the
 * count or -errno.  Sets *ret_more when bytes were left unread. */
static ssize_t read_upto(int fd, char *buf, size_t size, bool one_line, bool *ret_more)
{
	size_t n = 0;

	*ret_more = false;
	while (n < size - 1) {
		/* one byte at a time on a pipe or tty: the rest is not ours */
		ssize_t r = read(fd, buf + n, one_line ? 1 : size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return (ssize_t)n;
		n += (size_t)r;
		if (one_line && buf[n - 1] == '\n')
			return (ssize_t)n;
	}
	/* full: is there more? */
	{
		char c;
		ssize_t r;

		do
			r = read(fd, &c, 1);
		while (r < 0 && errno == EINTR);
		*ret_more = r > 0;
		explicit_bzero(&c, sizeof(c));
	}
	return (ssize_t)n;
}

int vh_secret_read(const char *path, char *buf, size_t size, struct vh_error *e)
{
	bool from_stdin = !strcmp(path, "-"), more = false;
	const char *what = from_stdin ? "standard input" : path;
	ssize_t n;
	char *nl;
	int fd, rc;

	if (size < 2)
		return vh_err(e, -EINVAL, "no room for a secret");
	memset(buf, 0, size);	/* what a failure leaves */
	if (from_stdin) {
		fd = STDIN_FILENO;
	} else {
		/* base/file.h: the plan's rule, one check for both */
		if ((fd = vfile_open_private(path, "secret file", e)) < 0)
			return fd;
	}
	n = read_upto(fd, buf, size, from_stdin, &more);
	if (!from_stdin)
		close(fd);
	if (n < 0) {
		rc = vh_err(e, (int)n, "reading the secret from %s: %s", what, strerror((int)-n));
		goto wipe;
	}
	buf[n] = '\0';
	nl = memchr(buf, '\n', (size_t)n);
	if (more) {
		rc = vh_err(e, -ENAMETOOLONG, "the secret in %s is longer than %zu bytes", what,
			    size - 2);
		goto wipe;
	}
	if (memchr(buf, '\0', (size_t)n)) {
		rc = vh_err(e, -EINVAL, "the secret in %s holds a NUL byte", what);
		goto wipe;
	}
	if (nl && nl != buf + n - 1) {
		rc = vh_err(e, -EINVAL, "%s holds more than one line; the secret is one line", what);
		goto wipe;
	}
	if (nl)
		*nl = '\0';
	if (!buf[0]) {
		rc = vh_err(e, -EINVAL, "the secret in %s is empty", what);
		goto wipe;
	}
	return 0;
wipe:
	explicit_bzero(buf, size);
	return rc;
}
