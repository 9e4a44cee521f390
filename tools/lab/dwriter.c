/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dwriter: an O_DIRECT writer for the lab.  Writes sequence-numbered 4 KiB
 * blocks round-robin over the first N blocks of a device, one at a time,
 * timing every write (CLOCK_MONOTONIC).  SIGUSR1 starts a new "epoch" (the
 * lab sends one before each swap), so the worst write of each swap is
 * reported.  SIGTERM/SIGINT stop it; then every block is read back and
 * checked against the last sequence number written to it (no lost write).
 *
 *   dwriter DEV [--blocks N] [--pidfile F] [--out F] [--seconds S] [--trace F]
 *
 * --trace F writes every write as "START_NS LATENCY_NS" (CLOCK_MONOTONIC), so
 * a test can find the worst write overlapping each swap window that vmhop
 * reports (vmhop's start_ns is CLOCK_MONOTONIC too).
 *
 * Output (to --out or stdout), one line each:
 *   epoch E writes W max_ns M
 *   total writes W errors X max_ns M
 *   verify blocks B bad K
 *   clock realtime_ns R monotonic_ns M    (one instant on both clocks)
 * Exit 0 only when no write failed and every block verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BS 4096
#define MAGIC 0x76686f7064777231ull	/* "vhopdwr1" */
#define MAX_EPOCHS 100000

struct blk_hdr {
	uint64_t magic;
	uint64_t seq;
	uint64_t index;
	uint64_t sum;	/* of the payload words */
};

static volatile sig_atomic_t stop;
static volatile sig_atomic_t epoch;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_epoch(int sig)
{
	(void)sig;
	if (epoch < MAX_EPOCHS - 1)
		epoch++;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static uint64_t fill(unsigned char *buf, uint64_t seq, uint64_t index)
{
	struct blk_hdr h = { .magic = MAGIC, .seq = seq, .index = index };
	uint64_t *w = (uint64_t *)(buf + sizeof(h));
	uint64_t x = seq * 0x9e3779b97f4a7c15ull ^ index, sum = 0;

	for (size_t i = 0; i < (BS - sizeof(h)) / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
		sum += x;
	}
	h.sum = sum;
	memcpy(buf, &h, sizeof(h));
	return sum;
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *pidfile = NULL, *outpath = NULL, *tracepath = NULL;
	int64_t (*trace)[2] = NULL;
	size_t ntrace = 0, captrace = 0;
	uint64_t nblocks = 1024, seq = 0, writes = 0, errors = 0, bad = 0;
	int64_t max_all = 0, deadline = 0;
	uint64_t *last, *ep_writes;
	int64_t *ep_max;
	unsigned char *buf;
	FILE *out = stdout;
	int fd, max_epoch;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
			nblocks = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			outpath = argv[++i];
		else if (!strcmp(argv[i], "--trace") && i + 1 < argc)
			tracepath = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			deadline = now_ns() + (int64_t)strtoll(argv[++i], NULL, 10) * 1000000000;
		else if (argv[i][0] != '-' && !dev)
			dev = argv[i];
		else {
			fprintf(stderr, "usage: dwriter DEV [--blocks N] [--pidfile F] [--out F] [--seconds S] [--trace F]\n");
			return 2;
		}
	}
	if (!dev || !nblocks) {
		fprintf(stderr, "usage: dwriter DEV [--blocks N] [--pidfile F] [--out F] [--seconds S]\n");
		return 2;
	}
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "dwriter: open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	last = calloc(nblocks, sizeof(*last));
	ep_writes = calloc(MAX_EPOCHS, sizeof(*ep_writes));
	ep_max = calloc(MAX_EPOCHS, sizeof(*ep_max));
	if (!last || !ep_writes || !ep_max || posix_memalign((void **)&buf, BS, BS)) {
		fprintf(stderr, "dwriter: out of memory\n");
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGUSR1, on_epoch);
	if (pidfile) {
		FILE *p = fopen(pidfile, "w");

		if (!p) {
			fprintf(stderr, "dwriter: %s: %s\n", pidfile, strerror(errno));
			return 1;
		}
		fprintf(p, "%d\n", (int)getpid());
		fclose(p);
	}

	while (!stop && (!deadline || now_ns() < deadline)) {
		uint64_t idx = seq % nblocks;
		int64_t t0, dt;
		ssize_t n;
		int ep;

		fill(buf, ++seq, idx);
		t0 = now_ns();
		n = pwrite(fd, buf, BS, (off_t)(idx * BS));
		dt = now_ns() - t0;
		ep = epoch;
		if (n != BS) {
			/* A failed or short write: the block's content is now unknown. */
			errors++;
			fprintf(stderr, "dwriter: write block %" PRIu64 " seq %" PRIu64 ": %s\n", idx,
				seq, n < 0 ? strerror(errno) : "short write");
			last[idx] = UINT64_MAX;
			continue;
		}
		last[idx] = seq;
		writes++;
		if (tracepath) {
			if (ntrace == captrace) {
				void *p = realloc(trace, (captrace = captrace ? captrace * 2 : 65536) *
							 sizeof(*trace));

				if (!p) {
					fprintf(stderr, "dwriter: out of memory for the trace\n");
					return 1;
				}
				trace = p;
			}
			trace[ntrace][0] = t0;
			trace[ntrace++][1] = dt;
		}
		ep_writes[ep]++;
		if (dt > ep_max[ep])
			ep_max[ep] = dt;
		if (dt > max_all)
			max_all = dt;
	}
	max_epoch = epoch;

	/* Verify: every block holds exactly the last write we made to it. */
	for (uint64_t i = 0; i < nblocks && i < seq; i++) {
		struct blk_hdr h;
		unsigned char *ref;

		if (pread(fd, buf, BS, (off_t)(i * BS)) != BS) {
			bad++;
			continue;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.magic != MAGIC || h.index != i || h.seq != last[i]) {
			if (bad < 5)
				fprintf(stderr, "dwriter: block %" PRIu64 ": seq %" PRIu64 ", expected %"
					PRIu64 "\n", i, h.seq, last[i]);
			bad++;
			continue;
		}
		if (posix_memalign((void **)&ref, BS, BS) == 0) {
			fill(ref, h.seq, i);
			if (memcmp(ref, buf, BS)) {
				if (bad < 5)
					fprintf(stderr, "dwriter: block %" PRIu64 ": payload differs\n", i);
				bad++;
			}
			free(ref);
		}
	}
	close(fd);

	if (outpath && !(out = fopen(outpath, "w"))) {
		fprintf(stderr, "dwriter: %s: %s\n", outpath, strerror(errno));
		return 1;
	}
	for (int e = 0; e <= max_epoch; e++)
		fprintf(out, "epoch %d writes %" PRIu64 " max_ns %" PRId64 "\n", e, ep_writes[e], ep_max[e]);
	fprintf(out, "total writes %" PRIu64 " errors %" PRIu64 " max_ns %" PRId64 "\n", writes, errors,
		max_all);
	fprintf(out, "verify blocks %" PRIu64 " bad %" PRIu64 "\n",
		nblocks < seq ? nblocks : seq, bad);
	{
		struct timespec rt, mt;

		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		fprintf(out, "clock realtime_ns %" PRId64 " monotonic_ns %" PRId64 "\n",
			(int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec,
			(int64_t)mt.tv_sec * 1000000000 + mt.tv_nsec);
	}
	if (out != stdout)
		fclose(out);
	if (tracepath) {
		FILE *tf = fopen(tracepath, "w");

		if (!tf) {
			fprintf(stderr, "dwriter: %s: %s\n", tracepath, strerror(errno));
			return 1;
		}
		for (size_t i = 0; i < ntrace; i++)
			fprintf(tf, "%" PRId64 " %" PRId64 "\n", trace[i][0], trace[i][1]);
		fclose(tf);
		free(trace);
	}
	free(last);
	free(ep_writes);
	free(ep_max);
	free(buf);
	return errors || bad ? 1 : 0;
}
