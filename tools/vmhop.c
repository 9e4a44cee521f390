/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "vmhop.h"

static const struct vh_cmd top[] = {
	{ "meta", cmd_meta, "DRBD v08 meta-data: create, wipe, apply-al, dump" },
	{ "drbd", cmd_drbd, "DRBD 8.4 over generic netlink: status, events, set-up" },
	{ "dm",   cmd_dm,   "device-mapper by ioctl: ls, info, table, create, load, swap, ..." },
	{ "lvm",  cmd_lvm,  "logical volumes through liblvm2cmd" },
	{ "virt", cmd_virt, "libvirt domains: disk, suspend, resume, migrate" },
	{ "plan", cmd_plan, "the plan of a move: VM, disks, DRBD resource, addresses, secret" },
	{ "send", cmd_send, "--plan FILE (S): the whole move from this host, in one process" },
	{ "receive", cmd_send, "--plan FILE (D): the whole move onto this host, in one process" },
	{ "preflight", cmd_phase, "--plan FILE: every check of the move on this host, changes nothing" },
	{ "prepare", cmd_phase, "--plan FILE: meta-data, .copy device, DRBD (S: Primary, D: connected)" },
	{ "bridge", cmd_phase, "--plan FILE (S): the VM's LV onto DRBD in one freeze window, then connect" },
	{ "wait-sync", cmd_phase, "--plan FILE: until UpToDate/UpToDate (D: then flush its LV's cache)" },
	{ "migrate", cmd_phase, "--plan FILE [--leave-paused] (S): migrate paused, gate, resume on D" },
	{ "resume", cmd_phase, "--plan FILE (S): gate again and resume the VM on D" },
	{ "release", cmd_phase, "--plan FILE: S: its LV back on its own table; DRBD down" },
	{ "cleanup", cmd_phase, "--plan FILE: remove copies and meta-data LVs (S: and the old LV)" },
	{ "abort", cmd_phase, "--plan FILE: undo what this host did, while the VM has not left S" },
	{ "restart", cmd_phase, "--plan FILE [--force] (S): after a stopped gate, the VM here again (cold start); --force: D's libvirt unreachable, or the VM may have run on D (its writes there are lost)" },
	{ "tune", cmd_tune, "--plan FILE [--resync-rate R] [--max-downtime MS] [--bandwidth MIB]: change the running move (DRBD's resync rate; S: libvirt's migration)" },
	{ "status", cmd_status, "[--plan FILE | RESOURCE]: what a move left here, the next safe action; no argument: every move" },
	{ NULL, NULL, NULL }
};

static void trace_stderr(const char *module, const char *line, void *ud)
{
	(void)ud;
	fprintf(stderr, "vmhop[%s]: %s\n", module, line);
}

/*
 * The commands that take part in a move run at a raised CPU priority (nice
 * VMHOP_NICE, default -10), set before any thread exists so that libvirt's
 * and the migration's threads inherit it.  Their own work is small, but it
 * waits on many round trips, and on a host whose CPUs the VMs keep busy
 * (the moving VM among them) each wake-up can wait behind them: in the lab,
 * where the busy VM takes a hypervisor's only vCPU, `vmhop plan` took
 * 2.1-2.3 s at nice 0, 1.1 s at -10, 0.7-0.8 s with the VM paused.  Never
 * lowered (a caller that runs vmhop higher keeps it), and without the
 * privilege for it, left as it is.  VMHOP_NICE=0 keeps what vmhop inherits.
 */
#define VMHOP_NICE_DEFAULT	(-10)

static bool moves(const char *cmd)
{
	static const char *const names[] = {
		"plan", "send", "receive", "preflight", "prepare", "bridge", "wait-sync",
		"migrate", "resume", "release", "cleanup", "abort", "restart",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(cmd, names[i]))
			return true;
	return false;
}

