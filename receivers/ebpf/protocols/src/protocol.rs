//! The contract between the framework and one protocol's parser.
//!
//! A protocol is one type implementing [`ProtocolParser`]: it detects its
//! messages from their first bytes, cuts a direction's bytes into units
//! ([`Step`]: a whole message, or a message's head, body pieces and end), and
//! says how responses find their requests ([`Pairing`]). The stream
//! (`stream.rs`) feeds it bytes and the pairer (`pairing.rs`) turns its
//! messages into exchanges; neither knows anything about the protocol.

use crate::describe::{DescribeContext, Description};
use crate::pairing::Pending;
use crate::parse::{Input, ParseResult};

/// How many first bytes of a message any detector looks at. The kernel's
/// first-bytes filter copies at least this many to decide as user space does.
pub const DETECT_LEN: usize = 16;

/// Which way a syscall moved bytes, seen from the traced process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// write, send*: bytes leaving the process.
    Egress,
    /// read, recv*: bytes arriving at the process.
    Ingress,
}

/// The part an endpoint plays: the one that opened the connection (and sends
/// requests, for most protocols) or the one that accepted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Client,
    Server,
}

impl Role {
    /// The other end.
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }

    /// Who sent bytes that moved in `direction` at an endpoint playing `self`.
    pub fn sender(self, direction: Direction) -> Role {
        match direction {
            Direction::Egress => self,
            Direction::Ingress => self.peer(),
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Role::Client => 0,
            Role::Server => 1,
        }
    }
}

/// What carries a protocol's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A byte stream: messages are cut from it by their own framing, and a
    /// syscall may carry part of a message or several.
    Tcp,
    /// Datagrams: each segment is one whole message (or the captured prefix
    /// of one), never joined with the next.
    Udp,
}

/// Whether a message asks or answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Request,
    Response,
}

/// How responses find their requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// In order: the first final response answers the oldest unanswered
    /// request (HTTP/1, MySQL, PostgreSQL, Redis pipelining, Memcached).
    Fifo,
    /// By the id both carry ([`ProtocolParser::request_id`] and
    /// [`ProtocolParser::response_id`]): HTTP/2 stream id, Kafka correlation
    /// id, DNS id, MQTT packet id.
    ById,
}

/// What a response does to its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Answers the request; the exchange is complete when both have ended.
    Final,
    /// An interim answer (HTTP 1xx): the request waits for its final one.
    Interim,
    /// Final, and the connection stops speaking this protocol after it
    /// (HTTP 101 Switching Protocols, a 2xx answer to CONNECT): the session
    /// ignores every later byte.
    Upgrade,
    /// Sent without a request (a RESP3 push): reported as unpaired.
    Unsolicited,
    /// Sent by the requester itself, and ends its own request as the
    /// answer would (an HTTP/2 RST_STREAM from the client): it pairs with
    /// the sender's request ([`Pairing::ById`]: the one with its id) and
    /// the exchange is reported with it as the response. Matching no
    /// request, it is dropped.
    Cancel,
}

/// A message of protocol `P`, as a parser hands it to the framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message<Req, Resp> {
    Request(Req),
    Response(Resp),
}

/// One unit of a direction's bytes.
///
/// A message is either one `Whole` unit, or a `Head` followed by any number
/// of `Body` units and one `End`. The message's start is the first byte of
/// its first unit, its end the last byte of its last; messages begun with
/// `Head` are visible to the other direction (through [`Pending`]) before
/// they end, so an early answer (HTTP 100 Continue, an error sent before the
/// upload finished) pairs with its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<Req, Resp> {
    /// A complete message (its body may still be skipped by the stream).
    Whole(Message<Req, Resp>),
    /// A message begins; `Body` and `End` units follow.
    Head(Message<Req, Resp>),
    /// More of the current message; outside a message, bytes that belong
    /// to none (an HTTP/2 SETTINGS or WINDOW_UPDATE frame, a DATA frame of a
    /// stream whose answer is gathered by the parser): consumed, and
    /// counted in no message.
    Body,
    /// The last unit of the current message.
    End,
}

/// What a protocol file implements. One value lives per connection, holding
/// whatever state the protocol keeps per connection and per direction
/// (body framing in progress, compression tables, prepared statements).
///
/// Rules every implementation keeps:
/// * pure: no I/O, no clock, no globals, no panics on any input;
/// * `parse` must make progress: `Parsed` with `consumed > 0`;
/// * after `Parsed`, the stream always consumes exactly `consumed` bytes, so
///   a parser updates its own state as if it had;
/// * `detect` decides from at most [`DETECT_LEN`] bytes, with rules simple
///   enough to be repeated in the kernel's first-bytes filter.
pub trait ProtocolParser: Default {
    /// What a span needs from a request.
    type Request;
    /// What a span needs from a response.
    type Response;

