/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan: everything both hosts of a move must agree on, as one JSON
 * document (format in docs/engine.md).  S builds it (vplan_build), the
 * orchestrator hands the same file to both hosts, each loads it
 * (vplan_load), which validates every field: a plan is an untrusted file.
 *
 * Names a plan carries that vmhop derives (resource, copy devices, meta-data
 * LVs) must equal their derivation (core/names.h): a plan can never point
 * vmhop at an LV or device that is not the move's own.
 */
#ifndef VMHOP_CORE_PLAN_H
#define VMHOP_CORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "base/error.h"
#include "core/names.h"
#include "lvm/lvm.h"

#define VPLAN_VERSION		1
#define VPLAN_MAX_DISKS		VNAME_MAX_VOLUMES
#define VPLAN_FILE_MAX		(64u * 1024u)	/* bytes: a plan is never larger */
#define VPLAN_MINOR_MAX		1048575u	/* DRBD 8.4: MINORMASK, (1 << 20) - 1 */
#define VPLAN_SECRET_MIN	16		/* characters */
#define VPLAN_SECRET_MAX	63		/* SHARED_SECRET_MAX 64, with the NUL */
#define VPLAN_DEFAULT_PORT	7788
#define VPLAN_DEFAULT_MINOR	100
#define VPLAN_SEARCH		1000		/* ports / minors tried from the first */

struct vplan_disk {
	char target[32];		/* the guest's name for it (vda): for people */
	char vg[VLVM_NAME_MAX + 1];
	char lv[VLVM_NAME_MAX + 1];	/* same VG/LV on D: the VM's XML names it */
	uint64_t size;			/* bytes, exactly; D's LV must have this size */
	uint32_t volume;		/* DRBD volume number = index in disks[] */
	uint32_t minor;			/* /dev/drbd<minor>, the same on both hosts */
	char copy[VNAME_DM_MAX + 1];	/* the .copy dm device (names.h) */
	char md_lv[VLVM_NAME_MAX + 1];	/* the meta-data LV, in @vg (names.h) */
	int md_index;			/* VMETA_INDEX_FLEX: flexible external */
	uint64_t md_bytes;		/* vmeta_min_md_bytes(); each host rounds up to its extents */
};

struct vplan_host {
	char host[256];			/* as the operator named it (or the address) */
	char addr[64];			/* numeric IPv4 / IPv6 address, no port */
	int family;			/* AF_INET / AF_INET6, from @addr */
};

/* The DRBD options both sides set, equal.  Rates in KiB/s as the kernel
 * takes them; c-fill-target in sectors; c-plan-ahead / c-delay-target in
 * tenths of a second.  The after-sb and rr-conflict policies are always
 * "disconnect" (0pri may be "discard-zero-changes"): never discard data. */
struct vplan_drbd {
	char protocol[2];		/* "C" only: a write completes when it is on D */
	char cram_hmac_alg[16];		/* "sha256", "sha384" or "sha512" */
	char shared_secret[VPLAN_SECRET_MAX + 1];
	uint32_t resync_rate;
	uint32_t c_plan_ahead;
	uint32_t c_delay_target;
	uint32_t c_fill_target;
	uint32_t c_max_rate;
	uint32_t c_min_rate;
	char after_sb_0pri[24];
	char after_sb_1pri[24];
	char after_sb_2pri[24];
	char rr_conflict[24];
};

/* What migrate does when DRBD loses its link while libvirt migrates. */
enum vplan_link_loss {
	VPLAN_LINK_LOSS_CANCEL,		/* cancel libvirt's job: the VM keeps running on S */
	VPLAN_LINK_LOSS_CONTINUE,	/* let it finish: the gate waits for D (VM paused on D) */
};
/* "cancel", "continue"; the parse: -EINVAL for anything else. */
const char *vplan_link_loss_name(enum vplan_link_loss v);
int vplan_link_loss_parse(const char *s, enum vplan_link_loss *ret);

/* The migration's completion policy ("completion"): none, or after_s
 * seconds into libvirt's job, converge or abort. */
enum vplan_completion {
	VPLAN_COMPLETION_NONE,
	VPLAN_COMPLETION_CONVERGE,
	VPLAN_COMPLETION_ABORT,
};
#define VPLAN_PARALLEL_MAX 32
/* "converge:SECONDS" / "abort:SECONDS" (plan --completion): -EINVAL else. */
int vplan_completion_parse(const char *s, enum vplan_completion *ret_action,
			   uint32_t *ret_after_s) VH_MUST_CHECK;
