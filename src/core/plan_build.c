/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Building a plan on S: inspect the VM (libvirt), its disks (LVM), and the
 * host (DRBD's minors and ports, the route to D), then fill every field.
 * The host is reached through one seam, struct vplan_host_ops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/uri.h"
#include "core/lvtable.h"
#include "core/plan.h"
#include "dm/dm.h"
#include "meta/meta.h"
#include "netlink/drbdnl.h"
#include "virt/virt.h"

#define DEFAULT_LOCAL_URI "qemu:///system"
#define SECRET_BYTES 24		/* 48 hex characters: fits SHARED_SECRET_MAX */
#define MAX_DOMAIN_DISKS 64

/* ---- the real host ----------------------------------------------------- */

static int real_resolve(const char *name, int family, char *ret, size_t len, int *ret_family,
			struct vh_error *e)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM }, *res = NULL;
	int r = getaddrinfo(name, NULL, &hints, &res);

	if (r != 0)
		return vh_err(e, r == EAI_NONAME || r == EAI_NODATA ? -ENOENT :
				 r == EAI_SYSTEM ? -errno : -EHOSTUNREACH,
			      "cannot resolve '%s': %s", name, gai_strerror(r));
	r = getnameinfo(res->ai_addr, res->ai_addrlen, ret, (socklen_t)len, NULL, 0,
			NI_NUMERICHOST);
	if (r == 0)
		*ret_family = res->ai_family;
	freeaddrinfo(res);
	if (r != 0)
		return vh_err(e, -EINVAL, "cannot print the address of '%s': %s", name,
			      gai_strerror(r));
	return 0;
}

static int push_u32(uint32_t **arr, size_t *n, uint32_t v)
{
	uint32_t *a = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!a)
		return -ENOMEM;
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

static int real_drbd_used(struct vplan_used *ret, struct vh_error *e)
{
	struct drbdnl_status *st = NULL;
	struct drbdnl *h;
	size_t n = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = drbdnl_open(&h, e)) < 0)
		return r;
	r = drbdnl_get_status_all(h, NULL, &st, &n, e);
	drbdnl_close(h);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct drbdnl_addr *a = &st[i].my_addr;
		bool seen = false;

		if (st[i].minor != DRBDNL_ALL_MINORS)
			r = push_u32(&ret->minors, &ret->n_minors, st[i].minor);
		if (r == 0 && vplan_addr_port(a))
			r = push_u32(&ret->ports, &ret->n_ports, vplan_addr_port(a));
		/* A name longer than ours can never be one of ours. */
		seen = strnlen(st[i].resource, sizeof(st[i].resource)) > VNAME_RESOURCE_MAX;
		for (size_t j = 0; j < ret->n_resources; j++)
			seen = seen || !strcmp(ret->resources[j], st[i].resource);
		if (r == 0 && !seen) {
			void *p = realloc(ret->resources, (ret->n_resources + 1) *
							  sizeof(*ret->resources));

			if (!p) {
				r = -ENOMEM;
				break;
			}
			ret->resources = p;
			memcpy(ret->resources[ret->n_resources], st[i].resource,
			       strlen(st[i].resource) + 1);
			ret->n_resources++;
		}
	}
	free(st);
	if (r < 0) {
		vplan_used_free(ret);
		return vh_err(e, r, "out of memory");
	}
	return 0;
}

