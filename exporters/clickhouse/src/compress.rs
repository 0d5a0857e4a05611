//! The insert body on the wire, per `compress`.
//!
//! * `lz4`: ClickHouse's own compressed blocks, announced by `decompress=1` in the
//!   URL. Each block is a 16-byte CityHash128 (v1.0.2) of what follows, the method
//!   byte (`0x82` LZ4), the block's size with its 9-byte header and the raw size (both
//!   u32 little-endian), then the LZ4 block. Blocks hold at most 1 MiB of raw data, as
//!   ClickHouse's clients write them.
//! * `zstd`, `gzip`, `deflate`: HTTP `Content-Encoding`, which ClickHouse decodes.
//! * `none`: the RowBinary as it is.

use std::io::Write;

use crate::config::Compress;

/// Raw bytes per compressed block.
const BLOCK: usize = 1 << 20;
const METHOD_LZ4: u8 = 0x82;
const HEADER: usize = 9;

/// How the server is told what it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// Add `decompress=1` to the URL.
    Blocks,
    /// Send this `Content-Encoding`.
    ContentEncoding(&'static str),
    Plain,
}

impl Compress {
    pub fn wire(self) -> Wire {
        match self {
            Compress::Lz4 => Wire::Blocks,
            Compress::Zstd => Wire::ContentEncoding("zstd"),
            Compress::Gzip => Wire::ContentEncoding("gzip"),
            Compress::Deflate => Wire::ContentEncoding("deflate"),
            // Refused by validate(); sent plain if it ever got here.
            Compress::Br | Compress::None => Wire::Plain,
        }
    }
}

/// ClickHouse's checksum of a block: CityHash128 v1.0.2 as two little-endian u64, the
/// hash's first half (cityhash-rs puts it in the high bits of its u128) first.
pub fn block_checksum(block: &[u8]) -> [u8; 16] {
    let hash = cityhash_rs::cityhash_102_128(block);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&((hash >> 64) as u64).to_le_bytes());
    out[8..].copy_from_slice(&(hash as u64).to_le_bytes());
    out
}

/// `raw` as LZ4 blocks in ClickHouse's framing.
pub fn lz4_blocks(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() / 2 + 64);
    for chunk in raw.chunks(BLOCK) {
        let start = out.len();
        let body = start + 16 + HEADER;
        // Compressed in place, after its header: no second buffer, no copy.
        out.resize(
            body + lz4_flex::block::get_maximum_output_size(chunk.len()),
            0,
        );
        let compressed = match lz4_flex::block::compress_into(chunk, &mut out[body..]) {
            Ok(n) => n,
            // Not with the maximum size at hand; kept safe all the same.
            Err(_) => {
                let compressed = lz4_flex::block::compress(chunk);
                out.truncate(body);
                out.extend_from_slice(&compressed);
                compressed.len()
            }
        };
        out.truncate(body + compressed);
        out[start + 16] = METHOD_LZ4;
        // A chunk is at most 1 MiB, and its LZ4 form only slightly more: both fit u32.
        out[start + 17..start + 21].copy_from_slice(&((compressed + HEADER) as u32).to_le_bytes());
        out[start + 21..body].copy_from_slice(&(chunk.len() as u32).to_le_bytes());
        let checksum = block_checksum(&out[start + 16..]);
        out[start..start + 16].copy_from_slice(&checksum);
    }
    out
}

/// The body for `compress`.
pub fn encode(compress: Compress, raw: Vec<u8>) -> Vec<u8> {
    match compress {
        Compress::Lz4 => lz4_blocks(&raw),
        Compress::Zstd => zstd::bulk::compress(&raw, 1).unwrap_or(raw),
        Compress::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            // Writing into a Vec cannot fail.
            let _ = enc.write_all(&raw);
            enc.finish().unwrap_or_default()
        }
        Compress::Deflate => {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = enc.write_all(&raw);
            enc.finish().unwrap_or_default()
        }
        Compress::Br | Compress::None => raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_block_framing() {
        let raw = b"hello hello hello hello hello".to_vec();
        let body = lz4_blocks(&raw);
        assert_eq!(body[16], 0x82);
        let size = u32::from_le_bytes(body[17..21].try_into().unwrap()) as usize;
        let raw_size = u32::from_le_bytes(body[21..25].try_into().unwrap()) as usize;
        assert_eq!(size, body.len() - 16);
        assert_eq!(raw_size, raw.len());
        assert_eq!(&body[..16], &block_checksum(&body[16..]));
        assert_eq!(
            lz4_flex::block::decompress(&body[25..], raw_size).unwrap(),
            raw
        );
    }

    #[test]
    fn checksum_is_clickhouse_order() {
        // CityHash128 v1.0.2 of "abc" is 0x900ff195577748fe_13a9176355b20d7e (as
        // clickhouse-cityhash reports it); ClickHouse stores the first half first.
        let mut want = 0x900ff195577748feu64.to_le_bytes().to_vec();
        want.extend_from_slice(&0x13a9176355b20d7eu64.to_le_bytes());
        assert_eq!(block_checksum(b"abc").to_vec(), want);
    }

    #[test]
    fn lz4_splits_big_bodies() {
        let raw = vec![7u8; BLOCK * 2 + 10];
        let body = lz4_blocks(&raw);
        let mut at = 0;
        let mut total = 0;
        let mut blocks = 0;
        while at < body.len() {
            let size = u32::from_le_bytes(body[at + 17..at + 21].try_into().unwrap()) as usize;
            total += u32::from_le_bytes(body[at + 21..at + 25].try_into().unwrap()) as usize;
            at += 16 + size;
            blocks += 1;
        }
        assert_eq!((blocks, total, at), (3, raw.len(), body.len()));
    }

    #[test]
    fn content_encodings_round_trip() {
        use std::io::Read;
        let raw = b"rows rows rows".to_vec();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&encode(Compress::Gzip, raw.clone())[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, raw);
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&encode(Compress::Deflate, raw.clone())[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, raw);
        assert_eq!(
            zstd::bulk::decompress(&encode(Compress::Zstd, raw.clone()), 100).unwrap(),
            raw
        );
        assert_eq!(encode(Compress::None, raw.clone()), raw);
    }
}
