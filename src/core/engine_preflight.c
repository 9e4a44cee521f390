/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * preflight (S, D): every check, nothing changed (docs/DESIGN.md, phase 1):
 * the VM and its LVs here, what D's libvirt can tell (check_peer), the
 * other moves' claims, DRBD's minors and resource, the port, D's VG.
 * prepare runs the same checks on its first run (checks_host,
 * checks_shared), and migrate asks check_domain again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "base/reach.h"
#include "core/engine_int.h"
#include "core/lvtable.h"
#include "core/reserve.h"
#include "virt/virt.h"

static int check_vm_lv(struct veng *g, const struct vplan_disk *d, struct vh_error *e)
{
	struct vlvm_lv_info li;
	int r;

	if ((r = g->ops->lv_info(g->ud, d->vg, d->lv, &li, e)) < 0)
		return r;
	if (li.size != d->size)
		return vh_err(e, -EINVAL, "%s/%s is %llu bytes, the plan says %llu", d->vg, d->lv,
			      (unsigned long long)li.size, (unsigned long long)d->size);
	if (!li.active)
		return vh_err(e, -ENXIO, "%s/%s is not active", d->vg, d->lv);
	return 0;
}

/* The VM's LV's live dm table: linear and striped only (lvtable.h: a .copy
 * of a stateful target would be its second live instance). */
static int check_lv_targets(struct veng *g, const struct vplan_disk *d, struct vh_error *e)
{
	struct vdm_table t = { 0 };
	char lvname[256];
	int r;

	eng_lv_dm(d, lvname, sizeof(lvname));
	if ((r = g->ops->dm_table(g->ud, lvname, &t, e)) < 0)
		return vh_err_prefix(e, r, "the dm table of %s/%s", d->vg, d->lv);
	r = vlvt_check(d->vg, d->lv, &t, e);
	vdm_table_free(&t);
	return r;
}

/* The minor and the resource must be free, unless the journal holds them. */
/* S: the VM's disks are still the plan's, each with a safe cache mode. */
/* How long S waits for D's migration port to answer (check_peer). */
#define PEER_REACH_MS 3000
#define PEER_MAX_IFACES 32

/* One more of D's problems in @buf ("; " between them); the first one's
 * code is kept in *@code. */
