/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The facts the switch stands on (S): the bridges still hold, S's QEMU is
 * gone (libvirt and the kernel), whether D's domain ran, libvirt's word once
 * its job has ended (settled); and the gate: D holds every write, waited
 * for up to timeouts.gate (docs/DESIGN.md, "The gate").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/engine_int.h"
#include "virt/virt.h"

int eng_check_bridges(struct veng *g, struct vh_error *e)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		const struct vplan_disk *d = &g->plan->disks[i];
		char lvname[256];
		bool ok = false;
		int r;

		eng_lv_dm(d, lvname, sizeof(lvname));
		if ((r = eng_maps_drbd(g, lvname, d->minor, &ok, e)) < 0)
			return r;
		if (!ok)
			return vh_err(e, -ESTALE, "%s no longer maps /dev/drbd%u (an LVM refresh or "
				      "reactivation puts an LV back on its extents): D misses writes; "
				      "run vmhop abort on both hosts", lvname, d->minor);
	}
	return 0;
}

/* 1 when something holds one of the VM's LVs open here (the kernel's open
 * count: a QEMU, whether libvirt knows of it or not), 0 when nothing does. */
int eng_lvs_open(struct veng *g, struct vh_error *e)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct vdm_info di;
		char lvname[256];
		int r;

		eng_lv_dm(&g->plan->disks[i], lvname, sizeof(lvname));
		r = g->ops->dm_info(g->ud, lvname, &di, e);
		if (r == -ENXIO)
			continue;
		if (r < 0)
			return vh_err_prefix(e, r, "%s", lvname);
		if (di.open_count > 0)
			return 1;
	}
	return 0;
}

/*
 * S's QEMU is gone: libvirt says the domain is shut off or undefined here,
 * and the kernel says nothing holds the VM's LVs open (a QEMU that libvirt
 * lost track of still would).  1 gone, 0 not, or an error: libvirt that
 * does not answer is no verdict, and never taken for "stopped".
 */
int eng_qemu_gone_here(struct veng *g, struct vh_error *e)
{
	int state = 0;
	int r = g->ops->vm_state(g->ud, VENG_HERE, g->plan->vm_name, &state, e);

	if (r < 0 && r != -ENOENT)
		return vh_err_prefix(e, r, "cannot tell whether VM %s still runs here",
				     g->plan->vm_name);
	if (r == 0 && state != VIR_DOMAIN_SHUTOFF)
		return 0;
	if ((r = eng_lvs_open(g, e)) < 0)
		return r;
	return !r;
}

/*
 * Does D's domain show that the VM ran there?  Running, or any state only a
 * running guest reaches, does; so do a pause or a stop whose reason only a
 * running guest gives (an I/O error, a watchdog, a shutdown, a crash).  The
 * pause an incoming migration leaves (libvirt reports VIR_MIGRATE_PAUSED's
 * as a "user" pause) and a destroy do only if vmhop began a resume there.
 */
bool eng_d_ran(const struct veng *g, const struct veng_vm *vm)
{
	bool resumed = g->st.resumed_on_d || !strncmp(g->st.doing, "resume ", 7) ||
		       (g->st.gate_passed && g->st.disconnected);

	switch (vm->state) {
	case VIR_DOMAIN_PAUSED:
		if (vm->reason == VIR_DOMAIN_PAUSED_MIGRATION || vm->reason == VIR_DOMAIN_PAUSED_USER ||
		    vm->reason == VIR_DOMAIN_PAUSED_UNKNOWN)
			return resumed;
		return true;
	case VIR_DOMAIN_SHUTOFF:
		if (vm->reason == VIR_DOMAIN_SHUTOFF_DESTROYED || vm->reason == VIR_DOMAIN_SHUTOFF_FAILED ||
		    vm->reason == VIR_DOMAIN_SHUTOFF_MIGRATED || vm->reason == VIR_DOMAIN_SHUTOFF_UNKNOWN)
			return resumed;
		return true;
	default:
		return true;
	}
}

const char *eng_vm_words(const struct veng_vm *vm, char *buf, size_t len)
{
	snprintf(buf, len, "%s (reason %d)%s", vvirt_state_name(vm->state), vm->reason,
		 vm->job ? ", a job running" : "");
	return buf;
}

/* One decision over every volume: PASS only if all pass. */
static int gate_once(struct veng *g, enum veng_gate *ret, uint32_t *ret_minor, struct vh_error *e)
{
	int r, stopped = eng_qemu_gone_here(g, e);

	if (stopped < 0)
		return stopped;

	*ret = VENG_GATE_PASS;
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct drbdnl_status s;
		enum veng_gate d;

		if ((r = g->ops->drbd_status(g->ud, g->plan->disks[i].minor, &s, e)) < 0)
			return r;
		d = veng_gate_decide(&s, stopped > 0);
		if (g->on_event && g->hold &&
		    g->n_held_gate < sizeof(g->held_gate) / sizeof(g->held_gate[0])) {
			g->held_gate[g->n_held_gate++] = s;
		} else if (g->on_event) {
			struct veng_event ev = { .what = "gate", .minor = s.minor, .st = &s };

			g->on_event(&ev, g->event_ud);
		}
		if (d != VENG_GATE_PASS) {
			*ret = d;
			*ret_minor = g->plan->disks[i].minor;
			return 0;
		}
	}
	return 0;
}

