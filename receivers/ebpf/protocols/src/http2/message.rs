//! The HTTP/2 messages as spans need them.
//!
//! A request keeps its pseudo-headers and a fixed set of headers
//! ([`Field`]); a response the status, the gRPC status and message, its
//! content type and how its stream ended. Values live in one string per
//! message. Either may be [`Request::headers_incomplete`]: HPACK referred to
//! a dynamic-table entry sonde never saw (it joined the connection late, or
//! lost bytes), or the capture cut the header block; what could be read is
//! kept, the rest is `None`.

use crate::http1::Method;
use crate::protocol::Role;

/// The request headers kept; all others are dropped unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Method,
    Scheme,
    Authority,
    /// `:path`, query included.
    Path,
    ContentType,
    UserAgent,
    Traceparent,
    Tracestate,
    Sw8,
    XRequestId,
}

impl Field {
    /// The field a header name is (HTTP/2 names are lower case).
    pub fn of(name: &[u8]) -> Option<Field> {
        Some(match name {
            b":method" => Field::Method,
            b":scheme" => Field::Scheme,
            b":authority" => Field::Authority,
            b":path" => Field::Path,
            b"content-type" => Field::ContentType,
            b"user-agent" => Field::UserAgent,
            b"traceparent" => Field::Traceparent,
            b"tracestate" => Field::Tracestate,
            b"sw8" => Field::Sw8,
            b"x-request-id" => Field::XRequestId,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Text kept from header values: one string, and where each value is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Texts<const N: usize> {
    text: String,
    at: [Option<(u32, u32)>; N],
}

impl<const N: usize> Default for Texts<N> {
    fn default() -> Self {
        Texts {
            text: String::new(),
            at: [None; N],
        }
    }
}

impl<const N: usize> Texts<N> {
    /// Keeps the first value of slot `i`.
    fn set(&mut self, i: usize, value: &[u8]) {
        let Some(slot) = self.at.get_mut(i) else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(&String::from_utf8_lossy(value));
        *slot = Some((start as u32, self.text.len() as u32));
    }

    fn get(&self, i: usize) -> Option<&str> {
        let (start, end) = (*self.at.get(i)?)?;
        self.text.get(start as usize..end as usize)
    }
}

/// An HTTP/2 request: the header block that opened a client stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The stream (odd, client-initiated) it opened.
    pub stream_id: u32,
    /// `:method`; `None` when it could not be read.
    pub method: Option<Method>,
    /// The request has no body (END_STREAM on its HEADERS).
    pub end_stream: bool,
    /// Some header could not be read (see the module doc).
    pub headers_incomplete: bool,
    texts: Texts<10>,
}

impl Request {
    pub(crate) fn new(stream_id: u32) -> Self {
        Request {
            stream_id,
            method: None,
            end_stream: false,
            headers_incomplete: false,
            texts: Texts::default(),
        }
    }

    /// Keeps `value` if `name` is a kept field.
    pub(crate) fn header(&mut self, name: &[u8], value: &[u8]) {
        if let Some(field) = Field::of(name) {
            if field == Field::Method && self.method.is_none() {
                self.method = Some(Method::from_token(value));
            }
            self.texts.set(field.index(), value);
        }
    }

    /// The first value of a kept field.
    pub fn field(&self, field: Field) -> Option<&str> {
        self.texts.get(field.index())
    }

    /// `:method` as sent.
    pub fn method_original(&self) -> Option<&str> {
        self.field(Field::Method)
    }

    /// `:path` without its query.
    pub fn path(&self) -> Option<&str> {
        let path = self.field(Field::Path)?;
        Some(path.split_once('?').map_or(path, |(p, _)| p))
    }

    /// The query of `:path`, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.field(Field::Path)?.split_once('?').map(|(_, q)| q)
    }

    /// Whether the request is gRPC (`content-type: application/grpc...`).
    pub fn is_grpc(&self) -> bool {
        self.field(Field::ContentType).is_some_and(is_grpc_type)
    }

    /// Whether any pseudo-header was read (a trailer block has none).
    pub(crate) fn has_pseudo(&self) -> bool {
        [Field::Method, Field::Scheme, Field::Authority, Field::Path]
            .iter()
            .any(|&f| self.field(f).is_some())
    }
}

pub(crate) fn is_grpc_type(content_type: &str) -> bool {
    content_type
        .get(..16)
        .is_some_and(|p| p.eq_ignore_ascii_case("application/grpc"))
}

/// How a stream's answer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// END_STREAM from the server.
    Stream,
    /// RST_STREAM, with its error code, from `by`.
    Reset { code: u32, by: Role },
}

/// An HTTP/2 response: what the server sent on a stream, gathered from its
/// header blocks (informational, final, trailers) until the stream ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub stream_id: u32,
    /// The final `:status` (1xx answers are skipped); `None` when no final
    /// header block was read (a reset before it, or headers unknown).
    pub status: Option<u16>,
    /// `grpc-status`, from the trailers or a trailers-only answer.
    pub grpc_status: Option<u32>,
    pub end: End,
    /// Some header could not be read (see the module doc).
    pub headers_incomplete: bool,
    /// Entry time of the syscall that carried the first frame of the
    /// answer (the frame that ended it carries the message).
    pub started_ns: Option<u64>,
    /// A DATA frame of the stream, either way, held exactly one gRPC
    /// length-prefixed message: gRPC, for when the headers that say so
    /// could not be read.
    pub grpc_framing: bool,
    texts: Texts<2>,
}

const CONTENT_TYPE: usize = 0;
const GRPC_MESSAGE: usize = 1;

impl Response {
    pub(crate) fn new(stream_id: u32) -> Self {
        Response {
            stream_id,
            status: None,
            grpc_status: None,
            end: End::Stream,
            headers_incomplete: false,
            started_ns: None,
            grpc_framing: false,
            texts: Texts::default(),
        }
    }

    pub(crate) fn header(&mut self, name: &[u8], value: &[u8]) {
        match name {
            b":status" => {
                let status = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u16>().ok());
                // The first final status; 1xx are informational.
                if let Some(status) = status.filter(|s| *s >= 200) {
                    self.status.get_or_insert(status);
                }
            }
            b"grpc-status" => {
                let code = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok());
                if let Some(code) = code {
                    self.grpc_status = Some(code);
                }
            }
            b"content-type" => self.texts.set(CONTENT_TYPE, value),
            b"grpc-message" => self.texts.set(GRPC_MESSAGE, value),
            _ => {}
        }
    }

    pub fn content_type(&self) -> Option<&str> {
        self.texts.get(CONTENT_TYPE)
    }

    /// `grpc-message` as sent (percent-encoded).
    pub fn grpc_message(&self) -> Option<&str> {
        self.texts.get(GRPC_MESSAGE)
    }

    /// Whether the answer is gRPC: its content type, or a `grpc-status`.
    pub fn is_grpc(&self) -> bool {
        self.grpc_status.is_some() || self.content_type().is_some_and(is_grpc_type)
    }

    /// The RST_STREAM that ended the stream, if one did.
    pub fn reset(&self) -> Option<(u32, Role)> {
        match self.end {
            End::Reset { code, by } => Some((code, by)),
            End::Stream => None,
        }
    }
}
