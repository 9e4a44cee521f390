/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt and libxml2 are loaded on first use (dlopen), not linked: they
 * bring in some 56 shared libraries whose loading costs every vmhop process
 * its start-up time, also the commands that never touch a domain (meta, dm,
 * drbd, lvm).  Only vvirt_open() (libvirt) and the disk XML parser (libxml2)
 * load them.
 *
 * Every symbol is resolved at the version node it has had since it appeared
 * (dlvsym), so a libvirt or libxml2 too old to have one fails at load, with
 * the symbol and version named, instead of at the call.  The types of the
 * table's fields are checked against the libraries' own headers at compile
 * time.  A library that is not there is -ENOPKG (exit 8) naming the Debian
 * package to install.
 *
 * Packagers see the dependency in the ELF note below (base/dl.h).
 */
#include <errno.h>
#include <pthread.h>

#include "base/dl.h"
#include "virt/virt-int.h"

VH_DL_NOTE(note_dlopen,
	   "[{\"feature\":\"libvirt\",\"description\":\"libvirt domains and live "
	   "migration (vmhop virt, the move)\",\"priority\":\"required\","
	   "\"soname\":[\"" VVIRT_LIBVIRT_SONAME "\"]},"
	   "{\"feature\":\"libxml2\",\"description\":\"the domain XML: which disk "
	   "is on the LV (vmhop virt disk, the move)\",\"priority\":\"required\","
	   "\"soname\":[\"" VVIRT_LIBXML2_SONAME "\"]}]");

/* ---- libvirt ----------------------------------------------------------- */

struct libvirt {
	struct vvirt_api api;
	/* Used once, at load; not part of the test seam. */
	int (*initialize)(void);
	void (*set_error_func)(void *ud, virErrorFunc fn);
};

/* The versions are the nodes of libvirt's libvirt.syms (objdump -T libvirt.so.0). */
#define LIBVIRT_SYMS(X, T)								\
	X(T, api.open, virConnectOpen, "LIBVIRT_0.0.3")					\
	X(T, api.close, virConnectClose, "LIBVIRT_0.0.3")				\
	X(T, api.lookup, virDomainLookupByName, "LIBVIRT_0.0.3")			\
	X(T, api.dom_free, virDomainFree, "LIBVIRT_0.0.3")				\
	X(T, api.dom_name, virDomainGetName, "LIBVIRT_0.0.3")				\
	X(T, api.xml, virDomainGetXMLDesc, "LIBVIRT_0.0.3")				\
	X(T, api.state, virDomainGetState, "LIBVIRT_0.9.2")				\
	X(T, api.suspend, virDomainSuspend, "LIBVIRT_0.0.3")				\
	X(T, api.resume, virDomainResume, "LIBVIRT_0.0.3")				\
	X(T, api.undefine, virDomainUndefine, "LIBVIRT_0.1.1")				\
	X(T, api.destroy, virDomainDestroy, "LIBVIRT_0.0.3")				\
	X(T, api.create, virDomainCreate, "LIBVIRT_0.1.1")				\
	X(T, api.undefine_flags, virDomainUndefineFlags, "LIBVIRT_0.9.4")		\
	X(T, api.lookup_uuid, virDomainLookupByUUIDString, "LIBVIRT_0.1.1")		\
	X(T, api.get_autostart, virDomainGetAutostart, "LIBVIRT_0.2.1")			\
	X(T, api.set_autostart, virDomainSetAutostart, "LIBVIRT_0.2.1")			\
	X(T, api.migrate_to_uri3, virDomainMigrateToURI3, "LIBVIRT_1.1.0")		\
	X(T, api.migrate3, virDomainMigrate3, "LIBVIRT_1.1.0")				\
	X(T, api.job_stats, virDomainGetJobStats, "LIBVIRT_1.0.3")			\
	X(T, api.params_free, virTypedParamsFree, "LIBVIRT_1.0.2")			\
	X(T, api.abort_job, virDomainAbortJob, "LIBVIRT_0.7.7")				\
	X(T, api.set_max_downtime, virDomainMigrateSetMaxDowntime, "LIBVIRT_0.8.0")	\
	X(T, api.last_error, virCopyLastError, "LIBVIRT_0.1.0")				\
	X(T, api.event_impl, virEventRegisterDefaultImpl, "LIBVIRT_0.9.0")		\
	X(T, api.event_run, virEventRunDefaultImpl, "LIBVIRT_0.9.0")			\
	X(T, api.event_register, virConnectDomainEventRegisterAny, "LIBVIRT_0.8.0")	\
	X(T, api.event_deregister, virConnectDomainEventDeregisterAny, "LIBVIRT_0.8.0")	\
	X(T, api.net_lookup, virNetworkLookupByName, "LIBVIRT_0.2.0")			\
	X(T, api.net_is_active, virNetworkIsActive, "LIBVIRT_0.7.3")			\
	X(T, api.net_free, virNetworkFree, "LIBVIRT_0.2.0")				\
	X(T, api.iface_lookup, virInterfaceLookupByName, "LIBVIRT_0.6.4")		\
	X(T, api.iface_is_active, virInterfaceIsActive, "LIBVIRT_0.7.3")		\
	X(T, api.iface_free, virInterfaceFree, "LIBVIRT_0.6.4")			\
	X(T, api.set_max_speed, virDomainMigrateSetMaxSpeed, "LIBVIRT_0.9.0")		\
	X(T, api.params_add_int, virTypedParamsAddInt, "LIBVIRT_1.0.2")			\
	X(T, api.params_add_ullong, virTypedParamsAddULLong, "LIBVIRT_1.0.2")		\
	X(T, api.params_add_string, virTypedParamsAddString, "LIBVIRT_1.0.2")		\
	X(T, api.params_get_int, virTypedParamsGetInt, "LIBVIRT_1.0.2")			\
	X(T, api.params_get_ullong, virTypedParamsGetULLong, "LIBVIRT_1.0.2")		\
	X(T, initialize, virInitialize, "LIBVIRT_0.1.0")				\
	X(T, set_error_func, virSetErrorFunc, "LIBVIRT_0.1.0")

