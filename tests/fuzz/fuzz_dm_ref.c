/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vdm_ref_parse(): a device argument from the command line ("NAME",
 * "name:NAME", "uuid:UUID", "MAJ:MIN", "dev:MAJ:MIN").  Beyond not crashing:
 * whatever it accepts must pass the one name check (no control character,
 * not empty, short enough, not '/', '.', '..', 'control'), and a device
 * number must be the canonical decimal spelling of what it parsed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "dm/dm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_error e = { 0 };
	struct vdm_ref r;
	char *s, again[40];
	const char *num;

	if (size > 512)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (vdm_ref_parse(s, &r, &e) == 0) {
		switch (r.key) {
		case VDM_BY_NAME:
			if (vdm_name_check(r.str, NULL))
				abort();
			for (const char *p = r.str; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					abort();
			break;
		case VDM_BY_UUID:
			if (vdm_uuid_check(r.str, NULL))
				abort();
			break;
		case VDM_BY_DEV:
			num = strncmp(s, "dev:", 4) ? s : s + 4;
			snprintf(again, sizeof(again), "%u:%u", major(r.dev), minor(r.dev));
			if (strcmp(again, num) || major(r.dev) > 0xfff || minor(r.dev) > 0xfffff ||
			    !r.dev)
				abort();
			break;
		}
	} else if (!e.msg[0] || memchr(e.msg, '\n', sizeof(e.msg)) || !e.code) {
		abort();	/* a refusal says why, in one line, with an errno */
	}
	free(s);
	return 0;
}
