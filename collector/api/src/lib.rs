//! The component API of sonde: everything a receiver, processor, exporter or
//! extension needs to know about the collector, and nothing about the others.
//!
//! * [`pdata`]: the data that flows, as OTLP protobuf types, one [`pdata::Payload`] per signal.
//! * [`consumer`]: the handle a component pushes data into, and the error classification.
//! * [`component`]: ids, factories, the lifecycle, and the host a component starts in.
//! * [`config`]: typed decoding of a component's YAML with key paths in errors.
//! * [`telemetry`]: the collector's own metrics, under otelcol's names.

pub mod calendar;
pub mod component;
pub mod config;
pub mod consumer;
pub mod intake;
pub mod pdata;
pub mod process;
pub mod skywalking;
pub mod telemetry;

pub use async_trait::async_trait;
pub use component::{
    ComponentId, CreateSettings, ExporterFactory, ExtensionFactory, Host, Kind, Lifecycle,
    ProcessorFactory, ReceiverFactory, ServiceStatus, SignalConsumers, Stability,
};
pub use consumer::{ConsumeError, Consumer, SharedConsumer};
pub use pdata::{ClientInfo, Context, Payload, Signal};

/// A boxed error for lifecycle failures (a port that cannot be bound, a bad certificate ...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
