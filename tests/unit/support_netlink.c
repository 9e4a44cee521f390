/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recorded-bytes netlink seam for unit tests (see support_netlink.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "netlink/internal.h"
#include "support_netlink.h"

static const char *data_dir(void)
{
	const char *d = getenv("VMHOP_TEST_DATA");

	return d ? d : "tests/data/netlink";
}

int nlfake_load(const char *name, unsigned k, unsigned char **buf, size_t *len)
{
	char path[512], line[1024];
	unsigned char *b = NULL;
	size_t n = 0, cap = 0;
	unsigned part = 0;
	FILE *f;

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

	while (nlfake_load(name, (unsigned)k, &b, &n) == 0) {
		free(b);
		k++;
	}
	return k;
}

static int fake_transact(struct drbdnl *h, struct nl_msg *req, drbdnl_msg_fn on_msg, void *arg,
			 struct vh_error *e)
{
	struct nlfake *f = drbdnl_ops_data(h);
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	const struct nlfake_step *s;
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
	parts = count_parts(s->reply);
	assert_true(parts > 0);
	for (int k = 0; k < parts && r == 0; k++) {
		unsigned char *b;
		size_t n, off = 0;

		assert_int_equal(nlfake_load(s->reply, (unsigned)k, &b, &n), 0);
		/* the recording's sequence numbers are the recording process's: renumber */
		while (off + sizeof(struct nlmsghdr) <= n) {
			struct nlmsghdr *m = (struct nlmsghdr *)(b + off);

			if (m->nlmsg_len < sizeof(*m))
				break;
			m->nlmsg_seq = nlh->nlmsg_seq;
			off += NLMSG_ALIGN(m->nlmsg_len);
		}
		r = drbdnl_dispatch(b, n, nlh->nlmsg_seq, dump, on_msg, arg, e);
		free(b);
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
	const char *name;
	unsigned char *b;
	size_t n;

	if (f->evpos >= f->nevents)
		return 0;	/* nothing more: as a timeout */
	name = f->events[f->evpos++];
	if (!strcmp(name, "ENOBUFS"))
		return -ENOBUFS;
	assert_int_equal(nlfake_load(name, 0, &b, &n), 0);
	assert_true(n <= len);
	memcpy(buf, b, n);
	free(b);
	return (ssize_t)n;
}

const struct drbdnl_ops nlfake_ops = {
	.transact = fake_transact,
	.ev_join = fake_ev_join,
	.ev_recv = fake_ev_recv,
};

struct drbdnl *nlfake_open(struct nlfake *f)
{
	struct vh_error e = { 0 };
	struct drbdnl *h = NULL;

	if (drbdnl_open_with(&h, &nlfake_ops, f, &e) < 0)
		fail_msg("open: %s", e.msg);
	return h;
}
