//! The Prometheus remote-write receiver (`prometheusremotewrite`): Prometheus's
//! remote-write 1.0 (`POST /api/v1/write`, snappy protobuf) into OTLP metrics.
//!
//! Layout: [`config`] (keys and defaults), [`server`] (the endpoint, status codes),
//! and here the factory and the lifecycle. The translation itself is the shared,
//! pure `sonde-translator-prometheusremotewrite`.

pub mod config;
pub mod server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sonde_api::component::{ReceiverFactory, TypedFactory};
use sonde_api::config::decode;
use sonde_api::intake::Intake;
use sonde_api::{
    async_trait, BoxError, ComponentId, CreateSettings, Host, Lifecycle, Signal, SignalConsumers,
    Stability,
};
use sonde_netconfig::HttpServerSlot;
use sonde_translator_prometheusremotewrite::SharedFamilies;

use crate::config::Config;
use crate::server::{router, AppState};

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub fn factory() -> Arc<dyn ReceiverFactory> {
    Arc::new(PrometheusRemoteWriteFactory)
}

struct PrometheusRemoteWriteFactory;

impl TypedFactory for PrometheusRemoteWriteFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "prometheusremotewrite";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ReceiverFactory for PrometheusRemoteWriteFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Metrics).then_some(Stability::Alpha)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config = decode::<Config>(config)?;
        Ok(Arc::new(PrometheusRemoteWriteReceiver::new(
            settings, config, consumers,
        )))
    }
}

pub struct PrometheusRemoteWriteReceiver {
    id: ComponentId,
    config: Config,
    settings: CreateSettings,
    consumers: SignalConsumers,
    server: HttpServerSlot,
}

impl PrometheusRemoteWriteReceiver {
    pub fn new(settings: CreateSettings, config: Config, consumers: SignalConsumers) -> Self {
        PrometheusRemoteWriteReceiver {
            id: settings.id.clone(),
            config,
            settings,
            consumers,
            server: HttpServerSlot::default(),
        }
    }

    /// The address bound by `start` (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.addr()
    }
}

#[async_trait]
impl Lifecycle for PrometheusRemoteWriteReceiver {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let telemetry = &self.settings.telemetry;
        let state = Arc::new(AppState {
            intake: Intake::new(
                self.consumers.clone(),
                telemetry.receiver(&self.id, "http"),
                false,
            ),
            families: SharedFamilies::new(self.config.max_remembered_families),
            max_body: self.config.max_request_body_size_mib << 20,
            time_threshold: Duration::from_secs(self.config.time_threshold.saturating_mul(3600)),
            dropped: telemetry.counters(
                "sonde_receiver_prometheusremotewrite_dropped_samples",
                "Samples the Prometheus remote-write receiver took but made no data point of, by reason",
            ),
            receiver: self.id.to_string(),
        });
        self.server
            .serve(
                "Prometheus remote-write",
                &self.id,
                host,
                &self.config.endpoint,
                router(state),
            )
            .await?;
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        self.server.stop(SHUTDOWN_GRACE).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
