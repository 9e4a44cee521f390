/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recorded-bytes netlink seam for unit tests (see support_netlink.h). */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <netlink/msg.h>
#include <linux/genetlink.h>

#include "netlink/internal.h"
#include "support_netlink.h"

static const char *data_dir(void)
{
	const char *d = getenv("VMHOP_TEST_DATA");

	return d ? d : "tests/data/netlink";
}

static struct nlfake *current_fake;

static int load(const char *name, unsigned k, unsigned char **buf, size_t *len, bool quiet);

int nlfake_load(const char *name, unsigned k, unsigned char **buf, size_t *len)
{
	return load(name, k, buf, len, false);
}

static int load(const char *name, unsigned k, unsigned char **buf, size_t *len, bool quiet)
{
	char path[512], line[1024];
	unsigned char *b = NULL;
	size_t n = 0, cap = 0;
	unsigned part = 0;
	FILE *f;

	if (!strncmp(name, "mem:", 4)) {
		int slot = atoi(name + 4);

		assert_non_null(current_fake);
		if (k > 0 || !current_fake->memlen[slot])
			return -ENOENT;
		*buf = malloc(current_fake->memlen[slot]);
		memcpy(*buf, current_fake->mem[slot], current_fake->memlen[slot]);
		*len = current_fake->memlen[slot];
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s.hex", data_dir(), name);
	f = fopen(path, "re");
	if (!f) {
		print_error("cannot open %s\n", path);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		if (line[0] == '#')
			continue;
		if (!strncmp(line, "--", 2)) {
			part++;
			continue;
		}
		if (part != k)
			continue;
		for (;;) {
			unsigned v;
			int used;

			while (*p == ' ' || *p == '\t')
				p++;
			if (sscanf(p, "%2x%n", &v, &used) != 1)
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				b = realloc(b, cap);
				assert_non_null(b);
			}
			b[n++] = (unsigned char)v;
			p += used;
		}
	}
	fclose(f);
	if (part < k || !n) {
		free(b);
		if (!quiet)
			print_error("%s has no datagram %u\n", path, k);
		return -ENOENT;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int count_parts(const char *name)
{
	unsigned char *b;
	size_t n;
	int k = 0;

	while (load(name, (unsigned)k, &b, &n, true) == 0) {
		free(b);
		k++;
	}
	return k;
}

int nlfake_count(const char *name)
{
	return count_parts(name);
}

static int fake_transact(struct drbdnl *h, struct nl_msg *req, drbdnl_msg_fn on_msg, void *arg,
			 struct vh_error *e)
{
	struct nlfake *f = drbdnl_ops_data(h);
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	const struct nlfake_step *s;
	char names[256], *save = NULL;
	int parts, r = 0;

	if (f->pos >= f->nsteps)
		fail_msg("unexpected request #%zu (cmd %u)", f->pos + 1,
			 ((unsigned char *)nlmsg_data(nlh))[0]);
	s = &f->steps[f->pos++];
	assert_true(nlh->nlmsg_len <= sizeof(f->last_req));
	memcpy(f->last_req, nlh, nlh->nlmsg_len);
	f->last_req_len = nlh->nlmsg_len;
	if (s->req) {
		unsigned char *want;
		size_t wlen;

		assert_int_equal(nlfake_load(s->req, 0, &want, &wlen), 0);
		/* all bytes but nlmsg_seq and nlmsg_pid, which are per process */
		if (wlen != nlh->nlmsg_len || memcmp(want, nlh, 8) ||
		    memcmp(want + 16, (unsigned char *)nlh + 16, wlen - 16)) {
			print_error("request differs from %s:\n got:", s->req);
			for (size_t i = 0; i < nlh->nlmsg_len; i++)
				print_error("%s%02x", i % 16 ? " " : "\n  ", ((unsigned char *)nlh)[i]);
			print_error("\nwant:");
			for (size_t i = 0; i < wlen; i++)
				print_error("%s%02x", i % 16 ? " " : "\n  ", want[i]);
			print_error("\n");
			free(want);
			fail();
		}
		free(want);
	}
	if (s->err)
		return vh_err(e, s->err, "fake transport error");
	assert_non_null(s->reply);
	snprintf(names, sizeof(names), "%s", s->reply);
	for (char *name = strtok_r(names, "+", &save); name && r == 0;
	     name = strtok_r(NULL, "+", &save)) {
		parts = count_parts(name);
		assert_true(parts > 0);
		for (int k = 0; k < parts && r == 0; k++) {
			unsigned char *b;
			size_t n, off = 0;

			assert_int_equal(nlfake_load(name, (unsigned)k, &b, &n), 0);
			/* the recording's sequence numbers are the recording process's: renumber */
			while (off + sizeof(struct nlmsghdr) <= n) {
				struct nlmsghdr *m = (struct nlmsghdr *)(b + off);

				if (m->nlmsg_len < sizeof(*m) || m->nlmsg_len > n - off)
					break;
				m->nlmsg_seq = nlh->nlmsg_seq;
				off += NLMSG_ALIGN(m->nlmsg_len);
			}
			r = drbdnl_dispatch(b, n, nlh->nlmsg_seq, dump, on_msg, arg, e);
			free(b);
		}
	}
	if (r == 0)
		fail_msg("%s ended before the request was answered", s->reply);
	return r < 0 ? r : 0;
}

static int fake_ev_join(struct drbdnl *h, const uint32_t *grps, size_t n, struct vh_error *e)
{
	struct nlfake *f = drbdnl_ops_data(h);

	for (size_t i = 0; i < n && f->njoined < 4; i++)
		f->joined[f->njoined++] = grps[i];
	return 0;
}

static ssize_t fake_ev_recv(struct drbdnl *h, void *buf, size_t len, int timeout_ms)
{
	struct nlfake *f = drbdnl_ops_data(h);
	char name[256], *hash;
	unsigned k = 0;
	unsigned char *b;
	size_t n;

	if (timeout_ms == 0 && f->evpos >= f->npending)
		return 0;	/* nothing queued yet */
	if (f->evpos >= f->nevents) {
		if (f->end_err)
			return f->end_err;
		if (timeout_ms < 0)
			fail_msg("a wait without timeout after the last event would never end");
		return 0;	/* nothing more: as a timeout */
	}
	snprintf(name, sizeof(name), "%s", f->events[f->evpos++]);
	if (!strcmp(name, "ENOBUFS"))
		return -ENOBUFS;
	/* "file#k": datagram k of a recording */
	hash = strchr(name, '#');
	if (hash) {
		*hash = '\0';
		k = (unsigned)atoi(hash + 1);
	}
	assert_int_equal(nlfake_load(name, k, &b, &n), 0);
	assert_true(n <= len);
	memcpy(buf, b, n);
	free(b);
	return (ssize_t)n;
}

static void fake_backoff(struct drbdnl *h, unsigned ms)
{
	struct nlfake *f = drbdnl_ops_data(h);

	assert_true(f->nbackoff < sizeof(f->backoff_ms) / sizeof(f->backoff_ms[0]));
	f->backoff_ms[f->nbackoff++] = ms;
}

const struct drbdnl_ops nlfake_ops = {
	.transact = fake_transact,
	.ev_join = fake_ev_join,
	.ev_recv = fake_ev_recv,
	.backoff = fake_backoff,
};

static void mem_put(struct nlfake *f, int slot, struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	assert_true(slot >= 0 && slot < NLFAKE_MEM);
	assert_true(nlh->nlmsg_len <= sizeof(f->mem[slot]));
	memcpy(f->mem[slot], nlh, nlh->nlmsg_len);
	f->memlen[slot] = nlh->nlmsg_len;
	nlmsg_free(m);
}

void nlfake_mem_delfamily(struct nlfake *f, int slot, uint16_t id)
{
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_DELFAMILY, 2));
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, "drbd");
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, id);
	mem_put(f, slot, m);
}

