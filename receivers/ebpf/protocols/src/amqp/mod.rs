//! AMQP 0-9-1 (RabbitMQ's dialect).
//!
//! Bytes are frames: type, channel, size, payload, `0xCE`. A method frame
//! is one `Whole` unit; a content-bearing method (basic.publish,
//! basic.deliver, basic.get-ok) and the content header frame after it are a
//! `Head` (one unit, so the request's properties are known when it begins),
//! its body frames `Body` units, the last one `End`. The client's protocol
//! header, heartbeats, the connection handshake (start, secure, tune and
//! their -ok), connection.blocked/unblocked, basic.return and its content
//! are consumed without messages.
//!
//! Synchronous methods are requests answered by their -ok, on the same
//! channel, one at a time per channel: pairing is [`Pairing::ById`] on the
//! channel number, so each channel pairs in order. A method with its
//! no-wait bit set, basic.publish, basic.deliver, basic.ack, basic.nack,
//! basic.reject and basic.recover-async are one-way. The broker reports a
//! failed request by closing the channel (or the connection, on channel 0)
//! with a reply code: that close answers the request waiting on the channel
//! (a connection.close answers the oldest request waiting on any channel),
//! and the client's close-ok to it is consumed without a message. A close
//! from the broker with nothing waiting (after a publish to a missing
//! exchange, refused credentials) is a one-way request of its own.

#[cfg(test)]
mod tests;

use crate::describe::{Attribute, DescribeContext, Description, Family, SpanShape};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};

/// The protocol header a client opens the connection with.
pub const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";

/// Frame types.
const METHOD: u8 = 1;
const HEADER: u8 = 2;
const BODY: u8 = 3;
const HEARTBEAT: u8 = 8;
const FRAME_END: u8 = 0xCE;
/// Largest frame accepted: RabbitMQ's default frame_max is 128 KiB, and
/// anything past this is garbage.
const MAX_FRAME: u32 = 128 * 1024 * 1024;
/// Consumers remembered per connection (consumer tag → queue).
const MAX_CONSUMERS: usize = 256;

/// The AMQP state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Amqp {
    /// Per sender: the content whose body frames are coming.
    content: [Option<Content>; 2],
    /// Broker closes the client's close-ok is still to come for, by channel
    /// (0 for connection.close): that close-ok is consumed without a message.
    close_ok_pending: Vec<u16>,
    /// Consumer tag → queue, from basic.consume and its consume-ok.
    consumers: Vec<(Box<str>, Box<str>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Content {
    channel: u16,
    left: u64,
}

/// A method: class and method id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Method {
    pub class: u16,
    pub method: u16,
}

impl Method {
    const fn new(class: u16, method: u16) -> Self {
        Method { class, method }
    }

    /// `class.method` as the spec names it (`queue.declare-ok`), when known.
    pub fn name(self) -> Option<&'static str> {
        Some(match (self.class, self.method) {
            (10, 10) => "connection.start",
            (10, 11) => "connection.start-ok",
            (10, 20) => "connection.secure",
            (10, 21) => "connection.secure-ok",
            (10, 30) => "connection.tune",
            (10, 31) => "connection.tune-ok",
            (10, 40) => "connection.open",
            (10, 41) => "connection.open-ok",
            (10, 50) => "connection.close",
            (10, 51) => "connection.close-ok",
            (10, 60) => "connection.blocked",
            (10, 61) => "connection.unblocked",
            (10, 70) => "connection.update-secret",
            (10, 71) => "connection.update-secret-ok",
            (20, 10) => "channel.open",
            (20, 11) => "channel.open-ok",
            (20, 20) => "channel.flow",
            (20, 21) => "channel.flow-ok",
            (20, 40) => "channel.close",
            (20, 41) => "channel.close-ok",
            (40, 10) => "exchange.declare",
            (40, 11) => "exchange.declare-ok",
            (40, 20) => "exchange.delete",
            (40, 21) => "exchange.delete-ok",
            (40, 30) => "exchange.bind",
            (40, 31) => "exchange.bind-ok",
            (40, 40) => "exchange.unbind",
            (40, 51) => "exchange.unbind-ok",
            (50, 10) => "queue.declare",
            (50, 11) => "queue.declare-ok",
            (50, 20) => "queue.bind",
            (50, 21) => "queue.bind-ok",
            (50, 30) => "queue.purge",
            (50, 31) => "queue.purge-ok",
            (50, 40) => "queue.delete",
            (50, 41) => "queue.delete-ok",
            (50, 50) => "queue.unbind",
            (50, 51) => "queue.unbind-ok",
            (60, 10) => "basic.qos",
            (60, 11) => "basic.qos-ok",
            (60, 20) => "basic.consume",
            (60, 21) => "basic.consume-ok",
            (60, 30) => "basic.cancel",
            (60, 31) => "basic.cancel-ok",
            (60, 40) => "basic.publish",
            (60, 50) => "basic.return",
            (60, 60) => "basic.deliver",
            (60, 70) => "basic.get",
            (60, 71) => "basic.get-ok",
            (60, 72) => "basic.get-empty",
            (60, 80) => "basic.ack",
            (60, 90) => "basic.reject",
            (60, 100) => "basic.recover-async",
            (60, 110) => "basic.recover",
            (60, 111) => "basic.recover-ok",
            (60, 120) => "basic.nack",
            (85, 10) => "confirm.select",
            (85, 11) => "confirm.select-ok",
            (90, 10) => "tx.select",
            (90, 11) => "tx.select-ok",
            (90, 20) => "tx.commit",
            (90, 21) => "tx.commit-ok",
            (90, 30) => "tx.rollback",
            (90, 31) => "tx.rollback-ok",
            _ => return None,
        })
    }
}

