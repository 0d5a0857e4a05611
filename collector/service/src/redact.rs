//! `print-config` hides secrets: any value under a key that names one.

use serde_yaml::Value;

const SECRET_WORDS: [&str; 8] = [
    "password",
    "passwd",
    "token",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "private_key",
];

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
}

pub fn redact(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                if k.as_str().is_some_and(is_secret) && !v.is_null() && !v.is_mapping() {
                    *v = Value::String("[REDACTED]".into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_secret_values_only() {
        let mut v: Value = serde_yaml::from_str(
            "exporters: {otlp: {endpoint: x:1, headers: {Authorization: Bearer abc, x-team: a}, password: p, auth: {bearer_token: t}}}",
        )
        .unwrap();
        redact(&mut v);
        let want: Value = serde_yaml::from_str(
            "exporters: {otlp: {endpoint: x:1, headers: {Authorization: '[REDACTED]', x-team: a}, password: '[REDACTED]', auth: {bearer_token: '[REDACTED]'}}}",
        )
        .unwrap();
        assert_eq!(v, want);
    }
}
