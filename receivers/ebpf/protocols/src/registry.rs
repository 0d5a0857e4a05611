//! The one list of protocols.
//!
//! Adding a protocol is one line in the `protocols!` call at the bottom: it
//! gives the [`Protocol`] variant, the parser type, and the name. The macro
//! derives from that list everything that must name each protocol once: the
//! [`Protocol`] enum, the [`Request`] and [`Response`] enums that carry each
//! protocol's own messages, detection, and the dispatch from a
//! [`crate::Session`] to the protocol's engine. Nothing else in the crate
//! matches on protocols.

use crate::describe::{DescribeContext, Description};
use crate::protocol::{Direction, Kind, ProtocolParser, Role};
use crate::segment::Segment;
use crate::session::{Engine, Event, Limits, Stats};

/// What [`detect`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Detection {
    pub protocol: Protocol,
    /// Whether the bytes begin a request or a response.
    pub kind: Kind,
}

impl Detection {
    /// The part the traced process plays, given that it moved these bytes
    /// in `direction`: sending a request or receiving a response makes it
    /// the client.
    pub fn local_role(&self, direction: Direction) -> Role {
        match (self.kind, direction) {
            (Kind::Request, Direction::Egress) | (Kind::Response, Direction::Ingress) => {
                Role::Client
            }
            (Kind::Request, Direction::Ingress) | (Kind::Response, Direction::Egress) => {
                Role::Server
            }
        }
    }
}

/// The protocol, if any, whose message `first` begins (the first bytes a
/// syscall moved in `direction`). Protocols are tried in [`Protocol::ALL`]
/// order; each looks at no more than [`crate::DETECT_LEN`] bytes.
pub fn detect(first: &[u8], direction: Direction) -> Option<Detection> {
    Protocol::ALL.iter().find_map(|&protocol| {
        protocol
            .detect_kind(first, direction)
            .map(|kind| Detection { protocol, kind })
    })
}

macro_rules! protocols {
    ($( $(#[$doc:meta])* $variant:ident => $parser:ty, $name:literal; )+) => {
        /// An application protocol the receiver parses.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Protocol {
            $( $(#[$doc])* $variant, )+
        }

        impl Protocol {
            /// Every protocol, in detection order.
            pub const ALL: &'static [Protocol] = &[$(Protocol::$variant),+];

            /// Its name in config and in metrics.
            pub fn name(self) -> &'static str {
                match self { $(Protocol::$variant => $name,)+ }
            }

            /// The protocol called `name` ([`Protocol::name`]).
            pub fn from_name(name: &str) -> Option<Protocol> {
                Protocol::ALL.iter().copied().find(|p| p.name() == name)
            }

            fn detect_kind(self, first: &[u8], direction: Direction) -> Option<Kind> {
                match self { $(Protocol::$variant => <$parser as ProtocolParser>::detect(first, direction),)+ }
            }
        }

        /// A request, as its protocol's parser keeps it.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Request {
            $( $variant(<$parser as ProtocolParser>::Request), )+
        }

        /// A response, as its protocol's parser keeps it.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Response {
            $( $variant(<$parser as ProtocolParser>::Response), )+
        }

        impl Request {
            pub fn protocol(&self) -> Protocol {
                match self { $(Request::$variant(_) => Protocol::$variant,)+ }
            }
        }

        impl Request {
            /// The exchange of this request and `response` in OpenTelemetry
            /// terms; `None` when `response` is another protocol's.
            pub fn describe(&self, response: Option<&Response>, cx: DescribeContext<'_>) -> Option<Description> {
                match (self, response) {
                    $(
                        (Request::$variant(q), None) => Some(<$parser as ProtocolParser>::describe(q, None, cx)),
                        (Request::$variant(q), Some(Response::$variant(r))) => Some(<$parser as ProtocolParser>::describe(q, Some(r), cx)),
                    )+
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }

        impl Response {
            pub fn protocol(&self) -> Protocol {
                match self { $(Response::$variant(_) => Protocol::$variant,)+ }
            }
        }

        $(
            impl From<<$parser as ProtocolParser>::Request> for Request {
                fn from(r: <$parser as ProtocolParser>::Request) -> Self { Request::$variant(r) }
            }
            impl From<<$parser as ProtocolParser>::Response> for Response {
                fn from(r: <$parser as ProtocolParser>::Response) -> Self { Response::$variant(r) }
            }
        )+

        /// One engine per protocol, behind the one session type.
        pub(crate) enum Engines {
            $( $variant(Engine<$parser>), )+
        }

        impl Engines {
            pub fn new(protocol: Protocol, local: Role, limits: Limits) -> Self {
                match protocol { $(Protocol::$variant => Engines::$variant(Engine::new(local, limits)),)+ }
            }

            pub fn protocol(&self) -> Protocol {
                match self { $(Engines::$variant(_) => Protocol::$variant,)+ }
            }

            pub fn push(&mut self, direction: Direction, seg: &Segment<'_>, emit: &mut dyn FnMut(Event)) {
                match self { $(Engines::$variant(e) => e.push(direction, seg, &mut |ev| emit(ev.map(Request::$variant, Response::$variant))),)+ }
            }

            pub fn close(&mut self, emit: &mut dyn FnMut(Event)) {
                match self { $(Engines::$variant(e) => e.close(&mut |ev| emit(ev.map(Request::$variant, Response::$variant))),)+ }
            }

            pub fn expire(&mut self, cutoff_ns: u64, emit: &mut dyn FnMut(Event)) {
                match self { $(Engines::$variant(e) => e.expire(cutoff_ns, &mut |ev| emit(ev.map(Request::$variant, Response::$variant))),)+ }
            }

            pub fn stats(&self) -> &Stats {
                match self { $(Engines::$variant(e) => e.stats(),)+ }
            }

            pub fn is_upgraded(&self) -> bool {
                match self { $(Engines::$variant(e) => e.is_upgraded(),)+ }
            }
        }
    };
}

protocols! {
    /// HTTP/1.0 and HTTP/1.1.
    Http1 => crate::http1::Http1, "http1";
    /// Redis: RESP2 and RESP3.
    Redis => crate::redis::Redis, "redis";
    /// Memcached's text protocol, meta commands included.
    Memcached => crate::memcached::Memcached, "memcached";
}
