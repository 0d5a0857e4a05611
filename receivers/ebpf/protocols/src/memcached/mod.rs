//! Memcached's text protocol (and its meta commands), as memcached 1.6
//! reads and answers it.
//!
//! A client sends command lines; the storage commands (`set`, `add`,
//! `replace`, `append`, `prepend`, `cas`, `ms`) follow theirs with a data
//! block of the length the line gives. The server answers each in order
//! (FIFO): one status line (`STORED`, `NOT_FOUND`, `ERROR`, ...), a number
//! (`incr`, `decr`), or a list ended by `END` (`VALUE` items of `get`,
//! `gets`, `gat`, `gats`; `STAT` lines). Data blocks are skipped through
//! `consumed`, never buffered; a list that does not fit the bytes at hand
//! is a `Head` followed by `Body` units and an `End`.
//!
//! Requests ending in `noreply`, meta commands with the quiet flag `q` and
//! `quit` get no answer: they are reported one-way. A quiet meta command
//! still answers a hit or a failure; such an answer arriving while `mn`
//! (which only `MN` answers) or a meta command with another opaque token
//! (`O`) waits is reported unsolicited rather than mispaired.
//!
//! Detection, for the kernel's first-bytes filter: a request is one of the
//! commands followed by a space (`get `, `set `, `mg `...), or `version`,
//! `stats`, `flush_all`, `mn` followed by `\r` or `\n`. Commands are
//! lower case, as memcached only takes them so. Replies are not detected.

#[cfg(test)]
mod tests;

use memchr::memchr;

use crate::describe::{Attribute, DescribeContext, Description, Family};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step};

type MStep = Step<Request, Response>;

/// Longest line waited for; memcached's own is 2048 bytes for most
/// commands, more for a `get` of many keys.
const MAX_LINE: usize = 64 * 1024;

/// How many bytes of a command line a request keeps for its raw query text.
const RAW_CAP: usize = 512;

/// Memcached's longest key.
const KEY_MAX: usize = 250;

/// Every command memcached 1.6 takes, and what each is.
const COMMANDS: &[(&str, Command)] = &[
    ("get", Command::Retrieval),
    ("gets", Command::Retrieval),
    ("gat", Command::Retrieval),
    ("gats", Command::Retrieval),
    ("set", Command::Storage),
    ("add", Command::Storage),
    ("replace", Command::Storage),
    ("append", Command::Storage),
    ("prepend", Command::Storage),
    ("cas", Command::Storage),
    ("delete", Command::Plain),
    ("incr", Command::Plain),
    ("decr", Command::Plain),
    ("touch", Command::Plain),
    ("flush_all", Command::Plain),
    ("version", Command::Plain),
    ("verbosity", Command::Plain),
    ("stats", Command::Listing),
    ("quit", Command::Plain),
    ("shutdown", Command::Plain),
    ("cache_memlimit", Command::Plain),
    ("slabs", Command::Plain),
    ("lru", Command::Plain),
    ("lru_crawler", Command::Listing),
    ("watch", Command::Plain),
    ("misbehave", Command::Plain),
    ("mg", Command::Meta),
    ("ms", Command::MetaSet),
    ("md", Command::Meta),
    ("ma", Command::Meta),
    ("mn", Command::Meta),
    ("me", Command::Meta),
];

/// Commands whose first bytes detect the protocol (with their separator).
const DETECT: [&[u8]; 24] = [
    b"get ",
    b"gets ",
    b"gat ",
    b"gats ",
    b"set ",
    b"add ",
    b"replace ",
    b"append ",
    b"prepend ",
    b"cas ",
    b"delete ",
    b"incr ",
    b"decr ",
    b"touch ",
    b"verbosity ",
    b"mg ",
    b"ms ",
    b"md ",
    b"ma ",
    b"me ",
    b"flush_all",
    b"version\r",
    b"stats",
    b"mn\r",
];

