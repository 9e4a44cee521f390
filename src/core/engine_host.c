/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real host behind struct veng_ops: src/lvm, src/meta, src/dm,
 * src/netlink and src/virt.  Each handle is opened on first use, so a phase
 * that needs no libvirt never connects to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/porthold.h"
#include "base/reach.h"
#include "core/engine.h"
#include "core/journal.h"
#include "core/reserve.h"
#include "meta/meta.h"
#include "virt/virt.h"

struct veng_real {
	const struct vplan *plan;
	struct vjournal *journal;
	char local_uri[256];
	uint64_t poll_ms;
	volatile sig_atomic_t *cancel;
	veng_event_fn on_event;
	void *event_ud;
	struct vlvm *lvm;
	struct vdm_ctl dm;
	bool dm_open;
	struct drbdnl *nl;
	struct vvirt_conn *virt[2];	/* VENG_HERE, VENG_PEER */
	/* The plan's VM on D, looked up (by UUID) once it exists there: the
	 * switch inside the VM's pause then asks D without a lookup. */
	struct vvirt_dom *peer_dom;
	/* vm_watch: libvirt's lifecycle events here, on a connection of their own */
	struct vvirt_conn *virt_ev;
	struct vvirt_watch *vwatch;
	/* during vm_migrate: the VM's events here (vm_resumed_here) */
	struct vvirt_watch *mig_here;
	bool mig_resumed;
	int host_lock;			/* the host lock's descriptor, -1 when not held */
};

int veng_real_open(const struct vplan *p, const struct veng_real_opts *o, struct veng_real **ret,
		   struct vh_error *e)
{
	struct veng_real *r = calloc(1, sizeof(*r));

	if (!r)
		return vh_err(e, -ENOMEM, "out of memory");
	r->plan = p;
	r->journal = o->journal;
	snprintf(r->local_uri, sizeof(r->local_uri), "%s",
		 o->local_uri ? o->local_uri : "qemu:///system");
	r->poll_ms = o->migrate_poll_ms ? o->migrate_poll_ms : 500;
	r->cancel = o->cancel;
	r->on_event = o->on_event;
	r->event_ud = o->event_ud;
	r->host_lock = -1;
	*ret = r;
	return 0;
}

void veng_real_close(struct veng_real *r)
{
	if (!r)
		return;
	if (r->host_lock >= 0)
		vjournal_host_unlock(r->host_lock);
	vvirt_watch_stop(r->vwatch);
	vvirt_close(r->virt_ev);
	vvirt_dom_free(r->peer_dom);
	vvirt_close(r->virt[0]);
	vvirt_close(r->virt[1]);
	drbdnl_close(r->nl);
	if (r->dm_open)
		vdm_close(&r->dm);
	if (r->lvm)
		vlvm_close(r->lvm);
	free(r);
}

static int lvm(struct veng_real *r, struct vh_error *e)
{
	return r->lvm ? 0 : vlvm_open(&r->lvm, e);
}

static int dm(struct veng_real *r, struct vh_error *e)
{
	int rc;

	if (r->dm_open)
		return 0;
	if ((rc = vdm_open(&r->dm, e)) < 0)
		return rc;
	r->dm_open = true;
	return 0;
}

static int nl(struct veng_real *r, struct vh_error *e)
{
	return r->nl ? 0 : drbdnl_open(&r->nl, e);
}

static int virt(struct veng_real *r, enum veng_where w, struct vh_error *e)
{
	if (r->virt[w])
		return 0;
	return vvirt_open(w == VENG_HERE ? r->local_uri : r->plan->migration.uri,
			  w == VENG_HERE ? VVIRT_OPEN_LOCAL : 0, &r->virt[w], e);
}

/* ---- LVM, meta-data ---------------------------------------------------- */

static int h_lv_info(void *ud, const char *vg, const char *lv, struct vlvm_lv_info *ret,
		     struct vh_error *e)
{
	struct veng_real *r = ud;
	int rc;

	return (rc = lvm(r, e)) < 0 ? rc : vlvm_lv_info(r->lvm, vg, lv, ret, e);
}

static int h_vg_info(void *ud, const char *vg, struct vlvm_vg_info *ret, struct vh_error *e)
{
	struct veng_real *r = ud;
	int rc;

	return (rc = lvm(r, e)) < 0 ? rc : vlvm_vg_info(r->lvm, vg, ret, e);
}

