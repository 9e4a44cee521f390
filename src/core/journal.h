/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: what this host has done for one move, on persistent storage,
 * so that status, abort and recovery after a crash or a reboot know exactly
 * what exists.  (A reboot removes dm devices and DRBD, not the LVs made for
 * the move.)
 *
 * One JSON file per VM and host, "<dir>/<vm uuid>.journal", rewritten whole
 * and atomically on every change, or once for several held together
 * (vjournal_hold) (temporary file, fsync, rename, fsync of the directory),
 * mode 0600 (the plan inside holds the secret).  It holds
 * the plan, this host's role, and an ordered list of steps, each
 *   { "id": "copy:0", "state": "started" | "done" | "undone",
 *     "data": { "table": "0 409600 linear 254:3 0", ... } }
 * A step is recorded "started" (with what undoing it needs: the saved
 * table, the helper's original value, ...) *before* acting, and "done"
 * after; "undone" once reversed.  Abort walks the steps backwards.  A
 * "started" step after a crash may or may not have happened: the engine
 * checks what exists.
 *
 * Loading validates everything and refuses a corrupt or truncated file
 * (-EBADMSG, exit 4) with the reason; it never guesses.
 *
 * Locks (flock, released when the process dies): "<dir>/<vm uuid>.lock"
 * keeps one move per VM per host, held from vjournal_open*() to
 * vjournal_close(); "<dir>/host.lock" (vjournal_host_lock()) serialises what
 * is shared between moves on a host: choosing minors and ports, the
 * module's usermode helper.
 */
#ifndef VMHOP_CORE_JOURNAL_H
#define VMHOP_CORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "core/plan.h"

#define VJOURNAL_VERSION	1
#define VJOURNAL_DIR_DEFAULT	"/var/lib/vmhop"
#define VJOURNAL_DIR_ENV	"VMHOP_STATE_DIR"	/* overrides the directory (tests) */
#define VJOURNAL_FILE_MAX	(1u << 20)
#define VJOURNAL_MAX_STEPS	256
#define VJOURNAL_MAX_DATA	8		/* keys per step */
#define VJOURNAL_ID_MAX		63		/* [a-z0-9][a-z0-9._:-]* */
#define VJOURNAL_KEY_MAX	31		/* [a-z0-9_]+ */
#define VJOURNAL_VALUE_MAX	(64u * 1024u)	/* bytes, no NUL */

enum vjournal_state { VJ_STARTED = 0, VJ_DONE, VJ_UNDONE };
const char *vjournal_state_name(enum vjournal_state s);

struct vjournal_kv {
	char key[VJOURNAL_KEY_MAX + 1];
	char *value;			/* owned by the journal */
};

struct vjournal_step {
	char id[VJOURNAL_ID_MAX + 1];
	enum vjournal_state state;
	size_t n_data;
	struct vjournal_kv data[VJOURNAL_MAX_DATA];
};

struct vjournal;

/* $VMHOP_STATE_DIR, or VJOURNAL_DIR_DEFAULT. */
const char *vjournal_dir(void);

/*
 * Open the journal of @plan's VM for @role (VPLAN_ROLE_SOURCE or _DEST) in
 * @dir (NULL: vjournal_dir(), created 0700), taking the VM's lock (-EBUSY
 * when another vmhop holds it).  An existing journal is loaded and must be
 * for the same plan and role (-EEXIST otherwise: another move of this VM was
 * left behind); else the journal starts empty (the file appears with the
 * first step).
 */
int vjournal_open(const char *dir, const struct vplan *plan, enum vplan_role role,
		  struct vjournal **ret, struct vh_error *e) VH_MUST_CHECK;
/* Open the existing journal of VM @uuid (status, abort): -ENOENT if none. */
int vjournal_open_vm(const char *dir, const char *uuid, struct vjournal **ret,
		     struct vh_error *e) VH_MUST_CHECK;
/* Read and validate the journal file @path without taking the VM's lock
 * (status: the file is replaced atomically, so a reader sees one whole
 * version).  The result has no file: nothing can be written through it.
 * -ENOENT when absent; a corrupt or truncated file: -EBADMSG (or the
 * parser's code), the message naming the file. */
int vjournal_read(const char *path, struct vjournal **ret, struct vh_error *e) VH_MUST_CHECK;
/* The journal files in @dir (NULL: vjournal_dir()), "<dir>/<name>.journal",
 * sorted; a missing directory holds none.  Free with vjournal_list_free(). */
#define VJOURNAL_MAX_LIST	4096
int vjournal_list(const char *dir, char ***ret, size_t *ret_n, struct vh_error *e) VH_MUST_CHECK;
void vjournal_list_free(char **paths, size_t n);
/* Free it and release the VM's lock (NULL is fine).  Nothing is written. */
void vjournal_close(struct vjournal *j);

const struct vplan *vjournal_plan(const struct vjournal *j);
enum vplan_role vjournal_role(const struct vjournal *j);
const char *vjournal_path(const struct vjournal *j);

/* Steps in the order they were first started. */
size_t vjournal_count(const struct vjournal *j);
const struct vjournal_step *vjournal_step_at(const struct vjournal *j, size_t i);
const struct vjournal_step *vjournal_find(const struct vjournal *j, const char *id);
/* A step's datum, NULL when absent. */
const char *vjournal_get(const struct vjournal_step *s, const char *key);

/*
 * Record step @id as started with @data[0..n) and write the journal, before
 * acting.  A step seen before: if "undone", it starts afresh (old data
 * dropped); if "started" or "done", -EEXIST (the caller looks first with
 * vjournal_find() and decides).
 */
int vjournal_begin(struct vjournal *j, const char *id, const struct vjournal_kv *data, size_t n,
		   struct vh_error *e) VH_MUST_CHECK;
/* Add or replace one datum of step @id and write the journal. */
int vjournal_set(struct vjournal *j, const char *id, const char *key, const char *value,
		 struct vh_error *e) VH_MUST_CHECK;
/* started -> done; started or done -> undone.  Writes the journal.  -ENOENT
 * for an unknown step, -EINVAL for another transition. */
int vjournal_done(struct vjournal *j, const char *id, struct vh_error *e) VH_MUST_CHECK;
int vjournal_undone(struct vjournal *j, const char *id, struct vh_error *e) VH_MUST_CHECK;

/*
 * One write for several changes: after vjournal_hold(), begin, set, done
 * and undone change the journal in memory only; vjournal_commit() writes it
 * once, if anything changed (holds nest: the outermost commit writes).  A
 * crash before the commit leaves the file as it was before the hold, so the
 * changes are on disk all together or not at all.  A commit without a hold
 * is -EINVAL.  The caller commits even after a failed change, so that the
 * file says what memory says.
 */
void vjournal_hold(struct vjournal *j);
int vjournal_commit(struct vjournal *j, struct vh_error *e) VH_MUST_CHECK;
/* How many times the file was written since the journal was opened (tests,
 * and a bound on what a state change costs). */
unsigned long vjournal_writes(const struct vjournal *j);

/* Delete the journal file once the move is over on this host.  -EBUSY when
 * a step is still "started" (not known to have finished either way). */
int vjournal_remove(struct vjournal *j, struct vh_error *e) VH_MUST_CHECK;

/* Parse journal text (exposed for the fuzz harness and tests): the whole
 * validation of loading, without a file or a lock.  *ret is freed with
 * vjournal_close(). */
int vjournal_parse(const char *text, size_t len, struct vjournal **ret,
		   struct vh_error *e) VH_MUST_CHECK;
/* The journal as text (malloc'ed, the caller frees), as it is written. */
int vjournal_format(const struct vjournal *j, char **ret, struct vh_error *e) VH_MUST_CHECK;

/* The host-wide lock in @dir (NULL: vjournal_dir()), waiting up to
 * @timeout_ms (0: try once, < 0: forever); -EBUSY when it stays held.
 * Returns the descriptor that holds it. */
int vjournal_host_lock(const char *dir, int timeout_ms, struct vh_error *e) VH_MUST_CHECK;
void vjournal_host_unlock(int fd);

#endif
