/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan: validation, JSON in and out, role, DRBD configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/jsonx.h"
#include "base/num.h"
#include "base/uri.h"
#include "core/plan.h"
#include "meta/meta.h"
#include "netlink/drbdnl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SIZE_MAX_BYTES (UINT64_C(1) << 62)
#define DOWNTIME_MAX_MS 3600000u
#define BANDWIDTH_MAX_MIB 1048576u

/* ---- validation -------------------------------------------------------- */

static int check_vm_name(const char *n, struct vh_error *e)
{
	size_t len = strnlen(n, sizeof(((struct vplan *)0)->vm_name));

	if (len == 0 || len >= sizeof(((struct vplan *)0)->vm_name))
		return vh_err(e, -EINVAL, "vm.name must be 1..127 bytes");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)n[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return vh_err(e, -EINVAL, "vm.name has a control character or '/' at "
				      "offset %zu", i);
	}
	return 0;
}

static int check_host(const char *what, const struct vplan_host *h, struct vh_error *e)
{
	unsigned char bin[sizeof(struct in6_addr)];
	size_t n = strnlen(h->host, sizeof(h->host));

	if (n == 0 || n > 253)
		return vh_err(e, -EINVAL, "%s.host must be 1..253 characters", what);
	for (size_t i = 0; i < n; i++) {
		char c = h->host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '_'))
			return vh_err(e, -EINVAL, "%s.host has a character outside A-Z a-z 0-9 . - : _ "
				      "at offset %zu", what, i);
	}
	if (strnlen(h->addr, sizeof(h->addr)) == sizeof(h->addr))
		return vh_err(e, -EINVAL, "%s.address is not terminated", what);
	if (h->family != AF_INET && h->family != AF_INET6)
		return vh_err(e, -EINVAL, "%s.address: family must be IPv4 or IPv6", what);
	if (inet_pton(h->family, h->addr, bin) != 1)
		return vh_err(e, -EINVAL, "%s.address '%.64s' is not a numeric %s address", what,
			      h->addr, h->family == AF_INET ? "IPv4" : "IPv6");
	if ((h->family == AF_INET && !memcmp(bin, "\0\0\0\0", 4)) ||
	    (h->family == AF_INET6 && !memcmp(bin, &in6addr_any, 16)))
		return vh_err(e, -EINVAL, "%s.address %s is the unspecified address", what, h->addr);
	return 0;
}

static int check_printable(const char *what, const char *s, size_t min, size_t max,
			   struct vh_error *e)
{
	size_t n = strnlen(s, max + 1);

