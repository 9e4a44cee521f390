/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading `vgs`/`lvs --reportformat json --units b --nosuffix --binary`
 * output.  LVM prints its report through the same log level as warnings, so
 * the JSON object is found first, then parsed with json-c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/num.h"
#include "lvm/lvm.h"

/* The first line whose first non-blank character is '{'. */
static const char *json_start(const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '{')
			return q;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Rows of report[0].<kind>; -ENOENT if there are none. */
static int report_rows(const char *text, const char *kind, json_object **ret_root,
		       json_object **ret_rows, struct vh_error *e)
{
	const char *start = json_start(text);
	struct json_tokener *tok;
	json_object *root, *rep, *first, *rows;

	if (!start)
		return vh_err(e, -EBADMSG, "LVM printed no JSON report");
	tok = json_tokener_new();
	if (!tok)
		return vh_err(e, -ENOMEM, "out of memory");
	root = json_tokener_parse_ex(tok, start, (int)strlen(start));
	if (!root) {
		enum json_tokener_error je = json_tokener_get_error(tok);
		size_t at = json_tokener_get_parse_end(tok);
		size_t from = at > 40 ? at - 40 : 0;

		json_tokener_free(tok);
		return vh_err(e, -EBADMSG, "LVM's JSON report does not parse: %s at '%.80s'",
			      json_tokener_error_desc(je), start + from);
	}
	json_tokener_free(tok);
	if (!json_object_object_get_ex(root, "report", &rep) ||
	    !json_object_is_type(rep, json_type_array) || json_object_array_length(rep) < 1 ||
	    !(first = json_object_array_get_idx(rep, 0)) ||
	    !json_object_object_get_ex(first, kind, &rows) ||
	    !json_object_is_type(rows, json_type_array)) {
		json_object_put(root);
		return vh_err(e, -EBADMSG, "LVM's JSON report has no report[0].%s array", kind);
	}
	if (json_object_array_length(rows) < 1) {
		json_object_put(root);
		return vh_err(e, -ENOENT, "LVM reported no %s", kind);
	}
	*ret_root = root;
	*ret_rows = rows;
	return 0;
}

/* The string value of @name; NULL if absent or not a string.  A string with
 * a NUL inside ("\u0000") counts as absent: it would be cut short. */
static const char *field(json_object *row, const char *name)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(row, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return NULL;
	return s;
}

static int field_u64(json_object *row, const char *name, uint64_t *ret, struct vh_error *e)
{
	const char *s = field(row, name);

	if (!s || !*s)
		return vh_err(e, -EBADMSG, "LVM report lacks field %s", name);
	/* decimal digits only (strtoull alone would take " -1" as 2^64 - 1) */
	if (vnum_u64(s, VNUM_ZEROS, UINT64_MAX, ret) < 0)
		return vh_err(e, -EBADMSG, "LVM report field %s='%.40s' is not a byte count", name, s);
	return 0;
}

static int field_int(json_object *row, const char *name, int *ret, struct vh_error *e)
{
	const char *s = field(row, name);
	uint64_t v;

	if (!s || !*s)
		return vh_err(e, -EBADMSG, "LVM report lacks field %s", name);
	/* -1 (none), or a device number's part: decimal, at most 20 bits */
	if (!strcmp(s, "-1")) {
		*ret = -1;
		return 0;
	}
	if (vnum_u64(s, VNUM_ZEROS, 0xfffff, &v) < 0)
		return vh_err(e, -EBADMSG, "LVM report field %s='%.40s' is not a number", name, s);
	*ret = (int)v;
	return 0;
}

static int field_str(json_object *row, const char *name, char *buf, size_t len, bool required,
		     struct vh_error *e)
{
	json_object *v;
	const char *s = field(row, name);

	if (!s) {
		if (json_object_object_get_ex(row, name, &v))
			return vh_err(e, -EBADMSG, "LVM report field %s is not a plain string",
				      name);
		if (required)
			return vh_err(e, -EBADMSG, "LVM report lacks field %s", name);
		buf[0] = '\0';
		return 0;
	}
	if (strlen(s) >= len)
		return vh_err(e, -EBADMSG, "LVM report field %s is too long", name);
	strcpy(buf, s);
	return 0;
}