/// Words that begin a server's line.
const REPLY_WORDS: [&[u8]; 23] = [
    b"VALUE ",
    b"END",
    b"STORED",
    b"NOT_STORED",
    b"EXISTS",
    b"NOT_FOUND",
    b"DELETED",
    b"TOUCHED",
    b"OK",
    b"ERROR",
    b"CLIENT_ERROR",
    b"SERVER_ERROR",
    b"VERSION ",
    b"STAT ",
    b"ITEM ",
    b"RESET",
    b"VA ",
    b"HD",
    b"EN",
    b"NF",
    b"NS",
    b"EX",
    b"MN",
];

/// What kind of command a request is, for its framing and its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Command {
    /// Answered by `VALUE` items and `END`.
    Retrieval,
    /// A data block follows the line.
    Storage,
    /// `ms`: a data block follows, its length the second word.
    MetaSet,
    /// A meta command without data.
    Meta,
    /// Answered by lines up to `END` (`stats`, `lru_crawler metadump`).
    Listing,
    /// Answered by one line.
    Plain,
}

/// A command as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Index in [`COMMANDS`]; `None` for a command memcached does not know.
    command: Option<u8>,
    /// Words after the command.
    args: u32,
    noreply: bool,
    /// A meta command's `q` flag.
    quiet: bool,
    /// A meta command's opaque token (`O...`).
    opaque: Option<Box<[u8]>>,
    /// The data block's length, for storage commands.
    data: Option<u64>,
    /// The command line as sent (without `\r\n`), at most [`RAW_CAP`]
    /// bytes; `line_cut` when longer or cut by the capture.
    line: Box<[u8]>,
    line_cut: bool,
}

impl Request {
    /// The command as sent (`get`, `set`, `mg`), or `_OTHER`.
    pub fn command(&self) -> &'static str {
        self.command
            .and_then(|i| COMMANDS.get(usize::from(i)))
            .map_or("_OTHER", |(name, _)| name)
    }

    fn kind(&self) -> Option<Command> {
        self.command
            .and_then(|i| COMMANDS.get(usize::from(i)))
            .map(|(_, kind)| *kind)
    }

    /// Words after the command (keys, flags, times, lengths, `noreply`).
    pub fn args(&self) -> u32 {
        self.args
    }

    /// Whether the client asked for no answer (`noreply`, a meta `q`).
    pub fn is_noreply(&self) -> bool {
        self.noreply || self.quiet
    }

    /// The length of the data block that followed the line.
    pub fn data_len(&self) -> Option<u64> {
        self.data
    }

    /// `db.query.text`: the command line without its data, every word
    /// after the command replaced by `?` (`noreply` kept), or as sent when
    /// `raw` (` ...` where the line was not kept).
    pub fn query_text(&self, raw: bool) -> String {
        let mut text = match words(&self.line).next() {
            Some(word) if raw => String::from_utf8_lossy(word).into_owned(),
            _ => self.command().to_owned(),
        };
        let mut shown = 0;
        for word in words(&self.line).skip(1) {
            if shown == self.args {
                break;
            }
            shown += 1;
            text.push(' ');
            if raw || word == b"noreply" {
                text.push_str(&String::from_utf8_lossy(word));
            } else {
                text.push('?');
            }
        }
        if !raw {
            for _ in shown..self.args {
                text.push_str(" ?");
            }
        } else if self.line_cut {
            text.push_str(" ...");
        }
        text
    }
}

/// What the first line of an answer says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `VALUE` items then `END`: at least one hit.
    Values,
    /// `END` alone: every key missed (or an empty listing).
    End,
    Stored,
    NotStored,
    Exists,
    NotFound,
    Deleted,
    Touched,
    Ok,
    Reset,
    /// `VERSION ...`.
    Version,
    /// `STAT` lines (or other listing lines) then `END`.
    Listing,
    /// The new value of `incr` or `decr`.
    Number,
    Error,
    ClientError,
    ServerError,
    /// Meta answers: `VA` (value), `HD` (done), `EN` (miss), `NF` (not
    /// found), `NS` (not stored), `EX` (exists), `MN` (no-op), `ME` (debug).
    MetaValue,
    MetaDone,
    MetaMiss,
    MetaNotFound,
    MetaNotStored,
    MetaExists,
    MetaNoop,
    MetaDebug,
}

