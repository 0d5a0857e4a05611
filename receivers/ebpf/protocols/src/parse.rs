//! What every parser is given and what it answers.
//!
//! A parser is a pure function over the captured bytes of one direction of a
//! connection. It sees the bytes not consumed yet ([`Input::bytes`]) and how
//! many bytes the syscall moved past them that were not captured
//! ([`Input::missing`]), and answers with a [`ParseResult`]: more bytes are
//! needed, one unit of `consumed` bytes was parsed, or the bytes are not this
//! protocol.

/// The bytes a parser works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input<'a> {
    /// Captured bytes not consumed yet, contiguous.
    pub bytes: &'a [u8],
    /// Bytes that follow `bytes` on the wire but were not captured (the
    /// syscall moved more than the capture size). While this is not zero no
    /// more real bytes can come before the gap is passed, so a parser must
    /// decide now: produce what it can (a truncated message, or a unit whose
    /// `consumed` reaches into the gap), or answer `Incomplete`, which makes
    /// the stream drop the bytes and the gap.
    pub missing: usize,
    /// Entry time (ns) of the syscall that carried `bytes[0]`, for protocols
    /// that assemble one message from units interleaved with other messages.
    pub start_ns: u64,
}

impl<'a> Input<'a> {
    /// Input with every byte captured.
    pub fn new(bytes: &'a [u8]) -> Self {
        Input {
            bytes,
            missing: 0,
            start_ns: 0,
        }
    }

    /// Input whose last `missing` bytes were not captured.
    pub fn truncated(bytes: &'a [u8], missing: usize) -> Self {
        Input {
            bytes,
            missing,
            start_ns: 0,
        }
    }

    /// Whether uncaptured bytes follow `bytes`.
    pub fn is_truncated(&self) -> bool {
        self.missing > 0
    }

    /// Captured plus uncaptured bytes available before the stream must wait
    /// for the next syscall.
    pub fn available(&self) -> usize {
        self.bytes.len().saturating_add(self.missing)
    }
}

/// The answer of a parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseResult<T> {
    /// The bytes are a valid prefix; `needed` is a lower bound of how many
    /// more bytes it takes, when the parser knows it.
    Incomplete { needed: Option<usize> },
    /// One unit was parsed. `consumed` counts the bytes it spans on the wire
    /// and may exceed the bytes available: the stream then skips the rest
    /// (a body that was not captured, or that comes in later syscalls).
    Parsed { message: T, consumed: usize },
    /// The bytes are not a message of this protocol.
    Malformed(Malformed),
}

impl<T> ParseResult<T> {
    /// Map the parsed value, keeping the other outcomes.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ParseResult<U> {
        match self {
            ParseResult::Incomplete { needed } => ParseResult::Incomplete { needed },
            ParseResult::Parsed { message, consumed } => ParseResult::Parsed {
                message: f(message),
                consumed,
            },
            ParseResult::Malformed(m) => ParseResult::Malformed(m),
        }
    }
}

/// Why bytes are not a message. The kinds are shared by every protocol so
/// that the counts a session keeps mean the same thing everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The first line or fixed header of a message is not this protocol's.
    #[error("invalid start of message")]
    StartLine,
    /// A header or field line is invalid.
    #[error("invalid header")]
    Header,
    /// A length field is invalid, too large, or conflicts with another.
    #[error("invalid length")]
    Length,
    /// The framing after the first line is invalid (chunk sizes, transfer
    /// codings, frame boundaries).
    #[error("invalid framing")]
    Framing,
    /// A valid message of a version or variant this parser does not handle.
    #[error("unsupported protocol version")]
    Unsupported,
    /// More bytes were buffered than the stream allows without a complete unit.
    #[error("message head too long")]
    TooLong,
    /// The capture ended before anything usable, and the rest was not captured.
    #[error("capture truncated before a complete message head")]
    Truncated,
    /// A parser reported a unit of zero bytes; the stream resynchronises
    /// instead of looping.
    #[error("parser made no progress")]
    NoProgress,
}
