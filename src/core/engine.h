/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The migration engine: the phases of a move (docs/DESIGN.md), run on one
 * host at a time, each idempotent.  A phase is a list of steps; each step
 * looks at what exists, acts only if it must, and records in the host's
 * state (its journal) what it is about to do before acting and what it did
 * after.  Running a completed phase again does nothing and succeeds; running
 * an interrupted one continues where it stopped.
 *
 * Everything the engine does to the host goes through one table of
 * operations (struct veng_ops): the real one (engine_host.c) calls src/lvm,
 * src/meta, src/dm, src/netlink and src/virt; unit tests replace it with a
 * simulated host.  Nothing here prints.
 */
#ifndef VMHOP_CORE_ENGINE_H
#define VMHOP_CORE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "core/names.h"
#include "core/plan.h"
#include "dm/dm.h"
#include "lvm/lvm.h"
#include "netlink/drbdnl.h"

#define VENG_TABLE_MAX		2048	/* a saved dm table, as text */
#define VENG_DRBD_MAJOR		147	/* DRBD_MAJOR */

enum veng_phase {
	VENG_PREFLIGHT, VENG_PREPARE, VENG_BRIDGE, VENG_WAIT_SYNC, VENG_MIGRATE,
	VENG_RESUME, VENG_RELEASE, VENG_CLEANUP, VENG_ABORT, VENG_RESTART, VENG_PHASES
};
const char *veng_phase_name(enum veng_phase p);
/* -EINVAL for an unknown name. */
int veng_phase_parse(const char *name, enum veng_phase *ret);

/* ---- what this host did: the journal's content ------------------------- */

struct veng_disk_state {
	bool lv_created;	/* D: this host created the VM's LV for the move */
	bool md_created;	/* the meta-data LV */
	bool md_written;
	bool copy_created;	/* the .copy device */
	bool minor_created;
	bool attached;
	bool bridged;		/* S: the VM's LV maps /dev/drbdN */
	bool restored;		/* S: the VM's LV is back on its saved table */
	bool lv_removed;	/* S: the old LV is gone (cleanup) */
	uint64_t lv_size;	/* bytes, as found (S) or created (D) */
	char saved_table[VENG_TABLE_MAX];	/* S: the VM's LV's own table before the bridge */
	int64_t freeze_ns;	/* S: the bridge's freeze window */
	int64_t restore_ns;	/* S: the swap back at release or abort */
	bool own_minor_set;	/* D: this host took its own minor, not the plan's */
	uint32_t own_minor;	/* ... this one (a minor is local to its host) */
};

struct veng_state {
	enum vplan_role role;
	char resource[VNAME_RESOURCE_MAX + 1];
	char vm_name[128];
	char doing[48];		/* the step under way ("" when none): a crash leaves it set */
	int last_phase;		/* the last phase completed, -1 none */
	bool helper_taken;	/* this host holds the usermode helper for the move */
	bool helper_changed;	/* ... and changed it */
	char helper_original[256];	/* the parameter's value before vmhop's first change */
	bool res_created;
	bool primary;		/* S */
	bool connected;		/* the connect was sent */
	bool synced;
	bool flushed;		/* D: BLKFLSBUF on its LV after the sync */
	bool autostart_cleared;	/* S: vmhop turned the VM's autostart off here (abort and
				 * restart turn it on again) */
	bool migrating;		/* S: the libvirt migration was started */
	bool handed_off;	/* S: libvirt finished: the VM is on D (paused) */
	bool gate_passed;	/* S: D held every write */
	bool disconnected;	/* S: after the gate */
	bool resumed_on_d;	/* S: the VM runs on D */
	bool fenced;		/* S: the VM's LVs held (suspended) at D's Finish, or ... */
	bool fence_final;	/* S: ... on an error table once the VM ran on D */
	bool undefined_on_s;	/* S */
	bool vm_ran_here;	/* D: the VM has run on this host */
	bool removed_on_d;	/* S, restart: the paused VM on D destroyed and undefined */
	bool restarted_here;	/* S, restart: the VM started again on this host */
	bool drbd_down;
	bool aborted;		/* abort finished: this host is as it was */
	bool done;		/* cleanup finished */
	int64_t phase_ns[VENG_PHASES];	/* wall time of the last run of each phase */
	struct veng_disk_state disks[VPLAN_MAX_DISKS];
};

