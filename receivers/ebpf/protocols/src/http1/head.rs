//! Request and response heads (RFC 9112 §2-§6), and how long the body is.
//!
//! Lenient where senders differ in harmless ways (bare LF line ends, empty
//! lines before a request, folded header lines, no reason phrase), strict
//! where garbage would otherwise pass for a message (token characters in
//! the method and field names, the exact version syntax, digit-only
//! lengths). A head cut by the capture still yields a message from the
//! lines that were complete, marked `head_truncated`.

use memchr::memchr;

use super::message::{Header, Method, Pieces, Request, Response, Text, Version};
use crate::parse::{Input, Malformed, ParseResult};

/// Longest method token accepted.
const MAX_METHOD: usize = 32;

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (a response only).
    UntilClose,
    /// The head was cut by the capture: the message is taken to end with the
    /// syscall that carried it.
    Unknown,
}

/// Framing facts and kept values found in the header fields.
struct Fields<'a> {
    pieces: Pieces<'a>,
    content_length: Option<u64>,
    transfer_encoding: bool,
    chunked: bool,
    close: bool,
    keep_alive: bool,
}

/// Parse a request head; `consumed` counts the head only (leading empty
/// lines included). With a cut head (`input.missing > 0` and no end of
/// head), `consumed` is every captured byte and the body is [`Body::Unknown`].
pub fn parse_request(input: Input<'_>) -> ParseResult<(Request, Body)> {
    let bytes = input.bytes;
    let start = skip_empty_lines(bytes);
    let Some(nl) = memchr(b'\n', &bytes[start..]).map(|i| start + i) else {
        if !input.is_truncated() {
            return check_request_prefix(&bytes[start..]);
        }
        // The request line itself was cut: keep method and target so far.
        return match request_line(&bytes[start..], false) {
            Ok((method, target, version)) => {
                let fields = Fields::new();
                let request = build_request(method, target, version, fields, true);
                ParseResult::Parsed {
                    message: (request, Body::Unknown),
                    consumed: bytes.len(),
                }
            }
            Err(Malformed::Truncated) => ParseResult::Incomplete { needed: None },
            Err(e) => ParseResult::Malformed(e),
        };
    };
    let (method, target, version) = match request_line(trim_cr(&bytes[start..nl]), true) {
        Ok(line) => line,
        Err(e) => return ParseResult::Malformed(e),
    };
    let mut fields = Fields::new();
    let head_end = match parse_fields(bytes, nl + 1, &mut fields) {
        Ok(end) => end,
        Err(e) => return ParseResult::Malformed(e),
    };
    let Some(head_end) = head_end else {
        if !input.is_truncated() {
            return ParseResult::Incomplete { needed: None };
        }
        let request = build_request(method, target, version, fields, true);
        return ParseResult::Parsed {
            message: (request, Body::Unknown),
            consumed: bytes.len(),
        };
    };
    let body = if fields.transfer_encoding {
        if !fields.chunked {
            // RFC 9112 §6.3: a request whose final coding is not chunked
            // cannot be delimited.
            return ParseResult::Malformed(Malformed::Framing);
        }
        Body::Chunked
    } else {
        match fields.content_length {
            Some(0) | None => Body::None,
            Some(n) => Body::Length(n),
        }
    };
    let request = build_request(method, target, version, fields, false);
    ParseResult::Parsed {
        message: (request, body),
        consumed: head_end,
    }
}

/// Parse a response head. `request` is the method of the request it
/// answers, when known: the answer to HEAD has no body, and a 2xx answer to
/// CONNECT opens a tunnel.
pub fn parse_response(input: Input<'_>, request: Option<Method>) -> ParseResult<(Response, Body)> {
    let bytes = input.bytes;
    let start = skip_empty_lines(bytes);
    let line_end = memchr(b'\n', &bytes[start..]).map(|i| start + i);
    let line = match line_end {
        Some(nl) => trim_cr(&bytes[start..nl]),
        None => &bytes[start..],
    };
    let (version, status) = match status_line(line, line_end.is_some()) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return ParseResult::Incomplete { needed: None },
        Err(e) => return ParseResult::Malformed(e),
    };
    let mut fields = Fields::new();
    let head_end = match line_end {
        Some(nl) => match parse_fields(bytes, nl + 1, &mut fields) {
            Ok(end) => end,
            Err(e) => return ParseResult::Malformed(e),
        },
        None => None,
    };
    let tunnel = request == Some(Method::Connect) && (200..300).contains(&status);
    let Some(head_end) = head_end else {
        if !input.is_truncated() {
            return ParseResult::Incomplete { needed: None };
        }
        let response = build_response(version, status, fields, true, tunnel);
        return ParseResult::Parsed {
            message: (response, Body::Unknown),
            consumed: bytes.len(),
        };
    };
    let no_body = (100..200).contains(&status)
        || status == 204
        || status == 304
        || request == Some(Method::Head)
        || tunnel;
    let body = if no_body {
        Body::None
    } else if fields.transfer_encoding {
        if fields.chunked {
            Body::Chunked
        } else {
            Body::UntilClose
        }
    } else {
        match fields.content_length {
            Some(0) => Body::None,
            Some(n) => Body::Length(n),
            None => Body::UntilClose,
        }
    };
    let response = build_response(version, status, fields, false, tunnel);
    ParseResult::Parsed {
        message: (response, body),
        consumed: head_end,
    }
}

