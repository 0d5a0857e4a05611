//! Exact RowBinary bytes of small spans.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Status};

use super::*;
use opentelemetry_proto::tonic::common::v1::KeyValue;

fn kv(key: &str, v: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", Value::StringValue("svc".into()))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "lib".into(),
                    version: "1.0".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// A LEB128-length string.
fn s(text: &str) -> Vec<u8> {
    let mut out = vec![text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

#[test]
fn minimal_span_exact_bytes() {
    let span = Span {
        trace_id: vec![0x01; 16],
        span_id: vec![0xab; 8],
        parent_span_id: vec![],
        name: "GET /".into(),
        kind: 2,
        start_time_unix_nano: 1_000,
        end_time_unix_nano: 1_500,
        attributes: vec![kv("n", Value::IntValue(7))],
        status: Some(Status {
            message: "boom".into(),
            code: 2,
        }),
        ..Default::default()
    };
    let mut w = RowWriter::default();
    assert_eq!(encode_traces(&request(vec![span]), &mut w), 1);
    let expected = [
        1_000i64.to_le_bytes().to_vec(),                 // Timestamp
        s(&"01".repeat(16)),                             // TraceId
        s(&"ab".repeat(8)),                              // SpanId
        s(""),                                           // ParentSpanId
        s(""),                                           // TraceState
        s("GET /"),                                      // SpanName
        s("Server"),                                     // SpanKind
        s("svc"),                                        // ServiceName
        [vec![1], s("service.name"), s("svc")].concat(), // ResourceAttributes
        s("lib"),                                        // ScopeName
        s("1.0"),                                        // ScopeVersion
        [vec![1], s("n"), s("7")].concat(),              // SpanAttributes
        500u64.to_le_bytes().to_vec(),                   // Duration
        s("Error"),                                      // StatusCode
        s("boom"),                                       // StatusMessage
        vec![0, 0, 0],                                   // Events.*
        vec![0, 0, 0, 0],                                // Links.*
    ]
    .concat();
    assert_eq!(w.buf, expected);
}

#[test]
fn events_and_links_are_parallel_arrays() {
    let span = Span {
        trace_id: vec![0x02; 16],
        span_id: vec![0x03; 8],
        start_time_unix_nano: 10,
        end_time_unix_nano: 5, // before the start: duration 0
        events: vec![
            Event {
                time_unix_nano: 11,
                name: "e1".into(),
                attributes: vec![kv("k", Value::BoolValue(true))],
                dropped_attributes_count: 0,
            },
            Event {
                time_unix_nano: 12,
                name: "e2".into(),
                attributes: vec![],
                dropped_attributes_count: 0,
            },
        ],
        links: vec![Link {
            trace_id: vec![0x04; 16],
            span_id: vec![0x05; 8],
            trace_state: "a=b".into(),
            attributes: vec![kv("x", Value::DoubleValue(0.5))],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut w = RowWriter::default();
    encode_traces(&request(vec![span]), &mut w);
    let tail = [
        0u64.to_le_bytes().to_vec(), // Duration
        s("Unset"),
        s(""),
        vec![2],
        11i64.to_le_bytes().to_vec(),
        12i64.to_le_bytes().to_vec(),
        vec![2],
        s("e1"),
        s("e2"),
        vec![2],
        [vec![1], s("k"), s("true")].concat(),
        vec![0],
        vec![1],
        s(&"04".repeat(16)),
        vec![1],
        s(&"05".repeat(8)),
        vec![1],
        s("a=b"),
        vec![1],
        [vec![1], s("x"), s("0.5")].concat(),
    ]
    .concat();
    assert!(
        w.buf.ends_with(&tail),
        "tail differs:\n{:?}\n{:?}",
        &w.buf[w.buf.len().saturating_sub(tail.len())..],
        tail
    );
    // Unspecified kind, no attributes on the span.
    assert!(w
        .buf
        .windows(12)
        .any(|win| win == s("Unspecified").as_slice()));
}

#[test]
fn rows_per_span_and_no_resource() {
    let spans = vec![Span::default(), Span::default(), Span::default()];
    let mut req = request(spans);
    req.resource_spans[0].resource = None;
    let mut w = RowWriter::default();
    assert_eq!(encode_traces(&req, &mut w), 3);
}
