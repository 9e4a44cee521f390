/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to src/virt. */
#ifndef VMHOP_VIRT_VIRT_INT_H
#define VMHOP_VIRT_VIRT_INT_H

#include <time.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

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

/* ---- libraries loaded on first use (virt_lib.c) ------------------------ */

#define VVIRT_LIBVIRT_SONAME "libvirt.so.0"
#define VVIRT_LIBVIRT_PACKAGE "libvirt0"
#define VVIRT_LIBXML2_SONAME "libxml2.so.2"
#define VVIRT_LIBXML2_PACKAGE "libxml2"

/* Loads libvirt into the real table (once per process) unless a test's
 * table is installed.  -ENOPKG when libvirt is missing or too old; every
 * later call returns the same error. */
int vvirt_ready(struct vh_error *e) VH_MUST_CHECK;

/* The libxml2 calls of the disk parser (virt_disk.c). */
struct vvirt_libxml {
	xmlDocPtr (*read_memory)(const char *buf, int size, const char *url, const char *enc,
				 int options);
	xmlChar *(*get_prop)(const xmlNode *node, const xmlChar *name);
	xmlFreeFunc *free_fn;	/* the variable xmlFree: call (*free_fn)(p) */
	int (*str_cmp)(const xmlChar *a, const xmlChar *b);
	void (*free_doc)(xmlDocPtr doc);
	xmlXPathContextPtr (*xpath_new_context)(xmlDocPtr doc);
	xmlXPathObjectPtr (*xpath_eval)(const xmlChar *expr, xmlXPathContextPtr ctx);
	void (*xpath_free_context)(xmlXPathContextPtr ctx);
	void (*xpath_free_object)(xmlXPathObjectPtr obj);
};

/* Valid once vvirt_libxml_ready() returned 0. */
extern struct vvirt_libxml vvirt_libxml;
/* Loads libxml2 (once per process); -ENOPKG when missing or too old. */
int vvirt_libxml_ready(struct vh_error *e) VH_MUST_CHECK;

/* Fill @e from the calling thread's last libvirt error: "@what: message". */
int vvirt_fail(struct vh_error *e, const char *what, ...) __attribute__((format(printf, 2, 3)));

/* Register libvirt's default event loop and run it in a thread (once;
 * virt_conn.c). */
int vvirt_event_loop_start(struct vh_error *e);

/* @clock's time @ms from now, for pthread_cond_timedwait (whose condition
 * variable must use @clock). */
static inline struct timespec vvirt_deadline(clockid_t clock, unsigned int ms)
{
	struct timespec t;

	clock_gettime(clock, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static inline uint64_t vvirt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
