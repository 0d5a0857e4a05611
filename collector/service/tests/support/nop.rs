//! Test-only components: a receiver, processor, exporter and extension that do nothing
//! but accept a typed config (`endpoint`, `size`), so the service's validation and
//! wiring can be tested without real components.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sonde_api::component::{
    ConsumerComponent, ExporterFactory, ExtensionFactory, Factory, ProcessorFactory,
    ReceiverFactory,
};
use sonde_api::config::{decode, default_value, ComponentConfig, ConfigError};
use sonde_api::{
    BoxError, ConsumeError, Consumer, Context, CreateSettings, Lifecycle, Payload, SharedConsumer,
    Signal, SignalConsumers, Stability,
};
use sonde_service::Registry;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NopConfig {
    pub endpoint: String,
    pub size: u32,
}

impl ComponentConfig for NopConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.size > 100 {
            return Err(ConfigError::new(&["size"], "must be at most 100"));
        }
        Ok(())
    }
}

pub struct Nop {
    name: &'static str,
    aliases: &'static [&'static str],
    signals: &'static [Signal],
}

struct NopInstance(Option<SharedConsumer>);

#[sonde_api::async_trait]
impl Lifecycle for NopInstance {}

#[sonde_api::async_trait]
impl Consumer for NopInstance {
    async fn consume(&self, payload: Payload, ctx: Context) -> Result<(), ConsumeError> {
        match &self.0 {
            Some(next) => next.consume(payload, ctx).await,
            None => Ok(()),
        }
    }
}

impl Factory for Nop {
    fn type_name(&self) -> &'static str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn module(&self) -> &'static str {
        "nop v0"
    }
    fn default_config(&self) -> serde_yaml::Value {
        default_value::<NopConfig>()
    }
    fn validate(&self, config: &serde_yaml::Value) -> Result<(), ConfigError> {
        decode::<NopConfig>(config).map(|_| ())
    }
}

impl Nop {
    fn stab(&self, signal: Signal) -> Option<Stability> {
        self.signals.contains(&signal).then_some(Stability::Stable)
    }
}

impl ReceiverFactory for Nop {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        self.stab(signal)
    }
    fn create(
        &self,
        _: CreateSettings,
        _: &serde_yaml::Value,
        _: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        Ok(Arc::new(NopInstance(None)))
    }
}

impl ProcessorFactory for Nop {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        self.stab(signal)
    }
    fn create(
        &self,
        _: CreateSettings,
        _: &serde_yaml::Value,
        _: Signal,
        next: SharedConsumer,
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        Ok(Arc::new(NopInstance(Some(next))))
    }
}

impl ExporterFactory for Nop {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        self.stab(signal)
    }
    fn create(
        &self,
        _: CreateSettings,
        _: &serde_yaml::Value,
        _: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        Ok(Arc::new(NopInstance(None)))
    }
}

impl ExtensionFactory for Nop {
    fn stability(&self) -> Stability {
        Stability::Beta
    }
    fn create(
        &self,
        _: CreateSettings,
        _: &serde_yaml::Value,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        Ok(Arc::new(NopInstance(None)))
    }
}

const ALL: &[Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];

pub fn registry() -> Registry {
    Registry {
        receivers: vec![
            Arc::new(Nop {
                name: "nop",
                aliases: &["nop_alias"],
                signals: ALL,
            }),
            Arc::new(Nop {
                name: "tracesonly",
                aliases: &[],
                signals: &[Signal::Traces],
            }),
        ],
        processors: vec![Arc::new(Nop {
            name: "nop",
            aliases: &[],
            signals: ALL,
        })],
        exporters: vec![Arc::new(Nop {
            name: "nop",
            aliases: &[],
            signals: ALL,
        })],
        extensions: vec![Arc::new(Nop {
            name: "nop",
            aliases: &[],
            signals: &[],
        })],
    }
}