/* The gate, bounded by timeouts.gate.  0 and *ret PASS, or 0 and WAIT at the
 * deadline (state left), or an error. */
int eng_gate(struct veng *g, enum veng_gate *ret, struct vh_error *e)
{
	int64_t deadline = g->now_ns() + (int64_t)g->plan->timeouts.gate * 1000000000;
	uint32_t minor = 0;
	int r;

	if ((r = eng_check_bridges(g, e)) < 0)
		return r;
	for (;;) {
		int64_t left;

		if ((r = gate_once(g, ret, &minor, e)) < 0)
			return r;
		if (*ret == VENG_GATE_NOT_STOPPED)
			return vh_err(e, -EBUSY, "VM %s still runs on this host: no switchover",
				      g->plan->vm_name);
		if (*ret == VENG_GATE_PASS)
			return 0;
		left = deadline - g->now_ns();
		if (left <= 0)
			return 0;
		/* Event-driven: wake when DRBD reconnects and has resynced.  A
		 * wait: what the gate saw is said now, and its progress as it
		 * comes. */
		{
			struct sync_ctx c = { .g = g, .minor = minor };
			struct vh_error we = { 0 };

			eng_let_events_go(g);
			r = g->ops->drbd_wait(g->ud, minor, eng_pred_in_sync, NULL,
					      (int)(left / 1000000 > INT32_MAX ? INT32_MAX
						    : left / 1000000 + 1), eng_on_sync, &c, NULL, &we);
			/* StandAlone: nothing reconnects it, and its wait ends at
			 * once: final, never a loop. */
			if (r == -ENOTCONN) {
				*ret = VENG_GATE_WAIT;
				return 0;
			}
			if (r < 0 && r != -ETIMEDOUT && r != -ECONNRESET) {
				*e = we;
				return r;
			}
			eng_hold_events(g);
		}
	}
}

/*
 * After a gate that passed in an earlier run: nothing wrote since.  While
 * connected, the gate's DRBD part again; once disconnected, DRBD still
 * counts what is written here while alone: this host's disk UpToDate and
 * nothing out of sync means D has every write (it had them all at the gate).
 */
int eng_drbd_still_whole(struct veng *g, struct vh_error *e)
{
	for (size_t i = 0; i < g->plan->n_disks; i++) {
		struct drbdnl_status s;
		int r;

		if ((r = g->ops->drbd_status(g->ud, g->plan->disks[i].minor, &s, e)) < 0)
			return vh_err_prefix(e, r, "cannot check that %s still has every write",
					     g->plan->dest.host);
		if (s.disk == DRBDNL_D_UP_TO_DATE && s.bits_oos == 0 &&
		    (s.conn < DRBDNL_C_CONNECTED || s.pdsk == DRBDNL_D_UP_TO_DATE))
			continue;
		return vh_err(e, -ESTALE, "/dev/drbd%u is %s %s/%s with %llu KiB out of sync: "
			      "something wrote here since the gate passed, so %s lacks it; no "
			      "resume there", s.minor, drbdnl_conn_name(s.conn),
			      drbdnl_disk_name(s.disk), drbdnl_disk_name(s.pdsk),
			      (unsigned long long)s.bits_oos * 4, g->plan->dest.host);
	}
	return 0;
}

#define VENG_JOB_NAP_MS	500	/* how often a job that still runs is asked again */

/*
 * libvirt's word on the domain @w, waiting (bounded by timeouts.migrate)
 * while a job runs there: a migration that a killed vmhop started can go on
 * inside libvirtd without it.  -ENOENT when not defined there.
 */
int eng_settled(struct veng *g, enum veng_where w, struct veng_vm *ret, struct vh_error *e)
{
	int64_t deadline = g->now_ns() + (int64_t)g->plan->timeouts.migrate * 1000000000;
	const char *host = w == VENG_HERE ? "this host" : g->plan->dest.host;
	int r;

	for (;;) {
		r = g->ops->vm_info(g->ud, w, g->plan->vm_name, ret, e);
		if (r < 0)
			return r == -ENOENT ? r : vh_err_prefix(e, r, "VM %s on %s",
								 g->plan->vm_name, host);
		if (!ret->job)
			return 0;
		if (g->stop && *g->stop)
			return vh_err(e, -EINTR, "interrupted while libvirt's job of VM %s on %s "
				      "still runs", g->plan->vm_name, host);
		if (g->now_ns() >= deadline)
			return vh_err(e, -ETIMEDOUT, "libvirt's job of VM %s on %s still runs after "
				      "%u s", g->plan->vm_name, host, g->plan->timeouts.migrate);
		g->ops->nap(g->ud, VENG_JOB_NAP_MS);
	}
}
