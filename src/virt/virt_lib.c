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
 * Packagers see the dependency in the ELF note below (systemd's
 * .note.dlopen format: `readelf -n`, `systemd-analyze dlopen-metadata`).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "virt/virt-int.h"

/* ---- packaging metadata: https://systemd.io/ELF_DLOPEN_METADATA/ ------ */

#define NOTE_DLOPEN_OWNER "FDO"
#define NOTE_DLOPEN_TYPE UINT32_C(0x407c0c0a)
#define NOTE_DLOPEN_JSON							\
	"[{\"feature\":\"libvirt\",\"description\":\"libvirt domains and live "	\
	"migration (vmhop virt, the move)\",\"priority\":\"required\","		\
	"\"soname\":[\"" VVIRT_LIBVIRT_SONAME "\"]},"				\
	"{\"feature\":\"libxml2\",\"description\":\"the domain XML: which disk "	\
	"is on the LV (vmhop virt disk, the move)\",\"priority\":\"required\","	\
	"\"soname\":[\"" VVIRT_LIBXML2_SONAME "\"]}]"

__attribute__((used, section(".note.dlopen"))) _Alignas(sizeof(uint32_t)) static const struct {
	struct {
		uint32_t n_namesz, n_descsz, n_type;
	} nhdr;
	char name[sizeof(NOTE_DLOPEN_OWNER)];
	_Alignas(sizeof(uint32_t)) char json[sizeof(NOTE_DLOPEN_JSON)];
} note_dlopen = {
	.nhdr = {
		.n_namesz = sizeof(NOTE_DLOPEN_OWNER),
		.n_descsz = sizeof(NOTE_DLOPEN_JSON),
		.n_type = NOTE_DLOPEN_TYPE,
	},
	.name = NOTE_DLOPEN_OWNER,
	.json = NOTE_DLOPEN_JSON,
};

/* ---- the generic loader ------------------------------------------------ */

/* A symbol is stored into a function-pointer field through a void *. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit in void *");

int vvirt_dl_open(const char *soname, const char *package, const struct vvirt_sym *syms,
		  size_t n, void *table, void **ret_handle, struct vh_error *e)
{
	void *h;

	dlerror();
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();

		return vh_err(e, -ENOPKG, "%s is needed for this command and cannot be loaded: %s "
			      "(install the package %s)", soname, why ? why : "unknown error", package);
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlvsym(h, syms[i].name, syms[i].version);
		const char *ver = strrchr(syms[i].version, '_');

		if (!p) {
			dlclose(h);
			return vh_err(e, -ENOPKG, "%s has no %s@%s: it is older than %s "
				      "(install a newer %s)", soname, syms[i].name,
				      syms[i].version, ver ? ver + 1 : syms[i].version, package);
		}
		memcpy((char *)table + syms[i].offset, &p, sizeof(p));
	}
	vh_trace("virt", "loaded %s, %zu symbols", soname, n);
	if (ret_handle)
		*ret_handle = h;
	return 0;
}

/* X(field, symbol, version): @field of @T is loaded from @symbol@@version,
 * and must have the type of &symbol as the library's header declares it. */
#define SYM_ENTRY(T, field, sym, ver) { #sym, ver, offsetof(T, field) },
#define SYM_CHECK(T, field, sym, ver)							\
	_Static_assert(__builtin_types_compatible_p(__typeof__(&sym),			\
						    __typeof__(((T *)0)->field)),	\
		       #sym " has the type of " #T "." #field);

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
	X(T, initialize, virInitialize, "LIBVIRT_0.1.0")				\
	X(T, set_error_func, virSetErrorFunc, "LIBVIRT_0.1.0")

LIBVIRT_SYMS(SYM_CHECK, struct libvirt)

static const struct vvirt_sym libvirt_syms[] = { LIBVIRT_SYMS(SYM_ENTRY, struct libvirt) };

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

static pthread_once_t libvirt_once = PTHREAD_ONCE_INIT;
static struct vh_error libvirt_err;

static void load_libvirt(void)
{
	struct libvirt l = { 0 };

	if (vvirt_dl_open(VVIRT_LIBVIRT_SONAME, VVIRT_LIBVIRT_PACKAGE, libvirt_syms,
			  sizeof(libvirt_syms) / sizeof(libvirt_syms[0]), &l, NULL,
			  &libvirt_err) < 0)
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
	if (libvirt_err.code) {
		if (e)
			*e = libvirt_err;
		return libvirt_err.code;
	}
	return 0;
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

LIBXML2_SYMS(SYM_CHECK, struct vvirt_libxml)

static const struct vvirt_sym libxml2_syms[] = { LIBXML2_SYMS(SYM_ENTRY, struct vvirt_libxml) };

struct vvirt_libxml vvirt_libxml;

static pthread_once_t libxml2_once = PTHREAD_ONCE_INIT;
static struct vh_error libxml2_err;

static void load_libxml2(void)
{
	struct vvirt_libxml x = { 0 };

	if (vvirt_dl_open(VVIRT_LIBXML2_SONAME, VVIRT_LIBXML2_PACKAGE, libxml2_syms,
			  sizeof(libxml2_syms) / sizeof(libxml2_syms[0]), &x, NULL,
			  &libxml2_err) < 0)
		return;
	vvirt_libxml = x;
}

int vvirt_libxml_ready(struct vh_error *e)
{
	pthread_once(&libxml2_once, load_libxml2);
	if (libxml2_err.code) {
		if (e)
			*e = libxml2_err;
		return libxml2_err.code;
	}
	return 0;
}
