//! The running service: load, validate, build, start; then wait for a signal.
//! SIGINT / SIGTERM stop it (receivers first, then drain); SIGHUP reloads the config
//! and, when the new config is invalid or fails to start, keeps the old one running.

use serde_yaml::Value;
use sonde_api::telemetry::Telemetry;
use sonde_api::{Host, ServiceStatus};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch};

use crate::graph::Graph;
use crate::plan::{plan, Plan};
use crate::registry::Registry;
use crate::resolve::resolve;
use crate::self_telemetry::{init_logs, serve_metrics};

/// The `--config` and `--set` flags, kept so that SIGHUP can read them again.
#[derive(Clone, Debug, Default)]
pub struct Loader {
    pub configs: Vec<String>,
    pub sets: Vec<String>,
}

impl Loader {
    /// The resolved config tree, from the process environment.
    pub fn load(&self) -> Result<Value, String> {
        resolve(&self.configs, &self.sets, &|name| std::env::var(name).ok())
            .map_err(|e| e.to_string())
    }

    /// The resolved and validated config.
    pub fn plan(&self, registry: &Registry) -> Result<Plan, String> {
        plan(&self.load()?, registry)
    }
}

struct Running {
    graph: Graph,
    plan: Plan,
}

async fn build_and_start(
    plan: Plan,
    registry: &Registry,
    telemetry: &Telemetry,
    host: &Host,
) -> Result<Running, String> {
    let graph = Graph::build(&plan, registry, telemetry)?;
    graph.start(host).await?;
    Ok(Running { graph, plan })
}

/// Runs until SIGINT / SIGTERM (Ok) or a fatal component error (Err).
pub async fn run(loader: Loader, registry: Registry) -> Result<(), String> {
    let first = loader.plan(&registry)?;
    init_logs(&first.telemetry.logs);
    let telemetry = Telemetry::new();
    let metrics_server = match first
        .telemetry
        .metrics
        .endpoint()
        .map_err(|e| e.to_string())?
    {
        Some(endpoint) => Some(serve_metrics(&endpoint, telemetry.clone()).await?),
        None => None,
    };

    let (status, status_rx) = watch::channel(ServiceStatus::Starting);
    let (fatal_tx, mut fatal) = mpsc::unbounded_channel();
    let host = Host::new(fatal_tx, status_rx);
    let signal_err = |e: std::io::Error| format!("cannot install signal handler: {e}");
    let mut sigterm = signal(SignalKind::terminate()).map_err(signal_err)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(signal_err)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(signal_err)?;

    let mut current = build_and_start(first, &registry, &telemetry, &host).await?;
    let _ = status.send(ServiceStatus::Running);
    tracing::info!("Everything is ready. Begin running and processing data.");

    let outcome = loop {
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("Received signal from OS: terminated"); break Ok(()) }
            _ = sigint.recv() => { tracing::info!("Received signal from OS: interrupt"); break Ok(()) }
            Some(err) = fatal.recv() => { tracing::error!("fatal component error: {err}"); break Err(err) }
            _ = sighup.recv() => {
                tracing::info!("Received SIGHUP: reloading the config");
                let next = match loader.plan(&registry) {
                    Ok(next) => next,
                    Err(err) => {
                        tracing::error!("config reload failed, keeping the running config: {err}");
                        continue;
                    }
                };
                let _ = status.send(ServiceStatus::Starting);
                current.graph.shutdown().await;
                let old = current.plan.clone();
                current = match build_and_start(next, &registry, &telemetry, &host).await {
                    Ok(running) => running,
                    Err(err) => {
                        tracing::error!("new config failed to start, going back to the previous one: {err}");
                        build_and_start(old, &registry, &telemetry, &host).await?
                    }
                };
                let _ = status.send(ServiceStatus::Running);
                tracing::info!("config reloaded");
            }
        }
    };
    let _ = status.send(ServiceStatus::Stopping);
    tracing::info!("Starting shutdown...");
    current.graph.shutdown().await;
    if let Some(server) = metrics_server {
        server.abort();
    }
    tracing::info!("Shutdown complete.");
    outcome
}
