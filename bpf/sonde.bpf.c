// SPDX-License-Identifier: GPL-2.0
/*
 * sonde's kernel side: tracepoints on the data syscalls, connection setup and
 * teardown, TCP state and retransmits, and process exec/exit. Every record
 * leaves through the `events` ring buffer; the contract is sonde_events.h.
 *
 * A data syscall is seen twice. At enter the process filters run and the
 * arguments are stashed in the thread's task-local storage: nothing else,
 * because every hooked syscall of every process pays for enter. At exit the
 * byte count is known, and only a call that moved bytes goes on: the fd is
 * resolved to its socket, the port filters run, the first bytes are checked
 * for an L7 protocol, the payload is copied and the event is sent.
 *
 * Syscall tracepoint records are read through `__u64 *ctx`: ctx[0] is the
 * common header, ctx[1] the syscall number, ctx[2..] the arguments (enter)
 * or ctx[2] the return value (exit).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "sonde_events.h"
#include "maps.h"
#include "filter.h"
#include "sock.h"
#include "protocol_detect.h"
#include "payload.h"

char LICENSE[] SEC("license") = "GPL";

#define SONDE_EINPROGRESS 115

static __always_inline void fill_header(struct sonde_event_header *header, __u32 kind, __u64 pid_tgid)
{
	header->kind = kind;
	header->pid = pid_tgid >> 32;
	header->tid = (__u32)pid_tgid;
	header->reserved = 0;
	header->timestamp_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(&header->comm, sizeof(header->comm));
}

/* ---- data syscalls ---------------------------------------------------- */

static __always_inline int data_enter(__s32 fd, __u64 buf, __u64 iovcnt, __u64 mmsg, __u8 syscall, __u8 direction)
{
	if (fd < 0)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!process_allowed(pid_tgid >> 32))
		return 0;
	struct sonde_thread *thread = current_thread(true);
	if (!thread)
		return 0;
	thread->data = (struct sonde_data_args){
		.enter_ns = bpf_ktime_get_ns(),
		.buf = buf,
		.iovcnt = iovcnt,
		.mmsg = mmsg,
		.fd = fd,
		.syscall = syscall,
		.direction = direction,
	};
	thread->data_pending = 1;
	return 0;
}

/* The chained trace id: ingress after egress (or first ingress) opens a new
 * id; ingress after ingress continues it; egress inherits it (0 if none). */
static __always_inline __u64 thread_trace_id(struct sonde_thread *thread, __u8 direction)
{
	if (direction == SONDE_INGRESS) {
		if (thread->last_direction != SONDE_INGRESS) {
			thread->trace_id = next_id(SONDE_ID_TRACE);
			thread->last_direction = SONDE_INGRESS;
		}
		return thread->trace_id;
	}
	/* 0 until the thread's first ingress. */
	thread->last_direction = SONDE_EGRESS;
	return thread->trace_id;
}

