//! From captured events to spans and RED metrics: the receiver's user side,
//! synchronous and clock-free (kernel times come with the events; the caller
//! says what time it is), so tests drive it with events built by hand.
//!
//! ```text
//! events ─► reorder (causal order) ─► connections (one protocol session each)
//!        ─► Started: joiner gives the span its ids
//!        ─► Exchange: span + RED record, under the process's resource
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use prost::Message;
use sonde_api::pdata::common::v1::InstrumentationScope;
use sonde_api::pdata::ExportMetricsServiceRequest;
use sonde_ebpf_protocols::route::{RoutePattern, RouteTable};
use sonde_ebpf_protocols::{
    DescribeContext, Direction as L7Direction, Event as L7Event, Exchange, Family, Half, Limits,
    Request as L7Request, Role as L7Role, Segment, Session, UnpairedReason, Value,
};

use crate::capture::{Direction, Event, Role, SocketTuple, TcpState};
use crate::clock::Clock;
use crate::config::Config;
use crate::join::{At, Joiner, SpanIds, JOIN_TTL_NS};
use crate::protocols::ProtocolChoice;
use crate::red::RedMetrics;
use crate::reorder::Reorder;
use crate::span::{
    delimited_len, described_span, http_span, put_bytes, put_len, Measured, Seen, SpanContext,
    SpanWriter,
};
use sonde_processtags::{socket_owners, ProcessResource, ProcessTable};

/// What a span is made of.
enum Spanned<'a> {
    Exchange(&'a Exchange),
    /// A request that gets no answer by design.
    OneWay {
        role: L7Role,
        request: &'a L7Request,
        meta: &'a sonde_ebpf_protocols::Meta,
    },
}

/// The scope of everything this receiver makes.
pub const SCOPE_NAME: &str = "sonde.receiver.ebpf";
/// A request with no answer for this long is reported unpaired.
const ANSWER_TIMEOUT_NS: u64 = 60_000_000_000;
/// A connection silent for this long is forgotten (its close was missed).
const IDLE_CONNECTION_NS: u64 = 600_000_000_000;

/// What the tracer counted, for the receiver's metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TracerStats {
    pub spans: u64,
    pub unpaired: u64,
    /// Data on connections whose first bytes no parser recognised.
    pub unrecognised: u64,
}

struct Connection {
    tuple: SocketTuple,
    pid: u32,
    /// The task name that first used it: the resource's fallback name.
    comm: String,
    /// Known from connect/accept before any data.
    role: Option<Role>,
    session: Option<Session>,
    last_ns: u64,
    /// Datagrams seen, for a UDP socket: they stand in for TCP sequence
    /// numbers, which UDP has none of, so each request keeps its own key.
    datagrams: u32,
}

/// A process's finished spans, encoded as `ScopeSpans.spans` fields end to end.
type SpansOf = (Arc<ProcessResource>, Vec<u8>);

/// Spans waiting to be sent, by resource.
#[derive(Default)]
struct Pending {
    by_resource: HashMap<u64, SpansOf>,
    count: usize,
}

pub struct Tracer {
    reorder: Reorder,
    connections: HashMap<u64, Connection>,
    joiner: Joiner,
    processes: ProcessTable,
    routes: HashMap<String, RouteTable>,
    patterns: Arc<[RoutePattern]>,
    max_routes: usize,
    capture_query: bool,
    choice: ProtocolChoice,
    red: RedMetrics,
    pending: Pending,
    clock: Clock,
    stats: TracerStats,
    /// Reused for each segment's session events.
    scratch: Vec<L7Event>,
    writer: SpanWriter,
    /// `InstrumentationScope` of every span, encoded once.
    scope: Vec<u8>,
    last_sweep_ns: u64,
}