void nlfake_mem_ctrl(struct nlfake *f, int slot, const char *family, uint16_t id,
		     uint32_t version, uint32_t hdrsize, const char *group, uint32_t group_id)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *grps, *g;

	assert_non_null(genlmsg_put(m, 0, 0, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2));
	nla_put_string(m, CTRL_ATTR_FAMILY_NAME, family);
	nla_put_u16(m, CTRL_ATTR_FAMILY_ID, id);
	nla_put_u32(m, CTRL_ATTR_VERSION, version);
	nla_put_u32(m, CTRL_ATTR_HDRSIZE, hdrsize);
	nla_put_u32(m, CTRL_ATTR_MAXATTR, 24);
	if (group) {
		grps = nla_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
		g = nla_nest_start(m, 1);
		nla_put_u32(m, CTRL_ATTR_MCAST_GRP_ID, group_id);
		nla_put_string(m, CTRL_ATTR_MCAST_GRP_NAME, group);
		nla_nest_end(m, g);
		nla_nest_end(m, grps);
	}
	mem_put(f, slot, m);
}

/* As the kernel builds them: CFG_REPLY / CFG_CONTEXT / STATE_INFO without NLA_F_NESTED. */
void nlfake_mem_drbd(struct nlfake *f, int slot, const struct nlfake_state *s)
{
	struct nl_msg *m = nlmsg_alloc();
	struct drbdnl_hdr *dh;
	struct nlattr *n;

	dh = genlmsg_put(m, 0, 0, s->family, sizeof(*dh), 0, s->cmd, 1);
	assert_non_null(dh);
	dh->minor = s->minor;
	dh->ret_code = s->ret_code ? s->ret_code : DRBDNL_NO_ERROR;
	if (s->info) {
		n = nla_nest_start(m, DRBDNL_A_CFG_REPLY);
		nla_put_string(m, 0x4001, s->info);
		nla_nest_end(m, n);
	}
	if (s->resource) {
		n = nla_nest_start(m, DRBDNL_A_CFG_CONTEXT);
		nla_put_u32(m, 0x4001, 0);
		nla_put_string(m, 0x4002, s->resource);
		nla_nest_end(m, n);
	}
	if (s->sib_reason) {
		n = nla_nest_start(m, DRBDNL_A_STATE_INFO);
		nla_put_u32(m, 0x4001, s->sib_reason);
		nla_put_u32(m, 0x0002, s->state);
		nla_put_u64(m, 0x4003, 409600);
		nla_put_u64(m, 0x4009, 51200);
		nla_put_u64(m, 0x400a, s->bits_oos);
		if (s->bits_rs_total) {
			nla_put_u64(m, 0x400b, s->bits_rs_total);
			nla_put_u64(m, 0x400c, 0);
		}
		nla_nest_end(m, n);
	}
	mem_put(f, slot, m);
}

