//! HTTP/2 (RFC 9113) and gRPC over it, with HPACK (RFC 7541).
//!
//! One unit is one frame (the client preface is one too, and a header
//! block's HEADERS and CONTINUATION frames, which nothing may come between,
//! are one together). Many streams share a connection and their frames
//! interleave, while the framework takes one message at a time per
//! direction; so no message spans units:
//!
//! * a **request** is `Step::Whole` when the client's header block opening a
//!   stream is read, body or not (its DATA frames follow as units of no
//!   message);
//! * a **response** is `Step::Whole` when its stream ends: the server's
//!   END_STREAM (on DATA or on trailers), or RST_STREAM from either end. The
//!   parser gathers it meanwhile from every header block the server sent on
//!   the stream (status, content type, `grpc-status`, `grpc-message`) and
//!   keeps when its first frame came ([`ProtocolParser::started_ns`]), so it
//!   is timed from its first frame to its last;
//! * every other frame is `Step::Body` outside a message: consumed, part of
//!   no message. DATA payloads are never read: `consumed` skips them.
//!
//! Pairing is by stream id. A client's RST_STREAM ends its own request
//! ([`Disposition::Cancel`]): the exchange is reported with the reset.
//!
//! HPACK keeps one dynamic table per direction. The client preface starts
//! both; joining a connection later leaves them unknown, and a header that
//! refers to an entry sonde never saw is dropped with the message marked
//! [`Request::headers_incomplete`] (see `hpack`).
//!
//! gRPC is HTTP/2 with `content-type: application/grpc...`; [`describe`]
//! tells the two apart.
//!
//! Detection, mirrored by the kernel's first-bytes filter: a request is the
//! client preface's first 16 bytes (`PRI * HTTP/2.0\r\n`); a response is a
//! server's first frame, SETTINGS without ACK on stream 0 whose length is a
//! multiple of 6 up to 96 (9 bytes). Streams seen without either (sonde
//! started after the connection) are parsed once a session exists, but not
//! detected from their frames.

mod describe;
mod frame;
pub mod hpack;
mod message;
mod streams;
#[cfg(test)]
mod tests;

pub use frame::{error_name, PREFACE};
pub use message::{End, Field, Request, Response};

use crate::describe::{DescribeContext, Description};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};
use frame::Head;
use streams::Streams;

type H2Step = Step<Request, Response>;

/// The most a detected first SETTINGS frame may carry: 16 settings.
const MAX_FIRST_SETTINGS: usize = 96;

/// The HTTP/2 state of one connection.
#[derive(Default)]
pub struct Http2 {
    /// HPACK decoding state of what each end sends, by sender.
    decoders: [hpack::Decoder; 2],
    streams: Streams,
    /// A header block's fragments put together when CONTINUATION frames
    /// split it.
    block: Vec<u8>,
}

/// A header block found at the start of the input.
struct Block {
    head: Head,
    /// Where its single fragment is in the input; `None` when the block is
    /// in `Http2::block`.
    single: Option<(usize, usize)>,
    /// The capture ended inside it.
    cut: bool,
    consumed: usize,
}

/// Why a header block cannot be read yet, or at all.
enum Stop {
    /// At least this many more bytes are needed.
    Need(usize),
    Malformed(Malformed),
}

/// Stream `id` ended: its answer as it stands.
fn answer(streams: &mut Streams, id: u32, end: message::End) -> H2Step {
    match streams.take(id) {
        Some(open) => {
            let mut response = open.response;
            // An answer begins with a header block carrying `:status`; one
            // without was lost (or its table entry unknown).
            if response.status.is_none() && matches!(end, message::End::Stream) {
                response.headers_incomplete = true;
            }
            response.end = end;
            Step::Whole(Message::Response(response))
        }
        None => Step::Body,
    }
}

fn parsed(step: H2Step, consumed: usize) -> ParseResult<H2Step> {
    ParseResult::Parsed {
        message: step,
        consumed,
    }
}

fn incomplete(needed: usize) -> ParseResult<H2Step> {
    ParseResult::Incomplete {
        needed: Some(needed),
    }
}

impl Http2 {
    /// The client preface, whole or as far as it was captured.
    fn preface(&mut self, input: Input<'_>) -> Option<ParseResult<H2Step>> {
        let bytes = input.bytes;
        let n = bytes.len().min(PREFACE.len());
        if n == 0 || bytes[..n] != PREFACE[..n] {
            return None;
        }
        if n < PREFACE.len() && input.missing == 0 {
            return Some(incomplete(PREFACE.len() - n));
        }
        // The connection starts here: both tables are empty and known.
        for decoder in &mut self.decoders {
            decoder.start();
        }
        Some(parsed(Step::Body, PREFACE.len()))
    }

