//! The handle data is pushed into, and the one classification of its failures.
//!
//! Every edge maps [`ConsumeError`] the same way: a receiver answers a retryable
//! error with gRPC `Unavailable` / HTTP 503 (`ResourceExhausted` / 429 when
//! throttled) and a permanent one with `InvalidArgument` / 400; an exporter retries
//! only what is retryable.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::pdata::{Context, Payload};

/// Something that takes a payload: the next processor, a fan-out, an exporter's queue.
#[async_trait::async_trait]
pub trait Consumer: Send + Sync {
    /// Takes ownership of `payload`. An `Ok` means the data is accepted: from here on it
    /// is delivered or counted as dropped.
    async fn consume(&self, payload: Payload, ctx: Context) -> Result<(), ConsumeError>;
}

pub type SharedConsumer = Arc<dyn Consumer>;

/// Why data was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// This data can never succeed (malformed, rejected by a schema). Do not retry.
    Permanent,
    /// Try again later (a full queue, a backend that is down, the memory limit).
    Retryable,
    /// Retryable, and the sender should slow down (HTTP 429 / gRPC `ResourceExhausted`).
    Throttled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumeError {
    kind: ErrorKind,
    message: String,
    retry_after: Option<Duration>,
}

impl ConsumeError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Retryable, message)
    }
    pub fn throttled(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Throttled, message)
    }
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ConsumeError {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }
    /// A hint for when to try again; receivers pass it on as `Retry-After` / `RetryInfo`.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn is_permanent(&self) -> bool {
        self.kind == ErrorKind::Permanent
    }
    pub fn is_retryable(&self) -> bool {
        !self.is_permanent()
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for ConsumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConsumeError {}
