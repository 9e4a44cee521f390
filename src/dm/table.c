/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tables: text as dmsetup prints it, the DM_TABLE_LOAD payload we send, and
 * the DM_TABLE_STATUS payload the kernel returns.  Tables are copied target
 * by target and parameter string by parameter string, so a multi-segment LV
 * is reproduced exactly.
 */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "dm/dm-int.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

void vdm_table_free(struct vdm_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->t[i].params);
	free(t->t);
	t->t = NULL;
	t->n = 0;
}

int vdm_table_add(struct vdm_table *t, uint64_t start, uint64_t length, const char *type,
		  const char *params, struct vh_error *e)
{
	struct vdm_target *nt;
	char *p;

	if (strlen(type) >= DM_MAX_TYPE_NAME)
		return vh_err(e, -EINVAL, "target type '%s' longer than %d bytes", type,
			      DM_MAX_TYPE_NAME - 1);
	p = strdup(params ? params : "");
	if (!p)
		return vh_err(e, -ENOMEM, "out of memory");
	nt = realloc(t->t, (t->n + 1) * sizeof(*nt));
	if (!nt) {
		free(p);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	t->t = nt;
	nt = &t->t[t->n++];
	memset(nt, 0, sizeof(*nt));
	nt->start = start;
	nt->length = length;
	memcpy(nt->type, type, strlen(type));
	nt->params = p;
	return 0;
}

uint64_t vdm_table_sectors(const struct vdm_table *t)
{
	return t->n ? t->t[t->n - 1].start + t->t[t->n - 1].length : 0;
}

int vdm_table_check(const struct vdm_table *t, struct vh_error *e)
{
	uint64_t next = 0;

	if (!t->n)
		return vh_err(e, -EINVAL, "empty table");
	for (size_t i = 0; i < t->n; i++) {
		const struct vdm_target *x = &t->t[i];

		if (x->start != next)
			return vh_err(e, -EINVAL, "target %zu starts at sector %" PRIu64
				      ", expected %" PRIu64 " (targets must be contiguous from 0)",
				      i, x->start, next);
		if (!x->length)
			return vh_err(e, -EINVAL, "target %zu has length 0", i);
		if (!x->type[0] || memchr(x->type, '\0', sizeof(x->type)) == NULL)
			return vh_err(e, -EINVAL, "target %zu has no type", i);
		if (strpbrk(x->params, "\n\r"))
			return vh_err(e, -EINVAL, "target %zu: newline in parameters", i);
		if (x->length > UINT64_MAX - x->start)
			return vh_err(e, -ERANGE, "target %zu overflows", i);
		next = x->start + x->length;
	}
	return 0;
}

/* The decimal number at *@pp, up to the next blank (which *@pp is left at). */
static int parse_u64(const char **pp, uint64_t *ret)
{
	size_t n = strcspn(*pp, " \t");
	int r = vnum_u64n(*pp, n, VNUM_ZEROS, UINT64_MAX, ret);

	if (r == 0)
		*pp += n;
	return r;
}

static int parse_line(struct vdm_table *t, const char *line, size_t len, size_t lineno,
		      struct vh_error *e)
{
	char buf[4096], type[DM_MAX_TYPE_NAME];
	const char *p = buf;
	uint64_t start, length;
	size_t tl;

	if (len >= sizeof(buf))
		return vh_err(e, -EINVAL, "table line %zu longer than %zu bytes", lineno,
			      sizeof(buf) - 1);
	memcpy(buf, line, len);
	buf[len] = '\0';
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
	if (parse_u64(&p, &start) || (*p != ' ' && *p != '\t'))
		return vh_err(e, -EINVAL, "table line %zu: bad start sector", lineno);
	while (*p == ' ' || *p == '\t')
		p++;
	if (parse_u64(&p, &length) || (*p != ' ' && *p != '\t'))
		return vh_err(e, -EINVAL, "table line %zu: bad length", lineno);
	while (*p == ' ' || *p == '\t')
		p++;
	tl = strcspn(p, " \t");
	if (!tl || tl >= sizeof(type))
		return vh_err(e, -EINVAL, "table line %zu: bad target type", lineno);
	memcpy(type, p, tl);
	type[tl] = '\0';
	p += tl;
	while (*p == ' ' || *p == '\t')
		p++;
	return vdm_table_add(t, start, length, type, p, e);
}

int vdm_table_parse(const char *text, struct vdm_table *ret, struct vh_error *e)
{
	struct vdm_table t = { 0 };
	size_t lineno = 0;
	int rc;

	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");

		if ((rc = parse_line(&t, p, len, ++lineno, e)))
			goto fail;
		p += len;
		if (*p)
			p++;
	}
	if ((rc = vdm_table_check(&t, e)))
		goto fail;
	*ret = t;
	return 0;
fail:
	vdm_table_free(&t);
	return rc;
}

int vdm_table_format(const struct vdm_table *t, char **ret, struct vh_error *e)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return vh_err(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "%" PRIu64 " %" PRIu64 " %s %s\n", t->t[i].start, t->t[i].length,
			t->t[i].type, t->t[i].params);
	if (fclose(f)) {
		free(s);
		return vh_err(e, -ENOMEM, "out of memory");
	}
	*ret = s;
	return 0;
}

