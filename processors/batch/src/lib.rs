//! The batch processor (`batch`): gathers spans, data points and log records into larger
//! batches before they go on, as otelcol's batch processor does.
//!
//! A batch is sent when it holds `send_batch_size` items or when `timeout` has passed since
//! it was started, split into sends of at most `send_batch_max_size` items. Nothing goes on
//! the wire here; the next consumer gets merged OTLP payloads.
//!
//! * [`config`]: keys, defaults, validation.
//! * [`batcher`]: the pure batching logic (time passed in).
//! * [`processor`]: the channel, the task, the timer.

pub mod batcher;
pub mod config;
pub mod processor;
#[cfg(test)]
mod testutil;

use std::sync::Arc;

use sonde_api::component::{ConsumerComponent, ProcessorFactory, TypedFactory};
use sonde_api::{BoxError, CreateSettings, SharedConsumer, Signal, Stability};

use crate::batcher::Limits;
use crate::config::Config;
use crate::processor::BatchProcessor;

pub fn factory() -> Arc<dyn ProcessorFactory> {
    Arc::new(BatchFactory)
}

struct BatchFactory;

impl TypedFactory for BatchFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "batch";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ProcessorFactory for BatchFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Beta)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        _signal: Signal,
        next: SharedConsumer,
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        if !config.metadata_keys.is_empty() {
            tracing::warn!(
                processor = %settings.id,
                "metadata_keys is not supported yet: all data is batched together"
            );
        }
        let limits = Limits {
            send_size: config.send_batch_size as usize,
            max_size: config.send_batch_max_size as usize,
            timeout: config.timeout,
        };
        let telemetry = settings.telemetry.batch(&settings.id);
        Ok(Arc::new(BatchProcessor::new(
            settings.id,
            limits,
            next,
            telemetry,
        )))
    }
}

#[cfg(test)]
mod tests;
