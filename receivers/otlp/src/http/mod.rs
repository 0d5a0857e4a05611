//! OTLP/HTTP: `POST` of protobuf or JSON export requests on one path per signal
//! (`/v1/traces`, `/v1/metrics`, `/v1/logs` by default), optionally gzip or zstd
//! compressed, with CORS for browsers. See [`handler`] for the status codes.

mod cors;
mod encoding;
mod handler;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use sonde_api::Signal;
use tokio::net::TcpListener;

use crate::config::{url_path, HttpConfig};
use handler::HttpState;
use sonde_api::intake::Intake;

/// Serves OTLP/HTTP on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    config: &HttpConfig,
    intake: Intake,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let routes = [
        (&config.traces_url_path, Signal::Traces),
        (&config.metrics_url_path, Signal::Metrics),
        (&config.logs_url_path, Signal::Logs),
    ]
    .into_iter()
    // otelcol registers a path only for a signal some pipeline takes.
    .filter(|(_, signal)| intake.serves(*signal))
    .map(|(path, signal)| (url_path(path), signal))
    .collect();
    let state = HttpState {
        intake,
        routes,
        max_body: config.max_request_body_size(),
        cors: config.cors.as_ref().and_then(cors::Cors::new),
    };
    if let Ok(local) = listener.local_addr() {
        tracing::info!(endpoint = %local, "OTLP/HTTP receiver listening");
    }
    let app = Router::new()
        .fallback(handler::handle)
        .with_state(Arc::new(state));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