uint16_t vplan_addr_port(const struct drbdnl_addr *a)
{
	if (!a->len)
		return 0;
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

int vplan_port_free(const char *addr, int family, uint16_t port, struct vh_error *e)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	void *bin;
	int fd, r = 0;

	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		bin = &s4->sin_addr;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		bin = &s6->sin6_addr;
		sl = sizeof(*s6);
	}
	if (inet_pton(family, addr, bin) != 1)
		return vh_err(e, -EINVAL, "'%s' is not a numeric address", addr);
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vh_err(e, -errno, "socket: %s", strerror(errno));
	/* SO_REUSEADDR, as DRBD's own sockets have (drbd_receiver.c sets
	 * sk_reuse on its listening and connecting sockets): a listener on the
	 * port, or a socket bound there without it, makes bind fail, as it
	 * would make DRBD's; a connection in TIME_WAIT, left by a resource just
	 * taken down, does not (it does not stop DRBD either).  The ports
	 * DRBD's resources are configured with are checked apart (port_ok). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0) {
		r = vh_err(e, -errno, "setsockopt SO_REUSEADDR: %s", strerror(errno));
		close(fd);
		return r;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		r = errno == EADDRINUSE ? vh_err(e, -EADDRINUSE, "port %u on %s is in use", port, addr)
					: vh_err(e, -errno, "bind %s:%u: %s", addr, port,
						 strerror(errno));
	close(fd);
	return r;
}

static int real_random(void *buf, size_t len, struct vh_error *e)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vh_err(e, -errno, "getrandom: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* What the kernel maps the LV to, not what LVM's metadata says. */
static int real_lv_table(const char *vg, const char *lv, struct vdm_table *ret,
			 struct vh_error *e)
{
	char name[DM_NAME_LEN];
	struct vdm_ctl c;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int r;

	vlvm_dm_name(vg, lv, name, sizeof(name));
	if ((r = vdm_open(&c, e)) < 0)
		return r;
	r = vdm_table_get(&c, &ref, false, ret, e);
	vdm_close(&c);
	return r;
}

const struct vplan_host_ops vplan_host_real = {
	.resolve = real_resolve,
	.route_source = vplan_route_source,
	.drbd_used = real_drbd_used,
	.port_free = vplan_port_free,
	.random = real_random,
	.lv_table = real_lv_table,
};

void vplan_used_free(struct vplan_used *u)
{
	if (!u)
		return;
	free(u->minors);
	free(u->ports);
	free(u->resources);
	memset(u, 0, sizeof(*u));
}

/* ---- disks ------------------------------------------------------------- */

/* The VG and LV of a disk's source: /dev/VG/LV or /dev/mapper/VG-LV. */
static int source_lv(const struct vvirt_disk *d, char *vg, char *lv, struct vh_error *e)
{
	struct vh_error sub = { 0 };
	int r;

	if (!strncmp(d->source, "/dev/mapper/", 12))
		r = vname_split_dm(d->source + 12, vg, lv, &sub);
	else if (!strncmp(d->source, "/dev/", 5) && strchr(d->source + 5, '/'))
		r = vlvm_split_path(d->source, vg, lv, &sub);
	else
		r = -EINVAL;
	if (r < 0)
		return vh_err(e, -EINVAL, "disk %s (%s) is not an LV: vmhop moves only disks on "
			      "local LVM logical volumes", d->target, d->source);
	return 0;
}

/* Writable media: disks and LUNs that are not read-only (not cdrom, floppy). */
static bool writable(const struct vvirt_disk *d)
{
	return (!strcmp(d->device, "disk") || !strcmp(d->device, "lun")) && !d->readonly;
}

/* Each writable disk of the domain @xml to @fn, in the XML's order, until
 * @fn fails (its error is returned). */
typedef int (*disk_fn)(const struct vvirt_disk *d, void *arg, struct vh_error *e);

static int each_writable_disk(const char *xml, disk_fn fn, void *arg, struct vh_error *e)
{
	struct vvirt_disk *disks;
	size_t n = 0;
	int r;

	disks = calloc(MAX_DOMAIN_DISKS, sizeof(*disks));
	if (!disks)
		return vh_err(e, -ENOMEM, "out of memory");
	r = vvirt_list_disks(xml, disks, MAX_DOMAIN_DISKS, &n, e);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (writable(&disks[i]))	/* not cdrom, floppy, read-only */
			r = fn(&disks[i], arg, e);
	free(disks);
	return r;
}

struct check_ctx {
	const struct vplan *p;
	bool seen[VPLAN_MAX_DISKS];
};