impl Status {
    /// The word as memcached sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Values => "VALUE",
            Status::End => "END",
            Status::Stored => "STORED",
            Status::NotStored => "NOT_STORED",
            Status::Exists => "EXISTS",
            Status::NotFound => "NOT_FOUND",
            Status::Deleted => "DELETED",
            Status::Touched => "TOUCHED",
            Status::Ok => "OK",
            Status::Reset => "RESET",
            Status::Version => "VERSION",
            Status::Listing => "STAT",
            Status::Number => "NUMBER",
            Status::Error => "ERROR",
            Status::ClientError => "CLIENT_ERROR",
            Status::ServerError => "SERVER_ERROR",
            Status::MetaValue => "VA",
            Status::MetaDone => "HD",
            Status::MetaMiss => "EN",
            Status::MetaNotFound => "NF",
            Status::MetaNotStored => "NS",
            Status::MetaExists => "EX",
            Status::MetaNoop => "MN",
            Status::MetaDebug => "ME",
        }
    }

    /// `error.type`: the server refused the command.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Status::Error | Status::ClientError | Status::ServerError
        )
    }

    /// Worth a `db.response.status_code`: an error, or an outcome other
    /// than the one asked for (not stored, exists, not found, a miss).
    fn is_notable(self) -> bool {
        self.is_error()
            || matches!(
                self,
                Status::NotStored
                    | Status::Exists
                    | Status::NotFound
                    | Status::MetaMiss
                    | Status::MetaNotFound
                    | Status::MetaNotStored
                    | Status::MetaExists
            )
    }
}

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    status: Status,
    /// A meta answer's opaque token (`O...`).
    opaque: Option<Box<[u8]>>,
    /// Sent for a quiet command while another one waits.
    unsolicited: bool,
}

impl Response {
    pub fn status(&self) -> Status {
        self.status
    }

    /// A retrieval that found nothing (`END` alone, meta `EN`).
    pub fn is_miss(&self) -> bool {
        matches!(self.status, Status::End | Status::MetaMiss)
    }
}

/// Where the server's message in progress is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Framing {
    /// At a message start.
    #[default]
    Line,
    /// In `VALUE` items, up to `END`.
    Values,
    /// In listing lines, up to `END`.
    Listing,
}

/// The Memcached state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Memcached {
    server: Framing,
}

/// The words of a line, as memcached splits them (on spaces).
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

/// The line at the start of `bytes`: its content (without `\r\n` or
/// `\n`) and the offset after it.
fn line(bytes: &[u8]) -> Option<(&[u8], usize)> {
    let nl = memchr(b'\n', bytes)?;
    let content = &bytes[..nl];
    Some((content.strip_suffix(b"\r").unwrap_or(content), nl + 1))
}

fn number(word: &[u8]) -> Option<u64> {
    if word.is_empty() || word.len() > 19 || !word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(word).ok()?.parse().ok()
}

fn parsed(message: MStep, consumed: usize) -> ParseResult<MStep> {
    ParseResult::Parsed { message, consumed }
}

/// Where a walk over list lines stopped.
enum Walked {
    /// `END` ended the list this many bytes in.
    Done(usize),
    /// The bytes ran out inside a line; every line before this offset is whole.
    More(usize),
    /// A `VALUE`'s data reaches to `end`, past the bytes.
    Beyond(usize),
}

