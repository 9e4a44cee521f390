/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between the files of src/netlink only. */
#ifndef VMHOP_NETLINK_INTERNAL_H
#define VMHOP_NETLINK_INTERNAL_H

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>

#include "netlink/drbdnl.h"
#include "netlink/proto.h"

#define DRBDNL_RECV_BUF (64 * 1024)

struct drbdnl {
	struct drbdnl_ops ops;
	void *ops_data;
	struct drbdnl_family fam;
	uint32_t ctrl_notify_group;
	unsigned round_trips;
	uint32_t seq;
	/* the real seam's sockets (-1: not open) and the receive buffer */
	int fd;
	int ev_fd;
	int wake_fd;		/* also ends a wait when readable (-1: none) */
	unsigned char *buf;
	unsigned char *evbuf;	/* events, so that a callback may send requests */
	const char *kmsg_path;	/* NULL: /dev/kmsg (tests point it at a file) */
};

/* The real seam (sock.c). */
extern const struct drbdnl_ops drbdnl_kernel_ops;

/* A DRBD request with its headers; NULL on ENOMEM. */
struct nl_msg *drbdnl_msg_new(const struct drbdnl *h, uint8_t cmd, uint32_t minor,
			      uint32_t flags, int nlmsg_flags);

/* fields.c: put the fields of @c that belong to @nest as one TLA. */
int drbdnl_put_conf(struct nl_msg *m, enum drbdnl_nest_kind nest, const struct drbdnl_conf *c,
		    bool for_change, struct vh_error *e);
int drbdnl_get_conf(const struct nlattr *tla, enum drbdnl_nest_kind nest, struct drbdnl_conf *c);

/* reply.c: send @m, check the ret_code, with bounded retries of transient states. */
struct drbdnl_reply {
	int32_t ret_code;
	char info[256];
	bool got;
};
int drbdnl_do(struct drbdnl *h, struct nl_msg *m, const char *what, struct drbdnl_reply *ret,
	      struct vh_error *e);
/* Fill @ret from one DRBD reply message. */
int drbdnl_parse_reply(const struct nlmsghdr *nlh, struct drbdnl_reply *ret);

/* A numbered, counted request through the seam (no ret_code check). */
int drbdnl_transact(struct drbdnl *h, struct nl_msg *m, drbdnl_msg_fn fn, void *arg,
		    struct vh_error *e);

/*
 * The messages of one received datagram of @len bytes, bounded by those bytes
 * whatever the headers claim (NLMSG_NEXT on a size_t length wraps after an
 * unaligned last message).  Start with *off = 0; NULL at the end.  When it
 * returns NULL with *off < len, bytes were left that form no whole message.
 */
static inline const struct nlmsghdr *drbdnl_msg_next(const void *buf, size_t len, size_t *off)
{
	const struct nlmsghdr *m;

	if (*off >= len || len - *off < sizeof(*m))
		return NULL;
	m = (const struct nlmsghdr *)((const unsigned char *)buf + *off);
	if (m->nlmsg_len < sizeof(*m) || m->nlmsg_len > len - *off)
		return NULL;
	*off += NLMSG_ALIGN((size_t)m->nlmsg_len);
	return m;
}

/* The reply loop of a transact, shared by the real seam and the test seam. */
int drbdnl_dispatch(const void *buf, size_t len, uint32_t seq, bool dump, drbdnl_msg_fn on_msg,
		    void *arg, struct vh_error *e);

/* Resolve a genl family by name through the seam. */
struct drbdnl_ctrl_info {
	uint16_t id;
	uint32_t version, hdrsize, maxattr;
	struct {
		char name[32];
		uint32_t id;
	} grps[8];
	unsigned ngrps;
};
int drbdnl_ctrl_getfamily(struct drbdnl *h, const char *name, struct drbdnl_ctrl_info *ret,
			  struct vh_error *e);
int drbdnl_parse_ctrl(const struct nlmsghdr *nlh, struct drbdnl_ctrl_info *ret);

#endif
