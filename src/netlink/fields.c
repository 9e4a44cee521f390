/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One table per DRBD nest (disk_conf, net_conf, res_opts): attribute number,
 * mandatory bit, encoding, range and the option name drbdsetup-84 uses.
 * Encoding and decoding both walk these tables, so a field is described once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/num.h"
#include "netlink/internal.h"

/* U_KIB and U_SECT take K, M, G suffixes; the others are plain numbers,
 * their unit named by --help only */
enum unit { U_NONE, U_KIB, U_SECT, U_DSEC, U_SEC, U_BYTES };

struct enum_name {
	const char *name;
	uint32_t value;
};

struct field {
	const char *name;
	uint8_t nest;
	uint8_t kind;
	uint8_t unit;
	int8_t slot;		/* string slot, -1 otherwise */
	uint16_t nr;		/* attribute number inside the nest */
	bool mandatory;		/* DRBD_GENLA_F_MANDATORY on the wire */
	bool positional;	/* drbdsetup's positional argument: sent after the options */
	uint16_t maxlen;	/* strings: bytes including the NUL */
	int64_t min, max;
	const struct enum_name *enums;
};

static const struct enum_name io_error_names[] = {
	{ "pass_on", 0 }, { "call-local-io-error", 1 }, { "detach", 2 }, { NULL, 0 } };
static const struct enum_name fencing_names[] = {
	{ "dont-care", 0 }, { "resource-only", 1 }, { "resource-and-stonith", 2 }, { NULL, 0 } };
static const struct enum_name protocol_names[] = {
	{ "A", 1 }, { "B", 2 }, { "C", 3 }, { NULL, 0 } };
/* enum drbd_after_sb_p */
static const struct enum_name asb_names[] = {
	{ "disconnect", 0 }, { "discard-younger-primary", 1 }, { "discard-older-primary", 2 },
	{ "discard-zero-changes", 3 }, { "discard-least-changes", 4 }, { "discard-local", 5 },
	{ "discard-remote", 6 }, { "consensus", 7 }, { "discard-secondary", 8 },
	{ "call-pri-lost-after-sb", 9 }, { "violently-as0p", 10 }, { NULL, 0 } };
static const struct enum_name rr_names[] = {
	{ "disconnect", 0 }, { "call-pri-lost", 9 }, { "violently", 10 }, { NULL, 0 } };
static const struct enum_name on_no_data_names[] = {
	{ "io-error", 0 }, { "suspend-io", 1 }, { NULL, 0 } };

#define NUM(n_, nest_, nr_, mand_, kind_, unit_, min_, max_) \
	{ .name = n_, .nest = nest_, .kind = kind_, .unit = unit_, .slot = -1, .nr = nr_, \
	  .mandatory = mand_, .min = min_, .max = max_ }
#define FLAG(n_, nest_, nr_, mand_) \
	{ .name = n_, .nest = nest_, .kind = DRBDNL_K_FLAG, .slot = -1, .nr = nr_, \
	  .mandatory = mand_, .min = 0, .max = 1 }
#define ENUM(n_, nest_, nr_, names_) \
	{ .name = n_, .nest = nest_, .kind = DRBDNL_K_ENUM, .slot = -1, .nr = nr_, \
	  .mandatory = true, .enums = names_ }
#define STR(n_, nest_, nr_, mand_, slot_, maxlen_) \
	{ .name = n_, .nest = nest_, .kind = DRBDNL_K_STR, .slot = slot_, .nr = nr_, \
	  .mandatory = mand_, .maxlen = maxlen_ }


#define D DRBDNL_NEST_DISK
#define N DRBDNL_NEST_NET
#define R DRBDNL_NEST_RES

/* a drbdnl_conf marks what is set with one bit per field */
_Static_assert(DRBDNL_FIELD_COUNT <= 64, "drbdnl_conf.set has 64 bits");

