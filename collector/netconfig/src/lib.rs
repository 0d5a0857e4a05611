//! Network settings shared by receivers and exporters, written once: body
//! compression, TLS, the endpoint forms otelcol accepts, and the HTTP server an
//! extension runs.

pub mod compression;
mod headers;
mod http_server;
pub mod tls;

pub use compression::Compression;
pub use headers::validate_headers;
pub use http_server::HttpServer;
