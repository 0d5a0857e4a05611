//! The OTLP receiver: gRPC and HTTP for traces, metrics and logs.
pub mod config;
pub mod endpoint;
mod export;
mod grpc;
mod json;
pub mod status;
