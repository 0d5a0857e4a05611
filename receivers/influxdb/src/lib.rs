//! The InfluxDB receiver (`influxdb`): InfluxDB's line protocol over HTTP, as
//! telegraf and the InfluxDB 1.x and 2.x clients write it, into OTLP metrics.
//!
//! Layout: [`config`] (keys and defaults), [`server`] (the endpoints), and here the
//! factory and the lifecycle. The parsing and the conversion are
//! `sonde-translator-influx`'s, shared with the deepflow receiver.

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

use crate::config::Config;
use crate::server::{router, AppState};
use sonde_translator_influx::metrics::SumPatterns;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub fn factory() -> Arc<dyn ReceiverFactory> {
    Arc::new(InfluxDbFactory)
}

struct InfluxDbFactory;

impl TypedFactory for InfluxDbFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "influxdb";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ReceiverFactory for InfluxDbFactory {
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
        Ok(Arc::new(InfluxDbReceiver::new(settings, config, consumers)))
    }
}

pub struct InfluxDbReceiver {
    id: ComponentId,
    config: Config,
    settings: CreateSettings,
    consumers: SignalConsumers,
    server: HttpServerSlot,
}

impl InfluxDbReceiver {
    pub fn new(settings: CreateSettings, config: Config, consumers: SignalConsumers) -> Self {
        InfluxDbReceiver {
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
impl Lifecycle for InfluxDbReceiver {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let telemetry = &self.settings.telemetry;
        let state = Arc::new(AppState {
            intake: Intake::new(
                self.consumers.clone(),
                telemetry.receiver(&self.id, "http"),
                false,
            ),
            sums: SumPatterns::new(&self.config.sums),
            max_body: self.config.max_request_body_size_mib << 20,
            dropped: telemetry.counters(
                "sonde_receiver_influxdb_dropped_fields",
                "Fields the InfluxDB receiver took but made no metric of, by reason",
            ),
            receiver: self.id.to_string(),
        });
        self.server
            .serve(
                "InfluxDB",
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
