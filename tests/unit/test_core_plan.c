/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan: names at the kernel's and LVM's limits, JSON round trip, every
 * refusal of the parser, the role, the DRBD configuration it yields, files,
 * and building a plan with libvirt, LVM and the host replaced by fakes at
 * their seams (vvirt_set_api, vlvm_set_run_hook, struct vplan_host_ops).
 * The real route lookup, LVM and libvirt are exercised in the lab
 * (tests/lab/50-plan.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <lvm2cmd.h>

#include "core/names.h"
#include "dm/dm.h"
#include "core/plan.h"
#include "meta/meta.h"
#include "netlink/drbdnl.h"
#include "virt/virt.h"
#include "../../tools/vmhop.h"
#include "support_cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UUID "1a2b3c4d-0000-4000-8000-00000000beef"

/* ---- a plan made by hand ----------------------------------------------- */

static void fill_disk(struct vplan *p, size_t i, const char *vg, const char *lv, uint64_t size,
		      uint32_t minor)
{
	struct vplan_disk *d = &p->disks[i];

	snprintf(d->target, sizeof(d->target), "vd%c", (char)('a' + i));
	snprintf(d->vg, sizeof(d->vg), "%s", vg);
	snprintf(d->lv, sizeof(d->lv), "%s", lv);
	d->size = size;
	d->volume = (uint32_t)i;
	d->minor = minor;
	assert_int_equal(vname_copy(p->resource, d->volume, d->copy, sizeof(d->copy), NULL), 0);
	assert_int_equal(vname_md_lv(vg, p->resource, d->volume, d->md_lv, sizeof(d->md_lv), NULL),
			 0);
	d->md_index = VMETA_INDEX_FLEX;
	assert_int_equal(vmeta_min_md_bytes(d->md_index, size, &d->md_bytes, NULL), 0);
}

static void make_plan(struct vplan *p)
{
	memset(p, 0, sizeof(*p));
	p->version = VPLAN_VERSION;
	snprintf(p->vm_name, sizeof(p->vm_name), "busy");
	snprintf(p->vm_uuid, sizeof(p->vm_uuid), UUID);
	assert_int_equal(vname_resource(p->vm_uuid, p->resource, sizeof(p->resource), NULL), 0);
	p->port = 7788;
	p->source = (struct vplan_host){ .host = "hv1", .addr = "169.254.77.1", .family = AF_INET };
	p->dest = (struct vplan_host){ .host = "hv2", .addr = "169.254.77.2", .family = AF_INET };
	p->n_disks = 1;
	fill_disk(p, 0, "vg", "busy", 209715200, 100);
	p->drbd = (struct vplan_drbd){ .protocol = "C", .cram_hmac_alg = "sha256",
				       .shared_secret = "00112233445566778899aabbccddeeff0011223344556677",
				       .resync_rate = 102400, .c_plan_ahead = 0, .c_delay_target = 10,
				       .c_fill_target = 100, .c_max_rate = 102400, .c_min_rate = 250,
				       .after_sb_0pri = "disconnect", .after_sb_1pri = "disconnect",
				       .after_sb_2pri = "disconnect", .rr_conflict = "disconnect" };
	snprintf(p->migration.uri, sizeof(p->migration.uri), "qemu+ssh://hv2/system");
	p->timeouts = (struct vplan_timeouts){ 60, 86400, 120, 3600, 300 };
}

static char *plan_text(const struct vplan *p)
{
	json_object *o = vplan_to_json(p);
	char *s;

	assert_non_null(o);
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* ---- names ------------------------------------------------------------- */

static void names_are_derived_and_fit(void **state)
{
	char res[64], copy[128], uuid[160], md[128], path[128];
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vname_resource(UUID, res, sizeof(res), NULL), 0);
	assert_string_equal(res, "vh-1a2b3c4d");
	assert_int_equal(vname_copy(res, 3, copy, sizeof(copy), NULL), 0);
	assert_string_equal(copy, "vh-1a2b3c4d-3.copy");
	assert_int_equal(vname_copy_uuid(res, 3, uuid, sizeof(uuid), NULL), 0);
	assert_string_equal(uuid, "VMHOP-vh-1a2b3c4d-3.copy");
	assert_int_equal(vname_md_lv("vg", res, 0, md, sizeof(md), NULL), 0);
	assert_string_equal(md, "vh-1a2b3c4d_0.vhmd");
	assert_int_equal(vlvm_check_lv_name(md, NULL), 0);
	assert_int_equal(vname_lv_dm_path("vg", md, path, sizeof(path), NULL), 0);
	assert_string_equal(path, "/dev/mapper/vg-vh--1a2b3c4d_0.vhmd");
	/* Upper case or a short UUID is refused. */
	assert_int_equal(vname_resource("1A2B3C4D-0000-4000-8000-00000000beef", res, sizeof(res), &e),
			 -EINVAL);
	assert_int_equal(vname_resource("1a2b3c4d", res, sizeof(res), &e), -EINVAL);
	assert_int_equal(vname_copy(res, VNAME_MAX_VOLUMES, copy, sizeof(copy), &e), -ERANGE);
}

static void longest_names(void **state)
{
	char vg[128], lv[128], md[128], path[128];
	struct vh_error e = { 0 };

	(void)state;
	/* The longest VG whose meta-data path still fits DRBD's 127 bytes:
	 * 12 ("/dev/mapper/") + vg + 1 + 19 ("vh--1a2b3c4d_0.vhmd") = 127. */
	memset(vg, 'v', 95);
	vg[95] = '\0';
	assert_int_equal(vname_md_lv(vg, "vh-1a2b3c4d", 0, md, sizeof(md), &e), 0);
	assert_int_equal(vname_lv_dm_path(vg, md, path, sizeof(path), &e), 0);
	assert_int_equal(strlen(path), 127);
	/* One more character: refused, naming the VG. */
	memset(vg, 'v', 96);
	vg[96] = '\0';
	assert_int_equal(vname_md_lv(vg, "vh-1a2b3c4d", 0, md, sizeof(md), &e), -ENAMETOOLONG);
	assert_non_null(strstr(e.msg, "VG"));
	/* Hyphens count twice in dm names. */
	memset(vg, '-', 49);
	vg[0] = 'a';
	vg[49] = '\0';
	assert_int_equal(vname_md_lv(vg, "vh-1a2b3c4d", 0, md, sizeof(md), &e), -ENAMETOOLONG);
	/* The longest LV LVM allows in a short VG (dm name vg-lv = 127): the
	 * VM's own LV, which DRBD never opens; the plan is still valid. */
	{
		struct vplan p;

		make_plan(&p);
		memset(lv, 'l', 124);
		lv[124] = '\0';
		assert_int_equal(vlvm_check_names("vg", lv, NULL), 0);
		fill_disk(&p, 0, "vg", lv, 1 << 20, 100);
		assert_int_equal(vplan_validate(&p, &e), 0);
		lv[124] = 'l';
		lv[125] = '\0';
		assert_int_equal(vlvm_check_names("vg", lv, NULL), -ENAMETOOLONG);
	}
}

static void dm_names_split(void **state)
{
	char vg[128], lv[128];
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vname_split_dm("vg-lv", vg, lv, &e), 0);
	assert_string_equal(vg, "vg");
	assert_string_equal(lv, "lv");
	assert_int_equal(vname_split_dm("my--vg-web--data", vg, lv, &e), 0);
	assert_string_equal(vg, "my-vg");
	assert_string_equal(lv, "web-data");
	assert_int_equal(vname_split_dm("a-b-c", vg, lv, &e), -EINVAL);
	assert_int_equal(vname_split_dm("novg", vg, lv, &e), -EINVAL);
	assert_int_equal(vname_split_dm("vg-", vg, lv, &e), -EINVAL);
	assert_int_equal(vname_split_dm("-lv", vg, lv, &e), -EINVAL);
	assert_int_equal(vname_split_dm("vg-snapshot1", vg, lv, &e), -EINVAL);
}

/* ---- round trip -------------------------------------------------------- */

static void round_trip(void **state)
{
	struct vplan p, q;
	char *a, *b;
	struct vh_error e = { 0 };

	(void)state;
	make_plan(&p);
	p.n_disks = 3;
	fill_disk(&p, 1, "vg", "data", 1ull << 40, 101);
	fill_disk(&p, 2, "other-vg", "log", 512, 7);
	p.migration.keep_source = true;
	p.migration.max_downtime_ms = 500;
	p.migration.bandwidth_mib = 100;
	p.migration.on_link_loss = VPLAN_LINK_LOSS_CONTINUE;
	p.migration.tunnelled = true;
	assert_int_equal(vplan_validate(&p, &e), 0);
	a = plan_text(&p);
	assert_non_null(strstr(a, "\"on_link_loss\":\"continue\""));
	assert_non_null(strstr(a, "\"tunnelled\":true"));
	assert_int_equal(vplan_parse(a, strlen(a), &q, &e), 0);
	b = plan_text(&q);
	assert_string_equal(a, b);
	assert_int_equal(q.migration.on_link_loss, VPLAN_LINK_LOSS_CONTINUE);
	assert_true(q.migration.tunnelled);
	assert_int_equal(q.n_disks, 3);
	assert_int_equal(q.disks[1].size, 1ull << 40);
	assert_string_equal(q.disks[2].md_lv, "vh-1a2b3c4d_2.vhmd");
	assert_true(q.migration.keep_source);
	free(a);
	free(b);

	/* IPv6 too. */
	make_plan(&p);
	p.source = (struct vplan_host){ .host = "hv1", .addr = "fd00::1", .family = AF_INET6 };
	p.dest = (struct vplan_host){ .host = "fd00::2", .addr = "fd00::2", .family = AF_INET6 };
	a = plan_text(&p);
	assert_int_equal(vplan_parse(a, strlen(a), &q, &e), 0);
	assert_int_equal(q.dest.family, AF_INET6);
	free(a);
}

