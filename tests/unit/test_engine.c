/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's step logic (src/core/engine*.c) against a simulated host
 * behind its one seam, struct veng_ops: a small model of LVs, dm devices,
 * one DRBD resource, the helper and the VM on both hosts.  Every action the
 * engine takes is logged, so a test can assert what was done, in which
 * order, and that a phase run again does nothing.  A failure can be injected
 * at any action.  Real kernel behaviour is proven in tests/lab/60-move.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>

#include "core/engine.h"
#include "virt/virt.h"
#include "core/journal.h"
#include "core/reserve.h"
#include "core/run.h"
#include "meta/meta.h"
#include "../../tools/oplog.h"

#define MAXO 16
#define LOGN 128

struct obj {
	char name[160];		/* "vg/lv" or a dm name */
	bool exists;
	uint64_t size;
	char table[256];
	char inactive[256];	/* a dm device's inactive slot ("": empty) */
	char tags[64];		/* an LV's LVM tags */
	bool suspended;		/* a dm device left suspended */
	int open_count;		/* a dm device's openers (the VM's QEMU on its LV) */
};

struct world {
	struct obj lv[MAXO], dm[MAXO];
	uint64_t extent;
	bool res, minor, attached, primary, net, helper_changed;
	int conn, disk, pdsk;
	uint64_t oos;
	int vm_here, vm_peer;		/* VIR_DOMAIN_*, -1 none */
	/* the wait: what the link does when the engine waits */
	bool wait_resyncs;		/* the link comes back: in sync */
	bool drop_during_migrate;	/* the link drops while libvirt migrates */
	unsigned drop_migrations;	/* ... in that many migrations (then no more) */
	bool drop_for_good;		/* ... and does not come back (no wait resyncs) */
	int64_t migrate_ns;		/* the time one migration takes (0) */
	bool abort_refused;		/* libvirt refuses the abort: too late, it finishes */
	unsigned abort_asked;		/* the migration's watch asked for an abort */
	uint64_t sync_step;		/* blocks each wait resyncs (0: none) */
	int reset_waits;		/* that many waits end with the link lost (-ECONNRESET) */
	void (*on_wait)(unsigned n);	/* the peer's doings: called at each wait, n from 0 */
	unsigned nwaits;
	int vm_state_err;		/* vm_state here fails so (libvirtd gone), 0: answers */
	int peer_state_err;		/* the same for the peer's libvirt */
	const char *cache;		/* the domain's disks' cache mode ("none" when NULL) */
	const char *extra_disk;		/* a <disk> element added to the domain's XML */
	const char *dom_lv;		/* the LV the domain's first disk is on (NULL: the plan's) */
	const char *dom_uuid;		/* the domain's UUID (NULL: the plan's) */
	const char *ifaces;		/* <interface> elements of the domain's XML */
	const char *peer_no_net;	/* the network or bridge the peer lacks */
	const char *peer_net_down;	/* ... or has, inactive */
	unsigned peer_net_asks;
	unsigned peer_closes;		/* peer_close calls */
	int reach_err;			/* D's migration port: what the probe gets */
	char reached[64];		/* the host probed ("" none) */
	int64_t clock;
	char log[LOGN][96];
	size_t nlog;
	const char *fail_at;		/* the action (log prefix) that fails once */
	int fail_err;
	/* SIGKILL: the process dies at action number die_at (1-based, 0: never),
	 * before it takes effect or just after (die_after); dead, it does and
	 * saves nothing more */
	size_t die_at;
	bool die_after, dead;
	bool die_in_swap;	/* a dm_swap dying at die_at dies between its load and
				 * its resume: the new table left in the inactive slot */
	struct veng_state saved;
	unsigned saves;
	/* the VM's state asked of the peer's libvirt; both counts when a resume
	 * came (the switchover's work inside the VM's pause) */
	unsigned peer_states, resume_saves, resume_peer_states;
	unsigned handoff_saves, handoff_peer_states;
	/* the plan's port: a foreign socket bound there, another DRBD resource
	 * configured on it; the move's own resource has it once connected */
	bool port_bound;
	char port_other[32];
	char probed[64];		/* the address port_free was asked about */
	/* vm_watch: libvirt's lifecycle events wake the waits (-EAGAIN) */
	char watched[64];		/* the VM watched ("" none) */
	unsigned watch_starts, watch_stops, watch_clears, woken;
	bool vm_event;			/* an event is queued: the next wait ends at once */
	int last_wait_ms;
	/* LVM's reports asked for (each is an lvm2_run, a device scan, on a host) */
	unsigned lv_infos, vg_infos, lv_creates_blind;
	bool lv_appears_at_take;	/* the VM's LV is made by someone else at helper_take */
	/* libvirt's detail (vm_info): the state's reason here and on the peer,
	 * a job that runs for that many more questions, the autostart flag */
	int reason_here, reason_peer;
	unsigned job_here, job_peer;
	bool autostart_here;
	unsigned naps;
	void (*on_nap)(unsigned n);	/* what happens meanwhile: called at each nap */
	unsigned job_at_migrate;	/* the migrate call starts a job that runs so long */
	/* the early switch: S's QEMU exits in libvirt's Confirm (its pidfd
	 * readable) before the migration call returns */
	bool qemu_exits;		/* the host watches S's QEMU and sees it exit */
	bool qemu_gone;			/* ... now: gone, libvirt still says paused */
	unsigned gone_calls;
	void (*on_gone)(void);		/* what happens right after the hook */
	unsigned job_peer_at_gone;	/* D's incoming job still runs then, so long */
	uint64_t oos_at_gone;		/* DRBD resyncing that much then */
	bool crash_at_gone;		/* S's QEMU crashed: the call fails, and D's domain */
	int peer_state_at_crash;	/* ... is so then (-1: gone) */
	int confirm_err;		/* the migration call then fails so (0: not) */
	unsigned prefetches;		/* vm_prefetch calls (the migration's watch) */
	/* D's libvirt sends the VM's events (its Finish: a suspend) */
	bool peer_events;
	int peer_event;			/* the one it sends (0: VIR_DOMAIN_EVENT_SUSPENDED) */
	unsigned job_peer_at_event;	/* D's job still seen so many questions then */
	unsigned resume_waits;		/* resumes on D that waited for its job to end */
	unsigned gone_peer_states;	/* peer_states when S's QEMU exited */
	uint64_t oos_at_event;		/* DRBD resyncing that much at D's Finish */
	int here_at_event;		/* S's VM so then, per libvirt (0: paused) */
	bool lost_finish_reply;		/* S's libvirt resumes its QEMU after D's Finish */
	bool no_here_events;		/* vm_resumed_here has no events (-ENOENT) */
	unsigned here_event_checks;
	/* concurrent moves (issue 21): another resource's DRBD minor here; the
	 * claims of the other moves with a journal here; the host lock; who
	 * holds a port; a resource made by someone else between the checks
	 * and new-resource */
	uint32_t foreign_minor;		/* 0: none */
	uint32_t our_minor;		/* the minor new_minor made */
	struct vres_claim claims[2];
	size_t n_claims;
	unsigned locks, unlocks;
	bool locked;
	const char *holder;		/* port_holder's answer (NULL: nobody seen) */
	bool res_appears;		/* new_resource finds one (exclusive create) */
	/* the overlap: DRBD syncs while libvirt's migration is held */
	uint64_t mig_sync_step;		/* blocks resynced each wake-up (0: none) */
	int64_t wakeup_ns;		/* time each wake-up takes (0) */
	bool held_at_start;		/* the migration began held (h->synced false) */
	int released_at;		/* the wake-up after which it was let go (0: never) */
	int mig_wakeups;		/* wake-ups of the last migration */
	int drop_at_wakeup;		/* the link drops at this wake-up (1-based, 0: never) */
	uint64_t bits_total;		/* DRBD's bitmap's size (0: none said) */
};

static struct world W;
static struct vplan P;		/* the plan of the test (make_plan) */

static int act(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int act(const char *fmt, ...)
{
	va_list ap;

	assert_true(W.nlog < LOGN);
	if (W.dead)
		return -EIO;
	va_start(ap, fmt);
	vsnprintf(W.log[W.nlog], sizeof(W.log[0]), fmt, ap);
	va_end(ap);
	if (W.fail_at && !strncmp(W.log[W.nlog], W.fail_at, strlen(W.fail_at))) {
		W.fail_at = NULL;
		W.nlog++;
		return -W.fail_err;
	}
	W.nlog++;
	if (W.die_at == W.nlog) {
		W.dead = true;
		if (!W.die_after)
			return -EIO;
	}
	return 0;
}

static struct obj *find(struct obj *set, const char *name, bool add)
{
	for (int i = 0; i < MAXO; i++)
		if (set[i].name[0] && !strcmp(set[i].name, name))
			return &set[i];
	if (!add)
		return NULL;
	for (int i = 0; i < MAXO; i++)
		if (!set[i].name[0]) {
			snprintf(set[i].name, sizeof(set[i].name), "%s", name);
			return &set[i];
		}
	fail_msg("world full");
	return NULL;
}

static struct obj *lvo(const char *vg, const char *lv, bool add)
{
	char n[160];

	snprintf(n, sizeof(n), "%s/%s", vg, lv);
	return find(W.lv, n, add);
}

/* ---- the ops -------------------------------------------------------------- */

static int f_lv_info(void *ud, const char *vg, const char *lv, struct vlvm_lv_info *ret,
		     struct vh_error *e)
{
	struct obj *o = lvo(vg, lv, false);

	W.lv_infos++;
	if (!o || !o->exists)
		return vh_err(e, -ENOENT, "no LV %s/%s", vg, lv);
	memset(ret, 0, sizeof(*ret));
	ret->size = o->size;
	ret->active = true;
	snprintf(ret->tags, sizeof(ret->tags), "%s", o->tags);
	return 0;
}

static int f_vg_info(void *ud, const char *vg, struct vlvm_vg_info *ret, struct vh_error *e)
{
	W.vg_infos++;
	memset(ret, 0, sizeof(*ret));
	ret->extent_size = W.extent;
	ret->free = 1ull << 40;
	return 0;
}

static void dm_lv_name(const char *vg, const char *lv, char *buf, size_t len)
{
	vlvm_dm_name(vg, lv, buf, len);
}

static int f_lv_create(void *ud, const char *vg, const char *lv, uint64_t bytes, uint64_t ext,
		       uint64_t *ret, struct vh_error *e)
{
	struct obj *o, *d;
	char n[160];
	int r;

	if ((r = act("lv_create %s/%s", vg, lv)) < 0)
		return vh_err(e, r, "injected");
	o = lvo(vg, lv, true);
	if (o->exists)
		return vh_err(e, -EEXIST, "exists");
	if (ext && ext != W.extent)
		return vh_err(e, -EPROTO, "lv_create %s/%s: extent %llu, the VG's is %llu", vg, lv,
			      (unsigned long long)ext, (unsigned long long)W.extent);
	o->exists = true;
	o->size = (bytes + W.extent - 1) / W.extent * W.extent;
	vname_lv_tag(P.resource, o->tags, sizeof(o->tags));	/* as the real host's lvcreate */
	*ret = ext ? o->size : 0;	/* as vlvm_lvcreate: unknown without the extent */
	W.lv_creates_blind += !ext;
	dm_lv_name(vg, lv, n, sizeof(n));
	d = find(W.dm, n, true);
	d->exists = true;
	snprintf(d->table, sizeof(d->table), "0 %llu linear 254:0 2048\n",
		 (unsigned long long)(o->size / 512));
	return 0;
}

static int f_lv_remove(void *ud, const char *vg, const char *lv, struct vh_error *e)
{
	struct obj *o = lvo(vg, lv, false);
	char n[160];
	int r;

	if ((r = act("lv_remove %s/%s", vg, lv)) < 0)
		return vh_err(e, r, "injected");
	if (!o || !o->exists)
		return vh_err(e, -ENOENT, "no LV");
	o->exists = false;
	o->tags[0] = '\0';
	dm_lv_name(vg, lv, n, sizeof(n));
	find(W.dm, n, true)->exists = false;
	return 0;
}

static int f_md_create(void *ud, const char *path, uint64_t bytes, struct vh_error *e)
{
	int r = act("md_create %s", path);

	return r < 0 ? vh_err(e, r, "injected") : 0;
}

static int f_dm_table(void *ud, const char *name, struct vdm_table *ret, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);

	if (!o || !o->exists)
		return vh_err(e, -ENXIO, "no device %s", name);
	/* no live table (created, never loaded): none, as the kernel says */
	*ret = (struct vdm_table){ 0 };
	return o->table[0] ? vdm_table_parse(o->table, ret, e) : 0;
}

static int f_dm_create(void *ud, const char *name, const char *uuid, const struct vdm_table *t,
		       struct vh_error *e)
{
	struct obj *o;
	char *text;
	int r;

	if ((r = act("dm_create %s", name)) < 0)
		return vh_err(e, r, "injected");
	assert_string_equal(uuid, name);	/* the UUID suffix is the copy's name */
	o = find(W.dm, name, true);
	assert_false(o->exists);
	assert_int_equal(vdm_table_format(t, &text, e), 0);
	snprintf(o->table, sizeof(o->table), "%s", text);
	free(text);
	o->exists = true;
	return 0;
}

static int f_dm_remove(void *ud, const char *name, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);
	int r;

	if ((r = act("dm_remove %s", name)) < 0)
		return vh_err(e, r, "injected");
	if (!o || !o->exists)
		return vh_err(e, -ENXIO, "no device");
	o->exists = false;
	return 0;
}

static int f_dm_swap(void *ud, const char *name, const struct vdm_table *t, int64_t *ns,
		     struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);
	bool between = W.die_in_swap && !W.dead && W.die_at == W.nlog + 1;
	char *text;
	int r;

	assert_non_null(o);
	assert_int_equal(vdm_table_format(t, &text, e), 0);
	r = act("dm_swap %s %s", name, strstr(text, "147:") ? "onto-drbd" :
		strstr(text, " error") ? "onto-error" : "own-table");
	if (r == 0) {
		snprintf(o->table, sizeof(o->table), "%s", text);
		o->inactive[0] = '\0';
		o->suspended = false;	/* the resume that swapped it in */
	} else if (between) {
		/* loaded, never resumed */
		snprintf(o->inactive, sizeof(o->inactive), "%s", text);
	}
	free(text);
	*ns = 12345;
	return r < 0 ? vh_err(e, r, "injected") : 0;
}

static int f_dm_inactive(void *ud, const char *name, struct vdm_table *ret, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);

	if (!o || !o->exists)
		return vh_err(e, -ENXIO, "no device %s", name);
	*ret = (struct vdm_table){ 0 };
	return o->inactive[0] ? vdm_table_parse(o->inactive, ret, e) : 0;
}

static int f_dm_suspend(void *ud, const char *name, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);
	int r = act("suspend %s", name);

	assert_non_null(o);
	if (r < 0)
		return vh_err(e, r, "injected");
	o->suspended = true;
	return 0;
}

static int f_dm_resume(void *ud, const char *name, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);
	int r = act("dm_resume %s", name);

	assert_non_null(o);
	if (r < 0)
		return vh_err(e, r, "injected");
	o->suspended = false;
	return 0;
}

static int f_dm_info(void *ud, const char *name, struct vdm_info *ret, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);

	if (!o || !o->exists)
		return vh_err(e, -ENXIO, "no device %s", name);
	*ret = (struct vdm_info){ .suspended = o->suspended, .live_table = o->table[0] != '\0',
				  .inactive_table = o->inactive[0] != '\0',
				  .open_count = o->open_count };
	/* the VM's QEMU here holds its LV open while it runs (or is paused) */
	for (size_t i = 0; i < P.n_disks; i++) {
		char lvname[256];

		vlvm_dm_name(P.disks[i].vg, P.disks[i].lv, lvname, sizeof(lvname));
		if (!strcmp(lvname, name) && !W.qemu_gone &&
		    (W.vm_here == VIR_DOMAIN_RUNNING || W.vm_here == VIR_DOMAIN_PAUSED))
			ret->open_count++;
	}
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	return 0;
}

static int f_dm_clear(void *ud, const char *name, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);
	int r;

	if ((r = act("dm_clear %s", name)) < 0)
		return vh_err(e, r, "injected");
	if (!o || !o->exists)
		return vh_err(e, -ENXIO, "no device");
	o->inactive[0] = '\0';
	return 0;
}

/* A dm table, live or waiting, holds DRBD's device open: it cannot go down. */
static bool drbd_held_open(void)
{
	for (int i = 0; i < MAXO; i++)
		if (W.dm[i].exists && (strstr(W.dm[i].table, "147:") || strstr(W.dm[i].inactive, "147:")))
			return true;
	return false;
}

static int f_status(void *ud, uint32_t minor, struct drbdnl_status *ret, struct vh_error *e)
{
	if (W.foreign_minor && minor == W.foreign_minor) {
		memset(ret, 0, sizeof(*ret));
		ret->minor = minor;
		snprintf(ret->resource, sizeof(ret->resource), "vh-other");
		return 0;
	}
	if (!W.minor || (W.our_minor && minor != W.our_minor))
		return vh_err(e, -ENXIO, "no minor");
	memset(ret, 0, sizeof(*ret));
	ret->minor = minor;
	snprintf(ret->resource, sizeof(ret->resource), "vh-1a2b3c4d");
	ret->role = W.primary ? DRBDNL_R_PRIMARY : DRBDNL_R_SECONDARY;
	ret->disk = W.attached ? (uint8_t)W.disk : DRBDNL_D_DISKLESS;
	ret->conn = W.net ? (uint8_t)W.conn : DRBDNL_C_STANDALONE;
	ret->pdsk = (uint8_t)W.pdsk;
	ret->bits_oos = W.oos;
	if (W.bits_total) {	/* a status as the kernel gives it during a resync */
		ret->bits_total = ret->bits_rs_total = W.bits_total;
		ret->has_state = ret->has_resync = true;
	}
	return 0;
}

static int f_res_exists(void *ud, const char *res, struct vh_error *e)
{
	return W.res;
}

static int f_port_use(void *ud, uint16_t port, const char *own, bool *ret_own, char *other,
		      size_t len, struct vh_error *e)
{
	*ret_own = W.net && port == P.port && !strcmp(own, P.resource);
	if (W.port_other[0] && port == P.port) {
		snprintf(other, len, "%s", W.port_other);
		return 1;
	}
	return 0;
}

static int f_port_free(void *ud, const char *addr, int family, uint16_t port, struct vh_error *e)
{
	snprintf(W.probed, sizeof(W.probed), "%s", addr);
	assert_int_equal(family, AF_INET);
	/* a connected resource's DRBD holds its port, as a foreign socket does */
	if (port == P.port && (W.port_bound || W.net))
		return vh_err(e, -EADDRINUSE, "port %u on %s is in use", port, addr);
	return 0;
}

#define SIMPLE(fn, flag, val, ...) do {				\
		int r_ = act(__VA_ARGS__);				\
									\
		if (r_ < 0)						\
			return vh_err(e, r_, "injected");		\
		flag = val;						\
		return 0;						\
	} while (0)

static int f_new_res(void *ud, const char *res, struct vh_error *e)
{
	/* exclusive, as the real one (NLM_F_EXCL) */
	if (W.res_appears)
		return vh_err(e, -EEXIST, "new-resource %s: the resource exists already", res);
	SIMPLE(0, W.res, true, "new_resource %s", res);
}

static int f_new_minor(void *ud, const char *res, uint32_t m, uint32_t v, struct vh_error *e)
{
	if (W.foreign_minor == m)
		return vh_err(e, -EEXIST, "minor exists");
	W.our_minor = m;
	SIMPLE(0, W.minor, true, "new_minor %u", m);
}

static int f_claims(void *ud, struct vres_claim **ret, size_t *ret_n, struct vh_error *e)
{
	*ret = calloc(2, sizeof(**ret));
	assert_non_null(*ret);
	memcpy(*ret, W.claims, sizeof(W.claims));
	*ret_n = W.n_claims;
	return 0;
}

static int f_host_lock(void *ud, bool take, struct vh_error *e)
{
	assert_true(take != W.locked);
	W.locked = take;
	if (take)
		W.locks++;
	else
		W.unlocks++;
	return 0;
}

static int f_port_holder(void *ud, uint16_t port, char *buf, size_t len)
{
	if (!W.holder)
		return -ENOENT;
	snprintf(buf, len, "%s", W.holder);
	return 0;
}

static int f_attach(void *ud, uint32_t m, const struct drbdnl_conf *dc, struct vh_error *e)
{
	assert_string_equal(drbdnl_conf_str(dc, DRBDNL_DISK_BACKING_DEV),
			    "/dev/mapper/vh-1a2b3c4d-0.copy");
	assert_int_equal(drbdnl_conf_num(dc, DRBDNL_DISK_SIZE), 409600);
	W.disk = DRBDNL_D_INCONSISTENT;
	SIMPLE(0, W.attached, true, "attach %u", m);
}

static int f_primary(void *ud, uint32_t m, struct vh_error *e)
{
	assert_false(W.net);	/* only while StandAlone */
	W.disk = DRBDNL_D_UP_TO_DATE;
	SIMPLE(0, W.primary, true, "primary_force %u", m);
}

static int f_connect(void *ud, const char *res, const struct drbdnl_addr *l,
		     const struct drbdnl_addr *p, const struct drbdnl_conf *nc, struct vh_error *e)
{
	W.conn = DRBDNL_C_WF_CONNECTION;
	SIMPLE(0, W.net, true, "connect %s", res);
}

static int f_disconnect(void *ud, const struct drbdnl_addr *l, const struct drbdnl_addr *p,
			bool force, struct vh_error *e)
{
	SIMPLE(0, W.net, false, "disconnect%s", force ? " --force" : "");
}

static int f_down(void *ud, const char *res, struct vh_error *e)
{
	int r = act("down %s", res);

	if (r < 0)
		return vh_err(e, r, "injected");
	if (drbd_held_open())
		return vh_err(e, -EBUSY, "a dm table holds /dev/drbd open");
	W.res = W.minor = W.attached = W.net = W.primary = false;
	return 0;
}

static int f_wait(void *ud, uint32_t minor, drbdnl_pred_fn pred, void *pred_arg, int timeout_ms,
		  drbdnl_progress_fn progress, void *arg, struct drbdnl_status *ret,
		  struct vh_error *e)
{
	struct drbdnl_status st;
	int r;

	if ((r = act("wait %u", minor)) < 0)
		return vh_err(e, r, "injected");
	W.last_wait_ms = timeout_ms;
	if (W.on_wait)
		W.on_wait(W.nwaits++);
	if (W.watched[0] && W.vm_event) {
		W.vm_event = false;
		W.woken++;
		return vh_err(e, -EAGAIN, "woken");
	}
	if (W.reset_waits > 0) {
		W.reset_waits--;
		W.conn = DRBDNL_C_WF_CONNECTION;
		W.pdsk = DRBDNL_D_UNKNOWN;
		W.clock += 1000000000;
		return vh_err(e, -ECONNRESET, "connection lost");
	}
	if (W.sync_step && W.oos) {
		/* a resync under way: some progress within every wait */
		W.oos = W.oos > W.sync_step ? W.oos - W.sync_step : 0;
		assert_int_equal(f_status(ud, minor, &st, e), 0);
		if (progress)
			progress(&st, NULL, arg);
		if (!W.oos) {
			W.conn = DRBDNL_C_CONNECTED;
			W.pdsk = DRBDNL_D_UP_TO_DATE;
		}
	}
	if (W.wait_resyncs) {
		W.conn = DRBDNL_C_CONNECTED;
		W.disk = W.pdsk = DRBDNL_D_UP_TO_DATE;
		W.oos = 0;
	}
	assert_int_equal(f_status(ud, minor, &st, e), 0);
	if (pred(&st, pred_arg, e) == 1)
		return 0;
	/* as drbdnl_wait: StandAlone ends the wait at once (nothing will
	 * reconnect it), no time passes */
	if (st.conn == DRBDNL_C_STANDALONE && W.res)
		return vh_err(e, -ENOTCONN, "DRBD minor %u went StandAlone", minor);
	W.clock += (int64_t)timeout_ms * 1000000;	/* the whole timeout passed */
	return vh_err(e, -ETIMEDOUT, "timed out");
}

