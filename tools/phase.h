/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the commands that run the engine share (cmd_phase.c): the options
 * every one takes, and a session: plan, role, journal (locked), the real
 * host and a loaded engine.
 */
#ifndef VMHOP_TOOLS_PHASE_H
#define VMHOP_TOOLS_PHASE_H

#include <signal.h>
#include <stdbool.h>

#include "core/engine.h"
#include "core/journal.h"

struct phase_args {
	const char *plan;
	const char *state_dir;
	const char *uri;
	bool leave_paused;
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

int open_session(const struct phase_args *a, struct session *s, struct vh_error *e);
void close_session(struct session *s);

/* SIGINT and SIGTERM set the returned flag (the engine's stop, libvirt's
 * cancel); installed once per process. */
volatile sig_atomic_t *phase_signals(void);

#endif
