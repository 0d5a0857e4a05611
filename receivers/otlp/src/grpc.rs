//! OTLP/gRPC: the three collector services of opentelemetry-proto on one tonic server.
//!
//! Only the services of signals some pipeline takes are registered; a call to another
//! one is answered `Unimplemented`, as otelcol does. Requests may be gzip or zstd
//! compressed and at most `max_recv_msg_size_mib` large. A success is the empty
//! `Export*ServiceResponse`; a failure is the status [`RpcError`] maps it to.

use std::future::Future;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use sonde_api::pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};
use sonde_api::{Payload, Signal};
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

use crate::export::Exporter;
use crate::status::RpcError;

/// The three OTLP services, all backed by one [`Exporter`].
#[derive(Clone)]
struct Otlp {
    exporter: Exporter,
}

impl Otlp {
    async fn export<T>(
        &self,
        request: Request<T>,
        payload: impl FnOnce(T) -> Payload,
    ) -> Result<(), Status> {
        let addr = request.remote_addr();
        let (metadata, _, message) = request.into_parts();
        self.exporter
            .export(payload(message), addr, || metadata_pairs(&metadata))
            .await
            .map_err(|err| RpcError::from_consume(&err).to_tonic())
    }
}

/// gRPC metadata as lower-cased `(name, value)` pairs; binary (`-bin`) entries are left out.
fn metadata_pairs(metadata: &tonic::metadata::MetadataMap) -> Vec<(String, String)> {
    metadata
        .clone()
        .into_headers()
        .iter()
        .filter(|(name, _)| !name.as_str().ends_with("-bin"))
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            Some((name.as_str().to_string(), value.to_string()))
        })
        .collect()
}

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        Otlp::export(self, request, Payload::Traces).await?;
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        Otlp::export(self, request, Payload::Metrics).await?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        Otlp::export(self, request, Payload::Logs).await?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

/// Builds the routes for the signals `exporter` serves.
fn routes(exporter: Exporter, max_recv_msg_size: usize) -> tonic::service::Routes {
    let otlp = Otlp { exporter };
    let mut builder = RoutesBuilder::default();
    // The generated servers share no trait, so each is configured on its own line.
    if otlp.exporter.serves(Signal::Traces) {
        builder.add_service(
            TraceServiceServer::new(otlp.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .max_decoding_message_size(max_recv_msg_size),
        );
    }
    if otlp.exporter.serves(Signal::Metrics) {
        builder.add_service(
            MetricsServiceServer::new(otlp.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .max_decoding_message_size(max_recv_msg_size),
        );
    }
    if otlp.exporter.serves(Signal::Logs) {
        builder.add_service(
            LogsServiceServer::new(otlp.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .max_decoding_message_size(max_recv_msg_size),
        );
    }
    builder.routes()
}

/// Serves OTLP/gRPC on `listener` until `shutdown` resolves, then lets in-flight calls
/// finish.
pub async fn serve(
    listener: TcpListener,
    exporter: Exporter,
    max_recv_msg_size: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    if let Ok(local) = listener.local_addr() {
        tracing::info!(endpoint = %local, "OTLP/gRPC receiver listening");
    }
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_routes(routes(exporter, max_recv_msg_size))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
