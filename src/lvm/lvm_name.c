/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VG and LV name checks.  Written from LVM2's rules (lib/misc/lvm-string.c:
 * _validate_name(), apply_lvname_restrictions()); they matter here because
 * lvm2_run() splits its command line on white space and honours quotes, so a
 * name must never carry anything but LVM's own character set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lvm/lvm.h"

/* LVM reserves these for its sub-LVs; LV names may not contain them.  LVM
 * 2.03.16 lists the first eleven; "_cvol", "_vdata" and "_wcorig" are used by
 * newer LVM for cache/VDO/writecache sub-LVs, so we refuse them too. */
static const char *const reserved_strings[] = {
	"_cdata", "_cmeta", "_corig", "_mimage", "_mlog", "_pmspare",
	"_rimage", "_rmeta", "_tdata", "_tmeta", "_vorigin",
	"_cvol", "_vdata", "_wcorig",
};
static const char *const reserved_prefixes[] = { "pvmove", "snapshot" };

static bool name_char_ok(unsigned char c)
{
	/* Not isalnum(): that depends on the locale. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+';
}

static int check_common(const char *what, const char *n, struct vh_error *e)
{
	size_t len;

	if (!n || !*n)
		return vh_err(e, -EINVAL, "%s name is empty", what);
	len = strnlen(n, VLVM_NAME_MAX + 1);
	if (len > VLVM_NAME_MAX)
		return vh_err(e, -ENAMETOOLONG, "%s name is longer than %d characters", what,
			      VLVM_NAME_MAX);
	if (n[0] == '-')
		return vh_err(e, -EINVAL, "%s name '%s' starts with '-'", what, n);
	if (!strcmp(n, ".") || !strcmp(n, ".."))
		return vh_err(e, -EINVAL, "%s name '%s' is reserved", what, n);
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)n[i]))
			return vh_err(e, -EINVAL,
				      "%s name has a character LVM does not allow at offset %zu "
				      "(allowed: A-Z a-z 0-9 + _ . -)", what, i);
	return 0;
}

int vlvm_check_vg_name(const char *vg, struct vh_error *e)
{
	int r = check_common("VG", vg, e);

	if (r < 0)
		return r;
	/* A VG name is also a directory under /dev. */
	if (!strcmp(vg, "mapper"))
		return vh_err(e, -EINVAL, "VG name 'mapper' clashes with /dev/mapper");
	return 0;
}

int vlvm_check_lv_name(const char *lv, struct vh_error *e)
{
	int r = check_common("LV", lv, e);

	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(reserved_prefixes) / sizeof(reserved_prefixes[0]); i++)
		if (!strncmp(lv, reserved_prefixes[i], strlen(reserved_prefixes[i])))
			return vh_err(e, -EINVAL, "LV names starting with '%s' are reserved by LVM",
				      reserved_prefixes[i]);
	for (size_t i = 0; i < sizeof(reserved_strings) / sizeof(reserved_strings[0]); i++)
		if (strstr(lv, reserved_strings[i]))
			return vh_err(e, -EINVAL, "LV names containing '%s' are reserved by LVM",
				      reserved_strings[i]);
	return 0;
}

static size_t mangled_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '-' ? 2 : 1;
	return n;
}

int vlvm_check_names(const char *vg, const char *lv, struct vh_error *e)
{
	int r;

	if ((r = vlvm_check_vg_name(vg, e)) < 0 || (r = vlvm_check_lv_name(lv, e)) < 0)
		return r;
	/* device-mapper names are at most DM_NAME_LEN - 1 = 127 bytes. */
	if (mangled_len(vg) + 1 + mangled_len(lv) > 127)
		return vh_err(e, -ENAMETOOLONG,
			      "device-mapper name for %s/%s would be longer than 127 characters",
			      vg, lv);
	return 0;
}

int vlvm_dm_name(const char *vg, const char *lv, char *buf, size_t len)
{
	size_t o = 0;
	const char *parts[2] = { vg, lv };

	for (int p = 0; p < 2; p++) {
		if (p && o < len)
			buf[o++] = '-';
		for (const char *s = parts[p]; *s; s++) {
			if (o + (*s == '-' ? 2 : 1) >= len)
				return -ENAMETOOLONG;
			buf[o++] = *s;
			if (*s == '-')
				buf[o++] = '-';
		}
	}
	if (o >= len)
		return -ENAMETOOLONG;
	buf[o] = '\0';
	return 0;
}

int vlvm_split_path(const char *spec, char *vg, char *lv, struct vh_error *e)
{
	const char *s = spec, *slash;
	size_t n;
	int r;

	if (!spec)
		return vh_err(e, -EINVAL, "no LV given");
	if (!strncmp(s, "/dev/", 5))
		s += 5;
	slash = strchr(s, '/');
	if (!slash || strchr(slash + 1, '/'))
		return vh_err(e, -EINVAL, "'%.200s' is not VG/LV or /dev/VG/LV", spec);
	n = (size_t)(slash - s);
	if (n > VLVM_NAME_MAX || strlen(slash + 1) > VLVM_NAME_MAX)
		return vh_err(e, -ENAMETOOLONG, "'%.200s': name longer than %d characters", spec,
			      VLVM_NAME_MAX);
	memcpy(vg, s, n);
	vg[n] = '\0';
	strcpy(lv, slash + 1);
	if ((r = vlvm_check_names(vg, lv, e)) < 0)
		return r;
	return 0;
}
