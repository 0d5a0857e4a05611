//! One export attempt over gRPC: `Export` on the signal's OTLP service, with the
//! configured metadata and compression; the answer classified by [`crate::status`].
//!
//! On the wire: `POST /opentelemetry.proto.collector.<signal>.v1.<Trace|Metrics|Logs>Service/Export`,
//! protobuf body, `grpc-encoding: gzip` (default) or `zstd`.

use std::sync::{Arc, OnceLock};

use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use sonde_api::{Payload, Signal};
use sonde_exporterhelper::{SendError, Sender};
use sonde_netconfig::Compression;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::Channel;

use crate::codec::ExportCodec;
use crate::connect::Connect;
use crate::status::classify;

pub(crate) struct GrpcSender {
    connect: Connect,
    channel: OnceLock<Channel>,
    metadata: MetadataMap,
    compression: Option<CompressionEncoding>,
    exporter: String,
}

impl GrpcSender {
    pub(crate) fn new(
        connect: Connect,
        headers: &std::collections::BTreeMap<String, String>,
        compression: Compression,
        exporter: String,
    ) -> Result<GrpcSender, sonde_api::BoxError> {
        let mut metadata = MetadataMap::new();
        for (name, value) in headers {
            let key = MetadataKey::from_bytes(name.as_bytes())
                .map_err(|e| format!("headers::{name}: {e}"))?;
            let value = MetadataValue::try_from(value.as_str())
                .map_err(|e| format!("headers::{name}: {e}"))?;
            metadata.insert(key, value);
        }
        let compression = match compression {
            Compression::Gzip => Some(CompressionEncoding::Gzip),
            Compression::Zstd => Some(CompressionEncoding::Zstd),
            Compression::None => None,
        };
        Ok(GrpcSender {
            connect,
            channel: OnceLock::new(),
            metadata,
            compression,
            exporter,
        })
    }

    async fn call<R>(&self, payload: Arc<Payload>, path: &'static str) -> Result<R, SendError>
    where
        R: prost::Message + Default + Send + 'static,
    {
        let channel = self.channel.get_or_init(|| self.connect.channel()).clone();
        let mut grpc = tonic::client::Grpc::new(channel);
        if let Some(encoding) = self.compression {
            grpc = grpc.send_compressed(encoding);
        }
        grpc = grpc
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd);
        grpc.ready()
            .await
            .map_err(|e| SendError::retryable(format!("connection not ready: {e}")))?;
        let mut request = tonic::Request::new(payload);
        *request.metadata_mut() = self.metadata.clone();
        grpc.unary(
            request,
            PathAndQuery::from_static(path),
            ExportCodec::<R>::default(),
        )
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| classify(&status))
    }

    /// A partial success is not retried (the server already said what it dropped); it is
    /// logged, as otelcol does.
    fn partial(&self, signal: Signal, rejected: i64, message: &str) {
        if rejected != 0 || !message.is_empty() {
            tracing::warn!(
                exporter = %self.exporter,
                data_type = %signal,
                rejected,
                message,
                "Partial success response"
            );
        }
    }
}

#[async_trait::async_trait]
impl Sender for GrpcSender {
    async fn send(&self, payload: Arc<Payload>) -> Result<(), SendError> {
        let signal = payload.signal();
        match signal {
            Signal::Traces => {
                let r: ExportTraceServiceResponse = self
                    .call(
                        payload,
                        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    )
                    .await?;
                if let Some(p) = r.partial_success {
                    self.partial(signal, p.rejected_spans, &p.error_message);
                }
            }
            Signal::Metrics => {
                let r: ExportMetricsServiceResponse = self
                    .call(
                        payload,
                        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                    )
                    .await?;
                if let Some(p) = r.partial_success {
                    self.partial(signal, p.rejected_data_points, &p.error_message);
                }
            }
            Signal::Logs => {
                let r: ExportLogsServiceResponse = self
                    .call(
                        payload,
                        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                    )
                    .await?;
                if let Some(p) = r.partial_success {
                    self.partial(signal, p.rejected_log_records, &p.error_message);
                }
            }
        }
        Ok(())
    }
}
