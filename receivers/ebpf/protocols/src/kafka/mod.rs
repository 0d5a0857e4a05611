//! Kafka's binary protocol (kafka.apache.org/protocol).
//!
//! Every message is a 4-byte size and that many bytes. A request's header
//! holds its API key, API version, correlation id and client id (header v1;
//! v2 adds tagged fields in the API's flexible versions); a response's
//! header holds the correlation id alone (v0; v1 adds tagged fields, except
//! for ApiVersions, whose answers keep v0 so that any client can read them).
//! Responses pair with requests by correlation id ([`Pairing::ById`]), and a
//! response is read as an answer to its request's API and version, found
//! through [`Pending::by_id`]; one whose request was not seen keeps its
//! correlation id only. A Produce with acks=0 gets no answer.
//!
//! A message is one unit: its size says where it ends, and the stream skips
//! what was not read. Of a request the parser keeps the header, the topics of
//! Produce, Fetch and Metadata (their count and the first one's name; a topic
//! id, as Produce and Fetch v13+ send, is named through the Metadata answers
//! seen on the connection), acks, and the consumer group of group requests;
//! of a response, its error codes (top level, per topic, per partition, as
//! each API has them). Record sets are skipped by their length and never
//! waited for: a message is read once it is whole, once the capture ends
//! inside it, once its walk reaches a record set that is not all at hand, or
//! once [`WAIT_LIMIT`] bytes of it are at hand, whichever comes first; what
//! lies after that point (error codes of later partitions) is not known.
//!
//! Detection sees requests only ([`detect_request`]): responses carry
//! nothing a detector could check beyond a size.

mod apis;
mod body;
#[cfg(test)]
mod tests;
mod wire;

pub use apis::{api_name, error_name, is_flexible};

use crate::describe::{Attribute, DescribeContext, Description, Family, SpanShape};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{Direction, Kind, Message, Pairing, ProtocolParser, Role, Step};
use body::TopicNames;
use wire::{Reader, Stop};

/// Largest message size taken for Kafka: a broker's
/// `socket.request.max.bytes` default (100 MiB).
pub const MAX_SIZE: usize = 100 * 1024 * 1024;

/// Bytes of a message's body the parser waits for at most before it reads
/// what it has (a large Metadata answer); record sets are never waited for.
pub const WAIT_LIMIT: usize = 16 * 1024;

/// Highest API version [`detect_request`] takes (Fetch is at 18 in Kafka 4.1).
pub const MAX_DETECT_VERSION: i16 = 20;

/// Bytes of a request header before its client id: API key, version,
/// correlation id, client id length.
const REQUEST_HEAD: usize = 2 + 2 + 4 + 2;

/// A request, as a span needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
    /// How many topics a Produce, Fetch or Metadata request names (`None`
    /// for a Metadata request for all topics, and for other APIs).
    pub topic_count: Option<u32>,
    /// The first of them, by name (resolved from its id when the request
    /// gives ids and the connection's Metadata answers named it).
    pub topic: Option<String>,
    /// The first topic's id, when the request names topics by id.
    pub topic_id: Option<[u8; 16]>,
    /// A Produce request's acks: 0 (no answer), 1 (the leader), -1 (all).
    pub acks: Option<i16>,
    /// The consumer group of OffsetCommit, OffsetFetch, JoinGroup,
    /// Heartbeat, LeaveGroup and SyncGroup requests.
    pub group: Option<String>,
    /// The fields after some point were not seen (the message was cut, or
    /// did not read as its version says).
    pub partial: bool,
}

impl Request {
    /// The API's name (`Produce`), `ApiKey{n}` for keys the guide does not list.
    pub fn api_name(&self) -> String {
        match api_name(self.api_key) {
            Some(name) => name.to_owned(),
            None => format!("ApiKey{}", self.api_key),
        }
    }
}

/// A response, as a span needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub correlation_id: i32,
    /// The API key and version of its request, when the request was seen
    /// (else the body was not read).
    pub api_key: Option<i16>,
    pub api_version: i16,
    /// The first error code other than 0 (NONE), in the order of the body.
    pub error_code: i16,
    /// How many error codes other than 0 were seen.
    pub error_count: u32,
    /// See [`Request::partial`].
    pub partial: bool,
}

impl Response {
    fn note(&mut self, code: i16) {
        if code != 0 {
            self.error_count += 1;
            if self.error_code == 0 {
                self.error_code = code;
            }
        }
    }
}

/// The Kafka state of one connection: the topic names its Metadata answers
/// gave by topic id.
#[derive(Clone, Debug, Default)]
pub struct Kafka {
    topic_names: TopicNames,
}

type KafkaStep = Step<Request, Response>;

