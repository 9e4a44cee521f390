/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <cmocka.h>

#include "support_dm_mock.h"

static int mock_ioctl(int fd, unsigned long request, struct dm_ioctl *io, void *ud)
{
	struct dmock *m = ud;
	const struct dmock_step *s;

	(void)fd;
	if (m->pos >= m->n)
		fail_msg("unexpected dm ioctl 0x%lx after the %zu scripted ones", request, m->n);
	s = &m->steps[m->pos];
	/* _IOWR(0xfd, nr, struct dm_ioctl): the number is the low byte. */
	assert_int_equal(request & 0xff, s->cmd);
	assert_int_equal(request, (unsigned long)_IOWR(DM_IOCTL, s->cmd, struct dm_ioctl));
	/* What the kernel's copy_params()/check_version() insist on. */
	assert_int_equal(io->version[0], DM_VERSION_MAJOR);
	assert_true(io->data_size >= offsetof(struct dm_ioctl, data));
	assert_int_equal(io->data_start, sizeof(struct dm_ioctl));
	if (m->pos < DMOCK_MAX) {
		m->req[m->pos] = malloc(io->data_size);
		assert_non_null(m->req[m->pos]);
		memcpy(m->req[m->pos], io, io->data_size);
		m->req_len[m->pos] = io->data_size;
	}
	m->pos++;
	if (s->err)
		return -s->err;
	/* The kernel starts every reply like this (ctl_ioctl). */
	io->version[1] = DM_VERSION_MINOR;
	io->version[2] = DM_VERSION_PATCHLEVEL;
	if (s->reply)
		s->reply(io, s->arg);
	return 0;
}

void dmock_start(struct dmock *m, const struct dmock_step *steps, size_t n, struct vdm_ctl *c)
{
	memset(m, 0, sizeof(*m));
	m->steps = steps;
	m->n = n;
	assert_int_equal(vdm_open_fd(c, -1, NULL), 0);
	c->busy_delay_us = 0;
	vdm_set_ioctl_fn(mock_ioctl, m);
}

void dmock_finish(struct dmock *m, struct vdm_ctl *c)
{
	size_t ran = m->pos;

	vdm_set_ioctl_fn(NULL, NULL);
	for (size_t i = 0; i < DMOCK_MAX; i++)
		free(m->req[i]);
	free(c->buf);
	c->buf = NULL;
	assert_int_equal(ran, m->n);
}

const struct dm_ioctl *dmock_req(const struct dmock *m, size_t i)
{
	assert_true(i < m->pos && m->req[i]);
	return (const struct dm_ioctl *)m->req[i];
}

void dmock_reply_info(struct dm_ioctl *io, const void *arg)
{
	const struct dm_ioctl *h = arg;

	io->flags = h->flags;
	io->dev = h->dev;
	io->open_count = h->open_count;
	io->event_nr = h->event_nr;
	io->target_count = h->target_count;
	memcpy(io->name, h->name, sizeof(io->name));
	memcpy(io->uuid, h->uuid, sizeof(io->uuid));
	io->data_size = offsetof(struct dm_ioctl, data);
}

void dmock_reply_buffer_full(struct dm_ioctl *io, const void *arg)
{
	(void)arg;
	io->flags |= DM_BUFFER_FULL_FLAG;
	io->data_size = offsetof(struct dm_ioctl, data);
}

int dmock_fill_table(struct dm_ioctl *io, const char *text)
{
	size_t len = io->data_size - io->data_start, used = 0;
	char *outbuf = (char *)io + io->data_start, *outptr = outbuf;
	uint32_t count = 0;

	for (const char *p = text; *p;) {
		unsigned long long start, length;
		char type[DM_MAX_TYPE_NAME];
		int n = 0;
		size_t plen, l;
		const char *params;
		struct dm_target_spec sp = { 0 };

		if (sscanf(p, "%llu %llu %15s %n", &start, &length, type, &n) != 3)
			return -1;
		params = p + n;
		plen = strcspn(params, "\n");
		if ((size_t)(outptr - outbuf) + sizeof(sp) >= len) {
			io->flags |= DM_BUFFER_FULL_FLAG;
			return -1;
		}
		sp.sector_start = start;
		sp.length = length;
		memcpy(sp.target_type, type, strlen(type));
		l = plen + 1;
		if ((size_t)(outptr - outbuf) + sizeof(sp) + l > len) {
			io->flags |= DM_BUFFER_FULL_FLAG;
			return -1;
		}
		memcpy(outptr + sizeof(sp), params, plen);
		outptr[sizeof(sp) + plen] = '\0';
		used = io->data_start + (size_t)(outptr + sizeof(sp) + l - outbuf);
		/* align_ptr(), and next counted from outbuf (retrieve_status) */
		sp.next = (uint32_t)(((size_t)(outptr + sizeof(sp) + l - outbuf) + 7) & ~(size_t)7);
		memcpy(outptr, &sp, sizeof(sp));
		outptr = outbuf + sp.next;
		count++;
		p = params + plen;
		if (*p)
			p++;
	}
	io->data_size = (uint32_t)(used ? used : io->data_start);
	io->target_count = count;
	return 0;
}

void dmock_reply_table(struct dm_ioctl *io, const void *arg)
{
	(void)dmock_fill_table(io, arg);
}

int dmock_kernel_parse_load(const struct dm_ioctl *io, char *out, size_t len)
{
	const char *base = (const char *)io, *end = base + io->data_size;
	const char *last = base;
	uint32_t next = io->data_start;
	size_t w = 0;

	out[0] = '\0';
	if (!io->target_count)
		return -1;
	for (uint32_t i = 0; i < io->target_count; i++) {
		struct dm_target_spec sp;
		const char *spec = last + next, *params;

		/* next_target(): must move forward past the previous spec... */
		if (i && spec < last + sizeof(struct dm_target_spec))
			return -1;
		if (spec + sizeof(sp) > end)
			return -1;
		/* ...and the kernel reads the spec in place: it must be aligned. */
		if ((size_t)(spec - base) % 8)
			return -1;
		memcpy(&sp, spec, sizeof(sp));
		params = spec + sizeof(sp);
		if (!memchr(params, '\0', (size_t)(end - params)))
			return -1;
		w += (size_t)snprintf(out + w, len - w, "%" PRIu64 " %" PRIu64 " %.16s %s\n",
				      (uint64_t)sp.sector_start, (uint64_t)sp.length, sp.target_type,
				      params);
		if (w >= len)
			return -1;
		last = spec;
		next = sp.next;
	}
	return 0;
}
