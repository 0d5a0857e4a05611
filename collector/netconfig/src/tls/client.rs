//! The client side: a rustls `ClientConfig` from [`TlsClientConfig`].

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::{pem, versions, TlsClientConfig, TlsError};

impl TlsClientConfig {
    /// The rustls config for this block (ring provider). ALPN is left empty for the
    /// caller (hyper-rustls sets `h2` / `http/1.1` itself).
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions(&self.min_version, &self.max_version)?)?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(SkipServerVerification(provider)))
        } else {
            let mut roots = if self.ca().is_set() {
                pem::roots(&self.ca())?
            } else {
                pem::system_roots()
            };
            if self.ca().is_set() && self.include_system_ca_certs_pool {
                roots.extend(pem::system_roots().roots);
            }
            builder.with_root_certificates(roots)
        };
        let config = if self.cert().is_set() || self.key().is_set() {
            if !(self.cert().is_set() && self.key().is_set()) {
                return Err(TlsError::HalfKeyPair);
            }
            builder.with_client_auth_cert(pem::certs(&self.cert())?, pem::key(&self.key())?)?
        } else {
            builder.with_no_client_auth()
        };
        Ok(config)
    }

    /// `server_name_override`, when set.
    pub fn server_name(&self) -> Option<&str> {
        (!self.server_name_override.is_empty()).then_some(self.server_name_override.as_str())
    }
}

/// `insecure_skip_verify`: any certificate is accepted, but the handshake signatures
/// are still checked so the peer holds the key of the certificate it showed.
#[derive(Debug)]
pub struct SkipServerVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for SkipServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
