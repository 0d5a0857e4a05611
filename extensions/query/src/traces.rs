//! `GET /api/traces/{trace_id}`: every span of one trace, as OTLP/JSON
//! (`{"resourceSpans":[...]}`: hex ids, 64-bit integers as strings, enums as numbers).
//!
//! The scan is bounded as Grafana's ClickHouse plugin bounds it: the trace's first and
//! last second come from `<traces>_trace_id_ts` (filled by the exporter's materialized
//! view), and only that time range of `<traces>` is read.
//!
//! Attribute values come back as strings: the schema stores them so.

use std::collections::HashMap;

use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, TracesData};
use serde::Deserialize;

/// A trace id as the path gives it: 32 hex digits, not all zero; lower-cased.
pub fn parse_trace_id(text: &str) -> Result<String, String> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "malformed trace id {text:?}: expected 32 hexadecimal digits"
        ));
    }
    if text.bytes().all(|b| b == b'0') {
        return Err("malformed trace id: all zeros is not a valid trace id".into());
    }
    Ok(text.to_ascii_lowercase())
}

/// The look-up statement for one (already validated) trace id.
pub fn trace_sql(database: &str, table: &str, trace_id: &str) -> String {
    format!(
        "WITH '{trace_id}' AS trace_id,\n\
         (SELECT min(Start) FROM {database}.{table}_trace_id_ts WHERE TraceId = trace_id) AS trace_start,\n\
         (SELECT max(End) + 1 FROM {database}.{table}_trace_id_ts WHERE TraceId = trace_id) AS trace_end\n\
         SELECT mapKeys(ResourceAttributes), mapValues(ResourceAttributes), ScopeName, ScopeVersion,\n\
         TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,\n\
         toUnixTimestamp64Nano(Timestamp), Duration,\n\
         mapKeys(SpanAttributes), mapValues(SpanAttributes), StatusCode, StatusMessage,\n\
         arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp), Events.Name,\n\
         arrayMap(m -> mapKeys(m), Events.Attributes), arrayMap(m -> mapValues(m), Events.Attributes),\n\
         Links.TraceId, Links.SpanId, Links.TraceState,\n\
         arrayMap(m -> mapKeys(m), Links.Attributes), arrayMap(m -> mapValues(m), Links.Attributes)\n\
         FROM {database}.{table}\n\
         WHERE TraceId = trace_id AND Timestamp >= trace_start AND Timestamp <= trace_end\n\
         ORDER BY Timestamp"
    )
}

/// One row of [`trace_sql`], in its column order.
#[derive(Debug, Deserialize)]
struct Row(
    Vec<String>,      // resource keys
    Vec<String>,      // resource values
    String,           // scope name
    String,           // scope version
    String,           // trace id
    String,           // span id
    String,           // parent span id
    String,           // trace state
    String,           // name
    String,           // kind
    i64,              // start, ns
    u64,              // duration, ns
    Vec<String>,      // attribute keys
    Vec<String>,      // attribute values
    String,           // status code
    String,           // status message
    Vec<i64>,         // event times
    Vec<String>,      // event names
    Vec<Vec<String>>, // event attribute keys
    Vec<Vec<String>>, // event attribute values
    Vec<String>,      // link trace ids
    Vec<String>,      // link span ids
    Vec<String>,      // link trace states
    Vec<Vec<String>>, // link attribute keys
    Vec<Vec<String>>, // link attribute values
);

#[derive(Debug, Deserialize)]
struct Answer {
    data: Vec<Row>,
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("ClickHouse's answer does not have the trace columns: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("a stored {what} is not hexadecimal: {value:?}")]
    BadId { what: &'static str, value: String },
}

fn hex(what: &'static str, value: &str) -> Result<Vec<u8>, TraceError> {
    let bad = || TraceError::BadId {
        what,
        value: value.to_string(),
    };
    if !value.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..value.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(value.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
        .collect()
}

fn attributes(keys: Vec<String>, values: Vec<String>) -> Vec<KeyValue> {
    keys.into_iter()
        .zip(values)
        .map(|(key, value)| KeyValue {
            key,
            key_strindex: 0,
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value)),
            }),
        })
        .collect()
}

