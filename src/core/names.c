/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of what a move creates; see names.h for the scheme and its limits. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "dm/dm.h"
#include "lvm/lvm.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int vname_check_uuid(const char *uuid, struct vh_error *e)
{
	size_t n = uuid ? strnlen(uuid, VNAME_UUID_LEN + 1) : 0;

	if (n != VNAME_UUID_LEN)
		return vh_err(e, -EINVAL, "UUID must be 36 characters (8-4-4-4-12 hex digits)");
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? uuid[i] != '-' : !is_hex(uuid[i]))
			return vh_err(e, -EINVAL, "UUID '%s' is not of the form "
				      "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (lower-case hex)", uuid);
	}
	return 0;
}

static bool res_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+';
}

int vname_check_resource(const char *res, struct vh_error *e)
{
	size_t n = res ? strnlen(res, VNAME_RESOURCE_MAX + 1) : 0;

	if (n == 0)
		return vh_err(e, -EINVAL, "resource name is empty");
	if (n > VNAME_RESOURCE_MAX)
		return vh_err(e, -ENAMETOOLONG, "resource name is longer than %d characters",
			      VNAME_RESOURCE_MAX);
	if (res[0] == '-' || res[0] == '.')
		return vh_err(e, -EINVAL, "resource name '%s' starts with '%c'", res, res[0]);
	for (size_t i = 0; i < n; i++)
		if (!res_char_ok((unsigned char)res[i]))
			return vh_err(e, -EINVAL, "resource name has a character outside "
				      "A-Z a-z 0-9 + _ . - at offset %zu", i);
	return 0;
}

/* snprintf that refuses to truncate. */
static int fmt_fit(char *buf, size_t len, size_t max, const char *what, struct vh_error *e,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int fmt_fit(char *buf, size_t len, size_t max, const char *what, struct vh_error *e,
		   const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len || (size_t)n > max)
		return vh_err(e, -ENAMETOOLONG, "%s would be longer than %zu characters", what, max);
	return 0;
}

int vname_resource(const char *uuid, char *buf, size_t len, struct vh_error *e)
{
	int r;

	if ((r = vname_check_uuid(uuid, e)) < 0)
		return r;
	return fmt_fit(buf, len, VNAME_RESOURCE_MAX, "resource name", e, "vh-%.8s", uuid);
}

int vname_resource_move(const char *uuid, uint32_t nonce, char *buf, size_t len,
			struct vh_error *e)
{
	int r;

	if ((r = vname_check_uuid(uuid, e)) < 0)
		return r;
	return fmt_fit(buf, len, VNAME_RESOURCE_MAX, "resource name", e, "vh-%.8s-%06x", uuid,
		       (unsigned)(nonce & VNAME_NONCE_MASK));
}

int vname_check_plan_resource(const char *uuid, const char *res, struct vh_error *e)
{
	char legacy[VNAME_RESOURCE_MAX + 1];
	size_t n;
	int r;

	if ((r = vname_resource(uuid, legacy, sizeof(legacy), e)) < 0)
		return r;
	n = strlen(legacy);
	if (!strcmp(res, legacy))
		return 0;
	if (!strncmp(res, legacy, n) && res[n] == '-' && strlen(res + n + 1) == VNAME_NONCE_HEX) {
		for (size_t i = n + 1; res[i]; i++)
			if (!is_hex(res[i]))
				goto bad;
		return 0;
	}
bad:
	return vh_err(e, -EINVAL, "resource must be '%s' or '%s-' and %d lower-case hex digits "
		      "(from vm.uuid)", legacy, legacy, VNAME_NONCE_HEX);
}

int vname_copy(const char *res, unsigned volume, char *buf, size_t len, struct vh_error *e)
{
	int r;

	if ((r = vname_check_resource(res, e)) < 0)
		return r;
	if (volume >= VNAME_MAX_VOLUMES)
		return vh_err(e, -ERANGE, "volume %u: at most %d disks", volume, VNAME_MAX_VOLUMES);
	return fmt_fit(buf, len, VNAME_DM_MAX, "copy device name", e, "%s-%u.copy", res, volume);
}