/// Whether `first` begins a request: a size of at least a header and at most
/// [`MAX_SIZE`], an API key the guide lists, a version from 0 to
/// [`MAX_DETECT_VERSION`], a correlation id not negative, and a client id
/// that is null or fits the size and begins with printable ASCII. Looks at
/// 16 bytes (14 at least).
pub fn detect_request(first: &[u8]) -> bool {
    let Some(head) = first.get(..4 + REQUEST_HEAD) else {
        return false;
    };
    let word = |i: usize| i16::from_be_bytes([head[i], head[i + 1]]);
    let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let correlation = i32::from_be_bytes([head[8], head[9], head[10], head[11]]);
    let Ok(size) = usize::try_from(size) else {
        return false;
    };
    let client_len = word(12);
    if !(REQUEST_HEAD..=MAX_SIZE).contains(&size)
        || api_name(word(4)).is_none()
        || !(0..=MAX_DETECT_VERSION).contains(&word(6))
        || correlation < 0
    {
        return false;
    }
    match usize::try_from(client_len) {
        Ok(n) if n <= size - REQUEST_HEAD => first[14..]
            .iter()
            .take(n.min(2))
            .all(|b| b.is_ascii_graphic() || *b == b' '),
        Ok(_) => false,
        Err(_) => client_len == -1,
    }
}

/// The 4-byte size at the start of `bytes`, if it is one a sender of this
/// role could send.
fn size_of(from: Role, bytes: &[u8]) -> Option<Result<usize, Malformed>> {
    let b = bytes.get(..4)?;
    let size = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let min = match from {
        // ControlledShutdown v0 has no client id: 8 bytes of header.
        Role::Client => REQUEST_HEAD - 2,
        Role::Server => 4,
    };
    Some(match usize::try_from(size) {
        Ok(n) if (min..=MAX_SIZE).contains(&n) => Ok(n),
        _ => Err(Malformed::Length),
    })
}

/// What reading a message's bytes gave.
enum Read {
    /// The message, and how far its body walk went.
    Message(Message<Request, Response>, Result<(), Stop>),
    /// The header is not all at hand.
    Head(Stop),
}

impl Kafka {
    fn read_request(&self, body: &[u8], len: usize) -> Result<Read, Malformed> {
        let mut r = Reader::new(body, len);
        let head = (|| -> Result<_, Stop> {
            let key = r.i16()?;
            let version = r.i16()?;
            let correlation_id = r.i32()?;
            // ControlledShutdown v0 is the one request with header v0.
            let client_id = if key == 7 && version == 0 {
                None
            } else {
                r.classic_string()?
            };
            r.compact = is_flexible(key, version);
            r.tagged_fields()?;
            Ok((key, version, correlation_id, client_id))
        })();
        let (api_key, api_version, correlation_id, client_id) = match head {
            Ok(head) => head,
            Err(Stop::Invalid) => return Err(Malformed::Header),
            Err(stop) => return Ok(Read::Head(stop)),
        };
        if api_name(api_key).is_none() || api_version < 0 {
            return Err(Malformed::StartLine);
        }
        let mut q = Request {
            api_key,
            api_version,
            correlation_id,
            client_id: client_id.map(|c| String::from_utf8_lossy(c).into_owned()),
            ..Request::default()
        };
        let walk = body::request(&mut r, &mut q, &self.topic_names);
        Ok(Read::Message(Message::Request(q), walk))
    }

    fn read_response(
        &mut self,
        body: &[u8],
        len: usize,
        pending: Pending<'_, Self>,
    ) -> Result<Read, Malformed> {
        let mut r = Reader::new(body, len);
        let correlation_id = match r.i32() {
            Ok(id) => id,
            Err(Stop::Invalid) => return Err(Malformed::Header),
            Err(stop) => return Ok(Read::Head(stop)),
        };
        let mut a = Response {
            correlation_id,
            ..Response::default()
        };
        let Some(request) = pending.by_id(correlation_key(correlation_id)) else {
            // Without its request the body cannot be read.
            return Ok(Read::Message(Message::Response(a), Ok(())));
        };
        let (key, version) = (request.api_key, request.api_version);
        a.api_key = Some(key);
        a.api_version = version;
        r.compact = is_flexible(key, version);
        let walk = (|| -> Result<(), Stop> {
            if key != 18 {
                r.tagged_fields()?;
            }
            body::response(&mut r, &mut a, key, version, &mut self.topic_names)
        })();
        Ok(Read::Message(Message::Response(a), walk))
    }
}

/// How many more bytes to wait for when `have` of a `size`-byte body are
/// at hand and the walk stopped short: what it lacks, but at least as many
/// as it has (up to [`WAIT_LIMIT`] and the end of the message), so that a
/// message arriving in small pieces is walked a logarithmic number of
/// times, not once a piece.
fn more(stop: Stop, have: usize, size: usize) -> usize {
    let short = match stop {
        Stop::Short { short, .. } => short,
        Stop::Invalid => 1,
    };
    let grow = have.min(WAIT_LIMIT.saturating_sub(have));
    short.max(grow).min(size.saturating_sub(have)).max(1)
}

/// The pairing key of a correlation id.
fn correlation_key(id: i32) -> u64 {
    u64::from(id as u32)
}

