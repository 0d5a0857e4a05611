//! The thin async loop around [`Backoff`]: one attempt bounded by the timeout, then
//! wait and try again while the error is retryable, the schedule allows, and the
//! exporter is not shutting down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sonde_api::Payload;
use tokio::sync::watch;

use crate::backoff::Backoff;
use crate::config::RetryConfig;
use crate::sender::{SendError, Sender};

/// How a batch ended up not being sent.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The backend refused it for good.
    Permanent(SendError),
    /// Retryable, but retries are off, used up, or cut short by shutdown.
    GaveUp { last: SendError, why: &'static str },
}

impl Failure {
    pub(crate) fn is_permanent(&self) -> bool {
        matches!(self, Failure::Permanent(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Permanent(e) => write!(f, "not retryable error: {e}"),
            Failure::GaveUp { last, why } => write!(f, "{why}: {last}"),
        }
    }
}

pub(crate) struct Retrier {
    pub(crate) sender: Arc<dyn Sender>,
    pub(crate) config: RetryConfig,
    /// Per attempt; zero means no limit.
    pub(crate) timeout: Duration,
    /// Flips to true at shutdown: waits are cut short and no new retry starts.
    pub(crate) stopping: watch::Receiver<bool>,
    pub(crate) exporter: String,
}

impl Retrier {
    pub(crate) async fn send(&self, payload: Arc<Payload>) -> Result<(), Failure> {
        let mut backoff = Backoff::new(&self.config, Instant::now());
        let mut stopping = self.stopping.clone();
        loop {
            let err = match self.attempt(payload.clone()).await {
                Ok(()) => return Ok(()),
                Err(err) if err.is_permanent() => return Err(Failure::Permanent(err)),
                Err(err) => err,
            };
            if !self.config.enabled {
                return Err(Failure::GaveUp {
                    last: err,
                    why: "retries are disabled",
                });
            }
            if *stopping.borrow() {
                return Err(Failure::GaveUp {
                    last: err,
                    why: "interrupted due to shutdown",
                });
            }
            let Some(delay) = backoff.next_delay(Instant::now(), rand::random(), err.throttle())
            else {
                return Err(Failure::GaveUp {
                    last: err,
                    why: "no more retries left",
                });
            };
            tracing::info!(
                exporter = %self.exporter,
                error = %err,
                interval = ?delay,
                "Exporting failed. Will retry the request after interval."
            );
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stopping.wait_for(|stop| *stop) => {
                    return Err(Failure::GaveUp { last: err, why: "interrupted due to shutdown" });
                }
            }
        }
    }

    async fn attempt(&self, payload: Arc<Payload>) -> Result<(), SendError> {
        let fut = self.sender.send(payload);
        if self.timeout.is_zero() {
            return fut.await;
        }
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(result) => result,
            Err(_) => Err(SendError::retryable(format!(
                "request timed out after {}",
                sonde_api::config::duration::format(self.timeout)
            ))),
        }
    }
}