    /// The header block starting with frame `head` at the input's start,
    /// with its CONTINUATION frames.
    fn block(&mut self, head: Head, input: Input<'_>) -> Result<Block, Stop> {
        let bytes = input.bytes;
        let len = bytes.len();
        let end = head.total();
        if end > len && input.missing == 0 {
            return Err(Stop::Need(end - len));
        }
        let payload = &bytes[frame::HEADER_LEN..end.min(len)];
        let (from, to) = match frame::fragment_bounds(&head, payload) {
            Ok(bounds) => bounds,
            // Cut before the padding length: nothing of the block is there.
            Err(_) if payload.is_empty() => (0, 0),
            Err(e) => return Err(Stop::Malformed(e)),
        };
        let first = (
            (frame::HEADER_LEN + from).min(len),
            (frame::HEADER_LEN + to).min(len),
        );
        let cut = end > len;
        if cut || head.has(frame::END_HEADERS) {
            return Ok(Block {
                head,
                single: Some(first),
                cut,
                consumed: end,
            });
        }
        // CONTINUATION frames follow, and nothing else may (§6.10).
        self.block.clear();
        self.block.extend_from_slice(&bytes[first.0..first.1]);
        let mut at = end;
        loop {
            let Some(next) = Head::read(&bytes[at..]) else {
                if input.missing == 0 {
                    return Err(Stop::Need(at + frame::HEADER_LEN - len));
                }
                // The next frame's header was not captured.
                return Ok(Block {
                    head,
                    single: None,
                    cut: true,
                    consumed: at,
                });
            };
            if next.kind != frame::CONTINUATION || next.stream != head.stream {
                return Err(Stop::Malformed(Malformed::Framing));
            }
            let end = at + next.total();
            if end > len {
                if input.missing == 0 {
                    return Err(Stop::Need(end - len));
                }
                self.block
                    .extend_from_slice(&bytes[at + frame::HEADER_LEN..len]);
                return Ok(Block {
                    head,
                    single: None,
                    cut: true,
                    consumed: end,
                });
            }
            self.block
                .extend_from_slice(&bytes[at + frame::HEADER_LEN..end]);
            at = end;
            if next.has(frame::END_HEADERS) {
                return Ok(Block {
                    head,
                    single: None,
                    cut: false,
                    consumed: at,
                });
            }
        }
    }

    /// A header block from `from`: a request, an answer's headers or
    /// trailers, a push promise.
    fn headers(&mut self, from: Role, head: Head, input: Input<'_>) -> ParseResult<H2Step> {
        let b = match self.block(head, input) {
            Ok(b) => b,
            Err(Stop::Need(n)) => return incomplete(n),
            Err(Stop::Malformed(e)) => return ParseResult::Malformed(e),
        };
        let Http2 {
            decoders,
            streams,
            block,
        } = self;
        let fragment = match b.single {
            Some((s, e)) => &input.bytes[s..e],
            None => &block[..],
        };
        let decoder = &mut decoders[from.index()];
        let id = b.head.stream;
        let step = match (from, b.head.kind) {
            (Role::Client, frame::HEADERS) => {
                let mut request = Request::new(id);
                let decoded = match decoder.decode(fragment, b.cut, |n, v| request.header(n, v)) {
                    Ok(decoded) => decoded,
                    Err(_) => return ParseResult::Malformed(Malformed::Header),
                };
                // Client-initiated streams are odd; a lower id than the last
                // request's is trailers; so is a block of no pseudo-header.
                let opens = id % 2 == 1
                    && streams.is_new_request(id)
                    && (request.has_pseudo() || decoded.incomplete);
                if opens {
                    request.end_stream = b.head.has(frame::END_STREAM);
                    request.headers_incomplete = decoded.incomplete;
                    streams.requested(id);
                    Step::Whole(Message::Request(request))
                } else {
                    Step::Body
                }
            }
            (Role::Server, frame::HEADERS) => {
                // Even streams are pushed: no request of the client's.
                let open = if id % 2 == 1 {
                    streams.answering(id)
                } else {
                    None
                };
                let result = match open {
                    Some(open) => {
                        let response = &mut open.response;
                        response.started_ns.get_or_insert(input.start_ns);
                        let result = decoder.decode(fragment, b.cut, |n, v| response.header(n, v));
                        if let Ok(decoded) = result {
                            response.headers_incomplete |= decoded.incomplete;
                        }
                        result
                    }
                    None => decoder.decode(fragment, b.cut, |_, _| {}),
                };
                if result.is_err() {
                    return ParseResult::Malformed(Malformed::Header);
                }
                if b.head.has(frame::END_STREAM) {
                    answer(streams, id, message::End::Stream)
                } else {
                    Step::Body
                }
            }
            (Role::Server, frame::PUSH_PROMISE) => {
                // The promised request is the server's to answer: not an
                // exchange, but its block changes the server's table.
                if decoder.decode(fragment, b.cut, |_, _| {}).is_err() {
                    return ParseResult::Malformed(Malformed::Header);
                }
                Step::Body
            }
            _ => return ParseResult::Malformed(Malformed::Framing),
        };
        parsed(step, b.consumed)
    }