impl Tracer {
    pub fn new(
        config: &Config,
        processes: ProcessTable,
        red: RedMetrics,
        clock: Clock,
        seed: u64,
    ) -> Result<Tracer, String> {
        let patterns = config
            .http
            .route_patterns
            .iter()
            .map(|p| RoutePattern::parse(p).map_err(|e| format!("route pattern {p:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Tracer {
            reorder: Reorder::default(),
            connections: HashMap::new(),
            joiner: Joiner::new(seed),
            processes,
            routes: HashMap::new(),
            patterns: patterns.into(),
            max_routes: config.http.max_routes_per_service,
            capture_query: config.http.capture_query,
            choice: ProtocolChoice::new(&config.protocols),
            red,
            pending: Pending::default(),
            clock,
            stats: TracerStats::default(),
            scratch: Vec::new(),
            writer: SpanWriter::default(),
            scope: scope().encode_to_vec(),
            last_sweep_ns: 0,
        })
    }

    /// Takes an event from the capture; it is handled once it is in causal order.
    pub fn push(&mut self, event: Event) {
        self.reorder.push(event);
    }

    /// Handles every event that is ready at `now_ns` (kernel clock).
    pub fn run(&mut self, now_ns: u64) {
        while let Some(event) = self.reorder.pop_ready(now_ns) {
            self.handle(event);
        }
        if now_ns.saturating_sub(self.last_sweep_ns) >= 1_000_000_000 {
            self.sweep(now_ns);
            self.last_sweep_ns = now_ns;
        }
    }

    /// Handles every held event regardless of time, then closes every
    /// connection: at shutdown, what is under way is reported, not lost.
    pub fn finish(&mut self) {
        let held: Vec<Event> = self.reorder.drain().collect();
        for event in held {
            self.handle(event);
        }
        let ids: Vec<u64> = self.connections.keys().copied().collect();
        for id in ids {
            self.close(id);
        }
    }

    /// Nanoseconds until the next held event is due.
    pub fn wait_ns(&self, now_ns: u64) -> Option<u64> {
        self.reorder.wait_ns(now_ns)
    }

    pub fn stats(&self) -> TracerStats {
        self.stats
    }

    /// Spans finished since the last call: the protobuf bytes of one
    /// `ExportTraceServiceRequest`, and how many spans it holds.
    pub fn take_spans(&mut self) -> Option<(Bytes, usize)> {
        if self.pending.count == 0 {
            return None;
        }
        let count = std::mem::take(&mut self.pending.count);
        let mut groups: Vec<(u64, SpansOf)> = self.pending.by_resource.drain().collect();
        groups.sort_by_key(|(key, _)| *key);
        let mut request = Vec::new();
        let mut resource_spans = Vec::new();
        for (_, (process, spans)) in groups.into_iter().filter(|(_, (_, s))| !s.is_empty()) {
            // ResourceSpans { resource: 1, scope_spans: 2 { scope: 1, spans: 2... } }
            let resource = process.resource.encode_to_vec();
            let scope_spans = delimited_len(self.scope.len()) + spans.len();
            resource_spans.clear();
            put_bytes(&mut resource_spans, 1, &resource);
            put_len(&mut resource_spans, 2, scope_spans);
            put_bytes(&mut resource_spans, 1, &self.scope);
            resource_spans.extend_from_slice(&spans);
            put_bytes(&mut request, 1, &resource_spans);
        }
        Some((Bytes::from(request), count))
    }

    /// The RED metrics, stamped `now_unix_ns`.
    pub fn flush_metrics(&mut self, now_unix_ns: u64) -> Option<ExportMetricsServiceRequest> {
        self.red.flush(now_unix_ns)
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Data(d) => {
                let comm = d.task.comm;
                let mut events = std::mem::take(&mut self.scratch);
                let Some(conn) =
                    self.connection(d.socket_id, d.tuple, d.task.pid, &d.payload, d.direction)
                else {
                    self.stats.unrecognised += 1;
                    self.scratch = events;
                    return;
                };
                conn.last_ns = d.task.timestamp_ns;
                let tcp_seq = if d.tuple.udp {
                    conn.datagrams = conn.datagrams.wrapping_add(1);
                    conn.datagrams
                } else {
                    d.tcp_seq
                };
                if conn.comm.is_empty() {
                    conn.comm = comm.to_string_lossy();
                }
                let segment = Segment {
                    data: &d.payload,
                    len: usize::try_from(d.bytes).unwrap_or(usize::MAX),
                    enter_ns: d.enter_ns,
                    exit_ns: d.task.timestamp_ns,
                    tcp_seq,
                    tid: d.task.tid,
                    trace_id: d.trace_id.unwrap_or(0),
                };
                let direction = L7Direction::from(d.direction);
                if let Some(session) = conn.session.as_mut() {
                    session.push(direction, &segment, |e| events.push(e));
                }
                self.deliver(d.socket_id, &mut events);
                self.scratch = events;
            }
            Event::Connection(c) => {
                let conn = self.connections.entry(c.socket_id).or_insert(Connection {
                    tuple: c.tuple,
                    pid: c.task.pid,
                    comm: c.task.comm.to_string_lossy(),
                    role: None,
                    session: None,
                    last_ns: c.task.timestamp_ns,
                    datagrams: 0,
                });
                conn.role = Some(c.role);
                conn.tuple = c.tuple;
                if c.role == Role::Client {
                    self.joiner
                        .connected(c.socket_id, c.task.pid, c.task.tid, c.task.timestamp_ns);
                    // Who is behind this endpoint, for the autotag processor
                    // when the connection leads into this collector.
                    socket_owners().connected(c.tuple.local, c.task.pid);
                }
            }
            Event::Close(c) => self.close(c.socket_id),
            Event::TcpState(s) if s.new == TcpState::Close => self.close(s.socket_id),
            Event::TcpState(_) | Event::Retransmit(_) => {}
            Event::ProcessExec(e) => {
                if let Some(old) = self.processes.exec(e.task.pid, &e.filename) {
                    self.red.retire(old);
                }
                // Read procfs now, while the program surely runs: a short one
                // is often gone by the time its first exchange is complete, and
                // then only the exec filename and task name would be known,
                // not its environment, resolved path or container.
                self.processes
                    .resource(e.task.pid, &e.task.comm.to_string_lossy());
            }
            Event::ProcessExit(e) => {
                if let Some(old) = self.processes.exit(e.task.pid) {
                    self.red.retire(old);
                }
            }
        }
    }