static int f_helper_take(void *ud, const char *res, bool *changed, char *orig, size_t len,
			 struct vh_error *e)
{
	int r = act("helper_take");

	if (r < 0)
		return vh_err(e, r, "injected");
	snprintf(orig, len, "/sbin/drbdadm");
	W.helper_changed = *changed = true;
	if (W.lv_appears_at_take) {
		struct obj *o = lvo("vg", "vm1", true);

		o->exists = true;
		o->size = 200ull << 20;	/* LV_BYTES */
	}
	return 0;
}

static int f_helper_release(void *ud, const char *res, struct vh_error *e)
{
	SIMPLE(0, W.helper_changed, false, "helper_release");
}

static int f_flush(void *ud, const char *path, struct vh_error *e)
{
	int r = act("flush %s", path);

	return r < 0 ? vh_err(e, r, "injected") : 0;
}

static int f_vm_state(void *ud, enum veng_where w, const char *name, int *st, struct vh_error *e)
{
	int s = w == VENG_HERE ? W.vm_here : W.vm_peer;

	if (w == VENG_PEER)
		W.peer_states++;
	if (w == VENG_HERE && W.vm_state_err)
		return vh_err(e, W.vm_state_err, "libvirt does not answer");
	if (w == VENG_PEER && W.peer_state_err)
		return vh_err(e, W.peer_state_err, "the peer's libvirt does not answer");
	if (s < 0)
		return vh_err(e, -ENOENT, "no domain");
	*st = s;
	return 0;
}

static int f_vm_info(void *ud, enum veng_where w, const char *name, struct veng_vm *ret,
		     struct vh_error *e)
{
	unsigned *job = w == VENG_HERE ? &W.job_here : &W.job_peer;
	int st = 0, r = f_vm_state(ud, w, name, &st, e);

	if (r < 0)
		return r;
	*ret = (struct veng_vm){ .state = st, .reason = w == VENG_HERE ? W.reason_here : W.reason_peer,
				 .autostart = w == VENG_HERE && W.autostart_here };
	if (*job) {
		ret->job = true;
		(*job)--;
	}
	return 0;
}

static int f_vm_autostart(void *ud, enum veng_where w, const char *name, bool on,
			  struct vh_error *e)
{
	int r = act("autostart %s %s", on ? "on" : "off", w == VENG_PEER ? "peer" : "here");

	if (r < 0)
		return vh_err(e, r, "injected");
	if (w == VENG_HERE)
		W.autostart_here = on;
	return 0;
}

static void f_nap(void *ud, int ms)
{
	W.clock += (int64_t)ms * 1000000;
	if (W.on_nap)
		W.on_nap(W.naps);
	W.naps++;
}

/* libvirt's migration as vvirt_migrate runs it: SIM_WAKEUPS wake-ups of the
 * poll loop, the watch called at each, then the handoff (the VM paused on D).
 * drop_during_migrate: the link drops after the first wake-up (the VM still
 * writes on S: D misses those writes).  A watch that asks aborts the job,
 * which then fails as libvirt's does, the VM still running here; unless
 * abort_refused (the job already in its stop-and-copy): it finishes. */
#define SIM_WAKEUPS 3

static int f_migrate(void *ud, const struct vplan *p, const struct veng_mig_hooks *h,
		     uint64_t *dt, struct vh_error *e)
{
	veng_watch_fn watch = h ? h->watch : NULL;
	void *wud = h ? h->ud : NULL;
	int r;

	W.job_here += W.job_at_migrate;
	if ((r = act("migrate")) < 0)
		return vh_err(e, r, "injected");
	W.clock += W.migrate_ns;
	W.held_at_start = h && h->synced && !*h->synced;
	W.released_at = 0;
	/* held: libvirt's job goes on (at 1 MiB/s) until the watch lets it go */
	for (int i = 0; i < SIM_WAKEUPS || (W.held_at_start && !*h->synced && i < 40); i++) {
		W.mig_wakeups = i + 1;
		W.clock += W.wakeup_ns;
		if (W.mig_sync_step && W.conn == DRBDNL_C_SYNC_SOURCE) {
			W.oos = W.oos > W.mig_sync_step ? W.oos - W.mig_sync_step : 0;
			if (!W.oos) {
				W.conn = DRBDNL_C_CONNECTED;
				W.pdsk = DRBDNL_D_UP_TO_DATE;
			}
		}
		if (W.drop_at_wakeup == i + 1) {
			W.conn = DRBDNL_C_WF_CONNECTION;
			W.pdsk = DRBDNL_D_UNKNOWN;
		}
		if (i == 1 && (W.drop_during_migrate || W.drop_migrations)) {
			if (W.drop_migrations)
				W.drop_migrations--;
			if (W.drop_for_good)
				W.wait_resyncs = false;
			W.conn = DRBDNL_C_WF_CONNECTION;
			W.pdsk = DRBDNL_D_UNKNOWN;
			W.oos = 14;
		}
		if (!watch || !watch(wud)) {
			if (W.held_at_start && !W.released_at && *h->synced)
				W.released_at = i + 1;
			continue;
		}
		W.abort_asked++;
		if (!W.abort_refused) {
			act("abort job");
			return vh_err(e, -ECANCELED, "migration of %s cancelled", p->vm_name);
		}
	}
	/* D's Finish answered: the VM paused there, libvirt confirming here */
	W.vm_peer = VIR_DOMAIN_PAUSED;
	W.reason_peer = VIR_DOMAIN_PAUSED_USER;	/* as libvirt leaves VIR_MIGRATE_PAUSED's */
	W.reason_here = VIR_DOMAIN_PAUSED_MIGRATION;
	W.handoff_saves = W.saves;
	W.handoff_peer_states = W.peer_states;
	if (W.peer_events && h && h->peer) {
		/* S's QEMU stopped by the migration, alive until the Confirm */
		W.vm_here = VIR_DOMAIN_PAUSED;
		W.job_peer += W.job_peer_at_event;
		if (W.oos_at_event) {
			W.oos = W.oos_at_event;
			W.conn = DRBDNL_C_SYNC_SOURCE;
			W.pdsk = DRBDNL_D_INCONSISTENT;
		}
		if (W.here_at_event)
			W.vm_here = W.here_at_event;
		h->peer(h->ud, W.peer_event ? W.peer_event : VIR_DOMAIN_EVENT_SUSPENDED);
		if (W.oos_at_event) {
			/* ... resynced before S's QEMU exits */
			W.oos = 0;
			W.conn = DRBDNL_C_CONNECTED;
			W.pdsk = DRBDNL_D_UP_TO_DATE;
		}
		if (W.lost_finish_reply) {
			/* libvirt here never got D's answer: it resumes its QEMU (a twin) */
			W.vm_here = VIR_DOMAIN_RUNNING;
			W.reason_here = VIR_DOMAIN_RUNNING_MIGRATION_CANCELED;
			return vh_err(e, -EIO, "migration of %s: the Finish's reply was lost",
				      p->vm_name);
		}
	}
	W.gone_peer_states = W.peer_states;
	if (W.qemu_exits && h && h->gone) {
		/* S's QEMU killed by the Confirm; libvirt has not noticed yet */
		W.vm_here = VIR_DOMAIN_PAUSED;
		W.qemu_gone = true;
		W.job_peer += W.job_peer_at_gone;
		if (W.oos_at_gone) {
			W.oos = W.oos_at_gone;
			W.conn = DRBDNL_C_SYNC_SOURCE;
			W.pdsk = DRBDNL_D_INCONSISTENT;
		}
		if (W.crash_at_gone)
			W.vm_peer = W.peer_state_at_crash;
		W.gone_calls++;
		h->gone(h->ud);
		if (W.on_gone)
			W.on_gone();
	}
	/* the Confirm ends in libvirtd, whether this process lives or not */
	W.qemu_gone = false;
	W.vm_here = VIR_DOMAIN_SHUTOFF;
	W.reason_here = VIR_DOMAIN_SHUTOFF_MIGRATED;
	if (W.crash_at_gone) {
		W.reason_here = VIR_DOMAIN_SHUTOFF_CRASHED;
		return vh_err(e, -EIO, "migration of %s: QEMU crashed", p->vm_name);
	}
	if (W.dead)
		return vh_err(e, -EIO, "killed");
	*dt = 7;
	if (W.confirm_err)
		return vh_err(e, W.confirm_err, "injected at the Confirm");
	return 0;
}

static int f_mig_limits(void *ud, const char *name, uint64_t mib, uint64_t ms,
			struct vh_error *e)
{
	int r;

	if ((r = act("mig_limits %llu %llu", (unsigned long long)mib, (unsigned long long)ms)) < 0)
		return vh_err(e, r, "injected");
	return 0;
}

static int f_resume(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	int r = act("resume %s", w == VENG_PEER ? "peer" : "here");
	int *s = w == VENG_PEER ? &W.vm_peer : &W.vm_here;

	if (r < 0)
		return vh_err(e, r, "injected");
	W.resume_saves = W.saves;
	W.resume_peer_states = W.peer_states;
	/* as libvirt: a state change waits for the async job (D's Finish) to
	 * end, then goes ahead */
	if (w == VENG_PEER && W.job_peer) {
		W.job_peer = 0;
		W.resume_waits++;
	}
	/* as libvirt: a running domain is resumed again without error */
	if (*s < 0)
		return vh_err(e, -ENOENT, "no domain");
	if (*s != VIR_DOMAIN_RUNNING && *s != VIR_DOMAIN_PAUSED)
		return vh_err(e, -EINVAL, "domain is not running");
	*s = VIR_DOMAIN_RUNNING;
	return 0;
}

/* libvirt's events here during the migration: a resume seen (the mock's
 * own state says so), or no events (-ENOENT: the engine asks instead). */
static int f_resumed_here(void *ud)
{
	W.here_event_checks++;
	if (W.no_here_events)
		return -ENOENT;
	return W.vm_here == VIR_DOMAIN_RUNNING;
}

static int f_prefetch(void *ud, enum veng_where w, const char *name)
{
	W.prefetches++;
	return (w == VENG_PEER ? W.vm_peer : W.vm_here) < 0 ? -ENOENT : 0;
}

static int f_undefine(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	int r = act("undefine %s", w == VENG_PEER ? "peer" : "here");

	if (r < 0)
		return vh_err(e, r, "injected");
	*(w == VENG_PEER ? &W.vm_peer : &W.vm_here) = -1;
	return 0;
}

/* The domain's XML: the plan's disks, as libvirt shows them. */
static int f_vm_xml(void *ud, enum veng_where w, const char *name, char **ret, struct vh_error *e)
{
	char *x = malloc(8192);
	size_t off;

	assert_non_null(x);
	off = (size_t)snprintf(x, 8192, "<domain type='qemu'><name>%s</name><uuid>%s</uuid><devices>",
			       name, W.dom_uuid ? W.dom_uuid : P.vm_uuid);
	for (size_t i = 0; i < P.n_disks; i++)
		off += (size_t)snprintf(x + off, 8192 - off, "<disk type='block' device='disk'>"
					"<driver name='qemu' type='raw' cache='%s'/><source dev='/dev/%s/%s'/>"
					"<target dev='%s' bus='virtio'/></disk>", W.cache ? W.cache : "none",
					P.disks[i].vg, i == 0 && W.dom_lv ? W.dom_lv : P.disks[i].lv,
					P.disks[i].target);
	snprintf(x + off, 8192 - off, "%s<disk type='file' device='cdrom'><source file='/x.iso'/>"
		 "<target dev='hdc'/><readonly/></disk>%s</devices></domain>",
		 W.extra_disk ? W.extra_disk : "", W.ifaces ? W.ifaces : "");
	*ret = x;
	return 0;
}

static int f_net_state(void *ud, enum veng_where w, int kind, const char *name,
		       struct vh_error *e)
{
	assert_int_equal(w, VENG_PEER);
	assert_int_not_equal(kind, VVIRT_NET_OTHER);
	W.peer_net_asks++;
	if (W.peer_no_net && !strcmp(name, W.peer_no_net))
		return vh_err(e, -ENOENT, "no %s %s", vvirt_net_kind_name(kind), name);
	if (W.peer_net_down && !strcmp(name, W.peer_net_down))
		return vh_err(e, -ENETDOWN, "%s down", name);
	return 0;
}

static void f_peer_close(void *ud)
{
	W.peer_closes++;
}

static int f_tcp_reach(void *ud, const char *host, uint16_t port, int timeout_ms,
		       struct vh_error *e)
{
	snprintf(W.reached, sizeof(W.reached), "%s:%u", host, port);
	assert_true(timeout_ms > 0);
	if (W.reach_err)
		return vh_err(e, W.reach_err, "TCP port %u on %s: no answer", port, host);
	return 0;
}

static int f_destroy(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	int r = act("destroy %s", w == VENG_PEER ? "peer" : "here");

	if (r < 0)
		return vh_err(e, r, "injected");
	*(w == VENG_PEER ? &W.vm_peer : &W.vm_here) = VIR_DOMAIN_SHUTOFF;
	return 0;
}

static int f_start(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	int r = act("start %s", w == VENG_PEER ? "peer" : "here");

	if (r < 0)
		return vh_err(e, r, "injected");
	*(w == VENG_PEER ? &W.vm_peer : &W.vm_here) = VIR_DOMAIN_RUNNING;
	return 0;
}

/* Every save goes through a real journal and is read back, as the next
 * process would see it: W.saved is what survives the process. */
static struct vjournal *J;
static char jdir[64];
static struct vplan P;

static int f_save(void *ud, const struct veng_state *st, struct vh_error *e)
{
	bool found;
	int r;

	if (W.dead)
		return vh_err(e, -EIO, "killed");
	W.saves++;
	if (!J) {
		snprintf(jdir, sizeof(jdir), "/tmp/vmhop-test-engine-XXXXXX");
		assert_non_null(mkdtemp(jdir));
		assert_int_equal(vjournal_open(jdir, &P, st->role, &J, e), 0);
	}
	if ((r = veng_journal_save(J, st, e)) < 0)
		return r;
	assert_int_equal(veng_journal_load(J, &P, st->role, &W.saved, &found, e), 0);
	assert_true(found);
	return 0;
}

static int journal_teardown(void **state)
{
	char path[160];

	if (J) {
		snprintf(path, sizeof(path), "%s", vjournal_path(J));
		vjournal_close(J);
		J = NULL;
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/%s.lock", jdir, P.vm_uuid);
		(void)unlink(path);
		(void)rmdir(jdir);
	}
	return 0;
}

static const struct veng_ops fake_ops = {
	.lv_info = f_lv_info, .vg_info = f_vg_info, .lv_create = f_lv_create,
	.lv_remove = f_lv_remove, .md_create = f_md_create, .dm_table = f_dm_table,
	.dm_create = f_dm_create, .dm_remove = f_dm_remove, .dm_swap = f_dm_swap,
	.dm_inactive = f_dm_inactive, .dm_clear = f_dm_clear, .dm_info = f_dm_info,
	.dm_suspend = f_dm_suspend, .dm_resume = f_dm_resume,
	.drbd_status = f_status, .drbd_res_exists = f_res_exists, .drbd_new_resource = f_new_res,
	.drbd_port_use = f_port_use, .port_free = f_port_free,
	.drbd_new_minor = f_new_minor, .drbd_attach = f_attach, .drbd_primary_force = f_primary,
	.drbd_connect = f_connect, .drbd_disconnect = f_disconnect, .drbd_down = f_down,
	.drbd_wait = f_wait, .helper_take = f_helper_take, .helper_release = f_helper_release,
	.flush_buffers = f_flush, .vm_state = f_vm_state, .vm_migrate = f_migrate,
	.vm_mig_limits = f_mig_limits,
	.vm_info = f_vm_info, .vm_autostart = f_vm_autostart, .nap = f_nap,
	.vm_resume = f_resume, .vm_prefetch = f_prefetch, .vm_resumed_here = f_resumed_here, .vm_undefine = f_undefine, .vm_xml = f_vm_xml, .vm_destroy = f_destroy,
	.vm_start = f_start, .save = f_save,
	.net_state = f_net_state, .tcp_reach = f_tcp_reach, .peer_close = f_peer_close,
	.claims = f_claims, .host_lock = f_host_lock, .port_holder = f_port_holder,
};

static int64_t fake_now(void)
{
	return W.clock;
}

/* ---- fixtures --------------------------------------------------------------- */

#define LV_BYTES (200ull << 20)

static void make_plan(void)
{
	memset(&P, 0, sizeof(P));
	P.version = VPLAN_VERSION;
	snprintf(P.vm_name, sizeof(P.vm_name), "vm1");
	snprintf(P.vm_uuid, sizeof(P.vm_uuid), "1a2b3c4d-0000-4000-8000-000000000001");
	snprintf(P.resource, sizeof(P.resource), "vh-1a2b3c4d");
	P.port = 7789;
	snprintf(P.source.host, sizeof(P.source.host), "hv1");
	snprintf(P.source.addr, sizeof(P.source.addr), "10.0.0.1");
	P.source.family = AF_INET;
	snprintf(P.dest.host, sizeof(P.dest.host), "hv2");
	snprintf(P.dest.addr, sizeof(P.dest.addr), "10.0.0.2");
	P.dest.family = AF_INET;
	P.n_disks = 1;
	snprintf(P.disks[0].target, sizeof(P.disks[0].target), "vda");
	snprintf(P.disks[0].vg, sizeof(P.disks[0].vg), "vg");
	snprintf(P.disks[0].lv, sizeof(P.disks[0].lv), "vm1");
	P.disks[0].size = LV_BYTES;
	P.disks[0].minor = 100;
	snprintf(P.disks[0].copy, sizeof(P.disks[0].copy), "vh-1a2b3c4d-0.copy");
	snprintf(P.disks[0].md_lv, sizeof(P.disks[0].md_lv), "vh-1a2b3c4d_0.vhmd");
	P.disks[0].md_index = VMETA_INDEX_FLEX;
	P.disks[0].md_bytes = 1 << 20;
	snprintf(P.drbd.protocol, sizeof(P.drbd.protocol), "C");
	snprintf(P.drbd.cram_hmac_alg, sizeof(P.drbd.cram_hmac_alg), "sha256");
	snprintf(P.drbd.shared_secret, sizeof(P.drbd.shared_secret), "0123456789abcdef0123");
	P.drbd.resync_rate = 102400;
	P.drbd.c_max_rate = 102400;
	P.drbd.c_delay_target = 10;
	P.drbd.c_min_rate = 4096;
	for (int i = 0; i < 4; i++)
		snprintf(i == 0 ? P.drbd.after_sb_0pri : i == 1 ? P.drbd.after_sb_1pri :
			 i == 2 ? P.drbd.after_sb_2pri : P.drbd.rr_conflict, 24, "disconnect");
	snprintf(P.migration.uri, sizeof(P.migration.uri), "qemu+tcp://hv2/system");
	P.timeouts = (struct vplan_timeouts){ .connect = 60, .sync = 600, .stall = 60,
					      .migrate = 600, .gate = 30 };
}

/* hv1 (S) with the running VM on vg/vm1; hv2 (D) has nothing. */
static void world_source(void)
{
	struct obj *o;

	journal_teardown(NULL);
	memset(&W, 0, sizeof(W));
	W.clock = 1000000000;	/* CLOCK_MONOTONIC is never 0 */
	W.extent = 4 << 20;
	W.vm_here = VIR_DOMAIN_RUNNING;
	W.vm_peer = -1;
	W.pdsk = DRBDNL_D_UNKNOWN;
	o = lvo("vg", "vm1", true);
	o->exists = true;
	o->size = LV_BYTES;
	o = find(W.dm, "vg-vm1", true);
	o->exists = true;
	snprintf(o->table, sizeof(o->table), "0 409600 linear 254:0 2048\n");
	make_plan();
}

static void world_dest(void)
{
	journal_teardown(NULL);
	memset(&W, 0, sizeof(W));
	W.clock = 1000000000;	/* CLOCK_MONOTONIC is never 0 */
	W.extent = 4 << 20;
	W.vm_here = -1;
	W.vm_peer = -1;
	W.pdsk = DRBDNL_D_UNKNOWN;
	make_plan();
}

static void engine(struct veng *g, enum vplan_role role, const struct veng_state *st)
{
	struct vh_error e = { 0 };

	assert_int_equal(veng_init(g, &P, role, st, &fake_ops, NULL, &e), 0);
	g->now_ns = fake_now;
}

static int run(struct veng *g, enum veng_phase ph, unsigned flags, struct veng_result *res)
{
	struct vh_error e = { 0 };
	int r = veng_run(g, ph, flags, res, &e);

	if (r < 0)
		assert_int_equal(e.code, r);	/* every error carries its message */
	return r;
}

static void assert_log(size_t from, const char *const *want, size_t n)
{
	if (W.nlog - from != n) {
		for (size_t i = from; i < W.nlog; i++)
			print_message("  log[%zu] %s\n", i, W.log[i]);
		fail_msg("%zu actions, want %zu", W.nlog - from, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(W.log[from + i], want[i]);
}

#define LOG(...) (const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *)

/* The same, each action starting with its word (a device's name after it). */
static void assert_log_prefix(size_t from, const char *const *want, size_t n)
{
	if (W.nlog - from != n) {
		for (size_t i = from; i < W.nlog; i++)
			print_message("  log[%zu] %s\n", i, W.log[i]);
		fail_msg("%zu actions, want %zu", W.nlog - from, n);
	}
	for (size_t i = 0; i < n; i++)
		if (strncmp(W.log[from + i], want[i], strlen(want[i])))
			fail_msg("log[%zu] '%s', want '%s...'", from + i, W.log[from + i], want[i]);
}

/* S up to and including bridge + connect. */
static void source_bridged(struct veng *g)
{
	struct veng_result res;

	world_source();
	engine(g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(g, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(run(g, VENG_BRIDGE, 0, &res), 0);
}

/* ---- tests ------------------------------------------------------------------ */

static void prepare_s_then_again_does_nothing(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	world_source();
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_log(0, LOG("helper_take", "new_resource vh-1a2b3c4d",
			  "lv_create vg/vh-1a2b3c4d_0.vhmd",
			  "md_create /dev/mapper/vg-vh--1a2b3c4d_0.vhmd",
			  "dm_create vh-1a2b3c4d-0.copy", "new_minor 100", "attach 100",
			  "primary_force 100"));
	assert_true(res.acted > 0);
	/* the copy has the VM's LV's table, and the journal keeps it */
	assert_string_equal(find(W.dm, "vh-1a2b3c4d-0.copy", false)->table,
			    "0 409600 linear 254:0 2048\n");
	assert_string_equal(W.saved.disks[0].saved_table, "0 409600 linear 254:0 2048\n");
	assert_false(W.net);	/* no connect in prepare on S */
	assert_string_equal(W.saved.doing, "");
	assert_int_equal(W.saved.last_phase, VENG_PREPARE);
	assert_true(W.saved.helper_changed);
	assert_string_equal(W.saved.helper_original, "/sbin/drbdadm");

	n = W.nlog;
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(res.acted, 0);
	assert_int_equal(W.nlog, n);

	/* the same from the journal alone (a new process) */
	{
		struct veng g2;
		struct veng_state st = W.saved;

		engine(&g2, VPLAN_ROLE_SOURCE, &st);
		assert_int_equal(run(&g2, VENG_PREPARE, 0, &res), 0);
		assert_int_equal(res.acted, 0);
		assert_int_equal(W.nlog, n);
	}
}

static void interrupted_prepare_continues(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	world_source();
	W.fail_at = "dm_create";
	W.fail_err = EIO;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EIO);
	/* the journal says a step was under way, and what exists */
	assert_string_equal(W.saved.doing, "create vh-1a2b3c4d-0.copy");
	assert_true(W.saved.disks[0].md_created);
	assert_true(W.saved.disks[0].md_written);

	st = W.saved;
	n = W.nlog;
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	assert_int_equal(run(&g2, VENG_PREPARE, 0, &res), 0);
	assert_log(n, LOG("dm_create vh-1a2b3c4d-0.copy", "new_minor 100", "attach 100",
			  "primary_force 100"));
}

static void bridge_before_connect_and_idempotent(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	world_source();
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_BRIDGE, 0, &res), -EINVAL);	/* prepare first */
	assert_int_equal(W.nlog, 0);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_BRIDGE, 0, &res), 0);
	assert_log(n, LOG("dm_swap vg-vm1 onto-drbd", "connect vh-1a2b3c4d"));
	assert_string_equal(find(W.dm, "vg-vm1", false)->table, "0 409600 linear 147:100 0\n");
	assert_int_equal(res.freeze_ns[0], 12345);
	assert_int_equal(W.saved.disks[0].freeze_ns, 12345);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_BRIDGE, 0, &res), 0);
	assert_int_equal(res.acted, 0);
	assert_int_equal(W.nlog, n);
}

