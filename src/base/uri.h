/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt URI a plan names for D (migration.uri).  vmhop opens it
 * itself, as root, and hands it to libvirtd; a libvirt URI can make the
 * client run a program (qemu+ext://...?command=, ?netcat= / ?command= on
 * ssh, a host name ssh reads as an option) or weaken its checks
 * (?no_verify=1, ?keyfile=, ?known_hosts=).  So a plan may name only what a
 * migration needs:
 *
 *   qemu[+ssh|+tls|+tcp]://[user@]host[:port]/system
 *
 * user: [A-Za-z0-9._-], 1..32, not starting with '-'; host: a DNS name or
 * IPv4 address ([A-Za-z0-9.-], labels not starting or ending with '-'), or
 * an IPv6 address in brackets; port: 1..65535, decimal; the path exactly
 * /system; no query string, no fragment, no %-escapes.
 */
#ifndef VMHOP_BASE_URI_H
#define VMHOP_BASE_URI_H

#include "base/error.h"

#define VURI_MAX	255	/* bytes, as struct vplan_migration holds it */

/* 0 when @uri has that form; else -EINVAL (-ENAMETOOLONG beyond VURI_MAX)
 * with one line naming @what (the field or option), the URI and what is
 * refused in it: the transport, a query parameter by name, the path, ... */
int vuri_check_migration(const char *uri, const char *what, struct vh_error *e) VH_MUST_CHECK;

/*
 * QEMU's migration URI of a plan (migration.migrate_uri: the network the
 * VM's memory takes to D, apart from libvirt's): tcp://HOST[:PORT] only,
 * HOST as above (a name, IPv4, or [IPv6]), at most VURI_QEMU_MAX bytes.
 * 0, or -EINVAL (-ENAMETOOLONG) naming @what.
 */
#define VURI_QEMU_MAX	127
int vuri_check_qemu(const char *uri, const char *what, struct vh_error *e) VH_MUST_CHECK;

/*
 * This host's libvirt (--uri, VMHOP_LIBVIRT_URI): qemu:///..., qemu+unix:///...
 * or test:///..., without a host (a host is another machine's libvirt), a
 * query or a fragment (?command=, ?socket=...: nothing that makes libvirt's
 * client run a program or go elsewhere).  0, or -EINVAL naming @what.
 */
int vuri_check_local(const char *uri, const char *what, struct vh_error *e) VH_MUST_CHECK;

#endif