/* ---- refusals ---------------------------------------------------------- */

/* Set the member at @path ("disks.0.meta.lv") of the good plan to @value
 * (JSON text; NULL deletes it), and parse the result. */
static int parse_mutated(const char *path, const char *value, struct vh_error *e)
{
	struct vplan p, q;
	json_object *root, *o, *v = NULL;
	char buf[256], *key, *next, *save = NULL;
	const char *text;
	int r;

	make_plan(&p);
	p.n_disks = 2;
	fill_disk(&p, 1, "vg", "data", 1 << 20, 101);
	root = vplan_to_json(&p);
	snprintf(buf, sizeof(buf), "%s", path);
	o = root;
	key = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save))) {
		o = json_object_is_type(o, json_type_array) ? json_object_array_get_idx(o, atoi(key))
							    : json_object_object_get(o, key);
		assert_non_null(o);
		key = next;
	}
	if (value) {
		v = json_tokener_parse(value);
		assert_true(v || !strcmp(value, "null"));
	}
	if (json_object_is_type(o, json_type_array)) {
		assert_non_null(value);
		json_object_array_put_idx(o, (size_t)atoi(key), v);
	} else if (value) {
		json_object_object_add(o, key, v);
	} else {
		json_object_object_del(o, key);
	}
	text = json_object_to_json_string(root);
	r = vplan_parse(text, strlen(text), &q, e);
	json_object_put(root);
	return r;
}

/* A plan without "tunnelled" (written by a vmhop before it) moves as that
 * vmhop did, tunnelled; a plan that says false moves natively. */
static void tunnelled_is_optional_and_read(void **state)
{
	struct vplan p, q;
	struct vh_error e = { 0 };
	json_object *root, *mig;
	const char *text;

	(void)state;
	make_plan(&p);
	p.migration.tunnelled = false;
	root = vplan_to_json(&p);
	assert_non_null(root);
	mig = json_object_object_get(root, "migration");
	assert_non_null(mig);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(text, "\"tunnelled\":false"));
	assert_int_equal(vplan_parse(text, strlen(text), &q, &e), 0);
	assert_false(q.migration.tunnelled);
	json_object_object_del(mig, "tunnelled");
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	assert_null(strstr(text, "tunnelled"));
	assert_int_equal(vplan_parse(text, strlen(text), &q, &e), 0);
	assert_true(q.migration.tunnelled);
	json_object_put(root);
}

/* The migration's controls: written only when on, read back, each checked
 * alone and with the others; a plan without them moves as before. */
