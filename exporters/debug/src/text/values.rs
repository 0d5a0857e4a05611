//! Values written the way otelcol's pdata prints them (Go's formatting), so that the output
//! of sonde's debug exporter reads like otelcol's.

use std::fmt::Write;

use sonde_api::calendar::civil_from_days;
use sonde_api::pdata::common::v1::{any_value::Value, AnyValue, KeyValue};

/// pdata's type name of a value: `Str`, `Int`, `Double`, `Bool`, `Map`, `Slice`, `Bytes`, `Empty`.
pub fn type_name(value: Option<&AnyValue>) -> &'static str {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(_)) => "Str",
        Some(Value::IntValue(_)) => "Int",
        Some(Value::DoubleValue(_)) => "Double",
        Some(Value::BoolValue(_)) => "Bool",
        Some(Value::KvlistValue(_)) => "Map",
        Some(Value::ArrayValue(_)) => "Slice",
        Some(Value::BytesValue(_)) => "Bytes",
        _ => "Empty",
    }
}

/// `Type(value)`, as the detailed output prints attributes and bodies.
pub fn typed(value: Option<&AnyValue>) -> String {
    format!("{}({})", type_name(value), as_string(value))
}

/// pdata's `Value.AsString`: strings as they are, maps and slices as JSON, bytes as base64.
pub fn as_string(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => json_float(*d),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::BytesValue(b)) => base64(b),
        Some(v @ (Value::KvlistValue(_) | Value::ArrayValue(_))) => {
            let mut out = String::new();
            write_json(&mut out, Some(v));
            out
        }
        _ => String::new(),
    }
}

/// Go's `encoding/json` of pdata's raw form: map keys sorted, bytes as base64 strings.
fn write_json(out: &mut String, value: Option<&Value>) {
    match value {
        None => out.push_str("null"),
        Some(Value::StringValue(s)) => json_string(out, s),
        Some(Value::IntValue(i)) => out.push_str(&i.to_string()),
        Some(Value::DoubleValue(d)) => out.push_str(&json_float(*d)),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::BytesValue(b)) => json_string(out, &base64(b)),
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, v) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, v.value.as_ref());
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            let mut entries: Vec<&KeyValue> = kv.values.iter().collect();
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, &e.key);
                out.push(':');
                write_json(out, e.value.as_ref().and_then(|v| v.value.as_ref()));
            }
            out.push('}');
        }
        Some(_) => out.push_str("null"),
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Go escapes these for HTML safety; keep the output identical.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A double as pdata writes it in strings and JSON (ES6 style): shortest digits, plain
/// notation unless below 1e-6 or from 1e21 on.
pub fn json_float(f: f64) -> String {
    if f.is_nan() || f.is_infinite() {
        return format!("json: unsupported value: {}", go_g(f));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust writes `1e-7` and `1e21`; Go writes `1e-7` and `1e+21`.
        let s = format!("{f:e}");
        return match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        };
    }
    format!("{f}")
}

/// Go's `%v` of a float64 (`%g` with the shortest digits): exponent form below 1e-4 and
/// from 1e6 on, as in `1e+06`.
pub fn go_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Go's `%f`: six decimals, `+Inf` / `-Inf` / `NaN` spelled Go's way.
pub fn go_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{f:.6}")
    }
}

/// A trace or span id in lower-case hex; empty when all zero, as pdata prints it.
pub fn hex_id(id: &[u8]) -> String {
    if id.iter().all(|&b| b == 0) {
        return String::new();
    }
    id.iter()
        .fold(String::with_capacity(id.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A Unix-nanosecond timestamp as Go's `time.Time.String()` in UTC:
/// `2020-02-11 20:26:12.000000321 +0000 UTC`, trailing zeros of the fraction dropped.
pub fn timestamp(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if frac != 0 {
        let digits = format!("{frac:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// Standard base64 with padding, as Go's `encoding/json` writes `[]byte`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `key=value` for each attribute, in order, values as [`as_string`].
pub fn key_values(attributes: &[KeyValue]) -> Vec<String> {
    attributes
        .iter()
        .map(|kv| format!("{}={}", kv.key, as_string(kv.value.as_ref())))
        .collect()
}

#[cfg(test)]
mod tests;
