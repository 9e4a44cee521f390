/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The switch (S), once the gate passed: DRBD disconnected (--force), the VM
 * resumed on D, its definition here removed (docs/DESIGN.md, "The switch").
 * From the gate to the resume the VM is paused on D and the step events are
 * held (struct veng.hold).
 */
#include <errno.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "core/engine_int.h"

/*
 * S, once the VM runs on D: its definition here goes, with what would make
 * libvirt refuse (NVRAM, managed save, snapshot and checkpoint metadata),
 * so that nothing starts the old VM here again.  Only "no such domain" is
 * taken for undefined; the domain must be shut off here (never undefine a
 * running VM here: that would be the VM running on both hosts).
 */
int eng_undefine_here(struct veng *g, struct veng_result *res, struct vh_error *e)
{
	const struct vplan *p = g->plan;
	struct veng_vm vm;
	char w[96];
	int r;

	if (g->st.undefined_on_s)
		return 0;
	/* after an early switch, libvirt's Confirm may still run here */
	r = eng_settled(g, VENG_HERE, &vm, e);
	if (r < 0 && r != -ENOENT)
		return vh_err_prefix(e, r, "VM %s's definition here (not undefined)", p->vm_name);
	if (r == 0 && vm.state != VIR_DOMAIN_SHUTOFF && g->st.fence_final &&
	    eng_fence_holds(g, NULL) == 0) {
		/* A twin: libvirt resumed S's QEMU after the VM ran on D (its
		 * answer to a Finish reply it lost).  Behind the fence it wrote
		 * nothing; it goes. */
		res->twin = true;
		if (g->on_event) {
			struct veng_event ev = { .what = "twin", .step = eng_vm_words(&vm, w, sizeof(w)) };

			g->on_event(&ev, g->event_ud);
		}
		if ((r = eng_begin(g, res, e, "destroy the twin of %s here", p->vm_name)) < 0)
			return r;
		r = g->ops->vm_destroy(g->ud, VENG_HERE, p->vm_name, e);
		if (r < 0 && r != -ENOENT)
			return vh_err_prefix(e, r, "the twin of VM %s here (fenced: it writes nothing)",
					     p->vm_name);
		vm.state = VIR_DOMAIN_SHUTOFF;
	}
	if (r == 0) {
		if (vm.state != VIR_DOMAIN_SHUTOFF)
			return vh_err(e, -EBUSY, "VM %s is %s on this host while it runs on %s: it "
				      "was started here again; stop it here (virsh destroy), it must "
				      "not run on both hosts", p->vm_name,
				      eng_vm_words(&vm, w, sizeof(w)), p->dest.host);
		if ((r = eng_begin(g, res, e, "undefine %s here", p->vm_name)) < 0)
			return r;
		r = g->ops->vm_undefine(g->ud, VENG_HERE, p->vm_name, e);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	g->st.undefined_on_s = true;
	return eng_end(g, e);
}

/*
 * Right before a resume on D: S's QEMU is gone, whatever the journal says
 * (a run cut short after the gate, then the VM started here by hand or by
 * libvirt's autostart).  @asked: this run's gate checked libvirt an instant
 * ago: only the kernel's open counts are read again.
 */
static int check_gone_before_resume(struct veng *g, bool asked, struct vh_error *e)
{
	int here;

	/* Behind the fence S's QEMU may live on (libvirt kills it in its
	 * Confirm): what matters is that nothing of it can land, and the
	 * kernel says so.  A fence recorded but not (or no longer) held: S's
	 * QEMU must be gone, as without one. */
	if (g->st.fenced && g->st.gate_passed && eng_fence_holds(g, NULL) == 0)
		return 0;
	/* here: 1 when the VM (or an opener of its LVs) is still here */
	here = asked ? eng_lvs_open(g, e) : eng_qemu_gone_here(g, e);

	if (here < 0)
		return here;
	if (!asked)
		here = !here;
	if (!here)
		return 0;
	return vh_err(e, -EBUSY, "VM %s runs on this host again (or something holds its LV open): "
		      "no resume on %s; stop it here first, it must not run on both hosts",
		      g->plan->vm_name, g->plan->dest.host);
}

const char *const veng_switch_step_names[VENG_SW_STEPS] = {
	[VENG_SW_FENCE] = "fence", [VENG_SW_CHECK] = "check", [VENG_SW_JOURNAL] = "journal",
	[VENG_SW_DISCONNECT] = "disconnect", [VENG_SW_JOURNAL2] = "journal2",
	[VENG_SW_RESUME] = "resume",
};

/* When step @k of the switch ended (the clock only). */
void eng_sw_mark(struct veng *g, struct veng_result *res, enum veng_switch_step k)
{
	int64_t d;

	if (!g->handoff_ns)
		return;
	d = g->now_ns() - g->handoff_ns;
	res->switch_at_ns[k] = d > 0 ? d : 1;	/* 0 means "not in this run" */
}

static int switch_over_held(struct veng *g, unsigned flags, struct veng_result *res,
			    struct vh_error *e);

/* The VM is paused on D (libvirt returned, or a gate that stopped): its
 * events are held from the gate to the resume (struct veng.hold). */
int eng_switch_over(struct veng *g, unsigned flags, struct veng_result *res, struct vh_error *e)
{
	int r;

	eng_hold_events(g);
	r = switch_over_held(g, flags, res, e);
	eng_let_events_go(g);
	return r;
}

static int switch_over_held(struct veng *g, unsigned flags, struct veng_result *res,
			    struct vh_error *e)
{
	const struct vplan *p = g->plan;
	bool asked = false;
	int r;

	if (!g->st.gate_passed) {
		if ((r = eng_gate(g, &res->gate, e)) < 0)
			return r;
		if (res->gate != VENG_GATE_PASS) {
			res->outcome = VENG_STATE_LEFT;
			veng_next_set(&res->next, VENG_ACT_PHASE, VENG_RESUME, VENG_HERE,
				 "the VM is paused on %s and D lacks writes: restore the DRBD link and "
				 "run vmhop resume, or run vmhop restart here (a cold start of the VM "
				 "here from its complete disk; vmhop abort does not undo this)",
				 p->dest.host);
			return 0;
		}
		if (flags & VENG_LEAVE_PAUSED) {
			veng_next_set(&res->next, VENG_ACT_PHASE, VENG_RESUME, VENG_HERE,
				 "the VM is paused on %s, DRBD connected and in sync: vmhop resume",
				 p->dest.host);
			return 0;
		}
		/* recorded with the disconnect's eng_begin() below; the gate's
		 * pass is the sync's end too (a run again after a kill during
		 * the overlap's hold may not have seen it) */
		g->st.gate_passed = true;
		g->st.synced = true;
		asked = true;
		eng_sw_mark(g, res, VENG_SW_CHECK);
	} else {
		res->gate = VENG_GATE_PASS;
		/* A gate passed in an earlier run: D must still hold every write
		 * (S's QEMU is asked again before the resume). */
		if (!g->st.resumed_on_d && (r = eng_drbd_still_whole(g, e)) < 0)
			return r;
	}
	if ((r = eng_disconnect_resume(g, res, asked, e)) < 0)
		return r;
	return eng_undefine_here(g, res, e);
}

/*
 * From here to the resume on D the VM is paused: each journal write is one
 * (the state after a step and the next step's name together; an interrupt
 * waits for the resume), the disconnect does not wait for the peer, and the
 * resume does not ask first.  @asked: S's QEMU was found gone an instant ago.
 */
static int switch_paused(struct veng *g, struct veng_result *res, bool asked,
			 struct vh_error *e);

int eng_disconnect_resume(struct veng *g, struct veng_result *res, bool asked,
		      struct vh_error *e)
{
	int r;

	eng_hold_events(g);
	r = switch_paused(g, res, asked, e);
	eng_let_events_go(g);
	if (r < 0)
		return r;
	/* (outside the VM's pause: it runs on D) */
	return eng_fence_final(g, res, e);
}

/* The steps inside the VM's pause: the disconnect, the resume on D. */
static int switch_paused(struct veng *g, struct veng_result *res, bool asked,
			 struct vh_error *e)
{
	const struct vplan *p = g->plan;
	int r;

	if (!g->st.disconnected) {
		struct drbdnl_addr local, peer;

		/* Before the VM runs on D: no resync can touch D's disk after.
		 * --force: the gate saw S Connected, both UpToDate, nothing out
		 * of sync and S's QEMU gone, so there is nothing to hand over; a
		 * graceful disconnect would wait a round trip for D's consent
		 * (D sees the link go and stays Secondary, UpToDate). */
		if ((r = vplan_endpoints(p, g->role, &local, &peer, e)) < 0)
			return r;
		if ((r = eng_begin(g, res, e, "disconnect %s", p->resource)) < 0)
			return r;
		eng_sw_mark(g, res, VENG_SW_JOURNAL);
		r = g->ops->drbd_disconnect(g->ud, &local, &peer, true, e);
		if (r < 0 && r != -ENOTCONN)
			return r;
		eng_sw_mark(g, res, VENG_SW_DISCONNECT);
		/* Only once DRBD said so: a run cut short before this point
		 * disconnects again rather than resume on D while connected
		 * (recorded with the resume's eng_begin()). */
		g->st.disconnected = true;
	}
	if (!g->st.resumed_on_d) {
		struct vh_error re = { 0 };
		int state = 0;

		/* Every time, also after a gate passed in an earlier run. */
		if ((r = check_gone_before_resume(g, asked, e)) < 0)
			return r;
		/* libvirt resumes a running domain again without error */
		if ((r = eng_begin(g, res, e, "resume %s on %s", p->vm_name, p->dest.host)) < 0)
			return r;
		eng_sw_mark(g, res, VENG_SW_JOURNAL2);
		if ((r = g->ops->vm_resume(g->ud, VENG_PEER, p->vm_name, &re)) < 0) {
			int sr = g->ops->vm_state(g->ud, VENG_PEER, p->vm_name, &state, NULL);

			if (sr < 0 || state != VIR_DOMAIN_RUNNING) {
				*e = re;
				/* D says it does not run the VM: the fence goes, so
				 * that a QEMU libvirt resumed here (its Finish reply
				 * lost) is not left hanging on held I/O.  D not
				 * answering keeps it: D may run the VM. */
				if ((sr == 0 || sr == -ENOENT) && eng_fence_release(g, NULL) == 0)
					vh_err_prefix(e, r, "fence let go here");
				return vh_err_prefix(e, r, "the VM on %s", p->dest.host);
			}
		}
		if (g->handoff_ns)
			res->switch_ns = g->now_ns() - g->handoff_ns;
		eng_sw_mark(g, res, VENG_SW_RESUME);
		g->st.resumed_on_d = true;
		/* No stop here: the definition here goes first (undefine_here's
		 * eng_end() honours a stop). */
		if ((r = eng_end_nostop(g, e)) < 0)
			return r;
	}
	return 0;
}
