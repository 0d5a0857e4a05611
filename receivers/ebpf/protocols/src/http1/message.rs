//! The HTTP/1 messages as spans need them.
//!
//! A message keeps the method, the target split into path and query, the
//! version, the status, the framing facts, and a fixed set of headers
//! ([`Header`]); every other header is dropped while parsing. All the text a
//! message keeps lives in one string allocated once, at its exact size.

use std::borrow::Cow;

/// Request methods, with the ones the semantic conventions name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
    /// Any other token; [`Request::method_original`] has it.
    Other,
}

impl Method {
    /// The method a request line's token names (case-sensitive, as RFC 9110 says).
    pub fn from_token(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            _ => Method::Other,
        }
    }

    /// The `http.request.method` value: the method's name, or `_OTHER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other => "_OTHER",
        }
    }
}

/// Protocol versions this parser reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    Http10,
    /// HTTP/1.1, and any later 1.x.
    Http11,
}

impl Version {
    /// The `network.protocol.version` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "1.0",
            Version::Http11 => "1.1",
        }
    }
}

/// The headers a message keeps; all others are dropped unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Header {
    Host,
    UserAgent,
    Traceparent,
    Tracestate,
    /// SkyWalking's propagation header.
    Sw8,
    XRequestId,
}

impl Header {
    pub const ALL: [Header; 6] = [
        Header::Host,
        Header::UserAgent,
        Header::Traceparent,
        Header::Tracestate,
        Header::Sw8,
        Header::XRequestId,
    ];

    /// Its name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            Header::Host => "host",
            Header::UserAgent => "user-agent",
            Header::Traceparent => "traceparent",
            Header::Tracestate => "tracestate",
            Header::Sw8 => "sw8",
            Header::XRequestId => "x-request-id",
        }
    }

    /// The header a field name (any case) stands for.
    pub fn from_name(name: &[u8]) -> Option<Header> {
        Header::ALL.into_iter().find(|h| {
            h.name().len() == name.len() && h.name().as_bytes().eq_ignore_ascii_case(name)
        })
    }

    fn slot(self) -> usize {
        HEADER_SLOTS + self as usize
    }
}

const METHOD: usize = 0;
const PATH: usize = 1;
const QUERY: usize = 2;
const AUTHORITY: usize = 3;
const HEADER_SLOTS: usize = 4;
pub(super) const SLOTS: usize = HEADER_SLOTS + Header::ALL.len();

/// The text a message keeps: one string, and where each piece is in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Text {
    buf: String,
    spans: [Option<(u32, u32)>; SLOTS],
}

impl Text {
    /// Copy the pieces found while parsing, with one allocation.
    pub fn build(pieces: &[Option<&[u8]>; SLOTS]) -> Text {
        let total: usize = pieces.iter().flatten().map(|p| p.len()).sum();
        let mut text = Text {
            buf: String::with_capacity(total),
            spans: [None; SLOTS],
        };
        for (slot, piece) in pieces.iter().enumerate() {
            if let Some(bytes) = piece {
                let start = text.buf.len();
                // Non-UTF-8 bytes become U+FFFD; valid text is copied as is.
                match String::from_utf8_lossy(bytes) {
                    Cow::Borrowed(s) => text.buf.push_str(s),
                    Cow::Owned(s) => text.buf.push_str(&s),
                }
                text.spans[slot] = Some((start as u32, text.buf.len() as u32));
            }
        }
        text
    }

    fn get(&self, slot: usize) -> Option<&str> {
        let (start, end) = self.spans[slot]?;
        self.buf.get(start as usize..end as usize)
    }
}

/// Pieces of a message's text, gathered before it is built.
pub(super) struct Pieces<'a>(pub [Option<&'a [u8]>; SLOTS]);

impl<'a> Pieces<'a> {
    pub fn new() -> Self {
        Pieces([None; SLOTS])
    }

    /// Keep the first value of a header.
    pub fn header(&mut self, header: Header, value: &'a [u8]) {
        self.0[header.slot()].get_or_insert(value);
    }

    pub fn method(&mut self, token: &'a [u8]) {
        self.0[METHOD] = Some(token);
    }

    /// Split a request target into path, query and authority (RFC 9112 §3.2).
    pub fn target(&mut self, target: &'a [u8]) {
        let mut path_and_query = target;
        let mut absolute = false;
        if target.first() != Some(&b'/') && target != b"*" {
            match find(target, b"://") {
                Some(i) => {
                    let rest = &target[i + 3..];
                    let end = rest
                        .iter()
                        .position(|&b| b == b'/' || b == b'?')
                        .unwrap_or(rest.len());
                    self.0[AUTHORITY] = Some(&rest[..end]);
                    path_and_query = &rest[end..];
                    absolute = true;
                }
                None => {
                    // authority-form, for CONNECT
                    self.0[AUTHORITY] = Some(target);
                    path_and_query = &[];
                }
            }
        }
        let (path, query) = match path_and_query.iter().position(|&b| b == b'?') {
            Some(q) => (&path_and_query[..q], Some(&path_and_query[q + 1..])),
            None => (path_and_query, None),
        };
        self.0[PATH] = Some(if absolute && path.is_empty() {
            b"/"
        } else {
            path
        });
        self.0[QUERY] = query;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An HTTP/1 request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// `None` when the request line was cut by the capture.
    pub version: Option<Version>,
    pub content_length: Option<u64>,
    /// The body is chunked.
    pub chunked: bool,
    /// The client asked to close after this exchange (`Connection: close`,
    /// or HTTP/1.0 without `keep-alive`).
    pub connection_close: bool,
    /// The capture ended inside the head: headers after the cut are unknown.
    pub head_truncated: bool,
    pub(super) text: Text,
}

impl Request {
    /// The method as sent (the token for [`Method::Other`]).
    pub fn method_original(&self) -> &str {
        match self.method {
            Method::Other => self.text.get(METHOD).unwrap_or(""),
            m => m.as_str(),
        }
    }

    /// The target's path: `/a/b` of `/a/b?c`, `/` of `http://h`, `*` of
    /// `OPTIONS *`, empty for CONNECT's `host:port`.
    pub fn path(&self) -> &str {
        self.text.get(PATH).unwrap_or("")
    }

    /// The query after `?`, without it.
    pub fn query(&self) -> Option<&str> {
        self.text.get(QUERY)
    }

    /// The authority of an absolute-form (proxy) or authority-form target.
    pub fn authority(&self) -> Option<&str> {
        self.text.get(AUTHORITY)
    }

    /// The first value of a kept header, trimmed.
    pub fn header(&self, header: Header) -> Option<&str> {
        self.text.get(header.slot())
    }
}

/// An HTTP/1 response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub version: Version,
    pub status: u16,
    pub content_length: Option<u64>,
    pub chunked: bool,
    /// The server closes after this response (`Connection: close`, or
    /// HTTP/1.0 without `keep-alive`).
    pub connection_close: bool,
    pub head_truncated: bool,
    /// After this response the connection speaks something else: 101
    /// Switching Protocols, or a 2xx answer to CONNECT.
    pub switches_protocol: bool,
    pub(super) text: Text,
}

impl Response {
    /// The first value of a kept header, trimmed.
    pub fn header(&self, header: Header) -> Option<&str> {
        self.text.get(header.slot())
    }

    /// 1xx other than 101: the request still waits for its answer.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}
