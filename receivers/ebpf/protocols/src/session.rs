//! A connection's parsing and pairing: what the connection table holds.
//!
//! A [`Session`] is made once a connection's protocol is known (see
//! [`crate::detect`]) and is then fed every segment of the connection, in
//! the order the syscalls happened. It reports, through a callback, each
//! request paired with its response ([`Exchange`]) and each message that
//! could not be paired ([`Unpaired`]). [`Stats`] counts what was dropped.

use crate::pairing::Pairer;
use crate::parse::Malformed;
use crate::protocol::{Direction, ProtocolParser, Role, TraceContext};
use crate::registry::{Engines, Protocol, Request, Response};
use crate::segment::{Meta, Segment};
use crate::stream::{Cx, Stream};

/// Bounds on what one connection may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests waiting for an answer, per sender; the oldest is reported
    /// as [`UnpairedReason::Evicted`] beyond it.
    pub max_pending: usize,
    /// Captured bytes buffered per direction while a unit is incomplete;
    /// beyond it the stream gives up on them ([`Malformed::TooLong`]).
    pub max_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending: 64,
            max_buffer: 32 * 1024,
        }
    }
}

/// What a session counted since it was made. Plain counters: a caller that
/// exports rates reads them at intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Segments pushed.
    pub segments: u64,
    /// Messages begun (requests and responses, interim ones included).
    pub messages: u64,
    /// Units a parser found malformed (each one a resynchronisation).
    pub malformed: u64,
    /// The latest reason of those.
    pub last_malformed: Option<Malformed>,
    /// Message heads lost because the capture ended before them.
    pub truncated: u64,
    /// Interim responses (HTTP 1xx) seen.
    pub interim: u64,
    /// Segments dropped whole while waiting for a message start.
    pub dropped_segments: u64,
    /// Captured bytes dropped (garbage, partial heads, buffers at close).
    pub dropped_bytes: u64,
    /// Segments ignored because the connection switched protocols.
    pub ignored_segments: u64,
}

/// What a session reports. The type parameters are a protocol's own
/// messages inside the engine; everything a [`Session`] reports uses the
/// defaults, the [`Request`] and [`Response`] enums of every protocol.
// An event is moved once, into the caller's callback; boxing the larger
// variant would cost an allocation per exchange to save a copy.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<Req = Request, Resp = Response> {
    /// A request began; its exchange or unpaired report follows later.
    Started(Started),
    Exchange(Exchange<Req, Resp>),
    Unpaired(Unpaired<Req, Resp>),
}

/// A request's first bytes were parsed: its exchange is under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    /// The local endpoint's part, as in [`Exchange::role`].
    pub role: Role,
    /// `start_ns`, `tcp_seq`, `tid` and `trace_id` are final; the end is not known yet.
    pub meta: Meta,
    pub context: TraceContext,
    /// See [`ProtocolParser::target`].
    pub target: Option<String>,
}

impl<Req, Resp> Event<Req, Resp> {
    /// The same event with each message converted.
    pub fn map<Q, S>(
        self,
        request: impl FnOnce(Req) -> Q,
        response: impl FnOnce(Resp) -> S,
    ) -> Event<Q, S> {
        match self {
            Event::Started(s) => Event::Started(s),
            Event::Exchange(x) => Event::Exchange(Exchange {
                role: x.role,
                request: request(x.request),
                request_meta: x.request_meta,
                response: response(x.response),
                response_meta: x.response_meta,
            }),
            Event::Unpaired(u) => Event::Unpaired(Unpaired {
                role: u.role,
                message: match u.message {
                    Half::Request(r) => Half::Request(request(r)),
                    Half::Response(r) => Half::Response(response(r)),
                },
                meta: u.meta,
                reason: u.reason,
            }),
        }
    }
}

/// A request and its final response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange<Req = Request, Resp = Response> {
    /// The local endpoint's part in this exchange: `Client` for a CLIENT
    /// span, `Server` for a SERVER span.
    pub role: Role,
    pub request: Req,
    pub request_meta: Meta,
    pub response: Resp,
    pub response_meta: Meta,
}

impl Exchange {
    /// The protocol of both messages.
    pub fn protocol(&self) -> Protocol {
        self.request.protocol()
    }
}

impl<Req, Resp> Exchange<Req, Resp> {
    /// From the request's first byte to the response's last.
    pub fn duration_ns(&self) -> u64 {
        self.response_meta
            .end_ns
            .saturating_sub(self.request_meta.start_ns)
    }
}

/// One message without its other half.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Half<Req = Request, Resp = Response> {
    Request(Req),
    Response(Resp),
}