const CONNECTION_CLOSE: Method = Method::new(10, 50);
const CONNECTION_CLOSE_OK: Method = Method::new(10, 51);
const CHANNEL_CLOSE: Method = Method::new(20, 40);
const CHANNEL_CLOSE_OK: Method = Method::new(20, 41);
const PUBLISH: Method = Method::new(60, 40);
const DELIVER: Method = Method::new(60, 60);
const GET_OK: Method = Method::new(60, 71);
const CONSUME: Method = Method::new(60, 20);

/// What a method is on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// A request (synchronous unless no-wait, or one of the one-way methods).
    Request,
    /// An answer to a synchronous request.
    Answer,
    /// Consumed without a message.
    Skip,
}

fn role_of(m: Method) -> Option<Part> {
    use Part::*;
    Some(match (m.class, m.method) {
        (10, 10 | 11 | 20 | 21 | 30 | 31 | 60 | 61 | 70 | 71) => Skip,
        (60, 50) => Skip,
        (10, 40 | 50) | (20, 10 | 20 | 40) => Request,
        (10, 41 | 51) | (20, 11 | 21 | 41) => Answer,
        (40, 10 | 20 | 30 | 40) | (50, 10 | 20 | 30 | 40 | 50) => Request,
        (40, 11 | 21 | 31 | 51) | (50, 11 | 21 | 31 | 41 | 51) => Answer,
        (60, 10 | 20 | 30 | 40 | 60 | 70 | 80 | 90 | 100 | 110 | 120) => Request,
        (60, 11 | 21 | 31 | 71 | 72 | 111) => Answer,
        (85, 10) | (90, 10 | 20 | 30) => Request,
        (85, 11) | (90, 11 | 21 | 31) => Answer,
        _ => return None,
    })
}

/// A request: a synchronous method, or basic.publish, basic.deliver,
/// basic.ack/nack/reject, basic.recover-async, a broker's close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub channel: u16,
    pub method: Method,
    /// Sent by the broker (basic.deliver, a close, publisher confirms).
    pub from_server: bool,
    /// Its no-wait bit is set, or it is one-way by nature.
    pub one_way: bool,
    pub exchange: Option<Box<str>>,
    pub routing_key: Option<Box<str>>,
    /// queue.*, basic.consume, basic.get: the queue; basic.deliver: the
    /// queue its consumer tag was consuming, when that was seen.
    pub queue: Option<Box<str>>,
    pub delivery_tag: Option<u64>,
    /// channel.close, connection.close: the reply code and text.
    pub reply_code: u16,
    pub reply_text: Option<Box<str>>,
    /// Content: the body size, and properties.
    pub body_size: Option<u64>,
    pub message_id: Option<Box<str>>,
    pub correlation_id: Option<Box<str>>,
    pub traceparent: Option<String>,
    /// The capture ended inside the fields above.
    pub truncated: bool,
}

