//! MySQL's client/server protocol (MariaDB's too), paired in order.
//!
//! A request is one command the server answers: COM_QUERY, COM_STMT_PREPARE,
//! COM_STMT_EXECUTE, COM_PING, COM_INIT_DB and every other command byte
//! (COM_STMT_RESET, COM_FIELD_LIST, COM_SET_OPTION, ...). Its answer is
//! everything the server sends up to the packet that ends it (see
//! `answer.rs`): an OK, an ERR, one or more result sets, a prepare's
//! statement and definitions. COM_QUIT, COM_STMT_CLOSE and
//! COM_STMT_SEND_LONG_DATA get no answer and make no request: they pass as
//! bytes of no message, as do the connection phase (the server's greeting,
//! the client's handshake response, authentication up to its OK), a LOCAL
//! INFILE's file and anything the server sends while no command waits.
//!
//! The parser keeps per connection what later spans need: the server's
//! name (MariaDB's greeting says so), the client's capability flags
//! (CLIENT_DEPRECATE_EOF decides whether definitions end with an EOF; when
//! the handshake was not seen the answers tell, see `answer.rs`), the
//! default database (the handshake's, then each COM_INIT_DB or `USE` that
//! succeeded), and the text of each prepared statement by id (at most
//! [`MAX_STATEMENTS`]), so an execution knows what it runs. After an SSL
//! request the connection is TLS, after a handshake asking for compression
//! it is compressed: nothing more is read.
//!
//! An answer is read whole when it arrives within [`LOOKAHEAD`] bytes (the
//! stream keeps the bytes meanwhile), so an ERR after a first result is
//! seen; a longer one is reported from what its first part said and then
//! followed packet by packet. When the capture cuts an answer, it is taken
//! to end with that syscall; its rest, in later syscalls, arrives while no
//! command waits and passes.

mod answer;
mod describe;
mod detect;
mod message;
mod packet;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use answer::{Stop, Walk};
use message::{greeting, login, text, Greeting, Login};
pub use message::{Command, Request, Response, ServerError, System, MAX_TEXT};
use packet::{cap, cstr, packet, u32_at, Header, HEADER};

use crate::describe::{DescribeContext, Description};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};
use crate::sql;

/// Bytes an answer may take before it is followed packet by packet instead
/// of read whole.
pub const LOOKAHEAD: usize = 8192;

/// Prepared statements remembered per connection.
pub const MAX_STATEMENTS: usize = 256;

/// Commands remembered ahead of their answers.
const MAX_EXPECTED: usize = 256;

/// The longest greeting or handshake response waited for whole.
const MAX_HANDSHAKE: usize = 4096;

type MyStep = Step<Request, Response>;
type MyResult = ParseResult<MyStep>;

/// Where the connection is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Nothing seen yet, or joined midway.
    #[default]
    Unknown,
    /// From the greeting (or the handshake response) to the OK that ends
    /// authentication.
    Handshake,
    /// Commands.
    Command,
    /// TLS or compression: nothing more to read.
    Opaque,
}

/// A command whose answer is awaited.
#[derive(Clone, Debug)]
struct Expect {
    command: Command,
    /// The sequence id of the answer's first packet.
    seq: u8,
    /// A prepare's text, kept under the statement id its answer gives.
    prepared: Option<Arc<str>>,
    /// The default database once the command succeeds (COM_INIT_DB, `USE`).
    schema: Option<Arc<str>>,
}

/// The answer being read.
#[derive(Clone, Debug, Default)]
struct ServerSide {
    walk: Option<Walk>,
    expect: Option<Expect>,
    /// Whether `expect` left the queue: once the answer's first packet was
    /// taken as its.
    taken: bool,
    /// Where the walk resumes in the window (after `Incomplete`).
    scan: usize,
    /// The answer's head was reported; its packets follow until its end.
    following: bool,
}

/// The MySQL state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Mysql {
    phase: Phase,
    system: System,
    server_caps: Option<u32>,
    /// Compression was agreed: it starts after authentication.
    compress: bool,
    deprecate_eof: Option<bool>,
    database: Option<Arc<str>>,
    statements: VecDeque<(u32, Arc<str>)>,
    /// The text of the latest COM_STMT_PREPARE, which MariaDB lets an
    /// execution of statement id 0xFFFFFFFF name before its answer came.
    last_prepared: Option<Arc<str>>,
    expected: VecDeque<Expect>,
    /// The client's last packet was 0xFFFFFF bytes long: the next goes on
    /// with it.
    continues: bool,
    server: ServerSide,
}

