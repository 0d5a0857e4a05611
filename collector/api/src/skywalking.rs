//! SkyWalking ids as OTLP ids, derived the way otelcol-contrib's skywalking receiver
//! derives them, so that spans from a SkyWalking agent (the skywalking receiver), from
//! the eBPF receiver (which reads the `sw8` header an agent sends) and from an SDK
//! behind contrib all land in the same trace with the same span ids.
//!
//! * A trace id of 36 characters or fewer is a UUID (`de5980b8-fce3-4a37-aab9-b4ac3af7eedd`
//!   from the Python, Node.js, Go agents; 32 bare hex digits also pass) and becomes its
//!   16 bytes; anything else that is not a UUID gives the empty (all-zero) id.
//! * A longer one is the Java agent's `<32 hex>.<mid>.<last>` (see [`sw_uuid`]).
//! * A span is named by its segment id and its span number within the segment:
//!   `sw_uuid(segment, span)`, folded to 8 bytes (high half XOR low half).

/// The OTLP trace id of a SkyWalking trace id.
pub fn trace_id(id: &str) -> [u8; 16] {
    if id.len() <= 36 {
        return uuid(id).unwrap_or([0; 16]);
    }
    sw_uuid(id, 0)
}

/// The OTLP span id of span `span` of segment `segment`; the empty id when the segment
/// id is shorter than 32 characters. Negative span numbers wrap, as a Go `uint32(..)`.
pub fn span_id(segment: &str, span: i32) -> [u8; 8] {
    if segment.len() < 32 {
        return [0; 8];
    }
    fold(sw_uuid(segment, span as u32))
}

/// A UUID in its 36-character form (dashes at 8, 13, 18, 23) or as 32 hex digits.
fn uuid(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    match bytes.len() {
        32 => hex16(bytes).ok(),
        36 => {
            if [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
                return None;
            }
            let compact: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'-').collect();
            hex16(&compact).ok()
        }
        _ => None,
    }
}

/// The first 32 bytes of `text` as 16 bytes of hex; on a bad digit, the bytes decoded
/// before it (and zeros after) as the error, since contrib keeps those.
fn hex16(text: &[u8]) -> Result<[u8; 16], [u8; 16]> {
    let mut out = [0u8; 16];
    if text.len() < 32 {
        return Err(out);
    }
    for (i, pair) in text[..32].chunks_exact(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(high), Some(low)) => out[i] = (high * 16 + low) as u8,
            _ => return Err(out),
        }
    }
    Ok(out)
}

/// The 32 hex digits that start `s`, with `extra` XORed over the first 4 bytes and, for
/// the Java agent's `<hex>.<mid>.<last>` form, `mid` over the next 4 and `last` over the
/// last 8 (little-endian byte order). A malformed tail gives the empty id; a bad hex
/// digit gives the bytes decoded before it, untouched (both as contrib does).
pub fn sw_uuid(s: &str, extra: u32) -> [u8; 16] {
    let mut uid = match hex16(s.as_bytes()) {
        Ok(uid) => uid,
        Err(partial) if s.len() >= 32 => return partial,
        Err(_) => return [0; 16],
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
pub fn fold(uid: [u8; 16]) -> [u8; 8] {
    std::array::from_fn(|i| uid[i] ^ uid[i + 8])
}

#[cfg(test)]
mod tests;
