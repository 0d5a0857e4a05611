//! SkyWalking's v3 tracing messages (`language-agent/Tracing.proto`,
//! `common/Common.proto` of skywalking-data-collect-protocol), declared by hand with
//! their field numbers so that no protoc is needed. Only what a trace segment holds;
//! the other services' messages are never decoded (see [`crate::grpc`]). The same
//! structs read the agents' JSON (see [`crate::json`]).

/// `skywalking.v3.SegmentObject`: the spans one thread of one process made for a trace.
#[derive(Clone, PartialEq, prost::Message, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SegmentObject {
    #[prost(string, tag = "1")]
    #[serde(deserialize_with = "crate::json::string")]
    pub trace_id: String,
    #[prost(string, tag = "2")]
    #[serde(deserialize_with = "crate::json::string")]
    pub trace_segment_id: String,
    #[prost(message, repeated, tag = "3")]
    #[serde(deserialize_with = "crate::json::list")]
    pub spans: Vec<SpanObject>,
    #[prost(string, tag = "4")]
    #[serde(deserialize_with = "crate::json::string")]
    pub service: String,
    #[prost(string, tag = "5")]
    #[serde(deserialize_with = "crate::json::string")]
    pub service_instance: String,
    #[prost(bool, tag = "6")]
    #[serde(deserialize_with = "crate::json::boolean")]
    pub is_size_limited: bool,
}

/// `skywalking.v3.SegmentReference`: the span of another segment this one continues.
#[derive(Clone, PartialEq, prost::Message, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SegmentReference {
    #[prost(enumeration = "RefType", tag = "1")]
    #[serde(deserialize_with = "crate::json::ref_type")]
    pub ref_type: i32,
    #[prost(string, tag = "2")]
    #[serde(deserialize_with = "crate::json::string")]
    pub trace_id: String,
    #[prost(string, tag = "3")]
    #[serde(deserialize_with = "crate::json::string")]
    pub parent_trace_segment_id: String,
    #[prost(int32, tag = "4")]
    #[serde(deserialize_with = "crate::json::int32")]
    pub parent_span_id: i32,
    #[prost(string, tag = "5")]
    #[serde(deserialize_with = "crate::json::string")]
    pub parent_service: String,
    #[prost(string, tag = "6")]
    #[serde(deserialize_with = "crate::json::string")]
    pub parent_service_instance: String,
    #[prost(string, tag = "7")]
    #[serde(deserialize_with = "crate::json::string")]
    pub parent_endpoint: String,
    #[prost(string, tag = "8")]
    #[serde(deserialize_with = "crate::json::string")]
    pub network_address_used_at_peer: String,
}

/// `skywalking.v3.SpanObject`; times are epoch milliseconds.
#[derive(Clone, PartialEq, prost::Message, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SpanObject {
    #[prost(int32, tag = "1")]
    #[serde(deserialize_with = "crate::json::int32")]
    pub span_id: i32,
    #[prost(int32, tag = "2")]
    #[serde(deserialize_with = "crate::json::int32")]
    pub parent_span_id: i32,
    #[prost(int64, tag = "3")]
    #[serde(deserialize_with = "crate::json::int64")]
    pub start_time: i64,
    #[prost(int64, tag = "4")]
    #[serde(deserialize_with = "crate::json::int64")]
    pub end_time: i64,
    #[prost(message, repeated, tag = "5")]
    #[serde(deserialize_with = "crate::json::list")]
    pub refs: Vec<SegmentReference>,
    #[prost(string, tag = "6")]
    #[serde(deserialize_with = "crate::json::string")]
    pub operation_name: String,
    #[prost(string, tag = "7")]
    #[serde(deserialize_with = "crate::json::string")]
    pub peer: String,
    #[prost(enumeration = "SpanType", tag = "8")]
    #[serde(deserialize_with = "crate::json::span_type")]
    pub span_type: i32,
    #[prost(enumeration = "SpanLayer", tag = "9")]
    #[serde(deserialize_with = "crate::json::span_layer")]
    pub span_layer: i32,
    #[prost(int32, tag = "10")]
    #[serde(deserialize_with = "crate::json::int32")]
    pub component_id: i32,
    #[prost(bool, tag = "11")]
    #[serde(deserialize_with = "crate::json::boolean")]
    pub is_error: bool,
    #[prost(message, repeated, tag = "12")]
    #[serde(deserialize_with = "crate::json::list")]
    pub tags: Vec<KeyStringValuePair>,
    #[prost(message, repeated, tag = "13")]
    #[serde(deserialize_with = "crate::json::list")]
    pub logs: Vec<Log>,
    #[prost(bool, tag = "14")]
    #[serde(deserialize_with = "crate::json::boolean")]
    pub skip_analysis: bool,
}

/// `skywalking.v3.Log`: a timed set of key/values on a span.
#[derive(Clone, PartialEq, prost::Message, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Log {
    #[prost(int64, tag = "1")]
    #[serde(deserialize_with = "crate::json::int64")]
    pub time: i64,
    #[prost(message, repeated, tag = "2")]
    #[serde(deserialize_with = "crate::json::list")]
    pub data: Vec<KeyStringValuePair>,
}

