//! The application-protocol layer of the eBPF receiver: bytes of syscalls
//! in, paired requests and responses out. Pure: no I/O, no clock (times come
//! in with the segments), no globals, no async.
//!
//! # Layout
//!
//! * [`detect`] tells from a message's first bytes which protocol it is
//!   and whether it asks or answers (the kernel's first-bytes filter
//!   applies the same rules); [`detect_on`] also knows the socket's
//!   transport and ports, for protocols without a magic (DNS).
//! * A [`Session`] per connection takes each syscall's bytes ([`Segment`]),
//!   cuts each direction into messages with the protocol's parser
//!   (`stream.rs`), and pairs requests with responses (`pairing.rs`),
//!   reporting [`Event::Exchange`] and [`Event::Unpaired`].
//! * A protocol is one type implementing [`ProtocolParser`] (see
//!   `protocol.rs`), listed once in `registry.rs`: [`http1`], [`dns`] (over
//!   UDP and over TCP) and [`kafka`].
//!   `protocol.rs`), listed once in `registry.rs`: [`http1`], [`redis`],
//!   [`memcached`].
//! * [`route`] turns URL paths into low-cardinality `http.route` values.
//!
//! # Example
//!
//! ```
//! use sonde_ebpf_protocols::{detect, Direction, Event, Limits, Segment, Session, Request};
//!
//! let request = b"GET /users/7 HTTP/1.1\r\nHost: api\r\n\r\n";
//! let found = detect(request, Direction::Ingress).unwrap();
//! let mut session = Session::new(found.protocol, found.local_role(Direction::Ingress), Limits::default());
//! let mut events = Vec::new();
//! session.push(Direction::Ingress, &Segment::new(request, 10, 20), |e| events.push(e));
//! let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
//! session.push(Direction::Egress, &Segment::new(response, 30, 40), |e| events.push(e));
//! // The request was announced as it began; the exchange follows its answer.
//! assert!(matches!(events[0], Event::Started(_)));
//! let Event::Exchange(x) = &events[1] else { panic!() };
//! let Request::Http1(r) = &x.request else { panic!() };
//! assert_eq!((r.path(), x.request_meta.start_ns, x.response_meta.end_ns), ("/users/7", 10, 40));
//! ```

pub mod amqp;
mod describe;
pub mod dns;
#[cfg(test)]
mod framework_tests;
pub mod http1;
pub mod http2;
pub mod kafka;
pub mod memcached;
pub mod mqtt;
pub mod mysql;
pub mod nats;
mod pairing;
mod parse;
pub mod postgres;
mod protocol;
#[cfg(test)]
mod recording;
pub mod redis;
mod registry;
pub mod route;
mod segment;
mod session;
pub mod sql;
mod stream;
#[cfg(test)]
mod transcript;

pub use describe::{
    Attribute, DescribeContext, DescribeOptions, Description, Family, SpanShape, Value,
};
pub use pairing::Pending;
pub use parse::{Input, Malformed, ParseResult};
pub use protocol::{
    Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
    Transport, DETECT_LEN,
};
pub use registry::{detect, detect_on, Detection, Protocol, Request, Response, Socket};
pub use segment::{Meta, Segment};
pub use session::{
    Event, Exchange, Half, Limits, Session, Started, Stats, Unpaired, UnpairedReason,
};
