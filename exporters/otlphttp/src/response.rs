//! Reading the answer: which statuses are retried (429, 502, 503, 504, as otelcol),
//! the `Retry-After` hint, the `google.rpc.Status` message of an error body, and the
//! partial success of a 2xx body.

use std::time::{Duration, SystemTime};

use prost::Message;
use sonde_api::Signal;

/// The statuses otelcol's otlphttp exporter retries.
pub(crate) fn is_retryable(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `Retry-After`: delay-seconds or an HTTP-date, relative to `now`.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.starts_with("application/json"))
}

/// The message of an error body: `google.rpc.Status` in protobuf or JSON, else the
/// text itself (truncated).
pub(crate) fn error_message(content_type: Option<&str>, body: &[u8]) -> String {
    if is_json(content_type) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
                return m.to_string();
            }
        }
    } else if content_type.is_some_and(|c| c.starts_with("application/x-protobuf")) {
        if let Ok(status) = tonic_types::Status::decode(body) {
            return status.message;
        }
    }
    let text = String::from_utf8_lossy(body);
    let mut text = text.trim().to_string();
    if text.len() > 512 {
        let mut cut = 512;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// Rejected items and message of a 2xx body's partial success, when there is one.
pub(crate) fn partial_success(
    signal: Signal,
    content_type: Option<&str>,
    body: &[u8],
) -> Option<(i64, String)> {
    use opentelemetry_proto::tonic::collector::{logs, metrics, trace};
    if body.is_empty() {
        return None;
    }
    macro_rules! read {
        ($ty:ty, $field:ident) => {{
            let response: $ty = if is_json(content_type) {
                serde_json::from_slice(body).ok()?
            } else {
                <$ty>::decode(body).ok()?
            };
            response
                .partial_success
                .map(|p| (p.$field, p.error_message))
        }};
    }
    let (rejected, message) = match signal {
        Signal::Traces => read!(trace::v1::ExportTraceServiceResponse, rejected_spans),
        Signal::Metrics => read!(
            metrics::v1::ExportMetricsServiceResponse,
            rejected_data_points
        ),
        Signal::Logs => read!(logs::v1::ExportLogsServiceResponse, rejected_log_records),
    }?;
    (rejected != 0 || !message.is_empty()).then_some((rejected, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn statuses_follow_otelcol() {
        for code in [429, 502, 503, 504] {
            assert!(is_retryable(http::StatusCode::from_u16(code).unwrap()));
        }
        for code in [400, 401, 403, 404, 413, 500, 501] {
            assert!(!is_retryable(http::StatusCode::from_u16(code).unwrap()));
        }
    }

    #[test]
    fn error_bodies() {
        let status = tonic_types::Status {
            code: 3,
            message: "bad span".into(),
            details: vec![],
        };
        assert_eq!(
            error_message(Some("application/x-protobuf"), &status.encode_to_vec()),
            "bad span"
        );
        assert_eq!(
            error_message(
                Some("application/json"),
                br#"{"code":3,"message":"bad json"}"#
            ),
            "bad json"
        );
        assert_eq!(error_message(Some("text/plain"), b" nope \n"), "nope");
    }
}
