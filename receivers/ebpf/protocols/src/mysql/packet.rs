//! The framing both directions share: a 3-byte little-endian payload length
//! and a 1-byte sequence id, then the payload; a payload of 0xFFFFFF bytes
//! goes on in the next packet. And the field encodings inside payloads.

/// Bytes before a payload.
pub(crate) const HEADER: usize = 4;

/// A payload this long continues in the next packet.
pub(crate) const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// Capability flags the parser reads (the client's handshake response and
/// the server's greeting carry them).
pub(crate) mod cap {
    pub const CONNECT_WITH_DB: u32 = 0x0000_0008;
    pub const COMPRESS: u32 = 0x0000_0020;
    pub const PROTOCOL_41: u32 = 0x0000_0200;
    pub const SSL: u32 = 0x0000_0800;
    pub const SECURE_CONNECTION: u32 = 0x0000_8000;
    pub const PLUGIN_AUTH_LENENC_DATA: u32 = 0x0020_0000;
    pub const DEPRECATE_EOF: u32 = 0x0100_0000;
}

/// Status flags of OK and EOF packets.
pub(crate) const MORE_RESULTS_EXISTS: u16 = 0x0008;

/// A packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Payload bytes.
    pub len: usize,
    pub seq: u8,
}

impl Header {
    /// Bytes on the wire, header included.
    pub fn total(&self) -> usize {
        HEADER + self.len
    }

    /// Whether the payload goes on in the next packet.
    pub fn continues(&self) -> bool {
        self.len == MAX_PAYLOAD
    }
}

/// The header at the start of `b`, when its four bytes are there.
pub(crate) fn header(b: &[u8]) -> Option<Header> {
    let [a, b1, c, seq, ..] = *b else {
        return None;
    };
    Some(Header {
        len: u32::from_le_bytes([a, b1, c, 0]) as usize,
        seq,
    })
}

/// The packet at the start of `b`: its header and as much of its payload
/// as `b` holds.
pub(crate) fn packet(b: &[u8]) -> Option<(Header, &[u8])> {
    let h = header(b)?;
    let end = b.len().min(h.total());
    Some((h, &b[HEADER..end]))
}

/// A length-encoded integer at the start of `b` and the bytes it took;
/// `None` when cut short or when the first byte starts no integer (0xFB is
/// NULL, 0xFF an error packet's header).
pub(crate) fn lenenc(b: &[u8]) -> Option<(u64, usize)> {
    let (&first, rest) = b.split_first()?;
    let width = match first {
        0..=0xFA => return Some((u64::from(first), 1)),
        0xFC => 2,
        0xFD => 3,
        0xFE => 8,
        _ => return None,
    };
    let bytes = rest.get(..width)?;
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(bytes);
    Some((u64::from_le_bytes(le), 1 + width))
}

/// A NUL-terminated string at the start of `b`, and the bytes after it.
pub(crate) fn cstr(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = memchr::memchr(0, b)?;
    Some((&b[..n], &b[n + 1..]))
}

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let x = b.get(at..at + 2)?;
    Some(u16::from_le_bytes([x[0], x[1]]))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let x = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}
