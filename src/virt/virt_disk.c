/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding the disk backed by an LV in a domain's XML (libxml2, loaded on
 * first use: vvirt_libxml), and the cache check.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "lvm/lvm.h"
#include "virt/virt-int.h"

static void copy_attr(xmlNodePtr n, const char *attr, char *buf, size_t len)
{
	xmlChar *v = n ? vvirt_libxml.get_prop(n, (const xmlChar *)attr) : NULL;

	buf[0] = '\0';
	if (v) {
		snprintf(buf, len, "%s", (const char *)v);
		(*vvirt_libxml.free_fn)(v);
	}
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    !vvirt_libxml.str_cmp(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

/* A value that filled its buffer may have been cut short by copy_attr(): a
 * source path cut short could name another device, so it is refused. */
#define FILLED(buf) (strlen(buf) == sizeof(buf) - 1)

/* 0, or -ENAMETOOLONG if an attribute does not fit struct vvirt_disk. */
static int read_disk(xmlNodePtr n, struct vvirt_disk *d)
{
	xmlNodePtr src = child(n, "source"), tgt = child(n, "target"), drv = child(n, "driver");

	memset(d, 0, sizeof(*d));
	copy_attr(n, "type", d->type, sizeof(d->type));
	copy_attr(n, "device", d->device, sizeof(d->device));
	if (!d->device[0])
		strcpy(d->device, "disk");	/* libvirt's default */
	if (src) {
		copy_attr(src, "dev", d->source, sizeof(d->source));
		if (!d->source[0])
			copy_attr(src, "file", d->source, sizeof(d->source));
	}
	copy_attr(tgt, "dev", d->target, sizeof(d->target));
	copy_attr(tgt, "bus", d->bus, sizeof(d->bus));
	copy_attr(drv, "cache", d->cache, sizeof(d->cache));
	copy_attr(drv, "io", d->io, sizeof(d->io));
	copy_attr(drv, "type", d->format, sizeof(d->format));
	d->shareable = child(n, "shareable") != NULL;
	d->readonly = child(n, "readonly") != NULL;
	if (FILLED(d->type) || FILLED(d->device) || FILLED(d->source) || FILLED(d->target) ||
	    FILLED(d->bus) || FILLED(d->cache) || FILLED(d->io) || FILLED(d->format))
		return -ENAMETOOLONG;
	return 0;
}

/* "/dev/VG/LV" -> "/dev/mapper/VG-LV"; 0 if @p is not of that form. */
static int lv_to_mapper(const char *p, char *buf, size_t len)
{
	char vg[VLVM_NAME_MAX + 1], lv[VLVM_NAME_MAX + 1], dm[300];

	if (strncmp(p, "/dev/", 5) || !strncmp(p, "/dev/mapper/", 12))
		return 0;
	if (vlvm_split_path(p, vg, lv, NULL) < 0)
		return 0;
	if (vlvm_dm_name(vg, lv, dm, sizeof(dm)) < 0)
		return 0;
	snprintf(buf, len, "/dev/mapper/%s", dm);
	return 1;
}

static bool same_path(const char *a, const char *b)
{
	char ma[320], mb[320], ra[PATH_MAX], rb[PATH_MAX];

	if (!strcmp(a, b))
		return true;
	if (lv_to_mapper(a, ma, sizeof(ma)) && !strcmp(ma, b))
		return true;
	if (lv_to_mapper(b, mb, sizeof(mb)) && !strcmp(mb, a))
		return true;
	/* Both exist on this host: the same node? */
	if (realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb))
		return true;
	return false;
}

static bool lv_backed(const struct vvirt_disk *d)
{
	char m[320];

	if (strcmp(d->type, "block") || strcmp(d->device, "disk"))
		return false;
	if (!strncmp(d->source, "/dev/mapper/", 12))
		return strchr(d->source + 12, '-') != NULL;
	return lv_to_mapper(d->source, m, sizeof(m));
}

/* One XPath query on the domain XML: the document, its context and the
 * result, all released by query_done(). */
struct query {
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
};

static void query_done(struct query *q)
{
	vvirt_libxml.xpath_free_object(q->obj);
	vvirt_libxml.xpath_free_context(q->ctx);
	vvirt_libxml.free_doc(q->doc);
}

static int query(const char *xml, const char *expr, struct query *q, struct vh_error *e)
{
	int r;

	memset(q, 0, sizeof(*q));
	if (!xml)
		return vh_err(e, -EINVAL, "no domain XML");
	if ((r = vvirt_libxml_ready(e)) < 0)
		return r;
	q->doc = vvirt_libxml.read_memory(xml, (int)strlen(xml), "domain.xml", NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!q->doc)
		return vh_err(e, -EBADMSG, "domain XML does not parse");
	q->ctx = vvirt_libxml.xpath_new_context(q->doc);
	if (q->ctx)
		q->obj = vvirt_libxml.xpath_eval((const xmlChar *)expr, q->ctx);
	if (!q->obj) {
		query_done(q);
		return vh_err(e, -ENOMEM, "XPath evaluation failed");
	}
	return 0;
}

/* Calls @fn for each <disk> of @xml until it returns non-zero (returned). */
static int each_disk(const char *xml, int (*fn)(const struct vvirt_disk *d, void *ud), void *ud,
		     struct vh_error *e)
{
	struct query q;
	xmlNodeSetPtr set;
	struct vvirt_disk d;
	int r;

	if ((r = query(xml, "/domain/devices/disk", &q, e)) < 0)
		return r;
	set = q.obj->nodesetval;
	for (int i = 0; set && i < set->nodeNr && !r; i++) {
		if (read_disk(set->nodeTab[i], &d) < 0) {
			r = vh_err(e, -ENAMETOOLONG, "disk %d of the domain XML (source '%.60s...'): "
				   "an attribute is longer than vmhop handles (a source: at most "
				   "%zu bytes)", i + 1, d.source, sizeof(d.source) - 2);
			break;
		}
		r = fn(&d, ud);
	}
	query_done(&q);
	return r;
}

struct find {
	const char *want;
	struct vvirt_disk found;
	int n;
};

static int find_one(const struct vvirt_disk *d, void *ud)
{
	struct find *f = ud;

	if (f->want) {
		if (d->source[0] && same_path(d->source, f->want)) {
			f->found = *d;
			f->n = 1;
			return 1;
		}
	} else if (lv_backed(d) && f->n++ == 0) {
		f->found = *d;
	}
	return 0;
}

int vvirt_find_disk(const char *xml, const char *want, struct vvirt_disk *ret, struct vh_error *e)
{
	struct find f = { .want = want };
	int r = each_disk(xml, find_one, &f, e);

	if (r < 0)
		return r;
	if (f.n == 0)
		return want ? vh_err(e, -ENOENT, "the domain has no disk on %s", want)
			    : vh_err(e, -ENOENT, "the domain has no disk on an LV (type='block')");
	if (f.n > 1)
		return vh_err(e, -ENOTUNIQ, "the domain has %d disks on LVs (%s, ...); say which",
			      f.n, f.found.source);
	*ret = f.found;
	return 0;
}

struct check {
	bool force;
	struct vh_error *e;
};

static int check_one(const struct vvirt_disk *d, void *ud)
{
	struct check *c = ud;

	if (!lv_backed(d))
		return 0;
	return vvirt_check_cache(d, c->force, c->e);
}

int vvirt_check_lv_disks(const char *xml, bool force, struct vh_error *e)
{
	struct check c = { .force = force, .e = e };

	return each_disk(xml, check_one, &c, e);
}

int vvirt_check_cache(const struct vvirt_disk *d, bool force, struct vh_error *e)
{
	/* none and directsync open the device O_DIRECT: no host page cache on
	 * either side that could hold stale blocks when the disk moves. */
	if (!strcmp(d->cache, "none") || !strcmp(d->cache, "directsync") || d->shareable)
		return 0;
	if (force)
		return 0;
	return vh_err(e, -EINVAL,
		      "disk %s (%s) uses cache='%s': the host page cache could hold stale "
		      "blocks when the VM moves; use cache='none' or 'directsync' (the domain's "
		      "XML; QEMU takes a new cache mode only when the VM is next started)",
		      d->target, d->source, d->cache[0] ? d->cache : "default");
}

struct list {
	struct vvirt_disk *out;
	size_t max, n;
};

static int list_one(const struct vvirt_disk *d, void *ud)
{
	struct list *l = ud;

	if (l->n >= l->max)
		return -E2BIG;
	l->out[l->n++] = *d;
	return 0;
}

int vvirt_list_disks(const char *xml, struct vvirt_disk *ret, size_t max, size_t *ret_n,
		     struct vh_error *e)
{
	struct list l = { .out = ret, .max = max };
	int r = each_disk(xml, list_one, &l, e);

	if (r == -E2BIG)
		return vh_err(e, r, "the domain has more than %zu disks", max);
	if (r < 0)
		return r;
	*ret_n = l.n;
	return 0;
}

int vvirt_domain_uuid(const char *xml, char *buf, size_t len, struct vh_error *e)
{
	struct query q;
	xmlXPathObjectPtr v;
	int r;

	if ((r = query(xml, "string(/domain/uuid)", &q, e)) < 0)
		return r;
	v = q.obj;
	if (v->type != XPATH_STRING || !v->stringval || !v->stringval[0])
		r = vh_err(e, -EBADMSG, "domain XML has no <uuid>");
	else if ((size_t)snprintf(buf, len, "%s", (const char *)v->stringval) >= len)
		r = vh_err(e, -EBADMSG, "domain XML: <uuid> is too long");
	query_done(&q);
	return r;
}

/* ---- the domain's interfaces -------------------------------------------- */

static const char *const net_kind_names[] = {
	[VVIRT_NET_OTHER] = "interface", [VVIRT_NET_NETWORK] = "network",
	[VVIRT_NET_BRIDGE] = "bridge", [VVIRT_NET_DIRECT] = "interface",
};

const char *vvirt_net_kind_name(enum vvirt_net_kind k)
{
	return (unsigned)k < sizeof(net_kind_names) / sizeof(net_kind_names[0]) ?
	       net_kind_names[k] : "interface";
}

static int read_iface(xmlNodePtr n, struct vvirt_iface *f)
{
	xmlNodePtr src = child(n, "source");
	char type[16];

	memset(f, 0, sizeof(*f));
	copy_attr(n, "type", type, sizeof(type));
	copy_attr(child(n, "mac"), "address", f->mac, sizeof(f->mac));
	/* A running domain's XML shows a NIC on a libvirt network by what it
	 * is now (type='bridge', source network='net' bridge='br0'); the
	 * destination gets it as defined, on the network. */
	copy_attr(src, "network", f->name, sizeof(f->name));
	if (!strcmp(type, "network") || f->name[0]) {
		f->kind = VVIRT_NET_NETWORK;
	} else if (!strcmp(type, "bridge")) {
		f->kind = VVIRT_NET_BRIDGE;
		copy_attr(src, "bridge", f->name, sizeof(f->name));
	} else if (!strcmp(type, "direct")) {
		f->kind = VVIRT_NET_DIRECT;
		copy_attr(src, "dev", f->name, sizeof(f->name));
	}
	if (FILLED(f->name) || FILLED(f->mac))
		return -ENAMETOOLONG;
	/* No source named: nothing to look for on the host. */
	if (!f->name[0])
		f->kind = VVIRT_NET_OTHER;
	return 0;
}

int vvirt_list_ifaces(const char *xml, struct vvirt_iface *ret, size_t max, size_t *ret_n,
		      struct vh_error *e)
{
	struct query q;
	xmlNodeSetPtr set;
	int r;

	if ((r = query(xml, "/domain/devices/interface", &q, e)) < 0)
		return r;
	set = q.obj->nodesetval;
	*ret_n = 0;
	for (int i = 0; set && i < set->nodeNr; i++) {
		if ((size_t)i >= max) {
			r = vh_err(e, -E2BIG, "the domain has more than %zu interfaces", max);
			break;
		}
		if (read_iface(set->nodeTab[i], &ret[i]) < 0) {
			r = vh_err(e, -ENAMETOOLONG, "interface %d of the domain XML: a source "
				   "name or MAC address is longer than vmhop handles (at most %zu "
				   "bytes)", i + 1, sizeof(ret[i].name) - 2);
			break;
		}
		*ret_n = (size_t)i + 1;
	}
	query_done(&q);
	return r;
}
