//! Network settings shared by receivers and exporters, written once: body
//! compression, TLS, the endpoint forms otelcol accepts, the HTTP server an
//! extension runs, and how an HTTP receiver answers what it could not take.

pub mod compression;
mod headers;
pub mod http_refusal;
mod http_server;
pub mod tls;

pub use compression::Compression;
pub use headers::validate_headers;
pub use http_server::{validate_http_endpoint, HttpServer, HttpServerSlot};