static void abort_after_bridge_swaps_back_first(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	source_bridged(&g);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	assert_log(n, LOG("dm_swap vg-vm1 own-table", "down vh-1a2b3c4d",
			  "dm_remove vh-1a2b3c4d-0.copy", "lv_remove vg/vh-1a2b3c4d_0.vhmd",
			  "helper_release"));
	assert_string_equal(find(W.dm, "vg-vm1", false)->table, "0 409600 linear 254:0 2048\n");
	assert_true(lvo("vg", "vm1", false)->exists);	/* the VM's LV is never removed */
	assert_false(W.helper_changed);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	assert_int_equal(W.nlog, n);
	/* and nothing else runs after an abort */
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EINVAL);
}

static void abort_on_dest_removes_only_its_own_lv(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_true(lvo("vg", "vm1", false)->exists);
	assert_int_equal(lvo("vg", "vm1", false)->size, LV_BYTES);
	assert_true(W.net);
	assert_false(W.primary);	/* D stays Secondary */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_log(n, LOG("down vh-1a2b3c4d", "dm_remove vh-1a2b3c4d-0.copy",
			  "lv_remove vg/vh-1a2b3c4d_0.vhmd", "lv_remove vg/vm1", "helper_release"));

	/* once the VM is on D, abort refuses and changes nothing */
	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	W.vm_here = VIR_DOMAIN_PAUSED;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_true(lvo("vg", "vm1", false)->exists);
}

/* D's first prepare runs preflight's checks (one vgs, one lvs: an existing
 * LV of the VM's name is refused before anything changes) and then only
 * creates: no lvs for the meta-data LV (lvcreate refuses an existing one),
 * no vgs again (the extent size is preflight's), no read-back.  A run
 * again looks at what the journal claims.  S's first prepare: one lvs (the
 * VM's LV), then the meta-data LV's create, its size rounded by LVM.  The
 * VM's LV made by someone else in between: LVM's create refuses it, nothing
 * of theirs is claimed. */
static void dest_prepare_asks_lvm_once(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;

	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(W.vg_infos, 1);
	assert_int_equal(W.lv_infos, 1);
	assert_int_equal(W.lv_creates_blind, 0);
	assert_true(lvo("vg", "vm1", false)->exists);
	assert_true(W.saved.disks[0].lv_created);
	assert_int_equal(W.saved.disks[0].lv_size, LV_BYTES);

	/* run again (a new process): everything is looked at again */
	st = W.saved;
	W.vg_infos = W.lv_infos = 0;
	engine(&g2, VPLAN_ROLE_DEST, &st);
	assert_int_equal(run(&g2, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(res.acted, 0);
	assert_int_equal(W.lv_infos, 2);

	/* S's first prepare: the VM's LV once (preflight), the meta-data LV
	 * created without asking its VG */
	world_source();
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(W.lv_infos, 1);
	assert_int_equal(W.vg_infos, 0);
	assert_int_equal(W.lv_creates_blind, 1);
	assert_true(W.saved.disks[0].md_created);

	/* D's LV there before prepare (bad input): refused before anything
	 * changes, as preflight refuses it */
	world_dest();
	lvo("vg", "vm1", true)->exists = true;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EEXIST);
	assert_int_equal(W.nlog, 0);
	assert_false(W.helper_changed);

	world_dest();
	W.lv_appears_at_take = true;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EEXIST);
	assert_false(W.saved.disks[0].lv_created);
	assert_string_equal(W.saved.doing, "");
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_true(lvo("vg", "vm1", false)->exists);	/* theirs: left alone */
}

static void dest_refuses_extent_that_cannot_give_exact_size(void **state)
{
	struct veng g;
	struct veng_result res;

	world_dest();
	W.extent = 3 << 20;	/* 200 MiB is not a multiple of 3 MiB */
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), -EINVAL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, 0);		/* nothing changed */
	assert_null(lvo("vg", "vm1", false));
}

/* D: the plan's port held by a foreign socket on D's address, or configured
 * on another DRBD resource: preflight and prepare refuse, nothing changes. */
static void dest_refuses_port_in_use(void **state)
{
	struct vh_error e = { 0 };
	struct veng g;
	struct veng_result res;

	world_dest();
	W.port_bound = true;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EADDRINUSE);
	assert_string_equal(W.probed, "10.0.0.2");	/* D's own address */
	assert_non_null(strstr(e.msg, "port 7789 on 10.0.0.2"));
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EADDRINUSE);
	assert_int_equal(W.nlog, 0);		/* nothing changed */
	assert_int_equal(W.saves, 0);
	assert_null(lvo("vg", "vm1", false));

	world_dest();
	snprintf(W.port_other, sizeof(W.port_other), "r0");
	engine(&g, VPLAN_ROLE_DEST, NULL);
	memset(&e, 0, sizeof(e));
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "port 7789 is configured on DRBD resource r0"));
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, 0);
	assert_int_equal(W.saves, 0);
	assert_null(lvo("vg", "vm1", false));
}

/* The move's own resource already on the port (D connected in prepare; the
 * process died; preflight and prepare run again): not refused. */
static void own_resource_on_port_not_refused(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	assert_string_equal(W.probed, "10.0.0.2");
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_true(W.net);
	n = W.nlog;
	st = W.saved;
	engine(&g2, VPLAN_ROLE_DEST, &st);
	assert_int_equal(run(&g2, VENG_PREFLIGHT, 0, &res), 0);
	assert_int_equal(run(&g2, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(res.acted, 0);
	assert_int_equal(W.nlog, n);

	/* S after the bridge (connected): the same */
	source_bridged(&g);
	assert_true(W.net);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	assert_string_equal(W.probed, "10.0.0.1");	/* S probed its own address first */
}

/* S bridged, connected, synced: ready to migrate. */
static void source_synced(struct veng *g)
{
	struct veng_result res;

	source_bridged(g);
	W.conn = DRBDNL_C_CONNECTED;
	W.pdsk = DRBDNL_D_UP_TO_DATE;
	assert_int_equal(run(g, VENG_WAIT_SYNC, 0, &res), 0);
}

static void gate_decision_table(void **state)
{
	static const struct {
		uint8_t conn, disk, pdsk;
		uint64_t oos;
		bool stopped;
		enum veng_gate want;
	} t[] = {
		{ DRBDNL_C_CONNECTED, DRBDNL_D_UP_TO_DATE, DRBDNL_D_UP_TO_DATE, 0, true, VENG_GATE_PASS },
		{ DRBDNL_C_CONNECTED, DRBDNL_D_UP_TO_DATE, DRBDNL_D_UP_TO_DATE, 0, false, VENG_GATE_NOT_STOPPED },
		{ DRBDNL_C_CONNECTED, DRBDNL_D_UP_TO_DATE, DRBDNL_D_UP_TO_DATE, 3, true, VENG_GATE_WAIT },
		{ DRBDNL_C_WF_CONNECTION, DRBDNL_D_UP_TO_DATE, DRBDNL_D_UNKNOWN, 14, true, VENG_GATE_WAIT },
		{ DRBDNL_C_WF_CONNECTION, DRBDNL_D_UP_TO_DATE, DRBDNL_D_UP_TO_DATE, 0, true, VENG_GATE_WAIT },
		{ DRBDNL_C_SYNC_SOURCE, DRBDNL_D_UP_TO_DATE, DRBDNL_D_INCONSISTENT, 2, true, VENG_GATE_WAIT },
		{ DRBDNL_C_CONNECTED, DRBDNL_D_UP_TO_DATE, DRBDNL_D_OUTDATED, 0, true, VENG_GATE_WAIT },
		{ DRBDNL_C_STANDALONE, DRBDNL_D_UP_TO_DATE, DRBDNL_D_UNKNOWN, 0, true, VENG_GATE_WAIT },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct drbdnl_status st = { .conn = t[i].conn, .disk = t[i].disk,
					    .pdsk = t[i].pdsk, .bits_oos = t[i].oos };

		assert_int_equal(veng_gate_decide(&st, t[i].stopped), t[i].want);
	}
}

static void migrate_gate_pass_then_switch_over(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	source_synced(&g);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(res.gate, VENG_GATE_PASS);
	assert_int_equal(res.outcome, VENG_OK);
	/* disconnect before the VM runs on D, then undefine on S */
	assert_log(n, LOG("migrate", "disconnect --force", "resume peer", "undefine here"));
	/* release then puts S's LV back on its own table, then down */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RELEASE, 0, &res), 0);
	assert_log(n, LOG("dm_swap vg-vm1 own-table", "down vh-1a2b3c4d"));
	n = W.nlog;
	assert_int_equal(run(&g, VENG_CLEANUP, 0, &res), 0);
	assert_log(n, LOG("dm_remove vh-1a2b3c4d-0.copy", "lv_remove vg/vh-1a2b3c4d_0.vhmd",
			  "lv_remove vg/vm1", "helper_release"));
	assert_true(W.saved.done);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_CLEANUP, 0, &res), 0);
	assert_int_equal(W.nlog, n);
	/* abort after the handoff refuses */
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EINVAL);
}

static bool logged(size_t from, const char *prefix);

/* From the hand-over to the resume on D the VM is paused: the switchover
 * writes the journal twice there (the gate with the disconnect's name, the
 * disconnect's result with the resume's name), disconnects without waiting
 * for D (--force) and resumes without asking libvirt first. */
static void switchover_is_short_while_the_vm_is_paused(void **state)
{
	struct veng g;
	struct veng_result res;

	(void)state;
	source_synced(&g);
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_OK);
	assert_true(logged(0, "disconnect --force"));
	/* the migration's own end(), then the two */
	assert_int_equal(W.resume_saves - W.handoff_saves, 3);
	assert_int_equal(W.resume_peer_states - W.handoff_peer_states, 0);
	assert_true(W.saved.gate_passed && W.saved.disconnected && W.saved.resumed_on_d);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
}

/* A resume that libvirt refuses is an error unless the VM runs there (an
 * earlier run resumed it and was cut short before it said so). */
static void resume_refused_fails_unless_the_vm_runs(void **state)
{
	struct veng g;
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };

	(void)state;
	source_synced(&g);
	W.fail_at = "resume peer";
	W.fail_err = EIO;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EIO);
	assert_false(W.saved.resumed_on_d);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	/* resumed by the killed run, not recorded: the resume's error is not one */
	W.vm_peer = VIR_DOMAIN_RUNNING;
	W.fail_at = "resume peer";
	W.fail_err = EIO;
	st = W.saved;
	engine(&g, VPLAN_ROLE_SOURCE, &st);
	assert_int_equal(veng_run(&g, VENG_RESUME, 0, &res, &e), 0);
	assert_true(W.saved.resumed_on_d);
	/* the VM gone from D: the resume's own error */
	source_synced(&g);
	assert_int_equal(run(&g, VENG_MIGRATE, VENG_LEAVE_PAUSED, &res), 0);
	W.vm_peer = -1;
	memset(&e, 0, sizeof(e));
	assert_int_equal(veng_run(&g, VENG_RESUME, 0, &res, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "the VM on"));
	assert_false(W.saved.resumed_on_d);
}

/* A disconnect that failed (or was cut short by a crash after the journal
 * said it began) is done again before the VM resumes on D: the journal's
 * "disconnected" means DRBD said so, not that vmhop meant to. */
static void failed_disconnect_is_redone_before_resume(void **state)
{
	struct veng g;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	(void)state;
	source_synced(&g);
	W.fail_at = "disconnect";
	W.fail_err = EIO;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EIO);
	assert_log(n, LOG("migrate", "disconnect --force"));
	assert_false(W.saved.disconnected);
	st = W.saved;
	engine(&g, VPLAN_ROLE_SOURCE, &st);	/* a new process, from the journal */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), 0);
	assert_log(n, LOG("disconnect --force", "resume peer", "undefine here"));
}

static void gate_waits_for_resync_then_resumes(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	source_synced(&g);
	/* not in sync before the migration: migrate refuses, nothing changes */
	W.conn = DRBDNL_C_WF_CONNECTION;
	W.pdsk = DRBDNL_D_UNKNOWN;
	W.oos = 14;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -ENOTCONN);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	/* in sync again; the link drops while libvirt migrates, and comes back */
	W.conn = DRBDNL_C_CONNECTED;
	W.pdsk = DRBDNL_D_UP_TO_DATE;
	W.oos = 0;
	W.drop_during_migrate = true;
	W.wait_resyncs = true;
	/* seen during the migration, but too late: libvirt refuses the abort
	 * (its stop-and-copy has begun) and finishes; no error, the gate waits */
	W.abort_refused = true;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(W.abort_asked >= 1);
	assert_int_equal(res.gate, VENG_GATE_PASS);
	assert_log(n, LOG("migrate", "wait 100", "disconnect --force", "resume peer", "undefine here"));
}

static void gate_timeout_leaves_vm_paused(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	source_synced(&g);
	assert_int_equal(run(&g, VENG_MIGRATE, VENG_LEAVE_PAUSED, &res), 0);
	assert_int_equal(res.gate, VENG_GATE_PASS);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);	/* left paused, still connected */
	assert_true(W.net);
	/* the link goes and does not come back before `vmhop resume` */
	W.conn = DRBDNL_C_WF_CONNECTION;
	W.pdsk = DRBDNL_D_UNKNOWN;
	W.oos = 3;
	st = W.saved;
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_RESUME, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_STATE_LEFT);
	assert_int_equal(res.gate, VENG_GATE_WAIT);
	assert_log(n, LOG("wait 100"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);	/* never resumed on stale data */
	assert_false(W.saved.disconnected);
	assert_true(strstr(res.next.text, "vmhop resume") != NULL);
	/* abort cannot undo it */
	assert_int_equal(run(&g2, VENG_ABORT, 0, &res), -EBUSY);
	/* the link is back: resume finishes */
	W.wait_resyncs = true;
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_RESUME, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_OK);
	assert_log(n, LOG("wait 100", "disconnect --force", "resume peer", "undefine here"));
}

/*
 * S asks D's libvirt, before anything changes, what it can tell: the VM's
 * name and UUID free there, the networks and bridges of the VM's NICs
 * there and up, QEMU's migration port answering (issue 22).  Every problem
 * in one message; a libvirt that cannot be reached refused at once.  And
 * not asked again once prepare has run (migrate asks D itself).
 */
static void source_asks_dest_before_the_sync(void **state)
{
	struct veng g;
	struct veng_result res;
	struct vh_error e = { 0 };

	world_source();
	W.ifaces = "<interface type='network'><mac address='52:54:00:00:00:07'/>"
		   "<source network='prod'/></interface>"
		   "<interface type='bridge'><source bridge='br9'/></interface>"
		   "<interface type='user'/>";
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	assert_int_equal(W.peer_net_asks, 2);		/* the user NIC asks nothing */
	assert_string_equal(W.reached, "hv2:49152");	/* the host of D's URI */
	/* D's connection not kept through the sync: closing it once D has died
	 * waits for TCP (the lab's 70-send part 5 hung so) */
	assert_int_equal(W.peer_closes, 1);

	/* three problems at once: the first one's code, all named */
	W.vm_peer = VIR_DOMAIN_SHUTOFF;
	W.peer_no_net = "prod";
	W.reach_err = -ETIMEDOUT;
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "hv2 (the destination) cannot take VM vm1: VM vm1 (UUID "));
	assert_non_null(strstr(e.msg, "is already defined there (shutoff)"));
	assert_non_null(strstr(e.msg, "; network prod (NIC 52:54:00:00:00:07) does not exist "
				      "there; QEMU's migration port 49152 on hv2: "));
	assert_non_null(strstr(e.msg, "(open 49152-49215 there to this host, or plan --tunnelled)"));
	assert_null(strstr(e.msg, "br9"));
	/* prepare refuses the same, before anything changes */
	assert_int_equal(veng_run(&g, VENG_PREPARE, 0, &res, &e), -EEXIST);
	assert_int_equal(W.nlog, 0);
	assert_int_equal(W.saves, 0);

	/* a network inactive there, alone: exit 3 as a missing one */
	W.vm_peer = -1;
	W.peer_no_net = NULL;
	W.peer_net_down = "prod";
	W.reach_err = 0;
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "cannot take VM vm1: network prod (NIC 52:54:00:00:00:07) "
				      "is not active there"));
	/* a bridge whose link is down (no port yet) takes the VM's tap all the same */
	W.peer_net_down = "br9";
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	W.peer_net_down = NULL;

	/* the plan's migrate URI: its address and port are probed, named */
	snprintf(P.migration.migrate_uri, sizeof(P.migration.migrate_uri), "tcp://10.9.0.2:49300");
	W.reach_err = -EHOSTUNREACH;
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EHOSTUNREACH);
	assert_string_equal(W.reached, "10.9.0.2:49300");
	assert_non_null(strstr(e.msg, "cannot take VM vm1: QEMU's migration address "
				      "tcp://10.9.0.2:49300: No route to host"));
	P.migration.migrate_uri[0] = '\0';
	W.reach_err = 0;

	/* a tunnelled migration needs no port of QEMU's there */
	W.reach_err = -ETIMEDOUT;
	P.migration.tunnelled = true;
	W.reached[0] = '\0';
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	assert_string_equal(W.reached, "");
	P.migration.tunnelled = false;
	W.reach_err = 0;

	/* D's libvirt not reached: refused at once, its error kept */
	W.peer_state_err = -ECONNREFUSED;
	W.peer_no_net = "prod";
	W.peer_net_asks = 0;
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -ECONNREFUSED);
	assert_non_null(strstr(e.msg, "hv2's libvirt (qemu+tcp://hv2/system) cannot be asked "
				      "whether it can take VM vm1: the peer's libvirt does not answer"));
	assert_int_equal(W.peer_net_asks, 0);
	assert_int_equal(W.nlog, 0);
	assert_true(W.peer_closes >= 5);	/* each run, refused or not */
	W.peer_state_err = 0;
	W.peer_no_net = NULL;

	/* once prepared, the checks are not made again: a migration that
	 * failed leaves no reason to refuse the next one */
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	W.peer_net_asks = 0;
	W.reached[0] = '\0';
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(W.peer_net_asks, 0);
	assert_string_equal(W.reached, "");
}

/* S checks the domain against the plan at preflight and again before the
 * migration: a disk hot-plugged since the plan would not move. */
static void source_checks_the_domain_against_the_plan(void **state)
{
	struct veng g;
	struct veng_result res;
	struct vh_error e = { 0 };
	size_t n;

	world_source();
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	W.cache = "writeback";
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EINVAL);
	assert_true(strstr(e.msg, "writeback") != NULL);
	W.cache = NULL;
	W.extra_disk = "<disk type='block' device='disk'><driver name='qemu' cache='none'/>"
		       "<source dev='/dev/vg/data'/><target dev='vdb'/></disk>";
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EINVAL);
	assert_true(strstr(e.msg, "vdb (vg/data)") != NULL);
	assert_true(strstr(e.msg, "not in the plan") != NULL);
	W.extra_disk = NULL;
	/* the plan's disk replaced by another LV */
	W.dom_lv = "other";
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EINVAL);
	assert_true(strstr(e.msg, "vda (vg/other)") != NULL);
	W.dom_lv = NULL;
	/* hot-plugged after the sync: migrate refuses, the VM stays here */
	source_synced(&g);
	W.extra_disk = "<disk type='file' device='disk'><source file='/var/x.img'/>"
		       "<target dev='vdc'/></disk>";
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
}

/* The gate stopped (link gone for good): the operator's cold start on S. */
static bool logged(size_t from, const char *prefix);

static void source_gate_stopped(struct veng *g, struct veng_result *ret)
{
	struct veng_result res;

	source_synced(g);
	W.drop_during_migrate = true;
	P.migration.on_link_loss = VPLAN_LINK_LOSS_CONTINUE;	/* libvirt finishes */
	P.timeouts.gate = 5;
	assert_int_equal(run(g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_STATE_LEFT);
	if (ret)
		*ret = res;
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	assert_int_equal(W.vm_here, VIR_DOMAIN_SHUTOFF);
}

static void restart_after_a_stopped_gate(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	source_gate_stopped(&g, &res);
	assert_true(strstr(res.next.text, "vmhop restart") != NULL);
	st = W.saved;
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_RESTART, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	/* D's paused VM gone first; S's LV on its own table before the VM starts */
	assert_log(n, LOG("destroy peer", "undefine peer", "dm_swap vg-vm1 own-table", "start here",
			  "down vh-1a2b3c4d", "dm_remove vh-1a2b3c4d-0.copy",
			  "lv_remove vg/vh-1a2b3c4d_0.vhmd", "helper_release"));
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_int_equal(W.vm_peer, -1);
	assert_string_equal(find(W.dm, "vg-vm1", false)->table, "0 409600 linear 254:0 2048\n");
	assert_true(lvo("vg", "vm1", false)->exists);	/* the only good copy stays */
	assert_true(W.saved.aborted && W.saved.restarted_here && W.saved.removed_on_d);
	assert_true(strstr(res.next.text, "vmhop abort on hv2") != NULL);
	/* again: nothing to do */
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_RESTART, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	assert_int_equal(W.nlog, n);
	/* and D's abort then removes D's side (the VM never ran there) */
}

static void restart_refusals_change_nothing(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	/* before the migration: abort's case */
	source_synced(&g);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, n);
	/* D's libvirt cannot be reached: refused without --force */
	source_gate_stopped(&g, NULL);
	W.peer_state_err = -EHOSTUNREACH;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EHOSTUNREACH);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_here, VIR_DOMAIN_SHUTOFF);
	/* ... and with it, the operator vouching for D */
	assert_int_equal(run(&g, VENG_RESTART, VENG_FORCE, &res), 0);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_false(logged(n, "destroy peer"));
	/* the VM was resumed on D by someone: never start it here too */
	source_gate_stopped(&g, NULL);
	W.vm_peer = VIR_DOMAIN_RUNNING;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_here, VIR_DOMAIN_SHUTOFF);
	/* D has no restart */
	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EINVAL);
}

/* D still waits for the sync when S has passed its gate and disconnected
 * (the VM is paused or running here): D's wait-sync ends, it does not wait
 * timeouts.connect for a connection that will not come. */
/* D prepared through @ops (NULL: the fakes) and not connected: the peer not
 * there yet. */
static void dest_unconnected(struct veng *g, const struct veng_ops *ops)
{
	struct vh_error e = { 0 };
	struct veng_result res;

	world_dest();
	assert_int_equal(veng_init(g, &P, VPLAN_ROLE_DEST, NULL, ops ? ops : &fake_ops, NULL, &e), 0);
	g->now_ns = fake_now;
	assert_int_equal(run(g, VENG_PREPARE, 0, &res), 0);
	W.conn = DRBDNL_C_WF_CONNECTION;
}

static void dest_wait_sync_ends_when_the_vm_came(void **state)
{
	struct veng g;
	struct veng_result res;
	int64_t t0;

	dest_unconnected(&g, NULL);
	W.disk = DRBDNL_D_UP_TO_DATE;
	W.vm_here = VIR_DOMAIN_RUNNING;
	t0 = W.clock;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), 0);
	assert_true(W.saved.synced);
	assert_true(W.clock - t0 <= 2ll * 1000000000);
	/* without the VM, no connection is still a failure */
	dest_unconnected(&g, NULL);
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), -ETIMEDOUT);
}

