/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal vmlinux.h for sonde's eBPF programs.
 *
 * Made from Linux 6.18 (x86_64) with
 *     bpftool btf dump file /sys/kernel/btf/vmlinux format c
 * and trimmed by hand to the types and members sonde reads. Every struct is
 * marked preserve_access_index, so each member access is a CO-RE relocation:
 * the loader (aya) rewrites the offsets against the running kernel's BTF, and
 * the offsets implied by this file do not matter. What must match the kernel
 * is the member NAMES and their types. Anonymous unions are kept where the
 * kernel has them, so the access paths look like the kernel's.
 *
 * To add a member: find it in the full dump, copy its declaration (and its
 * enclosing anonymous union/struct, if any) into the struct below.
 */
#ifndef __SONDE_VMLINUX_H__
#define __SONDE_VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short int __s16;
typedef short unsigned int __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int __kernel_pid_t;
typedef __kernel_pid_t pid_t;
typedef short unsigned int umode_t;

/* Map types, flags and update modes used by sonde (values from enum bpf_map_type etc.). */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be16 u6_addr16[8];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	union {
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	short unsigned int skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	u16 sk_protocol;
	u16 sk_type;
};

struct tcp_sock {
	u32 copied_seq;
	u32 rcv_nxt;
	u32 write_seq;
};

struct socket {
	short int type;
	struct sock *sk;
};

struct inode {
	umode_t i_mode;
};

struct file {
	void *private_data;
	struct inode *f_inode;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct task_struct {
	int exit_code;
	pid_t tgid;
	struct task_struct *real_parent;
	struct files_struct *files;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __SONDE_VMLINUX_H__ */