fn parsed(message: MyStep, consumed: usize) -> MyResult {
    ParseResult::Parsed { message, consumed }
}

/// Bytes that belong to no message (or to the answer being followed).
fn pass(consumed: usize) -> MyResult {
    parsed(Step::Body, consumed)
}

fn incomplete(needed: usize) -> MyResult {
    ParseResult::Incomplete {
        needed: Some(needed.max(1)),
    }
}

impl Mysql {
    fn statement(&self, id: u32) -> Option<Arc<str>> {
        if id == u32::MAX {
            return self.last_prepared.clone();
        }
        self.statements
            .iter()
            .rev()
            .find(|(i, _)| *i == id)
            .map(|(_, t)| Arc::clone(t))
    }

    fn prepare(&mut self, id: u32, query: Arc<str>) {
        self.statements.retain(|(i, _)| *i != id);
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.pop_front();
        }
        self.statements.push_back((id, query));
    }

    fn expect(&mut self, expect: Expect) {
        if self.expected.len() >= MAX_EXPECTED {
            self.expected.pop_front();
        }
        self.expected.push_back(expect);
    }

    fn greeted(&mut self, g: Greeting) {
        self.phase = Phase::Handshake;
        self.system = g.system;
        self.server_caps = g.caps;
    }

    fn logged_in(&mut self, login: Login) {
        if login.ssl {
            self.phase = Phase::Opaque;
            return;
        }
        // The client asks only for what the server offered; when the
        // greeting was seen, both must agree.
        let caps = login.caps & self.server_caps.unwrap_or(u32::MAX);
        self.phase = Phase::Handshake;
        self.compress = caps & cap::COMPRESS != 0;
        self.deprecate_eof = Some(caps & cap::DEPRECATE_EOF != 0);
        self.database = login.database;
    }

    /// A packet header is not all there: wait for it, or, when the capture
    /// ended first, pass what there is.
    fn short(input: Input<'_>) -> MyResult {
        if input.is_truncated() {
            return pass(input.available());
        }
        incomplete(HEADER - input.bytes.len().min(HEADER))
    }

    fn parse_client(&mut self, input: Input<'_>) -> MyResult {
        if self.phase == Phase::Opaque {
            return pass(input.available());
        }
        let Some((h, payload)) = packet(input.bytes) else {
            return Self::short(input);
        };
        if self.continues {
            self.continues = h.continues();
            if let Some(e) = self.expected.back_mut() {
                e.seq = h.seq.wrapping_add(1);
            }
            return pass(h.total());
        }
        if h.seq == 1 && matches!(self.phase, Phase::Unknown | Phase::Handshake) {
            let want = h.len.min(MAX_HANDSHAKE);
            if payload.len() < want && !input.is_truncated() {
                return incomplete(want - payload.len());
            }
            if let Some(l) = login(payload, h.len) {
                self.logged_in(l);
                return pass(h.total());
            }
        }
        if h.seq != 0 {
            // Authentication data, a LOCAL INFILE's file and its empty
            // last packet, COM_CHANGE_USER's answers to the server.
            return pass(h.total());
        }
        // A client speaks with sequence id 0 only once authenticated: a
        // command ends the handshake even when the server's OK was not
        // seen.
        self.command(h, payload, input)
    }

    /// A packet of sequence id 0 from the client: a command.
    fn command(&mut self, h: Header, payload: &[u8], input: Input<'_>) -> MyResult {
        let Some(&byte) = payload.first() else {
            if h.len == 0 {
                return ParseResult::Malformed(Malformed::StartLine);
            }
            return Self::short(input);
        };
        let command = Command(byte);
        if command.name().is_none() {
            return ParseResult::Malformed(Malformed::StartLine);
        }
        let want = match command {
            c if c.carries_sql() || c == Command::INIT_DB || c == Command::FIELD_LIST => {
                1 + MAX_TEXT
            }
            c if c.executes() || matches!(c, Command::STMT_CLOSE | Command::STMT_RESET) => 5,
            Command::STMT_FETCH => 5,
            _ => 1,
        };
        let want = want.min(h.len);
        if payload.len() < want && !input.is_truncated() {
            return incomplete(want - payload.len());
        }
        self.phase = Phase::Command;
        self.continues = h.continues();
        let arg = &payload[1..];
        let statement_id = u32_at(arg, 0);
        match command {
            Command::STMT_CLOSE => {
                if let Some(id) = statement_id {
                    self.statements.retain(|(i, _)| *i != id);
                }
                return pass(h.total());
            }
            c if !c.answered() => return pass(h.total()),
            _ => {}
        }
        let mut request = Request {
            command,
            text: None,
            argument: None,
            statement_id: None,
            database: self.database.clone(),
            system: self.system,
        };
        let mut expect = Expect {
            command,
            seq: h.seq.wrapping_add(1),
            prepared: None,
            schema: None,
        };
        match command {
            Command::QUERY => {
                let query = text(arg);
                expect.schema = use_schema(&query);
                request.text = Some(query);
            }
            Command::STMT_PREPARE => {
                let query = text(arg);
                self.last_prepared = Some(Arc::clone(&query));
                expect.prepared = Some(Arc::clone(&query));
                request.text = Some(query);
            }
            Command::INIT_DB => {
                let schema = text(cstr(arg).map_or(arg, |(s, _)| s));
                expect.schema = Some(Arc::clone(&schema));
                request.argument = Some(schema);
            }
            Command::FIELD_LIST => {
                request.argument = Some(text(cstr(arg).map_or(arg, |(t, _)| t)));
            }
            c if c.executes() => {
                request.statement_id = statement_id;
                request.text = statement_id.and_then(|id| self.statement(id));
            }
            Command::STMT_RESET | Command::STMT_FETCH => request.statement_id = statement_id,
            _ => {}
        }
        self.expect(expect);
        parsed(Step::Whole(Message::Request(request)), h.total())
    }

    fn parse_server(&mut self, input: Input<'_>) -> MyResult {
        if self.phase == Phase::Opaque {
            return pass(input.available());
        }
        if self.server.walk.is_some() {
            return self.answer(input);
        }
        let Some((h, payload)) = packet(input.bytes) else {
            if input.is_truncated() && self.phase == Phase::Command && !self.expected.is_empty() {
                // An answer begins where the capture shows nothing of it.
                self.expected.pop_front();
                let response = Response::default();
                let consumed = self.cut_share(input);
                return parsed(Step::Whole(Message::Response(response)), consumed);
            }
            return Self::short(input);
        };
        let first = payload.first().copied();
        if first.is_none() && h.len > 0 && !input.is_truncated() {
            return incomplete(1);
        }
        if h.seq == 0 && first == Some(0x0A) && self.phase != Phase::Command {
            let want = h.len.min(MAX_HANDSHAKE);
            if payload.len() < want && !input.is_truncated() {
                return incomplete(want - payload.len());
            }
            if let Some(g) = greeting(payload) {
                self.greeted(g);
            }
            return pass(h.total());
        }
        if self.phase == Phase::Handshake {
            match first {
                Some(0x00) if self.compress => self.phase = Phase::Opaque,
                Some(0x00 | 0xFF) => self.phase = Phase::Command,
                // A method switch or more authentication data.
                _ => {}
            }
            return pass(h.total());
        }
        let Some(expect) = self.expected.front().cloned() else {
            // Nothing was asked that this could answer: the rest of an
            // answer the capture cut, or the answer to a command sent
            // before the connection was seen.
            return pass(input.available());
        };
        if h.seq != expect.seq {
            return ParseResult::Malformed(Malformed::StartLine);
        }
        self.server = ServerSide {
            walk: Some(Walk::new(expect.command, expect.seq)),
            expect: Some(expect),
            ..ServerSide::default()
        };
        self.answer(input)
    }

    /// Walks the answer being read from where it stood.
    fn answer(&mut self, input: Input<'_>) -> MyResult {
        let b = input.bytes;
        let truncated = input.is_truncated();
        let side = &mut self.server;
        let Some(walk) = side.walk.as_mut() else {
            return pass(input.available());
        };
        let stop = walk.walk(b, side.scan, truncated, &mut self.deprecate_eof);
        if !side.taken {
            match stop {
                Stop::Bad { at: 0 } => {
                    self.server = ServerSide::default();
                    return ParseResult::Malformed(Malformed::StartLine);
                }
                Stop::More { at: 0, needed } if !truncated => return incomplete(needed),
                _ => {
                    self.expected.pop_front();
                    side.taken = true;
                }
            }
        }
        let following = side.following;
        match stop {
            Stop::Done(0) if following && !b.is_empty() => {
                // The answer ended with the last unit; these bytes begin the
                // next one (and the stream ends this one where it stood).
                self.answered();
                self.parse_server(input)
            }
            Stop::Done(0) if following => {
                // Ended where the capture's gap begins.
                self.answered();
                parsed(Step::End, input.available())
            }
            Stop::Done(end) => {
                let response = self.answered();
                if following {
                    parsed(Step::End, end)
                } else {
                    parsed(Step::Whole(Message::Response(response)), end)
                }
            }
            Stop::More { at, needed } if following => {
                if at > 0 {
                    side.scan = 0;
                    pass(at)
                } else if !truncated {
                    incomplete(needed)
                } else {
                    // The capture hides where the next packet begins.
                    self.answered();
                    parsed(Step::End, self.cut_share(input))
                }
            }
            Stop::More { at, needed } => {
                if !truncated && b.len() < LOOKAHEAD {
                    // Wait for the rest, but never past LOOKAHEAD: a row
                    // longer than that is followed, not waited for.
                    side.scan = at;
                    return incomplete(needed.min(LOOKAHEAD - b.len()));
                }
                if truncated {
                    let mut response = self.answered();
                    response.whole = false;
                    let consumed = self.cut_share(input).max(at.min(input.available()));
                    return parsed(Step::Whole(Message::Response(response)), consumed);
                }
                side.following = true;
                side.scan = 0;
                let head = walk.response.clone();
                parsed(Step::Head(Message::Response(head)), at)
            }
            Stop::Bad { at } if following => {
                if at > 0 {
                    side.scan = 0;
                    return pass(at);
                }
                self.server = ServerSide::default();
                ParseResult::Malformed(Malformed::Framing)
            }
            Stop::Bad { at } => {
                // Its first packets were this answer's; what follows is not.
                side.following = true;
                side.scan = 0;
                let head = walk.response.clone();
                parsed(Step::Head(Message::Response(head)), at)
            }
        }
    }

    /// How much of a syscall the capture cut an answer ending in it takes:
    /// all of it, unless more commands wait. Those were written together
    /// (a client waits for each answer otherwise), so their answers are
    /// taken to be in the same uncaptured bytes: each ends here too, and
    /// the order of answers holds.
    fn cut_share(&self, input: Input<'_>) -> usize {
        if self.expected.is_empty() {
            input.available()
        } else {
            input.bytes.len().clamp(1, input.available())
        }
    }

    /// The answer being read has ended: what it changes on the connection,
    /// and the response.
    fn answered(&mut self) -> Response {
        let side = std::mem::take(&mut self.server);
        let Some(walk) = side.walk else {
            return Response::default();
        };
        let done = walk.done();
        let mut response = walk.response;
        response.whole = !side.following && done;
        let Some(expect) = side.expect else {
            return response;
        };
        if response.error.is_some() {
            return response;
        }
        // PREPARE_OK names the statement even when the capture cut the
        // definitions after it.
        if let (Some(id), Some(query)) = (response.statement_id, expect.prepared) {
            self.prepare(id, query);
        }
        if done {
            if let Some(schema) = expect.schema {
                self.database = Some(schema);
            }
            if expect.command == Command::RESET_CONNECTION {
                self.statements.clear();
            }
        }
        response
    }
}

