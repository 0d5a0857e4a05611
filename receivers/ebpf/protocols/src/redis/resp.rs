//! RESP framing (RESP2 and RESP3): type lines, lengths, and a walk over
//! nested values that keeps only how many elements each open aggregate
//! still owes, so a reply of any size streams through without buffering
//! and a bulk payload is skipped, never copied.

use memchr::memchr;

use crate::parse::Malformed;

/// Deepest nesting followed (COMMAND DOCS nests 12 deep); deeper is taken
/// for garbage.
pub const MAX_DEPTH: usize = 64;

/// Largest element count of one aggregate, and largest bulk length (4 GiB:
/// Redis's own default limit is 512 MiB).
const MAX_COUNT: u64 = (1 << 30) - 1;
const MAX_BULK: u64 = 1 << 32;

/// Longest type line waited for (an inline command, a simple string or an
/// error); Redis's own inline limit is 64 KiB.
pub const MAX_LINE: usize = 64 * 1024;

/// A type line: its type byte, what follows it up to `\r\n`, and where the
/// next byte is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub kind: u8,
    pub body: &'a [u8],
    pub next: usize,
}

/// The type line starting at `bytes[at]`; `Ok(None)` while its `\r\n` has
/// not arrived. A bare `\r` or `\n` inside it is malformed: RESP lines
/// never hold one.
pub fn header(bytes: &[u8], at: usize) -> Result<Option<Header<'_>>, Malformed> {
    let Some(&kind) = bytes.get(at) else {
        return Ok(None);
    };
    if !is_type(kind) {
        return Err(Malformed::Framing);
    }
    let rest = &bytes[at + 1..];
    let Some(cr) = memchr(b'\r', rest) else {
        if memchr(b'\n', rest).is_some() {
            return Err(Malformed::Framing);
        }
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => {
            let body = &rest[..cr];
            if memchr(b'\n', body).is_some() {
                return Err(Malformed::Framing);
            }
            Ok(Some(Header {
                kind,
                body,
                next: at + 1 + cr + 2,
            }))
        }
        Some(_) => Err(Malformed::Framing),
    }
}

/// Whether `b` is a RESP2 or RESP3 type byte.
pub fn is_type(b: u8) -> bool {
    matches!(
        b,
        b'+' | b'-'
            | b':'
            | b'$'
            | b'*'
            | b'_'
            | b','
            | b'#'
            | b'('
            | b'!'
            | b'='
            | b'%'
            | b'~'
            | b'>'
            | b'|'
    )
}

/// A decimal integer with an optional sign, at most 19 digits.
pub fn integer(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if negative { -n } else { n })
}

/// What one type line opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// Complete on its line: simple string, error, integer, null, double,
    /// boolean, big number, null bulk or null array.
    Scalar,
    /// A payload of this many bytes and `\r\n` follows the line.
    Blob(u64),
    /// This many values follow (twice the pairs for a map or an
    /// attribute); an attribute's values do not count in the aggregate
    /// around it.
    Aggregate { count: u64, attribute: bool },
}

/// What the type line `h` opens. Streamed strings and aggregates (`$?`,
/// `*?`), which Redis never sends, are unsupported.
pub fn value(h: &Header<'_>) -> Result<Value, Malformed> {
    let body = h.body;
    if body.first() == Some(&b'?') && matches!(h.kind, b'$' | b'*' | b'%' | b'~' | b'>' | b'|') {
        return Err(Malformed::Unsupported);
    }
    match h.kind {
        b'+' | b'-' => Ok(Value::Scalar),
        b':' | b'(' => match integer_or_big(body) {
            true => Ok(Value::Scalar),
            false => Err(Malformed::Framing),
        },
        b'_' if body.is_empty() => Ok(Value::Scalar),
        b'#' if body == b"t" || body == b"f" => Ok(Value::Scalar),
        b',' if !body.is_empty() => Ok(Value::Scalar),
        b'$' | b'!' | b'=' => match integer(body) {
            Some(-1) if h.kind == b'$' => Ok(Value::Scalar),
            Some(n) if n >= 0 && (n as u64) <= MAX_BULK => Ok(Value::Blob(n as u64)),
            _ => Err(Malformed::Length),
        },
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let pairs = matches!(h.kind, b'%' | b'|');
            match integer(body) {
                Some(-1) if h.kind == b'*' => Ok(Value::Scalar),
                Some(n) if n >= 0 && (n as u64) <= MAX_COUNT => Ok(Value::Aggregate {
                    count: if pairs { 2 * n as u64 } else { n as u64 },
                    attribute: h.kind == b'|',
                }),
                _ => Err(Malformed::Length),
            }
        }
        _ => Err(Malformed::Framing),
    }
}

