//! What a Redis request and response keep: the command (and subcommand),
//! how many arguments it had and, within a cap, their bytes for the query
//! text; the reply's type, its error prefix, and whether it was pushed.

use super::resp;

/// A short ASCII word kept inline: a command, subcommand or error prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Word {
    len: u8,
    bytes: [u8; Word::CAP],
}

impl Word {
    pub const CAP: usize = 31;

    /// `raw` upper-cased, when it is 1 to [`Word::CAP`] bytes of letters,
    /// digits and `_ - . :` (module commands are `JSON.SET`, `FT.SEARCH`).
    pub fn command(raw: &[u8]) -> Option<Word> {
        Word::new(raw, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
        })
        .map(Word::upper)
    }

    /// `raw` as it is, when it is 1 to [`Word::CAP`] printable ASCII bytes
    /// without a space.
    pub fn printable(raw: &[u8]) -> Option<Word> {
        Word::new(raw, |b| b.is_ascii_graphic())
    }

    fn new(raw: &[u8], ok: impl Fn(u8) -> bool) -> Option<Word> {
        if raw.is_empty() || raw.len() > Word::CAP || !raw.iter().all(|&b| ok(b)) {
            return None;
        }
        let mut bytes = [0; Word::CAP];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(Word {
            len: raw.len() as u8,
            bytes,
        })
    }

    fn upper(mut self) -> Word {
        self.bytes.make_ascii_uppercase();
        self
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn is(&self, name: &str) -> bool {
        self.as_bytes() == name.as_bytes()
    }
}

impl std::fmt::Debug for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// Commands whose first argument names what they do (`CLIENT SETNAME`,
/// `CONFIG GET`): Redis's container commands.
const CONTAINERS: [&str; 15] = [
    "ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY", "MEMORY", "MODULE",
    "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XGROUP", "XINFO",
];

/// Commands whose first argument is a script's digest or a function's
/// name: `db.stored_procedure.name`.
const PROCEDURES: [&str; 4] = ["EVALSHA", "EVALSHA_RO", "FCALL", "FCALL_RO"];

/// How many argument bytes a request keeps for its raw query text.
pub const RAW_CAP: usize = 512;

/// How many `?` a sanitized query text shows before ` ...`.
const MAX_PLACEHOLDERS: u32 = 64;

/// Which pub/sub command a request is, for the confirmations that answer it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PubSub {
    Subscribe,
    PSubscribe,
    SSubscribe,
    Unsubscribe,
    PUnsubscribe,
    SUnsubscribe,
}

impl PubSub {
    /// The command `name` (upper case), if it is one.
    pub fn command(name: &[u8]) -> Option<PubSub> {
        Some(match name {
            b"SUBSCRIBE" => PubSub::Subscribe,
            b"PSUBSCRIBE" => PubSub::PSubscribe,
            b"SSUBSCRIBE" => PubSub::SSubscribe,
            b"UNSUBSCRIBE" => PubSub::Unsubscribe,
            b"PUNSUBSCRIBE" => PubSub::PUnsubscribe,
            b"SUNSUBSCRIBE" => PubSub::SUnsubscribe,
            _ => return None,
        })
    }

    /// The confirmation `kind` (lower case, the first element of the
    /// array or push the server sends), if it is one.
    pub fn confirmation(kind: &[u8]) -> Option<PubSub> {
        Some(match kind {
            b"subscribe" => PubSub::Subscribe,
            b"psubscribe" => PubSub::PSubscribe,
            b"ssubscribe" => PubSub::SSubscribe,
            b"unsubscribe" => PubSub::Unsubscribe,
            b"punsubscribe" => PubSub::PUnsubscribe,
            b"sunsubscribe" => PubSub::SUnsubscribe,
            _ => return None,
        })
    }

    pub fn subscribes(self) -> bool {
        matches!(
            self,
            PubSub::Subscribe | PubSub::PSubscribe | PubSub::SSubscribe
        )
    }
}

/// A command as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Upper-cased; `None` when the first element is not a plausible
    /// command name (reported as `_OTHER`).
    pub(super) command: Option<Word>,
    /// The subcommand of a container command, upper-cased.
    pub(super) subcommand: Option<Word>,
    /// Arguments after the command (and subcommand).
    pub(super) args: u32,
    /// The connection's database index, once a `SELECT` was seen.
    pub(super) db: Option<u32>,
    /// Sent as an inline command (a line of words) instead of an array.
    pub(super) inline: bool,
    /// The arguments' bytes as sent (bulk strings, or the inline line's
    /// rest), at most [`RAW_CAP`]; `raw_args` of them are whole.
    pub(super) raw: Box<[u8]>,
    pub(super) raw_args: u32,
}

