//! OTLP/gRPC: the three collector services of opentelemetry-proto on one tonic server.
//!
//! The request message is taken as bytes (see [`codec`]) and becomes a payload through
//! [`Payload::from_wire`], so OTLP that only passes through is never decoded into
//! structs. Only the services of signals some pipeline takes are registered; a call to
//! another one is answered `Unimplemented`, as otelcol does. Requests may be gzip or
//! zstd compressed and at most `max_recv_msg_size_mib` large. A success is the empty
//! `Export*ServiceResponse`; a failure is the status [`RpcError`] maps it to.

mod codec;
mod service;

use std::future::Future;

use sonde_api::Signal;
use tokio::net::TcpListener;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;

use service::{ExportService, LogsService, MetricsService, TraceService};
use sonde_api::intake::Intake;

/// Builds the routes for the signals `intake` serves.
fn routes(intake: Intake, max_recv_msg_size: usize) -> tonic::service::Routes {
    let mut builder = RoutesBuilder::default();
    // A route's path is its service's type-level name, hence one line per signal.
    if intake.serves(Signal::Traces) {
        builder.add_service(ExportService::<TraceService>::new(
            intake.clone(),
            max_recv_msg_size,
        ));
    }
    if intake.serves(Signal::Metrics) {
        builder.add_service(ExportService::<MetricsService>::new(
            intake.clone(),
            max_recv_msg_size,
        ));
    }
    if intake.serves(Signal::Logs) {
        builder.add_service(ExportService::<LogsService>::new(intake, max_recv_msg_size));
    }
    builder.routes()
}

/// Serves OTLP/gRPC on `listener` until `shutdown` resolves, then lets in-flight calls
/// finish.
pub async fn serve(
    listener: TcpListener,
    intake: Intake,
    max_recv_msg_size: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    if let Ok(local) = listener.local_addr() {
        tracing::info!(endpoint = %local, "OTLP/gRPC receiver listening");
    }
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_routes(routes(intake, max_recv_msg_size))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