static void migration_controls(void **state)
{
	struct vplan p, q;
	struct vh_error e = { 0 };
	enum vplan_completion c;
	uint32_t after;
	char *a, *b;

	(void)state;
	make_plan(&p);
	p.migration.tunnelled = false;
	a = plan_text(&p);
	assert_null(strstr(a, "auto_converge"));
	assert_null(strstr(a, "parallel"));
	assert_null(strstr(a, "completion"));
	assert_null(strstr(a, "overlap_s"));
	assert_int_equal(vplan_parse(a, strlen(a), &q, &e), 0);
	assert_false(q.migration.auto_converge);
	assert_int_equal(q.migration.overlap_s, 0);
	assert_int_equal(q.migration.parallel, 0);
	assert_int_equal(q.migration.completion, VPLAN_COMPLETION_NONE);
	free(a);

	p.migration.auto_converge = true;
	p.migration.parallel = 4;
	snprintf(p.migration.migrate_uri, sizeof(p.migration.migrate_uri), "tcp://[fd00::2]:49200");
	p.migration.completion = VPLAN_COMPLETION_CONVERGE;
	p.migration.completion_after_s = 30;
	p.migration.overlap_s = 7;
	assert_int_equal(vplan_validate(&p, &e), 0);
	a = plan_text(&p);
	assert_non_null(strstr(a, "\"overlap_s\":7"));
	assert_non_null(strstr(a, "\"auto_converge\":true"));
	assert_non_null(strstr(a, "\"parallel\":4"));
	assert_non_null(strstr(a, "\"migrate_uri\":\"tcp://[fd00::2]:49200\""));
	assert_non_null(strstr(a, "\"completion\":{"));
	assert_non_null(strstr(a, "\"action\":\"converge\""));
	assert_non_null(strstr(a, "\"after_s\":30"));
	assert_int_equal(vplan_parse(a, strlen(a), &q, &e), 0);
	b = plan_text(&q);
	assert_string_equal(a, b);
	assert_true(q.migration.auto_converge);
	assert_int_equal(q.migration.parallel, 4);
	assert_int_equal(q.migration.completion, VPLAN_COMPLETION_CONVERGE);
	assert_int_equal(q.migration.completion_after_s, 30);
	assert_int_equal(q.migration.overlap_s, 7);
	free(a);
	free(b);

	/* together: what QEMU or libvirt would refuse, refused here first */
	q = p;
	snprintf(q.migration.compression, sizeof(q.migration.compression), "xbzrle");
	assert_int_equal(vplan_validate(&q, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not with parallel connections"));
	q.migration.parallel = 0;
	assert_int_equal(vplan_validate(&q, &e), 0);
	snprintf(q.migration.compression, sizeof(q.migration.compression), "zlib");
	assert_int_equal(vplan_validate(&q, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "must be xbzrle, not 'zlib'"));
	q = p;
	q.migration.tunnelled = true;
	assert_int_equal(vplan_validate(&q, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not with a tunnelled migration"));
	q.migration.parallel = 0;
	assert_int_equal(vplan_validate(&q, &e), -EINVAL);	/* the migrate URI */
	q.migration.migrate_uri[0] = '\0';
	assert_int_equal(vplan_validate(&q, &e), 0);
	q = p;
	q.migration.parallel = VPLAN_PARALLEL_MAX + 1;
	assert_int_equal(vplan_validate(&q, &e), -ERANGE);
	q = p;
	q.migration.completion_after_s = 0;
	assert_int_equal(vplan_validate(&q, &e), -ERANGE);
	q = p;
	snprintf(q.migration.migrate_uri, sizeof(q.migration.migrate_uri), "rdma://hv2");
	assert_int_equal(vplan_validate(&q, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "tcp://HOST[:PORT]"));

	/* in the file: bad values refused by name */
	assert_int_equal(parse_mutated("migration.parallel", "0", &e), -ERANGE);
	assert_int_equal(parse_mutated("migration.auto_converge", "1", &e), -EINVAL);
	assert_int_equal(parse_mutated("migration.overlap_s", "0", &e), -ERANGE);
	assert_int_equal(parse_mutated("migration.overlap_s", "3601", &e), -ERANGE);
	assert_int_equal(parse_mutated("migration.overlap_s", "true", &e), -EINVAL);
	assert_int_equal(parse_mutated("migration.completion", "{\"action\":\"wait\",\"after_s\":5}",
				       &e), -EINVAL);
	assert_non_null(strstr(e.msg, "converge or abort, not 'wait'"));
	assert_int_equal(parse_mutated("migration.completion", "{\"action\":\"abort\"}", &e),
			 -EINVAL);
	assert_int_equal(parse_mutated("migration.completion",
				       "{\"action\":\"abort\",\"after_s\":5,\"x\":1}", &e), -EINVAL);
	assert_int_equal(parse_mutated("migration.migrate_uri", "\"tcp://-oProxy\"", &e), -EINVAL);
	assert_int_equal(parse_mutated("migration.completion",
				       "{\"action\":\"abort\",\"after_s\":5}", &e), 0);

	/* --completion's text */
	assert_int_equal(vplan_completion_parse("converge:90", &c, &after), 0);
	assert_int_equal(c, VPLAN_COMPLETION_CONVERGE);
	assert_int_equal(after, 90);
	assert_int_equal(vplan_completion_parse("abort:1", &c, &after), 0);
	assert_int_equal(c, VPLAN_COMPLETION_ABORT);
	assert_int_equal(vplan_completion_parse("abort:0", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse("abort:090", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse("abort:-5", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse("abort", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse("pause:5", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse("converge:99999999999", &c, &after), -ERANGE);
	assert_int_equal(vplan_completion_parse("converge:18446744073709551617", &c, &after),
			 -ERANGE);
	assert_int_equal(vplan_completion_parse("converge:", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse("converge:5s", &c, &after), -EINVAL);
	assert_int_equal(vplan_completion_parse(NULL, &c, &after), -EINVAL);
}

static void every_field_is_checked(void **state)
{
	static const struct { const char *path, *value; int err; const char *msg; } cases[] = {
		{ "vmhop_plan", "2", -EPROTONOSUPPORT, "version 2" },
		{ "vmhop_plan", "\"1\"", -EINVAL, "vmhop_plan" },
		{ "vmhop_plan", NULL, -EINVAL, "vmhop_plan" },
		{ "extra", "1", -EINVAL, "unknown field extra" },
		{ "port", NULL, -EINVAL, "missing field port" },
		{ "port", "0", -ERANGE, "port" },
		{ "port", "65536", -ERANGE, "port" },
		{ "port", "\"7788\"", -EINVAL, "port must be an integer" },
		{ "port", "7788.0", -EINVAL, "port" },
		{ "vm.name", "\"a/b\"", -EINVAL, "vm.name" },
		{ "vm.name", "\"\"", -EINVAL, "vm.name" },
		{ "vm.name", "\"a\\u0000b\"", -EINVAL, "NUL" },
		{ "vm.uuid", "\"1a2b3c4d\"", -EINVAL, "UUID" },
		{ "vm.uuid", "\"2a2b3c4d-0000-4000-8000-00000000beef\"", -EINVAL, "resource must be" },
		{ "vm.extra", "1", -EINVAL, "unknown field vm.extra" },
		{ "resource", "\"vh-other\"", -EINVAL, "resource must be 'vh-1a2b3c4d'" },
		{ "source.address", "\"999.1.1.1\"", -EINVAL, "source.address" },
		{ "source.address", "\"169.254.77.2\"", -EINVAL, "the same" },
		{ "source.address", "\"fd00::1\"", -EINVAL, "different families" },
		{ "source.address", "\"0.0.0.0\"", -EINVAL, "unspecified" },
		{ "source.address", "\"hv1\"", -EINVAL, "numeric" },
		{ "dest.host", "\"a b\"", -EINVAL, "dest.host" },
		{ "dest.host", "\"\"", -EINVAL, "empty" },
		{ "disks", "[]", -EINVAL, "disks" },
		{ "disks", "{}", -EINVAL, "array" },
		{ "disks.0", "\"vg/lv\"", -EINVAL, "disks[0] must be an object" },
		{ "disks.0.vg", "\"bad name\"", -EINVAL, "disks[0]" },
		{ "disks.0.vg", "\"mapper\"", -EINVAL, "mapper" },
		{ "disks.0.lv", "\"snapshot1\"", -EINVAL, "reserved" },
		{ "disks.0.lv", "\"x_mlog\"", -EINVAL, "reserved" },
		{ "disks.0.size", "1000", -ERANGE, "multiple of 512" },
		{ "disks.0.size", "-512", -ERANGE, "size" },
		{ "disks.0.size", "0", -ERANGE, "size" },
		{ "disks.0.size", "9223372036854775807", -ERANGE, "size" },
		{ "disks.0.size", "99999999999999999999", -ERANGE, "size" },
		{ "disks.0.volume", "1", -EINVAL, "volume must be 0" },
		{ "disks.0.minor", "1048576", -ERANGE, "minor" },
		{ "disks.1.minor", "100", -EINVAL, "same minor" },
		{ "disks.1.lv", "\"busy\"", -EINVAL, "same LV" },
		{ "disks.0.copy", "\"vg-busy\"", -EINVAL, "copy must be 'vh-1a2b3c4d-0.copy'" },
		{ "disks.0.target", "\"\"", -EINVAL, "target" },
		{ "disks.0.meta.lv", "\"busy\"", -EINVAL, "meta.lv must be" },
		{ "disks.0.meta.index", "\"0\"", -EINVAL, "flexible" },
		{ "disks.0.meta.bytes", "2097152", -EINVAL, "meta.bytes must be" },
		{ "disks.0.meta.extra", "true", -EINVAL, "unknown field disks[0].meta.extra" },
		{ "drbd.protocol", "\"A\"", -EINVAL, "protocol must be C" },
		{ "drbd.cram_hmac_alg", "\"md5\"", -EINVAL, "cram_hmac_alg" },
		{ "drbd.shared_secret", "\"short\"", -EINVAL, "shared_secret" },
		{ "drbd.shared_secret", "\"0011223344556677 8899aabbccddeeff\"", -EINVAL, "space" },
		{ "drbd.shared_secret",
		  "\"0123456789012345678901234567890123456789012345678901234567890123\"",
		  -ENAMETOOLONG, "shared_secret" },
		{ "drbd.resync_rate_kib", "0", -ERANGE, "resync-rate" },
		{ "drbd.resync_rate_kib", "4294967296", -ERANGE, "resync_rate_kib" },
		{ "drbd.c_plan_ahead", "301", -ERANGE, "c-plan-ahead" },
		{ "drbd.c_max_rate_kib", "1", -ERANGE, "c-max-rate" },
		{ "drbd.after_sb_0pri", "\"discard-local\"", -EINVAL, "after-sb-0pri" },
		{ "drbd.after_sb_1pri", "\"discard-zero-changes\"", -EINVAL, "after-sb-1pri" },
		{ "drbd.after_sb_2pri", "\"violently-as0p\"", -EINVAL, "after-sb-2pri" },
		{ "drbd.rr_conflict", "\"violently\"", -EINVAL, "rr-conflict" },
		{ "drbd.rr_conflict", NULL, -EINVAL, "missing field drbd.rr_conflict" },
		{ "migration.uri", "\"no uri\"", -EINVAL, "migration.uri" },
		{ "migration.uri", "\"hv2\"", -EINVAL, "not a libvirt URI" },
		/* a URI that makes libvirt's client run a program or check less */
		{ "migration.uri", "\"qemu+ext:///system?command=/tmp/x\"", -EINVAL,
		  "transport 'ext' is refused" },
		{ "migration.uri", "\"qemu+ssh://hv2/system?command=/tmp/x\"", -EINVAL,
		  "query parameters are refused ('command')" },
		{ "migration.uri", "\"qemu+ssh://hv2/system?netcat=/tmp/nc&keyfile=/k\"", -EINVAL,
		  "('netcat', 'keyfile')" },
		{ "migration.uri", "\"qemu+tls://hv2/system?no_verify=1\"", -EINVAL, "'no_verify'" },
		{ "migration.uri", "\"qemu+ssh://hv2/system?known_hosts_verify=ignore\"", -EINVAL,
		  "'known_hosts_verify'" },
		{ "migration.uri", "\"qemu+ssh://-oProxyCommand=x/system\"", -EINVAL, "starting with '-'" },
		{ "migration.uri", "\"qemu+ssh://-l@hv2/system\"", -EINVAL, "user" },
		{ "migration.uri", "\"qemu+unix:///system?socket=/x\"", -EINVAL,
		  "transport 'unix' is refused" },
		{ "migration.uri", "\"xen+ssh://hv2/system\"", -EINVAL, "driver 'xen' is refused" },
		{ "migration.uri", "\"qemu+ssh://hv2/session\"", -EINVAL, "path must be /system" },
		{ "migration.uri", "\"qemu+ssh://hv2:0/system\"", -EINVAL, "port" },
		{ "migration.uri", "\"qemu+ssh:///system\"", -EINVAL, "no host" },
		{ "migration.uri", "\"qemu+ssh://hv2/system#x\"", -EINVAL, "fragment" },
		{ "migration.uri", "\"qemu+ssh://h%76/system\"", -EINVAL, "%-escapes" },
		{ "migration.keep_source", "\"yes\"", -EINVAL, "keep_source must be true or false" },
		{ "migration.max_downtime_ms", "3600001", -ERANGE, "max_downtime_ms" },
		{ "migration.bandwidth_mib", "1048577", -ERANGE, "bandwidth_mib" },
		{ "migration.on_link_loss", "\"abort\"", -EINVAL,
		  "on_link_loss must be cancel or continue, not 'abort'" },
		{ "migration.on_link_loss", "\"\"", -EINVAL, "on_link_loss" },
		{ "migration.on_link_loss", "true", -EINVAL, "on_link_loss" },
		{ "migration.tunnelled", "\"no\"", -EINVAL, "tunnelled must be true or false" },
		{ "migration.tunneled", "true", -EINVAL, "unknown field migration.tunneled" },
		{ "timeouts.gate_s", "0", -ERANGE, "gate_s" },
		{ "timeouts.sync_s", "604801", -ERANGE, "sync_s" },
		{ "timeouts", "[]", -EINVAL, "timeouts must be an object" },
	};
	struct vh_error e;

	(void)state;
	/* The good plan itself parses (the cases below change one thing). */
	assert_int_equal(parse_mutated("port", "7788", &e), 0);
	/* on_link_loss is optional: a plan of a vmhop that did not know it reads */
	assert_int_equal(parse_mutated("migration.on_link_loss", NULL, &e), 0);
	assert_int_equal(parse_mutated("migration.on_link_loss", "\"continue\"", &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		memset(&e, 0, sizeof(e));
		r = parse_mutated(cases[i].path, cases[i].value, &e);
		if (r != cases[i].err || !strstr(e.msg, cases[i].msg))
			fail_msg("%s=%s: got %d '%s', expected %d '%s'", cases[i].path,
				 cases[i].value ? cases[i].value : "(deleted)", r, e.msg,
				 cases[i].err, cases[i].msg);
	}
}

static void bad_text_is_refused(void **state)
{
	struct vplan p, q;
	struct vh_error e = { 0 };
	char *text, *big;
	size_t n;

	(void)state;
	make_plan(&p);
	text = plan_text(&p);
	n = strlen(text);
	/* Truncated anywhere: refused, never guessed. */
	for (size_t cut = 0; cut < n - 1; cut += 7) {
		int r = vplan_parse(text, cut, &q, &e);

		if (r != -EBADMSG)
			fail_msg("cut at %zu: %d %s", cut, r, e.msg);
	}
	assert_int_equal(vplan_parse(text, n, &q, &e), 0);
	/* Trailing bytes. */
	{
		char *t = malloc(n + 3);

		memcpy(t, text, n);
		memcpy(t + n, "\n{}", 3);
		assert_int_equal(vplan_parse(t, n + 3, &q, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, "not valid JSON"));
		t[n + 1] = ' ';
		t[n + 2] = '\n';
		assert_int_equal(vplan_parse(t, n + 3, &q, &e), 0);	/* white space is fine */
		t[n / 2] = '\0';
		assert_int_equal(vplan_parse(t, n + 3, &q, &e), -EBADMSG);
		free(t);
	}
	assert_int_equal(vplan_parse("[]", 2, &q, &e), -EBADMSG);
	assert_int_equal(vplan_parse("", 0, &q, &e), -EBADMSG);
	assert_int_equal(vplan_parse("\"plan\"", 6, &q, &e), -EBADMSG);
	assert_int_equal(vplan_parse("{\"vmhop_plan\": 1, \"vm\": {\"name\": \"\xff\"}}", 36, &q, &e),
			 -EBADMSG);
	/* Nested deeper than any plan is. */
	{
		char deep[64];

		memset(deep, '[', sizeof(deep));
		memcpy(deep, "{\"a\":", 5);
		assert_int_equal(vplan_parse(deep, sizeof(deep), &q, &e), -EBADMSG);
	}
	/* Larger than a plan can be. */
	big = calloc(1, VPLAN_FILE_MAX + 2);
	memset(big, ' ', VPLAN_FILE_MAX + 1);
	big[0] = '{';
	assert_int_equal(vplan_parse(big, VPLAN_FILE_MAX + 1, &q, &e), -EFBIG);
	free(big);
	free(text);
}

/* ---- role -------------------------------------------------------------- */

static int fake_local(const char *addr, int family, void *ud)
{
	const char *const *mine = ud;

	(void)family;
	for (; *mine; mine++)
		if (!strcmp(*mine, addr))
			return 1;
	return 0;
}

/* Two documentation addresses this machine does not have. */
static void foreign_pair(char a[16], char b[16])
{
	int n = 0;

	for (int i = 1; i < 255 && n < 2; i++) {
		char c[24];

		snprintf(c, sizeof(c), "198.51.100.%d", i & 0xff);
		if (vplan_addr_is_local(c, AF_INET, NULL) == 0)
			memcpy(n++ ? b : a, c, 16);
	}
	assert_int_equal(n, 2);
}

static void role_from_addresses(void **state)
{
	const char *s_addrs[] = { "127.0.0.1", "169.254.77.1", NULL };
	const char *d_addrs[] = { "169.254.77.2", NULL };
	const char *none[] = { "10.0.0.1", NULL };
	const char *both[] = { "169.254.77.1", "169.254.77.2", NULL };
	struct vh_error e = { 0 };
	enum vplan_role role;
	struct vplan p;

	(void)state;
	make_plan(&p);
	assert_int_equal(vplan_role(&p, fake_local, s_addrs, &role, &e), 0);
	assert_int_equal(role, VPLAN_ROLE_SOURCE);
	assert_int_equal(vplan_role(&p, fake_local, d_addrs, &role, &e), 0);
	assert_int_equal(role, VPLAN_ROLE_DEST);
	assert_int_equal(vplan_role(&p, fake_local, none, &role, &e), -EINVAL);
	assert_string_equal(e.msg, "plan is for hosts 169.254.77.1 and 169.254.77.2; this host has "
				   "neither address");
	assert_int_equal(vplan_role(&p, fake_local, both, &role, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "both"));
	/* The real host: loopback is local, a TEST-NET address is not. */
	assert_int_equal(vplan_addr_is_local("127.0.0.1", AF_INET, NULL), 1);
	{
		char a[16], b[16];

		foreign_pair(a, b);
		assert_int_equal(vplan_addr_is_local(a, AF_INET, NULL), 0);
		/* vplan_role's own list of the host's addresses (one getifaddrs) */
		snprintf(p.source.addr, sizeof(p.source.addr), "127.0.0.1");
		snprintf(p.dest.addr, sizeof(p.dest.addr), "%s", a);
		assert_int_equal(vplan_role(&p, NULL, NULL, &role, &e), 0);
		assert_int_equal(role, VPLAN_ROLE_SOURCE);
		snprintf(p.source.addr, sizeof(p.source.addr), "%s", b);
		snprintf(p.dest.addr, sizeof(p.dest.addr), "127.0.0.1");
		assert_int_equal(vplan_role(&p, NULL, NULL, &role, &e), 0);
		assert_int_equal(role, VPLAN_ROLE_DEST);
		snprintf(p.dest.addr, sizeof(p.dest.addr), "%s", a);
		assert_int_equal(vplan_role(&p, NULL, NULL, &role, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "neither"));
		snprintf(p.source.addr, sizeof(p.source.addr), "127.0.0.1");
		snprintf(p.dest.addr, sizeof(p.dest.addr), "127.0.0.1");
		assert_int_equal(vplan_role(&p, NULL, NULL, &role, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "both"));
	}
	assert_int_equal(vplan_addr_is_local("not-an-address", AF_INET, NULL), -EINVAL);
}

/* ---- this host's addresses: the RTM_GETADDR dump parser --------------- */

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* One RTM_NEWADDR of @family at @buf with IFA_LOCAL @local and IFA_ADDRESS
 * @address (text, NULL: none); returns its aligned length. */
static size_t addr_msg(char *buf, uint32_t seq, int family, const char *local,
		       const char *address)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct ifaddrmsg *ifa = NLMSG_DATA(nlh);
	const char *txt[2] = { address, local };
	unsigned short type[2] = { IFA_ADDRESS, IFA_LOCAL };
	size_t alen = family == AF_INET6 ? 16 : 4;

	memset(buf, 0, 128);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	for (int i = 0; i < 2; i++) {
		struct rtattr *rta = (struct rtattr *)(buf + NLMSG_ALIGN(nlh->nlmsg_len));

		if (!txt[i])
			continue;
		rta->rta_type = type[i];
		rta->rta_len = (unsigned short)RTA_LENGTH(alen);
		assert_int_equal(inet_pton(family, txt[i], RTA_DATA(rta)), 1);
		nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	}
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static size_t done_msg(char *buf, uint32_t seq, unsigned short type, int error)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	memset(buf, 0, 64);
	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : 4);
	if (type == NLMSG_ERROR)
		((struct nlmsgerr *)NLMSG_DATA(nlh))->error = error;
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static void addr_dump_parser(void **state)
{
	char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned char a[3][16];
	const unsigned char *want[3] = { a[0], a[1], a[2] };
	int found[3];
	struct vh_error e = { 0 };
	size_t len = 0, part;

	(void)state;
	inet_pton(AF_INET, "10.0.0.1", a[0]);	/* IFA_LOCAL of a point-to-point link */
	inet_pton(AF_INET, "10.0.0.9", a[1]);	/* ...its IFA_ADDRESS: the peer's */
	inet_pton(AF_INET, "192.0.2.7", a[2]);	/* IFA_ADDRESS alone: this host's */
	len += addr_msg(buf + len, 1, AF_INET, "10.0.0.1", "10.0.0.9");
	len += addr_msg(buf + len, 2, AF_INET, NULL, "10.0.0.9");	/* another request's */
	len += addr_msg(buf + len, 1, AF_INET6, NULL, "2001:db8::1");	/* another family */
	part = len;
	len += addr_msg(buf + len, 1, AF_INET, NULL, "192.0.2.7");
	memset(found, 0, sizeof(found));
	assert_int_equal(vplan_parse_addr_dump(buf, len, 1, AF_INET, want, 3, found, &e), 0);
	assert_int_equal(found[0], 1);
	assert_int_equal(found[1], 0);
	assert_int_equal(found[2], 1);
	/* the end of the dump */
	len += done_msg(buf + len, 1, NLMSG_DONE, 0);
	memset(found, 0, sizeof(found));
	assert_int_equal(vplan_parse_addr_dump(buf, len, 1, AF_INET, want, 3, found, &e), 1);
	assert_int_equal(found[2], 1);
	/* every cut of the datagram inside a message is refused, never read past */
	for (size_t cut = 1; cut < len; cut++) {
		int r;

		memset(found, 0, sizeof(found));
		r = vplan_parse_addr_dump(buf, cut, 1, AF_INET, want, 3, found, &e);
		assert_true(r == 0 || r == -EBADMSG);
	}
	assert_int_equal(vplan_parse_addr_dump(buf, part + 3, 1, AF_INET, want, 3, found, &e),
			 -EBADMSG);
	/* the kernel's error ends it with that error */
	len = done_msg(buf, 1, NLMSG_ERROR, -EPERM);
	assert_int_equal(vplan_parse_addr_dump(buf, len, 1, AF_INET, want, 3, found, &e), -EPERM);
	len = done_msg(buf, 1, NLMSG_ERROR, 5);
	assert_int_equal(vplan_parse_addr_dump(buf, len, 1, AF_INET, want, 3, found, &e), -EBADMSG);
	assert_int_equal(vplan_parse_addr_dump(buf, 0, 1, AF_PACKET, want, 3, found, &e),
			 -EAFNOSUPPORT);
	/* the real host: its loopback address, and not a TEST-NET one */
	inet_pton(AF_INET, "127.0.0.1", a[0]);
	inet_pton(AF_INET, "198.51.100.254", a[1]);
	assert_int_equal(vplan_addrs_local(AF_INET, want, 2, found, &e), 0);
	assert_int_equal(found[0], 1);
	assert_int_equal(found[1], vplan_addr_is_local("198.51.100.254", AF_INET, NULL));
}

/* ---- DRBD configuration ------------------------------------------------ */

static void drbd_conf_from_plan(void **state)
{
	struct drbdnl_conf nc, dc;
	struct drbdnl_addr me, peer;
	char buf[128], backing[128], meta[128];
	struct vh_error e = { 0 };
	struct vplan p;

	(void)state;
	make_plan(&p);
	assert_int_equal(vplan_net_conf(&p, &nc, &e), 0);
	assert_int_equal(drbdnl_conf_num(&nc, DRBDNL_NET_PROTOCOL), 3);
	assert_string_equal(drbdnl_conf_str(&nc, DRBDNL_NET_CRAM_HMAC_ALG), "sha256");
	assert_string_equal(drbdnl_conf_str(&nc, DRBDNL_NET_SHARED_SECRET), p.drbd.shared_secret);
	assert_true(drbdnl_conf_has(&nc, DRBDNL_NET_AFTER_SB_0P));
	assert_int_equal(drbdnl_conf_num(&nc, DRBDNL_NET_RR_CONFLICT), 0);
	/* 0.1 s, not ping-timeout's 0.5 s, before DRBD's handshake */
	assert_int_equal(drbdnl_conf_num(&nc, DRBDNL_NET_SOCK_CHECK_TIMEO), 1);
	assert_int_equal(vplan_disk_conf(&p, &dc, &e), 0);
	assert_int_equal(drbdnl_conf_num(&dc, DRBDNL_DISK_RESYNC_RATE), 102400);
	assert_int_equal(drbdnl_conf_num(&dc, DRBDNL_DISK_C_PLAN_AHEAD), 0);
	assert_int_equal(drbdnl_conf_num(&dc, DRBDNL_DISK_C_MIN_RATE), 250);
	assert_int_equal(vplan_endpoints(&p, VPLAN_ROLE_DEST, &me, &peer, &e), 0);
	drbdnl_addr_format(&me, buf, sizeof(buf));
	assert_non_null(strstr(buf, "169.254.77.2:7788"));
	drbdnl_addr_format(&peer, buf, sizeof(buf));
	assert_non_null(strstr(buf, "169.254.77.1:7788"));
	assert_int_equal(vplan_endpoints(&p, VPLAN_ROLE_NONE, &me, &peer, &e), -EINVAL);
	assert_int_equal(vplan_disk_paths(&p, 0, backing, meta, sizeof(backing), &e), 0);
	assert_string_equal(backing, "/dev/mapper/vh-1a2b3c4d-0.copy");
	assert_string_equal(meta, "/dev/mapper/vg-vh--1a2b3c4d_0.vhmd");
	assert_int_equal(vplan_disk_paths(&p, 1, backing, meta, sizeof(backing), &e), -EINVAL);
}

/* ---- files ------------------------------------------------------------- */

static void save_and_load(void **state)
{
	char dir[] = "/tmp/vmhop-plan-XXXXXX", path[64], cmd[96];
	struct vh_error e = { 0 };
	struct vplan p, q;
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.json", dir);
	make_plan(&p);
	umask(022);
	assert_int_equal(vplan_save(&p, path, false, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vplan_load(path, &q, &e), 0);
	assert_string_equal(q.drbd.shared_secret, p.drbd.shared_secret);
	/* An existing file is kept unless asked. */
	assert_int_equal(vplan_save(&p, path, false, &e), -EEXIST);
	p.port = 7799;
	assert_int_equal(vplan_save(&p, path, true, &e), 0);
	assert_int_equal(vplan_load(path, &q, &e), 0);
	assert_int_equal(q.port, 7799);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* An invalid plan is never written. */
	p.port = 0;
	assert_int_equal(vplan_save(&p, path, true, &e), -ERANGE);
	assert_int_equal(vplan_load(path, &q, &e), 0);
	/* A truncated file: refused, naming the file. */
	assert_int_equal(truncate(path, 100), 0);
	assert_int_equal(vplan_load(path, &q, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "truncated"));
	f = fopen(path, "w");
	fputs("{}", f);
	fclose(f);
	assert_int_equal(vplan_load(path, &q, &e), -EINVAL);
	snprintf(path, sizeof(path), "%s/absent.json", dir);
	assert_int_equal(vplan_load(path, &q, &e), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A plan tells root what to do and holds the secret: a file another user
 * could read or write, or a link to one, is refused before it is read, by
 * every command that loads a plan (exit 11). */
static void load_refuses_a_plan_others_could_touch(void **state)
{
	static const mode_t loose[] = { 0644, 0640, 0604, 0620, 0602, 0610, 0601, 0700 };
	static const char *const cmds[] = { "plan", "send", "receive", "preflight", "prepare",
					    "bridge", "wait-sync", "migrate", "resume", "release",
					    "cleanup", "abort", "restart", "status" };
	char dir[] = "/tmp/vmhop-plan-XXXXXX", path[64], link[64], cmd[96];
	struct vh_error e = { 0 };
	struct vplan p, q;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	make_plan(&p);
	assert_int_equal(vplan_save(&p, path, false, &e), 0);
	assert_int_equal(vplan_load(path, &q, &e), 0);
	for (size_t i = 0; i < ARRAY_SIZE(loose); i++) {
		assert_int_equal(chmod(path, loose[i]), 0);
		/* 0700: an executable bit for the owner is the owner's business */
		if (loose[i] == 0700) {
			assert_int_equal(vplan_load(path, &q, &e), 0);
			continue;
		}
		assert_int_equal(vplan_load(path, &q, &e), -EPERM);
		assert_non_null(strstr(e.msg, "open to others"));
		assert_non_null(strstr(e.msg, path));
	}
	assert_int_equal(chmod(path, 0600), 0);
	/* another owner (as root only: chown) */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 4242, 4242), 0);
		assert_int_equal(vplan_load(path, &q, &e), -EPERM);
		assert_non_null(strstr(e.msg, "owned by uid 4242"));
		assert_int_equal(chown(path, 0, 0), 0);
	}
	/* a symbolic link to a good plan: the link is not the file checked */
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(vplan_load(link, &q, &e), -EPERM);
	assert_non_null(strstr(e.msg, "symbolic link"));
	/* every command that loads a plan says so: exit 11 */
	assert_int_equal(chmod(path, 0644), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct tcli r = strcmp(cmds[i], "plan") ?
			tcli_run(NULL, "--json", cmds[i], "--plan", path, "--state-dir", dir, NULL) :
			tcli_run(NULL, "--json", "plan", "--check", path, NULL);

		if (r.rc != VH_EXIT_PERM)
			print_message("vmhop %s: exit %d: %s%s\n", cmds[i], r.rc, r.out, r.err);
		assert_int_equal(r.rc, VH_EXIT_PERM);
		assert_non_null(strstr(r.out, "open to others"));
		tcli_free(&r);
	}
	assert_int_equal(chmod(path, 0600), 0);
	{
		struct tcli r = tcli_run(NULL, "--json", "preflight", "--plan", link, "--state-dir",
					 dir, NULL);

		assert_int_equal(r.rc, VH_EXIT_PERM);
		tcli_free(&r);
	}
	/* nothing was written where the journals go */
	snprintf(cmd, sizeof(cmd), "%s/%s.journal", dir, p.vm_uuid);
	assert_int_equal(access(cmd, F_OK), -1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- building: fakes at the seams -------------------------------------- */

static int dummy_conn, dummy_dom;

static struct {
	const char *xml;		/* the domain's */
	int state;
	const char *lvs[4][2];		/* "vg/lv" -> size in bytes */
	uint32_t used_minors[4];
	size_t n_used_minors;
	uint32_t used_ports[4];
	size_t n_used_ports;
	const char *used_resource;
	uint16_t bound_port;		/* port_free says in use */
	int err_code;
	char err_msg[128];
	int lvs_calls;
	const char *table_lv, *table;	/* the live dm table of that LV (else linear) */
	unsigned tables_asked;
	bool random_vary;		/* each draw differs (else the same bytes each time) */
	unsigned draws;
} fb;

static virConnectPtr f_open(const char *uri) { (void)uri; return (virConnectPtr)&dummy_conn; }
static int f_close(virConnectPtr c) { (void)c; return 0; }
static int f_dom_free(virDomainPtr d) { (void)d; return 0; }

static virDomainPtr f_lookup(virConnectPtr c, const char *name)
{
	(void)c;
	if (!strcmp(name, "busy") || !strcmp(name, "busy2"))
		return (virDomainPtr)&dummy_dom;
	fb.err_code = VIR_ERR_NO_DOMAIN;
	snprintf(fb.err_msg, sizeof(fb.err_msg), "Domain not found: no domain with matching name");
	return NULL;
}

static char *f_xml(virDomainPtr d, unsigned int flags)
{
	(void)d;
	(void)flags;
	return strdup(fb.xml);
}

static int f_state(virDomainPtr d, int *st, int *reason, unsigned int flags)
{
	(void)d;
	(void)flags;
	*st = fb.state;
	*reason = 0;
	return 0;
}

static int f_last_error(virErrorPtr ret)
{
	if (!fb.err_code)
		return 0;
	memset(ret, 0, sizeof(*ret));
	ret->code = fb.err_code;
	ret->message = strdup(fb.err_msg);
	fb.err_code = 0;
	return 1;
}

static const struct vvirt_api fake_virt = {
	.open = f_open, .close = f_close, .lookup = f_lookup, .dom_free = f_dom_free,
	.xml = f_xml, .state = f_state, .last_error = f_last_error,
};

/* LVM: lvmconfig finds no host filter; lvs answers from fb.lvs. */
static int fake_lvm(const char *cmdline, void *ud)
{
	char spec[300], report[1024], vg[128], lv[128];
	const char *cfg = strstr(cmdline, " --config ");

	(void)ud;
	if (!strncmp(cmdline, "lvmconfig", 9)) {
		vlvm_log_sink(LVM2_LOG_ERROR, "fake.c", 1, 0,
			      "Configuration node devices/global_filter not found");
		return LVM2_PROCESSING_FAILED;
	}
	assert_non_null(cfg);
	assert_int_equal(strncmp(cmdline, "lvs ", 4), 0);
	/* The VG/LV is the last word. */
	snprintf(spec, sizeof(spec), "%s", strrchr(cmdline, ' ') + 1);
	fb.lvs_calls++;
	for (int i = 0; i < 4 && fb.lvs[i][0]; i++) {
		if (strcmp(fb.lvs[i][0], spec))
			continue;
		sscanf(spec, "%127[^/]/%127s", vg, lv);
		snprintf(report, sizeof(report),
			 "{\"report\": [{\"lv\": [{\"vg_name\":\"%s\", \"lv_name\":\"%s\", "
			 "\"lv_size\":\"%s\", \"lv_path\":\"/dev/%s\", \"lv_dm_path\":\"/dev/mapper/x\", "
			 "\"lv_uuid\":\"u\", \"lv_attr\":\"-wi-ao----\", \"lv_kernel_major\":\"254\", "
			 "\"lv_kernel_minor\":\"1\", \"lv_device_open\":\"1\", "
			 "\"lv_active_locally\":\"1\"}]}]}", vg, lv, fb.lvs[i][1], spec);
		vlvm_log_sink(LVM2_LOG_PRINT, "device_mapper/libdm-report.c", 1, 0, report);
		return LVM2_COMMAND_SUCCEEDED;
	}
	vlvm_log_sink(LVM2_LOG_ERROR, "toollib.c", 1, 0, "Failed to find logical volume");
	return LVM2_PROCESSING_FAILED;
}

static int h_resolve(const char *name, int family, char *ret, size_t len, int *ret_family,
		     struct vh_error *e)
{
	(void)family;
	if (strcmp(name, "hv2") && strcmp(name, "169.254.77.2"))
		return vh_err(e, -ENOENT, "cannot resolve '%s'", name);
	snprintf(ret, len, "169.254.77.2");
	*ret_family = AF_INET;
	return 0;
}

static int h_route(const char *dst, int family, char *ret, size_t len, struct vh_error *e)
{
	(void)e;
	assert_string_equal(dst, "169.254.77.2");
	assert_int_equal(family, AF_INET);
	snprintf(ret, len, "169.254.77.1");
	return 0;
}

static int h_used(struct vplan_used *u, struct vh_error *e)
{
	(void)e;
	memset(u, 0, sizeof(*u));
	u->minors = calloc(4, sizeof(uint32_t));
	u->ports = calloc(4, sizeof(uint32_t));
	u->resources = calloc(1, sizeof(*u->resources));
	memcpy(u->minors, fb.used_minors, sizeof(fb.used_minors));
	u->n_minors = fb.n_used_minors;
	memcpy(u->ports, fb.used_ports, sizeof(fb.used_ports));
	u->n_ports = fb.n_used_ports;
	if (fb.used_resource) {
		snprintf(u->resources[0], sizeof(u->resources[0]), "%s", fb.used_resource);
		u->n_resources = 1;
	}
	return 0;
}

static int h_port_free(const char *addr, int family, uint16_t port, struct vh_error *e)
{
	(void)family;
	if (port == fb.bound_port)
		return vh_err(e, -EADDRINUSE, "port %u on %s is in use", port, addr);
	return 0;
}

static int h_random(void *buf, size_t len, struct vh_error *e)
{
	(void)e;
	fb.draws++;
	for (size_t i = 0; i < len; i++)
		((unsigned char *)buf)[i] = (unsigned char)(0xa0 + i + (fb.random_vary ? fb.draws : 0));
	return 0;
}

/* The kernel's table of an LV: fb.table for fb.table_lv, one linear target
 * of the LV's size for the others. */
static int h_lv_table(const char *vg, const char *lv, struct vdm_table *ret, struct vh_error *e)
{
	char spec[300], text[128];

	snprintf(spec, sizeof(spec), "%s/%s", vg, lv);
	fb.tables_asked++;
	if (fb.table_lv && !strcmp(spec, fb.table_lv))
		return fb.table ? vdm_table_parse(fb.table, ret, e)
				: vh_err(e, -ENXIO, "no dm device %s", spec);
	for (int i = 0; i < 4 && fb.lvs[i][0]; i++)
		if (!strcmp(fb.lvs[i][0], spec)) {
			snprintf(text, sizeof(text), "0 %llu linear 254:0 2048",
				 strtoull(fb.lvs[i][1], NULL, 10) / 512);
			return vdm_table_parse(text, ret, e);
		}
	return vh_err(e, -ENXIO, "no dm device %s", spec);
}

static const struct vplan_host_ops fake_host = {
	.resolve = h_resolve, .route_source = h_route, .drbd_used = h_used,
	.port_free = h_port_free, .random = h_random, .lv_table = h_lv_table,
};

#define XML_HEAD "<domain type='kvm'><name>busy</name><uuid>" UUID "</uuid><devices>"
#define XML_TAIL "</devices></domain>"
#define CDROM "<disk type='file' device='cdrom'><source file='/x.iso'/><target dev='sda'/>" \
	      "<readonly/></disk>"
#define RO_FILE "<disk type='file' device='disk'><driver name='qemu' cache='writeback'/>" \
		"<source file='/seed.img'/><target dev='vdz'/><readonly/></disk>"
#define LV_DISK(src, tgt, cache) "<disk type='block' device='disk'><driver name='qemu' " \
	"type='raw' cache='" cache "'/><source dev='" src "'/><target dev='" tgt "'/></disk>"

static int setup_build(void **state)
{
	(void)state;
	memset(&fb, 0, sizeof(fb));
	fb.state = VIR_DOMAIN_RUNNING;
	fb.lvs[0][0] = "vg/busy";
	fb.lvs[0][1] = "209715200";
	fb.lvs[1][0] = "vg/web-data";
	fb.lvs[1][1] = "1048576";
	vvirt_set_api(&fake_virt);
	vlvm_set_run_hook(fake_lvm, NULL);
	return 0;
}

static int teardown_build(void **state)
{
	(void)state;
	vvirt_set_api(NULL);
	vlvm_set_run_hook(NULL, NULL);
	return 0;
}

static int build(const char *vm, struct vplan *p, struct vh_error *e)
{
	struct vplan_request req = { .vm = vm, .dest = "hv2", .minor = -1 };

	return vplan_build(&req, &fake_host, p, e);
}

static void build_one_disk(void **state)
{
	struct vh_error e = { 0 };
	struct vplan p, q;
	char *text;

	(void)state;
	fb.xml = XML_HEAD CDROM RO_FILE LV_DISK("/dev/vg/busy", "vda", "none") XML_TAIL;
	assert_int_equal(build("busy", &p, &e), 0);
	assert_string_equal(p.vm_name, "busy");
	assert_string_equal(p.vm_uuid, UUID);
	assert_string_equal(p.resource, "vh-1a2b3c4d-a2a1a0");	/* the nonce: the draw's low 24 bits */
	assert_int_equal(p.n_disks, 1);		/* the CD-ROM and the read-only disk are not moved */
	assert_string_equal(p.disks[0].target, "vda");
	assert_string_equal(p.disks[0].vg, "vg");
	assert_string_equal(p.disks[0].lv, "busy");
	assert_int_equal(p.disks[0].size, 209715200);
	assert_int_equal(p.disks[0].minor, VPLAN_DEFAULT_MINOR);
	assert_int_equal(p.port, VPLAN_DEFAULT_PORT);
	assert_string_equal(p.source.addr, "169.254.77.1");
	assert_string_equal(p.dest.addr, "169.254.77.2");
	assert_string_equal(p.dest.host, "hv2");
	assert_string_equal(p.migration.uri, "qemu+ssh://hv2/system");
	assert_string_equal(p.drbd.shared_secret, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7");
	assert_string_equal(p.drbd.protocol, "C");
	assert_int_equal(p.drbd.resync_rate, 102400);
	/* DRBD never slows the move's resync down for the VM's own I/O
	 * (tools/bench/resync.sh: 30 % faster in the lab with c-min-rate 0) */
	assert_int_equal(p.drbd.c_min_rate, 0);
	/* What it builds, it reads back. */
	text = plan_text(&p);
	assert_int_equal(vplan_parse(text, strlen(text), &q, &e), 0);
	free(text);
}

static void build_several_disks_skips_used(void **state)
{
	struct vplan_request req = { .vm = "busy", .dest = "169.254.77.2", .minor = -1,
				     .resync_rate = "40M", .keep_source = true,
				     .max_downtime_ms = 300, .bandwidth_mib = 50,
				     .on_link_loss = VPLAN_LINK_LOSS_CONTINUE, .tunnelled = true,
				     .dest_uri = "qemu+tcp://hv2/system" };
	struct vh_error e = { 0 };
	struct vplan p;

	(void)state;
	fb.xml = XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none")
		 LV_DISK("/dev/mapper/vg-web--data", "vdb", "directsync") XML_TAIL;
	fb.used_minors[0] = 101;
	fb.n_used_minors = 1;
	fb.used_ports[0] = 7788;
	fb.n_used_ports = 1;
	fb.bound_port = 7789;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), 0);
	assert_int_equal(p.n_disks, 2);
	assert_int_equal(p.disks[0].minor, 100);
	assert_int_equal(p.disks[1].minor, 102);
	assert_string_equal(p.disks[1].vg, "vg");
	assert_string_equal(p.disks[1].lv, "web-data");
	assert_int_equal(p.disks[1].volume, 1);
	assert_string_equal(p.disks[1].copy, "vh-1a2b3c4d-a2a1a0-1.copy");
	assert_int_equal(p.port, 7790);		/* 7788 DRBD's, 7789 bound */
	assert_int_equal(p.drbd.resync_rate, 40 * 1024);
	assert_true(p.migration.keep_source);
	assert_int_equal(p.migration.max_downtime_ms, 300);
	assert_int_equal(p.migration.bandwidth_mib, 50);
	assert_int_equal(p.migration.on_link_loss, VPLAN_LINK_LOSS_CONTINUE);
	assert_true(p.migration.tunnelled);
	assert_string_equal(p.migration.uri, "qemu+tcp://hv2/system");
}

static void build_refusals(void **state)
{
	static const struct { const char *xml; int err; const char *msg; } cases[] = {
		{ XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none")
		  "<disk type='file' device='disk'><driver name='qemu' cache='none'/>"
		  "<source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vdb'/></disk>" XML_TAIL,
		  -EINVAL, "disk vdb (type='file', /var/lib/libvirt/images/x.qcow2) is not on an LV" },
		{ XML_HEAD "<disk type='network' device='disk'><source protocol='nbd' name='x'/>"
		  "<target dev='vdc'/></disk>" XML_TAIL, -EINVAL, "disk vdc (type='network') is not on" },
		{ XML_HEAD LV_DISK("/dev/sdb", "vdb", "none") XML_TAIL, -EINVAL,
		  "disk vdb (/dev/sdb) is not an LV" },
		{ XML_HEAD LV_DISK("/dev/vg/unknown", "vdb", "none") XML_TAIL, -EINVAL,
		  "disk vdb (/dev/vg/unknown) is not an LV that LVM knows" },
		{ XML_HEAD LV_DISK("/dev/vg/busy", "vda", "writeback") XML_TAIL, -EINVAL,
		  "cache='writeback'" },
		{ XML_HEAD LV_DISK("/dev/vg/busy", "vda", "") XML_TAIL, -EINVAL, "cache='default'" },
		{ XML_HEAD "<disk type='block' device='disk'><driver name='qemu' cache='none'/>"
		  "<source dev='/dev/vg/busy'/><target dev='vda'/><shareable/></disk>" XML_TAIL,
		  -EINVAL, "shareable" },
		{ XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none") LV_DISK("/dev/mapper/vg-busy", "vdb",
									   "none") XML_TAIL,
		  -EINVAL, "same LV" },
		{ XML_HEAD CDROM XML_TAIL, -EINVAL, "no writable disk" },
		{ "<domain><name>busy</name><devices>" LV_DISK("/dev/vg/busy", "vda", "none") XML_TAIL,
		  -EBADMSG, "uuid" },
		{ "<domain><name>busy</name><uuid>not-a-uuid</uuid><devices>" XML_TAIL, -EINVAL, "UUID" },
		{ "<domain", -EBADMSG, "parse" },
	};
	struct vh_error e;
	struct vplan p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		memset(&e, 0, sizeof(e));
		fb.xml = cases[i].xml;
		r = build("busy", &p, &e);
		if (r != cases[i].err || !strstr(e.msg, cases[i].msg))
			fail_msg("case %zu: got %d '%s', expected %d '%s'", i, r, e.msg,
				 cases[i].err, cases[i].msg);
	}
}

static void build_host_refusals(void **state)
{
	struct vplan_request req = { .vm = "busy", .dest = "hv2", .minor = -1 };
	struct vh_error e = { 0 };
	struct vplan p;

	(void)state;
	fb.xml = XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none") XML_TAIL;
	/* No such VM: not found (exit 3). */
	req.vm = "nosuch";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "nosuch"));
	req.vm = "busy";
	/* Not running. */
	fb.state = VIR_DOMAIN_SHUTOFF;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "shutoff"));
	fb.state = VIR_DOMAIN_PAUSED;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), 0);
	/* A requested minor or port in use: busy. */
	fb.used_minors[0] = 5;
	fb.n_used_minors = 1;
	req.minor = 5;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "minor 5"));
	req.minor = 6;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), 0);
	assert_int_equal(p.disks[0].minor, 6);
	req.minor = VPLAN_MINOR_MAX + 1;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -ERANGE);
	req.minor = -1;
	fb.bound_port = 7900;
	req.port = 7900;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EADDRINUSE);
	fb.used_ports[0] = 7901;
	fb.n_used_ports = 1;
	req.port = 7901;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EADDRINUSE);
	assert_non_null(strstr(e.msg, "DRBD"));
	req.port = 0;
	/* The move's resource exists already, and every draw gives that name: busy. */
	fb.used_resource = "vh-1a2b3c4d-a2a1a0";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EBUSY);
	/* A draw that gives another name takes it. */
	fb.random_vary = true;
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), 0);
	assert_string_not_equal(p.resource, "vh-1a2b3c4d-a2a1a0");
	fb.random_vary = false;
	fb.used_resource = NULL;
	/* The destination is this host, or cannot be resolved. */
	req.local_addr = "169.254.77.2";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "this host"));
	req.local_addr = "not-an-address";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EINVAL);
	req.local_addr = "169.254.77.9";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), 0);
	assert_string_equal(p.source.addr, "169.254.77.9");
	req.local_addr = NULL;
	req.dest = "nowhere";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -ENOENT);
	req.dest = "hv2";
	req.resync_rate = "lots";
	assert_int_equal(vplan_build(&req, &fake_host, &p, &e), -EINVAL);
}

