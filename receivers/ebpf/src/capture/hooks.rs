//! Every program of `bpf/sonde.bpf.c` and the tracepoint it attaches to.
//! The preflight checks these tracepoints exist; the loader attaches them.

/// A tracepoint program: its function name in the object, and its tracefs
/// category and event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hook {
    pub program: &'static str,
    pub category: &'static str,
    pub event: &'static str,
}

const fn syscall(program: &'static str) -> Hook {
    Hook {
        program,
        category: "syscalls",
        event: program,
    }
}

pub(crate) const HOOKS: &[Hook] = &[
    syscall("sys_enter_read"),
    syscall("sys_exit_read"),
    syscall("sys_enter_write"),
    syscall("sys_exit_write"),
    syscall("sys_enter_readv"),
    syscall("sys_exit_readv"),
    syscall("sys_enter_writev"),
    syscall("sys_exit_writev"),
    syscall("sys_enter_sendto"),
    syscall("sys_exit_sendto"),
    syscall("sys_enter_recvfrom"),
    syscall("sys_exit_recvfrom"),
    syscall("sys_enter_sendmsg"),
    syscall("sys_exit_sendmsg"),
    syscall("sys_enter_recvmsg"),
    syscall("sys_exit_recvmsg"),
    syscall("sys_enter_sendmmsg"),
    syscall("sys_exit_sendmmsg"),
    syscall("sys_enter_recvmmsg"),
    syscall("sys_exit_recvmmsg"),
    syscall("sys_enter_connect"),
    syscall("sys_exit_connect"),
    syscall("sys_enter_accept"),
    syscall("sys_exit_accept"),
    syscall("sys_enter_accept4"),
    syscall("sys_exit_accept4"),
    syscall("sys_enter_close"),
    Hook {
        program: "inet_sock_set_state",
        category: "sock",
        event: "inet_sock_set_state",
    },
    Hook {
        program: "tcp_retransmit_skb",
        category: "tcp",
        event: "tcp_retransmit_skb",
    },
    Hook {
        program: "sched_process_exec",
        category: "sched",
        event: "sched_process_exec",
    },
    Hook {
        program: "sched_process_exit",
        category: "sched",
        event: "sched_process_exit",
    },
];
