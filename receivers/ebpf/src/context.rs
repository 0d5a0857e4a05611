//! Trace context that requests carry in their headers: W3C `traceparent` and
//! SkyWalking `sw8`. An eBPF span adopts the trace id and parent they name, so
//! it lands in the same trace as the SDK or agent spans around it.

use base64::Engine;

/// A trace id and the span that sent the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parent {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
}

/// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>` (W3C Trace Context).
/// An all-zero id, an unknown version `ff` or a malformed value is ignored, as the
/// spec says.
pub fn traceparent(value: &str) -> Option<Parent> {
    let mut parts = value.trim().split('-');
    let version = parts.next()?;
    let (trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?);
    if version.len() != 2 || version == "ff" || flags.len() != 2 {
        return None;
    }
    // Version 00 has exactly four fields; later versions may append more.
    if version == "00" && parts.next().is_some() {
        return None;
    }
    let trace_id: [u8; 16] = hex(trace)?;
    let span_id: [u8; 8] = hex(span)?;
    hex::<1>(version)?;
    hex::<1>(flags)?;
    if trace_id == [0; 16] || span_id == [0; 8] {
        return None;
    }
    Some(Parent { trace_id, span_id })
}

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// `1-<trace id>-<parent segment id>-<parent span id>-...` with base64 text fields
/// (SkyWalking's cross-process header, v3). Ids map to OTLP ids as
/// otelcol-contrib's skywalking receiver maps them, so the agent's own spans, sent
/// there, and these share ids.
pub fn sw8(value: &str) -> Option<Parent> {
    let mut parts = value.trim().split('-');
    if parts.next()? != "1" {
        return None;
    }
    let trace = base64_text(parts.next()?)?;
    let segment = base64_text(parts.next()?)?;
    let span: u32 = parts.next()?.parse().ok()?;
    let trace_id = sw_trace_id(&trace)?;
    if segment.len() < 32 {
        return None;
    }
    let span_id = fold(sw_uuid(&segment, span));
    Some(Parent { trace_id, span_id })
}

fn base64_text(field: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(field)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// A UUID (`de5980b8-fce3-...`, from most agents) as its 16 bytes; the Java
/// agent's `<32 hex>.<u32>.<u64>` through [`sw_uuid`].
fn sw_trace_id(id: &str) -> Option<[u8; 16]> {
    if id.len() <= 36 {
        let compact: String = id.chars().filter(|&c| c != '-').collect();
        return hex(&compact);
    }
    Some(sw_uuid(id, 0))
}

/// The 32 hex digits of `s`, XOR `extra` over the first 4 bytes, and — for the
/// `<hex>.<mid>.<last>` form — `mid` over the next 4 and `last` over the last 8
/// (little-endian byte order, as contrib does it).
fn sw_uuid(s: &str, extra: u32) -> [u8; 16] {
    let Some(mut uid) = s.get(..32).and_then(hex::<16>) else {
        return [0; 16];
    };
    xor_le(&mut uid[..4], u64::from(extra));
    if s.len() == 32 {
        return uid;
    }
    let (Some(first), Some(last_dot)) = (s.find('.'), s.rfind('.')) else {
        return [0; 16];
    };
    if first != 32 {
        return [0; 16];
    }
    let (Ok(mid), Ok(last)) = (
        s[first + 1..last_dot].parse::<i64>(),
        s[last_dot + 1..].parse::<i64>(),
    ) else {
        return [0; 16];
    };
    xor_le(&mut uid[4..8], mid as u64);
    xor_le(&mut uid[8..16], last as u64);
    uid
}

fn xor_le(bytes: &mut [u8], mut value: u64) {
    for b in bytes {
        *b ^= value as u8;
        value >>= 8;
    }
}

/// The high half XOR the low half: a 16-byte id as a span id.
fn fold(uid: [u8; 16]) -> [u8; 8] {
    std::array::from_fn(|i| uid[i] ^ uid[i + 8])
}

#[cfg(test)]
mod tests;
