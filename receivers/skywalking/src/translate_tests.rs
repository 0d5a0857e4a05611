use super::*;
use crate::proto::Log;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tag(key: &str, value: &str) -> KeyStringValuePair {
    KeyStringValuePair {
        key: key.into(),
        value: value.into(),
    }
}

fn attrs(kvs: &[KeyValue]) -> Vec<(String, String)> {
    kvs.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => format!("{s:?}"),
                Some(Value::IntValue(i)) => i.to_string(),
                other => panic!("unexpected value {other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn pairs_of(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A segment shaped like the Python agent's for a Flask request that called another
/// service with `requests`: the exit span first (it ends first), then the entry span,
/// which continues a caller's segment (one cross-process ref).
fn flask_segment() -> SegmentObject {
    SegmentObject {
        trace_id: "d6f0245ee9f111f1854e02fc00000001".into(),
        trace_segment_id: "d6f022cee9f111f1854e02fc00000001".into(),
        service: "flask-app".into(),
        service_instance: "flask-app-1".into(),
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
                is_error: true,
                tags: vec![
                    tag("http.method", "GET"),
                    tag("http.url", "http://127.0.0.1:37145/hello.txt"),
                    tag("http.status_code", "500"),
                ],
                logs: vec![Log {
                    time: 1_795_736_032_770,
                    data: vec![tag("event", "error"), tag("message", "boom")],
                }],
                ..Default::default()
            },
            SpanObject {
                span_id: 0,
                parent_span_id: -1,
                start_time: 1_795_736_032_764,
                end_time: 1_795_736_032_773,
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
                operation_name: "/call".into(),
                span_type: SpanType::Entry as i32,
                span_layer: SpanLayer::Http as i32,
                component_id: 7001,
                tags: vec![
                    tag("http.method", "GET"),
                    tag("url", "http://127.0.0.1:54551/call"),
                    tag("status_code", "200"),
                ],
                ..Default::default()
            },
        ],
    }
}

#[test]
fn a_flask_segment_translates_like_contrib() {
    let rs = segment_to_resource_spans(&flask_segment()).unwrap();
    let resource = rs.resource.unwrap();
    // The last span's `url` and `status_code` under their OTel names, then the segment's ids.
    assert_eq!(
        attrs(&resource.attributes),
        pairs_of(&[
            ("http.url", "\"http://127.0.0.1:54551/call\""),
            ("http.status_code", "\"200\""),
            ("service.name", "\"flask-app\""),
            ("service.instance.id", "\"flask-app-1\""),
            ("sw8.trace_id", "\"d6f0245ee9f111f1854e02fc00000001\""),
        ])
    );
    assert_eq!(rs.scope_spans.len(), 1);
    assert_eq!(
        rs.scope_spans[0].scope,
        Some(InstrumentationScope::default())
    );
    let [exit, entry] = rs.scope_spans[0].spans.as_slice() else {
        panic!("two spans expected");
    };

    assert_eq!(hex(&entry.trace_id), "d6f0245ee9f111f1854e02fc00000001");
    // d6f022cee9f111f1 XOR 854e02fc00000001, span 0 XORed into the first bytes.
    assert_eq!(hex(&entry.span_id), "53be2032e9f111f0");
    // No parent in the segment: the one ref's span is it (segment 0123..ef twice, so
    // its halves cancel out, leaving the span number 2).
    assert_eq!(hex(&entry.parent_span_id), "0200000000000000");
    assert_eq!(entry.name, "/call");
    assert_eq!(entry.kind, SpanKind::Server as i32);
    assert_eq!(entry.start_time_unix_nano, 1_795_736_032_764_000_000);
    assert_eq!(entry.end_time_unix_nano, 1_795_736_032_773_000_000);
    assert_eq!(
        entry.status,
        Some(Status {
            code: StatusCode::Ok as i32,
            message: "SUCCESS".into()
        })
    );
    assert_eq!(
        attrs(&entry.attributes),
        pairs_of(&[
            ("http.method", "\"GET\""),
            ("url", "\"http://127.0.0.1:54551/call\""),
            ("status_code", "\"200\""),
            ("sw8.segment_id", "\"d6f022cee9f111f1854e02fc00000001\""),
            ("sw8.span_id", "0"),
        ])
    );
    assert!(entry.events.is_empty());
    let [link] = entry.links.as_slice() else {
        panic!("one link expected");
    };
    assert_eq!(hex(&link.trace_id), "d6f0245ee9f111f1854e02fc00000001");
    assert_eq!(link.span_id, entry.parent_span_id);
    assert_eq!(link.trace_state, "");
    assert_eq!(
        attrs(&link.attributes),
        pairs_of(&[
            ("parent.service", "\"gateway\""),
            ("parent.service.instance", "\"gateway-1\""),
            ("parent.endpoint", "\"/api\""),
            ("network.AddressUsedAtPeer", "\"127.0.0.1:54551\""),
            ("refType", "\"CrossProcess\""),
            ("sw8.trace_id", "\"d6f0245ee9f111f1854e02fc00000001\""),
            (
                "sw8.parent_segment_id",
                "\"0123456789abcdef0123456789abcdef\""
            ),
            ("sw8.parent_span_id", "\"2\""),
        ])
    );

    assert_eq!(exit.trace_id, entry.trace_id);
    assert_eq!(hex(&exit.span_id), "52be2032e9f111f0");
    assert_eq!(exit.parent_span_id, entry.span_id);
    assert_eq!(exit.name, "/hello.txt");
    assert_eq!(exit.kind, SpanKind::Client as i32);
    assert_eq!(
        exit.status,
        Some(Status {
            code: StatusCode::Error as i32,
            message: "ERROR".into()
        })
    );
    assert_eq!(
        attrs(&exit.attributes),
        pairs_of(&[
            ("http.method", "\"GET\""),
            ("http.url", "\"http://127.0.0.1:37145/hello.txt\""),
            ("http.status_code", "\"500\""),
            ("sw8.segment_id", "\"d6f022cee9f111f1854e02fc00000001\""),
            ("sw8.span_id", "1"),
            ("sw8.parent_span_id", "0"),
        ])
    );
    let [event] = exit.events.as_slice() else {
        panic!("one event expected");
    };
    assert_eq!(event.name, "logs");
    assert_eq!(event.time_unix_nano, 1_795_736_032_770_000_000);
    assert_eq!(
        attrs(&event.attributes),
        pairs_of(&[("event", "\"error\""), ("message", "\"boom\"")])
    );
    assert!(exit.links.is_empty());
}