static int f_vm_watch(void *ud, const char *name, struct vh_error *e);
static void f_vm_watch_clear(void *ud);

/* the VM comes in paused at the second wait, with libvirt's event */
static void vm_comes_with_an_event(unsigned n)
{
	if (n == 1) {
		W.vm_here = VIR_DOMAIN_PAUSED;
		W.vm_event = true;
	}
}

/* D's wait-sync while not connected sleeps on libvirt's events of the VM
 * here too: the VM's arrival ends it at once, not at the next look. */
static void dest_wait_sync_wakes_on_libvirt_events(void **state)
{
	struct veng_ops ops = fake_ops;
	struct veng_result res;
	struct veng g;
	int64_t t0;

	(void)state;
	ops.vm_watch = f_vm_watch;
	ops.vm_watch_clear = f_vm_watch_clear;
	dest_unconnected(&g, &ops);
	W.disk = DRBDNL_D_UP_TO_DATE;
	W.on_wait = vm_comes_with_an_event;
	t0 = W.clock;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), 0);
	assert_true(W.saved.synced);
	assert_int_equal(W.woken, 1);
	assert_int_equal(W.watch_starts, 1);
	assert_int_equal(W.watch_stops, 1);
	assert_string_equal(W.watched, "");
	assert_int_equal(W.last_wait_ms, 5000);
	/* one look that timed out (2 s, no watch yet), then woken at once */
	assert_true(W.clock - t0 <= 2ll * 1000000000);
}

/* The connection comes up at the very end of a wait, before any block was
 * synced: not a stalled sync (CI of 2026-12-01: receive gave up 75 ms after
 * DRBD began the resync, and the move was undone). */
static void connects_late_in_a_wait(unsigned n)
{
	if (n == 1) {
		W.conn = DRBDNL_C_SYNC_TARGET;
		W.pdsk = DRBDNL_D_UP_TO_DATE;
	}
	if (n == 2)
		W.wait_resyncs = true;
}

static void wait_sync_connected_at_the_end_of_a_wait_is_no_stall(void **state)
{
	struct veng g;
	struct veng_result res;

	dest_unconnected(&g, NULL);
	W.disk = DRBDNL_D_INCONSISTENT;
	W.oos = 100;
	W.nwaits = 0;
	W.on_wait = connects_late_in_a_wait;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), 0);
	assert_true(W.saved.synced);
}

/* The watch's events, for the tests below. */
struct link_seen {
	unsigned n;
	uint32_t minor;
	int conn;
	char action[16];
};

static void on_link_lost(const struct veng_event *ev, void *ud)
{
	struct link_seen *s = ud;

	if (strcmp(ev->what, "link-lost"))
		return;
	s->n++;
	s->minor = ev->minor;
	s->conn = ev->st ? ev->st->conn : -1;
	snprintf(s->action, sizeof(s->action), "%s", ev->step ? ev->step : "");
}

/* DRBD loses its link while libvirt migrates (the default, on_link_loss
 * cancel): the engine sees it in the migration's poll loop and aborts
 * libvirt's job; the VM still runs here, the journal says so, and the
 * error says what to do.  Once the link is back, migrate again moves it. */
static void link_lost_during_migration_cancels_it(void **state)
{
	struct link_seen seen = { 0 };
	struct vh_error e = { 0 };
	struct veng_result res;
	struct veng g, g2;
	struct veng_state st;
	size_t n;

	(void)state;
	source_synced(&g);
	g.on_event = on_link_lost;
	g.event_ud = &seen;
	W.drop_during_migrate = true;
	W.wait_resyncs = true;
	n = W.nlog;
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -ENOLINK);
	assert_int_equal(e.code, -ENOLINK);
	assert_non_null(strstr(e.msg, "DRBD lost its link to hv2 during the migration"));
	assert_non_null(strstr(e.msg, "the VM still runs here"));
	assert_non_null(strstr(e.msg, "vmhop wait-sync"));
	assert_null(strchr(e.msg, '\n'));
	assert_log(n, LOG("migrate", "abort job"));	/* no gate, no disconnect */
	assert_int_equal(W.abort_asked, 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.minor, 100);
	assert_int_equal(seen.conn, DRBDNL_C_WF_CONNECTION);
	assert_string_equal(seen.action, "cancel");
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_int_equal(W.vm_peer, -1);
	assert_false(W.saved.migrating);	/* the journal: the VM is on S */
	assert_false(W.saved.handed_off);
	assert_string_equal(W.saved.doing, "");
	/* not in sync yet: migrate refuses and changes nothing */
	st = W.saved;
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_MIGRATE, 0, &res), -ENOTCONN);
	assert_int_equal(W.nlog, n);
	/* DRBD reconnected and resynced: migrate again, the move finishes */
	W.drop_during_migrate = false;
	W.conn = DRBDNL_C_CONNECTED;
	W.pdsk = DRBDNL_D_UP_TO_DATE;
	W.oos = 0;
	assert_int_equal(run(&g2, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(res.gate, VENG_GATE_PASS);
	assert_log(n, LOG("migrate", "disconnect --force", "resume peer", "undefine here"));
}

/* on_link_loss continue: today's behaviour, for an operator who wants the VM
 * off S anyway: libvirt finishes, the gate waits for D to catch up. */
static void link_lost_during_migration_continues_when_planned(void **state)
{
	struct link_seen seen = { 0 };
	struct veng_result res;
	struct veng g;
	size_t n;

	(void)state;
	source_synced(&g);
	P.migration.on_link_loss = VPLAN_LINK_LOSS_CONTINUE;
	g.on_event = on_link_lost;
	g.event_ud = &seen;
	W.drop_during_migrate = true;
	W.wait_resyncs = true;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(W.abort_asked, 0);
	assert_int_equal(seen.n, 1);	/* seen and said once, not acted on */
	assert_string_equal(seen.action, "continue");
	assert_int_equal(res.gate, VENG_GATE_PASS);
	assert_log(n, LOG("migrate", "wait 100", "disconnect --force", "resume peer", "undefine here"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
}

/* ---- the overlap: the migration held while DRBD syncs ------------------------ */

/* S bridged with the plan's overlap (600 s), DRBD syncing from S: 30 blocks
 * out of sync, 5 resynced in each wait (60 s: 240 s to go after the second),
 * 10 at each of the held migration's wake-ups. */
static void source_overlapping(struct veng *g)
{
	source_bridged(g);
	P.migration.overlap_s = 600;
	W.sync_step = 5;
	W.conn = DRBDNL_C_SYNC_SOURCE;
	W.disk = DRBDNL_D_UP_TO_DATE;
	W.pdsk = DRBDNL_D_INCONSISTENT;
	W.oos = 30;
	W.bits_total = 100;
	W.mig_sync_step = 10;
}

struct sync_seen {
	unsigned syncs, lost, ends;
	uint64_t last_oos;
};

static void on_sync_seen(const struct veng_event *ev, void *ud)
{
	struct sync_seen *s = ud;

	if (!strcmp(ev->what, "sync") && ev->progress && ev->st) {
		s->syncs++;
		s->last_oos = ev->st->bits_oos;
	}
	/* its end: said once, without a state */
	if (!strcmp(ev->what, "sync") && ev->progress && !ev->st &&
	    ev->progress->permille == 1000 && !ev->progress->left_kib)
		s->ends++;
	if (!strcmp(ev->what, "link-lost"))
		s->lost++;
}

/* migrate runs during the sync: the migration starts held, the watch lets it
 * go once every volume is in sync (recorded first), the switch then passes as
 * after wait-sync.  Without the overlap, migrate refuses before the sync. */
static void overlap_migrates_during_the_sync(void **state)
{
	struct sync_seen seen = { 0 };
	struct veng_next nx;
	struct veng_result res;
	struct veng g;
	size_t n;

	(void)state;
	source_bridged(&g);
	W.conn = DRBDNL_C_SYNC_SOURCE;
	W.disk = DRBDNL_D_UP_TO_DATE;
	W.pdsk = DRBDNL_D_INCONSISTENT;
	W.oos = 30;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, n);
	veng_next(&g, &nx);
	assert_int_equal(nx.phase, VENG_WAIT_SYNC);

	source_overlapping(&g);
	veng_next(&g, &nx);
	assert_int_equal(nx.phase, VENG_MIGRATE);
	g.on_event = on_sync_seen;
	g.event_ud = &seen;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(W.held_at_start);
	assert_int_equal(W.released_at, 2);	/* 20 blocks left, 10 a wake-up */
	assert_true(W.mig_wakeups >= 2);
	assert_int_equal(seen.syncs, 1);	/* 10 left, then in sync */
	assert_int_equal(seen.ends, 1);
	assert_int_equal(seen.last_oos, 10);
	assert_int_equal(seen.lost, 0);
	assert_int_equal(res.gate, VENG_GATE_PASS);
	assert_true(W.saved.synced);
	assert_true(W.saved.handed_off);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	/* the lead's wait: the rate over the first 60 s says 240 s to go */
	assert_log(n, LOG("wait 100", "wait 100", "migrate", "disconnect --force", "resume peer",
			  "undefine here"));
}

/* The lead: the migration starts only once the sync's rate says it ends
 * within overlap_s (here 5 s: only at its end, at this fake's rate). */
static void overlap_starts_near_the_sync_end(void **state)
{
	struct veng_result res;
	struct veng g;
	size_t n;

	(void)state;
	source_overlapping(&g);
	P.migration.overlap_s = 5;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	/* 30 blocks at 5 a wait: six waits, the migration after the last */
	assert_log_prefix(n, LOG("wait 100", "wait 100", "wait 100", "wait 100", "wait 100",
				 "wait 100", "migrate", "disconnect", "resume peer", "undefine here"));
	assert_int_equal(W.released_at, 1);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
}

/* The overlap waits for DRBD to connect (S's side of the sync) before it
 * migrates, bounded by timeouts.connect: nothing is changed when it does not. */
static void overlap_waits_for_the_connection(void **state)
{
	struct vh_error e = { 0 };
	struct veng_result res;
	struct veng g;
	size_t n;

	(void)state;
	source_overlapping(&g);
	W.sync_step = 0;
	W.conn = DRBDNL_C_WF_CONNECTION;
	W.pdsk = DRBDNL_D_UNKNOWN;
	n = W.nlog;
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "no connection to hv2 in 60 s (WFConnection)"));
	assert_log(n, LOG("wait 100"));
	assert_false(W.saved.migrating);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	/* D's disk the source (a sync the wrong way): no overlap either */
	source_overlapping(&g);
	W.sync_step = 0;
	W.conn = DRBDNL_C_SYNC_TARGET;
	W.disk = DRBDNL_D_INCONSISTENT;
	W.pdsk = DRBDNL_D_UP_TO_DATE;
	n = W.nlog;
	assert_true(veng_run(&g, VENG_MIGRATE, 0, &res, &e) < 0);
	assert_false(logged(n, "migrate"));
	assert_false(W.saved.migrating);
}

/* The link lost while the migration is held: on_link_loss cancel aborts
 * libvirt's job as after the sync; the VM stays here, not in sync. */
static void overlap_link_lost_in_the_hold_cancels(void **state)
{
	struct sync_seen seen = { 0 };
	struct vh_error e = { 0 };
	struct veng_result res;
	struct veng g;
	size_t n;

	(void)state;
	source_overlapping(&g);
	g.on_event = on_sync_seen;
	g.event_ud = &seen;
	W.drop_at_wakeup = 2;
	n = W.nlog;
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -ENOLINK);
	assert_non_null(strstr(e.msg, "DRBD lost its link to hv2 during the migration"));
	assert_log(n, LOG("wait 100", "wait 100", "migrate", "abort job"));
	assert_int_equal(seen.lost, 1);
	assert_int_equal(W.released_at, 0);
	assert_false(W.saved.synced);
	assert_false(W.saved.migrating);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
}

/* A sync that makes no progress while the migration is held: timeouts.stall
 * cancels the migration, as wait-sync's would fail. */
static void overlap_stalled_sync_cancels(void **state)
{
	struct vh_error e = { 0 };
	struct veng_result res;
	struct veng g;

	(void)state;
	source_overlapping(&g);
	W.mig_sync_step = 0;
	W.wakeup_ns = 25 * 1000000000LL;	/* stall is 60 s */
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "timeouts.stall (60 s)"));
	assert_non_null(strstr(e.msg, "the VM still runs here"));
	assert_int_equal(W.abort_asked, 1);
	/* the first look at 25 s, then 50 and 75 s without progress: no
	 * progress for 75 s at the fourth (100 s) */
	assert_int_equal(W.mig_wakeups, 4);
	assert_false(W.saved.synced);
	assert_false(W.saved.migrating);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
}

/* timeouts.sync bounds the whole sync in migrate, the lead's wait included
 * (as wait-sync's bounds it from its start): not a new period from the
 * migration's start. */
static void overlap_sync_bound_counts_from_the_wait(void **state)
{
	struct vh_error e = { 0 };
	struct veng_result res;
	struct veng g;
	size_t n;

	(void)state;
	source_overlapping(&g);
	P.timeouts.sync = 100;
	W.mig_sync_step = 1;			/* progress at each wake-up: no stall */
	W.wakeup_ns = 10 * 1000000000LL;
	n = W.nlog;
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "timeouts.sync (100 s)"));
	/* the lead's wait took 60 s: 40 s of the migration's, the fourth look
	 * (from the migration's start it would be the tenth) */
	assert_log(n, LOG("wait 100", "wait 100", "migrate", "abort job"));
	assert_int_equal(W.mig_wakeups, 4);
	assert_false(W.saved.synced);
	assert_false(W.saved.migrating);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
}

/* send with the overlap: no wait-sync phase, the move in one run. */
static void count_phases(const struct veng_event *ev, void *ud);
static int send_run(struct veng *g, struct vrun_summary *sum, bool no_abort);

/* DRBD connects at the first wait and syncs from S. */
static void syncs_from_s_at_connect(unsigned n)
{
	if (n)
		return;
	W.conn = DRBDNL_C_SYNC_SOURCE;
	W.disk = DRBDNL_D_UP_TO_DATE;
	W.pdsk = DRBDNL_D_INCONSISTENT;
	W.oos = 30;
}

static void send_overlaps_the_sync(void **state)
{
	unsigned ends[VENG_PHASES + 1] = { 0 };
	struct vrun_summary sum;
	struct veng g;

	(void)state;
	world_source();
	P.migration.overlap_s = 5;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	g.on_event = count_phases;
	g.event_ud = ends;
	W.on_wait = syncs_from_s_at_connect;
	W.sync_step = 5;
	W.mig_sync_step = 10;
	P.migration.overlap_s = 600;
	assert_int_equal(send_run(&g, &sum, false), 0);
	assert_int_equal(sum.outcome, VENG_OK);
	assert_int_equal(ends[VENG_WAIT_SYNC], 0);
	assert_int_equal(ends[VENG_MIGRATE], 1);
	assert_true(W.held_at_start);
	assert_int_equal(W.released_at, 2);
	assert_true(W.saved.synced);
	assert_true(W.saved.done);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
}

/* migrate with the overlap killed at each of its actions, then run again:
 * the sync waited for first (wait-sync), the held job's bandwidth set to the
 * plan's, then as migrate_killed_anywhere_continues. */
static void kill_migrate_overlap_s(struct veng *g)
{
	source_overlapping(g);
	W.sync_step = 10;	/* the re-run's wait-sync: the sync goes on */
	W.autostart_here = true;
}

static void killed_at_every_action(void (*setup)(struct veng *), enum vplan_role role,
				   enum veng_phase ph);
static void confirm_ends(unsigned n);

static void overlap_killed_anywhere_continues(void **state)
{
	struct vh_error e = { 0 };
	struct veng_result res;
	struct veng g, g2;
	struct veng_state st;
	size_t n;

	(void)state;
	killed_at_every_action(kill_migrate_overlap_s, VPLAN_ROLE_SOURCE, VENG_MIGRATE);
	/* killed just after libvirt's job began, held, the job still running
	 * (DRBD still syncing): the run again waits for the sync, gives the
	 * job the plan's limits, then settles it (libvirt's Confirm ends) */
	for (int ended = 0; ended < 2; ended++) {
		kill_migrate_overlap_s(&g);
		P.migration.bandwidth_mib = 40;
		n = W.nlog;
		W.die_at = n + 4;	/* wait, wait, autostart off, migrate */
		W.die_after = true;
		assert_true(veng_run(&g, VENG_MIGRATE, 0, &res, &e) < 0);
		assert_string_equal(W.log[n + 3], "migrate");
		W.dead = false;
		W.die_at = 0;
		st = W.saved;
		assert_true(st.migrating);
		assert_false(st.synced);
		W.conn = DRBDNL_C_SYNC_SOURCE;
		W.pdsk = DRBDNL_D_INCONSISTENT;
		W.oos = ended ? 10 : 20;
		if (!ended) {
			W.vm_here = VIR_DOMAIN_PAUSED;
			W.reason_here = VIR_DOMAIN_PAUSED_MIGRATION;
			W.job_here = 2;
			W.on_nap = confirm_ends;
		}
		/* else the held job ended while no one watched (QEMU converged
		 * despite the hold): the VM paused on D, shut off here; the run
		 * again settles at once (no limits for a job that is no more),
		 * the gate waits for the sync (within timeouts.gate: one wait
		 * here) */
		engine(&g2, VPLAN_ROLE_SOURCE, &st);
		n = W.nlog;
		assert_int_equal(run(&g2, VENG_MIGRATE, 0, &res), 0);
		assert_int_equal(logged(n, "mig_limits 40 0"), !ended);
		assert_string_equal(W.log[n], "wait 100");	/* wait-sync's, or the gate's */
		assert_true(W.saved.synced);
		assert_int_equal(res.gate, VENG_GATE_PASS);
		assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
		W.on_nap = NULL;
	}
}

/* D with the overlap: a VM paused here while not connected does not end its
 * wait-sync (S migrated during the sync); a running one does. */
static void dest_overlap_waits_for_a_running_vm(void **state)
{
	struct veng_result res;
	struct veng g;

	(void)state;
	dest_unconnected(&g, NULL);
	P.migration.overlap_s = 5;
	W.vm_here = VIR_DOMAIN_PAUSED;
	P.timeouts.connect = 10;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), -ETIMEDOUT);
	assert_false(W.saved.synced);
	W.vm_here = VIR_DOMAIN_RUNNING;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), 0);
	assert_true(W.saved.synced);
}

/* Each phase in a process of its own, as the phase commands run: only the
 * journal carries what an earlier phase did (the saved table above all). */
static void each_phase_in_a_new_process(void **state)
{
	static const enum veng_phase order[] = { VENG_PREPARE, VENG_BRIDGE, VENG_WAIT_SYNC,
						 VENG_MIGRATE, VENG_RELEASE, VENG_CLEANUP };
	struct veng_result res;
	struct veng_state st;
	struct veng g;

	world_source();
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] == VENG_WAIT_SYNC) {
			W.conn = DRBDNL_C_CONNECTED;
			W.pdsk = DRBDNL_D_UP_TO_DATE;
		}
		st = W.saved;
		engine(&g, VPLAN_ROLE_SOURCE, i ? &st : NULL);
		assert_int_equal(run(&g, order[i], 0, &res), 0);
		if (order[i] == VENG_RELEASE)
			assert_string_equal(find(W.dm, "vg-vm1", false)->table,
					    "0 409600 linear 254:0 2048\n");
	}
	assert_true(W.saved.done);
	assert_int_equal(W.saved.disks[0].freeze_ns, 12345);
}

/* SIGINT/SIGTERM: the step under way finishes and is recorded, then the
 * phase stops; running it again continues. */
static void signal_stops_between_steps(void **state)
{
	static volatile sig_atomic_t stop;
	struct veng_result res;
	struct veng_state st;
	struct veng g, g2;
	struct vh_error e = { 0 };
	size_t n;

	world_source();
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	stop = 1;
	g.stop = &stop;
	assert_int_equal(veng_run(&g, VENG_PREPARE, 0, &res, &e), -EINTR);
	assert_true(strstr(e.msg, "take the usermode helper") != NULL);
	assert_int_equal(W.nlog, 1);			/* one step, then it stopped */
	assert_true(W.saved.helper_taken);
	assert_string_equal(W.saved.doing, "");		/* and it was recorded as done */
	st = W.saved;
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_PREPARE, 0, &res), 0);
	assert_string_equal(W.log[n], "new_resource vh-1a2b3c4d");	/* not the helper again */
}

/* A sync that makes no progress for timeouts.stall ends the wait (not
 * timeouts.sync); one that progresses goes on past many stall periods. */
static void wait_sync_stall_and_progress(void **state)
{
	struct veng g;
	struct veng_result res;
	struct vh_error e = { 0 };
	int64_t t0;

	source_bridged(&g);
	W.conn = DRBDNL_C_SYNC_SOURCE;
	W.pdsk = DRBDNL_D_INCONSISTENT;
	W.oos = 1000;
	t0 = W.clock;
	assert_int_equal(veng_run(&g, VENG_WAIT_SYNC, 0, &res, &e), -ETIMEDOUT);
	assert_true(strstr(e.msg, "stalled: no progress for 60 s (SyncSource, 4000 KiB left)") != NULL);
	assert_true(W.clock - t0 <= (int64_t)P.timeouts.stall * 1000000000 * 2);
	assert_false(W.saved.synced);

	W.sync_step = 100;		/* 10 waits of 60 s: 600 s, the whole sync timeout */
	W.oos = 900;
	t0 = W.clock;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), 0);
	assert_true(W.saved.synced);
	assert_true(W.clock - t0 > (int64_t)P.timeouts.stall * 1000000000 * 2);
}

/* Never connected: timeouts.connect ends the wait, and says so. */
static void wait_sync_no_connection(void **state)
{
	struct veng g;
	struct veng_result res;
	struct vh_error e = { 0 };

	source_bridged(&g);	/* WFConnection: D never comes */
	P.timeouts.connect = 150;
	assert_int_equal(veng_run(&g, VENG_WAIT_SYNC, 0, &res, &e), -ETIMEDOUT);
	assert_true(strstr(e.msg, "no connection to hv2 in 150 s (WFConnection)") != NULL);
	assert_true(W.clock >= 150ll * 1000000000 && W.clock < 300ll * 1000000000);
}

static void lost_bridge_stops_migrate(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	source_synced(&g);
	/* lvchange --refresh: the LV is back on its extents */
	snprintf(find(W.dm, "vg-vm1", false)->table, 256, "0 409600 linear 254:0 2048\n");
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -ESTALE);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	/* abort then leaves the LV as it is (already on its own table) */
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_log(n, LOG("down vh-1a2b3c4d", "dm_remove vh-1a2b3c4d-0.copy",
			  "lv_remove vg/vh-1a2b3c4d_0.vhmd", "helper_release"));
}

static void phases_of_the_other_role_refused(void **state)
{
	struct veng g;
	struct veng_result res;
	struct vh_error e = { 0 };

	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_BRIDGE, 0, &res), -EINVAL);
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, 0);
	assert_int_equal(veng_init(&g, &P, VPLAN_ROLE_NONE, NULL, &fake_ops, NULL, &e), -EINVAL);
	assert_true(strstr(e.msg, "neither") != NULL);
}

