//! Redis: RESP2 and RESP3 (after `HELLO 3`), as clients and servers speak it.
//!
//! A client sends commands as arrays of bulk strings (or, typed by hand, as
//! inline lines); the server answers each, in order (FIFO, pipelining
//! included), with one value of any RESP type, nested as deep as it likes
//! (EXEC, SCAN). Values are walked once, counting what each open aggregate
//! still owes (`resp::Frames`): nothing but a split type line is ever
//! buffered, and bulk payloads are skipped through `consumed`, so a 100 MB
//! value costs what a small one does. A message that does not fit the bytes
//! at hand is a `Head` followed by `Body` units and an `End`.
//!
//! Messages sent without a request are [`Disposition::Unsolicited`]: RESP3
//! pushes (`>`: pub/sub messages, client-tracking invalidations), RESP2
//! pub/sub messages (arrays beginning `message`, `pmessage`, `smessage` once
//! the client subscribed) and MONITOR's lines. `SUBSCRIBE a b` is answered
//! by one confirmation per channel: the first (for channel `a`) pairs with
//! the request, the others are reported unsolicited.
//!
//! Detection, for the kernel's first-bytes filter: a request is `*`, one to
//! three digits, `\r\n$`, digits, `\r\n` and a letter (`*3\r\n$3\r\nSET`), or
//! exactly `PING\r\n` (an inline health check). Replies are not detected:
//! `+OK\r\n` or `:1\r\n` begin too many other things, and the client's next
//! command finds the connection.

mod message;
mod resp;
#[cfg(test)]
mod tests;

pub use message::{Request, Response, Type};

use memchr::memchr;

use crate::describe::{Attribute, DescribeContext, Description, Family};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step};
use message::{error_prefix, is_container, split_inline, PubSub, Word, RAW_CAP};
use resp::{Frames, Header, Walked, MAX_LINE};

type RStep = Step<Request, Response>;

/// Longest command name (or subcommand) waited for before the rest of a
/// request; a longer first element is no command.
const MAX_NAME: u64 = 64;

/// A command up to this long is waited for whole when split across
/// syscalls; a longer one streams.
const MAX_WAIT: usize = RAW_CAP + 64;

/// Longest argument Redis takes (its default `proto-max-bulk-len`, 512 MiB).
const MAX_BULK: i64 = 512 * 1024 * 1024;

/// Longest pub/sub kind or channel waited for to classify a reply.
const MAX_PEEK: u64 = 512;

/// Longest prefix of a bulk error waited for.
const MAX_ERROR_WAIT: usize = 64;

/// The Redis state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Redis {
    /// What the message in progress still owes, per sender.
    frames: [Frames; 2],
    /// The database index after the last `SELECT`, and before it (restored
    /// when the server refuses the `SELECT`).
    db: Option<u32>,
    db_before: Option<u32>,
    /// `HELLO 3` was sent: only `>` messages are pushes.
    resp3: bool,
    /// The client subscribed (RESP2: arrays may be pub/sub messages).
    subscribed: bool,
    /// The client sent MONITOR: simple strings are its lines.
    monitoring: bool,
    /// Requests parsed so far.
    requests: u64,
    /// The server's bytes lost track inside a reply when `requests` was
    /// this: its next bytes are skipped until the client asks again.
    lost_at: Option<u64>,
}

impl Redis {
    fn side(&mut self, from: Role) -> &mut Frames {
        &mut self.frames[from.index()]
    }

    /// A unit of the message in progress from `from`.
    fn continue_message(&mut self, from: Role, input: Input<'_>) -> ParseResult<RStep> {
        let bulks_only = from == Role::Client;
        let frames = self.side(from);
        match resp::walk(frames, input.bytes, 0, bulks_only) {
            Err(m) => ParseResult::Malformed(m),
            Ok(Walked::Done(at)) => parsed(Step::End, at),
            Ok(Walked::Beyond { end, done }) => {
                parsed(if done { Step::End } else { Step::Body }, end)
            }
            Ok(Walked::More(0)) if input.missing == 0 => ParseResult::Incomplete { needed: None },
            Ok(Walked::More(0)) => {
                // The rest is in bytes the capture missed: the message is
                // taken to end with the syscall.
                frames.clear();
                if from == Role::Server {
                    self.lost_at = Some(self.requests);
                }
                parsed(Step::End, input.available())
            }
            Ok(Walked::More(at)) => parsed(Step::Body, at),
        }
    }

