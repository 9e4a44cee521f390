/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does a peer's TCP port answer this host: what S asks of D's
 * migration ports before the sync, so that a firewall in the way costs a
 * refusal and not the whole copy.
 */
#ifndef VMHOP_BASE_REACH_H
#define VMHOP_BASE_REACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/error.h"

/* libvirt's default first port for QEMU's migration stream on the
 * destination (qemu.conf migration_port_min; the range ends at 49215). */
#define VREACH_MIGRATION_PORT 49152

/* The host part of a libvirt URI in the form vuri_check_migration()
 * accepts (no brackets around an IPv6 address): 0, or -EINVAL. */
int vreach_uri_host(const char *uri, char *buf, size_t len) VH_MUST_CHECK;

/* The host and port of a QEMU migration URI, tcp://HOST[:PORT] (an IPv6
 * HOST without its brackets; no PORT: VREACH_MIGRATION_PORT): 0 or -EINVAL. */
int vreach_qemu_uri(const char *uri, char *buf, size_t len, uint16_t *ret_port) VH_MUST_CHECK;

/*
 * The address this host sends from towards @dst (@len bytes, AF_INET or
 * AF_INET6): the kernel's own choice for a UDP socket connected there
 * (connect() sends nothing), routing, policy rules and a route's preferred
 * source included; its port 0.  0, or connect()'s negative errno
 * (-ENETUNREACH: no route; -EHOSTUNREACH, -EACCES, -EINVAL: an unreachable,
 * prohibit or blackhole route).
 */
int vreach_source(const struct sockaddr *dst, socklen_t len, struct sockaddr_storage *ret)
	VH_MUST_CHECK;

/*
 * Does @host answer on TCP @port, asked half open within @timeout_ms: a SYN
 * from a raw socket (root's CAP_NET_RAW), never a connection.  A QEMU that
 * listens there for another move's memory would accept a connect() as its
 * migration stream and fail that migration; a SYN it never sees.
 * 0 when the port answered: a SYN-ACK (something listens) or a TCP reset
 * (nothing listens now: a port libvirt opens only for a migration; a
 * firewall that rejects with a reset looks the same).  -ETIMEDOUT when
 * nothing came back (a firewall that drops), -ECONNREFUSED for an ICMP port
 * unreachable (a firewall that rejects: the kernel answers a closed TCP
 * port with a reset), -EHOSTUNREACH / -ENETUNREACH as the kernel says,
 * -ENOENT when @host does not resolve, -EPERM when this process may not
 * open a raw socket (not asked).
 */
int vreach_tcp(const char *host, uint16_t port, int timeout_ms, struct vh_error *e) VH_MUST_CHECK;

/* One half-open probe: the addresses (ports 0, as a raw socket takes
 * them), our TCP port and the probed one, our SYN's sequence number. */
struct vreach_syn {
	int family;				/* AF_INET or AF_INET6 */
	struct sockaddr_storage src, dst;
	socklen_t len;				/* of dst */
	uint16_t sport, dport;
	uint32_t seq;
};

/*
 * Is @pkt, @n bytes as @s's raw socket hands them over (IPv4: from the IP
 * header; IPv6: from the TCP header, @from its source), the probed port's
 * answer to @s's SYN: a SYN-ACK or a reset acknowledging it, from @s's
 * destination?  1 yes, 0 no; reads nothing past @n.  (The probe's one
 * parser, exposed for its fuzzer.)
 */
int vreach_answer(const struct vreach_syn *s, const uint8_t *pkt, size_t n,
		  const struct sockaddr_storage *from, socklen_t fromlen);

#endif