    fn data(&mut self, from: Role, head: Head, input: Input<'_>) -> ParseResult<H2Step> {
        let mut step = Step::Body;
        if let Some(open) = self.streams.get_mut(head.stream) {
            let response = &mut open.response;
            if !response.grpc_framing {
                response.grpc_framing = frame::one_grpc_message(&head, input.bytes);
            }
            if from == Role::Server {
                response.started_ns.get_or_insert(input.start_ns);
                if head.has(frame::END_STREAM) {
                    step = answer(&mut self.streams, head.stream, message::End::Stream);
                }
            }
        }
        parsed(step, head.total())
    }

    fn reset_stream(&mut self, from: Role, head: Head, input: Input<'_>) -> ParseResult<H2Step> {
        let Some(code) = input.bytes.get(frame::HEADER_LEN..frame::HEADER_LEN + 4) else {
            if input.missing == 0 {
                return incomplete(head.total() - input.bytes.len());
            }
            return parsed(Step::Body, head.total());
        };
        let code = u32::from_be_bytes([code[0], code[1], code[2], code[3]]);
        let step = match self.streams.get_mut(head.stream) {
            // A client resets only what it asked for.
            Some(open) if from == Role::Server || open.request_seen => answer(
                &mut self.streams,
                head.stream,
                message::End::Reset { code, by: from },
            ),
            Some(_) => {
                self.streams.take(head.stream);
                Step::Body
            }
            None => Step::Body,
        };
        parsed(step, head.total())
    }

    fn settings(&mut self, from: Role, head: Head, input: Input<'_>) -> ParseResult<H2Step> {
        let bytes = input.bytes;
        if head.has(frame::ACK) {
            return parsed(Step::Body, head.total());
        }
        if bytes.len() < head.total() && input.missing == 0 {
            return incomplete(head.total() - bytes.len());
        }
        let payload = &bytes[frame::HEADER_LEN..head.total().min(bytes.len())];
        if let Some(size) = frame::header_table_size(payload) {
            // The setting bounds the table of what the other end encodes.
            self.decoders[from.peer().index()].set_limit(size);
        }
        parsed(Step::Body, head.total())
    }

    /// Streams whose answer is being gathered.
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }
}

impl ProtocolParser for Http2 {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::ById;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        if first.len() >= 16 && first[..16] == PREFACE[..16] {
            return Some(Kind::Request);
        }
        let head = Head::read(first)?;
        let first_settings = head.kind == frame::SETTINGS
            && head.flags == 0
            && first[5..9] == [0, 0, 0, 0]
            && head.len % 6 == 0
            && head.len <= MAX_FIRST_SETTINGS;
        first_settings.then_some(Kind::Response)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        let n = bytes.len().min(PREFACE.len());
        if from == Role::Client && n > 0 && bytes[..n] == PREFACE[..n] {
            return true;
        }
        frame::plausible(bytes)
    }

    fn parse(&mut self, from: Role, input: Input<'_>, _: Pending<'_, Self>) -> ParseResult<H2Step> {
        if from == Role::Client {
            if let Some(result) = self.preface(input) {
                return result;
            }
        }
        let bytes = input.bytes;
        let Some(head) = Head::read(bytes) else {
            // Also when the rest was not captured: no frame can be read.
            return incomplete(frame::HEADER_LEN - bytes.len());
        };
        if let Err(e) = head.check() {
            return ParseResult::Malformed(e);
        }
        match head.kind {
            frame::HEADERS | frame::PUSH_PROMISE => self.headers(from, head, input),
            frame::DATA => self.data(from, head, input),
            frame::RST_STREAM => self.reset_stream(from, head, input),
            frame::SETTINGS => self.settings(from, head, input),
            frame::CONTINUATION => {
                // Outside a header block: its beginning was lost, and with
                // it what the block added to the table.
                self.decoders[from.index()].lose_track();
                parsed(Step::Body, head.total())
            }
            // PRIORITY, PING, GOAWAY, WINDOW_UPDATE, unknown types.
            _ => parsed(Step::Body, head.total()),
        }
    }

    fn reset(&mut self, from: Role) {
        self.decoders[from.index()].lose_track();
    }

    fn disposition(response: &Response) -> Disposition {
        match response.end {
            message::End::Reset {
                by: Role::Client, ..
            } => Disposition::Cancel,
            _ => Disposition::Final,
        }
    }

    fn started_ns(message: &Message<Request, Response>) -> Option<u64> {
        match message {
            Message::Response(r) => r.started_ns,
            Message::Request(_) => None,
        }
    }

    fn request_id(request: &Request) -> u64 {
        u64::from(request.stream_id)
    }

    fn response_id(response: &Response) -> u64 {
        u64::from(response.stream_id)
    }

    fn target(request: &Request) -> Option<String> {
        request.path().map(str::to_owned)
    }

    fn trace_context(request: &Request) -> TraceContext {
        let text = |field| request.field(field).map(str::to_owned);
        TraceContext {
            traceparent: text(Field::Traceparent),
            sw8: text(Field::Sw8),
            request_id: text(Field::XRequestId),
        }
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        cx: DescribeContext<'_>,
    ) -> Description {
        describe::describe(request, response, cx)
    }
}
