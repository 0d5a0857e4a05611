//! Errors as OTLP answers them: one `google.rpc.Status`, seen as a gRPC status or as
//! an HTTP status code plus a body.
//!
//! The mapping is otelcol's: a retryable pipeline error is `Unavailable` (HTTP 503), a
//! throttled one `ResourceExhausted` (429), a permanent one or a malformed request
//! `InvalidArgument` (400). When the pipeline says when to come back, the status
//! carries a `google.rpc.RetryInfo` detail and HTTP adds `Retry-After` (whole seconds).

use std::time::Duration;

use http::StatusCode;
use sonde_api::consumer::ErrorKind;
use sonde_api::ConsumeError;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

/// A failed export, in gRPC terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    pub code: Code,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl RpcError {
    pub fn new(code: Code, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A request that cannot be decoded.
    pub fn malformed(message: impl Into<String>) -> RpcError {
        RpcError::new(Code::InvalidArgument, message)
    }

    pub fn from_consume(err: &ConsumeError) -> RpcError {
        let code = match err.kind() {
            ErrorKind::Permanent => Code::InvalidArgument,
            ErrorKind::Retryable => Code::Unavailable,
            ErrorKind::Throttled => Code::ResourceExhausted,
        };
        RpcError {
            code,
            message: err.message().to_string(),
            retry_after: err.retry_after(),
        }
    }

    /// otelcol's gRPC → HTTP mapping.
    pub fn http_status(&self) -> StatusCode {
        match self.code {
            Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Aborted
            | Code::OutOfRange
            | Code::Unavailable
            | Code::DataLoss => StatusCode::SERVICE_UNAVAILABLE,
            Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
            Code::InvalidArgument => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::Unimplemented => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn details(&self) -> ErrorDetails {
        match self.retry_after {
            Some(after) => ErrorDetails::with_retry_info(Some(after)),
            None => ErrorDetails::new(),
        }
    }

    pub fn to_tonic(&self) -> tonic::Status {
        tonic::Status::with_error_details(self.code, self.message.clone(), self.details())
    }

    /// The `google.rpc.Status` protobuf: code (1), message (2), details (3).
    pub fn to_proto_bytes(&self) -> Vec<u8> {
        // tonic keeps the encoded google.rpc.Status as the status' details.
        self.to_tonic().details().to_vec()
    }

    /// The `google.rpc.Status` in proto3 JSON, as Go's protojson writes it.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut status = serde_json::Map::new();
        status.insert("code".into(), (self.code as i32).into());
        if !self.message.is_empty() {
            status.insert("message".into(), self.message.clone().into());
        }
        if let Some(after) = self.retry_after {
            status.insert(
                "details".into(),
                serde_json::json!([{
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": json_duration(after),
                }]),
            );
        }
        serde_json::Value::Object(status).to_string().into_bytes()
    }

    /// `Retry-After` in whole seconds, for 429 and 503 answers that carry a delay.
    pub fn retry_after_header(&self) -> Option<String> {
        let status = self.http_status();
        if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
            return None;
        }
        self.retry_after.map(|d| d.as_secs().to_string())
    }
}

/// A `google.protobuf.Duration` in JSON: seconds with 0, 3, 6 or 9 fraction digits.
fn json_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        format!("{}s", d.as_secs())
    } else if nanos.is_multiple_of(1_000_000) {
        format!("{}.{:03}s", d.as_secs(), nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{}.{:06}s", d.as_secs(), nanos / 1_000)
    } else {
        format!("{}.{:09}s", d.as_secs(), nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn consume_errors_map_like_otelcol() {
        let cases = [
            (ConsumeError::retryable("full"), Code::Unavailable, 503),
            (
                ConsumeError::throttled("slow"),
                Code::ResourceExhausted,
                429,
            ),
            (ConsumeError::permanent("bad"), Code::InvalidArgument, 400),
        ];
        for (err, code, http) in cases {
            let e = RpcError::from_consume(&err);
            assert_eq!(e.code, code);
            assert_eq!(e.http_status().as_u16(), http);
        }
    }

    #[test]
    fn proto_body_has_retry_info() {
        let e = RpcError::from_consume(
            &ConsumeError::retryable("full").with_retry_after(Duration::from_millis(2500)),
        );
        let status = tonic_types::pb::Status::decode(e.to_proto_bytes().as_slice()).unwrap();
        assert_eq!(status.code, 14);
        assert_eq!(status.message, "full");
        assert_eq!(status.details.len(), 1);
        assert_eq!(
            status.details[0].type_url,
            "type.googleapis.com/google.rpc.RetryInfo"
        );
        let info = tonic_types::pb::RetryInfo::decode(status.details[0].value.as_slice()).unwrap();
        let delay = info.retry_delay.unwrap();
        assert_eq!((delay.seconds, delay.nanos), (2, 500_000_000));
        assert_eq!(e.retry_after_header().as_deref(), Some("2"));
        assert_eq!(
            String::from_utf8(e.to_json_bytes()).unwrap(),
            r#"{"code":14,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2.500s"}],"message":"full"}"#
        );
    }

    #[test]
    fn permanent_has_no_retry_after() {
        let e = RpcError::from_consume(
            &ConsumeError::permanent("no").with_retry_after(Duration::from_secs(3)),
        );
        assert_eq!(e.retry_after_header(), None);
    }
}
