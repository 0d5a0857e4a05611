//! The one list of protocols.
//!
//! Adding a protocol is one line in the `protocols!` call at the bottom: it
//! gives the [`Protocol`] variant, the parser type, and the name. The macro
//! derives from that list everything that must name each protocol once: the
//! [`Protocol`] enum, the [`Request`] and [`Response`] enums that carry each
//! protocol's own messages, detection, and the dispatch from a
//! [`crate::Session`] to the protocol's engine. Nothing else in the crate
//! matches on protocols. One parser's message types may serve two entries
//! (DNS over UDP and over TCP), so no `From` conversions into [`Request`] and
//! [`Response`] are derived: name the variant.

use crate::describe::{DescribeContext, Description};
use crate::protocol::{Direction, Kind, ProtocolParser, Role, Transport};
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

/// The socket a message was seen on, for [`detect_on`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Socket {
    pub transport: Transport,
    pub local_port: u16,
    pub remote_port: u16,
}

impl Socket {
    /// Whether either end uses one of `ports`.
    fn uses_any(&self, ports: &[u16]) -> bool {
        ports.contains(&self.local_port) || ports.contains(&self.remote_port)
    }
}

/// The protocol, if any, whose message `first` begins (the first bytes a
/// syscall moved in `direction`) on a TCP connection whose ports are not
/// considered: protocols with [`ProtocolParser::PORTS`] or another transport
/// are never tried. Protocols are tried in [`Protocol::ALL`] order; each
/// looks at no more than [`crate::DETECT_LEN`] bytes.
pub fn detect(first: &[u8], direction: Direction) -> Option<Detection> {
    Protocol::ALL
        .iter()
        .filter(|p| p.transport() == Transport::Tcp && p.ports().is_empty())
        .find_map(|&protocol| {
            protocol
                .detect_kind(first, direction)
                .map(|kind| Detection { protocol, kind })
        })
}

/// The protocol, if any, whose message `first` begins on `socket`: the
/// protocols of its transport, those gated by [`ProtocolParser::PORTS`] only
/// when either end uses one of their ports, in [`Protocol::ALL`] order.
pub fn detect_on(first: &[u8], direction: Direction, socket: Socket) -> Option<Detection> {
    Protocol::ALL
        .iter()
        .filter(|p| {
            p.transport() == socket.transport
                && (p.ports().is_empty() || socket.uses_any(p.ports()))
        })
        .find_map(|&protocol| {
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

            /// What carries its messages ([`ProtocolParser::TRANSPORT`]).
            pub fn transport(self) -> Transport {
                match self { $(Protocol::$variant => <$parser as ProtocolParser>::TRANSPORT,)+ }
            }

            /// The ports its detection is gated on ([`ProtocolParser::PORTS`]).
            pub fn ports(self) -> &'static [u16] {
                match self { $(Protocol::$variant => <$parser as ProtocolParser>::PORTS,)+ }
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

        /// One engine per protocol, behind the one session type. Engines
        /// differ in size by a few hundred bytes; boxing the larger ones
        /// would cost an allocation per connection and an indirection per
        /// segment to save memory the buffers dwarf.
        #[allow(clippy::large_enum_variant)]
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
    /// HTTP/2 (cleartext or after TLS), gRPC included.
    Http2 => crate::http2::Http2, "http2";
    /// Redis: RESP2 and RESP3.
    Redis => crate::redis::Redis, "redis";
    /// PostgreSQL's frontend/backend protocol 3.0.
    Postgres => crate::postgres::Postgres, "postgresql";
    /// DNS over UDP: one datagram, one message.
    Dns => crate::dns::Dns, "dns";
    /// DNS over TCP (port 53 or 5353): messages after a 2-byte length.
    DnsTcp => crate::dns::DnsTcp, "dns_tcp";
    /// MQTT 3.1, 3.1.1 and 5.0.
    Mqtt => crate::mqtt::Mqtt, "mqtt";
    /// The NATS client protocol.
    Nats => crate::nats::Nats, "nats";
    /// AMQP 0-9-1 (RabbitMQ).
    Amqp => crate::amqp::Amqp, "amqp";
    /// MySQL's client/server protocol, MariaDB's included. After
    /// PostgreSQL, whose Query and Parse may be read as a MySQL packet's
    /// length, and before Kafka, whose detection checks ranges.
    Mysql => crate::mysql::Mysql, "mysql";
    /// Kafka. After the protocols with a magic: its detection checks
    /// sizes and ranges, not fixed bytes.
    Kafka => crate::kafka::Kafka, "kafka";
    /// Memcached's text protocol, meta commands included.
    Memcached => crate::memcached::Memcached, "memcached";
}
