//! The SkyWalking receiver (`skywalking`): what SkyWalking agents report to an OAP
//! server, taken over gRPC (11800) and HTTP/JSON (12800), and their trace segments
//! turned into OTLP spans the way otelcol-contrib's skywalking receiver does.
//!
//! Layout: [`config`] (keys and defaults), [`proto`] (the messages, declared by hand),
//! [`json`] (their JSON form), [`translate`] (segments as OTLP, pure), [`grpc`] and
//! [`http`] (the endpoints), and here the factory and the lifecycle.

pub mod config;
pub mod grpc;
pub mod http;
pub mod json;
pub mod proto;
pub mod translate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sonde_api::component::{ReceiverFactory, TypedFactory};
use sonde_api::config::decode;
use sonde_api::intake::Intake;
use sonde_api::telemetry::Counters;
use sonde_api::{
    async_trait, BoxError, ComponentId, CreateSettings, Host, Lifecycle, Signal, SignalConsumers,
    Stability,
};
use sonde_netconfig::HttpServer;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub fn factory() -> Arc<dyn ReceiverFactory> {
    Arc::new(SkyWalkingFactory)
}

struct SkyWalkingFactory;

impl TypedFactory for SkyWalkingFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "skywalking";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ReceiverFactory for SkyWalkingFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        (signal == Signal::Traces).then_some(Stability::Beta)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        let config = decode::<Config>(config)?;
        Ok(Arc::new(SkyWalkingReceiver::new(
            settings, config, consumers,
        )))
    }
}

pub struct SkyWalkingReceiver {
    id: ComponentId,
    config: Config,
    settings: CreateSettings,
    consumers: SignalConsumers,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: watch::Sender<bool>,
    grpc: Option<(SocketAddr, JoinHandle<()>)>,
    http: Option<HttpServer>,
}

impl SkyWalkingReceiver {
    pub fn new(settings: CreateSettings, config: Config, consumers: SignalConsumers) -> Self {
        SkyWalkingReceiver {
            id: settings.id.clone(),
            config,
            settings,
            consumers,
            running: Mutex::new(None),
        }
    }

    /// The addresses bound by `start` (gRPC, HTTP); useful when a port was 0.
    pub fn local_addrs(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        let Ok(running) = self.running.lock() else {
            return (None, None);
        };
        running.as_ref().map_or((None, None), |r| {
            (
                r.grpc.as_ref().map(|(addr, _)| *addr),
                r.http.as_ref().map(HttpServer::addr),
            )
        })
    }

    fn intake(&self, transport: &str) -> Intake {
        Intake::new(
            self.consumers.clone(),
            self.settings.telemetry.receiver(&self.id, transport),
            false,
        )
    }

    fn dropped(&self) -> Counters {
        self.settings.telemetry.counters(
            "sonde_receiver_skywalking_dropped_messages",
            "Messages the SkyWalking receiver took but keeps nothing of (logs, meters, profiles), by service",
        )
    }
}

#[async_trait]
impl Lifecycle for SkyWalkingReceiver {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let protocols = &self.config.protocols;
        // Bind both before serving either, so a port in use fails the start cleanly.
        let grpc_listener = match &protocols.grpc {
            Some(cfg) => Some((
                tokio::net::TcpListener::bind(&cfg.endpoint)
                    .await
                    .map_err(|err| {
                        format!(
                            "SkyWalking gRPC: failed to listen on {}: {err}",
                            cfg.endpoint
                        )
                    })?,
                cfg,
            )),
            None => None,
        };
        let (stop, stopped) = watch::channel(false);
        let http = match &protocols.http {
            Some(cfg) => {
                let state = Arc::new(http::HttpState {
                    intake: self.intake("http"),
                    dropped: self.dropped(),
                    receiver: self.id.to_string(),
                    max_body: cfg.max_request_body_size(),
                });
                let server = HttpServer::start(
                    "SkyWalking HTTP",
                    &self.id,
                    host,
                    &cfg.endpoint,
                    http::router(state),
                )
                .await?;
                tracing::info!(receiver = %self.id, addr = %server.addr(), "SkyWalking HTTP listening");
                Some(server)
            }
            None => None,
        };
        let grpc = match grpc_listener {
            Some((listener, cfg)) => {
                let addr = listener.local_addr()?;
                let state = grpc::GrpcState {
                    intake: self.intake("grpc"),
                    dropped: self.dropped(),
                    receiver: self.id.to_string(),
                    max_recv_msg_size: cfg.max_recv_msg_size(),
                };
                let (host, id, mut stopped) = (host.clone(), self.id.clone(), stopped.clone());
                let shutdown = async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                };
                tracing::info!(receiver = %self.id, %addr, "SkyWalking gRPC listening");
                let task = tokio::spawn(async move {
                    if let Err(err) = grpc::serve(listener, state, shutdown).await {
                        host.report_fatal(&id, format!("SkyWalking gRPC server failed: {err}"));
                    }
                });
                Some((addr, task))
            }
            None => None,
        };
        drop(stopped);
        let previous = self
            .running
            .lock()
            .map_err(|_| "receiver state poisoned")?
            .replace(Running { stop, grpc, http });
        if let Some(previous) = previous {
            // Started twice: the first servers are told to stop.
            let _ = previous.stop.send(true);
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        let running = self
            .running
            .lock()
            .map_err(|_| "receiver state poisoned")?
            .take();
        let Some(running) = running else {
            return Ok(());
        };
        let _ = running.stop.send(true);
        if let Some(http) = running.http {
            http.stop(SHUTDOWN_GRACE).await;
        }
        if let Some((_, mut task)) = running.grpc {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                tracing::warn!(receiver = %self.id, "SkyWalking gRPC calls still running after {SHUTDOWN_GRACE:?}; cutting them off");
                task.abort();
            }
        }
        Ok(())
    }
}