impl Memcached {
    fn request(&self, input: Input<'_>) -> ParseResult<MStep> {
        let bytes = input.bytes;
        let (content, next, cut) = match line(bytes) {
            Some((content, next)) => (content, next, false),
            None if bytes.len() > MAX_LINE => return ParseResult::Malformed(Malformed::TooLong),
            None if input.missing == 0 => return ParseResult::Incomplete { needed: Some(1) },
            // The line goes on past the capture.
            None => (bytes, input.available(), true),
        };
        let mut ws = words(content);
        let Some(name) = ws.next() else {
            // An empty line: memcached answers ERROR.
            if cut {
                return ParseResult::Incomplete { needed: None };
            }
            return parsed(Step::Whole(Message::Request(empty_request())), next);
        };
        if cut && content.len() == name.len() {
            // The command word itself may be cut.
            return ParseResult::Incomplete { needed: None };
        }
        let command = COMMANDS
            .iter()
            .position(|(c, _)| c.as_bytes() == name)
            .map(|i| i as u8);
        let kind = command.map(|i| COMMANDS[usize::from(i)].1);
        let rest = Words::of(ws);
        let noreply = rest.last == Some(&b"noreply"[..])
            && !matches!(
                kind,
                Some(Command::Retrieval | Command::Meta | Command::MetaSet)
            );
        let meta = matches!(kind, Some(Command::Meta | Command::MetaSet));
        let (mut quiet, mut opaque) = (false, None);
        if meta {
            // `ms <key> <datalen> <flags>*`, others `<cmd> <key> <flags>*`.
            let skip = if kind == Some(Command::MetaSet) { 2 } else { 1 };
            for flag in words(content).skip(1 + skip) {
                match flag {
                    b"q" => quiet = true,
                    [b'O', token @ ..] => opaque = Some(Box::from(token)),
                    _ => {}
                }
            }
        }
        let data = match kind {
            Some(Command::Storage) => storage_data(name, &rest),
            Some(Command::MetaSet) => rest
                .get(1)
                .and_then(number)
                .filter(|_| rest.get(0).is_some_and(|k| k.len() <= KEY_MAX)),
            _ => None,
        };
        let kept = &content[..content.len().min(RAW_CAP)];
        let request = Request {
            command,
            args: rest.count,
            noreply,
            quiet,
            opaque,
            data,
            line: kept.into(),
            line_cut: cut || kept.len() < content.len(),
        };
        let consumed = match data {
            Some(n) if !cut => next
                .saturating_add(usize::try_from(n).unwrap_or(usize::MAX))
                .saturating_add(2),
            _ => next,
        };
        parsed(Step::Whole(Message::Request(request)), consumed)
    }

    fn response(&mut self, input: Input<'_>, pending: Pending<'_, Self>) -> ParseResult<MStep> {
        if self.server != Framing::Line {
            return self.continue_list(input);
        }
        let bytes = input.bytes;
        let (content, next, cut) = match line(bytes) {
            Some((content, next)) => (content, next, false),
            None if bytes.len() > MAX_LINE => return ParseResult::Malformed(Malformed::TooLong),
            None if input.missing == 0 => return ParseResult::Incomplete { needed: Some(1) },
            None => (bytes, input.available(), true),
        };
        let mut ws = words(content);
        let word = ws.next().unwrap_or(b"");
        let oldest = pending.oldest();
        let listing = oldest.is_some_and(|r| r.kind() == Some(Command::Listing));
        let status = match word {
            b"VALUE" => Status::Values,
            b"END" => Status::End,
            b"STORED" => Status::Stored,
            b"NOT_STORED" => Status::NotStored,
            b"EXISTS" => Status::Exists,
            b"NOT_FOUND" => Status::NotFound,
            b"DELETED" => Status::Deleted,
            b"TOUCHED" => Status::Touched,
            b"OK" => Status::Ok,
            b"RESET" => Status::Reset,
            b"VERSION" => Status::Version,
            b"ERROR" => Status::Error,
            b"CLIENT_ERROR" => Status::ClientError,
            b"SERVER_ERROR" => Status::ServerError,
            b"STAT" | b"ITEM" => Status::Listing,
            b"VA" => Status::MetaValue,
            b"HD" => Status::MetaDone,
            b"EN" => Status::MetaMiss,
            b"NF" => Status::MetaNotFound,
            b"NS" => Status::MetaNotStored,
            b"EX" => Status::MetaExists,
            b"MN" => Status::MetaNoop,
            b"ME" => Status::MetaDebug,
            w if number(w).is_some() && !listing => Status::Number,
            _ if listing && !content.is_empty() => Status::Listing,
            _ => return ParseResult::Malformed(Malformed::StartLine),
        };
        let meta = matches!(
            status,
            Status::MetaValue
                | Status::MetaDone
                | Status::MetaMiss
                | Status::MetaNotFound
                | Status::MetaNotStored
                | Status::MetaExists
                | Status::MetaNoop
                | Status::MetaDebug
        );
        let rest = Words::of(ws);
        let opaque = if meta {
            words(content).skip(1).find_map(|f| match f {
                [b'O', token @ ..] => Some(Box::from(token)),
                _ => None,
            })
        } else {
            None
        };
        let unsolicited = meta
            && oldest.is_some_and(|r| {
                // Only MN answers mn; a meta answer with another opaque
                // token than the waiting command's answers a quiet one.
                (r.command() == "mn") != (status == Status::MetaNoop)
                    || matches!((&r.opaque, &opaque), (Some(a), Some(b)) if a != b)
            });
        let response = Response {
            status,
            opaque,
            unsolicited,
        };
        let message = Message::Response(response);
        if cut {
            return parsed(Step::Whole(message), next);
        }
        match status {
            Status::MetaValue => {
                let Some(len) = rest.get(0).and_then(number) else {
                    return ParseResult::Malformed(Malformed::Length);
                };
                parsed(Step::Whole(message), data_end(next, len))
            }
            Status::Values | Status::Listing => {
                self.server = if status == Status::Values {
                    Framing::Values
                } else {
                    Framing::Listing
                };
                // The first line is walked again with the rest.
                match self.walk(bytes, 0) {
                    Err(m) => {
                        self.server = Framing::Line;
                        ParseResult::Malformed(m)
                    }
                    Ok(Walked::Done(at)) => {
                        self.server = Framing::Line;
                        parsed(Step::Whole(message), at)
                    }
                    Ok(Walked::More(_)) if input.missing > 0 => {
                        self.server = Framing::Line;
                        parsed(Step::Whole(message), input.available())
                    }
                    // The first line is whole, so `at` is past it.
                    Ok(Walked::More(at)) | Ok(Walked::Beyond(at)) => {
                        parsed(Step::Head(message), at)
                    }
                }
            }
            _ => parsed(Step::Whole(message), next),
        }
    }

