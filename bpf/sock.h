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
#define SONDE_TCP_CLOSE 7

/* The struct sock behind fd in the current task, or NULL when fd is not an
 * IPv4/IPv6 TCP socket, or (with udp set) UDP socket. Unix sockets stop here.
 * UDP is taken for data only: DNS is the one UDP protocol parsed, and its
 * datagrams carry their own ids, so connect/accept add nothing to it. */
static __always_inline struct sock *fd_to_sock(__s32 fd, bool udp)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return NULL;
	if ((__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
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
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != SONDE_AF_INET && family != SONDE_AF_INET6)
		return NULL;
	__u16 protocol = BPF_CORE_READ(sk, sk_protocol);
	__u16 type = BPF_CORE_READ(sk, sk_type);
	if (protocol == SONDE_IPPROTO_TCP && type == SONDE_SOCK_STREAM)
		return sk;
	if (udp && protocol == SONDE_IPPROTO_UDP && type == SONDE_SOCK_DGRAM)
		return sk;
	return NULL;
}

static __always_inline struct sock *fd_to_tcp_sock(__s32 fd)
{
	return fd_to_sock(fd, false);
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

/* The sequence number of the next byte this end will send (write_seq) or
 * hand to the application (copied_seq): the first byte of the message a
 * send or receive is about to move. Equal at both ends for one message. */
static __always_inline __u32 tcp_seq(struct sock *sk, __u8 direction)
{
	if (is_udp(sk))
		return 0;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	if (direction == SONDE_EGRESS)
		return BPF_CORE_READ(tp, write_seq);
	return BPF_CORE_READ(tp, copied_seq);
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
