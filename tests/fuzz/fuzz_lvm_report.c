/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgs`/`lvs --reportformat json` output as LVM prints it (warning lines,
 * then the JSON object): vlvm_parse_vg_report and vlvm_parse_lv_report on the
 * fuzz bytes.  What they accept must be what the callers rely on: strings
 * terminated inside their buffers, no NUL hidden in a name, a dm name without
 * '/', a usable extent size, device numbers in range.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/lvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(buf) assert(strnlen((buf), sizeof(buf)) < sizeof(buf))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vlvm_vg_info vi;
	struct vlvm_lv_info li;
	struct vh_error e;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (vlvm_parse_vg_report(text, &vi, &e) == 0) {
		TERMINATED(vi.name);
		assert(vi.name[0]);
		assert(vi.extent_size && vi.extent_size % 512 == 0);
	}
	if (vlvm_parse_lv_report(text, &li, &e) == 0) {
		TERMINATED(li.vg);
		TERMINATED(li.name);
		TERMINATED(li.path);
		TERMINATED(li.dm_path);
		TERMINATED(li.dm_name);
		TERMINATED(li.uuid);
		TERMINATED(li.attr);
		assert(li.vg[0] && li.name[0] && li.dm_name[0]);
		assert(!strchr(li.dm_name, '/'));
		assert(li.major >= -1 && li.major <= 0xfffff);
		assert(li.minor >= -1 && li.minor <= 0xfffff);
	}
	free(text);
	return 0;
}
