/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The contract between sonde's eBPF programs and user space: every record
 * that leaves the kernel through the `events` ring buffer, the counters, and
 * the filter keys. Declared here once; receivers/ebpf/src/capture/raw.rs
 * mirrors each struct as #[repr(C)].
 *
 * Drift is caught on both sides: every SONDE_SIZE / SONDE_OFFSET line below is
 * a _Static_assert for the C compiler, and receivers/ebpf/build.rs reads the
 * same lines and turns them into compile-time asserts on the Rust mirrors.
 * Change a struct, and both builds fail until the numbers and the mirror
 * agree. Keep one SONDE_* per line: build.rs parses them with a line scanner.
 *
 * Every record starts with struct sonde_event_header; `kind` says which
 * struct follows. All integers are in host byte order, except the addresses,
 * which are the raw network-order bytes of the socket.
 */
#ifndef __SONDE_EVENTS_H__
#define __SONDE_EVENTS_H__

#define SONDE_COMM_LEN 16
#define SONDE_FILENAME_LEN 256
/* The compiled maximum of captured payload per event; a power of two. */
#define SONDE_MAX_PAYLOAD 4096
#define SONDE_DEFAULT_PAYLOAD 1024

enum sonde_event_kind {
	SONDE_EVENT_DATA = 1,
	SONDE_EVENT_CONNECT = 2,
	SONDE_EVENT_ACCEPT = 3,
	SONDE_EVENT_CLOSE = 4,
	SONDE_EVENT_SOCK_STATE = 5,
	SONDE_EVENT_RETRANSMIT = 6,
	SONDE_EVENT_PROCESS_EXEC = 7,
	SONDE_EVENT_PROCESS_EXIT = 8,
};

enum sonde_direction {
	SONDE_EGRESS = 0,
	SONDE_INGRESS = 1,
};

/* Which syscall produced a data event. */
enum sonde_syscall {
	SONDE_SYS_READ = 0,
	SONDE_SYS_WRITE = 1,
	SONDE_SYS_READV = 2,
	SONDE_SYS_WRITEV = 3,
	SONDE_SYS_SENDTO = 4,
	SONDE_SYS_RECVFROM = 5,
	SONDE_SYS_SENDMSG = 6,
	SONDE_SYS_RECVMSG = 7,
	SONDE_SYS_SENDMMSG = 8,
	SONDE_SYS_RECVMMSG = 9,
};

/* What the first-bytes check (protocol_detect.h) recognised on a socket. */
enum sonde_l7_protocol {
	SONDE_L7_UNKNOWN = 0,
	SONDE_L7_HTTP1 = 1,
	SONDE_L7_HTTP2 = 2,
	SONDE_L7_REDIS = 3,
	SONDE_L7_POSTGRES = 4,
	SONDE_L7_MYSQL = 5,
	SONDE_L7_DNS = 6,
	SONDE_L7_KAFKA = 7,
	SONDE_L7_MQTT = 8,
	SONDE_L7_MEMCACHED = 9,
	SONDE_L7_NATS = 10,
	SONDE_L7_AMQP = 11,
	/* A port the config assigns to a protocol (user space parses it as that). */
	SONDE_L7_BY_PORT = 255,
};

/* Indexes of the per-CPU `counters` array; user space sums over CPUs. */
enum sonde_counter {
	SONDE_COUNTER_EVENTS_SENT = 0,
	SONDE_COUNTER_RINGBUF_DROPS = 1,
	SONDE_COUNTER_FILTERED_SELF = 2,
	SONDE_COUNTER_FILTERED_PID = 3,
	SONDE_COUNTER_FILTERED_COMM = 4,
	SONDE_COUNTER_FILTERED_PORT = 5,
	SONDE_COUNTER_FILTERED_NOT_L7 = 6,
	SONDE_COUNTER_MAX = 7,
};

/* Bits of the `filter_flags` global: which allow/deny maps are in force. */
#define SONDE_FILTER_PID_ALLOW (1u << 0)
#define SONDE_FILTER_PID_DENY (1u << 1)
#define SONDE_FILTER_COMM_ALLOW (1u << 2)
#define SONDE_FILTER_COMM_DENY (1u << 3)
#define SONDE_FILTER_PORT_ALLOW (1u << 4)
#define SONDE_FILTER_PORT_DENY (1u << 5)

/* Starts every record. timestamp_ns is bpf_ktime_get_ns() (CLOCK_MONOTONIC)
 * when the record was made: the syscall exit for data events. pid is the
 * process (tgid) and tid the thread, both in the root pid namespace. */
