//! The debug exporter (`debug`): writes every batch it gets to the collector's log, at
//! `info`, in otelcol's text formats (`basic`, `normal`, `detailed`). Nothing goes on a wire.
//!
//! * [`config`]: keys and defaults.
//! * [`text`]: the formatting, as pure functions.
//! * [`sampler`]: per-second sampling of what is written.
//! * [`exporter`]: the component.

pub mod config;
pub mod exporter;
pub mod sampler;
pub mod text;

use std::sync::Arc;

use sonde_api::component::{ConsumerComponent, ExporterFactory, TypedFactory};
use sonde_api::{BoxError, CreateSettings, Signal, Stability};

use crate::config::Config;
use crate::exporter::DebugExporter;

pub fn factory() -> Arc<dyn ExporterFactory> {
    Arc::new(DebugFactory)
}

struct DebugFactory;

impl TypedFactory for DebugFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "debug";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ExporterFactory for DebugFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Development)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        _signals: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        let telemetry = settings.telemetry.exporter(&settings.id);
        Ok(Arc::new(DebugExporter::new(settings.id, config, telemetry)))
    }
}

#[cfg(test)]
mod tests;
