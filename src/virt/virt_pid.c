/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A domain's QEMU as a process: its pid from the pid file libvirtd's QEMU
 * driver keeps for it (RUN_DIR/NAME.pid, RUN_DIR /run/libvirt/qemu for
 * qemu:///system), held as a pidfd, so that its exit is seen the instant
 * it happens and a reused pid is never taken for it.  The process is the
 * domain's only if its command line names it (-name guest=NAME,...).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/num.h"
#include "virt/virt.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int vvirt_parse_pid(const char *buf, size_t len, int *ret)
{
	uint64_t v;
	size_t i = 0, digits;
	int r;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	for (digits = i; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
		;
	/* PID_MAX_LIMIT is 4 Mi */
	if ((r = vnum_u64n(buf + digits, i - digits, VNUM_ZEROS, 0x3fffffff, &v)) < 0)
		return r;
	for (; i < len; i++)
		if (buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
			return -EINVAL;
	if (v < 2)
		return -ERANGE;
	*ret = (int)v;
	return 0;
}

/* The argument after "-name": "guest=NAME" alone or followed by ",..."
 * (QEMU's option syntax doubles a comma inside a value: a name with a
 * comma is never matched, which only costs the early switch). */
static bool names(const char *arg, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len >= 6 && !memcmp(arg, "guest=", 6)) {
		arg += 6;
		len -= 6;
	}
	return len >= n && !memcmp(arg, name, n) && (len == n || arg[n] == ',');
}

bool vvirt_cmdline_names(const char *buf, size_t len, const char *name)
{
	size_t off = 0;
	bool after_name = false;

	if (!name[0] || strchr(name, ','))
		return false;
	while (off < len) {
		const char *a = buf + off;
		const char *z = memchr(a, '\0', len - off);
		size_t alen = z ? (size_t)(z - a) : len - off;

		if (after_name)
			return names(a, alen, name);
		after_name = alen == 5 && !memcmp(a, "-name", 5);
		off += alen + 1;
	}
	return false;
}

static int read_bounded(const char *path, char *buf, size_t size, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*ret_len = got;
	return 0;
}

int vvirt_qemu_pidfd(const char *run_dir, const char *name, int *ret_fd, struct vh_error *e)
{
	char path[512], buf[32], cmd[8192];
	size_t len = 0;
	struct pollfd pf;
	int pid = 0, fd, r;

	*ret_fd = -1;
	if (!name[0] || strchr(name, '/') || strlen(name) > 200)
		return vh_err(e, -EINVAL, "no pid file for a domain named %s", name);
	snprintf(path, sizeof(path), "%s/%s.pid", run_dir ? run_dir : "/run/libvirt/qemu", name);
	if ((r = read_bounded(path, buf, sizeof(buf), &len)) < 0)
		return vh_err(e, r, "%s: %s", path, strerror(-r));
	if (len == sizeof(buf) || (r = vvirt_parse_pid(buf, len, &pid)) < 0)
		return vh_err(e, len == sizeof(buf) ? -EINVAL : r, "%s: not a pid", path);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return vh_err(e, -errno, "pidfd_open(%d): %s", pid, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	r = read_bounded(path, cmd, sizeof(cmd), &len);
	/* Still running after its command line was read: the same process
	 * as the pidfd's (a pid is reused only once its process is gone). */
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (r == 0 && poll(&pf, 1, 0) == 0 && vvirt_cmdline_names(cmd, len, name)) {
		*ret_fd = fd;
		return 0;
	}
	close(fd);
	return vh_err(e, -ESRCH, "process %d of %s's pid file is not QEMU of domain %s (or gone)",
		      pid, run_dir ? run_dir : "/run/libvirt/qemu", name);
}