/* An LV whose live dm table is not linear or striped cannot move: refused
 * by name, exit 8 (-EOPNOTSUPP), whichever disk it is. */
static void build_refuses_stateful_lv_tables(void **state)
{
	static const struct { const char *lv, *table, *msg; } cases[] = {
		{ "vg/busy", "0 409600 snapshot-origin 254:3",
		  "vg/busy is a snapshot-origin LV (it has snapshots) (dm target snapshot-origin): "
		  "vmhop moves linear and striped LVs only" },
		{ "vg/web-data", "0 2048 raid raid1 3 0 region_size 1024 2 254:1 254:2 254:3 254:4",
		  "vg/web-data is a RAID LV" },
		{ "vg/busy", "0 409600 cache 254:5 254:6 254:7 128 1 writeback smq 0",
		  "vg/busy is a cache LV" },
		{ "vg/busy", "0 204800 linear 254:0 0\n204800 204800 crypt aes-xts-plain64 "
		  "0 0 254:1 0", "vg/busy is a dm-crypt device" },
	};
	struct vh_error e;
	struct vplan p;

	(void)state;
	fb.xml = XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none")
		 LV_DISK("/dev/mapper/vg-web--data", "vdb", "none") XML_TAIL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		memset(&e, 0, sizeof(e));
		fb.table_lv = cases[i].lv;
		fb.table = cases[i].table;
		r = build("busy", &p, &e);
		if (r != -EOPNOTSUPP || !strstr(e.msg, cases[i].msg))
			fail_msg("case %zu: got %d '%s'", i, r, e.msg);
	}
	/* striped moves; an LV with no dm device (not active) is not found */
	fb.table_lv = "vg/busy";
	fb.table = "0 409600 striped 2 128 254:1 0 254:2 0";
	fb.tables_asked = 0;
	assert_int_equal(build("busy", &p, &e), 0);
	assert_int_equal(fb.tables_asked, 2);
	fb.table = NULL;
	assert_int_equal(build("busy", &p, &e), -ENXIO);
	assert_non_null(strstr(e.msg, "the dm table of vg/busy"));
}

