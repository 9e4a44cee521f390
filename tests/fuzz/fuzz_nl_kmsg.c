/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/kmsg records ("prio,seq,usec,flags;text" lines, continuation lines)
 * as drbdnl_kernel_reason() reads them to explain a StandAlone: the input is
 * the file, read through a memfd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "netlink/drbdnl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], why[200];
	int fd = memfd_create("kmsg", MFD_CLOEXEC), r;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = drbdnl_kernel_reason(path, "r40", why, sizeof(why));
	if (r > 0 || (r < 0 && !why[0]) || strnlen(why, sizeof(why)) == sizeof(why))
		abort();	/* an errno with a sentence, or 0 */
	close(fd);
	return 0;
}