static void problem(char *buf, size_t len, int *code, int r, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void problem(char *buf, size_t len, int *code, int r, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (!*code)
		*code = r;
	if (n && n + 2 < len) {
		strcpy(buf + n, "; ");
		n += 2;
	}
	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/*
 * S, before anything changes: what D's libvirt can tell (docs/engine.md,
 * "What S asks of D").  A libvirt that cannot be reached is refused at
 * once; otherwise every problem found is named in one message: the VM's
 * name or UUID taken there, each network, bridge or interface the VM's
 * NICs use missing or down there, QEMU's migration port not answering
 * (native migration only: a tunnelled one goes through libvirt's own
 * connection).
 */
static int check_peer(struct veng *g, const char *xml, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct vvirt_iface ifs[PEER_MAX_IFACES];
	struct vh_error pe = { 0 };
	char list[400] = "", host[256];
	uint16_t port = VREACH_MIGRATION_PORT;
	size_t n = 0;
	int r, state, code = 0;

	if (!g->ops->net_state || !g->ops->tcp_reach)
		return 0;
	if ((r = vvirt_list_ifaces(xml, ifs, PEER_MAX_IFACES, &n, e)) < 0)
		return vh_err_prefix(e, r, "VM %s", p->vm_name);
	r = g->ops->vm_state(g->ud, VENG_PEER, p->vm_name, &state, &pe);
	if (r < 0 && r != -ENOENT && r != -EEXIST && g->ops->peer_close)
		g->ops->peer_close(g->ud);
	if (r < 0 && r != -ENOENT && r != -EEXIST) {
		*e = pe;
		return vh_err_prefix(e, r, "%s's libvirt (%s) cannot be asked whether it can take "
				     "VM %s", p->dest.host, p->migration.uri, p->vm_name);
	}
	if (r == 0)
		problem(list, sizeof(list), &code, -EEXIST, "VM %s (UUID %s) is already defined "
			"there (%s)", p->vm_name, p->vm_uuid, vvirt_state_name(state));
	else if (r == -EEXIST)
		problem(list, sizeof(list), &code, r, "%s", pe.msg);
	for (size_t i = 0; i < n; i++) {
		const char *what = vvirt_net_kind_name(ifs[i].kind);

		if (ifs[i].kind == VVIRT_NET_OTHER)
			continue;
		vh_err_clear(&pe);
		r = g->ops->net_state(g->ud, VENG_PEER, (int)ifs[i].kind, ifs[i].name, &pe);
		if (r == -ENOENT)
			problem(list, sizeof(list), &code, r, "%s %s (NIC %s) does not exist there",
				what, ifs[i].name, ifs[i].mac[0] ? ifs[i].mac : ifs[i].name);
		/* An inactive network: libvirt there would refuse to start the
		 * VM (exit 3, as missing).  A bridge or NIC whose link is down
		 * (libvirt says so of a bridge with no port yet) still takes
		 * the VM's tap: its existence is enough. */
		else if (r == -ENETDOWN && ifs[i].kind == VVIRT_NET_NETWORK)
			problem(list, sizeof(list), &code, -ENOENT, "network %s (NIC %s) is not "
				"active there", ifs[i].name, ifs[i].mac[0] ? ifs[i].mac : ifs[i].name);
		else if (r == -ENETDOWN)
			continue;
		else if (r < 0)
			problem(list, sizeof(list), &code, r, "%s %s cannot be checked there: %s",
				what, ifs[i].name, pe.msg[0] ? pe.msg : strerror(-r));
	}
	/* Where QEMU sends the memory: the plan's migrate URI, else D's
	 * libvirt's host and libvirt's first migration port. */
	if (!p->migration.tunnelled &&
	    (p->migration.migrate_uri[0] ?
	     vreach_qemu_uri(p->migration.migrate_uri, host, sizeof(host), &port) :
	     vreach_uri_host(p->migration.uri, host, sizeof(host))) == 0) {
		vh_err_clear(&pe);
		r = g->ops->tcp_reach(g->ud, host, port, PEER_REACH_MS, &pe);
		/* No raw socket here (CAP_NET_RAW dropped): not asked, rather
		 * than asked with a connection another move's QEMU might
		 * take for its stream (vreach_tcp). */
		if (r == -EPERM)
			r = 0;
		if (r < 0 && p->migration.migrate_uri[0])
			problem(list, sizeof(list), &code, r, "QEMU's migration address %s: %s",
				p->migration.migrate_uri, r == -ETIMEDOUT ? "no answer in 3 s" :
				strerror(-r));
		else if (r < 0)
			problem(list, sizeof(list), &code, r, "QEMU's migration port %u on %s: %s "
				"(open %u-%u there to this host, or plan --tunnelled)",
				VREACH_MIGRATION_PORT, host, r == -ETIMEDOUT ? "no answer in 3 s" :
				strerror(-r), VREACH_MIGRATION_PORT, VREACH_MIGRATION_PORT + 63);
	}
	if (g->ops->peer_close)
		g->ops->peer_close(g->ud);
	if (code)
		return vh_err(e, code, "%s (the destination) cannot take VM %s: %s", p->dest.host,
			      p->vm_name, list);
	return 0;
}

/* @peer: and what D's libvirt can tell (check_peer): preflight and
 * prepare, not migrate, which asks D itself. */
int eng_check_domain(struct veng *g, bool peer, struct vh_error *e)
{
	char *xml = NULL;
	int r;

	if ((r = g->ops->vm_xml(g->ud, VENG_HERE, g->plan->vm_name, &xml, e)) < 0)
		return vh_err_prefix(e, r, "VM %s", g->plan->vm_name);
	r = vplan_check_domain(g->plan, xml, e);
	if (r == 0 && peer)
		r = check_peer(g, xml, e);
	free(xml);
	return r;
}

/* The claims of the other moves on this host (none without the op). */
struct claims {
	struct vres_claim *c;
	size_t n;
};

static int claims_get(struct veng *g, struct claims *ret, struct vh_error *e)
{
	memset(ret, 0, sizeof(*ret));
	if (!g->ops->claims)
		return 0;
	return g->ops->claims(g->ud, &ret->c, &ret->n, e);
}

/* Is @minor free here for this move: no DRBD device of another resource, no
 * other move's claim?  1 free, 0 taken (*ret_why says by whom), or an error. */
static int minor_free(struct veng *g, const struct claims *cl, uint32_t minor, bool created,
		      char *why, size_t len, struct vh_error *e)
{
	const struct vres_claim *h = vres_minor(cl->c, cl->n, g->plan->resource, minor);
	struct drbdnl_status s;
	int r;

	if (h) {
		snprintf(why, len, "reserved by the move of VM %s (resource %s)", h->vm_name,
			 h->resource);
		return 0;
	}
	r = g->ops->drbd_status(g->ud, minor, &s, e);
	if (r == -ENXIO || r == -ENOENT || created)
		return 1;
	if (r < 0)
		return r;
	snprintf(why, len, "in use (resource %s)", s.resource);
	return 0;
}

/* D: a minor is local to its host, so D takes the first free one from the
 * plan's on (free of DRBD devices, other moves' claims and this plan's other
 * disks), recorded in the journal with the claim that follows. */
static int own_minor(struct veng *g, const struct claims *cl, size_t i, struct vh_error *e)
{
	char why[256];
	int r;

	for (uint32_t m = g->plan->disks[i].minor + 1; m <= VPLAN_MINOR_MAX &&
	     m < g->plan->disks[i].minor + VPLAN_SEARCH; m++) {
		bool mine = false;

		for (size_t k = 0; k < g->plan->n_disks; k++)
			mine |= k != i && g->plan->disks[k].minor == m;
		if (mine)
			continue;
		if ((r = minor_free(g, cl, m, false, why, sizeof(why), e)) < 0)
			return r;
		if (r == 0)
			continue;
		eng_local_plan(g)->disks[i].minor = m;
		g->st.disks[i].own_minor = m;
		g->st.disks[i].own_minor_set = true;
		return 0;
	}
	return vh_err(e, -EBUSY, "no free DRBD minor on this host after %u",
		      g->plan->disks[i].minor);
}

/* @choose (D's prepare): a minor taken here is replaced by a free one; in
 * D's preflight it is only no reason to refuse. */
static int check_drbd_free(struct veng *g, const struct claims *cl, bool choose,
			   struct vh_error *e)
{
	const struct vres_claim *h;
	char why[256];
	int r;

	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];

		r = minor_free(g, cl, d->minor, g->st.disks[i].minor_created, why, sizeof(why), e);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (!eng_is_s(g) && choose && (r = own_minor(g, cl, i, e)) < 0)
			return r;
		if (!eng_is_s(g))
			continue;
		return vh_err(e, -EBUSY, "DRBD minor %u is %s on this host", d->minor, why);
	}
	h = vres_resource(cl->c, cl->n, g->plan->resource);
	if (h && strcmp(h->vm_uuid, g->plan->vm_uuid))
		return vh_err(e, -EBUSY, "DRBD resource %s is claimed on this host by the move of "
			      "VM %s", g->plan->resource, h->vm_name);
	r = g->ops->drbd_res_exists(g->ud, g->plan->resource, e);
	if (r < 0)
		return r;
	if (r > 0 && !g->st.res_created)
		return vh_err(e, -EBUSY, "DRBD resource %s exists on this host and is not this move's",
			      g->plan->resource);
	return 0;
}

