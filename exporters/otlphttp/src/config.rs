//! The `otlphttp` exporter's config: otelcol's keys (`confighttp` client settings,
//! per-signal URLs, `encoding`) plus the shared `timeout`, `retry_on_failure` and
//! `sending_queue`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};
use sonde_api::Signal;
use sonde_exporterhelper::{QueueConfig, RetryConfig};
use sonde_netconfig::tls::TlsClientConfig;
use sonde_netconfig::Compression;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Proto,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Base URL; `/v1/traces`, `/v1/metrics`, `/v1/logs` are appended.
    pub endpoint: String,
    /// Full URLs, used as they are; each wins over `endpoint` for its signal.
    pub traces_endpoint: String,
    pub metrics_endpoint: String,
    pub logs_endpoint: String,
    pub encoding: Encoding,
    pub tls: TlsClientConfig,
    /// Sent with every request.
    pub headers: BTreeMap<String, String>,
    pub compression: Compression,
    /// Per attempt.
    #[serde(with = "sonde_api::config::duration")]
    pub timeout: Duration,
    pub retry_on_failure: RetryConfig,
    pub sending_queue: QueueConfig,
    /// How long an idle pooled connection is kept.
    #[serde(with = "sonde_api::config::duration")]
    pub idle_conn_timeout: Duration,
    /// Idle connections kept per host.
    pub max_idle_conns_per_host: usize,
    /// Accepted for compatibility; hyper sizes its buffers itself.
    pub read_buffer_size: usize,
    pub write_buffer_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: String::new(),
            traces_endpoint: String::new(),
            metrics_endpoint: String::new(),
            logs_endpoint: String::new(),
            encoding: Encoding::Proto,
            tls: TlsClientConfig::default(),
            headers: BTreeMap::new(),
            compression: Compression::Gzip,
            timeout: Duration::from_secs(30),
            retry_on_failure: RetryConfig::default(),
            sending_queue: QueueConfig::default(),
            idle_conn_timeout: Duration::from_secs(90),
            max_idle_conns_per_host: 100,
            read_buffer_size: 0,
            write_buffer_size: 0,
        }
    }
}

fn signal_key(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "traces_endpoint",
        Signal::Metrics => "metrics_endpoint",
        Signal::Logs => "logs_endpoint",
    }
}

fn check_url(key: &str, url: &str) -> Result<http::Uri, ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| ConfigError::new(&[key], format!("invalid URL {url:?}: {e}")))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http") | Some("https"), Some(_)) => Ok(uri),
        _ => Err(ConfigError::new(
            &[key],
            format!("invalid URL {url:?}: must be an http:// or https:// URL with a host"),
        )),
    }
}

impl Config {
    /// The URL batches of `signal` are posted to.
    pub fn url(&self, signal: Signal) -> Result<http::Uri, ConfigError> {
        let own = match signal {
            Signal::Traces => &self.traces_endpoint,
            Signal::Metrics => &self.metrics_endpoint,
            Signal::Logs => &self.logs_endpoint,
        };
        if !own.is_empty() {
            return check_url(signal_key(signal), own);
        }
        if self.endpoint.is_empty() {
            return Err(ConfigError::new(
                &[signal_key(signal)],
                format!(
                    "no endpoint for {signal}: set `endpoint` or `{}`",
                    signal_key(signal)
                ),
            ));
        }
        check_url("endpoint", &self.endpoint)?;
        let base = self.endpoint.trim_end_matches('/');
        check_url("endpoint", &format!("{base}/v1/{signal}"))
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let all = [
            &self.endpoint,
            &self.traces_endpoint,
            &self.metrics_endpoint,
            &self.logs_endpoint,
        ];
        if all.iter().all(|e| e.is_empty()) {
            return Err(ConfigError::new(
                &[],
                "at least one endpoint must be specified",
            ));
        }
        if !self.endpoint.is_empty() {
            check_url("endpoint", &self.endpoint)?;
        }
        for signal in Signal::ALL {
            let own = match signal {
                Signal::Traces => &self.traces_endpoint,
                Signal::Metrics => &self.metrics_endpoint,
                Signal::Logs => &self.logs_endpoint,
            };
            if !own.is_empty() {
                check_url(signal_key(signal), own)?;
            }
        }
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
    fn urls_per_signal() {
        let c = decode_str("endpoint: https://otel.example:4318").unwrap();
        assert_eq!(
            c.url(Signal::Traces).unwrap().to_string(),
            "https://otel.example:4318/v1/traces"
        );
        let c =
            decode_str("{endpoint: 'http://gw/otlp/', logs_endpoint: 'http://logs:9000/ingest'}")
                .unwrap();
        assert_eq!(
            c.url(Signal::Metrics).unwrap().to_string(),
            "http://gw/otlp/v1/metrics"
        );
        assert_eq!(
            c.url(Signal::Logs).unwrap().to_string(),
            "http://logs:9000/ingest"
        );
        let c = decode_str("traces_endpoint: http://t:1/x").unwrap();
        assert_eq!(
            c.url(Signal::Logs).unwrap_err().to_string(),
            "logs_endpoint: no endpoint for logs: set `endpoint` or `logs_endpoint`"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            decode_str("{}").unwrap_err().to_string(),
            "at least one endpoint must be specified"
        );
        assert_eq!(
            decode_str("endpoint: otel:4318").unwrap_err().to_string(),
            "endpoint: invalid URL \"otel:4318\": must be an http:// or https:// URL with a host"
        );
        assert_eq!(
            decode_str("{endpoint: 'http://a', encoding: xml}")
                .unwrap_err()
                .to_string(),
            "encoding: unknown variant `xml`, expected `proto` or `json`"
        );
        let c = decode_str("endpoint: http://a").unwrap();
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.encoding, Encoding::Proto);
    }
}