impl Fields<'_> {
    fn new() -> Self {
        Fields {
            pieces: Pieces::new(),
            content_length: None,
            transfer_encoding: false,
            chunked: false,
            close: false,
            keep_alive: false,
        }
    }
}

fn build_request<'a>(
    method: &'a [u8],
    target: &'a [u8],
    version: Option<Version>,
    mut fields: Fields<'a>,
    head_truncated: bool,
) -> Request {
    let m = Method::from_token(method);
    if m == Method::Other {
        fields.pieces.method(method);
    }
    fields.pieces.target(target);
    Request {
        method: m,
        version,
        content_length: fields.content_length,
        chunked: fields.chunked,
        connection_close: closes(version, &fields),
        head_truncated,
        text: Text::build(&fields.pieces.0),
    }
}

fn build_response(
    version: Version,
    status: u16,
    fields: Fields<'_>,
    head_truncated: bool,
    tunnel: bool,
) -> Response {
    Response {
        version,
        status,
        content_length: fields.content_length,
        chunked: fields.chunked,
        connection_close: closes(Some(version), &fields),
        head_truncated,
        switches_protocol: status == 101 || tunnel,
        text: Text::build(&fields.pieces.0),
    }
}

/// RFC 9112 §9.3: 1.1 persists unless `close`; 1.0 closes unless `keep-alive`.
fn closes(version: Option<Version>, fields: &Fields<'_>) -> bool {
    fields.close || (version == Some(Version::Http10) && !fields.keep_alive)
}

/// Parse field lines from `pos`; `Ok(Some(end))` is the offset after the
/// empty line that ends the head, `Ok(None)` means the bytes ran out first
/// (the complete lines are in `fields`).
fn parse_fields<'a>(
    bytes: &'a [u8],
    mut pos: usize,
    fields: &mut Fields<'a>,
) -> Result<Option<usize>, Malformed> {
    loop {
        let Some(nl) = memchr(b'\n', &bytes[pos..]).map(|i| pos + i) else {
            return Ok(None);
        };
        let line = trim_cr(&bytes[pos..nl]);
        pos = nl + 1;
        if line.is_empty() {
            return Ok(Some(pos));
        }
        if line[0] == b' ' || line[0] == b'\t' {
            // obs-fold: a continuation of the previous value; kept values
            // never need one, so it is skipped.
            continue;
        }
        let colon = memchr(b':', line).ok_or(Malformed::Header)?;
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Malformed::Header);
        }
        field(name, trim_ows(&line[colon + 1..]), fields)?;
    }
}

fn field<'a>(name: &[u8], value: &'a [u8], fields: &mut Fields<'a>) -> Result<(), Malformed> {
    if name.eq_ignore_ascii_case(b"content-length") {
        let n = content_length(value)?;
        if fields.content_length.is_some_and(|old| old != n) {
            return Err(Malformed::Length);
        }
        fields.content_length = Some(n);
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        fields.transfer_encoding = true;
        // The final coding of the last field line decides (§6.1).
        if let Some(last) = value
            .rsplit(|&b| b == b',')
            .map(trim_ows)
            .find(|t| !t.is_empty())
        {
            fields.chunked = last.eq_ignore_ascii_case(b"chunked");
        }
    } else if name.eq_ignore_ascii_case(b"connection") {
        for option in value.split(|&b| b == b',').map(trim_ows) {
            if option.eq_ignore_ascii_case(b"close") {
                fields.close = true;
            } else if option.eq_ignore_ascii_case(b"keep-alive") {
                fields.keep_alive = true;
            }
        }
    } else if let Some(header) = Header::from_name(name) {
        fields.pieces.header(header, value);
    }
    Ok(())
}

