//! The OTLP receiver: OTLP over gRPC and over HTTP (protobuf or JSON) for traces,
//! metrics and logs, as otelcol's `otlpreceiver`.
//!
//! Layout:
//! * [`config`]: the YAML (`protocols.grpc`, `protocols.http`) and its checks.
//! * [`endpoint`]: `host:port` parsing and binding.
//! * `export`: the one path into the pipelines (client info, telemetry).
//! * `grpc`: the tonic services; `http`: the HTTP server, its encodings and CORS.
//! * [`status`]: pipeline errors as gRPC statuses and HTTP answers.
//! * [`receiver`]: start and shutdown.

pub mod config;
pub mod endpoint;
mod factory;
mod grpc;
mod http;
mod json;
pub mod receiver;
pub mod status;

use std::sync::Arc;

pub use config::Config;
pub use factory::OtlpReceiverFactory;
pub use receiver::OtlpReceiver;

/// The factory the binary registers.
pub fn factory() -> Arc<dyn sonde_api::component::ReceiverFactory> {
    Arc::new(OtlpReceiverFactory)
}
