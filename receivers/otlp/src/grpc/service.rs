//! One OTLP collector service (`TraceService`, `MetricsService`, `LogsService`) with
//! its one `Export` method, served the way tonic's generated servers are.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use sonde_api::{Payload, Signal};
use tonic::body::Body as TonicBody;
use tonic::codec::CompressionEncoding;
use tonic::codegen::{http, Body, BoxFuture, EnabledCompressionEncodings, Service, StdError};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::codec::RawCodec;
use crate::status::RpcError;
use sonde_api::intake::Intake;

/// Which service: its gRPC name and signal.
pub(crate) trait Kind: Send + Sync + 'static {
    const NAME: &'static str;
    const EXPORT_PATH: &'static str;
    const SIGNAL: Signal;
}

pub(crate) struct TraceService;
pub(crate) struct MetricsService;
pub(crate) struct LogsService;

impl Kind for TraceService {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const EXPORT_PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    const SIGNAL: Signal = Signal::Traces;
}

impl Kind for MetricsService {
    const NAME: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const EXPORT_PATH: &'static str =
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    const SIGNAL: Signal = Signal::Metrics;
}

impl Kind for LogsService {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const EXPORT_PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const SIGNAL: Signal = Signal::Logs;
}

pub(crate) struct ExportService<K> {
    intake: Intake,
    max_recv_msg_size: usize,
    kind: PhantomData<K>,
}

impl<K> Clone for ExportService<K> {
    fn clone(&self) -> Self {
        ExportService {
            intake: self.intake.clone(),
            max_recv_msg_size: self.max_recv_msg_size,
            kind: PhantomData,
        }
    }
}

impl<K: Kind> ExportService<K> {
    pub(crate) fn new(intake: Intake, max_recv_msg_size: usize) -> Self {
        ExportService {
            intake,
            max_recv_msg_size,
            kind: PhantomData,
        }
    }
}

impl<K: Kind> NamedService for ExportService<K> {
    const NAME: &'static str = K::NAME;
}

impl<K: Kind, B> Service<http::Request<B>> for ExportService<K>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<TonicBody>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != K::EXPORT_PATH {
            return Box::pin(async { Ok(Status::unimplemented("").into_http()) });
        }
        let mut accept = EnabledCompressionEncodings::default();
        accept.enable(CompressionEncoding::Gzip);
        accept.enable(CompressionEncoding::Zstd);
        let mut grpc = Grpc::new(RawCodec)
            .apply_compression_config(accept, EnabledCompressionEncodings::default())
            .apply_max_message_size_config(Some(self.max_recv_msg_size), None);
        let method = Export::<K> {
            intake: self.intake.clone(),
            kind: PhantomData,
        };
        Box::pin(async move { Ok(grpc.unary(method, request).await) })
    }
}

/// The `Export` method itself.
struct Export<K> {
    intake: Intake,
    kind: PhantomData<K>,
}

impl<K: Kind> UnaryService<bytes::Bytes> for Export<K> {
    type Response = ();
    type Future = BoxFuture<Response<()>, Status>;

    fn call(&mut self, request: Request<bytes::Bytes>) -> Self::Future {
        let intake = self.intake.clone();
        Box::pin(async move {
            let addr = request.remote_addr();
            let (metadata, _, bytes) = request.into_parts();
            // grpc-go answers a message that does not unmarshal with Internal.
            let payload = Payload::from_wire(K::SIGNAL, bytes).map_err(|err| {
                Status::new(
                    Code::Internal,
                    format!("grpc: error unmarshalling request: {err}"),
                )
            })?;
            intake
                .deliver(payload, addr, || metadata_pairs(&metadata))
                .await
                .map_err(|err| RpcError::from_consume(&err).to_tonic())?;
            Ok(Response::new(()))
        })
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
