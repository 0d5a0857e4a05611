//! The `headers` map of an exporter (HTTP headers, or gRPC metadata, which has the
//! same rules for names and values).

use std::collections::BTreeMap;

use sonde_api::config::ConfigError;

/// Checks every name and value; the error names the offending key.
pub fn validate_headers(headers: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (name, value) in headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || http::HeaderValue::from_str(value).is_err()
        {
            return Err(ConfigError::new(
                &["headers", name],
                "not a valid header name and value",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_bad_header() {
        let mut h = BTreeMap::new();
        h.insert("x-team".to_string(), "a".to_string());
        assert_eq!(validate_headers(&h), Ok(()));
        h.insert("bad name".to_string(), "a".to_string());
        assert_eq!(
            validate_headers(&h).unwrap_err().to_string(),
            "headers::bad name: not a valid header name and value"
        );
    }
}