    /// A unit of a list in progress.
    fn continue_list(&mut self, input: Input<'_>) -> ParseResult<MStep> {
        match self.walk(input.bytes, 0) {
            Err(m) => ParseResult::Malformed(m),
            Ok(Walked::Done(at)) => {
                self.server = Framing::Line;
                parsed(Step::End, at)
            }
            Ok(Walked::Beyond(end)) => parsed(Step::Body, end),
            Ok(Walked::More(0)) if input.missing == 0 => {
                ParseResult::Incomplete { needed: Some(1) }
            }
            Ok(Walked::More(0)) => {
                // The rest is in bytes the capture missed.
                self.server = Framing::Line;
                parsed(Step::End, input.available())
            }
            Ok(Walked::More(at)) => parsed(Step::Body, at),
        }
    }

    /// Walks the list lines at `bytes[at..]` up to `END`.
    fn walk(&self, bytes: &[u8], mut at: usize) -> Result<Walked, Malformed> {
        loop {
            let Some((content, next)) = line(&bytes[at..]) else {
                if bytes.len() - at > MAX_LINE {
                    return Err(Malformed::TooLong);
                }
                return Ok(Walked::More(at));
            };
            let next = at + next;
            if content == b"END" {
                return Ok(Walked::Done(next));
            }
            if self.server == Framing::Listing {
                at = next;
                continue;
            }
            // VALUE <key> <flags> <bytes> [<cas>]
            let mut ws = words(content);
            if ws.next() != Some(b"VALUE") {
                return Err(Malformed::Framing);
            }
            let Some(len) = ws.nth(2).and_then(number) else {
                return Err(Malformed::Length);
            };
            let end = data_end(next, len);
            if end > bytes.len() {
                return Ok(Walked::Beyond(end));
            }
            if &bytes[end - 2..end] != b"\r\n" {
                return Err(Malformed::Framing);
            }
            at = end;
        }
    }
}

/// The end of a data block of `len` bytes and its `\r\n` beginning at `at`.
fn data_end(at: usize, len: u64) -> usize {
    at.saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
        .saturating_add(2)
}

