/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for the src/meta unit tests (see support_meta.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support_meta.h"

static char dir[256];

static void die(const char *what)
{
	fprintf(stderr, "support_meta: %s: %s\n", what, strerror(errno));
	abort();
}

const char *tmeta_dir(void)
{
	if (!dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/vmhop-meta-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(dir))
			die("mkdtemp");
	}
	return dir;
}

void tmeta_cleanup(void)
{
	if (dir[0]) {
		(void)tmeta_sh(NULL, "rm -rf '%s'", dir);
		dir[0] = '\0';
	}
}

int tmeta_group_setup(void **state)
{
	(void)state;
	tmeta_dir();
	return 0;
}

int tmeta_group_teardown(void **state)
{
	(void)state;
	tmeta_cleanup();
	return 0;
}

const char *tmeta_path(const char *name)
{
	static char ring[8][320];
	static unsigned int n;
	char *p = ring[n++ % 8];

	snprintf(p, sizeof(ring[0]), "%s/%s", tmeta_dir(), name);
	return p;
}

int tmeta_minor(void)
{
	return 1000 + (int)(getpid() % 100000);
}

bool tmeta_have_drbdmeta(void)
{
	/* PATH alone decides, so that hiding drbdmeta from PATH makes the
	 * comparisons report "skipped" (and so that we run the one found). */
	return tmeta_sh(NULL, "command -v drbdmeta") == 0;
}

int tmeta_sh(char **out, const char *fmt, ...)
{
	char cmd[4096], *full = NULL;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (asprintf(&full, "(%s) %s", cmd,
		     out ? "2>&1" : ">/dev/null 2>&1") < 0)
		die("asprintf");
	if (!out) {
		st = system(full);
	} else {
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);
		size_t n;

		f = popen(full, "r");
		if (!f || !buf)
			die("popen");
		while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
			len += n;
			if (cap - len < 2) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (!buf)
					die("realloc");
			}
		}
		buf[len] = '\0';
		st = pclose(f);
		*out = buf;
	}
	free(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void tmeta_sparse(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die(path);
	close(fd);
}

void tmeta_filled(const char *path, uint64_t size, uint8_t fill)
{
	static uint8_t buf[1 << 16];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		die(path);
	memset(buf, fill, sizeof(buf));
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			die("pwrite");
		off += n;
	}
	close(fd);
}

uint64_t tmeta_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		die(path);
	return (uint64_t)st.st_size;
}

uint8_t *tmeta_read(const char *path, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	int fd = open(path, O_RDONLY);

	if (!buf || fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		die(path);
	close(fd);
	return buf;
}

void tmeta_write(const char *path, uint64_t off, const void *buf, size_t len)
{
	int fd = open(path, O_RDWR);

	if (fd < 0 || pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		die(path);
	close(fd);
}

/* Start of the next data (non-hole) at or after @off, or @size. */
static uint64_t next_data(int fd, uint64_t off, uint64_t size)
{
	off_t r = lseek(fd, (off_t)off, SEEK_DATA);

	return r < 0 ? size : (uint64_t)r;
}

static uint64_t next_hole(int fd, uint64_t off, uint64_t size)
{
	off_t r = lseek(fd, (off_t)off, SEEK_HOLE);

	return r < 0 ? size : (uint64_t)r;
}

/* Holes read as zeros, so only ranges where either file has data need reading. */
int64_t tmeta_cmp(const char *a, const char *b)
{
	static uint8_t ba[1 << 20], bb[1 << 20];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	uint64_t size, off = 0;
	int64_t res = -1;

	if (fa < 0 || fb < 0)
		die("open");
	size = tmeta_size(a);
	if (tmeta_size(b) != size)
		res = (int64_t)(size < tmeta_size(b) ? size : tmeta_size(b));
	while (res < 0 && off < size) {
		uint64_t da = next_data(fa, off, size), db = next_data(fb, off, size);
		uint64_t start = da < db ? da : db, ha, hb, end;

		if (start >= size)
			break;
		ha = next_hole(fa, start, size);
		hb = next_hole(fb, start, size);
		end = ha > hb ? ha : hb;
		for (off = start; off < end && res < 0;) {
			size_t n = end - off < sizeof(ba) ? (size_t)(end - off) : sizeof(ba);

			if (pread(fa, ba, n, (off_t)off) != (ssize_t)n ||
			    pread(fb, bb, n, (off_t)off) != (ssize_t)n)
				die("pread");
			if (memcmp(ba, bb, n)) {
				size_t i = 0;

				while (ba[i] == bb[i])
					i++;
				res = (int64_t)(off + i);
			}
			off += n;
		}
	}
	close(fa);
	close(fb);
	return res;
}

bool tmeta_zero(const char *path, uint64_t off, uint64_t len)
{
	static uint8_t buf[1 << 20];
	int fd = open(path, O_RDONLY);
	uint64_t end = off + len, size;
	bool zero = true;

	if (fd < 0)
		die(path);
	size = tmeta_size(path);
	if (end > size)
		end = size;
	while (off < end && zero) {
		uint64_t d = next_data(fd, off, size), h;

		if (d >= end)
			break;
		h = next_hole(fd, d, size);
		if (h > end)
			h = end;
		for (off = d; off < h && zero;) {
			size_t n = h - off < sizeof(buf) ? (size_t)(h - off) : sizeof(buf);

			if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
				die("pread");
			for (size_t i = 0; i < n; i++)
				if (buf[i]) {
					zero = false;
					break;
				}
			off += n;
		}
	}
	close(fd);
	return zero;
}

void tmeta_copy(const char *from, const char *to)
{
	if (tmeta_sh(NULL, "cp --sparse=always '%s' '%s'", from, to) != 0)
		die("cp");
}
