//! Joins spans into traces without instrumentation, and gives every span its
//! final ids the moment its request begins.
//!
//! Three joins, tried in order for each request as it starts:
//!
//! * **On the wire.** A client's request and the server's view of it carry the
//!   same TCP sequence number for their first byte, between the same two
//!   addresses. The server span takes the client span's trace, with the client
//!   span as its parent. (Events are put in causal order first, so the client's
//!   request has always been seen when the server's arrives: see `reorder`.)
//! * **Within a thread.** The kernel chains a thread's syscalls: a request read
//!   starts a chain id, and what the thread writes meanwhile inherits it. A
//!   client request on a chain is a child of the server request that started it.
//! * **By headers.** A `traceparent` or `sw8` header names the trace and the
//!   caller's span; an `X-Request-ID` seen earlier joins when nothing else does.
//!
//! Ids are random and final: spans go out as soon as their exchange ends, and a
//! backend never has to reassemble anything.

use std::collections::HashMap;
use std::net::SocketAddr;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sonde_ebpf_protocols::{Role, Started};

use crate::capture::SocketTuple;
use crate::context::{self, Parent};

/// A span's ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanIds {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: Option<[u8; 8]>,
}

/// How a span found its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinedBy {
    Root,
    TcpSequence,
    Thread,
    Traceparent,
    Sw8,
    RequestId,
}

/// Where a request was seen: which socket of which process.
#[derive(Clone, Copy, Debug)]
pub struct At {
    pub socket_id: u64,
    pub pid: u32,
    pub tuple: SocketTuple,
}

#[derive(Clone, Copy)]
struct Known {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    at_ns: u64,
}

impl Known {
    fn parent(&self) -> Parent {
        Parent {
            trace_id: self.trace_id,
            span_id: self.span_id,
        }
    }
}

/// The bytes of one request on the wire: client end, server end, first sequence number.
type WireKey = (SocketAddr, SocketAddr, u32);

/// How long a join key waits for the other side.
pub const JOIN_TTL_NS: u64 = 30_000_000_000;

pub struct Joiner {
    rng: SmallRng,
    /// Requests under way: (socket, first sequence number) -> ids and how they joined.
    open: HashMap<(u64, u32), (SpanIds, JoinedBy, u64)>,
    /// Client requests, for the server end of the same bytes.
    wire: HashMap<WireKey, Known>,
    /// The server request each thread chain is serving: (pid, chain id).
    serving: HashMap<(u32, u64), Known>,
    /// Spans by their `X-Request-ID`.
    request_ids: HashMap<String, Known>,
}

impl Joiner {
    pub fn new(seed: u64) -> Joiner {
        Joiner {
            rng: SmallRng::seed_from_u64(seed),
            open: HashMap::new(),
            wire: HashMap::new(),
            serving: HashMap::new(),
            request_ids: HashMap::new(),
        }
    }

    /// A request began at `at`: decide its span's ids now.
    pub fn start(&mut self, at: At, started: &Started) -> SpanIds {
        let meta = &started.meta;
        let header = || {
            let c = &started.context;
            c.traceparent
                .as_deref()
                .and_then(context::traceparent)
                .map(|p| (p, JoinedBy::Traceparent))
                .or_else(|| {
                    c.sw8
                        .as_deref()
                        .and_then(context::sw8)
                        .map(|p| (p, JoinedBy::Sw8))
                })
        };
        let by_request_id = |ids: &HashMap<String, Known>| {
            started
                .context
                .request_id
                .as_ref()
                .and_then(|id| ids.get(id))
                .map(|k| (k.parent(), JoinedBy::RequestId))
        };
        let parent = match started.role {
            Role::Server => self
                .wire
                .get(&(at.tuple.remote, at.tuple.local, meta.tcp_seq))
                .map(|k| (k.parent(), JoinedBy::TcpSequence))
                .or_else(header)
                .or_else(|| by_request_id(&self.request_ids)),
            Role::Client => header()
                .or_else(|| {
                    (meta.trace_id != 0)
                        .then(|| self.serving.get(&(at.pid, meta.trace_id)))
                        .flatten()
                        .map(|k| (k.parent(), JoinedBy::Thread))
                })
                .or_else(|| by_request_id(&self.request_ids)),
        };
        let span_id = self.nonzero_span_id();
        let (ids, joined) = match parent {
            Some((p, joined)) => (
                SpanIds {
                    trace_id: p.trace_id,
                    span_id,
                    parent_span_id: Some(p.span_id),
                },
                joined,
            ),
            None => (
                SpanIds {
                    trace_id: self.nonzero_trace_id(),
                    span_id,
                    parent_span_id: None,
                },
                JoinedBy::Root,
            ),
        };
        let known = Known {
            trace_id: ids.trace_id,
            span_id: ids.span_id,
            at_ns: meta.start_ns,
        };
        match started.role {
            Role::Server if meta.trace_id != 0 => {
                self.serving.insert((at.pid, meta.trace_id), known);
            }
            Role::Server => {}
            Role::Client => {
                self.wire
                    .insert((at.tuple.local, at.tuple.remote, meta.tcp_seq), known);
            }
        }
        if let Some(id) = &started.context.request_id {
            self.request_ids.entry(id.clone()).or_insert(known);
        }
        self.open
            .insert((at.socket_id, meta.tcp_seq), (ids, joined, meta.start_ns));
        ids
    }

    /// The request at (`socket_id`, `tcp_seq`) ended (answered or not): its ids,
    /// or fresh root ids when its start was never seen.
    pub fn finish(&mut self, socket_id: u64, tcp_seq: u32) -> (SpanIds, JoinedBy) {
        match self.open.remove(&(socket_id, tcp_seq)) {
            Some((ids, joined, _)) => (ids, joined),
            None => (
                SpanIds {
                    trace_id: self.nonzero_trace_id(),
                    span_id: self.nonzero_span_id(),
                    parent_span_id: None,
                },
                JoinedBy::Root,
            ),
        }
    }

    /// Forgets join keys older than `cutoff_ns`, and requests that never ended.
    pub fn expire(&mut self, cutoff_ns: u64) {
        self.wire.retain(|_, k| k.at_ns >= cutoff_ns);
        self.serving.retain(|_, k| k.at_ns >= cutoff_ns);
        self.request_ids.retain(|_, k| k.at_ns >= cutoff_ns);
        self.open.retain(|_, (_, _, at)| *at >= cutoff_ns);
    }

    /// Entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.open.len() + self.wire.len() + self.serving.len() + self.request_ids.len()
    }

    fn nonzero_trace_id(&mut self) -> [u8; 16] {
        loop {
            let id: [u8; 16] = self.rng.random();
            if id != [0; 16] {
                return id;
            }
        }
    }

    fn nonzero_span_id(&mut self) -> [u8; 8] {
        loop {
            let id: [u8; 8] = self.rng.random();
            if id != [0; 8] {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests;