#[test]
fn kinds_follow_type_and_layer() {
    let cases = [
        (
            SpanType::Entry as i32,
            SpanLayer::Http as i32,
            SpanKind::Server,
        ),
        (
            SpanType::Exit as i32,
            SpanLayer::Database as i32,
            SpanKind::Client,
        ),
        (
            SpanType::Local as i32,
            SpanLayer::Unknown as i32,
            SpanKind::Internal,
        ),
        (
            SpanType::Entry as i32,
            SpanLayer::Mq as i32,
            SpanKind::Consumer,
        ),
        (
            SpanType::Exit as i32,
            SpanLayer::Mq as i32,
            SpanKind::Producer,
        ),
        (
            SpanType::Local as i32,
            SpanLayer::Mq as i32,
            SpanKind::Unspecified,
        ),
        (7, SpanLayer::Http as i32, SpanKind::Unspecified),
        (SpanType::Exit as i32, 42, SpanKind::Client),
    ];
    for (span_type, span_layer, expected) in cases {
        let span = SpanObject {
            span_type,
            span_layer,
            ..Default::default()
        };
        assert_eq!(kind(&span), expected, "{span_type} {span_layer}");
    }
}

#[test]
fn a_first_span_with_several_refs_has_no_parent_but_every_link() {
    let reference = |segment: &str, span: i32, ref_type: i32| SegmentReference {
        ref_type,
        trace_id: "de5980b8-fce3-4a37-aab9-b4ac3af7eedd".into(),
        parent_trace_segment_id: segment.into(),
        parent_span_id: span,
        ..Default::default()
    };
    let segment = SegmentObject {
        trace_id: "de5980b8-fce3-4a37-aab9-b4ac3af7eedd".into(),
        trace_segment_id: "short".into(),
        spans: vec![SpanObject {
            parent_span_id: -1,
            refs: vec![
                reference("00000000000000000000000000000000", 1, 0),
                reference("ffffffffffffffffffffffffffffffff", 0, 1),
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let rs = segment_to_resource_spans(&segment).unwrap();
    let span = &rs.scope_spans[0].spans[0];
    assert_eq!(hex(&span.trace_id), "de5980b8fce34a37aab9b4ac3af7eedd");
    // A segment id shorter than 32 gives the empty span id, as in contrib.
    assert_eq!(span.span_id, vec![0; 8]);
    assert!(span.parent_span_id.is_empty());
    let links: Vec<(String, String)> = span
        .links
        .iter()
        .map(|l| {
            let ref_type = attrs(&l.attributes)
                .into_iter()
                .find(|(k, _)| k == "refType")
                .unwrap()
                .1;
            (hex(&l.span_id), ref_type)
        })
        .collect();
    assert_eq!(
        links,
        vec![
            (
                "0100000000000000".to_string(),
                "\"CrossProcess\"".to_string()
            ),
            (
                "0000000000000000".to_string(),
                "\"CrossThread\"".to_string()
            ),
        ]
    );
}

#[test]
fn a_segment_without_spans_makes_nothing() {
    let segment = SegmentObject {
        trace_id: "t".into(),
        ..Default::default()
    };
    assert_eq!(segment_to_resource_spans(&segment), None);
    let Payload::Traces(request) = payload(&[segment, flask_segment()]) else {
        panic!("traces expected");
    };
    assert_eq!(request.resource_spans.len(), 1);
}

#[test]
fn a_tag_set_twice_keeps_its_place_and_takes_the_last_value() {
    let segment = SegmentObject {
        trace_segment_id: "d6f022cee9f111f1854e02fc00000001".into(),
        spans: vec![SpanObject {
            span_id: 0,
            parent_span_id: -1,
            tags: vec![
                tag("a", "1"),
                tag("b", "2"),
                tag("a", "3"),
                tag("sw8.span_id", "x"),
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    let rs = segment_to_resource_spans(&segment).unwrap();
    assert_eq!(
        attrs(&rs.scope_spans[0].spans[0].attributes),
        pairs_of(&[
            ("a", "\"3\""),
            ("b", "\"2\""),
            ("sw8.span_id", "0"),
            ("sw8.segment_id", "\"d6f022cee9f111f1854e02fc00000001\""),
        ])
    );
}
