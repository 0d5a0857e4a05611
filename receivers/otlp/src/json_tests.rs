//! OTLP/JSON decoding against hand-built expectations, one field kind at a time.

use super::*;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::metrics::v1::{exemplar, metric, number_data_point};

fn traces(json: &str) -> sonde_api::pdata::ExportTraceServiceRequest {
    match decode(Signal::Traces, json.as_bytes()).unwrap() {
        Payload::Traces(t) => t,
        other => panic!("{other:?}"),
    }
}

fn metrics(json: &str) -> sonde_api::pdata::ExportMetricsServiceRequest {
    match decode(Signal::Metrics, json.as_bytes()).unwrap() {
        Payload::Metrics(m) => m,
        other => panic!("{other:?}"),
    }
}

fn logs(json: &str) -> sonde_api::pdata::ExportLogsServiceRequest {
    match decode(Signal::Logs, json.as_bytes()).unwrap() {
        Payload::Logs(l) => l,
        other => panic!("{other:?}"),
    }
}

fn string_value(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s.to_string())),
    })
}

#[test]
fn span_fields() {
    let t = traces(
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"droppedAttributesCount":1},
        "scopeSpans":[{"scope":{"name":"lib","version":"1.0"},"spans":[{
          "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
          "parentSpanId":"eee19b7ec3c1b173","traceState":"a=b","flags":257,
          "name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
          "attributes":[{"key":"n","value":{"intValue":"-42"}},{"key":"m","value":{"intValue":7}},
                        {"key":"d","value":{"doubleValue":1.5}},{"key":"b","value":{"boolValue":true}},
                        {"key":"bytes","value":{"bytesValue":"AQI="}},
                        {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}},
                        {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},
                        {"key":"empty","value":{}}],
          "droppedAttributesCount":3,
          "events":[{"timeUnixNano":"5","name":"ev","droppedAttributesCount":0}],
          "links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","flags":1}],
          "status":{"message":"boom","code":2}}],"schemaUrl":"s"}],"schemaUrl":"r"}]}"#,
    );
    let rs = &t.resource_spans[0];
    assert_eq!(rs.schema_url, "r");
    let resource = rs.resource.as_ref().unwrap();
    assert_eq!(resource.attributes[0].key, "service.name");
    assert_eq!(resource.attributes[0].value, string_value("svc"));
    assert_eq!(resource.dropped_attributes_count, 1);
    let ss = &rs.scope_spans[0];
    assert_eq!(ss.schema_url, "s");
    assert_eq!(ss.scope.as_ref().unwrap().version, "1.0");
    let span = &ss.spans[0];
    assert_eq!(
        span.trace_id,
        [
            0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f,
            0xc6, 0x0c
        ]
    );
    assert_eq!(
        span.span_id,
        [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74]
    );
    assert_eq!(
        span.parent_span_id,
        [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73]
    );
    assert_eq!(span.trace_state, "a=b");
    assert_eq!(span.flags, 257);
    assert_eq!(span.kind, 2);
    assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
    let values: Vec<_> = span
        .attributes
        .iter()
        .map(|kv| kv.value.clone().and_then(|v| v.value))
        .collect();
    use any_value::Value as V;
    assert_eq!(values[0], Some(V::IntValue(-42)));
    assert_eq!(values[1], Some(V::IntValue(7)));
    assert_eq!(values[2], Some(V::DoubleValue(1.5)));
    assert_eq!(values[3], Some(V::BoolValue(true)));
    assert_eq!(values[4], Some(V::BytesValue(vec![1, 2])));
    match &values[5] {
        Some(V::ArrayValue(a)) => assert_eq!(a.values, vec![string_value("x").unwrap()]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        values[6],
        Some(V::KvlistValue(KeyValueList {
            values: vec![KeyValue {
                key: "k".into(),
                value: string_value("v"),
                ..Default::default()
            }]
        }))
    );
    assert_eq!(values[7], None);
    assert_eq!(span.dropped_attributes_count, 3);
    assert_eq!(span.events[0].time_unix_nano, 5);
    assert_eq!(span.events[0].name, "ev");
    assert_eq!(
        span.links[0].span_id,
        [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x75]
    );
    assert_eq!(span.links[0].flags, 1);
    let status = span.status.as_ref().unwrap();
    assert_eq!((status.code, status.message.as_str()), (2, "boom"));
}

