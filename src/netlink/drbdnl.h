/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD 8.4 (in-kernel) generic-netlink client.
 *
 * One handle (struct drbdnl) resolves the "drbd" family once and refuses a
 * missing module or DRBD 9.  Every request goes through one seam,
 * ops->transact, which the unit tests replace with recorded kernel replies.
 * Functions return 0 or a negative errno; the DRBD ret_code, the kernel's
 * info text and a human message travel in struct vh_error (origin_code is
 * the ret_code).  Nothing here prints, sleeps without bound, or runs a
 * program.
 */
#ifndef VMHOP_NETLINK_DRBDNL_H
#define VMHOP_NETLINK_DRBDNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "base/error.h"

struct nl_msg;
struct nlmsghdr;
struct drbdnl;

/* ---- the seam ---------------------------------------------------------- */

/*
 * Called for each reply message; return < 0 to stop (that value is returned), with
 * what went wrong in @e (never NULL; when the callback leaves it empty the dispatcher
 * fills in a generic message, so an error never travels without one).
 */
typedef int (*drbdnl_msg_fn)(const struct nlmsghdr *nlh, void *arg, struct vh_error *e);

struct drbdnl_ops {
	/*
	 * Send @req (the seam completes nlmsg_seq/nlmsg_pid) and hand every
	 * reply message to @on_msg until the request is answered: one message
	 * for a plain request, up to NLMSG_DONE for NLM_F_DUMP.  An
	 * NLMSG_ERROR with a non-zero error ends it with exactly that errno.
	 */
	int (*transact)(struct drbdnl *h, struct nl_msg *req, drbdnl_msg_fn on_msg, void *arg,
			struct vh_error *e);
	/* Join the multicast groups @grps[0..n) on the event socket. */
	int (*ev_join)(struct drbdnl *h, const uint32_t *grps, size_t n, struct vh_error *e);
	/*
	 * Wait up to @timeout_ms for one datagram of the event socket (0: only
	 * one already queued).  Returns its length, 0 on timeout, -EAGAIN when
	 * the wake descriptor (drbdnl_set_wake_fd) is readable instead, -ENOBUFS when the socket overran
	 * (events were lost), or another negative errno.
	 */
	ssize_t (*ev_recv)(struct drbdnl *h, void *buf, size_t len, int timeout_ms);
	/* Wait @ms before retrying a transient state (NULL: sleep on CLOCK_MONOTONIC). */
	void (*backoff)(struct drbdnl *h, unsigned ms);
};

struct drbdnl_family {
	uint16_t id;
	uint32_t version;
	uint32_t hdrsize;
	uint32_t maxattr;
	uint32_t events_group;	/* multicast group "events" */
};

/* Open the real kernel interface: resolve "drbd", check API 1 / header 8. */
int drbdnl_open(struct drbdnl **ret, struct vh_error *e) VH_MUST_CHECK;
/* The same with another seam (tests); @data is for the seam (drbdnl_ops_data()). */
int drbdnl_open_with(struct drbdnl **ret, const struct drbdnl_ops *ops, void *data,
		     struct vh_error *e) VH_MUST_CHECK;
void drbdnl_close(struct drbdnl *h);
void *drbdnl_ops_data(struct drbdnl *h);
const struct drbdnl_family *drbdnl_family(const struct drbdnl *h);
/* Netlink requests sent through this handle so far (each is one round trip). */
unsigned drbdnl_round_trips(const struct drbdnl *h);

/* ---- configuration fields (one table per nest, names as drbdsetup-84's options) ---- */

