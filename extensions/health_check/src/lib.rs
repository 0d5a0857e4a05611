//! The health_check extension (`health_check`): an HTTP endpoint that answers 200 while
//! the service runs and 503 while it starts or stops, with otelcol-contrib's JSON body.
//!
//! * [`config`]: keys and defaults.
//! * [`response`]: status code and body, as a pure function.
//! * [`server`]: the listener and its lifecycle.

pub mod config;
pub mod response;
pub mod server;

use std::sync::Arc;

use sonde_api::component::{ExtensionFactory, TypedFactory};
use sonde_api::{BoxError, CreateSettings, Lifecycle, Stability};

use crate::config::Config;
use crate::server::HealthCheck;

pub fn factory() -> Arc<dyn ExtensionFactory> {
    Arc::new(HealthCheckFactory)
}

struct HealthCheckFactory;

impl TypedFactory for HealthCheckFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "health_check";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ExtensionFactory for HealthCheckFactory {
    fn stability(&self) -> Stability {
        Stability::Beta
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        Ok(Arc::new(HealthCheck::new(settings.id, config)))
    }
}

#[cfg(test)]
mod tests;