/* A writable disk of the running VM: one of the plan's, with a safe cache. */
static int check_disk(const struct vvirt_disk *d, void *arg, struct vh_error *e)
{
	struct check_ctx *c = arg;
	const struct vplan *p = c->p;
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1];
	size_t j;
	int r;

	if (strcmp(d->type, "block") || source_lv(d, vg, lv, NULL) < 0)
		return vh_err(e, -EINVAL, "disk %s (%s) of VM %s is not in the plan and not an "
			      "LV: it would not move", d->target, d->source, p->vm_name);
	for (j = 0; j < p->n_disks; j++)
		if (!strcmp(p->disks[j].vg, vg) && !strcmp(p->disks[j].lv, lv))
			break;
	if (j == p->n_disks)
		return vh_err(e, -EINVAL, "disk %s (%s/%s) of VM %s is not in the plan (added "
			      "since?): it would not move; make a new plan", d->target, vg, lv,
			      p->vm_name);
	if ((r = vvirt_check_cache(d, false, e)) < 0)
		return r;
	c->seen[j] = true;
	return 0;
}

int vplan_check_domain(const struct vplan *p, const char *xml, struct vh_error *e)
{
	struct check_ctx c = { .p = p };
	char uuid[VNAME_UUID_LEN + 1];
	int r;

	/* The plan's VM, not another of the same name. */
	if ((r = vvirt_domain_uuid(xml, uuid, sizeof(uuid), e)) < 0)
		return r;
	if (strcasecmp(uuid, p->vm_uuid))
		return vh_err(e, -EINVAL, "VM %s has UUID %s, the plan's has %s: another VM of that "
			      "name; make a new plan", p->vm_name, uuid, p->vm_uuid);
	if ((r = each_writable_disk(xml, check_disk, &c, e)) < 0)
		return r;
	for (size_t j = 0; j < p->n_disks; j++)
		if (!c.seen[j])
			return vh_err(e, -EINVAL, "the plan's disk %s/%s is no longer a writable disk "
				      "of VM %s: make a new plan", p->disks[j].vg, p->disks[j].lv,
				      p->vm_name);
	return 0;
}

struct plan_ctx {
	struct vplan *p;
	const struct vplan_host_ops *ops;
	struct vlvm *lvm;	/* opened for the first LV */
};

/* The LV's live dm table: linear and striped only (lvtable.h). */
static int plan_lv_table(const struct plan_ctx *c, const struct vplan_disk *pd,
			 struct vh_error *e)
{
	struct vdm_table t = { 0 };
	int r;

	if ((r = c->ops->lv_table(pd->vg, pd->lv, &t, e)) < 0)
		return vh_err_prefix(e, r, "the dm table of %s/%s", pd->vg, pd->lv);
	r = vlvt_check(pd->vg, pd->lv, &t, e);
	vdm_table_free(&t);
	return r;
}

/* A writable disk of the VM: it must be an LV that can move; into the plan. */
static int plan_disk(const struct vvirt_disk *d, void *arg, struct vh_error *e)
{
	struct plan_ctx *c = arg;
	struct vplan *p = c->p;
	struct vplan_disk *pd;
	struct vlvm_lv_info li;
	int r;

	if (strcmp(d->type, "block"))
		return vh_err(e, -EINVAL, "disk %s (type='%s'%s%s) is not on an LV: vmhop moves "
			      "only disks on local LVM logical volumes", d->target, d->type,
			      d->source[0] ? ", " : "", d->source);
	if (d->shareable)
		return vh_err(e, -EINVAL, "disk %s (%s) is shareable: another VM may write it "
			      "and it cannot move with this one", d->target, d->source);
	if (p->n_disks == VPLAN_MAX_DISKS)
		return vh_err(e, -EINVAL, "the VM has more than %d writable disks", VPLAN_MAX_DISKS);
	pd = &p->disks[p->n_disks];
	if ((r = source_lv(d, pd->vg, pd->lv, e)) < 0 || (r = vvirt_check_cache(d, false, e)) < 0)
		return r;
	for (size_t j = 0; j < p->n_disks; j++)
		if (!strcmp(p->disks[j].vg, pd->vg) && !strcmp(p->disks[j].lv, pd->lv))
			return vh_err(e, -EINVAL, "disks %s and %s are the same LV %s/%s",
				      p->disks[j].target, d->target, pd->vg, pd->lv);
	if (!c->lvm && (r = vlvm_open(&c->lvm, e)) < 0)
		return r;
	r = vlvm_lv_info(c->lvm, pd->vg, pd->lv, &li, e);
	if (r == -ENOENT)
		return vh_err(e, -EINVAL, "disk %s (%s) is not an LV that LVM knows: vmhop moves "
			      "only disks on local LVM logical volumes", d->target, d->source);
	if (r < 0 || (r = plan_lv_table(c, pd, e)) < 0)
		return r;
	snprintf(pd->target, sizeof(pd->target), "%s", d->target[0] ? d->target : "?");
	pd->size = li.size;
	pd->volume = (uint32_t)p->n_disks;
	p->n_disks++;
	return 0;
}