static __always_inline int data_exit(__s64 ret, __u8 syscall)
{
	struct sonde_thread *thread = current_thread(false);
	if (!thread || !thread->data_pending)
		return 0;
	thread->data_pending = 0;
	/* An enter whose exit was never seen (attached in between) must not
	 * lend its arguments to another syscall. */
	if (thread->data.syscall != syscall || ret <= 0)
		return 0;
	const struct sonde_data_args *args = &thread->data;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	__s64 bytes = ret;
	if (args->mmsg) {
		/* ret counts messages; the first message's length is in msg_len. */
		__u32 msg_len = 0;
		if (bpf_probe_read_user(&msg_len, sizeof(msg_len),
					(void *)(args->mmsg + __builtin_offsetof(struct sonde_mmsghdr, msg_len))))
			return 0;
		bytes = msg_len;
		if (bytes <= 0)
			return 0;
	}

	struct sonde_sock_view view;
	struct sock *sk = fd_to_sock(args->fd, true, &view);
	if (!sk)
		return 0;
	if (!ports_allowed(view.sport, view.dport))
		return 0;
	/* The sequence number of the message's first byte: the socket's
	 * counter has moved by exactly the bytes of this call. Of several
	 * messages moved at once (sendmmsg/recvmmsg), only the total is
	 * known, so the first one's number is not. */
	__u32 seq = 0;
	if (!view.udp && (!args->mmsg || ret == 1))
		seq = first_byte_seq(sk, &view, args->direction, (__u32)bytes);

	__u64 key = (__u64)sk;
	struct sonde_sock_info *info = bpf_map_lookup_elem(&sockets, &key);
	if (!info || info->l7_protocol == SONDE_L7_UNKNOWN) {
		__u8 head[SONDE_DETECT_LEN] = {};
		__u32 head_len = read_head(args, bytes, head);
		/* UDP carries DNS only: never the stream protocols' checks. */
		__u8 l7 = view.udp ? SONDE_L7_UNKNOWN : sonde_detect_l7(head, head_len, args->direction);
		if (l7 == SONDE_L7_UNKNOWN)
			l7 = sonde_detect_socket(sk, view.sport, view.dport, head, head_len);
		if (l7 == SONDE_L7_UNKNOWN)
			l7 = forced_by_port(view.sport, view.dport);
		if (l7 == SONDE_L7_UNKNOWN) {
			count(SONDE_COUNTER_FILTERED_NOT_L7);
			return 0;
		}
		if (info)
			info->l7_protocol = l7;
		else
			info = sock_info_new(sk, SONDE_ROLE_UNKNOWN, l7);
		if (!info)
			return 0;
	}

	__u32 zero = 0;
	struct sonde_data_scratch *scratch = bpf_map_lookup_elem(&data_scratch, &zero);
	if (!scratch)
		return 0;
	struct sonde_data_event *event = &scratch->event;
	fill_header(&event->header, SONDE_EVENT_DATA, pid_tgid);
	event->tuple = info->tuple;
	event->socket_id = info->id;
	event->l7_protocol = info->l7_protocol;
	event->trace_id = thread_trace_id(thread, args->direction);
	event->enter_ns = args->enter_ns;
	event->bytes = bytes;
	event->tcp_seq = seq;
	event->fd = args->fd;
	event->direction = args->direction;
	event->syscall = args->syscall;
	event->reserved = 0;

	__u32 want = payload_size;
	if ((__u64)bytes < want)
		want = bytes;
	__u32 copied = read_payload(args, want, scratch->payload);
	event->payload_len = copied;

	__u64 size = sizeof(struct sonde_data_event) + copied;
	if (size > sizeof(struct sonde_data_event) + SONDE_MAX_PAYLOAD)
		return 0;
	if (bpf_ringbuf_output(&events, scratch, size, 0))
		count(SONDE_COUNTER_RINGBUF_DROPS);
	else
		count(SONDE_COUNTER_EVENTS_SENT);
	return 0;
}

/* Arguments of a msghdr-carrying syscall at enter: its iovecs. */
static __always_inline int msg_enter(__u64 *ctx, __u8 syscall, __u8 direction, __u64 flags)
{
	if (flags & SONDE_MSG_PEEK)
		return 0;
	__u64 iov = 0, iovcnt = 0;
	read_msghdr(ctx[3], &iov, &iovcnt);
	if (!iovcnt)
		return 0;
	return data_enter((__s32)ctx[2], iov, iovcnt, 0, syscall, direction);
}

static __always_inline int mmsg_enter(__u64 *ctx, __u8 syscall, __u8 direction, __u64 flags)
{
	if (flags & SONDE_MSG_PEEK)
		return 0;
	if (!ctx[4]) /* vlen */
		return 0;
	__u64 iov = 0, iovcnt = 0;
	read_msghdr(ctx[3], &iov, &iovcnt);
	if (!iovcnt)
		return 0;
	return data_enter((__s32)ctx[2], iov, iovcnt, ctx[3], syscall, direction);
}