    fn request(&mut self, input: Input<'_>) -> ParseResult<RStep> {
        let result = match input.bytes.first() {
            Some(b'*') => self.multibulk(input),
            Some(_) => self.inline(input),
            None => return ParseResult::Incomplete { needed: None },
        };
        if let ParseResult::Parsed {
            message: Step::Whole(_) | Step::Head(_),
            ..
        } = &result
        {
            self.requests += 1;
        }
        result
    }

    /// A command as an array of bulk strings. Its name (and a container
    /// command's subcommand) is waited for; the rest streams: arguments
    /// whose payload is not at hand are skipped, and the arguments' bytes
    /// are kept up to [`RAW_CAP`] for the raw query text.
    fn multibulk(&mut self, input: Input<'_>) -> ParseResult<RStep> {
        let bytes = input.bytes;
        let h = match resp::header(bytes, 0) {
            Ok(Some(h)) => h,
            Ok(None) => return wait(input),
            Err(m) => return ParseResult::Malformed(m),
        };
        let count = match resp::integer(h.body) {
            // Redis reads an empty array and answers nothing.
            Some(n) if n <= 0 => return parsed(Step::Body, h.next),
            Some(n) if n <= 1024 * 1024 => n as u32,
            _ => return ParseResult::Malformed(Malformed::Length),
        };
        let mut at = h.next;
        let mut command = None;
        let mut subcommand = None;
        let mut wants_sub = false;
        let mut raw = at..at;
        let mut raw_args = 0u32;
        let mut raw_open = true;
        let mut stop = Stop::None;
        let mut i = 0u32;
        while i < count {
            let needed = i == 0 || (i == 1 && wants_sub);
            let element = match resp::header(bytes, at) {
                Ok(Some(e)) if e.kind == b'$' => e,
                Ok(Some(_)) => return ParseResult::Malformed(Malformed::Framing),
                Ok(None) if needed => return wait(input),
                Ok(None) => {
                    stop = Stop::Line { left: count - i };
                    break;
                }
                Err(m) => return ParseResult::Malformed(m),
            };
            let len = match resp::integer(element.body) {
                Some(n) if (0..=MAX_BULK).contains(&n) => n as u64,
                _ => return ParseResult::Malformed(Malformed::Length),
            };
            let end = resp::blob_end(element.next, len);
            if end > bytes.len() {
                if needed && len <= MAX_NAME {
                    return wait(input);
                }
                // Not at hand: an argument, skipped.
                stop = Stop::Beyond {
                    end,
                    left: count - i - 1,
                };
                break;
            }
            if &bytes[end - 2..end] != b"\r\n" {
                return ParseResult::Malformed(Malformed::Framing);
            }
            let payload = &bytes[element.next..end - 2];
            if i == 0 {
                command = Word::command(payload);
                wants_sub = command.as_ref().is_some_and(is_container);
            } else if i == 1 && wants_sub {
                subcommand = Word::command(payload).filter(|w| w.as_bytes().len() <= 24);
            }
            let is_arg = i > 0 && !(i == 1 && subcommand.is_some());
            if is_arg && raw_open {
                if raw.is_empty() {
                    raw = at..at;
                }
                if end - raw.start <= RAW_CAP {
                    raw.end = end;
                    raw_args += 1;
                } else {
                    raw_open = false;
                }
            }
            at = end;
            i += 1;
        }
        // A short command split across syscalls (a server reading a
        // pipeline in chunks) is waited for, so its arguments are kept.
        let short = match stop {
            Stop::None => false,
            Stop::Beyond { end, .. } => end <= MAX_WAIT,
            Stop::Line { .. } => bytes.len() < MAX_WAIT,
        };
        if short && input.missing == 0 {
            return ParseResult::Incomplete { needed: None };
        }
        let request = self.finish_request(Request {
            command,
            subcommand,
            args: count - 1 - u32::from(subcommand.is_some()),
            db: None,
            inline: false,
            raw: bytes[raw].into(),
            raw_args,
        });
        let message = Message::Request(request);
        let (consumed, left) = match stop {
            Stop::None => return parsed(Step::Whole(message), at),
            Stop::Beyond { end, left: 0 } => return parsed(Step::Whole(message), end),
            Stop::Beyond { end, left } => (end, left),
            // The rest of the array is in bytes the capture missed.
            Stop::Line { .. } if input.missing > 0 => {
                return parsed(Step::Whole(message), input.available())
            }
            Stop::Line { left } => (at, left),
        };
        let frames = self.side(Role::Client);
        frames.begin();
        // `left` is at most the array's count, which `open` takes.
        let _ = frames.open(u64::from(left), false);
        parsed(Step::Head(message), consumed)
    }