/* 0, or VH_EXIT_USAGE for a VMHOP_NICE that is not a number in -20..19. */
static int raise_priority(struct vh_ctx *ctx, const char *cmd)
{
	const char *v = getenv("VMHOP_NICE");
	long want = VMHOP_NICE_DEFAULT;
	int now;

	if (!moves(cmd))
		return 0;
	if (v && *v) {
		int64_t n;

		if (vnum_i64(v, VNUM_ZEROS, -20, 19, &n) < 0)
			return vh_usage(ctx, "VMHOP_NICE=%s: not a nice value (-20 to 19)", v);
		want = (long)n;
		if (!want)
			return 0;
	}
	errno = 0;
	now = getpriority(PRIO_PROCESS, 0);
	if (errno || now <= want)
		return 0;
	if (setpriority(PRIO_PROCESS, 0, (int)want) < 0)
		vh_trace("main", "nice %ld not set: %s", want, strerror(errno));
	else
		vh_trace("main", "nice %d -> %ld", now, want);
	return 0;
}

static void usage_top(void)
{
	printf("usage: vmhop [--json] [--debug] COMMAND [ARGS]\n\n"
	       "vmhop live-migrates a libvirt/QEMU VM whose disk is a local LVM volume,\n"
	       "slipping DRBD 8.4 under it for the length of the move.\n\n"
	       "Commands:\n");
	vh_print_table_help(top, NULL);
	printf("\n`vmhop COMMAND --help` shows the sub-commands.\n\n"
	       "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 invalid input,\n"
	       "5 busy, 6 too small / no space, 7 kernel refused, 8 unsupported,\n"
	       "9 timeout, 10 already exists (see --force), 11 permission, 12 peer,\n"
	       "13 undone (abort, restart: this host is as it was), 14 stopped with state left behind\n"
	       "(see vmhop status), 15 this host's libvirtd not running or refused us,\n"
	       "16 done, but the result could not be written to standard output.\n"
	       "With --json, the objects of send, receive, the phase commands, status and every\n"
	       "error carry \"schema\": 1 (docs/json.md).\n\n"
	       "Environment: VMHOP_LIBVIRT_URI (this host's libvirt, qemu:///system),\n"
	       "VMHOP_STATE_DIR (/var/lib/vmhop), VMHOP_DEBUG=1 (as --debug), VMHOP_NICE\n"
	       "(the CPU priority of plan and of the move's commands, -10; 0: unchanged),\n"
	       "VMHOP_LOG=0 (as --no-log: the move's commands keep no records in the system\n"
	       "log, journalctl -t vmhop).\n");
}

int vh_main(int argc, char **argv)
{
	struct vh_ctx ctx = { .prog = "vmhop" };
	const char *dbg = getenv("VMHOP_DEBUG");
	int n = 0;

	/* --json and --debug may stand anywhere before a "--". */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			for (; i < argc; i++)
				argv[++n] = argv[i];
			break;
		}
		if (!strcmp(argv[i], "--json"))
			ctx.json = true;
		else if (!strcmp(argv[i], "--debug"))
			ctx.debug = true;
		else
			argv[++n] = argv[i];
	}
	argc = n + 1;
	argv[argc] = NULL;
	if (dbg && *dbg && strcmp(dbg, "0"))
		ctx.debug = true;
	if (ctx.debug)
		vh_trace_set(trace_stderr, NULL);

	/* A libvirtd that goes away mid-move (the peer's, or this host's) closes
	 * the socket libvirt writes to: that must be an error vmhop handles, not
	 * a SIGPIPE that kills it between two steps (lab 70-send, part 3).  A
	 * closed stdout then fails the write, and vh_end says so (exit 16). */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 && ctx.json)
		return vh_end(&ctx, vh_usage(&ctx, "missing command (see 'vmhop --help')"));
	if (argc < 2) {
		usage_top();
		return vh_end(&ctx, VH_EXIT_USAGE);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_top();
		return vh_end(&ctx, VH_EXIT_OK);
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmhop %s\n", VMHOP_VERSION);
		return vh_end(&ctx, VH_EXIT_OK);
	}
	{
		int r = raise_priority(&ctx, argv[1]);

		if (r)
			return vh_end(&ctx, r);
	}
	return vh_end(&ctx, vh_dispatch(&ctx, top, NULL, argc - 1, argv + 1));
}