const char *vplan_completion_name(enum vplan_completion c);
struct vplan_migration;
/* The migration's controls, each and together (vplan_validate asks it). */
int vplan_check_controls(const struct vplan_migration *m, struct vh_error *e) VH_MUST_CHECK;

struct vplan_migration {
	char uri[256];			/* libvirt URI of D, as seen from S */
	uint64_t max_downtime_ms;	/* 0: libvirt's default */
	uint64_t bandwidth_mib;		/* MiB/s, 0: unlimited */
	bool keep_source;		/* keep S's LV after the move */
	enum vplan_link_loss on_link_loss;	/* "on_link_loss", optional (cancel) */
	/* "tunnelled", optional (true, what a vmhop before it did): the VM's
	 * memory goes through the libvirt connection; false, native: QEMU to
	 * QEMU directly (libvirt's default, as virsh migrate) */
	bool tunnelled;
	/* The controls of `virsh migrate` for a busy VM, each optional in the
	 * plan (off when absent; docs/engine.md, "The migration's controls"):
	 * "auto_converge" (QEMU throttles the VM's vCPUs until the copy
	 * converges), "parallel" (memory over N extra TCP connections, QEMU's
	 * multifd; 0 off; not tunnelled), "compression" ("xbzrle": pages sent
	 * again as deltas; not with parallel), "migrate_uri" (QEMU's stream to
	 * tcp://ADDR[:PORT] on D, another network than libvirt's; not
	 * tunnelled), "completion" {"action", "after_s"}: after_s seconds into
	 * libvirt's job, converge (the max downtime and bandwidth limits
	 * lifted: the rest is copied with the VM paused) or abort. */
	bool auto_converge;
	uint32_t parallel;
	char compression[16];
	char migrate_uri[128];
	enum vplan_completion completion;
	uint32_t completion_after_s;
	/* "overlap_s", optional (0, off): libvirt's migration starts once
	 * DRBD's sync is that many seconds from its end (by its rate so far),
	 * held at VPLAN_HOLD_MIB until the sync is done (docs/engine.md, "The
	 * overlap"); off: after the sync. */
	uint32_t overlap_s;
};

/* The held migration's bandwidth (MiB/s) while DRBD still syncs. */
#define VPLAN_HOLD_MIB	1
#define VPLAN_OVERLAP_MAX	3600

/* Seconds; every wait of the move is bounded by one of these. */
struct vplan_timeouts {
	uint32_t connect;		/* until both sides are Connected */
	uint32_t sync;			/* the whole initial sync */
	uint32_t stall;			/* no sync progress for this long: give up */
	uint32_t migrate;		/* libvirt's migration job */
	uint32_t gate;			/* switchover: D catching up after a link loss */
};
#define VPLAN_TIMEOUT_MAX	(7u * 24 * 3600)

struct vplan {
	int version;			/* VPLAN_VERSION */
	char vm_name[128];
	char vm_uuid[VNAME_UUID_LEN + 1];
	char resource[VNAME_RESOURCE_MAX + 1];
	uint16_t port;			/* DRBD's TCP port, the same on both hosts */
	struct vplan_host source, dest;
	size_t n_disks;
	struct vplan_disk disks[VPLAN_MAX_DISKS];
	struct vplan_drbd drbd;
	struct vplan_migration migration;
	struct vplan_timeouts timeouts;
};

/* ---- JSON in and out --------------------------------------------------- */

/* Checks every field and the relations between them (names derived, minors
 * distinct, same address family, ...).  -EINVAL / -ERANGE / -ENAMETOOLONG
 * with the field's name in the message. */
int vplan_validate(const struct vplan *p, struct vh_error *e) VH_MUST_CHECK;

/* The plan as a JSON object (caller puts it); NULL only when out of memory. */
json_object *vplan_to_json(const struct vplan *p);

/* Parse and validate @len bytes of JSON text (need not be NUL-terminated).
 * Strict: one object, no trailing bytes, no unknown or missing keys, every
 * type and range checked, version VPLAN_VERSION only.  -EBADMSG for text
 * that is not JSON (or is truncated), -EPROTONOSUPPORT for another version,
 * -EINVAL/-ERANGE/-ENAMETOOLONG for a bad field. */
int vplan_parse(const char *text, size_t len, struct vplan *ret, struct vh_error *e) VH_MUST_CHECK;
/* The same from an already parsed object (the journal embeds the plan). */
int vplan_from_json(json_object *obj, struct vplan *ret, struct vh_error *e) VH_MUST_CHECK;