    /// A command typed as a line of words.
    fn inline(&mut self, input: Input<'_>) -> ParseResult<RStep> {
        let bytes = input.bytes;
        let Some(nl) = memchr(b'\n', bytes) else {
            if bytes.len() > MAX_LINE {
                return ParseResult::Malformed(Malformed::TooLong);
            }
            if input.missing == 0 {
                return ParseResult::Incomplete { needed: Some(1) };
            }
            // The line goes on past the capture: keep its words so far.
            return match self.inline_request(bytes, true) {
                Some(r) => parsed(Step::Whole(Message::Request(r)), input.available()),
                None => ParseResult::Incomplete { needed: None },
            };
        };
        match self.inline_request(&bytes[..nl], false) {
            Some(r) => parsed(Step::Whole(Message::Request(r)), nl + 1),
            // A blank line: Redis reads it and answers nothing.
            None => parsed(Step::Body, nl + 1),
        }
    }

    /// The request on an inline line (without its `\n`); `None` for a
    /// blank line. `cut`: the capture ended inside the line.
    fn inline_request(&mut self, line: &[u8], cut: bool) -> Option<Request> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut words = split_inline(line);
        let first = words.next()?;
        let command = Word::command(first);
        let mut rest_at = end_of(line, first);
        let mut subcommand = None;
        if command.as_ref().is_some_and(is_container) {
            if let Some(word) = words.next() {
                subcommand = Word::command(word).filter(|w| w.as_bytes().len() <= 24);
                if subcommand.is_some() {
                    rest_at = end_of(line, word);
                }
            }
        }
        let rest = trim(&line[rest_at..]);
        let args = split_inline(rest).count() as u32;
        let kept = &rest[..rest.len().min(RAW_CAP)];
        let mut raw_args = split_inline(kept).count() as u32;
        if (kept.len() < rest.len() || cut) && raw_args > 0 {
            // The last word kept may be cut.
            raw_args -= 1;
        }
        Some(self.finish_request(Request {
            command,
            subcommand,
            args,
            db: None,
            inline: true,
            raw: kept.into(),
            raw_args,
        }))
    }

    /// Applies what a request changes on the connection and stamps it
    /// with the database index.
    fn finish_request(&mut self, mut request: Request) -> Request {
        if request.is("SELECT") {
            let index = request.first_arg().and_then(|a| {
                let a = if request.inline {
                    message::unquote(a)
                } else {
                    a.to_vec()
                };
                std::str::from_utf8(&a).ok()?.parse::<u32>().ok()
            });
            if let Some(index) = index {
                self.db_before = self.db;
                self.db = Some(index);
            }
        } else if request.is("HELLO") {
            match request.first_arg() {
                Some(b"3") => self.resp3 = true,
                Some(b"2") => self.resp3 = false,
                _ => {}
            }
        } else if request.is("MONITOR") {
            self.monitoring = true;
        } else if request.is("RESET") {
            self.db = Some(0);
            self.resp3 = false;
            self.subscribed = false;
            self.monitoring = false;
        } else if request.pubsub().is_some_and(PubSub::subscribes) {
            self.subscribed = true;
        }
        request.db = self.db;
        request
    }

    fn response(&mut self, input: Input<'_>, pending: Pending<'_, Self>) -> ParseResult<RStep> {
        let bytes = input.bytes;
        if let Some(at) = self.lost_at {
            if at == self.requests {
                // Still inside the reply the capture lost track of: skip
                // until the client asks again.
                return match input.available() {
                    0 => ParseResult::Incomplete { needed: None },
                    n => parsed(Step::Body, n),
                };
            }
            self.lost_at = None;
        }
        let Some(&kind) = bytes.first() else {
            return ParseResult::Incomplete { needed: None };
        };
        let Some(ty) = Type::of(kind) else {
            return ParseResult::Malformed(Malformed::StartLine);
        };
        let h = match resp::header(bytes, 0) {
            Ok(Some(h)) => h,
            Ok(None) if input.missing == 0 => {
                return if bytes.len() > MAX_LINE {
                    ParseResult::Malformed(Malformed::TooLong)
                } else {
                    ParseResult::Incomplete { needed: None }
                };
            }
            Ok(None) => {
                // The capture ended inside the first line: what is there.
                let body = &bytes[1..];
                let error = (kind == b'-').then(|| cut_prefix(body));
                let r = Response {
                    kind: ty,
                    error,
                    pushed: ty == Type::Push,
                    null: false,
                };
                self.lost_at = Some(self.requests);
                return parsed(Step::Whole(Message::Response(r)), input.available());
            }
            Err(m) => return ParseResult::Malformed(m),
        };
        let mut response = Response {
            kind: ty,
            error: None,
            pushed: false,
            null: matches!(kind, b'_') || (matches!(kind, b'$' | b'*') && h.body == b"-1"),
        };
        match kind {
            b'-' => response.error = Some(error_prefix(h.body)),
            b'+' => {
                response.pushed = self.monitoring && h.body.first().is_some_and(u8::is_ascii_digit);
            }
            b'!' => match self.bulk_error(&h, input) {
                Some(word) => response.error = Some(word),
                None => return ParseResult::Incomplete { needed: None },
            },
            b'*' | b'>' => {
                let may_be_pubsub =
                    kind == b'>' || (!self.resp3 && (self.subscribed || pending.is_empty()));
                if may_be_pubsub {
                    match self.classify(&h, input, pending) {
                        Some(pushed) => response.pushed = pushed,
                        None => return ParseResult::Incomplete { needed: None },
                    }
                }
            }
            _ => {}
        }
        if response.is_error() {
            if let Some(oldest) = pending.oldest() {
                if oldest.is("SELECT") && !response.pushed {
                    self.db = self.db_before;
                }
            }
        }
        let message = Message::Response(response);
        let frames = self.side(Role::Server);
        frames.begin();
        let (blob, done) = match frames.enter(&h) {
            Ok(x) => x,
            Err(m) => {
                frames.clear();
                return ParseResult::Malformed(m);
            }
        };
        if done {
            frames.clear();
            return parsed(Step::Whole(message), h.next);
        }
        if let Some(len) = blob {
            frames.clear();
            let end = resp::blob_end(h.next, len);
            if end <= bytes.len() && &bytes[end - 2..end] != b"\r\n" {
                return ParseResult::Malformed(Malformed::Framing);
            }
            return parsed(Step::Whole(message), end);
        }
        match resp::walk(frames, bytes, h.next, false) {
            Err(m) => {
                frames.clear();
                ParseResult::Malformed(m)
            }
            Ok(Walked::Done(at)) => parsed(Step::Whole(message), at),
            Ok(Walked::Beyond { end, done: true }) => parsed(Step::Whole(message), end),
            Ok(Walked::Beyond { end, done: false }) => parsed(Step::Head(message), end),
            Ok(Walked::More(_)) if input.missing > 0 => {
                frames.clear();
                self.lost_at = Some(self.requests);
                parsed(Step::Whole(message), input.available())
            }
            Ok(Walked::More(at)) => parsed(Step::Head(message), at),
        }
    }

    /// The prefix of a bulk error (`!`), or `None` to wait for more of it.
    fn bulk_error(&self, h: &Header<'_>, input: Input<'_>) -> Option<Word> {
        let len = resp::value(h).ok().and_then(|v| match v {
            resp::Value::Blob(n) => Some(n),
            _ => None,
        })?;
        let end = resp::blob_end(h.next, len) - 2;
        let payload = &input.bytes[h.next.min(input.bytes.len())..end.min(input.bytes.len())];
        let whole = payload.len() as u64 == len;
        if whole || payload.contains(&b' ') || payload.len() >= MAX_ERROR_WAIT {
            return Some(error_prefix(&payload[..payload.len().min(MAX_ERROR_WAIT)]));
        }
        if input.missing > 0 {
            return Some(cut_prefix(payload));
        }
        None
    }

    /// Whether an array or push (`*`/`>`) was sent without a request:
    /// `None` to wait for its first elements.
    fn classify(
        &self,
        h: &Header<'_>,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> Option<bool> {
        let push = h.kind == b'>';
        let bytes = input.bytes;
        let cut = input.missing > 0;
        let Some((kind, next)) = peek_word(bytes, h.next, cut)? else {
            return Some(push);
        };
        if let Some(confirms) = PubSub::confirmation(kind) {
            let channel = peek_word(bytes, next, cut)?.map(|(c, _)| c);
            let answers = pending.oldest().is_some_and(|r| {
                r.pubsub() == Some(confirms)
                    && match (r.first_arg(), channel) {
                        (Some(asked), Some(got)) => {
                            if r.is_inline() {
                                message::unquote(asked) == got
                            } else {
                                asked == got
                            }
                        }
                        _ => true,
                    }
            });
            return Some(!answers);
        }
        Some(match kind {
            b"message" | b"pmessage" | b"smessage" => true,
            // PING in RESP2 subscribe mode answers with an array.
            b"pong" => false,
            _ => push,
        })
    }
}

