//! PostgreSQL, frontend/backend protocol 3.0.
//!
//! One request is one statement execution as the client asked for it:
//!
//! * a `Query` message (simple protocol), answered by everything up to its
//!   `ReadyForQuery`; a text of several statements is one request;
//! * an extended-protocol run of Parse/Bind/Describe/Execute/Close up to its
//!   `Sync`, when it holds at least one `Execute`, answered by everything
//!   up to the `ReadyForQuery` the Sync brings. A run with several Executes
//!   (a pipeline, psycopg's `executemany`) is one request, a batch. A run
//!   without Execute (a statement prepared, described or closed) is no
//!   request: its bytes and its answer pass without a span;
//! * a `FunctionCall`, answered up to its `ReadyForQuery`.
//!
//! So every `ReadyForQuery` answers one Query, FunctionCall or Sync, in
//! order; the parser keeps that order in a queue of its own so the answers
//! of the runs that are no request are recognised and passed over.
//!
//! The startup phase — SSLRequest / GSSENCRequest and their one-byte
//! answer, the StartupMessage, the authentication exchange up to the first
//! ReadyForQuery — and Terminate, CopyData from the client and lone Flushes
//! make no request either: they pass as units outside any message
//! ([`Step::Body`] with no message open). The StartupMessage's `database`
//! (else `user`) is kept for `db.namespace`. An `S` or `G` answer to the
//! encryption request means the rest is TLS or GSSAPI: everything after it
//! passes unparsed.
//!
//! A request or an answer is read whole when it arrives within
//! [`LOOKAHEAD`] bytes (the stream keeps the bytes meanwhile); a longer one,
//! or one the capture cut, is followed message by message after a head that
//! says what its first part held (the error of an answer that comes after
//! that is not seen). Rows are never kept: their bodies are skipped.
//!
//! Prepared statements are remembered by name per connection (at most
//! [`MAX_STATEMENTS`]), so a Bind of a statement prepared earlier knows its
//! text.

mod message;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use message::{
    cstr, error_code, startup_database, startup_frame, startup_prefix, text, typed_frame, Bad,
    Frame, ANSWER_START_TYPES, BACKEND_TYPES, FRONTEND_TYPES, GSSENC_REQUEST, PROTOCOL_3,
    SSL_REQUEST,
};
pub use message::{Mode, Request, Response, SqlState};

use crate::describe::{Attribute, DescribeContext, Description, Family};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};
use crate::sql::{self, Dialect};

/// Bytes a request or answer may take before it is followed message by
/// message instead of read whole (PostgreSQL sends at most 8 KiB per write).
pub const LOOKAHEAD: usize = 8192;

/// PostgreSQL's send buffer: a server write of fewer bytes ended at a
/// flush (ReadyForQuery, a notice, an error), a full one has more behind it.
pub const SEND_BUFFER: usize = 8192;

/// Prepared statements remembered per connection.
pub const MAX_STATEMENTS: usize = 256;

/// ReadyForQuery answers remembered ahead of the server.
const MAX_ANSWERS: usize = 256;

type PgStep = Step<Request, Response>;
type PgResult = ParseResult<PgStep>;

/// Where the connection is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Queries (also where a connection joined midway starts).
    #[default]
    Ready,
    /// Between the StartupMessage and the first ReadyForQuery.
    Startup,
    /// The client asked for TLS or GSSAPI encryption; one byte answers.
    EncryptionAsked,
    /// Encrypted: nothing more to read.
    Encrypted,
}

/// What an expected ReadyForQuery answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Request,
    /// A run without Execute: its answer is no response.
    Silent,
}

/// The extended-protocol run being read.
#[derive(Clone, Debug, Default)]
struct Run {
    messages: u32,
    executes: u32,
    text: Option<Arc<str>>,
    mixed: bool,
    /// The text of the run's latest Parse.
    parsed: Option<Arc<str>>,
}

