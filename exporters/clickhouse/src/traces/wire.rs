//! `otel_traces` rows straight from the export request's protobuf bytes: the same
//! bytes [`super::encode_traces_with`] writes from decoded structs, without building
//! them. Decoding into prost structs (a `String` and a `Vec` per attribute) was about
//! half of the exporter's CPU; reading the fields where they lie costs no allocation.
//!
//! The payloads come from receivers that proved the bytes decode; anything unusual
//! (see [`Fallback`]) makes the caller decode with prost instead, so both paths give
//! the same rows by construction or by test (`wire/tests.rs` compares them).

use opentelemetry_proto::tonic::common::v1::AnyValue;
use prost::Message;

use super::{span_kind, status_code};
use crate::attributes::{base64_into, es6_number, value_string};
use crate::columns::hex_id;
use crate::protowire::{count, fields, leading, once, repeated, Fallback, Value};
use crate::rowbinary::RowWriter;
use crate::smart::ResourceCells;

/// Appends one row per span of `request` (one whole `ExportTraceServiceRequest`);
/// returns the number of rows. On `Err`, `w` and `resources` hold a partial write
/// and must be thrown away.
pub fn encode_traces_wire(
    request: &[u8],
    resources: &mut ResourceCells,
    w: &mut RowWriter,
) -> Result<usize, Fallback> {
    let mut rows = 0;
    let mut scratch = Scratch::default();
    for resource_spans in repeated(request, 1) {
        rows += resource_rows(resource_spans?, resources, w, &mut scratch)?;
    }
    Ok(rows)
}

fn resource_rows<'a>(
    resource_spans: &'a [u8],
    resources: &mut ResourceCells,
    w: &mut RowWriter,
    scratch: &mut Scratch<'a>,
) -> Result<usize, Fallback> {
    let mut resource = None;
    for field in fields(resource_spans) {
        let (number, value) = field?;
        if number == 1 {
            once(&mut resource, value)?;
        }
    }
    let resource = resource.unwrap_or_default();

    // ServiceName: the first `service.name` attribute, spelled as a value.
    let mut service = Vec::new();
    for kv in repeated(resource, 1) {
        let (key, value) = key_value(kv?)?;
        if key == b"service.name" {
            let mut cell = RowWriter::default();
            value_cell(value, &mut cell, &mut scratch.text)?;
            // The cell is a RowBinary string; the column wants it as one, too.
            service = cell.buf;
            break;
        }
    }
    if service.is_empty() {
        service.push(0);
    }
    let mut map = RowWriter::default();
    attribute_map(resource, 1, &mut map, &mut scratch.text)?;
    let mut resource_cell = RowWriter::default();
    resources.write_encoded(map.buf, &mut resource_cell);

    let mut rows = 0;
    for scope_spans in repeated(resource_spans, 2) {
        let scope_spans = scope_spans?;
        let mut scope = None;
        for field in fields(scope_spans) {
            let (number, value) = field?;
            if number == 1 {
                once(&mut scope, value)?;
            }
        }
        let (mut name, mut version): (&[u8], &[u8]) = (b"", b"");
        for field in fields(scope.unwrap_or_default()) {
            match field? {
                (1, value) => name = value.bytes()?,
                (2, value) => version = value.bytes()?,
                _ => {}
            }
        }
        let shared = Shared {
            service: &service,
            resource: &resource_cell.buf,
            scope_name: name,
            scope_version: version,
        };
        for span in repeated(scope_spans, 2) {
            span_row(span?, &shared, w, scratch)?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// Buffers reused from span to span.
#[derive(Default)]
struct Scratch<'a> {
    /// The current span's attributes.
    attributes: Vec<&'a [u8]>,
    /// A value's text.
    text: String,
}

/// The per-resource and per-scope cells, written once and copied into each row.
struct Shared<'a> {
    /// `ServiceName`, already a RowBinary string.
    service: &'a [u8],
    /// `ResourceAttributes` (or `ResourceId`), already RowBinary.
    resource: &'a [u8],
    scope_name: &'a [u8],
    scope_version: &'a [u8],
}

/// A span's singular fields; the repeated ones are read where their columns are.
#[derive(Default)]
struct SpanFields<'a> {
    trace_id: &'a [u8],
    span_id: &'a [u8],
    trace_state: &'a [u8],
    parent_span_id: &'a [u8],
    name: &'a [u8],
    kind: i32,
    start: u64,
    end: u64,
    status: Option<&'a [u8]>,
    events: usize,
    links: usize,
}

