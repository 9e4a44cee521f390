/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict reading of the JSON files vmhop trusts nothing in (plans,
 * journals): one object, bounded depth, valid UTF-8, no trailing bytes,
 * exactly the expected keys, every value of the expected type and range.
 * Each refusal names the field by its path ("disks[1].vg").
 */
#ifndef VMHOP_BASE_JSONX_H
#define VMHOP_BASE_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "base/error.h"

#define VJSON_MAX_DEPTH 10

/* How vmhop writes JSON for people and programs alike: indented, and "/"
 * as it is (JSON allows "\/"; paths read better without). */
#define VJSON_PRETTY	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
			 JSON_C_TO_STRING_NOSLASHESCAPE)
/* ... and one object a line (events, errors) */
#define VJSON_LINE	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* @len bytes of @text (not necessarily NUL-terminated) to a JSON object;
 * *ret is the caller's.  -EBADMSG: not JSON, truncated, trailing bytes,
 * nested too deep, not an object.  @what names the file in messages. */
int vjson_parse(const char *text, size_t len, const char *what, json_object **ret,
		struct vh_error *e) VH_MUST_CHECK;

/* @o is an object with exactly the keys @keys[0..n) (-EINVAL naming the
 * first unknown or missing one).  @path: where @o is ("" for the root). */
int vjson_exact_keys(json_object *o, const char *const *keys, size_t n, const char *path,
		     struct vh_error *e) VH_MUST_CHECK;

/* Member @key of object @o, which must exist and have type @type. */
int vjson_member(json_object *o, const char *key, enum json_type type, const char *path,
		 json_object **ret, struct vh_error *e) VH_MUST_CHECK;

/* A string of 1..len-1 bytes without NUL inside (or 0.. with @may_be_empty). */
int vjson_str(json_object *o, const char *key, char *buf, size_t len, bool may_be_empty,
	      const char *path, struct vh_error *e) VH_MUST_CHECK;
/* A JSON integer in @min..@max (no doubles, no strings). */
int vjson_u64(json_object *o, const char *key, uint64_t min, uint64_t max, uint64_t *ret,
	      const char *path, struct vh_error *e) VH_MUST_CHECK;
int vjson_u32(json_object *o, const char *key, uint32_t min, uint32_t max, uint32_t *ret,
	      const char *path, struct vh_error *e) VH_MUST_CHECK;
int vjson_bool(json_object *o, const char *key, bool *ret, const char *path,
	       struct vh_error *e) VH_MUST_CHECK;

/* json_object_new_* that never hands NULL to json_object_object_add on
 * failure: the object is left without the key, and vjson_add_* return -ENOMEM. */
/* Adds @v (which may be NULL: out of memory) under @key, taking ownership. */
int vjson_add_obj(json_object *o, const char *key, json_object *v);
int vjson_add_str(json_object *o, const char *key, const char *v);
int vjson_add_u64(json_object *o, const char *key, uint64_t v);
int vjson_add_bool(json_object *o, const char *key, bool v);

#endif
