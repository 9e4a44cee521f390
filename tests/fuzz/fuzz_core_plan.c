/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plan loading (vplan_parse: strict JSON, every field validated).  A plan
 * that loads must survive its own round trip unchanged: to JSON, parsed
 * again, to the same text.  The address dump parser is fed the same
 * bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_error e = { 0 };
	struct vplan p, q;
	json_object *o;
	char *a, *b;

	/* Netlink replies are aligned; libFuzzer's buffer is malloc'ed. */
	{
		static const unsigned char w4[4] = { 10, 0, 0, 1 }, w6[16] = { 0xfe, 0x80 };
		const unsigned char *want[2] = { w4, w6 };
		int found[2] = { 0, 0 };

		(void)vplan_parse_addr_dump(data, size, 1, AF_INET, want, 1, found, &e);
		(void)vplan_parse_addr_dump(data, size, 1, AF_INET6, want + 1, 1, found + 1, &e);
	}
	if (vplan_parse((const char *)data, size, &p, &e) < 0)
		return 0;
	if (vplan_validate(&p, &e) < 0)
		abort();
	o = vplan_to_json(&p);
	if (!o)
		abort();
	a = strdup(json_object_to_json_string(o));
	json_object_put(o);
	if (vplan_parse(a, strlen(a), &q, &e) < 0)
		abort();
	o = vplan_to_json(&q);
	b = strdup(json_object_to_json_string(o));
	json_object_put(o);
	if (strcmp(a, b))
		abort();
	free(a);
	free(b);
	return 0;
}
