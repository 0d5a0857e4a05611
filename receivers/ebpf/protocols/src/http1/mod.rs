//! HTTP/1.0 and HTTP/1.1 (RFC 9112).
//!
//! Clients send requests, servers send responses, paired in order (FIFO).
//! A message is one `Whole` unit when its body length is known from the head
//! (no body, `Content-Length`, or a head cut by the capture), else a `Head`
//! followed by one unit per chunk (chunked) or by everything up to the close
//! (a response without length). Bodies are never kept: the stream skips
//! them. The answer to HEAD and 1xx/204/304 have no body; 1xx other than
//! 101 are interim; 101 and a 2xx answer to CONNECT end HTTP/1 on the
//! connection.
//!
//! Detection, mirrored by the kernel's first-bytes filter: a request starts
//! with one of [`REQUEST_PREFIXES`], a response with one of
//! [`RESPONSE_PREFIXES`].

mod chunked;
mod head;
mod message;
#[cfg(test)]
mod tests;

pub use head::{parse_request, parse_response, Body};
pub use message::{Header, Method, Request, Response, Version};

use crate::describe::{Attribute, DescribeContext, Description, Family};
use crate::pairing::Pending;
use crate::parse::{Input, ParseResult};
use crate::protocol::{
    Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};

/// First bytes of a request: the methods of RFC 9110 and PATCH, each with
/// its space.
pub const REQUEST_PREFIXES: [&[u8]; 9] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"DELETE ",
    b"HEAD ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];

/// First bytes of a response.
pub const RESPONSE_PREFIXES: [&[u8]; 2] = [b"HTTP/1.0 ", b"HTTP/1.1 "];

/// Longest method [`Http1::may_start`] takes for a request start when
/// resynchronising.
const MAX_START_METHOD: usize = 20;

/// The HTTP/1 state of one connection: where each direction is in a body,
/// and how much of an incomplete head was already searched for its end.
#[derive(Clone, Copy, Debug, Default)]
pub struct Http1 {
    sides: [Framing; 2],
    /// Bytes of the incomplete head seen by the last call, per direction.
    scanned: [usize; 2],
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Framing {
    /// At a message head.
    #[default]
    Head,
    Chunked(chunked::Phase),
    UntilClose,
}

type H1Step = Step<Request, Response>;

impl Http1 {
    fn head<M>(
        &mut self,
        from: Role,
        parsed: ParseResult<(M, Body)>,
        available: usize,
        wrap: fn(M) -> Message<Request, Response>,
    ) -> ParseResult<H1Step> {
        let (message, body, head_len) = match parsed {
            ParseResult::Parsed {
                message: (m, body),
                consumed,
            } => (wrap(m), body, consumed),
            ParseResult::Incomplete { needed } => return ParseResult::Incomplete { needed },
            ParseResult::Malformed(e) => return ParseResult::Malformed(e),
        };
        let (step, consumed) = match body {
            Body::None => (Step::Whole(message), head_len),
            Body::Length(n) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                (Step::Whole(message), head_len.saturating_add(n))
            }
            Body::Unknown => (Step::Whole(message), available),
            Body::Chunked => {
                self.sides[from.index()] = Framing::Chunked(chunked::Phase::Size);
                (Step::Head(message), head_len)
            }
            Body::UntilClose => {
                self.sides[from.index()] = Framing::UntilClose;
                (Step::Head(message), head_len)
            }
        };
        ParseResult::Parsed {
            message: step,
            consumed,
        }
    }
}

