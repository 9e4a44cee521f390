/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Journal loading (vjournal_parse: the plan inside, every step and datum
 * validated).  A journal that loads must format to text that loads again
 * and formats the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_error e = { 0 };
	struct vjournal *j, *k;
	char *a, *b;

	if (vjournal_parse((const char *)data, size, &j, &e) < 0)
		return 0;
	if (vjournal_format(j, &a, &e) < 0)
		abort();
	if (vjournal_parse(a, strlen(a), &k, &e) < 0)
		abort();
	if (vjournal_count(j) != vjournal_count(k))
		abort();
	for (size_t i = 0; i < vjournal_count(j); i++) {
		const struct vjournal_step *s = vjournal_step_at(j, i), *t = vjournal_step_at(k, i);

		if (strcmp(s->id, t->id) || s->state != t->state || s->n_data != t->n_data)
			abort();
	}
	if (vjournal_format(k, &b, &e) < 0 || strcmp(a, b))
		abort();
	free(a);
	free(b);
	vjournal_close(j);
	vjournal_close(k);
	return 0;
}