/// An integer, or a big number's digits.
fn integer_or_big(body: &[u8]) -> bool {
    let digits = match body.first() {
        Some(b'-' | b'+') => &body[1..],
        _ => body,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// What a message in progress still owes: the number of values each open
/// aggregate still holds, innermost last, under one frame for the message
/// itself. Empty between messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frames {
    /// Remaining values, with [`ATTRIBUTE`] set on an attribute's frame.
    stack: Vec<u32>,
}

const ATTRIBUTE: u32 = 1 << 31;

impl Frames {
    /// Between messages.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// A message begins: one value is owed.
    pub fn begin(&mut self) {
        self.stack.clear();
        self.stack.push(1);
    }

    pub fn clear(&mut self) {
        self.stack.clear();
    }

    /// An aggregate of `count` values opened.
    pub fn open(&mut self, count: u64, attribute: bool) -> Result<(), Malformed> {
        if count == 0 {
            return Ok(());
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(Malformed::Framing);
        }
        // `value` bounds counts below 2^31.
        let count = count as u32;
        self.stack
            .push(if attribute { count | ATTRIBUTE } else { count });
        Ok(())
    }

    /// A value (a scalar, a blob, or an aggregate of none) ended; true when
    /// that ended the message. Aggregates that this completes end too; a
    /// completed attribute does not count in the aggregate around it.
    pub fn value_done(&mut self) -> bool {
        while let Some(top) = self.stack.last_mut() {
            let attribute = *top & ATTRIBUTE != 0;
            let remaining = (*top & !ATTRIBUTE).saturating_sub(1);
            if remaining > 0 {
                *top = remaining | (*top & ATTRIBUTE);
                return false;
            }
            self.stack.pop();
            if attribute {
                return self.stack.is_empty();
            }
        }
        true
    }

    /// Handles the value whose type line is `h`: a scalar ends, an
    /// aggregate opens. Returns the blob length to skip, if any, and
    /// whether the message ended.
    pub fn enter(&mut self, h: &Header<'_>) -> Result<(Option<u64>, bool), Malformed> {
        match value(h)? {
            Value::Scalar => Ok((None, self.value_done())),
            Value::Blob(n) => Ok((Some(n), false)),
            Value::Aggregate {
                count: 0,
                attribute,
            } => {
                if attribute {
                    Ok((None, false))
                } else {
                    Ok((None, self.value_done()))
                }
            }
            Value::Aggregate { count, attribute } => {
                self.open(count, attribute)?;
                Ok((None, false))
            }
        }
    }
}

/// Where a walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walked {
    /// The message ended this many bytes in.
    Done(usize),
    /// The bytes ran out inside a type line (or right after a value); every
    /// value before this offset is whole.
    More(usize),
    /// A bulk payload reaches past the bytes: the unit runs to `end`, and
    /// `done` tells whether the message ends with that payload.
    Beyond { end: usize, done: bool },
}

/// Walks the values of the message in progress from `bytes[at..]`.
/// `bulks_only`: every value must be a bulk string (what a client sends).
pub fn walk(
    frames: &mut Frames,
    bytes: &[u8],
    mut at: usize,
    bulks_only: bool,
) -> Result<Walked, Malformed> {
    loop {
        let Some(h) = header(bytes, at)? else {
            return Ok(Walked::More(at));
        };
        if bulks_only && h.kind != b'$' {
            return Err(Malformed::Framing);
        }
        let (blob, done) = frames.enter(&h)?;
        at = h.next;
        if let Some(len) = blob {
            let end = blob_end(at, len);
            let done = frames.value_done();
            if end > bytes.len() {
                return Ok(Walked::Beyond { end, done });
            }
            if &bytes[end - 2..end] != b"\r\n" {
                return Err(Malformed::Framing);
            }
            at = end;
            if done {
                return Ok(Walked::Done(at));
            }
        } else if done {
            return Ok(Walked::Done(at));
        }
    }
}

