/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole device path of `vmhop meta dump` and `apply-al` (vmeta_read,
 * vmeta_apply_al: open, superblock, activity log and bitmap reads and
 * writes) on a memfd whose first bytes are the fuzz input.
 *
 * Input: [mode][device size, 2 bytes][image...]
 *   mode bit 0: indexed meta-data 0 on a 128 MiB device (else flexible);
 *   mode bit 1: run apply-al too.
 *   Flexible device: 36 KiB + (size % 1024) x 4 KiB (at most ~4 MiB), sparse.
 * After a successful apply-al the meta-data must read back clean, and a
 * second apply-al must change nothing.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "meta/be.h"
#include "meta/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* sb + AL of the meta-data area, as now in @fd (malloc'ed). */
static uint8_t *snapshot(int fd, uint64_t off, size_t len)
{
	uint8_t *b = malloc(len);

	assert(b && pread(fd, b, len, (off_t)off) == (ssize_t)len);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmeta_info info, again;
	struct vh_error e;
	char path[64];
	uint64_t dev;
	int fd, index, r;

	if (size < 3)
		return 0;
	index = data[0] & 1 ? 0 : VMETA_INDEX_FLEX;
	dev = index == 0 ? VMETA_IDX_AREA_BYTES + vmeta_get16(data, 1) % 64 * 512ull
			 : 36864 + (vmeta_get16(data, 1) % 1024) * 4096ull;
	data += 3;
	size -= 3;
	if (size > dev)
		size = (size_t)dev;
	fd = memfd_create("fuzz-meta", MFD_CLOEXEC);
	assert(fd >= 0);
	assert(ftruncate(fd, (off_t)dev) == 0);
	assert(pwrite(fd, data, size, 0) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	r = vmeta_read(path, index, &info, &e);
	assert(r == 0 || r == -EBADMSG || r == -ENOSPC);
	if (r == 0) {
		assert(info.dev_bytes == dev);
		assert(info.layout.md_offset + info.layout.md_bytes <= dev);
		assert(info.al_valid_blocks <= info.layout.al_bytes / VMETA_AL_BLOCK_BYTES);
	}
	if (data[-3] & 2) {
		r = vmeta_apply_al(path, index, &info, &e);
		assert(r == 0 || r == -EBADMSG || r == -ENOSPC || r == -EOPNOTSUPP);
		if (r == 0) {
			size_t len = VMETA_SB_BYTES + info.layout.al_bytes;
			uint8_t *before;

			assert(vmeta_read(path, index, &again, &e) == 0);
			assert(again.sb.magic == VMETA_MAGIC_08);
			assert(again.sb.flags & VMETA_MDF_AL_CLEAN);
			assert(again.al_valid_blocks + 1 >= info.layout.al_bytes / VMETA_AL_BLOCK_BYTES);
			before = snapshot(fd, info.layout.md_offset, len);
			assert(vmeta_apply_al(path, index, &again, &e) == 0);
			assert(!again.sb_written && !again.al_reinitialized && again.bits_set == 0);
			{
				uint8_t *after = snapshot(fd, info.layout.md_offset, len);

				assert(!memcmp(before, after, len));
				free(after);
			}
			free(before);
		}
	}
	close(fd);
	return 0;
}
