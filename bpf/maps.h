/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Maps and load-time globals shared by every program in sonde.bpf.c.
 * User space sets the globals before load (aya EbpfLoader::override_global)
 * and fills the allow/deny maps before attaching.
 */
#ifndef __SONDE_MAPS_H__
#define __SONDE_MAPS_H__

/* Set by the loader. */
const volatile __u32 sonde_pid = 0;
const volatile __u32 payload_size = SONDE_DEFAULT_PAYLOAD;
const volatile __u32 filter_flags = 0;

/* The one way out. Its size is set by the loader (a power of two pages). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SONDE_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU id generators: index 0 sockets, 1 trace ids. An id is
 * (cpu + 1) << 48 | n, unique without atomics or cross-CPU traffic. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} id_gen SEC(".maps");

/* A data syscall's arguments, from its enter to its exit. */
struct sonde_data_args {
	__u64 enter_ns;
	__u64 buf;
	__u64 iovcnt;
	__u64 mmsg;
	__s32 fd;
	__u8 syscall;
	__u8 direction;
	__u8 reserved[2];
};

/* What a thread carries from a syscall's enter to its exit, and its chained
 * trace id (DeepFlow's syscall_trace_id). Task-local storage, not a hash by
 * pid_tgid: it lives in the task itself, so a lookup is a pointer walk with
 * no hashing or bucket lock, and it goes when the thread does. */
struct sonde_thread {
	struct sonde_data_args data;
	__s64 conn_fd;
	__u64 trace_id;
	__u8 data_pending;
	__u8 conn_pending;
	__u8 last_direction;
	__u8 reserved[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sonde_thread);
} threads SEC(".maps");

/* The current thread's state; created when `create` (at a syscall's enter). */
static __always_inline struct sonde_thread *current_thread(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

enum sonde_role {
	SONDE_ROLE_UNKNOWN = 0,
	SONDE_ROLE_CLIENT = 1,
	SONDE_ROLE_SERVER = 2,
};

/* What the kernel side remembers of a socket it has reported, by struct sock
 * address: from first sight (connect, accept or a first L7 message) to
 * close() or TCP_CLOSE. LRU, so a process killed without close() cannot
 * fill it. */
struct sonde_sock_info {
	struct sonde_tuple tuple;
	__u64 id;
	__u32 retransmits;
	__u8 l7_protocol;
	__u8 role;
	__u8 reserved[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sonde_sock_info);
} sockets SEC(".maps");

#define SONDE_FILTER_MAP(name, key_type)                                       \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_HASH);                               \
		__uint(max_entries, 1024);                                     \
		__type(key, key_type);                                         \
		__type(value, __u8);                                           \
	} name SEC(".maps")

struct sonde_comm_key {
	char comm[SONDE_COMM_LEN];
};

SONDE_FILTER_MAP(pid_allow, __u32);
SONDE_FILTER_MAP(pid_deny, __u32);
SONDE_FILTER_MAP(comm_allow, struct sonde_comm_key);
SONDE_FILTER_MAP(comm_deny, struct sonde_comm_key);
SONDE_FILTER_MAP(port_allow, __u16);
SONDE_FILTER_MAP(port_deny, __u16);
/* Ports whose connections are L7 whatever their first bytes (the config's
 * protocols.ports). */
SONDE_FILTER_MAP(l7_ports, __u16);

/* A data event is built here, not on the 512-byte stack. The payload area is
 * twice the maximum so the verifier can prove offset + length in bounds
 * with both below SONDE_MAX_PAYLOAD. */
struct sonde_data_scratch {
	struct sonde_data_event event;
	__u8 payload[2 * SONDE_MAX_PAYLOAD];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sonde_data_scratch);
} data_scratch SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &counter);
	if (value)
		*value += 1;
}

static __always_inline __u64 next_id(__u32 which)
{
	__u64 *value = bpf_map_lookup_elem(&id_gen, &which);
	if (!value)
		return 0;
	*value += 1;
	return ((__u64)(bpf_get_smp_processor_id() + 1) << 48) | (*value & ((1ULL << 48) - 1));
}

#define SONDE_ID_SOCKET 0
#define SONDE_ID_TRACE 1

#endif /* __SONDE_MAPS_H__ */
