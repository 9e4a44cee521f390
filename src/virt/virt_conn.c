/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt error mapping and the plain domain calls: connect, look up,
 * state, XML, suspend and resume.  The seam itself is in virt_lib.c.  Also
 * libvirt's event loop, which a connection with events needs registered
 * before it opens: the watches of virt_event.c use this file, not the
 * other way round.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt/virt-int.h"

int vvirt_map_error(int code)
{
	switch (code) {
	case VIR_ERR_OK:
		return 0;
	case VIR_ERR_NO_DOMAIN: case VIR_ERR_NO_STORAGE_VOL: case VIR_ERR_NO_STORAGE_POOL:
	case VIR_ERR_DEVICE_MISSING: case VIR_ERR_NO_DOMAIN_METADATA:
	case VIR_ERR_NO_NETWORK: case VIR_ERR_NO_INTERFACE:
		return -ENOENT;
	case VIR_ERR_INVALID_ARG: case VIR_ERR_XML_ERROR: case VIR_ERR_XML_DETAIL:
	case VIR_ERR_OPERATION_INVALID: case VIR_ERR_MIGRATE_UNSAFE: case VIR_ERR_INVALID_DOMAIN:
		return -EINVAL;
	case VIR_ERR_DOM_EXIST:
		return -EEXIST;
	case VIR_ERR_OPERATION_DENIED: case VIR_ERR_ACCESS_DENIED: case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED: case VIR_ERR_AUTH_UNAVAILABLE:
		return -EACCES;
	case VIR_ERR_NO_SUPPORT: case VIR_ERR_OPERATION_UNSUPPORTED:
	case VIR_ERR_ARGUMENT_UNSUPPORTED: case VIR_ERR_CONFIG_UNSUPPORTED:
	case VIR_ERR_CPU_INCOMPATIBLE:
		return -EOPNOTSUPP;
	case VIR_ERR_OPERATION_TIMEOUT: case VIR_ERR_AGENT_UNRESPONSIVE:
		return -ETIMEDOUT;
	case VIR_ERR_OPERATION_ABORTED:
		return -ECANCELED;
	case VIR_ERR_RESOURCE_BUSY: case VIR_ERR_BLOCK_COPY_ACTIVE:
		return -EBUSY;
	case VIR_ERR_NO_MEMORY:
		return -ENOMEM;
	case VIR_ERR_NO_CONNECT: case VIR_ERR_UNKNOWN_HOST:
		return -ECONNREFUSED;
	case VIR_ERR_RPC: case VIR_ERR_INVALID_CONN:
		return -ECONNRESET;
	default:
		/* VIR_ERR_INTERNAL_ERROR, _OPERATION_FAILED, _SYSTEM_ERROR, ... */
		return -EIO;
	}
}

int vvirt_fail(struct vh_error *e, const char *what, ...)
{
	virError err = { 0 };
	char w[200];
	va_list ap;
	int r;

	va_start(ap, what);
	vsnprintf(w, sizeof(w), what, ap);
	va_end(ap);
	if (vvirt_api->last_error(&err) <= 0 || err.code == VIR_ERR_OK) {
		r = vh_err(e, -EIO, "%s failed (libvirt gave no error)", w);
	} else {
		r = vvirt_map_error(err.code);
		if (r == 0)
			r = -EIO;
		r = vh_err_origin(e, r, err.code, "%s: %s", w,
				  err.message ? err.message : "unknown libvirt error");
	}
	free(err.message);
	free(err.str1);
	free(err.str2);
	free(err.str3);
	return r;
}

static pthread_once_t loop_once = PTHREAD_ONCE_INIT;
static int loop_err;

static void *loop_main(void *arg)
{
	(void)arg;
	for (;;)
		if (vvirt_api->event_run() < 0)
			vh_trace("virt", "event loop iteration failed");
	return NULL;
}

static void loop_init(void)
{
	pthread_attr_t a;
	pthread_t th;

	if (vvirt_api->event_impl() < 0) {
		loop_err = -EIO;
		return;
	}
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	loop_err = -pthread_create(&th, &a, loop_main, NULL);
	pthread_attr_destroy(&a);
}

int vvirt_event_loop_start(struct vh_error *e)
{
	int r;

	if ((r = vvirt_ready(e)) < 0)
		return r;
	pthread_once(&loop_once, loop_init);
	if (loop_err)
		return vh_err(e, loop_err, "cannot start libvirt's event loop");
	return 0;
}