SEC("tracepoint/syscalls/sys_enter_read")
int sys_enter_read(__u64 *ctx) { return data_enter((__s32)ctx[2], ctx[3], 0, 0, SONDE_SYS_READ, SONDE_INGRESS); }
SEC("tracepoint/syscalls/sys_exit_read")
int sys_exit_read(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_READ); }

SEC("tracepoint/syscalls/sys_enter_write")
int sys_enter_write(__u64 *ctx) { return data_enter((__s32)ctx[2], ctx[3], 0, 0, SONDE_SYS_WRITE, SONDE_EGRESS); }
SEC("tracepoint/syscalls/sys_exit_write")
int sys_exit_write(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_WRITE); }

SEC("tracepoint/syscalls/sys_enter_readv")
int sys_enter_readv(__u64 *ctx) { return data_enter((__s32)ctx[2], ctx[3], ctx[4], 0, SONDE_SYS_READV, SONDE_INGRESS); }
SEC("tracepoint/syscalls/sys_exit_readv")
int sys_exit_readv(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_READV); }

SEC("tracepoint/syscalls/sys_enter_writev")
int sys_enter_writev(__u64 *ctx) { return data_enter((__s32)ctx[2], ctx[3], ctx[4], 0, SONDE_SYS_WRITEV, SONDE_EGRESS); }
SEC("tracepoint/syscalls/sys_exit_writev")
int sys_exit_writev(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_WRITEV); }

/* sendto(fd, buf, len, flags, addr, addrlen) */
SEC("tracepoint/syscalls/sys_enter_sendto")
int sys_enter_sendto(__u64 *ctx) { return data_enter((__s32)ctx[2], ctx[3], 0, 0, SONDE_SYS_SENDTO, SONDE_EGRESS); }
SEC("tracepoint/syscalls/sys_exit_sendto")
int sys_exit_sendto(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_SENDTO); }

/* recvfrom(fd, buf, len, flags, addr, addrlen) */
SEC("tracepoint/syscalls/sys_enter_recvfrom")
int sys_enter_recvfrom(__u64 *ctx)
{
	if (ctx[5] & SONDE_MSG_PEEK)
		return 0;
	return data_enter((__s32)ctx[2], ctx[3], 0, 0, SONDE_SYS_RECVFROM, SONDE_INGRESS);
}
SEC("tracepoint/syscalls/sys_exit_recvfrom")
int sys_exit_recvfrom(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_RECVFROM); }

/* sendmsg(fd, msg, flags) */
SEC("tracepoint/syscalls/sys_enter_sendmsg")
int sys_enter_sendmsg(__u64 *ctx) { return msg_enter(ctx, SONDE_SYS_SENDMSG, SONDE_EGRESS, 0); }
SEC("tracepoint/syscalls/sys_exit_sendmsg")
int sys_exit_sendmsg(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_SENDMSG); }

/* recvmsg(fd, msg, flags) */
SEC("tracepoint/syscalls/sys_enter_recvmsg")
int sys_enter_recvmsg(__u64 *ctx) { return msg_enter(ctx, SONDE_SYS_RECVMSG, SONDE_INGRESS, ctx[4]); }
SEC("tracepoint/syscalls/sys_exit_recvmsg")
int sys_exit_recvmsg(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_RECVMSG); }

/* sendmmsg(fd, mmsg, vlen, flags) */
SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int sys_enter_sendmmsg(__u64 *ctx) { return mmsg_enter(ctx, SONDE_SYS_SENDMMSG, SONDE_EGRESS, 0); }
SEC("tracepoint/syscalls/sys_exit_sendmmsg")
int sys_exit_sendmmsg(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_SENDMMSG); }