static void state_kept_in_the_journal(void **state)
{
	char dir[] = "/tmp/vmhop-test-engine-XXXXXX";
	struct veng g;
	struct veng_state back, mid;
	struct vjournal *j;
	const struct vjournal_step *s;
	struct vh_error e = { 0 };
	bool found;

	assert_non_null(mkdtemp(dir));
	source_bridged(&g);
	assert_int_equal(vplan_validate(&P, &e), 0);
	assert_int_equal(vjournal_open(dir, &P, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(veng_journal_load(j, &P, VPLAN_ROLE_SOURCE, &back, &found, &e), 0);
	assert_false(found);
	assert_int_equal(veng_journal_save(j, &W.saved, &e), 0);
	s = vjournal_find(j, "bridge:0");
	assert_non_null(s);
	assert_int_equal(s->state, VJ_DONE);
	assert_non_null(vjournal_get(s, "freeze_ns"));
	assert_string_equal(vjournal_get(s, "freeze_ns"), "12345");
	s = vjournal_find(j, "copy:0");
	assert_non_null(s);
	assert_non_null(vjournal_get(s, "table"));
	assert_string_equal(vjournal_get(s, "table"), "0 409600 linear 254:0 2048\n");
	vjournal_close(j);

	/* another process reads the same state back */
	assert_int_equal(vjournal_open(dir, &P, VPLAN_ROLE_SOURCE, &j, &e), 0);
	assert_int_equal(veng_journal_load(j, &P, VPLAN_ROLE_SOURCE, &back, &found, &e), 0);
	assert_true(found);
	{
		json_object *a = veng_state_to_json(&W.saved), *b = veng_state_to_json(&back);

		assert_string_equal(json_object_to_json_string(b), json_object_to_json_string(a));
		json_object_put(a);
		json_object_put(b);
	}

	/* a step under way is "started" before the action, "undone" after removal */
	mid = back;
	mid.disks[0].restored = true;
	snprintf(mid.doing, sizeof(mid.doing), "put vg-vm1 back on its own table");
	assert_int_equal(veng_journal_save(j, &mid, &e), 0);
	assert_int_equal(vjournal_find(j, "restore:0")->state, VJ_STARTED);
	assert_string_equal(vjournal_get(vjournal_find(j, "engine"), "doing"), mid.doing);
	mid.doing[0] = '\0';
	mid.disks[0].copy_created = false;
	assert_int_equal(veng_journal_save(j, &mid, &e), 0);
	assert_int_equal(vjournal_find(j, "restore:0")->state, VJ_DONE);
	assert_int_equal(vjournal_find(j, "copy:0")->state, VJ_UNDONE);
	assert_int_equal(veng_journal_load(j, &P, VPLAN_ROLE_SOURCE, &back, &found, &e), 0);
	assert_false(back.disks[0].copy_created);
	assert_true(back.disks[0].restored);
	assert_string_equal(back.doing, "");
	{
		char path[600];

		snprintf(path, sizeof(path), "%s", vjournal_path(j));
		vjournal_close(j);
		assert_int_equal(unlink(path), 0);
		snprintf(path, sizeof(path), "%s/%s.lock", dir, P.vm_uuid);
		(void)unlink(path);
		(void)rmdir(dir);
	}
}


/* ---- send and receive (src/core/run.c) ------------------------------------ */

static void count_phases(const struct veng_event *ev, void *ud)
{
	unsigned *n = ud;

	if (!strcmp(ev->what, "phase-end"))
		n[ev->phase]++;
}

static int send_run(struct veng *g, struct vrun_summary *sum, bool no_abort)
{
	struct vrun_opts o = { .no_abort = no_abort };
	struct vh_error e = { 0 };
	int r = vrun_send(g, &o, sum, &e);

	if (r < 0)
		assert_int_equal(e.code, r);
	return r;
}

static int receive_run(struct veng *g, struct vrun_summary *sum)
{
	struct vrun_opts o = { .poll_ms = 500 };
	struct vh_error e = { 0 };
	int r = vrun_receive(g, &o, sum, &e);

	if (r < 0)
		assert_int_equal(e.code, r);
	return r;
}

static bool logged(size_t from, const char *prefix)
{
	for (size_t i = from; i < W.nlog; i++)
		if (!strncmp(W.log[i], prefix, strlen(prefix)))
			return true;
	return false;
}

/* Each of @order logged, in that order (other actions between them). */
static void assert_logged_in_order(const char *const *order, size_t n)
{
	size_t at = 0;

	for (size_t i = 0; i < W.nlog && at < n; i++)
		if (!strcmp(W.log[i], order[at]))
			at++;
	if (at < n)
		fail_msg("'%s' not logged after '%s'", order[at], at ? order[at - 1] : "(start)");
}

static void send_moves_in_one_run(void **state)
{
	unsigned ends[VENG_PHASES + 1] = { 0 };
	struct vrun_summary sum;
	struct veng g;

	world_source();
	W.wait_resyncs = true;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	g.on_event = count_phases;
	g.event_ud = ends;
	assert_int_equal(send_run(&g, &sum, false), 0);
	assert_int_equal(sum.outcome, VENG_OK);
	assert_int_equal(sum.failed, -1);
	/* the sequence of DESIGN.md, in order */
	{
		const char *const order[] = {
			"primary_force 100", "dm_swap vg-vm1 onto-drbd", "connect vh-1a2b3c4d",
			"migrate", "disconnect --force", "resume peer", "undefine here",
			"dm_swap vg-vm1 own-table", "down vh-1a2b3c4d", "lv_remove vg/vm1",
		};

		assert_logged_in_order(order, sizeof(order) / sizeof(order[0]));
	}
	for (int ph = VENG_PREPARE; ph <= VENG_CLEANUP; ph++)
		assert_int_equal(ends[ph], ph == VENG_RESUME ? 0 : 1);
	assert_int_equal(ends[VENG_ABORT], 0);
	assert_true(W.saved.done);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);

	/* run again (a new process): every phase done, nothing happens */
	{
		struct veng g2;
		struct veng_state st = W.saved;
		size_t n = W.nlog;

		engine(&g2, VPLAN_ROLE_SOURCE, &st);
		assert_int_equal(send_run(&g2, &sum, false), 0);
		assert_int_equal(W.nlog, n);
	}
}

static void send_failed_migration_is_undone(void **state)
{
	struct vrun_summary sum;
	struct veng g;
	size_t n;

	world_source();
	W.wait_resyncs = true;
	W.fail_at = "migrate";
	W.fail_err = EIO;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	n = 0;
	assert_int_equal(send_run(&g, &sum, false), -EIO);	/* the failure's code, kept */
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_int_equal(sum.failed, VENG_MIGRATE);
	assert_true(sum.ran[VENG_ABORT]);
	assert_true(logged(n, "dm_swap vg-vm1 own-table"));
	assert_true(logged(n, "down vh-1a2b3c4d"));
	assert_false(logged(n, "lv_remove vg/vm1"));	/* never the VM's own LV on S */
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.aborted);
	/* --no-abort: the same failure leaves everything as it is */
	world_source();
	W.wait_resyncs = true;
	W.fail_at = "migrate";
	W.fail_err = EIO;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(send_run(&g, &sum, true), -EIO);
	assert_int_equal(sum.outcome, VENG_STATE_LEFT);
	assert_false(logged(0, "down"));
	assert_string_equal(sum.next.text, "vmhop migrate");
}

/* send: a migration cancelled for a lost link is a failure before the VM
 * left S: abort, the VM runs on S, the failure's code kept. */
static void send_link_lost_during_migration_is_undone(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	(void)state;
	world_source();
	W.wait_resyncs = true;
	W.drop_during_migrate = true;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(send_run(&g, &sum, false), -ENOLINK);
	assert_int_equal(sum.failed, VENG_MIGRATE);
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_true(sum.ran[VENG_ABORT]);
	assert_true(logged(0, "abort job"));
	assert_false(logged(0, "disconnect"));
	assert_true(logged(0, "dm_swap vg-vm1 own-table"));
	assert_true(logged(0, "down vh-1a2b3c4d"));
	assert_false(logged(0, "lv_remove vg/vm1"));
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_int_equal(W.vm_peer, -1);
	assert_true(W.saved.aborted);
}

static unsigned nlogged(const char *line)
{
	unsigned n = 0;

	for (size_t i = 0; i < W.nlog; i++)
		n += !strcmp(W.log[i], line);
	return n;
}

struct retry_seen {
	unsigned ends[VENG_PHASES + 1];
	unsigned retries, last;		/* "retry" events, the number the last one said */
	int rc;
	int64_t migrate_ns;		/* the wall times migrate's phase-ends said, summed */
};

static void count_retries(const struct veng_event *ev, void *ud)
{
	struct retry_seen *s = ud;

	if (!strcmp(ev->what, "phase-end")) {
		s->ends[ev->phase]++;
		if (ev->phase == VENG_MIGRATE && ev->result)
			s->migrate_ns += ev->result->wall_ns;
	}
	if (!strcmp(ev->what, "retry")) {
		s->retries++;
		s->last = ev->retry;
		s->rc = ev->rc;
	}
}

static int send_retrying(struct veng *g, struct retry_seen *seen, unsigned retries,
			 struct vrun_summary *sum, struct vh_error *e)
{
	struct vrun_opts o = { .migrate_retries = retries };
	int r;

	engine(g, VPLAN_ROLE_SOURCE, NULL);
	g->on_event = count_retries;
	g->event_ud = seen;
	r = vrun_send(g, &o, sum, e);
	if (r < 0)
		assert_int_equal(e->code, r);
	return r;
}

/* send, --migrate-retries 1: the link drops in the first migration and
 * comes back (DRBD reconnects and resyncs): libvirt's job cancelled, a
 * "retry" event, wait-sync again, the second migration moves the VM. */
static void send_retries_a_migration_cancelled_for_a_lost_link(void **state)
{
	struct retry_seen seen = { 0 };
	struct vrun_summary sum;
	struct vh_error e = { 0 };
	struct veng g;

	(void)state;
	world_source();
	W.wait_resyncs = true;
	W.drop_migrations = 1;
	W.migrate_ns = 2000000000;
	assert_int_equal(send_retrying(&g, &seen, 1, &sum, &e), 0);
	assert_int_equal(sum.outcome, VENG_OK);
	assert_int_equal(sum.failed, -1);
	assert_int_equal(sum.retries, 1);
	assert_int_equal(seen.retries, 1);
	assert_int_equal(seen.last, 1);
	assert_int_equal(seen.rc, -ENOLINK);
	assert_int_equal(seen.ends[VENG_MIGRATE], 2);
	assert_int_equal(seen.ends[VENG_WAIT_SYNC], 2);
	assert_int_equal(seen.ends[VENG_ABORT], 0);
	/* each phase-end says its own run's time, the summary both runs' */
	assert_true(seen.migrate_ns >= 2 * W.migrate_ns);
	assert_int_equal(sum.res[VENG_MIGRATE].wall_ns, seen.migrate_ns);
	/* the cancel, then a second migration and only then the switchover */
	{
		const char *const order[] = {
			"migrate", "abort job", "migrate", "disconnect --force", "resume peer",
			"undefine here", "down vh-1a2b3c4d",
		};

		assert_logged_in_order(order, sizeof(order) / sizeof(order[0]));
	}
	assert_int_equal(nlogged("migrate"), 2);
	assert_int_equal(nlogged("abort job"), 1);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.done);
	assert_false(W.saved.aborted);
}

/* The link does not come back: wait-sync again fails at timeouts.connect,
 * send aborts, the VM runs on S; with no retry left (or none asked), a
 * second cancelled migration is undone at once. */
static void send_retry_ends_in_abort_when_the_link_stays_lost(void **state)
{
	struct retry_seen seen = { 0 };
	struct vrun_summary sum;
	struct vh_error e = { 0 };
	struct veng g;
	int64_t t0;

	(void)state;
	world_source();
	W.wait_resyncs = true;
	W.drop_during_migrate = true;
	W.drop_for_good = true;
	t0 = W.clock;
	assert_int_equal(send_retrying(&g, &seen, 1, &sum, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "no connection to hv2"));
	assert_true(W.clock - t0 >= (int64_t)P.timeouts.connect * 1000000000);
	assert_int_equal(sum.retries, 1);
	assert_int_equal(sum.failed, VENG_WAIT_SYNC);
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_int_equal(nlogged("migrate"), 1);
	assert_true(logged(0, "dm_swap vg-vm1 own-table"));
	assert_false(logged(0, "lv_remove vg/vm1"));
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.aborted);

	/* the link comes back but drops again in the retry: no try left */
	memset(&seen, 0, sizeof(seen));
	world_source();
	W.wait_resyncs = true;
	W.drop_during_migrate = true;
	assert_int_equal(send_retrying(&g, &seen, 1, &sum, &e), -ENOLINK);
	assert_int_equal(sum.retries, 1);
	assert_int_equal(sum.failed, VENG_MIGRATE);
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_int_equal(nlogged("migrate"), 2);
	assert_int_equal(nlogged("abort job"), 2);
	assert_int_equal(seen.ends[VENG_ABORT], 1);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);

	/* 0 retries: undone at once, as before */
	memset(&seen, 0, sizeof(seen));
	world_source();
	W.wait_resyncs = true;
	W.drop_migrations = 1;
	assert_int_equal(send_retrying(&g, &seen, 0, &sum, &e), -ENOLINK);
	assert_int_equal(seen.retries, 0);
	assert_int_equal(nlogged("migrate"), 1);
	assert_int_equal(sum.outcome, VENG_UNDONE);
}

static void send_gate_timeout_leaves_vm_paused_no_abort(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	world_source();
	W.wait_resyncs = true;
	W.drop_during_migrate = true;
	/* the operator wants the migration to finish despite the loss */
	P.migration.on_link_loss = VPLAN_LINK_LOSS_CONTINUE;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	/* the link never comes back in the gate's wait */
	{
		struct vh_error e = { 0 };
		struct vrun_opts o = { 0 };

		W.on_wait = NULL;
		/* the first wait (wait-sync) resyncs, the gate's do not */
		assert_int_equal(run(&g, VENG_PREPARE, 0, NULL), 0);
		assert_int_equal(run(&g, VENG_BRIDGE, 0, NULL), 0);
		assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, NULL), 0);
		W.wait_resyncs = false;
		assert_int_equal(vrun_send(&g, &o, &sum, &e), -ETIMEDOUT);
		assert_true(strstr(e.msg, "restore the DRBD link") != NULL);
	}
	assert_int_equal(sum.outcome, VENG_STATE_LEFT);
	assert_false(sum.ran[VENG_ABORT]);
	assert_false(logged(0, "down"));
	assert_false(logged(0, "resume peer"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	assert_true(strstr(sum.next.text, "vmhop resume") != NULL);
}

static volatile sig_atomic_t stop_now;

static void stop_at_bridge(const struct veng_event *ev, void *ud)
{
	(void)ud;
	if (!strcmp(ev->what, "step") && strstr(ev->step, "bridge"))
		stop_now = 1;
}

static void send_interrupted_is_undone_completely(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	world_source();
	W.wait_resyncs = true;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	stop_now = 0;
	g.stop = &stop_now;
	g.on_event = stop_at_bridge;
	assert_int_equal(send_run(&g, &sum, false), -EINTR);
	assert_int_equal(sum.failed, VENG_BRIDGE);
	/* the abort ran to its end although the stop flag stays set */
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_true(logged(0, "dm_swap vg-vm1 own-table"));
	assert_true(logged(0, "helper_release"));
	assert_false(logged(0, "migrate"));
	assert_true(g.stop == &stop_now);
}

static void wait_sync_rides_out_a_lost_link(void **state)
{
	struct veng_result res;
	struct veng g;

	source_bridged(&g);
	W.net = true;
	W.conn = DRBDNL_C_SYNC_SOURCE;
	W.reset_waits = 2;		/* lost twice, then back and in sync */
	W.wait_resyncs = true;
	assert_int_equal(run(&g, VENG_WAIT_SYNC, 0, &res), 0);
	assert_true(W.saved.synced);
}

/* D: the peer's side of the move, as D sees it through DRBD and libvirt. */
static void peer_moves(unsigned n)
{
	if (n == 2)		/* libvirt's incoming migration: paused here */
		W.vm_here = VIR_DOMAIN_PAUSED;
	if (n == 4) {		/* S passed the gate and disconnected */
		W.conn = DRBDNL_C_WF_CONNECTION;
		W.pdsk = DRBDNL_D_UNKNOWN;
		W.wait_resyncs = false;
	}
	if (n == 5)		/* S resumed the VM here */
		W.vm_here = VIR_DOMAIN_RUNNING;
}

static void receive_moves_in_one_run(void **state)
{
	unsigned ends[VENG_PHASES + 1] = { 0 };
	struct vrun_summary sum;
	struct veng g;

	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_moves;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	g.on_event = count_phases;
	g.event_ud = ends;
	assert_int_equal(receive_run(&g, &sum), 0);
	assert_int_equal(sum.outcome, VENG_OK);
	assert_int_equal(ends[VRUN_WAIT_VM], 1);
	assert_int_equal(ends[VENG_RELEASE], 1);
	assert_int_equal(ends[VENG_CLEANUP], 1);
	assert_true(logged(0, "down vh-1a2b3c4d"));
	assert_false(logged(0, "lv_remove vg/vm1"));	/* the VM's LV stays: it runs on it */
	assert_false(logged(0, "primary_force"));	/* D stays Secondary */
	assert_false(logged(0, "dm_swap"));		/* D's LV is never swapped */
	assert_true(W.saved.vm_ran_here && W.saved.done);
}

static int f_vm_watch(void *ud, const char *name, struct vh_error *e)
{
	if (name)
		W.watch_starts++;
	else
		W.watch_stops++;
	snprintf(W.watched, sizeof(W.watched), "%s", name ? name : "");
	return 0;
}

static void f_vm_watch_clear(void *ud)
{
	W.watch_clears++;
	W.vm_event = false;
}

/* peer_moves, each change of the VM here a libvirt event */
static void peer_moves_with_events(unsigned n)
{
	int before = W.vm_here;

	peer_moves(n);
	if (W.vm_here != before)
		W.vm_event = true;
}

/* With libvirt's lifecycle events: each change of the VM here ends the wait
 * at once (-EAGAIN, no error), the fallback wake-up is 5 s, the watch is
 * stopped at the end. */
static void receive_wakes_on_libvirt_events(void **state)
{
	struct veng_ops ops = fake_ops;
	struct vrun_opts o = { 0 };
	struct vrun_summary sum;
	struct vh_error e = { 0 };
	struct veng g;

	(void)state;
	ops.vm_watch = f_vm_watch;
	ops.vm_watch_clear = f_vm_watch_clear;
	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_moves_with_events;
	assert_int_equal(veng_init(&g, &P, VPLAN_ROLE_DEST, NULL, &ops, NULL, &e), 0);
	g.now_ns = fake_now;
	assert_int_equal(vrun_receive(&g, &o, &sum, &e), 0);
	assert_int_equal(sum.outcome, VENG_OK);
	assert_int_equal(W.woken, 2);		/* paused here, then running */
	assert_int_equal(W.watch_starts, 1);
	assert_int_equal(W.watch_stops, 1);
	assert_string_equal(W.watched, "");
	assert_true(W.watch_clears >= 3);	/* before each look at the VM */
	assert_int_equal(W.last_wait_ms, 5000);
	assert_true(W.saved.vm_ran_here && W.saved.done);
}

static void peer_never_brings_the_vm(unsigned n)
{
	if (n == 2) {		/* S aborted: its resource is down */
		W.conn = DRBDNL_C_WF_CONNECTION;
		W.pdsk = DRBDNL_D_UNKNOWN;
		W.wait_resyncs = false;
	}
}

/* S's migration cancelled for a lost link, tried again once DRBD is back
 * (send's retry): the link goes at wait 2, returns at wait 10, and the VM
 * arrives at wait 75 (0.5 s a wait): later than the wait's bound from its
 * start (timeouts.migrate + gate + connect: 35 s), within it from the
 * reconnect. */
static void peer_migrates_again(unsigned n)
{
	if (n == 2) {
		W.conn = DRBDNL_C_WF_CONNECTION;
		W.pdsk = DRBDNL_D_UNKNOWN;
		W.wait_resyncs = false;
	}
	if (n == 10) {
		W.conn = DRBDNL_C_CONNECTED;
		W.pdsk = DRBDNL_D_UP_TO_DATE;
	}
	if (n >= 75)
		peer_moves(n - 73);
}

static void receive_waits_anew_after_a_reconnect(void **state)
{
	struct vrun_summary sum;
	struct vh_error e = { 0 };
	struct vrun_opts o = { .poll_ms = 500 };
	struct veng g;
	int64_t t0;

	(void)state;
	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_migrates_again;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	P.timeouts.migrate = 10;
	P.timeouts.gate = 5;
	P.timeouts.connect = 20;
	t0 = W.clock;
	assert_int_equal(vrun_receive(&g, &o, &sum, &e), 0);
	assert_int_equal(sum.outcome, VENG_OK);
	assert_true(W.clock - t0 > 35ll * 1000000000);	/* past the first bound */
	assert_true(W.saved.vm_ran_here && W.saved.done);
}

static void receive_gives_up_when_s_goes_and_vm_never_came(void **state)
{
	struct vrun_summary sum;
	struct vh_error e = { 0 };
	struct vrun_opts o = { .poll_ms = 500 };
	struct veng g;
	int64_t t_lost;

	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_never_brings_the_vm;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	P.timeouts.connect = 20;
	t_lost = W.clock;
	assert_int_equal(vrun_receive(&g, &o, &sum, &e), -ENOTCONN);
	assert_true(strstr(e.msg, "never arrived") != NULL);
	/* not before timeouts.connect without S */
	assert_true(W.clock - t_lost >= 20ll * 1000000000);
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_int_equal(sum.failed, VRUN_WAIT_VM);
	assert_true(logged(0, "lv_remove vg/vm1"));	/* D created it: D removes it */
	assert_true(W.saved.aborted);
}

static void peer_link_drops_with_vm_paused_here(unsigned n)
{
	peer_never_brings_the_vm(n);
	if (n == 1)
		W.vm_here = VIR_DOMAIN_PAUSED;
}

static void receive_never_undoes_a_vm_that_is_here(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_link_drops_with_vm_paused_here;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	P.timeouts.connect = 5;
	P.timeouts.gate = 5;
	P.timeouts.migrate = 5;
	assert_int_equal(receive_run(&g, &sum), -ETIMEDOUT);
	assert_int_equal(sum.outcome, VENG_STATE_LEFT);
	assert_false(logged(0, "lv_remove vg/vm1"));
	assert_false(logged(0, "down"));
	assert_int_equal(W.vm_here, VIR_DOMAIN_PAUSED);
}

/* The gate stopped on S and the operator ran vmhop restart there: the VM
 * paused here is destroyed and undefined by S, S's DRBD goes down. */
static void peer_restarts_the_vm_on_s(unsigned n)
{
	peer_link_drops_with_vm_paused_here(n);
	if (n == 8)
		W.vm_here = -1;
}

static void receive_undone_after_a_restart_on_s(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_restarts_the_vm_on_s;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	P.timeouts.connect = 5;
	P.timeouts.gate = 60;
	P.timeouts.migrate = 60;
	assert_int_equal(receive_run(&g, &sum), -ENOTCONN);
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_true(logged(0, "lv_remove vg/vm1"));	/* D's stale copy goes */
	assert_true(W.saved.aborted);
}

static void peer_goes_and_libvirtd_stops(unsigned n)
{
	peer_never_brings_the_vm(n);
	if (n == 2)
		W.vm_state_err = -ECONNREFUSED;
}

static void receive_waits_while_libvirt_does_not_answer(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_goes_and_libvirtd_stops;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	P.timeouts.connect = 5;
	P.timeouts.gate = 5;
	P.timeouts.migrate = 5;
	/* S is gone, but whether the VM arrived cannot be told: no abort, no
	 * removal; at the end the abort itself refuses, state left */
	assert_int_equal(receive_run(&g, &sum), -ETIMEDOUT);
	assert_int_equal(sum.outcome, VENG_STATE_LEFT);
	assert_false(logged(0, "lv_remove vg/vm1"));
	assert_false(logged(0, "down"));
}

static void peer_syncs_then_ctrl_c(unsigned n)
{
	if (n == 3)		/* in the wait for the VM: Ctrl-C */
		stop_now = 1;
}

static void receive_interrupted_before_the_vm_came_is_undone(void **state)
{
	struct vrun_summary sum;
	struct veng g;

	world_dest();
	W.wait_resyncs = true;
	W.on_wait = peer_syncs_then_ctrl_c;
	engine(&g, VPLAN_ROLE_DEST, NULL);
	stop_now = 0;
	g.stop = &stop_now;
	assert_int_equal(receive_run(&g, &sum), -EINTR);
	assert_int_equal(sum.failed, VRUN_WAIT_VM);
	assert_int_equal(sum.outcome, VENG_UNDONE);
	assert_true(logged(0, "down vh-1a2b3c4d"));
	assert_true(logged(0, "lv_remove vg/vm1"));	/* D created it, the VM never came */
	assert_true(W.saved.aborted);
}

/* ---- SIGKILL at every action, and the phase run again --------------------- */

static void kill_prepare_s(struct veng *g)
{
	world_source();
	engine(g, VPLAN_ROLE_SOURCE, NULL);
}

static void kill_prepare_d(struct veng *g)
{
	world_dest();
	engine(g, VPLAN_ROLE_DEST, NULL);
}

static void kill_release_s(struct veng *g)
{
	struct veng_result res;

	source_synced(g);
	assert_int_equal(run(g, VENG_MIGRATE, 0, &res), 0);
}

static void kill_release_d(struct veng *g)
{
	struct veng_result res;

	kill_prepare_d(g);
	assert_int_equal(run(g, VENG_PREPARE, 0, &res), 0);
	W.conn = DRBDNL_C_CONNECTED;
	W.disk = W.pdsk = DRBDNL_D_UP_TO_DATE;
	assert_int_equal(run(g, VENG_WAIT_SYNC, 0, &res), 0);
	W.net = false;			/* S disconnected, */
	W.vm_here = VIR_DOMAIN_RUNNING;	/* the VM runs here */
}

/* The name of an object of @a that exists and differs in @b (or is not there). */
static const char *obj_differs(const struct obj *a, const struct obj *b)
{
	for (int i = 0; i < MAXO; i++) {
		const struct obj *y = NULL;

		if (!a[i].name[0] || !a[i].exists)
			continue;
		for (int j = 0; j < MAXO; j++)
			if (!strcmp(b[j].name, a[i].name))
				y = &b[j];
		if (!y || !y->exists || y->size != a[i].size || strcmp(y->table, a[i].table) ||
		    strcmp(y->inactive, a[i].inactive))
			return a[i].name;
	}
	return NULL;
}

/* What of the host differs: objects by name, DRBD, the helper (NULL: none). */
static const char *host_differs(const struct world *a, const struct world *b)
{
	const char *n;

	if ((n = obj_differs(a->lv, b->lv)) || (n = obj_differs(b->lv, a->lv)) ||
	    (n = obj_differs(a->dm, b->dm)) || (n = obj_differs(b->dm, a->dm)))
		return n;
	return a->res != b->res ? "the DRBD resource" : a->minor != b->minor ? "the minor" :
	       a->attached != b->attached ? "the disk" : a->primary != b->primary ? "the role" :
	       a->net != b->net ? "the connection" :
	       a->helper_changed != b->helper_changed ? "the helper" : NULL;
}

/* The journal's facts differ?  Less what is measured (times, freeze
 * windows) and whether this run changed the helper (a second take finds it
 * changed already). */
static bool journal_differs(const struct veng_state *a, const struct veng_state *b)
{
	struct veng_state x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	for (struct veng_state *s = &x; s; s = s == &x ? &y : NULL) {
		memset(s->phase_ns, 0, sizeof(s->phase_ns));
		s->helper_changed = false;
		for (size_t i = 0; i < VPLAN_MAX_DISKS; i++)
			s->disks[i].freeze_ns = s->disks[i].restore_ns = 0;
	}
	return memcmp(&x, &y, sizeof(x)) != 0;
}

/*
 * The phase killed (SIGKILL: nothing more done, nothing more saved) at each
 * of its actions, before the action takes effect and just after, then run
 * again by a new process from the journal alone: it must finish, and leave
 * the host and the journal as one run that was never killed does.
 */
static void killed_then(void (*setup)(struct veng *), enum vplan_role role,
			enum veng_phase ph, int then);

static void killed_at_every_action(void (*setup)(struct veng *), enum vplan_role role,
				   enum veng_phase ph)
{
	killed_then(setup, role, ph, -1);
}

/* The same, both runs followed by phase @then (-1: none) before they are
 * compared: for a phase whose end state may differ and converge after. */
static void killed_then(void (*setup)(struct veng *), enum vplan_role role,
			enum veng_phase ph, int then)
{
	static struct world ref;
	struct veng_state ref_saved, st;
	struct veng_result res;
	struct veng g, g2;
	size_t n0, nact;

	setup(&g);
	n0 = W.nlog;
	assert_int_equal(run(&g, ph, 0, &res), 0);
	nact = W.nlog - n0;
	assert_true(nact > 0);
	if (then >= 0)
		assert_int_equal(run(&g, (enum veng_phase)then, 0, &res), 0);
	memcpy(&ref, &W, sizeof(ref));
	memcpy(&ref_saved, &W.saved, sizeof(ref_saved));
	for (size_t k = 1; k <= nact; k++)
		for (int after = 0; after < 3; after++) {
			static const char *const when[] = { "before", "after", "between the load and "
							    "the resume of" };
			struct vh_error e = { 0 };
			const char *diff;
			int r;

			/* 2: inside a swap, after its load (only a swap has one) */
			if (after == 2 && strncmp(ref.log[n0 + k - 1], "dm_swap ", 8))
				continue;
			setup(&g);
			W.die_at = W.nlog + k;
			W.die_after = after == 1;
			W.die_in_swap = after == 2;
			assert_true(veng_run(&g, ph, 0, &res, &e) < 0);
			assert_true(W.dead);
			W.dead = false;
			W.die_at = 0;
			W.die_in_swap = false;
			memcpy(&st, &W.saved, sizeof(st));
			engine(&g2, role, &st);
			r = run(&g2, ph, 0, &res);
			if (r == 0 && then >= 0)
				r = run(&g2, (enum veng_phase)then, 0, &res);
			diff = r < 0 ? "it fails" : W.saved.doing[0] ? "a step left under way" :
			       host_differs(&W, &ref) ? host_differs(&W, &ref) :
			       journal_differs(&W.saved, &ref_saved) ? "the journal" : NULL;
			if (diff)
				fail_msg("%s %s killed %s '%s' (action %zu), then run again: %s "
					 "(differs from a run never killed)", vplan_role_name(role),
					 veng_phase_name(ph), when[after],
					 ref.log[n0 + k - 1], k, diff);
		}
}

static void kill_bridge_s(struct veng *g)
{
	struct veng_result res;

	kill_prepare_s(g);
	assert_int_equal(run(g, VENG_PREPARE, 0, &res), 0);
}

static void bridge_killed_anywhere_continues(void **state)
{
	(void)state;
	killed_at_every_action(kill_bridge_s, VPLAN_ROLE_SOURCE, VENG_BRIDGE);
}

/*
 * The bridge killed between its load and its resume: the LV runs on its own
 * table with DRBD's waiting in the inactive slot (holding /dev/drbd open).
 * abort clears it before DRBD goes down, and the host is as it was.
 */
static void abort_after_a_bridge_killed_in_its_swap(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };
	struct obj *lv;
	size_t n;

	(void)state;
	kill_bridge_s(&g);
	W.die_at = W.nlog + 1;		/* the swap, the bridge's first action */
	W.die_in_swap = true;
	assert_true(veng_run(&g, VENG_BRIDGE, 0, &res, &e) < 0);
	assert_true(W.dead);
	W.dead = false;
	W.die_at = 0;
	W.die_in_swap = false;
	lv = find(W.dm, "vg-vm1", false);
	assert_string_equal(lv->table, "0 409600 linear 254:0 2048\n");
	assert_string_equal(lv->inactive, "0 409600 linear 147:100 0\n");
	assert_string_equal(W.saved.doing, "bridge vg-vm1 onto /dev/drbd100");
	memcpy(&st, &W.saved, sizeof(st));
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_ABORT, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	assert_log(n, LOG("dm_clear vg-vm1", "down vh-1a2b3c4d", "dm_remove vh-1a2b3c4d-0.copy",
			  "lv_remove vg/vh-1a2b3c4d_0.vhmd", "helper_release"));
	assert_string_equal(lv->inactive, "");
	assert_string_equal(lv->table, "0 409600 linear 254:0 2048\n");
	assert_false(W.res);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
}

