/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A replacement for the netlink seam (struct drbdnl_ops) that checks each
 * request against recorded bytes and answers with recorded kernel replies,
 * both kept as hex under tests/data/netlink/.  It expects the requests in
 * the order given; an unexpected or surplus request fails the test.
 */
#ifndef VMHOP_TESTS_SUPPORT_NETLINK_H
#define VMHOP_TESTS_SUPPORT_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netlink/drbdnl.h"

struct nlfake_step {
	const char *req;	/* expected request (hex file name), NULL: not compared */
	const char *reply;	/* the kernel's answer: datagrams separated by "--" lines;
				 * "A+B": the datagrams of A, then those of B */
	int err;		/* or fail the transact with this errno, before any reply */
};

/* Names starting with "mem:N" refer to nlfake.mem[N] instead of a file. */
#define NLFAKE_MEM 16

struct nlfake {
	const struct nlfake_step *steps;
	size_t nsteps, pos;
	const char *const *events;	/* event datagrams: "file" or "file#k" (datagram k);
					 * "ENOBUFS": an overrun */
	size_t nevents, evpos;
	size_t npending;	/* the first npending events were queued before the wait
				 * began (a 0 ms receive gets them); the others come
				 * while it waits */
	int end_err;		/* after the last event: this errno (0: report timeouts, and
				 * fail a wait without one, which would never end) */
	uint32_t joined[4];
	size_t njoined;
	unsigned char last_req[4096];
	size_t last_req_len;
	unsigned backoff_ms[16];	/* the retry delays asked for (nothing sleeps) */
	size_t nbackoff;
	unsigned char mem[NLFAKE_MEM][4096];
	size_t memlen[NLFAKE_MEM];
};

extern const struct drbdnl_ops nlfake_ops;

/* Read tests/data/netlink/NAME.hex; *buf is malloc'ed.  Datagram k of the file (0-based). */
int nlfake_load(const char *name, unsigned k, unsigned char **buf, size_t *len);
/* How many datagrams NAME holds (0 if none). */
int nlfake_count(const char *name);

/* Constructed messages (for cases no recording shows), written into f->mem[slot]. */
void nlfake_mem_ctrl(struct nlfake *f, int slot, const char *family, uint16_t id,
		     uint32_t version, uint32_t hdrsize, const char *group, uint32_t group_id);
/* nlctrl's notice that family @id went away (rmmod). */
void nlfake_mem_delfamily(struct nlfake *f, int slot, uint16_t id);
struct nlfake_state {
	uint16_t family;
	uint8_t cmd;		/* 1 DRBD_EVENT, 2 GET_STATUS */
	uint32_t minor;
	int32_t ret_code;
	const char *resource;
	uint32_t sib_reason;
	uint32_t state;		/* union drbd_state */
	uint64_t bits_oos, bits_rs_total;	/* bits_rs_* are sent when bits_rs_total != 0 */
	const char *info;	/* CFG_REPLY info text */
};
void nlfake_mem_drbd(struct nlfake *f, int slot, const struct nlfake_state *s);
/* Append another message of the same kind to slot (several messages in one datagram). */
void nlfake_mem_append(struct nlfake *f, int slot, int from);
/* A bare netlink message: header (type, flags) and @plen bytes of @payload. */
void nlfake_mem_raw(struct nlfake *f, int slot, uint16_t type, uint16_t flags, const void *payload,
		    size_t plen);
/* Cut the (last) message of @slot to @len bytes of the datagram, as a short
 * read would: nlmsg_len says @len too unless @keep_len (then it claims more). */
void nlfake_mem_cut(struct nlfake *f, int slot, size_t len, bool keep_len);

/* Make @f the fake that "mem:" names refer to (nlfake_open does it too). */
void nlfake_open_prepare(struct nlfake *f);

/* Open a handle on @f whose first step answers the family lookup. */
struct drbdnl *nlfake_open(struct nlfake *f);

#endif