int vlvm_parse_vg_report(const char *text, struct vlvm_vg_info *ret, struct vh_error *e)
{
	struct vlvm_vg_info vi = { 0 };
	json_object *root, *rows, *row;
	int r;

	if ((r = report_rows(text, "vg", &root, &rows, e)) < 0)
		return r;
	if (json_object_array_length(rows) != 1) {
		r = vh_err(e, -EBADMSG, "LVM reported %zu VGs, expected one",
			   json_object_array_length(rows));
		goto out;
	}
	row = json_object_array_get_idx(rows, 0);
	if ((r = field_str(row, "vg_name", vi.name, sizeof(vi.name), true, e)) < 0 ||
	    (r = field_u64(row, "vg_extent_size", &vi.extent_size, e)) < 0 ||
	    (r = field_u64(row, "vg_extent_count", &vi.extent_count, e)) < 0 ||
	    (r = field_u64(row, "vg_free_count", &vi.free_count, e)) < 0 ||
	    (r = field_u64(row, "vg_size", &vi.size, e)) < 0 ||
	    (r = field_u64(row, "vg_free", &vi.free, e)) < 0)
		goto out;
	/* A name LVM itself would refuse (empty, say, from a repeated key) is garbage. */
	if ((r = vlvm_check_vg_name(vi.name, e)) < 0) {
		r = vh_err_prefix(e, r, "LVM report");
		goto out;
	}
	if (vi.extent_size == 0 || vi.extent_size % 512) {
		r = vh_err(e, -EBADMSG, "LVM reported extent size %" PRIu64 " bytes", vi.extent_size);
		goto out;
	}
	*ret = vi;
out:
	json_object_put(root);
	return r;
}

int vlvm_parse_lv_report(const char *text, struct vlvm_lv_info *ret, struct vh_error *e)
{
	struct vlvm_lv_info li = { 0 };
	json_object *root, *rows, *row;
	const char *s;
	int r;

	if ((r = report_rows(text, "lv", &root, &rows, e)) < 0)
		return r;
	if (json_object_array_length(rows) != 1) {
		r = vh_err(e, -EBADMSG, "LVM reported %zu LVs, expected one",
			   json_object_array_length(rows));
		goto out;
	}
	row = json_object_array_get_idx(rows, 0);
	if ((r = field_str(row, "vg_name", li.vg, sizeof(li.vg), true, e)) < 0 ||
	    (r = field_str(row, "lv_name", li.name, sizeof(li.name), true, e)) < 0 ||
	    (r = field_u64(row, "lv_size", &li.size, e)) < 0 ||
	    (r = field_str(row, "lv_path", li.path, sizeof(li.path), false, e)) < 0 ||
	    (r = field_str(row, "lv_dm_path", li.dm_path, sizeof(li.dm_path), true, e)) < 0 ||
	    (r = field_str(row, "lv_uuid", li.uuid, sizeof(li.uuid), false, e)) < 0 ||
	    (r = field_str(row, "lv_attr", li.attr, sizeof(li.attr), false, e)) < 0 ||
	    (r = field_str(row, "lv_tags", li.tags, sizeof(li.tags), false, e)) < 0 ||
	    (r = field_int(row, "lv_kernel_major", &li.major, e)) < 0 ||
	    (r = field_int(row, "lv_kernel_minor", &li.minor, e)) < 0)
		goto out;
	if ((r = vlvm_check_names(li.vg, li.name, e)) < 0) {
		r = vh_err_prefix(e, r, "LVM report");
		goto out;
	}
	/* --binary makes these "1"/"0" (else "open"/"", "active"/""). */
	s = field(row, "lv_device_open");
	li.open = s && (!strcmp(s, "1") || !strcmp(s, "open"));
	s = field(row, "lv_active_locally");
	li.active = s && (!strcmp(s, "1") || !strcmp(s, "active locally"));
	s = strrchr(li.dm_path, '/');
	if (!s || !s[1]) {
		r = vh_err(e, -EBADMSG, "LVM reported dm path '%s'", li.dm_path);
		goto out;
	}
	snprintf(li.dm_name, sizeof(li.dm_name), "%s", s + 1);
	*ret = li;
out:
	json_object_put(root);
	return r;
}
