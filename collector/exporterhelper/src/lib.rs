//! The one exporter driver: sending queue, retry with backoff, per-attempt timeout and
//! the `otelcol_exporter_*` metrics, written once for every exporter.
//!
//! An exporter implements [`Sender`]: one attempt at sending one batch, with the answer
//! classified as a [`SendError`] (permanent, retryable, or retryable with the server's
//! throttle hint). It wraps that sender in a [`Driver`], which is the component the
//! service sees:
//!
//! ```text
//! consume ──► sending_queue (bounded, batches of any signal) ──► num_consumers tasks
//!                │ full: retryable "sending queue is full"            │
//!                │       (or wait, with block_on_overflow)            ▼
//!                ▼                                        attempt (bounded by timeout)
//!        enqueue_failed_*                                 retryable → wait backoff, again
//!                                                         ok → sent_*; else send_failed_*
//! ```
//!
//! * **Config** ([`config`]): `retry_on_failure` and `sending_queue` with otelcol's keys
//!   and defaults; `timeout` stays in the exporter's config since its default differs.
//! * **Backoff** ([`Backoff`]): a plain struct given `now` and the randomness, so the
//!   schedule is tested without sleeping. A server hint (`Retry-After`, `RetryInfo`)
//!   replaces the wait when it is longer; a batch is dropped once the next attempt
//!   would start past `max_elapsed_time`.
//! * **Queue disabled**: `consume` sends in the caller's task, with retries, and
//!   returns the outcome (permanent stays permanent; given up becomes retryable).
//! * **Shutdown**: no new batch is accepted, waits in progress are cut short, every
//!   queued batch gets one more attempt, bounded by `shutdown_timeout`; what is left
//!   is counted in `send_failed` and logged.
//!
//! Nothing here touches the wire: requests, encodings and status codes are the
//! exporter's business.

pub mod backoff;
pub mod config;
mod driver;
mod queue;
mod retry;
mod sender;

pub use backoff::Backoff;
pub use config::{QueueConfig, RetryConfig};
pub use driver::{Driver, DriverOptions};
pub use sender::{SendError, Sender};
