/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt: connect, find a domain and the disk backed by an LV, suspend and
 * resume with timing, live migration with progress and cancellation, and
 * lifecycle events.
 *
 * Every libvirt call goes through one table of function pointers (struct
 * vvirt_api) so that unit tests can replace libvirt; libvirt's errors are
 * captured (never printed by libvirt) and mapped to errnos in one place,
 * vvirt_map_error().
 *
 * libvirt and libxml2 are not linked: the real table is loaded with dlopen
 * when vvirt_open() is first called, libxml2 when a domain's XML is first
 * parsed (virt_lib.c), so that commands that need neither do not pay for
 * loading them.  A library that is missing or too old is -ENOPKG.  The
 * headers are still used, for types and constants.
 */
#ifndef VMHOP_VIRT_VIRT_H
#define VMHOP_VIRT_VIRT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "base/error.h"

/* ---- the seam ---------------------------------------------------------- */

struct vvirt_api {
	virConnectPtr (*open)(const char *uri);
	int (*close)(virConnectPtr c);
	virDomainPtr (*lookup)(virConnectPtr c, const char *name);
	int (*dom_free)(virDomainPtr d);
	char *(*xml)(virDomainPtr d, unsigned int flags);
	int (*state)(virDomainPtr d, int *state, int *reason, unsigned int flags);
	int (*suspend)(virDomainPtr d);
	int (*resume)(virDomainPtr d);
	int (*migrate_to_uri3)(virDomainPtr d, const char *dconnuri, virTypedParameterPtr p,
			       unsigned int np, unsigned int flags);
	virDomainPtr (*migrate3)(virDomainPtr d, virConnectPtr dconn, virTypedParameterPtr p,
				 unsigned int np, unsigned int flags);
	int (*job_stats)(virDomainPtr d, int *type, virTypedParameterPtr *p, int *np,
			 unsigned int flags);
	int (*abort_job)(virDomainPtr d);
	int (*set_max_downtime)(virDomainPtr d, unsigned long long ms, unsigned int flags);
	/* virCopyLastError: the calling thread's last error, copied into @ret
	 * (code, domain, message); > 0 when there is one. */
	int (*last_error)(virErrorPtr ret);
	/* Frees what job_stats returned. */
	void (*params_free)(virTypedParameterPtr p, int np);
	const char *(*dom_name)(virDomainPtr d);
	/* Lifecycle events (virt_event.c): the default event loop, one
	 * iteration of it, and a domain event subscription. */
	int (*event_impl)(void);
	int (*event_run)(void);
	int (*event_register)(virConnectPtr c, virDomainPtr d, int id,
			      virConnectDomainEventGenericCallback cb, void *opaque,
			      virFreeCallback free_cb);
	int (*event_deregister)(virConnectPtr c, int callback_id);
	int (*undefine)(virDomainPtr d);	/* virDomainUndefine */
	int (*undefine_flags)(virDomainPtr d, unsigned int flags);	/* virDomainUndefineFlags */
	virDomainPtr (*lookup_uuid)(virConnectPtr c, const char *uuid);	/* ...ByUUIDString */
	int (*get_autostart)(virDomainPtr d, int *autostart);
	int (*set_autostart)(virDomainPtr d, int autostart);
	int (*destroy)(virDomainPtr d);		/* virDomainDestroy */
	int (*create)(virDomainPtr d);		/* virDomainCreate: start a defined domain */
	/* The host's networks and interfaces (vvirt_net_state). */
	virNetworkPtr (*net_lookup)(virConnectPtr c, const char *name);
	int (*net_is_active)(virNetworkPtr n);
	int (*net_free)(virNetworkPtr n);
	virInterfacePtr (*iface_lookup)(virConnectPtr c, const char *name);
	int (*iface_is_active)(virInterfacePtr i);
	int (*iface_free)(virInterfacePtr i);
	int (*set_max_speed)(virDomainPtr d, unsigned long bandwidth, unsigned int flags);
	/* Typed parameters, by libvirt's own helpers (virTypedParamsAdd*,
	 * virTypedParamsGet*): the migration's are built with these (and freed
	 * with params_free), the job statistics read with them.  Add*: 0 or -1;
	 * Get*: 1 found, 0 absent, -1 of another type. */
	int (*params_add_int)(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
			      int value);
	int (*params_add_ullong)(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
				 unsigned long long value);
	int (*params_add_string)(virTypedParameterPtr *p, int *np, int *maxp, const char *name,
				 const char *value);
	int (*params_get_int)(virTypedParameterPtr p, int np, const char *name, int *value);
	int (*params_get_ullong)(virTypedParameterPtr p, int np, const char *name,
				 unsigned long long *value);
};