/// A message that could not be paired, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpaired<Req = Request, Resp = Response> {
    /// The local endpoint's part in the exchange the message belongs to.
    pub role: Role,
    pub message: Half<Req, Resp>,
    pub meta: Meta,
    pub reason: UnpairedReason,
}

/// Why a message has no other half.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnpairedReason {
    /// A request whose connection closed before its answer.
    Closed,
    /// A request pushed out by newer ones beyond [`Limits::max_pending`].
    Evicted,
    /// A request older than the cutoff given to [`Session::expire`].
    Expired,
    /// A request the protocol never answers.
    OneWay,
    /// A response with no request waiting for it (its request was not seen).
    NoRequest,
    /// A message the protocol sends without a request.
    Unsolicited,
}

/// The parsing and pairing state of one connection.
pub struct Session {
    engine: Engines,
    local: Role,
}

impl Session {
    /// A session for a connection speaking `protocol`, where the traced
    /// process plays `local`.
    pub fn new(protocol: Protocol, local: Role, limits: Limits) -> Self {
        Session {
            engine: Engines::new(protocol, local, limits),
            local,
        }
    }

    pub fn protocol(&self) -> Protocol {
        self.engine.protocol()
    }

    /// The traced process's part on this connection.
    pub fn local_role(&self) -> Role {
        self.local
    }

    /// One syscall's bytes, moved in `direction`.
    pub fn push(
        &mut self,
        direction: Direction,
        segment: &Segment<'_>,
        mut emit: impl FnMut(Event),
    ) {
        self.engine.push(direction, segment, &mut emit);
    }

    /// The connection closed: report what is in progress and what waits.
    pub fn close(&mut self, mut emit: impl FnMut(Event)) {
        self.engine.close(&mut emit);
    }

    /// Report the requests begun before `cutoff_ns` that have no answer yet
    /// ([`UnpairedReason::Expired`]).
    pub fn expire(&mut self, cutoff_ns: u64, mut emit: impl FnMut(Event)) {
        self.engine.expire(cutoff_ns, &mut emit);
    }

    pub fn stats(&self) -> &Stats {
        self.engine.stats()
    }

    /// Whether the connection switched to another protocol (HTTP 101, a
    /// CONNECT tunnel); every later segment is ignored.
    pub fn is_upgraded(&self) -> bool {
        self.engine.is_upgraded()
    }
}

/// Parsing and pairing for one protocol.
pub(crate) struct Engine<P: ProtocolParser> {
    parser: P,
    /// By sender: index 0 the client's bytes, 1 the server's.
    streams: [Stream; 2],
    pairer: Pairer<P>,
    stats: Stats,
    limits: Limits,
    local: Role,
}

/// How an engine reports: events of the protocol's own messages.
pub(crate) type Emit<'a, P> =
    &'a mut dyn FnMut(Event<<P as ProtocolParser>::Request, <P as ProtocolParser>::Response>);

impl<P: ProtocolParser> Engine<P> {
    pub fn new(local: Role, limits: Limits) -> Self {
        Engine {
            parser: P::default(),
            streams: [Stream::new(), Stream::new()],
            pairer: Pairer::new(local, &limits),
            stats: Stats::default(),
            limits,
            local,
        }
    }

    pub fn push(&mut self, direction: Direction, seg: &Segment<'_>, emit: Emit<'_, P>) {
        self.stats.segments += 1;
        if self.pairer.upgraded() {
            self.stats.ignored_segments += 1;
            return;
        }
        let from = self.local.sender(direction);
        let (streams, mut cx) = self.split(emit);
        streams[from.index()].push(from, seg, &mut cx);
    }

    /// The two streams, and the context they parse in.
    fn split<'a>(&'a mut self, emit: Emit<'a, P>) -> (&'a mut [Stream; 2], Cx<'a, P>) {
        let Engine {
            parser,
            streams,
            pairer,
            stats,
            limits,
            ..
        } = self;
        let cx = Cx {
            parser,
            pairer,
            stats,
            limits,
            emit,
        };
        (streams, cx)
    }

    pub fn close(&mut self, emit: Emit<'_, P>) {
        let (streams, mut cx) = self.split(emit);
        for from in [Role::Client, Role::Server] {
            streams[from.index()].close(from, &mut cx);
        }
        cx.pairer.close(cx.emit);
    }

    pub fn expire(&mut self, cutoff_ns: u64, emit: Emit<'_, P>) {
        self.pairer.expire(cutoff_ns, emit);
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn is_upgraded(&self) -> bool {
        self.pairer.upgraded()
    }
}
