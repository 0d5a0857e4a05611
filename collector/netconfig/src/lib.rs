//! Network settings shared by receivers and exporters, written once: body
//! compression, TLS, and the endpoint forms otelcol accepts.

pub mod compression;
mod headers;
pub mod tls;

pub use compression::Compression;
pub use headers::validate_headers;