/* NULL restores libvirt itself (loaded on first use). */
void vvirt_set_api(const struct vvirt_api *api);

/* virErrorNumber (+ message) to a negative errno; the one mapping. */
int vvirt_map_error(int code);

/* ---- connection and domain --------------------------------------------- */

struct vvirt_conn;
struct vvirt_dom;

#define VVIRT_OPEN_EVENTS (1u << 0)	/* start the event loop first (vvirt_watch_*) */
#define VVIRT_OPEN_LOCAL  (1u << 1)	/* @uri is this host's libvirtd: a connection it
					 * refuses or drops is -EHOSTDOWN, not the peer's
					 * -ECONNREFUSED (exit 15, not 12) */

int vvirt_open(const char *uri, unsigned int flags, struct vvirt_conn **ret,
	       struct vh_error *e) VH_MUST_CHECK;
void vvirt_close(struct vvirt_conn *c);
const char *vvirt_uri(const struct vvirt_conn *c);

/* -ENOENT when there is no such domain. */
int vvirt_lookup_uuid(struct vvirt_conn *c, const char *uuid, struct vvirt_dom **ret,
		      struct vh_error *e) VH_MUST_CHECK;
int vvirt_lookup(struct vvirt_conn *c, const char *name, struct vvirt_dom **ret,
		 struct vh_error *e) VH_MUST_CHECK;
void vvirt_dom_free(struct vvirt_dom *d);
const char *vvirt_dom_name(const struct vvirt_dom *d);

/* Domain state (VIR_DOMAIN_RUNNING, _PAUSED, _SHUTOFF, ...) and its name. */
int vvirt_state(struct vvirt_dom *d, int *ret_state, int *ret_reason, struct vh_error *e) VH_MUST_CHECK;
const char *vvirt_state_name(int state);

/* The live XML; caller free()s. */
int vvirt_xml(struct vvirt_dom *d, char **ret, struct vh_error *e) VH_MUST_CHECK;

/* ---- disk discovery (pure, libxml2) ------------------------------------ */

struct vvirt_disk {
	char type[16];		/* block, file, network, volume */
	char device[16];	/* disk, cdrom, ... */
	char source[256];	/* source/@dev (block) or @file */
	char target[32];	/* target/@dev: vda */
	char bus[16];		/* target/@bus: virtio, scsi, ... */
	char cache[16];		/* driver/@cache; "" = hypervisor default */
	char io[16];		/* driver/@io */
	char format[16];	/* driver/@type: raw, qcow2 */
	bool shareable;
	bool readonly;
};

/* The disk whose source is @want (a path; "/dev/vg/lv" also matches
 * "/dev/mapper/vg-lv"), or when @want is NULL the only disk whose source is
 * under /dev/ on an LV (type='block').  -ENOENT: none; -ENOTUNIQ: @want is
 * NULL and there are several; -EBADMSG: XML does not parse. */
int vvirt_find_disk(const char *xml, const char *want, struct vvirt_disk *ret,
		    struct vh_error *e) VH_MUST_CHECK;

/* Every <disk> of the domain in @xml, in document order, into
 * @ret[0..max); -E2BIG when there are more.  -EBADMSG: XML does not parse. */
int vvirt_list_disks(const char *xml, struct vvirt_disk *ret, size_t max, size_t *ret_n,
		     struct vh_error *e) VH_MUST_CHECK;

/* What a domain's <interface> needs from the host it runs on. */
enum vvirt_net_kind {
	VVIRT_NET_OTHER,	/* user, ethernet, ...: nothing a host must have */
	VVIRT_NET_NETWORK,	/* type='network': a libvirt network, active */
	VVIRT_NET_BRIDGE,	/* type='bridge': a host bridge of that name, up */
	VVIRT_NET_DIRECT,	/* type='direct' (macvtap): a host interface, up */
};

