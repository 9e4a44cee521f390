/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to src/virt. */
#ifndef VMHOP_VIRT_VIRT_INT_H
#define VMHOP_VIRT_VIRT_INT_H

#include <time.h>

#include "virt/virt.h"

struct vvirt_conn {
	virConnectPtr c;
	char uri[256];
};

struct vvirt_dom {
	struct vvirt_conn *conn;
	virDomainPtr d;
	char name[128];
};

/* The table in use (libvirt's, or a test's). */
extern const struct vvirt_api *vvirt_api;

/* Fill @e from the calling thread's last libvirt error: "@what: message". */
int vvirt_fail(struct vh_error *e, const char *what, ...) __attribute__((format(printf, 2, 3)));

/* Silence libvirt's default printing to stderr (once per process). */
void vvirt_quiet(void);
/* Register libvirt's default event loop and run it in a thread (once). */
int vvirt_event_loop_start(struct vh_error *e);

static inline uint64_t vvirt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
