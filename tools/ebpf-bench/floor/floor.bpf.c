// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of tracing syscalls: programs that do nothing, on the same syscall
 * tracepoints sonde's kernel side uses. What nginx loses with these attached
 * is what any tracer built on these hooks costs before it does any work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define EMPTY(name)                                                             \
	SEC("tracepoint/syscalls/sys_enter_" #name)                             \
	int enter_##name(void *ctx) { return 0; }                               \
	SEC("tracepoint/syscalls/sys_exit_" #name)                              \
	int exit_##name(void *ctx) { return 0; }

EMPTY(read) EMPTY(write) EMPTY(readv) EMPTY(writev) EMPTY(sendto) EMPTY(recvfrom)
EMPTY(sendmsg) EMPTY(recvmsg) EMPTY(sendmmsg) EMPTY(recvmmsg)
EMPTY(connect) EMPTY(accept) EMPTY(accept4) EMPTY(close)
