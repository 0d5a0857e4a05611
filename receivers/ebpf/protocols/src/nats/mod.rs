//! NATS client protocol (the text protocol of nats-server 2.x).
//!
//! Every operation is one `Whole` unit: a control line ending in CRLF, then
//! for PUB, HPUB, MSG and HMSG a payload of the size the line gives (HPUB and
//! HMSG start it with a header block, which is read; the rest is skipped).
//!
//! Who asks whom: the client's CONNECT, PUB, HPUB, SUB, UNSUB and PING are
//! requests, the server's MSG and HMSG (a message delivered to a subscriber)
//! and PING too; PONG answers PING, `+OK` and `-ERR` answer the client.
//! Pairing is FIFO per sender: the server answers in order. Without
//! `"verbose": true` in CONNECT the server sends no `+OK`, so CONNECT, PUB,
//! SUB and UNSUB are one-way, as MSG always is; with it they wait for their
//! `+OK`. A `-ERR` answers the oldest request still waiting (an error instead
//! of a verbose `+OK`, or the PING a client sends after CONNECT when the
//! server refuses the credentials); with nothing waiting it is unsolicited
//! (a refused non-verbose PUB, a slow consumer, a stale connection). INFO is
//! consumed without a message.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use memchr::memchr;

use crate::describe::{Attribute, DescribeContext, Description, Family, SpanShape};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};

/// nats-server's largest `max_payload` (64 MiB); a larger size is garbage.
const MAX_PAYLOAD: u64 = 64 * 1024 * 1024;
/// Subscriptions remembered per connection (sid → subject, queue group).
const MAX_SUBS: usize = 256;
/// Longest control line searched for its end before giving up, when the
/// capture does not cut it (nats-server's default `max_control_line` is 4 KiB;
/// CONNECT with a JWT and INFO with cluster URLs run longer).
const MAX_LINE: usize = 16 * 1024;

/// The NATS state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Nats {
    /// CONNECT asked for `+OK` after every request.
    verbose: bool,
    /// CONNECT's `name`.
    name: Option<Arc<str>>,
    /// Subscriptions: sid, subject, queue group.
    subs: Vec<Sub>,
}

#[derive(Clone, Debug)]
struct Sub {
    sid: Box<str>,
    subject: Arc<str>,
    queue: Option<Arc<str>>,
}

/// A request's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Connect,
    /// PUB or HPUB.
    Pub,
    Sub,
    Unsub,
    Ping,
    /// MSG or HMSG, from the server.
    Msg,
}

/// An answer's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    Pong,
    Ok,
    Err,
}

/// A request: CONNECT, PUB, HPUB, SUB, UNSUB, PING (either end), MSG, HMSG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub op: Op,
    /// Sent by the server (MSG, HMSG, a server's PING).
    pub from_server: bool,
    /// PUB, MSG, SUB: the subject; UNSUB: the subject its sid was subscribed
    /// to, when that SUB was seen.
    pub subject: Option<Arc<str>>,
    /// PUB, MSG: the reply subject.
    pub reply_to: Option<Box<str>>,
    /// SUB: the queue group; MSG: its subscription's, when that SUB was seen.
    pub queue: Option<Arc<str>>,
    /// PUB, MSG: payload bytes (headers excluded).
    pub payload_len: Option<u64>,
    /// HPUB, HMSG: the header block's status (`NATS/1.0 503` is no responders).
    pub status: Option<u16>,
    /// HPUB, HMSG: the `traceparent` header.
    pub traceparent: Option<String>,
    /// HPUB, HMSG: the `Nats-Msg-Id` header.
    pub msg_id: Option<String>,
    /// CONNECT's `name`.
    pub client_name: Option<Arc<str>>,
    /// The server answers it with `+OK` (CONNECT with `verbose`, and every
    /// request after it) or PONG (PING).
    pub answered: bool,
    /// The capture ended inside the header block.
    pub truncated: bool,
}

/// An answer: PONG, `+OK`, `-ERR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub reply: Reply,
    /// `-ERR`: the message, without its quotes.
    pub error: Option<String>,
    /// Sent with no request waiting for it.
    pub unsolicited: bool,
}

