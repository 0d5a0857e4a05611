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
//! * **Within a thread.** A client request a thread sends while it serves a
//!   request is a child of that request's server span. A thread serving one
//!   request at a time (thread per request) leaves no doubt. An event loop
//!   (nginx) serves many at once: a call on a socket the thread connected while
//!   handling a request belongs to that request (a proxy connects upstream right
//!   after reading the request); otherwise the parent is the served request with
//!   the same target (a proxy passes the path on), the fewest children so far,
//!   on the kernel's chain of the call (a request read starts a chain, what the
//!   thread writes meanwhile inherits it), and the oldest — in that order.
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

/// A server request being served: a candidate parent for its thread's calls.
struct Serving {
    known: Known,
    socket_id: u64,
    tcp_seq: u32,
    chain: u64,
    target: Option<String>,
    children: u32,
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

struct Open {
    ids: SpanIds,
    joined: JoinedBy,
    at_ns: u64,
    /// (pid, tid) for a server request, whose calls may still join it.
    server_thread: Option<(u32, u32)>,
}

/// The bytes of one request on the wire: client end, server end, first sequence number.
type WireKey = (SocketAddr, SocketAddr, u32);

/// How long a join key waits for the other side.
pub const JOIN_TTL_NS: u64 = 30_000_000_000;

pub struct Joiner {
    rng: SmallRng,
    /// Requests under way: (socket, first sequence number) -> ids, how they
    /// joined, when they began, and the thread of a server request.
    open: HashMap<(u64, u32), Open>,
    /// Client requests, for the server end of the same bytes.
    wire: HashMap<WireKey, Known>,
    /// The server requests each thread (pid, tid) is serving.
    serving: HashMap<(u32, u32), Vec<Serving>>,
    /// Client sockets a thread connected while handling a server request:
    /// socket -> that request (socket, first sequence number), and when.
    connected_for: HashMap<u64, ((u64, u32), u64)>,
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
            connected_for: HashMap::new(),
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
                    self.served_by_thread(at, started)
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
        let mut server_thread = None;
        match started.role {
            Role::Server => {
                server_thread = Some((at.pid, meta.tid));
                self.serving
                    .entry((at.pid, meta.tid))
                    .or_default()
                    .push(Serving {
                        known,
                        socket_id: at.socket_id,
                        tcp_seq: meta.tcp_seq,
                        chain: meta.trace_id,
                        target: started.target.clone(),
                        children: 0,
                    });
            }
            Role::Client => {
                self.wire
                    .insert((at.tuple.local, at.tuple.remote, meta.tcp_seq), known);
            }
        }
        if let Some(id) = &started.context.request_id {
            self.request_ids.entry(id.clone()).or_insert(known);
        }
        self.open.insert(
            (at.socket_id, meta.tcp_seq),
            Open {
                ids,
                joined,
                at_ns: meta.start_ns,
                server_thread,
            },
        );
        ids
    }

    /// The request this client call's thread is serving, when it serves any:
    /// see the module doc for how one is chosen among several.
    fn served_by_thread(&mut self, at: At, started: &Started) -> Option<Known> {
        let candidates = self.serving.get_mut(&(at.pid, started.meta.tid))?;
        if let Some((request, _)) = self.connected_for.get(&at.socket_id) {
            if let Some(served) = candidates
                .iter_mut()
                .find(|s| (s.socket_id, s.tcp_seq) == *request)
            {
                served.children += 1;
                return Some(served.known);
            }
        }
        let same_target = |s: &Serving| started.target.is_some() && s.target == started.target;
        let any_same_target = candidates.iter().any(same_target);
        let chosen = candidates
            .iter_mut()
            .filter(|s| !any_same_target || same_target(s))
            .min_by_key(|s| {
                let other_chain = started.meta.trace_id == 0 || s.chain != started.meta.trace_id;
                (s.children, other_chain, s.known.at_ns)
            })?;
        chosen.children += 1;
        Some(chosen.known)
    }

    /// The request at (`socket_id`, `tcp_seq`) ended (answered or not): its ids,
    /// or fresh root ids when its start was never seen.
    pub fn finish(&mut self, socket_id: u64, tcp_seq: u32) -> (SpanIds, JoinedBy) {
        match self.open.remove(&(socket_id, tcp_seq)) {
            Some(open) => {
                if let Some(thread) = open.server_thread {
                    self.stop_serving(thread, socket_id, tcp_seq);
                }
                (open.ids, open.joined)
            }
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

    /// Thread (`pid`, `tid`) connected `socket_id` at `at_ns`: while handling the
    /// request it read last, if it is serving any.
    pub fn connected(&mut self, socket_id: u64, pid: u32, tid: u32, at_ns: u64) {
        match self.serving.get(&(pid, tid)).and_then(|list| list.last()) {
            Some(last) => {
                self.connected_for
                    .insert(socket_id, ((last.socket_id, last.tcp_seq), at_ns));
            }
            None => {
                self.connected_for.remove(&socket_id);
            }
        }
    }

    /// A socket closed: it joins nothing any more.
    pub fn closed(&mut self, socket_id: u64) {
        self.connected_for.remove(&socket_id);
    }

    fn stop_serving(&mut self, thread: (u32, u32), socket_id: u64, tcp_seq: u32) {
        if let Some(list) = self.serving.get_mut(&thread) {
            list.retain(|s| (s.socket_id, s.tcp_seq) != (socket_id, tcp_seq));
            if list.is_empty() {
                self.serving.remove(&thread);
            }
        }
    }

    /// Forgets join keys older than `cutoff_ns`, and requests that never ended.
    pub fn expire(&mut self, cutoff_ns: u64) {
        self.wire.retain(|_, k| k.at_ns >= cutoff_ns);
        self.serving.retain(|_, list| {
            list.retain(|s| s.known.at_ns >= cutoff_ns);
            !list.is_empty()
        });
        self.request_ids.retain(|_, k| k.at_ns >= cutoff_ns);
        self.connected_for.retain(|_, (_, at)| *at >= cutoff_ns);
        self.open.retain(|_, open| open.at_ns >= cutoff_ns);
    }

    /// Entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.open.len()
            + self.wire.len()
            + self.serving.values().map(Vec::len).sum::<usize>()
            + self.request_ids.len()
            + self.connected_for.len()
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
