/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmhop meta create|wipe|apply-al|dump DEVICE [--index N | --flexible] [--force]
 * vmhop meta size BACKING_BYTES [--index N | --flexible]
 *
 * Low-level DRBD v08 meta-data commands, for operators and tests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meta/meta.h"
#include "vmhop.h"

struct meta_args {
	const char *target;		/* DEVICE, or BACKING_BYTES for size */
	int index;
	bool force;
	uint64_t backing_bytes;
};

/* "123", "4096K", "100M", "2GiB", "1T" (binary units; core/num.h's vnum_bytes). */
static int parse_bytes(const char *s, uint64_t *ret)
{
	return vnum_size(s, VNUM_ZEROS | VNUM_IEC, vnum_bytes, UINT64_MAX, ret);
}

static int parse_args(struct vh_ctx *ctx, int argc, char **argv, bool allow_force,
		      bool allow_backing, struct meta_args *a)
{
	bool have_index = false, have_flex = false;

	memset(a, 0, sizeof(*a));
	a->index = VMETA_INDEX_FLEX;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--index") && i + 1 < argc) {
			uint64_t v;

			if (vnum_u64(argv[++i], 0, VMETA_INDEX_MAX, &v) < 0)
				return vh_usage(ctx, "--index: expected 0..%d (decimal), got '%s'",
						VMETA_INDEX_MAX, argv[i]);
			a->index = (int)v;
			have_index = true;
		} else if (!strcmp(s, "--flexible")) {
			have_flex = true;
		} else if (!strcmp(s, "--force") && allow_force) {
			a->force = true;
		} else if (!strcmp(s, "--backing-size") && allow_backing && i + 1 < argc) {
			if (parse_bytes(argv[++i], &a->backing_bytes) < 0)
				return vh_usage(ctx, "--backing-size: not a size: '%s'", argv[i]);
		} else if (s[0] == '-' && s[1]) {
			return vh_usage(ctx, "%s: unknown option '%s' (see 'vmhop meta --help')",
					argv[0], s);
		} else if (!a->target) {
			a->target = s;
		} else {
			return vh_usage(ctx, "%s: unexpected argument '%s'", argv[0], s);
		}
	}
	if (have_index && have_flex)
		return vh_usage(ctx, "%s: --index and --flexible exclude each other", argv[0]);
	if (!a->target)
		return vh_usage(ctx, "%s: missing %s", argv[0],
				strcmp(argv[0], "size") ? "DEVICE" : "BACKING_BYTES");
	return 0;
}

static int wants_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: vmhop meta %s\n", usage);
			return 1;
		}
	return 0;
}

static json_object *jhex64(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%016" PRIx64, v);
	return json_object_new_string(b);
}

static json_object *jhex32(uint32_t v)
{
	char b[16];

	snprintf(b, sizeof(b), "0x%08" PRIx32, v);
	return json_object_new_string(b);
}

static json_object *ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *flag_names(uint32_t flags)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ VMETA_MDF_CONSISTENT, "consistent" },
		{ VMETA_MDF_PRIMARY_IND, "primary-ind" },
		{ VMETA_MDF_CONNECTED_IND, "connected-ind" },
		{ VMETA_MDF_FULL_SYNC, "full-sync" },
		{ VMETA_MDF_WAS_UP_TO_DATE, "was-up-to-date" },
		{ VMETA_MDF_PEER_OUT_DATED, "peer-outdated" },
		{ VMETA_MDF_CRASHED_PRIMARY, "crashed-primary" },
		{ VMETA_MDF_AL_CLEAN, "al-clean" },
		{ VMETA_MDF_AL_DISABLED, "al-disabled" },
	};
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			json_object_array_add(a, json_object_new_string(names[i].name));
	return a;
}