/* ---- preflight --------------------------------------------------------- */

/*
 * The plan's port must be free on this host's address: configured on no
 * DRBD resource but the move's own, and bindable as DRBD binds it.  When
 * the move's own resource already has it (prepare or bridge ran, a crash, a
 * phase run again), DRBD itself holds the port and the probe is skipped.
 */
static int check_port(struct veng *g, const struct claims *cl, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	const struct vplan_host *h = eng_is_s(g) ? &p->source : &p->dest;
	const struct vres_claim *c = vres_port(cl->c, cl->n, p->resource, p->port);
	char other[128] = "", who[160] = "";
	bool own = false;
	int r;

	if (c)
		return vh_err(e, -EBUSY, "port %u on %s is reserved by the move of VM %s (resource "
			      "%s, %s) on this host: another move uses this port on %s", p->port,
			      h->addr, c->vm_name, c->resource, vplan_role_name(c->role), h->host);
	r = g->ops->drbd_port_use(g->ud, p->port, p->resource, &own, other, sizeof(other), e);
	if (r < 0)
		return r;
	if (r > 0)
		return vh_err(e, -EBUSY, "port %u is configured on DRBD resource %s on this host "
			      "(%s): another DRBD resource uses this port on %s", p->port, other,
			      h->addr, h->host);
	if (own)
		return 0;
	r = g->ops->port_free(g->ud, h->addr, h->family, p->port, e);
	if (r == -EADDRINUSE && g->ops->port_holder &&
	    g->ops->port_holder(g->ud, p->port, who, sizeof(who)) == 0)
		return vh_err(e, r, "port %u on %s is in use on this host by %s: another program "
			      "uses this port on %s; the plan cannot use it", p->port, h->addr, who,
			      h->host);
	if (r == -EADDRINUSE)
		return vh_err(e, r, "port %u on %s is in use on this host: the plan cannot use it",
			      p->port, h->addr);
	return r;
}