enum drbdnl_field_id {
	/* DISK_CONF (attach, disk-options) */
	DRBDNL_DISK_BACKING_DEV,
	DRBDNL_DISK_META_DEV,
	DRBDNL_DISK_META_IDX,
	DRBDNL_DISK_SIZE,
	DRBDNL_DISK_ON_IO_ERROR,
	DRBDNL_DISK_FENCING,
	DRBDNL_DISK_RESYNC_RATE,
	DRBDNL_DISK_RESYNC_AFTER,
	DRBDNL_DISK_AL_EXTENTS,
	DRBDNL_DISK_C_PLAN_AHEAD,
	DRBDNL_DISK_C_DELAY_TARGET,
	DRBDNL_DISK_C_FILL_TARGET,
	DRBDNL_DISK_C_MAX_RATE,
	DRBDNL_DISK_C_MIN_RATE,
	DRBDNL_DISK_BARRIER,
	DRBDNL_DISK_FLUSHES,
	DRBDNL_DISK_DRAIN,
	DRBDNL_DISK_MD_FLUSHES,
	DRBDNL_DISK_TIMEOUT,
	DRBDNL_DISK_AL_UPDATES,
	/* NET_CONF (connect, net-options) */
	DRBDNL_NET_SHARED_SECRET,
	DRBDNL_NET_CRAM_HMAC_ALG,
	DRBDNL_NET_INTEGRITY_ALG,
	DRBDNL_NET_VERIFY_ALG,
	DRBDNL_NET_CSUMS_ALG,
	DRBDNL_NET_PROTOCOL,
	DRBDNL_NET_CONNECT_INT,
	DRBDNL_NET_TIMEOUT,
	DRBDNL_NET_PING_INT,
	DRBDNL_NET_PING_TIMEO,
	DRBDNL_NET_SNDBUF_SIZE,
	DRBDNL_NET_RCVBUF_SIZE,
	DRBDNL_NET_KO_COUNT,
	DRBDNL_NET_MAX_BUFFERS,
	DRBDNL_NET_MAX_EPOCH_SIZE,
	DRBDNL_NET_AFTER_SB_0P,
	DRBDNL_NET_AFTER_SB_1P,
	DRBDNL_NET_AFTER_SB_2P,
	DRBDNL_NET_RR_CONFLICT,
	DRBDNL_NET_TWO_PRIMARIES,
	DRBDNL_NET_DISCARD_MY_DATA,
	DRBDNL_NET_TCP_CORK,
	DRBDNL_NET_USE_RLE,
	DRBDNL_NET_SOCK_CHECK_TIMEO,
	/* RESOURCE_OPTS (new-resource, resource-options) */
	DRBDNL_RES_CPU_MASK,
	DRBDNL_RES_ON_NO_DATA,
	DRBDNL_FIELD_COUNT
};

#define DRBDNL_CONF_STR_SLOTS 8
#define DRBDNL_CONF_STR_MAX 128

/* A set of fields to send (or decoded from a reply).  Zero-initialise it. */
struct drbdnl_conf {
	uint64_t set;				/* bit (1 << field id) */
	uint64_t num[DRBDNL_FIELD_COUNT];	/* numbers, enums, flags (s32 as two's complement) */
	char str[DRBDNL_CONF_STR_SLOTS][DRBDNL_CONF_STR_MAX];
};

int drbdnl_conf_set_num(struct drbdnl_conf *c, enum drbdnl_field_id id, int64_t v,
			struct vh_error *e) VH_MUST_CHECK;
int drbdnl_conf_set_str(struct drbdnl_conf *c, enum drbdnl_field_id id, const char *s,
			struct vh_error *e) VH_MUST_CHECK;
/* From text as drbdsetup-84 takes it: "--resync-rate" "100M", "on-io-error" "detach", ... */
int drbdnl_conf_set_text(struct drbdnl_conf *c, const char *name, const char *value,
			 struct vh_error *e) VH_MUST_CHECK;
bool drbdnl_conf_has(const struct drbdnl_conf *c, enum drbdnl_field_id id);
int64_t drbdnl_conf_num(const struct drbdnl_conf *c, enum drbdnl_field_id id);
const char *drbdnl_conf_str(const struct drbdnl_conf *c, enum drbdnl_field_id id);

/* Field metadata for printers and option parsers. */
enum drbdnl_nest_kind { DRBDNL_NEST_DISK, DRBDNL_NEST_NET, DRBDNL_NEST_RES };
enum drbdnl_value_kind { DRBDNL_K_U32, DRBDNL_K_S32, DRBDNL_K_U64, DRBDNL_K_FLAG, DRBDNL_K_STR,
			 DRBDNL_K_ENUM };
const char *drbdnl_field_name(enum drbdnl_field_id id);
enum drbdnl_nest_kind drbdnl_field_nest(enum drbdnl_field_id id);
/* Field @id as --help lists it, e.g. "--resync-rate=N (KiB, or with K, M,
 * G; 1..4194304)", "--protocol=A|B|C", "--disk-flushes[=yes|no]".  The same
 * table parses it.  -EINVAL unknown field, -ENOENT a positional argument
 * (attach's backing and meta-data devices, not options), -ENAMETOOLONG @buf
 * too short. */
