/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain lifecycle events.  libvirt delivers events from its event loop,
 * which must be registered before the connection is opened and then run;
 * it runs in one thread of ours for the life of the process (virt_conn.c,
 * vvirt_event_loop_start: this file sits on a connection, never under it).
 * Each watch is a small queue the callback fills and vvirt_watch_next()
 * drains.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virt/virt-int.h"

#define WATCH_QUEUE 64

struct vvirt_watch {
	struct vvirt_conn *conn;
	int callback_id;
	char name[128];		/* "" = all domains */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct vvirt_event q[WATCH_QUEUE];
	unsigned int head, count, dropped;
	int refs;		/* ours + libvirt's (released by its free callback) */
	int efd;		/* readable while events are queued (vvirt_watch_fd) */
};

static void watch_unref(struct vvirt_watch *w)
{
	int left;

	pthread_mutex_lock(&w->lock);
	left = --w->refs;
	pthread_mutex_unlock(&w->lock);
	if (left)
		return;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	if (w->efd >= 0)
		close(w->efd);
	free(w);
}

static void watch_free_cb(void *opaque)
{
	watch_unref(opaque);
}

static int on_lifecycle(virConnectPtr c, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct vvirt_watch *w = opaque;
	const char *name = vvirt_api->dom_name(dom);
	struct vvirt_event *ev;
	uint64_t now = vvirt_now_ns();

	(void)c;
	if (!name || (w->name[0] && strcmp(name, w->name)))
		return 0;
	pthread_mutex_lock(&w->lock);
	if (w->count == WATCH_QUEUE) {
		w->dropped++;
	} else {
		ev = &w->q[(w->head + w->count) % WATCH_QUEUE];
		snprintf(ev->domain, sizeof(ev->domain), "%s", name);
		ev->event = event;
		ev->detail = detail;
		ev->mono_ns = now;
		w->count++;
		pthread_cond_broadcast(&w->cond);
	}
	if (w->efd >= 0) {
		uint64_t one = 1;

		/* (cannot overflow: the reader resets it, 2^64 - 2 writes away) */
		if (write(w->efd, &one, sizeof(one)) < 0)
			vh_trace("virt", "event eventfd write failed");
	}
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int vvirt_watch_start(struct vvirt_conn *c, const char *name, struct vvirt_watch **ret,
		      struct vh_error *e)
{
	struct vvirt_watch *w;
	pthread_condattr_t ca;
	int r;

	if ((r = vvirt_event_loop_start(e)) < 0)
		return r;
	if (name && strlen(name) >= sizeof(w->name))
		return vh_err(e, -EINVAL, "domain name too long");
	w = calloc(1, sizeof(*w));
	if (!w)
		return vh_err(e, -ENOMEM, "out of memory");
	w->conn = c;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		free(w);
		return vh_err(e, r, "eventfd: %s", strerror(-r));
	}
	snprintf(w->name, sizeof(w->name), "%s", name ? name : "");
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->refs = 2;
	/* All domains, filtered by name in the callback: on a destination the
	 * domain does not exist yet when we start watching. */
	w->callback_id = vvirt_api->event_register(c->c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						   VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle),
						   w, watch_free_cb);
	if (w->callback_id < 0) {
		r = vvirt_fail(e, "subscribe to domain events on %s", c->uri);
		w->refs = 1;
		watch_unref(w);
		return r;
	}
	*ret = w;
	return 0;
}

int vvirt_watch_next(struct vvirt_watch *w, int timeout_ms, struct vvirt_event *ret,
		     struct vh_error *e)
{
	struct timespec until = vvirt_deadline(CLOCK_MONOTONIC,
					       timeout_ms > 0 ? (unsigned int)timeout_ms : 0);
	int r = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->count && r == 0) {
		if (timeout_ms < 0)
			r = pthread_cond_wait(&w->cond, &w->lock);
		else if (timeout_ms == 0)
			r = ETIMEDOUT;
		else
			r = pthread_cond_timedwait(&w->cond, &w->lock, &until);
	}
	if (w->count) {
		*ret = w->q[w->head];
		w->head = (w->head + 1) % WATCH_QUEUE;
		w->count--;
		r = 0;
	}
	pthread_mutex_unlock(&w->lock);
	if (r)
		return vh_err(e, -r, "no domain event within %d ms", timeout_ms);
	return 0;
}

int vvirt_watch_wait(struct vvirt_watch *w, int event, int detail, int timeout_ms,
		     struct vvirt_event *ret, struct vh_error *e)
{
	uint64_t deadline = vvirt_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
	struct vvirt_event ev;
	int r;