/// The payload of the short bulk or simple string at `bytes[at..]` and the
/// offset after it; `Some(None)` when it is something else (null, a long
/// string, an aggregate), `None` when it has not all arrived yet (and the
/// capture did not end).
fn peek_word(bytes: &[u8], at: usize, cut: bool) -> Option<Option<(&[u8], usize)>> {
    let h = match resp::header(bytes, at) {
        Ok(Some(h)) => h,
        Ok(None) if cut || bytes.len() - at.min(bytes.len()) > MAX_PEEK as usize => {
            return Some(None)
        }
        Ok(None) => return None,
        Err(_) => return Some(None),
    };
    match h.kind {
        b'+' => Some(Some((h.body, h.next))),
        b'$' => {
            let Some(len) = resp::integer(h.body).filter(|&n| n >= 0) else {
                return Some(None);
            };
            let len = len as u64;
            let end = resp::blob_end(h.next, len);
            if len > MAX_PEEK {
                return Some(None);
            }
            if end > bytes.len() {
                return if cut { Some(None) } else { None };
            }
            Some(Some((&bytes[h.next..end - 2], end)))
        }
        _ => Some(None),
    }
}

/// The prefix of an error message cut by the capture: its first word if
/// the cut came after it, else `_OTHER`.
fn cut_prefix(message: &[u8]) -> Word {
    if message.contains(&b' ') {
        error_prefix(message)
    } else {
        error_prefix(b"_OTHER")
    }
}

