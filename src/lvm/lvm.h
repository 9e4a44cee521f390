/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logical volumes through liblvm2cmd, in-process.
 *
 * Every LVM command runs through one seam, vlvm_run(), which holds the
 * process-wide lock (liblvm2cmd is not re-entrant), captures what LVM says
 * through its log callback, and maps lvm2_run()'s 1..5 to a negative errno in
 * one place.  Reports are read as JSON (--reportformat json), never scraped.
 *
 * Every command carries a device filter (--config devices/global_filter) that
 * rejects DRBD devices and our ".copy" devices before LVM opens anything, so
 * LVM never opens a Secondary /dev/drbdN and never sees duplicate PVs.
 *
 * Names reach lvm2_run() only after vlvm_check_vg_name()/vlvm_check_lv_name():
 * lvm2_run() splits its command line on white space with no escaping.
 */
#ifndef VMHOP_LVM_LVM_H
#define VMHOP_LVM_LVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* LVM's NAME_LEN is 128 including the NUL. */
#define VLVM_NAME_MAX 127

struct vlvm;

/* Name checks, LVM's own rules (lib/misc/lvm-string.c): non-empty, at most
 * 127 characters of [A-Za-z0-9+_.-], not starting with '-', not "." or "..";
 * LV names also may not start with "snapshot"/"pvmove" nor contain the
 * strings LVM reserves for its sub-LVs ("_mlog", "_rimage", ...).  Our extra
 * rule: the device-mapper name "<vg>-<lv>" (hyphens doubled) must fit in
 * 127 characters.  Return 0 or -EINVAL/-ENAMETOOLONG. */
int vlvm_check_vg_name(const char *vg, struct vh_error *e) VH_MUST_CHECK;
int vlvm_check_lv_name(const char *lv, struct vh_error *e) VH_MUST_CHECK;
int vlvm_check_names(const char *vg, const char *lv, struct vh_error *e) VH_MUST_CHECK;

/* "vg/lv" or "/dev/vg/lv" into its two names (checked).  @vg and @lv have
 * room for VLVM_NAME_MAX + 1 bytes each. */
int vlvm_split_path(const char *spec, char *vg, char *lv, struct vh_error *e) VH_MUST_CHECK;

/* The device-mapper name LVM gives vg/lv: hyphens in each part doubled. */
int vlvm_dm_name(const char *vg, const char *lv, char *buf, size_t len);

/* Open the process's one LVM handle (refcounted).  Reads the host's own
 * devices/global_filter once so that ours is prepended to it, not swapped
 * for it. */
int vlvm_open(struct vlvm **ret, struct vh_error *e) VH_MUST_CHECK;
void vlvm_close(struct vlvm *h);

/* The filter setting every command carries, e.g. for `lvs --config`. */
const char *vlvm_filter_config(const struct vlvm *h);

/* ---- the seam ---------------------------------------------------------- */

/* Output of one command, each part '\n'-joined: the lines LVM printed
 * (level LVM2_LOG_PRINT), the subset that came from libdm's report code (a
 * report and nothing else: warnings LVM prints at the same level while a
 * report is under way stay out of it), and the error lines (level <=
 * LVM2_LOG_ERROR). */
struct vlvm_output {
	char *out;
	size_t out_len;
	char *report;
	size_t report_len;
	char *err;
	size_t err_len;
	int rc;			/* lvm2_run()'s own code */
};
void vlvm_output_free(struct vlvm_output *o);

/* Run one LVM command line (the filter is added here).  Returns 0 or a
 * negative errno (mapped from the rc and LVM's message); @ret_out (may be
 * NULL) receives the captured output either way. */
int vlvm_run(struct vlvm *h, const char *cmdline, struct vlvm_output *ret_out,
	     struct vh_error *e) VH_MUST_CHECK;

/* Tests replace lvm2_run with @fn: it gets the full command line and returns
 * an lvm2_run() code, emitting output with vlvm_log_sink() like LVM would.
 * With a hook set, vlvm_open() does not initialise liblvm2cmd.  NULL restores
 * the real thing. */
