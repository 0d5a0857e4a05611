//! OTLP/JSON, the proto3 JSON mapping with OTLP's exceptions: trace and span ids are
//! hex strings, enums are integers, 64-bit integers may be strings or numbers.
//!
//! Decoding goes through opentelemetry-proto's serde derives after one pass over the
//! parsed JSON that makes up for what they do not take:
//! * `snake_case` field names, which proto3 JSON parsers must accept beside `camelCase`;
//! * `null` for a field, which means "default" in proto3 JSON;
//! * enum values written by name (`"SPAN_KIND_SERVER"`), which otelcol accepts too.
//!
//! Unknown fields are ignored, as the OTLP spec asks.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use sonde_api::{Payload, Signal};

/// Decodes an OTLP/JSON export request of `signal`.
pub fn decode(signal: Signal, body: &[u8]) -> Result<Payload, String> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if !value.is_object() {
        return Err("an export request must be a JSON object".to_string());
    }
    normalize(&mut value);
    Ok(match signal {
        Signal::Traces => Payload::Traces(typed(value)?),
        Signal::Metrics => Payload::Metrics(typed(value)?),
        Signal::Logs => Payload::Logs(typed(value)?),
    })
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        }
    })
}

/// Rewrites `value` in place into the shape the serde derives accept.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let fields = std::mem::take(map);
            let mut out = Map::with_capacity(fields.len());
            for (key, mut field) in fields {
                if field.is_null() {
                    continue;
                }
                let key = camel_case(key);
                enum_by_name(&key, &mut field);
                normalize(&mut field);
                out.insert(key, field);
            }
            *map = out;
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

fn camel_case(key: String) -> String {
    if !key.contains('_') {
        return key;
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces an enum written by name with its number, for the enum fields of OTLP.
fn enum_by_name(key: &str, field: &mut Value) {
    let Value::String(name) = field else {
        return;
    };
    let number = match key {
        "kind" => SpanKind::from_str_name(name).map(|v| v as i32),
        "code" => StatusCode::from_str_name(name).map(|v| v as i32),
        "aggregationTemporality" => AggregationTemporality::from_str_name(name).map(|v| v as i32),
        "severityNumber" => SeverityNumber::from_str_name(name).map(|v| v as i32),
        _ => return,
    };
    if let Some(n) = number {
        *field = Value::from(n);
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
