/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD's ret_code lives in two number spaces: enum drbd_ret_code (101 is
 * NO_ERROR, larger is an error) and enum drbd_state_rv (1..4 success, 0 and
 * negative failure).  Each code gets its kernel name, a sentence for a
 * person and the errno vmhop reports it as.  State names for status output.
 */
#include <errno.h>
#include <stddef.h>

#include "netlink/internal.h"

struct ret_row {
	int32_t code;
	const char *name;
	const char *msg;
	int err;
};

static const struct ret_row rows[] = {
	/* enum drbd_state_rv */
	{ 4, "SS_CW_NO_NEED", "nothing to change (cluster-wide)", 0 },
	{ 3, "SS_CW_SUCCESS", "done (cluster-wide)", 0 },
	{ 2, "SS_NOTHING_TO_DO", "nothing to do", 0 },
	{ 1, "SS_SUCCESS", "done", 0 },
	{ 0, "SS_UNKNOWN_ERROR", "the state change failed for an unknown reason", -EPROTO },
	{ -1, "SS_TWO_PRIMARIES", "two primaries are not allowed by the configuration", -EPROTO },
	{ -2, "SS_NO_UP_TO_DATE_DISK", "no access to up-to-date data", -EPROTO },
	{ -4, "SS_NO_LOCAL_DISK", "the device has no local disk", -ENXIO },
	{ -5, "SS_NO_REMOTE_DISK", "the peer has no disk", -ENXIO },
	{ -6, "SS_CONNECTED_OUTDATES", "refusing to outdate while connected", -EPROTO },
	{ -7, "SS_PRIMARY_NOP", "refusing to become primary while the peer is not outdated", -EPROTO },
	{ -8, "SS_RESYNC_RUNNING", "a resync is running", -EBUSY },
	{ -9, "SS_ALREADY_STANDALONE", "already standalone", 0 },
	{ -10, "SS_CW_FAILED_BY_PEER", "the peer refused the state change", -ECONNREFUSED },
	{ -11, "SS_IS_DISKLESS", "the device is diskless", -ENXIO },
	{ -12, "SS_DEVICE_IN_USE", "the device is held open by someone", -EBUSY },
	{ -13, "SS_NO_NET_CONFIG", "the resource has no network configuration", -ENOTCONN },
	{ -14, "SS_NO_VERIFY_ALG", "no verify algorithm is configured", -EINVAL },
	{ -15, "SS_NEED_CONNECTION", "this needs a connection to the peer", -ENOTCONN },
	{ -16, "SS_LOWER_THAN_OUTDATED", "the disk state is lower than outdated", -EPROTO },
	{ -17, "SS_NOT_SUPPORTED", "the peer does not support this", -EOPNOTSUPP },
	{ -18, "SS_IN_TRANSIENT_STATE", "the device is in a transient state", -EAGAIN },
	{ -19, "SS_CONCURRENT_ST_CHG", "another state change is running", -EAGAIN },
	{ -20, "SS_O_VOL_PEER_PRI", "another volume's peer is primary", -EPROTO },
	{ -21, "SS_OUTDATE_WO_CONN", "cannot outdate without a connection", -ENOTCONN },
	{ -22, "SS_AFTER_LAST_ERROR", "unknown state change error", -EPROTO },
	/* enum drbd_ret_code */
	{ 101, "NO_ERROR", "done", 0 },
	{ 102, "ERR_LOCAL_ADDR", "the local address is already used by another resource", -EADDRINUSE },
	{ 103, "ERR_PEER_ADDR", "the peer address is already used by another resource", -EADDRINUSE },
	{ 104, "ERR_OPEN_DISK", "cannot open the backing device", -ENOENT },
	{ 105, "ERR_OPEN_MD_DISK", "cannot open the meta-data device", -ENOENT },
	{ 107, "ERR_DISK_NOT_BDEV", "the backing device is not a block device", -EINVAL },
	{ 108, "ERR_MD_NOT_BDEV", "the meta-data device is not a block device", -EINVAL },
	{ 111, "ERR_DISK_TOO_SMALL", "the backing device is too small", -ENOSPC },
	{ 112, "ERR_MD_DISK_TOO_SMALL", "the meta-data device is too small", -ENOSPC },
	{ 114, "ERR_BDCLAIM_DISK", "the backing device is in use (cannot claim it)", -EBUSY },
	{ 115, "ERR_BDCLAIM_MD_DISK", "the meta-data device is in use (cannot claim it)", -EBUSY },
	{ 116, "ERR_MD_IDX_INVALID", "invalid meta-data index", -EINVAL },
	{ 118, "ERR_IO_MD_DISK", "I/O error on the meta-data device", -EIO },
	{ 119, "ERR_MD_INVALID", "no valid DRBD meta-data found on the meta-data device", -EBADMSG },
	{ 120, "ERR_AUTH_ALG", "the kernel does not know the cram-hmac-alg", -EINVAL },
	{ 121, "ERR_AUTH_ALG_ND", "the cram-hmac-alg is not a digest", -EINVAL },
	{ 122, "ERR_NOMEM", "the kernel is out of memory", -ENOMEM },
	{ 123, "ERR_DISCARD_IMPOSSIBLE", "discard-my-data is impossible while primary", -EPROTO },
	{ 124, "ERR_DISK_CONFIGURED", "the device already has a disk attached", -EBUSY },
	{ 125, "ERR_NET_CONFIGURED", "the resource already has a network configuration", -EBUSY },
	{ 126, "ERR_MANDATORY_TAG", "the kernel refused an attribute of the request", -EOPNOTSUPP },
	{ 127, "ERR_MINOR_INVALID", "no such DRBD minor", -ENXIO },
	{ 129, "ERR_INTR", "interrupted", -EINTR },
	{ 130, "ERR_RESIZE_RESYNC", "cannot resize while a resync runs", -EBUSY },
	{ 131, "ERR_NO_PRIMARY", "needs a primary node", -EPROTO },
	{ 132, "ERR_RESYNC_AFTER", "the resync-after minor does not exist", -EINVAL },
	{ 133, "ERR_RESYNC_AFTER_CYCLE", "resync-after would create a cycle", -EINVAL },
	{ 134, "ERR_PAUSE_IS_SET", "resync is already paused", -EALREADY },
	{ 135, "ERR_PAUSE_IS_CLEAR", "resync is not paused", -EALREADY },
	{ 137, "ERR_PACKET_NR", "unknown request", -EOPNOTSUPP },
	{ 138, "ERR_NO_DISK", "the device has no disk attached", -ENXIO },
	{ 139, "ERR_NOT_PROTO_C", "this needs protocol C", -EINVAL },
	{ 140, "ERR_NOMEM_BITMAP", "the kernel cannot allocate the bitmap", -ENOMEM },
	{ 141, "ERR_INTEGRITY_ALG", "the kernel does not know the data-integrity-alg", -EINVAL },
	{ 142, "ERR_INTEGRITY_ALG_ND", "the data-integrity-alg is not a digest", -EINVAL },
	{ 143, "ERR_CPU_MASK_PARSE", "cannot parse the cpu-mask", -EINVAL },
	{ 144, "ERR_CSUMS_ALG", "the kernel does not know the csums-alg", -EINVAL },
	{ 145, "ERR_CSUMS_ALG_ND", "the csums-alg is not a digest", -EINVAL },
	{ 146, "ERR_VERIFY_ALG", "the kernel does not know the verify-alg", -EINVAL },
	{ 147, "ERR_VERIFY_ALG_ND", "the verify-alg is not a digest", -EINVAL },
	{ 148, "ERR_CSUMS_RESYNC_RUNNING", "cannot change csums-alg while a resync runs", -EBUSY },
	{ 149, "ERR_VERIFY_RUNNING", "cannot change verify-alg while a verify runs", -EBUSY },
	{ 150, "ERR_DATA_NOT_CURRENT", "this disk does not hold the current data", -EPROTO },
	{ 151, "ERR_CONNECTED", "not allowed while connected", -EISCONN },
	{ 152, "ERR_PERM", "permission denied (needs CAP_NET_ADMIN)", -EPERM },
	{ 153, "ERR_NEED_APV_93", "the peer's DRBD is too old", -EPROTO },
	{ 154, "ERR_STONITH_AND_PROT_A", "fencing resource-and-stonith needs protocol B or C", -EINVAL },
	{ 155, "ERR_CONG_NOT_PROTO_A", "on-congestion needs protocol A", -EINVAL },
	{ 156, "ERR_PIC_AFTER_DEP", "resync is paused by a resync-after dependency", -EBUSY },
	{ 157, "ERR_PIC_PEER_DEP", "resync is paused by the peer", -EBUSY },
	{ 158, "ERR_RES_NOT_KNOWN", "no such DRBD resource", -ENOENT },
	{ 159, "ERR_RES_IN_USE", "the resource still has devices", -EBUSY },
	{ 160, "ERR_MINOR_CONFIGURED", "the device is still configured (disk or primary)", -EBUSY },
	{ 161, "ERR_MINOR_OR_VOLUME_EXISTS", "the minor or volume exists already", -EEXIST },
	{ 162, "ERR_INVALID_REQUEST", "the kernel found the request invalid", -EINVAL },
	{ 163, "ERR_NEED_APV_100", "the peer's DRBD is too old", -EPROTO },
	{ 164, "ERR_NEED_ALLOW_TWO_PRI", "needs allow-two-primaries", -EPROTO },
	{ 165, "ERR_MD_UNCLEAN", "the meta-data is unclean: apply the activity log first", -EBADMSG },
	{ 166, "ERR_MD_LAYOUT_CONNECTED", "cannot change the meta-data layout while connected", -EISCONN },
	{ 167, "ERR_MD_LAYOUT_TOO_BIG", "the meta-data layout is too big", -ENOSPC },
	{ 168, "ERR_MD_LAYOUT_TOO_SMALL", "the meta-data layout is too small", -ENOSPC },
	{ 169, "ERR_MD_LAYOUT_NO_FIT", "the meta-data layout does not fit", -ENOSPC },
	{ 170, "ERR_IMPLICIT_SHRINK", "refusing to shrink a consistent device implicitly", -ENOSPC },
};