/* Fill @p's disks from the domain's; refuse any writable disk that cannot move. */
static int plan_disks(struct vplan *p, const char *xml, const struct vplan_host_ops *ops,
		      struct vh_error *e)
{
	struct plan_ctx c = { .p = p, .ops = ops };
	int r = each_writable_disk(xml, plan_disk, &c, e);

	vlvm_close(c.lvm);
	if (r == 0 && p->n_disks == 0)
		r = vh_err(e, -EINVAL, "the VM has no writable disk on an LV: nothing to move");
	return r;
}

/* ---- minors, port, names ------------------------------------------------ */

static bool in_list(const uint32_t *a, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

static int pick_minors(struct vplan *p, const struct vplan_used *u, int64_t first,
		       struct vh_error *e)
{
	uint32_t m;

	if (first >= 0) {
		if ((uint64_t)first + p->n_disks - 1 > VPLAN_MINOR_MAX)
			return vh_err(e, -ERANGE, "minor %" PRId64 ": minors go up to %u", first,
				      VPLAN_MINOR_MAX);
		for (size_t i = 0; i < p->n_disks; i++) {
			m = (uint32_t)first + (uint32_t)i;
			if (in_list(u->minors, u->n_minors, m))
				return vh_err(e, -EBUSY, "DRBD minor %u is in use or claimed by another "
					      "move on this host", m);
			p->disks[i].minor = m;
		}
		return 0;
	}
	m = VPLAN_DEFAULT_MINOR;
	for (size_t i = 0; i < p->n_disks; i++) {
		while (in_list(u->minors, u->n_minors, m) && m < VPLAN_DEFAULT_MINOR + VPLAN_SEARCH)
			m++;
		if (m >= VPLAN_DEFAULT_MINOR + VPLAN_SEARCH)
			return vh_err(e, -EBUSY, "no free DRBD minor in %u..%u", VPLAN_DEFAULT_MINOR,
				      VPLAN_DEFAULT_MINOR + VPLAN_SEARCH - 1);
		p->disks[i].minor = m++;
	}
	return 0;
}

static int port_ok(const struct vplan *p, const struct vplan_host_ops *ops,
		   const struct vplan_used *u, uint32_t port, struct vh_error *e)
{
	if (in_list(u->ports, u->n_ports, port))
		return vh_err(e, -EADDRINUSE, "port %u is used by a DRBD resource or claimed by "
			      "another move on this host", port);
	return ops->port_free(p->source.addr, p->source.family, (uint16_t)port, e);
}

static int pick_port(struct vplan *p, const struct vplan_host_ops *ops, const struct vplan_used *u,
		     uint32_t want, struct vh_error *e)
{
	int r;

	if (want) {
		if (want > 65535)
			return vh_err(e, -ERANGE, "port %u: ports go up to 65535", want);
		if ((r = port_ok(p, ops, u, want, e)) < 0)
			return r;
		p->port = (uint16_t)want;
		return 0;
	}
	for (uint32_t port = VPLAN_DEFAULT_PORT; port < VPLAN_DEFAULT_PORT + VPLAN_SEARCH; port++) {
		r = port_ok(p, ops, u, port, e);
		if (r == 0) {
			p->port = (uint16_t)port;
			return 0;
		}
		if (r != -EADDRINUSE)
			return r;
	}
	return vh_err(e, -EADDRINUSE, "no free port in %u..%u", VPLAN_DEFAULT_PORT,
		      VPLAN_DEFAULT_PORT + VPLAN_SEARCH - 1);
}

static int host_name(struct vplan_host *h, const char *name)
{
	snprintf(h->host, sizeof(h->host), "%s", name && *name ? name : h->addr);
	for (const char *c = h->host; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == ':' || *c == '_'))
			return -EINVAL;
	return 0;
}