/// An answer: an -ok method, basic.get-empty, or a broker's close in
/// place of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub channel: u16,
    pub method: Method,
    /// The channel of the request it answers (a connection.close on
    /// channel 0 may answer a request on another channel).
    pub answers: u16,
    /// A close in place of the answer: its reply code and text.
    pub reply_code: u16,
    pub reply_text: Option<Box<str>>,
    /// queue.declare-ok: the queue (a server-named one's name).
    pub queue: Option<Box<str>>,
    /// queue.declare-ok, queue.purge-ok, queue.delete-ok, basic.get-ok.
    pub message_count: Option<u32>,
    /// basic.get-ok.
    pub delivery_tag: Option<u64>,
    pub exchange: Option<Box<str>>,
    pub routing_key: Option<Box<str>>,
    pub body_size: Option<u64>,
    pub truncated: bool,
}

impl Response {
    /// A close in place of the answer.
    pub fn failed(&self) -> bool {
        self.reply_code >= 300
    }
}

/// The reply code's name in the spec (`NOT_FOUND`), or the number.
pub fn reply_name(code: u16) -> String {
    let name = match code {
        200 => "REPLY_SUCCESS",
        311 => "CONTENT_TOO_LARGE",
        312 => "NO_ROUTE",
        313 => "NO_CONSUMERS",
        320 => "CONNECTION_FORCED",
        402 => "INVALID_PATH",
        403 => "ACCESS_REFUSED",
        404 => "NOT_FOUND",
        405 => "RESOURCE_LOCKED",
        406 => "PRECONDITION_FAILED",
        501 => "FRAME_ERROR",
        502 => "SYNTAX_ERROR",
        503 => "COMMAND_INVALID",
        504 => "CHANNEL_ERROR",
        505 => "UNEXPECTED_FRAME",
        506 => "RESOURCE_ERROR",
        530 => "NOT_ALLOWED",
        540 => "NOT_IMPLEMENTED",
        541 => "INTERNAL_ERROR",
        _ => return code.to_string(),
    };
    name.to_owned()
}

/// Fields ran past the bytes at hand.
struct Short;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n).ok_or(Short)?;
        let b = self.bytes.get(self.pos..end).ok_or(Short)?;
        self.pos = end;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Short> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, Short> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, Short> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    fn shortstr(&mut self) -> Result<&'a [u8], Short> {
        let n = self.u8()?;
        self.take(n.into())
    }

    fn longstr(&mut self) -> Result<&'a [u8], Short> {
        let n = self.u32()?;
        self.take(n as usize)
    }
}

fn text(bytes: &[u8]) -> Box<str> {
    Box::from(String::from_utf8_lossy(bytes).as_ref())
}

/// A non-empty short string as text.
fn named(bytes: &[u8]) -> Option<Box<str>> {
    (!bytes.is_empty()).then(|| text(bytes))
}

/// Skip one field-table value of type `kind`.
fn skip_value(r: &mut Reader<'_>, kind: u8) -> Result<(), Short> {
    let n = match kind {
        b't' | b'b' | b'B' => 1,
        b's' | b'u' => 2,
        b'I' | b'i' | b'f' => 4,
        b'l' | b'L' | b'd' | b'T' => 8,
        b'D' => 5,
        b'V' => 0,
        b'S' | b'x' | b'A' | b'F' => r.u32()? as usize,
        _ => return Err(Short),
    };
    r.take(n)?;
    Ok(())
}

/// A field table's `traceparent` (a long string).
fn table_traceparent(table: &[u8]) -> Option<String> {
    let mut r = Reader::new(table);
    while r.pos < table.len() {
        let name = r.shortstr().ok()?;
        let kind = r.u8().ok()?;
        if kind == b'S' && name.eq_ignore_ascii_case(b"traceparent") {
            return Some(String::from_utf8_lossy(r.longstr().ok()?).into_owned());
        }
        skip_value(&mut r, kind).ok()?;
    }
    None
}

/// What a content header frame says.
#[derive(Default)]
struct Properties {
    body_size: u64,
    message_id: Option<Box<str>>,
    correlation_id: Option<Box<str>>,
    traceparent: Option<String>,
}

