use super::*;
use crate::proto::{KeyStringValuePair, Log, SegmentReference, SpanObject};

/// The body the Python agent 1.2.0 POSTs to `/v3/segment` (`client/http.py`): enums
/// by name except `refType` (a number), `peer` null on an entry span.
const PYTHON_AGENT_SEGMENT: &str = r#"{
  "traceId": "d6f0245ee9f111f1854e02fc00000001",
  "traceSegmentId": "d6f022cee9f111f1854e02fc00000001",
  "service": "flask-http",
  "serviceInstance": "flask-http-1",
  "isSizeLimited": false,
  "spans": [
    {"spanId": 1, "parentSpanId": 0, "startTime": 1795736032765, "endTime": 1795736032772,
     "operationName": "/hello.txt", "peer": "127.0.0.1:37145", "spanType": "Exit",
     "spanLayer": "Http", "componentId": 7002, "isError": false,
     "logs": [{"time": 1795736032770, "data": [{"key": "event", "value": "error"}]}],
     "tags": [{"key": "http.method", "value": "GET"}], "refs": []},
    {"spanId": 0, "parentSpanId": -1, "startTime": 1795736032764, "endTime": 1795736032773,
     "operationName": "/call", "peer": null, "spanType": "Entry", "spanLayer": "Http",
     "componentId": 7001, "isError": true, "logs": [], "tags": [],
     "refs": [{"refType": 0, "traceId": "d6f0245ee9f111f1854e02fc00000001",
               "parentTraceSegmentId": "0123456789abcdef0123456789abcdef",
               "parentSpanId": 2, "parentService": "gateway",
               "parentServiceInstance": "gateway-1", "parentEndpoint": "/api",
               "networkAddressUsedAtPeer": "127.0.0.1:54551"}]}
  ]
}"#;

fn pair(key: &str, value: &str) -> KeyStringValuePair {
    KeyStringValuePair {
        key: key.into(),
        value: value.into(),
    }
}

#[test]
fn the_python_agents_segment_decodes() {
    let segment = segment(PYTHON_AGENT_SEGMENT.as_bytes()).unwrap();
    let expected = SegmentObject {
        trace_id: "d6f0245ee9f111f1854e02fc00000001".into(),
        trace_segment_id: "d6f022cee9f111f1854e02fc00000001".into(),
        service: "flask-http".into(),
        service_instance: "flask-http-1".into(),
        is_size_limited: false,
        spans: vec![
            SpanObject {
                span_id: 1,
                parent_span_id: 0,
                start_time: 1_795_736_032_765,
                end_time: 1_795_736_032_772,
                operation_name: "/hello.txt".into(),
                peer: "127.0.0.1:37145".into(),
                span_type: SpanType::Exit as i32,
                span_layer: SpanLayer::Http as i32,
                component_id: 7002,
                logs: vec![Log {
                    time: 1_795_736_032_770,
                    data: vec![pair("event", "error")],
                }],
                tags: vec![pair("http.method", "GET")],
                ..Default::default()
            },
            SpanObject {
                span_id: 0,
                parent_span_id: -1,
                start_time: 1_795_736_032_764,
                end_time: 1_795_736_032_773,
                operation_name: "/call".into(),
                span_type: SpanType::Entry as i32,
                span_layer: SpanLayer::Http as i32,
                component_id: 7001,
                is_error: true,
                refs: vec![SegmentReference {
                    ref_type: RefType::CrossProcess as i32,
                    trace_id: "d6f0245ee9f111f1854e02fc00000001".into(),
                    parent_trace_segment_id: "0123456789abcdef0123456789abcdef".into(),
                    parent_span_id: 2,
                    parent_service: "gateway".into(),
                    parent_service_instance: "gateway-1".into(),
                    parent_endpoint: "/api".into(),
                    network_address_used_at_peer: "127.0.0.1:54551".into(),
                }],
                ..Default::default()
            },
        ],
    };
    assert_eq!(segment, expected);
}

#[test]
fn protobufs_json_forms_are_taken() {
    // Integers as strings, enums as numbers or by every name, nulls, unknown fields.
    let body = br#"[{"traceId": "t", "spans": [
        {"spanId": "3", "parentSpanId": "-1", "startTime": "1700000000123", "endTime": 1.7e12,
         "spanType": 2, "spanLayer": "MQ", "isError": null, "tags": null, "extra": {"x": 1}},
        {"spanType": "Local", "spanLayer": "RPCFramework"},
        {"spanLayer": "FAAS", "refs": [{"refType": "CrossThread"}]}
    ]}, {}]"#;
    let got = segments(body).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], SegmentObject::default());
    let spans = &got[0].spans;
    assert_eq!(
        (
            spans[0].span_id,
            spans[0].parent_span_id,
            spans[0].start_time,
            spans[0].end_time
        ),
        (3, -1, 1_700_000_000_123, 1_700_000_000_000)
    );
    assert_eq!(
        (spans[0].span_type, spans[0].span_layer),
        (SpanType::Local as i32, SpanLayer::Mq as i32)
    );
    assert!(!spans[0].is_error && spans[0].tags.is_empty());
    assert_eq!(spans[1].span_layer, SpanLayer::RpcFramework as i32);
    assert_eq!(spans[2].span_layer, SpanLayer::Faas as i32);
    assert_eq!(spans[2].refs[0].ref_type, RefType::CrossThread as i32);
}

#[test]
fn errors_say_what_and_where() {
    let cases: [(&[u8], &str); 5] = [
        (b"[{\"traceId\": \"x\",\n \"spans\": [}]", "expected value at line 2 column 12"),
        (
            br#"[{"spans": [{"spanType": "Sideways"}]}]"#,
            r#"invalid value: string "Sideways", expected a SpanType (Entry, Exit, Local or a number) at line 1 column 35"#,
        ),
        (
            br#"[{"spans": [{"spanId": 4294967296}]}]"#,
            "invalid value: integer `4294967296`, expected an integer of 32 bits at line 1 column 33",
        ),
        (
            br#"[{"spans": [{"startTime": "soon"}]}]"#,
            r#"invalid value: string "soon", expected an integer of 64 bits at line 1 column 32"#,
        ),
        (br#"{"traceId": "t"}"#, "invalid type: map, expected a sequence at line 1 column 0"),
    ];
    for (body, message) in cases {
        let err = segments(body).unwrap_err();
        assert_eq!(
            err.to_string(),
            message,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}