int drbdnl_field_help(enum drbdnl_field_id id, char *buf, size_t len) VH_MUST_CHECK;
enum drbdnl_value_kind drbdnl_field_kind(enum drbdnl_field_id id);
/* attach's LOWER-DEV, META-DEV and META-IDX: arguments, never options */
bool drbdnl_field_positional(enum drbdnl_field_id id);
/* Text of a field's value in @c ("detach", "C", "100000", "yes"); secrets are not shown. */
int drbdnl_conf_format(const struct drbdnl_conf *c, enum drbdnl_field_id id, char *buf, size_t len);

/* ---- addresses --------------------------------------------------------- */

struct drbdnl_addr {
	uint32_t len;			/* bytes of sockaddr sent; 0 = none */
	struct sockaddr_storage ss;
};

/* "ipv4:10.0.0.1:7788", "10.0.0.1:7788", "ipv6:[fd00::1]:7788", "[fd00::1]" (port 7788). */
int drbdnl_addr_parse(const char *text, struct drbdnl_addr *ret, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_addr_format(const struct drbdnl_addr *a, char *buf, size_t len);

/* ---- requests (each is one netlink round trip, retried on transient states) ---- */

int drbdnl_new_resource(struct drbdnl *h, const char *res, const struct drbdnl_conf *res_opts,
			struct vh_error *e) VH_MUST_CHECK;
/* The same with NLM_F_EXCL: an existing resource is -EEXIST (DRBD 8.4
 * answers it with NO_ERROR otherwise), so two creators never both think
 * they made it. */
int drbdnl_new_resource_excl(struct drbdnl *h, const char *res, const struct drbdnl_conf *ro,
			     struct vh_error *e) VH_MUST_CHECK;
int drbdnl_new_minor(struct drbdnl *h, const char *res, uint32_t minor, uint32_t volume,
		     struct vh_error *e) VH_MUST_CHECK;
/* NLM_F_EXCL: an existing minor or volume is -EEXIST. */
int drbdnl_new_minor_excl(struct drbdnl *h, const char *res, uint32_t minor, uint32_t volume,
			  struct vh_error *e) VH_MUST_CHECK;
/* @dc must carry backing-dev, meta-dev and meta-idx, and may carry any disk option. */
int drbdnl_attach(struct drbdnl *h, uint32_t minor, const struct drbdnl_conf *dc,
		  struct vh_error *e) VH_MUST_CHECK;
/* Refuses after-sb / rr-conflict policies that could discard data (the kernel's default,
 * disconnect, never does). */
int drbdnl_connect(struct drbdnl *h, const char *res, const struct drbdnl_addr *local,
		   const struct drbdnl_addr *peer, const struct drbdnl_conf *nc,
		   struct vh_error *e) VH_MUST_CHECK;
int drbdnl_chg_net_opts(struct drbdnl *h, const struct drbdnl_addr *local,
			const struct drbdnl_addr *peer, const struct drbdnl_conf *nc,
			bool set_defaults, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_chg_disk_opts(struct drbdnl *h, uint32_t minor, const struct drbdnl_conf *dc,
			 bool set_defaults, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_resource_opts(struct drbdnl *h, const char *res, const struct drbdnl_conf *ro,
			 bool set_defaults, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_primary(struct drbdnl *h, uint32_t minor, bool force, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_secondary(struct drbdnl *h, uint32_t minor, struct vh_error *e) VH_MUST_CHECK;
/* Addressed by the endpoint pair only (no resource, minor ~0), as the kernel expects. */
int drbdnl_disconnect(struct drbdnl *h, const struct drbdnl_addr *local,
		      const struct drbdnl_addr *peer, bool force, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_detach(struct drbdnl *h, uint32_t minor, bool force, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_down(struct drbdnl *h, const char *res, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_del_minor(struct drbdnl *h, uint32_t minor, struct vh_error *e) VH_MUST_CHECK;
int drbdnl_del_resource(struct drbdnl *h, const char *res, struct vh_error *e) VH_MUST_CHECK;

/* ---- status ------------------------------------------------------------ */

enum { DRBDNL_R_UNKNOWN = 0, DRBDNL_R_PRIMARY = 1, DRBDNL_R_SECONDARY = 2 };
enum {
	DRBDNL_C_STANDALONE = 0, DRBDNL_C_DISCONNECTING = 1, DRBDNL_C_UNCONNECTED = 2,
	DRBDNL_C_WF_CONNECTION = 8, DRBDNL_C_WF_REPORT_PARAMS = 9, DRBDNL_C_CONNECTED = 10,
	DRBDNL_C_STARTING_SYNC_S = 11, DRBDNL_C_WF_BITMAP_S = 13,
	DRBDNL_C_SYNC_SOURCE = 16, DRBDNL_C_SYNC_TARGET = 17, DRBDNL_C_PAUSED_SYNC_S = 20,
	DRBDNL_C_PAUSED_SYNC_T = 21,
	DRBDNL_C_BEHIND = 23,
};
enum {
	DRBDNL_D_DISKLESS = 0, DRBDNL_D_INCONSISTENT = 4, DRBDNL_D_OUTDATED = 5,
	DRBDNL_D_UNKNOWN = 6, DRBDNL_D_CONSISTENT = 7, DRBDNL_D_UP_TO_DATE = 8,
};

struct drbdnl_status {
	uint32_t minor;			/* ~0: a resource without volumes */
	uint32_t volume;
	char resource[128];
	struct drbdnl_addr my_addr, peer_addr;	/* len 0 when not configured */
	bool has_state;			/* STATE_INFO was present */
	uint32_t sib_reason;		/* 1 status reply, 2 state change, 3/4 helper, 5 sync progress */
	uint32_t state;			/* union drbd_state, as sent */
	uint8_t role, peer, conn, disk, pdsk;
	bool susp, susp_nod, susp_fen, aftr_isp, peer_isp, user_isp;
	uint64_t capacity;		/* sectors of /dev/drbdN */
	bool has_uuids;
	uint64_t uuids[4];		/* current, bitmap, history 0, history 1 */
	uint32_t disk_flags;
	uint64_t bits_total, bits_oos;	/* 4 KiB blocks */
	bool has_resync;		/* bits_rs_* present (SyncSource .. PausedSyncT) */
	uint64_t bits_rs_total, bits_rs_failed;
	uint32_t prev_state, new_state;	/* state-change events */
	char helper[32];		/* helper events */
	uint32_t helper_exit_code;
	uint64_t send_cnt, recv_cnt, read_cnt, writ_cnt;	/* sectors */
	bool attached, has_net;		/* DISK_CONF / NET_CONF present */
	struct drbdnl_conf conf;	/* disk, net and resource options as the kernel has them */
};

/* GET_STATUS for one minor (-ENXIO with ERR_MINOR_INVALID if it does not exist). */
int drbdnl_get_status(struct drbdnl *h, uint32_t minor, struct drbdnl_status *ret,
		      struct vh_error *e) VH_MUST_CHECK;
/* All devices (of @res if not NULL); *ret is malloc'ed, free() it. */
int drbdnl_get_status_all(struct drbdnl *h, const char *res, struct drbdnl_status **ret,
			  size_t *ret_n, struct vh_error *e) VH_MUST_CHECK;
/* Decode one DRBD status/event message (GET_STATUS reply or DRBD_EVENT). */
int drbdnl_parse_status(const struct nlmsghdr *nlh, struct drbdnl_status *ret,
			struct vh_error *e) VH_MUST_CHECK;

const char *drbdnl_role_name(unsigned v);
const char *drbdnl_conn_name(unsigned v);
const char *drbdnl_disk_name(unsigned v);

/* Resync progress as drbdsetup computes it; false when no resync runs. */
struct drbdnl_progress {
	unsigned permille;		/* 0..1000 done */
	uint64_t left_kib;		/* still out of sync */
	uint64_t total_kib;		/* of this resync */
};
bool drbdnl_sync_progress(const struct drbdnl_status *st, struct drbdnl_progress *ret);

/*
 * The share of the device in sync, (bits_total - bits_oos) / bits_total in
 * permille, rounded down: 1000 only when nothing is out of sync.  False when
 * there is no local disk (bits_total 0).
 */
bool drbdnl_in_sync_permille(const struct drbdnl_status *st, unsigned *ret);

/*
 * The resync's rate and time left as the kernel computes them from its sync
 * marks; 8.4 shows them only in /proc/drbd (proc.c).  found false: no resync
 * line for the minor (none runs, or it is past the bytes read).
 */
#define DRBDNL_PROC_PATH "/proc/drbd"
struct drbdnl_proc_sync {
	bool found;
	uint64_t eta_s;			/* "finish: H:MM:SS" */
	uint64_t rate_kib_s;		/* "speed:", over the last ~18 s */
	uint64_t mean_kib_s;		/* since the resync began */
	uint64_t want_kib_s;		/* "want:" (SyncTarget), 0 when absent */
	bool stalled;			/* no progress for the marks' whole span */
};
/* Parse @len bytes of /proc/drbd's text (no NUL needed): always 0. */
int drbdnl_proc_parse(const char *buf, size_t len, uint32_t minor, struct drbdnl_proc_sync *ret);
/* Read @path (NULL: DRBDNL_PROC_PATH); -ENOPKG when it does not exist. */
int drbdnl_proc_sync(const char *path, uint32_t minor, struct drbdnl_proc_sync *ret,
		     struct vh_error *e) VH_MUST_CHECK;

/* ---- ret_code ---------------------------------------------------------- */

/* Both number spaces: drbd_ret_code (>= 100) and drbd_state_rv (<= 4). */
bool drbdnl_ret_ok(int32_t ret_code);
const char *drbdnl_ret_name(int32_t ret_code);		/* "ERR_MINOR_INVALID", "SS_DEVICE_IN_USE" */
const char *drbdnl_ret_message(int32_t ret_code);	/* a sentence for a person */
int drbdnl_ret_errno(int32_t ret_code);			/* 0 or a negative errno */

/* ---- events ------------------------------------------------------------ */

/*
 * Called for every status (the initial GET_STATUS answer, then each event).
 * Return 0 to go on, 1 to stop with success, < 0 to stop with that error.
 */
typedef int (*drbdnl_event_fn)(const struct drbdnl_status *st, void *arg, struct vh_error *e);

/*
 * Subscribe to the "events" group (and nlctrl, to see the module go), drop
 * what an earlier wait on this handle left queued (older than what follows),
 * read the current status of @minor (DRBDNL_ALL_MINORS: every device), hand
 * each state change to @fn until it stops the loop or @timeout_ms
 * (< 0: none) passes (-ETIMEDOUT).  Event-driven: it sleeps in poll().
 * A socket overrun (ENOBUFS) re-reads the status.  The module going away
 * ends it with -ENODEV, the device being deleted with -ENXIO.
 */
#define DRBDNL_ALL_MINORS 0xffffffffu
int drbdnl_events(struct drbdnl *h, uint32_t minor, int timeout_ms, drbdnl_event_fn fn,
		  void *arg, struct vh_error *e) VH_MUST_CHECK;

/*
 * The event socket, subscribed as a wait subscribes it, for a caller's own
 * poll() (e.g. to wake at once when DRBD's state changes while it waits on
 * something else); its datagrams are read and dropped by
 * drbdnl_events_drop(), and the state is then asked for (drbdnl_get_status).
 * Returns the descriptor (owned by @h), -ENOTSUP on a transport that has none.
 */
int drbdnl_events_fd(struct drbdnl *h, struct vh_error *e) VH_MUST_CHECK;
void drbdnl_events_drop(struct drbdnl *h);
/*
 * Another source of wake-ups for the waits on @h (e.g. libvirt's domain
 * events, through an eventfd): a wait ends with -EAGAIN when @fd is readable
 * (the caller reads it; -1: none).  The kernel transport only.
 */
void drbdnl_set_wake_fd(struct drbdnl *h, int fd);

/* Predicates for drbdnl_wait(): return 1 when satisfied, 0 to wait on, < 0 to fail. */
typedef int (*drbdnl_pred_fn)(const struct drbdnl_status *st, void *arg, struct vh_error *e);
int drbdnl_pred_connected(const struct drbdnl_status *st, void *arg, struct vh_error *e);
int drbdnl_pred_synced(const struct drbdnl_status *st, void *arg, struct vh_error *e);
int drbdnl_pred_peer_primary(const struct drbdnl_status *st, void *arg, struct vh_error *e);
int drbdnl_pred_peer_secondary(const struct drbdnl_status *st, void *arg, struct vh_error *e);

typedef void (*drbdnl_progress_fn)(const struct drbdnl_status *st,
				   const struct drbdnl_progress *p, void *arg);

/*
 * Wait until @pred holds for @minor.  StandAlone (or Disconnecting) ends the
 * wait with -ENOTCONN, losing an established connection with -ECONNRESET,
 * unless the predicate is satisfied by that very state.  @progress (may be
 * NULL) is called on every resync progress report and state change.
 * On success *ret_st (may be NULL) is the state that satisfied @pred.
 */
int drbdnl_wait(struct drbdnl *h, uint32_t minor, drbdnl_pred_fn pred, void *pred_arg,
		int timeout_ms, drbdnl_progress_fn progress, void *progress_arg,
		struct drbdnl_status *ret_st, struct vh_error *e) VH_MUST_CHECK;

/*
 * The reason the kernel logged for @res going StandAlone since its last
 * connect, from /dev/kmsg (@kmsg NULL) or a file of that format.  Returns
 * -EKEYREJECTED (HMAC authentication failed), -ECONNREFUSED (split brain),
 * -EPROTO, -ENOTCONN, or 0 when nothing is known; a sentence in @buf.
 */
int drbdnl_kernel_reason(const char *kmsg, const char *res, char *buf, size_t len);
/* Where drbdnl_wait() looks for that reason (default /dev/kmsg; tests use a file). */
void drbdnl_set_kmsg(struct drbdnl *h, const char *path);

/* ---- the module's usermode helper (policy: docs/netlink.md) ------------ */

#define DRBDNL_HELPER_PARAM "/sys/module/drbd/parameters/usermode_helper"
#define DRBDNL_HELPER_SAFE "/bin/true"
#define DRBDNL_HELPER_DIR "/run/vmhop"	/* helper.lock (flock) and helper.state */
#define DRBDNL_HELPER_MAX 32		/* resources vmhop holds on one host */
#define DRBDNL_RES_NAME_MAX 128

enum drbdnl_helper_mode {
	DRBDNL_HELPER_AUTO,	/* replace drbdadm, unless the host has DRBD resources vmhop
				 * does not hold: then refuse (-EBUSY) */
	DRBDNL_HELPER_KEEP,	/* never change the parameter */
	DRBDNL_HELPER_OVERRIDE,	/* replace drbdadm even then: their handlers answer success */
};

/* Files the policy uses (tests point them elsewhere); NULL, or NULL fields: the defaults. */
struct drbdnl_helper_paths {
	const char *param;	/* DRBDNL_HELPER_PARAM */
	const char *dir;	/* DRBDNL_HELPER_DIR */
	int lock_wait_ms;	/* 0: 10 s; < 0: fail with -EBUSY at once if another vmhop holds it */
};

struct drbdnl_helper_hold {
	char res[DRBDNL_RES_NAME_MAX];
	int32_t pid;		/* the vmhop process that took it */
};

struct drbdnl_helper {
	char current[256];	/* what the module calls now */
	bool unsafe;		/* an executable drbdadm: it aborts resyncs of vmhop's resources */
	bool overridden;	/* vmhop's record exists: it replaced the original */
	char saved[256];	/* the original, when overridden */
	bool changed;		/* this call wrote the parameter */
	unsigned nheld;
	struct drbdnl_helper_hold held[DRBDNL_HELPER_MAX];
	unsigned nforeign;	/* DRBD resources vmhop does not hold (first MAX named below) */
	char foreign[DRBDNL_HELPER_MAX][DRBDNL_RES_NAME_MAX];
};

/* The parameter, vmhop's record and (if @h) the resources vmhop does not hold. */
int drbdnl_helper_inspect(struct drbdnl *h, const struct drbdnl_helper_paths *p,
			  struct drbdnl_helper *ret, struct vh_error *e) VH_MUST_CHECK;
/*
 * Before vmhop connects @res: hold it, and replace an unsafe helper by
 * DRBDNL_HELPER_SAFE as @mode allows, under the host-wide lock.  Returns 1
 * when it wrote the parameter, 0 when nothing needed changing; -EBUSY (and
 * nothing changed) when other DRBD resources exist and @mode is AUTO.
 */
int drbdnl_helper_take(struct drbdnl *h, const struct drbdnl_helper_paths *p, const char *res,
		       enum drbdnl_helper_mode mode, struct drbdnl_helper *ret,
		       struct vh_error *e) VH_MUST_CHECK;
/*
 * After @res is down (NULL: only forget holds of dead processes): the
 * original helper is put back when no hold is left.  Returns 1 when it wrote
 * the parameter.
 */
int drbdnl_helper_release(struct drbdnl *h, const struct drbdnl_helper_paths *p, const char *res,
			  struct drbdnl_helper *ret, struct vh_error *e) VH_MUST_CHECK;
/* By hand: put the original back now, whatever vmhop holds, and forget the record. */
int drbdnl_helper_restore(const struct drbdnl_helper_paths *p, struct drbdnl_helper *ret,
			  struct vh_error *e) VH_MUST_CHECK;

#endif