/* A fresh state for @p on @role. */
void veng_state_init(struct veng_state *st, const struct vplan *p, enum vplan_role role);

/* The state as JSON, for people and orchestrators (vmhop status). */
json_object *veng_state_to_json(const struct veng_state *st);

/* The state kept in the move's journal (engine_journal.c): one journal step
 * per fact.  load: *ret_found false when the journal has no step yet. */
struct vjournal;
int veng_journal_load(struct vjournal *j, const struct vplan *p, enum vplan_role role,
		      struct veng_state *ret, bool *ret_found, struct vh_error *e) VH_MUST_CHECK;
int veng_journal_save(struct vjournal *j, const struct veng_state *st,
		      struct vh_error *e) VH_MUST_CHECK;

/* ---- the gate ---------------------------------------------------------- */

enum veng_gate {
	VENG_GATE_PASS,		/* D holds every write: switch over */
	VENG_GATE_WAIT,		/* not yet: wait (bounded) for reconnect and resync */
	VENG_GATE_NOT_STOPPED,	/* S's QEMU still runs: never switch */
};
/* The decision for one volume: PASS iff S's QEMU has stopped and S sees
 * Connected, UpToDate/UpToDate, 0 blocks out of sync. */
enum veng_gate veng_gate_decide(const struct drbdnl_status *st, bool vm_stopped_on_s);
const char *veng_gate_name(enum veng_gate g);

/* Does @t map exactly all of /dev/drbd<minor>: one linear target over it at
 * offset 0 (the bridge's table)? */
bool veng_table_maps_drbd(const struct vdm_table *t, uint32_t minor);

/* ---- the host, as the engine acts on it -------------------------------- */

enum veng_where { VENG_HERE, VENG_PEER };

/* What libvirt says of the move's domain on one host, now. */
struct veng_vm {
	int state;		/* VIR_DOMAIN_* */
	int reason;		/* ... and its reason (VIR_DOMAIN_PAUSED_USER, ...) */
	bool job;		/* a job runs (S: the migration, D: the incoming one) */
	bool autostart;
};

/* vm_migrate's watch: called in the migration's own poll loop, at each
 * wake-up while libvirt's job runs.  Nonzero: abort libvirt's job. */
typedef int (*veng_watch_fn)(void *ud);

/* What vm_migrate calls back, in the engine's own thread, while libvirt's
 * migration call runs in another. */
struct veng_mig_hooks {
	veng_watch_fn watch;		/* NULL: none */
	/* S's QEMU process has exited (seen on a pidfd taken before the
	 * migration began) while libvirt's call still runs, typically in its
	 * Confirm phase: at most once.  NULL: not watched. */
	void (*gone)(void *ud);
	/* A lifecycle event of the VM on D (VIR_DOMAIN_EVENT_SUSPENDED, ...),
	 * from a connection to D's libvirt opened for events before the
	 * migration began; delivered only while @gone is watched and has not
	 * fired.  NULL: not watched. */
	void (*peer)(void *ud, int event);
	/* The overlap (plan's migration.overlap): the migration is held at
	 * VPLAN_HOLD_MIB until *synced is true (the watch sets it).  NULL:
	 * no hold. */
	const bool *synced;
	void *ud;
};

struct vres_claim;

