//! The `ebpf` receiver factory: one instance serves the traces and the metrics
//! pipelines that name it.

use std::sync::Arc;

use sonde_api::component::{ReceiverFactory, TypedFactory};
use sonde_api::config::decode;
use sonde_api::{BoxError, CreateSettings, Lifecycle, Signal, SignalConsumers, Stability};

use crate::config::Config;
use crate::receiver::EbpfReceiver;

pub struct EbpfReceiverFactory;

impl TypedFactory for EbpfReceiverFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "ebpf";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ReceiverFactory for EbpfReceiverFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        match signal {
            Signal::Traces | Signal::Metrics => Some(Stability::Alpha),
            Signal::Logs => None,
        }
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config = decode::<Config>(config)?;
        Ok(Arc::new(EbpfReceiver::new(settings, config, consumers)))
    }
}
