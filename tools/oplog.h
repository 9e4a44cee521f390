/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The operator's record of a move in the system log (syslog(3), ident
 * "vmhop": journalctl -t vmhop, or /var/log/syslog): one line per phase,
 * per step and per fact worth keeping (a freeze window, the gate's view, a
 * switch step, a link lost, a retry), and a summary, each keyed by
 * resource and VM.  A line is key=value fields, then " -- " and a sentence
 * (docs/events.md, "The log").
 *
 * It is fed the events the terminal and --json get (struct veng_event), by
 * send, receive and the phase commands.  The speed rule holds: nothing is
 * logged, allocated or looked up inside the VM's freeze windows.  In the
 * phases that hold one (bridge, migrate, resume) an event is kept as raw
 * facts in a fixed ring inside struct oplog (copies, a clock read), and the
 * records are formatted and written at the phase's end.
 */
#ifndef VMHOP_TOOLS_OPLOG_H
#define VMHOP_TOOLS_OPLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/run.h"

#define OPLOG_RING	64	/* facts kept in a phase with a window */
#define OPLOG_TEXT	128	/* a fact's text: a step's name, D's view, an error */
#define OPLOG_LINE	2048	/* one record */

/* Where a record goes: syslog(3) unless a test puts its own here. */
typedef void (*oplog_write_fn)(int priority, const char *line, void *ud);

enum oplog_kind {
	OPLOG_STEP, OPLOG_GATE, OPLOG_LINK, OPLOG_LINK_LOST, OPLOG_TWIN, OPLOG_WAIT, OPLOG_RETRY,
};

/* An event as raw facts, copied without allocation (formatted later). */
struct oplog_fact {
	int64_t t_ns;		/* when it came, since the command started */
	uint8_t kind;		/* enum oplog_kind */
	uint8_t conn, disk, pdsk;
	bool up;		/* OPLOG_LINK: connected now ... */
	bool was_up;		/* ... and before (up before, not now: lost) */
	bool cancel;		/* OPLOG_LINK_LOST: the plan's on_link_loss */
	uint32_t minor;
	uint64_t oos_kib;
	unsigned retry;
	int rc;
	int phase;		/* the phase under way (-1: none) */
	char text[OPLOG_TEXT];
};

struct oplog_minor {
	uint32_t minor;
	int cstate;		/* last connection state seen (-1: none) */
	bool gate_seen;
	uint8_t gconn, gdisk, gpdsk;	/* the gate's last record */
	uint64_t goos;
	uint64_t synced_kib;	/* the largest resync seen */
};

struct oplog {
	bool on;
	const char *cmd;		/* "send", "receive", "migrate", ... */
	const struct vplan *plan;	/* the engine's (D's own minors) */
	enum vplan_role role;
	int64_t t0;
	int64_t (*now_ns)(void);	/* CLOCK_MONOTONIC (tests replace it) */
	oplog_write_fn write;
	void *write_ud;
	int phase;			/* the phase under way, -1 none */
	bool deferring;			/* ... and it holds a window: facts go to the ring */
	struct oplog_fact ring[OPLOG_RING];
	unsigned n, first;		/* facts held, the oldest's slot */
	unsigned dropped;		/* the oldest facts overwritten when it was full */
	struct oplog_fact scratch;	/* a fact outside a window, written at once */
	struct oplog_minor minors[VPLAN_MAX_DISKS];
	char ids[640];			/* resource=... vm=... host=... role=... cmd=... */
	char line[OPLOG_LINE];
};

/* Is the log wanted: not --no-log (@no_log) and not VMHOP_LOG=0. */
bool oplog_wanted(bool no_log);

/* @p, @role: the move (@p may be NULL, @role VPLAN_ROLE_NONE when not
 * known yet: a record then says what is known).  @t0: when the command
 * started (CLOCK_MONOTONIC ns; 0: now).  Records go to syslog(3). */
void oplog_init(struct oplog *lg, bool on, const char *cmd, const struct vplan *p,
		enum vplan_role role, int64_t t0);

/* The command starts (@resumed: going on from this host's journal). */
void oplog_start(struct oplog *lg, bool resumed);
/* One event (phase-start and phase-end included).  The phase commands,
 * whose engine sends neither, pass their own around veng_run. */
void oplog_event(struct oplog *lg, const struct veng_event *ev);
/* send / receive: the closing summary; @code: the exit code. */
void oplog_summary(struct oplog *lg, const struct vrun_summary *sum, int rc, int code,
		   const struct vh_error *e);
/* A failure outside any phase (the plan unreadable, the wrong host). */
void oplog_fail(struct oplog *lg, const char *plan_path, const struct vh_error *e);

#endif
