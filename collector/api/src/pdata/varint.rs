//! Base-128 varints read from a byte slice, by prost's rules (at most ten bytes, the
//! tenth carrying at most one bit), inline: the hot loop of every walk over protobuf
//! bytes (`scan`, and exporters that read fields where they lie). prost's own
//! `decode_varint` goes through the `Buf` trait and is not inlined there.

/// The varint at the front of `buf`, which then starts after it; `None` (and `buf`
/// unchanged) when it is truncated or too long.
#[inline(always)]
pub fn read(buf: &mut &[u8]) -> Option<u64> {
    // One byte is the common case: field keys, small lengths, enum values.
    if let Some((&first, rest)) = buf.split_first() {
        if first < 0x80 {
            *buf = rest;
            return Some(u64::from(first));
        }
    }
    let mut value = 0u64;
    for (i, byte) in buf.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if i == 9 && *byte > 1 {
                return None;
            }
            *buf = &buf[i + 1..];
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_prost_reads_and_refuses_what_it_refuses() {
        for n in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            prost::encoding::encode_varint(n, &mut buf);
            buf.push(0xff);
            let mut rest = &buf[..];
            assert_eq!(read(&mut rest), Some(n));
            assert_eq!(rest, [0xff]);
        }
        for bad in [
            &[][..],
            &[0x80],
            &[0x80; 10],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        ] {
            let mut rest = bad;
            assert_eq!(read(&mut rest), None);
            assert_eq!(rest, bad);
            let mut again = bad;
            assert!(prost::encoding::decode_varint(&mut again).is_err());
        }
    }
}
