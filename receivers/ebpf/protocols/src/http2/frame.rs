//! HTTP/2 frames (RFC 9113 §4, §6): the 9-byte header, the rules a frame's
//! type puts on its length, flags and stream, and the header-block
//! fragments of HEADERS, PUSH_PROMISE and CONTINUATION.

use crate::parse::Malformed;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
pub const HEADER_LEN: usize = 9;
/// The default SETTINGS_MAX_FRAME_SIZE: larger frames need a setting, so
/// resynchronising does not take them for a frame start.
pub const DEFAULT_MAX_FRAME: usize = 16_384;

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY_FLAG: u8 = 0x20;

/// SETTINGS_HEADER_TABLE_SIZE.
pub const SETTINGS_HEADER_TABLE_SIZE: u16 = 0x1;

/// A frame's 9-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub len: usize,
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
}

impl Head {
    /// The header at the start of `bytes`, if all 9 bytes are there.
    pub fn read(bytes: &[u8]) -> Option<Head> {
        let h = bytes.get(..HEADER_LEN)?;
        Some(Head {
            len: usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]),
            kind: h[3],
            flags: h[4],
            // The reserved bit is ignored on receipt (§4.1).
            stream: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
        })
    }

    /// The frame's whole length on the wire.
    pub fn total(&self) -> usize {
        HEADER_LEN + self.len
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The rules of RFC 9113 §6 on this frame's stream and length, whose
    /// breach is a connection error: bytes that break them are not HTTP/2
    /// (or not where a frame starts).
    pub fn check(&self) -> Result<(), Malformed> {
        let on_stream = self.stream != 0;
        let ok = match self.kind {
            DATA | HEADERS | CONTINUATION | PUSH_PROMISE => on_stream,
            PRIORITY => on_stream && self.len == 5,
            RST_STREAM => on_stream && self.len == 4,
            SETTINGS => {
                !on_stream && self.len.is_multiple_of(6) && (!self.has(ACK) || self.len == 0)
            }
            PING => !on_stream && self.len == 8,
            GOAWAY => !on_stream && self.len >= 8,
            WINDOW_UPDATE => self.len == 4,
            // Unknown types are ignored (§5.5).
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(Malformed::Framing)
        }
    }
}

/// Flags each known type defines; the others must be zero when a frame is
/// taken for a frame start while resynchronising.
fn defined_flags(kind: u8) -> u8 {
    match kind {
        DATA => END_STREAM | PADDED,
        HEADERS => END_STREAM | END_HEADERS | PADDED | PRIORITY_FLAG,
        SETTINGS | PING => ACK,
        PUSH_PROMISE => END_HEADERS | PADDED,
        CONTINUATION => END_HEADERS,
        _ => 0,
    }
}

/// Whether `bytes` may begin with frames: each complete header in the first
/// few frames is a known type with defined flags, a valid stream and length
/// and at most the default frame size; a short tail counts when what is
/// there could begin one.
pub fn plausible(bytes: &[u8]) -> bool {
    let mut at = 0;
    for _ in 0..8 {
        let rest = match bytes.get(at..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => return true,
        };
        if rest.len() >= 4 && rest[3] > CONTINUATION {
            return false;
        }
        if rest.len() >= 5 && rest[4] & !defined_flags(rest[3]) != 0 {
            return false;
        }
        if rest.len() >= 6 && rest[5] & 0x80 != 0 {
            return false;
        }
        let Some(head) = Head::read(rest) else {
            return true;
        };
        if head.len > DEFAULT_MAX_FRAME || head.check().is_err() {
            return false;
        }
        at += head.total();
    }
    true
}

/// Where a HEADERS or PUSH_PROMISE frame's header-block fragment is in its
/// payload (after padding length, priority, promised stream id), and how
/// much padding ends it.
pub fn fragment_bounds(head: &Head, payload_prefix: &[u8]) -> Result<(usize, usize), Malformed> {
    let mut start = 0;
    let mut pad = 0;
    if head.has(PADDED) {
        pad = usize::from(*payload_prefix.first().ok_or(Malformed::Framing)?);
        start += 1;
    }
    match head.kind {
        HEADERS if head.has(PRIORITY_FLAG) => start += 5,
        PUSH_PROMISE => start += 4,
        _ => {}
    }
    if start + pad > head.len {
        return Err(Malformed::Framing);
    }
    Ok((start, head.len - pad))
}

/// Whether DATA frame `head` (its bytes as far as captured in `bytes`)
/// holds exactly one gRPC length-prefixed message: a compressed flag of 0
/// or 1 and a 4-byte length that is the rest of the payload.
pub fn one_grpc_message(head: &Head, bytes: &[u8]) -> bool {
    let mut at = HEADER_LEN;
    let mut len = head.len;
    if head.has(PADDED) {
        let Some(&pad) = bytes.get(at) else {
            return false;
        };
        at += 1;
        len = len.saturating_sub(1 + usize::from(pad));
    }
    let Some(prefix) = bytes.get(at..at + 5) else {
        return false;
    };
    let message = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize;
    prefix[0] <= 1 && len >= 5 && message == len - 5
}

/// The value of SETTINGS_HEADER_TABLE_SIZE in a SETTINGS payload, if set
/// (the last one counts, §6.5).
pub fn header_table_size(payload: &[u8]) -> Option<u32> {
    payload
        .chunks_exact(6)
        .filter(|s| u16::from_be_bytes([s[0], s[1]]) == SETTINGS_HEADER_TABLE_SIZE)
        .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]))
        .next_back()
}

/// The name RFC 9113 §7 gives an error code.
pub fn error_name(code: u32) -> &'static str {
    match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => "_OTHER",
    }
}