static json_object *layout_obj(const char *dev, const struct vmeta_info *in)
{
	const struct vmeta_layout *l = &in->layout;
	json_object *o = json_object_new_object();

	add(o, "device", json_object_new_string(dev));
	add(o, "layout", json_object_new_string(l->index == VMETA_INDEX_FLEX ? "flexible" : "indexed"));
	if (l->index >= 0)
		add(o, "index", json_object_new_int(l->index));
	add(o, "device_bytes", ju64(in->dev_bytes));
	add(o, "md_offset", ju64(l->md_offset));
	add(o, "al_offset", ju64(l->al_offset));
	add(o, "bm_offset", ju64(l->bm_offset));
	add(o, "bm_bytes", ju64(l->bm_bytes));
	add(o, "md_size_sect", ju64(l->md_bytes / 512));
	add(o, "max_data_bytes", ju64(l->max_data_bytes));
	return o;
}

static void add_sb(json_object *o, const struct vmeta_sb *sb)
{
	json_object *u = json_object_new_object(), *h = json_object_new_array();

	add(o, "magic", jhex32(sb->magic));
	add(o, "clean", json_object_new_boolean(sb->magic == VMETA_MAGIC_08 &&
						(sb->flags & VMETA_MDF_AL_CLEAN)));
	add(u, "current", jhex64(sb->uuid[VMETA_UI_CURRENT]));
	add(u, "bitmap", jhex64(sb->uuid[VMETA_UI_BITMAP]));
	json_object_array_add(h, jhex64(sb->uuid[VMETA_UI_HISTORY_START]));
	json_object_array_add(h, jhex64(sb->uuid[VMETA_UI_HISTORY_END]));
	add(u, "history", h);
	add(o, "uuid", u);
	add(o, "device_uuid", jhex64(sb->device_uuid));
	add(o, "flags", jhex32(sb->flags));
	add(o, "flag_names", flag_names(sb->flags));
	add(o, "la_size_sect", ju64(sb->la_size_sect));
	add(o, "sb_md_size_sect", ju64(sb->md_size_sect));
	add(o, "sb_al_offset", json_object_new_int(sb->al_offset));
	add(o, "sb_bm_offset", json_object_new_int(sb->bm_offset));
	add(o, "al_nr_extents", ju64(sb->al_nr_extents));
	add(o, "bm_bytes_per_bit", ju64(sb->bm_bytes_per_bit));
	add(o, "la_peer_max_bio_size", ju64(sb->la_peer_max_bio_size));
	add(o, "al_stripes", ju64(sb->al_stripes));
	add(o, "al_stripe_size_4k", ju64(sb->al_stripe_size_4k));
}

