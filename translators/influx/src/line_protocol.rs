//! InfluxDB line protocol, parsed: a pure function over the request body. Each line
//! is `measurement[,tag=value...] field=value[,field=value...] [timestamp]`; a line
//! that does not parse is reported with its number and the column where it went
//! wrong, and the lines around it still count.
//!
//! Escapes, as InfluxDB reads them: in the measurement, `\,` and `\ `; in tag keys,
//! tag values and field keys, `\,`, `\=` and `\ `; in string field values, `\"` and
//! `\\`. A backslash before anything else stays, and still keeps the character after
//! it from ending the name. Field values: floats (`1`,
//! `-1.5e3`), integers (`12i`), unsigned integers (`12u`), strings (`"..."`) and
//! booleans (`t`, `T`, `true`, `True`, `TRUE` and the same for false). Lines starting
//! with `#` and blank lines are skipped.

use std::fmt;

/// One field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Float(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Str(String),
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub measurement: String,
    pub tags: Vec<(String, String)>,
    pub fields: Vec<(String, FieldValue)>,
    /// Nanoseconds since the epoch, already scaled by the precision.
    pub timestamp: Option<i64>,
}

/// A line that does not parse: where, and why. Lines and columns count from 1;
/// columns in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// The unit of the timestamps, from the request's `precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

impl Precision {
    /// The spellings of InfluxDB 1.x (`n`, `u`, `ms`, `s`, `m`, `h`) and 2.x (`ns`,
    /// `us`, `ms`, `s`); empty is nanoseconds.
    pub fn parse(text: &str) -> Option<Precision> {
        Some(match text {
            "" | "n" | "ns" => Precision::Nanoseconds,
            "u" | "us" | "µ" | "µs" => Precision::Microseconds,
            "ms" => Precision::Milliseconds,
            "s" => Precision::Seconds,
            "m" => Precision::Minutes,
            "h" => Precision::Hours,
            _ => return None,
        })
    }

    fn nanos(self) -> i64 {
        match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
            Precision::Minutes => 60_000_000_000,
            Precision::Hours => 3_600_000_000_000,
        }
    }
}

/// Every line of `body`: the points of those that parse, each with its line number,
/// and an error for each that does not.
pub fn parse(body: &[u8], precision: Precision) -> (Vec<(usize, Point)>, Vec<LineError>) {
    let mut points = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in body.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(text) = std::str::from_utf8(raw) else {
            errors.push(LineError {
                line,
                column: 1,
                message: "the line is not valid UTF-8".into(),
            });
            continue;
        };
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let skipped = text.len() - trimmed.len();
        match parse_line(trimmed, precision) {
            Ok(point) => points.push((line, point)),
            Err((at, message)) => errors.push(LineError {
                line,
                column: text[..skipped + at].chars().count() + 1,
                message,
            }),
        }
    }
    (points, errors)
}

/// Where a line went wrong: the byte offset in the line, and why.
type Failure = (usize, String);

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, Failure> {
        Err((self.at, message.into()))
    }

    /// A name up to one of `stops`, unescaping a `\` before any of `escapable`.
    fn name(&mut self, stops: &[u8], escapable: &[u8]) -> String {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut out = String::new();
        let mut run = start;
        while let Some(&b) = bytes.get(self.at) {
            if b == b'\\' {
                // A backslash always takes the next byte with it (as InfluxDB scans);
                // only before an escapable one does it go away.
                match bytes.get(self.at + 1) {
                    Some(&next) if escapable.contains(&next) => {
                        out.push_str(&self.text[run..self.at]);
                        out.push(next as char);
                        self.at += 2;
                        run = self.at;
                    }
                    Some(_) => self.at += 2,
                    None => self.at += 1,
                }
                continue;
            }
            if stops.contains(&b) {
                break;
            }
            self.at += 1;
        }
        out.push_str(&self.text[run..self.at]);
        out
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }
}