#[derive(Clone, Debug, Default)]
struct ClientSide {
    /// Bytes of the window already read (after `Incomplete`).
    scan: usize,
    run: Run,
    /// A request's head was reported; its messages follow until Sync.
    streaming: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ServerMode {
    #[default]
    Start,
    /// An answer's head was reported (or passed, when silent); its
    /// messages follow until ReadyForQuery.
    Streaming { silent: bool },
}

#[derive(Clone, Debug, Default)]
struct ServerSide {
    scan: usize,
    answer: Response,
    mode: ServerMode,
    /// A followed answer ran into bytes the capture missed: what comes next
    /// with no request waiting is its rest.
    tail: bool,
    /// What the answer being read answers (taken from the queue as it
    /// begins).
    current: Option<Answer>,
    /// Whether `current` was taken for the answer being read.
    begun: bool,
    /// Report the answer being read as it begins, without waiting for all
    /// of it.
    eager: bool,
}

/// The PostgreSQL state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Postgres {
    phase: Phase,
    database: Option<Arc<str>>,
    statements: VecDeque<(Box<[u8]>, Arc<str>)>,
    /// The statement of the latest Bind.
    bound: Option<Arc<str>>,
    answers: VecDeque<Answer>,
    client: ClientSide,
    server: ServerSide,
}

fn parsed(message: PgStep, consumed: usize) -> PgResult {
    ParseResult::Parsed { message, consumed }
}

/// Bytes that belong to no message.
fn pass(consumed: usize) -> PgResult {
    parsed(Step::Body, consumed)
}