/* D's LV must have exactly S's size: refused when D's extents cannot give it. */
int eng_check_extents(const struct vplan_disk *d, const struct vlvm_vg_info *vg,
		  struct vh_error *e)
{
	if (!vg->extent_size || d->size % vg->extent_size)
		return vh_err(e, -EINVAL, "VG %s has %llu-byte extents: it cannot give exactly "
			      "%llu bytes for %s", d->vg, (unsigned long long)vg->extent_size,
			      (unsigned long long)d->size, d->lv);
	return 0;
}

/* @choose: D's prepare may take its own minors (check_drbd_free). */
/* The checks against the other moves on this host (their claims, DRBD's
 * minors and resources, the port). */
int eng_checks_shared(struct veng *g, bool choose, struct vh_error *e)
{
	struct claims cl;
	int r;

	if ((r = claims_get(g, &cl, e)) < 0)
		return vh_err_prefix(e, r, "the other moves on this host");
	if ((r = check_drbd_free(g, &cl, choose, e)) == 0)
		r = check_port(g, &cl, e);
	free(cl.c);
	return r;
}

static int checks(struct veng *g, uint64_t *extent, bool choose, struct vh_error *e)
{
	int r = eng_checks_shared(g, choose, e);

	return r < 0 ? r : eng_checks_host(g, extent, e);
}

int eng_checks_host(struct veng *g, uint64_t *extent, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r, state;

	r = g->ops->vm_state(g->ud, VENG_HERE, p->vm_name, &state, e);
	if (eng_is_s(g)) {
		if (r < 0)
			return r;
		if (state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_PAUSED)
			return vh_err(e, -EINVAL, "VM %s is not running on this host", p->vm_name);
		if ((r = eng_check_domain(g, true, e)) < 0)
			return r;
		for (size_t i = 0; i < p->n_disks; i++)
			if ((r = check_vm_lv(g, &p->disks[i], e)) < 0 ||
			    (r = check_lv_targets(g, &p->disks[i], e)) < 0)
				return r;
		return 0;
	}
	if (r == 0)
		return vh_err(e, -EEXIST, "VM %s is already defined on this host (the destination)",
			      p->vm_name);
	if (r != -ENOENT)
		return r;
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct vplan_disk *d = &p->disks[i];
		struct vlvm_vg_info vg;
		struct vlvm_lv_info li;

		if ((r = g->ops->vg_info(g->ud, d->vg, &vg, e)) < 0)
			return r;
		if ((r = eng_check_extents(d, &vg, e)) < 0)
			return r;
		if (extent)
			extent[i] = vg.extent_size;
		r = g->ops->lv_info(g->ud, d->vg, d->lv, &li, e);
		if (r == 0 && !g->st.disks[i].lv_created)
			return vh_err(e, -EEXIST, "%s/%s already exists on this host", d->vg, d->lv);
		if (r < 0 && r != -ENOENT)
			return r;
		if (r == -ENOENT && vg.free < d->size + d->md_bytes)
			return vh_err(e, -ENOSPC, "VG %s has %llu bytes free, the move needs %llu",
				      d->vg, (unsigned long long)vg.free,
				      (unsigned long long)(d->size + d->md_bytes));
	}
	return 0;
}

int eng_preflight(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	(void)res;
	return checks(g, NULL, false, e);
}
