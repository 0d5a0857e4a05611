//! The decoded capture events, and the one function that turns a ring-buffer
//! record into one of them.
//!
//! Every record starts with a header (kind, pid, tid, timestamp, comm); the
//! kind says which record follows (see `bpf/sonde_events.h`). Decoding is a
//! pure function over bytes and is tested on hand-built records.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;

use super::raw::{self, Record};

/// One thing the kernel side saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A read/write-family syscall on a TCP socket carrying an L7 protocol.
    Data(DataEvent),
    /// A connection was set up: `connect` (role client) or `accept` (role server).
    Connection(ConnectionEvent),
    /// A reported socket was closed by `close(fd)`.
    Close(CloseEvent),
    /// A reported socket changed TCP state. A change to [`TcpState::Close`]
    /// also ends the socket id (a later `close(fd)` then reports nothing).
    TcpState(TcpStateEvent),
    /// The kernel retransmitted a segment of a reported socket.
    Retransmit(RetransmitEvent),
    /// A process called `execve`.
    ProcessExec(ProcessExecEvent),
    /// A process ended (its main thread exited).
    ProcessExit(ProcessExitEvent),
}

/// Who did it, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// The process id (tgid), in the root pid namespace.
    pub pid: u32,
    /// The thread id, in the root pid namespace.
    pub tid: u32,
    /// The thread's name (`comm`) at the time.
    pub comm: Comm,
    /// `bpf_ktime_get_ns()` (CLOCK_MONOTONIC) when the record was made.
    pub timestamp_ns: u64,
}

/// A task name as the kernel keeps it: at most 15 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Comm([u8; 16]);

impl Comm {
    /// The name's bytes, without the NUL padding.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        &self.0[..len]
    }

    /// The name as text (lossy for names that are not UTF-8).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

impl From<[u8; 16]> for Comm {
    fn from(bytes: [u8; 16]) -> Self {
        Comm(bytes)
    }
}

impl fmt::Display for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A socket's two ends, as seen from the process that owns it: for a
/// client `local` is its ephemeral port; for a server, `local` is the port it
/// listens on. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, from dual-stack
/// sockets) are given as IPv4. An unconnected UDP socket has no remote end
/// (`0.0.0.0:0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SocketTuple {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// A UDP socket (else TCP): each syscall moves one datagram, and there
    /// are no sequence numbers.
    pub udp: bool,
}

/// Which way the bytes went, from the traced process's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent by the process (write, send*).
    Egress,
    /// Received by the process (read, recv*).
    Ingress,
}

/// The syscall a data event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syscall {
    Read,
    Write,
    Readv,
    Writev,
    Sendto,
    Recvfrom,
    Sendmsg,
    Recvmsg,
    Sendmmsg,
    Recvmmsg,
}

/// What the kernel's first-bytes check recognised on the socket. User space
/// detects again from the payload (the kernel sees 8 bytes, user space more),
/// so the kernel's verdict is only kept for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L7Protocol {
    Http1,
    /// Another of `enum sonde_l7_protocol`, or a port the config forces.
    Other(u8),
}

/// A TCP state (`include/net/tcp_states.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    NewSynRecv,
    /// A value this build does not know.
    Other(u32),
}

impl TcpState {
    fn from_raw(state: u32) -> Self {
        match state {
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 => TcpState::SynRecv,
            4 => TcpState::FinWait1,
            5 => TcpState::FinWait2,
            6 => TcpState::TimeWait,
            7 => TcpState::Close,
            8 => TcpState::CloseWait,
            9 => TcpState::LastAck,
            10 => TcpState::Listen,
            11 => TcpState::Closing,
            12 => TcpState::NewSynRecv,
            other => TcpState::Other(other),
        }
    }
}

/// The role a process plays on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// It called `connect`.
    Client,
    /// It called `accept`.
    Server,
}

/// One data syscall on an L7 socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataEvent {
    /// The thread that made the syscall; `task.timestamp_ns` is the exit time.
    pub task: Task,
    /// The syscall's entry time (same clock as `task.timestamp_ns`).
    pub enter_ns: u64,
    /// Unique per socket for its life in the kernel side's table (from first
    /// sight to close); the key of a connection table.
    pub socket_id: u64,
    pub fd: i32,
    pub tuple: SocketTuple,
    pub direction: Direction,
    pub syscall: Syscall,
    pub l7_protocol: L7Protocol,
    /// The byte count the syscall returned (for sendmmsg/recvmmsg: the
    /// first message's length; only the first message is captured).
    pub bytes: u64,
    /// The TCP sequence number of the first byte moved: `write_seq` at send
    /// entry, `copied_seq` at receive entry. The same number at the client
    /// and at the server for one message.
    pub tcp_seq: u32,
    /// The thread's chained trace id (DeepFlow's syscall_trace_id): an
    /// ingress after egress starts a new id, egress inherits the current one.
    /// `None` for egress on a thread that has received nothing yet.
    pub trace_id: Option<u64>,
    /// The first `min(bytes, payload_size)` bytes.
    pub payload: Bytes,
}