/* recvmmsg(fd, mmsg, vlen, flags, timeout) */
SEC("tracepoint/syscalls/sys_enter_recvmmsg")
int sys_enter_recvmmsg(__u64 *ctx) { return mmsg_enter(ctx, SONDE_SYS_RECVMMSG, SONDE_INGRESS, ctx[5]); }
SEC("tracepoint/syscalls/sys_exit_recvmmsg")
int sys_exit_recvmmsg(__u64 *ctx) { return data_exit((__s64)ctx[2], SONDE_SYS_RECVMMSG); }

/* ---- connection setup and teardown ----------------------------------- */

static __always_inline void send_socket_event(__u32 kind, __u64 pid_tgid, const struct sonde_sock_info *info,
					      __s32 fd, __s32 ret, __u32 old_state, __u32 new_state)
{
	struct sonde_socket_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		count(SONDE_COUNTER_RINGBUF_DROPS);
		return;
	}
	fill_header(&event->header, kind, pid_tgid);
	event->tuple = info->tuple;
	event->socket_id = info->id;
	event->fd = fd;
	event->ret = ret;
	event->old_state = old_state;
	event->new_state = new_state;
	event->retransmits = info->retransmits;
	event->reserved = 0;
	bpf_ringbuf_submit(event, 0);
	count(SONDE_COUNTER_EVENTS_SENT);
}

static __always_inline int conn_enter(__s64 fd)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!process_allowed(pid_tgid >> 32))
		return 0;
	struct sonde_thread *thread = current_thread(true);
	if (!thread)
		return 0;
	thread->conn_fd = fd;
	thread->conn_pending = 1;
	return 0;
}

/* A connection starts: connect (fd from enter) or accept (fd is ret). */
static __always_inline int conn_exit(__s64 ret, __u32 kind)
{
	struct sonde_thread *thread = current_thread(false);
	if (!thread || !thread->conn_pending)
		return 0;
	thread->conn_pending = 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__s32 fd = kind == SONDE_EVENT_CONNECT ? (__s32)thread->conn_fd : (__s32)ret;
	if (kind == SONDE_EVENT_CONNECT ? (ret != 0 && ret != -SONDE_EINPROGRESS) : ret < 0)
		return 0;
	struct sonde_sock_view view;
	struct sock *sk = fd_to_tcp_sock(fd, &view);
	if (!sk)
		return 0;
	if (!ports_allowed(view.sport, view.dport))
		return 0;
	__u8 role = kind == SONDE_EVENT_CONNECT ? SONDE_ROLE_CLIENT : SONDE_ROLE_SERVER;
	struct sonde_sock_info *info = sock_info_new(sk, role, SONDE_L7_UNKNOWN);
	if (!info)
		return 0;
	send_socket_event(kind, pid_tgid, info, fd, (__s32)ret, 0, 0);
	return 0;
}

/* connect(fd, addr, addrlen) */
SEC("tracepoint/syscalls/sys_enter_connect")
int sys_enter_connect(__u64 *ctx) { return conn_enter((__s64)(__s32)ctx[2]); }
SEC("tracepoint/syscalls/sys_exit_connect")
int sys_exit_connect(__u64 *ctx) { return conn_exit((__s64)ctx[2], SONDE_EVENT_CONNECT); }

SEC("tracepoint/syscalls/sys_enter_accept")
int sys_enter_accept(__u64 *ctx) { return conn_enter(-1); }
SEC("tracepoint/syscalls/sys_exit_accept")
int sys_exit_accept(__u64 *ctx) { return conn_exit((__s64)ctx[2], SONDE_EVENT_ACCEPT); }