/// Read a content header frame's payload; what was read when it runs short.
fn properties(payload: &[u8], p: &mut Properties) -> Result<(), Short> {
    let mut r = Reader::new(payload);
    r.u16()?; // class
    r.u16()?; // weight
    p.body_size = r.u64()?;
    let flags = r.u16()?;
    let has = |bit: u16| flags & (1 << bit) != 0;
    if has(15) {
        r.shortstr()?; // content-type
    }
    if has(14) {
        r.shortstr()?; // content-encoding
    }
    if has(13) {
        let headers = r.longstr()?;
        p.traceparent = table_traceparent(headers);
    }
    if has(12) {
        r.u8()?; // delivery-mode
    }
    if has(11) {
        r.u8()?; // priority
    }
    if has(10) {
        p.correlation_id = named(r.shortstr()?);
    }
    if has(9) {
        r.shortstr()?; // reply-to
    }
    if has(8) {
        r.shortstr()?; // expiration
    }
    if has(7) {
        p.message_id = named(r.shortstr()?);
    }
    Ok(())
}

/// A frame's header, when its 7 bytes are at hand.
#[derive(Clone, Copy)]
struct Frame {
    kind: u8,
    channel: u16,
    size: u32,
}

impl Frame {
    fn read(bytes: &[u8]) -> Option<Frame> {
        let b = bytes.get(..7)?;
        Some(Frame {
            kind: b[0],
            channel: u16::from_be_bytes([b[1], b[2]]),
            size: u32::from_be_bytes([b[3], b[4], b[5], b[6]]),
        })
    }

    fn valid(&self) -> bool {
        matches!(self.kind, METHOD | HEADER | BODY | HEARTBEAT)
            && self.size <= MAX_FRAME
            && (self.kind != HEARTBEAT || (self.channel == 0 && self.size == 0))
            && (self.kind != METHOD || self.size >= 4)
    }

    /// Its length on the wire.
    fn len(&self) -> usize {
        7 + self.size as usize + 1
    }
}

type AmqpStep = Step<Request, Response>;

/// A parsed method frame.
enum Parsed {
    Request(Request),
    Response(Response),
    Skip,
}

impl Amqp {
    fn remember_consumer(&mut self, tag: &[u8], queue: Box<str>) {
        self.consumers.retain(|(t, _)| t.as_bytes() != tag);
        if self.consumers.len() >= MAX_CONSUMERS {
            self.consumers.remove(0);
        }
        self.consumers.push((text(tag), queue));
    }

    /// Read a method frame's arguments into `out`; `Err` leaves what was
    /// read so far.
    fn arguments(
        &mut self,
        from: Role,
        channel: u16,
        method: Method,
        r: &mut Reader<'_>,
        out: &mut Parsed,
        pending: Pending<'_, Self>,
    ) -> Result<(), Short> {
        match out {
            Parsed::Request(q) => self.request_arguments(from, method, r, q),
            Parsed::Response(a) => self.response_arguments(channel, method, r, a, pending),
            Parsed::Skip => Ok(()),
        }
    }

