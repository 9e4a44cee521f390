/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Can this host open a TCP connection to a peer's port: what S asks of D's
 * migration ports before the sync, so that a firewall in the way costs a
 * refusal and not the whole copy.
 */
#ifndef VMHOP_CORE_REACH_H
#define VMHOP_CORE_REACH_H

#include <stdint.h>

#include "core/error.h"

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
 * One TCP connect to @host:@port, given up after @timeout_ms.  0 when the
 * host answered: it accepted, or it refused (nothing listens there now: a
 * port that libvirt opens only for a migration; a firewall that rejects
 * with a TCP reset looks the same).  -ETIMEDOUT when nothing came back (a
 * firewall that drops), -EHOSTUNREACH / -ENETUNREACH as the kernel says,
 * -ENOENT when @host does not resolve.
 */
int vreach_tcp(const char *host, uint16_t port, int timeout_ms, struct vh_error *e) VH_MUST_CHECK;

#endif
