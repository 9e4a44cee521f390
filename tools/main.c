/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main() alone, so that unit tests can link the rest of the program and run
 * vh_main() itself. */
#include "vmhop.h"

int main(int argc, char **argv)
{
	return vh_main(argc, argv);
}