/* Read and parse @path (at most VPLAN_FILE_MAX bytes).  The file must be
 * private (base/file.h, vfile_open_private): not a symbolic link, owned by
 * root (or the effective user), no permission for group or others; -EPERM
 * otherwise, before a byte is read. */
int vplan_load(const char *path, struct vplan *ret, struct vh_error *e) VH_MUST_CHECK;
/* Write @p to @path atomically, mode 0600 (it holds the secret); -EEXIST
 * when @path exists, unless @overwrite. */
int vplan_save(const struct vplan *p, const char *path, bool overwrite,
	       struct vh_error *e) VH_MUST_CHECK;

/* ---- which host am I --------------------------------------------------- */

enum vplan_role { VPLAN_ROLE_NONE = 0, VPLAN_ROLE_SOURCE, VPLAN_ROLE_DEST };
const char *vplan_role_name(enum vplan_role r);	/* "source", "dest", "neither" */

/* Returns 1 if the numeric address @addr is one of this host's. */
typedef int (*vplan_is_local_fn)(const char *addr, int family, void *ud);
/* The host's own addresses (getifaddrs). */
int vplan_addr_is_local(const char *addr, int family, void *ud);

/* S when the source address is local, D when the destination's is.  Neither
 * (or both): -EINVAL "plan is for hosts A and B; this host has neither
 * address".  @is_local NULL: vplan_addr_is_local. */
int vplan_role(const struct vplan *p, vplan_is_local_fn is_local, void *ud,
	       enum vplan_role *ret, struct vh_error *e) VH_MUST_CHECK;

/* ---- DRBD configuration from the plan ---------------------------------- */

struct drbdnl_conf;
struct drbdnl_addr;

/* The net options (protocol, HMAC and secret, after-sb, rr-conflict) for
 * connect, and the disk options (resync rate, c-*) for attach.  The
 * attach's positional fields (backing, meta device, index) are the
 * engine's: vplan_disk_paths(). */
int vplan_net_conf(const struct vplan *p, struct drbdnl_conf *ret, struct vh_error *e) VH_MUST_CHECK;
int vplan_disk_conf(const struct vplan *p, struct drbdnl_conf *ret, struct vh_error *e) VH_MUST_CHECK;
/* This host's and the peer's DRBD endpoint for @role. */
int vplan_endpoints(const struct vplan *p, enum vplan_role role, struct drbdnl_addr *ret_local,
		    struct drbdnl_addr *ret_peer, struct vh_error *e) VH_MUST_CHECK;
/* /dev/mapper/<copy> (DRBD's backing device) and /dev/mapper/<vg-md_lv>
 * (its meta device) of disk @i; @len >= VNAME_DRBD_PATH_MAX + 1. */
int vplan_disk_paths(const struct vplan *p, size_t i, char *backing, char *meta, size_t len,
		     struct vh_error *e) VH_MUST_CHECK;

/* ---- building a plan on S --------------------------------------------- */

struct vplan_request {
	const char *vm;			/* the VM's name */
	const char *dest;		/* D: host name or address */
	const char *local_uri;		/* libvirt on S (NULL: qemu:///system) */
	const char *dest_uri;		/* NULL: qemu+ssh://<dest>/system */
	const char *local_addr;		/* S's address (NULL: the one that routes to D) */
	uint32_t port;			/* 0: the first free from VPLAN_DEFAULT_PORT */
	int64_t minor;			/* < 0: the first free run from VPLAN_DEFAULT_MINOR */
	const char *resync_rate;	/* drbdsetup syntax ("100M"); NULL: 100M */
	uint64_t max_downtime_ms;
	uint64_t bandwidth_mib;
	bool keep_source;
	enum vplan_link_loss on_link_loss;
	bool tunnelled;			/* --tunnelled */
	bool auto_converge;		/* --auto-converge */
	uint32_t parallel;		/* --parallel N */
	const char *compression;	/* --compression xbzrle (NULL: none) */
	const char *migrate_uri;	/* --migrate-uri tcp://ADDR[:PORT] (NULL: none) */
	enum vplan_completion completion;	/* --completion ACTION:SECONDS */
	uint32_t completion_after_s;
	uint32_t overlap_s;		/* --overlap SECONDS */
	/* What the other moves of this host claim (core/reserve.h): never
	 * picked, as what DRBD uses is not.  NULL: nothing. */
	const struct vplan_used *reserved;
};

/* What vmhop uses on this host: DRBD minors, ports and resources. */
struct vplan_used {
	uint32_t *minors;
	size_t n_minors;
	uint32_t *ports;		/* local ports of configured DRBD connections */
	size_t n_ports;
	char (*resources)[VNAME_RESOURCE_MAX + 1];
	size_t n_resources;
};
void vplan_used_free(struct vplan_used *u);