int vdm_table_copy(const struct vdm_table *src, struct vdm_table *ret, struct vh_error *e)
{
	struct vdm_table t = { 0 };
	int rc;

	for (size_t i = 0; i < src->n; i++)
		if ((rc = vdm_table_add(&t, src->t[i].start, src->t[i].length, src->t[i].type,
					src->t[i].params, e))) {
			vdm_table_free(&t);
			return rc;
		}
	*ret = t;
	return 0;
}

bool vdm_table_equal(const struct vdm_table *a, const struct vdm_table *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->t[i].start != b->t[i].start || a->t[i].length != b->t[i].length ||
		    strcmp(a->t[i].type, b->t[i].type) || strcmp(a->t[i].params, b->t[i].params))
			return false;
	return true;
}

int vdm_linear_parse(const char *params, dev_t *ret_dev, uint64_t *ret_offset, struct vh_error *e)
{
	unsigned ma, mi;
	unsigned long long off;
	int n = 0;

	if (sscanf(params, "%u:%u %llu%n", &ma, &mi, &off, &n) != 3 || params[n] != '\0')
		return vh_err(e, -EINVAL, "linear parameters '%s' are not 'MAJ:MIN OFFSET'", params);
	*ret_dev = makedev(ma, mi);
	*ret_offset = off;
	return 0;
}

int vdm_table_linear(struct vdm_table *ret, uint64_t sectors, dev_t dev, uint64_t offset,
		     struct vh_error *e)
{
	struct vdm_table t = { 0 };
	char params[64];
	int rc;

	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(dev), minor(dev), offset);
	if ((rc = vdm_table_add(&t, 0, sectors, "linear", params, e)))
		return rc;
	*ret = t;
	return 0;
}

size_t vdm_table_pack(const struct vdm_table *t, void *buf, size_t cap)
{
	size_t off = sizeof(struct dm_ioctl);

	for (size_t i = 0; i < t->n; i++) {
		size_t plen = strlen(t->t[i].params) + 1;
		size_t next = ALIGN8(off + sizeof(struct dm_target_spec) + plen);

		if (buf && next <= cap) {
			struct dm_target_spec sp = {
				.sector_start = t->t[i].start,
				.length = t->t[i].length,
				/* from this spec to the next one (the kernel's next_target()) */
				.next = (uint32_t)(next - off),
			};
			char *at = (char *)buf + off;

			memcpy(sp.target_type, t->t[i].type, sizeof(sp.target_type));
			memcpy(at, &sp, sizeof(sp));
			memcpy(at + sizeof(sp), t->t[i].params, plen);
			memset(at + sizeof(sp) + plen, 0, next - off - sizeof(sp) - plen);
		}
		off = next;
	}
	return off;
}

int vdm_table_unpack(const struct dm_ioctl *io, size_t len, struct vdm_table *ret,
		     struct vh_error *e)
{
	struct vdm_table t = { 0 };
	const char *base = (const char *)io;
	size_t end, off;
	int rc;

	if (len < offsetof(struct dm_ioctl, data))
		return vh_err(e, -EBADMSG, "DM_TABLE_STATUS reply of %zu bytes is shorter than its "
			      "header", len);
	/* The reply's own sizes are claims: the bytes we hold are the bound. */
	end = io->data_size;
	off = io->data_start;
	if (end > len)
		return vh_err(e, -EBADMSG, "DM_TABLE_STATUS reply claims %zu bytes, %zu received",
			      end, len);
	/* No table (an empty inactive slot): the kernel answers with the header
	 * alone (data_size is the header's), data_start left as sent. */
	if (io->target_count == 0) {
		*ret = t;
		return 0;
	}
	if (off < offsetof(struct dm_ioctl, data) || off > end)
		return vh_err(e, -EBADMSG, "DM_TABLE_STATUS reply: data_start %u outside data_size %u",
			      io->data_start, io->data_size);
	for (uint32_t i = 0; i < io->target_count; i++) {
		struct dm_target_spec sp;
		const char *params;
		char type[DM_MAX_TYPE_NAME];

		if (off + sizeof(sp) > end)
			goto bad;
		memcpy(&sp, base + off, sizeof(sp));
		params = base + off + sizeof(sp);
		if (!memchr(params, '\0', end - (off + sizeof(sp))))
			goto bad;
		memcpy(type, sp.target_type, sizeof(type));
		type[sizeof(type) - 1] = '\0';
		if ((rc = vdm_table_add(&t, sp.sector_start, sp.length, type, params, e)))
			goto fail;
		/* Here next counts from the first spec (data_start), not from this one. */
		if (i + 1 < io->target_count) {
			size_t nx = (size_t)io->data_start + sp.next;

			if (nx <= off || nx > end)
				goto bad;
			off = nx;
		}
	}
	*ret = t;
	return 0;
bad:
	rc = vh_err(e, -EBADMSG, "DM_TABLE_STATUS reply malformed at byte %zu of %zu (target %zu of %u)",
		    off, end, t.n, io->target_count);
fail:
	vdm_table_free(&t);
	return rc;
}
