/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parsers of virt_pid.c on the fuzz bytes: libvirt's pid file text
 * (vvirt_parse_pid) and a /proc/PID/cmdline (vvirt_cmdline_names), each
 * given exactly the bytes read (no terminator: ASan catches a read past
 * them).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt/virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	int pid = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (vvirt_parse_pid(buf, size, &pid) == 0)
		assert(pid >= 2);
	(void)vvirt_cmdline_names(buf, size, "vm1");
	(void)vvirt_cmdline_names(buf, size, "web-01");
	free(buf);
	return 0;
}
