//! The `otlp` receiver factory.

use std::sync::Arc;

use sonde_api::component::{ReceiverFactory, TypedFactory};
use sonde_api::config::decode;
use sonde_api::{BoxError, CreateSettings, Lifecycle, Signal, SignalConsumers, Stability};

use crate::config::Config;
use crate::receiver::OtlpReceiver;

pub struct OtlpReceiverFactory;

impl TypedFactory for OtlpReceiverFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "otlp";
    const MODULE: &'static str = sonde_api::module_name!();
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