/// The offset in `line` just after `word`, a slice of it.
fn end_of(line: &[u8], word: &[u8]) -> usize {
    (word.as_ptr() as usize - line.as_ptr() as usize) + word.len()
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Where the head of a multibulk request stopped short of its end.
enum Stop {
    /// The array ended inside the bytes.
    None,
    /// An argument's payload reaches to `end`, past the bytes; `left`
    /// arguments follow it.
    Beyond { end: usize, left: u32 },
    /// The bytes end inside an element's type line; `left` elements remain.
    Line { left: u32 },
}

/// A request's first line or name is not all there: wait for it, or, when
/// the capture ended inside it, let the stream drop the bytes.
fn wait(input: Input<'_>) -> ParseResult<RStep> {
    if input.bytes.len() > MAX_LINE {
        ParseResult::Malformed(Malformed::TooLong)
    } else {
        ParseResult::Incomplete { needed: None }
    }
}

fn parsed(message: RStep, consumed: usize) -> ParseResult<RStep> {
    ParseResult::Parsed { message, consumed }
}

/// Whether `b` begins a command array, `*<1-3 digits>\r\n$<1-2
/// digits>\r\n<letter>` (`*3\r\n$3\r\nSET`); a shorter `b` that is a
/// prefix of that shape counts unless `whole`.
fn is_command_start(b: &[u8], whole: bool) -> bool {
    enum Part {
        Byte(u8),
        Digits(usize),
        Letter,
    }
    const SHAPE: [Part; 9] = [
        Part::Byte(b'*'),
        Part::Digits(3),
        Part::Byte(b'\r'),
        Part::Byte(b'\n'),
        Part::Byte(b'$'),
        Part::Digits(2),
        Part::Byte(b'\r'),
        Part::Byte(b'\n'),
        Part::Letter,
    ];
    let mut i = 0;
    for part in SHAPE {
        let Some(&c) = b.get(i) else {
            return !whole;
        };
        match part {
            Part::Byte(want) if c == want => i += 1,
            Part::Byte(_) => return false,
            Part::Letter => return c.is_ascii_alphabetic(),
            Part::Digits(max) => {
                let n = b[i..].iter().take_while(|d| d.is_ascii_digit()).count();
                if n == 0 || n > max {
                    return false;
                }
                i += n;
            }
        }
    }
    true
}

impl ProtocolParser for Redis {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::Fifo;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        let first = &first[..first.len().min(crate::DETECT_LEN)];
        if is_command_start(first, true) || first == b"PING\r\n" {
            Some(Kind::Request)
        } else {
            None
        }
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        let Some(&first) = bytes.first() else {
            return false;
        };
        match from {
            Role::Client if first == b'*' => is_command_start(bytes, false),
            // An inline command: a word of letters, then a blank or the end.
            Role::Client => {
                let word = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
                (1..=24).contains(&word)
                    && bytes
                        .get(word)
                        .is_none_or(|b| matches!(b, b' ' | b'\r' | b'\n' | b'\t'))
            }
            Role::Server => {
                let second = bytes.get(1).copied();
                let digit_or_end = |sign: bool| {
                    second.is_none_or(|b| b.is_ascii_digit() || (sign && matches!(b, b'-' | b'+')))
                };
                match first {
                    b'+' | b'-' => second.is_none_or(|b| b.is_ascii_graphic() || b == b'\r'),
                    b':' | b'(' => digit_or_end(true),
                    b',' => second.is_none_or(|b| {
                        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'i' | b'n' | b'.')
                    }),
                    b'$' | b'*' => digit_or_end(true),
                    b'!' | b'=' | b'%' | b'~' | b'>' | b'|' => digit_or_end(false),
                    b'_' => second.is_none_or(|b| b == b'\r'),
                    b'#' => second.is_none_or(|b| b == b't' || b == b'f'),
                    _ => false,
                }
            }
        }
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<RStep> {
        if !self.side(from).is_empty() {
            return self.continue_message(from, input);
        }
        match from {
            Role::Client => self.request(input),
            Role::Server => self.response(input, pending),
        }
    }

    fn reset(&mut self, from: Role) {
        self.side(from).clear();
    }

    fn disposition(response: &Response) -> Disposition {
        if response.pushed {
            Disposition::Unsolicited
        } else {
            Disposition::Final
        }
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        cx: DescribeContext<'_>,
    ) -> Description {
        let operation = request.operation();
        let procedure = request.stored_procedure();
        let name = match &procedure {
            Some(p) => format!("{operation} {p}"),
            None => operation.clone(),
        };
        let mut d = Description::new(Family::Db, name);
        d.attributes.push(Attribute::str("db.system.name", "redis"));
        d.attributes
            .push(Attribute::str("db.operation.name", operation));
        if let Some(db) = request.db {
            d.attributes
                .push(Attribute::str("db.namespace", db.to_string()));
        }
        d.attributes.push(Attribute::str(
            "db.query.text",
            request.query_text(cx.options.raw_query_text),
        ));
        if let Some(p) = procedure {
            d.attributes
                .push(Attribute::str("db.stored_procedure.name", p));
        }
        if let Some(error) = response.and_then(Response::error) {
            d.attributes
                .push(Attribute::str("db.response.status_code", error));
            d.fail(error);
        }
        d
    }
}