/* ---- S's address towards D ---------------------------------------------- */

/* The real kernel, through a UDP socket's connect (nothing is sent). */
static void route_source(void **state)
{
	char out[64];
	struct vh_error e = { 0 };
	int r;

	(void)state;
	assert_int_equal(vplan_route_source("127.0.0.1", AF_INET, out, sizeof(out), &e), 0);
	assert_string_equal(out, "127.0.0.1");
	/* the local route's preferred source ("local 127.0.0.0/8 ... src 127.0.0.1") */
	assert_int_equal(vplan_route_source("127.0.0.2", AF_INET, out, sizeof(out), &e), 0);
	assert_string_equal(out, "127.0.0.1");
	/* ::1 where the host has IPv6 (a CI container may not) */
	r = vplan_route_source("::1", AF_INET6, out, sizeof(out), &e);
	if (r == 0)
		assert_string_equal(out, "::1");
	else
		assert_true(r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL || r == -ENETUNREACH);
	/* not a numeric address of that family */
	assert_int_equal(vplan_route_source("hv2", AF_INET, out, sizeof(out), &e), -EINVAL);
	assert_non_null(strstr(e.msg, "'hv2' is not a numeric address"));
	assert_int_equal(vplan_route_source("::1", AF_INET, out, sizeof(out), &e), -EINVAL);
	assert_int_equal(vplan_route_source("127.0.0.1", AF_INET6, out, sizeof(out), &e), -EINVAL);
	assert_int_equal(vplan_route_source("127.0.0.1", AF_UNSPEC, out, sizeof(out), &e), -EINVAL);
	/* the answer does not fit: refused, not cut */
	assert_int_equal(vplan_route_source("127.0.0.1", AF_INET, out, 5, &e), -ENOSPC);
}

