/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names vmhop gives what it creates for a move, derived from the VM's
 * UUID and the disk's place in the plan so that both hosts (and a later
 * recovery) arrive at the same names without being told:
 *
 *   DRBD resource   "vh-<first 8 hex digits of the VM's UUID>-<nonce>"
 *                                                 vh-1a2b3c4d-5e6f7a
 *     (the nonce: 6 hex digits drawn for each plan, so that two moves never
 *     share a resource, whatever their UUIDs share; plans of older vmhops
 *     have no nonce, "vh-1a2b3c4d", and are still read)
 *   copy device     "<resource>-<volume>.copy"                   vh-1a2b3c4d-0.copy
 *     (dm uuid      "VMHOP-<resource>-<volume>.copy")
 *   meta-data LV    "<resource>_<volume>.vhmd" in the disk's VG  vh-1a2b3c4d_0.vhmd
 *
 * Kernel limits they respect: dm names are at most 127 characters
 * (DM_NAME_LEN 128), dm UUIDs 128 (DM_UUID_LEN 129), DRBD disk paths 127
 * bytes (the kernel's disk_conf backing_dev/meta_dev are char[128]).  The
 * copy device ends in ".copy", which the LVM filter every vmhop command
 * carries rejects (src/lvm), so LVM never sees the PV inside the VM's disk
 * twice.  The meta-data LV name has no LV prefix of its own: it is short
 * whatever the VM's LV is called, so that its path fits DRBD's 127 bytes for
 * every VG name up to 99 characters; a longer VG name is refused by name.
 */
#ifndef VMHOP_CORE_NAMES_H
#define VMHOP_CORE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define VNAME_RESOURCE_MAX	63	/* our bound for a DRBD resource name */
#define VNAME_DM_MAX		127	/* DM_NAME_LEN - 1 */
#define VNAME_DM_UUID_MAX	128	/* DM_UUID_LEN - 1 */
#define VNAME_DRBD_PATH_MAX	127	/* disk_conf backing_dev / meta_dev: char[128] */
#define VNAME_UUID_LEN		36	/* 8-4-4-4-12 */
#define VNAME_MAX_VOLUMES	16	/* disks one plan may move */

/* 0 if @uuid is a canonical UUID: 36 characters, lower-case hex, dashes at
 * 8, 13, 18, 23.  -EINVAL otherwise. */
int vname_check_uuid(const char *uuid, struct vh_error *e) VH_MUST_CHECK;

/* 0 if @res is a resource name vmhop uses: 1..63 of [A-Za-z0-9_.+-], not
 * starting with '-' or '.'. */
int vname_check_resource(const char *res, struct vh_error *e) VH_MUST_CHECK;

/* "vh-" + the first 8 hex digits of @uuid (checked).  @buf: >= 12 bytes. */
int vname_resource(const char *uuid, char *buf, size_t len, struct vh_error *e) VH_MUST_CHECK;

/* "vh-" + the first 8 hex digits of @uuid + "-" + the low 24 bits of
 * @nonce as 6 hex digits: one move's resource (vmhop plan draws @nonce). */
#define VNAME_NONCE_HEX		6
#define VNAME_NONCE_MASK	0xffffffu
int vname_resource_move(const char *uuid, uint32_t nonce, char *buf, size_t len,
			struct vh_error *e) VH_MUST_CHECK;
/* 0 if @res is a resource name a plan of VM @uuid may carry: either form
 * above.  -EINVAL naming both otherwise. */
int vname_check_plan_resource(const char *uuid, const char *res, struct vh_error *e) VH_MUST_CHECK;

/* The copy device's dm name and its dm UUID (with VDM_UUID_PREFIX). */
int vname_copy(const char *res, unsigned volume, char *buf, size_t len,
	       struct vh_error *e) VH_MUST_CHECK;
int vname_copy_uuid(const char *res, unsigned volume, char *buf, size_t len,
		    struct vh_error *e) VH_MUST_CHECK;

/* The LVM tag on the LVs a move creates: "vmhop_<res>".  An LV of the
 * move's name without it was made by someone else and is never adopted or
 * removed. */
void vname_lv_tag(const char *res, char *buf, size_t len);

/* The meta-data LV's name in @vg, checked by LVM's rules and so that
 * /dev/mapper/<dm name> fits VNAME_DRBD_PATH_MAX (-ENAMETOOLONG, naming the
 * VG, otherwise). */
int vname_md_lv(const char *vg, const char *res, unsigned volume, char *buf, size_t len,
		struct vh_error *e) VH_MUST_CHECK;

/* "/dev/mapper/<dm name of vg/lv>", refused (-ENAMETOOLONG) beyond
 * VNAME_DRBD_PATH_MAX: the path DRBD is given for a device. */
int vname_lv_dm_path(const char *vg, const char *lv, char *buf, size_t len,
		     struct vh_error *e) VH_MUST_CHECK;
/* "/dev/mapper/<name>" for a dm device of ours (the copy). */
int vname_dm_path(const char *dm_name, char *buf, size_t len, struct vh_error *e) VH_MUST_CHECK;

/* Split a device-mapper name "vg-lv" (hyphens doubled inside each part) into
 * its VG and LV names; -EINVAL when it is not of that form.  @vg, @lv:
 * VLVM_NAME_MAX + 1 bytes each. */
int vname_split_dm(const char *dm_name, char *vg, char *lv, struct vh_error *e) VH_MUST_CHECK;

#endif