static int plan_addresses(struct vplan *p, const struct vplan_request *req,
			  const struct vplan_host_ops *ops, struct vh_error *e)
{
	unsigned char bin[16];
	char hn[256] = "";
	int family = AF_UNSPEC, r;

	if (req->local_addr) {
		if (inet_pton(AF_INET, req->local_addr, bin) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, req->local_addr, bin) == 1)
			family = AF_INET6;
		else
			return vh_err(e, -EINVAL, "--local-addr '%s' is not a numeric address",
				      req->local_addr);
		snprintf(p->source.addr, sizeof(p->source.addr), "%s", req->local_addr);
		p->source.family = family;
	}
	if ((r = ops->resolve(req->dest, family, p->dest.addr, sizeof(p->dest.addr),
			      &p->dest.family, e)) < 0)
		return r;
	if (!req->local_addr) {
		if ((r = ops->route_source(p->dest.addr, p->dest.family, p->source.addr,
					   sizeof(p->source.addr), e)) < 0)
			return r;
		p->source.family = p->dest.family;
	}
	if (!strcmp(p->source.addr, p->dest.addr))
		return vh_err(e, -EINVAL, "%s (%s) is this host: the destination must be another "
			      "host", req->dest, p->dest.addr);
	if (host_name(&p->dest, req->dest) < 0)
		return vh_err(e, -EINVAL, "destination '%s' is not a host name", req->dest);
	if (gethostname(hn, sizeof(hn) - 1) < 0 || host_name(&p->source, hn) < 0)
		(void)host_name(&p->source, NULL);
	return 0;
}

static void drbd_defaults(struct vplan_drbd *d)
{
	/* c-plan-ahead 0: the fixed resync-rate applies, so a move's sync rate
	 * is what the operator asked for.  c-min-rate 0: DRBD never slows the
	 * resync down for the application's I/O (its default, 250 KiB/s, does
	 * whenever it sees any: 11-12 against 14-15 MiB/s for 200 MiB in the
	 * lab, tools/bench/resync.sh; the move is the point, and resync-rate
	 * still caps it).  The rest are DRBD 8.4's defaults. */
	snprintf(d->protocol, sizeof(d->protocol), "C");
	snprintf(d->cram_hmac_alg, sizeof(d->cram_hmac_alg), "sha256");
	d->resync_rate = 102400;
	d->c_plan_ahead = 0;
	d->c_delay_target = 10;
	d->c_fill_target = 100;
	d->c_max_rate = 102400;
	d->c_min_rate = 0;
	snprintf(d->after_sb_0pri, sizeof(d->after_sb_0pri), "disconnect");
	snprintf(d->after_sb_1pri, sizeof(d->after_sb_1pri), "disconnect");
	snprintf(d->after_sb_2pri, sizeof(d->after_sb_2pri), "disconnect");
	snprintf(d->rr_conflict, sizeof(d->rr_conflict), "disconnect");
}

