//! Component ids, factories and the lifecycle.
//!
//! Each component crate exposes one factory. The service looks factories up by type
//! name (or alias) in its registry and never matches on names itself.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::config::{decode, default_value, ComponentConfig, ConfigError};
use crate::consumer::{Consumer, SharedConsumer};
use crate::pdata::Signal;
use crate::telemetry::Telemetry;
use crate::BoxError;

/// `type[/name]`, as in the config: `otlp`, `otlp/backup`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentId {
    type_name: String,
    name: Option<String>,
}

impl ComponentId {
    /// Parses `type[/name]`. The type must be non-empty and made of letters, digits and `_`.
    pub fn parse(s: &str) -> Result<ComponentId, String> {
        let (type_name, name) = match s.split_once('/') {
            Some((t, n)) => (t, Some(n)),
            None => (s, None),
        };
        if type_name.is_empty() {
            return Err(format!("id must not be empty: {s:?}"));
        }
        if !type_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("invalid character(s) in type {type_name:?}"));
        }
        if let Some(n) = name {
            if n.is_empty() {
                return Err(format!(
                    "name part must be specified after '/' in type/name: {s:?}"
                ));
            }
        }
        Ok(ComponentId {
            type_name: type_name.to_string(),
            name: name.map(str::to_string),
        })
    }

    pub fn new(type_name: &str) -> ComponentId {
        ComponentId {
            type_name: type_name.to_string(),
            name: None,
        }
    }

    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{}/{}", self.type_name, n),
            None => f.write_str(&self.type_name),
        }
    }
}

/// The four kinds of component, with the config section each lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Receiver,
    Processor,
    Exporter,
    Extension,
}

impl Kind {
    /// The singular word otelcol uses in messages (`references receiver "x"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receiver => "receiver",
            Kind::Processor => "processor",
            Kind::Exporter => "exporter",
            Kind::Extension => "extension",
        }
    }

    /// The top-level config key (`receivers`, ...).
    pub fn section(self) -> &'static str {
        match self {
            Kind::Receiver => "receivers",
            Kind::Processor => "processors",
            Kind::Exporter => "exporters",
            Kind::Extension => "extensions",
        }
    }
}

/// otelcol's stability levels, printed by `sonde components`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stability {
    Development,
    Alpha,
    Beta,
    Stable,
    Deprecated,
}

impl Stability {
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Development => "Development",
            Stability::Alpha => "Alpha",
            Stability::Beta => "Beta",
            Stability::Stable => "Stable",
            Stability::Deprecated => "Deprecated",
        }
    }
}

/// Where the service is in its life, for the health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceStatus {
    Starting,
    Running,
    Stopping,
}

/// What a component gets at start: a way to report a fatal error after start, and the
/// service's status.
#[derive(Clone)]
pub struct Host {
    fatal: mpsc::UnboundedSender<String>,
    status: watch::Receiver<ServiceStatus>,
}

impl Host {
    pub fn new(
        fatal: mpsc::UnboundedSender<String>,
        status: watch::Receiver<ServiceStatus>,
    ) -> Host {
        Host { fatal, status }
    }

    /// A component that can no longer work (its listener died) says so; the service stops.
    pub fn report_fatal(&self, id: &ComponentId, err: impl fmt::Display) {
        let _ = self.fatal.send(format!("{id}: {err}"));
    }

    pub fn status(&self) -> watch::Receiver<ServiceStatus> {
        self.status.clone()
    }
}