/// The span's singular fields; its attributes' `KeyValue`s go into `attributes`.
fn span_fields<'a>(
    span: &'a [u8],
    attributes: &mut Vec<&'a [u8]>,
) -> Result<SpanFields<'a>, Fallback> {
    let mut f = SpanFields::default();
    attributes.clear();
    for field in fields(span) {
        match field? {
            (1, v) => f.trace_id = v.bytes()?,
            (2, v) => f.span_id = v.bytes()?,
            (3, v) => f.trace_state = v.bytes()?,
            (4, v) => f.parent_span_id = v.bytes()?,
            (5, v) => f.name = v.bytes()?,
            // prost reads an int32 enum as the varint's low 32 bits.
            (6, v) => f.kind = v.varint()? as i32,
            (7, v) => f.start = v.fixed64()?,
            (8, v) => f.end = v.fixed64()?,
            (9, v) => attributes.push(v.bytes()?),
            (11, _) => f.events += 1,
            (13, _) => f.links += 1,
            (15, v) => once(&mut f.status, v)?,
            _ => {}
        }
    }
    Ok(f)
}

fn span_row<'a>(
    span: &'a [u8],
    shared: &Shared<'_>,
    w: &mut RowWriter,
    scratch: &mut Scratch<'a>,
) -> Result<(), Fallback> {
    let f = span_fields(span, &mut scratch.attributes)?;
    w.datetime64_nanos(f.start);
    hex_id(f.trace_id, w);
    hex_id(f.span_id, w);
    hex_id(f.parent_span_id, w);
    w.string(f.trace_state);
    w.string(f.name);
    w.string(span_kind(f.kind).as_bytes());
    w.bytes(shared.service);
    w.bytes(shared.resource);
    w.string(shared.scope_name);
    w.string(shared.scope_version);
    w.len(scratch.attributes.len());
    for kv in &scratch.attributes {
        key_value_cells(kv, w, &mut scratch.text)?;
    }
    w.uint64(f.end.saturating_sub(f.start));
    let (mut code, mut message): (i32, &[u8]) = (0, b"");
    for field in fields(f.status.unwrap_or_default()) {
        match field? {
            (2, v) => message = v.bytes()?,
            (3, v) => code = v.varint()? as i32,
            _ => {}
        }
    }
    w.string(status_code(code).as_bytes());
    w.string(message);

    // Events: time (1), name (2), attributes (3); one Nested sub-column after another.
    if f.events == 0 && f.links == 0 {
        // Seven empty arrays.
        w.buf.extend_from_slice(&[0; 7]);
        return Ok(());
    }
    w.len(f.events);
    for event in repeated(span, 11) {
        let mut time = 0;
        for field in fields(event?) {
            if let (1, v) = field? {
                time = v.fixed64()?;
            }
        }
        w.datetime64_nanos(time);
    }
    w.len(f.events);
    for event in repeated(span, 11) {
        w.string(last_bytes(event?, 2)?);
    }
    w.len(f.events);
    for event in repeated(span, 11) {
        attribute_map(event?, 3, w, &mut scratch.text)?;
    }

    // Links: trace id (1), span id (2), trace state (3), attributes (4).
    w.len(f.links);
    for link in repeated(span, 13) {
        hex_id(last_bytes(link?, 1)?, w);
    }
    w.len(f.links);
    for link in repeated(span, 13) {
        hex_id(last_bytes(link?, 2)?, w);
    }
    w.len(f.links);
    for link in repeated(span, 13) {
        w.string(last_bytes(link?, 3)?);
    }
    w.len(f.links);
    for link in repeated(span, 13) {
        attribute_map(link?, 4, w, &mut scratch.text)?;
    }
    Ok(())
}