static int plan_secret(struct vplan *p, const struct vplan_host_ops *ops, struct vh_error *e)
{
	unsigned char raw[SECRET_BYTES];
	int r;

	if ((r = ops->random(raw, sizeof(raw), e)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(p->drbd.shared_secret + 2 * i, 3, "%02x", raw[i]);
	memset(raw, 0, sizeof(raw));
	return 0;
}

/* @u += @add (the other moves' claims). */
static int add_reserved(struct vplan_used *u, const struct vplan_used *add, struct vh_error *e)
{
	uint32_t *m, *p;
	void *rs;

	if (!add)
		return 0;
	m = realloc(u->minors, (u->n_minors + add->n_minors + 1) * sizeof(*m));
	if (m)
		u->minors = m;
	p = realloc(u->ports, (u->n_ports + add->n_ports + 1) * sizeof(*p));
	if (p)
		u->ports = p;
	rs = realloc(u->resources, (u->n_resources + add->n_resources + 1) * sizeof(*u->resources));
	if (rs)
		u->resources = rs;
	if (!m || !p || !rs)
		return vh_err(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < add->n_minors; i++)
		u->minors[u->n_minors++] = add->minors[i];
	for (size_t i = 0; i < add->n_ports; i++)
		u->ports[u->n_ports++] = add->ports[i];
	for (size_t i = 0; i < add->n_resources; i++)
		memcpy(u->resources[u->n_resources++], add->resources[i], sizeof(*u->resources));
	return 0;
}

#define NONCE_TRIES	16

/* The move's resource: the UUID's first 8 hex digits and a nonce drawn for
 * this plan, drawn again while DRBD or another move has that name (two VMs
 * whose UUIDs share their first 8 hex digits, or the same VM planned again,
 * never share a resource); then the names derived from it. */
static int plan_resource(struct vplan *p, const struct vplan_host_ops *ops,
			 const struct vplan_used *u, struct vh_error *e)
{
	bool taken = true;
	int r, tries;

	for (tries = 0; taken && tries < NONCE_TRIES; tries++) {
		uint32_t nonce;

		if ((r = ops->random(&nonce, sizeof(nonce), e)) < 0 ||
		    (r = vname_resource_move(p->vm_uuid, nonce, p->resource, sizeof(p->resource),
					     e)) < 0)
			return r;
		taken = false;
		for (size_t i = 0; i < u->n_resources; i++)
			taken |= !strcmp(u->resources[i], p->resource);
	}
	if (taken)
		return vh_err(e, -EBUSY, "no free DRBD resource name for VM %s after %d draws "
			      "(last %s)", p->vm_name, NONCE_TRIES, p->resource);
	for (size_t i = 0; i < p->n_disks; i++) {
		struct vplan_disk *d = &p->disks[i];

		if ((r = vname_copy(p->resource, d->volume, d->copy, sizeof(d->copy), e)) < 0 ||
		    (r = vname_md_lv(d->vg, p->resource, d->volume, d->md_lv, sizeof(d->md_lv),
				     e)) < 0)
			return r;
		d->md_index = VMETA_INDEX_FLEX;
		if ((r = vmeta_min_md_bytes(d->md_index, d->size, &d->md_bytes, e)) < 0)
			return r;
	}
	return 0;
}

/* ---- the whole plan ---------------------------------------------------- */

static int plan_vm(struct vplan *p, const struct vplan_request *req,
		   const struct vplan_host_ops *ops, struct vh_error *e)
{
	struct vvirt_conn *c = NULL;
	struct vvirt_dom *d = NULL;
	char *xml = NULL, uuid[64];
	int r, st, reason;

	if ((r = vvirt_open(req->local_uri ? req->local_uri : DEFAULT_LOCAL_URI, VVIRT_OPEN_LOCAL, &c,
			    e)) < 0)
		return r;
	if ((r = vvirt_lookup(c, req->vm, &d, e)) < 0)
		goto out;
	if ((r = vvirt_state(d, &st, &reason, e)) < 0)
		goto out;
	if (st != VIR_DOMAIN_RUNNING && st != VIR_DOMAIN_PAUSED) {
		r = vh_err(e, -EINVAL, "VM %s is %s: only a running VM moves live", req->vm,
			   vvirt_state_name(st));
		goto out;
	}
	if ((r = vvirt_xml(d, &xml, e)) < 0)
		goto out;
	if ((r = vvirt_domain_uuid(xml, uuid, sizeof(uuid), e)) < 0)
		goto out;
	if ((r = vname_check_uuid(uuid, e)) < 0) {
		vh_err_prefix(e, r, "VM %s", req->vm);
		goto out;
	}
	memcpy(p->vm_uuid, uuid, VNAME_UUID_LEN + 1);
	if (snprintf(p->vm_name, sizeof(p->vm_name), "%s", req->vm) >= (int)sizeof(p->vm_name)) {
		r = vh_err(e, -ENAMETOOLONG, "VM name is longer than %zu bytes",
			   sizeof(p->vm_name) - 1);
		goto out;
	}
	r = plan_disks(p, xml, ops, e);
out:
	free(xml);
	vvirt_dom_free(d);
	vvirt_close(c);
	return r;
}

int vplan_build(const struct vplan_request *req, const struct vplan_host_ops *ops,
		struct vplan *ret, struct vh_error *e)
{
	struct vplan_used used = { 0 };
	struct drbdnl_conf c = { 0 };
	struct vplan *p;
	int r;

	if (!ops)
		ops = &vplan_host_real;
	if (!req->vm || !*req->vm || !req->dest || !*req->dest)
		return vh_err(e, -EINVAL, "a plan needs a VM and a destination");
	p = calloc(1, sizeof(*p));
	if (!p)
		return vh_err(e, -ENOMEM, "out of memory");
	p->version = VPLAN_VERSION;
	if (req->dest_uri)
		r = snprintf(p->migration.uri, sizeof(p->migration.uri), "%s", req->dest_uri);
	else
		r = snprintf(p->migration.uri, sizeof(p->migration.uri),
			     strchr(req->dest, ':') ? "qemu+ssh://[%s]/system" : "qemu+ssh://%s/system",
			     req->dest);
	if (r < 0 || (size_t)r >= sizeof(p->migration.uri)) {
		r = vh_err(e, -ENAMETOOLONG, "libvirt URI is too long");
		goto out;
	}
	/* Before anything is asked of libvirt (vplan_validate checks it again). */
	if ((r = vuri_check_migration(p->migration.uri, req->dest_uri ? "--dest-uri" :
				      "the libvirt URI of --to", e)) < 0)
		goto out;
	drbd_defaults(&p->drbd);
	if (req->resync_rate) {
		if ((r = drbdnl_conf_set_text(&c, "resync-rate", req->resync_rate, e)) < 0)
			goto out;
		p->drbd.resync_rate = (uint32_t)drbdnl_conf_num(&c, DRBDNL_DISK_RESYNC_RATE);
	}
	p->timeouts = (struct vplan_timeouts){ .connect = 60, .sync = 86400, .stall = 120,
					       .migrate = 3600, .gate = 300 };
	p->migration.max_downtime_ms = req->max_downtime_ms;
	p->migration.bandwidth_mib = req->bandwidth_mib;
	p->migration.keep_source = req->keep_source;
	p->migration.on_link_loss = req->on_link_loss;
	p->migration.tunnelled = req->tunnelled;
	p->migration.auto_converge = req->auto_converge;
	p->migration.overlap_s = req->overlap_s;
	p->migration.parallel = req->parallel;
	snprintf(p->migration.compression, sizeof(p->migration.compression), "%s",
		 req->compression ? req->compression : "");
	p->migration.completion = req->completion;
	p->migration.completion_after_s = req->completion_after_s;
	if (req->migrate_uri && (size_t)snprintf(p->migration.migrate_uri,
						  sizeof(p->migration.migrate_uri), "%s",
						  req->migrate_uri) >= sizeof(p->migration.migrate_uri)) {
		r = vh_err(e, -ENAMETOOLONG, "--migrate-uri is longer than %zu bytes",
			   sizeof(p->migration.migrate_uri) - 1);
		goto out;
	}
	/* Before anything is asked of libvirt (vplan_validate checks it again). */
	if ((r = vplan_check_controls(&p->migration, e)) < 0)
		goto out;

	if ((r = plan_vm(p, req, ops, e)) < 0)
		goto out;
	if ((r = plan_addresses(p, req, ops, e)) < 0)
		goto out;
	if ((r = ops->drbd_used(&used, e)) < 0 || (r = add_reserved(&used, req->reserved, e)) < 0)
		goto out;
	if ((r = plan_resource(p, ops, &used, e)) < 0)
		goto out;
	if ((r = pick_minors(p, &used, req->minor, e)) < 0 ||
	    (r = pick_port(p, ops, &used, req->port, e)) < 0 ||
	    (r = plan_secret(p, ops, e)) < 0)
		goto out;
	if ((r = vplan_validate(p, e)) < 0) {
		vh_err_prefix(e, r, "the plan built for VM %s", p->vm_name);
		goto out;
	}
	*ret = *p;
out:
	vplan_used_free(&used);
	memset(p, 0, sizeof(*p));
	free(p);
	return r;
}
