/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmhop lvm: logical volumes through liblvm2cmd. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmhop.h"
#include "lvm/lvm.h"

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *lv_json(const struct vlvm_lv_info *li)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "vg", json_object_new_string(li->vg));
	json_object_object_add(o, "lv", json_object_new_string(li->name));
	json_object_object_add(o, "size", u64(li->size));
	json_object_object_add(o, "path", json_object_new_string(li->path));
	json_object_object_add(o, "dm_name", json_object_new_string(li->dm_name));
	json_object_object_add(o, "dm_path", json_object_new_string(li->dm_path));
	json_object_object_add(o, "active", json_object_new_boolean(li->active));
	json_object_object_add(o, "open", json_object_new_boolean(li->open));
	json_object_object_add(o, "major", json_object_new_int(li->major));
	json_object_object_add(o, "minor", json_object_new_int(li->minor));
	json_object_object_add(o, "uuid", json_object_new_string(li->uuid));
	json_object_object_add(o, "attr", json_object_new_string(li->attr));
	return o;
}

/* Bytes, with an optional binary suffix: 512, 4s (sectors), 64K, 200M, 2GiB, 1T
 * (core/num.h's vnum_bytes). */
static int parse_size(const char *s, uint64_t *ret)
{
	return vnum_size(s, VNUM_ZEROS | VNUM_IEC, vnum_bytes, UINT64_MAX, ret);
}

/* -1: go on; else the exit code (help printed, or usage error). */
static int need_args(struct vh_ctx *ctx, int argc, char **argv, int n, const char *usage)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: vmhop lvm %s %s\n", argv[0], usage);
		return VH_EXIT_OK;
	}
	if (argc != n + 1)
		return vh_usage(ctx, "usage: vmhop lvm %s %s", argv[0], usage);
	return -1;
}

static int do_open(struct vh_ctx *ctx, struct vlvm **h, int *rc)
{
	struct vh_error e = { 0 };

	if (vlvm_open(h, &e) < 0) {
		*rc = vh_fail(ctx, &e);
		return -1;
	}
	return 0;
}

#define ARGS(n, usage) do { \
	int a_ = need_args(ctx, argc, argv, n, usage); \
	if (a_ >= 0) \
		return a_; \
} while (0)

static int lvm_vg_info(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct vlvm_vg_info vi;
	struct vlvm *h;
	json_object *o;
	int rc;

	ARGS(1, "VG");
	if (vlvm_check_vg_name(argv[1], &e) < 0)
		return vh_fail(ctx, &e);
	if (do_open(ctx, &h, &rc) < 0)
		return rc;
	if (vlvm_vg_info(h, argv[1], &vi, &e) < 0) {
		vlvm_close(h);
		return vh_fail(ctx, &e);
	}
	vlvm_close(h);
	o = json_object_new_object();
	json_object_object_add(o, "vg", json_object_new_string(vi.name));
	json_object_object_add(o, "extent_size", u64(vi.extent_size));
	json_object_object_add(o, "extent_count", u64(vi.extent_count));
	json_object_object_add(o, "free_count", u64(vi.free_count));
	json_object_object_add(o, "size", u64(vi.size));
	json_object_object_add(o, "free", u64(vi.free));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int lvm_info(struct vh_ctx *ctx, int argc, char **argv)
{
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1];
	struct vh_error e = { 0 };
	struct vlvm_lv_info li;
	struct vlvm *h;
	int rc;

	ARGS(1, "VG/LV");
	if (vlvm_split_path(argv[1], vg, lv, &e) < 0)
		return vh_fail(ctx, &e);
	if (do_open(ctx, &h, &rc) < 0)
		return rc;
	rc = vlvm_lv_info(h, vg, lv, &li, &e);
	vlvm_close(h);
	if (rc < 0)
		return vh_fail(ctx, &e);
	vh_print(ctx, lv_json(&li));
	return VH_EXIT_OK;
}

