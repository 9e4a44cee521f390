/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the engine (src/core/engine*.c): what its files share, grouped by
 * the file that defines it.  engine.c holds the step's glue; each phase file
 * uses it and the files listed before its own; engine_driver.c uses them
 * all.  Not for anyone else: the API is engine.h.
 */
#ifndef VMHOP_CORE_ENGINE_INT_H
#define VMHOP_CORE_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/engine.h"

/* on_sync's argument (engine_sync.c): a wait on DRBD's events and its
 * progress, in wait-sync and in the gate */
struct sync_ctx {
	struct veng *g;
	uint32_t minor;
	uint64_t min_oos;	/* the fewest blocks out of sync seen so far */
	bool connected;		/* seen Connected (or syncing) at least once */
};

/* engine.c */
int eng_pred_in_sync(const struct drbdnl_status *st, void *arg, struct vh_error *e);
/* wait-sync's wait on @minor, until @pred (with @arg) holds: bounded by
 * timeouts.connect, .sync and .stall; progress reported (engine_sync.c). */
int eng_sync_until(struct veng *g, uint32_t minor, drbdnl_pred_fn pred, void *arg,
		   struct vh_error *e);
struct vplan *eng_local_plan(struct veng *g);
bool eng_is_s(const struct veng *g);
int eng_save(struct veng *g, struct vh_error *e);
int eng_begin(struct veng *g, struct veng_result *res, struct vh_error *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void eng_hold_events(struct veng *g);
void eng_let_events_go(struct veng *g);
int eng_end(struct veng *g, struct vh_error *e);
int eng_end_nostop(struct veng *g, struct vh_error *e);
dev_t eng_drbd_dev(uint32_t minor);
void eng_lv_dm(const struct vplan_disk *d, char *buf, size_t len);
int eng_maps_drbd(struct veng *g, const char *name, uint32_t minor, bool *ret,
	      struct vh_error *e);

/* engine_preflight.c */
int eng_check_domain(struct veng *g, bool peer, struct vh_error *e);
int eng_check_extents(const struct vplan_disk *d, const struct vlvm_vg_info *vg,
		  struct vh_error *e);
int eng_checks_shared(struct veng *g, bool choose, struct vh_error *e);
int eng_preflight(struct veng *g, struct veng_result *res, struct vh_error *e);

/*
 * Every check of preflight.  @extent (D, may be NULL): each disk's VG extent
 * size, as found, for prepare's creates.  D's LV is looked for here even in
 * prepare, where lvcreate would refuse it too: an LV of that name is bad
 * input, refused before anything changes.
 */
int eng_checks_host(struct veng *g, uint64_t *extent, struct vh_error *e);

/* engine_prepare.c */
bool eng_lv_is_ours(const struct veng *g, const struct vlvm_lv_info *li);
int eng_check_tables(struct veng *g, size_t i, const char *lvname, bool lv_too,
		 struct vh_error *e);
int eng_drbd_connect_step(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_prepare(struct veng *g, struct veng_result *res, struct vh_error *e);

/* engine_bridge.c */
void eng_after_failed_swap(struct veng *g, const char *lvname, uint32_t minor,
		       bool *ret_on_drbd, int r, struct vh_error *e);
int eng_bridge(struct veng *g, struct veng_result *res, struct vh_error *e);

/* engine_sync.c */
void eng_on_sync(const struct drbdnl_status *st, const struct drbdnl_progress *pr, void *arg);
int eng_wait_sync(struct veng *g, struct veng_result *res, struct vh_error *e);

/* engine_gate.c */
int eng_check_bridges(struct veng *g, struct vh_error *e);
int eng_lvs_open(struct veng *g, struct vh_error *e);
int eng_qemu_gone_here(struct veng *g, struct vh_error *e);
bool eng_d_ran(const struct veng *g, const struct veng_vm *vm);
const char *eng_vm_words(const struct veng_vm *vm, char *buf, size_t len);
int eng_gate(struct veng *g, enum veng_gate *ret, struct vh_error *e);
int eng_drbd_still_whole(struct veng *g, struct vh_error *e);
int eng_settled(struct veng *g, enum veng_where w, struct veng_vm *ret, struct vh_error *e);

/* engine_fence.c */
bool eng_table_is_fence(const struct vdm_table *t, const struct vplan_disk *d);
int eng_fence_holds(struct veng *g, struct vh_error *e);
int eng_fence_release(struct veng *g, struct vh_error *e);
int eng_fence_hold(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_fence_final(struct veng *g, struct veng_result *res, struct vh_error *e);

/* engine_switch.c */
int eng_undefine_here(struct veng *g, struct veng_result *res, struct vh_error *e);
void eng_sw_mark(struct veng *g, struct veng_result *res, enum veng_switch_step k);
int eng_switch_over(struct veng *g, unsigned flags, struct veng_result *res, struct vh_error *e);
int eng_disconnect_resume(struct veng *g, struct veng_result *res, bool asked,
		      struct vh_error *e);

/* engine_migrate.c */
int eng_migrate(struct veng *g, unsigned flags, struct veng_result *res, struct vh_error *e);
int eng_resume(struct veng *g, unsigned flags, struct veng_result *res, struct vh_error *e);

/* engine_release.c */
int eng_fence_gone(struct veng *g, struct vh_error *e);
int eng_restore_lv(struct veng *g, struct veng_result *res, size_t i, struct vh_error *e);
int eng_down(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_release(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_remove_lv(struct veng *g, struct veng_result *res, bool *flag, const char *vg,
	      const char *lv, struct vh_error *e);
int eng_release_helper(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_remove_devices(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_cleanup(struct veng *g, struct veng_result *res, struct vh_error *e);

/* engine_recover.c */
int eng_abort_move(struct veng *g, struct veng_result *res, struct vh_error *e);
int eng_restart_here(struct veng *g, unsigned flags, struct veng_result *res,
		 struct vh_error *e);

#endif