    /// The connection of `socket_id`, created on its first data; `None` when no
    /// protocol recognises its first bytes.
    fn connection(
        &mut self,
        socket_id: u64,
        tuple: SocketTuple,
        pid: u32,
        payload: &[u8],
        direction: Direction,
    ) -> Option<&mut Connection> {
        let conn = self.connections.entry(socket_id).or_insert(Connection {
            tuple,
            pid,
            comm: String::new(),
            role: None,
            session: None,
            last_ns: 0,
            datagrams: 0,
        });
        if conn.session.is_none() {
            let (protocol, local) =
                self.choice
                    .pick(payload, direction.into(), &conn.tuple, conn.role)?;
            conn.session = Some(Session::new(protocol, local, Limits::default()));
        }
        Some(conn)
    }

    fn close(&mut self, socket_id: u64) {
        self.joiner.closed(socket_id);
        let Some(mut conn) = self.connections.remove(&socket_id) else {
            return;
        };
        if conn.role == Some(Role::Client) {
            socket_owners().closed(conn.tuple.local);
        }
        let mut events = std::mem::take(&mut self.scratch);
        if let Some(session) = conn.session.as_mut() {
            session.close(|e| events.push(e));
        }
        self.connections.insert(socket_id, conn);
        self.deliver(socket_id, &mut events);
        self.connections.remove(&socket_id);
        self.scratch = events;
    }

    /// Acts on what a session reported for `socket_id`.
    fn deliver(&mut self, socket_id: u64, events: &mut Vec<L7Event>) {
        if events.is_empty() {
            return;
        }
        let Some(conn) = self.connections.get(&socket_id) else {
            events.clear();
            return;
        };
        let (tuple, pid) = (conn.tuple, conn.pid);
        for event in events.drain(..) {
            match event {
                L7Event::Started(started) => {
                    self.joiner.start(
                        At {
                            socket_id,
                            pid,
                            tuple,
                        },
                        &started,
                    );
                }
                L7Event::Exchange(x) => {
                    let (ids, _) = self.joiner.finish(socket_id, x.request_meta.tcp_seq);
                    self.span(socket_id, ids, Spanned::Exchange(&x));
                }
                L7Event::Unpaired(u) => {
                    self.stats.unpaired += 1;
                    if let Half::Request(request) = &u.message {
                        let (ids, _) = self.joiner.finish(socket_id, u.meta.tcp_seq);
                        // A request that gets no answer by design (a QoS 0
                        // publish, a NATS PUB) is a whole operation.
                        if u.reason == UnpairedReason::OneWay {
                            self.span(
                                socket_id,
                                ids,
                                Spanned::OneWay {
                                    role: u.role,
                                    request,
                                    meta: &u.meta,
                                },
                            );
                        }
                    }
                }
            }
        }
    }