/* ---- the command line (usage and --check; building needs libvirt) ------- */

static int plan_cli(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[6] = { "plan", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	struct vh_ctx ctx = { .prog = "vmhop" };
	int argc = 1;

	while (argc < 5 && argv[argc])
		argc++;
	return cmd_plan(&ctx, argc, argv);
}

static void cli(void **state)
{
	char fa[16], fb2[16];
	char dir[] = "/tmp/vmhop-plancli-XXXXXX", path[64], cmd[96];
	struct vplan p;

	(void)state;
	assert_int_equal(plan_cli("busy", NULL, NULL, NULL), VH_EXIT_USAGE);	/* no --to */
	assert_int_equal(plan_cli("--to", "hv2", NULL, NULL), VH_EXIT_USAGE);	/* no VM */
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--port=0"), VH_EXIT_USAGE);
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--minor=1048576"), VH_EXIT_USAGE);
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--bogus"), VH_EXIT_USAGE);
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--force"), VH_EXIT_USAGE);
	assert_int_equal(plan_cli("--check", "/nonexistent/p.json", NULL, NULL), VH_EXIT_NOTFOUND);
	assert_int_equal(plan_cli("--check", "/x", "busy", NULL), VH_EXIT_USAGE);
	assert_int_equal(plan_cli("--help", NULL, NULL, NULL), VH_EXIT_OK);
	/* refused before libvirt is asked anything (this test has no fake of it) */
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--dest-uri=qemu+ext:///system?command=/tmp/x"),
			 VH_EXIT_INVALID);
	/* --uri is this host's libvirt, as for every command: D's URI there, or
	 * a query, is refused (it once named D's) */
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--uri=qemu+tcp://hv2/system"),
			 VH_EXIT_USAGE);
	assert_int_equal(plan_cli("busy", "--to", "hv2", "--uri=qemu+ext:///system?command=/tmp/x"),
			 VH_EXIT_USAGE);
	assert_int_equal(plan_cli("busy", "--to", "-oProxyCommand=x", NULL), VH_EXIT_INVALID);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.json", dir);
	make_plan(&p);
	foreign_pair(fa, fb2);
	p.source = (struct vplan_host){ .host = "a", .family = AF_INET };
	p.dest = (struct vplan_host){ .host = "b", .family = AF_INET };
	memcpy(p.source.addr, fa, sizeof(fa));
	memcpy(p.dest.addr, fb2, sizeof(fb2));
	assert_int_equal(vplan_save(&p, path, false, NULL), 0);
	assert_int_equal(plan_cli("--check", path, NULL, NULL), VH_EXIT_INVALID);	/* neither */
	p.source = (struct vplan_host){ .host = "localhost", .addr = "127.0.0.1", .family = AF_INET };
	assert_int_equal(vplan_save(&p, path, true, NULL), 0);
	assert_int_equal(plan_cli("--check", path, NULL, NULL), VH_EXIT_OK);	/* source */
	assert_int_equal(truncate(path, 40), 0);
	assert_int_equal(plan_cli("--check", path, NULL, NULL), VH_EXIT_INVALID);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}


