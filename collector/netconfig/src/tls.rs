//! otelcol's `tls:` blocks (`configtls`), client and server, and the rustls configs
//! built from them.
//!
//! * [`TlsClientConfig`]: what an exporter dials with. The trust roots are `ca_file` /
//!   `ca_pem` when given, the system's otherwise; `cert_file` + `key_file` add a client
//!   certificate (mTLS). `insecure` is read by the caller (it means "plaintext" for a
//!   gRPC endpoint without a scheme); `insecure_skip_verify` accepts any server
//!   certificate, still checking the handshake signatures.
//! * [`TlsServerConfig`]: what a receiver listens with; `client_ca_file` turns on
//!   client-certificate verification.
//!
//! Files are read when the config is built (at component creation), so a missing or
//! broken file fails the start with an error that names it.

mod client;
mod connector;
mod pem;
mod server;
#[doc(hidden)]
pub mod testcerts;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

pub use client::SkipServerVerification;
pub use connector::HttpsConnector;

/// Why TLS settings could not be turned into a rustls config.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("failed to load {what} {path:?}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("failed to load {what} {path:?}: no PEM {expected} found")]
    Empty {
        what: &'static str,
        path: String,
        expected: &'static str,
    },
    #[error("failed to load {what} {path:?}: {message}")]
    Invalid {
        what: &'static str,
        path: String,
        message: String,
    },
    #[error("invalid TLS version {0:?} (supported: \"1.2\", \"1.3\")")]
    Version(String),
    #[error("for auth via TLS, provide both certificate and key, or neither")]
    HalfKeyPair,
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// `tls:` of a client (exporter), with otelcol's keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsClientConfig {
    /// No TLS at all (gRPC only, when the endpoint has no `https://`).
    pub insecure: bool,
    /// TLS, but any server certificate is accepted.
    pub insecure_skip_verify: bool,
    /// PEM file of the CAs that sign the server's certificate; system roots when empty.
    pub ca_file: String,
    /// The same as `ca_file`, inline.
    pub ca_pem: String,
    /// Also trust the system roots when `ca_file` / `ca_pem` is set.
    pub include_system_ca_certs_pool: bool,
    /// Client certificate (PEM), for mTLS.
    pub cert_file: String,
    pub cert_pem: String,
    /// Client key (PEM), for mTLS.
    pub key_file: String,
    pub key_pem: String,
    /// Lowest TLS version offered: `1.2` (default) or `1.3`.
    pub min_version: String,
    /// Highest TLS version offered; empty = the newest.
    pub max_version: String,
    /// The name the server certificate is checked against (and sent as SNI) instead
    /// of the endpoint's host.
    pub server_name_override: String,
}

/// `tls:` of a server (receiver), with otelcol's keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsServerConfig {
    /// The server certificate chain (PEM).
    pub cert_file: String,
    pub cert_pem: String,
    /// The server key (PEM).
    pub key_file: String,
    pub key_pem: String,
    /// When set, clients must present a certificate signed by one of these CAs.
    pub client_ca_file: String,
    /// Accepted as otelcol does; only `client_ca_file` is used to verify clients.
    pub ca_file: String,
    pub min_version: String,
    pub max_version: String,
}

/// Where PEM data comes from: a file or inline text, for error messages.
pub(crate) struct Source<'a> {
    pub what: &'static str,
    pub file: &'a str,
    pub pem: &'a str,
}

impl Source<'_> {
    fn is_set(&self) -> bool {
        !self.file.is_empty() || !self.pem.is_empty()
    }
}

impl TlsClientConfig {
    pub(crate) fn ca(&self) -> Source<'_> {
        Source {
            what: "CA file",
            file: &self.ca_file,
            pem: &self.ca_pem,
        }
    }
    pub(crate) fn cert(&self) -> Source<'_> {
        Source {
            what: "client certificate",
            file: &self.cert_file,
            pem: &self.cert_pem,
        }
    }
    pub(crate) fn key(&self) -> Source<'_> {
        Source {
            what: "client key",
            file: &self.key_file,
            pem: &self.key_pem,
        }
    }
}

impl TlsServerConfig {
    /// True when a certificate is configured: the server speaks TLS.
    pub fn is_enabled(&self) -> bool {
        self.cert().is_set() || self.key().is_set()
    }
    pub(crate) fn cert(&self) -> Source<'_> {
        Source {
            what: "server certificate",
            file: &self.cert_file,
            pem: &self.cert_pem,
        }
    }
    pub(crate) fn key(&self) -> Source<'_> {
        Source {
            what: "server key",
            file: &self.key_file,
            pem: &self.key_pem,
        }
    }
    pub(crate) fn client_ca(&self) -> Source<'_> {
        Source {
            what: "client CA file",
            file: &self.client_ca_file,
            pem: "",
        }
    }
}

/// The protocol versions between `min` and `max` (`""`, `"1.2"`, `"1.3"`).
pub(crate) fn versions(
    min: &str,
    max: &str,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, TlsError> {
    fn rank(v: &str, default: u8) -> Result<u8, TlsError> {
        match v {
            "" => Ok(default),
            "1.2" => Ok(2),
            "1.3" => Ok(3),
            other => Err(TlsError::Version(other.to_string())),
        }
    }
    let (lo, hi) = (rank(min, 2)?, rank(max, 3)?);
    let mut out = Vec::new();
    if lo <= 2 && hi >= 2 {
        out.push(&rustls::version::TLS12);
    }
    if hi >= 3 {
        out.push(&rustls::version::TLS13);
    }
    if out.is_empty() {
        return Err(TlsError::Version(format!("{min} > {max}")));
    }
    Ok(out)
}

fn check_common(
    cert: Source<'_>,
    key: Source<'_>,
    min: &str,
    max: &str,
) -> Result<(), ConfigError> {
    if cert.is_set() != key.is_set() {
        return Err(ConfigError::new(&[], TlsError::HalfKeyPair.to_string()));
    }
    for (field, value) in [("min_version", min), ("max_version", max)] {
        if !matches!(value, "" | "1.2" | "1.3") {
            let err = TlsError::Version(value.to_string());
            return Err(ConfigError::new(&[field], err.to_string()));
        }
    }
    versions(min, max).map_err(|e| ConfigError::new(&["max_version"], e.to_string()))?;
    Ok(())
}

impl ComponentConfig for TlsClientConfig {
    /// Paths are relative to the block; callers put `tls` in front.
    fn validate(&self) -> Result<(), ConfigError> {
        check_common(
            self.cert(),
            self.key(),
            &self.min_version,
            &self.max_version,
        )
    }
}

impl ComponentConfig for TlsServerConfig {
    /// Paths are relative to the block; callers put `tls` in front.
    fn validate(&self) -> Result<(), ConfigError> {
        check_common(
            self.cert(),
            self.key(),
            &self.min_version,
            &self.max_version,
        )
    }
}

#[cfg(test)]
mod tests;