LIBVIRT_SYMS(VH_DL_CHECK, struct libvirt)

static const struct vh_dl_sym libvirt_syms[] = { LIBVIRT_SYMS(VH_DL_SYM, struct libvirt) };

/* Filled once by load_libvirt(); its api is the table in use until a test
 * installs its own. */
static struct libvirt libvirt;
const struct vvirt_api *vvirt_api = &libvirt.api;

void vvirt_set_api(const struct vvirt_api *api)
{
	vvirt_api = api ? api : &libvirt.api;
}

static void silent(void *ud, virErrorPtr err)
{
	(void)ud;
	/* Kept by libvirt as the thread's last error; we read it there. */
	if (err && err->message)
		vh_trace("virt", "libvirt: %s", err->message);
}

/* The outcome of a load, the same for every caller. */
static int load_result(const struct vh_error *err, struct vh_error *e)
{
	if (err->code && e)
		*e = *err;
	return err->code;
}

static pthread_once_t libvirt_once = PTHREAD_ONCE_INIT;
static struct vh_error libvirt_err;

static void load_libvirt(void)
{
	struct libvirt l = { 0 };

	if (vh_dl_open(VVIRT_LIBVIRT_SONAME, VVIRT_LIBVIRT_PACKAGE, libvirt_syms,
		       sizeof(libvirt_syms) / sizeof(libvirt_syms[0]), &l, NULL, &libvirt_err) < 0)
		return;
	/* Sets up libvirt's per-thread error storage, which even
	 * virTypedParamsFree() touches; virConnectOpen() would do it too late
	 * for a thread that starts with such a call. */
	if (l.initialize() < 0)
		vh_trace("virt", "virInitialize failed");
	/* libvirt would print every error to stderr. */
	l.set_error_func(NULL, silent);
	libvirt = l;
}

int vvirt_ready(struct vh_error *e)
{
	if (vvirt_api != &libvirt.api)
		return 0;	/* a test's table */
	pthread_once(&libvirt_once, load_libvirt);
	return load_result(&libvirt_err, e);
}

/* ---- libxml2 ----------------------------------------------------------- */

#define LIBXML2_SYMS(X, T)								\
	X(T, read_memory, xmlReadMemory, "LIBXML2_2.6.0")				\
	X(T, get_prop, xmlGetProp, "LIBXML2_2.4.30")					\
	X(T, free_fn, xmlFree, "LIBXML2_2.4.30")					\
	X(T, str_cmp, xmlStrcmp, "LIBXML2_2.4.30")					\
	X(T, free_doc, xmlFreeDoc, "LIBXML2_2.4.30")					\
	X(T, xpath_new_context, xmlXPathNewContext, "LIBXML2_2.4.30")			\
	X(T, xpath_eval, xmlXPathEvalExpression, "LIBXML2_2.4.30")			\
	X(T, xpath_free_context, xmlXPathFreeContext, "LIBXML2_2.4.30")			\
	X(T, xpath_free_object, xmlXPathFreeObject, "LIBXML2_2.4.30")

LIBXML2_SYMS(VH_DL_CHECK, struct vvirt_libxml)

static const struct vh_dl_sym libxml2_syms[] = { LIBXML2_SYMS(VH_DL_SYM, struct vvirt_libxml) };

struct vvirt_libxml vvirt_libxml;

static pthread_once_t libxml2_once = PTHREAD_ONCE_INIT;
static struct vh_error libxml2_err;

static void load_libxml2(void)
{
	struct vvirt_libxml x = { 0 };

	if (vh_dl_open(VVIRT_LIBXML2_SONAME, VVIRT_LIBXML2_PACKAGE, libxml2_syms,
		       sizeof(libxml2_syms) / sizeof(libxml2_syms[0]), &x, NULL, &libxml2_err) < 0)
		return;
	vvirt_libxml = x;
}

int vvirt_libxml_ready(struct vh_error *e)
{
	pthread_once(&libxml2_once, load_libxml2);
	return load_result(&libxml2_err, e);
}