	if (n < min || n > max)
		return vh_err(e, -EINVAL, "%s must be %zu..%zu characters", what, min, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return vh_err(e, -EINVAL, "%s has a space or a non-printable character at "
				      "offset %zu", what, i);
	return 0;
}

static int check_disk(const struct vplan *p, size_t i, struct vh_error *e)
{
	const struct vplan_disk *d = &p->disks[i];
	char name[VNAME_DM_MAX + 1];
	uint64_t md;
	int r;

	if ((r = vlvm_check_names(d->vg, d->lv, e)) < 0)
		return vh_err_prefix(e, r, "disks[%zu]", i);
	if (d->size == 0 || d->size % 512 || d->size > SIZE_MAX_BYTES)
		return vh_err(e, -ERANGE, "disks[%zu].size must be a positive multiple of 512",
			      i);
	if (d->volume != i)
		return vh_err(e, -EINVAL, "disks[%zu].volume must be %zu", i, i);
	if (d->minor > VPLAN_MINOR_MAX)
		return vh_err(e, -ERANGE, "disks[%zu].minor must be in 0..%u", i, VPLAN_MINOR_MAX);
	if ((r = check_printable("disks[].target", d->target, 1, sizeof(d->target) - 1, e)) < 0)
		return r;
	if ((r = vname_copy(p->resource, d->volume, name, sizeof(name), e)) < 0)
		return r;
	if (strcmp(name, d->copy))
		return vh_err(e, -EINVAL, "disks[%zu].copy must be '%s'", i, name);
	if ((r = vname_md_lv(d->vg, p->resource, d->volume, name, sizeof(name), e)) < 0)
		return vh_err_prefix(e, r, "disks[%zu]", i);
	if (strcmp(name, d->md_lv))
		return vh_err(e, -EINVAL, "disks[%zu].meta.lv must be '%s'", i, name);
	if (d->md_index != VMETA_INDEX_FLEX)
		return vh_err(e, -EINVAL, "disks[%zu].meta.index must be flexible", i);
	if ((r = vmeta_min_md_bytes(d->md_index, d->size, &md, e)) < 0)
		return vh_err_prefix(e, r, "disks[%zu]", i);
	if (md != d->md_bytes)
		return vh_err(e, -EINVAL, "disks[%zu].meta.bytes must be %" PRIu64 " for %" PRIu64
			      " bytes of data", i, md, d->size);
	for (size_t j = 0; j < i; j++) {
		const struct vplan_disk *o = &p->disks[j];

		if (o->minor == d->minor)
			return vh_err(e, -EINVAL, "disks[%zu] and disks[%zu] have the same minor %u",
				      j, i, d->minor);
		if (!strcmp(o->vg, d->vg) && !strcmp(o->lv, d->lv))
			return vh_err(e, -EINVAL, "disks[%zu] and disks[%zu] are the same LV %s/%s",
				      j, i, d->vg, d->lv);
	}
	for (size_t j = 0; j < p->n_disks; j++)
		if (!strcmp(p->disks[j].vg, d->vg) && !strcmp(p->disks[j].md_lv, d->lv))
			return vh_err(e, -EINVAL, "disks[%zu] is the meta-data LV of disks[%zu]", i, j);
	return 0;
}

static const char *const hmac_algs[] = { "sha256", "sha384", "sha512" };

static int check_drbd(const struct vplan *p, struct vh_error *e)
{
	const struct vplan_drbd *d = &p->drbd;
	struct drbdnl_conf c;
	size_t i;
	int r;

	if (strcmp(d->protocol, "C"))
		return vh_err(e, -EINVAL, "drbd.protocol must be C: a write completes only when it "
			      "is on both hosts");
	for (i = 0; i < ARRAY_SIZE(hmac_algs); i++)
		if (!strcmp(d->cram_hmac_alg, hmac_algs[i]))
			break;
	if (i == ARRAY_SIZE(hmac_algs))
		return vh_err(e, -EINVAL, "drbd.cram_hmac_alg must be sha256, sha384 or sha512");
	if ((r = check_printable("drbd.shared_secret", d->shared_secret, VPLAN_SECRET_MIN,
				 VPLAN_SECRET_MAX, e)) < 0)
		return r;
	/* Ranges and policies: the netlink module's own tables and checks. */
	if ((r = vplan_disk_conf(p, &c, e)) < 0 || (r = vplan_net_conf(p, &c, e)) < 0)
		return r;
	return 0;
}

/* The migration's controls, each alone and together (plan.h). */
int vplan_check_controls(const struct vplan_migration *m, struct vh_error *e)
{
	int r;

	if (m->parallel > VPLAN_PARALLEL_MAX)
		return vh_err(e, -ERANGE, "migration.parallel must be at most %d connections",
			      VPLAN_PARALLEL_MAX);
	if (strnlen(m->compression, sizeof(m->compression)) == sizeof(m->compression) ||
	    strnlen(m->migrate_uri, sizeof(m->migrate_uri)) == sizeof(m->migrate_uri))
		return vh_err(e, -EINVAL, "migration: a string is not terminated");
	if (m->compression[0] && strcmp(m->compression, "xbzrle"))
		return vh_err(e, -EINVAL, "migration.compression must be xbzrle, not '%s'",
			      m->compression);
	if (m->compression[0] && m->parallel)
		return vh_err(e, -EINVAL, "migration: xbzrle compression works on one connection: "
			      "not with parallel connections (QEMU refuses multifd with xbzrle)");
	if (m->tunnelled && m->parallel)
		return vh_err(e, -EINVAL, "migration: parallel connections are QEMU's own: not "
			      "with a tunnelled migration (libvirt refuses it)");
	if (m->migrate_uri[0] && m->tunnelled)
		return vh_err(e, -EINVAL, "migration: a migrate URI is where QEMU sends the memory "
			      "itself: not with a tunnelled migration");
	if (m->migrate_uri[0] && (r = vuri_check_qemu(m->migrate_uri, "migration.migrate_uri",
						      e)) < 0)
		return r;
	if (m->completion != VPLAN_COMPLETION_NONE && m->completion != VPLAN_COMPLETION_CONVERGE &&
	    m->completion != VPLAN_COMPLETION_ABORT)
		return vh_err(e, -EINVAL, "migration.completion.action must be converge or abort");
	if (m->completion != VPLAN_COMPLETION_NONE &&
	    (m->completion_after_s == 0 || m->completion_after_s > VPLAN_TIMEOUT_MAX))
		return vh_err(e, -ERANGE, "migration.completion.after_s must be in 1..%u seconds",
			      VPLAN_TIMEOUT_MAX);
	return 0;
}

static const char *const completion_names[] = {
	[VPLAN_COMPLETION_NONE] = "none", [VPLAN_COMPLETION_CONVERGE] = "converge",
	[VPLAN_COMPLETION_ABORT] = "abort",
};

const char *vplan_completion_name(enum vplan_completion c)
{
	return (unsigned)c < ARRAY_SIZE(completion_names) ? completion_names[c] : "?";
}

int vplan_completion_parse(const char *s, enum vplan_completion *ret_action,
			   uint32_t *ret_after_s)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	uint64_t v;
	size_t n;
	int r;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (n == 8 && !strncmp(s, "converge", 8))
		*ret_action = VPLAN_COMPLETION_CONVERGE;
	else if (n == 5 && !strncmp(s, "abort", 5))
		*ret_action = VPLAN_COMPLETION_ABORT;
	else
		return -EINVAL;
	/* decimal, no sign, no leading zero, 1..VPLAN_TIMEOUT_MAX */
	if ((r = vnum_u64(colon + 1, 0, VPLAN_TIMEOUT_MAX, &v)) < 0)
		return r;
	if (v == 0)
		return -EINVAL;
	*ret_after_s = (uint32_t)v;
	return 0;
}

