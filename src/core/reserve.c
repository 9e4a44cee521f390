/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The claims of this host's moves, from their journals (reserve.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"
#include "core/journal.h"
#include "core/reserve.h"

/* @path's claim into @c: 1 when the move holds something, 0 when it ended. */
static int claim_of(const char *path, struct vres_claim *c)
{
	struct vjournal *j = NULL;
	struct veng_state *st;
	const struct vplan *p;
	bool found;
	int r;

	if (vjournal_read(path, &j, NULL) < 0)
		return 0;
	st = calloc(1, sizeof(*st));
	p = vjournal_plan(j);
	if (!st || veng_journal_load(j, p, vjournal_role(j), st, &found, NULL) < 0) {
		r = st ? 0 : -ENOMEM;
		goto out;
	}
	r = 0;
	if (st->done || st->aborted)
		goto out;
	memset(c, 0, sizeof(*c));
	snprintf(c->resource, sizeof(c->resource), "%s", p->resource);
	snprintf(c->vm_name, sizeof(c->vm_name), "%s", p->vm_name);
	snprintf(c->vm_uuid, sizeof(c->vm_uuid), "%s", p->vm_uuid);
	c->role = vjournal_role(j);
	c->port = p->port;
	c->n_minors = p->n_disks;
	for (size_t i = 0; i < p->n_disks; i++)
		c->minors[i] = st->disks[i].own_minor_set ? st->disks[i].own_minor :
			       p->disks[i].minor;
	r = 1;
out:
	free(st);
	vjournal_close(j);
	return r;
}

int vres_collect(const char *dir, struct vres_claim **ret, size_t *ret_n, struct vh_error *e)
{
	struct vres_claim *v = NULL;
	char **paths = NULL;
	size_t np = 0, n = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if ((r = vjournal_list(dir, &paths, &np, e)) < 0)
		return r;
	if (np && !(v = calloc(np, sizeof(*v)))) {
		vjournal_list_free(paths, np);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < np; i++) {
		r = claim_of(paths[i], &v[n]);
		if (r < 0) {
			free(v);
			vjournal_list_free(paths, np);
			return vh_err(e, r, "out of memory");
		}
		n += (size_t)r;
	}
	vjournal_list_free(paths, np);
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool other(const struct vres_claim *c, const char *own)
{
	return !own || strcmp(c->resource, own);
}

const struct vres_claim *vres_port(const struct vres_claim *c, size_t n, const char *own,
				   uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (other(&c[i], own) && c[i].port == port)
			return &c[i];
	return NULL;
}

const struct vres_claim *vres_minor(const struct vres_claim *c, size_t n, const char *own,
				    uint32_t minor)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; other(&c[i], own) && k < c[i].n_minors; k++)
			if (c[i].minors[k] == minor)
				return &c[i];
	return NULL;
}

const struct vres_claim *vres_resource(const struct vres_claim *c, size_t n, const char *res)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].resource, res))
			return &c[i];
	return NULL;
}

static int grow(void **a, size_t elem, size_t n, struct vh_error *e)
{
	void *nv = realloc(*a, (n + 1) * elem);

	if (!nv)
		return vh_err(e, -ENOMEM, "out of memory");
	*a = nv;
	return 0;
}

int vres_add_used(const struct vres_claim *c, size_t n, struct vplan_used *u, struct vh_error *e)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < c[i].n_minors; k++) {
			if ((r = grow((void **)&u->minors, sizeof(*u->minors), u->n_minors, e)) < 0)
				return r;
			u->minors[u->n_minors++] = c[i].minors[k];
		}
		if ((r = grow((void **)&u->ports, sizeof(*u->ports), u->n_ports, e)) < 0)
			return r;
		u->ports[u->n_ports++] = c[i].port;
		if ((r = grow((void **)&u->resources, sizeof(*u->resources), u->n_resources, e)) < 0)
			return r;
		snprintf(u->resources[u->n_resources++], sizeof(*u->resources), "%s", c[i].resource);
	}
	return 0;
}

/* Nothing in @j but a plan: only the step "planned". */
static bool only_planned(const struct vjournal *j)
{
	return vjournal_count(j) == 1 && vjournal_find(j, "planned");
}

int vres_claim_plan(const char *dir, const struct vplan *p, struct vh_error *e)
{
	struct vjournal *j = NULL;
	struct timespec ts;
	char wall[32];
	int r;

	r = vjournal_open_vm(dir, p->vm_uuid, &j, e);
	if (r == 0 && only_planned(j))
		r = vjournal_remove(j, e);
	else if (r == 0 && vjournal_count(j) && !vjournal_find(j, "done") &&
		 !vjournal_find(j, "aborted"))
		r = vh_err(e, -EBUSY, "VM %s has a move under way on this host (resource %s, "
			   "journal %s): finish or abort it first", p->vm_name,
			   vjournal_plan(j)->resource, vjournal_path(j));
	else if (r == -ENOENT)
		r = 0;
	vjournal_close(j);
	if (r < 0)
		return r;
	if ((r = vjournal_open(dir, p, VPLAN_ROLE_SOURCE, &j, e)) < 0)
		return r;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(wall, sizeof(wall), "%lld", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	r = vjournal_begin(j, "planned", &(struct vjournal_kv){ .key = "wall_ns", .value = wall },
			   1, e);
	if (r == 0)
		r = vjournal_done(j, "planned", e);
	vjournal_close(j);
	return r;
}

void vres_unclaim_plan(const char *dir, const struct vplan *p)
{
	struct vjournal *j = NULL;

	if (vjournal_open_vm(dir, p->vm_uuid, &j, NULL) == 0 && only_planned(j) &&
	    !strcmp(vjournal_plan(j)->resource, p->resource) && vjournal_remove(j, NULL) < 0) {
		/* left: it holds a plan no file has; the next plan of the VM
		 * replaces it, and status lists it as planned */
	}
	vjournal_close(j);
}
