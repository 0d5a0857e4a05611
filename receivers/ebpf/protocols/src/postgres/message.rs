//! PostgreSQL v3 messages as spans need them, and the framing both
//! directions share: a type byte and a big-endian length that counts itself
//! (startup-phase messages have no type byte).

use std::sync::Arc;

/// Frontend message types (client → server) after the startup phase.
pub(crate) const FRONTEND_TYPES: &[u8] = b"QPBDESHCXpFdcf";

/// Backend message types (server → client).
pub(crate) const BACKEND_TYPES: &[u8] = b"RKSZENTDCI123ntsGHWdcVAv";

/// Backend types that can begin an answer: every type except the ones that
/// only follow another message (rows and copy data). Resynchronising on them
/// alone keeps the middle of a big result from passing for a new answer.
pub(crate) const ANSWER_START_TYPES: &[u8] = b"RKSZENTCI123ntGHWVAv";

/// Startup-phase request codes (the second word of an untyped message).
pub(crate) const PROTOCOL_3: u32 = 196_608;
pub(crate) const SSL_REQUEST: u32 = 80_877_103;
pub(crate) const GSSENC_REQUEST: u32 = 80_877_104;
pub(crate) const CANCEL_REQUEST: u32 = 80_877_102;

/// Longest message length taken as real (PostgreSQL's own limit is 1 GiB).
pub(crate) const MAX_LEN: u32 = 1 << 30;

/// Statement text kept per request, in bytes; the capture rarely gives more.
pub(crate) const MAX_TEXT: usize = 4096;

/// How a request asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A `Query` message (simple protocol): one or more statements in one
    /// text.
    Simple,
    /// Parse/Bind/Execute up to a `Sync` (extended protocol).
    Extended,
    /// A `FunctionCall` message.
    FunctionCall,
}

/// One request: a simple query, or an extended-protocol run up to its Sync
/// holding at least one Execute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub mode: Mode,
    /// The statement text (from the Query, or from the Parse of the
    /// statement the first Execute ran), at most [`MAX_TEXT`] bytes.
    pub text: Option<Arc<str>>,
    /// The database the connection's startup message named.
    pub database: Option<Arc<str>>,
    /// Executes in an extended-protocol run (0 for a simple query).
    pub executes: u32,
    /// Whether the Executes of the run ran different statements.
    pub mixed: bool,
}

/// A SQLSTATE code (`42P01`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SqlState(pub [u8; 5]);

impl SqlState {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("?????")
    }
}

/// The answer to a request, up to its ReadyForQuery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The SQLSTATE of the first ErrorResponse.
    pub error: Option<SqlState>,
    /// CommandComplete messages seen.
    pub completed: u32,
    /// Whether the answer was seen to its ReadyForQuery in one piece (else
    /// it was followed message by message and what came after its first
    /// part is not in it).
    pub whole: bool,
}

/// A message header: its type (0 for startup-phase messages) and its length
/// on the wire, header included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    pub kind: u8,
    pub len: usize,
}

/// Why a header cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bad {
    /// Fewer bytes than a header.
    Short,
    /// Not a message of this direction.
    Invalid,
}

/// The typed message header at the start of `b`, if its type is one of
/// `types`.
pub(crate) fn typed_frame(b: &[u8], types: &[u8]) -> Result<Frame, Bad> {
    let Some(&kind) = b.first() else {
        return Err(Bad::Short);
    };
    if !types.contains(&kind) {
        return Err(Bad::Invalid);
    }
    let Some(len) = b.get(1..5) else {
        return if b.len() > 1 && b[1] != 0 {
            Err(Bad::Invalid)
        } else {
            Err(Bad::Short)
        };
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    if !(4..=MAX_LEN).contains(&len) {
        return Err(Bad::Invalid);
    }
    Ok(Frame {
        kind,
        len: len as usize + 1,
    })
}

/// The untyped startup-phase message at the start of `b`: its length and
/// code.
pub(crate) fn startup_frame(b: &[u8]) -> Result<(Frame, u32), Bad> {
    let Some(head) = b.get(..8) else {
        return if startup_prefix(b) {
            Err(Bad::Short)
        } else {
            Err(Bad::Invalid)
        };
    };
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let ok = match code {
        PROTOCOL_3 => (9..=10_000).contains(&len),
        SSL_REQUEST | GSSENC_REQUEST => len == 8,
        CANCEL_REQUEST => len == 16,
        _ => false,
    };
    if !ok {
        return Err(Bad::Invalid);
    }
    Ok((
        Frame {
            kind: 0,
            len: len as usize,
        },
        code,
    ))
}

/// Whether `b` (maybe shorter than 8 bytes) could begin a startup-phase
/// message.
pub(crate) fn startup_prefix(b: &[u8]) -> bool {
    const CODES: [[u8; 4]; 4] = [
        PROTOCOL_3.to_be_bytes(),
        SSL_REQUEST.to_be_bytes(),
        GSSENC_REQUEST.to_be_bytes(),
        CANCEL_REQUEST.to_be_bytes(),
    ];
    if b.first().is_some_and(|&x| x != 0) || b.get(1).is_some_and(|&x| x != 0) {
        return false;
    }
    let code = b.get(4..).unwrap_or(&[]);
    let code = &code[..code.len().min(4)];
    CODES.iter().any(|c| c.starts_with(code))
}

/// A NUL-terminated string at the start of `b`, and the bytes after it.
pub(crate) fn cstr(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = memchr::memchr(0, b)?;
    Some((&b[..n], &b[n + 1..]))
}

/// `b` as text, cut to [`MAX_TEXT`] bytes at a character boundary.
pub(crate) fn text(b: &[u8]) -> Arc<str> {
    let b = &b[..b.len().min(MAX_TEXT)];
    match std::str::from_utf8(b) {
        Ok(s) => Arc::from(s),
        // Cut inside a character, or not UTF-8 at all.
        Err(e) if e.error_len().is_none() => {
            Arc::from(std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""))
        }
        Err(_) => Arc::from(String::from_utf8_lossy(b).as_ref()),
    }
}

/// The `database` (else `user`, PostgreSQL's default) of a StartupMessage's
/// parameters.
pub(crate) fn startup_database(params: &[u8]) -> Option<Arc<str>> {
    let (mut database, mut user) = (None, None);
    let mut rest = params;
    while let Some((key, after)) = cstr(rest) {
        if key.is_empty() {
            break;
        }
        let Some((value, after)) = cstr(after) else {
            break;
        };
        match key {
            b"database" => database = Some(value),
            b"user" => user = Some(value),
            _ => {}
        }
        rest = after;
    }
    database.or(user).filter(|v| !v.is_empty()).map(text)
}

/// The SQLSTATE (field `C`) of an ErrorResponse body.
pub(crate) fn error_code(body: &[u8]) -> Option<SqlState> {
    let mut rest = body;
    while let Some((&field, after)) = rest.split_first() {
        if field == 0 {
            break;
        }
        let (value, after) = cstr(after)?;
        if field == b'C' {
            let code: [u8; 5] = value.try_into().ok()?;
            return code
                .iter()
                .all(u8::is_ascii_alphanumeric)
                .then_some(SqlState(code));
        }
        rest = after;
    }
    None
}
