/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * From a file descriptor of the current task to its TCP socket, and from a
 * socket to its 5-tuple and sequence numbers, all through CO-RE reads
 * (task->files->fdt->fd[fd]->private_data->sk).
 */
#ifndef __SONDE_SOCK_H__
#define __SONDE_SOCK_H__

#define SONDE_AF_INET 2
#define SONDE_AF_INET6 10
#define SONDE_IPPROTO_TCP 6
#define SONDE_IPPROTO_UDP 17
#define SONDE_SOCK_STREAM 1
#define SONDE_SOCK_DGRAM 2
#define SONDE_S_IFMT 00170000
#define SONDE_S_IFSOCK 0140000
#define SONDE_TCP_TIME_WAIT 6
#define SONDE_TCP_CLOSE 7
#define SONDE_TCP_CLOSE_WAIT 8
#define SONDE_TCP_LAST_ACK 9
#define SONDE_TCP_CLOSING 11

/* What the hot path needs of a socket besides its address. */
struct sonde_sock_view {
	__u16 sport;
	__u16 dport;
	__u8 udp;
	__u8 state;
};

/* The struct sock behind fd in the current task, or NULL when fd is not an
 * IPv4/IPv6 TCP socket, or (with udp set) UDP socket. Unix sockets stop here.
 * UDP is taken for data only: DNS is the one UDP protocol parsed, and its
 * datagrams carry their own ids, so connect/accept add nothing to it.
 *
 * Every data syscall that moved bytes walks this, so it reads as little as it
 * can: the task's file table through the task's BTF pointer (plain loads, not
 * helper calls), and the socket's ports and family in one read (they are
 * neighbours in struct sock_common, whose head has not moved in years; the
 * offsets are still relocated). */
static __always_inline struct sock *fd_to_sock(__s32 fd, bool udp, struct sonde_sock_view *view)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	if (!fdt)
		return NULL;
	if ((__u32)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *file = NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & SONDE_S_IFMT) != SONDE_S_IFSOCK)
		return NULL;
	struct socket *socket = BPF_CORE_READ(file, private_data);
	if (!socket)
		return NULL;
	struct sock *sk = BPF_CORE_READ(socket, sk);
	if (!sk)
		return NULL;

	/* skc_dport, skc_num, skc_family, skc_state: 7 bytes from skc_dport. */
	__u8 head[8] = {};
	__u32 at = bpf_core_field_offset(sk->__sk_common.skc_dport);
	if (bpf_probe_read_kernel(head, sizeof(head), (void *)sk + at))
		return NULL;
	__u32 num_at = bpf_core_field_offset(sk->__sk_common.skc_num) - at;
	__u32 family_at = bpf_core_field_offset(sk->__sk_common.skc_family) - at;
	__u32 state_at = bpf_core_field_offset(sk->__sk_common.skc_state) - at;
	if (num_at > sizeof(head) - 2 || family_at > sizeof(head) - 2 || state_at > sizeof(head) - 1)
		return NULL;
	__u16 family = *(__u16 *)(head + family_at);
	if (family != SONDE_AF_INET && family != SONDE_AF_INET6)
		return NULL;
	__u16 protocol = BPF_CORE_READ(sk, sk_protocol);
	__u16 type = BPF_CORE_READ(sk, sk_type);
	bool is_tcp = protocol == SONDE_IPPROTO_TCP && type == SONDE_SOCK_STREAM;
	bool is_udp = udp && protocol == SONDE_IPPROTO_UDP && type == SONDE_SOCK_DGRAM;
	if (!is_tcp && !is_udp)
		return NULL;
	view->sport = *(__u16 *)(head + num_at);
	view->dport = bpf_ntohs(*(__be16 *)head);
	view->udp = is_udp;
	view->state = head[state_at];
	return sk;
}

static __always_inline struct sock *fd_to_tcp_sock(__s32 fd, struct sonde_sock_view *view)
{
	return fd_to_sock(fd, false, view);
}

static __always_inline bool is_udp(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol) == SONDE_IPPROTO_UDP;
}

/* The 5-tuple as seen from this end of the connection. */
static __always_inline void read_tuple(struct sock *sk, struct sonde_tuple *tuple)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	tuple->family = family;
	tuple->protocol = is_udp(sk) ? SONDE_IPPROTO_UDP : SONDE_IPPROTO_TCP;
	tuple->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	tuple->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == SONDE_AF_INET) {
		__be32 saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(tuple->saddr, &saddr, 4);
		__builtin_memcpy(tuple->daddr, &daddr, 4);
	} else {
		BPF_CORE_READ_INTO(&tuple->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&tuple->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* The TCP sequence number of the first byte of the `bytes` a send or receive
 * has just moved: the socket's write_seq (next byte to send) or copied_seq
 * (next byte to hand to the application) has advanced by those bytes, so
 * subtracting them gives the number it had at enter. Equal at both ends for
 * one message. A receive that also consumed the peer's FIN moved copied_seq
 * one further (the FIN takes a sequence number): that is when the FIN has
 * arrived (the state says so) and copied_seq has caught up with rcv_nxt; an
 * earlier receive cannot have consumed it, or this one would have read 0. */
static __always_inline __u32 first_byte_seq(struct sock *sk, const struct sonde_sock_view *view,
					    __u8 direction, __u32 bytes)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	if (direction == SONDE_EGRESS)
		return BPF_CORE_READ(tp, write_seq) - bytes;
	__u32 copied = BPF_CORE_READ(tp, copied_seq) - bytes;
	switch (view->state) {
	case SONDE_TCP_CLOSE_WAIT:
	case SONDE_TCP_LAST_ACK:
	case SONDE_TCP_CLOSING:
	case SONDE_TCP_TIME_WAIT:
		if (copied + bytes == BPF_CORE_READ(tp, rcv_nxt))
			copied -= 1;
	}
	return copied;
}

/* A fresh entry for a socket seen for the first time (or reconnected). */
static __always_inline struct sonde_sock_info *sock_info_new(struct sock *sk, __u8 role, __u8 l7)
{
	__u64 key = (__u64)sk;
	struct sonde_sock_info info = {};
	read_tuple(sk, &info.tuple);
	info.id = next_id(SONDE_ID_SOCKET);
	info.role = role;
	info.l7_protocol = l7;
	bpf_map_update_elem(&sockets, &key, &info, BPF_ANY);
	return bpf_map_lookup_elem(&sockets, &key);
}

#endif /* __SONDE_SOCK_H__ */
