//! The `otlp` exporter's config: otelcol's `configgrpc` client keys plus the shared
//! `timeout`, `retry_on_failure` and `sending_queue`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};
use sonde_exporterhelper::{QueueConfig, RetryConfig};
use sonde_netconfig::tls::TlsClientConfig;
use sonde_netconfig::Compression;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `host:port`, or an `http://` / `https://` URL. Required.
    pub endpoint: String,
    pub tls: TlsClientConfig,
    /// Sent as gRPC metadata with every request.
    pub headers: BTreeMap<String, String>,
    pub compression: Compression,
    /// Per attempt.
    #[serde(with = "sonde_api::config::duration")]
    pub timeout: Duration,
    pub retry_on_failure: RetryConfig,
    pub sending_queue: QueueConfig,
    pub keepalive: Option<KeepaliveConfig>,
    /// Accepted for compatibility; tonic keeps one connection per endpoint.
    pub balancer_name: String,
    /// Accepted for compatibility; connections are always established lazily.
    pub wait_for_ready: bool,
    /// Overrides the `:authority` of requests.
    pub authority: String,
}

/// HTTP/2 pings on an idle connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeepaliveConfig {
    #[serde(with = "sonde_api::config::duration")]
    pub time: Duration,
    #[serde(with = "sonde_api::config::duration")]
    pub timeout: Duration,
    pub permit_without_stream: bool,
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        KeepaliveConfig {
            time: Duration::ZERO,
            timeout: Duration::from_secs(20),
            permit_without_stream: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: String::new(),
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::Gzip,
            timeout: Duration::from_secs(5),
            retry_on_failure: RetryConfig::default(),
            sending_queue: QueueConfig::default(),
            keepalive: None,
            balancer_name: String::new(),
            wait_for_ready: false,
            authority: String::new(),
        }
    }
}

/// Where and how to connect, from `endpoint` and `tls.insecure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http://host:port` or `https://host:port`, as tonic wants it.
    pub uri: String,
    pub use_tls: bool,
}

impl Config {
    /// `https://` always means TLS and `http://` never; without a scheme TLS is on
    /// unless `tls.insecure` is set, as in otelcol.
    pub fn target(&self) -> Result<Target, ConfigError> {
        let endpoint = self.endpoint.trim();
        let (rest, use_tls) = if let Some(rest) = endpoint.strip_prefix("https://") {
            (rest, true)
        } else if let Some(rest) = endpoint.strip_prefix("http://") {
            (rest, false)
        } else {
            (endpoint, !self.tls.insecure)
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() {
            return Err(ConfigError::new(&[], r#"requires a non-empty "endpoint""#));
        }
        let port = match rest.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() => port,
            _ => {
                return Err(ConfigError::new(
                    &["endpoint"],
                    format!("address {rest}: missing port in address"),
                ))
            }
        };
        if port.parse::<u16>().is_err() {
            return Err(ConfigError::new(
                &["endpoint"],
                format!("invalid port \"{port}\""),
            ));
        }
        let scheme = if use_tls { "https" } else { "http" };
        Ok(Target {
            uri: format!("{scheme}://{rest}"),
            use_tls,
        })
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        self.target()?;
        self.tls.validate().map_err(|e| e.under(&["tls"]))?;
        sonde_netconfig::validate_headers(&self.headers)?;
        sonde_exporterhelper::config::validate(&self.retry_on_failure, &self.sending_queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn decode_str(s: &str) -> Result<Config, ConfigError> {
        decode(&serde_yaml::from_str(s).unwrap())
    }

    #[test]
    fn endpoint_is_required() {
        assert_eq!(
            decode_str("{}").unwrap_err().to_string(),
            r#"requires a non-empty "endpoint""#
        );
        assert_eq!(
            decode_str("endpoint: collector").unwrap_err().to_string(),
            "endpoint: address collector: missing port in address"
        );
        assert_eq!(
            decode_str("endpoint: collector:http")
                .unwrap_err()
                .to_string(),
            "endpoint: invalid port \"http\""
        );
    }

    #[test]
    fn scheme_and_insecure_pick_the_transport() {
        let target = |yaml: &str| decode_str(yaml).unwrap().target().unwrap();
        assert_eq!(
            target("endpoint: otel:4317"),
            Target {
                uri: "https://otel:4317".into(),
                use_tls: true
            }
        );
        assert!(!target("{endpoint: 'otel:4317', tls: {insecure: true}}").use_tls);
        assert!(!target("endpoint: http://otel:4317").use_tls);
        assert!(target("{endpoint: 'https://otel:4317', tls: {insecure: true}}").use_tls);
    }

    #[test]
    fn defaults_and_unknown_keys() {
        let c = decode_str("endpoint: a:1").unwrap();
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(c.compression, Compression::Gzip);
        assert_eq!(
            decode_str("{endpoint: 'a:1', tls: {insecur: true}}")
                .unwrap_err()
                .to_string(),
            "'tls' has invalid keys: insecur"
        );
        assert_eq!(
            decode_str("{endpoint: 'a:1', sending_queue: {num_consumers: 0}}")
                .unwrap_err()
                .to_string(),
            "sending_queue::num_consumers: `num_consumers` must be positive"
        );
    }
}