/// An integer in decimal, as a RowBinary string.
fn decimal(n: i64, w: &mut RowWriter) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let sign = usize::from(n < 0);
    w.len(sign + digits.len() - at);
    if n < 0 {
        w.buf.push(b'-');
    }
    w.buf.extend_from_slice(&digits[at..]);
}

/// A singular bytes or string field: the last occurrence wins, as in prost.
fn last_bytes(message: &[u8], number: u32) -> Result<&[u8], Fallback> {
    let mut out: &[u8] = b"";
    for value in repeated(message, number) {
        out = value?;
    }
    Ok(out)
}

/// A `KeyValue`'s key (1) and value (2).
fn key_value(kv: &[u8]) -> Result<(&[u8], Option<&[u8]>), Fallback> {
    let mut key: &[u8] = b"";
    let mut value = None;
    for field in fields(kv) {
        match field? {
            (1, v) => key = v.bytes()?,
            (2, v) => once(&mut value, v)?,
            _ => {}
        }
    }
    Ok((key, value))
}

/// Most attributes are a key (1) and a value (2) that holds a string (1) and nothing
/// else, in that order: read by their bytes, without the general loop. `None` for any
/// other layout.
#[inline]
fn string_pair(kv: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut rest = kv;
    let key = leading(&mut rest, 0x0a)?;
    let mut value = leading(&mut rest, 0x12)?;
    let text = leading(&mut value, 0x0a)?;
    (rest.is_empty() && value.is_empty()).then_some((key, text))
}

/// The `KeyValue`s in field `number` of `message` as a `Map(String, String)`.
fn attribute_map(
    message: &[u8],
    number: u32,
    w: &mut RowWriter,
    scratch: &mut String,
) -> Result<(), Fallback> {
    w.len(count(message, number)?);
    for kv in repeated(message, number) {
        key_value_cells(kv?, w, scratch)?;
    }
    Ok(())
}

/// One map entry: the key, then the value's text.
fn key_value_cells(kv: &[u8], w: &mut RowWriter, scratch: &mut String) -> Result<(), Fallback> {
    if let Some((key, text)) = string_pair(kv) {
        w.string(key);
        w.string(text);
        return Ok(());
    }
    let (key, value) = key_value(kv)?;
    w.string(key);
    value_cell(value, w, scratch)
}

/// An `AnyValue` as a RowBinary string, spelled as [`value_string`] spells it.
fn value_cell(
    value: Option<&[u8]>,
    w: &mut RowWriter,
    scratch: &mut String,
) -> Result<(), Fallback> {
    let Some(value) = value else {
        w.string(b"");
        return Ok(());
    };
    // The oneof: the last field set wins; one field is the common case.
    let mut last = None;
    let mut set = 0;
    for field in fields(value) {
        let (number, v) = field?;
        if (1..=8).contains(&number) {
            last = Some((number, v));
            set += 1;
        }
    }
    scratch.clear();
    match last {
        None => w.string(b""),
        Some((1, v)) => w.string(v.bytes()?),
        Some((2, v)) => w.string(if v.varint()? != 0 { b"true" } else { b"false" }),
        Some((3, v)) => decimal(v.varint()? as i64, w),
        Some((4, v)) => {
            es6_number(f64::from_bits(v.fixed64()?), scratch);
            w.string(scratch.as_bytes());
        }
        Some((7, v)) => {
            base64_into(v.bytes()?, scratch);
            w.string(scratch.as_bytes());
        }
        // An index into a profiles dictionary means nothing outside profiles.
        Some((8, _)) => w.string(b""),
        // Arrays and maps (rare in attributes): prost, and the decoded path's JSON.
        Some((5 | 6, Value::Bytes(_))) if set == 1 => {
            let decoded = AnyValue::decode(value).map_err(|_| Fallback)?;
            value_string(Some(&decoded), scratch);
            w.string(scratch.as_bytes());
        }
        Some(_) => return Err(Fallback),
    }
    Ok(())
}

#[cfg(test)]
mod tests;