    fn request_arguments(
        &mut self,
        _from: Role,
        method: Method,
        r: &mut Reader<'_>,
        q: &mut Request,
    ) -> Result<(), Short> {
        let nowait = |bits: u8, bit: u8| bits & (1 << bit) != 0;
        match (method.class, method.method) {
            (10, 50) | (20, 40) => {
                q.reply_code = r.u16()?;
                q.reply_text = named(r.shortstr()?);
            }
            (40, 10) => {
                r.u16()?;
                q.exchange = named(r.shortstr()?);
                r.shortstr()?; // type
                q.one_way = nowait(r.u8()?, 4);
            }
            (40, 20) => {
                r.u16()?;
                q.exchange = named(r.shortstr()?);
                q.one_way = nowait(r.u8()?, 1);
            }
            (40, 30 | 40) => {
                r.u16()?;
                q.exchange = named(r.shortstr()?); // destination
                r.shortstr()?; // source
                q.routing_key = named(r.shortstr()?);
                q.one_way = nowait(r.u8()?, 0);
            }
            (50, 10) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
                q.one_way = nowait(r.u8()?, 4);
            }
            (50, 20) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
                q.exchange = named(r.shortstr()?);
                q.routing_key = named(r.shortstr()?);
                q.one_way = nowait(r.u8()?, 0);
            }
            (50, 30) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
                q.one_way = nowait(r.u8()?, 0);
            }
            (50, 40) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
                q.one_way = nowait(r.u8()?, 2);
            }
            (50, 50) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
                q.exchange = named(r.shortstr()?);
                q.routing_key = named(r.shortstr()?);
            }
            (60, 20) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
                let tag = r.shortstr()?;
                if let (Some(queue), false) = (&q.queue, tag.is_empty()) {
                    let queue = queue.clone();
                    self.remember_consumer(tag, queue);
                }
                q.one_way = nowait(r.u8()?, 3);
            }
            (60, 30) => {
                r.shortstr()?; // consumer tag
                q.one_way = nowait(r.u8()?, 0);
            }
            (60, 40) => {
                r.u16()?;
                q.exchange = named(r.shortstr()?);
                q.routing_key = named(r.shortstr()?);
            }
            (60, 60) => {
                let tag = r.shortstr()?;
                q.queue = self
                    .consumers
                    .iter()
                    .find(|(t, _)| t.as_bytes() == tag)
                    .map(|(_, queue)| queue.clone());
                q.delivery_tag = Some(r.u64()?);
                r.u8()?; // redelivered
                q.exchange = named(r.shortstr()?);
                q.routing_key = named(r.shortstr()?);
            }
            (60, 70) => {
                r.u16()?;
                q.queue = named(r.shortstr()?);
            }
            (60, 80 | 90 | 120) => {
                q.delivery_tag = Some(r.u64()?);
            }
            (85, 10) => {
                q.one_way = nowait(r.u8()?, 0);
            }
            _ => {}
        }
        Ok(())
    }

    fn response_arguments(
        &mut self,
        _channel: u16,
        method: Method,
        r: &mut Reader<'_>,
        a: &mut Response,
        pending: Pending<'_, Self>,
    ) -> Result<(), Short> {
        match (method.class, method.method) {
            (10, 50) | (20, 40) => {
                a.reply_code = r.u16()?;
                a.reply_text = named(r.shortstr()?);
            }
            (50, 11) => {
                a.queue = named(r.shortstr()?);
                a.message_count = Some(r.u32()?);
            }
            (50, 31 | 41) => {
                a.message_count = Some(r.u32()?);
            }
            (60, 21) => {
                let tag = r.shortstr()?;
                let queue = pending
                    .iter()
                    .find(|q| q.channel == a.answers && q.method == CONSUME)
                    .and_then(|q| q.queue.clone());
                if let Some(queue) = queue {
                    self.remember_consumer(tag, queue);
                }
            }
            (60, 71) => {
                a.delivery_tag = Some(r.u64()?);
                r.u8()?; // redelivered
                a.exchange = named(r.shortstr()?);
                a.routing_key = named(r.shortstr()?);
                a.message_count = Some(r.u32()?);
            }
            _ => {}
        }
        Ok(())
    }

    /// Parse a method frame (`frame` read, its payload `payload`, as much as
    /// is at hand).
    fn method(
        &mut self,
        from: Role,
        frame: Frame,
        payload: &[u8],
        pending: Pending<'_, Self>,
    ) -> ParseResult<Parsed> {
        let mut r = Reader::new(payload);
        let (Ok(class), Ok(id)) = (r.u16(), r.u16()) else {
            return ParseResult::Malformed(Malformed::Truncated);
        };
        let method = Method::new(class, id);
        let Some(role) = role_of(method) else {
            return ParseResult::Malformed(Malformed::Header);
        };
        let channel = frame.channel;
        let is_close = method == CONNECTION_CLOSE || method == CHANNEL_CLOSE;
        let is_close_ok = method == CONNECTION_CLOSE_OK || method == CHANNEL_CLOSE_OK;
        let mut out = match role {
            Part::Skip => Parsed::Skip,
            // The client's close-ok to a broker's close that was taken as
            // an answer or reported one-way.
            Part::Answer
                if is_close_ok
                    && from == Role::Client
                    && self.take_close_ok(close_key(method, channel)) =>
            {
                Parsed::Skip
            }
            Part::Request if is_close && from == Role::Server => {
                // A broker's close answers the request waiting on the
                // channel; a connection.close the oldest waiting anywhere.
                let waiting = if method == CONNECTION_CLOSE {
                    pending
                        .iter()
                        .find(|q| q.channel == 0)
                        .or_else(|| pending.oldest())
                        .map(|q| q.channel)
                } else {
                    pending
                        .iter()
                        .find(|q| q.channel == channel)
                        .map(|q| q.channel)
                };
                self.close_ok_pending.push(close_key(method, channel));
                if self.close_ok_pending.len() > 64 {
                    self.close_ok_pending.remove(0);
                }
                match waiting {
                    Some(answers) => Parsed::Response(self.response(channel, method, answers)),
                    None => {
                        let mut q = request(channel, method, from);
                        q.one_way = true;
                        Parsed::Request(q)
                    }
                }
            }
            Part::Request => Parsed::Request(request(channel, method, from)),
            Part::Answer => Parsed::Response(self.response(channel, method, channel)),
        };
        if let Err(Short) = self.arguments(from, channel, method, &mut r, &mut out, pending) {
            if payload.len() >= frame.size as usize {
                return ParseResult::Malformed(Malformed::Framing);
            }
            match &mut out {
                Parsed::Request(q) => q.truncated = true,
                Parsed::Response(a) => a.truncated = true,
                Parsed::Skip => {}
            }
        }
        ParseResult::Parsed {
            message: out,
            consumed: frame.len(),
        }
    }

    fn response(&self, channel: u16, method: Method, answers: u16) -> Response {
        Response {
            channel,
            method,
            answers,
            reply_code: 0,
            reply_text: None,
            queue: None,
            message_count: None,
            delivery_tag: None,
            exchange: None,
            routing_key: None,
            body_size: None,
            truncated: false,
        }
    }

    fn take_close_ok(&mut self, key: u16) -> bool {
        match self.close_ok_pending.iter().position(|&k| k == key) {
            Some(i) => {
                self.close_ok_pending.remove(i);
                true
            }
            None => false,
        }
    }
}

