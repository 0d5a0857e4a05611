//! How an HTTP receiver answers what it could not take, written once: a
//! pipeline's refusal (otelcol's mapping: retryable 503, throttled 429, both
//! with `Retry-After`; permanent 400) and a body that would not decompress.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use sonde_api::consumer::ErrorKind;
use sonde_api::ConsumeError;

use crate::compression::DecodeError;

/// The status for a pipeline's refusal, and the `Retry-After` value (whole
/// seconds, at least 1) for the statuses a client retries.
pub fn refusal_status(err: &ConsumeError) -> (StatusCode, Option<HeaderValue>) {
    let status = match err.kind() {
        ErrorKind::Permanent => return (StatusCode::BAD_REQUEST, None),
        ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Retryable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let seconds = err.retry_after().map_or(1, |d| d.as_secs().max(1));
    (status, HeaderValue::from_str(&seconds.to_string()).ok())
}

/// A plain-text answer: `message` and a newline.
pub fn text(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// The status for a body that could not be decompressed.
pub fn decode_error_status(err: &DecodeError) -> StatusCode {
    match err {
        DecodeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        DecodeError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn refusals() {
        assert_eq!(
            refusal_status(&ConsumeError::permanent("x")),
            (StatusCode::BAD_REQUEST, None)
        );
        assert_eq!(
            refusal_status(&ConsumeError::retryable("x")),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(HeaderValue::from_static("1"))
            )
        );
        let throttled = ConsumeError::throttled("x").with_retry_after(Duration::from_secs(7));
        assert_eq!(
            refusal_status(&throttled),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(HeaderValue::from_static("7"))
            )
        );
    }
}
