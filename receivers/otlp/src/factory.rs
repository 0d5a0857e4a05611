//! The `otlp` receiver factory.

use std::sync::Arc;

use sonde_api::component::{Factory, ReceiverFactory};
use sonde_api::config::{decode, default_value, ConfigError};
use sonde_api::{BoxError, CreateSettings, Lifecycle, Signal, SignalConsumers, Stability};

use crate::config::Config;
use crate::receiver::OtlpReceiver;

pub struct OtlpReceiverFactory;

impl Factory for OtlpReceiverFactory {
    fn type_name(&self) -> &'static str {
        "otlp"
    }

    fn module(&self) -> &'static str {
        sonde_api::module_name!()
    }

    fn default_config(&self) -> serde_yaml::Value {
        default_value::<Config>()
    }

    fn validate(&self, config: &serde_yaml::Value) -> Result<(), ConfigError> {
        decode::<Config>(config).map(|_| ())
    }
}

impl ReceiverFactory for OtlpReceiverFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        match signal {
            Signal::Traces | Signal::Metrics | Signal::Logs => Some(Stability::Stable),
        }
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config = decode::<Config>(config)?;
        Ok(Arc::new(OtlpReceiver::new(settings, config, consumers)))
    }
}