static void prepare_killed_anywhere_continues(void **state)
{
	(void)state;
	killed_at_every_action(kill_prepare_s, VPLAN_ROLE_SOURCE, VENG_PREPARE);
	killed_at_every_action(kill_prepare_d, VPLAN_ROLE_DEST, VENG_PREPARE);
}

static void release_killed_anywhere_continues(void **state)
{
	(void)state;
	killed_at_every_action(kill_release_s, VPLAN_ROLE_SOURCE, VENG_RELEASE);
	killed_at_every_action(kill_release_d, VPLAN_ROLE_DEST, VENG_RELEASE);
}

/* migrate (S) killed at each of its actions (the migration call, the
 * disconnect, the resume on D, the undefine here; autostart's when it is
 * on), then run again: it asks libvirt how the migration ended and finishes
 * as one run never killed does, never migrating twice. */
static void kill_migrate_s(struct veng *g)
{
	source_synced(g);
	W.autostart_here = true;
}

static void migrate_killed_anywhere_continues(void **state)
{
	(void)state;
	killed_at_every_action(kill_migrate_s, VPLAN_ROLE_SOURCE, VENG_MIGRATE);
}

/* ---- the early switch: on S's QEMU's exit, before libvirt's Confirm ends ------ */

static int early_peer_at_gone;	/* the VM's state on D right after the hook */

static void note_peer(void)
{
	early_peer_at_gone = W.vm_peer;
}

/* S's QEMU exits in libvirt's Confirm, D's domain paused with no job,
 * DRBD in sync, no opener of the LV: the VM resumes on D inside the hook,
 * before the migration call returns; S's definition goes after it. */
static void early_switch_on_qemu_exit(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_synced(&g);
	W.qemu_exits = true;
	W.on_gone = note_peer;
	early_peer_at_gone = -2;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(W.gone_calls, 1);
	assert_true(res.early);
	/* D's domain looked for while libvirt migrated (until found) */
	assert_true(W.prefetches >= 1);
	assert_int_equal(early_peer_at_gone, VIR_DOMAIN_RUNNING);
	assert_log(n, LOG("migrate", "disconnect --force", "resume peer", "undefine here"));
	/* inside the pause: the journal twice (the gate with the disconnect's
	 * name, the disconnect's result with the resume's), no question to
	 * D's libvirt but the one that says its domain is ready */
	assert_int_equal(W.resume_saves - W.handoff_saves, 2);
	assert_true(W.saved.gate_passed && W.saved.disconnected && W.saved.resumed_on_d);
	assert_true(W.saved.undefined_on_s);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	/* after the resume: its own record, the undefine's begin and end, the
	 * phase's end; no second write of the state the switch recorded */
	assert_int_equal(W.saves - W.resume_saves, 4);
	/* each step's end marked, in order (no fence on this path) */
	assert_int_equal(res.switch_at_ns[VENG_SW_FENCE], 0);
	for (int k = VENG_SW_CHECK; k < VENG_SW_STEPS; k++) {
		assert_true(res.switch_at_ns[k] > 0);
		if (k > VENG_SW_CHECK)
			assert_true(res.switch_at_ns[k] >= res.switch_at_ns[k - 1]);
	}
}

/* D's Finish seen from its event (a suspend) before S's QEMU exits, and
 * nothing asked of D; S's LVs are fenced (held), S's VM is still paused, DRBD in
 * sync: the VM resumes on D inside that event's hook, S's QEMU still alive;
 * the held I/O is then made to fail, and release puts S's own table back. */
static void fence_at_d_finish(void **state)
{
	struct veng g;
	struct veng_result res;
	struct obj *o;
	char lvname[256];
	size_t n;

	(void)state;
	source_synced(&g);
	vlvm_dm_name(P.disks[0].vg, P.disks[0].lv, lvname, sizeof(lvname));
	W.qemu_exits = true;
	W.peer_events = true;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(res.early);
	assert_true(res.fenced);
	assert_false(res.twin);
	/* switched before S's QEMU exited: its exit changes nothing */
	assert_int_equal(W.gone_calls, 1);
	/* D asked nothing: its event is the fact */
	assert_int_equal(W.gone_peer_states, W.handoff_peer_states);
	assert_log_prefix(n, LOG("migrate", "suspend", "disconnect --force", "resume peer",
			  "dm_swap", "undefine here"));
	assert_non_null(strstr(W.log[n + 4], "onto-error"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.fenced && W.saved.fence_final && W.saved.resumed_on_d);
	assert_true(W.saved.undefined_on_s);
	/* inside the pause: the fence recorded, then the gate's pass, then
	 * the disconnect's result; no question to D */
	assert_int_equal(W.resume_saves - W.handoff_saves, 3);
	assert_int_equal(W.resume_peer_states - W.gone_peer_states, 0);
	for (int k = 0; k < VENG_SW_STEPS; k++) {
		assert_true(res.switch_at_ns[k] > 0);
		if (k)
			assert_true(res.switch_at_ns[k] >= res.switch_at_ns[k - 1]);
	}
	o = find(W.dm, lvname, false);
	assert_non_null(o);
	assert_non_null(strstr(o->table, "error"));
	assert_false(o->suspended);
	/* release: S's own table back (nothing holds the LV any more) */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RELEASE, 0, &res), 0);
	assert_log_prefix(n, LOG("dm_swap", "down"));
	assert_non_null(strstr(W.log[n], "own-table"));
	assert_null(strstr(o->table, "error"));
}

/* Each fact the fence's switch needs, missing in turn: the LVs are let go
 * again (nothing else changed), and S's QEMU's exit or libvirt's return
 * decides as before. */
static void fence_needs_every_fact(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	/* DRBD resyncing at D's Finish: released; the exit switches (D known) */
	source_synced(&g);
	W.qemu_exits = true;
	W.peer_events = true;
	W.oos_at_event = 3;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(res.early);
	assert_false(res.fenced);
	assert_log_prefix(n, LOG("migrate", "suspend", "dm_resume", "disconnect --force", "resume peer",
			  "undefine here"));
	assert_false(W.saved.fenced);
	assert_int_equal(W.resume_peer_states - W.gone_peer_states, 0);

	/* S's VM resumed by libvirt here at D's Finish (its event): released */
	for (int k = 0; k < 2; k++) {
		source_synced(&g);
		W.qemu_exits = true;
		W.peer_events = true;
		W.here_at_event = VIR_DOMAIN_RUNNING;
		W.no_here_events = k == 1;	/* ... or, without events, its state */
		n = W.nlog;
		assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
		assert_false(res.fenced);
		assert_log_prefix(n, LOG("migrate", "suspend", "dm_resume", "disconnect --force",
					 "resume peer", "undefine here"));
		assert_int_equal(W.here_event_checks, 1);
	}

	/* the suspend refused: no fence; the exit switches, asking D nothing */
	source_synced(&g);
	W.qemu_exits = true;
	W.peer_events = true;
	W.fail_at = "suspend";
	W.fail_err = EIO;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(res.early);
	assert_false(res.fenced);
	assert_log_prefix(n, LOG("migrate", "suspend", "disconnect --force", "resume peer",
			  "undefine here"));
	assert_false(W.saved.fenced);
	assert_int_equal(W.resume_peer_states - W.gone_peer_states, 0);

	/* D's job still ending when its event comes (libvirt's Finish saves
	 * and resets after it): fenced at once, D asked nothing; the resume
	 * waits inside libvirt for the job to end, and goes ahead */
	source_synced(&g);
	W.qemu_exits = true;
	W.peer_events = true;
	W.job_peer_at_event = 2;
	W.resume_waits = 0;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(res.fenced);
	assert_int_equal(W.gone_peer_states - W.handoff_peer_states, 0);
	assert_int_equal(W.resume_waits, 1);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_log_prefix(n, LOG("migrate", "suspend", "disconnect --force", "resume peer",
				 "dm_swap", "undefine here"));

	/* any other event of D's asks nothing, fences nothing */
	source_synced(&g);
	W.qemu_exits = true;
	W.peer_events = true;
	W.peer_event = VIR_DOMAIN_EVENT_STARTED;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_false(res.fenced);
	assert_int_equal(W.gone_peer_states - W.handoff_peer_states, 0);
	assert_int_equal(W.resume_peer_states - W.gone_peer_states, 1);

	/* left paused on D (phase command's --paused): no fence */
	source_synced(&g);
	W.qemu_exits = true;
	W.peer_events = true;
	assert_int_equal(run(&g, VENG_MIGRATE, VENG_LEAVE_PAUSED, &res), 0);
	assert_false(res.fenced);
	assert_false(W.saved.fenced);
}

/* Behind the fence, D refuses the resume and says its VM does not run (it
 * is paused there): the fence is let go at once (a QEMU libvirt resumed here
 * must not hang on held I/O); the switch after libvirt's return then resumes
 * D on S's QEMU being gone, as without a fence. */
static void fence_resume_refused_lets_go(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n, at = 0;

	(void)state;
	source_synced(&g);
	W.peer_events = true;
	W.fail_at = "resume peer";
	W.fail_err = EIO;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	for (size_t i = n; i < W.nlog; i++)
		if (!strcmp(W.log[i], "resume peer") && !at)
			at = i;
	assert_true(at > n);
	assert_true(!strncmp(W.log[at + 1], "dm_resume", 9));	/* let go at once */
	assert_false(res.fenced);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);	/* resumed after libvirt's return */
	assert_false(W.saved.fenced);
}

/* The twin: D's Finish answered, the VM resumed on D behind the fence, and
 * libvirt here, which lost that answer, resumes its own QEMU.  It wrote
 * nothing (its LVs fail every request); it is destroyed, the definition
 * goes, and release puts S's own table back once it is gone. */
static void fence_twin_destroyed(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_synced(&g);
	W.peer_events = true;
	W.lost_finish_reply = true;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(res.fenced);
	assert_true(res.twin);
	assert_log_prefix(n, LOG("migrate", "suspend", "disconnect --force", "resume peer", "dm_swap",
			  "destroy here", "undefine here"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_true(W.vm_here < 0);	/* destroyed, then undefined */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RELEASE, 0, &res), 0);
	assert_log_prefix(n, LOG("dm_swap", "down"));

	/* the twin not destroyed (libvirt refused): release keeps the fence */
	source_synced(&g);
	W.peer_events = true;
	W.lost_finish_reply = true;
	W.fail_at = "destroy here";
	W.fail_err = EBUSY;
	assert_int_not_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	W.vm_here = VIR_DOMAIN_RUNNING;
	{
		struct veng_state st;
		struct veng g2;

		memcpy(&st, &W.saved, sizeof(st));
		st.undefined_on_s = true;	/* (as if undefined by hand, the QEMU left) */
		engine(&g2, VPLAN_ROLE_SOURCE, &st);
		n = W.nlog;
		assert_int_not_equal(run(&g2, VENG_RELEASE, 0, &res), 0);
		assert_int_equal(W.nlog, n);	/* nothing changed */
	}
}

/* Before the VM ran on D, the fence is let go when the VM stays here: a run
 * killed behind the fence, then libvirt resumes S's QEMU (the Finish's reply
 * lost): the re-run gives the VM its I/O back and removes D's copy. */
static void fence_killed_then_vm_stays_here(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };
	char lvname[256];
	struct obj *o;
	size_t n;

	(void)state;
	source_synced(&g);
	vlvm_dm_name(P.disks[0].vg, P.disks[0].lv, lvname, sizeof(lvname));
	W.peer_events = true;
	W.lost_finish_reply = true;
	W.die_at = W.nlog + 2;		/* killed after the suspend */
	W.die_after = true;
	assert_true(veng_run(&g, VENG_MIGRATE, 0, &res, &e) < 0);
	W.dead = false;
	W.die_at = 0;
	o = find(W.dm, lvname, false);
	assert_true(o->suspended);
	assert_true(W.saved.fenced);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);	/* libvirt resumed it */
	memcpy(&st, &W.saved, sizeof(st));
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	/* the re-run: the VM stays here, its I/O let go before D's copy goes;
	 * then a new migration (this time D's answer arrives) */
	W.lost_finish_reply = false;
	W.peer_events = false;
	n = W.nlog;
	assert_int_equal(run(&g2, VENG_MIGRATE, 0, &res), 0);
	assert_log_prefix(n, LOG("dm_resume", "destroy peer", "undefine peer", "migrate",
				 "disconnect --force", "resume peer", "undefine here"));
	assert_false(o->suspended);
	assert_false(W.saved.fenced);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
}

/* Each fact the early switch needs, missing in turn: it does nothing, and
 * the switch follows libvirt's return as before (or is refused there). */
static void early_switch_needs_every_fact(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	/* D's incoming job still runs: its Finish has not answered */
	source_synced(&g);
	W.qemu_exits = true;
	W.job_peer_at_gone = 1;
	W.on_gone = note_peer;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_false(res.early);
	assert_int_equal(early_peer_at_gone, VIR_DOMAIN_PAUSED);
	assert_log(n, LOG("migrate", "disconnect --force", "resume peer", "undefine here"));

	/* S's QEMU crashed before D's Finish: no domain there (or one shut
	 * off), the call fails */
	for (int k = 0; k < 2; k++) {
		source_synced(&g);
		W.qemu_exits = true;
		W.crash_at_gone = true;
		W.peer_state_at_crash = k ? VIR_DOMAIN_SHUTOFF : -1;
		n = W.nlog;
		assert_true(run(&g, VENG_MIGRATE, 0, &res) < 0);
		assert_false(res.early);
		assert_false(logged(n, "disconnect"));
		assert_false(logged(n, "resume"));
		assert_true(W.saved.migrating && !W.saved.handed_off);
	}

	/* something else holds S's LV open: no early switch, and the gate
	 * after libvirt's return refuses */
	source_synced(&g);
	W.qemu_exits = true;
	find(W.dm, "vg-vm1", false)->open_count = 1;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EBUSY);
	assert_false(res.early);
	assert_false(logged(n, "disconnect"));
	assert_false(logged(n, "resume"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);

	/* blocks out of sync at the exit: no early switch; the gate waits for
	 * the resync, then switches */
	source_synced(&g);
	W.qemu_exits = true;
	W.on_gone = note_peer;
	W.oos_at_gone = 5;
	W.wait_resyncs = true;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_false(res.early);
	assert_int_equal(early_peer_at_gone, VIR_DOMAIN_PAUSED);
	assert_log(n, LOG("migrate", "wait 100", "disconnect --force", "resume peer", "undefine here"));
}

/* D's libvirt is asked before the migration (its connection then open for
 * the switch): one that does not answer, or a domain of another VM by that
 * name there, and nothing is migrated. */
static void migrate_needs_ds_libvirt_first(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_synced(&g);
	W.peer_state_err = -ECONNREFUSED;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -ECONNREFUSED);
	assert_false(logged(n, "migrate"));
	assert_false(W.saved.migrating);
	W.peer_state_err = 0;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
}

/* libvirt's call fails after the early switch (its Confirm): the VM runs on
 * D, every write there; the move goes on, S's definition goes. */
static void confirm_error_after_early_switch_is_no_failure(void **state)
{
	struct veng g;
	struct veng_result res;

	(void)state;
	source_synced(&g);
	W.qemu_exits = true;
	W.confirm_err = -EIO;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(res.early);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.undefined_on_s);
}

/* Killed anywhere in an early switch (inside libvirt's Confirm), then run
 * again: libvirt's job here is waited for, and the switch finishes as one
 * run never killed does. */
static void kill_migrate_s_early(struct veng *g)
{
	source_synced(g);
	W.qemu_exits = true;
}

static void early_switch_killed_anywhere_continues(void **state)
{
	(void)state;
	killed_at_every_action(kill_migrate_s_early, VPLAN_ROLE_SOURCE, VENG_MIGRATE);
}

static void kill_migrate_s_fenced(struct veng *g)
{
	source_synced(g);
	W.qemu_exits = true;
	W.peer_events = true;
}

/* Killed anywhere in the switch behind the fence (D's Finish seen, S's
 * QEMU alive until libvirt's Confirm): the run again ends as a run never
 * killed once released (a run killed before the fence switches without
 * one, its LVs then on DRBD's table, not the error one, until release). */
static void fence_killed_anywhere_continues(void **state)
{
	(void)state;
	killed_then(kill_migrate_s_fenced, VPLAN_ROLE_SOURCE, VENG_MIGRATE, VENG_RELEASE);
}