/// The schema of a `USE name` statement (the name unquoted).
fn use_schema(query: &str) -> Option<Arc<str>> {
    let q = query.trim_start();
    let keyword = q.get(..3)?;
    let rest = q.get(3..)?;
    if !keyword.eq_ignore_ascii_case("use") || !rest.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let rest = rest.trim_start();
    let name = match rest.strip_prefix('`') {
        Some(quoted) => quoted.split('`').next()?,
        None => rest.split(|c: char| c.is_whitespace() || c == ';').next()?,
    };
    (!name.is_empty()).then(|| Arc::from(name))
}

impl ProtocolParser for Mysql {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::Fifo;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        detect::detect(first)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        detect::may_start(from, bytes)
    }

    fn parse(&mut self, from: Role, input: Input<'_>, _pending: Pending<'_, Self>) -> MyResult {
        match from {
            Role::Client => self.parse_client(input),
            Role::Server => self.parse_server(input),
        }
    }

    fn reset(&mut self, from: Role) {
        match from {
            Role::Client => self.continues = false,
            // An answer whose first packet was taken stays out of the
            // queue: the stream ended it.
            Role::Server => self.server = ServerSide::default(),
        }
    }

    fn trace_context(request: &Request) -> TraceContext {
        let fresh = request.command.carries_sql();
        TraceContext {
            traceparent: request
                .text
                .as_deref()
                .filter(|_| fresh)
                .and_then(sql::traceparent),
            ..TraceContext::default()
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
