/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wire.h - the broker <-> helper wire format, in one place.
 *
 * Every message is one SOCK_SEQPACKET packet: a 16-byte header followed by
 * at most FERRY_WIRE_MAX_PAYLOAD bytes of payload. File descriptors travel
 * beside it as SCM_RIGHTS, and the header says how many. Both ends live on
 * the same host, so integers are in host byte order.
 *
 * Message types are numbered here, explicitly, and never renumbered: a
 * number that falls out of use stays reserved. Ranges: 1-15 every channel,
 * 16-31 ferry-monitor, 32-47 ferry-tunnel, 48-63 ferry-compress,
 * 64-79 ferry-label.
 */
#ifndef FERRY_WIRE_H
#define FERRY_WIRE_H

#include <stdint.h>

/* Bumped on any change to the header or to a message's layout. */
#define FERRY_WIRE_VERSION 1

#define FERRY_WIRE_MAX_PAYLOAD (64u * 1024u)
#define FERRY_WIRE_MAX_FDS 8u

struct ferry_wire_hdr {
	uint16_t version;	/* FERRY_WIRE_VERSION */
	uint16_t type;		/* enum ferry_msg_type */
	uint32_t id;		/* request id; a reply repeats it; 0 otherwise */
	uint32_t len;		/* payload bytes after the header */
	uint8_t nfds;		/* SCM_RIGHTS fds sent with the packet */
	uint8_t flags;		/* FERRY_WIRE_F_* */
	uint16_t reserved;	/* zero */
};

_Static_assert(sizeof(struct ferry_wire_hdr) == 16, "wire header is 16 bytes");

#define FERRY_WIRE_HDR_SIZE ((uint32_t)sizeof(struct ferry_wire_hdr))
#define FERRY_WIRE_MAX_PACKET (FERRY_WIRE_HDR_SIZE + FERRY_WIRE_MAX_PAYLOAD)

/* The packet answers the request whose id it carries. */
#define FERRY_WIRE_F_REPLY 0x01u
#define FERRY_WIRE_F_KNOWN FERRY_WIRE_F_REPLY

enum ferry_msg_type {
	/*
	 * HELLO: first message each way, id 0.
	 * u32 version, str name, u32 filter_syscalls, u32 namespaces.
	 * The last two are a helper's own account of its sandbox (the broker
	 * sends zero): how many syscalls its loaded filter allows and which
	 * FERRY_NS_* it entered.
	 */
	FERRY_MSG_HELLO = 1,
	/* PING (request): u64 token. PONG (reply): the same u64. */
	FERRY_MSG_PING = 2,
	FERRY_MSG_PONG = 3,
	/* ERROR (reply to any request): i32 -errno, str message. */
	FERRY_MSG_ERROR = 4,
	/*
	 * FD_PROBE (request, 1 fd): the helper inspects the fd it was given.
	 * FD_INFO (reply): u32 st_mode file type bits, u32 F_GETFL flags.
	 */
	FERRY_MSG_FD_PROBE = 5,
	FERRY_MSG_FD_INFO = 6,
	/*
	 * TEST_SYSCALL (request, test builds only): u32 syscall number; the
	 * helper makes that syscall with zero arguments. A syscall outside the
	 * helper's list kills it; one inside is answered by SYSCALL_RESULT:
	 * i64 return value (or -errno).
	 */
	FERRY_MSG_TEST_SYSCALL = 7,
	FERRY_MSG_SYSCALL_RESULT = 8,

	/*
	 * ferry-monitor. The broker never sees QMP text: the helper turns
	 * typed requests into QMP commands and QEMU's answers and events
	 * into typed replies and events (layouts in ipc/monitor-proto.h).
	 *
	 * MON_ATTACH (request, 1 fd: QEMU's monitor socket): read the
	 * greeting, negotiate capabilities. Reply MON_ATTACHED.
	 * MON_COMMAND (request): one typed QMP command. Reply MON_RESULT, or
	 * ERROR carrying QEMU's error class and description.
	 * MON_EVENT (event): one QEMU event, typed.
	 * MON_CLOSED (event): the monitor connection ended (QEMU hung up, or
	 * broke the protocol); the helper exits right after sending it.
	 */
	FERRY_MSG_MON_ATTACH = 16,
	FERRY_MSG_MON_ATTACHED = 17,
	FERRY_MSG_MON_COMMAND = 18,
	FERRY_MSG_MON_RESULT = 19,
	FERRY_MSG_MON_EVENT = 20,
	FERRY_MSG_MON_CLOSED = 21,
};

/* Namespace bits carried in HELLO. */
#define FERRY_NS_USER 0x01u
#define FERRY_NS_NET 0x02u
#define FERRY_NS_IPC 0x04u
#define FERRY_NS_MNT 0x08u

#endif
