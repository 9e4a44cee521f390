/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One line of /proc/net/tcp{,6} (vport_parse_line) on the fuzz bytes, as
 * vport_holder reads it: at most 511 bytes, NUL-terminated (fgets).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "base/porthold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512];
	unsigned long inode = 0;
	unsigned state = 0;
	uint16_t port = 0;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	(void)vport_parse_line(line, &port, &state, &inode);
	return 0;
}
