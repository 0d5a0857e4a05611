//! Trace context that requests carry in their headers: W3C `traceparent` and
//! SkyWalking `sw8`. An eBPF span adopts the trace id and parent they name, so
//! it lands in the same trace as the SDK or agent spans around it.

use base64::Engine;
use sonde_api::skywalking;

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
/// otelcol-contrib's skywalking receiver (and sonde's) maps them
/// ([`sonde_api::skywalking`]), so the agent's own spans and these share ids.
pub fn sw8(value: &str) -> Option<Parent> {
    let mut parts = value.trim().split('-');
    if parts.next()? != "1" {
        return None;
    }
    let trace = base64_text(parts.next()?)?;
    let segment = base64_text(parts.next()?)?;
    let span: i32 = parts.next()?.parse().ok()?;
    let trace_id = skywalking::trace_id(&trace);
    // An id that maps to nothing names no trace to join.
    if segment.len() < 32 || trace_id == [0; 16] {
        return None;
    }
    Some(Parent {
        trace_id,
        span_id: skywalking::span_id(&segment, span),
    })
}

fn base64_text(field: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(field)
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests;