/// Digits only; a list of equal values (`5, 5`) counts as one (§6.3).
fn content_length(value: &[u8]) -> Result<u64, Malformed> {
    let mut result = None;
    for item in value.split(|&b| b == b',').map(trim_ows) {
        if item.is_empty() || item.len() > 19 || !item.iter().all(u8::is_ascii_digit) {
            return Err(Malformed::Length);
        }
        let n = item.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        if result.is_some_and(|r| r != n) {
            return Err(Malformed::Length);
        }
        result = Some(n);
    }
    result.ok_or(Malformed::Length)
}

type RequestLine<'a> = (&'a [u8], &'a [u8], Option<Version>);

/// `method SP target SP HTTP/1.x`. When `complete` is false the line was
/// cut by the capture: method and the target so far are enough.
fn request_line(line: &[u8], complete: bool) -> Result<RequestLine<'_>, Malformed> {
    let Some(sp) = memchr(b' ', line) else {
        return Err(
            if !complete && line.len() <= MAX_METHOD && line.iter().all(|&b| is_tchar(b)) {
                Malformed::Truncated
            } else {
                Malformed::StartLine
            },
        );
    };
    let method = &line[..sp];
    if method.is_empty() || method.len() > MAX_METHOD || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Malformed::StartLine);
    }
    let rest = &line[sp + 1..];
    let (target, version) = match memchr(b' ', rest) {
        Some(sp2) => (&rest[..sp2], Some(&rest[sp2 + 1..])),
        None if complete => return Err(Malformed::StartLine),
        None => (rest, None),
    };
    if !target.iter().all(|&b| b > b' ' && b != 0x7f) {
        return Err(Malformed::StartLine);
    }
    if target.is_empty() {
        return Err(if complete {
            Malformed::StartLine
        } else {
            Malformed::Truncated
        });
    }
    let version = match version {
        Some(v) if complete => Some(version_of(v)?),
        Some(v) => version_of(v).ok(),
        None => None,
    };
    Ok((method, target, version))
}

/// `HTTP/1.x SP 3DIGIT [SP reason]`; `Ok(None)` when a cut line has not
/// reached the status code yet.
fn status_line(line: &[u8], complete: bool) -> Result<Option<(Version, u16)>, Malformed> {
    const PREFIX: &[u8] = b"HTTP/";
    let n = line.len().min(PREFIX.len());
    if line[..n] != PREFIX[..n] {
        return Err(Malformed::StartLine);
    }
    if line.len() < 12 {
        return if complete {
            Err(Malformed::StartLine)
        } else {
            Ok(None)
        };
    }
    let version = version_of(&line[..8])?;
    let code = &line[9..12];
    if line[8] != b' '
        || !code.iter().all(u8::is_ascii_digit)
        || (line.len() > 12 && line[12] != b' ')
    {
        return Err(Malformed::StartLine);
    }
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    if status < 100 {
        return Err(Malformed::StartLine);
    }
    Ok(Some((version, status)))
}

fn version_of(v: &[u8]) -> Result<Version, Malformed> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            match (major, minor) {
                (b'1', b'0') => Ok(Version::Http10),
                (b'1', _) => Ok(Version::Http11),
                _ => Err(Malformed::Unsupported),
            }
        }
        _ => Err(Malformed::StartLine),
    }
}

/// Without a line end yet, say early whether the bytes can still become a
/// request line, so that garbage without newlines does not wait for the
/// buffer limit.
fn check_request_prefix<T>(bytes: &[u8]) -> ParseResult<T> {
    let method_len = bytes.iter().position(|&b| b == b' ').unwrap_or(bytes.len());
    let method = &bytes[..method_len];
    if method.len() > MAX_METHOD || !method.iter().all(|&b| is_tchar(b)) {
        return ParseResult::Malformed(Malformed::StartLine);
    }
    if method_len < bytes.len() {
        let rest = &bytes[method_len + 1..];
        let target_len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        if !rest[..target_len].iter().all(|&b| b > b' ' && b != 0x7f)
            || (target_len == 0 && !rest.is_empty())
        {
            return ParseResult::Malformed(Malformed::StartLine);
        }
    }
    ParseResult::Incomplete { needed: None }
}

/// Whether `bytes` hold the empty line that ends a head (an LF followed by
/// CRLF or LF).
pub(super) fn has_head_end(bytes: &[u8]) -> bool {
    let mut pos = 0;
    while let Some(i) = memchr(b'\n', &bytes[pos..]) {
        let after = pos + i + 1;
        match bytes.get(after) {
            Some(b'\n') => return true,
            Some(b'\r') if bytes.get(after + 1) == Some(&b'\n') => return true,
            _ => pos = after,
        }
    }
    false
}

/// Empty lines before a request line are ignored (RFC 9112 §2.2).
fn skip_empty_lines(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(bytes.len())
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &value[start..end]
}

/// RFC 9110 §5.6.2 token characters.
fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// A table, because every byte of every field name goes through it.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};
