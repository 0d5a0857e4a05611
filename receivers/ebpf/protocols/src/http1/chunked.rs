//! The chunked transfer coding (RFC 9112 §7.1), one unit at a time.
//!
//! Each call takes one chunk (its size line, data and CRLF: the data may lie
//! beyond the bytes at hand, and the stream skips it), or the last chunk's
//! trailer section. Nothing is buffered but a size line split across
//! syscalls. When the capture ends inside the body, the chunk sizes after
//! the cut are unknowable: the body is taken to end with that syscall.

use memchr::memchr;

use crate::parse::{Input, Malformed, ParseResult};

/// Longest chunk-size line (size and extensions) accepted.
const MAX_SIZE_LINE: usize = 1024;
/// Longest trailer section accepted.
const MAX_TRAILERS: usize = 8 * 1024;

/// Where in a chunked body the next unit starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// At a chunk-size line.
    Size,
    /// After the last chunk, at the trailer section.
    Trailers,
}

/// One unit of a chunked body: where the body goes next, or `None` when the
/// unit ended it.
pub fn step(phase: Phase, input: Input<'_>) -> ParseResult<Option<Phase>> {
    match phase {
        Phase::Size => size_line(input),
        Phase::Trailers => trailers(input),
    }
}

fn size_line(input: Input<'_>) -> ParseResult<Option<Phase>> {
    let bytes = input.bytes;
    let Some(nl) = memchr(b'\n', &bytes[..bytes.len().min(MAX_SIZE_LINE)]) else {
        if bytes.len() >= MAX_SIZE_LINE {
            return ParseResult::Malformed(Malformed::Framing);
        }
        return lost_or_incomplete(input);
    };
    let line = bytes[..nl].strip_suffix(b"\r").unwrap_or(&bytes[..nl]);
    let digits = line
        .iter()
        .position(|&b| b == b';' || b == b' ' || b == b'\t')
        .unwrap_or(line.len());
    let hex = &line[..digits];
    if hex.is_empty() || hex.len() > 16 {
        return ParseResult::Malformed(Malformed::Framing);
    }
    let mut size: u64 = 0;
    for &b in hex {
        let Some(d) = (b as char).to_digit(16) else {
            return ParseResult::Malformed(Malformed::Framing);
        };
        size = (size << 4) | u64::from(d);
    }
    let line_len = nl + 1;
    if size == 0 {
        return ParseResult::Parsed {
            message: Some(Phase::Trailers),
            consumed: line_len,
        };
    }
    let data_end = usize::try_from(size)
        .ok()
        .and_then(|s| line_len.checked_add(s))
        .unwrap_or(usize::MAX);
    // The CRLF after the data is checked when it was captured.
    let crlf = bytes.get(data_end..).unwrap_or(&[]);
    if crlf.first().is_some_and(|&b| b != b'\r') || crlf.get(1).is_some_and(|&b| b != b'\n') {
        return ParseResult::Malformed(Malformed::Framing);
    }
    ParseResult::Parsed {
        message: Some(Phase::Size),
        consumed: data_end.saturating_add(2),
    }
}

fn trailers(input: Input<'_>) -> ParseResult<Option<Phase>> {
    let bytes = input.bytes;
    if bytes.starts_with(b"\r\n") {
        return end(2);
    }
    if bytes.starts_with(b"\n") {
        return end(1);
    }
    let mut pos = 0;
    while let Some(i) = memchr(b'\n', &bytes[pos..]) {
        let after = pos + i + 1;
        if bytes[after..].starts_with(b"\r\n") {
            return end(after + 2);
        }
        if bytes[after..].starts_with(b"\n") {
            return end(after + 1);
        }
        pos = after;
    }
    if bytes.len() > MAX_TRAILERS {
        return ParseResult::Malformed(Malformed::Framing);
    }
    lost_or_incomplete(input)
}

fn end(consumed: usize) -> ParseResult<Option<Phase>> {
    ParseResult::Parsed {
        message: None,
        consumed,
    }
}

/// Wait for more bytes, or, when the capture ended here, end the body with
/// the syscall.
fn lost_or_incomplete(input: Input<'_>) -> ParseResult<Option<Phase>> {
    if input.is_truncated() {
        end(input.available())
    } else {
        ParseResult::Incomplete { needed: None }
    }
}
