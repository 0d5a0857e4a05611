//! OTLP attribute values as the `String` values of contrib's `Map(LowCardinality(String),
//! String)` columns, the way pdata's `Value.AsString` spells them: strings as they are,
//! booleans `true`/`false`, integers in decimal, doubles as ES6 numbers (`1.5`, `3`,
//! `1e-7`, `1e+21`), bytes in standard base64, arrays and maps as JSON (map keys
//! sorted), an empty value as the empty string.

use base64::Engine;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

/// The text of one value.
pub fn value_string(value: Option<&AnyValue>, out: &mut String) {
    match value.and_then(|v| v.value.as_ref()) {
        // An index into a profiles dictionary means nothing outside profiles.
        None | Some(Value::StringValueStrindex(_)) => {}
        Some(Value::StringValue(s)) => out.push_str(s),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => es6_number(*d, out),
        Some(Value::BytesValue(b)) => base64_into(b, out),
        Some(Value::ArrayValue(a)) => json_array(&a.values, out),
        Some(Value::KvlistValue(kv)) => json_map(&kv.values, out),
    }
}

/// Bytes in standard base64, padded.
pub(crate) fn base64_into(bytes: &[u8], out: &mut String) {
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

/// A double as JavaScript (and Go's JSON encoder) prints it; NaN and infinities as
/// pdata does, in a message.
pub(crate) fn es6_number(d: f64, out: &mut String) {
    if !d.is_finite() {
        let text = if d.is_nan() {
            "NaN"
        } else if d > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        out.push_str("json: unsupported value: ");
        out.push_str(text);
        return;
    }
    let abs = d.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{d:e}");
        // Rust writes `1e21` and `1e-7`; JavaScript `1e+21` and `1e-7`.
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                out.push_str(mantissa);
                out.push_str("e+");
                out.push_str(exp);
            }
            _ => out.push_str(&text),
        }
    } else {
        out.push_str(&format!("{d}"));
    }
}

fn json_string(s: &str, out: &mut String) {
    // serde_json escapes exactly what JSON requires.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

fn json_value(value: Option<&AnyValue>, out: &mut String) {
    match value.and_then(|v| v.value.as_ref()) {
        None | Some(Value::StringValueStrindex(_)) => out.push_str("null"),
        Some(Value::StringValue(s)) => json_string(s, out),
        Some(Value::BytesValue(_)) => {
            let mut text = String::new();
            value_string(value, &mut text);
            json_string(&text, out);
        }
        Some(Value::DoubleValue(d)) if !d.is_finite() => out.push_str("null"),
        Some(Value::ArrayValue(a)) => json_array(&a.values, out),
        Some(Value::KvlistValue(kv)) => json_map(&kv.values, out),
        Some(_) => value_string(value, out),
    }
}

fn json_array(values: &[AnyValue], out: &mut String) {
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_value(Some(v), out);
    }
    out.push(']');
}

fn json_map(values: &[KeyValue], out: &mut String) {
    let mut sorted: Vec<&KeyValue> = values.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    sorted.dedup_by(|a, b| a.key == b.key);
    out.push('{');
    for (i, kv) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&kv.key, out);
        out.push(':');
        json_value(kv.value.as_ref(), out);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};

    fn text(v: Value) -> String {
        let mut out = String::new();
        value_string(Some(&AnyValue { value: Some(v) }), &mut out);
        out
    }

    fn kv(key: &str, v: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(v) }),
            ..Default::default()
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(text(Value::StringValue("a b".into())), "a b");
        assert_eq!(text(Value::BoolValue(true)), "true");
        assert_eq!(text(Value::IntValue(-42)), "-42");
        assert_eq!(text(Value::DoubleValue(1.5)), "1.5");
        assert_eq!(text(Value::DoubleValue(3.0)), "3");
        assert_eq!(text(Value::DoubleValue(1e-7)), "1e-7");
        assert_eq!(text(Value::DoubleValue(1.5e21)), "1.5e+21");
        assert_eq!(text(Value::DoubleValue(0.000001)), "0.000001");
        assert_eq!(text(Value::BytesValue(vec![1, 2, 3])), "AQID");
        let mut empty = String::new();
        value_string(Some(&AnyValue { value: None }), &mut empty);
        assert_eq!(empty, "");
    }

    #[test]
    fn nested_as_json() {
        let array = Value::ArrayValue(ArrayValue {
            values: vec![
                AnyValue {
                    value: Some(Value::IntValue(1)),
                },
                AnyValue {
                    value: Some(Value::StringValue("x\"y".into())),
                },
                AnyValue { value: None },
            ],
        });
        assert_eq!(text(array), r#"[1,"x\"y",null]"#);
        let map = Value::KvlistValue(KeyValueList {
            values: vec![
                kv("b", Value::BoolValue(false)),
                kv("a", Value::DoubleValue(2.25)),
            ],
        });
        assert_eq!(text(map), r#"{"a":2.25,"b":false}"#);
    }
}