struct vvirt_iface {
	enum vvirt_net_kind kind;
	char name[64];		/* source/@network, @bridge or @dev ("" for OTHER) */
	char mac[32];		/* mac/@address, "" when libvirt chooses */
};

/* Every <interface> of the domain in @xml, in document order, into
 * @ret[0..max); -E2BIG when there are more, -ENAMETOOLONG when a source
 * name does not fit, -EBADMSG: XML does not parse. */
int vvirt_list_ifaces(const char *xml, struct vvirt_iface *ret, size_t max, size_t *ret_n,
		      struct vh_error *e) VH_MUST_CHECK;
const char *vvirt_net_kind_name(enum vvirt_net_kind k);

/* Does the host behind @c have what an interface of @kind named @name
 * needs: 0 yes (the network active, the interface up), -ENOENT it has no
 * such network or interface, -ENETDOWN it has one, inactive (down); another
 * error when libvirt cannot tell (no interface driver: -EOPNOTSUPP). */
int vvirt_net_state(struct vvirt_conn *c, enum vvirt_net_kind kind, const char *name,
		    struct vh_error *e) VH_MUST_CHECK;

/* The domain's <uuid> text (libvirt writes it lower-case, 8-4-4-4-12). */
int vvirt_domain_uuid(const char *xml, char *buf, size_t len, struct vh_error *e) VH_MUST_CHECK;

/* 0 when every LV-backed disk of the domain in @xml passes
 * vvirt_check_cache() (a domain without one passes too). */
int vvirt_check_lv_disks(const char *xml, bool force, struct vh_error *e) VH_MUST_CHECK;

/* 0 when @d may be migrated while its blocks move under it: cache none or
 * directsync (the host page cache is bypassed), or shareable.  Otherwise
 * -EINVAL with the reason, unless @force. */
int vvirt_check_cache(const struct vvirt_disk *d, bool force, struct vh_error *e) VH_MUST_CHECK;

/* ---- suspend / resume -------------------------------------------------- */

/* @ret_ns (may be NULL): how long the call took, CLOCK_MONOTONIC. */
int vvirt_suspend(struct vvirt_dom *d, uint64_t *ret_ns, struct vh_error *e) VH_MUST_CHECK;
int vvirt_resume(struct vvirt_dom *d, uint64_t *ret_ns, struct vh_error *e) VH_MUST_CHECK;
/* Remove the domain's persistent definition (a running one becomes transient)
 * with everything libvirt keeps beside it that would make it refuse: its
 * managed save image, snapshot and checkpoint metadata, and its NVRAM file
 * (a UEFI domain).  Without undefine_flags (an old libvirt): a plain
 * virDomainUndefine. */
int vvirt_undefine(struct vvirt_dom *d, struct vh_error *e) VH_MUST_CHECK;
/* The domain's autostart flag, and setting it. */
int vvirt_autostart(struct vvirt_dom *d, bool *ret, struct vh_error *e) VH_MUST_CHECK;
int vvirt_set_autostart(struct vvirt_dom *d, bool on, struct vh_error *e) VH_MUST_CHECK;
/* Stop the domain at once (its QEMU killed), and start a defined one. */
int vvirt_destroy(struct vvirt_dom *d, struct vh_error *e) VH_MUST_CHECK;
int vvirt_start(struct vvirt_dom *d, struct vh_error *e) VH_MUST_CHECK;

/* ---- migration --------------------------------------------------------- */

struct vvirt_progress {
	int type;		/* VIR_DOMAIN_JOB_* */
	uint64_t elapsed_ms;
	uint64_t remaining_ms;
	uint64_t data_total, data_processed, data_remaining;
	uint64_t mem_total, mem_processed, mem_remaining;
	uint64_t mem_bps;
	uint64_t mem_iteration;
	uint64_t downtime_ms;	/* expected while running, measured when completed */
	uint64_t setup_ms;
	bool have_downtime;
	unsigned int throttle_pct;	/* auto-converge: the vCPUs' throttle, % (0: none) */
	bool converging;		/* the completion policy lifted the limits (vvirt_migrate) */
	bool held;			/* the hold still holds (vvirt_migrate's hold_mib) */
};

/* Returns non-zero to cancel the migration. */
typedef int (*vvirt_progress_fn)(const struct vvirt_progress *p, void *ud);