/// The data block length of a storage command, when memcached would read
/// one: `<cmd> <key> <flags> <exptime> <bytes> [<cas>] [noreply]` with
/// valid numbers and a key of at most 250 bytes. Otherwise memcached
/// answers an error and reads the data as a command line, and so do we.
fn storage_data(name: &[u8], rest: &Words<'_>) -> Option<u64> {
    let cas = name == b"cas";
    let noreply = rest.last == Some(&b"noreply"[..]);
    let expected = 4 + u32::from(cas) + u32::from(noreply);
    let word = |i| rest.get(i).unwrap_or(b"");
    if rest.count != expected || word(0).len() > KEY_MAX {
        return None;
    }
    let flags_ok = number(word(1)).is_some_and(|f| f <= u64::from(u32::MAX));
    let exptime_ok = {
        let e = word(2).strip_prefix(b"-").unwrap_or(word(2));
        number(e).is_some()
    };
    let len = number(word(3)).filter(|&n| n <= i32::MAX as u64 - 2)?;
    let cas_ok = !cas || number(word(4)).is_some();
    (flags_ok && exptime_ok && cas_ok).then_some(len)
}

/// The first words after a command, their count and the last one, without
/// allocating.
struct Words<'a> {
    first: [&'a [u8]; 6],
    count: u32,
    last: Option<&'a [u8]>,
}

impl<'a> Words<'a> {
    fn of(words: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut w = Words {
            first: [b""; 6],
            count: 0,
            last: None,
        };
        for word in words {
            if let Some(slot) = w.first.get_mut(w.count as usize) {
                *slot = word;
            }
            w.count = w.count.saturating_add(1);
            w.last = Some(word);
        }
        w
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        (i < self.count as usize).then(|| self.first.get(i).copied())?
    }
}

fn empty_request() -> Request {
    Request {
        command: None,
        args: 0,
        noreply: false,
        quiet: false,
        opaque: None,
        data: None,
        line: Box::default(),
        line_cut: false,
    }
}

impl ProtocolParser for Memcached {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::Fifo;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        let first = &first[..first.len().min(crate::DETECT_LEN)];
        let found = DETECT.iter().any(|c| {
            first.starts_with(c)
                && (c.ends_with(b" ")
                    || c.ends_with(b"\r")
                    || matches!(first.get(c.len()), Some(b'\r' | b'\n' | b' ')))
        });
        found.then_some(Kind::Request)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        match from {
            Role::Client => {
                let word = bytes
                    .iter()
                    .position(|&b| matches!(b, b' ' | b'\r' | b'\n'))
                    .unwrap_or(bytes.len());
                let name = &bytes[..word];
                if word == bytes.len() {
                    // A prefix of a command.
                    return !name.is_empty()
                        && COMMANDS.iter().any(|(c, _)| c.as_bytes().starts_with(name));
                }
                COMMANDS.iter().any(|(c, _)| c.as_bytes() == name)
            }
            Role::Server => {
                let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
                if digits > 0 {
                    return matches!(bytes.get(digits), None | Some(b'\r'));
                }
                REPLY_WORDS.iter().any(|w| {
                    let n = w.len().min(bytes.len());
                    !bytes.is_empty() && bytes[..n] == w[..n]
                })
            }
        }
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        pending: Pending<'_, Self>,
    ) -> ParseResult<MStep> {
        match from {
            Role::Client => self.request(input),
            Role::Server => self.response(input, pending),
        }
    }

    fn reset(&mut self, from: Role) {
        if from == Role::Server {
            self.server = Framing::Line;
        }
    }

    fn expects_response(request: &Request) -> bool {
        !(request.noreply || request.quiet || request.command() == "quit")
    }

    fn disposition(response: &Response) -> Disposition {
        if response.unsolicited {
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
        let command = request.command();
        let mut d = Description::new(Family::Db, command);
        d.attributes
            .push(Attribute::str("db.system.name", "memcached"));
        d.attributes
            .push(Attribute::str("db.operation.name", command));
        d.attributes.push(Attribute::str(
            "db.query.text",
            request.query_text(cx.options.raw_query_text),
        ));
        if let Some(status) = response.map(Response::status) {
            if status.is_notable() {
                d.attributes
                    .push(Attribute::str("db.response.status_code", status.as_str()));
            }
            if status.is_error() {
                d.fail(status.as_str());
            }
        }
        d
    }
}
