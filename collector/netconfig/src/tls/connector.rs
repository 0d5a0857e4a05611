//! The HTTP(S) connector both OTLP exporters dial with: TLS (rustls, from the `tls:`
//! block) for `https://` URIs, plaintext for `http://`, with the ALPN the transport
//! needs (`h2` only for gRPC; `h2` and `http/1.1` for OTLP/HTTP).

use hyper_rustls::{FixedServerNameResolver, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::ServerName;

use super::{TlsClientConfig, TlsError};

pub type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

impl TlsClientConfig {
    /// `http2_only` for gRPC, whose client refuses HTTP/1.1.
    pub fn https_connector(&self, http2_only: bool) -> Result<HttpsConnector, TlsError> {
        let mut builder = HttpsConnectorBuilder::new()
            .with_tls_config(self.rustls_config()?)
            .https_or_http();
        if let Some(name) = self.server_name() {
            let name = ServerName::try_from(name.to_string()).map_err(|e| TlsError::Invalid {
                what: "server_name_override",
                path: name.to_string(),
                message: e.to_string(),
            })?;
            builder = builder.with_server_name_resolver(FixedServerNameResolver::new(name));
        }
        Ok(if http2_only {
            builder.enable_http2().build()
        } else {
            builder.enable_all_versions().build()
        })
    }
}
