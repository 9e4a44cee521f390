/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict JSON reading with json-c; see jsonx.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "base/jsonx.h"

int vjson_parse(const char *text, size_t len, const char *what, json_object **ret,
		struct vh_error *e)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *o;
	size_t end;

	if (len > INT_MAX)
		return vh_err(e, -EFBIG, "%s: too large", what);
	if (len == 0)
		return vh_err(e, -EBADMSG, "%s is empty", what);
	if (memchr(text, '\0', len))
		return vh_err(e, -EBADMSG, "%s holds a NUL byte: not JSON", what);
	tok = json_tokener_new_ex(VJSON_MAX_DEPTH);
	if (!tok)
		return vh_err(e, -ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		json_object_put(o);
		return vh_err(e, -EBADMSG, "%s is truncated: the JSON text ends early", what);
	}
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		return vh_err(e, -EBADMSG, "%s is not valid JSON: %s at byte %zu", what,
			      json_tokener_error_desc(jerr), end);
	}
	for (size_t i = end; i < len; i++) {
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
			json_object_put(o);
			return vh_err(e, -EBADMSG, "%s has bytes after its JSON object (at %zu)",
				      what, i);
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return vh_err(e, -EBADMSG, "%s is not a JSON object", what);
	}
	*ret = o;
	return 0;
}

static const char *sep(const char *path)
{
	return path && *path ? "." : "";
}

int vjson_exact_keys(json_object *o, const char *const *keys, size_t n, const char *path,
		     struct vh_error *e)
{
	json_object_object_foreach(o, key, val) {
		size_t i;

		(void)val;
		for (i = 0; i < n; i++)
			if (!strcmp(key, keys[i]))
				break;
		if (i == n)
			return vh_err(e, -EINVAL, "unknown field %.64s%s%.64s", path, sep(path), key);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_object_get_ex(o, keys[i], NULL))
			return vh_err(e, -EINVAL, "missing field %s%s%s", path, sep(path), keys[i]);
	return 0;
}

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	case json_type_int: return "an integer";
	case json_type_boolean: return "true or false";
	case json_type_double: return "a number";
	default: return "null";
	}
}

int vjson_member(json_object *o, const char *key, enum json_type type, const char *path,
		 json_object **ret, struct vh_error *e)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return vh_err(e, -EINVAL, "missing field %s%s%s", path, sep(path), key);
	if (!json_object_is_type(v, type))
		return vh_err(e, -EINVAL, "field %s%s%s must be %s, not %s", path, sep(path), key,
			      type_name(type), type_name(json_object_get_type(v)));
	*ret = v;
	return 0;
}

int vjson_str(json_object *o, const char *key, char *buf, size_t len, bool may_be_empty,
	      const char *path, struct vh_error *e)
{
	json_object *v;
	size_t n;
	int r;

	if ((r = vjson_member(o, key, json_type_string, path, &v, e)) < 0)
		return r;
	n = (size_t)json_object_get_string_len(v);
	if (memchr(json_object_get_string(v), '\0', n))
		return vh_err(e, -EINVAL, "field %s%s%s holds a NUL character", path, sep(path), key);
	if (n == 0 && !may_be_empty)
		return vh_err(e, -EINVAL, "field %s%s%s is empty", path, sep(path), key);
	if (n >= len)
		return vh_err(e, -ENAMETOOLONG, "field %s%s%s is longer than %zu bytes", path,
			      sep(path), key, len - 1);
	memcpy(buf, json_object_get_string(v), n + 1);
	return 0;
}

int vjson_u64(json_object *o, const char *key, uint64_t min, uint64_t max, uint64_t *ret,
	      const char *path, struct vh_error *e)
{
	json_object *v;
	int64_t s;
	int r;

	if ((r = vjson_member(o, key, json_type_int, path, &v, e)) < 0)
		return r;
	/* json-c keeps integers beyond INT64_MAX as uint64; none of ours is
	 * that large, and a negative one is never valid. */
	s = json_object_get_int64(v);
	if (s < 0 || s == INT64_MAX || (uint64_t)s < min || (uint64_t)s > max)
		return vh_err(e, -ERANGE, "field %s%s%s must be in %" PRIu64 "..%" PRIu64, path,
			      sep(path), key, min, max);
	*ret = (uint64_t)s;
	return 0;
}

int vjson_u32(json_object *o, const char *key, uint32_t min, uint32_t max, uint32_t *ret,
	      const char *path, struct vh_error *e)
{
	uint64_t v = 0;
	int r = vjson_u64(o, key, min, max, &v, path, e);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

int vjson_bool(json_object *o, const char *key, bool *ret, const char *path, struct vh_error *e)
{
	json_object *v;
	int r;

	if ((r = vjson_member(o, key, json_type_boolean, path, &v, e)) < 0)
		return r;
	*ret = json_object_get_boolean(v);
	return 0;
}

int vjson_add_obj(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int vjson_add_str(json_object *o, const char *key, const char *v)
{
	return vjson_add_obj(o, key, json_object_new_string(v));
}

int vjson_add_u64(json_object *o, const char *key, uint64_t v)
{
	return vjson_add_obj(o, key, json_object_new_int64((int64_t)v));
}

int vjson_add_bool(json_object *o, const char *key, bool v)
{
	return vjson_add_obj(o, key, json_object_new_boolean(v));
}