impl Postgres {
    fn statement(&self, name: &[u8]) -> Option<Arc<str>> {
        self.statements
            .iter()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, t)| Arc::clone(t))
    }

    fn prepare(&mut self, name: &[u8], query: &[u8]) {
        self.statements.retain(|(n, _)| &**n != name);
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.pop_front();
        }
        self.statements.push_back((name.into(), text(query)));
    }

    fn expect(&mut self, answer: Answer) {
        if self.answers.len() >= MAX_ANSWERS {
            self.answers.pop_front();
        }
        self.answers.push_back(answer);
    }

    fn request(&self, mode: Mode, text: Option<Arc<str>>, run: &Run) -> Request {
        Request {
            mode,
            text,
            database: self.database.clone(),
            executes: run.executes,
            mixed: run.mixed,
        }
    }

    /// A startup-phase message (no type byte) from the client.
    fn client_startup(&mut self, input: Input<'_>) -> PgResult {
        let b = input.bytes;
        let (frame, code) = match startup_frame(b) {
            Ok(found) => found,
            Err(Bad::Short) => {
                return ParseResult::Incomplete {
                    needed: Some(8 - b.len()),
                }
            }
            Err(Bad::Invalid) => return ParseResult::Malformed(Malformed::StartLine),
        };
        match code {
            PROTOCOL_3 => {
                if frame.len > b.len() && !input.is_truncated() {
                    return ParseResult::Incomplete {
                        needed: Some(frame.len - b.len()),
                    };
                }
                let params = &b[8..frame.len.min(b.len())];
                self.database = startup_database(params);
                self.phase = Phase::Startup;
            }
            SSL_REQUEST | GSSENC_REQUEST => self.phase = Phase::EncryptionAsked,
            _ => {}
        }
        pass(frame.len)
    }

    fn parse_client(&mut self, input: Input<'_>) -> PgResult {
        if self.phase == Phase::Encrypted {
            return pass(input.available());
        }
        if self.client.streaming {
            return self.client_follow(input);
        }
        let b = input.bytes;
        if self.client.scan > b.len() {
            self.client = ClientSide::default();
        }
        let at_start = self.client.scan == 0 && self.client.run.messages == 0;
        if at_start && b.first() == Some(&0) {
            return self.client_startup(input);
        }
        let mut pos = self.client.scan;
        loop {
            let frame = match typed_frame(&b[pos..], FRONTEND_TYPES) {
                Ok(f) => f,
                Err(Bad::Short) => return self.client_wait(input, pos, None),
                Err(Bad::Invalid) if pos == 0 => {
                    return ParseResult::Malformed(Malformed::StartLine)
                }
                Err(Bad::Invalid) => return ParseResult::Malformed(Malformed::Framing),
            };
            let end = pos + frame.len;
            let body = b.get(pos + 5..end);
            let in_run = self.client.run.messages > 0;
            match frame.kind {
                b'Q' | b'F' if in_run => {
                    // A run left without Sync: its answers merge into the
                    // query's.
                    self.client = ClientSide::default();
                    return pass(pos);
                }
                b'Q' | b'F' => {
                    let Some(body) = body.or_else(|| {
                        (input.is_truncated() || b.len() >= message::MAX_TEXT)
                            .then(|| &b[pos + 5.min(b.len() - pos)..])
                    }) else {
                        return ParseResult::Incomplete {
                            needed: Some(end - b.len()),
                        };
                    };
                    let (mode, text) = if frame.kind == b'Q' {
                        let query = cstr(body).map_or(body, |(q, _)| q);
                        (Mode::Simple, Some(text(query)))
                    } else {
                        (Mode::FunctionCall, None)
                    };
                    self.expect(Answer::Request);
                    let request = self.request(mode, text, &Run::default());
                    return parsed(Step::Whole(Message::Request(request)), frame.len);
                }
                b'X' | b'd' | b'c' | b'f' | b'p' | b'H' if !in_run => return pass(frame.len),
                _ => {}
            }
            let Some(body) = body else {
                return self.client_wait(input, pos, Some(frame));
            };
            self.run_message(frame.kind, body);
            pos = end;
            if frame.kind == b'S' {
                let run = std::mem::take(&mut self.client.run);
                self.client.scan = 0;
                if run.executes == 0 {
                    self.expect(Answer::Silent);
                    return pass(end);
                }
                self.expect(Answer::Request);
                let request = self.request(Mode::Extended, run.text.clone(), &run);
                return parsed(Step::Whole(Message::Request(request)), end);
            }
        }
    }

    /// One message of an extended-protocol run, read whole.
    fn run_message(&mut self, kind: u8, body: &[u8]) {
        self.client.run.messages += 1;
        match kind {
            b'P' => {
                if let Some((name, rest)) = cstr(body) {
                    let query = cstr(rest).map_or(rest, |(q, _)| q);
                    self.prepare(name, query);
                    self.bound = None;
                    self.client.run.parsed = self.statement(name);
                }
            }
            b'B' => {
                if let Some((_portal, rest)) = cstr(body) {
                    let statement = cstr(rest).map_or(rest, |(s, _)| s);
                    self.bound = self.statement(statement);
                }
            }
            b'E' => {
                let run = &mut self.client.run;
                run.executes += 1;
                if run.executes == 1 {
                    run.text = self.bound.clone();
                } else if run.text != self.bound {
                    run.mixed = true;
                }
            }
            b'C' => {
                if let Some((&b'S', rest)) = body.split_first() {
                    let name = cstr(rest).map_or(rest, |(n, _)| n);
                    self.statements.retain(|(n, _)| &**n != name);
                }
            }
            _ => {}
        }
    }

    /// The run goes on past the bytes at hand: wait for them, or follow it
    /// message by message when it is long or the capture cut it.
    fn client_wait(&mut self, input: Input<'_>, pos: usize, frame: Option<Frame>) -> PgResult {
        let b = input.bytes;
        if !input.is_truncated() && b.len() < LOOKAHEAD {
            self.client.scan = pos;
            let needed = match frame {
                Some(f) => pos + f.len - b.len(),
                None => 5 - (b.len() - pos),
            };
            return ParseResult::Incomplete {
                needed: Some(needed),
            };
        }
        let consumed = pos + frame.map_or(0, |f| f.len);
        if consumed == 0 {
            return ParseResult::Incomplete { needed: None };
        }
        if let Some(f) = frame {
            // Its head is here even if its body is not.
            let head = &b[pos + 5..];
            self.run_message(f.kind, head);
        }
        let run = std::mem::take(&mut self.client.run);
        self.client.scan = 0;
        let text = run
            .text
            .clone()
            .or_else(|| self.bound.clone())
            .or_else(|| run.parsed.clone());
        let request = self.request(Mode::Extended, text, &run);
        if input.is_truncated() {
            // Clients write a run and its Sync at once: the capture cut the
            // run's end, Sync included. When exactly a Sync's five bytes
            // follow the last message seen, the run asked nothing more.
            if run.executes == 0 && input.available() == consumed + 5 {
                self.expect(Answer::Silent);
                return pass(input.available());
            }
            self.expect(Answer::Request);
            return parsed(Step::Whole(Message::Request(request)), input.available());
        }
        self.client.streaming = true;
        parsed(Step::Head(Message::Request(request)), consumed)
    }

    /// The rest of a long run, a message at a time, up to its Sync.
    fn client_follow(&mut self, input: Input<'_>) -> PgResult {
        match typed_frame(input.bytes, FRONTEND_TYPES) {
            Ok(f) if f.kind == b'S' => {
                self.client.streaming = false;
                self.expect(Answer::Request);
                parsed(Step::End, f.len)
            }
            Ok(f) if !input.is_truncated() || f.len <= input.bytes.len() => pass(f.len),
            Ok(_) | Err(Bad::Short) if input.is_truncated() => {
                self.client.streaming = false;
                self.expect(Answer::Request);
                parsed(Step::End, input.available())
            }
            Ok(_) | Err(Bad::Short) => ParseResult::Incomplete {
                needed: Some(5usize.saturating_sub(input.bytes.len()).max(1)),
            },
            Err(Bad::Invalid) => ParseResult::Malformed(Malformed::Framing),
        }
    }

    fn parse_server(&mut self, input: Input<'_>, pending: Pending<'_, Self>) -> PgResult {
        let b = input.bytes;
        if self.phase != Phase::Ready || self.server.scan > b.len() {
            // What was read of an answer belongs to another phase (the
            // client's messages moved it): start over.
            self.server.scan = 0;
            self.server.begun = false;
        }
        match self.phase {
            Phase::Encrypted => return pass(input.available()),
            Phase::EncryptionAsked => {
                let Some(&answer) = b.first() else {
                    return ParseResult::Incomplete { needed: Some(1) };
                };
                match answer {
                    b'S' | b'G' => {
                        self.phase = Phase::Encrypted;
                        return pass(1);
                    }
                    b'N' => {
                        self.phase = Phase::Ready;
                        return pass(1);
                    }
                    // An old server refusing with an error: read on.
                    _ => {
                        self.phase = Phase::Startup;
                        return self.parse_server(input, pending);
                    }
                }
            }
            Phase::Startup => return self.server_startup(input),
            Phase::Ready => {}
        }
        if self.server.tail && !b.is_empty() {
            // The first bytes after a followed answer lost sight of its
            // messages: the rest of it while nothing else was asked, else
            // the next answer (which ends the old one where it stood).
            self.server.tail = false;
            if pending.is_empty() {
                return self.server_rest(input);
            }
            // Begin the next answer in this segment, so the old one ends
            // where it stood rather than where the next is read whole.
            self.server.mode = ServerMode::Start;
            self.server.eager = true;
        }
        if let ServerMode::Streaming { silent } = self.server.mode {
            return self.server_follow(input, silent);
        }
        if !self.server.begun {
            self.server.begun = true;
            self.server.answer = Response::default();
            self.server.current = self.answers.pop_front();
        }
        let mut pos = self.server.scan;
        loop {
            let frame = match typed_frame(&b[pos..], BACKEND_TYPES) {
                Ok(f) if pos == 0 && !ANSWER_START_TYPES.contains(&f.kind) => {
                    return ParseResult::Malformed(Malformed::StartLine)
                }
                Ok(f) => f,
                Err(Bad::Short) => return self.server_wait(input, pos, None),
                Err(Bad::Invalid) if pos == 0 => {
                    return ParseResult::Malformed(Malformed::StartLine)
                }
                Err(Bad::Invalid) => return ParseResult::Malformed(Malformed::Framing),
            };
            let end = pos + frame.len;
            let Some(body) = b.get(pos + 5..end) else {
                return self.server_wait(input, pos, Some(frame));
            };
            self.server_message(frame.kind, body);
            if frame.kind == b'Z' {
                self.server.eager = false;
                self.server.answer.whole = true;
                return self.server_answered(Step::Whole, end);
            }
            pos = end;
        }
    }

    /// The answer is complete: a response, or bytes that are none when its
    /// run asked nothing.
    fn server_answered(
        &mut self,
        step: fn(Message<Request, Response>) -> PgStep,
        consumed: usize,
    ) -> PgResult {
        self.server.scan = 0;
        self.server.begun = false;
        self.server.mode = ServerMode::Start;
        let answer = std::mem::take(&mut self.server.answer);
        match self.server.current.take() {
            Some(Answer::Silent) => pass(consumed),
            _ => parsed(step(Message::Response(answer)), consumed),
        }
    }

    fn server_message(&mut self, kind: u8, body: &[u8]) {
        match kind {
            b'E' if self.server.answer.error.is_none() => {
                self.server.answer.error = error_code(body);
            }
            b'C' => self.server.answer.completed += 1,
            _ => {}
        }
    }

    /// Authentication and the session's parameters, up to ReadyForQuery.
    fn server_startup(&mut self, input: Input<'_>) -> PgResult {
        let b = input.bytes;
        match typed_frame(b, BACKEND_TYPES) {
            Ok(f) => {
                // Everything from AuthenticationOk to ReadyForQuery comes in
                // one write: when the capture cut it, the phase ends with it.
                if input.is_truncated() && f.len > b.len() {
                    // A challenge the client must answer ends its write;
                    // anything else is the write that ends the phase.
                    let code = b
                        .get(5..9)
                        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                    let challenge = f.kind == b'R' && matches!(code, Some(2..=11));
                    if !challenge {
                        self.phase = Phase::Ready;
                    }
                    return pass(input.available());
                }
                if f.kind == b'Z' {
                    self.phase = Phase::Ready;
                }
                pass(f.len)
            }
            Err(Bad::Short) if input.is_truncated() => {
                self.phase = Phase::Ready;
                pass(input.available())
            }
            Err(Bad::Short) => ParseResult::Incomplete {
                needed: Some(5 - b.len()),
            },
            Err(Bad::Invalid) => ParseResult::Malformed(Malformed::StartLine),
        }
    }

    /// The answer goes on past the bytes at hand: wait for them, or follow
    /// it message by message when it is long or the capture cut it.
    fn server_wait(&mut self, input: Input<'_>, pos: usize, frame: Option<Frame>) -> PgResult {
        let b = input.bytes;
        let eager = std::mem::take(&mut self.server.eager);
        if !input.is_truncated() && b.len() < LOOKAHEAD && !eager {
            self.server.scan = pos;
            let needed = match frame {
                Some(f) => pos + f.len - b.len(),
                None => 5 - (b.len() - pos),
            };
            return ParseResult::Incomplete {
                needed: Some(needed),
            };
        }
        if let Some(f) = frame {
            self.server_message(f.kind, &b[pos + 5..]);
        }
        if input.is_truncated() && input.available() < SEND_BUFFER {
            // A write shorter than the server's buffer ends at a flush:
            // its ReadyForQuery is in what the capture missed.
            return self.server_answered(Step::Whole, input.available());
        }
        let consumed = pos + frame.map_or(0, |f| f.len);
        if consumed == 0 {
            return ParseResult::Incomplete { needed: None };
        }
        let silent = self.server.current == Some(Answer::Silent);
        self.server.scan = 0;
        self.server.begun = false;
        self.server.mode = ServerMode::Streaming { silent };
        self.server.tail = input.is_truncated() && consumed >= b.len();
        let answer = std::mem::take(&mut self.server.answer);
        if silent {
            pass(consumed)
        } else {
            parsed(Step::Head(Message::Response(answer)), consumed)
        }
    }

    /// The rest of a long answer, a message at a time, up to ReadyForQuery.
    fn server_follow(&mut self, input: Input<'_>, silent: bool) -> PgResult {
        let end = if silent { Step::Body } else { Step::End };
        match typed_frame(input.bytes, BACKEND_TYPES) {
            Ok(f) if f.kind == b'Z' => {
                self.server.mode = ServerMode::Start;
                self.server.current = None;
                self.server.begun = false;
                parsed(end, f.len)
            }
            Ok(f) if !input.is_truncated() || f.len <= input.bytes.len() => pass(f.len),
            Ok(_) | Err(Bad::Short) if input.is_truncated() => self.server_rest(input),
            Ok(_) | Err(Bad::Short) => ParseResult::Incomplete {
                needed: Some(5usize.saturating_sub(input.bytes.len()).max(1)),
            },
            Err(Bad::Invalid) => {
                self.server.mode = ServerMode::Start;
                ParseResult::Malformed(Malformed::Framing)
            }
        }
    }

    /// Bytes of a followed answer whose messages cannot be seen: a write
    /// shorter than the server's buffer is its last.
    fn server_rest(&mut self, input: Input<'_>) -> PgResult {
        let silent = self.server.current == Some(Answer::Silent);
        // Only a write's first bytes tell its size; the rest of a gap does not.
        if !input.bytes.is_empty() && input.available() < SEND_BUFFER {
            self.server.mode = ServerMode::Start;
            self.server.current = None;
            self.server.begun = false;
            return parsed(
                if silent { Step::Body } else { Step::End },
                input.available(),
            );
        }
        self.server.mode = ServerMode::Streaming { silent };
        self.server.tail = true;
        pass(input.available())
    }
}

