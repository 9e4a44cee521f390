/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who holds a TCP port on this host, for a refusal that names it: the
 * sockets bound to the port in /proc/net/tcp and tcp6 (listening first),
 * then the process with that socket among its descriptors (/proc/PID/fd),
 * its name from /proc/PID/comm.  Read only; nothing is run.
 */
#ifndef VMHOP_BASE_PORTHOLD_H
#define VMHOP_BASE_PORTHOLD_H

#include <stddef.h>
#include <stdint.h>

/* "nc (pid 42)", or "a socket of no process this user can see (inode N)"
 * (a kernel socket, as DRBD's own, or another user's without the right to
 * look); -ENOENT when no socket is bound to @port.  @proc: "/proc" (tests
 * give a tree of their own). */
int vport_holder(const char *proc, uint16_t port, char *buf, size_t len);

/* One line of /proc/net/tcp{,6}: its local port, state and inode.  -EINVAL
 * for the header or a malformed line. */
int vport_parse_line(const char *line, uint16_t *ret_port, unsigned *ret_state,
		     unsigned long *ret_inode);

#endif