/* ---- concurrent moves: claims in the journals (core/reserve.h) ------------ */

#include "core/journal.h"
#include "core/reserve.h"

#define UUID2 "1a2b3c4d-ffff-4000-8000-000000000002"	/* the same first 8 hex digits */
#define XML2 "<domain type='kvm'><name>busy2</name><uuid>" UUID2 "</uuid><devices>" \
	LV_DISK("/dev/vg/web-data", "vda", "none") XML_TAIL

static char claim_dir[64];

/* vmhop plan's way: the claims of the moves here are never picked; then
 * the plan's own claim, its journal. */
static int plan_claimed(const char *vm, const char *xml, struct vplan *p, struct vh_error *e)
{
	struct vplan_request req = { .vm = vm, .dest = "hv2", .minor = -1 };
	struct vplan_used used = { 0 };
	struct vres_claim *cl = NULL;
	size_t n = 0;
	int r;

	fb.xml = xml;
	assert_int_equal(vres_collect(claim_dir, &cl, &n, e), 0);
	for (size_t i = 0; i < n; i++)		/* as vmhop plan: not the VM's own */
		if (!strcmp(cl[i].vm_name, vm))
			cl[i--] = cl[--n];
	assert_int_equal(vres_add_used(cl, n, &used, e), 0);
	free(cl);
	req.reserved = &used;
	r = vplan_build(&req, &fake_host, p, e);
	vplan_used_free(&used);
	if (r == 0)
		r = vres_claim_plan(claim_dir, p, e);
	return r;
}

