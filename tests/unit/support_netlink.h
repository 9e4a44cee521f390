/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A replacement for the netlink seam (struct drbdnl_ops) that checks each
 * request against recorded bytes and answers with recorded kernel replies,
 * both kept as hex under tests/data/netlink/.  It expects the requests in
 * the order given; an unexpected or surplus request fails the test.
 */
#ifndef VMHOP_TESTS_SUPPORT_NETLINK_H
#define VMHOP_TESTS_SUPPORT_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netlink/drbdnl.h"

struct nlfake_step {
	const char *req;	/* expected request (hex file name), NULL: not compared */
	const char *reply;	/* the kernel's answer: datagrams separated by "--" lines */
	int err;		/* or fail the transact with this errno, before any reply */
};

struct nlfake {
	const struct nlfake_step *steps;
	size_t nsteps, pos;
	const char *const *events;	/* event datagrams (hex files); "ENOBUFS": an overrun */
	size_t nevents, evpos;
	uint32_t joined[4];
	size_t njoined;
	unsigned char last_req[4096];
	size_t last_req_len;
};

extern const struct drbdnl_ops nlfake_ops;

/* Read tests/data/netlink/NAME.hex; *buf is malloc'ed.  Datagram k of the file (0-based). */
int nlfake_load(const char *name, unsigned k, unsigned char **buf, size_t *len);

/* Open a handle on @f whose first step answers the family lookup. */
struct drbdnl *nlfake_open(struct nlfake *f);

#endif