static const struct field fields[DRBDNL_FIELD_COUNT] = {
	/* struct disk_conf (DRBD_NLA_DISK_CONF) */
	/* the three positional fields: drbdsetup sends them after the options */
	[DRBDNL_DISK_BACKING_DEV] = { .name = "backing-dev", .nest = D, .kind = DRBDNL_K_STR,
				      .slot = 0, .nr = 1, .maxlen = 128, .positional = true },
	[DRBDNL_DISK_META_DEV] = { .name = "meta-dev", .nest = D, .kind = DRBDNL_K_STR, .slot = 1,
				   .nr = 2, .maxlen = 128, .positional = true },
	[DRBDNL_DISK_META_IDX] = { .name = "meta-idx", .nest = D, .kind = DRBDNL_K_S32, .slot = -1,
				   .nr = 3, .min = -3, .max = INT32_MAX, .positional = true },
	[DRBDNL_DISK_SIZE] = NUM("size", D, 4, true, DRBDNL_K_U64, U_SECT, 0, INT64_MAX),
	[DRBDNL_DISK_ON_IO_ERROR] = ENUM("on-io-error", D, 6, io_error_names),
	[DRBDNL_DISK_FENCING] = ENUM("fencing", D, 7, fencing_names),
	[DRBDNL_DISK_RESYNC_RATE] = NUM("resync-rate", D, 8, true, DRBDNL_K_U32, U_KIB, 1, 4194304),
	[DRBDNL_DISK_RESYNC_AFTER] = NUM("resync-after", D, 9, true, DRBDNL_K_S32, U_NONE, -1,
					 (1 << 20) - 1),
	[DRBDNL_DISK_AL_EXTENTS] = NUM("al-extents", D, 10, true, DRBDNL_K_U32, U_NONE, 67, 65534),
	[DRBDNL_DISK_C_PLAN_AHEAD] = NUM("c-plan-ahead", D, 11, true, DRBDNL_K_U32, U_DSEC, 0, 300),
	[DRBDNL_DISK_C_DELAY_TARGET] = NUM("c-delay-target", D, 12, true, DRBDNL_K_U32, U_DSEC, 1,
					   100),
	[DRBDNL_DISK_C_FILL_TARGET] = NUM("c-fill-target", D, 13, true, DRBDNL_K_U32, U_SECT, 0,
					  1048576),
	[DRBDNL_DISK_C_MAX_RATE] = NUM("c-max-rate", D, 14, true, DRBDNL_K_U32, U_KIB, 250, 4194304),
	[DRBDNL_DISK_C_MIN_RATE] = NUM("c-min-rate", D, 15, true, DRBDNL_K_U32, U_KIB, 0, 4194304),
	[DRBDNL_DISK_BARRIER] = FLAG("disk-barrier", D, 16, true),
	[DRBDNL_DISK_FLUSHES] = FLAG("disk-flushes", D, 17, true),
	[DRBDNL_DISK_DRAIN] = FLAG("disk-drain", D, 18, true),
	[DRBDNL_DISK_MD_FLUSHES] = FLAG("md-flushes", D, 19, true),
	[DRBDNL_DISK_TIMEOUT] = NUM("disk-timeout", D, 20, true, DRBDNL_K_U32, U_DSEC, 0, 6000),
	[DRBDNL_DISK_AL_UPDATES] = FLAG("al-updates", D, 23, false),
	/* struct net_conf (DRBD_NLA_NET_CONF) */
	[DRBDNL_NET_SHARED_SECRET] = STR("shared-secret", N, 1, true, 2, 64),
	[DRBDNL_NET_CRAM_HMAC_ALG] = STR("cram-hmac-alg", N, 2, true, 3, 64),
	[DRBDNL_NET_INTEGRITY_ALG] = STR("data-integrity-alg", N, 3, true, 4, 64),
	[DRBDNL_NET_VERIFY_ALG] = STR("verify-alg", N, 4, true, 5, 64),
	[DRBDNL_NET_CSUMS_ALG] = STR("csums-alg", N, 5, true, 6, 64),
	[DRBDNL_NET_PROTOCOL] = ENUM("protocol", N, 6, protocol_names),
	[DRBDNL_NET_CONNECT_INT] = NUM("connect-int", N, 7, true, DRBDNL_K_U32, U_SEC, 1, 120),
	[DRBDNL_NET_TIMEOUT] = NUM("timeout", N, 8, true, DRBDNL_K_U32, U_DSEC, 1, 600),
	[DRBDNL_NET_PING_INT] = NUM("ping-int", N, 9, true, DRBDNL_K_U32, U_SEC, 1, 120),
	[DRBDNL_NET_PING_TIMEO] = NUM("ping-timeout", N, 10, true, DRBDNL_K_U32, U_DSEC, 1, 300),
	[DRBDNL_NET_SNDBUF_SIZE] = NUM("sndbuf-size", N, 11, true, DRBDNL_K_U32, U_BYTES, 0,
				       10 << 20),
	[DRBDNL_NET_RCVBUF_SIZE] = NUM("rcvbuf-size", N, 12, true, DRBDNL_K_U32, U_BYTES, 0,
				       10 << 20),
	[DRBDNL_NET_KO_COUNT] = NUM("ko-count", N, 13, true, DRBDNL_K_U32, U_NONE, 0, 200),
	[DRBDNL_NET_MAX_BUFFERS] = NUM("max-buffers", N, 14, true, DRBDNL_K_U32, U_NONE, 32,
				       131072),
	[DRBDNL_NET_MAX_EPOCH_SIZE] = NUM("max-epoch-size", N, 15, true, DRBDNL_K_U32, U_NONE, 1,
					  20000),
	[DRBDNL_NET_AFTER_SB_0P] = ENUM("after-sb-0pri", N, 17, asb_names),
	[DRBDNL_NET_AFTER_SB_1P] = ENUM("after-sb-1pri", N, 18, asb_names),
	[DRBDNL_NET_AFTER_SB_2P] = ENUM("after-sb-2pri", N, 19, asb_names),
	[DRBDNL_NET_RR_CONFLICT] = ENUM("rr-conflict", N, 20, rr_names),
	[DRBDNL_NET_TWO_PRIMARIES] = FLAG("allow-two-primaries", N, 24, true),
	[DRBDNL_NET_DISCARD_MY_DATA] = FLAG("discard-my-data", N, 25, true),
	[DRBDNL_NET_TCP_CORK] = FLAG("tcp-cork", N, 26, true),
	[DRBDNL_NET_USE_RLE] = FLAG("use-rle", N, 29, true),
	/* tenths of a second; 0: ping-timeout's (an optional attribute) */
	[DRBDNL_NET_SOCK_CHECK_TIMEO] = NUM("socket-check-timeout", N, 34, false, DRBDNL_K_U32,
					    U_DSEC, 0, 100),
	/* struct res_opts (DRBD_NLA_RESOURCE_OPTS) */
	[DRBDNL_RES_CPU_MASK] = STR("cpu-mask", R, 1, true, 7, 32),
	[DRBDNL_RES_ON_NO_DATA] = ENUM("on-no-data-accessible", R, 2, on_no_data_names),
};

