//! The spans this receiver makes, written as OTLP protobuf straight into the
//! batch's bytes: no structs, no allocation per attribute, nothing to encode
//! again downstream (the batch leaves as `Payload::Encoded`). Field numbers are
//! opentelemetry-proto's: `trace.v1.Span`, `common.v1.KeyValue` / `AnyValue` /
//! `ArrayValue`, `trace.v1.Status`.

const LEN: u8 = 2;
const VARINT: u8 = 0;
const FIXED64: u8 = 1;

use prost::encoding::{encode_varint, encoded_len_varint as varint_len};

fn put_key(out: &mut Vec<u8>, field: u32, wire: u8) {
    encode_varint(u64::from(field << 3 | u32::from(wire)), out);
}

/// A length-delimited field: key, length, then the bytes.
pub fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_len(out, field, bytes.len());
    out.extend_from_slice(bytes);
}

/// The key and length of a length-delimited field whose bytes follow.
pub fn put_len(out: &mut Vec<u8>, field: u32, len: usize) {
    put_key(out, field, LEN);
    encode_varint(len as u64, out);
}

/// Bytes a length-delimited field of `len` bytes takes (its field number below 16).
pub fn delimited_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// What a span is besides its attributes.
pub struct SpanHeader<'a> {
    pub trace_id: &'a [u8; 16],
    pub span_id: &'a [u8; 8],
    pub parent_span_id: Option<&'a [u8; 8]>,
    pub name: &'a str,
    pub kind: i32,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub status_code: i32,
}

/// Writes spans one at a time: attributes first, then [`SpanWriter::finish`].
/// Its buffers are reused from span to span.
#[derive(Default)]
pub struct SpanWriter {
    attributes: Vec<u8>,
    span: Vec<u8>,
}

impl SpanWriter {
    /// A string attribute.
    pub fn text(&mut self, key: &str, value: &str) {
        let any = delimited_len(value.len());
        self.key_value(key, any);
        put_bytes(&mut self.attributes, 1, value.as_bytes());
    }

    /// An int attribute.
    pub fn int(&mut self, key: &str, value: i64) {
        let any = 1 + varint_len(value as u64);
        self.key_value(key, any);
        put_key(&mut self.attributes, 3, VARINT);
        encode_varint(value as u64, &mut self.attributes);
    }

    /// A bool attribute.
    pub fn boolean(&mut self, key: &str, value: bool) {
        self.key_value(key, 2);
        put_key(&mut self.attributes, 2, VARINT);
        encode_varint(u64::from(value), &mut self.attributes);
    }

    /// A string-array attribute.
    pub fn texts(&mut self, key: &str, values: &[String]) {
        let array: usize = values
            .iter()
            .map(|v| delimited_len(delimited_len(v.len())))
            .sum();
        let any = delimited_len(array);
        self.key_value(key, any);
        put_len(&mut self.attributes, 5, array);
        for v in values {
            put_len(&mut self.attributes, 1, delimited_len(v.len()));
            put_bytes(&mut self.attributes, 1, v.as_bytes());
        }
    }

    /// A string-array attribute of one element (`http.request.header.*`).
    pub fn text_array(&mut self, key: &str, value: &str) {
        let element = delimited_len(value.len());
        let array = delimited_len(element);
        let any = delimited_len(array);
        self.key_value(key, any);
        put_len(&mut self.attributes, 5, array);
        put_len(&mut self.attributes, 1, element);
        put_bytes(&mut self.attributes, 1, value.as_bytes());
    }

    /// `Span.attributes` entry header, then `KeyValue.key`, then the head of
    /// `KeyValue.value` (an `AnyValue` of `any` bytes, which the caller writes).
    fn key_value(&mut self, key: &str, any: usize) {
        let kv = delimited_len(key.len()) + delimited_len(any);
        put_len(&mut self.attributes, 9, kv);
        put_bytes(&mut self.attributes, 1, key.as_bytes());
        put_len(&mut self.attributes, 2, any);
    }

