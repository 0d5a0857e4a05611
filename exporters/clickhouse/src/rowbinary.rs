//! ClickHouse's RowBinary format, the few types contrib's tables use: rows are the
//! columns' values back to back, in the insert's column order, with no framing.
//!
//! * `String`, `LowCardinality(String)`: length as unsigned LEB128, then the bytes.
//! * `UInt8` .. `UInt64`, `Int32`, `Int64`, `Float64`: little-endian, fixed width.
//! * `Bool`: one byte, 0 or 1.
//! * `DateTime64(9)`: nanoseconds since the epoch as a little-endian `Int64`.
//! * `Array(T)`: element count as LEB128, then the elements.
//! * `Map(K, V)`: entry count as LEB128, then key, value, key, value ...
//! * A `Nested` column is its sub-columns, each an `Array` of the same length.

/// Appends RowBinary values to a buffer.
#[derive(Debug, Default)]
pub struct RowWriter {
    pub buf: Vec<u8>,
}

impl RowWriter {
    pub fn with_capacity(n: usize) -> RowWriter {
        RowWriter {
            buf: Vec::with_capacity(n),
        }
    }

    pub fn leb128(&mut self, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub fn string(&mut self, s: &[u8]) {
        self.leb128(s.len() as u64);
        self.buf.extend_from_slice(s);
    }

    pub fn uint64(&mut self, n: u64) {
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    pub fn uint8(&mut self, n: u8) {
        self.buf.push(n);
    }

    pub fn uint32(&mut self, n: u32) {
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    pub fn int32(&mut self, n: i32) {
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    /// `Bool` (contrib's `Boolean`): one byte, 0 or 1.
    pub fn bool(&mut self, b: bool) {
        self.buf.push(u8::from(b));
    }

    /// `Float64`: IEEE 754, little-endian.
    pub fn float64(&mut self, x: f64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    pub fn int64(&mut self, n: i64) {
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    /// `DateTime64(9)` from OTLP's unsigned nanoseconds; past year 2262 it saturates.
    pub fn datetime64_nanos(&mut self, nanos: u64) {
        self.int64(i64::try_from(nanos).unwrap_or(i64::MAX));
    }

    /// The count that starts an `Array` or a `Map`.
    pub fn len(&mut self, n: usize) {
        self.leb128(n as u64);
    }

    pub fn bytes(&mut self, raw: &[u8]) {
        self.buf.extend_from_slice(raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_boundaries() {
        let mut w = RowWriter::default();
        for n in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::MAX] {
            w.leb128(n);
        }
        assert_eq!(
            w.buf,
            [
                vec![0x00, 0x01, 0x7f, 0x80, 0x01, 0xac, 0x02, 0xff, 0x7f, 0x80, 0x80, 0x01],
                vec![0xff; 9],
                vec![0x01]
            ]
            .concat()
        );
    }

    #[test]
    fn scalars() {
        let mut w = RowWriter::default();
        w.string(b"ab");
        w.uint64(0x0102);
        w.datetime64_nanos(u64::MAX);
        w.uint8(7);
        w.uint32(0x0a0b0c0d);
        w.int32(-2);
        w.bool(true);
        w.float64(1.5);
        assert_eq!(
            w.buf,
            [
                &[2, b'a', b'b'][..],
                &[2, 1, 0, 0, 0, 0, 0, 0],
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                &[7],
                &[0x0d, 0x0c, 0x0b, 0x0a],
                &[0xfe, 0xff, 0xff, 0xff],
                &[1],
                &[0, 0, 0, 0, 0, 0, 0xf8, 0x3f],
            ]
            .concat()
        );
    }
}
