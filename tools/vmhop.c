/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{ "status", cmd_status, "[--plan FILE | RESOURCE]: what a move left here, the next safe action; no argument: every move" },
	{ NULL, NULL, NULL }
};

static void trace_stderr(const char *module, const char *line, void *ud)
{
	(void)ud;
	fprintf(stderr, "vmhop[%s]: %s\n", module, line);
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
	       "(see vmhop status).\n");
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
	 * closed stdout then fails the write, and vh_end says so (exit 1). */
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
	return vh_end(&ctx, vh_dispatch(&ctx, top, NULL, argc - 1, argv + 1));
}