int vplan_validate(const struct vplan *p, struct vh_error *e)
{
	int r;

	if (p->version != VPLAN_VERSION)
		return vh_err(e, -EPROTONOSUPPORT, "plan version %d: this vmhop reads version %d",
			      p->version, VPLAN_VERSION);
	if ((r = check_vm_name(p->vm_name, e)) < 0)
		return r;
	if ((r = vname_check_uuid(p->vm_uuid, e)) < 0)
		return vh_err_prefix(e, r, "vm.uuid");
	if ((r = vname_check_plan_resource(p->vm_uuid, p->resource, e)) < 0)
		return r;
	if (p->port == 0)
		return vh_err(e, -ERANGE, "port must be in 1..65535");
	if ((r = check_host("source", &p->source, e)) < 0 || (r = check_host("dest", &p->dest, e)) < 0)
		return r;
	if (p->source.family != p->dest.family)
		return vh_err(e, -EINVAL, "source.address and dest.address are of different families");
	if (!strcmp(p->source.addr, p->dest.addr))
		return vh_err(e, -EINVAL, "source.address and dest.address are the same (%s)",
			      p->source.addr);
	if (p->n_disks == 0 || p->n_disks > VPLAN_MAX_DISKS)
		return vh_err(e, -EINVAL, "disks: 1..%d disks", VPLAN_MAX_DISKS);
	for (size_t i = 0; i < p->n_disks; i++)
		if ((r = check_disk(p, i, e)) < 0)
			return r;
	if ((r = check_drbd(p, e)) < 0)
		return r;
	if (strnlen(p->migration.uri, sizeof(p->migration.uri)) == sizeof(p->migration.uri))
		return vh_err(e, -EINVAL, "migration.uri is not terminated");
	/* vmhop opens it as root: no transport or parameter that runs a program */
	if ((r = vuri_check_migration(p->migration.uri, "migration.uri", e)) < 0)
		return r;
	if (p->migration.max_downtime_ms > DOWNTIME_MAX_MS)
		return vh_err(e, -ERANGE, "migration.max_downtime_ms must be at most %u",
			      DOWNTIME_MAX_MS);
	if (p->migration.bandwidth_mib > BANDWIDTH_MAX_MIB)
		return vh_err(e, -ERANGE, "migration.bandwidth_mib must be at most %u",
			      BANDWIDTH_MAX_MIB);
	if (p->migration.on_link_loss != VPLAN_LINK_LOSS_CANCEL &&
	    p->migration.on_link_loss != VPLAN_LINK_LOSS_CONTINUE)
		return vh_err(e, -EINVAL, "migration.on_link_loss must be cancel or continue");
	if ((r = vplan_check_controls(&p->migration, e)) < 0)
		return r;
	{
		const uint32_t t[] = { p->timeouts.connect, p->timeouts.sync, p->timeouts.stall,
				       p->timeouts.migrate, p->timeouts.gate };

		for (size_t i = 0; i < ARRAY_SIZE(t); i++)
			if (t[i] == 0 || t[i] > VPLAN_TIMEOUT_MAX)
				return vh_err(e, -ERANGE, "timeouts: each must be in 1..%u seconds",
					      VPLAN_TIMEOUT_MAX);
	}
	return 0;
}

/* ---- DRBD configuration ------------------------------------------------ */

int vplan_disk_conf(const struct vplan *p, struct drbdnl_conf *ret, struct vh_error *e)
{
	const struct vplan_drbd *d = &p->drbd;
	const struct { enum drbdnl_field_id id; uint32_t v; } f[] = {
		{ DRBDNL_DISK_RESYNC_RATE, d->resync_rate },
		{ DRBDNL_DISK_C_PLAN_AHEAD, d->c_plan_ahead },
		{ DRBDNL_DISK_C_DELAY_TARGET, d->c_delay_target },
		{ DRBDNL_DISK_C_FILL_TARGET, d->c_fill_target },
		{ DRBDNL_DISK_C_MAX_RATE, d->c_max_rate },
		{ DRBDNL_DISK_C_MIN_RATE, d->c_min_rate },
	};
	int r;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if ((r = drbdnl_conf_set_num(ret, f[i].id, f[i].v, e)) < 0)
			return vh_err_prefix(e, r, "plan drbd");
	return 0;
}

static int policy(struct drbdnl_conf *c, const char *name, const char *v, bool zero_ok,
		  struct vh_error *e)
{
	if (strcmp(v, "disconnect") && !(zero_ok && !strcmp(v, "discard-zero-changes")))
		return vh_err(e, -EINVAL, "plan drbd: %s '%.24s' could discard data; only "
			      "disconnect%s is accepted", name, v,
			      zero_ok ? " or discard-zero-changes" : "");
	return drbdnl_conf_set_text(c, name, v, e);
}

int vplan_net_conf(const struct vplan *p, struct drbdnl_conf *ret, struct vh_error *e)
{
	const struct vplan_drbd *d = &p->drbd;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = drbdnl_conf_set_text(ret, "protocol", d->protocol, e)) < 0 ||
	    (r = drbdnl_conf_set_str(ret, DRBDNL_NET_CRAM_HMAC_ALG, d->cram_hmac_alg, e)) < 0 ||
	    (r = drbdnl_conf_set_str(ret, DRBDNL_NET_SHARED_SECRET, d->shared_secret, e)) < 0 ||
	    (r = policy(ret, "after-sb-0pri", d->after_sb_0pri, true, e)) < 0 ||
	    (r = policy(ret, "after-sb-1pri", d->after_sb_1pri, false, e)) < 0 ||
	    (r = policy(ret, "after-sb-2pri", d->after_sb_2pri, false, e)) < 0 ||
	    (r = policy(ret, "rr-conflict", d->rr_conflict, false, e)) < 0 ||
	    /* Once both of its sockets are up, DRBD 8.4 waits this long for
	     * them to stay up before its handshake (connection_established(),
	     * drbd_receiver.c): by default ping-timeout's 0.5 s, which was 0.5 s
	     * of every move's sync.  0.1 s, as drbd.conf(5) suggests where no
	     * DRBD proxy sits between the hosts. */
	    (r = drbdnl_conf_set_text(ret, "socket-check-timeout", "1", e)) < 0)
		return r;
	return 0;
}

int vplan_endpoints(const struct vplan *p, enum vplan_role role, struct drbdnl_addr *ret_local,
		    struct drbdnl_addr *ret_peer, struct vh_error *e)
{
	const struct vplan_host *me, *peer;
	char text[96];
	int r;

