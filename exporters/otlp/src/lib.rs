//! The OTLP gRPC exporter (`otlp`, alias `otlp_grpc`): sends each batch as an OTLP
//! `Export` call to any OTLP/gRPC backend (a collector, Jaeger, Tempo), behind the
//! shared exporter driver (sending queue, retry, timeout).
//!
//! Layout: [`config`] (otelcol's keys), `connect` (the lazy tonic channel, plaintext or
//! rustls), `codec` (encodes the payload without copying it per attempt), `sender`
//! (one attempt, partial success logging), `status` (which gRPC codes are retried).

mod codec;
pub mod config;
mod connect;
mod sender;
mod status;

use std::sync::Arc;

use sonde_api::component::{ConsumerComponent, Factory};
use sonde_api::config::ConfigError;
use sonde_api::{BoxError, CreateSettings, ExporterFactory, Signal, Stability};
use sonde_exporterhelper::{Driver, DriverOptions};

use crate::config::Config;

struct OtlpExporterFactory;

pub fn factory() -> Arc<dyn ExporterFactory> {
    Arc::new(OtlpExporterFactory)
}

impl Factory for OtlpExporterFactory {
    fn type_name(&self) -> &'static str {
        "otlp"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["otlp_grpc"]
    }
    fn module(&self) -> &'static str {
        sonde_api::module_name!()
    }
    fn default_config(&self) -> serde_yaml::Value {
        sonde_api::config::default_value::<Config>()
    }
    fn validate(&self, config: &serde_yaml::Value) -> Result<(), ConfigError> {
        sonde_api::config::decode::<Config>(config).map(|_| ())
    }
}

impl ExporterFactory for OtlpExporterFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        signals: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        let target = config.target()?;
        let connect = connect::Connect::new(&config, &target)?;
        let sender = sender::GrpcSender::new(
            connect,
            &config.headers,
            config.compression,
            settings.id.to_string(),
        )?;
        let options = DriverOptions::new(
            config.timeout,
            config.retry_on_failure.clone(),
            config.sending_queue.clone(),
        );
        Ok(Arc::new(Driver::new(
            &settings,
            signals,
            options,
            Arc::new(sender),
        )))
    }
}