static int h_lv_create(void *ud, const char *vg, const char *lv, uint64_t bytes,
		       uint64_t extent_size, uint64_t *ret_size, struct vh_error *e)
{
	struct veng_real *r = ud;
	char tag[VNAME_RESOURCE_MAX + 16];
	int rc;

	vname_lv_tag(r->plan->resource, tag, sizeof(tag));
	return (rc = lvm(r, e)) < 0 ? rc : vlvm_lvcreate_tagged(r->lvm, vg, lv, bytes, extent_size,
								 tag, ret_size, e);
}

static int h_lv_remove(void *ud, const char *vg, const char *lv, struct vh_error *e)
{
	struct veng_real *r = ud;
	int rc;

	return (rc = lvm(r, e)) < 0 ? rc : vlvm_lv_remove(r->lvm, vg, lv, e);
}

static int h_md_create(void *ud, const char *path, uint64_t backing_bytes, struct vh_error *e)
{
	struct vmeta_create_opts o = { .index = VMETA_INDEX_FLEX, .force = true,
				       .backing_bytes = backing_bytes };

	(void)ud;
	return vmeta_create(path, &o, NULL, e);
}

/* ---- device-mapper ----------------------------------------------------- */

static int h_dm_table(void *ud, const char *name, struct vdm_table *ret, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_table_get(&r->dm, &ref, false, ret, e);
}

static int h_dm_create(void *ud, const char *name, const char *uuid_suffix,
		       const struct vdm_table *t, struct vh_error *e)
{
	struct veng_real *r = ud;
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_create(&r->dm, name, uuid_suffix, t, 0, NULL, e);
}

static int h_dm_remove(void *ud, const char *name, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_remove(&r->dm, &ref, 0, e);
}

static int h_dm_swap(void *ud, const char *name, const struct vdm_table *t, int64_t *ret_ns,
		     struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	struct vdm_swap_result sr = { 0 };
	int rc;

	if ((rc = dm(r, e)) < 0)
		return rc;
	rc = vdm_swap(&r->dm, &ref, t, VDM_SWAP_RESUME, 0, &sr, e);
	*ret_ns = sr.window_ns;
	return rc;
}

static int h_dm_inactive(void *ud, const char *name, struct vdm_table *ret, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_table_get(&r->dm, &ref, true, ret, e);
}

static int h_dm_clear(void *ud, const char *name, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_clear(&r->dm, &ref, e);
}

/* Held: every request in flight completes first (no VDM_NOFLUSH); no
 * filesystem on the LV to freeze. */
static int h_dm_suspend(void *ud, const char *name, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_suspend(&r->dm, &ref, VDM_SKIP_LOCKFS, e);
}

static int h_dm_resume(void *ud, const char *name, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_resume(&r->dm, &ref, 0, e);
}

static int h_dm_info(void *ud, const char *name, struct vdm_info *ret, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vdm_ref ref = { .key = VDM_BY_NAME, .str = name };
	int rc;

	return (rc = dm(r, e)) < 0 ? rc : vdm_info(&r->dm, &ref, ret, e);
}

/* ---- DRBD -------------------------------------------------------------- */

#define NL(call) do {					\
		struct veng_real *r_ = ud;			\
		int rc_ = nl(r_, e);				\
								\
		return rc_ < 0 ? rc_ : (call);			\
	} while (0)

static int h_drbd_status(void *ud, uint32_t minor, struct drbdnl_status *ret, struct vh_error *e)
{
	NL(drbdnl_get_status(r_->nl, minor, ret, e));
}

static int h_drbd_res_exists(void *ud, const char *res, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = nl(r, e)) < 0)
		return rc;
	rc = drbdnl_get_status_all(r->nl, res, &v, &n, e);
	free(v);
	if (rc == -ENOENT || rc == -ENXIO)
		return 0;
	return rc < 0 ? rc : n > 0;
}

static int h_drbd_port_use(void *ud, uint16_t port, const char *own, bool *ret_own,
			   char *ret_other, size_t len, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct drbdnl_status *v = NULL;
	size_t n = 0;
	int rc;

	*ret_own = false;
	if ((rc = nl(r, e)) < 0)
		return rc;
	rc = drbdnl_get_status_all(r->nl, NULL, &v, &n, e);
	if (rc == -ENOENT || rc == -ENXIO)
		rc = 0, n = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (vplan_addr_port(&v[i].my_addr) != port)
			continue;
		if (!strcmp(v[i].resource, own)) {
			*ret_own = true;
			continue;
		}
		snprintf(ret_other, len, "%s", v[i].resource);
		rc = 1;
	}
	free(v);
	return rc;
}