typedef int (*vlvm_run_hook)(const char *cmdline, void *ud);
void vlvm_set_run_hook(vlvm_run_hook fn, void *ud);
/* The log callback handed to lvm2_log_fn().  @file is LVM's source file:
 * report lines come from ".../libdm-report.c". */
void vlvm_log_sink(int level, const char *file, int line, int dm_errno, const char *message);

/* Maps an lvm2_run() code plus LVM's error text to a negative errno. */
int vlvm_map_rc(int rc, const char *errtext);

/* ---- facts ------------------------------------------------------------- */

struct vlvm_vg_info {
	char name[VLVM_NAME_MAX + 1];
	uint64_t extent_size;	/* bytes */
	uint64_t extent_count;
	uint64_t free_count;
	uint64_t size;		/* bytes */
	uint64_t free;		/* bytes */
};

struct vlvm_lv_info {
	char vg[VLVM_NAME_MAX + 1];
	char name[VLVM_NAME_MAX + 1];
	uint64_t size;		/* bytes */
	char path[256];		/* /dev/vg/lv */
	char dm_path[256];	/* /dev/mapper/vg-lv */
	char dm_name[256];	/* vg-lv */
	char uuid[64];
	char attr[16];
	char tags[256];		/* LVM's tags, comma-separated ("" none) */
	bool active;
	bool open;
	int major, minor;	/* -1 when not active */
};

/* -ENOENT when there is no such VG / LV. */
int vlvm_vg_info(struct vlvm *h, const char *vg, struct vlvm_vg_info *ret,
		 struct vh_error *e) VH_MUST_CHECK;
int vlvm_lv_info(struct vlvm *h, const char *vg, const char *lv, struct vlvm_lv_info *ret,
		 struct vh_error *e) VH_MUST_CHECK;

/* Parsers for `vgs`/`lvs --reportformat json` output (exposed for tests).
 * @text may carry LVM warning lines before the JSON object. */
int vlvm_parse_vg_report(const char *text, struct vlvm_vg_info *ret, struct vh_error *e) VH_MUST_CHECK;
int vlvm_parse_lv_report(const char *text, struct vlvm_lv_info *ret, struct vh_error *e) VH_MUST_CHECK;

struct vlvm_create_result {
	uint64_t requested;	/* bytes asked for */
	uint64_t size;		/* bytes LVM allocated, as lvs reports it */
	uint64_t extents;
	uint64_t extent_size;
	bool rounded;		/* size != requested */
	struct vlvm_lv_info lv;
};

/* Create vg/lv of at least @bytes (rounded up to whole extents; @ret says so),
 * active.  -EEXIST if it exists, -ENOSPC if the VG lacks the extents. */
int vlvm_lv_create(struct vlvm *h, const char *vg, const char *lv, uint64_t bytes,
		   struct vlvm_create_result *ret, struct vh_error *e) VH_MUST_CHECK;

/*
 * lvcreate alone, active: no report before or after (each is a device scan).
 * @extent_size: the VG's, from an earlier report: the LV gets exactly
 * ceil(@bytes / @extent_size) extents, and *@ret_size (if given) is their
 * size.  0: LVM rounds @bytes up to its extents itself, *@ret_size is 0
 * (unknown).  -EEXIST if it exists, -ENOSPC if the VG lacks the space (LVM's
 * own refusals).  The caller checks the size where it matters (the engine:
 * the LV's dm table, read next).
 */
int vlvm_lvcreate(struct vlvm *h, const char *vg, const char *lv, uint64_t bytes,
		  uint64_t extent_size, uint64_t *ret_size, struct vh_error *e) VH_MUST_CHECK;
/* The same, the LV made with LVM tag @tag (NULL: none): a mark of who made
 * it, kept by LVM with the LV itself. */
int vlvm_lvcreate_tagged(struct vlvm *h, const char *vg, const char *lv, uint64_t bytes,
			 uint64_t extent_size, const char *tag, uint64_t *ret_size,
			 struct vh_error *e) VH_MUST_CHECK;

/* Remove vg/lv.  -ENOENT if absent, -EBUSY if open. */
int vlvm_lv_remove(struct vlvm *h, const char *vg, const char *lv, struct vh_error *e) VH_MUST_CHECK;

#endif