#undef D
#undef N
#undef R

static bool is_invariant(enum drbdnl_field_id id)
{
	switch (id) {
	case DRBDNL_DISK_BACKING_DEV: case DRBDNL_DISK_META_DEV: case DRBDNL_DISK_META_IDX:
	case DRBDNL_DISK_SIZE: case DRBDNL_NET_DISCARD_MY_DATA:
		return true;
	default:
		return false;
	}
}

static const struct field *field_get(enum drbdnl_field_id id)
{
	if ((unsigned)id >= DRBDNL_FIELD_COUNT)
		return NULL;
	return &fields[id];
}

static int field_by_name(const char *name)
{
	if (!strncmp(name, "--", 2))
		name += 2;
	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++)
		if (!strcmp(fields[i].name, name))
			return i;
	return -1;
}

const char *drbdnl_field_name(enum drbdnl_field_id id)
{
	const struct field *f = field_get(id);

	return f ? f->name : "?";
}

int drbdnl_field_help(enum drbdnl_field_id id, char *buf, size_t len)
{
	const struct field *f = field_get(id);
	size_t n;

	if (!f || !len)
		return -EINVAL;
	if (f->positional)
		return -ENOENT;	/* attach's arguments, not options */
	switch (f->kind) {
	case DRBDNL_K_FLAG:
		n = (size_t)snprintf(buf, len, "--%s[=yes|no]", f->name);
		break;
	case DRBDNL_K_ENUM:
		n = (size_t)snprintf(buf, len, "--%s=", f->name);
		for (const struct enum_name *en = f->enums; en && en->name && n < len; en++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", en == f->enums ? "" : "|",
					      en->name);
		break;
	case DRBDNL_K_STR:
		n = (size_t)snprintf(buf, len, "--%s=TEXT (up to %u bytes)", f->name,
				     (unsigned)(f->maxlen ? f->maxlen - 1 : 0));
		break;
	default:
		n = (size_t)snprintf(buf, len, "--%s=N (%s%lld..%lld)", f->name,
				     f->unit == U_KIB ? "KiB, or with K, M, G; " :
				     f->unit == U_SECT ? "512-byte sectors, or with K, M, G; " :
				     f->unit == U_DSEC ? "tenths of a second; " :
				     f->unit == U_SEC ? "seconds; " : f->unit == U_BYTES ? "bytes; " : "",
				     (long long)f->min, (long long)f->max);
		break;
	}
	return n < len ? 0 : -ENAMETOOLONG;
}