static size_t claims_here(void)
{
	struct vres_claim *cl = NULL;
	size_t n = 0;

	assert_int_equal(vres_collect(claim_dir, &cl, &n, NULL), 0);
	free(cl);
	return n;
}

static int setup_claims(void **state)
{
	setup_build(state);
	snprintf(claim_dir, sizeof(claim_dir), "/tmp/vmhop-claims-XXXXXX");
	assert_non_null(mkdtemp(claim_dir));
	return 0;
}

static int teardown_claims(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", claim_dir);
	assert_int_equal(system(cmd), 0);
	return teardown_build(state);
}

/* Issue 21: two plans made one after the other on S (two VMs whose UUIDs
 * share their first 8 hex digits) never pick the same minor, port or
 * resource, though DRBD uses nothing yet. */
static void two_plans_in_a_row_get_distinct_choices(void **state)
{
	struct vh_error e = { 0 };
	struct vplan a, b;

	(void)state;
	assert_int_equal(plan_claimed("busy", XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none")
				      XML_TAIL, &a, &e), 0);
	assert_int_equal(claims_here(), 1);
	/* every draw the same: b's name would be a's, which is claimed: refused */
	assert_int_equal(plan_claimed("busy2", XML2, &b, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "no free DRBD resource name for VM busy2"));
	assert_int_equal(claims_here(), 1);
	fb.random_vary = true;
	assert_int_equal(plan_claimed("busy2", XML2, &b, &e), 0);
	assert_int_equal(claims_here(), 2);
	assert_int_equal(a.disks[0].minor, 100);
	assert_int_equal(a.port, 7788);
	assert_int_equal(b.disks[0].minor, 101);
	assert_int_equal(b.port, 7789);
	assert_string_equal(a.resource, "vh-1a2b3c4d-a2a1a0");
	assert_string_not_equal(a.resource, b.resource);
	assert_int_equal(strncmp(b.resource, "vh-1a2b3c4d-", 12), 0);
	assert_string_not_equal(a.disks[0].md_lv, b.disks[0].md_lv);
	assert_string_not_equal(a.disks[0].copy, b.disks[0].copy);
	/* the same VM planned again replaces its plan's claim, not a second one */
	assert_int_equal(plan_claimed("busy2", XML2, &b, &e), 0);
	assert_int_equal(claims_here(), 2);
	assert_int_equal(b.disks[0].minor, 101);
	assert_int_equal(b.port, 7789);
}

/* A claim lasts while its move does: released when the journal is gone or
 * the move ended here (done or aborted). */
static void claims_released_when_the_move_is_gone(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j;
	struct vplan a, b, c;
	char path[128];

	(void)state;
	fb.random_vary = true;
	assert_int_equal(plan_claimed("busy", XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none")
				      XML_TAIL, &a, &e), 0);
	assert_int_equal(plan_claimed("busy2", XML2, &b, &e), 0);
	assert_int_equal(b.port, 7789);
	/* a's move aborted here: its minor and port are free again */
	assert_int_equal(vjournal_open(claim_dir, &a, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_begin(j, "aborted", NULL, 0, &e), 0);
	assert_int_equal(vjournal_done(j, "aborted", &e), 0);
	vjournal_close(j);
	assert_int_equal(claims_here(), 1);
	/* b's journal removed: nothing is claimed */
	snprintf(path, sizeof(path), "%s/%s.journal", claim_dir, UUID2);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(claims_here(), 0);
	assert_int_equal(plan_claimed("busy2", XML2, &c, &e), 0);
	assert_int_equal(c.disks[0].minor, 100);
	assert_int_equal(c.port, 7788);
	/* a move under way here is no plan to replace */
	assert_int_equal(vjournal_open(claim_dir, &c, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_begin(j, "helper", NULL, 0, &e), 0);
	vjournal_close(j);
	assert_int_equal(plan_claimed("busy2", XML2, &b, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "has a move under way on this host"));
	assert_int_equal(claims_here(), 1);
}


/* A planned move's plan edited by hand (a rate) before its first phase is
 * still that move's; another plan of the VM (another resource) is not. */
static void planned_journal_takes_the_edited_plan(void **state)
{
	struct vh_error e = { 0 };
	struct vjournal *j;
	struct vplan a, edited;

	(void)state;
	assert_int_equal(plan_claimed("busy", XML_HEAD LV_DISK("/dev/vg/busy", "vda", "none")
				      XML_TAIL, &a, &e), 0);
	edited = a;
	edited.drbd.resync_rate = 1024;
	assert_int_equal(vjournal_open(claim_dir, &edited, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(vjournal_plan(j)->drbd.resync_rate, 1024);
	vjournal_close(j);
	snprintf(edited.resource, sizeof(edited.resource), "vh-1a2b3c4d-000001");
	snprintf(edited.disks[0].copy, sizeof(edited.disks[0].copy), "vh-1a2b3c4d-000001-0.copy");
	snprintf(edited.disks[0].md_lv, sizeof(edited.disks[0].md_lv), "vh-1a2b3c4d-000001_0.vhmd");
	assert_int_equal(vjournal_open(claim_dir, &edited, VPLAN_ROLE_SOURCE, &j, &e), -EEXIST);
}

/* Resource names: unique per move, both forms read. */
static void resource_names_per_move(void **state)
{
	char a[64], b[64];
	struct vh_error e = { 0 };

	(void)state;
	assert_int_equal(vname_resource_move(UUID, 0x123456, a, sizeof(a), &e), 0);
	assert_string_equal(a, "vh-1a2b3c4d-123456");
	assert_int_equal(vname_resource_move(UUID2, 0xabcdef, b, sizeof(b), &e), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(vname_check_plan_resource(UUID, a, &e), 0);
	assert_int_equal(vname_check_plan_resource(UUID, "vh-1a2b3c4d", &e), 0);
	assert_int_equal(vname_check_plan_resource(UUID, "vh-1a2b3c4d-12345", &e), -EINVAL);
	assert_int_equal(vname_check_plan_resource(UUID, "vh-1a2b3c4d-12345G", &e), -EINVAL);
	assert_int_equal(vname_check_plan_resource(UUID, "vh-1a2b3c4e-123456", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "resource must be 'vh-1a2b3c4d'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_are_derived_and_fit),
		cmocka_unit_test(longest_names),
		cmocka_unit_test(dm_names_split),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(tunnelled_is_optional_and_read),
		cmocka_unit_test(migration_controls),
		cmocka_unit_test(every_field_is_checked),
		cmocka_unit_test(bad_text_is_refused),
		cmocka_unit_test(role_from_addresses),
		cmocka_unit_test(addr_dump_parser),
		cmocka_unit_test(drbd_conf_from_plan),
		cmocka_unit_test(save_and_load),
		cmocka_unit_test(load_refuses_a_plan_others_could_touch),
		cmocka_unit_test(route_source),
		cmocka_unit_test(cli),
		cmocka_unit_test_setup_teardown(build_one_disk, setup_build, teardown_build),
		cmocka_unit_test_setup_teardown(two_plans_in_a_row_get_distinct_choices,
						setup_claims, teardown_claims),
		cmocka_unit_test_setup_teardown(claims_released_when_the_move_is_gone,
						setup_claims, teardown_claims),
		cmocka_unit_test_setup_teardown(planned_journal_takes_the_edited_plan,
						setup_claims, teardown_claims),
		cmocka_unit_test(resource_names_per_move),
		cmocka_unit_test_setup_teardown(build_several_disks_skips_used, setup_build,
						teardown_build),
		cmocka_unit_test_setup_teardown(build_refusals, setup_build, teardown_build),
		cmocka_unit_test_setup_teardown(build_host_refusals, setup_build, teardown_build),
		cmocka_unit_test_setup_teardown(build_refuses_stateful_lv_tables, setup_build,
						teardown_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