impl Request {
    /// The command, upper-cased, or `_OTHER` when it is not a plausible name.
    pub fn command(&self) -> &str {
        self.command.as_ref().map_or("_OTHER", Word::as_str)
    }

    /// The subcommand of a container command (`SETNAME` of `CLIENT SETNAME`).
    pub fn subcommand(&self) -> Option<&str> {
        self.subcommand.as_ref().map(Word::as_str)
    }

    /// `db.operation.name`: the command, and for container commands their
    /// subcommand (`CLIENT SETNAME`), as Redis's documentation names them.
    pub fn operation(&self) -> String {
        match self.subcommand() {
            Some(sub) => format!("{} {sub}", self.command()),
            None => self.command().to_owned(),
        }
    }

    /// Arguments after the command and subcommand.
    pub fn args(&self) -> u32 {
        self.args
    }

    /// The database index (`SELECT`) the command ran against, when known.
    pub fn db(&self) -> Option<u32> {
        self.db
    }

    pub fn is_inline(&self) -> bool {
        self.inline
    }

    pub(super) fn is(&self, name: &str) -> bool {
        self.command.is_some_and(|c| c.is(name))
    }

    pub(super) fn pubsub(&self) -> Option<PubSub> {
        self.command
            .as_ref()
            .and_then(|c| PubSub::command(c.as_bytes()))
    }

    /// The whole arguments kept, as bytes.
    pub fn raw_args(&self) -> Vec<&[u8]> {
        let mut out = Vec::new();
        if self.inline {
            for arg in split_inline(&self.raw).take(self.raw_args as usize) {
                out.push(arg);
            }
            return out;
        }
        let mut at = 0;
        while out.len() < self.raw_args as usize {
            let Some(arg) = bulk_at(&self.raw, &mut at) else {
                break;
            };
            out.push(arg);
        }
        out
    }

    /// The first argument, when kept whole.
    pub fn first_arg(&self) -> Option<&[u8]> {
        if self.raw_args == 0 {
            return None;
        }
        if self.inline {
            return split_inline(&self.raw).next();
        }
        bulk_at(&self.raw, &mut 0)
    }

    /// `db.stored_procedure.name`: the digest of `EVALSHA` or the function
    /// of `FCALL`.
    pub fn stored_procedure(&self) -> Option<String> {
        let command = self.command?;
        if !PROCEDURES.iter().any(|p| command.is(p)) {
            return None;
        }
        let arg = self.first_arg()?;
        let arg = if self.inline {
            unquote(arg)
        } else {
            arg.to_vec()
        };
        Some(String::from_utf8_lossy(&arg).into_owned())
    }

    /// `db.query.text` in the Redis CLI's syntax: every argument replaced
    /// by `?` (`SET ? ?`), or as sent when `raw` (arguments that need it
    /// quoted as redis-cli quotes them; what was not kept shown as `...`).
    pub fn query_text(&self, raw: bool) -> String {
        let mut text = self.operation();
        if !raw {
            for _ in 0..self.args.min(MAX_PLACEHOLDERS) {
                text.push_str(" ?");
            }
            if self.args > MAX_PLACEHOLDERS {
                text.push_str(" ...");
            }
            return text;
        }
        let args = self.raw_args();
        for arg in &args {
            text.push(' ');
            if self.inline {
                text.push_str(&String::from_utf8_lossy(arg));
            } else {
                quote_into(arg, &mut text);
            }
        }
        if (args.len() as u64) < u64::from(self.args) {
            text.push_str(" ...");
        }
        text
    }
}

/// The payload of the bulk string at `raw[*at..]`, moving `at` past it.
fn bulk_at<'a>(raw: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let h = resp::header(raw, *at).ok()??;
    let len = usize::try_from(resp::integer(h.body)?).ok()?;
    let end = h.next.checked_add(len)?;
    let payload = raw.get(h.next..end)?;
    *at = end + 2;
    Some(payload)
}