int vvirt_open(const char *uri, unsigned int flags, struct vvirt_conn **ret, struct vh_error *e)
{
	struct vvirt_conn *c;
	int r;

	if (!uri || !*uri)
		return vh_err(e, -EINVAL, "no libvirt URI");
	if (strlen(uri) >= sizeof(c->uri))
		return vh_err(e, -ENAMETOOLONG, "libvirt URI too long");
	if ((r = vvirt_ready(e)) < 0)
		return r;
	if ((flags & VVIRT_OPEN_EVENTS) && (r = vvirt_event_loop_start(e)) < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c)
		return vh_err(e, -ENOMEM, "out of memory");
	strcpy(c->uri, uri);
	c->c = vvirt_api->open(uri);
	if (!c->c) {
		r = vvirt_fail(e, "connect to %s", uri);
		free(c);
		/* A connection that never opened is the peer's doing (libvirt
		 * says VIR_ERR_SYSTEM_ERROR for a refused TCP connect). */
		if (r == -EIO) {
			r = -ECONNREFUSED;
			if (e)
				e->code = r;
		}
		/* ... unless it is this host's own libvirtd: down, or not
		 * letting us in, is this host's matter, not the peer's. */
		if ((flags & VVIRT_OPEN_LOCAL) &&
		    (r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOTCONN)) {
			if (e)
				e->code = -EHOSTDOWN;
			r = vh_err_prefix(e, -EHOSTDOWN, "this host's libvirtd (%s) is not running "
					  "or refused the connection", uri);
		}
		return r;
	}
	*ret = c;
	return 0;
}

void vvirt_close(struct vvirt_conn *c)
{
	if (!c)
		return;
	if (c->c)
		vvirt_api->close(c->c);
	free(c);
}

const char *vvirt_uri(const struct vvirt_conn *c)
{
	return c ? c->uri : "";
}

int vvirt_lookup_uuid(struct vvirt_conn *c, const char *uuid, struct vvirt_dom **ret,
		      struct vh_error *e)
{
	struct vvirt_dom *d;
	const char *name;

	if (!vvirt_api->lookup_uuid || !vvirt_api->dom_name)
		return vh_err(e, -EOPNOTSUPP, "lookup by UUID is not available");
	if (!uuid || !*uuid)
		return vh_err(e, -EINVAL, "bad domain UUID");
	d = calloc(1, sizeof(*d));
	if (!d)
		return vh_err(e, -ENOMEM, "out of memory");
	d->conn = c;
	d->d = vvirt_api->lookup_uuid(c->c, uuid);
	if (!d->d) {
		int r = vvirt_fail(e, "domain %s on %s", uuid, c->uri);

		free(d);
		return r;
	}
	name = vvirt_api->dom_name(d->d);
	snprintf(d->name, sizeof(d->name), "%s", name ? name : uuid);
	*ret = d;
	return 0;
}

int vvirt_lookup(struct vvirt_conn *c, const char *name, struct vvirt_dom **ret, struct vh_error *e)
{
	struct vvirt_dom *d;

	if (!name || !*name || strlen(name) >= sizeof(d->name))
		return vh_err(e, -EINVAL, "bad domain name");
	d = calloc(1, sizeof(*d));
	if (!d)
		return vh_err(e, -ENOMEM, "out of memory");
	d->conn = c;
	strcpy(d->name, name);
	d->d = vvirt_api->lookup(c->c, name);
	if (!d->d) {
		int r = vvirt_fail(e, "domain %s on %s", name, c->uri);

		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void vvirt_dom_free(struct vvirt_dom *d)
{
	if (!d)
		return;
	if (d->d)
		vvirt_api->dom_free(d->d);
	free(d);
}

const char *vvirt_dom_name(const struct vvirt_dom *d)
{
	return d ? d->name : "";
}

int vvirt_state(struct vvirt_dom *d, int *ret_state, int *ret_reason, struct vh_error *e)
{
	int st, reason;

	if (vvirt_api->state(d->d, &st, &reason, 0) < 0)
		return vvirt_fail(e, "state of %s", d->name);
	if (ret_state)
		*ret_state = st;
	if (ret_reason)
		*ret_reason = reason;
	return 0;
}

const char *vvirt_state_name(int state)
{
	static const char *const names[] = {
		[VIR_DOMAIN_NOSTATE] = "nostate", [VIR_DOMAIN_RUNNING] = "running",
		[VIR_DOMAIN_BLOCKED] = "blocked", [VIR_DOMAIN_PAUSED] = "paused",
		[VIR_DOMAIN_SHUTDOWN] = "shutdown", [VIR_DOMAIN_SHUTOFF] = "shutoff",
		[VIR_DOMAIN_CRASHED] = "crashed", [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
	};

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]) || !names[state])
		return "unknown";
	return names[state];
}

