/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRBD 8.4 generic-netlink wire constants (in-kernel DRBD, Linux 6.1,
 * include/linux/drbd_genl.h, drbd_genl_api.h, drbd.h, drbd_limits.h).
 * Numbers only: the layout of each nest lives in fields.c, one table per nest.
 */
#ifndef VMHOP_NETLINK_PROTO_H
#define VMHOP_NETLINK_PROTO_H

#include <stdint.h>

#define DRBDNL_FAMILY_NAME	"drbd"
#define DRBDNL_API_VERSION	1
#define DRBDNL_HDRSIZE		8
#define DRBDNL_MCGRP_EVENTS	"events"

/* Inside a nest: "do not silently ignore me" (same bit as NLA_F_NET_BYTEORDER). */
#define DRBDNL_F_MANDATORY	0x4000
#define DRBDNL_F_NESTED		0x8000
#define DRBDNL_TYPE_MASK	0x3fff
/* drbd_genlmsghdr.flags in a request */
#define DRBDNL_F_SET_DEFAULTS	1
#define DRBDNL_NO_MINOR		0xffffffffu

/* struct drbd_genlmsghdr: follows the genlmsghdr in every message. */
struct drbdnl_hdr {
	uint32_t minor;
	union {
		uint32_t flags;
		int32_t ret_code;
	};
};

enum drbdnl_cmd {
	DRBDNL_EVENT = 1,
	DRBDNL_GET_STATUS = 2,
	DRBDNL_NEW_MINOR = 5,
	DRBDNL_DEL_MINOR = 6,
	DRBDNL_NEW_RESOURCE = 7,
	DRBDNL_DEL_RESOURCE = 8,
	DRBDNL_RESOURCE_OPTS = 9,
	DRBDNL_CONNECT = 10,
	DRBDNL_DISCONNECT = 11,
	DRBDNL_ATTACH = 12,
	DRBDNL_RESIZE = 13,
	DRBDNL_PRIMARY = 14,
	DRBDNL_SECONDARY = 15,
	DRBDNL_NEW_C_UUID = 16,
	DRBDNL_DETACH = 18,
	DRBDNL_OUTDATE = 25,
	DRBDNL_GET_TIMEOUT_TYPE = 26,
	DRBDNL_DOWN = 27,
	DRBDNL_CHG_DISK_OPTS = 28,
	DRBDNL_CHG_NET_OPTS = 29,
	DRBDNL_RESOURCE_STATE = 34,
	DRBDNL_DEVICE_STATE = 35,
	DRBDNL_CONNECTION_STATE = 36,
	DRBDNL_PEER_DEVICE_STATE = 37,
	DRBDNL_HELPER_EVENT = 40,
	DRBDNL_INITIAL_STATE_DONE = 41,
};

/* Top-level attributes (each a nest). */
enum drbdnl_tla {
	DRBDNL_A_CFG_REPLY = 1,
	DRBDNL_A_CFG_CONTEXT = 2,
	DRBDNL_A_DISK_CONF = 3,
	DRBDNL_A_RESOURCE_OPTS = 4,
	DRBDNL_A_NET_CONF = 5,
	DRBDNL_A_SET_ROLE_PARMS = 6,
	DRBDNL_A_RESIZE_PARMS = 7,
	DRBDNL_A_STATE_INFO = 8,
	DRBDNL_A_START_OV_PARMS = 9,
	DRBDNL_A_NEW_C_UUID_PARMS = 10,
	DRBDNL_A_TIMEOUT_PARMS = 11,
	DRBDNL_A_DISCONNECT_PARMS = 12,
	DRBDNL_A_DETACH_PARMS = 13,
	DRBDNL_A_NOTIFICATION_HEADER = 23,
	DRBDNL_A_HELPER = 24,
	DRBDNL_A_MAX = 24,
};

/* Field numbers inside nests (without the mandatory bit; fields.c adds it). */
enum { DRBDNL_T_INFO_TEXT = 1 };
enum {
	DRBDNL_T_CTX_VOLUME = 1,
	DRBDNL_T_CTX_RESOURCE_NAME = 2,
	DRBDNL_T_CTX_MY_ADDR = 3,
	DRBDNL_T_CTX_PEER_ADDR = 4,
	DRBDNL_T_CTX_MAX = 4,
};
enum {
	DRBDNL_T_SIB_REASON = 1,
	DRBDNL_T_CURRENT_STATE = 2,
	DRBDNL_T_CAPACITY = 3,
	DRBDNL_T_ED_UUID = 4,
	DRBDNL_T_PREV_STATE = 5,
	DRBDNL_T_NEW_STATE = 6,
	DRBDNL_T_UUIDS = 7,
	DRBDNL_T_DISK_FLAGS = 8,
	DRBDNL_T_BITS_TOTAL = 9,
	DRBDNL_T_BITS_OOS = 10,
	DRBDNL_T_BITS_RS_TOTAL = 11,
	DRBDNL_T_BITS_RS_FAILED = 12,
	DRBDNL_T_HELPER = 13,
	DRBDNL_T_HELPER_EXIT_CODE = 14,
	DRBDNL_T_SEND_CNT = 15,
	DRBDNL_T_RECV_CNT = 16,
	DRBDNL_T_READ_CNT = 17,
	DRBDNL_T_WRIT_CNT = 18,
	DRBDNL_T_STATE_MAX = 23,
};
enum { DRBDNL_T_TIMEOUT_TYPE = 1 };
enum { DRBDNL_T_NH_TYPE = 1 };

/* enum drbd_state_info_bcast_reason */
enum {
	DRBDNL_SIB_GET_STATUS_REPLY = 1,
	DRBDNL_SIB_STATE_CHANGE = 2,
	DRBDNL_SIB_HELPER_PRE = 3,
	DRBDNL_SIB_HELPER_POST = 4,
	DRBDNL_SIB_SYNC_PROGRESS = 5,
};

/* enum drbd_notification_type (events2) */
enum { DRBDNL_NOTIFY_DESTROY = 3, DRBDNL_NOTIFY_FLAGS = 0x8000 };

/* enum drbd_ret_code */
enum {
	DRBDNL_NO_ERROR = 101,
	DRBDNL_ERR_MINOR_INVALID = 127,
	DRBDNL_ERR_RES_NOT_KNOWN = 158,
};

/* enum drbd_state_rv: the other number space of ret_code. */
enum {
	DRBDNL_SS_CW_NO_NEED = 4,
	DRBDNL_SS_CW_SUCCESS = 3,
	DRBDNL_SS_NOTHING_TO_DO = 2,
	DRBDNL_SS_SUCCESS = 1,
	DRBDNL_SS_UNKNOWN_ERROR = 0,
	DRBDNL_SS_ALREADY_STANDALONE = -9,
	DRBDNL_SS_IN_TRANSIENT_STATE = -18,
	DRBDNL_SS_CONCURRENT_ST_CHG = -19,
};

#endif