#[test]
fn metric_points_take_ints_as_strings_or_numbers() {
    let m = metrics(
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
        {"name":"g","unit":"1","description":"d","gauge":{"dataPoints":[{"asDouble":2.5,"timeUnixNano":"10"},{"asInt":"-3","startTimeUnixNano":1}]}},
        {"name":"s","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"asInt":9,"flags":1,
           "exemplars":[{"asInt":"4","timeUnixNano":"2","traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
                         "filteredAttributes":[{"key":"a","value":{"stringValue":"b"}}]}]}]}},
        {"name":"h","histogram":{"aggregationTemporality":1,"dataPoints":[{"count":"6","sum":12.5,"min":1,"max":5.5,
           "bucketCounts":["1",2,"3"],"explicitBounds":[1,2],"exemplars":[{"asDouble":1.25}]}]}},
        {"name":"e","exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[{"count":7,"scale":-2,"zeroCount":"1","zeroThreshold":0.5,
           "positive":{"offset":-1,"bucketCounts":["2","3"]},"negative":{"bucketCounts":[1]}}]}},
        {"name":"q","summary":{"dataPoints":[{"count":"3","sum":6,"quantileValues":[{"quantile":0.5,"value":2}]}]}}
        ]}]}]}"#,
    );
    let ms = &m.resource_metrics[0].scope_metrics[0].metrics;
    assert_eq!(ms.len(), 5);
    assert_eq!(
        (ms[0].unit.as_str(), ms[0].description.as_str()),
        ("1", "d")
    );
    let Some(metric::Data::Gauge(g)) = &ms[0].data else {
        panic!("{:?}", ms[0].data)
    };
    assert_eq!(
        g.data_points[0].value,
        Some(number_data_point::Value::AsDouble(2.5))
    );
    assert_eq!(g.data_points[0].time_unix_nano, 10);
    assert_eq!(
        g.data_points[1].value,
        Some(number_data_point::Value::AsInt(-3))
    );
    assert_eq!(g.data_points[1].start_time_unix_nano, 1);

    let Some(metric::Data::Sum(s)) = &ms[1].data else {
        panic!("{:?}", ms[1].data)
    };
    assert_eq!((s.aggregation_temporality, s.is_monotonic), (2, true));
    let p = &s.data_points[0];
    assert_eq!(
        (p.value, p.flags),
        (Some(number_data_point::Value::AsInt(9)), 1)
    );
    let ex = &p.exemplars[0];
    assert_eq!(ex.value, Some(exemplar::Value::AsInt(4)));
    assert_eq!(ex.time_unix_nano, 2);
    assert_eq!(ex.trace_id.len(), 16);
    assert_eq!(ex.span_id.len(), 8);
    assert_eq!(ex.filtered_attributes[0].key, "a");

    let Some(metric::Data::Histogram(h)) = &ms[2].data else {
        panic!("{:?}", ms[2].data)
    };
    let p = &h.data_points[0];
    assert_eq!(h.aggregation_temporality, 1);
    assert_eq!(
        (p.count, p.sum, p.min, p.max),
        (6, Some(12.5), Some(1.0), Some(5.5))
    );
    assert_eq!(p.bucket_counts, vec![1, 2, 3]);
    assert_eq!(p.explicit_bounds, vec![1.0, 2.0]);
    assert_eq!(p.exemplars[0].value, Some(exemplar::Value::AsDouble(1.25)));

    let Some(metric::Data::ExponentialHistogram(e)) = &ms[3].data else {
        panic!("{:?}", ms[3].data)
    };
    let p = &e.data_points[0];
    assert_eq!(
        (p.count, p.scale, p.zero_count, p.zero_threshold),
        (7, -2, 1, 0.5)
    );
    let pos = p.positive.as_ref().unwrap();
    assert_eq!((pos.offset, pos.bucket_counts.clone()), (-1, vec![2, 3]));
    assert_eq!(p.negative.as_ref().unwrap().bucket_counts, vec![1]);

    let Some(metric::Data::Summary(q)) = &ms[4].data else {
        panic!("{:?}", ms[4].data)
    };
    let p = &q.data_points[0];
    assert_eq!((p.count, p.sum), (3, 6.0));
    assert_eq!(
        (p.quantile_values[0].quantile, p.quantile_values[0].value),
        (0.5, 2.0)
    );
}

#[test]
fn log_record_fields() {
    let l = logs(
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","observedTimeUnixNano":2,
          "severityNumber":9,"severityText":"INFO","body":{"stringValue":"hello"},"flags":1,
          "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","eventName":"e",
          "attributes":[{"key":"k","value":{"intValue":"1"}}]},
          {"severityNumber":"SEVERITY_NUMBER_ERROR"}]}]}]}"#,
    );
    let records = &l.resource_logs[0].scope_logs[0].log_records;
    let r = &records[0];
    assert_eq!((r.time_unix_nano, r.observed_time_unix_nano), (1, 2));
    assert_eq!((r.severity_number, r.severity_text.as_str()), (9, "INFO"));
    assert_eq!(r.body, string_value("hello"));
    assert_eq!(r.flags, 1);
    assert_eq!(r.trace_id.len(), 16);
    assert_eq!(r.span_id.len(), 8);
    assert_eq!(r.event_name, "e");
    assert_eq!(records[1].severity_number, 17);
}

#[test]
fn missing_null_unknown_and_snake_case_fields() {
    let t = traces(
        r#"{"resource_spans":[{"resource":null,"scope_spans":[{"spans":[{"trace_id":"00000000000000000000000000000001",
          "name":"n","kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_OK"},"somethingNew":{"x":[1]},
          "parentSpanId":null,"start_time_unix_nano":"3"}]}]}],"extra":1}"#,
    );
    let rs = &t.resource_spans[0];
    assert!(rs.resource.is_none());
    let span = &rs.scope_spans[0].spans[0];
    assert_eq!(span.trace_id[15], 1);
    assert!(span.parent_span_id.is_empty());
    assert!(span.span_id.is_empty());
    assert_eq!(span.kind, 3);
    assert_eq!(span.status.as_ref().unwrap().code, 1);
    assert_eq!(span.start_time_unix_nano, 3);
    assert_eq!(traces("{}"), Default::default());
}

#[test]
fn malformed_bodies_are_errors() {
    for (body, message) in [
        ("{", "EOF while parsing an object at line 1 column 1"),
        ("[]", "an export request must be a JSON object"),
        (
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,
            "resourceSpans[0].scopeSpans[0].spans[0].traceId: invalid character 'z' at position 0",
        ),
        (
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"x"}]}]}]}"#,
            "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: invalid digit found in string",
        ),
    ] {
        assert_eq!(decode(Signal::Traces, body.as_bytes()).unwrap_err(), message, "{body}");
    }
}