int vname_copy_uuid(const char *res, unsigned volume, char *buf, size_t len, struct vh_error *e)
{
	char name[VNAME_DM_MAX + 1];
	int r;

	if ((r = vname_copy(res, volume, name, sizeof(name), e)) < 0)
		return r;
	return fmt_fit(buf, len, VNAME_DM_UUID_MAX, "copy device UUID", e, "%s%s",
		       VDM_UUID_PREFIX, name);
}

int vname_lv_dm_path(const char *vg, const char *lv, char *buf, size_t len, struct vh_error *e)
{
	char dm[VNAME_DM_MAX * 2 + 2];
	int r;

	if ((r = vlvm_check_names(vg, lv, e)) < 0)
		return r;
	if (vlvm_dm_name(vg, lv, dm, sizeof(dm)) < 0)
		return vh_err(e, -ENAMETOOLONG, "device-mapper name for %s/%s is too long", vg, lv);
	r = fmt_fit(buf, len, VNAME_DRBD_PATH_MAX, "device path", e, "/dev/mapper/%s", dm);
	if (r < 0)
		return vh_err(e, r, "/dev/mapper/%s is longer than the %d bytes DRBD takes for a "
			      "device path (VG '%s' has too long a name)", dm, VNAME_DRBD_PATH_MAX, vg);
	return 0;
}

int vname_dm_path(const char *dm_name, char *buf, size_t len, struct vh_error *e)
{
	return fmt_fit(buf, len, VNAME_DRBD_PATH_MAX, "device path", e, "/dev/mapper/%s", dm_name);
}

int vname_md_lv(const char *vg, const char *res, unsigned volume, char *buf, size_t len,
		struct vh_error *e)
{
	char name[VLVM_NAME_MAX + 1], path[VNAME_DRBD_PATH_MAX + 1];
	int r;

	if ((r = vname_check_resource(res, e)) < 0)
		return r;
	if (volume >= VNAME_MAX_VOLUMES)
		return vh_err(e, -ERANGE, "volume %u: at most %d disks", volume, VNAME_MAX_VOLUMES);
	r = fmt_fit(name, sizeof(name), VLVM_NAME_MAX, "meta-data LV name", e, "%s_%u.vhmd", res,
		    volume);
	if (r < 0)
		return r;
	if ((r = vname_lv_dm_path(vg, name, path, sizeof(path), e)) < 0)
		return vh_err_prefix(e, r, "meta-data LV %s/%s", vg, name);
	return fmt_fit(buf, len, VLVM_NAME_MAX, "meta-data LV name", e, "%s", name);
}

int vname_split_dm(const char *dm_name, char *vg, char *lv, struct vh_error *e)
{
	char part[2][VLVM_NAME_MAX + 1];
	struct vh_error sub = { 0 };
	size_t n[2] = { 0, 0 };
	int p = 0;

	for (const char *s = dm_name; *s; s++) {
		char c = *s;

		if (c == '-') {
			if (s[1] == '-') {
				s++;
			} else if (p == 0) {
				p = 1;
				continue;
			} else {
				return vh_err(e, -EINVAL, "'%s' is not an LVM device-mapper name",
					      dm_name);
			}
		}
		if (n[p] >= VLVM_NAME_MAX)
			return vh_err(e, -ENAMETOOLONG, "'%s': name part too long", dm_name);
		part[p][n[p]++] = c;
	}
	if (p != 1 || !n[0] || !n[1])
		return vh_err(e, -EINVAL, "'%s' is not an LVM device-mapper name (vg-lv)", dm_name);
	part[0][n[0]] = part[1][n[1]] = '\0';
	if (vlvm_check_names(part[0], part[1], &sub) < 0)
		return vh_err(e, -EINVAL, "'%s' is not an LVM device-mapper name: %s", dm_name,
			      sub.msg);
	memcpy(vg, part[0], n[0] + 1);
	memcpy(lv, part[1], n[1] + 1);
	return 0;
}

void vname_lv_tag(const char *res, char *buf, size_t len)
{
	snprintf(buf, len, "vmhop_%s", res);
}
