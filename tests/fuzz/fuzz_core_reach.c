/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The half-open probe's reader (vreach_answer): whatever a raw TCP socket
 * hands over, IPv4 with its IP header (first byte even) or IPv6 from the
 * TCP header (odd).  An answer must come from the probed port to ours and
 * acknowledge our SYN, and nothing is read past the bytes given.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/reach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vreach_syn s = { .sport = 40000, .dport = 49152, .seq = 0x12345678 };
	struct sockaddr_storage from = { 0 };
	const uint8_t *t;
	uint8_t *pkt;
	size_t n;
	int r;

	if (size < 1)
		return 0;
	s.family = data[0] & 1 ? AF_INET6 : AF_INET;
	if (s.family == AF_INET) {
		struct sockaddr_in *d = (struct sockaddr_in *)&s.dst;

		d->sin_family = AF_INET;
		inet_pton(AF_INET, "10.0.0.2", &d->sin_addr);
		s.len = sizeof(*d);
	} else {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&s.dst;

		d->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "fd00::2", &d->sin6_addr);
		s.len = sizeof(*d);
		memcpy(&from, d, sizeof(*d));
	}
	/* A copy of exactly the bytes given, so that ASan sees a read past. */
	n = size - 1;
	pkt = malloc(n ? n : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + 1, n);
	r = vreach_answer(&s, pkt, n, &from, sizeof(struct sockaddr_in6));
	if (r != 0 && r != 1)
		abort();
	if (r == 1) {
		t = s.family == AF_INET ? pkt + (pkt[0] & 0x0f) * 4 : pkt;
		if ((size_t)(t - pkt) + 20 > n || t[0] != 49152 >> 8 || t[1] != (49152 & 0xff) ||
		    t[2] != 40000 >> 8 || t[3] != (40000 & 0xff) || !(t[13] & 0x10))
			abort();
	}
	free(pkt);
	return 0;
}