struct vvirt_migrate_opts {
	const char *dest_uri;		/* libvirt URI of the destination: qemu+tcp://hv2/system */
	bool p2p;			/* peer-to-peer: the source libvirtd drives */
	bool tunnelled;			/* data through the libvirtd connection (needs p2p) */
	const char *migrate_uri;	/* direct: hypervisor URI, e.g. tcp://169.254.77.2 */
	bool persist_dest;
	bool undefine_source;
	bool paused;			/* VIR_MIGRATE_PAUSED: leave the domain paused on the destination */
	bool unsafe;			/* VIR_MIGRATE_UNSAFE: skip libvirt's safety check */
	uint64_t max_downtime_ms;	/* 0: libvirt's default */
	uint64_t bandwidth_mib;		/* MiB/s, 0: unlimited */
	bool auto_converge;		/* VIR_MIGRATE_AUTO_CONVERGE */
	unsigned int parallel;		/* VIR_MIGRATE_PARALLEL, that many connections; 0 off */
	const char *compression;	/* VIR_MIGRATE_COMPRESSED with this method; NULL off */
	/* @converge_after_ms into the job (0: never), once it has sent
	 * something (before, libvirt would apply its own parameters over
	 * these): the max downtime and bandwidth limits lifted
	 * (VVIRT_CONVERGE_DOWNTIME_MS, libvirt's most), so that the rest goes
	 * with the VM paused; ret->converged says so. */
	uint64_t converge_after_ms;
	/* The hold (0: none): the migration starts at @hold_mib MiB/s instead
	 * of @bandwidth_mib, its max downtime VVIRT_HOLD_DOWNTIME_MS instead of
	 * @max_downtime_ms: QEMU then stops the VM only for a pass that leaves
	 * (next to) nothing dirty.  Once *@release is true (the caller's @watch
	 * sets it) and the job sends, the bandwidth becomes @bandwidth_mib (0:
	 * libvirt's most) and the max downtime @max_downtime_ms (0: QEMU's
	 * default, VVIRT_DEFAULT_DOWNTIME_MS); ret->released says so, and
	 * @converge_after_ms then counts from the release. */
	uint64_t hold_mib;
	const bool *release;
	unsigned int poll_ms;		/* progress interval, default 500 */
	uint64_t timeout_ms;		/* 0: none; else the job is aborted */
	vvirt_progress_fn progress;
	void *progress_ud;
	volatile sig_atomic_t *cancel;	/* set (e.g. from a signal handler) to abort */
	/* Called at every wake-up of the poll loop (each @poll_ms) until the
	 * job is aborted, whatever the job statistics say: the caller's own
	 * checks (DRBD's link) in this same thread.  Nonzero: abort the job. */
	int (*watch)(void *ud);
	void *watch_ud;
	/* Also wake (and call @watch) as soon as this descriptor is readable,
	 * e.g. DRBD's event socket: @watch must then read what woke it.  NULL:
	 * wake-ups every @poll_ms only.  Not polled once the job is aborted. */
	const int *watch_fd;
	/* A descriptor that becomes readable when the source's QEMU has exited
	 * (a pidfd, vvirt_qemu_pidfd): @gone is then called once, in this same
	 * thread, while libvirt's call may still run (its Confirm phase).  NULL:
	 * not watched. */
	const int *gone_fd;
	void (*gone)(void *ud);
	void *gone_ud;
	/* The destination's lifecycle events (a vvirt_watch's descriptor, on
	 * a connection to the destination opened for events): @peer is called
	 * in this same thread each time it is readable, and must drain the
	 * watch; polled only while @gone_fd is (before the source's QEMU has
	 * exited, and until the job is aborted).  NULL: not watched. */
	const int *peer_fd;
	void (*peer)(void *ud);
	void *peer_ud;
};

struct vvirt_migrate_result {
	uint64_t wall_ns;
	struct vvirt_progress last;	/* the completed job's statistics, if any */
	bool have_stats;
	bool cancelled;
	bool converged;		/* converge_after_ms came: the limits were lifted */
	bool released;		/* the hold was let go (hold_mib) */
	uint64_t released_ns;	/* ... this long into the job */
};

/* The max downtime a forced convergence sets: QEMU then copies what is left
 * with the VM paused, however long that takes (at most this). */
#define VVIRT_CONVERGE_DOWNTIME_MS 600000ull
/* The held migration's max downtime, and QEMU's default one. */
#define VVIRT_HOLD_DOWNTIME_MS 1ull
#define VVIRT_DEFAULT_DOWNTIME_MS 300ull