/// The offset after a blob of `len` bytes and its `\r\n` that begins at `at`.
pub fn blob_end(at: usize, len: u64) -> usize {
    at.saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
        .saturating_add(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_all(bytes: &[u8]) -> Result<Walked, Malformed> {
        let mut f = Frames::default();
        f.begin();
        walk(&mut f, bytes, 0, false)
    }

    #[test]
    fn scalars_end_on_their_line() {
        for m in [
            &b"+OK\r\n"[..],
            b"-ERR x\r\n",
            b":-12\r\n",
            b"_\r\n",
            b"#t\r\n",
            b",3.14\r\n",
            b",inf\r\n",
            b"(12345678901234567890123\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"*0\r\n",
            b"%0\r\n",
        ] {
            assert_eq!(walk_all(m), Ok(Walked::Done(m.len())), "{m:?}");
        }
    }

    #[test]
    fn nested_aggregates_attributes_and_blobs() {
        let exec = b"*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n-WRONGTYPE x\r\n";
        assert_eq!(walk_all(exec), Ok(Walked::Done(exec.len())));
        let scan = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n";
        assert_eq!(walk_all(scan), Ok(Walked::Done(scan.len())));
        let attrib = b"|1\r\n$3\r\nkey\r\n*2\r\n$1\r\nk\r\n:9\r\n$4\r\nreal\r\n";
        assert_eq!(walk_all(attrib), Ok(Walked::Done(attrib.len())));
        // An attribute inside an array does not count as one of its elements.
        let inner = b"*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n";
        assert_eq!(walk_all(inner), Ok(Walked::Done(inner.len())));
        let map = b"%2\r\n+a\r\n:1\r\n+b\r\n%1\r\n+c\r\n~2\r\n:1\r\n:2\r\n";
        assert_eq!(walk_all(map), Ok(Walked::Done(map.len())));
        let verbatim = b"=15\r\ntxt:Some string\r\n";
        assert_eq!(walk_all(verbatim), Ok(Walked::Done(verbatim.len())));
    }

    #[test]
    fn a_walk_stops_at_a_partial_line_and_resumes() {
        let whole = b"*3\r\n$3\r\nfoo\r\n:1\r\n$3\r\nbar\r\n";
        for cut in 1..whole.len() {
            let mut f = Frames::default();
            f.begin();
            let first = walk(&mut f, &whole[..cut], 0, false).unwrap();
            let at = match first {
                Walked::More(at) => at,
                Walked::Beyond { end, done } => {
                    assert!(!done || end == whole.len());
                    end
                }
                Walked::Done(_) => panic!("done at {cut}"),
            };
            assert!(at <= whole.len());
            if at == whole.len() {
                continue;
            }
            assert_eq!(
                walk(&mut f, &whole[at..], 0, false),
                Ok(Walked::Done(whole.len() - at)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_payload_past_the_bytes_is_skipped_not_awaited() {
        let mut f = Frames::default();
        f.begin();
        assert_eq!(
            walk(&mut f, b"*2\r\n$100000\r\nvvv", 0, false),
            Ok(Walked::Beyond {
                end: 13 + 100_002,
                done: false
            })
        );
        assert_eq!(walk(&mut f, b":1\r\n", 0, false), Ok(Walked::Done(4)));
    }

    #[test]
    fn garbage_is_malformed() {
        for m in [
            &b"x\r\n"[..],
            b"$abc\r\n",
            b"$-2\r\n",
            b"*-5\r\n",
            b"#x\r\n",
            b"+a\rb\r\n",
            b"+a\nb\r\n",
            b"$3\r\nabcd\r\n",
            b":1.5\r\n",
        ] {
            assert!(walk_all(m).is_err(), "{m:?}");
        }
        assert_eq!(walk_all(b"*?\r\n"), Err(Malformed::Unsupported));
        let mut f = Frames::default();
        f.begin();
        let deep = b"*1\r\n".repeat(MAX_DEPTH + 1);
        assert_eq!(walk(&mut f, &deep, 0, false), Err(Malformed::Framing));
    }

    #[test]
    fn requests_hold_bulk_strings_only() {
        let mut f = Frames::default();
        f.begin();
        f.open(2, false).unwrap();
        assert_eq!(
            walk(&mut f, b"$1\r\na\r\n:1\r\n", 0, true),
            Err(Malformed::Framing)
        );
    }
}
