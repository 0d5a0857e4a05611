//! Events as the capture delivers them, built by hand for the user-side tests.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::capture::{Comm, DataEvent, Direction, Event, L7Protocol, SocketTuple, Syscall, Task};

pub fn comm(name: &str) -> Comm {
    let mut bytes = [0u8; 16];
    bytes[..name.len()].copy_from_slice(name.as_bytes());
    Comm::from(bytes)
}

pub fn tuple(local: &str, remote: &str) -> SocketTuple {
    SocketTuple {
        local: local.parse::<SocketAddr>().unwrap(),
        remote: remote.parse::<SocketAddr>().unwrap(),
        udp: false,
    }
}

/// One data syscall: builder defaults are a thread `pid`/`pid` named `app`.
#[derive(Clone)]
pub struct Data(pub DataEvent);

impl Data {
    pub fn new(direction: Direction, socket_id: u64, tuple: SocketTuple, payload: &[u8]) -> Data {
        Data(DataEvent {
            task: Task {
                pid: 100,
                tid: 100,
                comm: comm("app"),
                timestamp_ns: 0,
            },
            enter_ns: 0,
            socket_id,
            fd: 3,
            tuple,
            direction,
            syscall: match direction {
                Direction::Egress => Syscall::Write,
                Direction::Ingress => Syscall::Read,
            },
            l7_protocol: L7Protocol::Http1,
            bytes: payload.len() as u64,
            tcp_seq: 0,
            trace_id: None,
            payload: Bytes::copy_from_slice(payload),
        })
    }

    pub fn task(mut self, pid: u32, tid: u32, name: &str) -> Data {
        self.0.task.pid = pid;
        self.0.task.tid = tid;
        self.0.task.comm = comm(name);
        self
    }

    pub fn at(mut self, enter_ns: u64, exit_ns: u64) -> Data {
        self.0.enter_ns = enter_ns;
        self.0.task.timestamp_ns = exit_ns;
        self
    }

    pub fn seq(mut self, tcp_seq: u32) -> Data {
        self.0.tcp_seq = tcp_seq;
        self
    }

    pub fn trace(mut self, trace_id: u64) -> Data {
        self.0.trace_id = Some(trace_id);
        self
    }

    pub fn event(self) -> Event {
        Event::Data(self.0)
    }
}