static int lvm_create(struct vh_ctx *ctx, int argc, char **argv)
{
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1];
	struct vlvm_create_result res;
	struct vh_error e = { 0 };
	struct vlvm *h;
	json_object *o;
	uint64_t bytes;
	int rc;

	ARGS(2, "VG/LV SIZE   (bytes; suffix s=512, K, M, G, T = powers of 1024)");
	if (vlvm_split_path(argv[1], vg, lv, &e) < 0)
		return vh_fail(ctx, &e);
	if (parse_size(argv[2], &bytes) < 0 || bytes == 0)
		return vh_usage(ctx, "bad size '%s'", argv[2]);
	if (do_open(ctx, &h, &rc) < 0)
		return rc;
	rc = vlvm_lv_create(h, vg, lv, bytes, &res, &e);
	vlvm_close(h);
	if (rc < 0)
		return vh_fail(ctx, &e);
	if (res.rounded)
		fprintf(stderr, "vmhop: rounded %" PRIu64 " bytes up to %" PRIu64
			" extents of %" PRIu64 " bytes = %" PRIu64 " bytes\n",
			res.requested, res.extents, res.extent_size, res.size);
	o = lv_json(&res.lv);
	json_object_object_add(o, "requested", u64(res.requested));
	json_object_object_add(o, "extents", u64(res.extents));
	json_object_object_add(o, "extent_size", u64(res.extent_size));
	json_object_object_add(o, "rounded", json_object_new_boolean(res.rounded));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int lvm_remove(struct vh_ctx *ctx, int argc, char **argv)
{
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1];
	struct vh_error e = { 0 };
	struct vlvm *h;
	json_object *o;
	int rc;

	ARGS(1, "VG/LV");
	if (vlvm_split_path(argv[1], vg, lv, &e) < 0)
		return vh_fail(ctx, &e);
	if (do_open(ctx, &h, &rc) < 0)
		return rc;
	rc = vlvm_lv_remove(h, vg, lv, &e);
	vlvm_close(h);
	if (rc < 0)
		return vh_fail(ctx, &e);
	o = json_object_new_object();
	json_object_object_add(o, "removed", json_object_new_string(argv[1]));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int lvm_check_name(struct vh_ctx *ctx, int argc, char **argv)
{
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1], dm[300];
	struct vh_error e = { 0 };
	json_object *o;

	ARGS(1, "VG/LV");
	if (vlvm_split_path(argv[1], vg, lv, &e) < 0)
		return vh_fail(ctx, &e);
	if (vlvm_dm_name(vg, lv, dm, sizeof(dm)) < 0)
		return vh_usage(ctx, "name too long");
	o = json_object_new_object();
	json_object_object_add(o, "vg", json_object_new_string(vg));
	json_object_object_add(o, "lv", json_object_new_string(lv));
	json_object_object_add(o, "dm_name", json_object_new_string(dm));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int lvm_filter(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vlvm *h;
	json_object *o;
	int rc;

	ARGS(0, "");
	if (do_open(ctx, &h, &rc) < 0)
		return rc;
	o = json_object_new_object();
	json_object_object_add(o, "config", json_object_new_string(vlvm_filter_config(h)));
	vlvm_close(h);
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static const struct vh_cmd lvm_cmds[] = {
	{ "vg-info",    lvm_vg_info,    "VG: extent size, size, free space" },
	{ "info",       lvm_info,       "VG/LV: size, dm name and path, active, open" },
	{ "create",     lvm_create,     "VG/LV SIZE: create, rounded up to whole extents" },
	{ "remove",     lvm_remove,     "VG/LV: remove (refused while open)" },
	{ "check-name", lvm_check_name, "VG/LV: check names by LVM's rules, show the dm name" },
	{ "filter",     lvm_filter,     "show the device filter every LVM command carries" },
	{ NULL, NULL, NULL }
};

int cmd_lvm(struct vh_ctx *ctx, int argc, char **argv)
{
	return vh_dispatch(ctx, lvm_cmds, "lvm", argc - 1, argv + 1);
}