/* libvirt's Confirm here outlives the killed process; it ends at the 3rd nap */
static void confirm_ends(unsigned n)
{
	if (W.job_here)
		return;
	W.vm_here = VIR_DOMAIN_SHUTOFF;
	W.reason_here = VIR_DOMAIN_SHUTOFF_MIGRATED;
}

/* Killed in an early switch while libvirt still confirms here (the VM
 * "paused" to libvirt, its QEMU gone): the re-run waits for that job, never
 * takes the paused VM for one started again, and finishes the switch. */
static void early_switch_killed_rerun_waits_for_confirm(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };

	(void)state;
	source_synced(&g);
	W.qemu_exits = true;
	W.die_at = W.nlog + 3;		/* migrate, disconnect, resume peer: dies there */
	assert_true(veng_run(&g, VENG_MIGRATE, 0, &res, &e) < 0);
	assert_true(W.dead);
	W.dead = false;
	W.die_at = 0;
	assert_true(W.saved.handed_off && W.saved.disconnected && !W.saved.resumed_on_d);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	W.vm_here = VIR_DOMAIN_PAUSED;
	W.reason_here = VIR_DOMAIN_PAUSED_MIGRATION;
	W.qemu_gone = true;
	W.job_here = 3;
	W.on_nap = confirm_ends;
	st = W.saved;
	engine(&g2, VPLAN_ROLE_SOURCE, &st);
	assert_int_equal(run(&g2, VENG_MIGRATE, 0, &res), 0);
	assert_true(W.naps >= 3);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.resumed_on_d && W.saved.undefined_on_s);
}

/* ---- recovery: decided from what libvirt and the kernel say now -------------- */

/* S killed (SIGKILL) before its migrate call returned: the journal says
 * migrating, the process is gone; @g is a new process from that journal. */
static void source_killed_in_migrate(struct veng *g)
{
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };

	source_synced(g);
	W.die_at = W.nlog + 1;		/* the migrate call: its process dies */
	assert_true(veng_run(g, VENG_MIGRATE, 0, &res, &e) < 0);
	assert_true(W.dead);
	W.dead = false;
	W.die_at = 0;
	assert_true(W.saved.migrating);
	st = W.saved;
	engine(g, VPLAN_ROLE_SOURCE, &st);
}

/* libvirt's job that the killed vmhop started ends, handing the VM over. */
static void job_hands_over(unsigned n)
{
	if (W.job_here)
		return;
	W.vm_here = VIR_DOMAIN_SHUTOFF;
	W.reason_here = VIR_DOMAIN_SHUTOFF_MIGRATED;
	W.vm_peer = VIR_DOMAIN_PAUSED;
	W.reason_peer = VIR_DOMAIN_PAUSED_USER;
}

/* Issue 19.1: a job that goes on in libvirtd after its client died. */
static void abort_refused_while_libvirts_job_runs_then_rerun_finishes(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_killed_in_migrate(&g);
	W.job_here = 1000;		/* the job runs on: the VM still running here */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);		/* nothing undone */
	assert_true(lvo("vg", "vm1", false)->exists);
	assert_true(strstr(find(W.dm, "vg-vm1", false)->table, "147:100") != NULL);
	/* the re-run waits for the job's end, then decides: handed over */
	W.job_here = 4;
	W.on_nap = job_hands_over;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_true(W.naps >= 4);
	assert_false(logged(n, "migrate"));	/* never a second migration */
	assert_log(n, LOG("disconnect --force", "resume peer", "undefine here"));
	assert_int_equal(W.vm_peer, VIR_DOMAIN_RUNNING);
	assert_true(W.saved.handed_off && W.saved.resumed_on_d && W.saved.undefined_on_s);
}

/* libvirt's Finish on D answered, its reply was lost: S resumed its QEMU, a
 * paused copy that never ran stays on D. */
static void abort_refused_while_a_copy_is_on_d_rerun_removes_it(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_killed_in_migrate(&g);
	W.vm_peer = VIR_DOMAIN_PAUSED;
	W.reason_peer = VIR_DOMAIN_PAUSED_USER;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	/* the re-run removes D's copy, then migrates again */
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_log(n, LOG("destroy peer", "undefine peer", "migrate", "disconnect --force",
			  "resume peer", "undefine here"));
}

/* D's libvirt does not answer (libvirtd stopped there, lab 70-send part 3):
 * with the VM running here, no job, its QEMU holding its LVs, the migration
 * ended here: abort undoes, and says what D may hold.  With the VM gone
 * from here, nothing is decided. */
static void d_silent_after_a_migration(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_killed_in_migrate(&g);
	W.peer_state_err = -ECONNREFUSED;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	assert_non_null(strstr(res.next.text, "did not answer"));
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_string_equal(find(W.dm, "vg-vm1", false)->table, "0 409600 linear 254:0 2048\n");
	/* the migrate call failed for it: not handed over, migrating cleared */
	source_synced(&g);
	W.peer_state_err = -ECONNREFUSED;
	W.fail_at = "migrate";
	W.fail_err = ECONNREFUSED;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -ECONNREFUSED);
	assert_false(W.saved.migrating);
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	/* the VM gone from here, D silent: nothing decided, nothing undone */
	source_killed_in_migrate(&g);
	W.vm_here = VIR_DOMAIN_SHUTOFF;
	W.peer_state_err = -ECONNREFUSED;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -ECONNREFUSED);
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_true(W.saved.migrating);
}

/* libvirt says the VM runs here, the kernel says nothing holds its LV (a
 * state read before the job it waited on ended): D's copy is kept. */
static void copy_on_d_kept_when_the_kernel_disagrees(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_killed_in_migrate(&g);
	W.vm_peer = VIR_DOMAIN_PAUSED;
	W.reason_peer = VIR_DOMAIN_PAUSED_USER;
	find(W.dm, "vg-vm1", false)->open_count = -1;	/* cancels the QEMU's open */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
}

/* A copy on D that shows it ran (an I/O-error pause) is never removed. */
static void copy_on_d_that_ran_is_never_removed(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_killed_in_migrate(&g);
	W.vm_peer = VIR_DOMAIN_PAUSED;
	W.reason_peer = VIR_DOMAIN_PAUSED_IOERROR;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
}

/* The migrate call fails while libvirt's job still runs ("another job"):
 * `migrating` stays, and abort stays refused. */
static void failed_call_while_the_job_runs_keeps_migrating(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_synced(&g);
	W.fail_at = "migrate";
	W.fail_err = EBUSY;
	W.job_at_migrate = 100000;	/* beyond timeouts.migrate of naps */
	assert_true(run(&g, VENG_MIGRATE, 0, &res) < 0);
	assert_true(W.saved.migrating);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	/* the job ended without handing over: libvirt says so, abort undoes */
	W.job_here = 0;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_UNDONE);
	assert_false(W.saved.migrating);
}

/* Issue 19.2: a gate passed in an earlier run never skips "S's QEMU is gone". */
static void source_killed_before_the_resume(struct veng *g)
{
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };

	source_synced(g);
	W.fail_at = "resume peer";
	W.fail_err = EIO;
	assert_int_equal(veng_run(g, VENG_MIGRATE, 0, &res, &e), -EIO);
	assert_true(W.saved.gate_passed && W.saved.disconnected && !W.saved.resumed_on_d);
	st = W.saved;
	engine(g, VPLAN_ROLE_SOURCE, &st);
}

static void resume_after_the_gate_checks_s_again(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	/* the VM started here again (autostart at a libvirtd restart) */
	source_killed_before_the_resume(&g);
	W.vm_here = VIR_DOMAIN_RUNNING;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);	/* never undefined */
	/* libvirt says shut off, but something holds the LV open */
	source_killed_before_the_resume(&g);
	find(W.dm, "vg-vm1", false)->open_count = 1;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	/* libvirt does not answer: no verdict, no resume */
	source_killed_before_the_resume(&g);
	W.vm_state_err = -ECONNREFUSED;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), -ECONNREFUSED);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	/* started and stopped again meanwhile: DRBD counted its writes */
	source_killed_before_the_resume(&g);
	W.oos = 3;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), -ESTALE);
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
	/* nothing happened meanwhile: it finishes */
	source_killed_before_the_resume(&g);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), 0);
	assert_log(n, LOG("resume peer", "undefine here"));
}

/* Issue 19.3: a stop right after the resume on D still undefines here. */
static void stop_after_resume(const struct veng_event *ev, void *ud)
{
	(void)ud;
	if (!strcmp(ev->what, "step") && !strncmp(ev->step, "resume ", 7))
		stop_now = 1;
}

static void interrupt_after_the_resume_still_undefines_here(void **state)
{
	struct veng g;
	struct veng_result res;

	(void)state;
	source_synced(&g);
	stop_now = 0;
	g.stop = &stop_now;
	g.on_event = stop_after_resume;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -EINTR);
	assert_true(W.saved.resumed_on_d);
	assert_true(W.saved.undefined_on_s);
	assert_int_equal(W.vm_here, -1);
	assert_true(logged(0, "undefine here"));
}

/* A run killed after the resume: release undefines here first; cleanup
 * refuses while the VM is still defined here. */
static void release_undefines_what_a_killed_run_left(void **state)
{
	struct veng g;
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };
	size_t n;

	(void)state;
	source_synced(&g);
	W.fail_at = "undefine here";
	W.fail_err = EIO;
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -EIO);
	assert_true(W.saved.resumed_on_d && !W.saved.undefined_on_s);
	st = W.saved;
	engine(&g, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_CLEANUP, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, n);
	/* libvirt here does not answer: not taken for "undefined" */
	W.vm_state_err = -ECONNREFUSED;
	assert_int_equal(run(&g, VENG_RELEASE, 0, &res), -ECONNREFUSED);
	assert_false(W.saved.undefined_on_s);
	assert_int_equal(W.nlog, n);
	W.vm_state_err = 0;
	assert_int_equal(run(&g, VENG_RELEASE, 0, &res), 0);
	assert_log(n, LOG("undefine here", "dm_swap vg-vm1 own-table", "down vh-1a2b3c4d"));
	assert_int_equal(W.vm_here, -1);
	/* a VM running here again is never undefined: it runs on both */
	source_synced(&g);
	W.fail_at = "undefine here";
	W.fail_err = EIO;
	assert_int_equal(veng_run(&g, VENG_MIGRATE, 0, &res, &e), -EIO);
	W.vm_here = VIR_DOMAIN_RUNNING;
	st = W.saved;
	engine(&g, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RELEASE, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
}

/* Autostart off before the migration; abort and restart turn it on again. */
static void autostart_is_off_while_the_vm_leaves(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_synced(&g);
	W.autostart_here = true;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_log(n, LOG("autostart off here", "migrate", "disconnect --force", "resume peer",
			  "undefine here"));
	/* a migration cancelled, then abort: autostart as it was */
	source_synced(&g);
	W.autostart_here = true;
	W.drop_during_migrate = true;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), -ENOLINK);
	assert_false(W.autostart_here);
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_true(W.autostart_here);
	/* a stopped gate, then restart */
	source_synced(&g);
	W.autostart_here = true;
	W.drop_during_migrate = true;
	P.migration.on_link_loss = VPLAN_LINK_LOSS_CONTINUE;
	P.timeouts.gate = 5;
	assert_int_equal(run(&g, VENG_MIGRATE, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_STATE_LEFT);
	assert_false(W.autostart_here);
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), 0);
	assert_true(W.autostart_here);
}

/* Issue 19.4: restart never cold-starts over a VM that may have run on D. */
static void restart_refused_where_the_vm_may_have_run_on_d(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	/* the gate passed and S disconnected: the resume may have happened */
	source_killed_before_the_resume(&g);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_int_equal(W.vm_here, VIR_DOMAIN_SHUTOFF);
	/* D's state says it ran: a shutdown, an I/O-error pause */
	source_gate_stopped(&g, NULL);
	W.vm_peer = VIR_DOMAIN_SHUTOFF;
	W.reason_peer = VIR_DOMAIN_SHUTOFF_SHUTDOWN;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	W.vm_peer = VIR_DOMAIN_PAUSED;
	W.reason_peer = VIR_DOMAIN_PAUSED_IOERROR;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	/* an incoming job still runs there */
	W.reason_peer = VIR_DOMAIN_PAUSED_USER;
	W.job_peer = 1;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	/* the operator accepts the loss */
	W.reason_peer = VIR_DOMAIN_PAUSED_IOERROR;
	assert_int_equal(run(&g, VENG_RESTART, VENG_FORCE, &res), 0);
	assert_int_equal(W.vm_here, VIR_DOMAIN_RUNNING);
	assert_int_equal(W.vm_peer, -1);
}

/* 19.10: S's own disk not UpToDate (a local I/O error): abort and restart
 * refuse to trust S's extents. */
static void own_disk_not_uptodate_refuses_abort_and_restart(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	source_synced(&g);
	W.disk = DRBDNL_D_OUTDATED;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EIO);
	assert_int_equal(W.nlog, n);
	assert_true(strstr(find(W.dm, "vg-vm1", false)->table, "147:100") != NULL);
	source_gate_stopped(&g, NULL);
	W.disk = DRBDNL_D_INCONSISTENT;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESTART, 0, &res), -EIO);
	assert_int_equal(W.nlog, n);
}

/* D's abort: refused while its LV is held open (a QEMU libvirt lost). */
static void dest_abort_refused_while_its_lv_is_open(void **state)
{
	struct veng g;
	struct veng_result res;
	size_t n;

	(void)state;
	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	find(W.dm, "vg-vm1", false)->open_count = 1;
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -EBUSY);
	assert_int_equal(W.nlog, n);
	assert_true(lvo("vg", "vm1", false)->exists);
	/* libvirt here does not answer: no verdict */
	find(W.dm, "vg-vm1", false)->open_count = 0;
	W.vm_state_err = -ECONNREFUSED;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), -ECONNREFUSED);
	assert_int_equal(W.nlog, n);
	W.vm_state_err = 0;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_false(lvo("vg", "vm1", false)->exists);
}

/* 19.10: another VM of the plan's name (another UUID) is not the plan's. */
static void another_vm_of_that_name_is_refused(void **state)
{
	struct veng g;
	struct veng_result res;

	(void)state;
	world_source();
	W.dom_uuid = "99999999-0000-4000-8000-000000000001";
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), -EINVAL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EINVAL);
	assert_int_equal(W.nlog, 0);
}

/* 19.10: killed between the claim of an LV and its lvcreate, and an LV of
 * that name made meanwhile by someone else: neither adopted nor removed. */
static void lv_of_the_moves_name_made_by_someone_else(void **state)
{
	struct veng g;
	struct veng_result res;
	struct veng_state st;
	struct vh_error e = { 0 };
	struct obj *o;

	(void)state;
	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	W.die_at = 3;		/* helper_take, new_resource, lv_create: dies before it */
	assert_true(veng_run(&g, VENG_PREPARE, 0, &res, &e) < 0);
	assert_string_equal(W.log[2], "lv_create vg/vm1");
	W.dead = false;
	W.die_at = 0;
	assert_true(W.saved.disks[0].lv_created);
	o = lvo("vg", "vm1", true);	/* someone else's LV of that name */
	o->exists = true;
	o->size = LV_BYTES;
	st = W.saved;
	engine(&g, VPLAN_ROLE_DEST, &st);
	/* abort: not removed */
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_true(lvo("vg", "vm1", false)->exists);
	assert_false(logged(0, "lv_remove vg/vm1"));
	/* prepare again instead: not adopted */
	world_dest();
	engine(&g, VPLAN_ROLE_DEST, NULL);
	W.die_at = 3;
	assert_true(veng_run(&g, VENG_PREPARE, 0, &res, &e) < 0);
	W.dead = false;
	W.die_at = 0;
	o = lvo("vg", "vm1", true);
	o->exists = true;
	o->size = LV_BYTES;
	st = W.saved;
	engine(&g, VPLAN_ROLE_DEST, &st);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), -EEXIST);
	assert_false(W.saved.disks[0].lv_created);
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	assert_true(lvo("vg", "vm1", false)->exists);
}

/* Issue 19.8: StandAlone at the gate is final, not a loop without sleep
 * (each wait ends at once: without the fix, the fake's log overflows). */
static void gate_on_standalone_does_not_spin(void **state)
{
	struct veng g;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	(void)state;
	source_synced(&g);
	assert_int_equal(run(&g, VENG_MIGRATE, VENG_LEAVE_PAUSED, &res), 0);
	assert_int_equal(res.gate, VENG_GATE_PASS);
	W.net = false;		/* StandAlone: nothing reconnects it */
	W.oos = 2;
	st = W.saved;
	engine(&g, VPLAN_ROLE_SOURCE, &st);
	n = W.nlog;
	assert_int_equal(run(&g, VENG_RESUME, 0, &res), 0);
	assert_int_equal(res.outcome, VENG_STATE_LEFT);
	assert_int_equal(W.nlog - n, 1);	/* one wait, ended at once */
	assert_int_equal(W.vm_peer, VIR_DOMAIN_PAUSED);
}

/* ---- the LV's dm table: stateful targets refused, a changed table never
 * trusted (issue 19, items 5, 6, 10a, 10b) ------------------------------------ */

#define LV_TABLE "0 409600 linear 254:0 2048\n"

/* A snapshot-origin (the LV has snapshots) or a raid1 LV: refused by name at
 * preflight and at prepare, before anything is done or recorded. */
static void stateful_lv_tables_refused_before_anything(void **state)
{
	static const struct { const char *table, *msg; } cases[] = {
		{ "0 409600 snapshot-origin 254:3\n",
		  "vg/vm1 is a snapshot-origin LV (it has snapshots)" },
		{ "0 409600 raid raid1 3 0 region_size 1024 2 254:1 254:2 254:3 254:4\n",
		  "vg/vm1 is a RAID LV" },
		{ "0 409600 thin 254:7 1\n", "vg/vm1 is a thin LV" },
		{ "0 204800 linear 254:0 2048\n204800 204800 zero\n", "dm target of type zero" },
	};
	struct veng_result res;
	struct vh_error e;
	struct veng g;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world_source();
		snprintf(find(W.dm, "vg-vm1", false)->table, 256, "%s", cases[i].table);
		engine(&g, VPLAN_ROLE_SOURCE, NULL);
		for (int ph = VENG_PREFLIGHT; ph <= VENG_PREPARE; ph++) {
			memset(&e, 0, sizeof(e));
			assert_int_equal(veng_run(&g, (enum veng_phase)ph, 0, &res, &e), -EOPNOTSUPP);
			if (!strstr(e.msg, cases[i].msg) ||
			    !strstr(e.msg, "vmhop moves linear and striped LVs only"))
				fail_msg("case %zu %s: '%s'", i, veng_phase_name(ph), e.msg);
		}
		assert_int_equal(W.nlog, 0);
		assert_int_equal(W.saves, 0);
		assert_false(find(W.dm, "vh-1a2b3c4d-0.copy", false));
	}
	/* striped moves */
	world_source();
	snprintf(find(W.dm, "vg-vm1", false)->table, 256, "0 409600 striped 2 128 254:1 0 254:2 0\n");
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_string_equal(find(W.dm, "vh-1a2b3c4d-0.copy", false)->table,
			    "0 409600 striped 2 128 254:1 0 254:2 0\n");
}

/* The LV's table changed after prepare: longer (lvextend) or on other
 * extents (pvmove).  The bridge refuses, -ESTALE naming the change, and
 * swaps nothing; so does prepare run again. */
static void changed_lv_table_refused_at_bridge_and_prepare(void **state)
{
	static const struct { const char *table, *msg; } cases[] = {
		{ LV_TABLE "409600 16384 linear 254:0 600000\n",
		  "its size changed from 409600 to 425984 sectors" },
		{ "0 409600 linear 254:5 2048\n", "its extents moved: target 0 was '0 409600 linear "
		  "254:0 2048', it is '0 409600 linear 254:5 2048' now" },
	};
	struct veng_result res;
	struct vh_error e;
	struct veng g;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world_source();
		engine(&g, VPLAN_ROLE_SOURCE, NULL);
		assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
		snprintf(find(W.dm, "vg-vm1", false)->table, 256, "%s", cases[i].table);
		n = W.nlog;
		for (int ph = VENG_BRIDGE; ph >= VENG_PREPARE; ph--) {
			memset(&e, 0, sizeof(e));
			assert_int_equal(veng_run(&g, (enum veng_phase)ph, 0, &res, &e), -ESTALE);
			if (!strstr(e.msg, "the VM's LV vg/vm1 (dm vg-vm1) no longer has the table") ||
			    !strstr(e.msg, cases[i].msg))
				fail_msg("case %zu %s: '%s'", i, veng_phase_name(ph), e.msg);
		}
		assert_int_equal(W.nlog, n);	/* nothing swapped, nothing done */
		assert_string_equal(find(W.dm, "vg-vm1", false)->table, cases[i].table);
		assert_false(W.saved.disks[0].bridged);
		assert_false(W.net);
	}
	/* the copy changed under the move (someone reloaded it): refused too */
	world_source();
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	snprintf(find(W.dm, "vh-1a2b3c4d-0.copy", false)->table, 256, "0 409600 linear 254:9 0\n");
	n = W.nlog;
	memset(&e, 0, sizeof(e));
	assert_int_equal(veng_run(&g, VENG_BRIDGE, 0, &res, &e), -ESTALE);
	assert_non_null(strstr(e.msg, "the copy vh-1a2b3c4d-0.copy"));
	assert_int_equal(W.nlog, n);
}

/* Before the swap back (release, abort): the .copy, DRBD's backing, must
 * still have the saved table; if not, -ESTALE and the LV stays on DRBD. */
static void changed_copy_refused_before_the_swap_back(void **state)
{
	struct veng_result res;
	struct vh_error e = { 0 };
	struct veng g;
	size_t n;

	(void)state;
	kill_release_s(&g);
	snprintf(find(W.dm, "vh-1a2b3c4d-0.copy", false)->table, 256,
		 LV_TABLE "409600 8192 linear 254:0 900000\n");
	n = W.nlog;
	assert_int_equal(veng_run(&g, VENG_RELEASE, 0, &res, &e), -ESTALE);
	assert_non_null(strstr(e.msg, "the copy vh-1a2b3c4d-0.copy"));
	assert_non_null(strstr(e.msg, "its size changed from 409600 to 417792 sectors"));
	assert_int_equal(W.nlog, n);
	assert_string_equal(find(W.dm, "vg-vm1", false)->table, "0 409600 linear 147:100 0\n");
	assert_false(W.saved.disks[0].restored);

	/* abort reaches the same swap back */
	source_bridged(&g);
	snprintf(find(W.dm, "vh-1a2b3c4d-0.copy", false)->table, 256, "0 409600 linear 254:4 0\n");
	n = W.nlog;
	memset(&e, 0, sizeof(e));
	assert_int_equal(veng_run(&g, VENG_ABORT, 0, &res, &e), -ESTALE);
	assert_non_null(strstr(e.msg, "its extents moved"));
	assert_int_equal(W.nlog, n);
	assert_string_equal(find(W.dm, "vg-vm1", false)->table, "0 409600 linear 147:100 0\n");
}

/* Killed inside the copy's create (DM_DEV_CREATE done, no table loaded):
 * an empty .copy with the move's name.  prepare run again makes it again
 * from the saved table before DRBD attaches; a changed LV is refused. */