impl Http1 {
    fn parse_head(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<H1Step> {
        // A head arriving in many small writes: the bytes searched last time
        // had no end of head, so search only the new ones before parsing it
        // all again (the stream keeps the bytes and appends to them after
        // `Incomplete`). Without this, a head sent a byte at a time would
        // cost time quadratic in its length.
        let seen = self.scanned[from.index()];
        let bytes = input.bytes;
        if seen > 0
            && !input.is_truncated()
            && bytes.len() > seen
            && !head::has_head_end(&bytes[seen - seen.min(2)..])
        {
            self.scanned[from.index()] = bytes.len();
            return ParseResult::Incomplete { needed: None };
        }
        let result = match from {
            Role::Client => self.head(
                from,
                parse_request(input),
                input.available(),
                Message::Request,
            ),
            Role::Server => {
                let method = pending.oldest().map(|r| r.method);
                self.head(
                    from,
                    parse_response(input, method),
                    input.available(),
                    Message::Response,
                )
            }
        };
        self.scanned[from.index()] = match result {
            ParseResult::Incomplete { .. } => bytes.len(),
            _ => 0,
        };
        result
    }
}

impl ProtocolParser for Http1 {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::Fifo;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        if REQUEST_PREFIXES.iter().any(|p| first.starts_with(p)) {
            Some(Kind::Request)
        } else if RESPONSE_PREFIXES.iter().any(|p| first.starts_with(p)) {
            Some(Kind::Response)
        } else {
            None
        }
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        let start = bytes
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(bytes.len());
        let bytes = &bytes[start..];
        match from {
            // Real methods are upper case; a text body ("hello world") is not.
            Role::Client => {
                for (i, &b) in bytes.iter().enumerate() {
                    if b == b' ' {
                        return i > 0;
                    }
                    if i >= MAX_START_METHOD
                        || !(b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
                    {
                        return false;
                    }
                }
                true
            }
            Role::Server => {
                let n = bytes.len().min(7);
                bytes[..n] == b"HTTP/1."[..n]
            }
        }
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<H1Step> {
        match self.sides[from.index()] {
            Framing::Head => self.parse_head(from, input, pending),
            Framing::Chunked(phase) => match chunked::step(phase, input) {
                ParseResult::Parsed {
                    message: next,
                    consumed,
                } => {
                    self.sides[from.index()] = next.map_or(Framing::Head, Framing::Chunked);
                    let step = if next.is_some() {
                        Step::Body
                    } else {
                        Step::End
                    };
                    ParseResult::Parsed {
                        message: step,
                        consumed,
                    }
                }
                ParseResult::Incomplete { needed } => ParseResult::Incomplete { needed },
                ParseResult::Malformed(e) => ParseResult::Malformed(e),
            },
            Framing::UntilClose => ParseResult::Parsed {
                message: Step::Body,
                consumed: input.available(),
            },
        }
    }

    fn reset(&mut self, from: Role) {
        self.sides[from.index()] = Framing::Head;
        self.scanned[from.index()] = 0;
    }

    fn ends_at_close(&self, from: Role) -> bool {
        self.sides[from.index()] == Framing::UntilClose
    }

    fn disposition(response: &Response) -> Disposition {
        if response.switches_protocol {
            Disposition::Upgrade
        } else if response.is_interim() {
            Disposition::Interim
        } else {
            Disposition::Final
        }
    }

    fn target(request: &Request) -> Option<String> {
        Some(request.path().to_owned())
    }

    fn trace_context(request: &Request) -> TraceContext {
        let text = |header| request.header(header).map(str::to_owned);
        TraceContext {
            traceparent: text(Header::Traceparent),
            sw8: text(Header::Sw8),
            request_id: text(Header::XRequestId),
        }
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        cx: DescribeContext<'_>,
    ) -> Description {
        let method = request.method.as_str();
        let mut d = Description::new(Family::Http, method);
        d.attributes
            .push(Attribute::str("http.request.method", method));
        d.attributes
            .push(Attribute::str("url.path", request.path()));
        if let Some(version) = request.version {
            d.attributes
                .push(Attribute::str("network.protocol.version", version.as_str()));
        }
        if let Some(response) = response {
            let status = response.status;
            d.attributes
                .push(Attribute::int("http.response.status_code", status));
            let failed = match cx.role {
                Role::Server => status >= 500,
                Role::Client => status >= 400,
            };
            if failed {
                d.fail(status.to_string());
            }
        }
        d
    }
}
