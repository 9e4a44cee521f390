/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER: replaced by the issue that implements 'vmhop virt'. */
#include <stdio.h>

#include "vmhop.h"

int cmd_virt(struct vh_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "vmhop: 'virt' is not implemented yet\n");
	return VH_EXIT_UNSUPPORTED;
}