	if (role == VPLAN_ROLE_SOURCE) {
		me = &p->source;
		peer = &p->dest;
	} else if (role == VPLAN_ROLE_DEST) {
		me = &p->dest;
		peer = &p->source;
	} else {
		return vh_err(e, -EINVAL, "no endpoints for a host that is neither source nor dest");
	}
	snprintf(text, sizeof(text), me->family == AF_INET6 ? "ipv6:[%s]:%u" : "ipv4:%s:%u",
		 me->addr, p->port);
	if ((r = drbdnl_addr_parse(text, ret_local, e)) < 0)
		return r;
	snprintf(text, sizeof(text), peer->family == AF_INET6 ? "ipv6:[%s]:%u" : "ipv4:%s:%u",
		 peer->addr, p->port);
	return drbdnl_addr_parse(text, ret_peer, e);
}

int vplan_disk_paths(const struct vplan *p, size_t i, char *backing, char *meta, size_t len,
		     struct vh_error *e)
{
	int r;

	if (i >= p->n_disks)
		return vh_err(e, -EINVAL, "disk %zu: the plan has %zu", i, p->n_disks);
	if ((r = vname_dm_path(p->disks[i].copy, backing, len, e)) < 0)
		return r;
	return vname_lv_dm_path(p->disks[i].vg, p->disks[i].md_lv, meta, len, e);
}

/* ---- JSON out ---------------------------------------------------------- */

