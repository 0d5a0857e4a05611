//! The collector's own logs and metrics: `tracing` at `service.telemetry.logs.level`,
//! and Prometheus text on `/metrics` with otelcol's process metrics added at scrape time.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use prometheus_client::metrics::gauge::Gauge;
use sonde_api::telemetry::Telemetry;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::config::LogsConfig;

/// Installs the global subscriber once, at `level` and in `encoding` (`console` or
/// `json`, as otelcol's zap logger). `SONDE_LOG` (an EnvFilter directive) overrides the
/// level. Logs go to stderr; `output_paths` is not honoured yet.
pub fn init_logs(config: &LogsConfig) {
    use std::io::IsTerminal;
    let level = match config.level.to_ascii_lowercase().as_str() {
        "dpanic" | "panic" | "fatal" => "error".to_string(),
        other => other.to_string(),
    };
    let filter = EnvFilter::try_from_env("SONDE_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (a reload) keeps the first subscriber; that is fine.
    let _ = if config.encoding == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}

/// Gauges refreshed on every scrape from /proc.
#[derive(Clone)]
struct ProcessMetrics {
    started: Instant,
    rss: Gauge,
    cpu_seconds: Gauge<f64, AtomicU64>,
    uptime: Gauge<f64, AtomicU64>,
}

impl ProcessMetrics {
    fn register(telemetry: &Telemetry) -> ProcessMetrics {
        let m = ProcessMetrics {
            started: Instant::now(),
            rss: Gauge::default(),
            cpu_seconds: Gauge::default(),
            uptime: Gauge::default(),
        };
        telemetry.register(
            "otelcol_process_memory_rss",
            "Total physical memory (resident set size) [bytes]",
            m.rss.clone(),
        );
        telemetry.register(
            "otelcol_process_cpu_seconds",
            "Total CPU user and system time in seconds",
            m.cpu_seconds.clone(),
        );
        telemetry.register(
            "otelcol_process_uptime",
            "Uptime of the process [seconds]",
            m.uptime.clone(),
        );
        m
    }

    fn refresh(&self) {
        self.uptime.set(self.started.elapsed().as_secs_f64());
        if let Ok(rss) = sonde_api::process::rss_bytes() {
            self.rss.set(rss as i64);
        }
        if let Ok(cpu) = sonde_api::process::cpu_seconds() {
            self.cpu_seconds.set(cpu);
        }
    }
}

/// Serves `/metrics` on `endpoint` until the task is aborted.
pub async fn serve_metrics(
    endpoint: &str,
    telemetry: Telemetry,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let listener = TcpListener::bind(endpoint)
        .await
        .map_err(|e| format!("cannot serve internal metrics: listen tcp {endpoint}: {e}"))?;
    let process = ProcessMetrics::register(&telemetry);
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let telemetry = telemetry.clone();
            let process = process.clone();
            async move {
                process.refresh();
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    telemetry.encode(),
                )
            }
        }),
    );
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!("internal metrics server stopped: {err}");
        }
    }))
}
