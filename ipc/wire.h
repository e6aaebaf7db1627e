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

	/*
	 * ferry-tunnel. The helper copies bytes it never reads: up to 8
	 * streams, each from one fd to another (layouts in
	 * ipc/tunnel-proto.h).
	 *
	 * TUNNEL_STREAM (request, 2 fds: fds[0] "from", read; fds[1] "to",
	 * written): u32 index (0-7, not already open), u32 flags (0). Both
	 * fds must be sockets or pipes; the helper makes them non-blocking
	 * and pumps from -> to until EOF on "from". Reply TUNNEL_OK.
	 * TUNNEL_OK (reply): empty.
	 * TUNNEL_SET_RATE (request): u64 bytes per second over all streams
	 * together, 0 = unlimited; applies at once. Reply TUNNEL_OK.
	 * TUNNEL_CLOSE (request, empty): cancel every open stream (each ends
	 * with -ECANCELED, its fds shut down and closed). Reply TUNNEL_OK.
	 * TUNNEL_PROGRESS (event): u64 total bytes written over all streams,
	 * u32 streams open. About every 250 ms while a stream is open, and
	 * right after every TUNNEL_END.
	 * TUNNEL_END (event): u32 index, i32 status (0: EOF on "from" and
	 * all written; else -errno), u64 bytes written, str message.
	 */
	FERRY_MSG_TUNNEL_STREAM = 32,
	FERRY_MSG_TUNNEL_OK = 33,
	FERRY_MSG_TUNNEL_SET_RATE = 34,
	FERRY_MSG_TUNNEL_CLOSE = 35,
	FERRY_MSG_TUNNEL_PROGRESS = 36,
	FERRY_MSG_TUNNEL_END = 37,

	/*
	 * ferry-compress. One job at a time: a stream from one fd to another,
	 * deflated into a multi-member gzip stream or inflated back (layouts
	 * in ipc/compress-proto.h, format in docs/compress.md).
	 *
	 * COMPRESS_START (request, 2 fds: fds[0] "from", read; fds[1] "to",
	 * written): u32 mode (1 deflate, 2 inflate), u32 flags (0),
	 * u32 block_size (deflate: 0 = default, or 64 KiB-16 MiB),
	 * u32 threads (deflate: 0 = the helper decides, or 1-8),
	 * u64 max_output (inflate: total output limit, 0 = none). Fields the
	 * mode does not use are 0. Each fd is a regular file, a pipe or a
	 * socket, positioned by the broker. Reply COMPRESS_OK, or ERROR
	 * (-EBUSY while a job runs).
	 * COMPRESS_OK (reply): empty.
	 * COMPRESS_CANCEL (request, empty): end the job with -ECANCELED, its
	 * fds shut down and closed. Reply COMPRESS_OK, also when no job runs.
	 * COMPRESS_PROGRESS (event): u64 bytes_in, u64 bytes_out. About every
	 * 250 ms while a job runs.
	 * COMPRESS_DONE (event): i32 status (0: EOF on "from" and all
	 * written; else -errno), u64 bytes_in, u64 bytes_out,
	 * u64 error_offset (the input offset an inflate error names, else
	 * UINT64_MAX), str message. Once per job, before the reply to the
	 * COMPRESS_CANCEL that ended it.
	 */
	FERRY_MSG_COMPRESS_START = 48,
	FERRY_MSG_COMPRESS_OK = 49,
	FERRY_MSG_COMPRESS_CANCEL = 50,
	FERRY_MSG_COMPRESS_PROGRESS = 51,
	FERRY_MSG_COMPRESS_DONE = 52,

	/*
	 * ferry-label. Sets the owner and the SELinux context of one fd, on
	 * the fd itself, never through a path (layouts in ipc/label-proto.h).
	 *
	 * LABEL_FD (request, 1 fd: what to label): u32 flags (bit 0 set the
	 * owner, bit 1 set the SELinux context, at least one of them; bit 2
	 * write security.selinux even when SELinux is disabled, with bit 1
	 * only; other bits refused), u32 expected file type (1 regular file,
	 * 2 pipe, 3 socket: the fd's own type must match), u32 uid, u32 gid
	 * (with bit 0; else 0), str context (with bit 1: 1-255 printable
	 * ASCII bytes, user:role:type:level; else empty). Reply LABEL_RESULT,
	 * or ERROR naming the refusal or the failed call.
	 * LABEL_RESULT (reply): u32 done (bits 0-1: what was applied), u32
	 * SELinux state (0 disabled, 1 permissive, 2 enforcing), str note
	 * (0-127 printable ASCII bytes: "selinux disabled, not labelled"
	 * when bit 1 was asked without bit 2 on a host without SELinux).
	 */
	FERRY_MSG_LABEL_FD = 64,
	FERRY_MSG_LABEL_RESULT = 65,
};

/* Namespace bits carried in HELLO. */
#define FERRY_NS_USER 0x01u
#define FERRY_NS_NET 0x02u
#define FERRY_NS_IPC 0x04u
#define FERRY_NS_MNT 0x08u

#endif
