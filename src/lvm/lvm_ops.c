/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LV create / remove / facts, on top of vlvm_run(). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lvm/lvm.h"

#define VG_FIELDS "vg_name,vg_extent_size,vg_extent_count,vg_free_count,vg_size,vg_free"
#define LV_FIELDS "vg_name,lv_name,lv_size,lv_path,lv_dm_path,lv_uuid,lv_attr," \
		  "lv_kernel_major,lv_kernel_minor,lv_device_open,lv_active_locally,lv_tags"
#define REPORT_OPTS "--reportformat json --units b --nosuffix --binary"

int vlvm_vg_info(struct vlvm *h, const char *vg, struct vlvm_vg_info *ret, struct vh_error *e)
{
	struct vlvm_output o = { 0 };
	char cmd[512];
	int r;

	if ((r = vlvm_check_vg_name(vg, e)) < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "vgs " REPORT_OPTS " -o " VG_FIELDS " %s", vg);
	r = vlvm_run(h, cmd, &o, e);
	if (r == 0)
		r = vlvm_parse_vg_report(o.report, ret, e);
	if (r == -ENOENT)
		vh_err(e, r, "volume group '%s' not found", vg);
	vlvm_output_free(&o);
	return r;
}

int vlvm_lv_info(struct vlvm *h, const char *vg, const char *lv, struct vlvm_lv_info *ret,
		 struct vh_error *e)
{
	struct vlvm_output o = { 0 };
	char cmd[512];
	int r;

	if ((r = vlvm_check_names(vg, lv, e)) < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "lvs " REPORT_OPTS " -o " LV_FIELDS " %s/%s", vg, lv);
	r = vlvm_run(h, cmd, &o, e);
	if (r == 0)
		r = vlvm_parse_lv_report(o.report, ret, e);
	if (r == -ENOENT)
		vh_err(e, r, "logical volume %s/%s not found", vg, lv);
	vlvm_output_free(&o);
	return r;
}

/* LVM's tag characters ([A-Za-z0-9_+.-], not starting with '-'), bounded. */
static int check_tag(const char *tag, struct vh_error *e)
{
	size_t n = strlen(tag);

	if (!n || n > 128 || tag[0] == '-' || strspn(tag, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						     "abcdefghijklmnopqrstuvwxyz0123456789_+.-") != n)
		return vh_err(e, -EINVAL, "'%s' is not an LVM tag", tag);
	return 0;
}

int vlvm_lvcreate(struct vlvm *h, const char *vg, const char *lv, uint64_t bytes,
		  uint64_t extent_size, uint64_t *ret_size, struct vh_error *e)
{
	return vlvm_lvcreate_tagged(h, vg, lv, bytes, extent_size, NULL, ret_size, e);
}

int vlvm_lvcreate_tagged(struct vlvm *h, const char *vg, const char *lv, uint64_t bytes,
			 uint64_t extent_size, const char *tag, uint64_t *ret_size,
			 struct vh_error *e)
{
	uint64_t extents = 0;
	char cmd[512], tagopt[160] = "";
	int r;

	if (ret_size)
		*ret_size = 0;
	if ((r = vlvm_check_names(vg, lv, e)) < 0)
		return r;
	if (bytes == 0)
		return vh_err(e, -EINVAL, "LV size must be more than 0 bytes");
	if (tag) {
		if ((r = check_tag(tag, e)) < 0)
			return r;
		snprintf(tagopt, sizeof(tagopt), " --addtag %s", tag);
	}
	/* --yes: liblvm2cmd would otherwise prompt on stdin (e.g. to wipe a
	 * signature left by an earlier LV on the same extents).  An LV of
	 * that name is not looked for first: lvcreate refuses it itself, under
	 * LVM's lock ("already exists": -EEXIST, said below). */
	if (extent_size) {
		extents = bytes / extent_size + (bytes % extent_size ? 1 : 0);
		snprintf(cmd, sizeof(cmd), "lvcreate --yes --activate y%s -l %" PRIu64 " -n %s %s",
			 tagopt, extents, lv, vg);
	} else {
		/* bytes, rounded up to whole sectors; LVM rounds on to extents */
		snprintf(cmd, sizeof(cmd), "lvcreate --yes --activate y%s -L %" PRIu64 "b -n %s %s",
			 tagopt, (bytes + 511) / 512 * 512, lv, vg);
	}
	if ((r = vlvm_run(h, cmd, NULL, e)) < 0) {
		if (r == -EEXIST)
			vh_err(e, r, "logical volume %s/%s already exists", vg, lv);
		return r;
	}
	if (ret_size)
		*ret_size = extents * extent_size;
	return 0;
}

int vlvm_lv_create(struct vlvm *h, const char *vg, const char *lv, uint64_t bytes,
		   struct vlvm_create_result *ret, struct vh_error *e)
{
	struct vlvm_create_result res = { .requested = bytes };
	struct vlvm_vg_info vi;
	int r;

	if ((r = vlvm_check_names(vg, lv, e)) < 0)
		return r;
	if (bytes == 0)
		return vh_err(e, -EINVAL, "LV size must be more than 0 bytes");
	if ((r = vlvm_vg_info(h, vg, &vi, e)) < 0)
		return r;
	/* Whole extents, computed here so that we can say how much we rounded. */
	res.extent_size = vi.extent_size;
	res.extents = bytes / vi.extent_size + (bytes % vi.extent_size ? 1 : 0);
	if (res.extents > vi.free_count)
		return vh_err(e, -ENOSPC,
			      "volume group %s has %" PRIu64 " free extents of %" PRIu64
			      " bytes, %s/%s needs %" PRIu64, vg, vi.free_count, vi.extent_size,
			      vg, lv, res.extents);
	if ((r = vlvm_lvcreate(h, vg, lv, bytes, vi.extent_size, NULL, e)) < 0)
		return r;
	/* Read back: what LVM says it made. */
	if ((r = vlvm_lv_info(h, vg, lv, &res.lv, e)) < 0)
		return vh_err_prefix(e, r, "created %s/%s but cannot read it back", vg, lv);
	res.size = res.lv.size;
	if (res.size != res.extents * vi.extent_size || res.size < bytes)
		return vh_err(e, -EPROTO, "LVM created %s/%s with %" PRIu64 " bytes, expected %" PRIu64,
			      vg, lv, res.size, res.extents * vi.extent_size);
	res.rounded = res.size != bytes;
	if (ret)
		*ret = res;
	return 0;
}

int vlvm_lv_remove(struct vlvm *h, const char *vg, const char *lv, struct vh_error *e)
{
	char cmd[512];
	int r;

	if ((r = vlvm_check_names(vg, lv, e)) < 0)
		return r;
	/* Not looked at first (an lvs is a device scan): LVM refuses an LV in
	 * use itself (open by a process, or held by a dm device: -EBUSY) and
	 * a missing one ("Failed to find": -ENOENT), under its lock.  -f: no
	 * prompt.  It does not override "in use".  LVM's own line follows
	 * ours: it says which. */
	snprintf(cmd, sizeof(cmd), "lvremove -f %s/%s", vg, lv);
	r = vlvm_run(h, cmd, NULL, e);
	if (r == -EBUSY)
		vh_err_prefix(e, r, "logical volume %s/%s is in use", vg, lv);
	return r;
}