    /// How responses find their requests.
    const PAIRING: Pairing;

    /// What carries its messages. A [`Transport::Udp`] parser sees one
    /// datagram per call and must never answer `Incomplete` for a datagram
    /// captured whole: the stream would keep the bytes and join them to the
    /// next datagram (see `stream.rs`).
    const TRANSPORT: Transport = Transport::Tcp;

    /// Ports that gate detection: when not empty, [`crate::detect_on`] tries
    /// the protocol only on a socket where either end uses one of them, and
    /// [`crate::detect`] (ports unknown) never does. For protocols whose
    /// first bytes are not distinctive enough alone (DNS over TCP).
    const PORTS: &'static [u16] = &[];

    /// Whether `first` (the first bytes of a syscall's data, possibly
    /// shorter than [`DETECT_LEN`]) begins a request or a response of this
    /// protocol. `direction` is the syscall's, for protocols whose shapes only
    /// make sense one way.
    fn detect(first: &[u8], direction: Direction) -> Option<Kind>;

    /// Whether `bytes` could begin a message sent by `from`. The stream uses
    /// it to find its footing again after garbage or a gap; a short `bytes`
    /// that is a valid prefix counts.
    fn may_start(from: Role, bytes: &[u8]) -> bool;

    /// Parse the next unit sent by `from`. `pending` holds the requests sent
    /// by the other end still waiting for an answer, oldest first (a
    /// response parser may need its request: an HTTP answer to HEAD has no
    /// body). After `Incomplete`, the next call for `from` sees the same
    /// bytes followed by more, unless `reset(from)` came in between, so a
    /// parser may remember how far it already looked.
    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<Step<Self::Request, Self::Response>>;

    /// Forget the state of direction `from`: the stream dropped bytes and
    /// will resume at a message start.
    fn reset(&mut self, from: Role);

    /// Whether the message in progress from `from` ends normally when the
    /// connection closes (an HTTP body delimited by the close).
    fn ends_at_close(&self, _from: Role) -> bool {
        false
    }

    /// Whether a request is answered at all (MQTT QoS 0 PUBLISH, Kafka
    /// acks=0 produce are not). Unanswered requests are reported as one-way.
    fn expects_response(_request: &Self::Request) -> bool {
        true
    }

    /// What a response does to its request.
    fn disposition(_response: &Self::Response) -> Disposition {
        Disposition::Final
    }

    /// When a message the parser assembled from units interleaved with
    /// other messages' began: the [`Input::start_ns`] of its first unit,
    /// which the parser kept (an HTTP/2 answer gathered from HEADERS, DATA
    /// and trailer frames among other streams' frames, handed over as one
    /// `Whole` message by the frame that ends it). The message's start is
    /// then the earlier of this and its unit's. `None` (the default): the
    /// message began with the unit that carries it.
    fn started_ns(_message: &Message<Self::Request, Self::Response>) -> Option<u64> {
        None
    }

    /// The id a [`Pairing::ById`] request carries.
    fn request_id(_request: &Self::Request) -> u64 {
        0
    }

    /// The id a [`Pairing::ById`] response carries.
    fn response_id(_response: &Self::Response) -> u64 {
        0
    }

    /// The trace context a request carries in its own headers or metadata.
    fn trace_context(_request: &Self::Request) -> TraceContext {
        TraceContext::default()
    }

    /// What the request asks for (an HTTP path, without its query): a proxy
    /// passes it on unchanged, which tells which of the requests a busy event
    /// loop is serving each of its own calls belongs to.
    fn target(_request: &Self::Request) -> Option<String> {
        None
    }

    /// The exchange in OpenTelemetry terms (see `describe.rs`). `response`
    /// is `None` for a request that gets no answer
    /// ([`ProtocolParser::expects_response`] false).
    fn describe(
        request: &Self::Request,
        response: Option<&Self::Response>,
        cx: DescribeContext<'_>,
    ) -> Description;
}

/// What a request says of the trace it belongs to, as its sender put it:
/// W3C `traceparent`, SkyWalking `sw8`, and a request id to join on when
/// neither is there. Read when a request begins, before any answer, so the
/// calls a server makes while serving it can already be joined to it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceContext {
    pub traceparent: Option<String>,
    pub sw8: Option<String>,
    pub request_id: Option<String>,
}