fn mark_partial(message: &mut Message<Request, Response>) {
    match message {
        Message::Request(q) => q.partial = true,
        Message::Response(a) => a.partial = true,
    }
}

impl ProtocolParser for Kafka {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::ById;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        detect_request(first).then_some(Kind::Request)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        if matches!(size_of(from, bytes), Some(Err(_))) {
            return false;
        }
        if from == Role::Server {
            return true;
        }
        let word = |i: usize| Some(i16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]));
        word(4).is_none_or(|key| api_name(key).is_some())
            && word(6).is_none_or(|version| version >= 0)
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<KafkaStep> {
        let bytes = input.bytes;
        let size = match size_of(from, bytes) {
            None if input.is_truncated() => return ParseResult::Incomplete { needed: None },
            None => {
                return ParseResult::Incomplete {
                    needed: Some(4 - bytes.len()),
                }
            }
            Some(Err(e)) => return ParseResult::Malformed(e),
            Some(Ok(size)) => size,
        };
        let total = 4 + size;
        let body = &bytes[4..total.min(bytes.len())];
        let whole = body.len() == size;
        let read = match from {
            Role::Client => self.read_request(body, size),
            Role::Server => self.read_response(body, size, pending),
        };
        let (mut message, walk) = match read {
            Err(e) => return ParseResult::Malformed(e),
            Ok(Read::Message(message, walk)) => (message, walk),
            Ok(Read::Head(_)) if whole => return ParseResult::Malformed(Malformed::Header),
            Ok(Read::Head(_)) if input.is_truncated() => {
                return ParseResult::Incomplete { needed: None }
            }
            Ok(Read::Head(stop)) => {
                return ParseResult::Incomplete {
                    needed: Some(more(stop, body.len(), size)),
                }
            }
        };
        match walk {
            Ok(()) => {}
            // The rest is a record set, or will never come: read it now.
            Err(Stop::Short {
                in_records: true, ..
            })
            | Err(Stop::Invalid) => mark_partial(&mut message),
            Err(Stop::Short { .. })
                if whole || input.is_truncated() || body.len() >= WAIT_LIMIT =>
            {
                mark_partial(&mut message)
            }
            Err(stop) => {
                return ParseResult::Incomplete {
                    needed: Some(more(stop, body.len(), size)),
                }
            }
        }
        ParseResult::Parsed {
            message: Step::Whole(message),
            consumed: total,
        }
    }

    fn reset(&mut self, _from: Role) {}

    fn expects_response(request: &Request) -> bool {
        !(request.api_key == 0 && request.acks == Some(0))
    }

    fn request_id(request: &Request) -> u64 {
        correlation_key(request.correlation_id)
    }

    fn response_id(response: &Response) -> u64 {
        correlation_key(response.correlation_id)
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        _cx: DescribeContext<'_>,
    ) -> Description {
        describe(request, response)
    }
}

/// A Produce is `send {topic}` (type `send`, a PRODUCER span), a Fetch
/// `poll {topic}` (type `receive`, a CONSUMER span), with the topic as
/// `messaging.destination.name` when the request names one; every other
/// API is its name (`Metadata`) with no type. `messaging.system` is
/// `kafka`, `messaging.client.id` the client id, and `error.type` the name
/// of the first error code the answer carries.
fn describe(request: &Request, response: Option<&Response>) -> Description {
    let destination = match request.topic_count {
        Some(1) => request.topic.as_deref(),
        _ => None,
    };
    let (operation, kind, shape) = match request.api_key {
        0 => ("send".to_owned(), Some("send"), SpanShape::Producer),
        1 => ("poll".to_owned(), Some("receive"), SpanShape::Consumer),
        _ => (request.api_name(), None, SpanShape::ByRole),
    };
    let name = match (kind, destination) {
        (Some(_), Some(topic)) => format!("{operation} {topic}"),
        _ => operation.clone(),
    };
    let mut d = Description::new(Family::Messaging, name);
    d.shape = shape;
    d.attributes
        .push(Attribute::str("messaging.system", "kafka"));
    d.attributes
        .push(Attribute::str("messaging.operation.name", operation));
    if let Some(kind) = kind {
        d.attributes
            .push(Attribute::str("messaging.operation.type", kind));
        if let Some(topic) = destination {
            d.attributes
                .push(Attribute::str("messaging.destination.name", topic));
        }
    }
    if let Some(client) = request.client_id.as_deref().filter(|c| !c.is_empty()) {
        d.attributes
            .push(Attribute::str("messaging.client.id", client));
    }
    if let Some(group) = request.group.as_deref().filter(|g| !g.is_empty()) {
        d.attributes
            .push(Attribute::str("messaging.consumer.group.name", group));
    }
    if let Some(code) = response.map(|r| r.error_code).filter(|&c| c != 0) {
        d.fail(match error_name(code) {
            Some(name) => name.to_owned(),
            None => code.to_string(),
        });
    }
    d
}
