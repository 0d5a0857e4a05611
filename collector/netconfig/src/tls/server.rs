//! The server side: a rustls `ServerConfig` and a tonic `ServerTlsConfig` from
//! [`TlsServerConfig`].

use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;

use super::{pem, versions, TlsError, TlsServerConfig};

impl TlsServerConfig {
    /// The rustls config (ring provider) with the given ALPN protocols
    /// (`[b"h2", b"http/1.1"]` for a server that speaks both).
    pub fn rustls_config(&self, alpn: &[&[u8]]) -> Result<rustls::ServerConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions(&self.min_version, &self.max_version)?)?;
        let builder = if self.client_ca_file.is_empty() {
            builder.with_no_client_auth()
        } else {
            let roots = Arc::new(pem::roots(&self.client_ca())?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| TlsError::Invalid {
                    what: "client CA file",
                    path: self.client_ca_file.clone(),
                    message: e.to_string(),
                })?;
            builder.with_client_cert_verifier(verifier)
        };
        if !(self.cert().is_set() && self.key().is_set()) {
            return Err(TlsError::HalfKeyPair);
        }
        let mut config =
            builder.with_single_cert(pem::certs(&self.cert())?, pem::key(&self.key())?)?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }

    /// The same settings for a tonic server (`Server::builder().tls_config(..)`).
    /// tonic picks the versions itself; min/max_version are not applied here.
    pub fn tonic_config(&self) -> Result<tonic::transport::ServerTlsConfig, TlsError> {
        // Parsed here first so a bad file fails with its name, not at the handshake.
        pem::certs(&self.cert())?;
        pem::key(&self.key())?;
        let read = |source: super::Source<'_>| -> Result<Vec<u8>, TlsError> {
            if source.file.is_empty() {
                return Ok(source.pem.as_bytes().to_vec());
            }
            std::fs::read(source.file).map_err(|e| TlsError::Read {
                what: source.what,
                path: source.file.to_string(),
                source: e,
            })
        };
        let identity = tonic::transport::Identity::from_pem(read(self.cert())?, read(self.key())?);
        let mut config = tonic::transport::ServerTlsConfig::new().identity(identity);
        if !self.client_ca_file.is_empty() {
            pem::certs(&self.client_ca())?;
            config = config.client_ca_root(tonic::transport::Certificate::from_pem(read(
                self.client_ca(),
            )?));
        }
        Ok(config)
    }
}