static int h_port_free(void *ud, const char *addr, int family, uint16_t port, struct vh_error *e)
{
	(void)ud;
	return vplan_port_free(addr, family, port, e);
}

static int h_new_resource(void *ud, const char *res, struct vh_error *e)
{
	NL(drbdnl_new_resource_excl(r_->nl, res, NULL, e));
}

static int h_new_minor(void *ud, const char *res, uint32_t minor, uint32_t vol, struct vh_error *e)
{
	NL(drbdnl_new_minor_excl(r_->nl, res, minor, vol, e));
}

static int h_attach(void *ud, uint32_t minor, const struct drbdnl_conf *dc, struct vh_error *e)
{
	NL(drbdnl_attach(r_->nl, minor, dc, e));
}

static int h_primary(void *ud, uint32_t minor, struct vh_error *e)
{
	NL(drbdnl_primary(r_->nl, minor, true, e));
}

static int h_connect(void *ud, const char *res, const struct drbdnl_addr *l,
		     const struct drbdnl_addr *p, const struct drbdnl_conf *nc, struct vh_error *e)
{
	NL(drbdnl_connect(r_->nl, res, l, p, nc, e));
}

static int h_disconnect(void *ud, const struct drbdnl_addr *l, const struct drbdnl_addr *p,
			bool force, struct vh_error *e)
{
	NL(drbdnl_disconnect(r_->nl, l, p, force, e));
}

static int h_down(void *ud, const char *res, struct vh_error *e)
{
	NL(drbdnl_down(r_->nl, res, e));
}

/* In slices of at most WAIT_SLICE_MS, so that SIGINT/SIGTERM (r->cancel)
 * ends the wait within that: drbdnl_wait joins the event group before it
 * reads the state, so nothing is missed between two slices. */
#define WAIT_SLICE_MS 500

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int h_wait(void *ud, uint32_t minor, drbdnl_pred_fn pred, void *pred_arg, int timeout_ms,
		  drbdnl_progress_fn progress, void *arg, struct drbdnl_status *ret_st,
		  struct vh_error *e)
{
	struct veng_real *r = ud;
	int64_t deadline = mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	int rc;

	if ((rc = nl(r, e)) < 0)
		return rc;
	if (!r->cancel)
		return drbdnl_wait(r->nl, minor, pred, pred_arg, timeout_ms, progress, arg, ret_st, e);
	for (;;) {
		int64_t left = timeout_ms < 0 ? WAIT_SLICE_MS : deadline - mono_ms();
		int slice = left > WAIT_SLICE_MS ? WAIT_SLICE_MS : left < 0 ? 0 : (int)left;

		if (*r->cancel)
			return vh_err(e, -EINTR, "interrupted (signal) while waiting for /dev/drbd%u",
				      minor);
		rc = drbdnl_wait(r->nl, minor, pred, pred_arg, slice, progress, arg, ret_st, e);
		if (rc != -ETIMEDOUT || (timeout_ms >= 0 && mono_ms() >= deadline))
			return rc;
	}
}

/* ---- the usermode helper (src/netlink/helper.c's policy) --------------- */

static int h_helper_take(void *ud, const char *res, bool *ret_changed, char *ret_original,
			 size_t len, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct drbdnl_helper hi;
	int rc;

	if ((rc = nl(r, e)) < 0 ||
	    (rc = drbdnl_helper_take(r->nl, NULL, res, DRBDNL_HELPER_AUTO, &hi, e)) < 0)
		return rc;
	*ret_changed = rc > 0;
	snprintf(ret_original, len, "%s", hi.overridden ? hi.saved : hi.current);
	return 0;
}

static int h_helper_release(void *ud, const char *res, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct drbdnl_helper hi;
	int rc;

	/* The policy puts the original back when no hold of vmhop's is left. */
	if ((rc = nl(r, e)) < 0 || (rc = drbdnl_helper_release(r->nl, NULL, res, &hi, e)) < 0)
		return rc;
	return 0;
}

static int h_helper_inspect(void *ud, struct drbdnl_helper *ret, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vh_error ne = { 0 };

	/* Without netlink (no module) the parameter says so itself; the list of
	 * resources vmhop does not hold is then left empty. */
	return drbdnl_helper_inspect(nl(r, &ne) < 0 ? NULL : r->nl, NULL, ret, e);
}

