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

use sonde_api::component::{ConsumerComponent, TypedFactory};
use sonde_api::{BoxError, CreateSettings, ExporterFactory, Signal, Stability};
use sonde_exporterhelper::{Driver, DriverOptions};

use crate::config::Config;

struct OtlpExporterFactory;

pub fn factory() -> Arc<dyn ExporterFactory> {
    Arc::new(OtlpExporterFactory)
}

impl TypedFactory for OtlpExporterFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "otlp";
    const ALIASES: &'static [&'static str] = &["otlp_grpc"];
    const MODULE: &'static str = sonde_api::module_name!();
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