/// `connect` or `accept` on a TCP socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionEvent {
    pub task: Task,
    pub socket_id: u64,
    pub fd: i32,
    pub tuple: SocketTuple,
    pub role: Role,
    /// `connect` returned EINPROGRESS (a non-blocking connect still under way).
    pub in_progress: bool,
}

/// `close(fd)` of a socket the kernel side had reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseEvent {
    pub task: Task,
    pub socket_id: u64,
    pub fd: i32,
    pub tuple: SocketTuple,
    /// Retransmits seen on the socket over its life.
    pub retransmits: u32,
}

/// A TCP state change of a reported socket. It happens in whatever task is
/// running (often a softirq), so `task` may be unrelated to the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpStateEvent {
    pub task: Task,
    pub socket_id: u64,
    pub tuple: SocketTuple,
    pub old: TcpState,
    pub new: TcpState,
}

/// A retransmitted segment of a reported socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetransmitEvent {
    /// The task that was running (often unrelated; see [`TcpStateEvent`]).
    pub task: Task,
    pub socket_id: u64,
    pub tuple: SocketTuple,
    pub state: TcpState,
    /// Retransmits seen on the socket so far, this one included.
    pub retransmits: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessExecEvent {
    /// The process after exec: `task.comm` is the new name.
    pub task: Task,
    pub ppid: u32,
    /// The path given to exec (the kernel's `bprm->filename`).
    pub filename: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessExitEvent {
    pub task: Task,
    pub ppid: u32,
    /// The kernel's wait status (`exit_code`: the exit status in bits 8..16,
    /// a terminating signal in the low 7 bits).
    pub exit_code: i32,
}

/// Why a record could not be decoded. Always a kernel/user-space mismatch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("a ring-buffer record of {0} bytes is shorter than its header")]
    Short(usize),
    #[error("a ring-buffer record of kind {kind} has {len} bytes, fewer than its {want}")]
    Truncated { kind: u32, len: usize, want: usize },
    #[error("a ring-buffer record has the unknown kind {0}")]
    UnknownKind(u32),
    #[error("a ring-buffer record of kind {kind} has the unknown {field} {value}")]
    UnknownValue {
        kind: u32,
        field: &'static str,
        value: u32,
    },
}

/// Decodes one ring-buffer record.
pub fn decode(record: &[u8]) -> Result<Event, DecodeError> {
    let header = raw::sonde_event_header::read(record).ok_or(DecodeError::Short(record.len()))?;
    match header.kind {
        raw::SONDE_EVENT_DATA => decode_data(record).map(Event::Data),
        raw::SONDE_EVENT_CONNECT | raw::SONDE_EVENT_ACCEPT | raw::SONDE_EVENT_CLOSE => {
            let raw = read::<raw::sonde_socket_event>(record, header.kind)?;
            let (task, socket_id, fd, tuple) =
                (task(&raw.header), raw.socket_id, raw.fd, tuple(&raw.tuple));
            Ok(match header.kind {
                raw::SONDE_EVENT_CLOSE => Event::Close(CloseEvent {
                    task,
                    socket_id,
                    fd,
                    tuple,
                    retransmits: raw.retransmits,
                }),
                kind => Event::Connection(ConnectionEvent {
                    task,
                    socket_id,
                    fd,
                    tuple,
                    role: if kind == raw::SONDE_EVENT_CONNECT {
                        Role::Client
                    } else {
                        Role::Server
                    },
                    in_progress: raw.ret == -libc::EINPROGRESS,
                }),
            })
        }
        raw::SONDE_EVENT_SOCK_STATE => {
            let raw = read::<raw::sonde_socket_event>(record, header.kind)?;
            Ok(Event::TcpState(TcpStateEvent {
                task: task(&raw.header),
                socket_id: raw.socket_id,
                tuple: tuple(&raw.tuple),
                old: TcpState::from_raw(raw.old_state),
                new: TcpState::from_raw(raw.new_state),
            }))
        }
        raw::SONDE_EVENT_RETRANSMIT => {
            let raw = read::<raw::sonde_socket_event>(record, header.kind)?;
            Ok(Event::Retransmit(RetransmitEvent {
                task: task(&raw.header),
                socket_id: raw.socket_id,
                tuple: tuple(&raw.tuple),
                state: TcpState::from_raw(raw.new_state),
                retransmits: raw.retransmits,
            }))
        }
        raw::SONDE_EVENT_PROCESS_EXEC => {
            let raw = read::<raw::sonde_process_event>(record, header.kind)?;
            let len = raw
                .filename
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(raw.filename.len());
            Ok(Event::ProcessExec(ProcessExecEvent {
                task: task(&raw.header),
                ppid: raw.ppid,
                filename: String::from_utf8_lossy(&raw.filename[..len]).into_owned(),
            }))
        }
        raw::SONDE_EVENT_PROCESS_EXIT => {
            let raw = read::<raw::sonde_process_event>(record, header.kind)?;
            Ok(Event::ProcessExit(ProcessExitEvent {
                task: task(&raw.header),
                ppid: raw.ppid,
                exit_code: raw.exit_code,
            }))
        }
        kind => Err(DecodeError::UnknownKind(kind)),
    }
}