    /// Writes the span of an exchange (or one-way request) of `socket_id` and
    /// records its RED measurement.
    fn span(&mut self, socket_id: u64, ids: SpanIds, what: Spanned<'_>) {
        let Some(conn) = self.connections.get(&socket_id) else {
            return;
        };
        let (tuple, pid, connection_role) = (conn.tuple, conn.pid, conn.role);
        let process = self.processes.resource(pid, &conn.comm);
        let (role, request) = match &what {
            Spanned::Exchange(x) => (x.role, &x.request),
            Spanned::OneWay { role, request, .. } => (*role, *request),
        };
        let cx = DescribeContext {
            role,
            options: &self.choice.describe,
        };
        // HTTP/1 has its own span writer (Host header, url.query, user agent).
        let description = match &what {
            Spanned::Exchange(x) if matches!(x.request, L7Request::Http1(_)) => None,
            Spanned::Exchange(x) => x.request.describe(Some(&x.response), cx),
            Spanned::OneWay { request, .. } => request.describe(None, cx),
        };
        let path = match (role, request, &description) {
            (L7Role::Server, L7Request::Http1(r), _) => Some(r.path()),
            (L7Role::Server, _, Some(d)) if d.family == Family::Http => {
                match d.attribute("url.path") {
                    Some(Value::Str(path)) => Some(path.as_str()),
                    _ => None,
                }
            }
            _ => None,
        };
        let route = path.and_then(|path| {
            // The service's table, made on its first request only.
            if !self.routes.contains_key(&process.service_name) {
                let table = RouteTable::new(self.patterns.clone(), self.max_routes);
                self.routes.insert(process.service_name.clone(), table);
            }
            self.routes
                .get_mut(&process.service_name)
                .map(|table| table.route(path).to_owned())
        });
        let cx = SpanContext {
            ids,
            tuple,
            route: route.as_deref(),
            capture_query: self.capture_query,
            clock: self.clock,
        };
        let spans = &mut self
            .pending
            .by_resource
            .entry(process.key)
            .or_insert_with(|| (process.clone(), Vec::new()))
            .1;
        let before = spans.len();
        let measured: Option<Measured> = match (what, description) {
            (Spanned::Exchange(x), None) => http_span(x, &cx, &mut self.writer, spans),
            (what, Some(d)) => {
                let (request_meta, response_meta) = match &what {
                    Spanned::Exchange(x) => (&x.request_meta, Some(&x.response_meta)),
                    Spanned::OneWay { meta, .. } => (*meta, None),
                };
                let seen = Seen {
                    role,
                    connection_role: connection_role.map(L7Role::from),
                    request: request_meta,
                    response: response_meta,
                };
                described_span(d, &seen, &cx, &mut self.writer, spans)
            }
            (Spanned::OneWay { .. }, None) => None,
        };
        if spans.len() > before {
            self.stats.spans += 1;
            self.pending.count += 1;
        }
        if let Some(m) = measured {
            self.red.record(
                process.key,
                &process.resource,
                m.side,
                m.red,
                m.duration_seconds,
            );
        }
    }

    /// Reports requests left unanswered, forgets stale join keys and idle connections.
    fn sweep(&mut self, now_ns: u64) {
        self.joiner.expire(now_ns.saturating_sub(JOIN_TTL_NS));
        for key in self.processes.take_evicted() {
            self.red.retire(key);
        }
        let ids: Vec<u64> = self.connections.keys().copied().collect();
        for id in ids {
            let mut events = std::mem::take(&mut self.scratch);
            let idle = match self.connections.get_mut(&id) {
                Some(conn) => {
                    if let Some(session) = conn.session.as_mut() {
                        session
                            .expire(now_ns.saturating_sub(ANSWER_TIMEOUT_NS), |e| events.push(e));
                    }
                    now_ns.saturating_sub(conn.last_ns) > IDLE_CONNECTION_NS
                }
                None => false,
            };
            self.deliver(id, &mut events);
            self.scratch = events;
            if idle {
                self.close(id);
            }
        }
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: SCOPE_NAME.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
