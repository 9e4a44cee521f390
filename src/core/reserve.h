/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the moves of this host hold: their claims, read from the journals in
 * the state directory.  A move's journal is its reservation: `vmhop plan`
 * writes it on S (a step "planned") under the host lock, D's prepare writes
 * it under the host lock after its checks, and from then on no other plan or
 * prepare on this host picks its minors, its port or its resource name.  A
 * move that no longer exists holds nothing: its journal gone, or ended here
 * (its "done" or "aborted" step).  So nothing is ever released by hand and a
 * crashed vmhop leaves no stale claim but its journal, which status and
 * abort read.
 */
#ifndef VMHOP_CORE_RESERVE_H
#define VMHOP_CORE_RESERVE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "core/names.h"
#include "core/plan.h"

struct vres_claim {
	char resource[VNAME_RESOURCE_MAX + 1];
	char vm_name[128];
	char vm_uuid[VNAME_UUID_LEN + 1];
	enum vplan_role role;
	uint16_t port;			/* on this host's address of the plan */
	size_t n_minors;
	uint32_t minors[VPLAN_MAX_DISKS];	/* this host's (D: its own, when it chose) */
};

/* The claims of every move with a journal in @dir (NULL: vjournal_dir())
 * that has not ended here.  A journal that cannot be read is skipped (vmhop
 * status names it; DRBD's own state is checked besides).  Free with free(). */
int vres_collect(const char *dir, struct vres_claim **ret, size_t *ret_n,
		 struct vh_error *e) VH_MUST_CHECK;

/* The claim among @c[0..n), not resource @own (NULL: none), that holds
 * @port / @minor / resource @res; NULL when none does. */
const struct vres_claim *vres_port(const struct vres_claim *c, size_t n, const char *own,
				   uint16_t port);
const struct vres_claim *vres_minor(const struct vres_claim *c, size_t n, const char *own,
				    uint32_t minor);
const struct vres_claim *vres_resource(const struct vres_claim *c, size_t n, const char *res);

/* Add every claim's minors, port and resource to @u (vplan_build's "used"). */
int vres_add_used(const struct vres_claim *c, size_t n, struct vplan_used *u,
		  struct vh_error *e) VH_MUST_CHECK;

/* `vmhop plan` on S, under the host lock: the move's journal written with
 * one step, "planned" {wall_ns}, which claims what the plan chose.  A
 * journal of the same VM that holds nothing but a plan (a plan made again)
 * is replaced; one of a move under way here is refused (-EBUSY, naming it);
 * one that ended here is kept as ".prev" (vjournal_open). */
int vres_claim_plan(const char *dir, const struct vplan *p, struct vh_error *e) VH_MUST_CHECK;
/* Undo vres_claim_plan (the plan file could not be written). */
void vres_unclaim_plan(const char *dir, const struct vplan *p);

#endif
