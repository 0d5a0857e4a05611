//! The memory_limiter in a pipeline: passes data on, or refuses it with otelcol's retryable
//! error while the shared check says memory is too high.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sonde_api::telemetry::ProcessorTelemetry;
use sonde_api::{
    async_trait, BoxError, ConsumeError, Consumer, Context, Host, Lifecycle, Payload,
    SharedConsumer, Signal,
};

use crate::shared::Shared;

/// otelcol's `ErrDataRefused` text; receivers turn it into `Unavailable` / 503.
pub const REFUSED: &str = "data refused due to high memory usage";

pub struct MemoryLimiter {
    signal: Signal,
    shared: Arc<Shared>,
    next: SharedConsumer,
    telemetry: ProcessorTelemetry,
    started: AtomicBool,
}

impl MemoryLimiter {
    pub fn new(
        signal: Signal,
        shared: Arc<Shared>,
        next: SharedConsumer,
        telemetry: ProcessorTelemetry,
    ) -> MemoryLimiter {
        MemoryLimiter {
            signal,
            shared,
            next,
            telemetry,
            started: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl Consumer for MemoryLimiter {
    async fn consume(&self, payload: Payload, ctx: Context) -> Result<(), ConsumeError> {
        if self.shared.must_refuse(Instant::now()) {
            self.telemetry.refused(self.signal, payload.item_count());
            return Err(ConsumeError::retryable(REFUSED));
        }
        self.next.consume(payload, ctx).await
    }
}

#[async_trait]
impl Lifecycle for MemoryLimiter {
    async fn start(&self, _host: &Host) -> Result<(), BoxError> {
        if !self.started.swap(true, Ordering::SeqCst) {
            self.shared.start();
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        if self.started.swap(false, Ordering::SeqCst) {
            self.shared.stop();
        }
        Ok(())
    }
}
