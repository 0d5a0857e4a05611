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