/// Which close a close-ok answers: the channel, or 0 for the connection
/// (channel 0 has no channel.close).
fn close_key(method: Method, channel: u16) -> u16 {
    if method.class == 10 {
        0
    } else {
        channel
    }
}

fn request(channel: u16, method: Method, from: Role) -> Request {
    let one_way = matches!(
        (method.class, method.method),
        (60, 40 | 60 | 80 | 90 | 100 | 120)
    );
    Request {
        channel,
        method,
        from_server: from == Role::Server,
        one_way,
        exchange: None,
        routing_key: None,
        queue: None,
        delivery_tag: None,
        reply_code: 0,
        reply_text: None,
        body_size: None,
        message_id: None,
        correlation_id: None,
        traceparent: None,
        truncated: false,
    }
}

/// Whether a content-bearing method.
fn has_content(method: Method) -> bool {
    method == PUBLISH || method == DELIVER || method == GET_OK
}

impl ProtocolParser for Amqp {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::ById;

    /// The client's protocol header, `AMQP 0 0 9 1`.
    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        first.starts_with(PROTOCOL_HEADER).then_some(Kind::Request)
    }

    fn may_start(_from: Role, bytes: &[u8]) -> bool {
        if bytes.first() == Some(&b'A') {
            let n = bytes.len().min(8);
            return bytes[..n] == PROTOCOL_HEADER[..n];
        }
        let Some(&kind) = bytes.first() else {
            return true;
        };
        if !matches!(kind, METHOD | HEADER | BODY | HEARTBEAT) {
            return false;
        }
        let Some(frame) = Frame::read(bytes) else {
            return true;
        };
        if !frame.valid() {
            return false;
        }
        if frame.kind == METHOD {
            if let (Some(c), Some(m)) = (bytes.get(7..9), bytes.get(9..11)) {
                let method = Method::new(
                    u16::from_be_bytes([c[0], c[1]]),
                    u16::from_be_bytes([m[0], m[1]]),
                );
                if role_of(method).is_none() {
                    return false;
                }
            }
        }
        bytes
            .get(frame.len() - 1)
            .is_none_or(|&end| end == FRAME_END)
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<AmqpStep> {
        let bytes = input.bytes;
        if bytes.first() == Some(&b'A') {
            let n = bytes.len().min(8);
            if bytes[..n] != PROTOCOL_HEADER[..n] {
                return ParseResult::Malformed(Malformed::StartLine);
            }
            if n < 8 {
                return ParseResult::Incomplete {
                    needed: Some(8 - n),
                };
            }
            return ParseResult::Parsed {
                message: Step::Body,
                consumed: 8,
            };
        }
        let Some(frame) = Frame::read(bytes) else {
            return ParseResult::Incomplete {
                needed: Some(7 - bytes.len()),
            };
        };
        if !frame.valid() {
            return ParseResult::Malformed(Malformed::Framing);
        }
        let len = frame.len();
        if bytes.get(len - 1).is_some_and(|&end| end != FRAME_END) {
            return ParseResult::Malformed(Malformed::Framing);
        }
        let side = from.index();
        // A body frame of the content in progress.
        if let Some(content) = self.content[side] {
            if frame.kind == BODY && frame.channel == content.channel {
                let left = content.left.saturating_sub(frame.size.into());
                self.content[side] = (left > 0).then_some(Content { left, ..content });
                return ParseResult::Parsed {
                    message: if left > 0 { Step::Body } else { Step::End },
                    consumed: len,
                };
            }
            if frame.kind == HEARTBEAT {
                return ParseResult::Parsed {
                    message: Step::Body,
                    consumed: len,
                };
            }
            // Something else: the content was cut short.
            self.content[side] = None;
        }
        if frame.kind != METHOD {
            // Heartbeats, and content frames whose method was skipped or lost.
            return ParseResult::Parsed {
                message: Step::Body,
                consumed: len,
            };
        }
        let payload = &bytes[7..bytes.len().min(7 + frame.size as usize)];
        if payload.len() < frame.size as usize && !input.is_truncated() {
            return ParseResult::Incomplete {
                needed: Some(len - bytes.len()),
            };
        }
        let parsed = match self.method(from, frame, payload, pending) {
            ParseResult::Parsed { message, .. } => message,
            ParseResult::Incomplete { needed } => return ParseResult::Incomplete { needed },
            ParseResult::Malformed(m) => return ParseResult::Malformed(m),
        };
        let method = match &parsed {
            Parsed::Request(q) => Some(q.method),
            Parsed::Response(a) => Some(a.method),
            Parsed::Skip => None,
        };
        let mut consumed = len;
        let mut body_size = None;
        let mut props = Properties::default();
        let mut cut = false;
        if method.is_some_and(has_content) {
            // The content header follows: read it with the method, so the
            // message's properties are known as it begins.
            let rest = bytes.get(len..).unwrap_or_default();
            match Frame::read(rest) {
                Some(h) if h.kind == HEADER && h.channel == frame.channel && h.valid() => {
                    let hp = &rest[7..rest.len().min(7 + h.size as usize)];
                    if hp.len() < h.size as usize && !input.is_truncated() {
                        return ParseResult::Incomplete {
                            needed: Some(len + h.len() - bytes.len()),
                        };
                    }
                    let complete = properties(hp, &mut props).is_ok();
                    if complete || hp.len() >= 12 {
                        body_size = Some(props.body_size);
                    }
                    cut = !complete;
                    consumed = len + h.len();
                }
                Some(_) => {}
                None if !input.is_truncated() => {
                    return ParseResult::Incomplete {
                        needed: Some(len + 7 - bytes.len()),
                    };
                }
                None => cut = true,
            }
        }
        let message = match parsed {
            Parsed::Skip => {
                return ParseResult::Parsed {
                    message: Step::Body,
                    consumed,
                }
            }
            Parsed::Request(mut q) => {
                q.body_size = body_size;
                q.message_id = props.message_id;
                q.correlation_id = props.correlation_id;
                q.traceparent = props.traceparent;
                q.truncated |= cut;
                Message::Request(q)
            }
            Parsed::Response(mut a) => {
                a.body_size = body_size;
                a.truncated |= cut;
                Message::Response(a)
            }
        };
        let step = match body_size {
            Some(n) if n > 0 => {
                self.content[side] = Some(Content {
                    channel: frame.channel,
                    left: n,
                });
                Step::Head(message)
            }
            _ => Step::Whole(message),
        };
        ParseResult::Parsed {
            message: step,
            consumed,
        }
    }

    fn reset(&mut self, from: Role) {
        self.content[from.index()] = None;
    }

    fn expects_response(request: &Request) -> bool {
        !request.one_way
    }

    fn request_id(request: &Request) -> u64 {
        request.channel.into()
    }

    fn response_id(response: &Response) -> u64 {
        response.answers.into()
    }

    fn trace_context(request: &Request) -> TraceContext {
        TraceContext {
            traceparent: request.traceparent.clone(),
            ..TraceContext::default()
        }
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        _cx: DescribeContext<'_>,
    ) -> Description {
        let m = request.method;
        let method_name = m.name().unwrap_or("amqp");
        let (operation, kind) = match (m.class, m.method) {
            (60, 40) => ("publish", Some("send")),
            (60, 60 | 70) => ("receive", Some("receive")),
            (60, 80) => ("ack", Some("settle")),
            (60, 90) => ("reject", Some("settle")),
            (60, 120) => ("nack", Some("settle")),
            _ => (method_name, None),
        };
        // Publish and deliver: the exchange, or the routing key on the
        // default exchange; methods on queues: the queue.
        let destination = match (m.class, m.method) {
            (60, 40 | 60) => request
                .exchange
                .as_deref()
                .or(request.routing_key.as_deref()),
            (50, _) | (60, 20 | 70) => request.queue.as_deref(),
            (40, _) => request.exchange.as_deref(),
            _ => None,
        };
        let template = destination.and_then(template);
        let shown = template.or(destination);
        let name = match shown {
            Some(d) => format!("{operation} {d}"),
            None => operation.to_owned(),
        };
        let mut d = Description::new(Family::Messaging, name);
        d.shape = match (m.class, m.method) {
            (60, 40) => SpanShape::Producer,
            (60, 60) => SpanShape::Consumer,
            _ => SpanShape::ByRole,
        };
        let a = &mut d.attributes;
        a.push(Attribute::str("messaging.system", "rabbitmq"));
        a.push(Attribute::str("messaging.operation.name", operation));
        if let Some(kind) = kind {
            a.push(Attribute::str("messaging.operation.type", kind));
        }
        match (template, destination) {
            (Some(t), Some(_)) => {
                a.push(Attribute::str("messaging.destination.template", t));
                a.push(Attribute::bool("messaging.destination.temporary", true));
            }
            (None, Some(dest)) => a.push(Attribute::str("messaging.destination.name", dest)),
            _ => {}
        }
        if matches!((m.class, m.method), (60, 40 | 60)) {
            if let Some(rk) = request.routing_key.as_deref() {
                if template.is_none() || request.exchange.is_some() {
                    a.push(Attribute::str(
                        "messaging.rabbitmq.destination.routing_key",
                        rk,
                    ));
                }
            }
            if let Some(queue) = request.queue.as_deref() {
                a.push(Attribute::str(
                    "messaging.destination.subscription.name",
                    queue,
                ));
            }
        }
        let delivery_tag = request
            .delivery_tag
            .or(response.and_then(|r| r.delivery_tag));
        if let Some(tag) = delivery_tag {
            a.push(Attribute::int(
                "messaging.rabbitmq.message.delivery_tag",
                i64::try_from(tag).unwrap_or(i64::MAX),
            ));
        }
        if let Some(id) = request.message_id.as_deref() {
            a.push(Attribute::str("messaging.message.id", id));
        }
        if let Some(id) = request.correlation_id.as_deref() {
            a.push(Attribute::str("messaging.message.conversation_id", id));
        }
        let body = request.body_size.or(response.and_then(|r| r.body_size));
        if let Some(n) = body {
            a.push(Attribute::int(
                "messaging.message.body.size",
                i64::try_from(n).unwrap_or(i64::MAX),
            ));
        }
        a.push(Attribute::str("network.protocol.name", "amqp"));
        a.push(Attribute::str("network.protocol.version", "0.9.1"));
        let code = match response {
            Some(r) if r.failed() => r.reply_code,
            // A broker's close reported on its own.
            _ if request.from_server && request.reply_code >= 300 => request.reply_code,
            _ => 0,
        };
        if code != 0 {
            d.fail(reply_name(code));
        }
        d
    }
}

/// A low-cardinality stand-in for names the broker makes per use:
/// server-named queues (`amq.gen-*`) and direct reply-to
/// (`amq.rabbitmq.reply-to.*`).
fn template(name: &str) -> Option<&'static str> {
    if name.starts_with("amq.gen-") {
        Some("amq.gen-*")
    } else if name.starts_with("amq.rabbitmq.reply-to") {
        Some("amq.rabbitmq.reply-to.*")
    } else {
        None
    }
}