SEC("tracepoint/syscalls/sys_enter_accept4")
int sys_enter_accept4(__u64 *ctx) { return conn_enter(-1); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int sys_exit_accept4(__u64 *ctx) { return conn_exit((__s64)ctx[2], SONDE_EVENT_ACCEPT); }

/* close(fd): only sockets sonde has reported get a CLOSE; the entry goes. */
SEC("tracepoint/syscalls/sys_enter_close")
int sys_enter_close(__u64 *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) == sonde_pid)
		return 0;
	__s32 fd = (__s32)ctx[2];
	struct sonde_sock_view view;
	struct sock *sk = fd_to_sock(fd, true, &view);
	if (!sk)
		return 0;
	__u64 key = (__u64)sk;
	struct sonde_sock_info *info = bpf_map_lookup_elem(&sockets, &key);
	if (!info)
		return 0;
	send_socket_event(SONDE_EVENT_CLOSE, pid_tgid, info, fd, 0, 0, 0);
	bpf_map_delete_elem(&sockets, &key);
	return 0;
}

/* sock:inet_sock_set_state: skaddr @8, oldstate @16, newstate @20. Runs in
 * whatever task is current (often softirq), so only known sockets count. */
SEC("tracepoint/sock/inet_sock_set_state")
int inet_sock_set_state(__u64 *ctx)
{
	__u64 key = ctx[1];
	struct sonde_sock_info *info = bpf_map_lookup_elem(&sockets, &key);
	if (!info)
		return 0;
	__u32 old_state = ((__u32 *)ctx)[4];
	__u32 new_state = ((__u32 *)ctx)[5];
	send_socket_event(SONDE_EVENT_SOCK_STATE, bpf_get_current_pid_tgid(), info, -1, 0, old_state, new_state);
	if (new_state == SONDE_TCP_CLOSE)
		bpf_map_delete_elem(&sockets, &key);
	return 0;
}

/* tcp:tcp_retransmit_skb: skaddr @16, state @24. */
SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcp_retransmit_skb(__u64 *ctx)
{
	__u64 key = ctx[2];
	struct sonde_sock_info *info = bpf_map_lookup_elem(&sockets, &key);
	if (!info)
		return 0;
	info->retransmits += 1;
	__u32 state = ((__u32 *)ctx)[6];
	send_socket_event(SONDE_EVENT_RETRANSMIT, bpf_get_current_pid_tgid(), info, -1, 0, state, state);
	return 0;
}

/* ---- processes --------------------------------------------------------- */

/* sched:sched_process_exec: __data_loc filename @8 (offset in the low 16
 * bits, from the start of the record). */
SEC("tracepoint/sched/sched_process_exec")
int sched_process_exec(__u64 *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!process_allowed(pid_tgid >> 32))
		return 0;
	struct sonde_process_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		count(SONDE_COUNTER_RINGBUF_DROPS);
		return 0;
	}
	fill_header(&event->header, SONDE_EVENT_PROCESS_EXEC, pid_tgid);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	event->ppid = BPF_CORE_READ(task, real_parent, tgid);
	event->exit_code = 0;
	__u32 loc = ((__u32 *)ctx)[2];
	if (bpf_probe_read_kernel_str(event->filename, sizeof(event->filename), (void *)ctx + (loc & 0xffff)) < 0)
		event->filename[0] = 0;
	bpf_ringbuf_submit(event, 0);
	count(SONDE_COUNTER_EVENTS_SENT);
	return 0;
}

/* sched:sched_process_exit fires per thread (whose task-local state goes
 * with it): report the process when its main thread goes. */
SEC("tracepoint/sched/sched_process_exit")
int sched_process_exit(__u64 *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) != (__u32)pid_tgid)
		return 0;
	if (!process_allowed(pid_tgid >> 32))
		return 0;
	struct sonde_process_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		count(SONDE_COUNTER_RINGBUF_DROPS);
		return 0;
	}
	fill_header(&event->header, SONDE_EVENT_PROCESS_EXIT, pid_tgid);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	event->ppid = BPF_CORE_READ(task, real_parent, tgid);
	event->exit_code = BPF_CORE_READ(task, exit_code);
	event->filename[0] = 0;
	bpf_ringbuf_submit(event, 0);
	count(SONDE_COUNTER_EVENTS_SENT);
	return 0;
}
