/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading a library on first use: see dl.h. */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "base/dl.h"

/* A symbol is stored into a function-pointer field through a void *. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit in void *");

int vh_dl_open(const char *soname, const char *package, const struct vh_dl_sym *syms, size_t n,
	       void *table, void **ret_handle, struct vh_error *e)
{
	void *h;

	dlerror();
	/* Lazy: binding all of a big library's relocations up front (RTLD_NOW)
	 * costs time; a missing dependency fails here either way, and every
	 * symbol we call is resolved below. */
	h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();

		return vh_err(e, -ENOPKG, "%s is needed for this command and cannot be loaded: %s "
			      "(install the package %s)", soname, why ? why : "unknown error", package);
	}
	for (size_t i = 0; i < n; i++) {
		const struct vh_dl_sym *s = &syms[i];
		void *p = s->version ? dlvsym(h, s->name, s->version) : dlsym(h, s->name);

		if (!p) {
			const char *ver = s->version ? strrchr(s->version, '_') : NULL;

			dlclose(h);
			if (!s->version)
				return vh_err(e, -ENOPKG, "%s has no %s (install the package %s)",
					      soname, s->name, package);
			return vh_err(e, -ENOPKG, "%s has no %s@%s: it is older than %s "
				      "(install a newer %s)", soname, s->name, s->version,
				      ver ? ver + 1 : s->version, package);
		}
		memcpy((char *)table + s->offset, &p, sizeof(p));
	}
	vh_trace("dl", "loaded %s, %zu symbols", soname, n);
	if (ret_handle)
		*ret_handle = h;
	return 0;
}