struct veng_ops {
	/* LVM.  lv_info: -ENOENT when absent. */
	int (*lv_info)(void *ud, const char *vg, const char *lv, struct vlvm_lv_info *ret,
		       struct vh_error *e);
	int (*vg_info)(void *ud, const char *vg, struct vlvm_vg_info *ret, struct vh_error *e);
	/* lvcreate alone, the LV tagged vname_lv_tag(resource) (lv_info
	 * reports the tags).  @extent_size: the VG's (exactly ceil(bytes/extent)
	 * extents, *ret_size their size), or 0 (LVM rounds up, *ret_size 0). */
	int (*lv_create)(void *ud, const char *vg, const char *lv, uint64_t bytes,
			 uint64_t extent_size, uint64_t *ret_size, struct vh_error *e);
	int (*lv_remove)(void *ud, const char *vg, const char *lv, struct vh_error *e);
	/* DRBD meta-data, flexible external, on all of @path (force). */
	int (*md_create)(void *ud, const char *path, uint64_t backing_bytes, struct vh_error *e);
	/* device-mapper by name.  dm_table: -ENXIO when there is no such device. */
	int (*dm_table)(void *ud, const char *name, struct vdm_table *ret, struct vh_error *e);
	int (*dm_create)(void *ud, const char *name, const char *uuid_suffix,
			 const struct vdm_table *t, struct vh_error *e);
	int (*dm_remove)(void *ud, const char *name, struct vh_error *e);
	int (*dm_swap)(void *ud, const char *name, const struct vdm_table *t,
		       int64_t *ret_window_ns, struct vh_error *e);
	/* The table waiting in the inactive slot (n == 0: none), and clearing
	 * it: a swap killed between its load and its resume leaves one. */
	int (*dm_inactive)(void *ud, const char *name, struct vdm_table *ret, struct vh_error *e);
	int (*dm_clear)(void *ud, const char *name, struct vh_error *e);
	/* The device's I/O held (a suspend that lets every request in flight
	 * complete first; new ones wait) and let go again (a resume), its
	 * table unchanged: S's fence (docs/engine.md, "The fence"). */
	int (*dm_suspend)(void *ud, const char *name, struct vh_error *e);
	int (*dm_resume)(void *ud, const char *name, struct vh_error *e);
	/* The device's state (suspended, open count, tables present):
	 * -ENXIO when there is no such device. */
	int (*dm_info)(void *ud, const char *name, struct vdm_info *ret, struct vh_error *e);
	/* DRBD.  drbd_status: -ENXIO when the minor does not exist;
	 * drbd_res_exists: 1 or 0. */
	int (*drbd_status)(void *ud, uint32_t minor, struct drbdnl_status *ret, struct vh_error *e);
	int (*drbd_res_exists)(void *ud, const char *res, struct vh_error *e);
	/* DRBD connections configured here whose local port is @port: *ret_own
	 * set when resource @own has one; returns 1 with the first other
	 * resource's name in @ret_other, 0 when no other has. */
	int (*drbd_port_use)(void *ud, uint16_t port, const char *own, bool *ret_own,
			     char *ret_other, size_t len, struct vh_error *e);
	/* A bind probe of @addr:@port (vplan_port_free): -EADDRINUSE when a
	 * listener or a socket bound without SO_REUSEADDR holds it. */
	int (*port_free)(void *ud, const char *addr, int family, uint16_t port,
			 struct vh_error *e);
	int (*drbd_new_resource)(void *ud, const char *res, struct vh_error *e);
	int (*drbd_new_minor)(void *ud, const char *res, uint32_t minor, uint32_t volume,
			      struct vh_error *e);
	int (*drbd_attach)(void *ud, uint32_t minor, const struct drbdnl_conf *dc,
			   struct vh_error *e);
	int (*drbd_primary_force)(void *ud, uint32_t minor, struct vh_error *e);
	int (*drbd_connect)(void *ud, const char *res, const struct drbdnl_addr *local,
			    const struct drbdnl_addr *peer, const struct drbdnl_conf *nc,
			    struct vh_error *e);
	/* @force: at once, without asking the peer (drbdsetup disconnect --force) */
	int (*drbd_disconnect)(void *ud, const struct drbdnl_addr *local,
			       const struct drbdnl_addr *peer, bool force, struct vh_error *e);
	int (*drbd_down)(void *ud, const char *res, struct vh_error *e);
	/* Event-driven wait for @pred (called with @pred_arg) on @minor (drbdnl_wait). */
	int (*drbd_wait)(void *ud, uint32_t minor, drbdnl_pred_fn pred, void *pred_arg, int timeout_ms,
			 drbdnl_progress_fn progress, void *progress_arg,
			 struct drbdnl_status *ret_st, struct vh_error *e);
	/* The module's usermode helper (src/netlink/helper.c's policy). */
	int (*helper_take)(void *ud, const char *res, bool *ret_changed, char *ret_original,
			   size_t len, struct vh_error *e);
	int (*helper_release)(void *ud, const char *res, struct vh_error *e);
	/* Read only (vmhop status): the parameter, vmhop's record of it and its holds. */
	int (*helper_inspect)(void *ud, struct drbdnl_helper *ret, struct vh_error *e);
	/* Read only: the resync's rate and time left, as the kernel shows them
	 * (ret->found false when no resync runs on @minor). */
	int (*drbd_sync_rate)(void *ud, uint32_t minor, struct drbdnl_proc_sync *ret,
			      struct vh_error *e);
	/* BLKFLSBUF on a block device. */
	int (*flush_buffers)(void *ud, const char *path, struct vh_error *e);
	/* libvirt.  vm_state: -ENOENT when the domain is not defined there. */
	int (*vm_state)(void *ud, enum veng_where w, const char *name, int *ret_state,
			struct vh_error *e);
	/* The state with its reason, whether a job runs, the autostart flag:
	 * what the recovery paths decide on.  -ENOENT when not defined there;
	 * -EEXIST when a domain of that name there is another VM (UUID). */
	int (*vm_info)(void *ud, enum veng_where w, const char *name, struct veng_vm *ret,
		       struct vh_error *e);
	int (*vm_autostart)(void *ud, enum veng_where w, const char *name, bool on,
			    struct vh_error *e);
	/* Sleep @ms (a signal may end it early): for waits that no event wakes. */
	void (*nap)(void *ud, int ms);
	/* Live, p2p, persistent on D, paused on D, S's definition kept.
	 * @watch (may be NULL) at each wake-up of the poll loop; when it asks
	 * for it the job is aborted: -ECANCELED, the VM still runs here.  An
	 * abort libvirt refuses or that comes too late (the job already in its
	 * stop-and-copy) is no error: the migration finishes, 0.  @h->gone
	 * when S's QEMU exits before the call returns (when its pid can be
	 * watched; if not, never). */
	int (*vm_migrate)(void *ud, const struct vplan *p, const struct veng_mig_hooks *h,
			  uint64_t *ret_downtime_ms, struct vh_error *e);
	int (*vm_resume)(void *ud, enum veng_where w, const char *name, struct vh_error *e);
	/* The bandwidth (MiB/s; 0: libvirt's most) and max downtime (ms; 0:
	 * QEMU's default) of VM @name's migration job here, as vmhop tune sets
	 * them.  -ENOENT: no such VM.  May be NULL. */
	int (*vm_mig_limits)(void *ud, const char *name, uint64_t mib, uint64_t downtime_ms,
			     struct vh_error *e);
	/* Look VM @name up there now, so that later calls skip the lookup (D's
	 * domain, once the migration made it: the switch asks it inside the
	 * VM's pause).  0 found, else not (no error kept).  May be NULL. */
	int (*vm_prefetch)(void *ud, enum veng_where w, const char *name);
	/* During vm_migrate: has libvirt here resumed the VM (or started it)
	 * since the migration began, per its lifecycle events on a connection
	 * of their own opened before?  1 yes, 0 no, -ENOENT no such events (the
	 * caller then asks libvirt).  May be NULL. */
	int (*vm_resumed_here)(void *ud);
	/* From now on, libvirt's lifecycle events of VM @name here also end
	 * drbd_wait (-EAGAIN); @name NULL: no more.  vm_watch_clear forgets the
	 * events so far (before the state is read).  Both may be NULL. */
	int (*vm_watch)(void *ud, const char *name, struct vh_error *e);
	void (*vm_watch_clear)(void *ud);
	/* With the managed save image, snapshot and checkpoint metadata and the
	 * NVRAM file, which would make libvirt refuse a plain undefine. */
	int (*vm_undefine)(void *ud, enum veng_where w, const char *name, struct vh_error *e);
	/* The domain's live XML (caller free()s). */
	int (*vm_xml)(void *ud, enum veng_where w, const char *name, char **ret,
		      struct vh_error *e);
	/* Restart on S: stop a domain at once (virDomainDestroy), start a defined one. */
	int (*vm_destroy)(void *ud, enum veng_where w, const char *name, struct vh_error *e);
	int (*vm_start)(void *ud, enum veng_where w, const char *name, struct vh_error *e);
	/* S's checks of D before anything changes (docs/engine.md, "What S
	 * asks of D"); NULL: not asked.  net_state: does the libvirt there
	 * have the network (@kind an enum vvirt_net_kind) active, the bridge or
	 * interface up: 0, -ENOENT none, -ENETDOWN inactive (vvirt_net_state).
	 * tcp_reach: does @host answer on TCP @port within @timeout_ms
	 * (vreach_tcp): 0, -ETIMEDOUT, -EHOSTUNREACH, ... */
	int (*net_state)(void *ud, enum veng_where w, int kind, const char *name,
			 struct vh_error *e);
	int (*tcp_reach)(void *ud, const char *host, uint16_t port, int timeout_ms,
			 struct vh_error *e);
	/* The connection to D's libvirt closed once those questions are
	 * answered: it would otherwise stay open through the sync, and the
	 * close of a connection whose host died since waits for TCP to give up
	 * (minutes).  May be NULL. */
	void (*peer_close)(void *ud);
	/* The journal. */
	int (*save)(void *ud, const struct veng_state *st, struct vh_error *e);
	/* Concurrent moves (core/reserve.h).  The claims of the moves with a
	 * journal on this host (the caller free()s *ret); the host lock taken
	 * (@take) or released; who holds TCP port @port here, in words ("nc
	 * (pid 42)"), -ENOENT when nobody is seen.  Each may be NULL: no
	 * claims, no lock, nobody named. */
	int (*claims)(void *ud, struct vres_claim **ret, size_t *ret_n, struct vh_error *e);
	int (*host_lock)(void *ud, bool take, struct vh_error *e);
	int (*port_holder)(void *ud, uint16_t port, char *buf, size_t len);
};

