// SPDX-License-Identifier: GPL-2.0
/*
 * The cheapest syscall hook there is: one raw tracepoint on sys_enter and one
 * on sys_exit, doing nothing. Every syscall of every process runs them, and
 * the syscall slow path they switch on is paid whatever the programs do.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tracepoint/sys_enter")
int on_enter(void *ctx) { return 0; }

SEC("raw_tracepoint/sys_exit")
int on_exit(void *ctx) { return 0; }
