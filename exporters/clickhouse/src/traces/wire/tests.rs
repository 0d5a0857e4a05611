//! The rows read from the bytes equal the rows written from prost's structs: on
//! requests with every kind of value and field, on random ones, and on mutated bytes
//! (whenever prost decodes them and the reader does not step aside).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::traces::encode_traces_with;

fn kv(key: &str, v: Option<Any>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: v }),
        ..Default::default()
    }
}

fn s(text: &str) -> Option<Any> {
    Some(Any::StringValue(text.into()))
}

/// Rows of the decoded path and of the wire path, in both resource modes.
fn both(request: &ExportTraceServiceRequest) -> [(Vec<u8>, Vec<u8>); 2] {
    let bytes = request.encode_to_vec();
    let run = |smart: bool| {
        let cells = || {
            if smart {
                ResourceCells::ids()
            } else {
                ResourceCells::Map
            }
        };
        let mut decoded = RowWriter::default();
        let mut decoded_cells = cells();
        let rows = encode_traces_with(request, &mut decoded_cells, &mut decoded);
        let mut wire = RowWriter::default();
        let mut wire_cells = cells();
        let wire_rows = encode_traces_wire(&bytes, &mut wire_cells, &mut wire).unwrap();
        assert_eq!(rows, wire_rows);
        assert_eq!(decoded_cells.into_sets(), wire_cells.into_sets());
        (decoded.buf, wire.buf)
    };
    [run(false), run(true)]
}

fn every_kind_of_value() -> Vec<KeyValue> {
    vec![
        kv("str", s("héllo")),
        kv("empty", None),
        kv("bool", Some(Any::BoolValue(true))),
        kv("false", Some(Any::BoolValue(false))),
        kv("int", Some(Any::IntValue(-42))),
        kv("big", Some(Any::IntValue(i64::MAX))),
        kv("min", Some(Any::IntValue(i64::MIN))),
        kv("zero", Some(Any::IntValue(0))),
        kv("double", Some(Any::DoubleValue(0.25))),
        kv("tiny", Some(Any::DoubleValue(1e-9))),
        kv("nan", Some(Any::DoubleValue(f64::NAN))),
        kv("bytes", Some(Any::BytesValue(vec![0, 1, 254]))),
        kv(
            "array",
            Some(Any::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue { value: s("a") },
                    AnyValue {
                        value: Some(Any::IntValue(3)),
                    },
                ],
            })),
        ),
        kv(
            "map",
            Some(Any::KvlistValue(KeyValueList {
                values: vec![kv("z", s("1")), kv("a", Some(Any::BoolValue(false)))],
            })),
        ),
        kv("strindex", Some(Any::StringValueStrindex(3))),
        KeyValue {
            key: "no value".into(),
            value: None,
            ..Default::default()
        },
    ]
}

fn full_request() -> ExportTraceServiceRequest {
    let span = Span {
        trace_id: (1..=16).collect(),
        span_id: vec![0xab; 8],
        parent_span_id: vec![0; 8],
        trace_state: "k=v".into(),
        name: "GET /users/{id}".into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_250_000_000,
        attributes: every_kind_of_value(),
        events: vec![
            Event {
                time_unix_nano: 1_700_000_000_100_000_000,
                name: "exception".into(),
                attributes: vec![kv("exception.type", s("E"))],
                dropped_attributes_count: 1,
            },
            Event {
                name: "bare".into(),
                ..Default::default()
            },
        ],
        links: vec![Link {
            trace_id: vec![7; 16],
            span_id: vec![8; 8],
            trace_state: "x=y".into(),
            attributes: vec![kv("link.n", Some(Any::IntValue(1)))],
            dropped_attributes_count: 0,
            flags: 0x301,
        }],
        status: Some(Status {
            message: "boom".into(),
            code: 2,
        }),
        flags: 0x301,
        ..Default::default()
    };
    let ends_before_start = Span {
        name: "backwards".into(),
        kind: 9,
        start_time_unix_nano: 10,
        end_time_unix_nano: 5,
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![
                        kv("host.name", s("h1")),
                        kv("service.name", s("checkout")),
                        kv("service.name", s("second")),
                    ],
                    ..Default::default()
                }),
                scope_spans: vec![
                    ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: "lib".into(),
                            version: "1.0".into(),
                            ..Default::default()
                        }),
                        spans: vec![span.clone(), ends_before_start],
                        schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
                    },
                    ScopeSpans {
                        scope: None,
                        spans: vec![Span::default()],
                        schema_url: String::new(),
                    },
                ],
                schema_url: String::new(),
            },
            // No resource; a service.name that is not a string.
            ResourceSpans {
                resource: None,
                scope_spans: vec![ScopeSpans {
                    spans: vec![span.clone()],
                    ..Default::default()
                }],
                schema_url: String::new(),
            },
            ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", Some(Any::IntValue(7)))],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![span],
                    ..Default::default()
                }],
                schema_url: String::new(),
            },
        ],
    }
}

#[test]
fn every_field_and_value_kind_gives_the_decoded_rows() {
    for (decoded, wire) in both(&full_request()) {
        assert_eq!(wire, decoded);
    }
}

#[test]
fn an_empty_request_has_no_rows() {
    for (decoded, wire) in both(&ExportTraceServiceRequest::default()) {
        assert!(decoded.is_empty());
        assert_eq!(wire, decoded);
    }
}