/// One line (not blank, not a comment).
pub fn parse_line(text: &str, precision: Precision) -> Result<Point, Failure> {
    let mut c = Cursor { text, at: 0 };
    let measurement = c.name(b", ", b", ");
    if measurement.is_empty() {
        return c.fail("missing measurement");
    }
    let mut tags = Vec::new();
    while c.peek() == Some(b',') {
        c.at += 1;
        let key = c.name(b",= ", b",= ");
        if key.is_empty() {
            return c.fail("missing tag key");
        }
        if c.peek() != Some(b'=') {
            return c.fail(format!("missing tag value for tag key {key:?}"));
        }
        c.at += 1;
        let value = c.name(b", ", b",= ");
        if value.is_empty() {
            return c.fail(format!("missing tag value for tag key {key:?}"));
        }
        tags.push((key, value));
    }
    if c.peek() != Some(b' ') {
        return c.fail("missing fields");
    }
    c.skip_spaces();
    let mut fields = Vec::new();
    loop {
        if c.peek().is_none() {
            return c.fail("missing fields");
        }
        let key = c.name(b",= ", b",= ");
        if key.is_empty() {
            return c.fail("missing field key");
        }
        if c.peek() != Some(b'=') {
            return c.fail(format!("missing field value for field key {key:?}"));
        }
        c.at += 1;
        let value = field_value(&mut c)?;
        fields.push((key, value));
        match c.peek() {
            Some(b',') => c.at += 1,
            _ => break,
        }
    }
    let timestamp = match c.peek() {
        None => None,
        Some(b' ') => {
            c.skip_spaces();
            let start = c.at;
            while c.peek().is_some_and(|b| b != b' ') {
                c.at += 1;
            }
            let token = &text[start..c.at];
            c.skip_spaces();
            if c.peek().is_some() {
                return c.fail("unexpected text after the timestamp");
            }
            if token.is_empty() {
                None
            } else {
                let Ok(n) = token.parse::<i64>() else {
                    return Err((start, format!("invalid timestamp {token:?}")));
                };
                let Some(nanos) = n.checked_mul(precision.nanos()) else {
                    return Err((start, format!("timestamp {token} out of range")));
                };
                Some(nanos)
            }
        }
        Some(_) => return c.fail("invalid field value"),
    };
    Ok(Point {
        measurement,
        tags,
        fields,
        timestamp,
    })
}

fn field_value(c: &mut Cursor<'_>) -> Result<FieldValue, Failure> {
    if c.peek() == Some(b'"') {
        let bytes = c.text.as_bytes();
        c.at += 1;
        let mut out = String::new();
        let mut run = c.at;
        loop {
            match bytes.get(c.at) {
                None => return Err((run - 1, "unterminated string field value".into())),
                Some(b'"') => {
                    out.push_str(&c.text[run..c.at]);
                    c.at += 1;
                    return Ok(FieldValue::Str(out));
                }
                Some(b'\\') if matches!(bytes.get(c.at + 1), Some(b'"' | b'\\')) => {
                    out.push_str(&c.text[run..c.at]);
                    out.push(bytes[c.at + 1] as char);
                    c.at += 2;
                    run = c.at;
                }
                Some(_) => c.at += 1,
            }
        }
    }
    let start = c.at;
    while c.peek().is_some_and(|b| b != b',' && b != b' ') {
        c.at += 1;
    }
    let token = &c.text[start..c.at];
    let bad = |what: &str| -> Result<FieldValue, Failure> {
        Err((start, format!("invalid {what} field value {token:?}")))
    };
    match token {
        "" => Err((start, "missing field value".into())),
        "t" | "T" | "true" | "True" | "TRUE" => Ok(FieldValue::Bool(true)),
        "f" | "F" | "false" | "False" | "FALSE" => Ok(FieldValue::Bool(false)),
        _ => {
            if let Some(digits) = token.strip_suffix('i') {
                return digits
                    .parse::<i64>()
                    .map(FieldValue::Int)
                    .or_else(|_| bad("integer"));
            }
            if let Some(digits) = token.strip_suffix('u') {
                return digits
                    .parse::<u64>()
                    .map(FieldValue::UInt)
                    .or_else(|_| bad("unsigned integer"));
            }
            // Rust would also read `inf` and `NaN`; InfluxDB takes digits only.
            let numeric = token
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            match token.parse::<f64>() {
                Ok(x) if numeric && x.is_finite() => Ok(FieldValue::Float(x)),
                _ => bad("float"),
            }
        }
    }
}

#[cfg(test)]
mod tests;