enum drbdnl_nest_kind drbdnl_field_nest(enum drbdnl_field_id id)
{
	return fields[id].nest;
}

enum drbdnl_value_kind drbdnl_field_kind(enum drbdnl_field_id id)
{
	return fields[id].kind;
}

bool drbdnl_field_positional(enum drbdnl_field_id id)
{
	const struct field *f = field_get(id);

	return f && f->positional;
}

bool drbdnl_conf_has(const struct drbdnl_conf *c, enum drbdnl_field_id id)
{
	return (unsigned)id < DRBDNL_FIELD_COUNT && (c->set & (UINT64_C(1) << id));
}

int64_t drbdnl_conf_num(const struct drbdnl_conf *c, enum drbdnl_field_id id)
{
	return (int64_t)c->num[id];
}

const char *drbdnl_conf_str(const struct drbdnl_conf *c, enum drbdnl_field_id id)
{
	const struct field *f = field_get(id);

	return f && f->slot >= 0 ? c->str[f->slot] : NULL;
}

int drbdnl_conf_set_num(struct drbdnl_conf *c, enum drbdnl_field_id id, int64_t v,
			struct vh_error *e)
{
	const struct field *f = field_get(id);

	if (!f || f->kind == DRBDNL_K_STR)
		return vh_err(e, -EINVAL, "drbd option %s is not a number", f ? f->name : "?");
	if (f->kind == DRBDNL_K_ENUM) {
		const struct enum_name *n;

		for (n = f->enums; n->name; n++)
			if (n->value == v)
				break;
		if (!n->name)
			return vh_err(e, -EINVAL, "drbd option %s: %" PRId64 " is not a valid value",
				      f->name, v);
	} else if (v < f->min || v > f->max) {
		return vh_err(e, -ERANGE, "drbd option %s: %" PRId64 " is outside %" PRId64 "..%" PRId64,
			      f->name, v, f->min, f->max);
	}
	c->num[id] = (uint64_t)v;
	c->set |= UINT64_C(1) << id;
	return 0;
}

int drbdnl_conf_set_str(struct drbdnl_conf *c, enum drbdnl_field_id id, const char *s,
			struct vh_error *e)
{
	const struct field *f = field_get(id);
	size_t n;

	if (!f || f->kind != DRBDNL_K_STR)
		return vh_err(e, -EINVAL, "drbd option %s is not a string", f ? f->name : "?");
	n = strlen(s);
	if (n + 1 > f->maxlen)
		return vh_err(e, -ENAMETOOLONG, "drbd option %s: at most %u characters",
			      f->name, f->maxlen - 1u);
	memcpy(c->str[f->slot], s, n + 1);
	c->set |= UINT64_C(1) << id;
	return 0;
}

static int parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "y", "1", "on", "true", NULL };
	static const char *const no[] = { "no", "n", "0", "off", "false", NULL };

	for (int i = 0; yes[i]; i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	for (int i = 0; no[i]; i++)
		if (!strcasecmp(v, no[i]))
			return 0;
	return -1;
}