#[test]
fn a_singular_message_sent_twice_is_left_to_prost() {
    // A span whose status (15) comes twice: prost merges the two.
    let mut span = Span {
        name: "s".into(),
        ..Default::default()
    }
    .encode_to_vec();
    for status in [
        Status {
            message: "a".into(),
            code: 0,
        },
        Status {
            message: String::new(),
            code: 2,
        },
    ] {
        prost::encoding::message::encode(15, &status, &mut span);
    }
    let mut request = Vec::new();
    let scope_spans = {
        let mut b = Vec::new();
        prost::encoding::bytes::encode(2, &span, &mut b);
        b
    };
    let resource_spans = {
        let mut b = Vec::new();
        prost::encoding::bytes::encode(2, &scope_spans, &mut b);
        b
    };
    prost::encoding::bytes::encode(1, &resource_spans, &mut request);
    assert!(ExportTraceServiceRequest::decode(&request[..]).is_ok());
    let mut w = RowWriter::default();
    assert_eq!(
        encode_traces_wire(&request, &mut ResourceCells::Map, &mut w),
        Err(Fallback)
    );
}

fn random_value(rng: &mut StdRng) -> Option<Any> {
    match rng.random_range(0..8) {
        0 => None,
        1 => Some(Any::BoolValue(rng.random())),
        2 => Some(Any::IntValue(rng.random())),
        3 => Some(Any::DoubleValue(f64::from_bits(rng.random()))),
        4 => Some(Any::BytesValue(
            (0..rng.random_range(0..5)).map(|_| rng.random()).collect(),
        )),
        5 => Some(Any::ArrayValue(ArrayValue {
            values: vec![AnyValue {
                value: Some(Any::IntValue(rng.random())),
            }],
        })),
        _ => Some(Any::StringValue(format!("v{}", rng.random::<u16>()))),
    }
}

fn random_attributes(rng: &mut StdRng) -> Vec<KeyValue> {
    (0..rng.random_range(0..4))
        .map(|i| kv(&format!("k{i}"), random_value(rng)))
        .collect()
}

fn random_request(rng: &mut StdRng) -> ExportTraceServiceRequest {
    let random_id = |rng: &mut StdRng, n: usize| -> Vec<u8> {
        match rng.random_range(0..4) {
            0 => Vec::new(),
            1 => vec![0; n],
            _ => (0..n).map(|_| rng.random()).collect(),
        }
    };
    ExportTraceServiceRequest {
        resource_spans: (0..rng.random_range(0..3))
            .map(|_| ResourceSpans {
                resource: rng.random_bool(0.8).then(|| Resource {
                    attributes: random_attributes(rng),
                    ..Default::default()
                }),
                scope_spans: (0..rng.random_range(0..3))
                    .map(|_| ScopeSpans {
                        scope: rng.random_bool(0.7).then(|| InstrumentationScope {
                            name: "n".into(),
                            version: format!("{}", rng.random::<u8>()),
                            ..Default::default()
                        }),
                        spans: (0..rng.random_range(0..4))
                            .map(|_| Span {
                                trace_id: random_id(rng, 16),
                                span_id: random_id(rng, 8),
                                parent_span_id: random_id(rng, 8),
                                name: format!("op{}", rng.random::<u8>()),
                                kind: rng.random_range(0..7),
                                start_time_unix_nano: rng.random(),
                                end_time_unix_nano: rng.random(),
                                attributes: random_attributes(rng),
                                events: (0..rng.random_range(0..3))
                                    .map(|_| Event {
                                        time_unix_nano: rng.random(),
                                        name: "e".into(),
                                        attributes: random_attributes(rng),
                                        dropped_attributes_count: 0,
                                    })
                                    .collect(),
                                links: (0..rng.random_range(0..2))
                                    .map(|_| Link {
                                        trace_id: random_id(rng, 16),
                                        span_id: random_id(rng, 8),
                                        attributes: random_attributes(rng),
                                        ..Default::default()
                                    })
                                    .collect(),
                                status: rng.random_bool(0.5).then(|| Status {
                                    message: "m".into(),
                                    code: rng.random_range(0..4),
                                }),
                                ..Default::default()
                            })
                            .collect(),
                        schema_url: String::new(),
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect(),
    }
}

#[test]
fn random_requests_give_the_decoded_rows() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..2_000 {
        let request = random_request(&mut rng);
        for (decoded, wire) in both(&request) {
            assert_eq!(wire, decoded);
        }
    }
}

#[test]
fn mutated_bytes_give_the_decoded_rows_or_step_aside() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut compared = 0;
    for _ in 0..20_000 {
        let mut bytes = random_request(&mut rng).encode_to_vec();
        if bytes.is_empty() {
            continue;
        }
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] = rng.random();
        }
        let Ok(request) = ExportTraceServiceRequest::decode(&bytes[..]) else {
            continue;
        };
        let mut wire = RowWriter::default();
        let Ok(rows) = encode_traces_wire(&bytes, &mut ResourceCells::Map, &mut wire) else {
            continue;
        };
        let mut decoded = RowWriter::default();
        assert_eq!(
            rows,
            encode_traces_with(&request, &mut ResourceCells::Map, &mut decoded)
        );
        assert_eq!(wire.buf, decoded.buf);
        compared += 1;
    }
    // Most mutations still decode; the property must have been exercised.
    assert!(
        compared > 1_000,
        "only {compared} mutated requests compared"
    );
}