static int h_drbd_sync_rate(void *ud, uint32_t minor, struct drbdnl_proc_sync *ret,
			    struct vh_error *e)
{
	(void)ud;
	return drbdnl_proc_sync(NULL, minor, ret, e);
}

static int h_flush(void *ud, const char *path, struct vh_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	(void)ud;
	if (fd < 0)
		return vh_err(e, -errno, "cannot open %s: %s", path, strerror(errno));
	if (ioctl(fd, BLKFLSBUF, 0) < 0)
		rc = vh_err(e, -errno, "BLKFLSBUF on %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

/* ---- libvirt ----------------------------------------------------------- */

/*
 * The move's domain there, by the plan's UUID (a name can be reused: another
 * VM of that name is not this one).  No domain with the UUID, but one of the
 * plan's name: -EEXIST, never taken for the VM.
 */
static int lookup(struct veng_real *r, enum veng_where w, const char *name, struct vvirt_dom **ret,
		  struct vh_error *e)
{
	const char *uuid = r->plan->vm_uuid;
	struct vvirt_dom *other = NULL;
	int rc;

	if ((rc = virt(r, w, e)) < 0)
		return rc;
	if (!uuid[0] || strcmp(name, r->plan->vm_name))
		return vvirt_lookup(r->virt[w], name, ret, e);
	if (w == VENG_PEER && r->peer_dom) {
		*ret = r->peer_dom;
		return 0;
	}
	rc = vvirt_lookup_uuid(r->virt[w], uuid, ret, e);
	if (rc == 0 && w == VENG_PEER)
		r->peer_dom = *ret;
	if (rc != -ENOENT)
		return rc;
	if (vvirt_lookup(r->virt[w], name, &other, NULL) == 0) {
		vvirt_dom_free(other);
		return vh_err(e, -EEXIST, "a domain named %s exists on %s, but not the plan's "
			      "(UUID %s): another VM", name, w == VENG_HERE ? "this host" :
			      r->plan->dest.host, uuid);
	}
	return rc;
}

/* D's domain looked up again next time. */
static void forget_peer_dom(struct veng_real *r)
{
	vvirt_dom_free(r->peer_dom);
	r->peer_dom = NULL;
}

/* A domain from lookup() given back: the cached one of D is kept unless
 * the call failed (the domain may be gone: looked up again next time). */
static void put(struct veng_real *r, enum veng_where w, struct vvirt_dom *d, int rc)
{
	if (d && d == r->peer_dom) {
		if (rc < 0)
			forget_peer_dom(r);
		return;
	}
	vvirt_dom_free(d);
}

/* Perhaps libvirtd went away: connect again next time, so that a wait
 * outlives a restarted libvirtd. */
static void forget_conn(struct veng_real *r, enum veng_where w, int rc)
{
	if (rc < 0 && w == VENG_PEER)
		forget_peer_dom(r);
	if (rc < 0 && rc != -ENOENT && rc != -EEXIST) {
		vvirt_close(r->virt[w]);
		r->virt[w] = NULL;
	}
}

static int h_vm_state(void *ud, enum veng_where w, const char *name, int *ret_state,
		      struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc, reason;

	if ((rc = lookup(r, w, name, &d, e)) == 0) {
		rc = vvirt_state(d, ret_state, &reason, e);
		put(r, w, d, rc);
	}
	forget_conn(r, w, rc);
	return rc;
}

/*
 * Does a job of the domain run?  Asked of an active domain only (libvirt
 * refuses the question for an inactive one, which has none).  libvirt 9
 * answers an incoming migration's job with "available only on the source
 * host" (OPERATION_UNSUPPORTED), and a job query it cannot start within its
 * state-change timeout with OPERATION_TIMEOUT: both mean something runs.
 */
static int job_runs(struct vvirt_dom *d, bool *ret, struct vh_error *e)
{
	struct vvirt_progress job = { 0 };
	struct vh_error je = { 0 };
	int rc = vvirt_job(d, false, &job, &je);

	if (rc == -EOPNOTSUPP || rc == -ETIMEDOUT) {
		*ret = true;
		return 0;
	}
	if (rc < 0) {
		if (e)
			*e = je;
		return rc;
	}
	*ret = job.type != VIR_DOMAIN_JOB_NONE;
	return 0;
}

static int h_vm_info(void *ud, enum veng_where w, const char *name, struct veng_vm *ret,
		     struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc;

	*ret = (struct veng_vm){ 0 };
	if ((rc = lookup(r, w, name, &d, e)) == 0 && w == VENG_PEER) {
		/* D (asked inside the switch): two questions, the job, then the
		 * state that goes with it; a domain that is not running (libvirt
		 * says "operation invalid") has no job. */
		bool invalid = (rc = job_runs(d, &ret->job, e)) == -EINVAL;

		if (invalid)
			rc = 0;
		if (rc == 0 && (rc = vvirt_state(d, &ret->state, &ret->reason, e)) == 0) {
			if (ret->state == VIR_DOMAIN_SHUTOFF)
				ret->job = false;
			else if (invalid)
				ret->job = true;	/* refused while active: not "no job" */
		}
		put(r, w, d, rc);
	} else if (rc == 0) {
		/* (autostart matters here only: S's definition) */
		if ((rc = vvirt_state(d, &ret->state, &ret->reason, e)) == 0 &&
		    (rc = vvirt_autostart(d, &ret->autostart, e)) == 0 &&
		    ret->state != VIR_DOMAIN_SHUTOFF) {
			/* The job's question can wait 30 s for libvirt's lock, and
			 * a job that ends meanwhile changes the state: the state
			 * that goes with the answer is the one read after it.  A
			 * migration that ended (S's QEMU gone) while the question
			 * waited: libvirt refuses it ("domain is not running"),
			 * which is no error: the state read after says so. */
			bool invalid = (rc = job_runs(d, &ret->job, e)) == -EINVAL;

			if (invalid)
				rc = 0;
			if (rc == 0 && (invalid || !ret->job) &&
			    (rc = vvirt_state(d, &ret->state, &ret->reason, e)) == 0 && invalid)
				/* refused while active: not "no job" (asked again) */
				ret->job = ret->state != VIR_DOMAIN_SHUTOFF;
		}
		put(r, w, d, rc);
	}
	forget_conn(r, w, rc);
	return rc;
}

static int h_vm_autostart(void *ud, enum veng_where w, const char *name, bool on,
			  struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc;

	if ((rc = lookup(r, w, name, &d, e)) < 0)
		return rc;
	rc = vvirt_set_autostart(d, on, e);
	put(r, w, d, rc);
	return rc;
}

/* A nap that a signal ends early (the caller looks at its stop flag). */
static void h_nap(void *ud, int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	(void)ud;
	(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static int on_migrate_progress(const struct vvirt_progress *p, void *ud)
{
	struct veng_real *r = ud;
	struct veng_event ev = { .what = "migrate", .migration = p };

	r->on_event(&ev, r->event_ud);
	return 0;
}

/* The engine's watch, woken at once by DRBD's events (the event socket in
 * libvirt's poll loop): what woke it is dropped, the watch asks for the state. */
struct host_watch {
	struct veng_real *r;
	veng_watch_fn watch;
	void *ud;
};

static int host_watch(void *ud)
{
	struct host_watch *hw = ud;

	drbdnl_events_drop(hw->r->nl);
	return hw->watch(hw->ud);
}

/* D's lifecycle events of the VM, each handed to the engine's hook. */
struct peer_watch {
	struct vvirt_watch *w;
	const struct veng_mig_hooks *h;
};

static void host_peer(void *ud)
{
	struct peer_watch *pw = ud;
	struct vvirt_event ev;

	while (vvirt_watch_take(pw->w, &ev) == 1)
		pw->h->peer(pw->h->ud, ev.event);
}

/*
 * A connection to libvirt at @uri for its events of the VM, opened before
 * the migration: D's Finish is then seen as it happens (an event), not
 * asked for, and so is a resume here.  Without one (libvirt refuses), no
 * harm: the switch asks.
 */
static void peer_watch_open(const char *uri, const struct vplan *p, struct vvirt_conn **conn,
			    struct vvirt_watch **w)
{
	struct vh_error pe = { 0 };

	if (vvirt_open(uri, VVIRT_OPEN_EVENTS, conn, &pe) < 0 ||
	    vvirt_watch_start(*conn, p->vm_name, w, &pe) < 0) {
		vh_trace("engine", "no events of %s from %s: %s", p->vm_name, uri, pe.msg);
		vvirt_close(*conn);
		*conn = NULL;
		*w = NULL;
	}
}

static int h_vm_resumed_here(void *ud)
{
	struct veng_real *r = ud;
	struct vvirt_event ev;

	if (!r->mig_here)
		return -ENOENT;
	while (vvirt_watch_take(r->mig_here, &ev) == 1)
		if (ev.event == VIR_DOMAIN_EVENT_RESUMED || ev.event == VIR_DOMAIN_EVENT_STARTED)
			r->mig_resumed = true;
	return r->mig_resumed;
}

static int h_vm_migrate(void *ud, const struct vplan *p, const struct veng_mig_hooks *h,
			uint64_t *ret_downtime, struct vh_error *e)
{
	struct vvirt_conn *pconn = NULL, *hconn = NULL;
	struct peer_watch pw = { .h = h };
	int pfd = -1;
	struct veng_real *r = ud;
	veng_watch_fn watch = h ? h->watch : NULL;
	void *watch_ud = h ? h->ud : NULL;
	int pidfd = -1;
	struct vvirt_migrate_opts o = {
		.dest_uri = p->migration.uri, .p2p = true,
		.tunnelled = p->migration.tunnelled,
		.persist_dest = true, .undefine_source = false, .paused = true,
		.max_downtime_ms = p->migration.max_downtime_ms,
		.bandwidth_mib = p->migration.bandwidth_mib, .poll_ms = (unsigned)r->poll_ms,
		.timeout_ms = (uint64_t)p->timeouts.migrate * 1000, .cancel = r->cancel,
		.watch = watch, .watch_ud = watch_ud,
		.auto_converge = p->migration.auto_converge, .parallel = p->migration.parallel,
		.compression = p->migration.compression[0] ? p->migration.compression : NULL,
		.migrate_uri = p->migration.migrate_uri[0] ? p->migration.migrate_uri : NULL,
	};
	struct vvirt_migrate_result mr = { 0 };
	struct host_watch hw = { .r = r, .watch = watch, .ud = watch_ud };
	struct vvirt_dom *d = NULL;
	int rc, fd;

	/* The completion policy: converge in vvirt_migrate's loop; abort is
	 * its time limit, the sooner of the two. */
	if (p->migration.completion == VPLAN_COMPLETION_CONVERGE)
		o.converge_after_ms = (uint64_t)p->migration.completion_after_s * 1000;
	if (p->migration.completion == VPLAN_COMPLETION_ABORT &&
	    p->migration.completion_after_s < p->timeouts.migrate)
		o.timeout_ms = (uint64_t)p->migration.completion_after_s * 1000;
	if (h && h->synced && !*h->synced) {
		o.hold_mib = VPLAN_HOLD_MIB;
		o.release = h->synced;
	}
	if (r->on_event) {
		o.progress = on_migrate_progress;
		o.progress_ud = r;
	}
	/* Without an event socket, the watch still runs every poll_ms. */
	if (watch && nl(r, NULL) == 0 && (fd = drbdnl_events_fd(r->nl, NULL)) >= 0) {
		o.watch = host_watch;
		o.watch_ud = &hw;
		o.watch_fd = &fd;
	}
	if ((rc = lookup(r, VENG_HERE, p->vm_name, &d, e)) < 0)
		return rc;
	/* S's QEMU as a process, before the migration begins: its exit, seen
	 * at once, lets the engine switch over while libvirt still confirms.
	 * Only the system driver's pid file is known; without it, no early
	 * switch (the switch then follows libvirt's return). */
	if (h && h->gone && !strcmp(r->local_uri, "qemu:///system")) {
		struct vh_error pe = { 0 };

		if (vvirt_qemu_pidfd(NULL, p->vm_name, &pidfd, &pe) == 0) {
			o.gone_fd = &pidfd;
			o.gone = h->gone;
			o.gone_ud = h->ud;
			if (h->peer)
				peer_watch_open(p->migration.uri, p, &pconn, &pw.w);
			/* the VM's events here too, for the fence's switch */
			if (pw.w)
				peer_watch_open(r->local_uri, p, &hconn, &r->mig_here);
			r->mig_resumed = false;
			if (pw.w) {
				pfd = vvirt_watch_fd(pw.w);
				o.peer_fd = &pfd;
				o.peer = host_peer;
				o.peer_ud = &pw;
			}
		} else {
			vh_trace("engine", "no early switch: %s", pe.msg);
		}
	}
	rc = vvirt_migrate(d, &o, &mr, e);
	vvirt_watch_stop(pw.w);
	vvirt_close(pconn);
	vvirt_watch_stop(r->mig_here);
	r->mig_here = NULL;
	vvirt_close(hconn);
	if (pidfd >= 0)
		close(pidfd);
	vvirt_dom_free(d);
	*ret_downtime = mr.have_stats && mr.last.have_downtime ? mr.last.downtime_ms : 0;
	return rc;
}

/*
 * libvirt's lifecycle events of VM @name here wake the DRBD waits (-EAGAIN):
 * a connection opened for events (the event loop is registered first), a
 * watch, its eventfd as the netlink handle's wake descriptor.  @name NULL:
 * stop.
 */
static int h_vm_watch(void *ud, const char *name, struct vh_error *e)
{
	struct veng_real *r = ud;
	int rc;

	if (!name) {
		if (r->nl)
			drbdnl_set_wake_fd(r->nl, -1);
		vvirt_watch_stop(r->vwatch);
		r->vwatch = NULL;
		vvirt_close(r->virt_ev);
		r->virt_ev = NULL;
		return 0;
	}
	if ((rc = nl(r, e)) < 0)
		return rc;
	if (!r->virt_ev && (rc = vvirt_open(r->local_uri, VVIRT_OPEN_EVENTS | VVIRT_OPEN_LOCAL,
					    &r->virt_ev, e)) < 0)
		return rc;
	if (!r->vwatch && (rc = vvirt_watch_start(r->virt_ev, name, &r->vwatch, e)) < 0)
		return rc;
	drbdnl_set_wake_fd(r->nl, vvirt_watch_fd(r->vwatch));
	return 0;
}

static void h_vm_watch_clear(void *ud)
{
	struct veng_real *r = ud;

	if (r->vwatch)
		vvirt_watch_clear(r->vwatch);
}

static int h_vm_resume(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc;

	if ((rc = lookup(r, w, name, &d, e)) < 0)
		return rc;
	rc = vvirt_resume(d, NULL, e);
	put(r, w, d, rc);
	return rc;
}

static int h_vm_mig_limits(void *ud, const char *name, uint64_t mib, uint64_t downtime_ms,
			   struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc;

	if ((rc = lookup(r, VENG_HERE, name, &d, e)) < 0)
		return rc;
	rc = vvirt_set_max_speed(d, mib ? mib : (uint64_t)(INT64_MAX >> 20), e);
	if (rc == 0)
		rc = vvirt_set_max_downtime(d, downtime_ms ? downtime_ms :
					    VVIRT_DEFAULT_DOWNTIME_MS, e);
	put(r, VENG_HERE, d, rc);
	return rc;
}

static int h_vm_prefetch(void *ud, enum veng_where w, const char *name)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc = lookup(r, w, name, &d, NULL);

	if (rc == 0)
		put(r, w, d, 0);
	return rc;
}

/* @fn on the domain @name there: the lookup, the call, the domain freed. */
static int on_dom(struct veng_real *r, enum veng_where w, const char *name,
		  int (*fn)(struct vvirt_dom *, struct vh_error *), struct vh_error *e)
{
	struct vvirt_dom *d = NULL;
	int rc;

	if ((rc = lookup(r, w, name, &d, e)) < 0)
		return rc;
	rc = fn(d, e);
	/* (undefine, destroy: D's domain looked up afresh afterwards) */
	put(r, w, d, -1);
	return rc;
}

static int h_vm_undefine(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	return on_dom(ud, w, name, vvirt_undefine, e);
}

static int h_vm_xml(void *ud, enum veng_where w, const char *name, char **ret,
		    struct vh_error *e)
{
	struct veng_real *r = ud;
	struct vvirt_dom *d = NULL;
	int rc;

	if ((rc = lookup(r, w, name, &d, e)) < 0)
		return rc;
	rc = vvirt_xml(d, ret, e);
	put(r, w, d, rc);
	return rc;
}

static int h_vm_destroy(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	return on_dom(ud, w, name, vvirt_destroy, e);
}

static int h_vm_start(void *ud, enum veng_where w, const char *name, struct vh_error *e)
{
	return on_dom(ud, w, name, vvirt_start, e);
}

static int h_save(void *ud, const struct veng_state *st, struct vh_error *e)
{
	struct veng_real *r = ud;

	return veng_journal_save(r->journal, st, e);
}

/* The state directory: the journal's. */
static int state_dir(struct veng_real *r, char *buf, size_t len, struct vh_error *e)
{
	const char *path = r->journal ? vjournal_path(r->journal) : NULL;
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (!slash)
		return vh_err(e, -EINVAL, "no journal: the state directory is unknown");
	snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return 0;
}

static int h_claims(void *ud, struct vres_claim **ret, size_t *ret_n, struct vh_error *e)
{
	struct veng_real *r = ud;
	char dir[4096];
	int rc;

	if ((rc = state_dir(r, dir, sizeof(dir), e)) < 0)
		return rc;
	return vres_collect(dir, ret, ret_n, e);
}

#define HOST_LOCK_MS	120000	/* a prepare's checks and claim take a second or two */

static int h_host_lock(void *ud, bool take, struct vh_error *e)
{
	struct veng_real *r = ud;
	char dir[4096];
	int fd;

	if (!take) {
		if (r->host_lock >= 0)
			vjournal_host_unlock(r->host_lock);
		r->host_lock = -1;
		return 0;
	}
	if (r->host_lock >= 0)
		return 0;
	if ((fd = state_dir(r, dir, sizeof(dir), e)) < 0)
		return fd;
	if ((fd = vjournal_host_lock(dir, HOST_LOCK_MS, e)) < 0)
		return fd;
	r->host_lock = fd;
	return 0;
}

static int h_port_holder(void *ud, uint16_t port, char *buf, size_t len)
{
	(void)ud;
	return vport_holder(NULL, port, buf, len);
}

static int h_net_state(void *ud, enum veng_where w, int kind, const char *name,
		       struct vh_error *e)
{
	struct veng_real *r = ud;
	int rc;

	if ((rc = virt(r, w, e)) < 0)
		return rc;
	rc = vvirt_net_state(r->virt[w], (enum vvirt_net_kind)kind, name, e);
	forget_conn(r, w, rc == -ENETDOWN ? 0 : rc);
	return rc;
}

static void h_peer_close(void *ud)
{
	struct veng_real *r = ud;

	forget_peer_dom(r);
	vvirt_close(r->virt[VENG_PEER]);
	r->virt[VENG_PEER] = NULL;
}

static int h_tcp_reach(void *ud, const char *host, uint16_t port, int timeout_ms,
		       struct vh_error *e)
{
	(void)ud;
	return vreach_tcp(host, port, timeout_ms, e);
}

const struct veng_ops veng_real_ops = {
	.lv_info = h_lv_info, .vg_info = h_vg_info, .lv_create = h_lv_create,
	.lv_remove = h_lv_remove, .md_create = h_md_create,
	.dm_table = h_dm_table, .dm_create = h_dm_create, .dm_remove = h_dm_remove,
	.dm_swap = h_dm_swap,
	.dm_inactive = h_dm_inactive,
	.dm_clear = h_dm_clear, .dm_info = h_dm_info,
	.dm_suspend = h_dm_suspend, .dm_resume = h_dm_resume,
	.drbd_status = h_drbd_status, .drbd_res_exists = h_drbd_res_exists,
	.drbd_port_use = h_drbd_port_use, .port_free = h_port_free,
	.drbd_new_resource = h_new_resource, .drbd_new_minor = h_new_minor,
	.drbd_attach = h_attach, .drbd_primary_force = h_primary, .drbd_connect = h_connect,
	.drbd_disconnect = h_disconnect, .drbd_down = h_down, .drbd_wait = h_wait,
	.helper_take = h_helper_take, .helper_release = h_helper_release,
	.helper_inspect = h_helper_inspect, .drbd_sync_rate = h_drbd_sync_rate,
	.flush_buffers = h_flush,
	.vm_state = h_vm_state, .vm_info = h_vm_info, .vm_autostart = h_vm_autostart,
	.nap = h_nap, .vm_migrate = h_vm_migrate, .vm_resume = h_vm_resume,
	.vm_mig_limits = h_vm_mig_limits,
	.vm_prefetch = h_vm_prefetch, .vm_resumed_here = h_vm_resumed_here,
	.vm_watch = h_vm_watch, .vm_watch_clear = h_vm_watch_clear,
	.vm_undefine = h_vm_undefine, .vm_xml = h_vm_xml, .vm_destroy = h_vm_destroy, .vm_start = h_vm_start,
	.net_state = h_net_state, .tcp_reach = h_tcp_reach, .peer_close = h_peer_close,
	.save = h_save,
	.claims = h_claims, .host_lock = h_host_lock, .port_holder = h_port_holder,
};