struct vvirt_progress;
struct veng_result;

/* Progress of a long step (sync, gate, migrate), and the phases of send and
 * receive (src/core/run.c), for the program to print. */
struct veng_event {
	const char *what;		/* "sync", "gate", "migrate", "step", "phase-start",
					 * "phase-end", "wait" (receive, for the VM),
					 * "link-lost" (DRBD, while libvirt migrates; step:
					 * the plan's on_link_loss), "retry" (send: the
					 * migration cancelled for it is tried again) */
	const char *step;		/* the step's name for "step"; the wait's state for "wait" */
	uint32_t minor;
	const struct drbdnl_status *st;
	const struct drbdnl_progress *progress;
	const struct vvirt_progress *migration;	/* "migrate": libvirt's job */
	int phase;			/* "phase-*": enum veng_phase */
	unsigned retry;			/* "retry": which one, from 1 */
	const struct veng_result *result;	/* "phase-end": the phase's result ... */
	int rc;				/* ... and its return code (0 or -errno) */
	const struct vh_error *err;	/* ... and the error when rc < 0 */
};
typedef void (*veng_event_fn)(const struct veng_event *ev, void *ud);

struct veng {
	const struct vplan *plan;
	enum vplan_role role;
	struct veng_state st;
	const struct veng_ops *ops;
	void *ud;
	veng_event_fn on_event;
	void *event_ud;
	volatile sig_atomic_t *stop;	/* set by SIGINT/SIGTERM: stop between steps */
	int64_t (*now_ns)(void);	/* CLOCK_MONOTONIC (tests replace it) */
	int64_t handoff_ns;		/* when libvirt returned in this process (0: not yet) */
	/* The plan as this host runs it when D took minors of its own
	 * (veng_disk_state.own_minor): the caller's, with those in place of the
	 * plan's; plan points here then, else at the caller's. */
	struct vplan local;
	/* Inside the switch (from the fence, or the gate after libvirt's
	 * return, to the resume on D) the VM is paused: its step and gate
	 * events are held here, copied, and given to on_event once it runs on
	 * D (or the switch gave up, or the gate must wait), so that nothing is
	 * printed, formatted or allocated inside the pause. */
	bool hold;
	unsigned n_held, n_held_gate;
	char held[4][sizeof(((struct veng_state *)0)->doing)];
	struct drbdnl_status held_gate[VPLAN_MAX_DISKS];	/* the gate's view, first */
};