	for (;;) {
		int left = -1;

		if (timeout_ms >= 0) {
			uint64_t now = vvirt_now_ns();

			left = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		}
		if ((r = vvirt_watch_next(w, left, &ev, e)) < 0) {
			if (r == -ETIMEDOUT)
				vh_err(e, r, "domain %s: no '%s' event within %d ms",
				       w->name[0] ? w->name : "(any)", vvirt_event_name(event),
				       timeout_ms);
			return r;
		}
		vh_trace("virt", "event %s %s/%s", ev.domain, vvirt_event_name(ev.event),
			 vvirt_event_detail_name(ev.event, ev.detail));
		if (ev.event == event && (detail < 0 || ev.detail == detail)) {
			if (ret)
				*ret = ev;
			return 0;
		}
	}
}

int vvirt_watch_fd(const struct vvirt_watch *w)
{
	return w->efd;
}

int vvirt_watch_take(struct vvirt_watch *w, struct vvirt_event *ret)
{
	uint64_t n;
	int r = 0;

	pthread_mutex_lock(&w->lock);
	if (w->count) {
		*ret = w->q[w->head];
		w->head = (w->head + 1) % WATCH_QUEUE;
		w->count--;
		r = 1;
	}
	/* under the lock: readable again only with an event queued */
	if (!w->count && read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vh_trace("virt", "event eventfd read failed");
	pthread_mutex_unlock(&w->lock);
	return r;
}

void vvirt_watch_clear(struct vvirt_watch *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	w->head = w->count = 0;
	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		vh_trace("virt", "event eventfd read failed");
	pthread_mutex_unlock(&w->lock);
}

void vvirt_watch_stop(struct vvirt_watch *w)
{
	if (!w)
		return;
	if (vvirt_api->event_deregister(w->conn->c, w->callback_id) < 0) {
		/* libvirt keeps its reference: leak rather than free under it. */
		return;
	}
	watch_unref(w);
}

const char *vvirt_event_name(int event)
{
	static const char *const names[] = {
		[VIR_DOMAIN_EVENT_DEFINED] = "defined", [VIR_DOMAIN_EVENT_UNDEFINED] = "undefined",
		[VIR_DOMAIN_EVENT_STARTED] = "started", [VIR_DOMAIN_EVENT_SUSPENDED] = "suspended",
		[VIR_DOMAIN_EVENT_RESUMED] = "resumed", [VIR_DOMAIN_EVENT_STOPPED] = "stopped",
		[VIR_DOMAIN_EVENT_SHUTDOWN] = "shutdown", [VIR_DOMAIN_EVENT_PMSUSPENDED] = "pmsuspended",
		[VIR_DOMAIN_EVENT_CRASHED] = "crashed",
	};

	if (event < 0 || (size_t)event >= sizeof(names) / sizeof(names[0]) || !names[event])
		return "unknown";
	return names[event];
}

const char *vvirt_event_detail_name(int event, int detail)
{
	switch (event) {
	case VIR_DOMAIN_EVENT_STARTED:
		switch (detail) {
		case VIR_DOMAIN_EVENT_STARTED_BOOTED: return "booted";
		case VIR_DOMAIN_EVENT_STARTED_MIGRATED: return "migrated";
		case VIR_DOMAIN_EVENT_STARTED_RESTORED: return "restored";
		default: return "other";
		}
	case VIR_DOMAIN_EVENT_SUSPENDED:
		switch (detail) {
		case VIR_DOMAIN_EVENT_SUSPENDED_PAUSED: return "paused";
		case VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED: return "migrated";
		case VIR_DOMAIN_EVENT_SUSPENDED_IOERROR: return "ioerror";
		default: return "other";
		}
	case VIR_DOMAIN_EVENT_RESUMED:
		switch (detail) {
		case VIR_DOMAIN_EVENT_RESUMED_UNPAUSED: return "unpaused";
		case VIR_DOMAIN_EVENT_RESUMED_MIGRATED: return "migrated";
		default: return "other";
		}
	case VIR_DOMAIN_EVENT_STOPPED:
		switch (detail) {
		case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return "shutdown";
		case VIR_DOMAIN_EVENT_STOPPED_DESTROYED: return "destroyed";
		case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return "crashed";
		case VIR_DOMAIN_EVENT_STOPPED_MIGRATED: return "migrated";
		case VIR_DOMAIN_EVENT_STOPPED_FAILED: return "failed";
		default: return "other";
		}
	default:
		return "-";
	}
}