void nlfake_mem_append(struct nlfake *f, int slot, int from)
{
	size_t at = NLMSG_ALIGN(f->memlen[slot]);

	assert_true(at + f->memlen[from] <= sizeof(f->mem[slot]));
	memcpy(f->mem[slot] + at, f->mem[from], f->memlen[from]);
	f->memlen[slot] = at + f->memlen[from];
}

void nlfake_mem_raw(struct nlfake *f, int slot, uint16_t type, uint16_t flags, const void *payload,
		    size_t plen)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)(NLMSG_HDRLEN + plen), .nlmsg_type = type,
			      .nlmsg_flags = flags };

	assert_true(slot >= 0 && slot < NLFAKE_MEM);
	assert_true(NLMSG_HDRLEN + plen <= sizeof(f->mem[slot]));
	memset(f->mem[slot], 0, sizeof(f->mem[slot]));
	memcpy(f->mem[slot], &h, sizeof(h));
	memcpy(f->mem[slot] + NLMSG_HDRLEN, payload, plen);
	f->memlen[slot] = NLMSG_HDRLEN + plen;
}

void nlfake_mem_cut(struct nlfake *f, int slot, size_t len, bool keep_len)
{
	size_t off = 0, last = 0;

	/* the last message that starts before @len */
	while (off + sizeof(struct nlmsghdr) <= f->memlen[slot] && off < len) {
		struct nlmsghdr *m = (struct nlmsghdr *)(f->mem[slot] + off);

		last = off;
		off += NLMSG_ALIGN(m->nlmsg_len);
	}
	assert_true(len <= f->memlen[slot] + 4 && len > last);
	if (!keep_len)
		((struct nlmsghdr *)(f->mem[slot] + last))->nlmsg_len = (uint32_t)(len - last);
	f->memlen[slot] = len;
}

void nlfake_open_prepare(struct nlfake *f)
{
	current_fake = f;
}

struct drbdnl *nlfake_open(struct nlfake *f)
{
	struct vh_error e = { 0 };
	struct drbdnl *h = NULL;

	current_fake = f;
	if (drbdnl_open_with(&h, &nlfake_ops, f, &e) < 0)
		fail_msg("open: %s", e.msg);
	return h;
}