#define VENG_LEAVE_PAUSED	(1u << 0)	/* migrate: stop after the gate, VM paused on D */
#define VENG_FORCE		(1u << 1)	/* restart: D's libvirt cannot be reached, and the
						 * operator vouches that the VM there never runs */

enum veng_outcome {
	VENG_OK,		/* the phase is done on this host */
	VENG_UNDONE,		/* abort: this host is as it was before the move */
	VENG_STATE_LEFT,	/* stopped: state left behind on purpose, see status */
};

/* The switch's steps, in order (veng_result.switch_at_ns). */
enum veng_switch_step {
	VENG_SW_FENCE,		/* S's LVs held (recorded first): the fence's switch only */
	VENG_SW_CHECK,		/* S's QEMU gone or fenced, D's domain ready, DRBD in sync: seen */
	VENG_SW_JOURNAL,	/* the gate's pass recorded (the disconnect's name) */
	VENG_SW_DISCONNECT,	/* DRBD disconnected (--force) */
	VENG_SW_JOURNAL2,	/* the disconnect recorded (the resume's name) */
	VENG_SW_RESUME,		/* libvirt on D resumed the VM */
	VENG_SW_STEPS
};
extern const char *const veng_switch_step_names[VENG_SW_STEPS];

/*
 * The next safe action on a host: what it is (for programs) and the
 * sentence for people.  vmhop status, the phase commands and send/receive
 * show both (docs/json.md, "next").
 */