    /// Appends the span, as a `ScopeSpans.spans` field, to `out`, and starts over.
    pub fn finish(&mut self, header: &SpanHeader<'_>, out: &mut Vec<u8>) {
        let span = &mut self.span;
        span.clear();
        put_bytes(span, 1, header.trace_id);
        put_bytes(span, 2, header.span_id);
        if let Some(parent) = header.parent_span_id {
            put_bytes(span, 4, parent);
        }
        put_bytes(span, 5, header.name.as_bytes());
        if header.kind != 0 {
            put_key(span, 6, VARINT);
            encode_varint(header.kind as u64, span);
        }
        put_key(span, 7, FIXED64);
        span.extend_from_slice(&header.start_unix_nano.to_le_bytes());
        put_key(span, 8, FIXED64);
        span.extend_from_slice(&header.end_unix_nano.to_le_bytes());
        span.extend_from_slice(&self.attributes);
        // Status is always present, as an empty message when its code is UNSET.
        if header.status_code != 0 {
            let status = 1 + varint_len(header.status_code as u64);
            put_len(span, 15, status);
            put_key(span, 3, VARINT);
            encode_varint(header.status_code as u64, span);
        } else {
            put_len(span, 15, 0);
        }
        put_bytes(out, 2, span);
        self.attributes.clear();
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use sonde_api::pdata::common::v1::{any_value::Value, AnyValue, ArrayValue, KeyValue};
    use sonde_api::pdata::trace::v1::{ScopeSpans, Span, Status};

    use super::*;

    fn kv(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    /// What the writer produces decodes to the struct prost would have encoded.
    #[test]
    fn decodes_to_the_same_span() {
        let mut w = SpanWriter::default();
        let long = "x".repeat(300);
        w.text("http.request.method", "GET");
        w.int("http.response.status_code", 503);
        w.int("negative", -1);
        w.int("zero", 0);
        w.text_array("http.request.header.x-request-id", "r-1");
        w.text("long", &long);
        let mut out = Vec::new();
        let header = SpanHeader {
            trace_id: &[1; 16],
            span_id: &[2; 8],
            parent_span_id: Some(&[3; 8]),
            name: "GET /users/{id}",
            kind: 2,
            start_unix_nano: 1_700_000_000_000_000_000,
            end_unix_nano: 1_700_000_000_500_000_000,
            status_code: 2,
        };
        w.finish(&header, &mut out);
        // A second span reuses the buffers: no parent, no attributes, status unset.
        w.finish(
            &SpanHeader {
                parent_span_id: None,
                status_code: 0,
                kind: 0,
                ..header
            },
            &mut out,
        );
        let scope = ScopeSpans::decode(out.as_slice()).unwrap();
        let expected = Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            parent_span_id: vec![3; 8],
            name: "GET /users/{id}".into(),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_500_000_000,
            attributes: vec![
                kv("http.request.method", Value::StringValue("GET".into())),
                kv("http.response.status_code", Value::IntValue(503)),
                kv("negative", Value::IntValue(-1)),
                kv("zero", Value::IntValue(0)),
                kv(
                    "http.request.header.x-request-id",
                    Value::ArrayValue(ArrayValue {
                        values: vec![AnyValue {
                            value: Some(Value::StringValue("r-1".into())),
                        }],
                    }),
                ),
                kv("long", Value::StringValue(long.clone())),
            ],
            status: Some(Status {
                code: 2,
                message: String::new(),
            }),
            ..Default::default()
        };
        assert_eq!(scope.spans[0], expected);
        assert_eq!(
            scope.spans[1],
            Span {
                parent_span_id: Vec::new(),
                kind: 0,
                attributes: Vec::new(),
                status: Some(Status::default()),
                ..expected
            }
        );
        // Byte for byte what prost writes for the same struct.
        assert_eq!(
            out,
            ScopeSpans {
                spans: scope.spans.clone(),
                ..Default::default()
            }
            .encode_to_vec()
        );
    }

    #[test]
    fn varint_lengths() {
        for value in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            encode_varint(value, &mut out);
            assert_eq!(out.len(), varint_len(value), "{value}");
        }
    }
}