fn read<R: Record>(record: &[u8], kind: u32) -> Result<R, DecodeError> {
    R::read(record).ok_or(DecodeError::Truncated {
        kind,
        len: record.len(),
        want: size_of::<R>(),
    })
}

fn decode_data(record: &[u8]) -> Result<DataEvent, DecodeError> {
    let kind = raw::SONDE_EVENT_DATA;
    let raw = read::<raw::sonde_data_event>(record, kind)?;
    let start = size_of::<raw::sonde_data_event>();
    let end = start + raw.payload_len as usize;
    let payload = record.get(start..end).ok_or(DecodeError::Truncated {
        kind,
        len: record.len(),
        want: end,
    })?;
    let unknown = |field, value| DecodeError::UnknownValue { kind, field, value };
    Ok(DataEvent {
        task: task(&raw.header),
        enter_ns: raw.enter_ns,
        socket_id: raw.socket_id,
        fd: raw.fd,
        tuple: tuple(&raw.tuple),
        direction: match u32::from(raw.direction) {
            raw::SONDE_EGRESS => Direction::Egress,
            raw::SONDE_INGRESS => Direction::Ingress,
            other => return Err(unknown("direction", other)),
        },
        syscall: syscall(raw.syscall).ok_or(unknown("syscall", u32::from(raw.syscall)))?,
        l7_protocol: match u32::from(raw.l7_protocol) {
            raw::SONDE_L7_HTTP1 => L7Protocol::Http1,
            0 => return Err(unknown("l7_protocol", 0)),
            _ => L7Protocol::Other(raw.l7_protocol),
        },
        bytes: raw.bytes.max(0) as u64,
        tcp_seq: raw.tcp_seq,
        trace_id: (raw.trace_id != 0).then_some(raw.trace_id),
        payload: Bytes::copy_from_slice(payload),
    })
}

fn syscall(raw: u8) -> Option<Syscall> {
    Some(match u32::from(raw) {
        raw::SONDE_SYS_READ => Syscall::Read,
        raw::SONDE_SYS_WRITE => Syscall::Write,
        raw::SONDE_SYS_READV => Syscall::Readv,
        raw::SONDE_SYS_WRITEV => Syscall::Writev,
        raw::SONDE_SYS_SENDTO => Syscall::Sendto,
        raw::SONDE_SYS_RECVFROM => Syscall::Recvfrom,
        raw::SONDE_SYS_SENDMSG => Syscall::Sendmsg,
        raw::SONDE_SYS_RECVMSG => Syscall::Recvmsg,
        raw::SONDE_SYS_SENDMMSG => Syscall::Sendmmsg,
        raw::SONDE_SYS_RECVMMSG => Syscall::Recvmmsg,
        _ => return None,
    })
}

fn task(header: &raw::sonde_event_header) -> Task {
    Task {
        pid: header.pid,
        tid: header.tid,
        comm: Comm(header.comm),
        timestamp_ns: header.timestamp_ns,
    }
}

fn tuple(raw: &raw::sonde_tuple) -> SocketTuple {
    let addr = |bytes: &[u8; 16]| -> IpAddr {
        if u32::from(raw.family) == libc::AF_INET6 as u32 {
            // A dual-stack socket talking IPv4 holds ::ffff:a.b.c.d; shown as
            // a.b.c.d so both ends of one connection compare equal.
            IpAddr::V6(Ipv6Addr::from(*bytes)).to_canonical()
        } else {
            IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
        }
    };
    SocketTuple {
        local: SocketAddr::new(addr(&raw.saddr), raw.sport),
        remote: SocketAddr::new(addr(&raw.daddr), raw.dport),
        udp: u32::from(raw.protocol) == libc::IPPROTO_UDP as u32,
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
