/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seqcheck: prove that every write busyvm (tools/lab/busyvm.S) completed is on
 * the disk, in order.
 *
 *   seqcheck DEVICE [SERIAL_LOG]
 *
 * Reads the ring (LBA 1 .. RING) and finds the highest write number M.  Each
 * ring slot must then hold exactly the newest write number that maps to it
 * (a lost or reordered write leaves an older number, or a hole); a sector that
 * is neither zero nor a valid record is corruption.  With SERIAL_LOG, the last
 * "SEQ" count the VM reported (writes it saw complete) must not exceed M + 1,
 * and the log must hold no "ERR" line.  Prints one line of key=value pairs;
 * exit 0 when the data is intact, 1 when it is not, 2 on a usage or read error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEQ_RING 8192u
#define SEQ_SECTOR 512u

enum seq_slot_kind { SLOT_EMPTY, SLOT_VALID, SLOT_CORRUPT };

struct seq_report {
	bool ok;
	uint32_t writes;	/* M + 1, or 0 if the ring is empty */
	uint32_t bad_slot;	/* first slot that is wrong (valid when !ok) */
	int64_t bad_found;	/* what it held: a number, -1 empty, -2 corrupt */
	int64_t bad_expected;	/* what it should hold: a number or -1 for empty */
	uint32_t mismatches;
};

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static enum seq_slot_kind seq_decode(const unsigned char *s, uint32_t *ret_seq)
{
	static const unsigned char zero[SEQ_SECTOR];
	uint32_t n;

	if (!memcmp(s, zero, SEQ_SECTOR))
		return SLOT_EMPTY;
	if (memcmp(s, "VHSQ", 4))
		return SLOT_CORRUPT;
	n = get_le32(s + 4);
	if (get_le32(s + 8) != ~n || get_le32(s + 508) != n)
		return SLOT_CORRUPT;
	for (unsigned i = 12; i < 508; i++)
		if (s[i] != (unsigned char)((n & 0xff) ^ 0x5a))
			return SLOT_CORRUPT;
	*ret_seq = n;
	return SLOT_VALID;
}

/* Check @ring (@slots sectors, slot i = LBA 1 + i). */
static void seq_check_ring(const unsigned char *ring, uint32_t slots, struct seq_report *r)
{
	uint32_t max = 0, n;
	bool any = false;

	memset(r, 0, sizeof(*r));
	for (uint32_t i = 0; i < slots; i++)
		if (seq_decode(ring + (size_t)i * SEQ_SECTOR, &n) == SLOT_VALID && (!any || n > max)) {
			max = n;
			any = true;
		}
	r->writes = any ? max + 1 : 0;
	r->ok = true;
	for (uint32_t i = 0; i < slots; i++) {
		enum seq_slot_kind k = seq_decode(ring + (size_t)i * SEQ_SECTOR, &n);
		int64_t expected = -1, found = k == SLOT_VALID ? (int64_t)n : k == SLOT_EMPTY ? -1 : -2;

		/* The newest write number <= max that lands in slot i. */
		if (any && i <= max % slots)
			expected = (int64_t)max - (max % slots - i);
		else if (any && max >= slots)
			expected = (int64_t)max - (max % slots) - (slots - i);
		if (found == expected)
			continue;
		if (r->ok) {
			r->bad_slot = i;
			r->bad_found = found;
			r->bad_expected = expected;
		}
		r->ok = false;
		r->mismatches++;
	}
}

/* The last "SEQ xxxxxxxx" count and the number of "ERR" lines in a serial log. */
static void seq_scan_serial(const char *text, uint32_t *ret_count, uint32_t *ret_errors)
{
	uint32_t count = 0, errors = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "SEQ ", 4))
			count = (uint32_t)strtoul(p + 4, NULL, 16);
		else if (!strncmp(p, "ERR ", 4) || !strncmp(p, "HALT", 4))
			errors++;
	}
	*ret_count = count;
	*ret_errors = errors;
}

#ifndef SEQCHECK_NO_MAIN
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

int main(int argc, char **argv)
{
	size_t len = (size_t)SEQ_RING * SEQ_SECTOR;
	uint32_t count = 0, errors = 0;
	struct seq_report r;
	unsigned char *ring;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: seqcheck DEVICE [SERIAL_LOG]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&ring, 4096, len)) {
		fprintf(stderr, "seqcheck: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (pread(fd, ring, len, SEQ_SECTOR) != (ssize_t)len) {
		/* O_DIRECT needs an aligned offset on some devices: read from 0. */
		unsigned char *all;

		if (posix_memalign((void **)&all, 4096, len + 4096) ||
		    pread(fd, all, len + 4096, 0) < (ssize_t)(len + SEQ_SECTOR)) {
			fprintf(stderr, "seqcheck: cannot read the ring from %s\n", argv[1]);
			return 2;
		}
		memcpy(ring, all + SEQ_SECTOR, len);
		free(all);
	}
	close(fd);
	seq_check_ring(ring, SEQ_RING, &r);
	if (argc == 3) {
		char *log = slurp(argv[2]);

		if (!log) {
			fprintf(stderr, "seqcheck: %s: %s\n", argv[2], strerror(errno));
			return 2;
		}
		seq_scan_serial(log, &count, &errors);
		free(log);
	}
	printf("seqcheck: %s writes=%" PRIu32 " serial_count=%" PRIu32 " serial_errors=%" PRIu32
	       " mismatches=%" PRIu32, r.ok && count <= r.writes && !errors ? "ok" : "FAILED",
	       r.writes, count, errors, r.mismatches);
	if (!r.ok)
		printf(" first_bad_slot=%" PRIu32 " found=%" PRId64 " expected=%" PRId64,
		       r.bad_slot, r.bad_found, r.bad_expected);
	if (count > r.writes)
		printf(" lost=%" PRIu32, count - r.writes);
	putchar('\n');
	free(ring);
	return r.ok && count <= r.writes && !errors ? 0 : 1;
}
#endif
