//! How a gRPC answer is classified, as otelcol's OTLP exporter does: the transient
//! codes are retried; `ResourceExhausted` only when the server says when to come
//! back (`google.rpc.RetryInfo`); everything else is permanent. A `RetryInfo` delay
//! is passed on as the throttle hint.

use sonde_exporterhelper::SendError;
use tonic::{Code, Status};
use tonic_types::StatusExt;

pub(crate) fn classify(status: &Status) -> SendError {
    let message = format!(
        "rpc error: code = {:?} desc = {}",
        status.code(),
        status.message()
    );
    let delay = status
        .get_details_retry_info()
        .and_then(|info| info.retry_delay);
    let retryable = match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => true,
        Code::ResourceExhausted => delay.is_some(),
        _ => false,
    };
    match (retryable, delay) {
        (false, _) => SendError::permanent(message),
        (true, Some(delay)) if !delay.is_zero() => SendError::throttled(message, delay),
        (true, _) => SendError::retryable(message),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tonic_types::ErrorDetails;

    use super::*;

    #[test]
    fn codes_follow_otelcol() {
        for code in [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ] {
            assert!(
                !classify(&Status::new(code, "x")).is_permanent(),
                "{code:?}"
            );
        }
        for code in [
            Code::InvalidArgument,
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::NotFound,
            Code::Internal,
            Code::Unimplemented,
            Code::ResourceExhausted,
        ] {
            assert!(classify(&Status::new(code, "x")).is_permanent(), "{code:?}");
        }
        assert_eq!(
            classify(&Status::unavailable("down")).message(),
            "rpc error: code = Unavailable desc = down"
        );
    }

    #[test]
    fn retry_info_makes_resource_exhausted_retryable() {
        let status = Status::with_error_details(
            Code::ResourceExhausted,
            "slow down",
            ErrorDetails::with_retry_info(Some(Duration::from_secs(7))),
        );
        let err = classify(&status);
        assert!(!err.is_permanent());
        assert_eq!(err.throttle(), Some(Duration::from_secs(7)));
    }
}