/* drbdsetup's units: a plain number is KiB (rates) or 512-byte sectors (sizes) */
static const struct vnum_unit kib_units[] = {
	{ "k", 1 }, { "K", 1 }, { "m", 1024 }, { "M", 1024 }, { "g", 1 << 20 }, { "G", 1 << 20 },
	{ NULL, 0 },
};
static const struct vnum_unit sect_units[] = {
	{ "s", 1 }, { "k", 2 }, { "K", 2 }, { "m", 2048 }, { "M", 2048 },
	{ "g", 2048 * 1024 }, { "G", 2048 * 1024 }, { NULL, 0 },
};

/* A number as drbdsetup reads it (strtoll(.., 0): 0x hex, 0 octal, a sign),
 * with the field's units; its range is drbdnl_conf_set_num()'s to check. */
static int parse_number(const struct field *f, const char *v, int64_t *ret, struct vh_error *e)
{
	const struct vnum_unit *u = f->unit == U_KIB ? kib_units : f->unit == U_SECT ? sect_units :
				    NULL;
	int r = vnum_size_i64(v, VNUM_C, u, INT64_MIN, INT64_MAX, ret);

	if (r == -ERANGE)
		return vh_err(e, -ERANGE, "drbd option %s: '%s' is too large", f->name, v);
	if (r < 0)
		return vh_err(e, -EINVAL, "drbd option %s: '%s' is not a number%s", f->name, v,
			      f->unit == U_KIB ? " (KiB, or with K, M or G)" :
			      f->unit == U_SECT ? " (sectors, or with s, K, M or G)" : "");
	return 0;
}

int drbdnl_conf_set_text(struct drbdnl_conf *c, const char *name, const char *value,
			 struct vh_error *e)
{
	int i = field_by_name(name);
	const struct field *f;
	int64_t n = 0;
	int r;

	if (i < 0)
		return vh_err(e, -EINVAL, "unknown drbd option '%s'", name);
	f = &fields[i];
	switch (f->kind) {
	case DRBDNL_K_STR:
		return drbdnl_conf_set_str(c, i, value, e);
	case DRBDNL_K_FLAG:
		r = value ? parse_bool(value) : 1;
		if (r < 0)
			return vh_err(e, -EINVAL, "drbd option %s: say yes or no, not '%s'", f->name,
				      value);
		return drbdnl_conf_set_num(c, i, r, e);
	case DRBDNL_K_ENUM:
		if (!value)
			return vh_err(e, -EINVAL, "drbd option %s needs a value", f->name);
		for (const struct enum_name *en = f->enums; en->name; en++)
			if (!strcasecmp(en->name, value))
				return drbdnl_conf_set_num(c, i, en->value, e);
		{
			char list[256] = "";
			size_t off = 0;

			for (const struct enum_name *en = f->enums; en->name && off < sizeof(list); en++) {
				int w = snprintf(list + off, sizeof(list) - off, "%s%s",
						 off ? ", " : "", en->name);
				if (w < 0)
					break;
				off += (size_t)w;
			}
			return vh_err(e, -EINVAL, "drbd option %s: '%s' is not one of %s", f->name,
				      value, list);
		}
	default:
		if (!value)
			return vh_err(e, -EINVAL, "drbd option %s needs a value", f->name);
		r = parse_number(f, value, &n, e);
		if (r < 0)
			return r;
		return drbdnl_conf_set_num(c, i, n, e);
	}
}

int drbdnl_conf_format(const struct drbdnl_conf *c, enum drbdnl_field_id id, char *buf, size_t len)
{
	const struct field *f = field_get(id);
	int64_t v;

	if (!f || !drbdnl_conf_has(c, id))
		return -ENOENT;
	v = (int64_t)c->num[id];
	switch (f->kind) {
	case DRBDNL_K_STR:
		if (id == DRBDNL_NET_SHARED_SECRET)
			return snprintf(buf, len, "%s", c->str[f->slot][0] ? "(set)" : "");
		return snprintf(buf, len, "%s", c->str[f->slot]);
	case DRBDNL_K_FLAG:
		return snprintf(buf, len, "%s", v ? "yes" : "no");
	case DRBDNL_K_ENUM:
		for (const struct enum_name *en = f->enums; en->name; en++)
			if (en->value == (uint64_t)v)
				return snprintf(buf, len, "%s", en->name);
		return snprintf(buf, len, "%" PRId64, v);
	case DRBDNL_K_S32:
		return snprintf(buf, len, "%d", (int32_t)(uint32_t)v);
	default:
		return snprintf(buf, len, "%" PRIu64, (uint64_t)v);
	}
}

