//! A validating walk over the protobuf bytes of an export request that allocates
//! nothing: it proves the bytes decode (every field prost would check, it checks) and
//! counts the items, so OTLP can pass from receiver to exporter without being decoded
//! into structs and encoded again.
//!
//! It is stricter than prost where strictness is cheap: a rejection only means the
//! caller falls back to a full decode, which then has the last word (and the error
//! message). Accepting what prost would refuse is the one mistake this module must
//! not make.

mod schema;

pub(crate) use schema::{LOGS_REQUEST, METRICS_REQUEST, TRACES_REQUEST};

/// The largest field number in any OTLP message (`Span.flags`).
const MAX_TAG: usize = 16;
/// prost's recursion limit is 100; deeper nesting is left to it.
const MAX_DEPTH: u32 = 64;

/// What a field holds, as far as decoding is concerned.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    /// A field this message does not declare: skipped, by wire type.
    Unknown,
    /// `string`: length-delimited, valid UTF-8.
    Str,
    /// `bytes`: length-delimited.
    Bytes,
    /// Every varint type: int32/64, uint32/64, sint32, bool, enums.
    Varint,
    /// fixed64, sfixed64, double.
    I64,
    /// fixed32.
    I32,
    /// repeated fixed64 / double: packed or not.
    RepeatedI64,
    /// repeated uint64: packed or not.
    RepeatedVarint,
    /// A nested message.
    Msg(&'static Msg),
}

/// One message type: its fields by number, whether each occurrence of it is one item
/// (a span, a data point, a log record), and which fields form the oneof whose
/// items count (a metric's data).
pub(crate) struct Msg {
    fields: [Ty; MAX_TAG + 1],
    item: bool,
    /// Fields of the one oneof whose variants replace each other on decode.
    oneof: &'static [u32],
}

impl Msg {
    pub(crate) const fn new(fields: &[(u32, Ty)]) -> Msg {
        Msg::build(fields, false, &[])
    }

    /// A message each occurrence of which counts as one item.
    pub(crate) const fn item(fields: &[(u32, Ty)]) -> Msg {
        Msg::build(fields, true, &[])
    }

    /// A message holding a oneof of item containers (a metric's data).
    pub(crate) const fn with_oneof(fields: &[(u32, Ty)], oneof: &'static [u32]) -> Msg {
        Msg::build(fields, false, oneof)
    }

    const fn build(fields: &[(u32, Ty)], item: bool, oneof: &'static [u32]) -> Msg {
        let mut table = [Ty::Unknown; MAX_TAG + 1];
        let mut i = 0;
        while i < fields.len() {
            table[fields[i].0 as usize] = fields[i].1;
            i += 1;
        }
        Msg {
            fields: table,
            item,
            oneof,
        }
    }

    fn field(&self, tag: u64) -> Ty {
        self.fields
            .get(tag as usize)
            .copied()
            .unwrap_or(Ty::Unknown)
    }

    fn in_oneof(&self, tag: u64) -> bool {
        self.oneof.iter().any(|&t| u64::from(t) == tag)
    }
}

/// The bytes do not take the fast path; decoding them fully decides.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reject;

/// What a walk found at the top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Spans, data points or log records, counted as a decode would leave them.
    pub items: usize,
    /// Occurrences of the request's one repeated field (resource spans/metrics/logs).
    pub resources: usize,
}

/// Walks a whole export request of the type `request` describes.
pub(crate) fn scan(request: &'static Msg, bytes: &[u8]) -> Result<Summary, Reject> {
    let mut resources = 0;
    let items = walk(request, bytes, 0, Some(&mut resources))?;
    Ok(Summary { items, resources })
}

/// Validates one message and returns the items below it; `firsts` counts the
/// occurrences of field 1 (only wanted at the top).
fn walk(
    msg: &Msg,
    mut buf: &[u8],
    depth: u32,
    mut firsts: Option<&mut usize>,
) -> Result<usize, Reject> {
    if depth > MAX_DEPTH {
        return Err(Reject);
    }
    let mut items = 0;
    // The oneof's current variant and the items under it: a different variant
    // replaces the value on decode, the same one merges into it.
    let mut variant = 0u64;
    let mut variant_items = 0;
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        if key > u64::from(u32::MAX) {
            return Err(Reject);
        }
        let (tag, wire) = (key >> 3, key & 7);
        if tag == 0 {
            return Err(Reject);
        }
        if let (1, Some(n)) = (tag, firsts.as_deref_mut()) {
            *n += 1;
        }
        match (msg.field(tag), wire) {
            (Ty::Unknown, _) => skip(wire, &mut buf)?,
            (Ty::Varint | Ty::RepeatedVarint, 0) => {
                varint(&mut buf)?;
            }
            (Ty::I64 | Ty::RepeatedI64, 1) => {
                take(&mut buf, 8)?;
            }
            (Ty::I32, 5) => {
                take(&mut buf, 4)?;
            }
            (Ty::Str, 2) => {
                let s = delimited(&mut buf)?;
                // Most strings are ASCII, which is cheaper to tell than UTF-8.
                if !s.is_ascii() {
                    std::str::from_utf8(s).map_err(|_| Reject)?;
                }
            }
            (Ty::Bytes, 2) => {
                delimited(&mut buf)?;
            }
            (Ty::RepeatedI64, 2) => {
                if delimited(&mut buf)?.len() % 8 != 0 {
                    return Err(Reject);
                }
            }
            (Ty::RepeatedVarint, 2) => {
                let mut packed = delimited(&mut buf)?;
                while !packed.is_empty() {
                    varint(&mut packed)?;
                }
            }
            (Ty::Msg(child), 2) => {
                let body = delimited(&mut buf)?;
                let below = walk(child, body, depth + 1, None)?;
                let found = if child.item { 1 } else { below };
                if msg.in_oneof(tag) {
                    if tag != variant {
                        variant = tag;
                        variant_items = 0;
                    }
                    variant_items += found;
                } else {
                    items += found;
                }
            }
            _ => return Err(Reject),
        }
    }
    Ok(items + variant_items)
}

/// Skips a field this message does not declare. Groups are left to prost.
fn skip(wire: u64, buf: &mut &[u8]) -> Result<(), Reject> {
    match wire {
        0 => varint(buf).map(drop),
        1 => take(buf, 8).map(drop),
        2 => delimited(buf).map(drop),
        5 => take(buf, 4).map(drop),
        _ => Err(Reject),
    }
}

/// A base-128 varint, by prost's own rules (at most ten bytes, the tenth carrying
/// at most one bit).
#[inline(always)]
fn varint(buf: &mut &[u8]) -> Result<u64, Reject> {
    super::varint::read(buf).ok_or(Reject)
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], Reject> {
    if buf.len() < n {
        return Err(Reject);
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

fn delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], Reject> {
    let len = varint(buf)?;
    let len = usize::try_from(len).map_err(|_| Reject)?;
    take(buf, len)
}

#[cfg(test)]
mod tests;