/// `skywalking.v3.KeyStringValuePair`.
#[derive(Clone, PartialEq, prost::Message, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyStringValuePair {
    #[prost(string, tag = "1")]
    #[serde(deserialize_with = "crate::json::string")]
    pub key: String,
    #[prost(string, tag = "2")]
    #[serde(deserialize_with = "crate::json::string")]
    pub value: String,
}

/// `skywalking.v3.SegmentCollection`: what `collectInSync` takes.
#[derive(Clone, PartialEq, prost::Message, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SegmentCollection {
    #[prost(message, repeated, tag = "1")]
    #[serde(deserialize_with = "crate::json::list")]
    pub segments: Vec<SegmentObject>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SpanType {
    Entry = 0,
    Exit = 1,
    Local = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum RefType {
    CrossProcess = 0,
    CrossThread = 1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SpanLayer {
    Unknown = 0,
    Database = 1,
    RpcFramework = 2,
    Http = 3,
    Mq = 4,
    Cache = 5,
    Faas = 6,
}

impl SpanLayer {
    /// The name protobuf gives the value (its JSON form).
    pub fn proto_name(self) -> &'static str {
        match self {
            SpanLayer::Unknown => "Unknown",
            SpanLayer::Database => "Database",
            SpanLayer::RpcFramework => "RPCFramework",
            SpanLayer::Http => "Http",
            SpanLayer::Mq => "MQ",
            SpanLayer::Cache => "Cache",
            SpanLayer::Faas => "FAAS",
        }
    }
}

impl RefType {
    /// The name protobuf gives the value, as contrib writes it into `refType`; an
    /// unknown number is the number, as Go's generated `String()` writes it.
    pub fn name_of(value: i32) -> String {
        match RefType::try_from(value) {
            Ok(RefType::CrossProcess) => "CrossProcess".into(),
            Ok(RefType::CrossThread) => "CrossThread".into(),
            Err(_) => value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// The field numbers, checked against bytes encoded by hand from Tracing.proto.
    #[test]
    fn field_numbers_match_the_protocol() {
        let segment = SegmentObject {
            trace_id: "t".into(),
            trace_segment_id: "s".into(),
            spans: vec![SpanObject {
                span_id: 1,
                parent_span_id: -1,
                start_time: 2,
                end_time: 3,
                refs: vec![SegmentReference {
                    ref_type: 1,
                    trace_id: "r".into(),
                    parent_trace_segment_id: "p".into(),
                    parent_span_id: 4,
                    parent_service: "a".into(),
                    parent_service_instance: "b".into(),
                    parent_endpoint: "c".into(),
                    network_address_used_at_peer: "d".into(),
                }],
                operation_name: "o".into(),
                peer: "e".into(),
                span_type: 1,
                span_layer: 3,
                component_id: 5,
                is_error: true,
                tags: vec![KeyStringValuePair {
                    key: "k".into(),
                    value: "v".into(),
                }],
                logs: vec![Log {
                    time: 6,
                    data: vec![],
                }],
                skip_analysis: true,
            }],
            service: "x".into(),
            service_instance: "y".into(),
            is_size_limited: true,
        };
        let reference = [
            0x08, 1, 0x12, 1, b'r', 0x1a, 1, b'p', 0x20, 4, 0x2a, 1, b'a', 0x32, 1, b'b', 0x3a, 1,
            b'c', 0x42, 1, b'd',
        ];
        let mut span = vec![0x08, 1, 0x10];
        span.extend([0xff; 9]);
        span.extend([0x01, 0x18, 2, 0x20, 3, 0x2a, reference.len() as u8]);
        span.extend(reference);
        span.extend([
            0x32, 1, b'o', 0x3a, 1, b'e', 0x40, 1, 0x48, 3, 0x50, 5, 0x58, 1,
        ]);
        span.extend([
            0x62, 6, 0x0a, 1, b'k', 0x12, 1, b'v', 0x6a, 2, 0x08, 6, 0x70, 1,
        ]);
        let mut expected = vec![0x0a, 1, b't', 0x12, 1, b's', 0x1a, span.len() as u8];
        expected.extend(span);
        expected.extend([0x22, 1, b'x', 0x2a, 1, b'y', 0x30, 1]);
        assert_eq!(segment.encode_to_vec(), expected);
        assert_eq!(SegmentObject::decode(expected.as_slice()).unwrap(), segment);
        let collection = SegmentCollection {
            segments: vec![segment],
        };
        let bytes = collection.encode_to_vec();
        assert_eq!(bytes[0], 0x0a);
        assert_eq!(
            SegmentCollection::decode(bytes.as_slice()).unwrap(),
            collection
        );
    }

    #[test]
    fn garbage_does_not_decode() {
        let err = SegmentObject::decode(&b"\x0a\xff\xff garbage"[..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to decode Protobuf message: SegmentObject.trace_id: buffer underflow"
        );
    }
}