int vvirt_net_state(struct vvirt_conn *c, enum vvirt_net_kind kind, const char *name,
		    struct vh_error *e)
{
	const char *what = vvirt_net_kind_name(kind);
	int r, active;

	if (kind == VVIRT_NET_OTHER || !name || !*name)
		return 0;
	if (!vvirt_api->net_lookup || !vvirt_api->iface_lookup)
		return vh_err(e, -EOPNOTSUPP, "networks cannot be looked up");
	if (kind == VVIRT_NET_NETWORK) {
		virNetworkPtr n = vvirt_api->net_lookup(c->c, name);

		if (!n)
			return vvirt_fail(e, "%s %s on %s", what, name, c->uri);
		active = vvirt_api->net_is_active(n);
		r = active < 0 ? vvirt_fail(e, "%s %s on %s", what, name, c->uri) : 0;
		vvirt_api->net_free(n);
	} else {
		virInterfacePtr i = vvirt_api->iface_lookup(c->c, name);

		if (!i)
			return vvirt_fail(e, "%s %s on %s", what, name, c->uri);
		active = vvirt_api->iface_is_active(i);
		r = active < 0 ? vvirt_fail(e, "%s %s on %s", what, name, c->uri) : 0;
		vvirt_api->iface_free(i);
	}
	if (r < 0)
		return r;
	if (!active)
		return vh_err(e, -ENETDOWN, "%s %s on %s is %s", what, name, c->uri,
			      kind == VVIRT_NET_NETWORK ? "not active" : "down");
	return 0;
}

int vvirt_xml(struct vvirt_dom *d, char **ret, struct vh_error *e)
{
	char *x = vvirt_api->xml(d->d, 0);

	if (!x)
		return vvirt_fail(e, "XML of %s", d->name);
	*ret = x;
	return 0;
}

int vvirt_suspend(struct vvirt_dom *d, uint64_t *ret_ns, struct vh_error *e)
{
	uint64_t t0 = vvirt_now_ns();

	if (vvirt_api->suspend(d->d) < 0)
		return vvirt_fail(e, "suspend %s", d->name);
	if (ret_ns)
		*ret_ns = vvirt_now_ns() - t0;
	return 0;
}

int vvirt_resume(struct vvirt_dom *d, uint64_t *ret_ns, struct vh_error *e)
{
	uint64_t t0 = vvirt_now_ns();

	if (vvirt_api->resume(d->d) < 0)
		return vvirt_fail(e, "resume %s", d->name);
	if (ret_ns)
		*ret_ns = vvirt_now_ns() - t0;
	return 0;
}

int vvirt_undefine(struct vvirt_dom *d, struct vh_error *e)
{
	const unsigned int all = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
				 VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
				 VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM;

	if (vvirt_api->undefine_flags) {
		if (vvirt_api->undefine_flags(d->d, all) < 0)
			return vvirt_fail(e, "undefine %s", d->name);
		return 0;
	}
	if (!vvirt_api->undefine)
		return vh_err(e, -EOPNOTSUPP, "undefine is not available");
	if (vvirt_api->undefine(d->d) < 0)
		return vvirt_fail(e, "undefine %s", d->name);
	return 0;
}

int vvirt_autostart(struct vvirt_dom *d, bool *ret, struct vh_error *e)
{
	int on = 0;

	if (!vvirt_api->get_autostart)
		return vh_err(e, -EOPNOTSUPP, "autostart is not available");
	if (vvirt_api->get_autostart(d->d, &on) < 0)
		return vvirt_fail(e, "autostart of %s", d->name);
	*ret = on != 0;
	return 0;
}

int vvirt_set_autostart(struct vvirt_dom *d, bool on, struct vh_error *e)
{
	if (!vvirt_api->set_autostart)
		return vh_err(e, -EOPNOTSUPP, "autostart is not available");
	if (vvirt_api->set_autostart(d->d, on) < 0)
		return vvirt_fail(e, "autostart %s of %s", on ? "on" : "off", d->name);
	return 0;
}

int vvirt_destroy(struct vvirt_dom *d, struct vh_error *e)
{
	if (!vvirt_api->destroy)
		return vh_err(e, -EOPNOTSUPP, "destroy is not available");
	if (vvirt_api->destroy(d->d) < 0)
		return vvirt_fail(e, "destroy %s", d->name);
	return 0;
}

int vvirt_start(struct vvirt_dom *d, struct vh_error *e)
{
	if (!vvirt_api->create)
		return vh_err(e, -EOPNOTSUPP, "start is not available");
	if (vvirt_api->create(d->d) < 0)
		return vvirt_fail(e, "start %s", d->name);
	return 0;
}