static int put_field(struct nl_msg *m, const struct field *f, const struct drbdnl_conf *c,
		     enum drbdnl_field_id id)
{
	int type = f->nr | (f->mandatory ? DRBDNL_F_MANDATORY : 0);

	switch (f->kind) {
	case DRBDNL_K_STR:
		return nla_put_string(m, type, c->str[f->slot]);
	case DRBDNL_K_FLAG:
		return nla_put_u8(m, type, c->num[id] ? 1 : 0);
	case DRBDNL_K_U64:
		return nla_put_u64(m, type, c->num[id]);
	default:
		return nla_put_u32(m, type, (uint32_t)c->num[id]);
	}
}

int drbdnl_put_conf(struct nl_msg *m, enum drbdnl_nest_kind nest, const struct drbdnl_conf *c,
		    bool for_change, struct vh_error *e)
{
	static const int tla[] = {
		[DRBDNL_NEST_DISK] = DRBDNL_A_DISK_CONF,
		[DRBDNL_NEST_NET] = DRBDNL_A_NET_CONF,
		[DRBDNL_NEST_RES] = DRBDNL_A_RESOURCE_OPTS,
	};
	struct nlattr *n;
	bool any = false;

	if (!c)
		return 0;
	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
		if (fields[i].nest != nest || !drbdnl_conf_has(c, i))
			continue;
		if (for_change && is_invariant(i))
			return vh_err(e, -EINVAL, "drbd option %s can only be given at %s",
				      fields[i].name, nest == DRBDNL_NEST_DISK ? "attach" : "connect");
		any = true;
	}
	if (!any)
		return 0;
	n = nla_nest_start(m, tla[nest] | NLA_F_NESTED);
	if (!n)
		return vh_err(e, -EMSGSIZE, "drbd request too large");
	/* options first, positional fields last: byte for byte what drbdsetup-84 sends */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
			if (fields[i].nest != nest || !drbdnl_conf_has(c, i) ||
			    fields[i].positional != (pass == 1))
				continue;
			if (put_field(m, &fields[i], c, i) < 0)
				return vh_err(e, -EMSGSIZE, "drbd request too large");
		}
	nla_nest_end(m, n);
	return 0;
}

int drbdnl_get_conf(const struct nlattr *tla, enum drbdnl_nest_kind nest, struct drbdnl_conf *c)
{
	struct nlattr *tb[64];
	int r;

	r = nla_parse_nested(tb, 63, (struct nlattr *)tla, NULL);
	if (r < 0)
		return -EBADMSG;
	for (int i = 0; i < DRBDNL_FIELD_COUNT; i++) {
		const struct field *f = &fields[i];
		const struct nlattr *a;
		int len;

		if (f->nest != nest || !(a = tb[f->nr]))
			continue;
		len = nla_len(a);
		switch (f->kind) {
		case DRBDNL_K_STR: {
			size_t n = (size_t)len;

			if (n >= f->maxlen)
				n = f->maxlen - 1u;
			memcpy(c->str[f->slot], nla_data(a), n);
			c->str[f->slot][n] = '\0';
			n = strnlen(c->str[f->slot], n);
			c->str[f->slot][n] = '\0';
			break;
		}
		case DRBDNL_K_FLAG:
			if (len < 1)
				return -EBADMSG;
			c->num[i] = nla_get_u8(a) ? 1 : 0;
			break;
		case DRBDNL_K_U64:
			if (len < 8)
				return -EBADMSG;
			c->num[i] = nla_get_u64(a);
			break;
		case DRBDNL_K_S32:
			if (len < 4)
				return -EBADMSG;
			c->num[i] = (uint64_t)(int64_t)(int32_t)nla_get_u32(a);
			break;
		default:
			if (len < 4)
				return -EBADMSG;
			c->num[i] = nla_get_u32(a);
			break;
		}
		c->set |= UINT64_C(1) << i;
	}
	return 0;
}