/// Whether `b` could begin a typed message of one of `types` (a prefix
/// counts).
fn typed_prefix(b: &[u8], types: &[u8]) -> bool {
    match b {
        [] => false,
        [kind, rest @ ..] => {
            types.contains(kind) && rest.first().is_none_or(|&hi| hi == 0) && {
                match typed_frame(b, types) {
                    Ok(_) | Err(Bad::Short) => true,
                    Err(Bad::Invalid) => false,
                }
            }
        }
    }
}

/// Bytes that may follow a Query's or Parse's length when the connection is
/// joined midway: statement text (or a Parse's statement name).
fn texty(b: u8) -> bool {
    b.is_ascii_graphic() || b.is_ascii_whitespace()
}

impl ProtocolParser for Postgres {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::Fifo;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        if startup_frame(first).is_ok() {
            return Some(Kind::Request);
        }
        // A Query or Parse of a connection whose start was missed: the type,
        // a length under 16 MiB, then text.
        let head = first.get(..8)?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let ok = match head[0] {
            b'Q' => {
                len >= 8
                    && (head[5].is_ascii_alphabetic() || b"(/- \t\r\n".contains(&head[5]))
                    && head[6..8].iter().all(|&b| texty(b))
            }
            // Longer than a greeting of MySQL, whose length byte may be `P`.
            b'P' => len >= 16 && head[5..8].iter().all(|&b| b == 0 || texty(b)),
            _ => false,
        };
        (head[1] == 0 && ok).then_some(Kind::Request)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        match from {
            Role::Client => startup_prefix(bytes) || typed_prefix(bytes, FRONTEND_TYPES),
            // The one-byte answer to SSLRequest is `S` or `N`, a prefix of a
            // message start anyway; `G` (GSSAPI) is CopyInResponse's type.
            Role::Server => typed_prefix(bytes, ANSWER_START_TYPES),
        }
    }

    fn parse(&mut self, from: Role, input: Input<'_>, pending: Pending<'_, Self>) -> PgResult {
        match from {
            Role::Client => self.parse_client(input),
            Role::Server => self.parse_server(input, pending),
        }
    }

    fn reset(&mut self, from: Role) {
        match from {
            Role::Client => self.client = ClientSide::default(),
            Role::Server => {
                // A followed answer outlives the segments the stream drops.
                let (tail, current) = (self.server.tail, self.server.current);
                self.server = ServerSide {
                    tail,
                    current: if tail { current } else { None },
                    ..ServerSide::default()
                };
            }
        }
    }

    fn trace_context(request: &Request) -> TraceContext {
        TraceContext {
            traceparent: request.text.as_deref().and_then(sql::traceparent),
            ..TraceContext::default()
        }
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        cx: DescribeContext<'_>,
    ) -> Description {
        describe_sql(
            SqlExchange {
                system: "postgresql",
                dialect: Dialect::Postgres,
                text: request.text.as_deref(),
                namespace: request.database.as_deref(),
                executions: request.executes,
                mixed: request.mixed,
                error: response
                    .and_then(|r| r.error)
                    .as_ref()
                    .map(SqlState::as_str),
            },
            cx,
        )
    }
}

