/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Libraries loaded on first use (dlopen) instead of linked, so that a
 * command that does not need one does not pay for loading it and its
 * dependencies at start-up.  One function loads a library and resolves a
 * table of its symbols; a macro declares the dependency to packagers in
 * the binary (systemd's ELF .note.dlopen, https://systemd.io/ELF_DLOPEN_METADATA/:
 * `readelf -n`, `systemd-analyze dlopen-metadata`).
 */
#ifndef VMHOP_BASE_DL_H
#define VMHOP_BASE_DL_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* One symbol to resolve: @name at version node @version (dlvsym; NULL for a
 * library whose symbols carry no version: dlsym), stored at @offset of the
 * table. */
struct vh_dl_sym {
	const char *name;
	const char *version;
	size_t offset;
};

/* An entry of a table of @T, field @field loaded from @sym at @ver, and a
 * compile-time check that the field has the type of &sym as the library's
 * header declares it.  Use both from one X-macro list. */
#define VH_DL_SYM(T, field, sym, ver) { #sym, ver, offsetof(T, field) },
#define VH_DL_CHECK(T, field, sym, ver)							\
	_Static_assert(__builtin_types_compatible_p(__typeof__(&sym),			\
						    __typeof__(((T *)0)->field)),	\
		       #sym " has the type of " #T "." #field);

/* dlopen(@soname) and resolve @n symbols into @table; the library is never
 * unloaded (its handle goes to *@ret_handle if not NULL).  -ENOPKG, naming
 * Debian's @package, when the library cannot be loaded or lacks a symbol
 * at its version; then @table may be partly written (load into a scratch
 * copy). */
int vh_dl_open(const char *soname, const char *package, const struct vh_dl_sym *syms, size_t n,
	       void *table, void **ret_handle, struct vh_error *e) VH_MUST_CHECK;

/* An ELF note in .note.dlopen (owner "FDO", type 0x407c0c0a) whose payload
 * is @json_: [{"feature":..., "description":..., "priority":"required",
 * "soname":["libfoo.so.1"]}]. */
#define VH_DL_NOTE_OWNER "FDO"
#define VH_DL_NOTE_TYPE UINT32_C(0x407c0c0a)
#define VH_DL_NOTE(var, json_)								\
	__attribute__((used, section(".note.dlopen"))) _Alignas(sizeof(uint32_t))	\
	static const struct {								\
		struct {								\
			uint32_t n_namesz, n_descsz, n_type;				\
		} nhdr;									\
		char name[sizeof(VH_DL_NOTE_OWNER)];					\
		_Alignas(sizeof(uint32_t)) char json[sizeof(json_)];			\
	} var = {									\
		.nhdr = {								\
			.n_namesz = sizeof(VH_DL_NOTE_OWNER),				\
			.n_descsz = sizeof(json_),					\
			.n_type = VH_DL_NOTE_TYPE,					\
		},									\
		.name = VH_DL_NOTE_OWNER,						\
		.json = json_,								\
	}

#endif