static void empty_copy_left_by_a_kill_is_made_again(void **state)
{
	struct veng_result res;
	struct veng_state st;
	struct vh_error e;
	struct veng g, g2;
	size_t n;

	(void)state;
	for (int changed = 0; changed < 2; changed++) {
		world_source();
		W.die_at = 5;	/* helper, resource, md LV, md, then the copy's create */
		engine(&g, VPLAN_ROLE_SOURCE, NULL);
		memset(&e, 0, sizeof(e));
		assert_true(veng_run(&g, VENG_PREPARE, 0, &res, &e) < 0);
		assert_true(W.dead);
		assert_string_equal(W.log[4], "dm_create vh-1a2b3c4d-0.copy");
		W.dead = false;
		W.die_at = 0;
		find(W.dm, "vh-1a2b3c4d-0.copy", true)->exists = true;	/* no table */
		assert_true(W.saved.disks[0].copy_created);
		if (changed)
			snprintf(find(W.dm, "vg-vm1", false)->table, 256, "0 409600 linear 254:0 8192\n");
		st = W.saved;
		engine(&g2, VPLAN_ROLE_SOURCE, &st);
		n = W.nlog;
		memset(&e, 0, sizeof(e));
		if (changed) {
			assert_int_equal(veng_run(&g2, VENG_PREPARE, 0, &res, &e), -ESTALE);
			assert_non_null(strstr(e.msg, "its extents moved"));
			assert_int_equal(W.nlog, n);
			continue;
		}
		assert_int_equal(veng_run(&g2, VENG_PREPARE, 0, &res, &e), 0);
		assert_log(n, LOG("dm_remove vh-1a2b3c4d-0.copy", "dm_create vh-1a2b3c4d-0.copy",
				  "new_minor 100", "attach 100", "primary_force 100"));
		assert_string_equal(find(W.dm, "vh-1a2b3c4d-0.copy", false)->table, LV_TABLE);
		assert_string_equal(W.saved.doing, "");
	}
}

/* A dm_swap that fails and whose rollback fails too (swap_left): 1, the LV
 * left on the new table; 2, on its old table but suspended. */
static int swap_left;

static int f_swap_rollback_fails(void *ud, const char *name, const struct vdm_table *t,
				 int64_t *ns, struct vh_error *e)
{
	struct obj *o = find(W.dm, name, false);
	char old[256];
	int r;

	snprintf(old, sizeof(old), "%s", o->table);
	if ((r = f_dm_swap(ud, name, t, ns, e)) < 0)
		return r;
	if (swap_left == 2) {
		snprintf(o->table, sizeof(o->table), "%s", old);
		o->suspended = true;
	}
	return vh_err(e, -EIO, "swap %s: resume failed, rollback incomplete", name);
}

static void failed_swap_records_what_the_kernel_says(void **state)
{
	struct veng_ops ops = fake_ops;
	struct veng_result res;
	struct vh_error e;
	struct veng g;

	(void)state;
	ops.dm_swap = f_swap_rollback_fails;
	for (swap_left = 1; swap_left <= 2; swap_left++) {
		world_source();
		memset(&e, 0, sizeof(e));
		assert_int_equal(veng_init(&g, &P, VPLAN_ROLE_SOURCE, NULL, &ops, NULL, &e), 0);
		g.now_ns = fake_now;
		assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
		assert_int_equal(veng_run(&g, VENG_BRIDGE, 0, &res, &e), -EIO);
		if (swap_left == 1) {
			/* on DRBD: the journal says bridged, abort swaps it back */
			assert_true(W.saved.disks[0].bridged);
			assert_non_null(strstr(e.msg, "vg-vm1 maps /dev/drbd100 after all"));
			g.ops = &fake_ops;
			assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
			assert_string_equal(find(W.dm, "vg-vm1", false)->table, LV_TABLE);
			assert_false(W.res);
		} else {
			assert_false(W.saved.disks[0].bridged);
			assert_non_null(strstr(e.msg, "vg-vm1 is left SUSPENDED on its own table"));
		}
		assert_string_equal(W.saved.doing, "");
	}
}

/* ---- concurrent moves (issue 21) ------------------------------------------- */

static void claim(size_t k, const char *res, const char *vm, uint16_t port, uint32_t minor)
{
	struct vres_claim *c = &W.claims[k];

	memset(c, 0, sizeof(*c));
	snprintf(c->resource, sizeof(c->resource), "%s", res);
	snprintf(c->vm_name, sizeof(c->vm_name), "%s", vm);
	snprintf(c->vm_uuid, sizeof(c->vm_uuid), "1a2b3c4d-0000-4000-8000-00000000000%zu", k + 2);
	c->role = VPLAN_ROLE_DEST;
	c->port = port;
	c->n_minors = 1;
	c->minors[0] = minor;
	if (W.n_claims < k + 1)
		W.n_claims = k + 1;
}

/* Another move's claim of the plan's port on D: preflight and prepare
 * refuse naming that move, before anything changes; a program holding the
 * port is named too. */
static void port_of_another_move_refused_naming_it(void **state)
{
	struct vh_error e = { 0 };
	struct veng g;
	struct veng_result res;

	world_dest();
	claim(0, "vh-1a2b3c4d-00beef", "vm2", 7789, 300);
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "reserved by the move of VM vm2 (resource vh-1a2b3c4d-00beef"));
	assert_non_null(strstr(e.msg, "another move uses this port on hv2"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(veng_run(&g, VENG_PREPARE, 0, &res, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "another move uses this port on hv2"));
	assert_int_equal(W.nlog, 0);		/* nothing changed */
	assert_int_equal(W.saves, 0);		/* not even a journal */
	assert_int_equal(W.locks, 1);		/* prepare's checks ran under the host lock */
	assert_int_equal(W.unlocks, 1);

	world_dest();
	W.port_bound = true;
	W.holder = "program nc (pid 4242)";
	engine(&g, VPLAN_ROLE_DEST, NULL);
	memset(&e, 0, sizeof(e));
	assert_int_equal(veng_run(&g, VENG_PREFLIGHT, 0, &res, &e), -EADDRINUSE);
	assert_non_null(strstr(e.msg, "in use on this host by program nc (pid 4242)"));
	assert_int_equal(W.nlog, 0);
}

/* S: a minor another move claims (a plan made without the claims) is
 * refused at prepare, before anything changes. */
static void source_minor_claimed_refused_before_any_change(void **state)
{
	struct vh_error e = { 0 };
	struct veng g;
	struct veng_result res;

	world_source();
	claim(0, "vh-1a2b3c4d-00beef", "vm2", 7800, 100);
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(veng_run(&g, VENG_PREPARE, 0, &res, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "DRBD minor 100 is reserved by the move of VM vm2"));
	assert_int_equal(W.nlog, 0);
	assert_int_equal(W.saves, 0);
}

/* The resource made by someone else between the checks and new-resource
 * (exclusive create): refused, and not claimed, so the abort that follows
 * never takes it down. */
static void resource_made_by_another_is_never_adopted(void **state)
{
	struct vh_error e = { 0 };
	struct veng g;
	struct veng_result res;
	size_t n;

	world_source();
	W.res_appears = true;
	engine(&g, VPLAN_ROLE_SOURCE, NULL);
	assert_int_equal(veng_run(&g, VENG_PREPARE, 0, &res, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "appeared on this host since the checks: not this move's"));
	assert_false(W.saved.res_created);
	assert_string_equal(W.saved.doing, "");
	W.res = true;		/* the other's */
	n = W.nlog;
	assert_int_equal(run(&g, VENG_ABORT, 0, &res), 0);
	for (size_t i = n; i < W.nlog; i++)
		assert_null(strstr(W.log[i], "down"));
	assert_true(W.res);
}

/* D: a minor is local to its host.  The plan's minor used by another
 * resource on D (or claimed by another move) is no refusal: D takes the
 * next free one, records it in its journal, and a new process uses it. */
static void dest_takes_its_own_minor(void **state)
{
	struct veng g, g2;
	struct veng_result res;
	struct veng_state st;
	size_t n;

	world_dest();
	W.foreign_minor = 100;
	claim(0, "vh-1a2b3c4d-00beef", "vm2", 7800, 101);
	engine(&g, VPLAN_ROLE_DEST, NULL);
	assert_int_equal(run(&g, VENG_PREFLIGHT, 0, &res), 0);
	assert_int_equal(run(&g, VENG_PREPARE, 0, &res), 0);
	assert_true(logged(0, "new_minor 102"));
	assert_false(logged(0, "new_minor 100"));
	assert_true(W.saved.disks[0].own_minor_set);
	assert_int_equal(W.saved.disks[0].own_minor, 102);
	assert_int_equal(P.disks[0].minor, 100);	/* the plan is as both hosts agreed */
	assert_int_equal(g.plan->disks[0].minor, 102);
	/* a new process, from the journal: minor 102, nothing to do */
	st = W.saved;
	n = W.nlog;
	engine(&g2, VPLAN_ROLE_DEST, &st);
	assert_int_equal(g2.plan->disks[0].minor, 102);
	assert_int_equal(run(&g2, VENG_PREPARE, 0, &res), 0);
	assert_int_equal(W.nlog, n);
}

/* Two moves' DRBDs met on one port: the peer failed the HMAC, DRBD went
 * StandAlone; wait-sync ends at once and names the likely cause. */
static void cross_connect_named_fast(void **state)
{
	struct vh_error e = { 0 };
	struct veng g;
	struct veng_result res;

	source_bridged(&g);
	W.net = false;		/* DRBD discarded the connection: StandAlone */
	assert_int_equal(veng_run(&g, VENG_WAIT_SYNC, 0, &res, &e), -ENOTCONN);
	assert_non_null(strstr(e.msg, "another move uses this port on hv2"));
	assert_non_null(strstr(e.msg, "Authentication of peer failed"));
}

/* ---- the system log's records (tools/oplog.c) against the engine's actions */

#define MAXLR 128

/* Each record written, and how many actions the engine had taken then. */
static struct {
	size_t n;
	size_t at[MAXLR];
	char line[MAXLR][1024];
} LR;

static void log_capture(int prio, const char *line, void *ud)
{
	(void)prio;
	(void)ud;
	assert_true(LR.n < MAXLR);
	LR.at[LR.n] = W.nlog;
	snprintf(LR.line[LR.n], sizeof(LR.line[0]), "%s", line);
	LR.n++;
}

/* (each event a millisecond later: an event delivered inside the switch
 * would show in its steps' times) */
static void log_event(const struct veng_event *ev, void *ud)
{
	W.clock += 1000000;
	oplog_event(ud, ev);
}

static size_t action_at(const char *prefix)
{
	for (size_t i = 0; i < W.nlog; i++)
		if (!strncmp(W.log[i], prefix, strlen(prefix)))
			return i;
	fail_msg("no action '%s'", prefix);
	return 0;
}

static size_t nrecords(const char *part)
{
	size_t n = 0;

	for (size_t i = 0; i < LR.n; i++)
		n += strstr(LR.line[i], part) != NULL;
	return n;
}

/* No record is written while the bridge swaps and connects, nor from the
 * migration's start to the end of the switch (and the undefine after it):
 * they all come at the phase's end, the switch's steps with them; after
 * libvirt's return and, behind the fence, inside its call (D's Finish). */
static void send_logs_nothing_inside_the_windows(void **state)
{
	static struct oplog lg;

	(void)state;
	for (int fenced = 0; fenced < 2; fenced++) {
		struct vrun_summary sum;
		struct veng g;
		size_t swap, connect, mig, undef;

		world_source();
		W.wait_resyncs = true;
		if (fenced) {
			W.qemu_exits = true;
			W.peer_events = true;
		}
		engine(&g, VPLAN_ROLE_SOURCE, NULL);
		oplog_init(&lg, true, "send", g.plan, VPLAN_ROLE_SOURCE, W.clock);
		lg.now_ns = fake_now;
		lg.write = log_capture;
		g.on_event = log_event;
		g.event_ud = &lg;
		LR.n = 0;
		assert_int_equal(send_run(&g, &sum, false), 0);
		oplog_summary(&lg, &sum, 0, 0, NULL);
		swap = action_at("dm_swap vg-vm1 onto-drbd");
		connect = action_at("connect vh-1a2b3c4d");
		mig = action_at("migrate");
		undef = action_at("undefine here");
		assert_true(swap < connect && connect < mig && mig < undef);
		if (getenv("OPLOG_DUMP"))
			for (size_t i = 0; i < LR.n; i++)
				print_message("  [%zu] %s\n", LR.at[i], LR.line[i]);
		for (size_t i = 0; i < LR.n; i++) {
			/* (at: the actions taken before the record was written) */
			if ((LR.at[i] > swap && LR.at[i] <= connect) ||
			    (LR.at[i] > mig && LR.at[i] <= undef) ||
			    (strstr(LR.line[i], " phase=bridge ") && LR.at[i] <= connect) ||
			    (strstr(LR.line[i], " phase=migrate ") && LR.at[i] <= undef))
				fail_msg("record written after %zu actions (%s), inside a window: %s",
					 LR.at[i], LR.at[i] ? W.log[LR.at[i] - 1] : "-", LR.line[i]);
			assert_non_null(strstr(LR.line[i], "resource=vh-1a2b3c4d vm=vm1 host=hv1 "
					       "role=source cmd=send "));
		}
		/* one record per phase, each step, the window, the switch */
		assert_int_equal(nrecords(" event=phase "), 6);
		assert_int_equal(nrecords(" event=summary "), 1);
		assert_int_equal(nrecords(" outcome=moved ok=1 exit=0 "), 1);
		assert_int_equal(nrecords("phase=bridge event=freeze "), 1);
		assert_int_equal(nrecords("phase=bridge event=step "), 2);
		assert_int_equal(nrecords("phase=migrate event=step "), fenced ? 6 : 4);
		assert_int_equal(nrecords(" step=\"disconnect vh-1a2b3c4d\" "), 1);
		assert_int_equal(nrecords(" step=resume ms="), 1);
		assert_int_equal(nrecords(" step=fence ms="), fenced);
		assert_int_equal(nrecords("phase=migrate event=gate "), !fenced);
		/* (the fake clock moves a millisecond per event delivered: none
		 * inside the switch, so its steps take 0 ms on it) */
		assert_int_equal(nrecords(fenced ? "gate=pass downtime_ms=7 switch_ms=0.000 early=1 "
					  "fenced=1 twin=0 switch_steps_ms=fence:0.000,check:0.000,"
					  "journal:0.000,disconnect:0.000,journal2:0.000,resume:0.000" :
					  "gate=pass downtime_ms=7 switch_ms=0.000 early=0 fenced=0 "
					  "twin=0 switch_steps_ms=check:0.000,journal:0.000,"
					  "disconnect:0.000,journal2:0.000,resume:0.000"), 1);
		assert_int_equal(nrecords(" fenced=1 "), fenced ? 2 : 0);	/* migrate, summary */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(port_of_another_move_refused_naming_it, journal_teardown),
		cmocka_unit_test_teardown(source_minor_claimed_refused_before_any_change, journal_teardown),
		cmocka_unit_test_teardown(resource_made_by_another_is_never_adopted, journal_teardown),
		cmocka_unit_test_teardown(dest_takes_its_own_minor, journal_teardown),
		cmocka_unit_test_teardown(cross_connect_named_fast, journal_teardown),
		cmocka_unit_test_teardown(prepare_s_then_again_does_nothing, journal_teardown),
		cmocka_unit_test_teardown(abort_refused_while_libvirts_job_runs_then_rerun_finishes, journal_teardown),
		cmocka_unit_test_teardown(abort_refused_while_a_copy_is_on_d_rerun_removes_it, journal_teardown),
		cmocka_unit_test_teardown(copy_on_d_that_ran_is_never_removed, journal_teardown),
		cmocka_unit_test_teardown(copy_on_d_kept_when_the_kernel_disagrees, journal_teardown),
		cmocka_unit_test_teardown(d_silent_after_a_migration, journal_teardown),
		cmocka_unit_test_teardown(failed_call_while_the_job_runs_keeps_migrating, journal_teardown),
		cmocka_unit_test_teardown(resume_after_the_gate_checks_s_again, journal_teardown),
		cmocka_unit_test_teardown(interrupt_after_the_resume_still_undefines_here, journal_teardown),
		cmocka_unit_test_teardown(release_undefines_what_a_killed_run_left, journal_teardown),
		cmocka_unit_test_teardown(autostart_is_off_while_the_vm_leaves, journal_teardown),
		cmocka_unit_test_teardown(restart_refused_where_the_vm_may_have_run_on_d, journal_teardown),
		cmocka_unit_test_teardown(own_disk_not_uptodate_refuses_abort_and_restart, journal_teardown),
		cmocka_unit_test_teardown(dest_abort_refused_while_its_lv_is_open, journal_teardown),
		cmocka_unit_test_teardown(gate_on_standalone_does_not_spin, journal_teardown),
		cmocka_unit_test_teardown(migrate_killed_anywhere_continues, journal_teardown),
		cmocka_unit_test_teardown(early_switch_on_qemu_exit, journal_teardown),
		cmocka_unit_test_teardown(fence_at_d_finish, journal_teardown),
		cmocka_unit_test_teardown(fence_needs_every_fact, journal_teardown),
		cmocka_unit_test_teardown(fence_twin_destroyed, journal_teardown),
		cmocka_unit_test_teardown(fence_resume_refused_lets_go, journal_teardown),
		cmocka_unit_test_teardown(fence_killed_then_vm_stays_here, journal_teardown),
		cmocka_unit_test_teardown(migrate_needs_ds_libvirt_first, journal_teardown),
		cmocka_unit_test_teardown(early_switch_needs_every_fact, journal_teardown),
		cmocka_unit_test_teardown(confirm_error_after_early_switch_is_no_failure, journal_teardown),
		cmocka_unit_test_teardown(early_switch_killed_anywhere_continues, journal_teardown),
		cmocka_unit_test_teardown(fence_killed_anywhere_continues, journal_teardown),
		cmocka_unit_test_teardown(early_switch_killed_rerun_waits_for_confirm, journal_teardown),
		cmocka_unit_test_teardown(another_vm_of_that_name_is_refused, journal_teardown),
		cmocka_unit_test_teardown(lv_of_the_moves_name_made_by_someone_else, journal_teardown),
		cmocka_unit_test_teardown(interrupted_prepare_continues, journal_teardown),
		cmocka_unit_test_teardown(bridge_before_connect_and_idempotent, journal_teardown),
		cmocka_unit_test_teardown(abort_after_bridge_swaps_back_first, journal_teardown),
		cmocka_unit_test_teardown(bridge_killed_anywhere_continues, journal_teardown),
		cmocka_unit_test_teardown(abort_after_a_bridge_killed_in_its_swap, journal_teardown),
		cmocka_unit_test_teardown(abort_on_dest_removes_only_its_own_lv, journal_teardown),
		cmocka_unit_test_teardown(dest_refuses_extent_that_cannot_give_exact_size, journal_teardown),
		cmocka_unit_test_teardown(dest_prepare_asks_lvm_once, journal_teardown),
		cmocka_unit_test_teardown(dest_refuses_port_in_use, journal_teardown),
		cmocka_unit_test_teardown(own_resource_on_port_not_refused, journal_teardown),
		cmocka_unit_test_teardown(gate_decision_table, journal_teardown),
		cmocka_unit_test_teardown(migrate_gate_pass_then_switch_over, journal_teardown),
		cmocka_unit_test_teardown(switchover_is_short_while_the_vm_is_paused, journal_teardown),
		cmocka_unit_test_teardown(resume_refused_fails_unless_the_vm_runs, journal_teardown),
		cmocka_unit_test_teardown(failed_disconnect_is_redone_before_resume, journal_teardown),
		cmocka_unit_test_teardown(gate_waits_for_resync_then_resumes, journal_teardown),
		cmocka_unit_test_teardown(gate_timeout_leaves_vm_paused, journal_teardown),
		cmocka_unit_test_teardown(source_checks_the_domain_against_the_plan, journal_teardown),
		cmocka_unit_test_teardown(source_asks_dest_before_the_sync, journal_teardown),
		cmocka_unit_test_teardown(restart_after_a_stopped_gate, journal_teardown),
		cmocka_unit_test_teardown(restart_refusals_change_nothing, journal_teardown),
		cmocka_unit_test_teardown(dest_wait_sync_wakes_on_libvirt_events, journal_teardown),
		cmocka_unit_test_teardown(dest_wait_sync_ends_when_the_vm_came, journal_teardown),
		cmocka_unit_test_teardown(wait_sync_connected_at_the_end_of_a_wait_is_no_stall,
					  journal_teardown),
		cmocka_unit_test_teardown(link_lost_during_migration_cancels_it, journal_teardown),
		cmocka_unit_test_teardown(overlap_migrates_during_the_sync, journal_teardown),
		cmocka_unit_test_teardown(overlap_starts_near_the_sync_end, journal_teardown),
		cmocka_unit_test_teardown(overlap_waits_for_the_connection, journal_teardown),
		cmocka_unit_test_teardown(overlap_link_lost_in_the_hold_cancels, journal_teardown),
		cmocka_unit_test_teardown(overlap_stalled_sync_cancels, journal_teardown),
		cmocka_unit_test_teardown(overlap_sync_bound_counts_from_the_wait, journal_teardown),
		cmocka_unit_test_teardown(send_overlaps_the_sync, journal_teardown),
		cmocka_unit_test_teardown(overlap_killed_anywhere_continues, journal_teardown),
		cmocka_unit_test_teardown(dest_overlap_waits_for_a_running_vm, journal_teardown),
		cmocka_unit_test_teardown(link_lost_during_migration_continues_when_planned,
					  journal_teardown),
		cmocka_unit_test_teardown(each_phase_in_a_new_process, journal_teardown),
		cmocka_unit_test_teardown(signal_stops_between_steps, journal_teardown),
		cmocka_unit_test_teardown(wait_sync_stall_and_progress, journal_teardown),
		cmocka_unit_test_teardown(wait_sync_no_connection, journal_teardown),
		cmocka_unit_test_teardown(lost_bridge_stops_migrate, journal_teardown),
		cmocka_unit_test_teardown(phases_of_the_other_role_refused, journal_teardown),
		cmocka_unit_test_teardown(state_kept_in_the_journal, journal_teardown),
		cmocka_unit_test_teardown(send_moves_in_one_run, journal_teardown),
		cmocka_unit_test_teardown(send_logs_nothing_inside_the_windows, journal_teardown),
		cmocka_unit_test_teardown(send_failed_migration_is_undone, journal_teardown),
		cmocka_unit_test_teardown(send_link_lost_during_migration_is_undone, journal_teardown),
		cmocka_unit_test_teardown(send_retries_a_migration_cancelled_for_a_lost_link,
					  journal_teardown),
		cmocka_unit_test_teardown(send_retry_ends_in_abort_when_the_link_stays_lost,
					  journal_teardown),
		cmocka_unit_test_teardown(send_gate_timeout_leaves_vm_paused_no_abort, journal_teardown),
		cmocka_unit_test_teardown(send_interrupted_is_undone_completely, journal_teardown),
		cmocka_unit_test_teardown(wait_sync_rides_out_a_lost_link, journal_teardown),
		cmocka_unit_test_teardown(receive_moves_in_one_run, journal_teardown),
		cmocka_unit_test_teardown(receive_wakes_on_libvirt_events, journal_teardown),
		cmocka_unit_test_teardown(receive_waits_anew_after_a_reconnect, journal_teardown),
		cmocka_unit_test_teardown(receive_gives_up_when_s_goes_and_vm_never_came, journal_teardown),
		cmocka_unit_test_teardown(receive_never_undoes_a_vm_that_is_here, journal_teardown),
		cmocka_unit_test_teardown(receive_undone_after_a_restart_on_s, journal_teardown),
		cmocka_unit_test_teardown(receive_waits_while_libvirt_does_not_answer, journal_teardown),
		cmocka_unit_test_teardown(receive_interrupted_before_the_vm_came_is_undone, journal_teardown),
		cmocka_unit_test_teardown(prepare_killed_anywhere_continues, journal_teardown),
		cmocka_unit_test_teardown(release_killed_anywhere_continues, journal_teardown),
		/* the LV's dm table (issue 19: 5, 6, 10a, 10b) */
		cmocka_unit_test_teardown(stateful_lv_tables_refused_before_anything, journal_teardown),
		cmocka_unit_test_teardown(changed_lv_table_refused_at_bridge_and_prepare,
					  journal_teardown),
		cmocka_unit_test_teardown(changed_copy_refused_before_the_swap_back, journal_teardown),
		cmocka_unit_test_teardown(empty_copy_left_by_a_kill_is_made_again, journal_teardown),
		cmocka_unit_test_teardown(failed_swap_records_what_the_kernel_says, journal_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, journal_teardown);
}