impl Response {
    /// `-ERR`'s message with what makes it vary cut off (`Permissions
    /// Violation for Publish to "orders"` → `Permissions Violation`), for
    /// `error.type`.
    pub fn error_type(&self) -> Option<String> {
        let e = self.error.as_deref()?;
        let cut = [" for ", " to ", ": ", " - "]
            .iter()
            .filter_map(|s| e.find(s))
            .min()
            .unwrap_or(e.len());
        let t = e[..cut].trim();
        Some(if t.is_empty() { "ERR" } else { t }.to_owned())
    }
}

type NatsStep = Step<Request, Response>;

/// The operation word of a control line, upper-cased (at most 7 bytes).
fn word(line: &[u8]) -> ([u8; 8], usize) {
    let mut w = [0u8; 8];
    let n = line
        .iter()
        .position(|&b| b == b' ' || b == b'\t' || b == b'\r' || b == b'\n')
        .unwrap_or(line.len());
    for (i, b) in line[..n.min(8)].iter().enumerate() {
        w[i] = b.to_ascii_uppercase();
    }
    (w, n)
}

const CLIENT_OPS: [&[u8]; 7] = [
    b"CONNECT", b"PUB", b"HPUB", b"SUB", b"UNSUB", b"PING", b"PONG",
];
const SERVER_OPS: [&[u8]; 7] = [b"INFO", b"MSG", b"HMSG", b"PING", b"PONG", b"+OK", b"-ERR"];

fn ops(from: Role) -> &'static [&'static [u8]; 7] {
    match from {
        Role::Client => &CLIENT_OPS,
        Role::Server => &SERVER_OPS,
    }
}

fn args(rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    rest.split(|&b| b == b' ' || b == b'\t')
        .filter(|a| !a.is_empty())
}