static const struct ret_row *row(int32_t code)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].code == code)
			return &rows[i];
	return NULL;
}

bool drbdnl_ret_ok(int32_t ret_code)
{
	/* SS_ALREADY_STANDALONE: what was asked for is already so (errno 0 above) */
	return ret_code == DRBDNL_NO_ERROR || ret_code == DRBDNL_SS_ALREADY_STANDALONE ||
	       (ret_code >= DRBDNL_SS_SUCCESS && ret_code <= DRBDNL_SS_CW_NO_NEED);
}

const char *drbdnl_ret_name(int32_t ret_code)
{
	const struct ret_row *r = row(ret_code);

	return r ? r->name : "UNKNOWN";
}

const char *drbdnl_ret_message(int32_t ret_code)
{
	const struct ret_row *r = row(ret_code);

	if (r)
		return r->msg;
	return ret_code > 100 ? "unknown DRBD error" : "unknown DRBD state change error";
}

int drbdnl_ret_errno(int32_t ret_code)
{
	const struct ret_row *r;

	if (drbdnl_ret_ok(ret_code))
		return 0;
	r = row(ret_code);
	return r ? r->err : -EPROTO;
}

static const char *const role_names[] = { "Unknown", "Primary", "Secondary" };
static const char *const conn_names[] = {
	"StandAlone", "Disconnecting", "Unconnected", "Timeout", "BrokenPipe", "NetworkFailure",
	"ProtocolError", "TearDown", "WFConnection", "WFReportParams", "Connected",
	"StartingSyncS", "StartingSyncT", "WFBitMapS", "WFBitMapT", "WFSyncUUID", "SyncSource",
	"SyncTarget", "VerifyS", "VerifyT", "PausedSyncS", "PausedSyncT", "Ahead", "Behind",
};
static const char *const disk_names[] = {
	"Diskless", "Attaching", "Failed", "Negotiating", "Inconsistent", "Outdated", "DUnknown",
	"Consistent", "UpToDate",
};

const char *drbdnl_role_name(unsigned v)
{
	return v < sizeof(role_names) / sizeof(role_names[0]) ? role_names[v] : "?";
}

const char *drbdnl_conn_name(unsigned v)
{
	return v < sizeof(conn_names) / sizeof(conn_names[0]) ? conn_names[v] : "?";
}

const char *drbdnl_disk_name(unsigned v)
{
	return v < sizeof(disk_names) / sizeof(disk_names[0]) ? disk_names[v] : "?";
}