/// What both SQL protocols give [`describe_sql`].
pub(crate) struct SqlExchange<'a> {
    pub system: &'static str,
    pub dialect: Dialect,
    pub text: Option<&'a str>,
    pub namespace: Option<&'a str>,
    /// Statement executions in one request (more than one: a batch).
    pub executions: u32,
    /// Whether the batch ran different statements.
    pub mixed: bool,
    /// `db.response.status_code` of a failed exchange.
    pub error: Option<&'a str>,
}

/// A database exchange by the conventions: `db.system.name`,
/// `db.namespace`, `db.operation.name`, `db.collection.name`,
/// `db.query.text`, `db.operation.batch.size`, `db.response.status_code`,
/// and the span name `{operation} {collection}`, `{operation}` or the
/// system's name. A batch of one statement repeated is `BATCH {operation}`,
/// of several `BATCH`.
pub(crate) fn describe_sql(x: SqlExchange<'_>, cx: DescribeContext<'_>) -> Description {
    let summary = x
        .text
        .map(|t| sql::summarize(t, x.dialect))
        .unwrap_or_default();
    let (operation, collection) = if x.executions > 1 {
        if x.mixed {
            (Some("BATCH".to_owned()), None)
        } else {
            (
                summary.operation.map(|o| format!("BATCH {o}")),
                summary.collection,
            )
        }
    } else {
        (summary.operation, summary.collection)
    };
    let name = match (&operation, &collection) {
        (Some(o), Some(c)) => format!("{o} {c}"),
        (Some(o), None) => o.clone(),
        _ => x.system.to_owned(),
    };
    let mut d = Description::new(Family::Db, name);
    d.attributes
        .push(Attribute::str("db.system.name", x.system));
    if let Some(ns) = x.namespace {
        d.attributes.push(Attribute::str("db.namespace", ns));
    }
    if let Some(o) = operation {
        d.attributes.push(Attribute::str("db.operation.name", o));
    }
    if let Some(c) = collection {
        d.attributes.push(Attribute::str("db.collection.name", c));
    }
    if let Some(text) = x.text {
        let text = if cx.options.raw_query_text {
            text.to_owned()
        } else {
            sql::sanitize(text, x.dialect)
        };
        d.attributes.push(Attribute::str("db.query.text", text));
    }
    if x.executions > 1 {
        d.attributes.push(Attribute::int(
            "db.operation.batch.size",
            i64::from(x.executions),
        ));
    }
    if let Some(code) = x.error {
        d.attributes
            .push(Attribute::str("db.response.status_code", code));
        d.fail(code);
    }
    d
}
