/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt domain XML, disk discovery: vvirt_find_disk (by path, and "the only
 * LV-backed disk"), vvirt_check_lv_disks and vvirt_list_ifaces (the NICs S
 * asks D about) on the fuzz bytes as the XML.
 * What they return must be terminated strings inside struct vvirt_disk.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt/virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(buf) assert(strnlen((buf), sizeof(buf)) < sizeof(buf))

static void check_disk(const struct vvirt_disk *d)
{
	TERMINATED(d->type);
	TERMINATED(d->device);
	TERMINATED(d->source);
	TERMINATED(d->target);
	TERMINATED(d->bus);
	TERMINATED(d->cache);
	TERMINATED(d->io);
	TERMINATED(d->format);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const want[] = { NULL, "/dev/vg/lv0", "/dev/mapper/vg-web--data" };
	struct vvirt_disk d;
	struct vvirt_iface ifs[4];
	size_t n;
	struct vh_error e;
	char *xml = malloc(size + 1);
	int r;

	if (!xml)
		return 0;
	memcpy(xml, data, size);
	xml[size] = '\0';
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		r = vvirt_find_disk(xml, want[i], &d, &e);
		assert(r == 0 || r == -ENOENT || r == -ENOTUNIQ || r == -EBADMSG ||
		       r == -ENAMETOOLONG || r == -ENOMEM || r == -ENOPKG);
		if (r == 0) {
			check_disk(&d);
			assert(d.source[0]);
		}
	}
	r = vvirt_check_lv_disks(xml, false, &e);
	assert(r == 0 || r == -EINVAL || r == -EBADMSG || r == -ENAMETOOLONG || r == -ENOMEM ||
	       r == -ENOPKG);
	n = 99;
	r = vvirt_list_ifaces(xml, ifs, sizeof(ifs) / sizeof(ifs[0]), &n, &e);
	assert(r == 0 || r == -E2BIG || r == -EBADMSG || r == -ENAMETOOLONG || r == -ENOMEM ||
	       r == -ENOPKG);
	assert(n <= sizeof(ifs) / sizeof(ifs[0]) || r == -EBADMSG || r == -ENOPKG || r == -ENOMEM);
	for (size_t i = 0; r == 0 && i < n; i++) {
		TERMINATED(ifs[i].name);
		TERMINATED(ifs[i].mac);
		assert(ifs[i].kind == VVIRT_NET_OTHER || ifs[i].name[0]);
	}
	free(xml);
	return 0;
}
