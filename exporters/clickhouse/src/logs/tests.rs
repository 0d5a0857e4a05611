//! Exact RowBinary bytes of small log records.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::*;
use crate::smart::ResourceCells;

fn kv(key: &str, v: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn request(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", Value::StringValue("svc".into()))],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "lib".into(),
                    version: "1.0".into(),
                    attributes: vec![kv("s", Value::BoolValue(true))],
                    ..Default::default()
                }),
                log_records: records,
                schema_url: "https://scope".into(),
            }],
            schema_url: "https://res".into(),
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
fn full_record_exact_bytes() {
    let record = LogRecord {
        time_unix_nano: 1_000,
        observed_time_unix_nano: 2_000,
        severity_number: 17,
        severity_text: "ERROR".into(),
        body: Some(AnyValue {
            value: Some(Value::StringValue("disk full".into())),
        }),
        attributes: vec![kv("n", Value::IntValue(7))],
        flags: 0x101,
        trace_id: vec![0x01; 16],
        span_id: vec![0xab; 8],
        event_name: "app.alert".into(),
        ..Default::default()
    };
    let mut w = RowWriter::default();
    assert_eq!(encode_logs(&request(vec![record]), &mut w), 1);
    let expected = [
        1_000i64.to_le_bytes().to_vec(),
        s("01010101010101010101010101010101"),
        s("abababababababab"),
        vec![0x01],
        s("ERROR"),
        vec![17],
        s("svc"),
        s("disk full"),
        s("https://res"),
        [vec![1], s("service.name"), s("svc")].concat(),
        s("https://scope"),
        s("lib"),
        s("1.0"),
        [vec![1], s("s"), s("true")].concat(),
        [vec![1], s("n"), s("7")].concat(),
        s("app.alert"),
    ]
    .concat();
    assert_eq!(w.buf, expected);
}

#[test]
fn empty_record_uses_observed_time_and_empty_ids() {
    let record = LogRecord {
        observed_time_unix_nano: 2_000,
        body: Some(AnyValue {
            value: Some(Value::IntValue(-3)),
        }),
        ..Default::default()
    };
    let mut w = RowWriter::default();
    encode_logs(&request(vec![record]), &mut w);
    let expected = [
        2_000i64.to_le_bytes().to_vec(),
        s(""),
        s(""),
        vec![0],
        s(""),
        vec![0],
        s("svc"),
        s("-3"),
        s("https://res"),
        [vec![1], s("service.name"), s("svc")].concat(),
        s("https://scope"),
        s("lib"),
        s("1.0"),
        [vec![1], s("s"), s("true")].concat(),
        vec![0],
        s(""),
    ]
    .concat();
    assert_eq!(w.buf, expected);
}

#[test]
fn rows_per_record_across_scopes() {
    let mut req = request(vec![LogRecord::default(), LogRecord::default()]);
    let scope = req.resource_logs[0].scope_logs[0].clone();
    req.resource_logs[0].scope_logs.push(scope);
    let mut w = RowWriter::default();
    assert_eq!(encode_logs(&req, &mut w), 4);
}

#[test]
fn older_generation_rows_leave_out_the_missing_columns() {
    let record = LogRecord {
        time_unix_nano: 1_000,
        body: Some(AnyValue {
            value: Some(Value::StringValue("b".into())),
        }),
        event_name: "app.alert".into(),
        ..Default::default()
    };
    let cols = LogColumns {
        resource_schema_url: false,
        scope_schema_url: false,
        event_name: false,
    };
    let mut w = RowWriter::default();
    assert_eq!(
        encode_logs_with(
            &request(vec![record]),
            cols,
            &mut ResourceCells::Map,
            &mut w
        ),
        1
    );
    let expected = [
        1_000i64.to_le_bytes().to_vec(),
        s(""),
        s(""),
        vec![0],
        s(""),
        vec![0],
        s("svc"),
        s("b"),
        [vec![1], s("service.name"), s("svc")].concat(),
        s("lib"),
        s("1.0"),
        [vec![1], s("s"), s("true")].concat(),
        vec![0],
    ]
    .concat();
    assert_eq!(w.buf, expected);
}
