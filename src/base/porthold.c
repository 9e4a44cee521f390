/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a TCP port (porthold.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/porthold.h"

#define TCP_LISTEN	0x0a

int vport_parse_line(const char *line, uint16_t *ret_port, unsigned *ret_state,
		     unsigned long *ret_inode)
{
	unsigned port, state;
	unsigned long inode;
	char local[128];

	/* "  0: 0100007F:1E6C 00000000:0000 0A 00000000:00000000 00:00000000
	 *  00000000     0        0 12345 ..." */
	/* the address is hex digits only (8 for IPv4, 32 for IPv6), so the
	 * scan set stops at the colon before the port */
	if (sscanf(line, " %*u: %127[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %lu",
		   local, &port, &state, &inode) != 4 || port > 65535)
		return -EINVAL;
	*ret_port = (uint16_t)port;
	*ret_state = state;
	*ret_inode = inode;
	return 0;
}

/* The inode of a socket bound to @port (a listener preferred), 0 if none. */
static unsigned long find_inode(const char *proc, uint16_t port)
{
	static const char *const files[] = { "net/tcp", "net/tcp6" };
	unsigned long best = 0;

	for (size_t f = 0; f < 2; f++) {
		char path[PATH_MAX], line[512];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", proc, files[f]);
		if (!(fp = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), fp)) {
			unsigned long inode;
			unsigned state;
			uint16_t p;

			if (vport_parse_line(line, &p, &state, &inode) < 0 || p != port || !inode)
				continue;
			if (state == TCP_LISTEN || !best)
				best = inode;
			if (state == TCP_LISTEN)
				break;
		}
		fclose(fp);
		if (best)
			break;
	}
	return best;
}

static bool pid_has(const char *proc, const char *pid, const char *want)
{
	char path[PATH_MAX], link[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s/fd", proc, pid);
	if (!(d = opendir(path)))
		return false;
	while (!found && (de = readdir(d))) {
		char fd[PATH_MAX + 256];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(fd, sizeof(fd), "%s/%s", path, de->d_name) >= (int)sizeof(fd))
			continue;
		n = readlink(fd, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = !strcmp(link, want);
	}
	closedir(d);
	return found;
}

int vport_holder(const char *proc, uint16_t port, char *buf, size_t len)
{
	unsigned long inode = find_inode(proc ? proc : "/proc", port);
	char want[64];
	struct dirent *de;
	DIR *d;

	if (!proc)
		proc = "/proc";
	if (!inode)
		return -ENOENT;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((d = opendir(proc))) {
		while ((de = readdir(d))) {
			char path[PATH_MAX], comm[64] = "";
			FILE *fp;

			if (!isdigit((unsigned char)de->d_name[0]) || !pid_has(proc, de->d_name, want))
				continue;
			snprintf(path, sizeof(path), "%s/%s/comm", proc, de->d_name);
			if ((fp = fopen(path, "re"))) {
				if (!fgets(comm, sizeof(comm), fp))
					comm[0] = '\0';
				fclose(fp);
			}
			comm[strcspn(comm, "\n")] = '\0';
			snprintf(buf, len, "program %s (pid %s)", comm[0] ? comm : "?", de->d_name);
			closedir(d);
			return 0;
		}
		closedir(d);
	}
	snprintf(buf, len, "a socket of no process vmhop can see (inode %lu: the kernel's, "
		 "as DRBD's, or another user's)", inode);
	return 0;
}
