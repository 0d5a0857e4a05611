//! The receiver's lifecycle: `start` binds every enabled protocol before serving any
//! (so a port in use fails the start cleanly), `shutdown` stops accepting and waits
//! for in-flight requests.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use sonde_api::component::CreateSettings;
use sonde_api::{BoxError, ComponentId, Host, Lifecycle, SignalConsumers};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::endpoint::Endpoint;
use sonde_api::intake::Intake;

/// How long `shutdown` waits for in-flight requests before cutting them off.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub struct OtlpReceiver {
    id: ComponentId,
    config: Config,
    settings: CreateSettings,
    consumers: SignalConsumers,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    grpc_addr: Option<SocketAddr>,
    http_addr: Option<SocketAddr>,
}

impl OtlpReceiver {
    pub fn new(settings: CreateSettings, config: Config, consumers: SignalConsumers) -> Self {
        OtlpReceiver {
            id: settings.id.clone(),
            config,
            settings,
            consumers,
            running: Mutex::new(None),
        }
    }

    /// The addresses bound by `start` (gRPC, HTTP); useful when a port was 0.
    pub fn local_addrs(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        match self.running.lock() {
            Ok(guard) => guard
                .as_ref()
                .map_or((None, None), |r| (r.grpc_addr, r.http_addr)),
            Err(_) => (None, None),
        }
    }

    fn intake(&self, transport: &str, include_metadata: bool) -> Intake {
        Intake::new(
            self.consumers.clone(),
            self.settings.telemetry.receiver(&self.id, transport),
            include_metadata,
        )
    }
}

async fn bind(endpoint: &str) -> Result<tokio::net::TcpListener, BoxError> {
    // The config was validated; parse again rather than keep a second copy around.
    let endpoint = Endpoint::parse(endpoint)?;
    Ok(endpoint.bind().await?)
}

/// Resolves when `stop` turns true or its sender is gone.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

#[sonde_api::async_trait]
impl Lifecycle for OtlpReceiver {
    async fn start(&self, host: &Host) -> Result<(), BoxError> {
        let protocols = &self.config.protocols;
        let grpc = match &protocols.grpc {
            Some(cfg) => Some((bind(&cfg.endpoint).await?, cfg)),
            None => None,
        };
        let http = match &protocols.http {
            Some(cfg) => Some((bind(&cfg.endpoint).await?, cfg)),
            None => None,
        };
        let (stop, stop_rx) = watch::channel(false);
        let mut running = Running {
            stop,
            tasks: Vec::new(),
            grpc_addr: None,
            http_addr: None,
        };
        if let Some((listener, cfg)) = grpc {
            running.grpc_addr = listener.local_addr().ok();
            let intake = self.intake("grpc", cfg.include_metadata);
            let max = cfg.max_recv_msg_size();
            let (host, id, stop) = (host.clone(), self.id.clone(), stop_rx.clone());
            running.tasks.push(tokio::spawn(async move {
                if let Err(err) = crate::grpc::serve(listener, intake, max, stopped(stop)).await {
                    host.report_fatal(&id, format!("OTLP/gRPC server failed: {err}"));
                }
            }));
        }
        if let Some((listener, cfg)) = http {
            running.http_addr = listener.local_addr().ok();
            let intake = self.intake("http", cfg.include_metadata);
            let (host, id, stop, cfg) =
                (host.clone(), self.id.clone(), stop_rx.clone(), cfg.clone());
            running.tasks.push(tokio::spawn(async move {
                if let Err(err) = crate::http::serve(listener, &cfg, intake, stopped(stop)).await {
                    host.report_fatal(&id, format!("OTLP/HTTP server failed: {err}"));
                }
            }));
        }
        let previous = self
            .running
            .lock()
            .map_err(|_| "receiver state poisoned")?
            .replace(running);
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
        for mut task in running.tasks {
            if tokio::time::timeout(DRAIN_TIMEOUT, &mut task)
                .await
                .is_err()
            {
                tracing::warn!(receiver = %self.id, "in-flight requests still running after {DRAIN_TIMEOUT:?}; cutting them off");
                task.abort();
            }
        }
        Ok(())
    }
}