static json_object *host_json(const struct vplan_host *h)
{
	json_object *o = json_object_new_object();

	if (o && (vjson_add_str(o, "host", h->host) || vjson_add_str(o, "address", h->addr))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *disk_json(const struct vplan_disk *d)
{
	json_object *o = json_object_new_object(), *m = json_object_new_object();

	if (!o || !m || vjson_add_str(o, "target", d->target) || vjson_add_str(o, "vg", d->vg) ||
	    vjson_add_str(o, "lv", d->lv) || vjson_add_u64(o, "size", d->size) ||
	    vjson_add_u64(o, "volume", d->volume) || vjson_add_u64(o, "minor", d->minor) ||
	    vjson_add_str(o, "copy", d->copy) || vjson_add_str(m, "lv", d->md_lv) ||
	    vjson_add_str(m, "index", "flexible") || vjson_add_u64(m, "bytes", d->md_bytes) ||
	    json_object_object_add(o, "meta", m) < 0) {
		json_object_put(m);
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *drbd_json(const struct vplan_drbd *d)
{
	json_object *o = json_object_new_object();

	if (!o || vjson_add_str(o, "protocol", d->protocol) ||
	    vjson_add_str(o, "cram_hmac_alg", d->cram_hmac_alg) ||
	    vjson_add_str(o, "shared_secret", d->shared_secret) ||
	    vjson_add_u64(o, "resync_rate_kib", d->resync_rate) ||
	    vjson_add_u64(o, "c_plan_ahead", d->c_plan_ahead) ||
	    vjson_add_u64(o, "c_delay_target", d->c_delay_target) ||
	    vjson_add_u64(o, "c_fill_target_sectors", d->c_fill_target) ||
	    vjson_add_u64(o, "c_max_rate_kib", d->c_max_rate) ||
	    vjson_add_u64(o, "c_min_rate_kib", d->c_min_rate) ||
	    vjson_add_str(o, "after_sb_0pri", d->after_sb_0pri) ||
	    vjson_add_str(o, "after_sb_1pri", d->after_sb_1pri) ||
	    vjson_add_str(o, "after_sb_2pri", d->after_sb_2pri) ||
	    vjson_add_str(o, "rr_conflict", d->rr_conflict)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A new object or array, owned by @parent from the start (so that one
 * json_object_put of the root frees everything, whatever failed). */
static json_object *child(json_object *parent, const char *key, bool array)
{
	json_object *c = array ? json_object_new_array() : json_object_new_object();

	return vjson_add_obj(parent, key, c) == 0 ? c : NULL;
}

/* The controls that are on, into "migration" (off ones are not written, so
 * that a plan without them reads in a vmhop that does not know them).  0, or
 * -ENOMEM. */
static int controls_json(json_object *mig, const struct vplan_migration *m)
{
	json_object *c;

	if ((m->auto_converge && vjson_add_bool(mig, "auto_converge", true)) ||
	    (m->overlap_s && vjson_add_u64(mig, "overlap_s", m->overlap_s)) ||
	    (m->parallel && vjson_add_u64(mig, "parallel", m->parallel)) ||
	    (m->compression[0] && vjson_add_str(mig, "compression", m->compression)) ||
	    (m->migrate_uri[0] && vjson_add_str(mig, "migrate_uri", m->migrate_uri)))
		return -ENOMEM;
	if (m->completion == VPLAN_COMPLETION_NONE)
		return 0;
	if (!(c = child(mig, "completion", false)) ||
	    vjson_add_str(c, "action", vplan_completion_name(m->completion)) ||
	    vjson_add_u64(c, "after_s", m->completion_after_s))
		return -ENOMEM;
	return 0;
}

json_object *vplan_to_json(const struct vplan *p)
{
	json_object *o = json_object_new_object(), *vm, *disks, *mig, *t;
	bool ok;

	if (!o)
		return NULL;
	ok = !vjson_add_u64(o, "vmhop_plan", (uint64_t)p->version) &&
	     (vm = child(o, "vm", false)) && !vjson_add_str(vm, "name", p->vm_name) &&
	     !vjson_add_str(vm, "uuid", p->vm_uuid) &&
	     !vjson_add_str(o, "resource", p->resource) && !vjson_add_u64(o, "port", p->port) &&
	     !vjson_add_obj(o, "source", host_json(&p->source)) &&
	     !vjson_add_obj(o, "dest", host_json(&p->dest)) && (disks = child(o, "disks", true));
	for (size_t i = 0; ok && i < p->n_disks; i++) {
		json_object *d = disk_json(&p->disks[i]);

		ok = d && json_object_array_add(disks, d) == 0;
		if (!ok)
			json_object_put(d);
	}
	ok = ok && !vjson_add_obj(o, "drbd", drbd_json(&p->drbd)) &&
	     (mig = child(o, "migration", false)) && !vjson_add_str(mig, "uri", p->migration.uri) &&
	     !vjson_add_u64(mig, "max_downtime_ms", p->migration.max_downtime_ms) &&
	     !vjson_add_u64(mig, "bandwidth_mib", p->migration.bandwidth_mib) &&
	     !vjson_add_bool(mig, "keep_source", p->migration.keep_source) &&
	     !vjson_add_str(mig, "on_link_loss", vplan_link_loss_name(p->migration.on_link_loss)) &&
	     !vjson_add_bool(mig, "tunnelled", p->migration.tunnelled) &&
	     !controls_json(mig, &p->migration) &&
	     (t = child(o, "timeouts", false)) && !vjson_add_u64(t, "connect_s", p->timeouts.connect) &&
	     !vjson_add_u64(t, "sync_s", p->timeouts.sync) &&
	     !vjson_add_u64(t, "stall_s", p->timeouts.stall) &&
	     !vjson_add_u64(t, "migrate_s", p->timeouts.migrate) &&
	     !vjson_add_u64(t, "gate_s", p->timeouts.gate);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- JSON in ----------------------------------------------------------- */

#define KEYS(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

/* The optional controls of "migration" (off when absent); their checks
 * together are check_controls', in vplan_validate. */
static int controls_from(json_object *mig, struct vplan_migration *m, struct vh_error *e)
{
	json_object *c;
	char v[16];
	int r;

	if (json_object_object_get_ex(mig, "auto_converge", NULL) &&
	    (r = vjson_bool(mig, "auto_converge", &m->auto_converge, "migration", e)) < 0)
		return r;
	if (json_object_object_get_ex(mig, "overlap_s", NULL) &&
	    (r = vjson_u32(mig, "overlap_s", 1, VPLAN_OVERLAP_MAX, &m->overlap_s, "migration",
			   e)) < 0)
		return r;
	if (json_object_object_get_ex(mig, "parallel", NULL) &&
	    (r = vjson_u32(mig, "parallel", 1, VPLAN_PARALLEL_MAX, &m->parallel, "migration",
			   e)) < 0)
		return r;
	if (json_object_object_get_ex(mig, "compression", NULL) &&
	    (r = vjson_str(mig, "compression", m->compression, sizeof(m->compression), false,
			   "migration", e)) < 0)
		return r;
	if (json_object_object_get_ex(mig, "migrate_uri", NULL) &&
	    (r = vjson_str(mig, "migrate_uri", m->migrate_uri, sizeof(m->migrate_uri), false,
			   "migration", e)) < 0)
		return r;
	if (!json_object_object_get_ex(mig, "completion", NULL))
		return 0;
	if ((r = vjson_member(mig, "completion", json_type_object, "migration", &c, e)) < 0 ||
	    (r = vjson_exact_keys(c, KEYS("action", "after_s"), "migration.completion", e)) < 0 ||
	    (r = vjson_str(c, "action", v, sizeof(v), false, "migration.completion", e)) < 0 ||
	    (r = vjson_u32(c, "after_s", 1, VPLAN_TIMEOUT_MAX, &m->completion_after_s,
			   "migration.completion", e)) < 0)
		return r;
	if (!strcmp(v, "converge"))
		m->completion = VPLAN_COMPLETION_CONVERGE;
	else if (!strcmp(v, "abort"))
		m->completion = VPLAN_COMPLETION_ABORT;
	else
		return vh_err(e, -EINVAL, "migration.completion.action must be converge or abort, "
			      "not '%s'", v);
	return 0;
}

/* The keys of "migration".  on_link_loss and tunnelled are optional, so that
 * a plan written by a vmhop that did not know them still reads, as that vmhop
 * would have moved it: "cancel", and tunnelled. */
static int migration_keys(json_object *mig, struct vplan_migration *m, struct vh_error *e)
{
	static const char *const keys[] = { "uri", "max_downtime_ms", "bandwidth_mib",
					    "keep_source", "on_link_loss", "tunnelled",
					    "auto_converge", "parallel", "compression",
					    "migrate_uri", "completion", "overlap_s" };
	const char *present[sizeof(keys) / sizeof(keys[0])];
	size_t n = 0;
	char v[16];
	int r;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (i < 4 || json_object_object_get_ex(mig, keys[i], NULL))
			present[n++] = keys[i];
	if ((r = vjson_exact_keys(mig, present, n, "migration", e)) < 0)
		return r;
	if ((r = controls_from(mig, m, e)) < 0)
		return r;
	m->on_link_loss = VPLAN_LINK_LOSS_CANCEL;
	m->tunnelled = true;
	if (json_object_object_get_ex(mig, "tunnelled", NULL) &&
	    (r = vjson_bool(mig, "tunnelled", &m->tunnelled, "migration", e)) < 0)
		return r;
	if (!json_object_object_get_ex(mig, "on_link_loss", NULL))
		return 0;
	if ((r = vjson_str(mig, "on_link_loss", v, sizeof(v), false, "migration", e)) < 0)
		return r;
	if (vplan_link_loss_parse(v, &m->on_link_loss) < 0)
		return vh_err(e, -EINVAL, "migration.on_link_loss must be cancel or continue, "
			      "not '%s'", v);
	return 0;
}

static int host_from(json_object *root, const char *key, struct vplan_host *h, struct vh_error *e)
{
	unsigned char bin[sizeof(struct in6_addr)];
	json_object *o;
	int r;

	if ((r = vjson_member(root, key, json_type_object, "", &o, e)) < 0 ||
	    (r = vjson_exact_keys(o, KEYS("host", "address"), key, e)) < 0 ||
	    (r = vjson_str(o, "host", h->host, sizeof(h->host), false, key, e)) < 0 ||
	    (r = vjson_str(o, "address", h->addr, sizeof(h->addr), false, key, e)) < 0)
		return r;
	if (inet_pton(AF_INET, h->addr, bin) == 1)
		h->family = AF_INET;
	else if (inet_pton(AF_INET6, h->addr, bin) == 1)
		h->family = AF_INET6;
	else
		return vh_err(e, -EINVAL, "%s.address '%.64s' is not a numeric IPv4 or IPv6 address",
			      key, h->addr);
	return 0;
}

static int disk_from(json_object *o, size_t i, struct vplan_disk *d, struct vh_error *e)
{
	char path[32], mpath[40], index[16];
	json_object *m;
	int r;

	snprintf(path, sizeof(path), "disks[%zu]", i);
	snprintf(mpath, sizeof(mpath), "disks[%zu].meta", i);
	if (!json_object_is_type(o, json_type_object))
		return vh_err(e, -EINVAL, "%s must be an object", path);
	if ((r = vjson_exact_keys(o, KEYS("target", "vg", "lv", "size", "volume", "minor", "copy",
					  "meta"), path, e)) < 0 ||
	    (r = vjson_str(o, "target", d->target, sizeof(d->target), false, path, e)) < 0 ||
	    (r = vjson_str(o, "vg", d->vg, sizeof(d->vg), false, path, e)) < 0 ||
	    (r = vjson_str(o, "lv", d->lv, sizeof(d->lv), false, path, e)) < 0 ||
	    (r = vjson_u64(o, "size", 1, SIZE_MAX_BYTES, &d->size, path, e)) < 0 ||
	    (r = vjson_u32(o, "volume", 0, VPLAN_MAX_DISKS - 1, &d->volume, path, e)) < 0 ||
	    (r = vjson_u32(o, "minor", 0, VPLAN_MINOR_MAX, &d->minor, path, e)) < 0 ||
	    (r = vjson_str(o, "copy", d->copy, sizeof(d->copy), false, path, e)) < 0 ||
	    (r = vjson_member(o, "meta", json_type_object, path, &m, e)) < 0 ||
	    (r = vjson_exact_keys(m, KEYS("lv", "index", "bytes"), mpath, e)) < 0 ||
	    (r = vjson_str(m, "lv", d->md_lv, sizeof(d->md_lv), false, mpath, e)) < 0 ||
	    (r = vjson_str(m, "index", index, sizeof(index), false, mpath, e)) < 0 ||
	    (r = vjson_u64(m, "bytes", 1, SIZE_MAX_BYTES, &d->md_bytes, mpath, e)) < 0)
		return r;
	if (strcmp(index, "flexible"))
		return vh_err(e, -EINVAL, "%s.index must be \"flexible\"", mpath);
	d->md_index = VMETA_INDEX_FLEX;
	return 0;
}

static int drbd_from(json_object *root, struct vplan_drbd *d, struct vh_error *e)
{
	const char *p = "drbd";
	json_object *o;
	int r;

	if ((r = vjson_member(root, "drbd", json_type_object, "", &o, e)) < 0 ||
	    (r = vjson_exact_keys(o, KEYS("protocol", "cram_hmac_alg", "shared_secret",
					  "resync_rate_kib", "c_plan_ahead", "c_delay_target",
					  "c_fill_target_sectors", "c_max_rate_kib", "c_min_rate_kib",
					  "after_sb_0pri", "after_sb_1pri", "after_sb_2pri",
					  "rr_conflict"), p, e)) < 0 ||
	    (r = vjson_str(o, "protocol", d->protocol, sizeof(d->protocol), false, p, e)) < 0 ||
	    (r = vjson_str(o, "cram_hmac_alg", d->cram_hmac_alg, sizeof(d->cram_hmac_alg), false,
			   p, e)) < 0 ||
	    (r = vjson_str(o, "shared_secret", d->shared_secret, sizeof(d->shared_secret), false,
			   p, e)) < 0 ||
	    (r = vjson_u32(o, "resync_rate_kib", 0, UINT32_MAX, &d->resync_rate, p, e)) < 0 ||
	    (r = vjson_u32(o, "c_plan_ahead", 0, UINT32_MAX, &d->c_plan_ahead, p, e)) < 0 ||
	    (r = vjson_u32(o, "c_delay_target", 0, UINT32_MAX, &d->c_delay_target, p, e)) < 0 ||
	    (r = vjson_u32(o, "c_fill_target_sectors", 0, UINT32_MAX, &d->c_fill_target, p, e)) < 0 ||
	    (r = vjson_u32(o, "c_max_rate_kib", 0, UINT32_MAX, &d->c_max_rate, p, e)) < 0 ||
	    (r = vjson_u32(o, "c_min_rate_kib", 0, UINT32_MAX, &d->c_min_rate, p, e)) < 0 ||
	    (r = vjson_str(o, "after_sb_0pri", d->after_sb_0pri, sizeof(d->after_sb_0pri), false,
			   p, e)) < 0 ||
	    (r = vjson_str(o, "after_sb_1pri", d->after_sb_1pri, sizeof(d->after_sb_1pri), false,
			   p, e)) < 0 ||
	    (r = vjson_str(o, "after_sb_2pri", d->after_sb_2pri, sizeof(d->after_sb_2pri), false,
			   p, e)) < 0 ||
	    (r = vjson_str(o, "rr_conflict", d->rr_conflict, sizeof(d->rr_conflict), false, p,
			   e)) < 0)
		return r;
	return 0;
}

int vplan_from_json(json_object *root, struct vplan *ret, struct vh_error *e)
{
	struct vplan *p;
	json_object *vm, *disks, *mig, *t, *ver;
	uint64_t v;
	uint32_t port;
	size_t n;
	int r;

	if (!json_object_is_type(root, json_type_object))
		return vh_err(e, -EINVAL, "a plan must be a JSON object");
	/* The version first: a later format may have other keys. */
	if (!json_object_object_get_ex(root, "vmhop_plan", &ver))
		return vh_err(e, -EINVAL, "not a vmhop plan: no field vmhop_plan");
	if (!json_object_is_type(ver, json_type_int))
		return vh_err(e, -EINVAL, "field vmhop_plan must be an integer");
	if (json_object_get_int64(ver) != VPLAN_VERSION)
		return vh_err(e, -EPROTONOSUPPORT, "plan version %" PRId64 ": this vmhop reads "
			      "version %d", json_object_get_int64(ver), VPLAN_VERSION);
	p = calloc(1, sizeof(*p));
	if (!p)
		return vh_err(e, -ENOMEM, "out of memory");
	p->version = VPLAN_VERSION;
	if ((r = vjson_exact_keys(root, KEYS("vmhop_plan", "vm", "resource", "port", "source",
					     "dest", "disks", "drbd", "migration", "timeouts"),
				  "", e)) < 0 ||
	    (r = vjson_member(root, "vm", json_type_object, "", &vm, e)) < 0 ||
	    (r = vjson_exact_keys(vm, KEYS("name", "uuid"), "vm", e)) < 0 ||
	    (r = vjson_str(vm, "name", p->vm_name, sizeof(p->vm_name), false, "vm", e)) < 0 ||
	    (r = vjson_str(vm, "uuid", p->vm_uuid, sizeof(p->vm_uuid), false, "vm", e)) < 0 ||
	    (r = vjson_str(root, "resource", p->resource, sizeof(p->resource), false, "", e)) < 0 ||
	    (r = vjson_u32(root, "port", 1, 65535, &port, "", e)) < 0 ||
	    (r = host_from(root, "source", &p->source, e)) < 0 ||
	    (r = host_from(root, "dest", &p->dest, e)) < 0 ||
	    (r = vjson_member(root, "disks", json_type_array, "", &disks, e)) < 0)
		goto out;
	p->port = (uint16_t)port;
	n = json_object_array_length(disks);
	if (n == 0 || n > VPLAN_MAX_DISKS) {
		r = vh_err(e, -EINVAL, "disks: 1..%d disks, not %zu", VPLAN_MAX_DISKS, n);
		goto out;
	}
	p->n_disks = n;
	for (size_t i = 0; i < n; i++)
		if ((r = disk_from(json_object_array_get_idx(disks, i), i, &p->disks[i], e)) < 0)
			goto out;
	if ((r = drbd_from(root, &p->drbd, e)) < 0 ||
	    (r = vjson_member(root, "migration", json_type_object, "", &mig, e)) < 0 ||
	    (r = migration_keys(mig, &p->migration, e)) < 0 ||
	    (r = vjson_str(mig, "uri", p->migration.uri, sizeof(p->migration.uri), false,
			   "migration", e)) < 0 ||
	    (r = vjson_u64(mig, "max_downtime_ms", 0, DOWNTIME_MAX_MS, &v, "migration", e)) < 0)
		goto out;
	p->migration.max_downtime_ms = v;
	if ((r = vjson_u64(mig, "bandwidth_mib", 0, BANDWIDTH_MAX_MIB, &v, "migration", e)) < 0 ||
	    (r = vjson_bool(mig, "keep_source", &p->migration.keep_source, "migration", e)) < 0)
		goto out;
	p->migration.bandwidth_mib = v;
	if ((r = vjson_member(root, "timeouts", json_type_object, "", &t, e)) < 0 ||
	    (r = vjson_exact_keys(t, KEYS("connect_s", "sync_s", "stall_s", "migrate_s", "gate_s"),
				  "timeouts", e)) < 0 ||
	    (r = vjson_u32(t, "connect_s", 1, VPLAN_TIMEOUT_MAX, &p->timeouts.connect, "timeouts",
			   e)) < 0 ||
	    (r = vjson_u32(t, "sync_s", 1, VPLAN_TIMEOUT_MAX, &p->timeouts.sync, "timeouts", e)) < 0 ||
	    (r = vjson_u32(t, "stall_s", 1, VPLAN_TIMEOUT_MAX, &p->timeouts.stall, "timeouts",
			   e)) < 0 ||
	    (r = vjson_u32(t, "migrate_s", 1, VPLAN_TIMEOUT_MAX, &p->timeouts.migrate, "timeouts",
			   e)) < 0 ||
	    (r = vjson_u32(t, "gate_s", 1, VPLAN_TIMEOUT_MAX, &p->timeouts.gate, "timeouts", e)) < 0)
		goto out;
	if ((r = vplan_validate(p, e)) < 0)
		goto out;
	*ret = *p;
out:
	free(p);
	return r;
}

int vplan_parse(const char *text, size_t len, struct vplan *ret, struct vh_error *e)
{
	json_object *o;
	int r;

	if (len > VPLAN_FILE_MAX)
		return vh_err(e, -EFBIG, "plan is %zu bytes; a plan is at most %u", len,
			      VPLAN_FILE_MAX);
	if ((r = vjson_parse(text, len, "plan", &o, e)) < 0)
		return r;
	r = vplan_from_json(o, ret, e);
	json_object_put(o);
	return r;
}

int vplan_load(const char *path, struct vplan *ret, struct vh_error *e)
{
	char *text;
	size_t len;
	int r;

	/* The plan holds the DRBD secret and tells root what to do: a file
	 * anyone else could read or have written is refused (-EPERM). */
	if ((r = vfile_read_private(path, "plan", VPLAN_FILE_MAX, &text, &len, e)) < 0)
		return r;
	r = vplan_parse(text, len, ret, e);
	explicit_bzero(text, len);
	free(text);
	if (r < 0)
		vh_err_prefix(e, r, "%s", path);
	return r;
}

int vplan_save(const struct vplan *p, const char *path, bool overwrite, struct vh_error *e)
{
	json_object *o;
	const char *text;
	size_t len;
	int r;

	if ((r = vplan_validate(p, e)) < 0)
		return r;
	if (!(o = vplan_to_json(p)))
		return vh_err(e, -ENOMEM, "out of memory");
	text = json_object_to_json_string_length(o, VJSON_PRETTY, &len);
	if (!text) {
		json_object_put(o);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	{
		char *buf = malloc(len + 1);

		if (!buf) {
			json_object_put(o);
			return vh_err(e, -ENOMEM, "out of memory");
		}
		memcpy(buf, text, len);
		buf[len] = '\n';
		r = vfile_write_atomic(path, buf, len + 1, 0600, !overwrite, e);
		free(buf);
	}
	json_object_put(o);
	return r;
}

/* ---- on_link_loss ------------------------------------------------------ */

const char *vplan_link_loss_name(enum vplan_link_loss v)
{
	return v == VPLAN_LINK_LOSS_CONTINUE ? "continue" : "cancel";
}

int vplan_link_loss_parse(const char *s, enum vplan_link_loss *ret)
{
	if (!strcmp(s, "cancel"))
		*ret = VPLAN_LINK_LOSS_CANCEL;
	else if (!strcmp(s, "continue"))
		*ret = VPLAN_LINK_LOSS_CONTINUE;
	else
		return -EINVAL;
	return 0;
}

/* ---- role -------------------------------------------------------------- */

const char *vplan_role_name(enum vplan_role r)
{
	switch (r) {
	case VPLAN_ROLE_SOURCE: return "source";
	case VPLAN_ROLE_DEST: return "dest";
	default: return "neither";
	}
}

/* Is @want (of @family) among the addresses of the list @ifa? */
static int in_ifaddrs(const struct ifaddrs *ifa, int family, const unsigned char *want)
{
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET ?
		    !memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, want, 4) :
		    !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, want, 16))
			return 1;
	}
	return 0;
}

int vplan_addr_is_local(const char *addr, int family, void *ud)
{
	unsigned char want[sizeof(struct in6_addr)];
	struct ifaddrs *ifa;
	int found;

	(void)ud;
	if (inet_pton(family, addr, want) != 1)
		return -EINVAL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	found = in_ifaddrs(ifa, family, want);
	freeifaddrs(ifa);
	return found;
}

/* vplan_role's default: the host's addresses of each family the plan
 * names, one RTM_GETADDR dump of it (getifaddrs would dump every link and
 * every address, twice for the two addresses: 0.1-0.7 s each in the lab's
 * TCG guests, on every phase command). */
static int role_lookup(const struct vplan *p, int *ret_s, int *ret_d, struct vh_error *e)
{
	unsigned char bs[sizeof(struct in6_addr)], bd[sizeof(struct in6_addr)];
	const unsigned char *want[2] = { bs, bd };
	int found[2] = { 0, 0 }, r;

	if (inet_pton(p->source.family, p->source.addr, bs) != 1 ||
	    inet_pton(p->dest.family, p->dest.addr, bd) != 1)
		return vh_err(e, -EINVAL, "cannot list this host's addresses: %s",
			      strerror(EINVAL));
	if (p->source.family == p->dest.family) {
		r = vplan_addrs_local(p->source.family, want, 2, found, e);
	} else if ((r = vplan_addrs_local(p->source.family, want, 1, found, e)) == 0) {
		r = vplan_addrs_local(p->dest.family, want + 1, 1, found + 1, e);
	}
	if (r < 0)
		return vh_err_prefix(e, r, "cannot list this host's addresses");
	*ret_s = found[0];
	*ret_d = found[1];
	return 0;
}

int vplan_role(const struct vplan *p, vplan_is_local_fn is_local, void *ud,
	       enum vplan_role *ret, struct vh_error *e)
{
	int s = 0, d = 0, r;

	if (!is_local) {
		if ((r = role_lookup(p, &s, &d, e)) < 0)
			return r;
	} else {
		s = is_local(p->source.addr, p->source.family, ud);
		if (s < 0)
			return vh_err(e, s, "cannot list this host's addresses: %s", strerror(-s));
		d = is_local(p->dest.addr, p->dest.family, ud);
		if (d < 0)
			return vh_err(e, d, "cannot list this host's addresses: %s", strerror(-d));
	}
	if (s && d)
		return vh_err(e, -EINVAL, "plan is for hosts %s and %s; this host has both addresses",
			      p->source.addr, p->dest.addr);
	if (!s && !d)
		return vh_err(e, -EINVAL, "plan is for hosts %s and %s; this host has neither address",
			      p->source.addr, p->dest.addr);
	*ret = s ? VPLAN_ROLE_SOURCE : VPLAN_ROLE_DEST;
	return 0;
}
