//! The deepflow receiver (`deepflow`): the DeepFlow agent's integration listener
//! (OTLP traces, Prometheus remote-write, Telegraf line protocol on one port), so
//! senders configured for a DeepFlow agent can point at sonde unchanged.
//!
//! Layout: [`config`], [`server`] (the paths), and here the factory and the
//! lifecycle. Formats are translated by the shared `translators/` crates.

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
use sonde_translator_influx::metrics::SumPatterns;
use sonde_translator_prometheusremotewrite::SharedFamilies;

use crate::config::Config;
use crate::server::{router, AppState};

/// Remote-write metric families whose type is remembered across requests.
const REMEMBERED_FAMILIES: usize = 10_000;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub fn factory() -> Arc<dyn ReceiverFactory> {
    Arc::new(DeepFlowFactory)
}

struct DeepFlowFactory;

impl TypedFactory for DeepFlowFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "deepflow";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ReceiverFactory for DeepFlowFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal != Signal::Logs).then_some(Stability::Alpha)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config = decode::<Config>(config)?;
        Ok(Arc::new(DeepFlowReceiver {
            id: settings.id.clone(),
            config,
            settings,
            consumers,
            server: HttpServerSlot::default(),
        }))
    }
}

pub struct DeepFlowReceiver {
    id: ComponentId,
    config: Config,
    settings: CreateSettings,
    consumers: SignalConsumers,
    server: HttpServerSlot,
}

impl DeepFlowReceiver {
    /// The address bound by `start` (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.addr()
    }
}

#[async_trait]
impl Lifecycle for DeepFlowReceiver {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let telemetry = &self.settings.telemetry;
        let state = Arc::new(AppState {
            intake: Intake::new(
                self.consumers.clone(),
                telemetry.receiver(&self.id, "http"),
                false,
            ),
            families: SharedFamilies::new(REMEMBERED_FAMILIES),
            sums: SumPatterns::new(&self.config.sums),
            max_body: self.config.max_request_body_size_mib << 20,
            dropped: telemetry.counters(
                "sonde_receiver_deepflow_dropped_fields",
                "Fields the deepflow receiver took but made no metric of, by reason",
            ),
            dropped_samples: telemetry.counters(
                "sonde_receiver_deepflow_dropped_samples",
                "Remote-write samples the deepflow receiver took but made no data point of, by reason",
            ),
            receiver: self.id.to_string(),
        });
        self.server
            .serve(
                "DeepFlow integration",
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