fn number(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() || arg.len() > 19 || !arg.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

fn shared(bytes: &[u8]) -> Arc<str> {
    Arc::from(String::from_utf8_lossy(bytes).as_ref())
}

fn boxed(bytes: &[u8]) -> Box<str> {
    Box::from(String::from_utf8_lossy(bytes).as_ref())
}

/// What a header block says.
#[derive(Default)]
struct Headers {
    status: Option<u16>,
    traceparent: Option<String>,
    msg_id: Option<String>,
}

/// Read a header block (`NATS/1.0[ status]\r\nKey: Value\r\n...\r\n`), or
/// as much of it as `block` holds.
fn headers(block: &[u8]) -> Headers {
    let mut h = Headers::default();
    let mut lines = block.split(|&b| b == b'\n');
    if let Some(first) = lines.next() {
        h.status = first
            .strip_prefix(b"NATS/1.0")
            .and_then(|rest| args(rest.strip_suffix(b"\r").unwrap_or(rest)).next())
            .and_then(number)
            .and_then(|n| u16::try_from(n).ok());
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = memchr(b':', line) else {
            continue;
        };
        let key = &line[..colon];
        let value = || String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned();
        if key.eq_ignore_ascii_case(b"traceparent") && h.traceparent.is_none() {
            h.traceparent = Some(value());
        } else if key.eq_ignore_ascii_case(b"Nats-Msg-Id") && h.msg_id.is_none() {
            h.msg_id = Some(value());
        }
    }
    h
}

impl Nats {
    fn request(&self, op: Op, from: Role) -> Request {
        Request {
            op,
            from_server: from == Role::Server,
            subject: None,
            reply_to: None,
            queue: None,
            payload_len: None,
            status: None,
            traceparent: None,
            msg_id: None,
            client_name: self.name.clone(),
            answered: match op {
                Op::Ping => true,
                Op::Msg => false,
                _ => from == Role::Client && self.verbose,
            },
            truncated: false,
        }
    }

    fn remember(&mut self, sid: &[u8], subject: Arc<str>, queue: Option<Arc<str>>) {
        self.subs.retain(|s| s.sid.as_bytes() != sid);
        if self.subs.len() >= MAX_SUBS {
            self.subs.remove(0);
        }
        self.subs.push(Sub {
            sid: boxed(sid),
            subject,
            queue,
        });
    }

    fn sub(&self, sid: &[u8]) -> Option<&Sub> {
        self.subs.iter().find(|s| s.sid.as_bytes() == sid)
    }

    /// A message operation: PUB/HPUB from the client, MSG/HMSG from the
    /// server. `args` follow the operation word; `line` is the control line's
    /// length with its CRLF.
    fn message(
        &mut self,
        from: Role,
        with_headers: bool,
        args: &[&[u8]],
        line: usize,
        input: &Input<'_>,
    ) -> ParseResult<NatsStep> {
        // PUB subject [reply] size; HPUB subject [reply] hdr total;
        // MSG subject sid [reply] size; HMSG subject sid [reply] hdr total.
        let fixed = usize::from(from == Role::Server) + 1 + usize::from(with_headers) + 1;
        if args.len() != fixed && args.len() != fixed + 1 {
            return ParseResult::Malformed(Malformed::StartLine);
        }
        let sizes = if with_headers { 2 } else { 1 };
        let (head, tail) = args.split_at(args.len() - sizes);
        let Some(total) = tail
            .last()
            .and_then(|a| number(a))
            .filter(|&n| n <= MAX_PAYLOAD)
        else {
            return ParseResult::Malformed(Malformed::Length);
        };
        let header_len = if with_headers {
            match number(tail[0]).filter(|&h| h <= total) {
                Some(h) => h,
                None => return ParseResult::Malformed(Malformed::Length),
            }
        } else {
            0
        };
        let op = if from == Role::Server {
            Op::Msg
        } else {
            Op::Pub
        };
        let mut q = self.request(op, from);
        q.subject = Some(shared(head[0]));
        let mut rest = &head[1..];
        if from == Role::Server {
            if let Some(sub) = self.sub(rest[0]) {
                q.queue = sub.queue.clone();
            }
            rest = &rest[1..];
        }
        q.reply_to = rest.first().map(|r| boxed(r));
        q.payload_len = Some(total - header_len);
        if with_headers {
            // Usize: header_len ≤ MAX_PAYLOAD.
            let header_len = header_len as usize;
            let at_hand = &input.bytes[line..];
            if at_hand.len() < header_len {
                if !input.is_truncated() {
                    return ParseResult::Incomplete {
                        needed: Some(header_len - at_hand.len()),
                    };
                }
                q.truncated = true;
            }
            let h = headers(&at_hand[..header_len.min(at_hand.len())]);
            q.status = h.status;
            q.traceparent = h.traceparent;
            q.msg_id = h.msg_id;
        }
        ParseResult::Parsed {
            message: Step::Whole(Message::Request(q)),
            // The payload and its CRLF.
            consumed: line + total as usize + 2,
        }
    }
}

impl ProtocolParser for Nats {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::Fifo;

    /// The server's greeting, `INFO {`: a connection is detected by its
    /// first message, and the server speaks first.
    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        first.starts_with(b"INFO {").then_some(Kind::Response)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        let n = bytes.len().min(8);
        ops(from).iter().any(|op| {
            let m = n.min(op.len());
            bytes[..m].eq_ignore_ascii_case(&op[..m])
                && (n <= op.len() || matches!(bytes[op.len()], b' ' | b'\t' | b'\r' | b'\n'))
        })
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<NatsStep> {
        let bytes = input.bytes;
        let Some(nl) = memchr(b'\n', &bytes[..bytes.len().min(MAX_LINE)]) else {
            if bytes.len() >= MAX_LINE {
                return ParseResult::Malformed(Malformed::TooLong);
            }
            if !may_start_line(from, bytes) {
                return ParseResult::Malformed(Malformed::StartLine);
            }
            return ParseResult::Incomplete { needed: Some(1) };
        };
        let line_len = nl + 1;
        let text = &bytes[..nl];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let (w, wlen) = word(text);
        let rest = &text[wlen..];
        let w = &w[..wlen.min(8)];
        let whole = |message| ParseResult::Parsed {
            message: Step::Whole(message),
            consumed: line_len,
        };
        if !ops(from).contains(&w) {
            return ParseResult::Malformed(Malformed::StartLine);
        }
        match (from, w) {
            (_, b"PING") => whole(Message::Request(self.request(Op::Ping, from))),
            (_, b"PONG") => whole(Message::Response(Response {
                reply: Reply::Pong,
                error: None,
                unsolicited: false,
            })),
            (Role::Server, b"INFO") => ParseResult::Parsed {
                // Consumed without a message.
                message: Step::Body,
                consumed: line_len,
            },
            (Role::Server, b"+OK") => whole(Message::Response(Response {
                reply: Reply::Ok,
                error: None,
                unsolicited: pending.is_empty(),
            })),
            (Role::Server, b"-ERR") => {
                let e = rest.trim_ascii();
                let e = e
                    .strip_prefix(b"'")
                    .and_then(|e| e.strip_suffix(b"'"))
                    .unwrap_or(e);
                whole(Message::Response(Response {
                    reply: Reply::Err,
                    error: Some(String::from_utf8_lossy(e).into_owned()),
                    unsolicited: pending.is_empty(),
                }))
            }
            (Role::Client, b"CONNECT") => {
                let mut verbose = false;
                let mut name = None;
                json_fields(rest.trim_ascii(), |key, value| match key {
                    b"verbose" => verbose = value == b"true",
                    b"name" => name = json_string(value).filter(|n| !n.is_empty()),
                    _ => {}
                });
                self.verbose = verbose;
                self.name = name.map(|n| Arc::from(n.as_str()));
                self.subs.clear();
                whole(Message::Request(self.request(Op::Connect, from)))
            }
            (Role::Client, b"SUB") => {
                let a: Vec<&[u8]> = args(rest).collect();
                let (subject, queue, sid) = match a.as_slice() {
                    [subject, sid] => (*subject, None, *sid),
                    [subject, queue, sid] => (*subject, Some(shared(queue)), *sid),
                    _ => return ParseResult::Malformed(Malformed::StartLine),
                };
                let subject = shared(subject);
                self.remember(sid, subject.clone(), queue.clone());
                let mut q = self.request(Op::Sub, from);
                q.subject = Some(subject);
                q.queue = queue;
                whole(Message::Request(q))
            }
            (Role::Client, b"UNSUB") => {
                let mut a = args(rest);
                let Some(sid) = a.next() else {
                    return ParseResult::Malformed(Malformed::StartLine);
                };
                let mut q = self.request(Op::Unsub, from);
                if let Some(sub) = self.sub(sid) {
                    q.subject = Some(sub.subject.clone());
                    q.queue = sub.queue.clone();
                }
                // With a max, the subscription lives on until that many
                // messages came; forget it only when it ends now.
                if a.next().is_none() {
                    self.subs.retain(|s| s.sid.as_bytes() != sid);
                }
                whole(Message::Request(q))
            }
            (_, b"PUB" | b"MSG") => {
                let a: Vec<&[u8]> = args(rest).collect();
                self.message(from, false, &a, line_len, &input)
            }
            (_, b"HPUB" | b"HMSG") => {
                let a: Vec<&[u8]> = args(rest).collect();
                self.message(from, true, &a, line_len, &input)
            }
            _ => ParseResult::Malformed(Malformed::StartLine),
        }
    }

    fn reset(&mut self, _from: Role) {}

    fn expects_response(request: &Request) -> bool {
        request.answered
    }

    fn disposition(response: &Response) -> Disposition {
        if response.unsolicited {
            Disposition::Unsolicited
        } else {
            Disposition::Final
        }
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
        let (operation, kind) = match request.op {
            Op::Pub => ("publish", Some("send")),
            Op::Msg => ("receive", Some("receive")),
            Op::Sub => ("subscribe", None),
            Op::Unsub => ("unsubscribe", None),
            Op::Connect => ("connect", None),
            Op::Ping => ("ping", None),
        };
        let subject = request.subject.as_deref().filter(|s| !s.is_empty());
        let template = subject.and_then(template);
        let name = match (template.as_deref(), subject) {
            (Some(t), _) => format!("{operation} {t}"),
            (None, Some(s)) => format!("{operation} {s}"),
            (None, None) => operation.to_owned(),
        };
        let mut d = Description::new(Family::Messaging, name);
        d.shape = match request.op {
            Op::Pub => SpanShape::Producer,
            Op::Msg => SpanShape::Consumer,
            _ => SpanShape::ByRole,
        };
        let a = &mut d.attributes;
        a.push(Attribute::str("messaging.system", "nats"));
        a.push(Attribute::str("messaging.operation.name", operation));
        if let Some(kind) = kind {
            a.push(Attribute::str("messaging.operation.type", kind));
        }
        match (template, subject) {
            (Some(t), Some(s)) => {
                a.push(Attribute::str("messaging.destination.template", t));
                if s.starts_with("_INBOX.") {
                    a.push(Attribute::bool("messaging.destination.temporary", true));
                }
            }
            (None, Some(s)) => a.push(Attribute::str("messaging.destination.name", s)),
            _ => {}
        }
        if let Some(q) = &request.queue {
            a.push(Attribute::str("messaging.consumer.group.name", q.as_ref()));
        }
        if let Some(id) = &request.msg_id {
            a.push(Attribute::str("messaging.message.id", id.as_str()));
        }
        if let Some(n) = request.payload_len {
            a.push(Attribute::int(
                "messaging.message.body.size",
                i64::try_from(n).unwrap_or(i64::MAX),
            ));
        }
        if let Some(name) = &request.client_name {
            a.push(Attribute::str("messaging.client.id", name.as_ref()));
        }
        a.push(Attribute::str("network.protocol.name", "nats"));
        if let Some(e) = response.and_then(Response::error_type) {
            d.fail(e);
        } else if let Some(status) = request.status.filter(|&s| s >= 400) {
            // A 503 "no responders" (or 408 timeout) in place of a reply.
            d.fail(status.to_string());
        }
        d
    }
}

/// Whether an incomplete line could still be an operation of `from`.
fn may_start_line(from: Role, bytes: &[u8]) -> bool {
    Nats::may_start(from, bytes)
}

/// A low-cardinality stand-in for subjects made per request: reply inboxes
/// (`_INBOX.>`) and JetStream acknowledgements (`$JS.ACK.{stream}.{consumer}.>`).
fn template(subject: &str) -> Option<String> {
    if subject.starts_with("_INBOX.") {
        return Some("_INBOX.>".to_owned());
    }
    if subject.starts_with("$JS.ACK.") {
        let tokens: Vec<&str> = subject.splitn(5, '.').collect();
        if tokens.len() == 5 {
            return Some(format!("$JS.ACK.{}.{}.>", tokens[2], tokens[3]));
        }
    }
    None
}

/// Call `each` with every top-level key of a JSON object and the raw bytes
/// of its value. Stops quietly at anything that is not JSON.
fn json_fields(json: &[u8], mut each: impl FnMut(&[u8], &[u8])) {
    let mut i = skip_ws(json, 0);
    if json.get(i) != Some(&b'{') {
        return;
    }
    i += 1;
    loop {
        i = skip_ws(json, i);
        if json.get(i) != Some(&b'"') {
            return;
        }
        let Some(key_end) = string_end(json, i) else {
            return;
        };
        let key = &json[i + 1..key_end - 1];
        i = skip_ws(json, key_end);
        if json.get(i) != Some(&b':') {
            return;
        }
        i = skip_ws(json, i + 1);
        let Some(value_end) = value_end(json, i) else {
            return;
        };
        each(key, &json[i..value_end]);
        i = skip_ws(json, value_end);
        match json.get(i) {
            Some(b',') => i += 1,
            _ => return,
        }
    }
}

fn skip_ws(json: &[u8], mut i: usize) -> usize {
    while json.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The index after the closing quote of the string opening at `i`.
fn string_end(json: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < json.len() {
        match json[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The index after the value starting at `i`.
fn value_end(json: &[u8], i: usize) -> Option<usize> {
    match json.get(i)? {
        b'"' => string_end(json, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < json.len() {
                match json[j] {
                    b'"' => {
                        j = string_end(json, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let n = json[i..]
                .iter()
                .position(|&b| b == b',' || b == b'}' || b.is_ascii_whitespace())
                .unwrap_or(json.len() - i);
            Some(i + n)
        }
    }
}

/// A JSON string value's text, its common escapes decoded.
fn json_string(value: &[u8]) -> Option<String> {
    let inner = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b == b'\\' && i + 1 < inner.len() {
            let e = inner[i + 1];
            i += 2;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'u' if i + 4 <= inner.len() => {
                    let hex = std::str::from_utf8(&inner[i..i + 4]).ok();
                    let c = hex
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32)
                        .unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += 4;
                }
                other => out.push(other),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}