/// pdata's names back to OTLP's numbers.
fn kind(name: &str) -> i32 {
    match name {
        "Internal" => 1,
        "Server" => 2,
        "Client" => 3,
        "Producer" => 4,
        "Consumer" => 5,
        _ => 0,
    }
}

fn status_code(name: &str) -> i32 {
    match name {
        "Ok" => 1,
        "Error" => 2,
        _ => 0,
    }
}

fn span(row: &mut Row) -> Result<Span, TraceError> {
    let start = u64::try_from(row.10).unwrap_or(0);
    let events = std::mem::take(&mut row.16)
        .into_iter()
        .zip(std::mem::take(&mut row.17))
        .zip(
            std::mem::take(&mut row.18)
                .into_iter()
                .zip(std::mem::take(&mut row.19)),
        )
        .map(|((time, name), (keys, values))| Event {
            time_unix_nano: u64::try_from(time).unwrap_or(0),
            name,
            attributes: attributes(keys, values),
            dropped_attributes_count: 0,
        })
        .collect();
    let mut links = Vec::new();
    let link_attrs = std::mem::take(&mut row.23)
        .into_iter()
        .zip(std::mem::take(&mut row.24));
    for (((trace_id, span_id), trace_state), (keys, values)) in row
        .20
        .iter()
        .zip(&row.21)
        .zip(std::mem::take(&mut row.22))
        .zip(link_attrs)
    {
        links.push(Link {
            trace_id: hex("link trace id", trace_id)?,
            span_id: hex("link span id", span_id)?,
            trace_state,
            attributes: attributes(keys, values),
            dropped_attributes_count: 0,
            flags: 0,
        });
    }
    Ok(Span {
        trace_id: hex("trace id", &row.4)?,
        span_id: hex("span id", &row.5)?,
        trace_state: std::mem::take(&mut row.7),
        parent_span_id: hex("parent span id", &row.6)?,
        flags: 0,
        name: std::mem::take(&mut row.8),
        kind: kind(&row.9),
        start_time_unix_nano: start,
        end_time_unix_nano: start.saturating_add(row.11),
        attributes: attributes(std::mem::take(&mut row.12), std::mem::take(&mut row.13)),
        dropped_attributes_count: 0,
        events,
        dropped_events_count: 0,
        links,
        dropped_links_count: 0,
        status: Some(Status {
            message: std::mem::take(&mut row.15),
            code: status_code(&row.14),
        }),
    })
}

/// The spans of a `JSONCompact` answer to [`trace_sql`], grouped by resource and
/// scope in the order they first appear; `None` when there are none.
pub fn to_otlp(json_compact: &[u8]) -> Result<Option<TracesData>, TraceError> {
    let answer: Answer = serde_json::from_slice(json_compact)?;
    if answer.data.is_empty() {
        return Ok(None);
    }
    let mut resources: Vec<ResourceSpans> = Vec::new();
    let mut resource_index: HashMap<(Vec<String>, Vec<String>), usize> = HashMap::new();
    for mut row in answer.data {
        let span = span(&mut row)?;
        let key = (std::mem::take(&mut row.0), std::mem::take(&mut row.1));
        let at = match resource_index.get(&key) {
            Some(at) => *at,
            None => {
                resources.push(ResourceSpans {
                    resource: Some(Resource {
                        attributes: attributes(key.0.clone(), key.1.clone()),
                        dropped_attributes_count: 0,
                        entity_refs: Vec::new(),
                    }),
                    scope_spans: Vec::new(),
                    schema_url: String::new(),
                });
                resource_index.insert(key, resources.len() - 1);
                resources.len() - 1
            }
        };
        let scopes = &mut resources[at].scope_spans;
        let scope = match scopes.iter().position(|s| {
            s.scope
                .as_ref()
                .is_some_and(|s| s.name == row.2 && s.version == row.3)
        }) {
            Some(i) => i,
            None => {
                scopes.push(ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: std::mem::take(&mut row.2),
                        version: std::mem::take(&mut row.3),
                        attributes: Vec::new(),
                        dropped_attributes_count: 0,
                    }),
                    spans: Vec::new(),
                    schema_url: String::new(),
                });
                scopes.len() - 1
            }
        };
        scopes[scope].spans.push(span);
    }
    Ok(Some(TracesData {
        resource_spans: resources,
    }))
}

#[cfg(test)]
mod tests;