/// An argument as redis-cli prints it: bare when it is printable and has
/// no space or quote, else double-quoted with escapes.
fn quote_into(arg: &[u8], out: &mut String) {
    let bare = !arg.is_empty()
        && arg
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if bare {
        // Only ASCII graphic bytes.
        out.push_str(std::str::from_utf8(arg).unwrap_or(""));
        return;
    }
    out.push('"');
    for &b in arg {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b' '..=b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// The words of an inline command line, as Redis splits them
/// (`sdssplitargs`): separated by blanks, `"..."` with escapes and `'...'`
/// each one word. Quotes stay in the words; an unbalanced quote ends the
/// line's words (Redis refuses such a line).
pub(super) fn split_inline(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < line.len() && is_blank(line[at]) {
            at += 1;
        }
        if at >= line.len() {
            return None;
        }
        let start = at;
        match line[at] {
            q @ (b'"' | b'\'') => {
                at += 1;
                loop {
                    match line.get(at) {
                        None => {
                            at = line.len();
                            return None;
                        }
                        Some(b'\\') if q == b'"' || line.get(at + 1) == Some(&b'\'') => at += 2,
                        Some(&b) if b == q => {
                            at += 1;
                            break;
                        }
                        Some(_) => at += 1,
                    }
                }
                at = at.min(line.len());
            }
            _ => {
                while at < line.len() && !is_blank(line[at]) {
                    at += 1;
                }
            }
        }
        Some(&line[start..at])
    })
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')
}

/// An inline word without its quotes (escapes of `"..."` words resolved
/// for the common cases).
pub(super) fn unquote(word: &[u8]) -> Vec<u8> {
    match word {
        [b'"', inner @ .., b'"'] => {
            let mut out = Vec::with_capacity(inner.len());
            let mut i = 0;
            while i < inner.len() {
                if inner[i] == b'\\' && i + 1 < inner.len() {
                    out.push(match inner[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        other => other,
                    });
                    i += 2;
                } else {
                    out.push(inner[i]);
                    i += 1;
                }
            }
            out
        }
        [b'\'', inner @ .., b'\''] => inner.to_vec(),
        _ => word.to_vec(),
    }
}

/// Whether `name` (upper-cased) is a container command.
pub(super) fn is_container(name: &Word) -> bool {
    CONTAINERS.iter().any(|c| name.is(c))
}

/// A RESP type, as the first byte of a reply gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
    Boolean,
    Double,
    BigNumber,
    BulkError,
    VerbatimString,
    Map,
    Set,
    /// Out-of-band data before the reply (RESP3 `|`); the reply follows
    /// inside the same message.
    Attribute,
    Push,
}

impl Type {
    pub fn of(kind: u8) -> Option<Type> {
        Some(match kind {
            b'+' => Type::SimpleString,
            b'-' => Type::Error,
            b':' => Type::Integer,
            b'$' => Type::BulkString,
            b'*' => Type::Array,
            b'_' => Type::Null,
            b'#' => Type::Boolean,
            b',' => Type::Double,
            b'(' => Type::BigNumber,
            b'!' => Type::BulkError,
            b'=' => Type::VerbatimString,
            b'%' => Type::Map,
            b'~' => Type::Set,
            b'|' => Type::Attribute,
            b'>' => Type::Push,
            _ => return None,
        })
    }
}

/// A reply, or a message the server pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub(super) kind: Type,
    /// The error prefix (`ERR`, `WRONGTYPE`) of an error reply.
    pub(super) error: Option<Word>,
    /// Sent without a request: a RESP3 push, a pub/sub message, a MONITOR
    /// line, a subscription confirmation beyond the first of its command.
    pub(super) pushed: bool,
    /// `$-1`, `*-1` or `_`.
    pub(super) null: bool,
}

impl Response {
    pub fn kind(&self) -> Type {
        self.kind
    }

    /// The error prefix (`ERR`, `WRONGTYPE`, `MOVED`) of an error reply
    /// (simple or bulk); `_OTHER` when the error has no readable prefix.
    pub fn error(&self) -> Option<&str> {
        self.error.as_ref().map(Word::as_str)
    }

    pub fn is_error(&self) -> bool {
        matches!(self.kind, Type::Error | Type::BulkError)
    }

    /// Whether the server sent it without a request.
    pub fn is_pushed(&self) -> bool {
        self.pushed
    }

    /// A null reply (`$-1`, `*-1`, `_`): a missing key, a timed-out
    /// blocking pop, an aborted transaction.
    pub fn is_null(&self) -> bool {
        self.null
    }
}

/// The prefix of an error message: its first word, or `_OTHER`.
pub(super) fn error_prefix(message: &[u8]) -> Word {
    let word = message.split(|&b| b == b' ').next().unwrap_or(b"");
    Word::printable(word)
        .or_else(|| Word::printable(b"_OTHER"))
        .unwrap_or(Word {
            len: 0,
            bytes: [0; Word::CAP],
        })
}
