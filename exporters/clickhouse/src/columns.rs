//! Column values shared by every table: ids in hex, attribute maps, the service name.

use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::attributes::value_string;
use crate::rowbinary::RowWriter;

/// Each byte's two lower-case hex digits.
const HEX: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 0x0f]];
        i += 1;
    }
    table
};

fn hex_digits(id: &[u8], w: &mut RowWriter) {
    w.len(id.len() * 2);
    w.buf.reserve(id.len() * 2);
    for b in id {
        w.buf.extend_from_slice(&HEX[*b as usize]);
    }
}

/// Lower-case hex, or nothing for an empty or all-zero id.
pub fn hex_id(id: &[u8], w: &mut RowWriter) {
    if id.iter().all(|b| *b == 0) {
        w.string(b"");
        return;
    }
    hex_digits(id, w);
}

/// A `Map(LowCardinality(String), String)`.
pub fn attributes(attrs: &[KeyValue], w: &mut RowWriter, scratch: &mut String) {
    w.len(attrs.len());
    for kv in attrs {
        w.string(kv.key.as_bytes());
        scratch.clear();
        value_string(kv.value.as_ref(), scratch);
        w.string(scratch.as_bytes());
    }
}

pub fn service_name(attrs: &[KeyValue]) -> String {
    let mut out = String::new();
    if let Some(kv) = attrs.iter().find(|kv| kv.key == "service.name") {
        value_string(kv.value.as_ref(), &mut out);
    }
    out
}

/// Lower-case hex of every byte, zeros included, as Go's `hex.EncodeToString` of a
/// pdata id (contrib's exemplar ids); an absent id is `width` zero bytes.
pub fn hex_id_full(id: &[u8], width: usize, w: &mut RowWriter) {
    if id.is_empty() {
        w.len(width * 2);
        w.buf.extend(std::iter::repeat_n(b'0', width * 2));
        return;
    }
    hex_digits(id, w);
}
