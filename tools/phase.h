/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the commands that run the engine share (cmd_phase.c): the options
 * every one takes, and a session: plan, role, journal (locked), the real
 * host and a loaded engine.
 */
#ifndef VMHOP_TOOLS_PHASE_H
#define VMHOP_TOOLS_PHASE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>

#include "core/engine.h"
#include "core/journal.h"

/* send's --migrate-retries by default, and its largest value */
#define VH_MIGRATE_RETRIES	1
#define VH_MIGRATE_RETRIES_MAX	10

struct phase_args {
	const char *plan;
	const char *state_dir;
	const char *uri;
	bool leave_paused;		/* migrate */
	bool no_abort;			/* send, receive */
	unsigned migrate_retries;	/* send: tries after a migration cancelled for a
					 * lost link (VH_MIGRATE_RETRIES unless given) */
	bool force;			/* restart: D's libvirt unreachable, D vouched for */
	bool no_log;			/* --no-log: no records in the system log (oplog.h) */
	veng_event_fn on_event;		/* libvirt's migration progress */
	void *event_ud;
};

/* Everything up to a loaded engine: plan, role, journal (and its lock). */
struct session {
	struct vplan plan;
	enum vplan_role role;
	struct vjournal *journal;
	bool have_state;
	struct veng_state st;
	struct veng_real *real;
	struct veng g;
};

/* The options of the phase commands, send and receive (@name: the command):
 * 0, -1 after --help, or the usage error's exit code. */
struct vh_ctx;
int phase_parse(struct vh_ctx *ctx, const char *name, int argc, char **argv,
		struct phase_args *a);

int open_session(const struct phase_args *a, struct session *s, struct vh_error *e);
void close_session(struct session *s);

/* SIGINT and SIGTERM set the returned flag (the engine's stop, libvirt's
 * cancel); installed once per process. */
volatile sig_atomic_t *phase_signals(void);

/* The one outcome vocabulary (docs/json.md, "outcome"): ok (@move: moved),
 * undone, state-left; "refused" and "failed" are the callers' own. */
const char *phase_outcome(enum veng_outcome o, bool move);

/* The next safe action as JSON (docs/json.md, "next"): action, command
 * (with @plan_path, or FILE when the caller does not know it; null unless
 * one vmhop command is the action), host, role, text. */
json_object *phase_next_json(const struct vplan *p, enum vplan_role role,
			     const struct veng_next *n, const char *plan_path);

/* One move as this host's journal has it (vmhop status, vmhop tune). */
struct vh_move {
	struct vplan plan;
	enum vplan_role role;
	bool have_state;
	bool planned;			/* the journal holds nothing but the plan */
	struct veng_state st;		/* D's own minors already in plan.disks */
	char journal[PATH_MAX];		/* "" when there is none yet */
};

/* The move of plan file @plan on this host, read without a lock (the
 * journal is replaced atomically); no journal: a fresh state. */
int vh_move_read(const char *plan, const char *state_dir, struct vh_move *ret,
		 struct vh_error *e);

/* The switch's figures of a migrate or resume into @o: switch_ms,
 * early_switch, fenced, twin, switch_steps_ms (each step's own ms). */
void phase_switch_json(json_object *o, const struct veng_result *r);

#endif