/* Blocks until the migration ends.  The migration call runs in a thread
 * while this one polls job statistics.  -ECANCELED when cancelled,
 * -ETIMEDOUT when @timeout_ms passed.  An abort libvirt refuses, or one
 * that comes after the job finished, is no error: the abort is tried again
 * at the next wake-up, and a migration that completes anyway returns 0. */
int vvirt_migrate(struct vvirt_dom *d, const struct vvirt_migrate_opts *o,
		  struct vvirt_migrate_result *ret, struct vh_error *e) VH_MUST_CHECK;

/* The running migration job's max downtime (ms) and bandwidth (MiB/s), as
 * virsh migrate-setmaxdowntime and migrate-setspeed (vmhop tune). */
int vvirt_set_max_downtime(struct vvirt_dom *d, uint64_t ms, struct vh_error *e) VH_MUST_CHECK;
int vvirt_set_max_speed(struct vvirt_dom *d, uint64_t mib, struct vh_error *e) VH_MUST_CHECK;

/* ---- the domain's QEMU process (virt_pid.c) ---------------------------- */

/* A pidfd of domain @name's QEMU, from libvirt's pid file in @run_dir (NULL:
 * /run/libvirt/qemu, qemu:///system's), checked against the process's
 * command line (-name guest=@name).  -ENOENT no pid file, -ESRCH not the
 * domain's QEMU (or gone), -ENOSYS no pidfd_open. */
int vvirt_qemu_pidfd(const char *run_dir, const char *name, int *ret_fd,
		     struct vh_error *e) VH_MUST_CHECK;
/* The parsers it uses, on the bytes read (fuzzed): a pid file's text, and
 * whether a /proc/PID/cmdline names domain @name. */
int vvirt_parse_pid(const char *buf, size_t len, int *ret) VH_MUST_CHECK;
bool vvirt_cmdline_names(const char *buf, size_t len, const char *name);

/* Job statistics now (type VIR_DOMAIN_JOB_NONE when no job). */
int vvirt_job(struct vvirt_dom *d, bool completed, struct vvirt_progress *ret,
	      struct vh_error *e) VH_MUST_CHECK;
int vvirt_abort(struct vvirt_dom *d, struct vh_error *e) VH_MUST_CHECK;

/* ---- lifecycle events -------------------------------------------------- */

struct vvirt_event {
	char domain[128];
	int event;		/* VIR_DOMAIN_EVENT_STARTED, _RESUMED, _STOPPED, ... */
	int detail;		/* e.g. VIR_DOMAIN_EVENT_STARTED_MIGRATED */
	uint64_t mono_ns;	/* CLOCK_MONOTONIC when it arrived */
};

const char *vvirt_event_name(int event);
const char *vvirt_event_detail_name(int event, int detail);

struct vvirt_watch;

/* Subscribe to lifecycle events of domain @name (NULL: all) on @c, which must
 * have been opened with VVIRT_OPEN_EVENTS. */
int vvirt_watch_start(struct vvirt_conn *c, const char *name, struct vvirt_watch **ret,
		      struct vh_error *e) VH_MUST_CHECK;
/* Next event, waiting up to @timeout_ms (<0: forever).  -ETIMEDOUT. */
int vvirt_watch_next(struct vvirt_watch *w, int timeout_ms, struct vvirt_event *ret,
		     struct vh_error *e) VH_MUST_CHECK;
/* Wait for @event (and @detail, or any detail if < 0). */
int vvirt_watch_wait(struct vvirt_watch *w, int event, int detail, int timeout_ms,
		     struct vvirt_event *ret, struct vh_error *e) VH_MUST_CHECK;
/* Readable while events are queued, for a caller's own poll() (owned by @w). */
int vvirt_watch_fd(const struct vvirt_watch *w);
/* The oldest queued event, without waiting: 1 taken, 0 none queued (the
 * descriptor is then unreadable until the next). */
int vvirt_watch_take(struct vvirt_watch *w, struct vvirt_event *ret);
/* Drop the queued events (and make the descriptor unreadable until the next). */
void vvirt_watch_clear(struct vvirt_watch *w);
void vvirt_watch_stop(struct vvirt_watch *w);

#endif
