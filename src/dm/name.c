/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device-mapper names and UUIDs, checked once, before they reach the kernel
 * or a message: what the kernel refuses (dm-ioctl.c check_name(): '/',
 * "control", ".", ".."; the fixed-size fields of struct dm_ioctl) and what we
 * refuse on top: control characters, which the kernel would store and every
 * tool would then print raw (a name with "\n" or "\033[" in it forges lines
 * in `dmsetup ls`, in udev's rules and in our own one-line errors).
 */
#include <errno.h>
#include <string.h>

#include "dm/dm-int.h"

/* Index of the first control character (C0 or DEL) in @s, or -1. */
static long first_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return (long)i;
	}
	return -1;
}

static int check(const char *s, size_t max, const char *what, struct vh_error *e)
{
	size_t n;
	long bad;

	if (!s || !*s)
		return vh_err(e, -EINVAL, "empty device-mapper %s", what);
	n = strnlen(s, max);
	if (n >= max)
		return vh_err(e, -ENAMETOOLONG, "device-mapper %s longer than %zu bytes", what,
			      max - 1);
	if ((bad = first_control(s, n)) >= 0)
		return vh_err(e, -EINVAL, "device-mapper %s has a control character (0x%02x at "
			      "byte %ld)", what, (unsigned char)s[bad], bad);
	return 0;
}

int vdm_name_check(const char *name, struct vh_error *e)
{
	int rc = check(name, DM_NAME_LEN, "name", e);

	if (rc)
		return rc;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !strcmp(name, "control"))
		return vh_err(e, -EINVAL, "invalid device-mapper name '%s' (no '/', and not "
			      "'.', '..' or 'control')", name);
	return 0;
}

int vdm_uuid_check(const char *uuid, struct vh_error *e)
{
	return check(uuid, DM_UUID_LEN, "uuid", e);
}