static double elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int do_create(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vmeta_create_opts opts = { 0 };
	struct vh_error e = { 0 };
	struct vmeta_info in;
	struct meta_args a;
	struct timespec t0;
	json_object *o;
	int r;

	if (wants_help(argc, argv, "create DEVICE [--index N | --flexible] [--force] "
		       "[--backing-size BYTES]"))
		return VH_EXIT_OK;
	r = parse_args(ctx, argc, argv, true, true, &a);
	if (r)
		return r;
	opts.index = a.index;
	opts.force = a.force;
	opts.backing_bytes = a.backing_bytes;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = vmeta_create(a.target, &opts, &in, &e);
	if (r < 0)
		return vh_fail(ctx, &e);
	o = layout_obj(a.target, &in);
	add(o, "zero_method", json_object_new_string(vmeta_zero_method_name(in.zero_method)));
	add(o, "zeroed_bytes", ju64(in.zeroed_bytes));
	add(o, "direct_io", json_object_new_boolean(in.direct_io));
	add(o, "elapsed_ms", json_object_new_double(elapsed_ms(&t0)));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int do_wipe(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct vmeta_info in;
	struct meta_args a;
	json_object *o;
	int r;

	if (wants_help(argc, argv, "wipe DEVICE [--index N | --flexible] [--force]"))
		return VH_EXIT_OK;
	r = parse_args(ctx, argc, argv, true, false, &a);
	if (r)
		return r;
	r = vmeta_wipe(a.target, a.index, a.force, &in, &e);
	if (r < 0)
		return vh_fail(ctx, &e);
	o = json_object_new_object();
	add(o, "device", json_object_new_string(a.target));
	add(o, "wiped_at", ju64(in.layout.md_offset));
	add(o, "old_magic", jhex32(in.sb.magic));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int do_apply_al(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct vmeta_info in;
	struct meta_args a;
	json_object *o;
	int r;

	if (wants_help(argc, argv, "apply-al DEVICE [--index N | --flexible]"))
		return VH_EXIT_OK;
	r = parse_args(ctx, argc, argv, false, false, &a);
	if (r)
		return r;
	r = vmeta_apply_al(a.target, a.index, &in, &e);
	if (r < 0)
		return vh_fail(ctx, &e);
	o = json_object_new_object();
	add(o, "device", json_object_new_string(a.target));
	add(o, "was_primary", json_object_new_boolean(in.was_primary));
	add(o, "was_clean", json_object_new_boolean(in.was_clean));
	add(o, "al_valid", json_object_new_int((int)in.al_valid));
	add(o, "al_updates", json_object_new_int((int)in.al_updates));
	add(o, "hot_extents", json_object_new_int((int)in.n_hot));
	add(o, "extents_applied", json_object_new_int((int)in.extents_applied));
	add(o, "extents_skipped", json_object_new_int((int)in.extents_skipped));
	add(o, "bits_set", ju64(in.bits_set));
	add(o, "al_reinitialized", json_object_new_boolean(in.al_reinitialized));
	add(o, "superblock_written", json_object_new_boolean(in.sb_written));
	add(o, "magic", jhex32(in.sb.magic));
	add(o, "flags", jhex32(in.sb.flags));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int do_dump(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct vmeta_info in;
	struct meta_args a;
	json_object *o;
	int r;

	if (wants_help(argc, argv, "dump DEVICE [--index N | --flexible]"))
		return VH_EXIT_OK;
	r = parse_args(ctx, argc, argv, false, false, &a);
	if (r)
		return r;
	r = vmeta_read(a.target, a.index, &in, &e);
	if (r < 0)
		return vh_fail(ctx, &e);
	o = layout_obj(a.target, &in);
	add_sb(o, &in.sb);
	add(o, "la_size_bytes", ju64(in.sb.la_size_sect * 512));
	add(o, "bits_set", ju64(in.bm_bits_set));
	add(o, "al_valid_blocks", json_object_new_int((int)in.al_valid_blocks));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static int do_size(struct vh_ctx *ctx, int argc, char **argv)
{
	struct vh_error e = { 0 };
	struct meta_args a;
	uint64_t backing, need;
	json_object *o;
	int r;

	if (wants_help(argc, argv, "size BACKING_BYTES [--index N | --flexible]"))
		return VH_EXIT_OK;
	r = parse_args(ctx, argc, argv, false, false, &a);
	if (r)
		return r;
	if (parse_bytes(a.target, &backing) < 0)
		return vh_usage(ctx, "size: not a size: '%s'", a.target);
	r = vmeta_min_md_bytes(a.index, backing, &need, &e);
	if (r < 0)
		return vh_fail(ctx, &e);
	o = json_object_new_object();
	add(o, "layout", json_object_new_string(a.index == VMETA_INDEX_FLEX ? "flexible" : "indexed"));
	if (a.index >= 0)
		add(o, "index", json_object_new_int(a.index));
	add(o, "backing_bytes", ju64(backing));
	add(o, "min_md_bytes", ju64(need));
	vh_print(ctx, o);
	return VH_EXIT_OK;
}

static const struct vh_cmd meta_cmds[] = {
	{ "create", do_create, "write fresh DRBD v08 meta-data (superblock, activity log, zeroed bitmap)" },
	{ "wipe", do_wipe, "zero the superblock" },
	{ "apply-al", do_apply_al, "replay the activity log into the bitmap, mark the meta-data clean" },
	{ "dump", do_dump, "decode and show the superblock" },
	{ "size", do_size, "minimum meta device size for a backing device of BACKING_BYTES" },
	{ NULL, NULL, NULL },
};

int cmd_meta(struct vh_ctx *ctx, int argc, char **argv)
{
	return vh_dispatch(ctx, meta_cmds, "meta", argc - 1, argv + 1);
}