/* The host, as plan building sees it: one seam (tests replace it).  libvirt
 * and LVM are reached through their own seams (vvirt_set_api, vlvm_set_run_hook). */
struct vdm_table;
struct vplan_host_ops {
	/* @name to a numeric address (getaddrinfo; @family AF_UNSPEC or a family). */
	int (*resolve)(const char *name, int family, char *ret_addr, size_t len, int *ret_family,
		       struct vh_error *e);
	/* The source address the kernel would use to reach @dst (vplan_route_source). */
	int (*route_source)(const char *dst, int family, char *ret_addr, size_t len,
			    struct vh_error *e);
	/* Minors, ports and resources DRBD uses now (netlink). */
	int (*drbd_used)(struct vplan_used *ret, struct vh_error *e);
	/* 0 if nothing is bound to @addr:@port (TCP), -EADDRINUSE if something is. */
	int (*port_free)(const char *addr, int family, uint16_t port, struct vh_error *e);
	/* @len random bytes (getrandom). */
	int (*random)(void *buf, size_t len, struct vh_error *e);
	/* The live dm table of LV @vg/@lv, by its dm name (src/dm, by ioctl):
	 * -ENXIO when it has no dm device. */
	int (*lv_table)(const char *vg, const char *lv, struct vdm_table *ret, struct vh_error *e);
};
/* The real host. */
extern const struct vplan_host_ops vplan_host_real;

/* The real port probe (vplan_host_real.port_free, and the engine's on D):
 * bind @addr:@port with SO_REUSEADDR, as DRBD's own sockets are bound.  0
 * when free; -EADDRINUSE when a listener, or a socket bound without
 * SO_REUSEADDR, holds it (a connection in TIME_WAIT does not). */
int vplan_port_free(const char *addr, int family, uint16_t port, struct vh_error *e) VH_MUST_CHECK;
/* The TCP port of a DRBD connection's address; 0 when none is configured. */
uint16_t vplan_addr_port(const struct drbdnl_addr *a);

/*
 * Inspect the VM and the host and fill a plan: the VM (must be running or
 * paused), every writable disk (each must be an LV, type='block', with
 * cache='none' or 'directsync'; CD-ROMs and read-only disks are skipped; any
 * other writable disk is refused by name, -EINVAL), sizes from LVM, free
 * minors and port, addresses, a fresh secret.  -ENOENT: no such VM (or LV),
 * -EBUSY: a requested minor/port is in use, -EINVAL: a disk that cannot move,
 * -EOPNOTSUPP: an LV whose dm table is not linear or striped (lvtable.h).
 * @ops NULL: vplan_host_real.
 */
int vplan_build(const struct vplan_request *req, const struct vplan_host_ops *ops,
		struct vplan *ret, struct vh_error *e) VH_MUST_CHECK;

/* The domain (its live XML) still matches the plan: every writable disk is
 * one of the plan's LVs with a safe cache mode, and every plan disk is a
 * writable disk of the domain.  -EINVAL with the disk named otherwise (a disk
 * hot-plugged since the plan would not move). */
int vplan_check_domain(const struct vplan *p, const char *xml, struct vh_error *e) VH_MUST_CHECK;

/* The address this host sends from towards @dst (numeric, of @family), as
 * text: the kernel's own choice for a UDP socket connected there
 * (vreach_source(): routing, policy rules and a route's preferred source
 * included; nothing is sent).  -EINVAL when @dst is not a numeric address
 * of @family; else the kernel's errno (-ENETUNREACH: no route). */
int vplan_route_source(const char *dst, int family, char *ret_addr, size_t len,
		       struct vh_error *e) VH_MUST_CHECK;

/* This host's addresses of @family, by one RTM_GETADDR dump of that family
 * (what getifaddrs reads, without its link dump): found[i] = 1 for each
 * binary address want[i] (of @n) among them, as getifaddrs' ifa_addr gives
 * them (IFA_LOCAL, else IFA_ADDRESS).  vplan_parse_addr_dump() reads one
 * datagram of @len bytes: 1 at the dump's end, 0 for more, or -errno.
 * Exposed for tests. */
int vplan_addrs_local(int family, const unsigned char *const *want, size_t n, int *found,
		      struct vh_error *e) VH_MUST_CHECK;
int vplan_parse_addr_dump(const void *buf, size_t len, uint32_t seq, int family,
			  const unsigned char *const *want, size_t n, int *found,
			  struct vh_error *e) VH_MUST_CHECK;

#endif