enum veng_act {
	VENG_ACT_NONE,		/* nothing is left to do on this host */
	VENG_ACT_PHASE,		/* run the phase .phase on .where (a vmhop command) */
	VENG_ACT_AGAIN,		/* a step was interrupted: the same phase again, or abort */
	VENG_ACT_STATUS,	/* look first (vmhop status): no one command is safe to name */
	VENG_ACT_MANUAL,	/* an operator's hand outside vmhop (the text says what) */
};
const char *veng_act_name(enum veng_act a);

struct veng_next {
	enum veng_act act;
	enum veng_phase phase;	/* VENG_ACT_PHASE */
	enum veng_where where;	/* the host it is for: this one or the peer */
	char text[512];		/* the sentence, for people */
};

/* Fill @n: act, phase, where, and the sentence from @fmt. */
void veng_next_set(struct veng_next *n, enum veng_act act, enum veng_phase phase,
		   enum veng_where where, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

struct veng_result {
	enum veng_phase phase;
	enum veng_outcome outcome;
	unsigned acted;		/* steps that changed something (0: nothing to do) */
	int64_t wall_ns;
	int64_t freeze_ns[VPLAN_MAX_DISKS];	/* bridge: each disk's window */
	uint64_t downtime_ms;	/* migrate: libvirt's measured downtime (0: unknown) */
	int64_t switch_ns;	/* migrate: S's QEMU gone (early) or libvirt's return, to the
				 * VM resumed on D (0: not in this run) */
	bool early;		/* migrate: switched on S's QEMU's exit, or at D's Finish
				 * behind the fence, before libvirt's call returned */
	bool fenced;		/* migrate: ... at D's Finish, S's LVs fenced */
	bool twin;		/* migrate/release: libvirt resumed the VM here after
				 * it ran on D; fenced, it wrote nothing, and was
				 * destroyed */
	/* migrate: when each step of the switch ended, from its start (as
	 * switch_ns; 0: not in this run), taken from the clock only, nothing
	 * else done inside the pause */
	int64_t switch_at_ns[VENG_SW_STEPS];
	enum veng_gate gate;	/* migrate / resume: the last decision */
	struct veng_next next;	/* what to run next */
};

/* @st: the journal loaded for this move (NULL: a fresh one).  @now_ns NULL:
 * CLOCK_MONOTONIC. */
int veng_init(struct veng *g, const struct vplan *p, enum vplan_role role,
	      const struct veng_state *st, const struct veng_ops *ops, void *ud,
	      struct vh_error *e) VH_MUST_CHECK;

/* Run @phase on this host.  -EINVAL when the phase is not this host's or
 * comes too early (the message says what must run first); -EINTR when
 * *g->stop was set (the step under way finished and was recorded).  A gate
 * that times out returns 0 with ret->outcome VENG_STATE_LEFT. */
int veng_run(struct veng *g, enum veng_phase phase, unsigned flags, struct veng_result *ret,
	     struct vh_error *e) VH_MUST_CHECK;

/* The next safe action on this host, from its state alone. */
void veng_next(const struct veng *g, struct veng_next *ret);

/* ---- the real host (engine_host.c) ------------------------------------- */

struct veng_real;
struct veng_real_opts {
	struct vjournal *journal;	/* open, locked: the caller's */
	const char *local_uri;		/* libvirt here (NULL: qemu:///system) */
	uint64_t migrate_poll_ms;
	volatile sig_atomic_t *cancel;	/* set (SIGINT/SIGTERM): libvirt's migration is aborted,
					 * a DRBD wait ends with -EINTR */
	veng_event_fn on_event;		/* libvirt's migration progress ("migrate") */
	void *event_ud;
};
int veng_real_open(const struct vplan *p, const struct veng_real_opts *o, struct veng_real **ret,
		   struct vh_error *e) VH_MUST_CHECK;
void veng_real_close(struct veng_real *r);
extern const struct veng_ops veng_real_ops;

#endif
