/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The usermode helper's record (/run/vmhop/helper.state) as
 * drbdnl_helper_inspect() reads it: the fuzz bytes are the record, in a
 * directory of the harness's own with a stand-in module parameter.  A
 * record is accepted whole or refused with a message; what it holds must
 * fit the view's fields.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlink/drbdnl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], param[96], state[96];

static void gone(void)
{
	char lock[112];

	snprintf(lock, sizeof(lock), "%s/helper.lock", dir);
	unlink(lock);
	unlink(state);
	unlink(param);
	rmdir(dir);
}

static void once(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/vmhop-fuzz-helper.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(param, sizeof(param), "%s/usermode_helper", dir);
	snprintf(state, sizeof(state), "%s/helper.state", dir);
	f = fopen(param, "w");
	if (!f || fputs("/bin/true\n", f) < 0 || fclose(f))
		abort();
	atexit(gone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drbdnl_helper_paths p = { .param = param, .dir = dir, .lock_wait_ms = -1 };
	struct drbdnl_helper view;
	struct vh_error e = { 0 };
	int fd, r;

	if (!dir[0])
		once();
	fd = open(state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd))
		abort();
	r = drbdnl_helper_inspect(NULL, &p, &view, &e);
	if (r > 0 || (r < 0 && (!e.msg[0] || e.code != r)))
		abort();	/* an error always says what it is */
	if (strnlen(view.current, sizeof(view.current)) == sizeof(view.current))
		abort();
	return 0;
}
