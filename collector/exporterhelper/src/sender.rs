//! What an exporter implements: turn one batch into a request, send it, and classify
//! the answer. Everything else (queue, retry, timeout, telemetry) is the driver's.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sonde_api::{BoxError, Payload};

#[async_trait::async_trait]
pub trait Sender: Send + Sync + 'static {
    /// One attempt. The driver may call it again with the same payload after a
    /// retryable error, and bounds each call with the exporter's `timeout`.
    async fn send(&self, payload: Arc<Payload>) -> Result<(), SendError>;

    /// Called from the exporter's start, before any send from the queue.
    async fn start(&self) -> Result<(), BoxError> {
        Ok(())
    }

    /// Called once the queue is drained.
    async fn shutdown(&self) {}
}

/// Why an attempt failed, and whether trying again may help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendError {
    kind: Kind,
    message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Permanent,
    Retryable { throttle: Option<Duration> },
}

impl SendError {
    /// The backend can never take this data (bad request, unauthenticated ...).
    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            kind: Kind::Permanent,
            message: message.into(),
        }
    }

    /// Try again after the backoff (unavailable, timed out, connection refused ...).
    pub fn retryable(message: impl Into<String>) -> SendError {
        SendError {
            kind: Kind::Retryable { throttle: None },
            message: message.into(),
        }
    }

    /// Try again, not before `delay` (HTTP `Retry-After`, gRPC `RetryInfo`).
    pub fn throttled(message: impl Into<String>, delay: Duration) -> SendError {
        SendError {
            kind: Kind::Retryable {
                throttle: Some(delay),
            },
            message: message.into(),
        }
    }

    pub fn is_permanent(&self) -> bool {
        self.kind == Kind::Permanent
    }

    /// The server's hint, when it gave one.
    pub fn throttle(&self) -> Option<Duration> {
        match self.kind {
            Kind::Retryable { throttle } => throttle,
            Kind::Permanent => None,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SendError {}