/// Start and stop. Both default to nothing, for components with no task of their own.
#[async_trait::async_trait]
pub trait Lifecycle: Send + Sync {
    /// Binds ports, spawns tasks. An error here stops the service from starting.
    async fn start(&self, _host: &Host) -> Result<(), BoxError> {
        Ok(())
    }
    /// Stops taking new data, hands on or drains what it holds (bounded wait), then returns.
    async fn shutdown(&self) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A processor or an exporter: something data is pushed into, with a lifecycle.
pub trait ConsumerComponent: Consumer + Lifecycle {}
impl<T: Consumer + Lifecycle> ConsumerComponent for T {}

/// What every create function gets besides its config.
#[derive(Clone)]
pub struct CreateSettings {
    pub id: ComponentId,
    pub telemetry: Telemetry,
}

/// The next consumer for each signal a receiver is wired to in some pipeline.
#[derive(Clone, Default)]
pub struct SignalConsumers {
    pub traces: Option<SharedConsumer>,
    pub metrics: Option<SharedConsumer>,
    pub logs: Option<SharedConsumer>,
}

impl SignalConsumers {
    pub fn get(&self, signal: Signal) -> Option<&SharedConsumer> {
        match signal {
            Signal::Traces => self.traces.as_ref(),
            Signal::Metrics => self.metrics.as_ref(),
            Signal::Logs => self.logs.as_ref(),
        }
    }

    pub fn set(&mut self, signal: Signal, consumer: SharedConsumer) {
        match signal {
            Signal::Traces => self.traces = Some(consumer),
            Signal::Metrics => self.metrics = Some(consumer),
            Signal::Logs => self.logs = Some(consumer),
        }
    }
}

/// What all factories share: a name, a default config, and config validation.
pub trait Factory: Send + Sync {
    /// The type name used in config (`otlp`).
    fn type_name(&self) -> &'static str;
    /// Historical names otelcol still accepts (`otlp_grpc`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// The crate and version the component comes from, for `sonde components`.
    fn module(&self) -> &'static str;
    /// The default config, as YAML.
    fn default_config(&self) -> serde_yaml::Value;
    /// Decodes and validates a config; errors carry the key path inside the component.
    fn validate(&self, config: &serde_yaml::Value) -> Result<(), ConfigError>;
}

/// A factory described by its names and its typed config; [`Factory`] comes with it.
///
/// ```ignore
/// impl TypedFactory for BatchFactory {
///     type Config = Config;
///     const TYPE_NAME: &'static str = "batch";
///     const MODULE: &'static str = sonde_api::module_name!();
/// }
/// ```
pub trait TypedFactory: Send + Sync {
    type Config: ComponentConfig;
    const TYPE_NAME: &'static str;
    const ALIASES: &'static [&'static str] = &[];
    const MODULE: &'static str;
}

impl<T: TypedFactory> Factory for T {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }
    fn aliases(&self) -> &'static [&'static str] {
        T::ALIASES
    }
    fn module(&self) -> &'static str {
        T::MODULE
    }
    fn default_config(&self) -> serde_yaml::Value {
        default_value::<T::Config>()
    }
    fn validate(&self, config: &serde_yaml::Value) -> Result<(), ConfigError> {
        decode::<T::Config>(config).map(|_| ())
    }
}

pub trait ReceiverFactory: Factory {
    /// `None` when the signal is not supported.
    fn stability(&self, signal: Signal) -> Option<Stability>;
    /// One instance serves every pipeline that lists this receiver id.
    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError>;
}

pub trait ProcessorFactory: Factory {
    fn stability(&self, signal: Signal) -> Option<Stability>;
    /// One instance per pipeline, in front of `next`.
    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        signal: Signal,
        next: SharedConsumer,
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError>;
}

pub trait ExporterFactory: Factory {
    fn stability(&self, signal: Signal) -> Option<Stability>;
    /// One instance serves every pipeline that lists this exporter id; `signals` are those
    /// pipelines' signals.
    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        signals: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError>;
}

pub trait ExtensionFactory: Factory {
    fn stability(&self) -> Stability;
    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
    ) -> Result<Arc<dyn Lifecycle>, BoxError>;
}

/// `module()` for a factory defined in the calling crate.
#[macro_export]
macro_rules! module_name {
    () => {
        concat!(env!("CARGO_PKG_NAME"), " v", env!("CARGO_PKG_VERSION"))
    };
}
