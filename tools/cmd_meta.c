/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER: replaced by the issue that implements 'vmhop meta'. */
#include <stdio.h>

#include "vmhop.h"

int cmd_meta(struct vh_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "vmhop: 'meta' is not implemented yet\n");
	return VH_EXIT_UNSUPPORTED;
}
