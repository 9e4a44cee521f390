/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One command per host: the whole move on S (send) and on D (receive), in one
 * process each, built on the engine's phases (engine.h).  The two sides meet
 * only through DRBD's peer state and libvirt (docs/DESIGN.md):
 *
 *   S: prepare, bridge (then connect), wait-sync, migrate (paused on D, the
 *      gate, disconnect, resume on D, undefine here), release, cleanup.
 *   D: prepare (connects at once), wait-sync, wait for the VM (running here,
 *      and S disconnected), release, cleanup.
 *
 * A failure, a peer that does not come or goes away, or SIGINT/SIGTERM
 * (*g->stop) is answered by the engine's abort on this host when the VM has
 * not left it (S) or never arrived (D): abort's own checks decide, so a host
 * the VM runs on, or may run on, is never undone.  Otherwise the host's state
 * is left as it is, and the result says what to do next.  Nothing here
 * prints: the program gets every phase, step and progress report through
 * g->on_event.
 *
 * One failure is not the end on S: a migration libvirt cancelled because
 * DRBD lost its link (migrate's -ENOLINK: the VM never left S) is tried
 * again, up to vrun_opts.migrate_retries times, after wait-sync has seen
 * DRBD reconnect and resync what D missed (a "retry" event before it).  D's
 * wait for the VM rides that out: it counts its bound again from each
 * reconnect after a loss (VRUN_WAIT_RESTARTS times at most).
 */
#ifndef VMHOP_CORE_RUN_H
#define VMHOP_CORE_RUN_H

#include "core/engine.h"

/* D's wait for the VM starts its bound (timeouts.migrate + gate + connect)
 * again when DRBD reconnects after a loss, at most this many times: S may be
 * migrating again (send's migrate_retries). */
#define VRUN_WAIT_RESTARTS	4

/* The receive side's wait for the VM, in "phase-start"/"phase-end" events. */
#define VRUN_WAIT_VM	VENG_PHASES
/* "wait-vm" for VRUN_WAIT_VM, else veng_phase_name(). */
const char *vrun_phase_name(int phase);

struct vrun_opts {
	unsigned poll_ms;	/* receive: libvirt is asked about the VM this often (500) */
	bool no_abort;		/* a failure leaves this host as it is (no automatic abort) */
	/* send: a migration cancelled because DRBD lost its link (the plan's
	 * on_link_loss cancel: the VM still runs here) is tried again this
	 * many times, each once DRBD has reconnected and resynced (wait-sync
	 * again, bounded by timeouts.connect and the stall); 0: abort at once */
	unsigned migrate_retries;
};

struct vrun_summary {
	enum veng_outcome outcome;	/* OK: moved; UNDONE: aborted here; STATE_LEFT */
	int failed;			/* the phase that failed (VRUN_WAIT_VM too), -1 none */
	bool untouched;			/* failed before this host changed anything (a
					 * refusal: no abort was needed) */
	unsigned retries;		/* send: migrations tried again after a lost link */
	bool ran[VENG_PHASES + 1];
	struct veng_result res[VENG_PHASES + 1];	/* each phase's result (wall_ns ...) */
	int64_t wall_ns;
	struct veng_next next;		/* what to do now */
};

/*
 * The whole move on S, or on D.  Phases this host's journal says are done are
 * skipped, so a command run again after a crash goes on where it stopped.
 * Returns 0 when the move is done on this host; else the failure's code
 * (the message in @e), with ret->outcome UNDONE when the abort that followed
 * left this host as it was, STATE_LEFT when it could not or must not.  A
 * gate that timed out returns -ETIMEDOUT with STATE_LEFT.
 */
int vrun_send(struct veng *g, const struct vrun_opts *o, struct vrun_summary *ret,
	      struct vh_error *e) VH_MUST_CHECK;
int vrun_receive(struct veng *g, const struct vrun_opts *o, struct vrun_summary *ret,
		 struct vh_error *e) VH_MUST_CHECK;

#endif