struct sonde_event_header {
	__u32 kind;
	__u32 pid;
	__u32 tid;
	__u32 reserved;
	__u64 timestamp_ns;
	char comm[SONDE_COMM_LEN];
};

/* A TCP socket seen from its own end: s* is local, d* is remote. IPv4
 * addresses sit in the first 4 bytes (the rest zero). Ports in host order. */
struct sonde_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 protocol;
	__u8 reserved;
};

/* One data syscall on an L7 socket. payload_len bytes of payload follow the
 * struct directly in the same ring-buffer record. */
struct sonde_data_event {
	struct sonde_event_header header;
	struct sonde_tuple tuple;
	__u64 socket_id;
	__u64 trace_id;
	__u64 enter_ns;
	__s64 bytes;
	__u32 tcp_seq;
	__s32 fd;
	__u32 payload_len;
	__u8 direction;
	__u8 syscall;
	__u8 l7_protocol;
	__u8 reserved;
};

/* CONNECT, ACCEPT, CLOSE, SOCK_STATE and RETRANSMIT. Fields a kind does not
 * use are zero (fd is -1 where there is none). */
struct sonde_socket_event {
	struct sonde_event_header header;
	struct sonde_tuple tuple;
	__u64 socket_id;
	__s32 fd;
	__s32 ret;
	__u32 old_state;
	__u32 new_state;
	__u32 retransmits;
	__u32 reserved;
};

/* PROCESS_EXEC and PROCESS_EXIT. filename is NUL-terminated (exec only);
 * exit_code is the kernel's wait status (exit only). */
struct sonde_process_event {
	struct sonde_event_header header;
	__u32 ppid;
	__s32 exit_code;
	char filename[SONDE_FILENAME_LEN];
};

/* Layout, checked by the C compiler here and by rustc through build.rs. */
#ifndef SONDE_SIZE
#define SONDE_SIZE(type, size) _Static_assert(sizeof(struct type) == (size), #type " size")
#define SONDE_OFFSET(type, field, offset)                                      \
	_Static_assert(__builtin_offsetof(struct type, field) == (offset), #type "." #field " offset")
#endif

SONDE_SIZE(sonde_event_header, 40);
SONDE_OFFSET(sonde_event_header, kind, 0);
SONDE_OFFSET(sonde_event_header, pid, 4);
SONDE_OFFSET(sonde_event_header, tid, 8);
SONDE_OFFSET(sonde_event_header, timestamp_ns, 16);
SONDE_OFFSET(sonde_event_header, comm, 24);

SONDE_SIZE(sonde_tuple, 40);
SONDE_OFFSET(sonde_tuple, saddr, 0);
SONDE_OFFSET(sonde_tuple, daddr, 16);
SONDE_OFFSET(sonde_tuple, sport, 32);
SONDE_OFFSET(sonde_tuple, dport, 34);
SONDE_OFFSET(sonde_tuple, family, 36);
SONDE_OFFSET(sonde_tuple, protocol, 38);

SONDE_SIZE(sonde_data_event, 128);
SONDE_OFFSET(sonde_data_event, tuple, 40);
SONDE_OFFSET(sonde_data_event, socket_id, 80);
SONDE_OFFSET(sonde_data_event, trace_id, 88);
SONDE_OFFSET(sonde_data_event, enter_ns, 96);
SONDE_OFFSET(sonde_data_event, bytes, 104);
SONDE_OFFSET(sonde_data_event, tcp_seq, 112);
SONDE_OFFSET(sonde_data_event, fd, 116);
SONDE_OFFSET(sonde_data_event, payload_len, 120);
SONDE_OFFSET(sonde_data_event, direction, 124);
SONDE_OFFSET(sonde_data_event, syscall, 125);
SONDE_OFFSET(sonde_data_event, l7_protocol, 126);

SONDE_SIZE(sonde_socket_event, 112);
SONDE_OFFSET(sonde_socket_event, tuple, 40);
SONDE_OFFSET(sonde_socket_event, socket_id, 80);
SONDE_OFFSET(sonde_socket_event, fd, 88);
SONDE_OFFSET(sonde_socket_event, ret, 92);
SONDE_OFFSET(sonde_socket_event, old_state, 96);
SONDE_OFFSET(sonde_socket_event, new_state, 100);
SONDE_OFFSET(sonde_socket_event, retransmits, 104);

SONDE_SIZE(sonde_process_event, 304);
SONDE_OFFSET(sonde_process_event, ppid, 40);
SONDE_OFFSET(sonde_process_event, exit_code, 44);
SONDE_OFFSET(sonde_process_event, filename, 48);

#endif /* __SONDE_EVENTS_H__ */
